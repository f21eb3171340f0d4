"""Neural-network primitives with hand-written backward passes (softmax, losses, normalisation).

These are single graph nodes rather than chains of small ops: fewer nodes is faster, and a
fused formula (``softmax - onehot`` for cross-entropy) is numerically safer.
"""
from ..autograd.function import Function
from ..backend import get_array_module


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (subtracting the max avoids overflow).

    Backward: dx = y * (g - sum(g * y)), the Jacobian-vector product of diag(y) - y yᵀ.
    """
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x.data)
        ctx.dim = dim
        e = xp.exp(x.data - x.data.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """log_softmax(x)_i = x_i - logsumexp(x);  backward: dx = g - softmax(x) * sum(g)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x.data)
        ctx.dim = dim
        shifted = x.data - x.data.max(axis=dim, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None
