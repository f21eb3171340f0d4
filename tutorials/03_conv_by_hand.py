"""Exercise 3 — a 2-d convolution by hand: cut the image into windows, then one matrix product.

Follows chapter 5 (notebooks/05_convolutional_networks.ipynb, §1–2 convolution) and article 004 §3.1
(卷积). The article's formula y(x,y) = Σ_u Σ_v x(u,v) w(u,v) + b forgets the shift; written out in
full, with C input channels, stride s and the input zero-padded by p on every side, a convolution is

    y[n, o, i, j] = Σ_c Σ_u Σ_v  x_pad[n, c, i·s + u, j·s + v] · w[o, c, u, v]  +  b[o]

with output size OH = (H + 2p − KH) // s + 1 (and the same for the width).

Four nested sums per output pixel look like four loops, but the fast way has none over pixels:

1. ``unfold(input, kernel_size, stride=1)``: input (N, C, H, W), kernel_size (KH, KW), no padding.
   Return the windows as a Tensor of shape (N, OH·OW, C·KH·KW): row r of sample n is the window
   whose output pixel is (i, j) = divmod(r, OW), flattened in the order (c, u, v), i.e. the order
   of ``weight[o].reshape(-1)``. This is *im2col*.
   How, without a loop over pixels: for one kernel offset (u, v), the pixel at that offset of
   every window is the strided slice ``input[:, :, u : u + s·(OH−1) + 1 : s, v : v + s·(OW−1) + 1 : s]``
   of shape (N, C, OH, OW). There are only KH·KW offsets: ``minigrad.stack`` their slices on a new
   axis 2, giving (N, C, KH·KW, OH, OW), then reshape and transpose to (N, OH·OW, C·KH·KW).

2. ``conv2d(input, weight, bias=None, stride=1, padding=0)``: weight (O, C, KH, KW), bias (O,) or
   None. Pad with ``minigrad.nn.functional.pad(input, (p, p, p, p))``, unfold, multiply by the
   weight reshaped to (O, C·KH·KW) and transposed (one ``@`` for the whole batch), add the bias,
   and bring the result to (N, O, OH, OW).

Use Tensor operations only (slicing, ``minigrad.stack``, ``reshape``, ``transpose``, ``@``, ``+``):
then autograd differentiates your convolution for you, and the checker compares your gradients
with those of ``minigrad.nn.functional.conv2d``. (minigrad's own conv2d builds the same windows as
a zero-copy *view* with NumPy's ``as_strided``, and writes the backward by hand: see
minigrad/ops/conv.py once you are done.)

Check your work:  python -m minigrad check tutorials/03_conv_by_hand.py   (or run this file).
"""
import minigrad
import minigrad.nn.functional as F


def unfold(input, kernel_size, stride=1):
    """(N, C, H, W) -> (N, OH·OW, C·KH·KW): every window of the input, flattened, as one row."""
    raise NotImplementedError("exercise: one strided slice per kernel offset, stacked, reshaped")


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """A 2-d convolution as pad + unfold + one matrix product; returns (N, O, OH, OW)."""
    raise NotImplementedError("exercise: pad, unfold, multiply by the reshaped weight, add the bias")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
