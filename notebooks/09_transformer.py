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
# # Chapter 9 — The Transformer
#
# **Mirrors:** article 000 (*大模型入门：Transformer*) §3–4 (the model, its formulas and its sample code); article 001
# (*第四章：AI大模型技术实战*) §3–4 (encoder–decoder, residual connection and layer normalisation, training);
# article 003 (*大模型：从理论到实践的应用*) §3.2.3 (the encoder).
#
# Chapters 7 and 8 built attention, heads and positions. A **Transformer** (Transformer 模型) stacks them into layers:
# an **encoder** (编码器) reads the source sentence, a **decoder** (解码器) writes the answer one token at a time. Two
# small pieces make deep stacks trainable: the **residual connection** (残差连接) and **layer normalisation**
# (层归一化). We assemble an encoder and a decoder layer by hand, check them against `nn.TransformerEncoderLayer` and
# `nn.TransformerDecoderLayer`, repair article 000's sample class, then train a whole encoder–decoder on a toy
# **machine translation** (机器翻译) task and translate with **greedy decoding** (贪心解码).
#
# | here | article |
# | --- | --- |
# | 1. How big is a Transformer? | 000 §2.1 |
# | 2. Layer norm and the residual connection | 001 §4.1 |
# | 3. The encoder layer | 001 §4.1; 003 §3.2.3 |
# | 4. The decoder layer: causal mask and cross-attention | 000 §3.2; 001 §4.1 |
# | 5. Article 000's sample class, corrected | 000 §4 |
# | 6. Training on a toy translation task | 001 §3.3 |
# | 7. Greedy decoding and what the model looks at | 000 §5; 001 §6 |
#
# **Correction.** Article 000's class would not run (§5 lists why) and is not a Transformer even once it runs: it
# has no residuals, no layer norm and no feed-forward network.

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
from minigrad.optim.lr_scheduler import LambdaLR

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. How big is a Transformer? (article 000 §2.1)
#
# Article 000 says a large model differs from a small one by scale. For a Transformer the parameter count follows
# from four numbers: the width `d_model`, the feed-forward width `dim_ff`, and the numbers of encoder and decoder
# layers. An attention block holds $4d^2 + 4d$ numbers ($W^Q, W^K, W^V, W^O$ and biases), a feed-forward block
# $2 d\,d_{ff} + d_{ff} + d$, a layer norm $2d$. We count by hand and compare with `nn.Transformer`.

# %%
def transformer_params(d, d_ff, n_enc, n_dec):
    attention = 4 * d * d + 4 * d
    ffn = 2 * d * d_ff + d_ff + d
    norm = 2 * d
    encoder = n_enc * (attention + ffn + 2 * norm) + norm        # + the encoder stack's final norm
    decoder = n_dec * (2 * attention + ffn + 3 * norm) + norm    # self- and cross-attention
    return encoder + decoder

by_hand = transformer_params(64, 256, 2, 2)
library = nn.Transformer(64, 4, 2, 2, 256).num_parameters()
print(f"by hand {by_hand:,}   nn.Transformer {library:,}")
assert by_hand == library
for d in (512, 1024, 4096):                                     # the original base model, then wider ones
    print(f"d_model={d:5d}, 6+6 layers: {transformer_params(d, 4 * d, 6, 6) / 1e6:8.1f} M parameters")

# %% [markdown]
# The parameters grow with the *square* of the width: this is how "stacking layers" turns into a large model.
#
# ## 2. Layer norm and the residual connection (article 001 §4.1)
#
# Article 001 lists four parts per layer: self-attention, a feed-forward network, a residual connection ("add the
# input to the output") and layer normalisation ("normalise each layer's output"). Layer norm rescales each
# position's vector to mean 0 and variance 1, then applies a learned scale $\gamma$ and shift $\beta$:
# $\mathrm{LN}(x) = \gamma \odot (x - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta$.

# %%
ln = nn.LayerNorm(8)
x = 3 * minigrad.randn(2, 5, 8) + 1
with minigrad.no_grad():
    mu = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, correction=0)          # the biased variance, as layer norm uses
    by_hand = (x - mu) / (var + ln.eps).sqrt() * ln.weight + ln.bias
    y = ln(x)
print("largest difference:", (y - by_hand).abs().max().item())
assert np.allclose(y.numpy(), by_hand.numpy(), atol=1e-5)
assert np.allclose(y.numpy().mean(-1), 0, atol=1e-5) and np.allclose(y.numpy().std(-1), 1, atol=1e-3)

# %% [markdown]
# The residual connection gives the gradient a path around each sub-layer: the derivative of $x + f(x)$ is
# $I + f'(x)$, which cannot fade to zero however small $f'(x)$ is. We measure the gradient reaching the input of a
# deep stack of `Linear + tanh` layers, with and without the skip.

# %%
def input_gradient_norm(depth, residual, width=32):
    minigrad.manual_seed(1)
    layers = [nn.Linear(width, width) for _ in range(depth)]
    x = minigrad.randn(16, width, requires_grad=True)
    h = x
    for layer in layers:
        h = h + layer(h).tanh() if residual else layer(h).tanh()
    h.sum().backward()
    return x.grad.norm().item()

depths = [1, 2, 4, 8, 16, 32]
plain = [input_gradient_norm(d, False) for d in depths]
skip = [input_gradient_norm(d, True) for d in depths]
print("without residuals:", " ".join(f"{g:.2g}" for g in plain))
print("with residuals:   ", " ".join(f"{g:.2g}" for g in skip))
assert plain[-1] < 1e-2 * plain[0] and skip[-1] > skip[0]     # fades without, survives with

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy(depths, plain, "o-", label="Linear + tanh")
ax.semilogy(depths, skip, "s-", label="x + tanh(Linear(x))")
ax.set_xlabel("depth (layers)"); ax.set_ylabel("gradient norm at the input"); ax.legend()
ax.set_title(viz.label("The residual connection keeps the gradient", "残差连接")); plt.show()

# %% [markdown]
# ## 3. The encoder layer (article 001 §4.1; article 003 §3.2.3)
#
# An encoder layer wraps each of its two sub-layers in "add, then normalise" (the original, *post-norm* order):
#
# $$h = \mathrm{LN}_1\big(x + \mathrm{MultiHead}(x, x, x)\big), \qquad y = \mathrm{LN}_2\big(h + \mathrm{FFN}(h)\big),
# \qquad \mathrm{FFN}(h) = \max(0, hW_1 + b_1)W_2 + b_2 .$$
#
# The **feed-forward network** (前馈神经网络) acts on each position on its own. We assemble a layer from the parts
# of `nn.TransformerEncoderLayer` (dropout off) and compare.

# %%
enc_layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
x = minigrad.randn(2, 5, 8)
with minigrad.no_grad():
    h = enc_layer.norm1(x + enc_layer.self_attn(x, x, x)[0])                    # sub-layer 1: attention
    y_by_hand = enc_layer.norm2(h + enc_layer.linear2(enc_layer.linear1(h).relu()))   # sub-layer 2: FFN
    y = enc_layer(x)
print("largest difference:", (y - y_by_hand).abs().max().item())
assert np.allclose(y.numpy(), y_by_hand.numpy(), atol=1e-5)

# %% [markdown]
# ## 4. The decoder layer: causal mask and cross-attention (article 000 §3.2; article 001 §4.1)
#
# A decoder layer has three sub-layers: masked self-attention over the words written so far, **cross-attention**
# (交叉注意力) whose queries come from the decoder and whose keys and values come from the encoder's output (the
# *memory*), and the FFN. The self-attention is **causal** (因果掩码): position $t$ may not look at positions after
# $t$, since at translation time they are not written yet. We change the last two target positions and check that
# the first three outputs do not move.

# %%
mask = nn.Transformer.generate_square_subsequent_mask(5)      # -inf above the diagonal: the future is hidden
dec_layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
memory, tgt = minigrad.randn(1, 6, 8), minigrad.randn(1, 5, 8)
changed = tgt.clone()
changed[:, 3:] = minigrad.randn(1, 2, 8)                      # a different future
with minigrad.no_grad():
    a, b = dec_layer(tgt, memory, tgt_mask=mask), dec_layer(changed, memory, tgt_mask=mask)
    c = dec_layer(changed, memory)                            # no mask: the future leaks into the past
print("positions 0-2 moved by", (a - b)[:, :3].abs().max().item(), "with the mask,",
      f"{(a - c)[:, :3].abs().max().item():.2f} without")
assert (a - b)[:, :3].abs().max().item() < 1e-6 and (a - c)[:, :3].abs().max().item() > 1e-3
print(mask)

# %% [markdown]
# ## 5. Article 000's sample class, corrected (article 000 §4)
#
# **Correction.** Article 000's `Transformer(input_dim, output_dim, n_heads, n_layers, d_k, d_v, d_model)` fails in
# this order: (1) `math` is never imported; (2) `self.get_position_encoding` does not exist, and the table is wrapped
# in `nn.Parameter`, so the "fixed" encoding would be trained; (3) `src = src * src_mask` multiplies the embeddings
# by a mask — a mask belongs inside attention, on the scores; (4) each layer calls `layer[1]` (a `Dropout`) with
# three arguments, and the attention module is never called; (5) a linear projection of the input is fed in as key
# and value, though `MultiheadAttention` has its own $W^K, W^V$; (6) `tanh` stands between layers where the FFN
# should be; (7) there are no residual connections and no layer norm; (8) `d_k`, `d_v` are stored and never used.
# The repair builds the class from the layers checked above:

# %%
class ArticleTransformer(nn.Module):
    # embedding -> positional encoding -> n_layers x (attention + FFN, each with residual and layer norm) -> output
    def __init__(self, input_dim, output_dim, n_heads, n_layers, d_model, dropout=0.1, max_len=512):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Linear(input_dim, d_model)       # continuous features; token ids would use nn.Embedding
        self.pos_encoding = nn.PositionalEncoding(d_model, max_len, dropout)    # a buffer, not a Parameter
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model, dropout=dropout,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.fc_out = nn.Linear(d_model, output_dim)

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        x = self.pos_encoding(self.embedding(src) * math.sqrt(self.d_model))
        x = self.encoder(x, mask=src_mask, src_key_padding_mask=src_key_padding_mask)   # masks act on scores
        return self.fc_out(x)

# %% [markdown]
# With the mask where it belongs, padding really is ignored: appending two padded steps to a sequence and marking
# them in `src_key_padding_mask` leaves the outputs of the real steps unchanged.

# %%
fixed = ArticleTransformer(input_dim=5, output_dim=3, n_heads=2, n_layers=2, d_model=16).eval()
src = minigrad.randn(1, 5, 5)
padded = minigrad.cat([src, minigrad.randn(1, 2, 5)], dim=1)
padding = minigrad.tensor([[False] * 5 + [True] * 2])
with minigrad.no_grad():
    short, long = fixed(src), fixed(padded, src_key_padding_mask=padding)
print(long.shape, "|", fixed.num_parameters(), "parameters | real steps moved by",
      (short - long[:, :5]).abs().max().item())
assert (short - long[:, :5]).abs().max().item() < 1e-5

# %% [markdown]
# ## 6. Training on a toy translation task (article 001 §3.3)
#
# A real translation corpus is too big for a chapter, so we invent a language. Its sentences are English number
# words; the "target language" writes the same numbers with Chinese numerals **in reverse order** (a different word
# order, as between languages). Output word $t$ must fetch source word $L-1-t$: the decoder has to learn where to
# look. Both sides get their own vocabulary; the target one starts every sentence with `<s>` (begin of sentence).

# %%
SRC_WORDS = "zero one two three four five six seven eight nine".split()
TGT_WORDS = list("零一二三四五六七八九") + ["<s>"]
BOS, LENGTH = 10, 5

def make_batch(n):
    src = rng.integers(0, 10, size=(n, LENGTH))
    tgt = src[:, ::-1].copy()                                  # the translation: each word, reversed order
    tgt_in = np.concatenate([np.full((n, 1), BOS), tgt[:, :-1]], axis=1)    # shifted right, <s> first
    return minigrad.tensor(src), minigrad.tensor(tgt_in), minigrad.tensor(tgt)

src, tgt_in, tgt_out = make_batch(1)
print(" ".join(SRC_WORDS[i] for i in src[0].tolist()), "->", "".join(TGT_WORDS[i] for i in tgt_out[0].tolist()))
print("decoder reads", [TGT_WORDS[i] for i in tgt_in[0].tolist()], "and predicts", tgt_out[0].tolist())

# %% [markdown]
# The model is the standard recipe around `nn.Transformer` (which holds the two stacks): word embeddings plus the
# sinusoidal positions, and a final linear layer that scores the 10 target words. (The original paper multiplies
# the embeddings by $\sqrt{d_{model}}$ because its embeddings start tiny; `nn.Embedding` starts at N(0, 1), and the
# scale would drown the positions, which this task is all about.)
# **Teacher forcing** (教师强制): in training, the decoder reads the *true* translation shifted right by one and
# predicts every position at once; the causal mask keeps each position from seeing its own answer.

# %%
class Translator(nn.Module):
    def __init__(self, d_model=32, nhead=4, num_layers=1, dim_feedforward=64):
        super().__init__()
        self.d_model = d_model
        self.src_embed, self.tgt_embed = nn.Embedding(10, d_model), nn.Embedding(11, d_model)
        self.pos_encoding = nn.PositionalEncoding(d_model, max_len=64)
        self.transformer = nn.Transformer(d_model, nhead, num_layers, num_layers, dim_feedforward,
                                          dropout=0.0, batch_first=True)
        self.generator = nn.Linear(d_model, 10)

    def embed(self, table, ids):
        return self.pos_encoding(table(ids))      # nn.Embedding starts at N(0, 1): no √d scale, or positions drown

    def encode(self, src):                                     # (N, S) words -> (N, S, d_model) memory
        return self.transformer.encoder(self.embed(self.src_embed, src))

    def decode(self, tgt, memory):                             # (N, T) words -> (N, T, 10) scores
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.generator(self.transformer.decoder(self.embed(self.tgt_embed, tgt), memory, tgt_mask=causal))

    def forward(self, src, tgt):
        return self.decode(tgt, self.encode(src))

model = Translator()
print(model.num_parameters(), "parameters")

# %% [markdown]
# The learning rate warms up linearly (Adam's first steps are noisy), then decays along a cosine.

# %%
STEPS, BATCH, WARMUP = (200 if FAST else 600), 64, 30
warm_cosine = lambda s: (s + 1) / WARMUP if s < WARMUP else 0.5 * (1 + math.cos(math.pi * (s - WARMUP) / (STEPS - WARMUP)))
optimizer = Adam(model.parameters(), lr=5e-3)
scheduler = LambdaLR(optimizer, warm_cosine)
losses = []
model.train()
for step in tqdm(range(STEPS), desc="training"):
    src, tgt_in, tgt_out = make_batch(BATCH)
    loss = F.cross_entropy(model(src, tgt_in).reshape(-1, 10), tgt_out.reshape(-1))
    optimizer.zero_grad()
    loss.backward()                                           # backpropagation through the whole Transformer
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())
print(f"loss: first {losses[0]:.2f} (guessing: log 10 = {math.log(10):.2f}), last {np.mean(losses[-20:]):.3f}")
assert np.mean(losses[-20:]) < 0.2 * math.log(10)

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), label="training loss (20-step mean)")
ax.axhline(math.log(10), ls="--", c="gray", label="guessing: log 10")
ax.set_yscale("log"); ax.set_xlabel("step (batch of 64)"); ax.set_ylabel("cross-entropy"); ax.legend()
ax.set_title(viz.label("Training the translator", "机器翻译")); plt.show()

# %% [markdown]
# ## 7. Greedy decoding and what the model looks at (article 000 §5; article 001 §6)
#
# At translation time there is no true target to read. The decoder starts from `<s>`, takes the most likely first
# word, appends it, predicts the next one, and so on: greedy decoding. The encoder runs once; its memory serves every
# step. We score **exact-sentence accuracy** on 500 new sentences: one wrong word spoils a sentence.

# %%
def greedy_decode(model, src):
    model.eval()
    with minigrad.no_grad():
        memory = model.encode(src)
        out = minigrad.full((src.shape[0], 1), BOS, dtype=minigrad.int64)
        for _ in range(src.shape[1]):
            next_word = model.decode(out, memory)[:, -1].argmax(-1)      # the last position's best word
            out = minigrad.cat([out, next_word.unsqueeze(1)], dim=1)
    return out[:, 1:]                                                    # drop <s>

test_src, _, test_tgt = make_batch(500)
pred, truth = greedy_decode(model, test_src).numpy(), test_tgt.numpy()
exact, per_word = (pred == truth).all(axis=1).mean(), (pred == truth).mean()
for s, p in zip(test_src.numpy()[:3], pred[:3]):
    print(" ".join(SRC_WORDS[i] for i in s), "->", "".join(TGT_WORDS[i] for i in p))
print(f"exact-sentence accuracy {exact:.1%}, per-word accuracy {per_word:.1%} (chance: 10% per word)")
assert exact > 0.8 and per_word > 0.9

# %% [markdown]
# Which source word does each output word read? We rerun the decoder layer's first sub-layer by hand (as in §4) and
# ask its cross-attention for the weights, averaged over heads. For reversed order the answer is the anti-diagonal.

# %%
example = test_src[:1]
with minigrad.no_grad():
    out = greedy_decode(model, example)
    dec_in = minigrad.cat([minigrad.full((1, 1), BOS, dtype=minigrad.int64), out[:, :-1]], dim=1)
    memory = model.encode(example)
    layer = model.transformer.decoder.layers[0]
    y = model.embed(model.tgt_embed, dec_in)
    causal = nn.Transformer.generate_square_subsequent_mask(LENGTH)
    y = layer.norm1(y + layer.self_attn(y, y, y, attn_mask=causal)[0])       # sub-layer 1 (post-norm)
    _, cross = layer.multihead_attn(y, memory, memory)                       # (1, T, S), averaged over heads
cross = cross[0].numpy()
print("share of attention on the mirrored source word:", f"{np.trace(cross[:, ::-1]) / LENGTH:.0%}")
assert (cross.argmax(axis=1) == np.arange(LENGTH)[::-1]).mean() >= 0.6

# %%
fig, ax = plt.subplots(figsize=(3.6, 3))
ax.imshow(cross, cmap="viridis", vmin=0)
ax.set_xticks(range(LENGTH), [SRC_WORDS[i] for i in example[0].tolist()], rotation=45)
ax.set_yticks(range(LENGTH), [str(i) for i in out[0].tolist()])
ax.set_xlabel("source word"); ax.set_ylabel("output word (digit)")
ax.set_title(viz.label("Cross-attention", "交叉注意力")); plt.show()

# %% [markdown]
# Real **sequence-to-sequence** tasks have the same shape: translation (the task the Transformer was invented for),
# summarisation (T5, BART), speech recognition (Whisper reads audio frames instead of words). **Correction.** Article
# 000 credits "Google's BERT and GPT" with translation: BERT is an encoder only and writes no text, and GPT (OpenAI's)
# is a decoder-only language model — chapter 10 trains one.
#
# ## Summary
#
# - A Transformer layer = attention + feed-forward network, each wrapped as `LayerNorm(x + sublayer(x))`; the
#   residual keeps the gradient alive through deep stacks.
# - The decoder adds a causal mask (no peeking at the future) and cross-attention to the encoder's memory.
# - Trained with teacher forcing, a one-layer encoder–decoder learns a toy translation; greedy decoding writes it
#   word by word, and its cross-attention shows the reordering it learned.
#
# ## Exercises
#
# 1. [`tutorials/05_layer_norm.py`](../tutorials/05_layer_norm.py): layer norm's forward and backward as a `Function`.
# 2. [`tutorials/18_encoder_layer.py`](../tutorials/18_encoder_layer.py): add & norm, and a whole encoder layer by hand.
# 3. Train with `LENGTH = 8`. How do exact-sentence and per-word accuracy change, and why does the gap grow?
# 4. Replace the post-norm layers by pre-norm ones (`norm_first=True` in `nn.Transformer`): does training change?
#
# Check an exercise with `python -m minigrad check tutorials/18_encoder_layer.py` (see `tutorials/README.md`).
