"""Bad input (SPEC.md, section "Errors"): every mistake a user can make raises a Python exception
whose message names the op and the offending shapes or values — never a bare NumPy traceback
from deep inside the engine, never a silent wrong result.

(Mixing devices is tested with the device tests, where a second device exists.)
"""
import re

import pytest

import minigrad as mg


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

