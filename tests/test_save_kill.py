"""minigrad.save killed at random moments: the previous checkpoint always survives whole, and the
next save removes the killed save's temporary file (benchmarks/save_kill.py, with 25 kills)."""
import os
import sys

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork and SIGKILL (POSIX)')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'benchmarks'))
import save_kill  # noqa: E402


def test_killed_saves_leave_a_whole_checkpoint_and_no_temporary_files(tmp_path):
    stats = save_kill.run(tmp_path, rounds=25, mb=4, max_delay=0.25)
    assert stats['kills'] == 25 and stats['saves'] > 0
    assert stats['kills leaving a temp file'] > 0          # some kills did land mid-write
