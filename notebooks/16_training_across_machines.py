# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # Chapter 16 — Training across machines
#
# **Mirrors:** article 001 (*第四章：AI大模型技术实战*) §8 (计算资源需求高: "training large models needs GPU
# clusters"); article 000 (*大模型入门：Transformer*) §8 (FAQ: how much compute? GPUs or TPUs); article 003
# (*大模型：从理论到实践的应用*) §1 (the cost of training and running large models).
#
# The articles stress that large models are trained on clusters of GPUs, without saying how. This chapter shows how,
# on a real engine. **Data parallelism** (数据并行) runs N copies of the model, each on its own share of the batch,
# and averages their gradients with an **all-reduce** (全归约); the **ring all-reduce** (环形全归约) keeps every link
# busy; **gradient buckets** (梯度分桶) overlap it with backward; and when a model no longer fits on one GPU, it is
# itself split: ZeRO, **tensor parallelism** (张量并行) and **pipeline parallelism** (流水线并行).
#
# | here | article |
# | --- | --- |
# | 1. Data parallelism: N copies of the model, gradients averaged, the same step as one big batch | 001 §8 |
# | 2. The ring all-reduce: averaging N arrays with every link busy, drawn step by step | 001 §8 |
# | 3. Its cost, timed: `benchmarks/distributed.py` under `mpiexec` (when MPI is installed), 8 and 64 ranks | 000 §8 |
# | 4. Gradient buckets: why DistributedDataParallel sends a few large messages during backward | 001 §8 |
# | 5. When one GPU is not enough: memory arithmetic for a GPT-3-size model | 003 §1; 000 §8 |
#
# Real runs use `minigrad.distributed` under MPI: `mpiexec -n 2 python -m minigrad demo --distributed` trains the digits
# CNN on two processes. A notebook is one process, so here the ranks are simulated where needed; every figure below is
# checked by an `assert`.

# %%
# %matplotlib inline
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

try:
    import minigrad
except ImportError:          # minigrad is not pip-installed: use the checkout this notebook lives in
    sys.path.insert(0, str(pathlib.Path.cwd().parent))
    import minigrad
print("minigrad", minigrad.__version__)
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests; this chapter trains nothing long either way

import matplotlib.pyplot as plt
import numpy as np

from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.distributed.ring import ring_all_reduce, ring_all_reduce_time, fit_ring_model

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable

# %% [markdown]
# ## 1. Data parallelism: N small batches make one big one (article 001 §8)
#
# Each of N ranks holds the same model and computes the gradient of the mean loss on its own b samples. Averaging those
# N gradients gives the gradient of the mean loss over all N·b samples — the gradient one process would compute on the
# whole batch. So if every rank starts from the same parameters and applies the same averaged gradient, every rank takes
# exactly the step of a single large-batch run. `DistributedDataParallel` enforces the three rules: broadcast rank 0's
# parameters at the start, all-reduce the gradients after backward, and let each rank's optimizer do the rest.
#
# Below, four "ranks" are four copies of one MLP in this process.

# %%
minigrad.manual_seed(0)
N, b = 4, 8
x, y = minigrad.randn(N * b, 10), minigrad.randint(0, 3, (N * b,))


def make_model():
    minigrad.manual_seed(1)                     # rule 1: every replica starts from the same weights
    return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 3))


one = make_model()                              # one process, batch N·b
replicas = [make_model() for _ in range(N)]     # N ranks, batch b each

# %% [markdown]
# Five SGD steps, side by side: the one-process model on the whole batch, and the four replicas on their shards with
# their gradients averaged before each step.

# %%
opt_one = optim.SGD(one.parameters(), lr=0.5)
opt_replicas = [optim.SGD(r.parameters(), lr=0.5) for r in replicas]
for step in range(5):
    opt_one.zero_grad()
    F.cross_entropy(one(x), y).backward()
    opt_one.step()
    for rank, (model, opt) in enumerate(zip(replicas, opt_replicas)):
        opt.zero_grad()
        shard = slice(rank * b, (rank + 1) * b)
        F.cross_entropy(model(x[shard]), y[shard]).backward()
    for params in zip(*(r.parameters() for r in replicas)):        # rule 2: the all-reduce (AVG)
        mean = sum(p.grad.numpy() for p in params) / N
        for p in params:
            p.grad = minigrad.tensor(mean)
    for opt in opt_replicas:                                         # rule 3: the same step everywhere
        opt.step()

gap = max(np.abs(p.detach().numpy() - q.detach().numpy()).max()
          for r in replicas for p, q in zip(r.parameters(), one.parameters()))
print(f"after 5 steps, largest difference between a replica and the one-process model: {gap:.1e}")
assert gap < 1e-6, gap         # equal up to float32 rounding (the sums are taken in another order)

# %% [markdown]
# The test suite checks the same equality for real: two MPI processes running `DistributedDataParallel` on an MLP and on
# a Transformer end within 1e-7 of one process with the doubled batch (`tests/distributed/`). One caveat found there:
# with Adam the agreement is only to about 1e-3, because attention's key bias has an exactly-zero gradient whose float32
# rounding noise Adam divides by its own size.

# %% [markdown]
# ## 2. The ring all-reduce, drawn (article 001 §8)
#
# The naive all-reduce sends every gradient to rank 0 and the sum back: rank 0's link carries 2(N−1)·M bytes and the
# others idle. The ring does better. Each rank cuts its array into N chunks and talks only to its right-hand
# neighbour. In N−1 **reduce-scatter** steps each chunk travels round the ring collecting the sum; in N−1
# **all-gather** steps the finished chunks travel round once more. Every link carries one chunk per step, so each rank
# sends 2(N−1) chunks of M/N bytes:
#
# $$T(N, M) = 2\frac{N-1}{N}\frac{M}{B} + 2(N-1)\,\alpha$$
#
# with B the bandwidth of a link and α the latency of a message. The first term tends to 2M/B however many ranks join.

# %%
N = 4
arrays = [np.full(N, float(10 ** r)) for r in range(N)]      # rank r holds 10^r in every chunk: sums stay readable
results, log = ring_all_reduce(arrays)
assert all(np.array_equal(r, sum(arrays)) for r in results)
sent = [sender for _, _, sender, _, _ in log]
assert all(sent.count(r) == 2 * (N - 1) for r in range(N))   # 2(N-1) chunks each, as the formula says

# %% [markdown]
# Replaying the log shows what each rank holds of each chunk after every step.

# %%
# replay the log to draw what each rank holds of each chunk after every step
state = [[{r} for _ in range(N)] for r in range(N)]          # state[rank][chunk]: whose contributions are in it
frames = [[row[:] for row in state]]
for step in range(2 * (N - 1)):
    phase = 'reduce-scatter' if step < N - 1 else 'all-gather'
    msgs = [m for m in log if m[0] == phase and m[1] == step % (N - 1)]
    outgoing = [(receiver, chunk, set(state[sender][chunk])) for _, _, sender, receiver, chunk in msgs]
    for receiver, chunk, contributions in outgoing:
        state[receiver][chunk] = state[receiver][chunk] | contributions if phase == 'reduce-scatter' else contributions
    frames.append([[set(c) for c in row] for row in state])
assert all(len(c) == N for row in frames[-1] for c in row)      # every rank ends with every complete chunk

# %%
fig, axes = plt.subplots(1, len(frames), figsize=(2.1 * len(frames), 2.6))
for k, (ax, frame) in enumerate(zip(axes, frames)):
    ax.imshow([[len(c) for c in row] for row in frame], vmin=1, vmax=N, cmap='Blues')
    ax.set_title('start' if k == 0 else f"{'RS' if k <= N - 1 else 'AG'} step {(k - 1) % (N - 1) + 1}", fontsize=9)
    ax.set_xticks(range(N), [f'c{c}' for c in range(N)], fontsize=7)
    ax.set_yticks(range(N), [f'rank {r}' for r in range(N)], fontsize=7)
    for r in range(N):
        for c in range(N):
            ax.text(c, r, len(frame[r][c]), ha='center', va='center', fontsize=7)
fig.suptitle('ring all-reduce, 4 ranks: how many ranks\' contributions each chunk holds (4 = complete)', fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the picture left to right: after the three reduce-scatter steps (RS) every chunk is complete on exactly one
# rank (the diagonal of 4s); after the three all-gather steps (AG) every rank holds every complete chunk.

# %% [markdown]
# ## 3. The cost, timed (article 000 §8)
#
# `benchmarks/distributed.py` launches itself under `mpiexec -n 1` and `-n 2`, times `all_reduce` by message size, fits
# B and α to the formula, and times a DistributedDataParallel step. Where MPI is not installed we fall back on figures
# of the same order measured on a 2-core laptop, so the rest of the chapter still runs.

# %%
mpiexec = shutil.which('mpiexec', path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')]))
try:
    import mpi4py  # noqa: F401
    have_mpi = mpiexec is not None
except ImportError:
    have_mpi = False
if have_mpi:
    sys.path.insert(0, os.path.join('..', 'benchmarks'))
    import distributed as distributed_benchmark
    summary = distributed_benchmark.main(['--quick'])
    sizes = [row['bytes'] for row in summary['all_reduce']]
    times = [row['seconds'] for row in summary['all_reduce']]
    bandwidth, latency = summary['fitted_bandwidth_GBps'] * 1e9, summary['fitted_latency_us'] * 1e-6
else:
    sizes = [4096, 65536, 1048576]
    times = [ring_all_reduce_time(2, m, 1.5e9, 20e-6) for m in sizes]
    bandwidth, latency = fit_ring_model(2, sizes, times)
print(f"fitted: B = {bandwidth / 1e9:.2f} GB/s, alpha = {latency * 1e6:.1f} us (measured: {have_mpi})")

# %%
grid = np.logspace(3, 9, 50)
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(sizes, times, 'o', label='2 ranks, measured' if have_mpi else '2 ranks, assumed')
for n in (2, 8, 64):
    ax.loglog(grid, [ring_all_reduce_time(n, m, bandwidth, latency) for m in grid], label=f'model, {n} ranks')
ax.set(xlabel='message (bytes)', ylabel='all-reduce time (s)', title='ring all-reduce: latency-bound, then bandwidth-bound')
ax.legend(fontsize=8)
plt.show()

# %%
# the headline of the ring: going from 8 to 64 ranks barely changes the time for a large message
big = 4e8                      # 100 M float32 gradients
t8, t64 = (ring_all_reduce_time(n, big, bandwidth, latency) for n in (8, 64))
print(f"100 M gradients: {t8:.2f} s on 8 ranks, {t64:.2f} s on 64 ranks")
assert t64 / t8 < 1.2 and t64 < 2 * big / bandwidth + 126 * latency

# %% [markdown]
# ## 4. Gradient buckets (article 001 §8)
#
# How should the gradients be cut into messages? One all-reduce per parameter pays α once per tensor: a Transformer has
# hundreds. One all-reduce of everything must wait for the whole backward pass. `DistributedDataParallel` groups the
# parameters, in reverse order (backward produces the last layer's gradients first), into buckets of about
# `bucket_cap_mb` (25 MB by default) and starts a bucket's all-reduce, asynchronously, the moment its last gradient is
# accumulated — a `Tensor.register_post_accumulate_grad_hook` tells it — while backward computes the earlier layers.

# %%
from minigrad.nn.parallel import _make_buckets

model = nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 4, 1024, batch_first=True), 6)
params = [p for p in model.parameters()]
grad_bytes = sum(p.numel() * 4 for p in params)
print(f"{len(params)} parameter tensors, {grad_bytes / 2 ** 20:.1f} MiB of gradients")
for cap_mb in (0.25, 1, 4, 25):
    buckets = _make_buckets(params, cap_mb * 2 ** 20)
    cost = sum(ring_all_reduce_time(64, bucket.nbytes, bandwidth, latency) for bucket in buckets)
    print(f"bucket_cap_mb={cap_mb:>5}: {len(buckets):3d} all-reduces, {cost * 1e3:7.2f} ms on 64 ranks "
          f"(one per tensor: {sum(ring_all_reduce_time(64, p.numel() * 4, bandwidth, latency) for p in params) * 1e3:.2f} ms)")
assert len(_make_buckets(params, 25 * 2 ** 20)) == 1 and len(_make_buckets(params, 2 ** 18)) > 6

# %% [markdown]
# Fewer, larger messages pay less latency; smaller buckets start earlier and overlap more of backward. PyTorch's default
# of 25 MB is the compromise, and for a model of tens of millions of parameters it gives a handful of buckets.
#
# ## 5. When one GPU is not enough: a model of GPT-3's size (article 003 §1; article 000 §8)
#
# Data parallelism keeps a *whole* replica on every GPU. For GPT-3 (Ψ = 175 billion parameters), trained with Adam in
# mixed precision, each parameter costs 2 bytes of fp16 weight, 2 of fp16 gradient, and K = 12 of optimizer state (an
# fp32 master copy, Adam's m and v): 16 bytes.

# %%
psi = 175e9
weights, grads, optimizer_state = 2 * psi, 2 * psi, 12 * psi
total = weights + grads + optimizer_state
gpu = 80e9                                    # an 80 GB accelerator
print(f"weights {weights / 1e12:.2f} TB + gradients {grads / 1e12:.2f} TB + Adam {optimizer_state / 1e12:.1f} TB "
      f"= {total / 1e12:.1f} TB per replica, {total / gpu:.0f} times an 80 GB GPU")
assert total == 2.8e12 and total / gpu == 35

# %% [markdown]
# 2.8 TB does not fit on any device, before counting activations. Three ways to split the model itself:
#
# - **ZeRO** (DeepSpeed; PyTorch's FSDP) keeps data parallelism but stops replicating: stage 1 shards the optimizer state
#   over the N_d data-parallel ranks, stage 2 the gradients too (reduce-scatter instead of all-reduce: each rank only
#   needs its shard of the sum), stage 3 the weights, gathered layer by layer just before use. Same bytes on the wire as
#   the ring's two halves, a 1/N_d share of the memory.
# - **Tensor parallelism** (Megatron-LM) splits each matrix multiplication across the GPUs of one node: the first
#   linear layer of an MLP by columns, the second by rows, so one all-reduce per layer joins the halves. It needs the
#   fast links inside a node (NVLink), since it communicates inside every layer, forward and backward.
# - **Pipeline parallelism** gives each group of GPUs a stage of consecutive layers (GPT-3's 96 layers: 12 per stage on
#   8 stages) and streams micro-batches through them, so the stages work at once; only activations cross stages.
#
# Per-GPU memory for model state on 64 GPUs:

# %%
n_d = 64
per_gpu = {
    'data parallel (DDP)': total,
    'ZeRO-1 (optimizer state sharded)': weights + grads + optimizer_state / n_d,
    'ZeRO-2 (+ gradients)': weights + (grads + optimizer_state) / n_d,
    'ZeRO-3 (+ weights)': total / n_d,
    'tensor 8 x pipeline 8': total / (8 * 8),
}
for name, nbytes in per_gpu.items():
    print(f"{name:34s} {nbytes / 1e9:8.1f} GB  {'fits' if nbytes < gpu else 'does not fit'} in 80 GB")
assert per_gpu['ZeRO-2 (+ gradients)'] > gpu > per_gpu['ZeRO-3 (+ weights)'] == 43.75e9

# %% [markdown]
# Only full sharding (or tensor × pipeline parallelism) brings the state of a GPT-3-size model under a GPU's memory on
# 64 GPUs, and activations and their checkpoints still need room. That is why such models are trained with all three
# combined ("3-D parallelism"): tensor parallelism inside a node, pipeline stages across nodes, and data parallelism —
# often ZeRO-sharded — over the copies of the pipeline, each level using the collectives of this chapter. GPT-3 itself
# was trained on a cluster of thousands of GPUs.

# %% [markdown]
# ## Summary
#
# - Data parallelism: every rank starts from the same weights, all-reduces (averages) its gradients, and takes the same
#   step — exactly the step of one process on the whole batch.
# - The ring all-reduce sends $2(N-1)$ chunks of $M/N$ bytes per rank: its time tends to $2M/B$ however many ranks
#   join; buckets of ~25 MB trade latency against overlap with backward.
# - A GPT-3-size model's training state (2.8 TB) fits on no GPU: ZeRO shards it over the data-parallel ranks, tensor
#   and pipeline parallelism split the model itself.
#
# ## Exercises
#
# 1. [`tutorials/02_gradient_descent.py`](../tutorials/02_gradient_descent.py): the SGD and momentum step every rank
#    takes after the all-reduce (it must be the same on every rank, or the replicas drift apart).
# 2. [`tutorials/11_training_loop.py`](../tutorials/11_training_loop.py): the training loop that `DistributedDataParallel`
#    wraps; in §1, where would its `zero_grad`, `backward` and `step` go for each replica?
# 3. In §1, give each replica its own seed in `make_model()`. How large is the gap after 5 steps, and which of the three
#    rules did you break?
# 4. With the fitted B and α of §3, at what message size does the ring on 64 ranks switch from latency-bound to
#    bandwidth-bound?
#
# Check an exercise with `python -m minigrad check tutorials/02_gradient_descent.py` (see `tutorials/README.md`).
