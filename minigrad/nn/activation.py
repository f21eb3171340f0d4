"""Activation layers: the nonlinearities between linear layers (article 002 §3.5).

Without them a stack of linear layers is one linear map. Each module calls the function of the
same name in ``minigrad.nn.functional``; see there for the formulas.

PyTorch's ``inplace=True`` is accepted by every layer that has it, and shown in the repr, but the
output is always a new tensor (an in-place activation would overwrite what backward needs).
"""
from ..creation import empty
from . import functional as F
from .init import constant_
from .module import Module, Parameter


class _InplaceFlag(Module):
    """An activation with PyTorch's ``inplace`` argument (accepted; see the module docstring)."""
    _shows_inplace = True       # whether PyTorch's repr of this layer mentions inplace=True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _inplace_repr(self):
        return ', inplace=True' if self.inplace and self._shows_inplace else ''

    def extra_repr(self):
        return self._inplace_repr()[2:]


class ReLU(_InplaceFlag):
    """max(x, 0)."""

    def forward(self, input):
        return F.relu(input)


class GELU(Module):
    """x · Φ(x) (Φ the standard normal CDF); ``approximate='tanh'`` for the tanh formula of GPT-2."""

    def __init__(self, approximate='none'):
        super().__init__()
        if approximate not in ('none', 'tanh'):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^-x)."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class SiLU(_InplaceFlag):
    """x · σ(x) (also called swish)."""

    def forward(self, input):
        return F.silu(input)


class LeakyReLU(_InplaceFlag):
    """x for x > 0, negative_slope · x otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{self._inplace_repr()}"


class PReLU(Module):
    """x for x > 0, a · x otherwise, with the slope a learned: ``weight`` of shape (num_parameters,),
    one slope shared by all channels (the default) or one per channel (dim 1), initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(_InplaceFlag):
    """x for x > 0, α · (e^x - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}{self._inplace_repr()}"


class CELU(ELU):
    """x for x > 0, α · (e^(x/α) - 1) otherwise."""

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(_InplaceFlag):
    """λ · ELU(x, α) with the fixed λ ≈ 1.0507, α ≈ 1.6733 of self-normalising networks."""

    def forward(self, input):
        return F.selu(input)


class Mish(_InplaceFlag):
    """x · tanh(softplus(x))."""

    def forward(self, input):
        return F.mish(input)


class Hardtanh(_InplaceFlag):
    """x clipped into [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(inplace)
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{self._inplace_repr()}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): Hardtanh(0, 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return self._inplace_repr()[2:]


class Hardsigmoid(_InplaceFlag):
    """relu6(x + 3) / 6."""
    _shows_inplace = False

    def forward(self, input):
        return F.hardsigmoid(input)


class Hardswish(_InplaceFlag):
    """x · relu6(x + 3) / 6."""
    _shows_inplace = False

    def forward(self, input):
        return F.hardswish(input)


class LogSigmoid(Module):
    """log σ(x) = -softplus(-x)."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class Softplus(Module):
    """log(1 + e^(βx)) / β, a smooth ReLU."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Turns scores into probabilities along ``dim``: e^(x_i) / Σ_j e^(x_j)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim`` (pairs with NLLLoss)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
