"""Reductions: sum, mean, amax/amin, prod.

A reduction's backward spreads the gradient back over the reduced axes: each input element
receives the gradient of the output it contributed to. ``dims`` is a normalised tuple of
non-negative axes (or None for all), checked by the Tensor method that calls the op.
"""
import math

from ..autograd.function import Function
from ..backend import get_array_module
from .shape import inverse_permutation


def _kept_shape(shape, dims):
    """The output shape with keepdim=True: reduced axes become 1."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _spread(g, shape, dims, keepdim):
    """The gradient of a reduced output, broadcast back over the input's shape (a view)."""
    if not keepdim:
        g = g.reshape(_kept_shape(shape, dims))
    return g.expand(shape)


class Sum(Function):
    """y = Σ x over dims;  dx = g broadcast back."""
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.data.sum(axis=dims, keepdims=keepdim)   # bool and int sums come out int64, as PyTorch

    @staticmethod
    def backward(ctx, g):
        return _spread(g, ctx.shape, ctx.dims, ctx.keepdim), None, None


class Mean(Function):
    """y = Σ x / n over dims;  dx = g / n broadcast back."""
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = x.data.size // max(1, math.prod(_kept_shape(x.shape, dims)))
        ctx.n = n
        return x.data.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _spread(g / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None


class AMax(Function):
    """y = max x over dims; the gradient is shared evenly among the elements that attain it."""
    saves_output = True
    reduce = 'max'

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim = dims, keepdim
        return getattr(x.data, ctx.reduce)(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        y = ctx.saved_output
        if not ctx.keepdim:
            y = y.reshape(_kept_shape(x.shape, ctx.dims))
        hit = x == y
        share = hit.to(x.dtype) / hit.sum(ctx.dims, keepdim=True)
        return _spread(g, x.shape, ctx.dims, ctx.keepdim) * share, None, None


class AMin(AMax):
    """y = min x over dims; the gradient is shared evenly among the elements that attain it."""
    reduce = 'min'


class Prod(Function):
    """y = Π x over dims;  dx_i = g · Π_{j≠i} x_j.

    Without zeros, Π_{j≠i} x_j = y / x_i. Division fails at a zero, so then the product of the
    others is taken directly: each element's row of the n reduced values, with itself replaced
    by 1 (n² values: fine for the small products this is used on), multiplied out by ``prod``
    again, which keeps the formula differentiable to any order.
    """
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.data.prod(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        dims = ctx.dims if ctx.dims is not None else tuple(range(x.ndim))
        g = _spread(g, x.shape, ctx.dims, ctx.keepdim)
        if not (x.data == 0).any():
            return g * x.prod(ctx.dims, keepdim=True) / x, None, None
        kept = tuple(d for d in range(x.ndim) if d not in dims)
        order = kept + dims
        moved = x.permute(*order) if x.ndim else x
        lead = moved.shape[:len(kept)]
        n = x.numel() // max(1, math.prod(lead))
        rows = moved.reshape(lead + (1, n)).expand(lead + (n, n))
        xp = get_array_module(x.data)
        others = rows.masked_fill(x._wrap(xp.eye(n, dtype=bool)), 1).prod(-1)
        others = others.reshape(moved.shape)
        return g * (others.permute(*inverse_permutation(order)) if x.ndim else others), None, None
