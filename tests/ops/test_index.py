"""Indexing ``t[...]`` (ints, slices with any step, None, Ellipsis, integer arrays/tensors with
repeated indices, bool masks), item assignment ``t[idx] = v`` and ``masked_fill`` — rows of the
shared op table (tests/harness.py).

The gradient of ``x[idx]`` scatters the incoming gradient back to the positions it came from;
with a repeated index the contributions must *add up* (``numpy.add.at``, not ``g_x[idx] = g``).
"""
import numpy as np

import minigrad as mg
from harness import C, Case, op_tests

M = (4, 5)
T3 = (3, 4, 5)
_MASK = np.array([[True, False, True, True, False],
                  [False, False, False, False, False],
                  [True, True, False, False, True],
                  [False, True, False, True, False]])
_ROWS = np.array([True, False, True, True])
_COLS = np.array([False, True, True, False, True])


def get(name, index, shapes=(M,)):
    """A row for ``x[index]``: ``index(c...)`` builds the index from the constants."""
    return Case(name, lambda x, *c: x[index(*c)], inputs=[(s,) for s in shapes])


def get_with(name, index, consts, shapes=(M,)):
    return Case(name, lambda x, *c: x[index(*c)], inputs=[(s, *map(C, consts)) for s in shapes])


CASES = [
    # ints (negative too), giving lower-rank and 0-d results
    get("int", lambda: 1, [M, T3]),
    get("int_neg", lambda: -1),
    get("int_int", lambda: (1, 2)),
    get("int_int_neg", lambda: (-1, -2)),
    # slices with every kind of step
    get("slice", lambda: slice(1, 3)),
    get("slice_step", lambda: slice(None, None, 2)),
    get("slice_reverse", lambda: slice(None, None, -1), [M, (5,)]),
    get("slice_neg_step", lambda: slice(3, 0, -2)),
    get("slice_tail", lambda: slice(-3, None)),
    get("slice_2d", lambda: (slice(None), slice(1, 4, 2))),
    get("slice_2d_reverse", lambda: (slice(None), slice(None, None, -2))),
    get("slice_int", lambda: (slice(1, 3), -1)),
    # None and Ellipsis
    get("none", lambda: None, [M, ()]),
    get("none_mid", lambda: (slice(None), None, 2)),
    get("ellipsis_none", lambda: (Ellipsis, None)),
    get("ellipsis_int", lambda: (Ellipsis, 1), [T3]),
    get("int_ellipsis", lambda: (1, Ellipsis), [T3]),
    get("ellipsis_slice", lambda: (Ellipsis, slice(1, 3)), [T3]),
    get("ellipsis_only", lambda: Ellipsis, [M, ()]),
    # integer arrays, tensors and lists, with repeats (gradients add up) and negative entries
    get_with("array_repeats", lambda i: i, [np.array([0, 2, 0])]),
    get_with("tensor_repeats", lambda i: mg.tensor(i), [np.array([3, 3, 1, 3])]),
    get("list_repeats", lambda: [0, 0, 1]),
    get_with("array_negative", lambda i: i, [np.array([-1, 0, -1])]),
    get_with("array_2d", lambda i: mg.tensor(i), [np.array([[0, 1], [1, 1]])]),
    get_with("array_cols", lambda i: (slice(None), i), [np.array([1, 1, 4])]),
    get_with("arrays_pointwise", lambda i, j: (i, j), [np.array([0, 2, 0]), np.array([1, 1, 1])]),
    get_with("arrays_broadcast", lambda i, j: (mg.tensor(i), mg.tensor(j)),
             [np.array([[0], [2]]), np.array([1, 3, 1])]),
    get_with("slice_array", lambda i: (slice(1, None), i), [np.array([0, 0, 2])]),
    get_with("ellipsis_array", lambda i: (Ellipsis, i), [np.array([0, 0])], [T3]),
    # bool masks: the full shape, leading dims, a bool tensor, a column mask
    get_with("mask_full", lambda m: m, [_MASK]),
    get_with("mask_rows", lambda m: m, [_ROWS]),
    get_with("mask_rows_3d", lambda m: m, [_ROWS[:3]], [T3]),
    get_with("mask_tensor", lambda m: mg.tensor(m), [_MASK]),
    get_with("mask_cols", lambda m: (slice(None), m), [_COLS]),
]


def assign(index, value_is_input=True):
    """``y = x * 1; y[index] = v`` — in place on a non-leaf; ``v`` may be a tensor or a scalar."""
    def fn(x, *rest):
        y = x * 1.0
        *consts, v = rest if value_is_input else (*rest, 0.5)
        y[index(*consts)] = v
        return y
    return fn


def _assign_into_zeros(v):
    y = mg.zeros(4, 5, dtype=v.dtype)
    y[1:3] = v
    return y


def _assign_into_zeros_ref(v):
    y = np.zeros((4, 5), dtype=v.dtype)
    y[1:3] = v
    return y


CASES += [
    Case("setitem_int", assign(lambda: 1), inputs=[(M, (5,))]),
    Case("setitem_slice", assign(lambda: (slice(None), slice(1, 3))), inputs=[(M, (4, 2))]),
    Case("setitem_broadcast", assign(lambda: slice(1, 3)), inputs=[(M, (5,)), (M, ())]),
    Case("setitem_array", assign(lambda i: mg.tensor(i)), lambda x, i, v: _np_assign(x, i, v),
         inputs=[(M, C(np.array([0, 2])), (2, 5))]),
    Case("setitem_mask_scalar", assign(lambda m: mg.tensor(m), value_is_input=False),
         lambda x, m: _np_assign(x, m, 0.5), inputs=[(M, C(_MASK))]),
    Case("setitem_ellipsis", assign(lambda: (Ellipsis, 0)), inputs=[(T3, (3, 4))]),
    Case("setitem_into_constant", _assign_into_zeros, _assign_into_zeros_ref, inputs=[((2, 5),), ((5,),)]),
    # masked_fill: the filled positions get no gradient
    Case("masked_fill", lambda x, m: x.masked_fill(mg.tensor(m), -1.0), lambda x, m: np.where(m, -1.0, x),
         inputs=[(M, C(_MASK)), (M, C(_COLS)), ((), C(np.array(True)))]),
    # the attention pattern: -inf logits become exact zeros after softmax
    Case("masked_fill_softmax", lambda x, m: x.masked_fill(mg.tensor(m), float("-inf")).softmax(-1),
         lambda x, m: _masked_softmax(x, m), inputs=[(M, C(_COLS))]),
]


def _np_assign(x, index, v):
    y = x * 1.0
    y[index] = v
    return y


def _masked_softmax(x, m):
    z = np.where(m, -np.inf, x)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


def test_repeated_index_gradients_add_up():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mg.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_setitem_gradient_flows_to_value_and_not_to_overwritten_part():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    v = mg.tensor(np.full(3, 2.0), requires_grad=True)
    y = x * 3.0
    y[0] = v
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0], [18.0, 18.0, 18.0]])
    np.testing.assert_array_equal(v.grad.numpy(), [4.0, 4.0, 4.0])


def test_index_result_does_not_alias_on_advanced_index():
    # advanced indexing copies (as NumPy and PyTorch): writing the result leaves the source alone
    x = mg.zeros(3)
    y = x[mg.tensor([0, 1])]
    y[0] = 7.0
    assert x.tolist() == [0.0, 0.0, 0.0]
