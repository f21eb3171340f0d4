"""Broadcasting, property-based (hypothesis): for random broadcast-compatible shapes, every
input's gradient has that input's own shape and equals the finite-difference gradient.

Broadcasting copies an input along the dimensions it lacks (or has as size 1); the gradient
must therefore be summed back over exactly those dimensions. The finite differences here are
taken on the NumPy reference, independently of minigrad.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

import minigrad as mg

FAST = settings(max_examples=40, deadline=None, database=None)   # no .hypothesis folder in the repo


@st.composite
def broadcast_shapes(draw, n):
    """A target shape, and ``n`` input shapes that broadcast to it: each drops some leading
    dimensions and turns some of the rest into 1."""
    target = draw(st.lists(st.integers(1, 3), min_size=0, max_size=4))
    shapes = []
    for _ in range(n):
        keep = draw(st.integers(0, len(target)))
        tail = target[len(target) - keep:]
        ones = draw(st.lists(st.booleans(), min_size=len(tail), max_size=len(tail)))
        shapes.append(tuple(1 if o else s for s, o in zip(tail, ones)))
    return shapes


# name: (number of inputs, minigrad op, NumPy reference)
OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (2, lambda a, b: a.maximum(b), np.maximum),
    "pow": (2, lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b),
    "fma": (3, lambda a, b, c: a * b + c, lambda a, b, c: a * b + c),
    "where": (3, lambda a, b, c: mg.where(b > 0, a * b, c), lambda a, b, c: np.where(b > 0, a * b, c)),
}


def numerical_grad(f, arrays, k, eps=1e-6):
    """d f(arrays) / d arrays[k] by central differences, element by element."""
    x = arrays[k]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(*arrays)
        x[i] = old - eps
        down = f(*arrays)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


@FAST
@given(name=st.sampled_from(sorted(OPS)), data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_broadcast_gradients_have_input_shapes_and_match_finite_differences(name, data, seed):
    n, op, ref = OPS[name]
    shapes = data.draw(broadcast_shapes(n))
    rng = np.random.default_rng(seed)
    # magnitudes in [0.5, 2]: denominators and pow bases stay away from 0, maximum has no ties
    arrays = [np.asarray(rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s)) for s in shapes]
    out_shape = np.broadcast_shapes(*shapes)
    w = rng.standard_normal(out_shape)

    def loss(*arrs):
        return float(np.sum(ref(*arrs) * w))

    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    y = op(*tensors)
    assert tuple(y.shape) == out_shape
    (y * mg.tensor(w)).sum().backward()
    for k, (t, s) in enumerate(zip(tensors, shapes)):
        assert t.grad is not None and tuple(t.grad.shape) == s, \
            f"{name}: input {k} has shape {s}, its gradient {None if t.grad is None else tuple(t.grad.shape)}"
        np.testing.assert_allclose(t.grad.numpy(), numerical_grad(loss, arrays, k),
                                   rtol=1e-5, atol=1e-7, err_msg=f"{name}: input {k}, shapes {shapes}")


@FAST
@given(shapes=broadcast_shapes(2))
def test_broadcast_forward_shape_matches_numpy(shapes):
    a, b = (mg.zeros(s) for s in shapes)
    assert tuple((a + b).shape) == np.broadcast_shapes(*shapes)
