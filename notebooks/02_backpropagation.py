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
# # Chapter 2 — Backpropagation and autograd
#
# **Mirrors:** article 002 (*构建你的第一个大模型*) §3.4 反向传播, with the sigmoid derivative of §3.5.
#
# Training needs $\partial L / \partial w$ for every parameter $w$. **Backpropagation** (反向传播) computes all of
# them in one sweep from the loss back to the parameters, applying the **chain rule** (链式法则) at every node
# of the computational graph of chapter 1. minigrad's **autograd** (自动微分) does that sweep when you call
# `loss.backward()`. This chapter derives the gradients by hand, checks `backward()` against them, shows how
# gradients **accumulate**, and checks everything once more with finite differences (`gradcheck`).
#
# | here | article 002 |
# | --- | --- |
# | 1. The chain rule on one neuron | §3.4 反向传播 |
# | 2. `backward()` on the sigmoid | §3.5 (σ'(z) = σ(z)(1 − σ(z))) |
# | 3. A two-layer network by hand | §3.4 |
# | 4. Gradients accumulate | — |
# | 5. gradcheck: finite differences | — |
#
# **Correction.** The article lists three steps and calls backpropagation "an optimisation method" whose last
# step updates the weights. Backpropagation only *computes the gradients*. Changing the weights with them is
# the optimiser's job (chapter 3): `loss.backward()` then `optimizer.step()`.

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
from minigrad.autograd import gradcheck

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable

# %% [markdown]
# ## 1. The chain rule on one neuron (article 002 §3.4)
#
# Take one neuron with a tanh and a squared error against the target 1:
# $z = \mathbf{w}\cdot\mathbf{x} + b$, $y = \tanh(z)$, $L = (y - 1)^2$. Each step is a function of the one before,
# so the chain rule multiplies their local derivatives, starting from the loss:
#
# $$\frac{\partial L}{\partial \mathbf w} = \underbrace{2(y - 1)}_{\partial L/\partial y}\cdot
# \underbrace{(1 - y^2)}_{\partial y/\partial z}\cdot \underbrace{\mathbf x}_{\partial z/\partial \mathbf w},
# \qquad \frac{\partial L}{\partial b} = 2(y - 1)(1 - y^2).$$
#
# The products are evaluated from the loss backwards, so each intermediate gradient ($\partial L/\partial z$ here)
# is computed once and reused by everything below it. That is the whole trick, and why a backward pass costs only
# a small multiple of a forward pass however many parameters there are.

# %%
x = minigrad.tensor([1.0, -2.0, 0.5])
w = minigrad.tensor([0.3, 0.1, -0.4], requires_grad=True)     # the leaves we want gradients for
b = minigrad.tensor(0.2, requires_grad=True)
y = ((w * x).sum() + b).tanh()
loss = (y - 1.0) ** 2
loss.backward()                                               # fills w.grad and b.grad

dz = 2 * (y.item() - 1.0) * (1 - y.item() ** 2)               # dL/dy * dy/dz, by hand
print("by hand:   dL/dw =", np.round(dz * x.numpy(), 6), " dL/db =", round(dz, 6))
print("backward:  dL/dw =", np.round(w.grad.numpy(), 6), " dL/db =", round(b.grad.item(), 6))
assert np.allclose(w.grad.numpy(), dz * x.numpy(), rtol=1e-5) and np.isclose(b.grad.item(), dz, rtol=1e-5)

# %% [markdown]
# `backward()` walks the graph drawn in chapter 1 from right to left. Each node's `backward` receives the gradient
# of the loss with respect to its output and returns the gradients with respect to its inputs; at the leaves the
# results are stored in `.grad`.

# %%
viz.draw_graph(loss, {"w": w, "b": b}, title=viz.label("backward() walks this graph from right to left", "反向传播"))
plt.show()

# %% [markdown]
# ## 2. `backward()` on the sigmoid (article 002 §3.5)
#
# The sigmoid's derivative has a neat closed form, $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$. Instead of trusting
# it, ask autograd: sum $\sigma(z_i)$ over a grid of points and call `backward()`; the gradient with respect to each
# $z_i$ is exactly $\sigma'(z_i)$, so one call gives the whole curve.

# %%
z = minigrad.linspace(-6, 6, 121, requires_grad=True)
s = z.sigmoid()
s.sum().backward()               # d(sum_i s_i)/dz_i = sigma'(z_i)
zs, ss, ds = z.detach().numpy(), s.detach().numpy(), z.grad.numpy()
assert np.allclose(ds, ss * (1 - ss), atol=1e-7)
assert ds.max() <= 0.25 + 1e-7   # the slope is never above 1/4

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(zs, ss, label=r"$\sigma(z)$")
ax.plot(zs, ds, label=r"$\sigma'(z)$ from backward()")
ax.axhline(0.25, color="grey", lw=0.5, ls="--")
ax.set_xlabel("z"); ax.set_ylabel("value"); ax.legend()
ax.set_title(viz.label("The sigmoid and its derivative", "sigmoid 函数及其导数")); plt.show()

# %% [markdown]
# The slope is never above $0.25$ and almost $0$ once $|z| > 5$. A gradient passing back through many sigmoid
# layers is multiplied by such small factors again and again and fades away: the **vanishing gradient**
# (梯度消失), which chapter 6 meets again in recurrent networks. That is why hidden layers today use ReLU or GELU.
#
# ## 3. A two-layer network by hand (article 002 §3.4)
#
# Chapter 1's network, $\hat Y = \sigma(XW_1^\top + \mathbf b_1)W_2^\top + \mathbf b_2$ with the mean squared
# error, gives by the chain rule (shapes in brackets, $N = 64$ examples):
#
# $$
# \begin{aligned}
# \delta_2 &= \partial L/\partial \hat Y = \tfrac{2}{N}(\hat Y - Y) & [N\times 1]\\
# \partial L/\partial W_2 &= \delta_2^\top H, \quad \partial L/\partial \mathbf b_2 = \textstyle\sum_{\text{rows}} \delta_2 & [1\times 16],\ [1]\\
# \delta_1 &= (\delta_2 W_2) \odot H \odot (1 - H) & [N\times 16]\\
# \partial L/\partial W_1 &= \delta_1^\top X, \quad \partial L/\partial \mathbf b_1 = \textstyle\sum_{\text{rows}} \delta_1 & [16\times 1],\ [16]
# \end{aligned}
# $$
#
# The $H \odot (1-H)$ factor is the sigmoid derivative of section 2. We compute these with NumPy and compare them
# with what `backward()` leaves in `.grad`.

# %%
net = nn.Sequential(nn.Linear(1, 16), nn.Sigmoid(), nn.Linear(16, 1))
W1, b1, W2, b2 = net[0].weight, net[0].bias, net[2].weight, net[2].bias
x_data = minigrad.linspace(-3, 3, 64).reshape(-1, 1)
y_data = x_data.sin()

H = (x_data @ W1.T + b1).sigmoid()
Y_hat = H @ W2.T + b2
loss = ((Y_hat - y_data) ** 2).mean()
loss.backward()

X, Y, Hn = x_data.numpy(), y_data.numpy(), H.detach().numpy()
d2 = 2 * (Y_hat.detach().numpy() - Y) / len(X)
d1 = (d2 @ W2.detach().numpy()) * Hn * (1 - Hn)
by_hand = {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ Hn, "b2": d2.sum(0)}
for name, param in [("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)]:
    err = np.abs(param.grad.numpy() - by_hand[name]).max()
    print(f"{name}: largest difference hand vs backward() = {err:.1e}")
    assert err < 1e-6

# %% [markdown]
# ## 4. Gradients accumulate
#
# `backward()` *adds* into `.grad`; it never overwrites it. That is useful — a parameter used twice in a graph
# collects both contributions, and several small batches can be summed before one update — but it means the
# gradients must be cleared between training steps with `zero_grad()` (set to `None`), or each step would use the
# sum of all the gradients so far.

# %%
g_once = W2.grad.clone()
loss = ((net(x_data) - y_data) ** 2).mean()
loss.backward()                             # a second backward without clearing
assert np.allclose(W2.grad.numpy(), 2 * g_once.numpy(), rtol=1e-5)
print("after two backward() calls, W2.grad is twice the gradient")

net.zero_grad()                             # what every training step does first
print("after zero_grad():", W2.grad)
assert W2.grad is None

# %% [markdown]
# ## 5. gradcheck: finite differences
#
# A hand derivation can be wrong too. An independent check needs no calculus at all: nudge one input by
# $\pm\varepsilon$ and watch the output,
#
# $$\frac{\partial L}{\partial w} \approx \frac{L(w + \varepsilon) - L(w - \varepsilon)}{2\varepsilon}.$$
#
# `minigrad.autograd.gradcheck(fn, inputs)` does this for every element of every input and compares it with
# backward's answer. It needs **float64**: with float32's 7 significant digits, the difference of two nearly
# equal losses divided by a tiny $\varepsilon$ is mostly rounding noise. Every operation in minigrad is tested
# this way; this is **gradient checking** (梯度检验).

# %%
X8, Y8 = x_data[:8].double(), y_data[:8].double()     # a few examples keep the check quick

def network_loss(W1, b1, W2, b2):
    H = (X8 @ W1.T + b1).sigmoid()
    return (((H @ W2.T + b2) - Y8) ** 2).mean()

params64 = [p.detach().double().requires_grad_() for p in (W1, b1, W2, b2)]
assert gradcheck(network_loss, params64)
print("gradcheck passed: backward() agrees with finite differences")

# %% [markdown]
# And it does catch mistakes. Here is a custom operation (`minigrad.autograd.Function`: a forward on arrays and a
# backward on the gradient, exactly how every minigrad operation is written) whose backward forgets the
# $(1 - s)$ factor of the sigmoid:

# %%
class WrongSigmoid(minigrad.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        out = 1 / (1 + np.exp(-z.data))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * minigrad.tensor(ctx.out)       # should be grad * s * (1 - s)

z = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
caught = not gradcheck(WrongSigmoid.apply, [z], raise_exception=False)
print("gradcheck caught the wrong backward:", caught)
assert caught

# %% [markdown]
# ## Summary
#
# - Backpropagation is the chain rule applied node by node from the loss back to the leaves; `loss.backward()`
#   does it and leaves each parameter's gradient in `.grad`.
# - Hand derivations and `backward()` agree; so do finite differences (`gradcheck`, in float64).
# - Gradients accumulate: clear them with `zero_grad()` before each training step.
#
# ## Exercises
#
# 1. [`tutorials/08_tanh_backward.py`](../tutorials/08_tanh_backward.py): tanh's forward and backward, and the
#    chain rule through one neuron by hand.
# 2. [`tutorials/01_custom_function.py`](../tutorials/01_custom_function.py): Swish as a custom `Function`,
#    checked by `gradcheck` and `gradgradcheck`.
# 3. Fix `WrongSigmoid.backward` and check that `gradcheck` passes.
# 4. Replace the sigmoid by `tanh` in section 3: which line of the hand derivation changes?
#
# Check an exercise with `python -m minigrad check tutorials/08_tanh_backward.py` (see `tutorials/README.md`).
