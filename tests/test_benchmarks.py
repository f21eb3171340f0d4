"""The GPU benchmark script runs end to end (at toy sizes, on the CPU) and its two models agree.

No GPU in CI, so this only keeps the script from rotting: it builds the same GPT-style stack in
minigrad and PyTorch, loads one's weights into the other, and refuses to time anything unless
their first losses match. Nothing here looks at a time.
"""
import os
import sys

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import gpu_block_stack  # noqa: E402


def test_gpu_block_stack_runs_on_the_cpu_and_the_two_libraries_agree(capsys):
    gpu_block_stack.main(["--device", "cpu", "--tiny", "--only", "base", "--rounds", "1", "--min-time", "0.01"])
    out = capsys.readouterr().out
    assert "base B=2 T=16" in out and "first-step losses" in out
