"""Reductions (sum mean var std amax amin logsumexp prod norm, max/min, argmax/argmin) and
softmax/log_softmax, over every form of ``dim``: None, an int, a negative int, a tuple, with and
without ``keepdim`` — rows of the shared op table (tests/harness.py), plus the tie rules.
"""
import numpy as np

import minigrad as mg
from harness import Case, op_tests

# (label, keyword arguments, input shapes)
VARIANTS = [
    ("all", {}, [(2, 3, 4), (), (1,)]),
    ("all_keep", {"dim": None, "keepdim": True}, [(2, 3)]),
    ("dim0", {"dim": 0}, [(2, 3, 4), (3,), (1,)]),
    ("dim-1", {"dim": -1}, [(2, 3, 4), (4,)]),
    ("dim1_keep", {"dim": 1, "keepdim": True}, [(2, 3, 4), (3, 1)]),
    ("dims0,2", {"dim": (0, 2)}, [(2, 3, 4)]),
    ("dims-1,0_keep", {"dim": (-1, 0), "keepdim": True}, [(2, 3, 4)]),
]


def _axis(kw):
    return dict(axis=kw.get("dim"), keepdims=kw.get("keepdim", False))


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def norm(p):
    def ref(x, axis=None, keepdims=False):
        return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
    return ref


def _count(shape, kw):
    """How many elements each output of the reduction sums over."""
    dims = kw.get("dim")
    dims = range(len(shape)) if dims is None else (dims,) if isinstance(dims, int) else dims
    return int(np.prod([shape[d] for d in dims]))


# (name, minigrad method, NumPy reference, extra keyword arguments for both, minimum count)
REDUCTIONS = [
    ("sum", "sum", np.sum, {}, 1),
    ("mean", "mean", np.mean, {}, 1),
    ("amax", "amax", np.max, {}, 1),
    ("amin", "amin", np.min, {}, 1),
    ("logsumexp", "logsumexp", logsumexp, {}, 1),
    ("prod", "prod", np.prod, {}, 1),
    ("norm", "norm", norm(2), {}, 1),
    ("norm_p1", "norm", norm(1), {"p": 1}, 1),
    ("norm_p3", "norm", norm(3), {"p": 3}, 1),
    ("var", "var", np.var, {"correction": 1}, 2),
    ("var_c0", "var", np.var, {"correction": 0}, 2),
    ("std", "std", np.std, {"correction": 1}, 2),
    ("std_c0", "std", np.std, {"correction": 0}, 2),
]


def _reduction_case(name, method, ref, extra, min_count, label, kw, shapes):
    shapes = [s for s in shapes if _count(s, kw) >= min_count]   # var/std of one element is not finite
    np_extra = {("ddof" if k == "correction" else k): v for k, v in extra.items() if k != "p"}
    return Case(f"{name}-{label}",
                lambda x: getattr(x, method)(**extra, **kw),
                lambda x: ref(x, **_axis(kw), **np_extra),
                inputs=[(s,) for s in shapes])


CASES = [_reduction_case(*r, *v) for r in REDUCTIONS for v in VARIANTS
         if any(_count(s, v[1]) >= r[4] for s in v[2])]

_WITH_ZERO = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]])
_LARGE = np.array([[1e4, -1e4, 0.0], [3.0, 1e4, 1e4 - 1.0]])


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis):
    return x - logsumexp(x, axis=axis, keepdims=True)


CASES += [
    Case("sum_empty", lambda x: x.sum(0), lambda x: np.sum(x, 0), inputs=[((0, 3),)]),   # a sum of nothing is 0
    Case("sum_positional", lambda x: x.sum(1), lambda x: np.sum(x, 1), inputs=[((2, 3, 4),)]),
    Case("mean_positional_tuple", lambda x: x.mean((0, 1)), lambda x: np.mean(x, (0, 1)), inputs=[((2, 3, 4),)]),
    # a zero factor: the gradient there is the product of the others (no division by x)
    Case("prod_with_zero", lambda x: x.prod(), np.prod, inputs=[(_WITH_ZERO,)]),
    Case("prod_with_zero_dim1", lambda x: x.prod(dim=1), lambda x: np.prod(x, 1), inputs=[(_WITH_ZERO,)]),
    Case("logsumexp_large", lambda x: x.logsumexp(dim=-1), lambda x: logsumexp(x, axis=-1), inputs=[(_LARGE,)]),
    # max/min with a dim give (values, indices); without, the scalar
    Case("max_dim1", lambda x: x.max(dim=1), lambda x: (np.max(x, 1), np.argmax(x, 1)),
         inputs=[((3, 4),), ((2, 3, 4),)]),
    Case("max_dim-1_keep", lambda x: x.max(dim=-1, keepdim=True),
         lambda x: (np.max(x, -1, keepdims=True), np.argmax(x, -1, keepdims=True)), inputs=[((2, 3, 4),)]),
    Case("min_dim0", lambda x: x.min(dim=0), lambda x: (np.min(x, 0), np.argmin(x, 0)),
         inputs=[((3, 4),), ((5,),)]),
    Case("max_positional", lambda x: x.max(1), lambda x: (np.max(x, 1), np.argmax(x, 1)), inputs=[((3, 4),)]),
    Case("max_all", lambda x: x.max(), np.max, inputs=[((3, 4),), ((),)]),
    Case("min_all", lambda x: x.min(), np.min, inputs=[((3, 4),), ((),)]),
    Case("argmax_dim", lambda x: x.argmax(dim=1), lambda x: np.argmax(x, 1), inputs=[((3, 4),)], grad=False),
    Case("argmax_flat", lambda x: x.argmax(), np.argmax, inputs=[((3, 4),)], grad=False),
    Case("argmin_dim_keep", lambda x: x.argmin(dim=-1, keepdim=True),
         lambda x: np.argmin(x, -1, keepdims=True), inputs=[((2, 3, 4),)], grad=False),
    Case("argmin_flat", lambda x: x.argmin(), np.argmin, inputs=[((3, 4),)], grad=False),
]

for _d in (0, 1, -1):
    CASES += [
        Case(f"softmax-dim{_d}", lambda x, d=_d: x.softmax(d), lambda x, d=_d: softmax(x, d),
             inputs=[((2, 3, 4),)]),
        Case(f"log_softmax-dim{_d}", lambda x, d=_d: x.log_softmax(d), lambda x, d=_d: log_softmax(x, d),
             inputs=[((2, 3, 4),)]),
    ]
CASES += [
    Case("softmax-1d", lambda x: x.softmax(dim=0), lambda x: softmax(x, 0), inputs=[((5,),), ((1,),)]),
    Case("log_softmax-1d", lambda x: x.log_softmax(dim=0), lambda x: log_softmax(x, 0), inputs=[((5,),)]),
    # logits of +-1e4 must neither overflow nor give NaN
    Case("softmax-large", lambda x: x.softmax(-1), lambda x: softmax(x, -1), inputs=[(_LARGE,)]),
    # (float32 spacing at 1e4 is 1e-3: an absolute tolerance below that would demand more than float32 has)
    Case("log_softmax-large", lambda x: x.log_softmax(-1), lambda x: log_softmax(x, -1), inputs=[(_LARGE,)],
         atol32=2e-3),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


def test_max_dim_returns_named_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    r = x.max(dim=1)
    values, indices = r
    assert r.values is values and r.indices is indices
    assert values.tolist() == [5.0, 7.0]
    assert indices.tolist() == [1, 0] and indices.dtype == mg.int64
    x.requires_grad_()
    values, indices = x.max(dim=1)
    assert values.requires_grad and not indices.requires_grad


def test_amax_splits_gradient_between_ties():
    # PyTorch's rule: amax/amin share the gradient evenly among equal maxima
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_max_with_dim_sends_gradient_to_the_returned_index_only():
    x = mg.tensor([[3.0, 1.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    expected = np.zeros((1, 3))
    expected[0, indices.tolist()[0]] = 1.0
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_softmax_rows_sum_to_one_in_float32():
    x = mg.tensor(np.array([[1e4, -1e4, 0.0], [88.0, 89.0, 90.0]], dtype=np.float32))
    y = x.softmax(-1)
    assert y.dtype == mg.float32
    assert np.all(np.isfinite(y.numpy()))
    np.testing.assert_allclose(y.sum(-1).numpy(), [1.0, 1.0], rtol=1e-6)


def test_norm_of_zero_has_zero_gradient():
    # the 2-norm has no derivative at 0; PyTorch (and minigrad) use 0 there, never NaN
    x = mg.zeros(3, dtype=mg.float64, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
