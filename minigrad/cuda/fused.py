"""When an op may hand its work to a fused kernel, and the reshaping around the kernel call.

The ops in ``minigrad.ops`` (softmax and log-softmax in ``activation.py``, GELU there too,
cross-entropy in ``loss.py``, layer norm in ``norm.py``) are written as their composed formula,
which is the reference and what runs on the CPU. Each one first calls the function of its name
here as an early return: it gives the kernel's answer when ``minigrad.cuda.kernels`` can compute
it on these arrays, and ``None`` otherwise, so the op goes on to its formula.

A backward never takes a kernel while building a graph (``create_graph=True``): a kernel's output
is a plain array, and double backward needs the composed formula written in Tensor ops.
"""
import math

import numpy

from ..autograd.grad_mode import creating_graph
from ..backend import get_array_module
from . import kernels


def _along_rows(dim, *arrays):
    """Can a row kernel (one row per softmax) run on these arrays along ``dim``?"""
    return dim == arrays[0].ndim - 1 and kernels.usable(*arrays)


# ---------------------------------------------------------------------------------------------
# softmax, log-softmax, GELU: arrays in, array out
# ---------------------------------------------------------------------------------------------
def softmax(x, dim, log=False):
    """softmax (or log_softmax) of the array x along ``dim``, or None."""
    return kernels.softmax(x, log=log) if _along_rows(dim, x) else None


def softmax_backward(y, g, dim, log=False):
    """dx from the output y of ``softmax(x, dim, log)`` and the incoming gradient g, or None."""
    if creating_graph() or not _along_rows(dim, y, g):
        return None
    return kernels.softmax_backward(y, g, log=log)


def gelu(x, approximate):
    """x · Φ(x) of the array x, or None."""
    return kernels.gelu(x, approximate) if kernels.usable(x) else None


def gelu_backward(x, g, approximate):
    """g · (Φ(x) + x Φ'(x)), or None."""
    if creating_graph() or not kernels.usable(x, g):
        return None
    return kernels.gelu_backward(x, g, approximate)


# ---------------------------------------------------------------------------------------------
# cross-entropy against integer classes
# ---------------------------------------------------------------------------------------------
def cross_entropy(x, target, dim, scale):
    """``CrossEntropy``'s forward for the array of logits x and a ``ClassTarget`` without label
    smoothing: ``(loss, saved)`` with ``saved`` what ``cross_entropy_backward`` needs, or None."""
    if target.smooth is not None or not _along_rows(dim, x):
        return None
    xp = get_array_module(x)
    rows = x.reshape(-1, x.shape[-1])
    index = xp.ascontiguousarray(target.index.reshape(-1), dtype=xp.int64)
    coef = xp.ascontiguousarray(target.coef.reshape(-1), dtype=x.dtype)
    losses, lse = kernels.cross_entropy(rows, index, coef)
    per_sample = losses.reshape(target.index.shape)
    return (per_sample if scale is None else per_sample.sum() * scale), (lse, index, coef)


def cross_entropy_backward(x, saved, g, scale):
    """dx of ``cross_entropy`` from what its forward saved and the incoming gradient array g, or None."""
    if saved is None or creating_graph():
        return None
    lse, index, coef = saved
    xp = get_array_module(x)
    per_row = g if scale is None else g * scale
    G = xp.ascontiguousarray(xp.broadcast_to(per_row, lse.shape), dtype=x.dtype)
    return kernels.cross_entropy_backward(x.reshape(-1, x.shape[-1]), lse, index, coef, G).reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# layer norm: statistics over the trailing axes
# ---------------------------------------------------------------------------------------------
def _as_rows(array, view):
    """An array as a matrix with one row per normalised group (the trailing ``view`` axes flattened)."""
    return array.reshape(-1, math.prod(view))


def layer_norm(x, weight, bias, dims, view, eps):
    """``Normalize``'s forward on Tensors x, weight, bias when it is a layer norm (statistics over
    the trailing axes; weight and bias both given or both absent) on arrays a kernel takes:
    ``(y, mean, rstd)`` as arrays, the statistics keeping the normalised axes as 1; else None."""
    trailing = dims == tuple(range(x.ndim - len(view), x.ndim)) and tuple(x.shape[x.ndim - len(view):]) == view
    if not trailing or (weight is None) != (bias is None):
        return None
    if not kernels.usable(x.data, *(() if weight is None else (weight.data, bias.data))):
        return None
    y, mean, rstd = kernels.layer_norm(_as_rows(x.data, view), *(None if p is None else p.data.reshape(-1)
                                                               for p in (weight, bias)), eps)
    stat_shape = x.shape[:x.ndim - len(view)] + (1,) * len(view)
    return y.reshape(x.shape), mean.reshape(stat_shape), rstd.reshape(stat_shape)


def layer_norm_backward(ctx, x, weight, g):
    """``Normalize.backward`` after a fused forward: the kernel for dx, column sums for dw and db;
    None while building a graph, or when g is not laid out for the kernel or not of x's dtype (a
    float64 gradient for a float32 output, say: the kernel would read its bytes as float32)."""
    if creating_graph() or not kernels.usable(x.data, g.data):
        return None
    view = ctx.view
    rows, g_rows = _as_rows(x.data, view), _as_rows(g.data, view)
    mean, rstd = ctx.mean.data.reshape(-1), ctx.rstd.data.reshape(-1)
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    w = None if weight is None else weight.data.reshape(-1)
    gx = x._wrap(kernels.layer_norm_backward(rows, w, mean, rstd, g_rows).reshape(x.shape)) if need_x else None
    gw = gb = None
    if need_w:
        xhat = (rows - mean[:, None]) * rstd[:, None]
        gw = x._wrap((g_rows * xhat).sum(axis=0).reshape(weight.shape))
    if need_b:
        gb = x._wrap(g_rows.sum(axis=0).reshape(ctx.bias_shape))
    return gx, gw, gb


# ---------------------------------------------------------------------------------------------
# attention: one kernel per direction over (batch, head) views
# ---------------------------------------------------------------------------------------------
def _attention_views(q, k, v, bias):
    """q, k, v and bias as the 4-D (B, H, rows, columns) views the attention kernels take, zero
    strides where they broadcast, with the broadcast batch shape they came with; None where the
    kernels do not apply (more than two batch axes, a head too large, no kernel for these arrays)."""
    arrays = (q, k, v) + (() if bias is None else (bias,))
    batch = numpy.broadcast_shapes(*(a.shape[:-2] for a in arrays))
    if len(batch) > 2 or max(q.shape[-1], v.shape[-1]) > kernels.attention_max_head(q.dtype):
        return None
    if not kernels.usable(*arrays, strided=True):
        return None
    xp = get_array_module(q)
    pad = (1,) * (2 - len(batch)) + batch
    q, k, v = (xp.broadcast_to(a if a.strides[-1] == a.itemsize else xp.ascontiguousarray(a), pad + a.shape[-2:])
               for a in (q, k, v))
    if bias is not None:
        bias = xp.broadcast_to(bias, pad + (q.shape[-2], k.shape[-2]))
    return batch, (q, k, v, bias)


def attention(q, k, v, bias, causal, scale):
    """``FlashAttention``'s forward on arrays by the fused kernel: (out, lse) shaped as the tiled
    version's (batch + (L, dv) and batch + (L, 1)), or None."""
    views = _attention_views(q, k, v, bias)
    if views is None:
        return None
    batch, (q4, k4, v4, b4) = views
    out, lse = kernels.attention(q4, k4, v4, b4, causal, scale)
    return out.reshape(batch + out.shape[-2:]), lse.reshape(batch + (lse.shape[-1], 1))


def attention_backward(q, k, v, bias, causal, scale, out, lse, g):
    """dq, dk, dv of ``attention`` (with the broadcast batch shape, as the tiled version's), or None."""
    views = None if creating_graph() or not kernels.usable(q, g, strided=True) else _attention_views(q, k, v, bias)
    if views is None:
        return None
    batch, (q4, k4, v4, b4) = views
    xp = get_array_module(q)
    full = q4.shape[:2] + out.shape[-2:]
    g4, out4 = (xp.ascontiguousarray(xp.broadcast_to(a, batch + a.shape[-2:])).reshape(full) for a in (g, out))
    grads = kernels.attention_backward(q4, k4, v4, b4, causal, scale, out4, lse.reshape(full[:3]), g4)
    return tuple(a.reshape(batch + a.shape[-2:]) for a in grads)
