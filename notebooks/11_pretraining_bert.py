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
# # Chapter 11 — Pretraining BERT
#
# **Mirrors:** article 003 (*大模型：从理论到实践的应用*) §2 核心概念与联系 (1. 预训练 pretraining: the **masked
# language model** (掩码语言模型) and **next-sentence prediction** (下一句预测)).
#
# Chapter 10 pretrained a GPT by predicting the *next* token. BERT reads the whole input at once, both sides of every
# position, so it cannot be trained that way: it would see the answer. Instead it hides tokens and predicts them
# (masked LM), and it learns whether a second segment really follows the first (NSP). Both make labels out of raw
# text, so pretraining needs no annotation. We pretrain a tiny character-level BERT on both tasks at once, on the
# offline corpus of chapter 10, and check that it beats the baselines that ignore the context.
#
# | here | article |
# | --- | --- |
# | 1. Masking: the 80/10/10 recipe | 003 §2 (预训练) |
# | 2. Sentence pairs for next-sentence prediction | 003 §2 (预训练) |
# | 3. A tiny BERT: token, position and segment embeddings | 003 §2 (Transformer 架构, 位置编码) |
# | 4. Pretraining on both tasks, against the baselines | 003 §2 (预训练) |

# %%
# %matplotlib inline
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
from minigrad.models import CharTokenizer, stdlib_text
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Masking: the 80/10/10 recipe (article 003 §2)
#
# The corpus is chapter 10's: docstrings of the standard library (`stdlib_text()`), one token per character, with
# the last 10% held out. Three **special tokens** (特殊词元) join the characters: `[MASK]` hides a token, `[CLS]`
# starts every input (its output vector will classify the pair), `[SEP]` separates the two segments.

# %%
text = stdlib_text()
tokenizer = CharTokenizer(text)
V = tokenizer.vocab_size
MASK, CLS, SEP = V, V + 1, V + 2                  # ids after the last character
VOCAB = V + 3
data = np.array(tokenizer.encode(text))
split = int(0.9 * len(data))
train_ids, val_ids = data[:split], data[split:]
print(f"{len(text):,} characters, {V} distinct; vocabulary with [MASK], [CLS], [SEP]: {VOCAB}")
assert tokenizer.decode(train_ids[:300]) == text[:300]

# %% [markdown]
# BERT chooses 15% of the (non-special) positions to predict. Of those, 80% become `[MASK]`, 10% a random token and
# 10% stay as they are. Why not always `[MASK]`? `[MASK]` never appears in the text the model later reads, so a model
# trained only on `[MASK]` would learn that "only masked positions need thought"; the random and unchanged 10%s
# force a good vector at every position. Positions not chosen get the label `-100`, which `F.cross_entropy`
# ignores (`ignore_index=-100`): only the chosen ones are scored.

# %%
def mask_tokens(ids, rate=0.15):
    chosen = (rng.random(ids.shape) < rate) & (ids < V)              # never a special token
    labels = np.where(chosen, ids, -100)                              # predict only the chosen positions
    kind = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (kind < 0.8)] = MASK                              # 80%: [MASK]
    swap = chosen & (kind >= 0.8) & (kind < 0.9)                      # 10%: a random character
    inputs[swap] = rng.integers(0, V, size=int(swap.sum()))
    return inputs, labels                                             # 10%: unchanged

sample = train_ids[:200_000 if not FAST else 100_000].reshape(-1, 100)
inputs, labels = mask_tokens(sample)
chosen = labels != -100
shares = [(inputs[chosen] == MASK).mean(), ((inputs != sample) & (inputs != MASK))[chosen].mean(),
          (inputs == sample)[chosen].mean()]
print(f"chosen: {chosen.mean():.1%}; of those [MASK] {shares[0]:.1%}, random {shares[1]:.1%}, unchanged {shares[2]:.1%}")
assert abs(chosen.mean() - 0.15) < 0.01 and abs(shares[0] - 0.8) < 0.02 and abs(shares[1] + shares[2] - 0.2) < 0.02

# %% [markdown]
# (A random character is sometimes the same as the original one, so "random" is slightly under 10% and
# "unchanged" slightly over.)
#
# ## 2. Sentence pairs for next-sentence prediction (article 003 §2)
#
# NSP packs two segments into one input, `[CLS] A [SEP] B`. Half of the time B is what really follows A in the
# corpus (`IsNext`, label 1), half of the time it is taken from a random place (`NotNext`, label 0). A **segment
# embedding** (段嵌入) — one learned vector for A's positions, one for B's — tells the model which part is which.
# Our segments are 8 characters, so each input is 18 tokens long.

# %%
SEG = 8
T = 2 * SEG + 2

def nsp_pairs(ids, n):
    a = rng.integers(0, len(ids) - 2 * SEG, size=n)
    is_next = rng.random(n) < 0.5
    b = np.where(is_next, a + SEG, rng.integers(0, len(ids) - SEG, size=n))
    A, B = ids[a[:, None] + np.arange(SEG)], ids[b[:, None] + np.arange(SEG)]
    x = np.concatenate([np.full((n, 1), CLS), A, np.full((n, 1), SEP), B], axis=1)
    segments = np.concatenate([np.zeros((n, SEG + 2), np.int64), np.ones((n, SEG), np.int64)], axis=1)
    return x, segments, is_next.astype(np.int64)

def show(ids):
    special = {MASK: "_", CLS: "[CLS]", SEP: "[SEP]"}
    return "".join(special[int(i)] if int(i) in special else tokenizer.chars[int(i)] for i in ids).replace("\n", "⏎")

x, segments, is_next = nsp_pairs(train_ids, 4)
for row, seg, label in zip(mask_tokens(x)[0], segments, is_next):
    print(f"{['NotNext', 'IsNext'][label]:8} {show(row)!r:34} segments {''.join(map(str, seg))}")
assert x.shape == (4, T) and (x[:, 0] == CLS).all() and (x[:, SEG + 1] == SEP).all()

# %% [markdown]
# ## 3. A tiny BERT: token, position and segment embeddings (article 003 §2)
#
# BERT's input is the sum of three embeddings: the token's, the position's (learned, one vector per position) and the
# segment's. A stack of Transformer encoder layers (chapter 9, without a causal mask: every position sees every
# other) turns them into one vector per position. Two heads read them: the **MLM head** scores every token of the
# vocabulary at every position, the **NSP head** reads the `[CLS]` vector only.

# %%
class TinyBERT(nn.Module):
    def __init__(self, d_model=64, nhead=4, num_layers=1):
        super().__init__()
        self.tok_embed = nn.Embedding(VOCAB, d_model)
        self.pos_embed = nn.Embedding(T, d_model)
        self.seg_embed = nn.Embedding(2, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.mlm_head = nn.Linear(d_model, VOCAB)
        self.nsp_head = nn.Linear(d_model, 2)

    def forward(self, ids, segments):            # (N, T) ids and segments -> MLM scores, NSP scores
        x = self.tok_embed(ids) + self.pos_embed(minigrad.arange(ids.shape[1])) + self.seg_embed(segments)
        h = self.encoder(x)                       # no mask: bidirectional
        return self.mlm_head(h), self.nsp_head(h[:, 0])

model = TinyBERT()
print(f"{model.num_parameters():,} parameters")

# %% [markdown]
# ## 4. Pretraining on both tasks, against the baselines (article 003 §2)
#
# The loss is the sum of the two cross-entropies, as BERT's. Each step draws fresh pairs and fresh masks, so the
# model never sees the same example twice.

# %%
STEPS = 700 if FAST else 2000
optimizer = Adam(model.parameters(), lr=4e-3)
history = []
for step in tqdm(range(STEPS), desc="pretraining"):
    x, segments, is_next = nsp_pairs(train_ids, 64)
    inputs, labels = mask_tokens(x)
    mlm_logits, nsp_logits = model(minigrad.tensor(inputs), minigrad.tensor(segments))
    mlm_loss = F.cross_entropy(mlm_logits.reshape(-1, VOCAB), minigrad.tensor(labels).reshape(-1))
    nsp_loss = F.cross_entropy(nsp_logits, minigrad.tensor(is_next))
    loss = mlm_loss + nsp_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append((mlm_loss.item(), nsp_loss.item()))

# %% [markdown]
# Now the held-out text. Without reading the context, the best guess for a masked character is the most common
# one (the space), and the best guess for NSP is a coin: 50%. The model must beat both.

# %%
model.eval()
x, segments, is_next = nsp_pairs(val_ids, 4000)
inputs, labels = mask_tokens(x)
with minigrad.no_grad():
    mlm_logits, nsp_logits = model(minigrad.tensor(inputs), minigrad.tensor(segments))
chosen = labels != -100
mlm_accuracy = (mlm_logits.numpy().argmax(-1)[chosen] == labels[chosen]).mean()
baseline = (labels[chosen] == np.bincount(train_ids).argmax()).mean()
nsp_accuracy = (nsp_logits.numpy().argmax(-1) == is_next).mean()
print(f"masked-character accuracy {mlm_accuracy:.1%} (most frequent character: {baseline:.1%})")
print(f"next-sentence accuracy {nsp_accuracy:.1%} (chance: 50%, ±{0.5 / np.sqrt(4000):.1%} for 4000 pairs)")
assert mlm_accuracy > baseline + 0.05
assert nsp_accuracy > 0.53                    # three standard errors above a coin

# %%
history = np.array(history)
smooth = lambda v: np.convolve(v, np.ones(25) / 25, mode="valid")
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(smooth(history[:, 0]), label="masked LM")
axes[0].set(xlabel="step", ylabel="cross-entropy", title=viz.label("masked LM loss", "掩码语言模型"))
axes[1].plot(smooth(history[:, 1]), label="NSP"); axes[1].axhline(np.log(2), ls="--", c="gray", label="coin: log 2")
axes[1].set(xlabel="step", ylabel="cross-entropy", title=viz.label("next-sentence loss", "下一句预测"))
axes[1].legend(); plt.tight_layout(); plt.show()

# %% [markdown]
# The NSP loss sits at log 2 for a while and then falls: the model has to discover that the answer lies at the
# boundary, in whether A's last characters and B's first ones make a word. Real BERT has it easier (a random sentence
# is usually about another topic) — too easy, said RoBERTa (2019), which dropped NSP and trained better models with
# masked LM alone.
#
# Let us ask the model to fill in gaps (`_` is `[MASK]`):

# %%
def fill_in(pattern_a, pattern_b):
    ids = [CLS] + [MASK if c == "_" else tokenizer.stoi[c] for c in pattern_a + "|" + pattern_b]
    ids[SEG + 1] = SEP
    segments = [0] * (SEG + 2) + [1] * SEG
    with minigrad.no_grad():
        best = model(minigrad.tensor([ids]), minigrad.tensor([segments]))[0][0].numpy().argmax(-1)
    return "".join(tokenizer.chars[best[i]] if i != SEG + 1 and t == MASK else show([t])
                   for i, t in enumerate(ids) if i > 0)

for a, b in [("Return t", "he value"), ("the numb", "er of it"), ("a list o", "f string")]:
    masked_a, masked_b = a[:3] + "_" + a[4:], b[:5] + "_" + b[6:]
    print(f"{masked_a}|{masked_b} -> {fill_in(masked_a, masked_b)}")

# %% [markdown]
# ## Summary
#
# - Masked LM hides 15% of the tokens (80% `[MASK]`, 10% random, 10% unchanged) and scores only those, with
#   `ignore_index=-100`; the model reads both sides of every gap.
# - Next-sentence prediction classifies `[CLS] A [SEP] B` pairs from the `[CLS]` vector; a segment embedding marks A
#   and B. Both tasks build labels from raw text.
# - A one-layer character BERT beats the most-frequent-character baseline on held-out text and guesses NSP better
#   than a coin; chapter 12 loads a BERT pretrained this way at full scale.
#
# ## Exercises
#
# 1. [`tutorials/21_mlm_masking.py`](../tutorials/21_mlm_masking.py): the 80/10/10 masking and the masked-token
#    accuracy.
# 2. [`tutorials/26_nsp_and_mlm_loss.py`](../tutorials/26_nsp_and_mlm_loss.py): one NSP pair with its segment ids,
#    and the masked-LM loss that skips the -100 labels.
# 3. Train with masked LM only (drop `nsp_loss`). Does the masked-character accuracy change?
# 4. Mask 40% of the positions instead of 15%. What happens to the accuracy, and why does BERT keep the rate low?
#
# Check an exercise with `python -m minigrad check tutorials/21_mlm_masking.py` (see `tutorials/README.md`).
