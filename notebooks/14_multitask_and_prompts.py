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
# # Chapter 14 — Multi-task and prompt learning
#
# **Mirrors:** article 003 (*大模型：从理论到实践的应用*) §2 核心概念与联系 (7. **multi-task learning** (多任务学习),
# 8. **prompt learning** (提示学习)).
#
# One pretrained network can serve many tasks. Two ideas of article 003 say how: train it on several tasks at once,
# sharing most of its weights, and then tell it *which* task we want by part of its input, the prompt. We measure
# both on problems small enough to train in seconds.
#
# | here | article |
# | --- | --- |
# | 1. One shared trunk, two heads, against two separate networks | 003 §2 (多任务学习) |
# | 2. A model that follows a task token (a hard prompt) | 003 §2 (提示学习) |
# | 3. A soft prompt trained with the model frozen | 003 §2 (提示学习) |
#
# **Correction.** Article 003 says prompt learning "needs no fine-tuning" and is "interpretable". That holds for
# prompts written as text. A *soft* prompt is trained by gradient descent (only a few numbers, the model frozen),
# and it is a vector that need not be any word's embedding: §3 measures both.

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
from sklearn.datasets import load_digits
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Multi-task learning: one trunk, two heads (article 003 §2)
#
# In **hard parameter sharing** (硬参数共享) all tasks share one **trunk** (共享主干), the hidden layers, and each
# task has its own small output **head** (任务头). The losses are added, $\mathcal{L} = \mathcal{L}_1 + w\,\mathcal{L}_2$,
# so the trunk must learn features useful to both. Our two tasks on scikit-learn's 8×8 digit images: **which digit**
# (10 classes) and **is it odd** (2 classes). We compare one shared network with two separate networks of the same
# shape, each trained on its own task with the same number of steps.

# %%
images, digits = load_digits(return_X_y=True)
images = (images / 16.0).astype(np.float32)                  # pixel values 0..16 -> 0..1
order = rng.permutation(len(images))
train_idx, test_idx = order[:1200], order[1200:]
X_train, X_test = minigrad.tensor(images[train_idx]), minigrad.tensor(images[test_idx])
y_train, y_test = minigrad.tensor(digits[train_idx]), digits[test_idx]
odd_train, odd_test = y_train % 2, y_test % 2                  # task 2's labels: 1 for odd digits

class TwoHeadNet(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(64, hidden), nn.ReLU())     # shared by both tasks
        self.digit_head = nn.Linear(hidden, 10)
        self.odd_head = nn.Linear(hidden, 2)

    def forward(self, x):
        h = self.trunk(x)
        return self.digit_head(h), self.odd_head(h)

# %%
def train(model, loss_fn, steps=600 if FAST else 1000, batch=128):
    optimizer = Adam(model.parameters(), lr=3e-3)
    curve = []
    for _ in range(steps):
        idx = minigrad.tensor(rng.integers(0, len(train_idx), size=batch))
        loss = loss_fn(model, X_train[idx], idx)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(loss.item())
    return model, curve

both = lambda m, x, idx: sum_of(m(x), idx)
def sum_of(outputs, idx, w=1.0):                              # L = L_digit + w · L_odd
    return F.cross_entropy(outputs[0], y_train[idx]) + w * F.cross_entropy(outputs[1], odd_train[idx])

mlp = lambda classes: nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, classes))
minigrad.manual_seed(3); shared, shared_curve = train(TwoHeadNet(), both)
minigrad.manual_seed(3); digit_only, _ = train(mlp(10), lambda m, x, idx: F.cross_entropy(m(x), y_train[idx]))
minigrad.manual_seed(3); odd_only, _ = train(mlp(2), lambda m, x, idx: F.cross_entropy(m(x), odd_train[idx]))

# %%
with minigrad.no_grad():
    digit_logits, odd_logits = shared(X_test)
    acc = {"shared digit": (digit_logits.argmax(-1).numpy() == y_test).mean(),
           "shared odd": (odd_logits.argmax(-1).numpy() == odd_test).mean(),
           "separate digit": (digit_only(X_test).argmax(-1).numpy() == y_test).mean(),
           "separate odd": (odd_only(X_test).argmax(-1).numpy() == odd_test).mean()}
n_shared, n_separate = shared.num_parameters(), digit_only.num_parameters() + odd_only.num_parameters()
print(f"shared trunk, two heads ({n_shared:,} parameters): digit {acc['shared digit']:.1%}, odd {acc['shared odd']:.1%}")
print(f"two separate networks ({n_separate:,} parameters): digit {acc['separate digit']:.1%}, "
      f"odd {acc['separate odd']:.1%}")
assert n_shared < 0.6 * n_separate                          # about half the parameters ...
assert acc["shared digit"] > 0.9 and acc["shared odd"] > 0.9   # ... for both tasks well above chance (10%, 50%)
assert abs(acc["shared digit"] - acc["separate digit"]) < 0.05 and abs(acc["shared odd"] - acc["separate odd"]) < 0.05

# %%
plt.figure(figsize=(5, 3))
plt.plot(np.convolve(shared_curve, np.ones(20) / 20, mode="valid"))
plt.xlabel("step"); plt.ylabel("L_digit + L_odd (20-step mean)")
plt.title(viz.label("multi-task loss", "多任务学习")); plt.show()

# %% [markdown]
# The shared network does both jobs with about half the parameters, at about the accuracy of the two separate ones
# (other seeds move the differences either way by a point or so). The weight $w$ of the second loss is a knob:
# exercise 23 writes the weighted loss. Large language models push sharing to its limit: one network, pretrained once,
# serves translation, summaries, questions and code. Which leads to the question of §2: how do we say *which* task?
#
# ## 2. A hard prompt: the task token (article 003 §2)
#
# A **prompt** (提示) is part of the input that tells a pretrained model what to do. We pretrain one model on three
# tasks: a small Transformer encoder reads a **task token** followed by 8 digits and writes 8 digits back, for `copy`,
# `reverse` and `add1` (add 1 to each digit, modulo 10). The task token is a **hard prompt** (硬提示): a fixed token
# from the vocabulary, like the words "Translate to French:".

# %%
TASKS, LENGTH, DIM = ["copy", "reverse", "add1"], 8, 32

def task_batch(task, n):
    x = rng.integers(0, 10, size=(n, LENGTH))
    y = {"copy": x, "reverse": x[:, ::-1], "add1": (x + 1) % 10, "reverse+add1": (x[:, ::-1] + 1) % 10}[task]
    return minigrad.tensor(x), minigrad.tensor(y.copy())

class TaskModel(nn.Module):
    # [prompt vector] + 8 digit embeddings -> encoder -> a digit at each of the 8 positions
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10 + len(TASKS), DIM)           # digits 0-9, then one token per task
        self.pos_embed = nn.Embedding(LENGTH + 1, DIM)
        layer = nn.TransformerEncoderLayer(DIM, 4, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.out = nn.Linear(DIM, 10)

    def task_prompt(self, task, n):                               # the hard prompt: a task token's embedding
        return self.embed(minigrad.full((n, 1), 10 + TASKS.index(task), dtype=minigrad.int64))

    def forward(self, prompt, digits):                            # prompt: (N, 1, DIM)
        x = minigrad.cat([prompt, self.embed(digits)], dim=1) + self.pos_embed(minigrad.arange(LENGTH + 1))
        return self.out(self.encoder(x))[:, 1:]                   # no output for the prompt position

# %%
minigrad.manual_seed(0)
task_model = TaskModel()
optimizer = Adam(task_model.parameters(), lr=3e-3)
pretrain_curve = []
for step in tqdm(range(450), desc="multi-task pretraining"):
    task = TASKS[step % len(TASKS)]                               # the tasks take turns
    x, y = task_batch(task, 64)
    loss = F.cross_entropy(task_model(task_model.task_prompt(task, 64), x).reshape(-1, 10), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    pretrain_curve.append(loss.item())
task_model.eval();

# %%
def accuracy(prompt, task, n=500):                               # (exact sequences, single digits)
    x, y = task_batch(task, n)
    with minigrad.no_grad():
        pred = task_model(prompt(n), x).argmax(-1).numpy()
    return (pred == y.numpy()).all(axis=1).mean(), (pred == y.numpy()).mean()

table = np.array([[accuracy(lambda n: task_model.task_prompt(p, n), t)[0] for t in TASKS] for p in TASKS])
print("exact-sequence accuracy; rows: the task token given, columns: the task asked for")
for p, row in zip(TASKS, table):
    print(f"  token {p:>8}: " + "  ".join(f"{t} {a:6.1%}" for t, a in zip(TASKS, row)))
assert np.diag(table).min() > 0.8                    # each token selects its task ...
assert table[~np.eye(3, dtype=bool)].max() < 0.05    # ... and only that one

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(pretrain_curve); axes[0].set(xlabel="step", ylabel="cross-entropy", title="multi-task pretraining")
im = axes[1].imshow(table, vmin=0, vmax=1, cmap="viridis")
axes[1].set(xticks=range(3), xticklabels=TASKS, yticks=range(3), yticklabels=TASKS,
            xlabel="task asked for", ylabel="task token given", title=viz.label("hard prompt", "硬提示"))
fig.colorbar(im, ax=axes[1]); plt.tight_layout(); plt.show()

# %% [markdown]
# The model does what its token says, and nothing else: given `copy`, it copies, even when we wanted a reversal.
#
# ## 3. A soft prompt for a frozen model (article 003 §2)
#
# A **soft prompt** (软提示) (prompt tuning, Lester et al., 2021) replaces the token by a *vector* prepended to the
# input embeddings and trained by gradient descent while every weight of the model stays **frozen** (冻结). We start
# a fresh vector from random numbers and train only it — 32 numbers — on 32 examples of reversal. The model is never
# told which token means `reverse`; gradient descent must find a vector that makes the frozen model reverse.

# %%
for p in task_model.parameters():
    p.requires_grad = False                                       # the model is frozen
frozen_before = [p.detach().numpy().copy() for p in task_model.parameters()]

def train_soft_prompt(task, steps=150, n_examples=32):
    minigrad.manual_seed(5)
    soft_prompt = nn.Parameter(minigrad.randn(1, 1, DIM))
    x, y = task_batch(task, n_examples)
    optimizer = Adam([soft_prompt], lr=0.05)
    for _ in range(steps):
        logits = task_model(soft_prompt.expand(n_examples, 1, DIM), x)
        loss = F.cross_entropy(logits.reshape(-1, 10), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return soft_prompt

# %%
soft_prompt = train_soft_prompt("reverse")
exact, per_digit = accuracy(lambda n: soft_prompt.expand(n, 1, DIM), "reverse")
n_frozen = sum(p.numel() for p in task_model.parameters())
print(f"trainable: {soft_prompt.numel()} numbers; frozen: {n_frozen:,}")
print(f"reverse with the learned soft prompt: exact {exact:.1%}, per digit {per_digit:.1%}")
assert all(np.array_equal(a, p.numpy()) for a, p in zip(frozen_before, task_model.parameters()))   # untouched
assert soft_prompt.numel() == DIM and per_digit > 0.9

# %%
task_vectors = task_model.embed.weight.detach().numpy()[10:]
found = soft_prompt.detach().numpy().ravel()
cosines = task_vectors @ found / (np.linalg.norm(task_vectors, axis=1) * np.linalg.norm(found))
print("cosine of the soft prompt with each task token:", {t: round(float(c), 2) for t, c in zip(TASKS, cosines)})
assert cosines.max() < 0.99                        # a vector that does the job, not the token itself
plt.figure(figsize=(4, 2.6))
plt.bar(TASKS, cosines); plt.axhline(0, color="black", lw=0.8)
plt.ylabel("cosine similarity"); plt.title(viz.label("soft prompt vs the task tokens", "软提示")); plt.show()

# %% [markdown]
# The frozen model now reverses. The learned vector need not equal the `reverse` token: it is a point of the
# embedding space that does the job, not a word — why soft prompts are harder to read than text. A prompt
# *retrieves* a skill the model already has; it does not teach a new one. Ask the same 32 numbers to make the frozen
# model reverse **and** add one, which it never learned, and they cannot:

# %%
combined = train_soft_prompt("reverse+add1")
exact2, per_digit2 = accuracy(lambda n: combined.expand(n, 1, DIM), "reverse+add1")
print(f"reverse+add1 with a learned soft prompt: exact {exact2:.1%}, per digit {per_digit2:.1%} (chance: 10%)")
assert per_digit2 < per_digit - 0.3 and exact2 < 0.1

# %% [markdown]
# ## Summary
#
# - Multi-task learning with hard parameter sharing: one trunk and two heads learn both digit tasks with about half
#   the parameters of two separate networks, at about their accuracy.
# - A hard prompt (a task token) selects which of its pretrained skills a model uses, and only that one.
# - A soft prompt of 32 numbers, trained with the model frozen, selects a skill the model has (per-digit accuracy
#   above 90% on reversal) but cannot add one it lacks.
#
# ## Exercises
#
# 1. [`tutorials/23_multitask_and_soft_prompt.py`](../tutorials/23_multitask_and_soft_prompt.py): the weighted
#    multi-task loss and prepending a soft prompt to a batch of embeddings.
# 2. [`tutorials/29_freeze_and_count.py`](../tutorials/29_freeze_and_count.py): count a model's parameters (all
#    of them, the trainable ones) and freeze a backbone so that only the soft prompt trains.
# 3. Train the shared network with $w = 0.1$ and $w = 10$. Which task gains, which loses?
# 4. Give the soft prompt two vectors instead of one (the model's positions must grow by one). Can it now do
#    `reverse+add1`?
#
# Check an exercise with `python -m minigrad check tutorials/23_multitask_and_soft_prompt.py` (see `tutorials/README.md`).
