"""Pooling layers: ``MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d``.

Pooling (article 004, §3.1 池化) summarises each window of a feature map by one number, the
maximum or the mean, shrinking the map and making it less sensitive to small shifts:

    max:   y[n, c, i, j] = max_{u,v} x_pad[n, c, i·s + u·d, j·s + v·d]      (padding = −∞)
    avg:   y[n, c, i, j] = Σ_{u,v} x_pad[n, c, i·s + u, j·s + v] / divisor   (padding = 0)

Channels never mix. The windows are the same strided views as in convolution (see
``minigrad.ops.conv``); the functional forms (``F.max_pool2d``, ``F.avg_pool2d``,
``F.adaptive_avg_pool2d``) check and normalise the arguments. The adaptive pool picks its
windows from the output size it must reach, and is built from Tensor ops.
"""
from . import functional as F
from .module import Module


class MaxPool2d(Module):
    """Max pooling layer (see ``max_pool2d``); no parameters."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
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
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling layer (see ``adaptive_avg_pool2d``); no parameters."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
