"""Convolution layers: ``Conv1d`` and ``Conv2d``.

A convolution (article 004, §3.1 卷积) slides a small kernel over the input and takes a dot
product at every position:

    y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v  x_pad[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v]

with stride ``s``, dilation ``d`` (gaps between the kernel taps) and zero padding. With
``groups = G`` the channels are cut into G independent slices, each with its own filters
(``groups = C`` is a depthwise convolution). The arithmetic lives in ``minigrad.ops.conv``
(im2col as a strided view, then one matmul); the functional forms ``F.conv1d``/``F.conv2d`` check
the arguments, normalise them and add the bias; this file holds the parameters. A 1-d
convolution is the 2-d one on an image of height 1.
"""
import math

from ..creation import empty
from ..ops.conv import int_tuple, padding_pairs
from ..tensor import float32
from . import functional as F
from .functional import non_negative_ints, positive_ints
from . import init
from .module import Module, Parameter


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
        non_negative_ints(op, in_channels=in_channels, out_channels=out_channels)
        positive_ints(op, groups=groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{op}: in_channels={in_channels} and out_channels={out_channels} must both be "
                             f"divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = int_tuple(kernel_size, self.nd, op, 'kernel_size')
        self.stride = int_tuple(stride, self.nd, op, 'stride')
        self.padding = padding if isinstance(padding, str) else int_tuple(padding, self.nd, op, 'padding')
        self.dilation = int_tuple(dilation, self.nd, op, 'dilation')
        positive_ints(op, kernel_size=self.kernel_size, stride=self.stride, dilation=self.dilation)
        self.padding_mode = padding_mode
        if isinstance(padding, str):     # validate 'same'/'valid' now rather than at the first forward
            padding_pairs(padding, self.kernel_size, self.stride, self.dilation, op)
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
            bound = 1 / math.sqrt(fan_in)
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
    functional = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution layer: weight (out_channels, in_channels/groups, kH, kW), bias (out_channels,)."""
    nd = 2
    functional = staticmethod(F.conv2d)
