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
# # Chapter 15 — Running on a GPU
#
# **Mirrors:** article 002 (*构建你的第一个大模型*) §7 (hardware for training: the **GPU** (图形处理器)) and
# article 003 (*大模型：从理论到实践的应用*) §1.1 背景介绍 (large models cost a great deal of compute and memory).
#
# A large model is a few matrix products repeated billions of times; a GPU runs thousands of multiply-adds at once.
# In a PyTorch-style library moving a model there is one line, `model.to(device)`. We do it with chapter 9's
# Transformer, time training steps, and then look at the other cost article 003 names, **memory** (显存): the L×S
# matrix of attention scores, and the **tiled attention** (分块注意力) that never holds it whole.
# This chapter runs everywhere: without a GPU it says so and runs on the CPU, and every assertion holds on both.
#
# | here | article |
# | --- | --- |
# | 1. One line to the device | 002 §7 |
# | 2. Timing training steps | 002 §7; 003 §1.1 |
# | 3. The memory of attention: composed vs tiled | 003 §1.1 |

# %%
# %matplotlib inline
import math
import os
import pathlib
import sys
import time
import tracemalloc

try:
    import minigrad
except ImportError:          # minigrad is not pip-installed: use the checkout this notebook lives in
    sys.path.insert(0, str(pathlib.Path.cwd().parent))
    import minigrad
print("minigrad", minigrad.__version__)
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: fewer training steps, the same checks

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. One line to the device (article 002 §7)
#
# `minigrad.cuda.is_available()` says whether a GPU can be used (minigrad runs on one through CuPy). The **device**
# (设备) is a string, `'cuda'` or `'cpu'`; `model.to(device)` moves every parameter and buffer there, and each batch
# must be made on the same device. The model is chapter 9's encoder–decoder (`d_model` 64, 4 heads, 2 + 2 layers) on a
# toy task: write 8 digits backwards.

# %%
device = "cuda" if minigrad.cuda.is_available() else "cpu"
print("device:", device, "" if device == "cuda" else "(no GPU here: everything below runs on the CPU)")

V, LENGTH, BOS = 10, 8, 10                          # digits 0-9 and a start token for the decoder
class Reverser(nn.Module):
    def __init__(self, d=64):
        super().__init__()
        self.embed = nn.Embedding(V + 1, d)
        self.pos = nn.PositionalEncoding(d, max_len=LENGTH + 1, dropout=0.0)
        self.transformer = nn.Transformer(d, 4, 2, 2, 256, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d, V)

    def forward(self, src, tgt_in):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1], device=tgt_in.device)
        h = self.transformer(self.pos(self.embed(src)), self.pos(self.embed(tgt_in)), tgt_mask=mask)
        return self.out(h)

# %%
def batch(n, device):
    x = rng.integers(0, V, size=(n, LENGTH))
    y = x[:, ::-1].copy()
    tgt_in = np.concatenate([np.full((n, 1), BOS), y[:, :-1]], axis=1)     # teacher forcing: shifted right
    return tuple(minigrad.tensor(a, device=device) for a in (x, tgt_in, y))

model = Reverser()
x, tgt_in, y = batch(4, "cpu")
with minigrad.no_grad():
    on_cpu = model(x, tgt_in).numpy()
model.to(device)                                   # the one line
with minigrad.no_grad():
    on_device = model(x.to(device), tgt_in.to(device)).cpu().numpy()
print("parameters on", next(model.parameters()).device, "| largest difference CPU vs device:",
      float(np.abs(on_cpu - on_device).max()))
assert str(next(model.parameters()).device).startswith(device) and np.allclose(on_cpu, on_device, atol=1e-4)

# %% [markdown]
# The same weights give the same outputs on either device, up to the rounding of a different order of additions.
#
# ## 2. Timing training steps (article 002 §7; 003 §1.1)
#
# A GPU runs *asynchronously*: a call returns before the work is done, so a timer must wait for it with
# `minigrad.cuda.synchronize()` (on the CPU there is nothing to wait for).

# %%
def sync():
    if device == "cuda":
        minigrad.cuda.synchronize()

def train(model, steps, dev, n=64):
    optimizer = Adam(model.parameters(), lr=1e-3)
    losses, times = [], []
    for _ in tqdm(range(steps), desc=f"training on {dev}"):
        x, tgt_in, y = batch(n, dev)
        start = time.perf_counter()
        loss = F.cross_entropy(model(x, tgt_in).reshape(-1, V), y.reshape(-1))
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        sync(); times.append(time.perf_counter() - start)
        losses.append(loss.item())
    return losses, times

# %%
steps = 80 if FAST else 300
losses, times = train(model, steps, device)
step_ms = 1000 * np.median(times[5:])                # the first steps include warm-up
print(f"{device}: {step_ms:.1f} ms per step (median); loss {losses[0]:.2f} -> {np.mean(losses[-10:]):.2f} "
      f"(guessing: ln 10 = {math.log(10):.2f})")
assert np.mean(losses[-10:]) < 0.8 * math.log(10)    # it learns, on whichever device

# %%
timings = {device: step_ms}
if device == "cuda":                                  # the same steps on the CPU, to compare
    minigrad.manual_seed(0)
    _, cpu_times = train(Reverser(), 20, "cpu")
    timings["cpu"] = 1000 * np.median(cpu_times[5:])
    print(f"CPU {timings['cpu']:.1f} ms vs GPU {step_ms:.1f} ms per step")
else:
    print("no GPU: only the CPU timing above. A model this small gains little on a GPU anyway: "
          "its matrices are too small to keep thousands of cores busy.")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(losses); axes[0].axhline(math.log(10), color="gray", ls="--", label="guessing")
axes[0].set(xlabel="step", ylabel="cross-entropy", title=f"training on {device}"); axes[0].legend()
axes[1].bar(list(timings), list(timings.values()))
axes[1].set(ylabel="ms per step", title=viz.label("time per training step", "训练时间"))
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 3. The memory of attention: composed vs tiled (article 003 §1.1)
#
# Attention written as four Tensor operations (chapter 7) builds the whole **score matrix** (注意力分数矩阵)
# $S = QK^\top/\sqrt{d_k}$, $L \times S$ numbers for L queries and S keys, and then the weights $A$ of the same size:
# $4LS$ bytes each in float32, for every sequence and every head. Tiled attention (FlashAttention) walks over
# blocks of 128 keys with an online softmax and holds one 128×128 tile at a time. `F.scaled_dot_product_attention`
# takes the tiled path while training (a gradient is wanted and the weights themselves are not asked for): then
# the composed path would keep $S$ and $A$ alive for backward. At inference it computes the composed way, which
# is faster and frees the matrices at once. By hand first:

# %%
BLOCK = 128                                          # minigrad's tile size on the CPU
for L in (512, 2048, 8192, 32768):
    print(f"L = S = {L:6d}: scores {4 * L * L / 2**20:9.1f} MiB per head   one tile {4 * BLOCK * BLOCK / 2**10:.0f} KiB")
L, d = (1024, 64) if FAST else (2048, 64)
score_bytes, tile_bytes = 4 * L * L, 4 * BLOCK * BLOCK
assert score_bytes == 4 * 2**20 * (L // 1024) ** 2 and tile_bytes == 64 * 2**10

# %% [markdown]
# Now measured. `tracemalloc` follows NumPy's allocations on the CPU path: we take the **peak** memory of one
# attention of a single head, Q, K, V being (1, L, 64), composed by hand and tiled by the library, and check that
# both give the same output.

# %%
q, k, v = (minigrad.randn(1, L, d, requires_grad=True) for _ in range(3))   # training: gradients wanted

def peak_bytes(fn):
    tracemalloc.start()
    out = fn()                               # what stays allocated is what backward will read
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out.detach(), peak

composed, composed_peak = peak_bytes(lambda: ((q @ k.transpose(-2, -1)) / math.sqrt(d)).softmax(-1) @ v)
tiled, tiled_peak = peak_bytes(lambda: F.scaled_dot_product_attention(q, k, v))
print(f"L = {L}: score matrix {score_bytes / 2**20:.1f} MiB; peak composed {composed_peak / 2**20:.1f} MiB, "
      f"tiled {tiled_peak / 2**20:.1f} MiB")
assert np.allclose(composed.numpy(), tiled.numpy(), atol=1e-5)          # the same attention ...
assert composed_peak >= score_bytes and tiled_peak < score_bytes / 4    # ... in a fraction of the memory

# %%
plt.figure(figsize=(5, 3))
plt.bar(["score matrix (by hand)", "composed (measured)", "tiled (measured)"],
        np.array([score_bytes, composed_peak, tiled_peak]) / 2**20)
plt.ylabel("MiB"); plt.title(viz.label(f"attention memory, L = {L}", "显存")); plt.show()

# %% [markdown]
# The composed path's peak is at least the score matrix (the weights take as much again while it is computed); the
# tiled one stays near the size of Q, K, V and the output. Training makes the gap larger: backward keeps A alive for
# every layer and head, whereas the tiled path recomputes its tiles. That is why long contexts need tiled attention.
#
# ## Summary
#
# - `device = "cuda" if minigrad.cuda.is_available() else "cpu"` and `model.to(device)` move a model; each batch is
#   made on the same device, and the outputs agree with the CPU's.
# - A GPU runs asynchronously: synchronize before reading a timer. Small models gain little from it.
# - Composed attention holds an L×S score matrix (4LS bytes per head); tiled attention one 128×128 tile, and the
#   measured peak memory shows it.
#
# ## Exercises
#
# 1. [`tutorials/24_attention_memory.py`](../tutorials/24_attention_memory.py): the bytes of the score matrix and
#    of the tiles, for a batch, heads and a dtype.
# 2. [`tutorials/30_online_softmax.py`](../tutorials/30_online_softmax.py): the online-softmax update of one block
#    (running max, rescaled sum and accumulator) that lets tiled attention skip the score matrix.
# 3. Measure the peak with `requires_grad=True` on q, k, v and a `.sum().backward()`: how much more does the
#    composed path keep?
# 4. On a GPU, double `d_model` until the GPU beats the CPU per step by 10×.
#
# Check an exercise with `python -m minigrad check tutorials/24_attention_memory.py` (see `tutorials/README.md`).
