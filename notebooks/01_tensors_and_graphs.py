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
# # Chapter 1 — Tensors and the computational graph
#
# **Mirrors:** article 002 (*构建你的第一个大模型*, building your first large model) §2 核心概念与联系,
# §3.1 神经网络基本结构 and §3.2 前向传播.
#
# A large model is a neural network, and a neural network is a function computed from arrays of numbers. This
# chapter builds that function from the bottom: tensors, one neuron, a layer, a two-layer network, and the
# **computational graph** (计算图) that minigrad records while the network computes. Chapter 2 runs that graph
# backwards.
#
# | here | article 002 |
# | --- | --- |
# | 1. Tensors | §2 核心概念与联系 |
# | 2. One neuron | §3.1 神经网络基本结构 |
# | 3. Layers and a network | §3.1 |
# | 4. Forward propagation | §3.2 前向传播 |
# | 5. The computational graph | §3.2 (the graph is what §3.4 walks back) |
#
# Every number shown is checked a second way (by hand or with NumPy) with an `assert`: if a later change to
# minigrad broke this chapter, it would stop with an error instead of quietly showing a wrong number.

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

import minigrad.nn as nn
from minigrad import viz

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable

# %% [markdown]
# ## 1. Tensors (article 002 §2)
#
# A **tensor** (张量) is an array of numbers with a **shape** (形状): a scalar has shape `()`, a vector `(n,)`, a
# matrix `(m, n)`, a batch of images `(N, C, H, W)`. Every input, every weight and every activation of a
# network is a tensor. minigrad's tensors have PyTorch's names; underneath each one is a NumPy array (`.numpy()`
# shows it).

# %%
x = minigrad.tensor([[1.0, 2.0, 3.0],
                     [4.0, 5.0, 6.0]])
print(x)
print("shape", tuple(x.shape), " dtype", x.dtype, " number of elements", x.numel())
print("sum of each column:", x.sum(dim=0), "  mean of each row:", x.mean(dim=1))
assert x.shape == (2, 3) and x.sum().item() == 21.0

# %% [markdown]
# Two operations do almost all the work in a network. The **matrix product** (矩阵乘法) `A @ B` multiplies rows
# of `A` with columns of `B`. **Broadcasting** (广播) lets an elementwise operation combine a `(2, 3)` matrix
# with a `(3,)` vector by repeating the vector for every row — which is how one bias vector is added to every
# example of a batch.

# %%
W = minigrad.tensor([[1.0, 0.0, -1.0],
                     [0.5, 0.5, 0.5]])             # (2, 3)
b = minigrad.tensor([10.0, 20.0])                  # (2,)

y = x @ W.T + b                                    # (2, 3) @ (3, 2) + (2,) -> (2, 2)
y_numpy = x.numpy() @ W.numpy().T + b.numpy()      # the same with NumPy
print(y)
assert np.array_equal(y.numpy(), y_numpy)

# %% [markdown]
# ## 2. One neuron (article 002 §3.1)
#
# A **neuron** (神经元) weighs its inputs $x_1, \dots, x_n$ with **weights** (权重) $w_i$, adds a **bias**
# (偏置) $b$, and passes the sum through an **activation function** (激活函数) $f$:
#
# $$z = \sum_{i=1}^{n} w_i x_i + b = \mathbf{w}\cdot\mathbf{x} + b, \qquad a = f(z).$$
#
# The activation the article gives (§3.5) is the **sigmoid** (sigmoid 函数)
# $\sigma(z) = \dfrac{1}{1 + e^{-z}}$, which squashes any number into $(0, 1)$. One neuron with minigrad, and
# again by hand:

# %%
x = minigrad.tensor([0.5, -1.0, 2.0])       # one example with three input features
w = minigrad.tensor([0.2, 0.4, -0.1])       # one weight per input
b = minigrad.tensor(0.3)

z = (w * x).sum() + b
a = z.sigmoid()
print(f"minigrad: z = {z.item():.4f}, a = sigmoid(z) = {a.item():.4f}")

z_hand = 0.5 * 0.2 + (-1.0) * 0.4 + 2.0 * (-0.1) + 0.3
a_hand = 1 / (1 + np.exp(-z_hand))
print(f"by hand:  z = {z_hand:.4f}, a = {a_hand:.4f}")
assert np.isclose(z.item(), z_hand) and np.isclose(a.item(), a_hand)

# %% [markdown]
# **Why a non-linear activation at all?** Without it, two layers would compute
# $W_2(W_1\mathbf{x} + \mathbf{b}_1) + \mathbf{b}_2 = (W_2W_1)\mathbf{x} + (W_2\mathbf{b}_1 + \mathbf{b}_2)$,
# which is again one linear map: stacking would add nothing. The code below checks exactly that identity, and
# then draws three common activations.

# %%
W1, b1 = minigrad.randn(4, 3), minigrad.randn(4)
W2, b2 = minigrad.randn(2, 4), minigrad.randn(2)
x = minigrad.randn(5, 3)                           # a batch of 5 examples
two_layers = (x @ W1.T + b1) @ W2.T + b2
one_layer = x @ (W2 @ W1).T + (W2 @ b1 + b2)       # one matrix, one bias
assert np.allclose(two_layers.numpy(), one_layer.numpy(), atol=1e-5)

z = minigrad.linspace(-4, 4, 81)
fig, ax = plt.subplots(figsize=(6, 3))
for name, values in [("sigmoid", z.sigmoid()), ("tanh", z.tanh()), ("ReLU", z.relu())]:
    ax.plot(z.numpy(), values.numpy(), label=name)
ax.set_xlabel("z"); ax.set_ylabel(viz.label("activation f(z)", "激活函数"))
ax.set_title(viz.label("Three activation functions", "激活函数")); ax.legend(); plt.show()

# %% [markdown]
# ## 3. Layers and a network (article 002 §3.1)
#
# The article's picture has three kinds of layer:
#
# - the **input layer** (输入层) is the data itself and holds no parameters;
# - a **hidden layer** (隐藏层) of $m$ neurons reading the same $n$ inputs has a weight matrix
#   $W \in \mathbb{R}^{m\times n}$ and a bias $\mathbf{b} \in \mathbb{R}^m$: $\mathbf{h} = f(W\mathbf{x} + \mathbf{b})$;
# - the **output layer** (输出层) produces the prediction.
#
# For a batch of $N$ examples stacked as the rows of $X$, the layer is $H = f(XW^\top + \mathbf{b})$: exactly
# `nn.Linear(n, m)` followed by the activation. Its `weight` has shape `(m, n)`, as in PyTorch. The numbers
# inside the layers are the network's **parameters** (参数); training (chapter 3) chooses them.
#
# Our running example, used again in chapters 2 and 3: 1 input, 16 sigmoid hidden units, 1 output, meant to
# learn the curve $y = \sin(x)$ on $[-3, 3]$.

# %%
net = nn.Sequential(
    nn.Linear(1, 16),    # input (1 number) -> hidden layer (16 neurons)
    nn.Sigmoid(),
    nn.Linear(16, 1),    # hidden layer -> output (1 number)
)
print(net)
for name, p in net.named_parameters():
    print(f"{name:10s} shape {tuple(p.shape)}")
print("parameters:", net.num_parameters(), "= 16*1 + 16 + 1*16 + 1")
assert net.num_parameters() == 16 * 1 + 16 + 1 * 16 + 1

# %% [markdown]
# ## 4. Forward propagation (article 002 §3.2)
#
# **Forward propagation** (前向传播) evaluates the network from the input layer to the output layer, one layer
# after the other. With our two layers:
#
# $$Z_1 = XW_1^\top + \mathbf{b}_1, \quad H = \sigma(Z_1), \quad \hat{Y} = HW_2^\top + \mathbf{b}_2.$$
#
# We write those three lines with the network's own parameters and check that they give what `net(x)` gives.

# %%
x_data = minigrad.linspace(-3, 3, 64).reshape(-1, 1)      # N = 64 examples, 1 feature each
y_data = x_data.sin()                                      # the targets, used from chapter 2 on

W1, b1 = net[0].weight, net[0].bias
W2, b2 = net[2].weight, net[2].bias
Z1 = x_data @ W1.T + b1       # (64, 1) @ (1, 16) + (16,)  -> (64, 16)
H = Z1.sigmoid()              # (64, 16): the hidden layer's activations
Y_hat = H @ W2.T + b2         # (64, 16) @ (16, 1) + (1,)  -> (64, 1)

print("shapes:", tuple(x_data.shape), "->", tuple(H.shape), "->", tuple(Y_hat.shape))
assert np.allclose(Y_hat.detach().numpy(), net(x_data).detach().numpy(), atol=1e-6)
print("the three lines give exactly net(x)")

# %% [markdown]
# The untrained network's output is nowhere near $\sin(x)$ yet: its parameters are random. Chapters 2 and 3
# compute how to change them and change them.

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(x_data.numpy(), y_data.numpy(), label="sin(x): the target")
ax.plot(x_data.numpy(), Y_hat.detach().numpy(), "--", label=viz.label("untrained network", "未训练的网络"))
ax.set_xlabel("x"); ax.set_ylabel("y"); ax.legend()
ax.set_title(viz.label("Forward propagation before training", "前向传播")); plt.show()

# %% [markdown]
# ## 5. The computational graph
#
# While the forward pass runs, minigrad records every operation on a tensor that requires a gradient (the
# parameters do). Each result keeps a `grad_fn`: the operation that made it, which knows where its inputs came
# from. Together these nodes form the **computational graph** of the result — the forward pass, written down so
# that chapter 2 can walk it backwards. Add a loss, the mean squared difference to the targets, and draw the
# graph that ends in it (inputs on the left):

# %%
loss = ((Y_hat - y_data) ** 2).mean()
names = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
viz.draw_graph(loss, names, title=viz.label("The computational graph of the loss", "计算图"))
plt.show()

nodes, edges = viz.graph(loss, names)
ops = [text for text, kind in nodes.values() if kind == "op"]
leaves = sorted(text.split()[0] for text, kind in nodes.values() if kind == "leaf")
print("operations:", ops)
assert leaves == ["W1", "W2", "b1", "b2"]          # exactly the four parameters are leaves
assert loss.grad_fn is not None and x_data.grad_fn is None

# %% [markdown]
# Read from left to right it is the forward pass. The leaves (green) are the four parameters; the data
# `x_data` and the targets `y_data` do not appear, because nothing asked for their gradients. Even `W1.T` is a
# node (`Permute`): transposing is an operation too.
#
# Operations on tensors that do not require a gradient record nothing, and inside `with minigrad.no_grad():`
# nothing is recorded at all — that is how evaluation and weight updates stay out of the graph:

# %%
with minigrad.no_grad():
    quiet = net(x_data)
print("requires_grad:", quiet.requires_grad, " grad_fn:", quiet.grad_fn)
assert quiet.grad_fn is None and net(x_data).grad_fn is not None

# %% [markdown]
# ## Summary
#
# - Tensors carry the data, the parameters and everything computed from them; `@` and broadcasting do most of
#   the work.
# - A neuron is $f(\mathbf{w}\cdot\mathbf{x} + b)$; a layer is many neurons at once, $f(XW^\top + \mathbf{b})$;
#   without the non-linear $f$, layers would collapse into one.
# - Forward propagation computes the network layer by layer, and minigrad records the computational graph as it
#   goes.
#
# ## Exercises
#
# 1. [`tutorials/06_forward_pass.py`](../tutorials/06_forward_pass.py): write the forward pass of a two-layer
#    network with tensor operations; the checker compares it with `nn.Sequential`.
# 2. [`tutorials/07_softmax.py`](../tutorials/07_softmax.py): write a softmax that does not overflow and sums to
#    1 along the right axis.
# 3. Draw the graph of `net(x_data).sum()` with `nn.Tanh()` instead of `nn.Sigmoid()`. Which node changes?
# 4. Why does `x_data` not appear in the graph? Make it `requires_grad_()` and draw again.
#
# Check an exercise with `python -m minigrad check tutorials/06_forward_pass.py` (see `tutorials/README.md`).
