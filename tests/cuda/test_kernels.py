"""The fused CUDA kernels (minigrad/cuda/kernels.py) against the composed array code they replace.

Every test runs on two runtimes:
- ``emulated``: the kernel source compiled with g++ and run on the CPU by ``tests/cuda_emulator.py``
  (real threads, real warp shuffles), so CI checks the kernels without a GPU;
- ``cupy``: the same source compiled by CuPy and run on the GPU, when the suite runs with
  ``--device cuda`` on a machine that has one.

Three layers of checks: the kernels alone against NumPy formulas; the ops that dispatch to them
(softmax, log_softmax, cross_entropy, layer_norm, gelu) against the same ops with the kernels
switched off, forward and backward, including gradcheck and gradgradcheck (double backward goes
through the composed formulas); and the source itself compiled by nvcc where nvcc is installed.
"""
import shutil
import subprocess

import numpy as np
import pytest

import cuda_emulator
import minigrad as mg
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.cuda import kernels


TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
DTYPES = [np.float32, np.float64]


def host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def sample(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype) * 3


# ------------------------------------------------------------------------------- the kernels alone
def softmax_reference(x):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)


ROW_SHAPES = [(1, 1), (3, 5), (7, 32), (5, 33), (4, 100), (2, 3, 64)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_and_log_softmax(runtime, shape, dtype):
    xp, _ = runtime
    x = sample(shape, dtype)
    x.reshape(-1, shape[-1])[0, ::2] = -np.inf           # masked entries, as attention makes
    p = softmax_reference(x)
    np.testing.assert_allclose(host(kernels.softmax(xp.asarray(x))), p, **TOL[dtype])
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(host(kernels.softmax(xp.asarray(x), log=True)), np.log(p), **TOL[dtype])


def test_softmax_of_a_row_of_minus_infinity_is_nan_as_the_composed_path(runtime):
    xp, _ = runtime
    x = np.full((2, 40), -np.inf)
    x[1, 3] = 0.0
    y = host(kernels.softmax(xp.asarray(x)))
    assert np.isnan(y[0]).all() and np.isnan(softmax_reference(x)[0]).all()
    np.testing.assert_array_equal(y[1], np.eye(40)[3])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_backward(runtime, shape, dtype):
    xp, _ = runtime
    y, g = softmax_reference(sample(shape, dtype)), sample(shape, dtype, seed=1)
    dx = y * (g - (g * y).sum(-1, keepdims=True))
    np.testing.assert_allclose(host(kernels.softmax_backward(xp.asarray(y), xp.asarray(g))), dx, **TOL[dtype])
    logy = np.log(y)
    dx = g - y * g.sum(-1, keepdims=True)
    np.testing.assert_allclose(host(kernels.softmax_backward(xp.asarray(logy), xp.asarray(g), log=True)), dx,
                               **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, classes", [(1, 1), (6, 10), (9, 37), (3, 300)])
def test_cross_entropy_forward_and_backward(runtime, rows, classes, dtype):
    xp, _ = runtime
    rng = np.random.default_rng(2)
    x = sample((rows, classes), dtype)
    target = rng.integers(0, classes, rows).astype(np.int64)
    coef = rng.uniform(0, 2, rows).astype(dtype)
    coef[0] = 0.0                                        # an ignored sample
    G = rng.standard_normal(rows).astype(dtype)
    logp = np.log(softmax_reference(x))
    loss, lse = kernels.cross_entropy(*map(xp.asarray, (x, target, coef)))
    np.testing.assert_allclose(host(loss), -coef * logp[np.arange(rows), target], **TOL[dtype])
    np.testing.assert_allclose(host(lse), (x - logp)[:, 0], **TOL[dtype])
    dx = (np.exp(logp) - np.eye(classes)[target]) * (coef * G)[:, None]
    got = kernels.cross_entropy_backward(*map(xp.asarray, (x, host(lse), target, coef, G)))
    np.testing.assert_allclose(host(got), dx, **TOL[dtype])


def test_softmax_and_cross_entropy_keep_their_precision_at_large_logits(runtime):
    """float32 logits near 1e4 and 1e7: lse = m + log s rounded to float32 is off by up to half the
    spacing of numbers near m (0.5 at 1e7), and exp(x - lse) with it; the kernels use exp(x - m) / s."""
    xp, _ = runtime
    x = np.array([[1e4, 1e4 - 1, 1e4 - 2, 0.0], [1e7, 1e7, 1e7, -1e7]], np.float32)
    p = softmax_reference(x.astype(np.float64))
    target, coef, G = np.array([1, 2]), np.ones(2, np.float32), np.ones(2, np.float32)
    np.testing.assert_allclose(host(kernels.softmax(xp.asarray(x))), p, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(host(kernels.softmax(xp.asarray(x), log=True))[:, :3], np.log(p[:, :3]), rtol=1e-6)
    loss, lse = kernels.cross_entropy(*map(xp.asarray, (x, target, coef)))
    np.testing.assert_allclose(host(loss), -np.log(p[[0, 1], target]), rtol=1e-6)
    dx = kernels.cross_entropy_backward(*map(xp.asarray, (x, host(lse), target, coef, G)))
    np.testing.assert_allclose(host(dx), p - np.eye(4)[target], atol=1e-6)


def test_a_nan_logit_makes_its_row_nan_as_the_composed_path(runtime):
    """A NaN anywhere in a row (first column; a column of another lane) gives NaN for that row's softmax,
    loss and gradient, so a diverging run shows up; the online softmax must not skip it."""
    xp, _ = runtime
    x = sample((3, 40), np.float32)
    x[0, 0] = x[1, 35] = np.nan
    nan_rows = np.array([True, True, False])
    for log in (False, True):
        y = host(kernels.softmax(xp.asarray(x), log=log))
        assert np.isnan(y[nan_rows]).all() and np.isfinite(y[~nan_rows]).all()
    target, coef = np.array([1, 2, 3]), np.ones(3, np.float32)
    loss, lse = kernels.cross_entropy(*map(xp.asarray, (x, target, coef)))
    assert np.array_equal(np.isnan(host(loss)), nan_rows)
    dx = host(kernels.cross_entropy_backward(*map(xp.asarray, (x, host(lse), target, coef, coef))))
    assert np.isnan(dx[nan_rows]).all() and np.isfinite(dx[~nan_rows]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 64), (4, 2, 129)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_forward_and_backward(runtime, shape, dtype, affine):
    xp, _ = runtime
    x, g = sample(shape, dtype) + 5, sample(shape, dtype, seed=1)       # + 5: a mean far from 0
    w = sample(shape[-1:], dtype, seed=2) if affine else None
    b = sample(shape[-1:], dtype, seed=3) if affine else None
    eps = 1e-5
    mean = x.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps)
    xhat = (x - mean) * rstd
    y, m, r = kernels.layer_norm(xp.asarray(x), *(None if p is None else xp.asarray(p) for p in (w, b)), eps)
    np.testing.assert_allclose(host(y), xhat * w + b if affine else xhat, **TOL[dtype])
    np.testing.assert_allclose(host(m), mean.reshape(-1), **TOL[dtype])
    np.testing.assert_allclose(host(r), rstd.reshape(-1), rtol=TOL[dtype]["rtol"] * 10)
    gh = g * w if affine else g
    dx = rstd * (gh - gh.mean(-1, keepdims=True) - xhat * (gh * xhat).mean(-1, keepdims=True))
    got = kernels.layer_norm_backward(xp.asarray(x), None if w is None else xp.asarray(w), m, r, xp.asarray(g))
    np.testing.assert_allclose(host(got), dx, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


def gelu_reference(x, approximate):
    import math
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (x + 0.044715 * x ** 3))
        return x * 0.5 * (1 + t), 0.5 * (1 + t) + x * 0.5 * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    return x * cdf, cdf + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_backward_over_a_grid_stride_loop(runtime, dtype, approximate, monkeypatch):
    xp, _ = runtime
    monkeypatch.setattr(kernels, "_MAX_BLOCKS", 2)      # 2 blocks of 256 threads cover 1,234 elements
    x, g = sample((2, 617), dtype), sample((2, 617), dtype, seed=1)
    y, dy = gelu_reference(x.astype(np.float64), approximate)
    np.testing.assert_allclose(host(kernels.gelu(xp.asarray(x), approximate)), y, **TOL[dtype])
    np.testing.assert_allclose(host(kernels.gelu_backward(xp.asarray(x), xp.asarray(g), approximate)), g * dy,
                               **TOL[dtype])


def test_the_emulator_refuses_an_argument_of_the_wrong_width(emulator):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="int32 for int"):
        emulator.launch("softmax_forward", x.dtype, 1, 128, (x, x.copy(), np.int64(2), np.int64(3), np.int32(0)))
    with pytest.raises(TypeError, match="float32 array"):
        emulator.launch("softmax_forward", x.dtype, 1, 128, (x.astype(np.float64), x, np.int64(2), np.int32(3),
                                                            np.int32(0)))


# ------------------------------------------------------------------------- the ops that dispatch to them
def _spy(monkeypatch, name):
    calls = []
    real = getattr(kernels, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(kernels, name, spy)
    return calls


def _run(fn, arrays, device, dtype):
    """fn's output and the gradients of sum(output · weights) for its inputs."""
    inputs = [mg.tensor(a.astype(dtype), device=device, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = mg.tensor(sample(out.shape, dtype, seed=9), device=device)
    (out * weights).sum().backward()
    return [host(out.detach().data)] + [host(t.grad.data) for t in inputs]


def _target(logits):
    """Class indices for (N, C) logits, sample 1 ignored (ignore_index=-100)."""
    n, classes = logits.shape
    t = np.random.default_rng(5).integers(0, classes, n)
    t[1] = -100
    return mg.tensor(t, device=logits.device)


OPS = {   # name: (fn of Tensors, input shapes, the kernels it must launch)
    "softmax": (lambda x: x.softmax(-1), [(4, 50)], ["softmax", "softmax_backward"]),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), [(2, 3, 40)], ["softmax", "softmax_backward"]),
    "cross_entropy_mean": (lambda x: F.cross_entropy(x, _target(x)), [(6, 11)],
                           ["cross_entropy", "cross_entropy_backward"]),
    "cross_entropy_none_weighted": (
        lambda x: F.cross_entropy(x, _target(x), reduction="none",
                                  weight=mg.arange(1, x.shape[1] + 1, device=x.device).to(x.dtype)),
        [(6, 11)], ["cross_entropy", "cross_entropy_backward"]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, w.shape, w, b), [(2, 5, 3, 20), (3, 20), (3, 20)],
                   ["layer_norm", "layer_norm_backward"]),
    "layer_norm_no_affine": (lambda x: F.layer_norm(x, x.shape[-1:]), [(4, 33)],
                             ["layer_norm", "layer_norm_backward"]),
    "gelu": (lambda x: F.gelu(x), [(3, 70)], ["gelu", "gelu_backward"]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(3, 70)], ["gelu", "gelu_backward"]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", OPS)
def test_op_takes_its_kernel_and_matches_the_composed_path(runtime, name, dtype, monkeypatch):
    _, device = runtime
    fn, shapes, launched = OPS[name]
    arrays = [sample(s, np.float64, seed=k) for k, s in enumerate(shapes)]
    kernels.enabled = False
    composed = _run(fn, arrays, device, dtype)
    kernels.enabled = True
    calls = [_spy(monkeypatch, k) for k in launched]
    fused = _run(fn, arrays, device, dtype)
    assert all(calls), f"{name} did not launch {launched}"
    for a, b in zip(fused, composed):
        np.testing.assert_allclose(a, b, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


@pytest.mark.parametrize("name", OPS)
def test_gradcheck_and_double_backward_through_the_fused_ops(runtime, name):
    _, device = runtime
    fn, shapes, _ = OPS[name]
    small = [tuple(min(d, 6) for d in s) for s in shapes]       # finite differences: few elements
    inputs = [mg.tensor(sample(s, np.float64, seed=k), device=device, requires_grad=True)
              for k, s in enumerate(small)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_layer_norm_backward_of_a_float32_output_takes_a_float64_gradient(runtime):
    """The incoming gradient may have another dtype than the output (backward(g) with a float64 g):
    the kernel reads g as x's dtype, so that case takes the composed path (same answer as without kernels)."""
    _, device = runtime
    x0, g = sample((3, 8), np.float32), sample((3, 8), np.float64, seed=1)

    def grad():
        x = mg.tensor(x0, device=device, requires_grad=True)
        F.layer_norm(x, (8,)).backward(mg.tensor(g, device=device))
        return host(x.grad.data)
    fused = grad()
    kernels.enabled = False
    np.testing.assert_allclose(fused, grad(), **TOL[np.float32])


def test_ops_fall_back_where_no_kernel_applies(runtime, monkeypatch):
    """softmax along a middle axis, cross-entropy with label smoothing or (N, C, d) logits, and batch
    norm take the composed path (and still give the right answers: the rest of the suite checks those)."""
    _, device = runtime
    calls = [_spy(monkeypatch, k) for k in ("softmax", "cross_entropy", "layer_norm")]
    x = mg.tensor(sample((3, 4, 5), np.float64), device=device)
    x.softmax(1)
    F.cross_entropy(x[:, :, 0], mg.tensor([0, 1, 2], device=device), label_smoothing=0.1)
    F.cross_entropy(x, mg.tensor(np.zeros((3, 5), np.int64), device=device))
    F.batch_norm(x, None, None, training=True)
    assert calls == [[], [], []]


# ------------------------------------------------------------------------------------- the source itself
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (the CUDA compiler) is not installed")
@pytest.mark.parametrize("prelude", ["", "#undef INFINITY\n"], ids=["nvcc", "nvrtc-like"])
def test_source_compiles_with_nvcc(tmp_path, prelude):
    """Every kernel, for float and double, through NVIDIA's compiler; without INFINITY predefined
    (as under NVRTC, which CuPy uses, where no C headers are included) the source defines its own."""
    lines = [prelude + kernels.SOURCE]
    for name, types in cuda_emulator.kernel_signatures().items():
        for ctype in ("float", "double"):
            lines.append(f"template __global__ void {name}<{ctype}>"
                         f"({', '.join(cuda_emulator._instantiate(types, ctype))});")
    src = tmp_path / "kernels.cu"
    src.write_text("\n".join(lines))
    result = subprocess.run(["nvcc", "--ptx", "-arch=sm_80", "-std=c++14", str(src), "-o", str(tmp_path / "k.ptx")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "k.ptx").read_text().count(".entry") == 2 * len(kernels.KERNEL_NAMES)


# ------------------------------------------------------------------------------------ a whole model
def test_a_gpt_training_step_with_the_kernels_matches_one_without(runtime, monkeypatch):
    """A small GPT (embeddings, pre-LN blocks with layer norm, tiled attention and GELU, cross-entropy):
    the same step with and without the fused kernels gives the same loss and gradients."""
    from minigrad.models.gpt import GPT
    _, device = runtime
    calls = [_spy(monkeypatch, k) for k in ("layer_norm", "layer_norm_backward", "gelu", "gelu_backward",
                                               "cross_entropy", "cross_entropy_backward")]
    idx = mg.tensor(np.random.default_rng(0).integers(0, 13, (2, 9)), device=device)

    def step(fused):
        kernels.enabled = fused
        mg.manual_seed(0)
        model = GPT(13, 9, n_layer=2, n_head=2, n_embd=16).to(device)
        _, loss = model(idx[:, :-1], idx[:, 1:])
        loss.backward()
        return [float(loss.item())] + [host(p.grad.data) for p in model.parameters()]

    composed, fused = step(False), step(True)
    assert all(calls)
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-5)
    for a, b in zip(fused[1:], composed[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
