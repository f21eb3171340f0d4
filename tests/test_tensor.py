"""The Tensor itself: construction and dtype inference, type promotion, factories and seeding,
attributes, conversions and in-place ops (SPEC.md, section "Tensor").
The ops' values and gradients are tested in tests/ops/ through the shared harness.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import gradcheck, gradgradcheck


# ---------------------------------------------------------------- construction and dtypes

@pytest.mark.parametrize("data, dtype", [
    (1.5, mg.float32), ([1.0, 2.0], mg.float32), ([[1, 2.5]], mg.float32),
    (3, mg.int64), ([1, 2, 3], mg.int64),
    (True, mg.bool), ([True, False], mg.bool),
])
def test_python_data_dtype(data, dtype):
    t = mg.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.array(data))


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_])
def test_numpy_array_keeps_its_dtype(np_dtype):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    t = mg.tensor(a)
    assert t.numpy().dtype == np_dtype
    np.testing.assert_array_equal(t.numpy(), a)


def test_tensor_copies_but_from_numpy_shares(device):
    a = np.zeros(3, dtype=np.float32)
    t = mg.tensor(a)
    a[0] = 1.0
    assert t.tolist() == [0.0, 0.0, 0.0]
    if device == "cpu":
        s = mg.from_numpy(a)
        a[1] = 2.0
        assert s.tolist() == [1.0, 2.0, 0.0]
        assert s.dtype == mg.float32


def test_explicit_dtype_converts():
    t = mg.tensor([1, 2], dtype=mg.float64)
    assert t.dtype == mg.float64 and t.tolist() == [1.0, 2.0]


def _i(*v):
    return mg.tensor(list(v))


def _f32(*v):
    return mg.tensor(np.array(v, dtype=np.float32))


def _f64(*v):
    return mg.tensor(np.array(v, dtype=np.float64))


@pytest.mark.parametrize("expr, dtype", [
    (lambda: _i(1, 2) + 1.5, mg.float32),           # int tensor with a Python float: the default float
    (lambda: 1.5 * _i(1, 2), mg.float32),
    (lambda: _i(1, 2) * 2, mg.int64),
    (lambda: _i(1, 2) / _i(2, 2), mg.float32),      # true division of ints
    (lambda: _i(1, 2) / 2, mg.float32),
    (lambda: _f32(1, 2) + _f64(1, 2), mg.float64),
    (lambda: _f64(1, 2) * _f32(1, 2), mg.float64),
    (lambda: _f32(1, 2) + _i(1, 2), mg.float32),    # a float tensor wins over an int tensor
    (lambda: _f32(1, 2) * 2.5, mg.float32),         # Python scalars never widen a float dtype
    (lambda: _f32(1, 2) + 1, mg.float32),
    (lambda: _f32(1, 2) / 3, mg.float32),
    (lambda: 2.0 ** _f32(1, 2), mg.float32),
    (lambda: _f32(1, 2) ** 2, mg.float32),
    (lambda: _f32(1, 2) ** 0.5, mg.float32),
    (lambda: 1.0 - _f32(1, 2), mg.float32),
    (lambda: _f32(1, 2) * np.float64(2.0), mg.float32),    # a NumPy scalar counts as a scalar, as PyTorch
    (lambda: _f32(1, 2) + np.ones(2), mg.float64),          # a float64 array is a float64 tensor
    (lambda: mg.where(_i(1, 0) > 0, _f32(1, 2), 0.0), mg.float32),
    (lambda: _i(1, 2) + mg.tensor([True, False]), mg.int64),
    (lambda: _i(1, 2).sum(), mg.int64),
    (lambda: mg.tensor([True, False, True]).sum(), mg.int64),
    (lambda: _f32(1, 2) < 1.5, mg.bool),
    (lambda: _f32(1, 2).mean(), mg.float32),
    (lambda: _f32(1, 2).var(), mg.float32),
    (lambda: _f32(1, 2).norm(), mg.float32),
])
def test_type_promotion(expr, dtype):
    assert expr().dtype == dtype


def test_float32_chain_never_produces_float64():
    """Forward and backward of a float32 model stay float32, through every kind of op."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = mg.tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    steps = [
        lambda t: t @ w,
        lambda t: t * 0.5 + 1,
        lambda t: t.tanh() + t.sigmoid() + t.relu(),
        lambda t: (t.abs() + 1e-3).sqrt() + t.exp().log1p(),
        lambda t: t ** 2 + 2.0 ** t - t / 3,
        lambda t: t.clamp(-1.0, 1.0) + t.maximum(t * 0.1),
        lambda t: t.softmax(-1) + t.log_softmax(-1),
        lambda t: t - t.mean(dim=0, keepdim=True),
        lambda t: t / (t.std(dim=1, keepdim=True) + 1e-5),
        lambda t: mg.where(t > 0, t, 0.1 * t),
        lambda t: mg.cat([t, t[:, :2]], dim=1),
        lambda t: t.logsumexp(dim=1) + t.norm(dim=1) + t.var(dim=1),
    ]
    t = x
    for k, step in enumerate(steps):
        t = step(t)
        t.retain_grad()
        assert t.dtype == mg.float32, f"step {k} produced {t.dtype}"
    t.sum().backward()
    assert x.grad.dtype == mg.float32 and w.grad.dtype == mg.float32


def test_float64_input_through_float32_cast_gets_float64_grad():
    x = mg.tensor(np.ones(3), requires_grad=True)
    (x.to(mg.float32) * 2).sum().backward()
    assert x.grad.dtype == mg.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


# ---------------------------------------------------------------- factories

@pytest.mark.parametrize("make, shape, fill", [
    (lambda: mg.zeros(2, 3), (2, 3), 0.0),
    (lambda: mg.zeros((2, 3)), (2, 3), 0.0),
    (lambda: mg.ones(4), (4,), 1.0),
    (lambda: mg.ones((2, 1, 2)), (2, 1, 2), 1.0),
    (lambda: mg.full((2, 2), 3.5), (2, 2), 3.5),
    (lambda: mg.zeros(()), (), 0.0),
])
def test_constant_factories(make, shape, fill):
    t = make()
    assert t.shape == shape and t.dtype == mg.float32 and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), np.full(shape, fill, dtype=np.float32))


def test_full_infers_dtype_from_fill_value():
    assert mg.full((2,), 3).dtype == mg.int64
    assert mg.full((2,), True).dtype == mg.bool
    assert mg.full((2,), 3, dtype=mg.float64).dtype == mg.float64


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
def test_factory_keywords(factory, device):
    t = getattr(mg, factory)(2, 3, dtype=mg.float64, device="cpu", requires_grad=True)
    assert t.shape == (2, 3) and t.dtype == mg.float64 and t.device == "cpu"
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    assert getattr(mg, factory)(2).device == device    # no device=: the default device


def test_eye():
    np.testing.assert_array_equal(mg.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(mg.eye(2, 3).numpy(), np.eye(2, 3, dtype=np.float32))
    assert mg.eye(2, dtype=mg.float64).dtype == mg.float64


@pytest.mark.parametrize("args, kwargs, expected, dtype", [
    ((5,), {}, [0, 1, 2, 3, 4], mg.int64),
    ((1, 10, 3), {}, [1, 4, 7], mg.int64),
    ((0, 1, 0.25), {}, [0.0, 0.25, 0.5, 0.75], mg.float32),
    ((0.0, 3), {}, [0.0, 1.0, 2.0], mg.float32),
    ((3,), {"dtype": mg.float64}, [0.0, 1.0, 2.0], mg.float64),
])
def test_arange(args, kwargs, expected, dtype):
    t = mg.arange(*args, **kwargs)
    assert t.dtype == dtype
    np.testing.assert_allclose(t.numpy(), expected)


def test_linspace():
    t = mg.linspace(0, 1, 5)
    assert t.dtype == mg.float32
    np.testing.assert_allclose(t.numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(mg.linspace(-1, 1, 3, dtype=mg.float64).numpy(), [-1.0, 0.0, 1.0])


def test_random_factories_ranges():
    mg.manual_seed(0)
    u = mg.rand(2000).numpy()
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.05
    n = mg.randn(2000).numpy()
    assert n.dtype == np.float32 and abs(n.mean()) < 0.1 and abs(n.std() - 1.0) < 0.1
    r = mg.randint(3, 10, (500,))
    assert r.dtype == mg.int64 and r.shape == (500,)
    assert set(r.tolist()) == set(range(3, 10))
    assert set(mg.randint(4, (200,)).tolist()) == {0, 1, 2, 3}


def test_like_factories():
    x = mg.tensor(np.ones((2, 3), dtype=np.float64))
    for make, fill in [(mg.zeros_like, 0.0), (mg.ones_like, 1.0)]:
        t = make(x)
        assert t.shape == (2, 3) and t.dtype == mg.float64
        np.testing.assert_array_equal(t.numpy(), np.full((2, 3), fill))
    r = mg.randn_like(x)
    assert r.shape == (2, 3) and r.dtype == mg.float64
    assert mg.zeros_like(x, dtype=mg.float32).dtype == mg.float32
    assert mg.ones_like(x, requires_grad=True).requires_grad


@pytest.mark.parametrize("draw", [
    lambda: mg.rand(5), lambda: mg.randn(2, 3), lambda: mg.randint(0, 100, (6,)),
    lambda: mg.randn_like(mg.zeros(4)), lambda: mg.empty(5).uniform_(-1, 1), lambda: mg.empty(5).normal_(),
])
def test_manual_seed_makes_draws_repeatable(draw):
    mg.manual_seed(1234)
    first, second = draw().tolist(), draw().tolist()
    mg.manual_seed(1234)
    assert draw().tolist() == first and draw().tolist() == second
    assert first != second            # the stream moves on between draws
    mg.manual_seed(4321)
    assert draw().tolist() != first


# ---------------------------------------------------------------- attributes and conversions

def test_attributes():
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2 and x.numel() == 6
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.T.shape == (3, 2) and x.T.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert x.grad is None and x.is_leaf and x.grad_fn is None and not x.requires_grad
    s = mg.tensor(2.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1 and s.size() == ()


def test_python_protocols():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2
    assert [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]       # iterates over dim 0
    s = mg.tensor(2.5)
    assert float(s) == 2.5 and int(s) == 2 and bool(mg.tensor(1.0)) and not bool(mg.tensor(0.0))
    assert {x: "x"}[x] == "x"           # hashable by identity, as PyTorch (optimizers key state by tensor)


def test_data_is_the_backing_array(device):
    x = mg.ones(2, 2)
    if device == "cpu":
        assert isinstance(x.data, np.ndarray)
    assert x.device == device


def test_numpy_item_tolist():
    x = mg.tensor([[1.5, 2.0], [3.0, 4.0]])
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]] and isinstance(x.tolist()[0][0], float)
    assert mg.tensor(2.5).tolist() == 2.5
    v = mg.tensor(2.5).item()
    assert v == 2.5 and type(v) is float
    assert type(mg.tensor(7).item()) is int and type(mg.tensor(True).item()) is bool
    assert mg.tensor([[3.0]]).item() == 3.0
    with pytest.raises((ValueError, RuntimeError)):
        x.item()


def test_detach_numpy_works_on_a_tensor_requiring_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_detach_shares_data_and_cuts_the_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.add_(1.0)                       # same memory, as PyTorch
    assert y.tolist() == [3.0, 5.0]


def test_clone_copies_and_is_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None
    with mg.no_grad():
        c.mul_(10.0)
    assert x.tolist() == [1.0, 2.0]
    x.clone().sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_to_and_casts(device):
    x = mg.tensor([1.7, -2.2])
    assert x.to(mg.float64).dtype == mg.float64
    assert x.to("cpu").device == "cpu" and x.cpu().device == "cpu"
    assert x.to(device).device == device
    assert x.double().dtype == mg.float64
    assert x.double().float().dtype == mg.float32
    assert x.long().dtype == mg.int64 and x.long().tolist() == [1, -2]    # truncation, as PyTorch
    assert x.to(mg.float32) is x or x.to(mg.float32).tolist() == x.tolist()


def test_comparisons_give_bool_without_grad():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    for c in (x > 0, x >= 0, x < 0, x <= 0, x == 1.0, x != 1.0):
        assert c.dtype == mg.bool and not c.requires_grad
    assert (x > 0).tolist() == [True, False]
    assert ((x > 0) & (x < 5)).tolist() == [True, False] and (~(x > 0)).tolist() == [False, True]


# ---------------------------------------------------------------- in-place ops

def test_in_place_ops_change_values_and_return_self():
    t = mg.zeros(3)
    assert t.add_(2.0) is t and t.tolist() == [2.0, 2.0, 2.0]
    assert t.mul_(mg.tensor([1.0, 2.0, 3.0])) is t and t.tolist() == [2.0, 4.0, 6.0]
    assert t.sub_(1.0) is t and t.tolist() == [1.0, 3.0, 5.0]
    assert t.clamp_(2.0, 4.0) is t and t.tolist() == [2.0, 3.0, 4.0]
    assert t.copy_(mg.tensor([7.0, 8.0, 9.0])) is t and t.tolist() == [7.0, 8.0, 9.0]
    assert t.fill_(0.5) is t and t.tolist() == [0.5, 0.5, 0.5]
    assert t.zero_() is t and t.tolist() == [0.0, 0.0, 0.0]
    assert t.dtype == mg.float32


def test_random_in_place_fills():
    mg.manual_seed(0)
    u = mg.empty(2000).uniform_(-2.0, 3.0).numpy()
    assert u.dtype == np.float32 and u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.1
    n = mg.empty(2000).normal_(1.0, 0.5).numpy()
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 0.5) < 0.05


def test_in_place_ops_on_a_non_leaf_are_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(3.0)
    y.add_(1.0)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_in_place_update_of_a_parameter_under_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mg.no_grad():
        w.sub_(0.1 * w.grad)
    assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)


def test_augmented_assignment_is_in_place():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with mg.no_grad():
        w -= 0.5 * w.grad
        w *= 2.0
    assert w is before and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])


def test_unbind_gives_slices_and_one_node_whose_gradient_stacks():
    x = mg.tensor(np.arange(12.0).reshape(3, 4), dtype=mg.float64, requires_grad=True)
    parts = x.unbind(1)
    assert len(parts) == 4 and all(p.shape == (3,) for p in parts)
    np.testing.assert_array_equal(parts[2].detach().numpy(), [2.0, 6.0, 10.0])
    assert len({id(p.grad_fn) for p in parts}) == 1
    (parts[0] * 2 + parts[3]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tile([2.0, 0.0, 0.0, 1.0], (3, 1)))
    assert gradcheck(lambda t: t.unbind(0)[1] * t.unbind(0)[2], (x,))
    assert gradgradcheck(lambda t: t.unbind(0)[1] * t.unbind(0)[2], (x,))
