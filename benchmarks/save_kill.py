"""Kill ``minigrad.save`` at random moments and check that the checkpoint always survives.

A saver (a child process) writes a state dict of a few MB to one file in a loop, each save numbered
(``{'step': s, 'w': <a tensor of base + s>}``), and is SIGKILLed after a random delay; then a fresh
saver takes over, for many rounds. After every kill

- the file loads and is one whole checkpoint: its weights are those of its step, and its step is
  the last save the saver reported, or the one after it (killed between the rename and the report);
- at most one temporary file is there (the killed save's own),

and the next round's first successful save removes that file; after a last save, only the
checkpoint is left.

The savers are forked from one Python process that imported minigrad once: importing costs about
a second on a busy machine, forking a few milliseconds, so hundreds of kills take a minute or two.

    python benchmarks/save_kill.py [--rounds 200] [--mb 4] [--max-delay 0.25] [--dir DIR]

(run from anywhere: the checkout this file sits in is imported). POSIX only: fork and SIGKILL.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                  # this checkout first
import minigrad  # noqa: E402

NAME = 'ck.npz'

# The forking process. It reads one line per round (the step to start from), forks a saver that
# saves and reports each save until it is killed, and reports the saver's start and its death.
FORKER = r'''
import os, sys, traceback
import numpy
import minigrad

path, size = sys.argv[1], int(sys.argv[2])
base = numpy.arange(size, dtype=numpy.float32)
forker = os.getpid()


def save_until_killed(step):
    while os.getppid() == forker:         # stop if the process that forked us is gone
        minigrad.save({'step': step, 'w': minigrad.from_numpy(base + step)}, path)
        os.write(1, f'saved {step}\n'.encode())   # one write: a kill never leaves half a line
        step += 1


for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            save_until_killed(int(line))
        except BaseException:
            traceback.print_exc()
        os._exit(1)                       # a forked saver never returns into this loop
    print('started', pid, flush=True)
    os.waitpid(pid, 0)
    print('reaped', pid, flush=True)
'''


def run(directory, rounds, mb=4, max_delay=0.25, seed=0):
    """Kill ``rounds`` savers writing ``directory/ck.npz``; raise AssertionError at the first broken
    promise. Returns counts of what the kills hit."""
    directory = os.fspath(directory)
    path = os.path.join(directory, NAME)
    size = mb * 2**20 // 4                # float32 weights; base + step stays exact below 2**24
    base = numpy.arange(size, dtype=numpy.float32)
    delays = random.Random(seed)
    stats = {'kills': 0, 'saves': 0, 'kills before any save': 0, 'kills leaving a temp file': 0,
             'kills after the rename, before the report': 0}
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')
    step, stale = 0, set()
    # leaving the with closes the forking process's stdin, which ends its loop, and waits for it
    with subprocess.Popen([sys.executable, '-c', FORKER, path, str(size)], cwd=ROOT, env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as forker:
        for _ in range(rounds):
            saved = _kill_one_saver(forker, step, delays.uniform(0, max_delay))
            temps = set(os.listdir(directory)) - {NAME}
            if saved:
                assert not stale & temps, f"a save succeeded, but stale temporary files remain: {stale & temps}"
            assert len(temps) <= 1, f"more than one temporary file after a kill: {sorted(temps)}"
            reported = saved[-1] if saved else step - 1       # the last save known to be complete
            on_disk = _check_checkpoint(path, base) if os.path.exists(path) else -1
            assert on_disk in (reported, reported + 1), \
                f"the file holds step {on_disk}, but the last reported save was step {reported}"
            stats['kills'] += 1
            stats['saves'] += len(saved)
            stats['kills before any save'] += not saved
            stats['kills leaving a temp file'] += bool(temps - stale)
            stats['kills after the rename, before the report'] += on_disk == reported + 1
            stale = temps if saved else stale | temps
            step = on_disk + 1
    minigrad.save({'step': step, 'w': minigrad.from_numpy(base + step)}, path)
    assert os.listdir(directory) == [NAME], f"after a clean save: {sorted(os.listdir(directory))}"
    assert _check_checkpoint(path, base) == step
    return stats


def _kill_one_saver(forker, step, delay):
    """Start a saver at ``step`` and kill it after ``delay`` seconds; the steps it reported saved."""
    forker.stdin.write(f'{step}\n')
    forker.stdin.flush()
    pid = int(_expect(forker, 'started')[1])
    try:
        time.sleep(delay)
    finally:                              # even when interrupted: a saver left running fills the disk
        os.kill(pid, signal.SIGKILL)
    saved = []
    while (words := _expect(forker, 'saved', 'reaped'))[0] != 'reaped':
        saved.append(int(words[1]))
    return saved


def _expect(forker, *kinds):
    """The words of the forking process's next line, which must start with one of ``kinds``."""
    words = forker.stdout.readline().split()
    if not words or words[0] not in kinds:
        raise RuntimeError(f"the forking process said {' '.join(words) or 'nothing (it died)'}; "
                           f"expected {' or '.join(kinds)}")
    return words


def _check_checkpoint(path, base):
    """The step of the checkpoint at ``path``, after checking its weights are that step's."""
    ck = minigrad.load(path)
    assert numpy.array_equal(ck['w'].numpy(), base + ck['step']), f"step {ck['step']}: torn weights"
    return ck['step']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=200, help='savers to kill')
    parser.add_argument('--mb', type=int, default=4, help='size of the checkpoint in MB')
    parser.add_argument('--max-delay', type=float, default=0.25, help='longest wait before a kill, in seconds')
    parser.add_argument('--dir', help='directory to save in (default: a new temporary one)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        start = time.perf_counter()
        stats = run(directory, args.rounds, args.mb, args.max_delay, args.seed)
        seconds = time.perf_counter() - start
    print(f"{args.rounds} savers of a {args.mb} MB checkpoint killed in {seconds:.1f} s; after every kill "
          f"the previous checkpoint loaded whole, and the next save removed the killed one's temporary file")
    for what, count in stats.items():
        print(f"  {what:45} {count}")


if __name__ == '__main__':
    main()
