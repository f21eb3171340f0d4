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
# # Chapter 3 — Losses and gradient descent
#
# **Mirrors:** article 002 (*构建你的第一个大模型*) §3.3 损失函数 and §3.5 数学模型公式 (sigmoid, the
# gradient-descent update, MSE).
#
# Chapter 2 computed gradients. Here we use them: a **loss function** (损失函数) turns "how wrong is the model"
# into one number, and **gradient descent** (梯度下降) moves every parameter a small step against its gradient,
# over and over. We fit a line (linear regression), separate two classes with a straight boundary (logistic
# regression), see what the **learning rate** (学习率) does, and race three optimisers.
#
# | here | article 002 |
# | --- | --- |
# | 1. Mean squared error | §3.3, §3.5 (MSE formula) |
# | 2. Cross-entropy | §3.3 (交叉熵) |
# | 3. Gradient descent: linear regression | §3.5 (w ← w − α ∂L/∂w) |
# | 4. Logistic regression and its decision boundary | §3.5 (sigmoid) |
# | 5. Learning rates | §3.5 |
# | 6. SGD, momentum and Adam | §4 (the article's `optimizer='adam'`) |

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
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: fewer steps, the same checks

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.optim import SGD, Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)    # and so are the NumPy draws we use to make data

# %% [markdown]
# ## 1. Mean squared error (article 002 §3.3, §3.5)
#
# For predicting real numbers, the **mean squared error** (均方误差, MSE) averages the squared differences
# between targets $y_i$ and predictions $\hat y_i$:
#
# $$\mathrm{MSE} = \frac{1}{n}\sum_{i=1}^{n}\left(y_i - \hat{y}_i\right)^2 .$$

# %%
y = minigrad.tensor([1.0, 2.0, 3.0, 4.0])
y_hat = minigrad.tensor([1.5, 1.5, 3.0, 5.0])
mse_hand = ((1.0 - 1.5) ** 2 + (2.0 - 1.5) ** 2 + 0.0 + (4.0 - 5.0) ** 2) / 4
print(f"by hand {mse_hand:.4f}   F.mse_loss {F.mse_loss(y_hat, y).item():.4f}   nn.MSELoss {nn.MSELoss()(y_hat, y).item():.4f}")
assert np.isclose(F.mse_loss(y_hat, y).item(), mse_hand)

# %% [markdown]
# ## 2. Cross-entropy (article 002 §3.3)
#
# For choosing one of $K$ classes, the network outputs $K$ raw scores, the **logits** (对数几率) $s_1, \dots, s_K$.
# The **softmax** (softmax 函数) turns them into probabilities, and the **cross-entropy** (交叉熵) is minus the
# log-probability given to the right class $y$:
#
# $$p_k = \frac{e^{s_k}}{\sum_{j} e^{s_j}}, \qquad \mathrm{CE} = -\log p_y = -\sum_{k} t_k \log p_k ,$$
#
# where $t$ is the **one-hot** (独热编码) vector of the label. Over a batch we take the mean. A confident right
# answer costs almost nothing; a confident wrong one costs a lot. `F.cross_entropy` takes the logits and integer
# labels and does the softmax inside:

# %%
logits = minigrad.tensor([[2.0, 0.5, -1.0],      # 2 examples, 3 classes
                          [0.1, 0.2, 3.0]], requires_grad=True)
labels = minigrad.tensor([0, 1])                  # the right class of each example

s = logits.detach().numpy()
p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
ce_hand = -np.log(p[np.arange(2), labels.numpy()]).mean()
ce = F.cross_entropy(logits, labels)
print(f"by hand {ce_hand:.6f}   F.cross_entropy {ce.item():.6f}")
assert np.isclose(ce.item(), ce_hand, rtol=1e-6)

# %% [markdown]
# Two things make cross-entropy the standard loss for classification.
#
# 1. **Its gradient is simple**: with respect to the logits it is $p_k - t_k$ (over $N$ for the mean), the
#    prediction minus the truth. It stays large while the model is confidently wrong.
# 2. **It can be computed stably.** Computed naively, $e^{1000}$ is `inf`. Using
#    $\log p_y = s_y - \log\sum_j e^{s_j}$ with all logits shifted by their maximum first (the log-sum-exp trick)
#    avoids it.

# %%
ce.backward()
one_hot = F.one_hot(labels, num_classes=3).float().numpy()
print("autograd dCE/ds:\n", logits.grad.numpy().round(4))
assert np.allclose(logits.grad.numpy(), (p - one_hot) / 2, atol=1e-6)

big = np.array([[1000.0, 0.0]])
with np.errstate(all="ignore"):           # NumPy would warn about the overflow
    naive = -np.log(np.exp(big[0, 1]) / np.exp(big).sum())
stable = F.cross_entropy(minigrad.tensor(big), minigrad.tensor([1])).item()
print("naive softmax then log:", naive, "   F.cross_entropy:", stable)
assert not np.isfinite(naive) and np.isclose(stable, 1000.0)

# %% [markdown]
# **Correction (article 002 §4).** The article's Keras model ends in `softmax` *and* uses
# `categorical_crossentropy`, which expects one-hot labels; IMDB's integer labels need
# `sparse_categorical_crossentropy`. In minigrad (as in PyTorch) the model ends with plain logits and
# `F.cross_entropy` applies the softmax itself; a second softmax at the end of the model would squash the
# logits and slow training down.
#
# ## 3. Gradient descent: linear regression (article 002 §3.5)
#
# The article's update rule moves every parameter a small step against its gradient, the direction in which the
# loss falls fastest:
#
# $$w_{\text{new}} = w_{\text{old}} - \alpha \,\frac{\partial L}{\partial w},$$
#
# where $\alpha$ is the learning rate. **Linear regression** (线性回归) fits $\hat y = wx + b$ to noisy points
# drawn around the line $y = 3x + 2$. We write the update by hand: it must not itself be recorded in the graph,
# hence `minigrad.no_grad()`, and it changes each parameter *in place* (`sub_`).

# %%
x = minigrad.tensor(rng.uniform(-1, 1, (100, 1)).astype(np.float32))
y = 3 * x + 2 + 0.3 * minigrad.tensor(rng.standard_normal((100, 1)).astype(np.float32))
w = minigrad.zeros(1, requires_grad=True)
b = minigrad.zeros(1, requires_grad=True)

losses = []
for step in range(100 if FAST else 300):
    loss = F.mse_loss(x * w + b, y)                 # forward and loss
    w.grad = b.grad = None                          # clear the previous step's gradients
    loss.backward()                                 # backpropagation
    with minigrad.no_grad():                        # gradient descent: p <- p - lr * dL/dp
        w.sub_(0.2 * w.grad)
        b.sub_(0.2 * b.grad)
    losses.append(loss.item())

best_w, best_b = np.polyfit(x.numpy().ravel(), y.numpy().ravel(), 1)     # the exact least-squares line
print(f"gradient descent: w = {w.item():.3f}, b = {b.item():.3f};  least squares: w = {best_w:.3f}, b = {best_b:.3f}")
assert abs(w.item() - best_w) < 0.05 and abs(b.item() - best_b) < 0.05

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.semilogy(losses)
ax1.set_xlabel("step"); ax1.set_ylabel("MSE (log scale)")
ax1.set_title(viz.label("Loss during gradient descent", "梯度下降"))
ax2.scatter(x.numpy(), y.numpy(), s=8, label="data")
grid = np.linspace(-1, 1, 2)
ax2.plot(grid, w.item() * grid + b.item(), "r", label=f"fit: {w.item():.2f} x + {b.item():.2f}")
ax2.set_xlabel("x"); ax2.set_ylabel("y"); ax2.legend()
ax2.set_title(viz.label("Linear regression", "线性回归")); plt.show()

# %% [markdown]
# ## 4. Logistic regression and its decision boundary (article 002 §3.5)
#
# **Logistic regression** (逻辑回归) is one neuron with a sigmoid: $p = \sigma(\mathbf w\cdot\mathbf x + b)$ is the
# probability of class 1. Its loss is the binary cross-entropy, which `nn.BCEWithLogitsLoss` computes from the
# logit $\mathbf w\cdot\mathbf x + b$ directly (stably, as in section 2). The model predicts class 1 where $p > 0.5$,
# i.e. where $\mathbf w\cdot\mathbf x + b > 0$: the **decision boundary** (决策边界) is a straight line.
#
# From here on `optim.SGD` does the update of section 3 for us: `zero_grad()`, then `step()`.

# %%
n = 200
labels = rng.integers(0, 2, n)
centres = np.array([[-1.0, -0.5], [1.0, 0.8]])
points = (centres[labels] + 0.7 * rng.standard_normal((n, 2))).astype(np.float32)
X, T = minigrad.tensor(points), minigrad.tensor(labels.astype(np.float32)).reshape(-1, 1)

model = nn.Linear(2, 1)                      # w . x + b: the logit
optimizer = SGD(model.parameters(), lr=0.5)
loss_fn = nn.BCEWithLogitsLoss()
for step in tqdm(range(100 if FAST else 300), desc="logistic regression"):
    loss = loss_fn(model(X), T)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with minigrad.no_grad():
    accuracy = ((model(X) > 0).float() == T).float().mean().item()
print(f"final loss {loss.item():.3f}, training accuracy {accuracy:.1%}")
assert accuracy > 0.85 and loss.item() < np.log(2)       # log 2: the loss of guessing 50/50

# %%
(w1, w2), b0 = model.weight.detach().numpy()[0], model.bias.item()
fig, ax = plt.subplots(figsize=(5, 4))
for k, colour in [(0, "tab:blue"), (1, "tab:orange")]:
    ax.scatter(*points[labels == k].T, s=10, c=colour, label=f"class {k}")
xs = np.linspace(points[:, 0].min(), points[:, 0].max(), 2)
ax.plot(xs, -(w1 * xs + b0) / w2, "k--", label="w . x + b = 0")
ax.set_xlabel("x1"); ax.set_ylabel("x2"); ax.legend()
ax.set_title(viz.label("Decision boundary of logistic regression", "决策边界")); plt.show()

# %% [markdown]
# ## 5. Learning rates (article 002 §3.5)
#
# The learning rate decides a lot. Too small and the loss creeps down; too large and each step overshoots the
# valley it is trying to descend: the loss jumps up, or explodes to infinity and then `NaN`, after which nothing
# can be learned. A `nan` loss in a training log almost always means "lower the learning rate". We train chapter
# 1's sine network from the same starting weights with four learning rates.

# %%
x_data = minigrad.linspace(-3, 3, 64).reshape(-1, 1)
y_data = x_data.sin()
net = nn.Sequential(nn.Linear(1, 16), nn.Sigmoid(), nn.Linear(16, 1))
initial_state = {k: v.clone() for k, v in net.state_dict().items()}

def train(optimizer_class, steps, **options):
    # train the sine network from the same initial weights; the loss after every step
    net.load_state_dict(initial_state)
    optimizer = optimizer_class(net.parameters(), **options)
    curve = []
    for _ in range(steps):
        loss = F.mse_loss(net(x_data), y_data)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(loss.item())
    return curve

# %%
steps = 100 if FAST else 400
curves = {}
with np.errstate(all="ignore"):         # lr = 1.0 overflows to inf and NaN: let it, without warnings
    for lr in tqdm([0.03, 0.1, 0.3, 1.0], desc="learning rates"):
        curves[lr] = train(SGD, steps, lr=lr)
for lr, curve in curves.items():
    print(f"lr = {lr:4}: final loss {curve[-1]:.4g}")
assert curves[0.3][-1] < curves[0.03][-1]                            # too small: slow
assert not np.isfinite(curves[1.0][-1]) or curves[1.0][-1] > curves[0.3][-1]   # too large: worse or diverged

fig, ax = plt.subplots(figsize=(6, 3.2))
for lr, curve in curves.items():
    ax.semilogy(curve, label=f"lr = {lr}")        # NaN values are simply not drawn
ax.set_ylim(1e-3, 1e2); ax.set_xlabel("step"); ax.set_ylabel("MSE (log scale)"); ax.legend()
ax.set_title(viz.label("Four learning rates", "学习率")); plt.show()

# %% [markdown]
# ## 6. SGD, momentum and Adam
#
# Plain SGD takes each step from the current gradient alone. **Momentum** (动量) keeps a running velocity
# $v \leftarrow \mu v + g$ and steps along $v$: it speeds up along directions where the gradient keeps pointing
# the same way and damps zig-zags. **Adam** (the article's `optimizer='adam'`) also divides each parameter's
# step by a running estimate of its gradient's size, so every parameter moves at a sensible pace whatever the
# scale of its gradient. Same network, same start, same number of steps:

# %%
steps = 200 if FAST else 1000
runs = {"SGD lr=0.3": (SGD, dict(lr=0.3)),
        "SGD + momentum 0.9, lr=0.03": (SGD, dict(lr=0.03, momentum=0.9)),
        "Adam lr=0.01": (Adam, dict(lr=0.01))}
results = {name: train(cls, steps, **options) for name, (cls, options) in tqdm(runs.items(), desc="optimisers")}
for name, curve in results.items():
    print(f"{name:28s} final loss {curve[-1]:.4f}")
sgd, momentum, adam = (results[name][-1] for name in runs)
assert adam < sgd and momentum < sgd

fig, ax = plt.subplots(figsize=(6, 3.2))
for name, curve in results.items():
    ax.semilogy(curve, label=name)
ax.set_xlabel("step"); ax.set_ylabel("MSE (log scale)"); ax.legend()
ax.set_title(viz.label("SGD vs momentum vs Adam", "优化器")); plt.show()

# %% [markdown]
# ## Summary
#
# - MSE for numbers, cross-entropy (from logits, with the log-sum-exp trick) for classes; the gradient of
#   cross-entropy is prediction minus truth.
# - Gradient descent repeats: forward, loss, `zero_grad()`, `backward()`, step. It found the least-squares line
#   and a straight decision boundary.
# - The learning rate must be small enough not to diverge and large enough to make progress; momentum and Adam
#   get further in the same number of steps.
#
# ## Exercises
#
# 1. [`tutorials/09_cross_entropy.py`](../tutorials/09_cross_entropy.py): the cross-entropy and its gradient in
#    NumPy, without overflow.
# 2. [`tutorials/02_gradient_descent.py`](../tutorials/02_gradient_descent.py): one step of SGD, and of SGD with
#    momentum and weight decay, checked against `optim.SGD`.
# 3. In section 5, find the largest learning rate that still converges. Is it the best one?
# 4. Give the logistic regression a third input $x_1 x_2$. Is the boundary still a straight line in the plot?
#
# Check an exercise with `python -m minigrad check tutorials/09_cross_entropy.py` (see `tutorials/README.md`).
