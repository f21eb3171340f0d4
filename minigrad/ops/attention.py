"""Scaled dot-product attention as one node, computed tile by tile (FlashAttention-style), and the
composed Tensor-op form it is checked against.

Attention (article 003 §3.2.1) is  O = softmax(S) V  with  S = Q Kᵀ·scale + bias,  for L queries
and S keys. Written with Tensor ops it materialises the whole L×S score matrix S, and the weights
softmax(S), for every batch element and head: at T = 4096 tokens that is 64 MiB per head in
float32, and backward keeps it alive. ``FlashAttention`` never holds more than one
``BLOCK``×``BLOCK`` tile of it. Its output is the same up to rounding; only memory changes,
from O(L·S) to O(L·BLOCK).

Forward (the online softmax). For each block of query rows, walk over the key blocks keeping
three running quantities per row: the largest score seen so far m, the sum of exponentials
l = Σ exp(s - m), and the unnormalised output acc = Σ exp(s - m) v. A new tile of scores s
updates them as

    m_new = max(m, rowmax(s)),   α = exp(m - m_new)        (rescales what was summed under the old max)
    p     = exp(s - m_new)
    l     = α·l + rowsum(p),     acc = α·acc + p V_tile

and after the last tile  out = acc / l.  Each exp is taken of a number <= 0 (no overflow), as in
the one-shot softmax. Per query row we keep  lse = m + log l  (the log of the softmax's
denominator), which is all backward needs to rebuild any tile of the weights: P = exp(S - lse).

Backward (FlashAttention-2's). With dO the output's gradient and D = rowsum(dO ∘ O), each tile
recomputes its scores and then

    P  = exp(S - lse)                   dV += Pᵀ dO
    dP = dO Vᵀ                          dS  = P ∘ (dP - D)          (softmax backward: D = rowsum(dP ∘ P))
    dQ += dS K · scale                  dK += dSᵀ Q · scale

so backward too holds one tile at a time. With ``create_graph=True`` the gradients come from
the same formulas written with Tensor ops on the whole score matrix (``_composed_grads``), so
they can be differentiated again (double backward).

Causal attention (query i sees keys 0..i, top-left aligned as PyTorch's ``is_causal``) skips the
key tiles that lie wholly right of the diagonal (about half the work) and masks the ones it
crosses. A row that sees no key at all (every score -inf) gets output 0 and gradient 0, as in
``masked_softmax``. Python loops run over tiles only; every product is batched over the leading
(batch, head) axes, which may broadcast.

On a GPU, ``FlashAttention`` hands both directions to the fused kernels of ``minigrad/cuda/kernels.py``
(one kernel each: the same formulas, with the tiles in shared memory and the running m, l and acc in
registers) as an early return; this tiled array code is their reference and runs wherever they do
not apply (the CPU, more than two batch axes, heads over 128 (float32) or 64 (float64), double backward).
"""
import math

from ..autograd.function import Function
from ..autograd.grad_mode import creating_graph
from ..backend import get_array_module, is_numpy
from ..cuda import fused

# Query and key rows per tile. On one CPU core (head size 32, float32, forward + backward) 128
# was the fastest or within 10% of it from T = 256 to 1024: smaller tiles pay more Python and
# small-matmul overhead, larger ones fall out of cache. A sequence of up to BLOCK tokens is one tile.
# On a GPU every array op is a kernel launch of several microseconds whatever its size, so tiles
# are larger there: T = 4096 is 8×8 tiles (half of them skipped when causal) instead of 32×32.
BLOCK = 128
GPU_BLOCK = 512


def _block_size(xp):
    return BLOCK if is_numpy(xp) else GPU_BLOCK


# ---------------------------------------------------------------------------------------------
# the composed form: whole score matrix, Tensor ops (the reference, and the double backward)
# ---------------------------------------------------------------------------------------------
def causal_mask(xp, L, S, dtype):
    """The float mask that lets query i see keys 0..i only: -inf strictly above the diagonal."""
    return xp.triu(xp.full((L, S), -math.inf, dtype=dtype), 1)


def with_causal(bias, query, key):
    """``bias`` (None or a float Tensor) plus the (L, S) causal mask, as one bias for the scores."""
    tri = query._wrap(causal_mask(get_array_module(query.data), query.shape[-2], key.shape[-2], query.dtype))
    return tri if bias is None else bias + tri


def masked_softmax(scores):
    """softmax over the last axis of masked scores, where a row that is -inf everywhere (a query
    allowed to see no key at all, e.g. a padded position) gets weights 0 instead of 0/0 = NaN,
    as PyTorch's scaled_dot_product_attention does.
    """
    xp = get_array_module(scores.data)
    blind = xp.isneginf(scores.data).all(axis=-1, keepdims=True)
    if not blind.any():
        return scores.softmax(-1)
    blind = scores._wrap(blind)
    return scores.masked_fill(blind, 0.0).softmax(-1).masked_fill(blind, 0.0)


def attention_weights(query, key, bias, scale):
    """A = softmax(Q Kᵀ · scale + bias) with Tensor ops; ``bias`` is None or a float Tensor."""
    scores = (query @ key.mT) * scale
    if bias is None:
        return scores.softmax(-1)
    return masked_softmax(scores + bias)


def _composed_grads(q, k, v, bias, causal, scale, g):
    """dQ, dK, dV of O = A V from the whole weight matrix A, with Tensor ops (differentiable)."""
    if causal:
        bias = with_causal(bias, q, k)
    a = attention_weights(q, k, bias, scale)
    dp = g @ v.mT
    ds = a * (dp - (dp * a).sum(-1, keepdim=True))
    return (ds @ k) * scale, (ds.mT @ q) * scale, a.mT @ g


# ---------------------------------------------------------------------------------------------
# the tiled form: arrays, one tile of scores at a time
# ---------------------------------------------------------------------------------------------
def _blocks(n, size):
    """(start, end) of the ``size``-long pieces of range(n), the last one shorter."""
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def _key_blocks(i0, i1, S, causal, size):
    """The key blocks that query rows i0..i1-1 must visit. Causal: none past key i1-1, which no
    row of the block may see, so tiles wholly right of the diagonal are never computed."""
    return _blocks(min(S, i1) if causal else S, size)


def _bias_tile(bias, i0, i1, j0, j1):
    """bias[..., i0:i1, j0:j1], leaving alone an axis of size 1 (it broadcasts over all rows/columns)."""
    rows = slice(i0, i1) if bias.shape[-2] != 1 else slice(None)
    cols = slice(j0, j1) if bias.shape[-1] != 1 else slice(None)
    return bias[..., rows, cols]


def _scores(xp, qs, k, bias, causal, i0, i1, j0, j1):
    """The tile S[i0:i1, j0:j1] = (Q·scale) Kᵀ + bias, -inf right of the diagonal when causal.

    ``qs`` holds query rows i0..i1-1, already times scale."""
    s = qs @ xp.swapaxes(k[..., j0:j1, :], -1, -2)
    if bias is not None:
        s += _bias_tile(bias, i0, i1, j0, j1)
    if causal and j1 - 1 > i0:          # the tile crosses the diagonal: key j > query i is hidden
        s += xp.triu(xp.full((i1 - i0, j1 - j0), -math.inf, dtype=s.dtype), i0 - j0 + 1)
    return s


def _tiled_forward(q, k, v, bias, causal, scale):
    """(out, lse) by the online softmax of the module docstring; arrays in, arrays out."""
    xp = get_array_module(q)
    L, S = q.shape[-2], k.shape[-2]
    # a finite stand-in for -inf as the starting max: a row that has seen only -inf scores keeps
    # m = lowest and p = exp(-inf - lowest) = 0, never exp(-inf + inf) = NaN
    lowest = float(xp.finfo(q.dtype).min)
    qs = q * scale
    outs, lses = [], []
    for i0, i1 in _blocks(L, _block_size(xp)):
        m, l, acc = lowest, 0.0, 0.0
        for j0, j1 in _key_blocks(i0, i1, S, causal, _block_size(xp)):
            s = _scores(xp, qs[..., i0:i1, :], k, bias, causal, i0, i1, j0, j1)
            m_new = xp.maximum(s.max(axis=-1, keepdims=True), m)
            alpha = xp.exp(m - m_new)
            s -= m_new
            p = xp.exp(s, out=s)
            l = alpha * l + p.sum(axis=-1, keepdims=True)
            acc = alpha * acc + p @ v[..., j0:j1, :]
            m = m_new
        # A mask may hide every key from a row: l = 0 there. Such a row gets l = 1, so its output is
        # acc / 1 = 0, and lse = inf, so backward's P = exp(S - lse) is 0 on it. copyto with where=,
        # not l[blind] = 1: a boolean-mask assignment reads the mask back to the host (a GPU sync).
        blind = l == 0
        xp.copyto(l, 1, where=blind)
        lse = m + xp.log(l)
        xp.copyto(lse, math.inf, where=blind)
        outs.append(acc / l)
        lses.append(lse)
    if len(outs) == 1:
        return outs[0], lses[0]
    return xp.concatenate(outs, axis=-2), xp.concatenate(lses, axis=-2)


def _tiled_grads(q, k, v, bias, causal, scale, out, lse, g):
    """dQ, dK, dV by FlashAttention-2's backward (module docstring); arrays in, arrays out.

    The gradients carry the broadcast batch shape of the output; the engine sums them back to
    each input's own shape."""
    xp = get_array_module(q)
    L, S = q.shape[-2], k.shape[-2]
    batch = out.shape[:-2]
    d = (g * out).sum(axis=-1, keepdims=True)                # D = rowsum(dO ∘ O)
    qs = q * scale
    dq = xp.zeros(batch + q.shape[-2:], dtype=q.dtype)
    dk = xp.zeros(batch + k.shape[-2:], dtype=q.dtype)
    dv = xp.zeros(batch + v.shape[-2:], dtype=q.dtype)
    for i0, i1 in _blocks(L, _block_size(xp)):
        qs_i, g_i = qs[..., i0:i1, :], g[..., i0:i1, :]
        for j0, j1 in _key_blocks(i0, i1, S, causal, _block_size(xp)):
            s = _scores(xp, qs_i, k, bias, causal, i0, i1, j0, j1)
            s -= lse[..., i0:i1, :]
            p = xp.exp(s, out=s)                              # P = exp(S - lse)
            dv[..., j0:j1, :] += xp.swapaxes(p, -1, -2) @ g_i
            ds = g_i @ xp.swapaxes(v[..., j0:j1, :], -1, -2)  # dP = dO Vᵀ
            ds -= d[..., i0:i1, :]
            ds *= p                                           # dS = P ∘ (dP - D)
            dq[..., i0:i1, :] += ds @ k[..., j0:j1, :]
            dk[..., j0:j1, :] += xp.swapaxes(ds, -1, -2) @ qs_i   # dSᵀ (Q·scale)
    dq *= scale
    return dq, dk, dv


class FlashAttention(Function):
    """O = softmax(Q Kᵀ · scale + bias) V computed tile by tile (see the module docstring).

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev), leading axes
    broadcasting. ``bias`` is None or a float Tensor broadcasting to (..., L, S) that needs no
    gradient (a mask); ``causal`` lets query i see keys 0..i only; ``scale`` is a float.
    """
    saves_output = True

    @staticmethod
    def forward(ctx, query, key, value, bias, causal, scale):
        b = None
        if bias is not None:
            b = bias.data
            if b.ndim < 2:              # (S,) or a scalar: give it the (rows, columns) axes to slice
                b = b.reshape((1,) * (2 - b.ndim) + b.shape)
        ctx.save_for_backward(query, key, value, bias)
        scale = float(scale)            # a NumPy float64 scale would turn float32 work into float64
        ctx.causal, ctx.scale, ctx.bias_array = causal, scale, b
        arrays = (query.data, key.data, value.data, b, causal, scale)
        fast = fused.attention(*arrays)
        out, ctx.lse = fast if fast is not None else _tiled_forward(*arrays)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, bias = ctx.saved_tensors
        if creating_graph():            # formulas that can be differentiated again
            grads = _composed_grads(q, k, v, bias, ctx.causal, ctx.scale, g)
        else:
            arrays = (q.data, k.data, v.data, ctx.bias_array, ctx.causal, ctx.scale, ctx.saved_output.data,
                      ctx.lse, g.data)
            fast = fused.attention_backward(*arrays)
            grads = [g._wrap(a) for a in (fast if fast is not None else _tiled_grads(*arrays))]
        return tuple(gr if need else None for gr, need in zip(grads, ctx.needs_input_grad)) + (None, None, None)
