"""Reductions: sum, mean, amax/amin, prod.

A reduction's backward spreads the gradient back over the reduced axes: each input element
receives the gradient of the output it contributed to. ``dims`` is a normalised tuple of
non-negative axes (or None for all), checked by the Tensor method that calls the op.
"""
from ..autograd.function import Function
from ..backend import get_array_module


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
        n = x.data.size // max(1, _size(_kept_shape(x.shape, dims)))
        ctx.n = n
        return x.data.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _spread(g / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


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
    """y = Π x over dims.

    dx_i = g · Π_{j≠i} x_j. Dividing y by x_i fails at zeros, so the product of the *other*
    elements is rebuilt from the product of the non-zero ones and the count of zeros:
    with one zero, only that element gets a gradient; with two or more, none does.
    """
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.data.prod(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        dims, shape = ctx.dims, x.shape
        zero = x == 0
        nonzero_prod = x.masked_fill(zero, 1).prod(dims, keepdim=True)
        zeros = zero.sum(dims, keepdim=True)
        others = (x.masked_fill(zero, 1).reciprocal() * nonzero_prod * (zeros == 0)
                  + nonzero_prod * zero * (zeros == 1))
        return _spread(g, shape, dims, ctx.keepdim) * others, None, None
