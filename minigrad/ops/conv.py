"""Convolution and pooling as sliding windows: im2col as a strided *view*, then one matmul per sample.

A 2-d convolution slides a kernel over the image (article 004, §3.1 卷积; its formula
``y(x,y) = Σ_u Σ_v x(u,v) w(u,v) + b`` leaves out the shift: the input is read at ``(i+u, j+v)``):

    y[n, o, i, j] = Σ_c Σ_u Σ_v  x_pad[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v]

The trick that makes this fast in NumPy is to stop thinking about "sliding" at all. With
``as_strided`` we build a 6-d *view* ``win[n, c, i, j, u, v] = x_pad[n, c, i·s + u·d, j·s + v·d]``
that only re-reads the padded image's memory with new strides (no copy, no loop). Flattening
``(c, u, v)`` of that view into rows is the classic *im2col* matrix, and the whole convolution is
then a matrix product ``W @ cols``.

Layout matters as much as the maths. The columns are stored ``(N, C·KH·KW, OH·OW)``: the copy that
materialises them moves whole rows of OW pixels, and ``W (O, C·KH·KW) @ cols`` is a batch of N
products whose result, ``(N, O, OH·OW)``, is already the NCHW output (no transpose, no copy). The
other order, ``(N·OH·OW, C·KH·KW)`` rows, copies KW-long runs and needs a transpose afterwards,
which at MNIST size (few channels, many pixels) is slower than the products themselves.

The backward passes are the same machinery run the other way:

- the weight gradient is one more matrix product of the same columns with the output gradient;
- the input gradient scatters the columns back onto the image (*col2im*, ``Window2d.fold``):
  a loop over the ``kh·kw`` kernel offsets, each adding one strided slice, never over pixels.
  Max pooling finds and scatters to each window's winner with the same loop over offsets.

Each op here is linear in each of its inputs (max pooling too, once the winner of every window
has been found), so its backward is again one of these ops. The three convolution ops form a
closed family (``Conv2d``, ``Conv2dInputGrad`` = the transposed convolution, ``Conv2dWeightGrad``)
and each pooling op is paired with its adjoint (max pool's gather ↔ scatter, average pool's
window mean ↔ spread). Because every backward calls ops with backwards of their own, gradients of
gradients (double backward) work.

The window geometry lives here once for both families: ``Window2d`` (where the windows lie),
the output sizes, and the helpers that read a call's kernel size, stride, padding and dilation
into one (``int_tuple``, ``padding_pairs``, ``pool_window``).
"""
from ..autograd.function import Function
from ..backend import get_array_module


def conv_out_size(size, kernel, stride, pad_total, dilation):
    """Output length of a convolution: ⌊(L + pads − d·(k−1) − 1) / s⌋ + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def pool_out_size(size, kernel, stride, pad, dilation, ceil_mode):
    """Output length of a pooling window (PyTorch's rule).

    With ``ceil_mode`` the last window may hang over the right edge, but it must start
    inside the input or its left padding, otherwise it is dropped.
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


class Window2d:
    """Where the windows of a 2-d conv or pool lie on an ``(N, C, H, W)`` input.

    ``pads`` is ``((top, bottom), (left, right))``. When a ``ceil_mode`` pool's last window
    overhangs the padded input, the bottom/right padding is widened to fit it.
    """

    def __init__(self, in_hw, kernel, stride, dilation, pads, out_hw):
        self.in_hw, self.kernel, self.stride = tuple(in_hw), tuple(kernel), tuple(stride)
        self.dilation, self.out_hw = tuple(dilation), tuple(out_hw)
        widened = []
        for size, k, s, d, (lo, hi), out in zip(in_hw, kernel, stride, dilation, pads, out_hw):
            needed = (out - 1) * s + d * (k - 1) + 1   # extent the last window reaches
            widened.append((lo, max(hi, needed - lo - size)))
        self.pads = tuple(widened)

    def padded_hw(self):
        return tuple(lo + size + hi for size, (lo, hi) in zip(self.in_hw, self.pads))

    def pad(self, a, value=0.0):
        xp = get_array_module(a)
        if not any(lo or hi for lo, hi in self.pads):
            return a
        return xp.pad(a, ((0, 0), (0, 0)) + self.pads, constant_values=value)

    def crop(self, a):
        (top, _), (left, _) = self.pads
        h, w = self.in_hw
        return a[:, :, top:top + h, left:left + w]

    def unfold(self, padded):
        """The windows as a view ``(N, C, OH, OW, KH, KW)`` of the padded input (no copy)."""
        xp = get_array_module(padded)
        n, c = padded.shape[:2]
        sn, sc, sh, sw = padded.strides
        (stride_h, stride_w), (dil_h, dil_w) = self.stride, self.dilation
        shape = (n, c) + self.out_hw + self.kernel
        strides = (sn, sc, sh * stride_h, sw * stride_w, sh * dil_h, sw * dil_w)
        return xp.lib.stride_tricks.as_strided(padded, shape, strides)

    def offsets(self):
        """For each kernel offset ``(u, v)``, row-major (the flat offset is ``u·KW + v``): the
        ``(rows, cols)`` slices of the padded input that offset reads in every window at once."""
        (oh, ow), (kh, kw) = self.out_hw, self.kernel
        (sh, sw), (dh, dw) = self.stride, self.dilation
        return [(slice(u * dh, u * dh + sh * (oh - 1) + 1, sh), slice(v * dw, v * dw + sw * (ow - 1) + 1, sw))
                for u in range(kh) for v in range(kw)]

    def fold(self, planes):
        """col2im, the adjoint of ``unfold``: add every window entry back onto its pixel.

        ``planes(k)`` is the ``(N, C, OH, OW)`` array of entries at flat kernel offset k; the
        result has the padded input's shape. Windows overlap, so entries add up. For one offset
        the pixels hit by all windows are distinct (a strided slice), so the only loop is over
        the ``KH·KW`` offsets.
        """
        first = planes(0)
        out = get_array_module(first).zeros(first.shape[:2] + self.padded_hw(), dtype=first.dtype)
        for k, (rows, cols) in enumerate(self.offsets()):
            out[:, :, rows, cols] += planes(k) if k else first
        return out


# ----------------------------------------------------------------------------------------
# reading the arguments of a conv or pool call into a window
# ----------------------------------------------------------------------------------------

def int_tuple(value, n, op, name, what=None):
    """An int or an n-tuple of ints, as an n-tuple of ints. ``what`` is how the error names the
    tuple (pooling, always 2-d, says 'pair of ints')."""
    t = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(t) != n or not all(isinstance(v, int) for v in t):
        raise ValueError(f"{op}: {name} must be an int or a {what or f'tuple of {n} ints'}, got {value!r}")
    return t


def padding_pairs(padding, kernel, stride, dilation, op):
    """``padding`` (int, tuple, 'same' or 'valid') as ``(before, after)`` per spatial axis.

    'same' keeps the length at stride 1: the total padding d·(k−1) is split with the odd
    element after, as PyTorch does.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == 'valid':
            return ((0, 0),) * n
        if padding != 'same':
            raise ValueError(f"{op}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = int_tuple(padding, n, op, 'padding')
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pads)


def pool_window(op, input, kernel_size, stride, padding, dilation, ceil_mode, max_pad):
    """Check a pooling call and return ``(x as 4-d, batched?, Window2d)``.

    ``max_pad(k, d)`` is the largest padding allowed for a kernel k with dilation d: each
    window must hold at least one real pixel.
    """
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), "
                         f"got shape {tuple(input.shape)}")
    pair = 'pair of ints'
    kernel = int_tuple(kernel_size, 2, op, 'kernel_size', pair)
    # PyTorch: a stride of None or [] means kernel_size
    stride = kernel if stride in (None, [], ()) else int_tuple(stride, 2, op, 'stride', pair)
    pad = int_tuple(padding, 2, op, 'padding', pair)
    dilation = int_tuple(dilation, 2, op, 'dilation', pair)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got kernel_size={kernel}, "
                         f"stride={stride}, dilation={dilation}")
    for p, k, d in zip(pad, kernel, dilation):
        if p < 0 or p > max_pad(k, d):
            raise ValueError(f"{op}: padding must be between 0 and half the (dilated) kernel size, got "
                             f"padding={pad} for kernel_size={kernel}, dilation={dilation}")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    in_hw = tuple(x.shape[2:])
    out_hw = tuple(pool_out_size(size, k, s, p, d, ceil_mode)
                   for size, k, s, p, d in zip(in_hw, kernel, stride, pad, dilation))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: the window (kernel_size={kernel}, dilation={dilation}) does not fit the input "
                         f"of shape {tuple(input.shape)} with padding={pad}")
    return x, batched, Window2d(in_hw, kernel, stride, dilation, tuple((p, p) for p in pad), out_hw)


# ----------------------------------------------------------------------------------------
# convolution: forward, input gradient (transposed convolution), weight gradient
# ----------------------------------------------------------------------------------------

def _im2col(x, win, groups, samples_apart=True):
    """The im2col matrix per sample and group, ``(N, G, C/G·KH·KW, OH·OW)``; with
    ``samples_apart=False`` the samples side by side instead, ``(G, C/G·KH·KW, N·OH·OW)``.

    The strided view costs nothing; this reshape is where the columns are materialised.
    """
    n = x.shape[0]
    pixels = win.out_hw[0] * win.out_hw[1]
    rows = x.shape[1] // groups * win.kernel[0] * win.kernel[1]   # explicit: -1 is ambiguous for an empty batch
    view = win.unfold(win.pad(x))                                         # (N, C, OH, OW, KH, KW)
    if samples_apart:
        return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, groups, rows, pixels)
    return view.transpose(1, 4, 5, 0, 2, 3).reshape(groups, rows, n * pixels)


def _grouped(a, groups):
    """An output-shaped ``(N, O, OH, OW)`` array as ``(N, G, O/G, OH·OW)`` (a view when contiguous)."""
    n, o, oh, ow = a.shape
    return a.reshape(n, groups, o // groups, oh * ow)


class Conv2d(Function):
    """y = conv(x, w): per sample and group, ``W @ cols`` with ``cols`` the im2col matrix of x.

    x: (N, C, H, W), w: (O, C/G, KH, KW) -> y: (N, O, OH, OW).
    Backward: dx = Conv2dInputGrad(dy, w) (a transposed convolution), dw = Conv2dWeightGrad(x, dy).
    """

    @staticmethod
    def forward(ctx, x, w, win, groups):
        ctx.win, ctx.groups = win, groups
        ctx.save_for_backward(x, w)
        n, o = x.shape[0], w.shape[0]
        y = w.data.reshape(groups, o // groups, -1) @ _im2col(x.data, win, groups)    # (N, G, O/G, OH·OW)
        return y.reshape((n, o) + win.out_hw)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = Conv2dInputGrad.apply(grad, w, ctx.win, ctx.groups) if ctx.needs_input_grad[0] else None
        gw = Conv2dWeightGrad.apply(x, grad, ctx.win, ctx.groups) if ctx.needs_input_grad[1] else None
        return gx, gw, None, None


class Conv2dInputGrad(Function):
    """dx = convᵀ(dy, w), the transposed convolution: columns ``Wᵀ @ dy`` per sample, then col2im.

    It is linear in dy and in w; its adjoints are a convolution and a weight gradient:
    d/d(dy) = Conv2d(g, w), d/dw = Conv2dWeightGrad(g, dy).
    """

    @staticmethod
    def forward(ctx, gy, w, win, groups):
        ctx.win, ctx.groups = win, groups
        ctx.save_for_backward(gy, w)
        n = gy.shape[0]
        o, c_per_group = w.shape[:2]
        wt = w.data.reshape(groups, o // groups, -1).swapaxes(-1, -2)           # (G, C/G·KH·KW, O/G)
        cols = (wt @ _grouped(gy.data, groups)).reshape((n, groups * c_per_group, win.kernel[0] * win.kernel[1])
                                                        + win.out_hw)
        return win.crop(win.fold(lambda k: cols[:, :, k]))

    @staticmethod
    def backward(ctx, grad):
        gy, w = ctx.saved_tensors
        d_gy = Conv2d.apply(grad, w, ctx.win, ctx.groups) if ctx.needs_input_grad[0] else None
        d_w = Conv2dWeightGrad.apply(grad, gy, ctx.win, ctx.groups) if ctx.needs_input_grad[1] else None
        return d_gy, d_w, None, None


class Conv2dWeightGrad(Function):
    """dw = dy_rows @ colsᵀ per group, over all samples: every output pixel's gradient times the window it read.

    Linear in x and in dy; d/dx = Conv2dInputGrad(dy, g), d/d(dy) = Conv2d(x, g).
    """

    @staticmethod
    def forward(ctx, x, gy, win, groups):
        ctx.win, ctx.groups = win, groups
        ctx.save_for_backward(x, gy)
        o, c = gy.shape[1], x.shape[1]
        # one product per group over every sample's pixels at once; a product per sample would
        # stack N weight-sized results first (large for many channels on small images)
        rows = gy.data.transpose(1, 0, 2, 3).reshape(groups, o // groups, gy.data[:, 0].size)   # (G, O/G, N·OH·OW)
        gw = rows @ _im2col(x.data, win, groups, samples_apart=False).swapaxes(-1, -2)  # (G, O/G, C/G·KH·KW)
        return gw.reshape((o, c // groups) + win.kernel)

    @staticmethod
    def backward(ctx, grad):
        x, gy = ctx.saved_tensors
        d_x = Conv2dInputGrad.apply(gy, grad, ctx.win, ctx.groups) if ctx.needs_input_grad[0] else None
        d_gy = Conv2d.apply(x, grad, ctx.win, ctx.groups) if ctx.needs_input_grad[1] else None
        return d_x, d_gy, None, None


# ----------------------------------------------------------------------------------------
# max pooling: find each window's winner, then gather it <-> scatter the gradient back to it
# ----------------------------------------------------------------------------------------

def max_pool2d_winners(x, win):
    """Which entry of each window holds the maximum: an ``(N, C, OH, OW)`` array of flat
    offsets ``u·KW + v`` into the window. Padding counts as −∞, so it never wins; on a tie
    the first entry (row-major) wins, and a NaN wins over any number (so it propagates), as in PyTorch.

    Each kernel offset reads a strided plane of the padded input: the maximum of the planes, then,
    from the last offset to the first, where each plane attains it. KH·KW passes over the output,
    none over a copy of the windows."""
    xp = get_array_module(x)
    padded = win.pad(x, -xp.inf)
    planes = [padded[:, :, rows, cols] for rows, cols in win.offsets()]
    best = planes[0]
    for plane in planes[1:]:
        best = xp.maximum(best, plane)                  # NaN propagates
    idx = xp.zeros(best.shape, dtype=xp.intp)
    for k in range(len(planes) - 1, -1, -1):            # backwards, so the first hit is written last
        plane = planes[k]
        idx[(plane == best) | (plane != plane)] = k      # plane != plane: NaN
    return idx


def winner_pixels(idx, win):
    """The (row, col) in the *unpadded* input of each window's winner."""
    xp = get_array_module(idx)
    (oh, ow), kw = win.out_hw, win.kernel[1]
    (sh, sw), (dh, dw), ((top, _), (left, _)) = win.stride, win.dilation, win.pads
    u, v = xp.divmod(idx, kw)
    rows = xp.arange(oh)[:, None] * sh + u * dh - top
    cols = xp.arange(ow)[None, :] * sw + v * dw - left
    return rows, cols


class MaxPool2dGather(Function):
    """Max pooling once the winners are known: y[n, c, i, j] = x[n, c, row, col] of window (i, j)'s winner.

    Linear in x; its adjoint sends each gradient back to the winner: dx = MaxPool2dScatter(dy).
    """

    @staticmethod
    def forward(ctx, x, win, idx):
        xp = get_array_module(x.data)
        ctx.win, ctx.idx = win, idx
        padded = win.pad(x.data)
        y = None
        for k, (rows, cols) in enumerate(win.offsets()):      # each offset's plane, where it won
            y = xp.where(idx == k, padded[:, :, rows, cols], 0 if y is None else y)
        return y

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dScatter.apply(grad, ctx.win, ctx.idx), None, None


class MaxPool2dScatter(Function):
    """dx: each output's gradient added onto its window's winner (windows may share one: col2im adds).

    Linear in dy; its adjoint reads the same pixels: d/d(dy) = MaxPool2dGather(g).
    """

    @staticmethod
    def forward(ctx, gy, win, idx):
        xp = get_array_module(gy.data)
        ctx.win, ctx.idx = win, idx
        zero = gy.data.dtype.type(0)
        return win.crop(win.fold(lambda k: xp.where(idx == k, gy.data, zero)))

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dGather.apply(grad, ctx.win, ctx.idx), None, None


# ----------------------------------------------------------------------------------------
# average pooling: window sum / divisor <-> spread the gradient evenly over the window
# ----------------------------------------------------------------------------------------

class AvgPool2d(Function):
    """y[n, c, i, j] = (Σ over the window of x) / divisor[i, j].

    ``divisor`` is an ``(OH, OW)`` array (the window size, with or without the padding it
    covers). Backward: dx = AvgPool2dSpread(dy).
    """

    @staticmethod
    def forward(ctx, x, win, divisor):
        ctx.win, ctx.divisor = win, divisor
        return win.unfold(win.pad(x.data)).sum(axis=(4, 5)) / divisor

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2dSpread.apply(grad, ctx.win, ctx.divisor), None, None


class AvgPool2dSpread(Function):
    """dx: each output's gradient / divisor, added onto every pixel of its window (col2im).

    Linear in dy; its adjoint is average pooling itself: d/d(dy) = AvgPool2d(g).
    """

    @staticmethod
    def forward(ctx, gy, win, divisor):
        ctx.win, ctx.divisor = win, divisor
        share = gy.data / divisor
        return win.crop(win.fold(lambda k: share))

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2d.apply(grad, ctx.win, ctx.divisor), None, None
