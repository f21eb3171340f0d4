"""``gradcheck`` and ``gradgradcheck`` themselves: every op test trusts them, so they must pass on
correct gradients and fail, loudly and precisely, on wrong ones.

gradcheck perturbs one input element at a time by ±eps and compares the central difference
(f(x + eps) - f(x - eps)) / 2eps — one column of the numerical Jacobian — with the analytical
Jacobian that backward produces, one output element at a time.
"""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, gradcheck, gradgradcheck


def leaf(values):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


class WrongAt(Function):
    """a · b, with a backward that is off by one at element (1, 2) of b's gradient only."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        error = np.zeros((2, 3))
        error[1, 2] = 1.0
        return grad * b, grad * a + grad * mg.tensor(error)


class DetachedSquare(Function):
    """x², whose backward is right but not differentiable: it detaches x (second derivative lost)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 2

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 2 * x.detach()


class RawBackward(Function):
    """x², whose backward computes on raw arrays: right values, but no graph for double backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 2

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return mg.tensor(2 * x.data * grad.data)


A = [[0.5, 1.5, 2.5], [-1.0, 0.25, 3.0]]
B = [[1.0, -2.0, 0.75], [0.5, 1.25, -1.5]]


def value_after(word, text):
    """The number that follows ``word`` in ``text`` (None if there is none)."""
    m = re.search(word + r"\D{0,20}?(-?\d+(?:\.\d*)?(?:e[-+]?\d+)?)", text, re.I)
    return float(m.group(1)) if m else None


def test_gradcheck_passes_on_correct_gradients():
    a, b = leaf(A), leaf([1.0, 2.0, -0.5])
    assert gradcheck(lambda a, b: (a * b).exp() + a.tanh() / (b * b + 1.0), (a, b)) is True


def test_gradcheck_accepts_a_single_tensor_and_several_outputs():
    x = leaf([[0.3, -0.7], [1.1, 0.2]])
    assert gradcheck(lambda x: x.sin(), x) is True
    assert gradcheck(lambda x: (x.sin(), x.sum(0) * 2), (x,)) is True


def test_gradcheck_failure_names_input_element_and_both_values():
    a, b = leaf(A), leaf(B)
    with pytest.raises(Exception) as e:
        gradcheck(WrongAt.apply, (a, b))
    msg = str(e.value)
    assert re.search("numerical", msg, re.I) and re.search("analytical", msg, re.I), msg
    assert re.search(r"input\D{0,3}1", msg, re.I), f"the message does not name input 1: {msg}"
    assert re.search(r"[\(\[]1,\s*2[\)\]]", msg), f"the message does not give element (1, 2): {msg}"
    # d(a·b)/db at (1, 2) is a[1, 2] = 3.0; the wrong backward says 4.0
    assert abs(value_after("numerical", msg) - 3.0) < 1e-4, msg
    assert abs(value_after("analytical", msg) - 4.0) < 1e-4, msg


def test_gradcheck_without_raising_returns_false():
    a, b = leaf(A), leaf(B)
    assert gradcheck(WrongAt.apply, (a, b), raise_exception=False) is False


def test_gradcheck_catches_a_missing_gradient():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with pytest.raises(Exception, match=r"(?i)numerical"):
        gradcheck(lambda x, y: x * y.detach(), (x, y))


def test_gradgradcheck_passes_on_differentiable_backward():
    x = leaf([[0.3, -0.7], [1.1, 0.2]])
    assert gradgradcheck(lambda x: x.tanh() * x, (x,)) is True


def test_gradgradcheck_fails_when_backward_is_not_differentiable():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(DetachedSquare.apply, (x,)) is True          # first derivatives are right
    with pytest.raises(Exception, match=r"(?i)numerical"):
        gradgradcheck(DetachedSquare.apply, (x,))


def test_gradgradcheck_fails_when_backward_records_no_graph():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(RawBackward.apply, (x,)) is True
    with pytest.raises(Exception, match=r"(?i)numerical"):
        gradgradcheck(RawBackward.apply, (x,))


def test_gradcheck_fails_on_an_output_cut_from_the_graph():
    # the output depends on x, yet backward can send nothing back: numerical 2, analytical 0
    x = leaf([0.5, -1.0])
    with pytest.raises(Exception, match=r"(?i)numerical"):
        gradcheck(lambda x: x.detach() * 2, (x,))
