"""Gradient checking: compare backprop's gradients with central finite differences.

    df/dx_j  ~  (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)

Every entry of the Jacobian is compared, for every input that requires grad; float64 inputs are
required because in float32 the difference quotient is swamped by rounding error.
"""
import numpy

from ..backend import to_device
from .api import grad as _grad
from . import function


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, function._Tensor)]


def _check_inputs(inputs, who):
    diff = [i for i, t in enumerate(inputs) if isinstance(t, function._Tensor) and t.requires_grad]
    if not diff:
        raise ValueError(f"{who}: no input requires grad, nothing to check")
    for i in diff:
        if str(inputs[i].dtype) != 'float64':
            raise ValueError(
                f"{who}: input {i} is {inputs[i].dtype}; finite differences need float64 inputs "
                f"(use .double())")
    return diff


def _host(t):
    """A tensor's values as a flat float64 NumPy array (copied from the GPU if needed)."""
    return numpy.array(to_device(t.data, 'cpu'), dtype=numpy.float64).reshape(-1)   # a copy


def _numerical_jacobians(fn, inputs, diff, eps):
    """For each checked input, a list (one per output) of arrays of shape (out.size, in.size).

    ``fn`` runs with grad recording on: for gradgradcheck, ``fn`` itself calls backward.
    """
    outs = _outputs(fn, inputs)
    jac = {i: [numpy.zeros((o.data.size, inputs[i].data.size)) for o in outs] for i in diff}
    for i in diff:
        data = inputs[i].data
        for j in range(data.size):
            idx = _unravel(j, data.shape)
            orig = data[idx].item()
            data[idx] = orig + eps
            plus = [_host(o) for o in _outputs(fn, inputs)]
            data[idx] = orig - eps
            minus = [_host(o) for o in _outputs(fn, inputs)]
            data[idx] = orig
            for k in range(len(outs)):
                jac[i][k][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return outs, jac


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, what='gradient'):
    """True when every analytical Jacobian entry of ``fn`` at ``inputs`` matches finite differences.

    On a mismatch raises (or returns False) naming the input, the element, the output, and the
    numerical and analytical values.
    """
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, 'gradcheck')
    outs, numerical = _numerical_jacobians(fn, inputs, diff, eps)
    for k, out in enumerate(outs):
        for r in range(out.data.size):
            if out.requires_grad:
                seed = out._zeros_like()
                seed.data[_unravel(r, seed.data.shape)] = 1
                grads = _grad(out, [inputs[i] for i in diff], seed, retain_graph=True, allow_unused=True)
            else:                      # an output cut from the graph has a zero analytical gradient
                grads = [None] * len(diff)
            for i, g in zip(diff, grads):
                analytical = _host(g) if g is not None else numpy.zeros(inputs[i].data.size)
                num = numerical[i][k][r]
                bad = abs(analytical - num) > atol + rtol * abs(num)
                if bad.any():
                    j = int(bad.nonzero()[0][0])
                    idx = tuple(int(v) for v in _unravel(j, inputs[i].data.shape))
                    return _fail(
                        f"gradcheck: {what} mismatch for input {i} (shape {tuple(inputs[i].shape)}) at "
                        f"element {idx}, output {k} element {tuple(_unravel(r, out.data.shape))}: "
                        f"numerical {float(num[j]):.8g}, analytical {float(analytical[j]):.8g}",
                        raise_exception)
    return True


def _unravel(j, shape):
    idx = []
    for s in reversed(shape):
        idx.append(j % s)
        j //= s
    return tuple(int(v) for v in reversed(idx))


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """Check second derivatives: gradcheck of (inputs, v) -> d(fn)/d(inputs) · v.

    ``v`` (the grad_outputs) is random unless given, and is itself checked as an input, as
    PyTorch does.
    """
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, 'gradgradcheck')
    outs = [o for o in _outputs(fn, inputs) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [o._randn_like().requires_grad_() for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        ys = [o for o in _outputs(fn, xs) if o.requires_grad]
        gs = _grad(ys, [xs[i] for i in diff], list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, what='second derivative')
