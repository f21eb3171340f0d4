"""Pooling layers: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d`` and their modules.

Pooling (article 004, §3.1 池化) summarises each window of a feature map by one number, the
maximum or the mean, shrinking the map and making it less sensitive to small shifts:

    max:   y[n, c, i, j] = max_{u,v} x_pad[n, c, i·s + u·d, j·s + v·d]      (padding = −∞)
    avg:   y[n, c, i, j] = Σ_{u,v} x_pad[n, c, i·s + u, j·s + v] / divisor   (padding = 0)

Channels never mix. The windows are the same strided views as in convolution (see
``minigrad.ops.conv``); this file checks and normalises the arguments. The adaptive pool picks
its windows from the output size it must reach, and is built from Tensor ops.
"""
from ..backend import get_array_module
from ..ops.conv import (AvgPool2d as _AvgPool2dOp, MaxPool2dGather, Window2d, max_pool2d_winners,
                        pool_out_size, winner_pixels)
from ..tensor import Tensor
from .module import Module


def _pair(value, op, name):
    t = (value, value) if isinstance(value, int) else tuple(value)
    if len(t) != 2 or not all(isinstance(v, int) for v in t):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return t


def _pool_window(op, input, kernel_size, stride, padding, dilation, ceil_mode, max_pad):
    """Check a pooling call and return ``(x as 4-d, batched?, Window2d)``.

    ``max_pad(k, d)`` is the largest padding allowed for a kernel k with dilation d: each
    window must hold at least one real pixel.
    """
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), "
                         f"got shape {tuple(input.shape)}")
    kernel = _pair(kernel_size, op, 'kernel_size')
    stride = kernel if stride in (None, [], ()) else _pair(stride, op, 'stride')     # PyTorch: [] means kernel_size
    pad = _pair(padding, op, 'padding')
    dilation = _pair(dilation, op, 'dilation')
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


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``.

    With ``return_indices`` also returns, per output, the flat index ``row·W + col`` of the
    chosen input pixel (an int64 tensor, as PyTorch).
    """
    x, batched, win = _pool_window('max_pool2d', input, kernel_size, stride, padding, dilation, ceil_mode,
                                   lambda k, d: (d * (k - 1) + 1) // 2)
    idx = max_pool2d_winners(x.data, win)
    y = MaxPool2dGather.apply(x, win, idx)
    if not batched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    rows, cols = winner_pixels(idx, win)
    flat = (rows * win.in_hw[1] + cols).astype('int64')
    return y, Tensor._make(flat if batched else flat[0], False, None, 0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``.

    The divisor is the window's size clipped to the padded input (``count_include_pad=True``),
    or the number of real pixels in it (``False``), or ``divisor_override``.
    """
    x, batched, win = _pool_window('avg_pool2d', input, kernel_size, stride, padding, 1, ceil_mode,
                                   lambda k, d: k // 2)
    xp = get_array_module(x.data)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be 0")
        divisor = xp.full(win.out_hw, divisor_override, dtype=x.dtype)
    else:
        counts = []
        for size, k, s, out, (p, _) in zip(win.in_hw, win.kernel, win.stride, win.out_hw, win.pads):
            start = xp.arange(out) * s - p
            end = xp.minimum(start + k, size + p)      # a ceil_mode window stops at the padding's end
            if not count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, size)
            counts.append(end - start)
        divisor = (counts[0][:, None] * counts[1][None, :]).astype(x.dtype)
    y = _AvgPool2dOp.apply(x, win, divisor)
    return y if batched else y.squeeze(0)


def _adaptive_matrix(in_size, out_size, xp, dtype):
    """The (out, in) averaging matrix of one axis: row i averages x[start_i:end_i] with
    start_i = ⌊i·in/out⌋ and end_i = ⌈(i+1)·in/out⌉ (PyTorch's rule; windows may overlap)."""
    i = xp.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    pos = xp.arange(in_size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size`` (an int, or a pair whose None entries keep the input size).

    When the output divides the input, the windows tile it exactly: a reshape and a mean.
    Otherwise the windows follow PyTorch's start/end rule; since each is a product of a row
    range and a column range, the pool is ``A_h @ x @ A_wᵀ`` with two small averaging matrices.
    """
    op = 'adaptive_avg_pool2d'
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), "
                         f"got shape {tuple(input.shape)}")
    h, w = input.shape[-2:]
    sizes = (output_size, output_size) if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    if oh < 1 or ow < 1 or h < 1 or w < 1:
        raise ValueError(f"{op}: output_size must be positive and the input non-empty, got output_size="
                         f"{output_size!r} for input of shape {tuple(input.shape)}")
    lead = tuple(input.shape[:-2])
    if h % oh == 0 and w % ow == 0:
        return input.reshape(lead + (oh, h // oh, ow, w // ow)).mean(dim=(-3, -1))
    xp = get_array_module(input.data)
    a_h = Tensor._make(_adaptive_matrix(h, oh, xp, input.data.dtype), False, None, 0)
    a_w = Tensor._make(_adaptive_matrix(w, ow, xp, input.data.dtype), False, None, 0)
    return a_h @ input @ a_w.transpose(0, 1)


class MaxPool2d(Module):
    """Max pooling layer (see ``max_pool2d``); no parameters."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average pooling layer (see ``avg_pool2d``); no parameters."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling layer (see ``adaptive_avg_pool2d``); no parameters."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
