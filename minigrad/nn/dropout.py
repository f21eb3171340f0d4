"""``Dropout``: randomly zero activations while training, a regulariser against over-fitting.

In training mode each element is zeroed with probability p and the survivors are scaled by
1/(1-p), so the expected value is unchanged; in evaluation mode (``model.eval()``) the layer
is the identity. The random mask follows ``minigrad.manual_seed``.
"""
import numbers

from . import functional as F
from .module import Module


class Dropout(Module):
    """``Dropout(p=0.5)``: y = x · mask / (1 - p) with mask ~ Bernoulli(1 - p), only in training mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
