"""Shape ops: they move or copy elements without changing them, so each backward is the
inverse rearrangement of the gradient (reshape back, permute back, sum over repeats).

Ops marked ``is_view`` return a view of their input's memory (as in PyTorch); such outputs
share the input's version counter, so an in-place change through either is seen by both.
"""
from ..autograd.function import Function
from ..backend import get_array_module


def inverse_permutation(dims):
    """The order that undoes ``permute(*dims)``: axis ``dims[i]`` goes back to position i."""
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return inverse


class Reshape(Function):
    """x with a new shape of the same size;  dx = g reshaped back."""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.data.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    """x with its axes reordered;  dx = g with the inverse order."""
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.data.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(*inverse_permutation(ctx.dims)), None


class Expand(Function):
    """x broadcast to a larger shape (a view, no copy);  dx = g summed over the broadcast axes.

    The engine already sums a broadcast gradient back to the input's shape, so backward only
    hands the gradient through.
    """
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return get_array_module(x.data).broadcast_to(x.data, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Contiguous(Function):
    """x copied into C-ordered memory (a no-op copy when it already is);  dx = g."""
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).ascontiguousarray(x.data)

    @staticmethod
    def backward(ctx, g):
        return g


class Repeat(Function):
    """x tiled ``reps`` times along each axis (``Tensor.repeat``).

    Backward: view the gradient as (r0, s0, r1, s1, ...) and sum over every r axis.
    """
    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
        ctx.reps = reps
        return get_array_module(x.data).tile(x.data, reps)

    @staticmethod
    def backward(ctx, g):
        split = []
        for r, s in zip(ctx.reps, ctx.shape):
            split += [r, s]
        summed = g.reshape(split).sum(tuple(range(0, len(split), 2)))
        return summed, None


class Cat(Function):
    """Tensors joined along ``dim``;  each input's gradient is its slice of g."""
    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        ctx.sizes = [t.shape[dim] for t in tensors]
        return get_array_module(tensors[0].data).concatenate([t.data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        lead = (slice(None),) * ctx.dim
        for n, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(g[lead + (slice(start, start + n),)] if need else None)
            start += n
        return tuple(grads)


class Unbind(Function):
    """x cut along ``dim`` into its slices (x[0], x[1], ... for dim 0), in one graph node.

    Backward stacks the slices' gradients back into one. Reading the slices one at a time
    (``x[t]``) would also work, but each read's backward builds a zero gradient the size of
    all of x: over the T steps of a sequence that is O(T²) work instead of O(T).
    """
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x.data[lead + (i,)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(ctx.dim, *grads), None


class Stack(Function):
    """Tensors of one shape joined along a new axis ``dim``;  the gradients are g's slices
    (``Unbind``: the two ops are each other's backward)."""
    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return get_array_module(tensors[0].data).stack([t.data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(Unbind.apply(g, ctx.dim))
