"""The shared op-test harness: each op declares its inputs and a NumPy reference once, in a table.

An op's row in the table is a ``Case``::

    Case("div", lambda a, b: a / b, inputs=[((3, 4), (4,)), ((), (2, 3))])

- ``fn`` is the op written with minigrad; it receives one Tensor per shape in ``inputs``;
- ``ref`` is the same computation in NumPy (by default ``fn`` itself, which is enough when the
  op is an operator such as ``a / b`` that NumPy arrays understand too);
- ``inputs`` lists the input sets to try. Each entry of a set is a shape (a random float input),
  a NumPy float array (a float input with fixed values, e.g. ties or zeros), or ``C(value)``:
  a constant (index array, mask, NumPy operand) handed unchanged to both ``fn`` and ``ref``.

``op_tests(CASES)`` turns a table into four parametrised tests, one per (case, input set):

- ``test_forward``: float64 forward against the reference (values, shape, dtype);
- ``test_float32``: the same in float32, then a backward pass: the outputs stay float32 where
  NumPy's do, and every input's gradient has that input's shape and dtype (a float32 model
  never silently computes in float64);
- ``test_gradcheck``: the analytical gradient (the op's backward) against central finite
  differences, in float64;
- ``test_gradgradcheck``: the same for the gradient of the gradient (``create_graph=True``),
  which holds only if the backward is itself written with differentiable Tensor ops.

The tensors are made with the default device, so ``pytest --device cuda`` runs every table on
the GPU too.
"""
import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import gradcheck, gradgradcheck


class C:
    """A constant argument: passed as is to the op and to its reference, never differentiated."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"C({self.value!r})"


def _nonzero(rng, shape):
    # |x| in [0.1, 2] with a random sign: no input sits on the kink at 0 of abs, relu, sign,
    # clamp, nor makes a denominator tiny, so finite differences stay meaningful.
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


DOMAINS = {
    "real": _nonzero,
    "pos": lambda rng, shape: rng.uniform(0.2, 2.0, shape),       # log, sqrt, x ** 0.5, bases of a ** b
    "unit": lambda rng, shape: rng.uniform(-0.8, 0.8, shape),     # log1p
}


@dataclass
class Case:
    """One op (with one choice of its non-tensor arguments) and the input sets to run it on."""
    name: str
    fn: object
    ref: object = None                      # NumPy reference; None: ``fn`` works on arrays too
    inputs: list = field(default_factory=list)
    domain: object = "real"                 # a DOMAINS key, or a tuple of keys, one per input
    grad: bool = True                       # differentiable: run gradcheck (and the float32 backward)
    gradgrad: bool = True                   # also run gradgradcheck
    rtol: float = 1e-7                      # float64 forward tolerances
    atol: float = 1e-10
    rtol32: float = 2e-5                    # float32 forward tolerances
    atol32: float = 1e-5
    gc: dict = field(default_factory=dict)  # extra gradcheck/gradgradcheck arguments (eps, atol, rtol)

    def reference(self, *args):
        return (self.ref or self.fn)(*args)


def _ident(specs):
    def one(s):
        if isinstance(s, C):
            v = np.asarray(s.value) if not np.isscalar(s.value) else s.value
            return f"c{'x'.join(map(str, v.shape))}" if isinstance(v, np.ndarray) else "c"
        if isinstance(s, np.ndarray):
            return "arr" + "x".join(map(str, s.shape))
        return "x".join(map(str, s)) or "0d"
    return ",".join(one(s) for s in specs)


def _arrays(case, specs):
    """The inputs of one run: float64 arrays for the float inputs, ``C`` objects for constants."""
    rng = np.random.default_rng(zlib.crc32(f"{case.name}/{_ident(specs)}".encode()))
    domains = case.domain if isinstance(case.domain, tuple) else (case.domain,) * len(specs)
    out = []
    for s, dom in zip(specs, domains):
        if isinstance(s, C):
            out.append(s)
        elif isinstance(s, np.ndarray):
            out.append(s.astype(np.float64))
        else:
            out.append(np.asarray(DOMAINS[dom](rng, tuple(s))))
    return out, rng


def _call(case, arrays, dtype, requires_grad):
    """Run the minigrad op; returns its outputs (a list) and the float input tensors."""
    args, tensors = [], []
    for a in arrays:
        if isinstance(a, C):
            args.append(a.value)
        else:
            t = mg.tensor(a.astype(dtype), requires_grad=requires_grad)
            tensors.append(t)
            args.append(t)
    return _as_list(case.fn(*args)), tensors


def _ref(case, arrays, dtype):
    return [np.asarray(r) for r in
            _as_list(case.reference(*[a.value if isinstance(a, C) else a.astype(dtype) for a in arrays]))]


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float(t):
    return np.dtype(t.dtype).kind == "f"


def _float_outputs(out):
    """The differentiable outputs (``max(dim)`` also returns integer indices, which have no gradient)."""
    outs = [o for o in _as_list(out) if _is_float(o)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _to_numpy(t):
    assert isinstance(t, mg.Tensor), f"expected a minigrad Tensor, got {type(t).__name__}"
    return np.asarray(t.detach().numpy())


def _compare(case, outs, refs, rtol, atol, ref_dtypes):
    assert len(outs) == len(refs), f"{case.name}: {len(outs)} outputs, the reference has {len(refs)}"
    for k, (o, r, dt) in enumerate(zip(outs, refs, ref_dtypes)):
        got = _to_numpy(o)
        assert got.shape == r.shape, f"{case.name} output {k}: shape {got.shape}, expected {r.shape}"
        assert got.dtype == dt, f"{case.name} output {k}: dtype {got.dtype}, expected {dt}"
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(got, r, err_msg=f"{case.name} output {k}")
        else:
            np.testing.assert_allclose(got, r, rtol=rtol, atol=atol, err_msg=f"{case.name} output {k}")


def check_forward(case, specs):
    arrays, _ = _arrays(case, specs)
    outs, _ = _call(case, arrays, np.float64, requires_grad=False)
    refs = _ref(case, arrays, np.float64)
    _compare(case, outs, refs, case.rtol, case.atol, [r.dtype for r in refs])


def check_float32(case, specs):
    arrays, rng = _arrays(case, specs)
    arrays32 = [a if isinstance(a, C) else a.astype(np.float32) for a in arrays]
    outs, tensors = _call(case, arrays32, np.float32, requires_grad=case.grad)
    # values from float64 arithmetic on the very float32 inputs; dtypes from NumPy's float32 run
    refs = _ref(case, arrays32, np.float64)
    dtypes = [r.dtype for r in _ref(case, arrays32, np.float32)]
    _compare(case, outs, refs, case.rtol32, case.atol32, dtypes)
    if not case.grad:
        return
    floats = [o for o in outs if _is_float(o)]
    loss = sum((o * mg.tensor(rng.standard_normal(o.shape).astype(np.dtype(o.dtype)))).sum() for o in floats)
    loss.backward()
    for k, t in enumerate(tensors):
        assert t.grad is not None, f"{case.name}: input {k} got no gradient"
        assert tuple(t.grad.shape) == tuple(t.shape), \
            f"{case.name}: input {k} of shape {tuple(t.shape)} got a gradient of shape {tuple(t.grad.shape)}"
        assert t.grad.dtype == mg.float32, f"{case.name}: float32 input {k} got a {t.grad.dtype} gradient"


def _differentiable_fn(case, arrays):
    """``fn`` as a function of the float inputs only (constants bound), and those inputs in float64."""
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays if not isinstance(a, C)]

    def f(*ts):
        it = iter(ts)
        return _float_outputs(case.fn(*[a.value if isinstance(a, C) else next(it) for a in arrays]))
    return f, tuple(tensors)


def check_gradcheck(case, specs):
    f, inputs = _differentiable_fn(case, _arrays(case, specs)[0])
    assert gradcheck(f, inputs, **case.gc) is True


def check_gradgradcheck(case, specs):
    arrays, rng = _arrays(case, specs)
    f, inputs = _differentiable_fn(case, arrays)
    assert gradgradcheck(f, inputs, **case.gc) is True
    # gradgradcheck can only compare what backward recorded; make sure it recorded something:
    # with create_graph=True a nonzero gradient must itself be part of the graph
    outs = _as_list(f(*inputs))
    vs = [mg.tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    grads = mg.autograd.grad(outs, list(inputs), grad_outputs=vs, create_graph=True, allow_unused=True)
    for k, g in enumerate(grads):
        if g is not None and np.any(_to_numpy(g) != 0):
            assert g.requires_grad, \
                f"{case.name}: with create_graph=True the gradient of input {k} is not differentiable"


def params(cases, check):
    """pytest parameters, one per (case, input set) that ``check`` applies to."""
    wanted = {"forward": lambda c: True, "float32": lambda c: True,
              "gradcheck": lambda c: c.grad, "gradgradcheck": lambda c: c.grad and c.gradgrad}[check]
    return [pytest.param(case, specs, id=f"{case.name}-{_ident(specs)}")
            for case in cases if wanted(case) for specs in case.inputs]


def op_tests(cases):
    """The four tests of an op table; a test module binds them to its own ``test_*`` names."""
    names = {case.name for case in cases}
    assert len(names) == len(cases), "two cases share a name"

    @pytest.mark.parametrize("case,specs", params(cases, "forward"))
    def test_forward(case, specs):
        check_forward(case, specs)

    @pytest.mark.parametrize("case,specs", params(cases, "float32"))
    def test_float32(case, specs):
        check_float32(case, specs)

    @pytest.mark.parametrize("case,specs", params(cases, "gradcheck"))
    def test_gradcheck(case, specs):
        check_gradcheck(case, specs)

    @pytest.mark.parametrize("case,specs", params(cases, "gradgradcheck"))
    def test_gradgradcheck(case, specs):
        check_gradgradcheck(case, specs)

    return test_forward, test_float32, test_gradcheck, test_gradgradcheck


def small_tiles(monkeypatch, size):
    """Make the tiled attention (``minigrad.ops.attention``) cut even small inputs into tiles of
    ``size`` rows, on the CPU and on a GPU alike, so tests reach the multi-tile code."""
    from minigrad.ops import attention
    monkeypatch.setattr(attention, "BLOCK", size)
    monkeypatch.setattr(attention, "GPU_BLOCK", size)
