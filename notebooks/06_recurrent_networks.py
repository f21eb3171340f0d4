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
# # Chapter 6 — Recurrent networks
#
# **Mirrors:** article 004 (*AI大模型的基础知识*) §3.2 递归神经网络 (the recurrence $h_t = f(h_{t-1}, x_t)$) and §4.2
# 使用PyTorch实现递归神经网络 (its LSTM classifier); article 002 (*构建你的第一个大模型*) §4 具体最佳实践 (the Keras
# `Embedding(10000, 128) → LSTM(64) → Dense(10, softmax)` text classifier).
#
# A **recurrent neural network** (循环神经网络, RNN) reads a sequence one element at a time and carries a **hidden
# state** (隐藏状态) from step to step: its memory of what it has read. This chapter unrolls the plain RNN and the
# **LSTM** (长短期记忆网络) by hand, measures the **vanishing gradient** (梯度消失) that makes plain RNNs forget, and
# trains article 002's classifier on sentences of different lengths with **padding** (填充).
#
# | here | article |
# | --- | --- |
# | 1. The recurrence, unrolled | 004 §3.2 |
# | 2. One LSTM step by hand | 004 §3.2, §4.2 |
# | 3. Vanishing gradients: RNN vs LSTM | 004 §3.2 |
# | 4. Article 002's classifier on padded sentences | 002 §4; 004 §4.2 |
#
# **Correction.** The usual Chinese name of the RNN is 循环神经网络 (*recurrent*); article 004's 递归神经网络 normally
# means a *recursive* network, a different model that combines the nodes of a tree. The article also presents its
# two formulas as two mechanisms; there is one: the first updates the state, the second reads an output from it.

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
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: a smaller model and data, the same checks

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.optim import Adam
from minigrad.utils.data import DataLoader, TensorDataset

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The recurrence, unrolled (article 004 §3.2)
#
# $$h_t = f(h_{t-1}, x_t), \qquad y_t = g(h_t).$$
#
# In the plain (Elman) RNN, $f$ is one layer with a tanh, $h_t = \tanh(W x_t + U h_{t-1} + b)$, from $h_0 = 0$. The
# same $W$ and $U$ serve every step, so one small set of weights handles sequences of any length. minigrad's
# `nn.RNNCell` is one step; its parameters follow PyTorch: $W$ is `weight_ih`, $U$ is `weight_hh`, and $b$ comes as
# two vectors `bias_ih + bias_hh`. We unroll the cell, check each step against the formula in NumPy, and check the
# whole loop against `nn.RNN`, which runs the same loop inside.

# %%
T, batch, n_in, n_hidden = 5, 2, 3, 4
cell = nn.RNNCell(n_in, n_hidden)
xs = minigrad.randn(T, batch, n_in)                 # (time, batch, features)
W, U = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
b = (cell.bias_ih + cell.bias_hh).detach().numpy()

h, h_np, states = minigrad.zeros(batch, n_hidden), np.zeros((batch, n_hidden), np.float32), []
for t in range(T):                                  # the recurrence, one step per element
    h = cell(xs[t], h)                              # h_t = f(h_{t-1}, x_t)
    h_np = np.tanh(xs[t].numpy() @ W.T + h_np @ U.T + b)
    states.append(h)
    assert np.allclose(h.detach().numpy(), h_np, atol=1e-6)

rnn = nn.RNN(n_in, n_hidden)                        # the same loop, inside one layer
rnn.load_state_dict({"weight_ih_l0": cell.weight_ih, "weight_hh_l0": cell.weight_hh,
                     "bias_ih_l0": cell.bias_ih, "bias_hh_l0": cell.bias_hh})
output, h_n = rnn(xs)                               # output: every h_t; h_n: the last one
assert np.allclose(output.detach().numpy(), minigrad.stack(states).detach().numpy(), atol=1e-6)
print("every step matches the formula, and nn.RNN's output is the stack of the cell's states")

# %% [markdown]
# ## 2. One LSTM step by hand (article 004 §3.2, §4.2)
#
# Besides $h_t$ the LSTM keeps a **cell state** $c_t$, changed through **gates** (门) — sigmoids between 0 and 1
# that decide what to forget, what to write and what to show:
#
# $$
# \begin{aligned}
# i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) && \text{input gate: how much to write}\\
# f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) && \text{forget gate: how much to keep}\\
# g_t &= \tanh(W_g x_t + U_g h_{t-1} + b_g) && \text{candidate: what to write}\\
# o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) && \text{output gate: how much to show}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).
# \end{aligned}
# $$
#
# minigrad (like PyTorch) stacks the four gates' weights in one matrix in the order $i, f, g, o$: `weight_ih` has
# shape `(4 * hidden, input)`.

# %%
lstm_cell = nn.LSTMCell(n_in, n_hidden)
x1 = minigrad.randn(batch, n_in)
h0, c0 = minigrad.randn(batch, n_hidden), minigrad.randn(batch, n_hidden)
h1, c1 = lstm_cell(x1, (h0, c0))

p = {name: t.detach().numpy() for name, t in lstm_cell.named_parameters()}
pre = x1.numpy() @ p["weight_ih"].T + p["bias_ih"] + h0.numpy() @ p["weight_hh"].T + p["bias_hh"]
gi, gf, gg, go = np.split(pre, 4, axis=1)                      # PyTorch's gate order: i, f, g, o
sigmoid = lambda z: 1 / (1 + np.exp(-z))
c1_np = sigmoid(gf) * c0.numpy() + sigmoid(gi) * np.tanh(gg)
h1_np = sigmoid(go) * np.tanh(c1_np)
assert np.allclose(c1.detach().numpy(), c1_np, atol=1e-6) and np.allclose(h1.detach().numpy(), h1_np, atol=1e-6)
print("one LSTM step by hand = nn.LSTMCell")

# %% [markdown]
# ## 3. Vanishing gradients: RNN vs LSTM (article 004 §3.2)
#
# Unrolled, an RNN is a very deep network — one layer per time step, all sharing weights — and `backward()` runs
# back through every step (backpropagation through time). On the way the gradient is multiplied at each step by
# $U^\top$ and by the tanh derivative (at most 1). How much of the gradient of the last state reaches each input?
# The LSTM's cell state is updated by *adding*, so where $f_t \approx 1$ the gradient flows back almost unchanged.

# %%
def gradient_reach(layer, T=30):
    # |d(sum of the last output)/d x_t| for every t, relative to the last step
    xs = minigrad.randn(T, 1, 8, requires_grad=True)
    output, _ = layer(xs)
    output[-1].sum().backward()
    reach = np.linalg.norm(xs.grad.numpy()[:, 0, :], axis=1)
    return reach / reach[-1]

minigrad.manual_seed(1)
reach_rnn, reach_lstm = gradient_reach(nn.RNN(8, 32)), gradient_reach(nn.LSTM(8, 32))
print(f"gradient reaching x_1, relative to x_30:  RNN {reach_rnn[0]:.1e}   LSTM {reach_lstm[0]:.1e}")
assert reach_lstm[0] > 10 * reach_rnn[0]

fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(range(1, 31), reach_rnn, "o-", ms=3, label="RNN")
ax.semilogy(range(1, 31), reach_lstm, "o-", ms=3, label="LSTM")
ax.set_xlabel("time step t of the input"); ax.set_ylabel(r"$\|\partial h_{30} / \partial x_t\|$ (relative)")
ax.legend(); ax.set_title(viz.label("How far back the gradient reaches", "梯度消失")); plt.show()

# %% [markdown]
# Both shrink — these layers are untrained — but the plain RNN's gradient falls orders of magnitude faster: it
# struggles to learn from what happened long ago. The LSTM's gates were designed for exactly this.
#
# ## 4. Article 002's classifier on padded sentences (article 002 §4; article 004 §4.2)
#
# The article's Keras model is `Embedding(10000, 128) → LSTM(64) → Dense(10, activation='softmax')`. In minigrad:
#
# - **`nn.Embedding(10000, 128)`** — the **word embedding** (词嵌入): a table of 10,000 learned vectors of length
#   128, one per word id; `(batch, length)` ids become `(batch, length, 128)` vectors.
# - **`nn.LSTM(128, 64, batch_first=True)`** — returns `(output, (h_n, c_n))`; `output` holds $h_t$ for every step.
# - **`nn.Linear(64, 10)`** — the `Dense` layer, without the softmax (chapter 3: it lives in the loss).
#
# **Correction.** The article suggests IMDB, but IMDB reviews have **2** classes, not 10, and different lengths.
# Sentences of different lengths are padded at the end with the id 0 into one rectangular batch
# (`padding_idx=0` keeps that id's vector at zero). The LSTM then also steps over the padding, so its *last*
# output has read padding for every sentence but the longest. The classifier must read each sentence's output at
# its own last real step, `output[n, length_n - 1]`.
#
# The data (offline, synthetic, with the article's shape): 10 topics, each owning 20 "topic words"; every other id
# is a filler word. A sentence has 4–12 words with two words of its topic at random places; the label is the topic.

# %%
VOCAB = 1000 if FAST else 10_000                  # the article's sizes; smaller in the tests
EMBED, HIDDEN = (32, 32) if FAST else (128, 64)
TOPICS, WORDS_PER_TOPIC, MAX_LEN = 10, 20, 12
FIRST_FILLER = 1 + TOPICS * WORDS_PER_TOPIC       # id 0 is padding; 1..200 are topic words

def make_sentences(n):
    # word ids padded at the end with 0, the lengths, and the topics
    topics, lengths = rng.integers(0, TOPICS, n), rng.integers(4, MAX_LEN + 1, n)
    words = np.zeros((n, MAX_LEN), dtype=np.int64)
    for k in range(n):
        sentence = rng.integers(FIRST_FILLER, VOCAB, lengths[k])
        places = rng.choice(lengths[k], 2, replace=False)            # two topic words at random places
        sentence[places] = 1 + topics[k] * WORDS_PER_TOPIC + rng.integers(0, WORDS_PER_TOPIC, 2)
        words[k, :lengths[k]] = sentence
    return minigrad.tensor(words), minigrad.tensor(lengths), minigrad.tensor(topics)

x_train, len_train, y_train = make_sentences(1500 if FAST else 4000)
x_test, len_test, y_test = make_sentences(500)
print("a padded sentence:", x_train[0].tolist(), " length", len_train[0].item(), "-> topic", y_train[0].item())

# %%
class TextClassifier(nn.Module):
    # Embedding -> LSTM -> Linear on each sentence's last real step: article 002's model
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.fc = nn.Linear(HIDDEN, TOPICS)

    def forward(self, words, lengths):             # words: (batch, MAX_LEN) int64, lengths: (batch,)
        output, _ = self.lstm(self.embedding(words))                     # (batch, MAX_LEN, HIDDEN)
        last = output[minigrad.arange(words.shape[0]), lengths - 1]    # (batch, HIDDEN): last real step
        return self.fc(last)                                             # (batch, TOPICS) logits

model = TextClassifier()
for name, child in model.named_children():
    print(f"{name:10s} {child.num_parameters():>9,d} parameters")
assert model.embedding.weight[0].abs().sum().item() == 0              # the padding id's vector is zero

# %%
loader = DataLoader(TensorDataset(x_train, len_train, y_train), batch_size=64, shuffle=True)
optimizer = Adam(model.parameters(), lr=1e-2 if FAST else 3e-3)
losses, test_acc = [], []
for epoch in tqdm(range(4), desc="epochs"):
    for words, lengths, topic in loader:
        loss = F.cross_entropy(model(words, lengths), topic)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with minigrad.no_grad():
        test_acc.append((model(x_test, len_test).argmax(dim=1) == y_test).float().mean().item())
    model.train()
print(f"test accuracy after each epoch: {[round(a, 3) for a in test_acc]}")
assert test_acc[-1] > 0.6 and abs(losses[0] - np.log(TOPICS)) < 0.3    # starts at guessing, ends far above it

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(losses, lw=0.7)
ax1.axhline(np.log(TOPICS), color="grey", ls="--", lw=0.8, label="log 10: guessing")
ax1.set_xlabel("step (batch of 64)"); ax1.set_ylabel("cross-entropy"); ax1.legend()
ax1.set_title(viz.label("Training loss", "训练损失"))
ax2.plot(range(1, len(test_acc) + 1), test_acc, "o-")
ax2.axhline(1 / TOPICS, color="grey", ls="--", lw=0.8, label="chance")
ax2.set_ylim(0, 1); ax2.set_xlabel("epoch"); ax2.set_ylabel("test accuracy"); ax2.legend()
ax2.set_title(viz.label("Accuracy on 500 unseen sentences", "准确率")); plt.show()

# %% [markdown]
# The loss starts at $\log 10 \approx 2.30$: an untrained model spreads its probability evenly over the ten
# topics. To read the answer as probabilities — what the article's final `softmax` was for — apply `softmax` to
# the logits yourself.
#
# ## Summary
#
# - An RNN applies one cell at every step, $h_t = \tanh(Wx_t + Uh_{t-1} + b)$; `nn.RNN` and `nn.LSTM` run that loop.
# - Backpropagation through time multiplies the gradient at every step; in a plain RNN it vanishes, the LSTM's
#   additive cell state keeps far more of it.
# - Batches of sentences are padded; read each sentence's output at its last real step, not at the last padded one.
#
# ## Exercises
#
# 1. [`tutorials/13_lstm_step.py`](../tutorials/13_lstm_step.py): one step of an RNN cell and of an LSTM cell.
# 2. [`tutorials/14_padded_sequences.py`](../tutorials/14_padded_sequences.py): pad a batch, and pick each
#    sequence's last real output.
# 3. Classify from `output[:, -1]` instead of the last real step. What happens to the accuracy, and why?
# 4. Replace `nn.LSTM` by `nn.RNN` in the classifier and compare.
#
# Check an exercise with `python -m minigrad check tutorials/13_lstm_step.py` (see `tutorials/README.md`).
