"""Exercise 12 — max pooling and average pooling from strided slices.

Follows chapter 5 (notebooks/05_convolutional_networks.ipynb, §3) and article 004 §3.1 (池化).
Pooling summarises each k×k window of a feature map by one number, its maximum or its mean,
moving the window by a stride s. For an input (N, C, H, W) the output is (N, C, H_out, W_out):

    H_out = ⌊(H − k) / s⌋ + 1        (the last window starts at H − k; it is included)
    y[n, c, i, j] = max (or mean) over u, v < k of x[n, c, s·i + u, s·j + v]

No loop over output positions is needed: for each offset (u, v) in the window,
``x[:, :, u : u + s * (H_out - 1) + 1 : s, v : v + s * (W_out - 1) + 1 : s]`` is the (N, C, H_out, W_out)
tensor of the entries at that offset of every window. Stack the k·k of them
(``minigrad.stack(slices)``) and take the maximum (``.amax(dim=0)``) or the mean (``.mean(dim=0)``)
over the stack axis. Built from Tensor operations, the gradients come from autograd: max pooling
sends each window's gradient to its largest entry, average pooling shares it equally.

The checker compares values and gradients with ``F.max_pool2d`` and ``F.avg_pool2d``.

Check your work:  python -m minigrad check tutorials/12_pooling.py   (or run this file).
"""
import minigrad


def max_pool2d(x, k, s):
    """Max pooling of x (N, C, H, W) over k×k windows with stride s."""
    raise NotImplementedError("exercise: the k·k strided slices stacked, then the maximum over the stack")


def avg_pool2d(x, k, s):
    """Average pooling of x (N, C, H, W) over k×k windows with stride s."""
    raise NotImplementedError("exercise: the k·k strided slices stacked, then the mean over the stack")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
