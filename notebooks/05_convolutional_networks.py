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
# # Chapter 5 — Convolutional networks
#
# **Mirrors:** article 004 (*AI大模型的基础知识*, foundations of AI large models) §3.1 卷积神经网络 (the convolution
# formula, max and average pooling) and §4.1 使用PyTorch实现卷积神经网络 (its CNN, with the `fc1` size mistake
# fixed).
#
# A **convolution** (卷积) slides a small grid of weights over an image and computes the same weighted sum at
# every position: few parameters, and a pattern is found wherever it appears. **Pooling** (池化) then shrinks the
# feature maps. Stacked, they make a **convolutional neural network** (卷积神经网络, CNN), which we train on the
# digits of chapter 4.
#
# | here | article 004 |
# | --- | --- |
# | 1. Convolution by hand | §3.1 卷积 |
# | 2. Sizes, padding, stride and channels | §3.1 |
# | 3. Pooling | §3.1 池化 |
# | 4. The article's CNN, sized correctly | §4.1 |
# | 5. Training it on digits | §4.1 |
#
# The article's formula and code have mistakes; each is fixed in a **Correction** note where it comes up.

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
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: a narrower CNN, fewer epochs, the same checks

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
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
# ## 1. Convolution by hand (article 004 §3.1)
#
# The **kernel** (卷积核), here $m \times n$ weights, is multiplied with the patch of pixels under it, summed, and a
# bias added:
#
# $$y(i, j) = \sum_{u=0}^{m-1} \sum_{v=0}^{n-1} x(i + u,\ j + v)\, w(u, v) + b .$$
#
# **Correction.** The article writes $y(x, y) = \sum_{u}\sum_{v} x(u, v) * w(u, v) + b$: it uses $x$ for both the
# image and an output coordinate, and leaves out the offset $(i + u, j + v)$, so as written every output would be
# the same number. (Strictly, the formula above is a cross-correlation — the mathematical convolution flips the
# kernel — but every framework computes this form; the kernel is learned, so the flip makes no difference.)
#
# One digit, a kernel that responds to vertical edges (the Sobel filter), and one output computed by hand:

# %%
digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)          # (1797, 8, 8), values in [0, 1]
labels = digits.target.astype(np.int64)
image = images[0]                                           # a handwritten 0
kernel = np.array([[1.0, 0.0, -1.0],
                   [2.0, 0.0, -2.0],
                   [1.0, 0.0, -1.0]], dtype=np.float32)
bias = 0.1

i, j = 2, 1
y_ij = (image[i:i + 3, j:j + 3] * kernel).sum() + bias      # x(i+u, j+v) w(u, v), summed, plus b
out = F.conv2d(minigrad.tensor(image[None, None]),          # input (N=1, C=1, 8, 8)
               minigrad.tensor(kernel[None, None]),         # weight (out channels=1, in channels=1, 3, 3)
               minigrad.tensor([bias], dtype=minigrad.float32))
print(f"y({i}, {j}) by hand = {y_ij:.4f}, F.conv2d = {out[0, 0, i, j].item():.4f}")
assert np.isclose(out[0, 0, i, j].item(), y_ij, atol=1e-6)

# %% [markdown]
# The whole **feature map** (特征图) is that same sum at every position. NumPy's `sliding_window_view` lists all
# $3\times3$ patches at once, and one `einsum` does every multiply-and-sum:

# %%
patches = sliding_window_view(image, (3, 3))                 # (6, 6, 3, 3): one patch per output
y_numpy = np.einsum("ijuv,uv->ij", patches, kernel) + bias
assert np.allclose(y_numpy, out[0, 0].numpy(), atol=1e-5)

fig, axes = plt.subplots(1, 3, figsize=(8, 2.6))
axes[0].imshow(image, cmap="gray_r"); axes[0].set_title("input 8×8")
axes[1].imshow(kernel, cmap="RdBu_r", vmin=-2, vmax=2); axes[1].set_title(viz.label("kernel 3×3", "卷积核"))
im = axes[2].imshow(y_numpy, cmap="RdBu_r"); axes[2].set_title(viz.label("feature map 6×6", "特征图"))
plt.colorbar(im, ax=axes[2])
for ax in axes:
    ax.set_xticks([]); ax.set_yticks([])
plt.show()

# %% [markdown]
# Reading left to right, the output is strongly negative where a stroke begins and positive where it ends, near
# zero on flat areas: the kernel is an edge detector. A CNN *learns* dozens of such kernels instead.
#
# ## 2. Sizes, padding, stride and channels (article 004 §3.1)
#
# Without padding an $H$-pixel side shrinks to $H - m + 1$ (8 → 6 above). With $p$ pixels of zero **padding**
# (填充) on *each* side and a **stride** (步幅) $s$ between window positions:
#
# $$H_\text{out} = \left\lfloor \frac{H + 2p - m}{s} \right\rfloor + 1 .$$
#
# Real layers read $C_\text{in}$ input channels and produce $C_\text{out}$ output channels (通道), each with its own
# kernel over all input channels: `nn.Conv2d(C_in, C_out, k)` holds a `weight` of shape `(C_out, C_in, k, k)`.
# One einsum checks the general formula against minigrad, with padding and stride:

# %%
conv = nn.Conv2d(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1)
x = minigrad.randn(5, 2, 9, 9)                     # a batch of 5 two-channel 9x9 inputs
y = conv(x)
h_out = (9 + 2 * 1 - 3) // 2 + 1
print("weight", tuple(conv.weight.shape), " output", tuple(y.shape), " H_out from the formula:", h_out)
assert y.shape == (5, 4, h_out, h_out)

xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))                 # zero padding p = 1, both sides
windows = sliding_window_view(xp, (3, 3), axis=(2, 3))[:, :, ::2, ::2]   # stride 2: every other window
y_numpy = np.einsum("ncijuv,ocuv->noij", windows, conv.weight.detach().numpy()) \
    + conv.bias.detach().numpy()[None, :, None, None]
assert np.allclose(y_numpy, y.detach().numpy(), atol=1e-5)
print("the formula, with padding and stride, matches nn.Conv2d")

# %% [markdown]
# ## 3. Pooling (article 004 §3.1)
#
# Pooling summarises each window — usually $2\times2$ with stride 2 — by its **maximum** (max pooling, 最大池化) or
# its **mean** (average pooling, 平均池化). For non-overlapping windows a reshape does it by hand: split each axis
# of length 4 into (2 windows × 2 pixels) and reduce over the pixel axes.

# %%
x = minigrad.tensor([[1.0, 3.0, 2.0, 0.0],
                     [4.0, 2.0, 1.0, 1.0],
                     [0.0, 1.0, 5.0, 6.0],
                     [2.0, 1.0, 7.0, 8.0]]).reshape(1, 1, 4, 4)
windows = x.numpy().reshape(2, 2, 2, 2)           # (window row, row in window, window col, col in window)
print("max:\n", F.max_pool2d(x, 2)[0, 0].numpy(), "\naverage:\n", F.avg_pool2d(x, 2)[0, 0].numpy())
assert np.array_equal(F.max_pool2d(x, 2)[0, 0].numpy(), windows.max(axis=(1, 3)))
assert np.allclose(F.avg_pool2d(x, 2)[0, 0].numpy(), windows.mean(axis=(1, 3)))

# %% [markdown]
# **Correction.** The article says pooling reduces "the number of parameters". Pooling has **no parameters**. It
# reduces the *size of the feature maps* (4× fewer numbers per 2×2 pooling): less computation after it, fewer
# weights in a fully connected layer reading the flattened result, and some tolerance to small shifts.
#
# The gradient: max pooling sends each window's gradient to the one input that was the maximum; average pooling
# shares it equally, $\frac14$ each.

# %%
grads = {}
for pool in (F.max_pool2d, F.avg_pool2d):
    xg = x.clone().requires_grad_()
    pool(xg, 2).sum().backward()
    grads[pool.__name__] = xg.grad[0, 0].numpy()
    print(pool.__name__, "-> gradient reaching the input:\n", grads[pool.__name__])
assert grads["max_pool2d"].sum() == 4 and set(np.unique(grads["max_pool2d"])) == {0.0, 1.0}
assert np.allclose(grads["avg_pool2d"], 0.25)

# %% [markdown]
# ## 4. The article's CNN, sized correctly (article 004 §4.1)
#
# Two blocks of (3×3 convolution with padding 1, ReLU, 2×2 max pooling), then two fully connected layers.
#
# **Correction.** The article's `fc1 = nn.Linear(64 * 6 * 6, 128)` fixes the flattened size at $64\times6\times6$.
# Two poolings divide the side by 4, so that fits only **24×24** inputs — not CIFAR-10's 32×32 images
# ($64\times8\times8$), and not our 8×8 digits ($8 \to 4 \to 2$: $64\times2\times2 = 256$). Rather than working the
# size out by hand, let the network tell us: run one dummy image through the convolutional part and count.

# %%
features = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),     # (N, 32, 4, 4)
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),    # (N, 64, 2, 2)
)
with minigrad.no_grad():
    flat_size = features(minigrad.zeros(1, 1, 8, 8)).numel()
    maps = features(minigrad.zeros(9, 1, 8, 8))
print("flattened size for 8x8 inputs:", flat_size, "= 64 * 2 * 2")
assert flat_size == 64 * 2 * 2
# the article flattens with x.view(-1, 64 * 6 * 6): with 9 images (9 * 256 = 2304 = 64*6*6 numbers) it quietly
# makes ONE "image" out of nine instead of failing. flatten(1) keeps the batch axis.
print("view(-1, 64*6*6):", tuple(maps.view(-1, 64 * 6 * 6).shape), "  flatten(1):", tuple(maps.flatten(1).shape))
assert maps.flatten(1).shape == (9, 256)

# %%
class CNN(nn.Module):
    # conv -> ReLU -> pool -> conv -> ReLU -> pool -> fc -> ReLU -> fc; the article's widths are 32 and 64
    def __init__(self, side=8, width=32, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(2 * width * (side // 4) ** 2, 128)    # two 2x2 poolings: side / 4
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))            # logits: the softmax is in the loss

assert CNN(side=24).fc1.in_features == 64 * 6 * 6                  # the article's number, for 24x24 inputs
print(CNN(), "\nparameters:", f"{CNN().num_parameters():,}")

# %% [markdown]
# ## 5. Training it on digits (article 004 §4.1)
#
# The training loop of chapter 4, on images of shape `(N, 1, 8, 8)`. In fast mode (the tests) the CNN is four
# times narrower and trains for three epochs.

# %%
order = rng.permutation(len(labels))
test_idx, train_idx = order[:360], order[360:]
x_train, y_train = minigrad.tensor(images[train_idx][:, None]), minigrad.tensor(labels[train_idx])
x_test, y_test = minigrad.tensor(images[test_idx][:, None]), minigrad.tensor(labels[test_idx])

cnn = CNN(width=8 if FAST else 32)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
optimizer = Adam(cnn.parameters(), lr=5e-3)
losses = []
for epoch in tqdm(range(3 if FAST else 8), desc="CNN epochs"):
    for xb, yb in loader:
        loss = F.cross_entropy(cnn(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

# %%
cnn.eval()
with minigrad.no_grad():
    test_accuracy = (cnn(x_test).argmax(dim=1) == y_test).float().mean().item()
print(f"test accuracy {test_accuracy:.1%}")
assert test_accuracy > 0.8 and np.mean(losses[-5:]) < 0.5 * losses[0]

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses, lw=0.8)
ax.axhline(np.log(10), color="grey", ls="--", lw=0.8, label="log 10: guessing")
ax.set_xlabel("step (batch of 64)"); ax.set_ylabel("cross-entropy"); ax.legend()
ax.set_title(viz.label("Training the CNN", "训练卷积神经网络")); plt.show()

# %% [markdown]
# What did the first layer learn? Each of conv1's kernels produces one feature map; here they are for one test
# digit. Different kernels pick out different strokes and edges.

# %%
with minigrad.no_grad():
    maps = F.relu(cnn.conv1(x_test[:1]))[0]          # (width, 8, 8)
fig, axes = plt.subplots(1, 9, figsize=(10, 1.4))
axes[0].imshow(x_test[0, 0].numpy(), cmap="gray_r"); axes[0].set_title("input")
for k, ax in enumerate(axes[1:]):
    ax.imshow(maps[k].numpy(), cmap="viridis"); ax.set_title(f"map {k}")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Summary
#
# - A convolution computes one small weighted sum at every position; $H_\text{out} = \lfloor (H + 2p - m)/s\rfloor + 1$.
# - Pooling has no parameters; it shrinks the feature maps, and its gradient goes to the window's maximum (max) or
#   is shared (average).
# - Size `fc1` from the data (`flatten(1)` and one dummy forward), never from a hard-coded number: the article's
#   $64\cdot6\cdot6$ fits only 24×24 inputs.
#
# ## Exercises
#
# 1. [`tutorials/03_conv_by_hand.py`](../tutorials/03_conv_by_hand.py): `unfold` (im2col) and `conv2d` as one
#    matrix product, with padding and stride.
# 2. [`tutorials/12_pooling.py`](../tutorials/12_pooling.py): max and average pooling from strided slices.
# 3. What is `fc1`'s input size for `CNN(side=32)`? Check with a dummy forward.
# 4. Replace `MaxPool2d` by `AvgPool2d` and compare the test accuracy.
#
# Check an exercise with `python -m minigrad check tutorials/12_pooling.py` (see `tutorials/README.md`).
