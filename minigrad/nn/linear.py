"""Linear layers: ``Identity``, ``Linear`` (y = x Wᵀ + b) and ``Bilinear`` (y = x1ᵀ W x2 + b).

A ``Linear`` layer is a row of neurons (article 002 §3.1): each output is a weighted sum of all
inputs plus a bias. The weight is stored (out_features, in_features), as in PyTorch, so that its
rows are the neurons and a PyTorch ``state_dict`` loads without transposing anything.
"""
import math

from ..creation import empty
from . import functional as F
from . import init
from .module import Module, Parameter


def _check_size(value, layer, name):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{layer}: {name} must be a non-negative int, got {value!r}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to switch a layer off); ignores any arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b.  weight: (out_features, in_features), bias: (out_features,).

    Default initialisation as PyTorch: W ~ U(-1/√in, 1/√in) (``kaiming_uniform_`` with a=√5),
    b ~ U(-1/√in, 1/√in).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_size(in_features, 'Linear', 'in_features')
        _check_size(out_features, 'Linear', 'out_features')
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y_o = x1ᵀ W_o x2 + b_o.  weight: (out_features, in1_features, in2_features), bias: (out_features,).

    Default initialisation as PyTorch: weight and bias ~ U(-1/√in1, 1/√in1).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, v in (('in1_features', in1_features), ('in2_features', in2_features),
                        ('out_features', out_features)):
            _check_size(v, 'Bilinear', name)
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

