"""A pytest plugin: run tests with minigrad's fused CUDA kernels emulated on the CPU.

    PYTHONPATH=tests python -m pytest -p emulated_kernels tests/nn/test_loss.py ...

installs ``cuda_emulator.Emulator`` as the kernel runtime for the whole session, so every op on
float NumPy arrays that has a fused kernel (softmax, log-softmax, cross-entropy, layer norm,
GELU) takes the real dispatch into the kernel source, compiled with g++, instead of its composed
formula. The ordinary suite then checks the kernels as it checks the ops: this is the pass CI
runs to keep the kernels right where there is no GPU.
"""
import tempfile

import pytest


def pytest_configure(config):
    import cuda_emulator
    from minigrad.cuda import kernels
    if cuda_emulator.compiler() is None:
        raise pytest.UsageError("-p emulated_kernels needs g++ to compile the kernels")
    config._emulated_kernels_dir = tempfile.TemporaryDirectory(prefix="minigrad-kernels-")
    kernels.set_runtime(cuda_emulator.Emulator(config._emulated_kernels_dir.name))


def pytest_report_header(config):
    return "minigrad kernels: emulated on the CPU (tests/cuda_emulator.py)"
