"""Convolution layers: the functional ``conv1d``/``conv2d`` and the modules ``Conv1d``/``Conv2d``.

A convolution (article 004, §3.1 卷积) slides a small kernel over the input and takes a dot
product at every position:

    y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v  x_pad[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v]

with stride ``s``, dilation ``d`` (gaps between the kernel taps) and zero padding. With
``groups = G`` the channels are cut into G independent slices, each with its own filters
(``groups = C`` is a depthwise convolution). The arithmetic lives in ``minigrad.ops.conv``
(im2col as a strided view, then one matmul); this file checks the arguments, normalises them
and adds the bias. A 1-d convolution is the 2-d one on an image of height 1.
"""
import math

from ..creation import empty
from ..ops.conv import Conv2d as _Conv2dOp, Window2d, conv_out_size
from ..tensor import float32
from . import init
from .module import Module, Parameter


def _tuple(value, n, op, name):
    """An int or an n-tuple of ints, as an n-tuple of ints."""
    t = (value,) * n if isinstance(value, int) else tuple(value)
    if len(t) != n or not all(isinstance(v, int) for v in t):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return t


def _padding_pairs(padding, kernel, stride, dilation, op):
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
    pads = _tuple(padding, n, op, 'padding')
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pads)


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    """Shared body of conv1d (nd=1) and conv2d (nd=2)."""
    names = 'N, C, L' if nd == 1 else 'N, C, H, W'
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected a {nd + 2}-d input ({names}) or a {nd + 1}-d unbatched one, "
                         f"got shape {tuple(input.shape)}")
    if weight.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d weight (out_channels, in_channels/groups, kernel...), "
                         f"got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if input.dtype != weight.dtype:
        raise TypeError(f"{op}: input ({input.dtype}) and weight ({weight.dtype}) must have the same dtype")
    batched = input.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    out_channels, in_per_group = weight.shape[:2]
    if x.shape[1] != in_per_group * groups:
        raise ValueError(f"{op}: expected input with {in_per_group * groups} channels "
                         f"(weight {tuple(weight.shape)}, groups={groups}), got input of shape {tuple(input.shape)}")
    if out_channels % groups:
        raise ValueError(f"{op}: out_channels={out_channels} (weight {tuple(weight.shape)}) "
                         f"is not divisible by groups={groups}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{op}: expected bias of shape ({out_channels},), got {tuple(bias.shape)}")
    if bias is not None and bias.dtype != weight.dtype:
        raise TypeError(f"{op}: bias ({bias.dtype}) and weight ({weight.dtype}) must have the same dtype")
    kernel = tuple(weight.shape[2:])
    stride = _tuple(stride, nd, op, 'stride')
    dilation = _tuple(dilation, nd, op, 'dilation')
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    pads = _padding_pairs(padding, kernel, stride, dilation, op)
    w = weight
    if nd == 1:     # a 1-d signal is an image of height 1
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    in_hw = tuple(x.shape[2:])
    out_hw = tuple(conv_out_size(size, k, s, lo + hi, d)
                   for size, k, s, (lo, hi), d in zip(in_hw, kernel, stride, pads, dilation))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: the kernel {tuple(weight.shape[2:])} (dilation {dilation[-nd:]}) does not fit "
                         f"the padded input: input shape {tuple(input.shape)}, padding {padding!r}")
    y = _Conv2dOp.apply(x, w, Window2d(in_hw, kernel, stride, dilation, pads, out_hw), groups)
    if bias is not None:
        y = y + bias.reshape((1, out_channels, 1, 1))
    if nd == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of ``input`` (N, C, H, W) or (C, H, W) with ``weight`` (O, C/groups, KH, KW).

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output as large as the input,
    stride 1 only).
    """
    return _conv('conv2d', 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of ``input`` (N, C, L) or (C, L) with ``weight`` (O, C/groups, K)."""
    return _conv('conv1d', 1, input, weight, bias, stride, padding, dilation, groups)


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the parameters, PyTorch's initialisation, the repr."""
    nd = None
    functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__()
        op = type(self).__name__
        if padding_mode != 'zeros':
            raise NotImplementedError(f"{op}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{op}: in_channels={in_channels} and out_channels={out_channels} must both be "
                             f"divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.nd, op, 'kernel_size')
        self.stride = _tuple(stride, self.nd, op, 'stride')
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self.nd, op, 'padding')
        self.dilation = _tuple(dilation, self.nd, op, 'dilation')
        self.padding_mode = padding_mode
        if isinstance(padding, str):     # validate 'same'/'valid' now rather than at the first forward
            _padding_pairs(padding, self.kernel_size, self.stride, self.dilation, op)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype or float32, device=device))
        self.bias = Parameter(empty(out_channels, dtype=dtype or float32, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=√5) for the weight, i.e. U(−1/√fan_in, 1/√fan_in),
        and the same bound for the bias (fan_in = in_channels/groups · kernel size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return type(self).functional(input, self.weight, self.bias, self.stride, self.padding,
                                     self.dilation, self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-d convolution layer: weight (out_channels, in_channels/groups, kernel_size), bias (out_channels,)."""
    nd = 1
    functional = staticmethod(conv1d)


class Conv2d(_ConvNd):
    """2-d convolution layer: weight (out_channels, in_channels/groups, kH, kW), bias (out_channels,)."""
    nd = 2
    functional = staticmethod(conv2d)
