"""Matrix products: ``matmul`` (the ``@`` operator), ``einsum``, and the linear layer's y = x Wᵀ + b.

For Y = A B:  dA = G Bᵀ,  dB = Aᵀ G  (transposing the last two axes; batch axes that were
broadcast are summed back by the engine). 1-D operands follow NumPy's rules: a vector on the
left acts as a row (1, k), on the right as a column (k, 1), and that axis is dropped again.
"""
from ..autograd.function import Function
from ..backend import get_array_module


class MatMul(Function):
    """Y = A B (NumPy's matmul rules);  dA = G Bᵀ,  dB = Aᵀ G."""
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)   # only what backward reads
        ctx.a_vector, ctx.b_vector, ctx.b_matrix = a.ndim == 1, b.ndim == 1, b.ndim == 2
        ctx.n = 1 if a.ndim == 1 else a.shape[-2]
        ctx.m = 1 if b.ndim == 1 else b.shape[-1]
        return get_array_module(a.data).matmul(a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # the gradient as the product of the matrix forms would have it: (..., n, m)
        batch = g.shape[:g.ndim - (not ctx.a_vector) - (not ctx.b_vector)]
        G = g.reshape(batch + (ctx.n, ctx.m))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            B = b.unsqueeze(-1) if ctx.b_vector else b
            ga = G @ B.mT                   # (..., 1, k) for a vector a: the engine sums it to (k,)
        if ctx.needs_input_grad[1]:
            A = a.unsqueeze(0) if ctx.a_vector else a
            if A.ndim > 2 and ctx.b_matrix:
                # a batch of inputs times one weight matrix (a Linear layer on a sequence): fold the
                # batch into the rows, one (k, rows) @ (rows, m) product instead of a stack of them
                gb = A.reshape(-1, A.shape[-1]).mT @ G.reshape(-1, ctx.m)
            else:
                gb = A.mT @ G
            if ctx.b_vector:
                gb = gb.squeeze(-1)
        return ga, gb


def parse_einsum(equation, shapes):
    """Split 'ij,jk->ik' into input subscripts and output subscripts, expanding '...'.

    Returns (inputs, output) as lists of letters. Ellipses become capital letters, and an
    implicit output is the letters used once, in alphabetical order (NumPy's rule).
    """
    eq = equation.replace(' ', '')
    lhs, arrow, rhs = eq.partition('->')
    terms = lhs.split(',')
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} has {len(terms)} operands, got {len(shapes)} tensors")
    n_ell = max((len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if '...' in t), default=0)
    ell = ''.join(chr(ord('Z') - i) for i in range(n_ell))[::-1]
    inputs = []
    for t, s in zip(terms, shapes):
        if '...' in t:
            k = len(s) - (len(t) - 3)
            t = t.replace('...', ell[len(ell) - k:] if k else '')
        if len(t) != len(s):
            raise ValueError(f"einsum: subscripts {t!r} do not match an operand of shape {tuple(s)}")
        inputs.append(t)
    if arrow:
        output = rhs.replace('...', ell)
    else:
        letters = ''.join(inputs)
        output = ell + ''.join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return inputs, output


class Einsum(Function):
    """Einstein summation. The gradient of operand i is another einsum: the output gradient
    contracted with every other operand, written out in operand i's subscripts. Letters that only
    operand i has (summed away) are restored by broadcasting, and a letter repeated within
    operand i (a diagonal, as in 'ii->i') by a mask that is 1 on that diagonal.
    """
    @staticmethod
    def forward(ctx, equation, *operands):
        inputs, output = parse_einsum(equation, [o.shape for o in operands])
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        spec = ','.join(inputs) + '->' + output
        return get_array_module(operands[0].data).einsum(spec, *[o.data for o in operands])

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = [None]
        for i, (sub, x) in enumerate(zip(ctx.inputs, operands)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            known = set(ctx.output).union(*others)
            kept = ''.join(c for c in dict.fromkeys(sub) if c in known)
            spec = ','.join([ctx.output] + others) + '->' + kept
            gi = Einsum.apply(spec, g, *[t for j, t in enumerate(operands) if j != i])
            if kept != sub:
                first = [sub.index(c) == p for p, c in enumerate(sub)]
                shape = [x.shape[p] if first[p] and c in kept else 1 for p, c in enumerate(sub)]
                gi = gi.reshape(shape).expand(x.shape)
                if not all(first):
                    gi = gi * _diagonal_mask(x, sub)
            grads.append(gi)
        return tuple(grads)


def _diagonal_mask(x, sub):
    """1 where every repeated letter of ``sub`` takes the same index, else 0 (shape of x)."""
    xp = get_array_module(x.data)
    mask = xp.ones(x.shape, dtype=x.data.dtype)
    for p, c in enumerate(sub):
        p0 = sub.index(c)
        if p0 != p:
            shape = [1] * len(sub)
            shape[p0] = shape[p] = x.shape[p]
            eye = xp.eye(x.shape[p], dtype=x.data.dtype)
            mask = mask * (eye if p0 < p else eye.T).reshape(shape)
    return x._wrap(mask)


class LinearFunction(Function):
    """y = x Wᵀ + b: every output a weighted sum of the inputs plus a bias (article 002, 神经元).

    Backward:  dx = g W,   dW = gᵀ x,   db = Σ g,  the sums running over every leading axis of x
    (batch, sequence), so a layer applied to a sequence still costs one matmul per gradient.
    One node instead of transpose + matmul + add, and the weight gradient comes out as a fresh
    array that the engine can hand to ``.grad`` without copying it.
    """
    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        # leading axes folded into rows: one BLAS call, not one per batch element
        rows = x.data.reshape(-1, x.shape[-1]) if x.ndim > 2 else x.data
        out = rows @ weight.data.T
        if bias is not None:
            out += bias.data
        return out.reshape(x.shape[:-1] + (weight.shape[0],)) if x.ndim > 2 else out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = None
        if need_x:
            gx = (g.reshape(-1, g.shape[-1]) @ weight).reshape(g.shape[:-1] + (weight.shape[1],)) \
                if g.ndim > 2 else g @ weight
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])     # rows: every leading axis
        gw = g2.mT @ (x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(0) if need_b else None
        return gx, gw, gb
