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
# # Chapter 7 — Attention
#
# **Mirrors:** article 004 (*AI大模型的基础知识*) §3.3 自注意力机制 and §4.3 使用PyTorch实现自注意力机制; article 000
# (*大模型入门：Transformer*) §3.3 数学模型公式; article 003 (*大模型：从理论到实践的应用*) §3.2.1 自注意力机制
# (S = QKᵀ, scaling by √d_k, softmax, Z = AV).
#
# An RNN passes information along a sequence step by step. **Attention** (注意力机制) lets every position look at
# every other position directly, with learned weights. It is the core of the Transformer and of every large
# language model. We compute it step by step, see why the scores are divided by $\sqrt{d_k}$, add **masks** (掩码),
# and repair article 004's attention module.
#
# | here | article |
# | --- | --- |
# | 1. Scores, weights, context vectors, step by step | 003 §3.2.1; 000 §3.3; 004 §3.3 |
# | 2. A hand-made example, and the article's double softmax | 004 §3.3 |
# | 3. Why divide by √d_k | 003 §3.2.1 |
# | 4. Masks: causal and padding | 000 §3.3 |
# | 5. The article's attention module, repaired | 004 §4.3 |

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
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: fewer samples, the same checks

import matplotlib.pyplot as plt
import numpy as np

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
np.set_printoptions(precision=3, suppress=True)

def heatmap(ax, weights, rows, cols, title):
    # an attention-weight matrix with its labels: queries down, keys across
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), cols); ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(viz.label("key (looked at)", "键")); ax.set_ylabel(viz.label("query (looking)", "查询"))
    ax.set_title(title)

# %% [markdown]
# ## 1. Scores, weights, context vectors, step by step (article 003 §3.2.1)
#
# Each position $i$ has a **query** (查询) $q_i$ (what it is looking for), a **key** (键) $k_i$ (what it offers to
# be found by) and a **value** (值) $v_i$ (what it hands over when found), all computed from the input by learned
# projections. In **self-attention** (自注意力) all three come from the same sequence $X$:
# $Q = XW^Q$, $K = XW^K$, $V = XW^V$. Then, in article 003's four steps:
#
# $$S = QK^\top, \qquad S' = S/\sqrt{d_k}, \qquad A = \mathrm{softmax}(S') \text{ (each row)}, \qquad Z = AV .$$
#
# $A_{ij}$ is the **attention weight** (注意力权重) query $i$ gives key $j$; row $i$ of $Z$ is the **context vector**
# (上下文向量) of position $i$, a weighted average of the values. Four "words", each a random 8-dimensional vector,
# with $d_k = 4$:

# %%
words = ["the", "cat", "sat", "down"]
d_model, d_k = 8, 4
X = minigrad.randn(len(words), d_model)                        # one row per word
W_q, W_k, W_v = (minigrad.randn(d_model, d_k) / math.sqrt(d_model) for _ in range(3))
Q, K, V = X @ W_q, X @ W_k, X @ W_v                            # each (4, 4): one query/key/value per word

S = Q @ K.T                  # step 1: S_ij = q_i . k_j, how well query i matches key j
S_scaled = S / math.sqrt(d_k) # step 2: divide by sqrt(d_k)
A = S_scaled.softmax(dim=-1)  # step 3: each row becomes a probability distribution over the keys
Z = A @ V                     # step 4: each output row is a weighted average of the value rows
print("A = softmax(Q K^T / sqrt(d_k)):\n", A.numpy())
assert np.allclose(A.sum(dim=-1).numpy(), 1.0, atol=1e-6)        # every row sums to 1

Z_lib = F.scaled_dot_product_attention(Q, K, V)                  # the four steps in one call
assert np.allclose(Z_lib.numpy(), Z.numpy(), atol=1e-6)
print("step by step = F.scaled_dot_product_attention")

# %%
fig, ax = plt.subplots(figsize=(3.8, 3.2))
heatmap(ax, A.numpy(), words, words, viz.label("attention weights A", "注意力权重"))
plt.show()

# %% [markdown]
# ## 2. A hand-made example, and the article's double softmax (article 004 §3.3)
#
# Article 004 writes the score as $e_{ij}$, the weights as $\alpha_{ij} = \mathrm{softmax}_j(e_{ij})$ and the context
# vector as $c_i = \sum_j \alpha_{ij} v_j$ — the same computation. Three queries, four keys, chosen so the answer
# can be read off: query 0 looks for "first coordinate", query 1 for "second coordinate".
#
# **Correction.** The article defines $e_{ij}$ as a softmax already, then applies a softmax *again* to get
# $\alpha$. A second softmax of numbers in $(0, 1)$ can change them only by a factor up to $e$, so it flattens the
# attention towards uniform. It also drops the index $i$ from $\alpha$ (each query has its own distribution) and
# leaves out the scaling by $\sqrt{d_k}$.

# %%
Qh = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=np.float32)
Kh = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
Vh = np.array([[10.0, 0.0], [0.0, 10.0], [5.0, 5.0], [-10.0, 0.0]], dtype=np.float32)

scores = Qh @ Kh.T / np.sqrt(2)                                       # e_ij, (3, 4)
alpha = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)   # softmax over the keys j
context = alpha @ Vh                                                  # c_i = sum_j alpha_ij v_j
c_lib = F.scaled_dot_product_attention(*(minigrad.tensor(a) for a in (Qh, Kh, Vh)))
assert np.allclose(c_lib.numpy(), context, atol=1e-5)
assert alpha[0].argmax() in (0, 2) and alpha[0, 3] < 0.05            # query 0 ignores the key pointing away

double = np.exp(alpha) / np.exp(alpha).sum(axis=1, keepdims=True)   # the article's second softmax
print("softmax once, row 0: ", alpha[0], "\nsoftmax twice, row 0:", double[0])
assert double.max() < alpha.max()                                     # flattened towards 1/4

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), layout="constrained")
keys, queries = [f"key {j}" for j in range(4)], [f"query {i}" for i in range(3)]
heatmap(axes[0], alpha, queries, keys, "softmax once (correct)")
heatmap(axes[1], double, queries, keys, "softmax twice (article 004)")
plt.show()

# %% [markdown]
# ## 3. Why divide by √d_k (article 003 §3.2.1)
#
# Article 003 says the scaling "relieves vanishing or exploding gradients in deeper layers". The real reason is
# the *width* of the vectors. If the entries of $q$ and $k$ have mean 0 and variance 1, the dot product
# $q\cdot k = \sum_{i=1}^{d_k} q_i k_i$ has variance $d_k$. Wide scores make the softmax almost one-hot, and a
# saturated softmax has almost zero gradient, so the projections stop learning. Dividing by $\sqrt{d_k}$ brings
# the scores back to variance 1 at every width. We measure the largest weight and the gradient reaching the
# scores, with and without the scaling:

# %%
def softmax_stats(d, scaled, n_queries=200 if FAST else 500, n_keys=16):
    # std of the scores, mean largest weight, mean |gradient| reaching the scores
    q, k = minigrad.randn(n_queries, 1, d), minigrad.randn(n_queries, n_keys, d)
    scores = (q @ k.transpose(-2, -1)).squeeze(1)             # (n_queries, n_keys), variance d
    if scaled:
        scores = scores / math.sqrt(d)
    scores = scores.detach().requires_grad_()
    weights = scores.softmax(-1)
    (weights * minigrad.randn(1, n_keys)).sum().backward()    # a scalar value per key
    return scores.std().item(), weights.amax(-1).mean().item(), scores.grad.abs().mean().item()

dims = [4, 16, 64, 256, 1024]
stats = {s: np.array([softmax_stats(d, s) for d in dims]) for s in (False, True)}
print("std of the scores, unscaled:", stats[False][:, 0].round(1), "  scaled:", stats[True][:, 0].round(2))
assert stats[False][-1, 1] > 0.8 and stats[True][-1, 1] < 0.5        # saturated without, not with
assert stats[False][-1, 2] < 0.1 * stats[True][-1, 2]                # and the gradient collapses without

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for s, label in [(False, "QK^T"), (True, "QK^T / sqrt(d_k)")]:
    axes[0].plot(dims, stats[s][:, 1], "o-", label=label)
    axes[1].plot(dims, stats[s][:, 2], "o-", label=label)
axes[0].set(xscale="log", xlabel="d_k", ylabel="mean of the largest weight", title="softmax saturation")
axes[1].set(xscale="log", yscale="log", xlabel="d_k", ylabel="mean |gradient| at the scores",
            title="gradient reaching the scores")
axes[0].legend(); plt.tight_layout(); plt.show()

# %% [markdown]
# ## 4. Masks: causal and padding (article 000 §3.3)
#
# A mask decides which keys a query may see. Masked scores are set to $-\infty$ before the softmax, so their weights
# become exactly 0. In minigrad (as in PyTorch) a bool mask is **True where attending is allowed**.
#
# - A **causal mask** (因果掩码, `is_causal=True`) lets position $i$ see only positions $\le i$: a language model
#   must not read the word it is asked to predict.
# - A **padding mask** (填充掩码) hides the padding at the end of shorter sequences in a batch (chapter 6).
#
# Self-attention over a 6-token sequence with random projections, with and without the causal mask:

# %%
tokens = ["the", "cat", "sat", "on", "the", "mat"]
n = len(tokens)
X = 3 * minigrad.randn(1, n, 8)                        # (batch, sequence, features): stand-in embeddings
W_q, W_k, W_v = (nn.Linear(8, 8, bias=False) for _ in range(3))
with minigrad.no_grad():
    q, k, v = W_q(X), W_k(X), W_v(X)                   # self-attention: all three from the same X
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)
    allowed = minigrad.arange(n)[None, :] <= minigrad.arange(n)[:, None]    # key j <= query i
    plain = scores.softmax(dim=-1)[0]
    causal = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)[0]
    assert np.allclose((causal @ v[0]).numpy(), F.scaled_dot_product_attention(q, k, v, is_causal=True)[0].numpy(),
                       atol=1e-5)
assert np.all(np.triu(causal.numpy(), k=1) == 0) and causal[0, 0].item() == 1.0   # no future; token 0 sees itself

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
heatmap(axes[0], plain.numpy(), tokens, tokens, viz.label("self-attention", "自注意力"))
heatmap(axes[1], causal.numpy(), tokens, tokens, viz.label("causal self-attention", "因果掩码"))
plt.show()

# %% [markdown]
# ## 5. The article's attention module, repaired (article 004 §4.3)
#
# **Correction.** The article's `Attention` module does not run: `torch.bmm(t.unsqueeze(2), enc.unsqueeze(1))` is
# given a 4-D tensor (`bmm` takes 3-D ones), `e - e.masked_fill(...)` subtracts the scores from a masked copy of
# themselves, and `self.model(t)(t.unsqueeze(1))` calls the *output* of a model as if it were a function. What it
# aims at is the attention of an encoder–decoder model: one decoder state `t` `(batch, d)` looks at the encoder
# states `enc` `(batch, T, d)`, of which only the first `enc_lengths[b]` are real. A working version that also
# returns the weights:

# %%
class Attention(nn.Module):
    # dot-product attention of one query per example over padded encoder states
    def __init__(self, dim):
        super().__init__()
        self.query = nn.Linear(dim, dim, bias=False)     # learns what the decoder should look for

    def forward(self, t, enc, enc_lengths):
        # t: (B, d) decoder state; enc: (B, T, d) encoder states; enc_lengths: (B,) real lengths
        q = self.query(t)
        scores = (enc @ q.unsqueeze(2)).squeeze(2) / math.sqrt(q.shape[-1])     # e_j: (B, T)
        padding = minigrad.arange(enc.shape[1]) >= enc_lengths.unsqueeze(1)    # (B, T), True = padding
        alpha = scores.masked_fill(padding, float("-inf")).softmax(dim=1)       # weights: (B, T)
        context = (alpha.unsqueeze(2) * enc).sum(dim=1)                         # c = sum_j alpha_j v_j
        return context, alpha

# %%
attend = Attention(dim=8)
enc, lengths, t = minigrad.randn(3, 5, 8), minigrad.tensor([5, 3, 1]), minigrad.randn(3, 8)
context, alpha = attend(t, enc, lengths)
print("weights (zero on padding):\n", alpha.detach().numpy())
assert alpha[1, 3:].abs().sum().item() == 0 and alpha[2, 0].item() == 1.0

allowed = (minigrad.arange(5) < lengths.unsqueeze(1)).unsqueeze(1)        # (B, 1 query, T), True = real
check = F.scaled_dot_product_attention(attend.query(t).unsqueeze(1), enc, enc, attn_mask=allowed)
assert np.allclose(context.detach().numpy(), check[:, 0].detach().numpy(), atol=1e-5)
print("the repaired module = F.scaled_dot_product_attention with a padding mask")

# %% [markdown]
# ## Summary
#
# - Attention: scores $QK^\top$, scaled by $1/\sqrt{d_k}$, softmax over the keys, weighted sum of the values.
#   `F.scaled_dot_product_attention` does the four steps.
# - The scaling keeps the softmax from saturating as $d_k$ grows, which would stop the gradient.
# - Masks (True = may attend) hide the future (causal) and the padding; their weights are exactly 0.
#
# ## Exercises
#
# 1. [`tutorials/04_attention_by_hand.py`](../tutorials/04_attention_by_hand.py): scaled dot-product attention with
#    bool, float and causal masks, returning the weights too.
# 2. [`tutorials/15_masks.py`](../tutorials/15_masks.py): build the causal mask and the padding mask.
# 3. Double every query vector in section 2. What happens to the weights, and why?
# 4. In section 4, combine the causal mask with a padding mask for a sequence of length 4 padded to 6.
#
# Check an exercise with `python -m minigrad check tutorials/15_masks.py` (see `tutorials/README.md`).
