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
# # Chapter 10 — Language models and generation
#
# **Mirrors:** article 001 (*第四章：AI大模型技术实战*) §6 (text generation, code generation); article 000
# (*大模型入门：Transformer*) §5 (applications); article 003 (*大模型：从理论到实践的应用*) §2 (pretraining, prompt
# learning).
#
# A **language model** (语言模型) gives the probability of the next token given the ones before it. Trained on raw
# text with no labels — **pretraining** (预训练) — it learns spelling, words and style; run in a loop it writes
# text. We pretrain a tiny GPT (`minigrad.models.GPT`, chapter 9's decoder without cross-attention) on an offline
# corpus, measure it by **perplexity** (困惑度), and generate with a **temperature** (温度) and **top-k sampling**
# (top-k 采样); then we try **few-shot prompting** (少样本提示) and see what a tiny model cannot do.
#
# | here | article |
# | --- | --- |
# | 1. A corpus and a tiny GPT | 003 §2; 001 §6 |
# | 2. Pretraining and perplexity | 003 §2 |
# | 3. Generation: temperature and top-k | 001 §6 |
# | 4. Prompts and few-shot prompting | 003 §2; 001 §6 |

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

from minigrad import viz
from minigrad.models import GPT, CharTokenizer, stdlib_text
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A corpus and a tiny GPT (article 003 §2; article 001 §6)
#
# The corpus must be offline, so we use English text every Python install carries: the docstrings of some
# standard-library modules (`stdlib_text()`). Tokens are characters (`CharTokenizer`): a small vocabulary, no
# tokenizer to train. The last 10% is held out to measure the model on text it never saw.

# %%
text = stdlib_text()
tokenizer = CharTokenizer(text)
data = np.array(tokenizer.encode(text))
split = int(0.9 * len(data))
train_ids, val_ids = data[:split], data[split:]
print(f"{len(text):,} characters, {tokenizer.vocab_size} distinct; a sample:\n{text[2000:2160]!r}")
assert tokenizer.decode(tokenizer.encode(text[:500])) == text[:500]      # encode then decode is lossless

# %% [markdown]
# The model: token and learned position embeddings, a stack of pre-norm Transformer blocks with a **causal** mask
# (chapter 9), a final layer norm, and an output layer that scores every character. Training pairs are windows of
# the corpus: the input is `BLOCK` characters, the target is the same window shifted by one.

# %%
BLOCK, BATCH = 32, 32
model = GPT(tokenizer.vocab_size, BLOCK, n_layer=2, n_head=4, n_embd=48)
print(model.num_parameters(), "parameters")

def windows(ids, n):
    starts = rng.integers(0, len(ids) - BLOCK - 1, size=n)
    x = ids[starts[:, None] + np.arange(BLOCK)]
    return minigrad.tensor(x), minigrad.tensor(ids[starts[:, None] + np.arange(1, BLOCK + 1)])

x, y = windows(train_ids, 1)
print(repr(tokenizer.decode(x[0])), "->", repr(tokenizer.decode(y[0])))

# %% [markdown]
# ## 2. Pretraining and perplexity (article 003 §2)
#
# The loss is the mean cross-entropy of the next character. Its exponential is the perplexity: a model with
# perplexity 10 is as unsure as a uniform choice among 10 characters. Two baselines: guessing uniformly (perplexity
# = vocabulary size) and the **unigram** model that knows only how often each character occurs.

# %%
STEPS = 150 if FAST else 1500
optimizer = Adam(model.parameters(), lr=3e-3)
losses = []
for step in tqdm(range(STEPS), desc="pretraining"):
    x, y = windows(train_ids, BATCH)
    _, loss = model(x, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

# %%
model.eval()
with minigrad.no_grad():
    val_loss = np.mean([model(*windows(val_ids, 64))[1].item() for _ in range(4)])
freq = np.bincount(train_ids, minlength=tokenizer.vocab_size) / len(train_ids)
unigram = -np.mean(np.log(freq[val_ids] + 1e-12))                # each character's training frequency
print(f"perplexity on held-out text: {math.exp(val_loss):.1f}   unigram {math.exp(unigram):.1f}   "
      f"uniform {tokenizer.vocab_size}")
assert math.exp(val_loss) < math.exp(unigram) < tokenizer.vocab_size

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(losses, lw=0.8, label="training loss")
ax.axhline(unigram, ls="--", c="gray", label="unigram model")
ax.axhline(math.log(tokenizer.vocab_size), ls=":", c="gray", label="uniform guess")
ax.set_xlabel("step (batch of 32 windows)"); ax.set_ylabel("cross-entropy (nats)"); ax.legend()
ax.set_title(viz.label("Pretraining a tiny GPT", "预训练")); plt.show()

# %% [markdown]
# ## 3. Generation: temperature and top-k (article 001 §6)
#
# To write, the model scores the next character, we draw one, append it and repeat (`GPT.generate`). Two knobs shape
# the draw. The temperature $T$ divides the logits before the softmax: $T < 1$ sharpens the distribution towards
# the likeliest character, $T > 1$ flattens it. Top-k keeps only the $k$ likeliest characters. We measure both on
# the model's distribution after a prompt: the **entropy** falls as $T$ falls, and top-k leaves exactly $k$
# characters with non-zero probability.

# %%
prompt = minigrad.tensor([tokenizer.encode("Return the ")])
with minigrad.no_grad():
    logits = model(prompt)[0][0, -1]                              # scores of the next character
def entropy(p):
    return float(-(p * np.log(p + 1e-12)).sum())
entropies = {T: entropy((logits / T).softmax(-1).numpy()) for T in (0.5, 1.0, 2.0)}
print("entropy of the next character:", {T: round(h, 2) for T, h in entropies.items()})
assert entropies[0.5] < entropies[1.0] < entropies[2.0]
kth = np.sort(logits.numpy())[-5]
top5 = np.where(logits.numpy() >= kth, logits.numpy(), -np.inf)
p5 = np.exp(top5 - top5.max()); p5 /= p5.sum()
print("top-5 candidates:", [tokenizer.chars[i] for i in np.argsort(-p5)[:5]])
assert (p5 > 0).sum() == 5

# %%
minigrad.manual_seed(1)
samples = {}
for T, k in [(0.5, None), (1.0, None), (1.0, 5), (1.5, None)]:
    out = model.generate(prompt, 60, temperature=T, top_k=k)[0]
    samples[(T, k)] = tokenizer.decode(out)
    print(f"T={T}, top_k={k}: {samples[(T, k)]!r}")
greedy = tokenizer.decode(model.generate(prompt, 20, top_k=1)[0])     # top_k=1 is greedy decoding
again = tokenizer.decode(model.generate(prompt, 20, top_k=1)[0])
assert greedy == again and all(s.startswith("Return the ") for s in samples.values())

# %% [markdown]
# Low temperature repeats the commonest patterns ("the the"), high temperature invents strings no English
# docstring has; top-k with $T = 1$ is a common middle way. Code generation (article 001 §6) is the same loop on a
# corpus of code: the model has no idea of "code", only of which token tends to follow.
#
# ## 4. Prompts and few-shot prompting (article 003 §2; article 001 §6)
#
# A **prompt** (提示) is the text the model continues. Large models can be steered by putting a few worked examples
# in the prompt (*few-shot*): "English: cat → French: chat; English: dog → French: ..." and the model continues the
# pattern without any training. That ability relies on **in-context learning** (上下文学习): copying and extending
# patterns seen earlier in the prompt. We test the simplest form of it, copying: a held-out stretch of text, shown
# twice. A model that reads its context should predict the second copy much better than the first.

# %%
piece = val_ids[1000:1000 + BLOCK // 2]
ids = minigrad.tensor(np.concatenate([piece, piece])[None])
with minigrad.no_grad():
    logp = model(ids[:, :-1])[0].log_softmax(-1).numpy()[0]
nll = -logp[np.arange(BLOCK - 1), ids.numpy()[0, 1:]]
first, second = nll[:BLOCK // 2 - 1].mean(), nll[BLOCK // 2:].mean()
print(f"loss on the first copy {first:.2f}, on the second copy {second:.2f} nats per character")
assert np.isfinite(first) and np.isfinite(second)

# %% [markdown]
# Our tiny model does not predict the repeat much better than the original (in a short run, often worse): copying
# from the context is a skill ("induction heads") that appears only after much longer training of larger models,
# and few-shot prompting needs it. What a prompt *can* do here is set the topic and style: continuing `Return the `
# gives docstring prose. Chapter 14 shows a cheaper way to steer a small model: learning the prompt itself.
#
# ## Summary
#
# - A language model predicts the next token; pretraining on raw text needs no labels. Its perplexity $e^{\text{loss}}$
#   is compared with the unigram and uniform baselines.
# - Generation draws one token at a time: temperature sharpens or flattens the distribution, top-k cuts its tail,
#   `top_k=1` is greedy decoding.
# - Few-shot prompting relies on in-context copying, which a tiny model has not learned.
#
# ## Exercises
#
# 1. [`tutorials/19_sampling.py`](../tutorials/19_sampling.py): perplexity, the top-k filter and temperature.
# 2. [`tutorials/25_decoding_step.py`](../tutorials/25_decoding_step.py): one decoding step, greedy or with a
#    temperature, and the perplexity from per-token log-probs.
# 3. [`tutorials/18_encoder_layer.py`](../tutorials/18_encoder_layer.py) (from chapter 9): the GPT block is a pre-norm
#    version of it; write that variant too.
# 4. Train with `STEPS = 3000`, `n_layer=4`: does the second copy in §4 become easier than the first?
# 5. Replace the corpus by `stdlib_text(("json",))` only. What happens to the held-out perplexity, and why?
#
# Check an exercise with `python -m minigrad check tutorials/19_sampling.py` (see `tutorials/README.md`).
