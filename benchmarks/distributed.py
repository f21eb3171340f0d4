"""What does averaging gradients cost, and how well does data-parallel training scale?

Three measurements, then a model:

1. **all-reduce bandwidth by message size**, with 2 ranks: the median time of ``all_reduce`` on
   float32 arrays from 4 KiB to 16 MiB. Two bandwidths, as NVIDIA's nccl-tests report them:
   *algorithm* bandwidth M / t, and *bus* bandwidth M / t * 2 (N - 1) / N, the rate each link
   actually carried in a ring (comparable across rank counts).
2. **the ring model fitted** to those times: t = 2 (N - 1) / N * M / B + 2 (N - 1) * alpha, a
   straight line in M whose slope gives B and whose intercept gives the latency alpha.
3. **scaling efficiency** for 1 and 2 ranks: the time of one DistributedDataParallel training
   step of an MLP, each rank on its own batch of the same size (weak scaling: N ranks process
   N times the data). Efficiency = T(1 rank) / T(N ranks); 100 % means communication was free.
4. **a model of 8 and 64 ranks**: the step time of one rank plus a ring all-reduce of the
   gradients at the fitted B and alpha (no overlap with backward: the pessimistic case).

On one machine the "network" is shared memory, and on a 2-core machine two ranks also compete
for the cores (and for whatever else runs), so the 2-rank efficiency mixes communication with
contention: read the figures as a method, then put in a cluster's B and alpha.

    python benchmarks/distributed.py                 # launches mpiexec -n 1 and -n 2 itself
    python benchmarks/distributed.py --quick --json results.json
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'           # one BLAS thread per rank: the ranks share the cores

import argparse                      # noqa: E402
import json                          # noqa: E402
import shutil                        # noqa: E402
import subprocess                    # noqa: E402
import sys                           # noqa: E402
import time                          # noqa: E402

import numpy as np                   # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import minigrad                      # noqa: E402
from minigrad.distributed.ring import fit_ring_model, ring_all_reduce_time   # noqa: E402

MODELLED_RANKS = (8, 64)


def _median_seconds(fn, repeats, before=lambda: None):
    times = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_all_reduce(sizes, repeats):
    """``[(bytes, seconds)]``: the median all-reduce time of a float32 array of each size."""
    import minigrad.distributed as dist
    rows = []
    for nbytes in sizes:
        t = minigrad.ones(nbytes // 4)
        dist.all_reduce(t)                         # warm up: connections, buffers
        # start together each time, so a rank that the OS paused is not counted as transfer time
        rows.append((nbytes, _median_seconds(lambda: dist.all_reduce(t), repeats, dist.barrier)))
    return rows


def measure_step(width, batch, steps):
    """Median seconds of one DDP training step (forward, backward with bucketed all-reduce, SGD)
    of a 4-layer MLP of ``width``; also the bytes of its gradients."""
    import minigrad.distributed as dist
    from minigrad import nn, optim
    from minigrad.nn import functional as F
    from minigrad.nn.parallel import DistributedDataParallel
    minigrad.manual_seed(0)
    model = DistributedDataParallel(nn.Sequential(
        nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
        nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10)))
    opt = optim.SGD(model.parameters(), lr=1e-3)
    x, y = minigrad.randn(batch, width), minigrad.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    step()
    dist.barrier()
    seconds = _median_seconds(step, steps)
    return seconds, sum(p.numel() * 4 for p in model.parameters())


def worker(args):
    """Runs on every rank under mpiexec; rank 0 prints one JSON line."""
    import minigrad.distributed as dist
    dist.init_process_group('mpi', timeout=120)
    result = {'world_size': dist.get_world_size()}
    if dist.get_world_size() > 1:
        result['all_reduce'] = measure_all_reduce(args.sizes, args.repeats)
    result['step_seconds'], result['grad_bytes'] = measure_step(args.width, args.batch, args.steps)
    if dist.get_rank() == 0:
        print('BENCH ' + json.dumps(result), flush=True)
    dist.destroy_process_group()


def launch(n, args):
    """Run this script's worker on ``n`` ranks; its result."""
    mpiexec = shutil.which('mpiexec', path=os.pathsep.join([os.path.dirname(sys.executable),
                                                           os.environ.get('PATH', '')]))
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install mpi4py mpich")
    command = [mpiexec, '-n', str(n), sys.executable, os.path.abspath(__file__), '--worker',
               '--repeats', str(args.repeats), '--steps', str(args.steps), '--width', str(args.width),
               '--batch', str(args.batch), '--sizes', *map(str, args.sizes)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    lines = [line for line in done.stdout.splitlines() if line.startswith('BENCH ')]
    if done.returncode != 0 or not lines:
        sys.exit(f"mpiexec -n {n} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[0][len('BENCH '):])


def summarise(one, two):
    """Bandwidths, the fitted ring model, measured and modelled scaling efficiency."""
    sizes, seconds = zip(*two['all_reduce'])
    bandwidth, latency = fit_ring_model(2, sizes, seconds)
    compute = one['step_seconds']
    modelled = {n: compute / (compute + ring_all_reduce_time(n, one['grad_bytes'], bandwidth, latency))
                for n in MODELLED_RANKS}
    return {
        'all_reduce': [{'bytes': m, 'seconds': t, 'algbw_GBps': m / t / 1e9, 'busbw_GBps': m / t / 1e9}
                       for m, t in two['all_reduce']],          # 2 (N - 1) / N = 1 for N = 2
        'fitted_bandwidth_GBps': bandwidth / 1e9, 'fitted_latency_us': latency * 1e6,
        'grad_bytes': one['grad_bytes'], 'step_seconds': {1: compute, 2: two['step_seconds']},
        'efficiency': {1: 1.0, 2: compute / two['step_seconds'], **modelled},
    }


def report(s):
    print("all-reduce, 2 ranks (float32)")
    print(f"{'bytes':>10} {'time (us)':>10} {'algbw GB/s':>11} {'busbw GB/s':>11}")
    for row in s['all_reduce']:
        print(f"{row['bytes']:>10} {row['seconds'] * 1e6:>10.1f} {row['algbw_GBps']:>11.3f} {row['busbw_GBps']:>11.3f}")
    print(f"\nring model fitted: B = {s['fitted_bandwidth_GBps']:.2f} GB/s, alpha = {s['fitted_latency_us']:.1f} us")
    print(f"\nDDP step of an MLP ({s['grad_bytes'] / 2 ** 20:.1f} MiB of gradients), same batch per rank")
    for n, eff in s['efficiency'].items():
        kind = 'measured' if int(n) <= 2 else 'modelled'
        step = s['step_seconds'].get(n)
        when = f"{step * 1e3:8.1f} ms/step" if step is not None else " " * 16
        print(f"  {int(n):>3} ranks  {when}  scaling efficiency {eff:6.1%}  ({kind})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--quick', action='store_true', help='fewer sizes and repeats (a few seconds)')
    parser.add_argument('--json', help='also write the summary to this file')
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--sizes', type=int, nargs='+', default=[4 ** k for k in range(6, 13)])
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.quick:
        args.repeats, args.steps, args.sizes = 5, 3, [4 ** k for k in range(6, 12, 2)]
    summary = summarise(launch(1, args), launch(2, args))
    report(summary)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(summary, f, indent=1)
    return summary


if __name__ == '__main__':
    main()
