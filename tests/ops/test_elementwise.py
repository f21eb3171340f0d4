"""Elementwise ops: arithmetic with broadcasting, powers, unary math, activations, clamp,
maximum/minimum, where, comparisons and casts — each a row of the shared op table (tests/harness.py).
"""
import operator

import numpy as np
import pytest

import minigrad as mg
from harness import C, Case, op_tests

UNARY = [(3, 4), (), (1,), (2, 1, 3)]
BINARY = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((1,), (3,)), ((3, 1), ())]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def unary(name, fn, ref=None, domain="real", **kw):
    return Case(name, fn, ref, inputs=[(s,) for s in UNARY], domain=domain, **kw)


def binary(name, fn, ref=None, domain="real", **kw):
    return Case(name, fn, ref, inputs=BINARY, domain=domain, **kw)


CASES = [
    # ---- arithmetic operators, with broadcasting, size-1 and 0-d operands ----
    binary("add", lambda a, b: a + b),
    binary("sub", lambda a, b: a - b),
    binary("mul", lambda a, b: a * b),
    binary("div", lambda a, b: a / b),
    binary("pow_tensor_tensor", lambda a, b: a ** b, domain=("pos", "real")),
    binary("pow_method_tensor", lambda a, b: a.pow(b), lambda a, b: a ** b, domain=("pos", "real")),
    binary("maximum", lambda a, b: a.maximum(b), np.maximum),
    binary("minimum", lambda a, b: a.minimum(b), np.minimum),
    binary("floordiv", lambda a, b: a // b, grad=False),
    Case("add_empty", lambda a, b: a + b, inputs=[((0, 3), (3,))]),           # size-0 tensors broadcast too
    unary("neg", lambda x: -x),
    # tensor ** scalar, scalar ** tensor and the reflected operators with Python scalars
    unary("pow_2", lambda x: x ** 2),
    unary("pow_3", lambda x: x ** 3),
    unary("pow_neg1", lambda x: x ** -1),
    unary("pow_0", lambda x: x ** 0),
    unary("pow_half", lambda x: x ** 0.5, domain="pos"),
    unary("pow_2_5", lambda x: x ** 2.5, domain="pos"),
    unary("pow_method_scalar", lambda x: x.pow(3), lambda x: x ** 3),
    unary("rpow_2", lambda x: 2.0 ** x),
    unary("rpow_half", lambda x: 0.5 ** x),
    unary("radd", lambda x: 3 + x),
    unary("rsub", lambda x: 1.5 - x),
    unary("rmul", lambda x: 2 * x),
    unary("rdiv", lambda x: 2.0 / x),
    unary("add_scalar", lambda x: x + 1.5),
    unary("sub_scalar", lambda x: x - 1),
    unary("div_scalar", lambda x: x / 4),
    # reflected operators with NumPy arrays on either side
    Case("ndarray_add", lambda c, x: c + x, inputs=[(C(np.arange(4.0)), (3, 4))]),
    Case("add_ndarray", lambda x, c: x + c, inputs=[((3, 4), C(np.arange(4.0)))]),
    Case("ndarray_sub", lambda c, x: c - x, inputs=[(C(np.arange(4.0)), (3, 4))]),
    Case("ndarray_mul", lambda c, x: c * x, inputs=[(C(np.full((3, 1), 2.0)), (3, 4))]),
    Case("ndarray_div", lambda c, x: c / x, inputs=[(C(np.arange(1.0, 5.0)), (3, 4))]),
    # ---- unary math and activations ----
    unary("exp", lambda x: x.exp(), np.exp),
    unary("log", lambda x: x.log(), np.log, domain="pos"),
    unary("log1p", lambda x: x.log1p(), np.log1p, domain="unit"),
    unary("sqrt", lambda x: x.sqrt(), np.sqrt, domain="pos"),
    unary("rsqrt", lambda x: x.rsqrt(), lambda x: 1.0 / np.sqrt(x), domain="pos"),
    unary("abs", lambda x: x.abs(), np.abs),
    unary("abs_builtin", lambda x: abs(x), np.abs),
    unary("sign", lambda x: x.sign(), np.sign),
    unary("sin", lambda x: x.sin(), np.sin),
    unary("cos", lambda x: x.cos(), np.cos),
    unary("tanh", lambda x: x.tanh(), np.tanh),
    unary("sigmoid", lambda x: x.sigmoid(), sigmoid),
    unary("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0.0)),
    unary("clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    unary("clamp_min", lambda x: x.clamp(min=-0.3), lambda x: np.maximum(x, -0.3)),
    unary("clamp_max", lambda x: x.clamp(max=0.3), lambda x: np.minimum(x, 0.3)),
    # ---- where: a bool condition broadcast against both branches, or a scalar branch ----
    Case("where", lambda c, a, b: mg.where(mg.tensor(c), a, b), lambda c, a, b: np.where(c, a, b),
         inputs=[(C(np.array([[True, False, True, False]] * 3)), (3, 4), (3, 4)),
                 (C(np.array([True, False, True])), (2, 1), (3,)),
                 (C(np.array(True)), (), (2, 2))]),
    Case("where_scalar", lambda c, a: mg.where(mg.tensor(c), a, 0.0), lambda c, a: np.where(c, a, 0.0),
         inputs=[(C(np.array([[True], [False]])), (2, 3))]),
    # ---- casts: the gradient flows back through .to() in the input's own dtype ----
    unary("to_float64", lambda x: x.to(mg.float64), lambda x: x.astype(np.float64)),
    unary("double", lambda x: x.double(), lambda x: x.astype(np.float64)),
    unary("float", lambda x: x.float(), lambda x: x.astype(np.float32), grad=False),
    unary("to_int64", lambda x: x.to(mg.int64), lambda x: x.astype(np.int64), grad=False),
    unary("long", lambda x: x.long(), lambda x: x.astype(np.int64), grad=False),
]

# comparisons give bool tensors with no gradient; the last input set has ties
CASES += [Case(name, op, inputs=BINARY + [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]))], grad=False)
          for name, op in [
    ("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
    ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]]

# logical operators on bool tensors
_P = np.array([[True, False, True], [False, False, True]])
_Q = np.array([True, True, False])
CASES += [
    Case("and", lambda p, q: mg.tensor(p) & mg.tensor(q), lambda p, q: p & q, inputs=[(C(_P), C(_Q))], grad=False),
    Case("or", lambda p, q: mg.tensor(p) | mg.tensor(q), lambda p, q: p | q, inputs=[(C(_P), C(_Q))], grad=False),
    Case("invert", lambda p: ~mg.tensor(p), lambda p: ~p, inputs=[(C(_P),)], grad=False),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


def test_subgradients_at_kinks_follow_pytorch():
    """At a kink (abs and relu at 0, clamp at its bounds, ties of maximum/minimum) the
    derivative is a choice; minigrad makes PyTorch's."""
    torch = pytest.importorskip("torch")
    x0 = np.array([-1.0, 0.0, 0.0, 1.0, 2.0])
    y0 = np.array([0.0, 0.0, 1.0, 1.0, 3.0])
    fns = [lambda x, y: abs(x), lambda x, y: x.relu(), lambda x, y: x.sign(),
           lambda x, y: x.clamp(0.0, 1.0), lambda x, y: x.clamp(min=0.0),
           lambda x, y: x.maximum(y), lambda x, y: x.minimum(y), lambda x, y: x.amax() + y.amin()]
    for k, f in enumerate(fns):
        x, y = mg.tensor(x0, requires_grad=True), mg.tensor(y0, requires_grad=True)
        tx, ty = torch.tensor(x0, requires_grad=True), torch.tensor(y0, requires_grad=True)
        f(x, y).sum().backward()
        f(tx, ty).sum().backward()
        for t, tt in [(x, tx), (y, ty)]:
            expected = np.zeros(5) if tt.grad is None else tt.grad.numpy()
            got = np.zeros(5) if t.grad is None else t.grad.numpy()
            np.testing.assert_allclose(got, expected, err_msg=f"function {k}")


def test_pow_gradient_at_a_zero_base_follows_pytorch():
    # d(a^b)/db = a^b log a is 0·(-inf) at a = 0; PyTorch defines it as 0, never NaN
    torch = pytest.importorskip("torch")
    a0, b0 = np.array([0.0, 2.0, 0.0]), np.array([2.0, 3.0, 1.0])
    a, b = mg.tensor(a0, requires_grad=True), mg.tensor(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    (a ** b).sum().backward()
    (ta ** tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
