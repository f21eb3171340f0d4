"""minigrad.distributed, DistributedDataParallel and DistributedSampler.

Two kinds of test:

- in this process: the sampler's shards, the ring all-reduce simulation and its cost model, the
  post-accumulate-grad hook, the bucketing, and the collectives in a world of one (needs mpi4py);
- under ``mpiexec -n 2`` (tests/distributed/ranks.py, as a subprocess with a timeout): the
  collectives between two processes, DDP == one process with the whole batch (an MLP, with and
  without no_sync, and a Transformer), and the faults: a rank that raises, a rank that never joins
  a collective, a rank killed with SIGKILL, and ranks that wrap different models must all end
  every rank, quickly, with the error shown.

The multi-process tests skip, saying why, where mpi4py or mpiexec is missing:
``pip install -e ".[distributed]"`` (mpi4py and PyPI's MPICH) provides both.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.distributed.ring import fit_ring_model, ring_all_reduce, ring_all_reduce_time
from minigrad.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parents[2]
RANKS = Path(__file__).with_name('ranks.py')
# mpiexec next to this interpreter (pip's mpich installs it in the virtual environment), else on PATH
MPIEXEC = shutil.which('mpiexec', path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')]))

try:
    import mpi4py  # noqa: F401
    HAVE_MPI4PY = True
except ImportError:
    HAVE_MPI4PY = False

needs_mpi4py = pytest.mark.skipif(not HAVE_MPI4PY, reason="mpi4py is not installed (pip install mpi4py mpich)")
needs_mpiexec = pytest.mark.skipif(not (HAVE_MPI4PY and MPIEXEC),
                                   reason="mpi4py or mpiexec is missing (pip install mpi4py mpich)")


def launch(*args, timeout=90):
    """Run ``mpiexec -n 2 python <args>`` from the repository root; ``(exit status, output, seconds)``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])),
               OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1')
    start = time.perf_counter()
    done = subprocess.run([MPIEXEC, '-n', '2', sys.executable, *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


# ----- in this process -----

@pytest.mark.parametrize('n, world, drop_last', [(10, 2, False), (11, 4, False), (11, 4, True), (3, 4, False)])
def test_sampler_shards_are_disjoint_equal_and_cover_the_data(n, world, drop_last):
    shards = [list(DistributedSampler(range(n), world, r, shuffle=False, drop_last=drop_last)) for r in range(world)]
    assert len({len(s) for s in shards}) == 1 and len(shards[0]) == len(DistributedSampler(range(n), world, 0,
                                                                                          drop_last=drop_last))
    together = sorted(i for s in shards for i in s)
    if drop_last:
        assert len(set(together)) == len(together) == n // world * world
    else:
        assert set(together) == set(range(n)) and len(together) == -(-n // world) * world   # padded by repeats
    assert shards[1][:2] == [1, 1 + world] or n < world + 2


def test_sampler_reshuffles_with_set_epoch_the_same_on_every_rank():
    samplers = [DistributedSampler(range(12), 2, r, seed=3) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == list(range(12))
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(second[0] + second[1]) == list(range(12))
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


@pytest.mark.parametrize('world', [1, 2, 3, 8])
def test_ring_all_reduce_simulation_sums_and_sends_2_n_minus_1_chunks(world):
    rng = numpy.random.default_rng(world)
    arrays = [rng.standard_normal((5, 3)) for _ in range(world)]
    results, log = ring_all_reduce(arrays)
    for r in results:
        numpy.testing.assert_allclose(r, sum(arrays))
    senders = [sender for _, _, sender, _, _ in log]
    assert all(senders.count(rank) == 2 * (world - 1) for rank in range(world))
    assert all(receiver == (sender + 1) % world for _, _, sender, receiver, _ in log)


def test_ring_cost_model_and_its_fit():
    bandwidth, latency = 5e9, 20e-6
    assert ring_all_reduce_time(1, 1e9, bandwidth, latency) == 0
    # 2 (N-1)/N M/B + 2 (N-1) alpha; the bandwidth term tends to 2 M / B
    assert ring_all_reduce_time(2, 1e9, bandwidth, latency) == pytest.approx(1e9 / bandwidth + 2 * latency)
    assert ring_all_reduce_time(64, 1e9, bandwidth, latency) < 2 * 1e9 / bandwidth + 126 * latency + 1e-12
    sizes = numpy.array([1e3, 1e5, 1e7])
    times = [ring_all_reduce_time(2, m, bandwidth, latency) for m in sizes]
    fitted_b, fitted_a = fit_ring_model(2, sizes, times)
    assert fitted_b == pytest.approx(bandwidth, rel=1e-6) and fitted_a == pytest.approx(latency, rel=1e-6)


def test_post_accumulate_grad_hook_runs_once_with_the_whole_gradient():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    ((w * w).sum() + (3 * w).sum()).backward()           # two paths into w: one call, after both
    assert seen == [[5.0, 7.0]]
    handle.remove()
    (w * w).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_buckets_follow_reverse_parameter_order_and_the_cap():
    from minigrad.nn.parallel import _make_buckets
    model = nn.Sequential(nn.Linear(16, 16), nn.Linear(16, 16), nn.Linear(16, 4))
    params = list(model.parameters())
    one = _make_buckets(params, 2 ** 20)
    assert len(one) == 1 and one[0].params == params[::-1]
    # a bucket closes when the next gradient would overflow it: (b3, w3, b2) (w2, b1) (w1)
    capped = _make_buckets(params, (16 * 16 + 16) * 4)
    assert [b.params for b in capped] == [params[:-4:-1], params[2:0:-1], params[:1]]


@needs_mpi4py
def test_collectives_and_ddp_in_a_world_of_one():
    import minigrad.distributed as dist
    from minigrad.nn.parallel import DistributedDataParallel
    dist.init_process_group('mpi', timeout=10)
    try:
        assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size()) == (True, 0, 1)
        with pytest.raises(RuntimeError, match="already initialized"):
            dist.init_process_group('mpi')
        t = minigrad.tensor([1.0, 2.0])
        dist.all_reduce(t, dist.ReduceOp.AVG)
        assert t.tolist() == [1.0, 2.0]
        model = nn.Linear(3, 2)
        ddp = DistributedDataParallel(model, bucket_cap_mb=1e-5)          # one bucket per tensor
        x = minigrad.randn(4, 3)
        with ddp.no_sync():
            ddp(x).sum().backward()
        ddp(x).sum().backward()
        numpy.testing.assert_allclose(model.weight.grad.numpy(), 2 * x.sum(0).numpy()[None].repeat(2, 0), rtol=1e-6)
        two_heads = nn.ModuleDict({'used': nn.Linear(3, 2), 'unused': nn.Linear(3, 2)})
        partial = DistributedDataParallel(two_heads, bucket_cap_mb=1e-5)
        partial.module['used'](x).sum().backward()          # 'unused' gets no gradient: caught next forward
        with pytest.raises(RuntimeError, match=r"without a gradient: \['unused.weight', 'unused.bias'\]"):
            partial(x)
        assert dist.get_backend() == 'mpi'
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="'mpi' or 'nccl'"):
        dist.init_process_group('gloo')


# ----- under mpiexec -n 2 -----

@needs_mpiexec
def test_two_ranks_train_like_one_process_with_the_whole_batch():
    code, out, _ = launch(RANKS, 'train')
    assert code == 0, out
    assert 'RESULT collectives ok' in out
    for kind in ('mlp accumulate=1', 'mlp accumulate=2', 'transformer accumulate=1'):
        assert f'RESULT {kind}' in out, out


@needs_mpiexec
@pytest.mark.parametrize('scenario, shown', [
    ('raise', 'ValueError: rank 1 fails on purpose'),
    ('stall', 'all_reduce did not complete within 3 s'),
    ('kill', 'signal 9'),
    ('shapes', "every rank must wrap the same model, but rank 0 has 'weight' of shape (2, 4)"),
])
def test_a_failing_rank_ends_every_rank_with_its_error(scenario, shown):
    code, out, seconds = launch(RANKS, scenario, timeout=60)
    assert code != 0, out
    assert shown in out, out
    assert seconds < 30, f"{scenario}: took {seconds:.0f} s to end"


@needs_mpiexec
def test_the_demo_runs_distributed(tmp_path):
    pytest.importorskip('sklearn')
    pytest.importorskip('matplotlib')
    code, out, _ = launch('-m', 'minigrad', 'demo', '--distributed', '--epochs', '1', '--quiet',
                          '--out', tmp_path, timeout=120)
    assert code == 0, out
    assert out.count('test accuracy:') == 1          # rank 0 reports, rank 1 stays quiet
    assert (tmp_path / 'digits_cnn.npz').exists()
