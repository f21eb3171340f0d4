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
# # Chapter 8 — Multi-head attention and positional encoding
#
# **Mirrors:** article 000 (*大模型入门：Transformer*) §3.3 数学模型公式 (multi-head attention, sinusoidal positional
# encoding); article 003 (*大模型：从理论到实践的应用*) §2 (positional encoding, sinusoidal vs learned) and §3.2.2
# 多头注意力机制.
#
# Chapter 7's attention has one set of queries, keys and values. **Multi-head attention** (多头注意力) runs several
# attentions side by side, each in its own subspace, so one head can follow the previous word while another
# follows the subject. And attention alone cannot tell the order of its inputs, so the Transformer adds a
# **positional encoding** (位置编码) to every token. Both are built by hand here and checked against
# `nn.MultiheadAttention` and `nn.PositionalEncoding`; then a small model shows that without positions a task
# about order cannot be learned.
#
# | here | article |
# | --- | --- |
# | 1. Multi-head attention by hand | 000 §3.3; 003 §3.2.2 |
# | 2. Attention ignores order | 000 §3.3 |
# | 3. Sinusoidal positional encoding | 000 §3.3; 003 §2 |
# | 4. Learned positions | 003 §2 |
# | 5. Positions matter: a model with and without them | 003 §2 |

# %%
# %matplotlib inline
import math
import os
import pathlib
import sys

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
# ## 1. Multi-head attention by hand (article 000 §3.3; article 003 §3.2.2)
#
# $$\mathrm{head}_i = \mathrm{Attention}(QW_i^Q, KW_i^K, VW_i^V), \qquad
# \mathrm{MultiHead}(Q,K,V) = \mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h)\,W^O .$$
#
# Each of the $h$ heads works in a subspace of size $E/h$. `nn.MultiheadAttention` keeps PyTorch's parameters:
# `in_proj_weight` stacks $W^Q, W^K, W^V$ of all heads into one $(3E, E)$ matrix, and `out_proj` is $W^O$. The heads
# are not computed in a Python loop: after projecting, the $E$ features are **split into heads** (reshape to
# $(N, L, h, E/h)$, then move the head axis forward), so one batched matrix product serves every sequence and
# every head. Then the heads are **merged** back side by side (the Concat).

# %%
E, h, N, L = 8, 2, 3, 4                       # embedding size, heads, batch, sequence length
mha = nn.MultiheadAttention(embed_dim=E, num_heads=h, batch_first=True)
x = minigrad.randn(N, L, E)

def split_heads(t):                           # (N, L, E) -> (N, h, L, E/h)
    return t.reshape(N, L, h, E // h).transpose(1, 2)

with minigrad.no_grad():
    out, weights = mha(x, x, x, average_attn_weights=False)        # self-attention: query = key = value = x
    q, k, v = (split_heads(t) for t in F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1))
    A_heads = (q @ k.transpose(-2, -1) / math.sqrt(E // h)).softmax(-1)   # (N, h, L, L): every head at once
    concat = (A_heads @ v).transpose(1, 2).reshape(N, L, E)              # merge: Concat(head_1, ..., head_h)
    out_by_hand = mha.out_proj(concat)                                    # ... W^O

print("output", tuple(out.shape), " weights", tuple(weights.shape), " parameters", mha.num_parameters())
assert np.allclose(out.numpy(), out_by_hand.numpy(), atol=1e-5)
assert np.allclose(weights.numpy(), A_heads.numpy(), atol=1e-6)
assert mha.num_parameters() == 4 * E * E + 4 * E                      # W^Q, W^K, W^V, W^O and their biases

# %% [markdown]
# Each head has its own pattern of attention — here, for the first sequence:

# %%
fig, axes = plt.subplots(1, h, figsize=(3.2 * h, 2.8), layout="constrained")
for i, ax in enumerate(axes):
    ax.imshow(A_heads[0, i].numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_title(viz.label(f"head {i}", f"注意力头 {i}")); ax.set_xlabel("key"); ax.set_ylabel("query")
plt.show()

# %% [markdown]
# ## 2. Attention ignores order (article 000 §3.3)
#
# Attention compares every query with every key, but nothing in the formula knows *where* a token sits. Shuffle
# the input and the output is shuffled the same way — "dog bites man" and "man bites dog" would get the same
# vectors in a different order. This *permutation equivariance* can be checked directly:

# %%
perm = minigrad.tensor([2, 0, 3, 1])
with minigrad.no_grad():
    out_of_permuted = mha(x[:, perm], x[:, perm], x[:, perm])[0]
    permuted_out = mha(x, x, x)[0][:, perm]
assert np.allclose(out_of_permuted.numpy(), permuted_out.numpy(), atol=1e-5)
print("attention(shuffled input) == shuffled attention(input)")

# %% [markdown]
# ## 3. Sinusoidal positional encoding (article 000 §3.3; article 003 §2)
#
# So order has to be written into the vectors themselves. The original Transformer adds a fixed table:
#
# $$PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d_{model}}}\right), \qquad
# PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d_{model}}}\right).$$
#
# (In article 000 the exponent is typeset so that only the "m" of `d_model` is a subscript; it means the model
# width $d_{model}$.) Each column pair $(2i, 2i+1)$ is a clock hand turning at its own speed, from fast (period
# $2\pi$ positions) to very slow; together they give every position a distinct pattern. `nn.PositionalEncoding`
# keeps the table as the buffer `pe` (saved with the model, not trained) and adds its first rows to a
# `(batch, seq, d_model)` input.

# %%
pos_enc = nn.PositionalEncoding(d_model=64, max_len=100)
table = pos_enc.pe.numpy()                           # (max_len, d_model)
pos, i = 10, 3                                       # two entries against the formula
assert np.isclose(table[pos, 2 * i], math.sin(pos / 10000 ** (2 * i / 64)), atol=1e-6)
assert np.isclose(table[pos, 2 * i + 1], math.cos(pos / 10000 ** (2 * i / 64)), atol=1e-6)
assert np.allclose(pos_enc(minigrad.zeros(1, 100, 64)).numpy()[0], table)    # forward adds the table

dots = table @ table.T                               # PE(p) . PE(q) for every pair of positions
assert np.allclose(np.diagonal(dots, offset=5), dots[0, 5], atol=1e-3)     # depends only on p - q
print("the table follows the formula; PE(p) . PE(q) depends only on the distance p - q")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
im = axes[0].imshow(table.T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
axes[0].set(xlabel="position", ylabel="dimension", title=viz.label("sinusoidal positional encoding", "位置编码"))
fig.colorbar(im, ax=axes[0])
im = axes[1].imshow(dots, cmap="viridis")
axes[1].set(xlabel="position q", ylabel="position p", title="PE(p) . PE(q)")
fig.colorbar(im, ax=axes[1]); plt.tight_layout(); plt.show()

# %% [markdown]
# Each diagonal of the right-hand plot has a single colour: $PE(p)\cdot PE(q)$ depends only on $p - q$, because
# $\sin a\sin b + \cos a\cos b = \cos(a - b)$. Relative positions are therefore easy for attention to read off.
#
# ## 4. Learned positions (article 003 §2)
#
# Article 003 names the other common choice: a **learned positional embedding** (可学习的位置编码), one trainable
# vector per position, `nn.Embedding(max_len, d_model)` (BERT, GPT-2). More flexible, but only `max_len` positions
# exist, whereas the sinusoidal formula gives a vector for any position.

# %%
learned = nn.Embedding(16, 64)                       # 16 positions, trained like any other weight
print("learned table", tuple(learned.weight.shape), " requires_grad:", learned.weight.requires_grad)
try:
    learned(minigrad.tensor([16]))                   # position 16 does not exist
    raise AssertionError("position 16 should not exist")
except IndexError as err:
    print("IndexError:", err)
assert nn.PositionalEncoding(64, max_len=1000).pe.shape == (1000, 64)       # the formula goes on

# %% [markdown]
# ## 5. Positions matter: a model with and without them (article 003 §2)
#
# A task that is only about order: a sequence of 6 random tokens (from 8), and the answer is the **first** token.
# The model embeds the tokens, adds positions (or not), runs one multi-head self-attention with a residual
# connection, averages over the positions and classifies. Without positions it sees only *which* tokens occur, not
# where, and can do no better than guessing among them.

# %%
VOCAB, LENGTH, WIDTH = 8, 6, 32

class FirstToken(nn.Module):
    # embedding (+ positions) -> multi-head self-attention -> mean over positions -> logits
    def __init__(self, positions):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.positions = nn.PositionalEncoding(WIDTH, max_len=LENGTH) if positions else nn.Identity()
        self.attention = nn.MultiheadAttention(WIDTH, num_heads=4, batch_first=True)
        self.out = nn.Linear(WIDTH, VOCAB)

    def forward(self, tokens):
        x = self.positions(self.embed(tokens))
        x = x + self.attention(x, x, x)[0]             # a residual connection around the attention
        return self.out(x.mean(dim=1))

def batch(n):
    tokens = rng.integers(0, VOCAB, (n, LENGTH))
    return minigrad.tensor(tokens), minigrad.tensor(tokens[:, 0])

# %%
x_test, y_test = batch(500)
steps = 150 if FAST else 400
accuracy, curves = {}, {}
for positions in tqdm([False, True], desc="models"):
    model = FirstToken(positions)
    optimizer = Adam(model.parameters(), lr=1e-2)
    curves[positions] = []
    for _ in range(steps):
        tokens, first = batch(64)
        loss = F.cross_entropy(model(tokens), first)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curves[positions].append(loss.item())
    with minigrad.no_grad():
        accuracy[positions] = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
print(f"test accuracy without positions {accuracy[False]:.1%}, with positions {accuracy[True]:.1%}")
assert accuracy[True] > 0.9 and accuracy[False] < 0.6

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(curves[False], lw=0.8, label=f"no positions: {accuracy[False]:.0%} test accuracy")
ax.plot(curves[True], lw=0.8, label=f"sinusoidal positions: {accuracy[True]:.0%}")
ax.set_xlabel("step (batch of 64)"); ax.set_ylabel("cross-entropy"); ax.legend()
ax.set_title(viz.label("Predicting the first token", "位置编码")); plt.show()

# %% [markdown]
# ## Summary
#
# - Multi-head attention = split the features into $h$ heads, attend in each, merge, project with $W^O$: one batched
#   product, $4E^2 + 4E$ parameters.
# - Attention is blind to order (permutation equivariant); positions are added to the embeddings, as a fixed
#   sinusoidal table (any length; $PE(p)\cdot PE(q)$ depends on $p - q$) or a learned one (only `max_len` positions).
# - Without positions, a task about order cannot be learned.
#
# ## Exercises
#
# 1. [`tutorials/16_positional_encoding.py`](../tutorials/16_positional_encoding.py): build the sinusoidal table.
# 2. [`tutorials/17_multi_head.py`](../tutorials/17_multi_head.py): split and merge heads, and multi-head
#    self-attention with them.
# 3. In section 5, replace the sinusoidal table by a learned `nn.Embedding(LENGTH, WIDTH)`. Does it learn as well?
# 4. Change the task to "the last token". Does the model without positions do any better?
#
# Check an exercise with `python -m minigrad check tutorials/17_multi_head.py` (see `tutorials/README.md`).
