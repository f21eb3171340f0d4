"""Bad input (SPEC.md, section "Errors"): every mistake a user can make raises a Python exception
whose message names the op and the offending shapes or values — never a bare NumPy traceback
from deep inside the engine, never a silent wrong result.

(Mixing devices is tested with the device tests, where a second device exists.)
"""
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def shape_pattern(shape):
    """A shape written as (2, 3), [2, 3], 2x3 or 2×3."""
    return r"[\(\[]?" + r"\s*[,x×]\s*".join(map(str, shape)) + r",?[\)\]]?"


def check_message(exc, op, *shapes, values=()):
    msg = str(exc.value)
    assert re.search(op, msg, re.I), f"the message does not name the op ({op!r}): {msg!r}"
    for s in shapes:
        assert re.search(shape_pattern(s), msg), f"the message does not give the shape {s}: {msg!r}"
    for v in values:
        assert re.search(rf"(?<![\d.]){re.escape(str(v))}(?![\d.])", msg), \
            f"the message does not give the value {v}: {msg!r}"


def test_matmul_shape_mismatch():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.ones(2, 3) @ mg.ones(4, 5)
    check_message(e, "matmul|@", (2, 3), (4, 5))


def test_batched_matmul_shape_mismatch():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.ones(2, 2, 3) @ mg.ones(3, 2, 4)      # batch dims 2 and 3 do not broadcast
    check_message(e, "matmul|@", (2, 2, 3), (3, 2, 4))


def test_matmul_of_a_0d_tensor():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.tensor(2.0) @ mg.ones(3)
    check_message(e, "matmul|@", (3,))


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, r"add|\+"), (lambda a, b: a * b, r"mul|\*"),
    (lambda a, b: a - b, r"sub|-"), (lambda a, b: a / b, r"div|/"),
])
def test_broadcasting_mismatch(op, name):
    with pytest.raises((ValueError, RuntimeError)) as e:
        op(mg.ones(2, 3), mg.ones(4))
    check_message(e, name, (2, 3), (4,))


def test_bad_reshape():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.ones(2, 3).reshape(4, 2)
    check_message(e, "reshape", (4, 2))
    assert re.search(r"(?<!\d)6(?!\d)|" + shape_pattern((2, 3)), str(e.value))


def test_bad_view():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.ones(2, 3).view(5)
    check_message(e, "view")


def test_bad_expand():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.ones(3).expand(4)
    check_message(e, "expand", (3,))


def test_cat_shape_mismatch():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.cat([mg.ones(2, 3), mg.ones(2, 4)], dim=0)
    check_message(e, "cat", (2, 3), (2, 4))


def test_stack_shape_mismatch():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.stack([mg.ones(2, 3), mg.ones(3, 2)])
    check_message(e, "stack", (2, 3), (3, 2))


@pytest.mark.parametrize("index", [5, -4, (0, 5)])
def test_index_out_of_range(index):
    with pytest.raises(IndexError) as e:
        mg.ones(3, 3)[index] if isinstance(index, tuple) else mg.ones(3)[index]
    bad = index[1] if isinstance(index, tuple) else index
    check_message(e, "index", values=(bad, 3))


def test_advanced_index_out_of_range():
    with pytest.raises(IndexError) as e:
        mg.ones(3)[mg.tensor([0, 7])]
    check_message(e, "index", values=(7, 3))


def test_float_index_tensor():
    with pytest.raises((IndexError, TypeError)) as e:
        mg.ones(3)[mg.tensor([0.5])]
    check_message(e, "index", values=("float32",))


@pytest.mark.parametrize("call, op", [
    (lambda t: t.sum(dim=2), "sum"), (lambda t: t.transpose(0, 2), "transpose"),
    (lambda t: t.softmax(dim=3), "softmax"), (lambda t: t.unsqueeze(4), "unsqueeze"),
])
def test_dim_out_of_range(call, op):
    with pytest.raises(IndexError) as e:
        call(mg.ones(2, 3))
    check_message(e, op)


NAMED_ERRORS = [
    (lambda: mg.tensor([[1.0, 2.0], [3.0]]), "tensor"),                       # ragged nested lists
    (lambda: mg.stack([]), "stack"),
    (lambda: mg.cat([]), "cat"),
    (lambda: mg.ones(4).chunk(0), "chunk"),
    (lambda: mg.arange(0, 5, 0), "arange"),
    (lambda: mg.randint(5, 3, (2,)), "randint"),
    (lambda: mg.ones(3).copy_(mg.ones(4)), "copy_"),
    (lambda: mg.ones(2, 3).masked_fill(mg.ones(4) > 0, 0.0), "masked_fill"),
    (lambda: mg.ones(3, 1).expand(-1, -1, 4), "expand"),                     # -1 on a new leading dim
    (lambda: mg.ones(2, 3).split([2, 2], dim=1), "split"),
    (lambda: mg.einsum("ij,jk->ik", mg.ones(2, 3), mg.ones(4, 5)), "einsum"),
]


@pytest.mark.parametrize("call, op", NAMED_ERRORS, ids=[op for _, op in NAMED_ERRORS])
def test_error_names_the_op(call, op):
    with pytest.raises((ValueError, RuntimeError, IndexError, TypeError)) as e:
        call()
    check_message(e, op)


def test_backward_twice():
    x = mg.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as e:
        y.backward()
    check_message(e, "retain_graph")


def test_non_scalar_backward_without_gradient():
    y = mg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as e:
        y.backward()
    check_message(e, "backward", (2, 3))
    assert "scalar" in str(e.value)


def test_backward_gradient_of_the_wrong_shape():
    y = mg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises((ValueError, RuntimeError)) as e:
        y.backward(gradient=mg.ones(3, 2))
    check_message(e, "backward|gradient", (2, 3), (3, 2))


def test_backward_of_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError) as e:
        (mg.ones(2) * 2).sum().backward()
    check_message(e, "requires?_grad|grad_fn")


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], requires_grad=True),
    lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
    lambda: mg.arange(3).requires_grad_(),
])
def test_requires_grad_on_an_int_tensor(make):
    with pytest.raises(RuntimeError) as e:
        make()
    check_message(e, "requires_grad|gradient", values=("int64",))


def test_numpy_of_a_tensor_requiring_grad():
    with pytest.raises(RuntimeError) as e:
        mg.ones(2, requires_grad=True).numpy()
    check_message(e, "numpy")
    assert "detach" in str(e.value)


def test_unknown_device():
    with pytest.raises((ValueError, RuntimeError)) as e:
        mg.zeros(2, device="tpu")
    check_message(e, "device", values=("tpu",))


def test_in_place_on_a_leaf_names_the_op():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        w.mul_(2.0)
    check_message(e, "leaf")
    assert "mul_" in str(e.value) or "in-place" in str(e.value).lower()



# ----- issue "Hardening": the mistakes that gave a silent wrong answer or NumPy's words -----

def test_batched_matmul_whose_batch_dims_do_not_broadcast():
    with pytest.raises(RuntimeError) as e:
        mg.ones(2, 7, 11) @ mg.ones(3, 11, 5)
    check_message(e, "matmul", (2, 7, 11), (3, 11, 5))
    assert "newaxis" not in str(e.value)


def test_int_tensor_cannot_be_made_to_require_grad_by_attribute():
    x = mg.arange(3)
    with pytest.raises(RuntimeError) as e:
        x.requires_grad = True
    check_message(e, "requires_grad", values=("int64",))
    assert not x.requires_grad


def test_a_non_leaf_cannot_stop_requiring_grad_by_attribute():
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as e:
        y.requires_grad = False
    check_message(e, "requires_grad")


@pytest.mark.parametrize("grad, error, shapes", [
    (lambda: mg.zeros(2, 3), RuntimeError, [(3,), (2, 3)]),
    (lambda: mg.zeros(3, dtype=mg.float64), RuntimeError, [(3,)]),
    (lambda: [1.0, 2.0, 3.0], TypeError, []),
])
def test_assigning_a_gradient_that_does_not_fit(grad, error, shapes):
    p = mg.zeros(3, requires_grad=True)
    with pytest.raises(error) as e:
        p.grad = grad()
    check_message(e, "grad", *shapes)
    assert p.grad is None


def test_assigning_a_fitting_gradient_is_kept():
    p = mg.zeros(3, requires_grad=True)
    p.grad = mg.ones(3)
    assert p.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("call, op, bad", [
    (lambda: mg.zeros(2.5, 3), "zeros", 2.5), (lambda: mg.randn(3.7), "randn", 3.7),
    (lambda: mg.ones((2, 1.5)), "ones", 1.5), (lambda: mg.zeros(77).reshape(7.9, 11), "reshape", 7.9),
    (lambda: mg.zeros(6).view(2.0, 3), "view", 2.0), (lambda: mg.ones(2).repeat(1.5), "repeat", 1.5),
])
def test_float_sizes_are_refused_not_truncated(call, op, bad):
    with pytest.raises(TypeError) as e:
        call()
    check_message(e, op, values=(bad,))


@pytest.mark.parametrize("call, op", [
    (lambda: mg.zeros(-1, 3), "zeros"), (lambda: mg.empty(2, -3), "empty"), (lambda: mg.rand(-2), "rand"),
    (lambda: mg.ones(2).new_zeros(-1), "new_zeros"), (lambda: mg.eye(-2), "eye"),
])
def test_negative_sizes_name_the_factory(call, op):
    with pytest.raises(ValueError) as e:
        call()
    check_message(e, op)
    assert "negative" in str(e.value) and "-" in str(e.value)


def test_integer_sizes_of_every_spelling_still_work():
    assert mg.zeros(np.int64(2), mg.tensor(3)).shape == (2, 3)
    assert mg.ones(6).reshape((np.int32(2), 3)).shape == (2, 3)


@pytest.mark.parametrize("array", [
    np.array([object()]), np.array(["a", "b"]), np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.array([1 + 2j]),
], ids=["object", "str", "datetime", "complex"])
def test_tensor_refuses_non_numeric_arrays(array):
    with pytest.raises(TypeError) as e:
        mg.tensor(array)
    check_message(e, "tensor", values=(str(array.dtype),))


@pytest.mark.parametrize("data, dtype, value", [
    (2 ** 70, None, 2 ** 70), ([1, 2 ** 64], None, 2 ** 64), (2 ** 63, None, 2 ** 63), (300, mg.int8, 300),
    (np.array([1, 70000]), mg.int16, 70000),
])
def test_integer_overflow_is_named(data, dtype, value):
    with pytest.raises(OverflowError) as e:
        mg.tensor(data, dtype=dtype)
    check_message(e, "tensor", values=(value,))
    assert "overflow" in str(e.value)


@pytest.mark.parametrize("call, op", [
    (lambda: mg.zeros(0, 3).amax(), "amax"), (lambda: mg.zeros(0, 3).amin(0), "amin"),
    (lambda: mg.zeros(0, 3).max(0), "max"), (lambda: mg.zeros(0, 3).min(), "min"),
    (lambda: mg.zeros(0, 3).argmax(), "argmax"),
])
def test_max_and_min_of_an_empty_dim(call, op):
    with pytest.raises(IndexError) as e:
        call()
    check_message(e, op, (0, 3))


def test_max_along_a_non_empty_dim_of_an_empty_tensor():
    values, indices = mg.zeros(0, 3).max(1)
    assert values.shape == (0,) and indices.shape == (0,)


@pytest.mark.parametrize("index", [1.0, "a", 2.5])
def test_index_that_is_not_an_index(index):
    with pytest.raises(IndexError) as e:
        mg.zeros(3)[index]
    check_message(e, "index", (3,), values=(index,) if isinstance(index, float) else ())


def test_gather_out_of_range_names_gather():
    x = mg.zeros(2, 3, requires_grad=True)
    with pytest.raises(IndexError) as e:
        x.gather(1, mg.tensor([[0, 5], [1, 1]]))
    check_message(e, "gather", values=(5, 3))


@pytest.mark.parametrize("weight", [[1.0, 2.0, 3.0], np.ones(3)], ids=["list", "ndarray"])
def test_cross_entropy_weight_must_be_a_tensor(weight):
    with pytest.raises(TypeError) as e:
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, 1]), weight=weight)
    check_message(e, "cross_entropy", values=(type(weight).__name__,))
    assert "weight" in str(e.value)


@pytest.mark.parametrize("make, name, value", [
    (lambda: nn.Conv2d(3, 4, kernel_size=0), "kernel_size", 0),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), "stride", 0),
    (lambda: nn.Conv2d(3, 4, 3, stride=-1), "stride", -1),
    (lambda: nn.Conv1d(3, 4, 3, dilation=0), "dilation", 0),
    (lambda: nn.Conv2d(3, 4, 3, groups=0), "groups", 0),
    (lambda: nn.Conv2d(-1, 4, 3), "in_channels", -1),      # 0 channels is allowed, as PyTorch (lazy layers)
    (lambda: nn.Conv2d(3, 4, 2.5), "kernel_size", 2.5),
    (lambda: nn.Embedding(-1, 4), "num_embeddings", -1),
    (lambda: nn.Embedding(10, 0), "embedding_dim", 0),
    (lambda: nn.LSTM(3, -4), "hidden_size", -4),
    (lambda: nn.GRUCell(0, 4), "input_size", 0),
])
def test_layer_sizes_must_be_positive_ints(make, name, value):
    with pytest.raises(ValueError) as e:
        make()
    msg = str(e.value)
    assert re.match(r"(Conv[12]d|Embedding|LSTM|GRUCell): ", msg) and name in msg and str(value) in msg, msg


def test_conv_channels_not_divisible_by_groups():
    with pytest.raises(ValueError) as e:
        nn.Conv2d(3, 4, 3, groups=2)
    check_message(e, "Conv2d", values=(3, 4, 2))


# ----- an empty batch is not a mistake: every layer returns PyTorch's empty output -----
EMPTY_BATCH = [
    ('Linear', (3, 4), (0, 3)), ('Embedding', (10, 4), None), ('Flatten', (), (0, 2, 3)),
    ('GELU', (), (0, 3)), ('Softmax', (1,), (0, 3)), ('LayerNorm', (3,), (0, 3)),
    ('BatchNorm1d', (3,), (0, 3)), ('BatchNorm2d', (3,), (0, 3, 4, 4)),
    ('Conv1d', (3, 4, 3), (0, 3, 8)), ('Conv2d', (3, 4, 3), (0, 3, 8, 8)),
    ('MaxPool2d', (2,), (0, 3, 8, 8)), ('AvgPool2d', (2,), (0, 3, 8, 8)),
    ('AdaptiveAvgPool2d', ((2, 2),), (0, 3, 8, 8)),
    ('RNNCell', (3, 4), (0, 3)), ('LSTMCell', (3, 4), (0, 3)), ('GRUCell', (3, 4), (0, 3)),
    ('RNN', (3, 4), (5, 0, 3)), ('LSTM', (3, 4), (5, 0, 3)), ('GRU', (3, 4), (5, 0, 3)),
    ('TransformerEncoderLayer', (8, 2, 16), (5, 0, 8)),
]


@pytest.mark.parametrize("name, args, shape", EMPTY_BATCH, ids=[c[0] for c in EMPTY_BATCH])
def test_every_layer_accepts_an_empty_batch(name, args, shape):
    torch = pytest.importorskip("torch")
    shapes = []
    for lib in (torch, mg):
        layer = getattr(lib.nn, name)(*args)
        x = lib.zeros(0, 5, dtype=lib.long) if shape is None else lib.zeros(*shape, requires_grad=True)
        out = layer(x)
        out = out[0] if isinstance(out, tuple) else out
        shapes.append(tuple(out.shape))
    assert shapes[1] == shapes[0]
    out.sum().backward()


def test_softmax_over_an_empty_dim():
    assert mg.zeros(2, 0).softmax(1).shape == (2, 0)
    assert mg.zeros(2, 0).log_softmax(1).shape == (2, 0)


def test_second_derivative_of_relu_is_zero_not_an_error():
    a = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    g, = mg.autograd.grad(a.relu().sum(), a, create_graph=True)
    assert g.requires_grad and g.tolist() == [1.0, 0.0, 1.0]
    gg, = mg.autograd.grad(g.sum(), a)
    assert gg.tolist() == [0.0, 0.0, 0.0]
