"""Autograd semantics (SPEC.md, section "Autograd"): accumulation, freeing the graph, non-leaf
gradients, grad mode, detach, the version counter, deep graphs, custom Functions,
``autograd.grad`` with ``create_graph`` (Hessian-vector products), ``backward(gradient=...)``.
"""
import re
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, gradcheck, gradgradcheck


def leaf(values):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------- accumulation and freeing

def test_gradients_accumulate_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])


def test_accumulation_in_place_never_changes_a_gradient_held_elsewhere():
    # later gradients are added into .grad in place (no create_graph): the first one a leaf keeps
    # must be its own, not the caller's gradient, a pass-through, or one shared with another leaf
    class Twice(Function):                   # returns one tensor for both inputs
        @staticmethod
        def forward(ctx, a, b):
            return a.data + b.data

        @staticmethod
        def backward(ctx, g):
            h = g * 2
            return h, h

    x, a, b = leaf([1.0, 2.0]), leaf([1.0, 1.0]), leaf([1.0, 1.0])
    given = mg.tensor([1.0, 1.0], dtype=mg.float64)
    x.backward(given)
    x.backward(given)
    np.testing.assert_array_equal(given.numpy(), [1, 1])
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])
    Twice.apply(a, b).sum().backward()
    (a * 5).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [7, 7])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 2])
    shared = leaf([1.0, 2.0])                # x + x: Add passes the same gradient twice
    (shared + shared).sum().backward()
    np.testing.assert_array_equal(shared.grad.numpy(), [2, 2])


def test_accumulation_keeps_the_grad_tensor_and_stays_differentiable_under_create_graph():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first                   # added in place, as PyTorch
    np.testing.assert_array_equal(first.numpy(), [5, 7])
    y = leaf([1.0, 2.0])
    (y ** 3).sum().backward(create_graph=True)
    (y ** 3).sum().backward(create_graph=True)      # the sum of two graphs, still a graph
    assert y.grad.requires_grad
    (g2,) = mg.autograd.grad(y.grad.sum(), [y])
    np.testing.assert_allclose(g2.numpy(), [12, 24])   # d/dy of 2 * 3y² = 12y


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_non_leaf_grad_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    y2 = x + 1
    y2.retain_grad()
    (z.sum() + y2.sum()).backward()
    assert x.is_leaf and not y.is_leaf
    assert y.grad is None
    np.testing.assert_array_equal(y2.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [8 * 1 + 1, 8 * 2 + 1])


def test_backward_from_a_leaf():
    x = leaf([1.0, 2.0])
    x.backward(gradient=mg.tensor([3.0, 4.0], dtype=mg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_unused_outputs_of_a_multi_output_op_get_zero_gradient():
    x = leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    first, second, third = x.split(2)
    (first * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 0.0, 0.0, 0.0])


def test_inputs_without_requires_grad_get_no_grad():
    x = leaf([1.0, 2.0])
    c = mg.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and c.grad_fn is None
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------- grad mode and detach

def test_no_grad_context():
    x = leaf([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf([1.0])

    @mg.no_grad()
    def frozen(t):
        return t * 2

    @mg.enable_grad()
    def recorded(t):
        return t * 2

    assert not frozen(x).requires_grad
    with mg.no_grad():
        assert recorded(x).requires_grad
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_no_grad_as_a_bare_decorator():
    # PyTorch 2 accepts @torch.no_grad without parentheses too
    @mg.no_grad
    def frozen(t):
        return t * 2

    assert not frozen(leaf([1.0])).requires_grad
    assert mg.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_state_restored_after_an_exception():
    x = leaf([1.0])
    with mg.no_grad():
        with mg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with pytest.raises(ValueError):
        with mg.no_grad():
            raise ValueError("boom")
    assert mg.is_grad_enabled()


def test_detach_stops_the_gradient():
    x = leaf([1.0, 3.0])
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0])      # not 2x


# ---------------------------------------------------------------- in-place ops and the version counter

def test_modifying_a_saved_tensor_is_detected_and_names_the_op():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = (y * y).sum()
    y.add_(1.0)
    with pytest.raises(RuntimeError) as e:
        z.backward()
    msg = str(e.value)
    assert re.search("mul", msg, re.I), msg
    assert re.search("in-place|inplace|version", msg, re.I), msg


def test_modifying_a_saved_output_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()                  # exp's backward reuses its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="(?i)exp"):
        y.sum().backward()


def test_modifying_a_tensor_nobody_saved_is_fine():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y.add_(1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("modify", [
    lambda w: w.add_(1.0), lambda w: w.mul_(2.0), lambda w: w.zero_(), lambda w: w.fill_(1.0),
    lambda w: w.copy_(mg.zeros(2, dtype=mg.float64)), lambda w: w.__setitem__(0, 5.0),
])
def test_in_place_on_a_leaf_requiring_grad_raises(modify):
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="(?i)leaf"):
        modify(w)
    with mg.no_grad():
        modify(w)                # allowed: this is how optimizers update parameters


@pytest.mark.parametrize("modify", [
    lambda y: y.__setitem__(0, 5.0),          # item assignment is in place too
    lambda y: y.detach().add_(1.0),           # detach shares the data, hence the version counter
])
def test_other_in_place_changes_of_a_saved_tensor_are_detected(modify):
    x = leaf([1.0, 2.0])
    y = x * 1.0
    z = (y * y).sum()
    modify(y)
    with pytest.raises(RuntimeError, match="(?i)mul"):
        z.backward()


def test_updating_a_parameter_between_forward_and_backward_is_detected():
    # an optimizer step taken before backward would make the gradient silently wrong
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    with mg.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="(?i)mul"):
        loss.backward()


def test_in_place_change_through_a_view_is_detected():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    z = (y * y).sum()
    y[1:].add_(1.0)              # a view shares its base's version counter
    with pytest.raises(RuntimeError, match="(?i)mul"):
        z.backward()


def test_in_place_on_a_view_of_a_leaf_requiring_grad_raises():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        w[:1].add_(1.0)


# ---------------------------------------------------------------- deep graphs

def test_ten_thousand_deep_chain_backpropagates():
    assert sys.getrecursionlimit() < 10_000       # a recursive engine would fail here
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_ten_thousand_deep_graph_can_be_dropped_without_backward():
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y + 1.0
    del y                        # freeing the chain must not recurse either


# ---------------------------------------------------------------- custom Functions

class Cube(Function):
    """y = x³, dy/dx = 3x²  (backward written with Tensor ops, so it is differentiable again)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x * x


class ScaledMul(Function):
    """y = scale · a · b, recording which inputs asked for a gradient."""
    seen = []

    @staticmethod
    def forward(ctx, a, b, scale):
        ScaledMul.seen.append(ctx.needs_input_grad)
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    x = leaf(np.random.default_rng(0).standard_normal((3, 2)))
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))
    a, b = leaf([1.0, -2.0, 0.5]), leaf([[0.3], [1.5]])      # broadcasting, reduced by the engine
    assert gradcheck(lambda a, b: ScaledMul.apply(a, b, 2.5), (a, b))


def test_custom_function_needs_input_grad():
    ScaledMul.seen.clear()
    a, b = leaf([1.0, 2.0]), mg.tensor([3.0, 4.0], dtype=mg.float64)
    y = ScaledMul.apply(a, b, 2.0)
    assert ScaledMul.seen == [(True, False, False)]
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 8.0])
    assert b.grad is None
    with mg.no_grad():
        assert not ScaledMul.apply(a, b, 2.0).requires_grad


# ---------------------------------------------------------------- autograd.grad, higher order

def test_hessian_vector_product_matches_closed_form():
    # f(x) = Σ x³ + ½ xᵀAx  ⇒  ∇f = 3x² + ½(A + Aᵀ)x,  H = diag(6x) + ½(A + Aᵀ)
    rng = np.random.default_rng(1)
    A, x0, v0 = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    x, v = leaf(x0), mg.tensor(v0)
    f = (x ** 3).sum() + 0.5 * (x * (mg.tensor(A) @ x)).sum()
    g, = mg.autograd.grad(f, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x0 ** 2 + 0.5 * (A + A.T) @ x0, rtol=1e-10)
    hv, = mg.autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), (np.diag(6 * x0) + 0.5 * (A + A.T)) @ v0, rtol=1e-10)
    assert x.grad is None                       # autograd.grad does not touch .grad


def test_double_backward_of_tanh():
    x0 = np.array([-1.5, 0.2, 0.9])
    x = leaf(x0)
    g, = mg.autograd.grad(x.tanh().sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 1 - np.tanh(x0) ** 2, rtol=1e-12)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -2 * np.tanh(x0) * (1 - np.tanh(x0) ** 2), rtol=1e-12)


def test_backward_with_create_graph_gives_differentiable_grads():
    # gradient penalty: d/dx Σ (d/dx Σ x³)² = d/dx Σ 9x⁴ = 36x³
    x = leaf([1.0, -2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    penalty = (x.grad ** 2).sum()
    x.grad = None
    penalty.backward()
    np.testing.assert_allclose(x.grad.numpy(), [36.0, -288.0])


def test_grad_with_respect_to_an_intermediate_tensor():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = (y * y).sum() + x.sum()
    gy, gx = mg.autograd.grad(z, [y, x])
    np.testing.assert_array_equal(gy.numpy(), [4.0, 8.0])          # 2y
    np.testing.assert_array_equal(gx.numpy(), [9.0, 17.0])         # 8x + 1


def test_grad_allow_unused():
    x, u = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError):
        mg.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = mg.autograd.grad(y, [x, u], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_with_grad_outputs():
    x = leaf([1.0, 2.0])
    y = x * x
    g, = mg.autograd.grad(y, x, grad_outputs=mg.tensor([1.0, 10.0], dtype=mg.float64))
    np.testing.assert_array_equal(g.numpy(), [2.0, 40.0])


def test_backward_with_gradient_for_a_non_scalar_output():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    y.backward(gradient=mg.tensor([[1.0, 0.0], [2.0, 1.0]], dtype=mg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [12.0, 8.0]])


def test_non_scalar_backward_without_gradient_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="(?i)scalar"):
        y.backward()


def test_requires_grad_can_be_switched_on_for_a_leaf():
    x = mg.zeros(3)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad


def test_a_backward_that_returns_an_array_is_named_in_the_error():
    class Bad(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2

        @staticmethod
        def backward(ctx, g):
            return g.data * 2          # an array, not a Tensor

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="Bad.backward returned a ndarray"):
        Bad.apply(x).sum().backward()
