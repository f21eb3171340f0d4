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
# # Chapter 4 — Neural networks on real data
#
# **Mirrors:** article 002 (*构建你的第一个大模型*) §3 核心算法原理 and §4 具体最佳实践 (the training loop:
# `compile`, `fit`, evaluation), and article 001 (*第四章：AI大模型技术实战*) §9 常见问题与解答 (the metrics: accuracy,
# recall, F1).
#
# Chapters 1–3 built every piece on toy data. Now a **multilayer perceptron** (多层感知机, MLP) learns to read
# real handwritten digits, with the **training loop** (训练循环) every model in this course uses, up to the large
# ones. Then we ask how good it is, which is more than one number: **accuracy** (准确率), **precision** (精确率),
# **recall** (召回率), **F1** and the **confusion matrix** (混淆矩阵).
#
# | here | article |
# | --- | --- |
# | 1. The data: 1,797 handwritten digits | 002 §6 工具和资源推荐 (data sets) |
# | 2. An MLP and its training loop | 002 §3–4 |
# | 3. Accuracy | 001 §9 |
# | 4. Precision, recall, F1 and the confusion matrix | 001 §9 |
# | 5. Why accuracy is not enough | 001 §9 |

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
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: fewer epochs, the same checks

import matplotlib.pyplot as plt
import numpy as np
from sklearn import metrics
from sklearn.datasets import load_digits
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.optim import Adam
from minigrad.utils.data import DataLoader, TensorDataset

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The data (article 002 §6)
#
# The article trains on IMDB or CIFAR-10, which need a download. scikit-learn ships a small real data set that
# does not: 1,797 greyscale images of handwritten digits, 8×8 pixels with values 0–16. We scale them to $[0, 1]$
# and split them once into a **training set** (训练集) of 1,437 images and a **test set** (测试集) of 360 that the
# model never trains on: the test set measures how well it **generalises** to new data.

# %%
digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)          # (1797, 8, 8), values in [0, 1]
labels = digits.target.astype(np.int64)
order = rng.permutation(len(labels))
test_idx, train_idx = order[:360], order[360:]
x_train, y_train = minigrad.tensor(images[train_idx].reshape(-1, 64)), minigrad.tensor(labels[train_idx])
x_test, y_test = minigrad.tensor(images[test_idx].reshape(-1, 64)), minigrad.tensor(labels[test_idx])
print("train", tuple(x_train.shape), " test", tuple(x_test.shape))
assert len(set(train_idx) & set(test_idx)) == 0          # no image is in both sets

fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, img, lab in zip(axes, images, labels):
    ax.imshow(img, cmap="gray_r"); ax.set_title(str(lab)); ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. An MLP and its training loop (article 002 §3–4)
#
# Each image becomes a vector of 64 pixels. The MLP has two hidden layers of 64 ReLU units and an output layer of
# 10 logits, one per digit (the softmax is inside the loss, chapter 3). Training takes **mini-batches** (小批量)
# of 32 images: a `DataLoader` shuffles the training set each **epoch** (轮次, one pass over the data) and cuts it
# into batches. For every batch: forward, loss, `zero_grad()`, `backward()`, `step()`.

# %%
model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
print(model, "\nparameters:", f"{model.num_parameters():,}")

def accuracy(model, x, y):
    # the share of examples whose highest logit is the right class
    model.eval()
    with minigrad.no_grad():
        right = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train()
    return right

with minigrad.no_grad():
    first_loss = F.cross_entropy(model(x_train), y_train).item()
print(f"loss before training {first_loss:.3f}  (log 10 = {np.log(10):.3f}: an untrained model guesses evenly)")
assert abs(first_loss - np.log(10)) < 0.2

# %%
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)
optimizer = Adam(model.parameters(), lr=2e-3)
epochs = 6 if FAST else 20
history = {"loss": [], "test_acc": []}
for epoch in tqdm(range(epochs), desc="epochs"):
    total = 0.0
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
    history["loss"].append(total / len(y_train))
    history["test_acc"].append(accuracy(model, x_test, y_test))
print(f"final training loss {history['loss'][-1]:.3f}, test accuracy {history['test_acc'][-1]:.1%}")

# %% [markdown]
# ## 3. Accuracy (article 001 §9)
#
# Accuracy is the share of right answers on the test set. Ten digits, so guessing gives 10%.

# %%
test_accuracy = history["test_acc"][-1]
assert test_accuracy > 0.9, test_accuracy                    # far above the 10% of guessing
assert history["loss"][-1] < 0.5 * history["loss"][0]        # the training loss fell

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(range(1, epochs + 1), history["loss"], "o-", ms=3)
ax1.set_xlabel(viz.label("epoch", "轮次")); ax1.set_ylabel("training cross-entropy")
ax1.set_title(viz.label("Training loss", "训练损失"))
ax2.plot(range(1, epochs + 1), history["test_acc"], "o-", ms=3)
ax2.axhline(0.1, color="grey", ls="--", lw=0.8, label="guessing")
ax2.set_ylim(0, 1); ax2.set_xlabel(viz.label("epoch", "轮次")); ax2.set_ylabel("test accuracy"); ax2.legend()
ax2.set_title(viz.label("Accuracy on 360 unseen digits", "准确率")); plt.show()

# %% [markdown]
# ## 4. Precision, recall, F1 and the confusion matrix (article 001 §9)
#
# Which digits does the model confuse? The confusion matrix $C$ counts, for every true digit (row) and predicted
# digit (column), how many test images fall there; the right answers are on the diagonal. Class by class (that
# digit against all the others), with TP the true positives, FP the false positives, FN the false negatives:
#
# * **precision** $= \frac{TP}{TP + FP} = C_{kk} / \sum_i C_{ik}$: of the images predicted as $k$, how many are $k$;
# * **recall** $= \frac{TP}{TP + FN} = C_{kk} / \sum_j C_{kj}$: of the images of $k$, how many were found;
# * **F1** $= \frac{2 \cdot \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}$, their harmonic
#   mean, high only when both are. **Macro-F1** averages it over the classes.

# %%
model.eval()
with minigrad.no_grad():
    predicted = model(x_test).argmax(dim=1).numpy()
truth = y_test.numpy()

C = np.zeros((10, 10), dtype=int)
np.add.at(C, (truth, predicted), 1)                 # one count per (true, predicted) pair
tp = np.diag(C)
precision, recall = tp / np.maximum(C.sum(axis=0), 1), tp / np.maximum(C.sum(axis=1), 1)
f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
print("per-digit F1:", f1.round(3), f"\nmacro-F1 {f1.mean():.4f}")

assert np.array_equal(C, metrics.confusion_matrix(truth, predicted))      # hand = scikit-learn
assert np.isclose(f1.mean(), metrics.f1_score(truth, predicted, average="macro"))
assert np.isclose(tp.sum() / C.sum(), test_accuracy)                       # accuracy = trace / total
assert f1.mean() > 0.9

# %%
fig, ax = plt.subplots(figsize=(4.6, 4))
im = ax.imshow(C, cmap="Blues")
for (r, c), count in np.ndenumerate(C):
    if count:
        ax.text(c, r, count, ha="center", va="center", fontsize=7, color="white" if count > C.max() / 2 else "black")
ax.set_xticks(range(10)); ax.set_yticks(range(10))
ax.set_xlabel(viz.label("predicted digit", "预测")); ax.set_ylabel(viz.label("true digit", "真实"))
ax.set_title(viz.label("Confusion matrix on the test set", "混淆矩阵")); fig.colorbar(im); plt.show()

# %% [markdown]
# ## 5. Why accuracy is not enough (article 001 §9)
#
# On unbalanced data accuracy flatters. A spam filter that never flags anything scores 95% accuracy on a mailbox
# with 5% spam — and catches nothing: recall 0, F1 0. This is why article 001 names recall and F1 next to accuracy.

# %%
y_true = np.array([1] * 5 + [0] * 95)               # 5 spam mails among 100
y_pred = np.zeros(100, dtype=int)                   # "nothing is spam"
acc = (y_pred == y_true).mean()
rec = metrics.recall_score(y_true, y_pred)
f1_spam = metrics.f1_score(y_true, y_pred, zero_division=0)
print(f"accuracy {acc:.0%}, recall {rec:.0%}, F1 {f1_spam:.0%}")
assert acc == 0.95 and rec == 0 and f1_spam == 0

# %% [markdown]
# ## Summary
#
# - The training loop — mini-batches from a `DataLoader`, forward, loss, `zero_grad()`, `backward()`, `step()` — is
#   the same for every model in this course; an MLP trained with it reads digits with over 90% test accuracy.
# - Measure on a test set the model never saw. Look beyond accuracy: precision, recall and F1 per class, and the
#   confusion matrix, show *which* mistakes a model makes.
#
# ## Exercises
#
# 1. [`tutorials/10_metrics.py`](../tutorials/10_metrics.py): the confusion matrix, precision, recall and F1,
#    including classes that are never predicted.
# 2. [`tutorials/11_training_loop.py`](../tutorials/11_training_loop.py): the training loop and the accuracy,
#    checked step by step against a reference loop.
# 3. Remove the hidden layers (`nn.Linear(64, 10)` alone: logistic regression on pixels). How much accuracy do
#    they buy?
# 4. Which two digits does the model confuse most? Show a few of those test images.
#
# Check an exercise with `python -m minigrad check tutorials/10_metrics.py` (see `tutorials/README.md`).
