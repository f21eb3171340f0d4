"""The programs that tests/distributed/test_distributed.py launches with ``mpiexec -n 2``.

    mpiexec -n 2 python tests/distributed/ranks.py train    # collectives, then DDP == one big batch
    mpiexec -n 2 python tests/distributed/ranks.py raise    # rank 1 raises: every rank must exit
    mpiexec -n 2 python tests/distributed/ranks.py stall    # rank 1 skips a collective: rank 0 times out
    mpiexec -n 2 python tests/distributed/ranks.py kill     # rank 1 is SIGKILLed inside training
    mpiexec -n 2 python tests/distributed/ranks.py shapes   # the ranks wrap different models

``train`` prints one ``RESULT`` line per check on rank 0; the others print their error and exit.
"""
import copy
import os
import signal
import sys
import time

import numpy

import minigrad
import minigrad.distributed as dist
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.utils.data import DataLoader, DistributedSampler, TensorDataset

# seconds a collective may wait: short where a fault must end the run quickly; long for training,
# where rank 1 waits at the last barrier while rank 0 trains the one-process reference
FAULT_TIMEOUT, TRAIN_TIMEOUT = 3, 60


def check_collectives(rank, world):
    t = minigrad.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t)
    assert t.tolist() == [world * (world + 1) / 2, world * (world + 1)], t
    t = minigrad.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t, dist.ReduceOp.AVG, async_op=True).wait()
    assert t.tolist() == [(world + 1) / 2, world + 1], t
    t = minigrad.tensor([rank, -rank], dtype=minigrad.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    assert t.tolist() == [world - 1, 0], t
    t = minigrad.arange(6.0).reshape(2, 3).T * (rank + 1)          # a strided view: staged and copied back
    dist.broadcast(t, src=world - 1)
    assert t.tolist() == (minigrad.arange(6.0).reshape(2, 3).T * world).tolist(), t
    out = [minigrad.zeros(2) for _ in range(world)]
    dist.all_gather(out, minigrad.tensor([rank, 10.0 * rank]))
    assert [o.tolist() for o in out] == [[r, 10.0 * r] for r in range(world)], out
    dist.barrier()
    return "collectives ok"


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, x):
        return self.net(x)


class TinyTransformer(nn.Module):
    """Token embedding, two encoder layers (no dropout: the ranks' masks could not match one
    process's), a classifier over the mean of the sequence."""

    def __init__(self, vocab=11, d=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(d, 3)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(dim=1))


def data_for(kind, n):
    rng = numpy.random.default_rng(1)
    if kind == 'mlp':
        x = minigrad.tensor(rng.standard_normal((n, 8)).astype(numpy.float32))
    else:
        x = minigrad.tensor(rng.integers(0, 11, (n, 6)))
    return TensorDataset(x, minigrad.tensor(rng.integers(0, 3, n)))


def train(model, loader, sampler, opt, steps, accumulate, sync_context):
    """``steps`` optimizer steps; each sums the gradients of ``accumulate`` batches (all but the last
    under ``sync_context()``, DDP's no_sync), from an epoch-reshuffled sampler."""
    batches = iter(())
    epoch = 0
    for _ in range(steps):
        opt.zero_grad()
        for micro in range(accumulate):
            batch = next(batches, None)
            if batch is None:
                sampler.set_epoch(epoch)
                epoch += 1
                batches = iter(loader)
                batch = next(batches)
            x, y = batch
            with (sync_context() if micro < accumulate - 1 else _nothing()):
                F.cross_entropy(model(x), y).backward()
        opt.step()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def check_equivalence(kind, rank, world, b=4, steps=6, accumulate=1, bucket_cap_mb=0.002):
    """DDP over ``world`` ranks with batch b each == one process with batch world * b."""
    minigrad.manual_seed(rank)                        # different on purpose: DDP must broadcast rank 0's
    model = MLP() if kind == 'mlp' else TinyTransformer()
    reference = copy.deepcopy(model) if rank == 0 else None
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    # SGD, not Adam: attention's key bias has a gradient of exactly zero in exact arithmetic, so in
    # float32 it is rounding noise, which Adam divides by its own size and turns into steps of lr
    def make_opt(params):
        return optim.SGD(params, lr=0.1, momentum=0.9)
    data = data_for(kind, 2 * world * b * accumulate)   # two epochs in `steps`, reshuffled by set_epoch
    sampler = DistributedSampler(data, shuffle=True, seed=7)
    train(ddp, DataLoader(data, batch_size=b, sampler=sampler), sampler, make_opt(ddp.parameters()), steps,
          accumulate, ddp.no_sync)

    # every rank holds the same parameters...
    for p in model.parameters():
        theirs = [minigrad.zeros_like(p) for _ in range(world)]
        dist.all_gather(theirs, p.detach())
        assert all(numpy.array_equal(t.numpy(), p.detach().numpy()) for t in theirs), "replicas diverged"
    if rank != 0:
        return None
    # ... and they are those of one process that saw each step's world * b samples at once
    whole = DistributedSampler(data, num_replicas=1, rank=0, shuffle=True, seed=7)
    train(reference, DataLoader(data, batch_size=world * b, sampler=whole), whole,
          make_opt(reference.parameters()), steps, accumulate, _nothing)
    diff = max(float(numpy.abs(p.detach().numpy() - q.detach().numpy()).max())
               for p, q in zip(model.parameters(), reference.parameters()))
    assert diff < 1e-5, f"{kind}: DDP and one process differ by {diff:.3g}"
    return f"{kind} accumulate={accumulate} buckets={len(ddp._buckets)} max|diff|={diff:.3g}"


def main(scenario):
    dist.init_process_group('mpi', timeout=TRAIN_TIMEOUT if scenario == 'train' else FAULT_TIMEOUT)
    rank, world = dist.get_rank(), dist.get_world_size()
    if scenario == 'train':
        results = [check_collectives(rank, world),
                   check_equivalence('mlp', rank, world),
                   check_equivalence('mlp', rank, world, accumulate=2, steps=4),
                   check_equivalence('transformer', rank, world, steps=4)]
        if rank == 0:
            for line in results:
                print("RESULT", line, flush=True)
    elif scenario == 'raise':
        if rank == 1:
            raise ValueError("rank 1 fails on purpose")
        dist.all_reduce(minigrad.ones(3))
    elif scenario == 'stall':
        if rank == 1:
            time.sleep(60)                  # never joins: rank 0's collective must time out
        dist.all_reduce(minigrad.ones(3))
    elif scenario == 'kill':
        if rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        dist.all_reduce(minigrad.ones(3))
    elif scenario == 'shapes':
        DistributedDataParallel(nn.Linear(4, 2 + rank))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
