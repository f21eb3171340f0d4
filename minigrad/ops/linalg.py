"""Matrix products: ``matmul`` (the ``@`` operator) and ``einsum``.

For Y = A B:  dA = G Bᵀ,  dB = Aᵀ G  (transposing the last two axes; batch axes that were
broadcast are summed back by the engine). 1-D operands follow NumPy's rules: a vector on the
left acts as a row (1, k), on the right as a column (k, 1), and that axis is dropped again.
"""
from ..autograd.function import Function
from ..backend import get_array_module


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a.data).matmul(a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        A = a.unsqueeze(0) if a.ndim == 1 else a
        B = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g @ B.mT
            if a.ndim == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = A.mT @ g
            if b.ndim == 1:
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
    for t in inputs:
        if len(set(t)) != len(t):
            raise ValueError(f"einsum: a letter repeated within one operand ({t!r}, a diagonal) is not supported")
    return inputs, output


class Einsum(Function):
    """Einstein summation. The gradient of operand i is another einsum: the output gradient
    contracted with every other operand, written out in operand i's subscripts. Letters that only
    operand i has (summed away) are restored by broadcasting.
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
        from_ops = ctx.saved_tensors
        grads = [None]
        for i, (sub, x) in enumerate(zip(ctx.inputs, from_ops)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            known = set(ctx.output).union(*others)
            kept = ''.join(c for c in sub if c in known)
            spec = ','.join([ctx.output] + others) + '->' + kept
            gi = Einsum.apply(spec, g, *[t for j, t in enumerate(from_ops) if j != i])
            if kept != sub:
                shape = [x.shape[sub.index(c)] if c in kept else 1 for c in sub]
                gi = gi.reshape(shape).expand(x.shape)
            grads.append(gi)
        return tuple(grads)
