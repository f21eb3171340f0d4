"""Indexing: reading ``x[idx]`` and writing ``x[idx] = v``.

Reading with integer arrays can pick the same element twice; its gradient must then be the
*sum* of both picks, so the backward of ``GetItem`` scatter-adds (``IndexAdd``), and the backward
of ``IndexAdd`` is ``GetItem`` again: the two ops are each other's derivative, which is what
makes double backward work. ``idx`` is already normalised by ``Tensor.__getitem__``: a tuple
of ints, slices, None, Ellipsis and integer arrays (bool masks are turned into integer arrays).

An embedding lookup is a read with integer indices too: ``Embedding`` picks rows of a table,
and its backward is the same scatter-add.
"""
from ..autograd.function import Function
from ..backend import get_array_module, scatter_add


class GetItem(Function):
    """y = x[idx] with advanced (integer-array) indices: a copy;  dx = scatter-add of g."""
    @staticmethod
    def forward(ctx, x, idx):
        ctx.shape, ctx.idx = x.shape, idx
        return x.data[idx]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.shape, ctx.idx, ctx.is_view), None


class GetItemView(GetItem):
    """y = x[idx] with basic indices (ints, slices, None, Ellipsis): a view of x."""
    is_view = True


class IndexAdd(Function):
    """A zero tensor of ``shape`` with g added at ``idx``;  dg = dy[idx].

    Integer-array indices may repeat, and repeats must accumulate (``scatter_add``); a basic
    index (slices) names each element once, so a plain assignment does.
    """
    @staticmethod
    def forward(ctx, g, shape, idx, basic):
        ctx.idx, ctx.basic = idx, basic
        xp = get_array_module(g.data)
        out = xp.zeros(shape, dtype=g.data.dtype)
        if basic:
            out[idx] = g.data
        else:
            scatter_add(out, idx, g.data)
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx], None, None, None


class SetItem(Function):
    """y = x with y[idx] = v;  dx = g with zeros at idx, dv = g[idx].

    ``inplace=True`` writes into x's own memory (``Tensor.__setitem__``); the backward uses the
    out-of-place form, since gradients are fresh tensors.
    """
    @staticmethod
    def forward(ctx, x, v, idx, inplace):
        ctx.idx = idx
        out = x.data if inplace else x.data.copy()
        out[idx] = v.data
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = SetItem.apply(g, g._scalar(0), ctx.idx, False)
        if ctx.needs_input_grad[1]:
            gv = g[ctx.idx]
        return gx, gv, None, None


class Embedding(Function):
    """y = weight[index]: one row of the table per index.

    Backward scatter-adds each output row's gradient into the row it came from (a row used twice
    gets the sum); rows equal to ``padding_idx`` get no gradient, so the padding vector stays fixed.
    """
    @staticmethod
    def forward(ctx, weight, index, padding_idx):
        ctx.shape, ctx.index, ctx.padding_idx = weight.shape, index, padding_idx
        return weight.data[index]

    @staticmethod
    def backward(ctx, g):
        if ctx.padding_idx is not None:
            keep = g._wrap(get_array_module(ctx.index).expand_dims(ctx.index != ctx.padding_idx, -1))
            g = g * keep
        return IndexAdd.apply(g, ctx.shape, (ctx.index,), False), None, None
