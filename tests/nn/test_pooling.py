"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and their layers.

- rows of the shared op table (tests/harness.py): forward against NumPy references (max/sum over
  kernel offsets, divisors counted from a mask, adaptive windows by explicit loops), float32,
  gradcheck and gradgradcheck, over stride, padding, dilation, ceil_mode, count_include_pad,
  divisor_override, non-square windows and unbatched inputs;
- the functions and layers against PyTorch (values, gradients, return_indices);
- bad-input errors, and that the work is vectorised.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from harness import Case, op_tests
from helpers import assert_close
from vectorised import python_calls


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's documented output size of a pooling window."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    return out - 1 if ceil_mode and (out - 1) * s >= size + p else out


def _window_reduce(a, kernel, stride, padding, dilation, ceil_mode, reduce, pad_value, overhang_value=None):
    """Reduce each window of ``a`` (N, C, H, W) padded with ``pad_value``; the extra cells that a
    ceil_mode window hangs over the padded input hold ``overhang_value`` (default: ``pad_value``)."""
    k, s, p, d = _pair(kernel), _pair(stride), _pair(padding), _pair(dilation)
    outs = [_out_size(a.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2)]
    extra = [max(0, (outs[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - a.shape[2 + i] - 2 * p[i]) for i in range(2)]
    a = np.pad(a, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])], constant_values=pad_value)
    a = np.pad(a, [(0, 0), (0, 0), (0, extra[0]), (0, extra[1])],
               constant_values=pad_value if overhang_value is None else overhang_value)
    taps = [a[:, :, u * d[0]:u * d[0] + s[0] * (outs[0] - 1) + 1:s[0], v * d[1]:v * d[1] + s[1] * (outs[1] - 1) + 1:s[1]]
            for u in range(k[0]) for v in range(k[1])]
    return reduce(np.stack(taps), axis=0)


def max_pool_reference(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    batched = x.ndim == 4
    x = x if batched else x[None]
    y = _window_reduce(x, kernel, stride or kernel, padding, dilation, ceil_mode, np.max, -np.inf)
    return y if batched else y[0]


def avg_pool_reference(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    """Window sums divided by window counts; a count is the window sum of a mask of ones on the
    input (and on the padding with count_include_pad; never on the ceil_mode overhang)."""
    batched = x.ndim == 4
    x = x if batched else x[None]
    args = (kernel, stride or kernel, padding, 1, ceil_mode, np.sum)
    total = _window_reduce(x, *args, 0.0)
    count = _window_reduce(np.ones((1, 1) + x.shape[2:]), *args, 1.0 if count_include_pad else 0.0, 0.0)
    y = (total / (divisor_override or count)).astype(x.dtype)
    return y if batched else y[0]


def adaptive_reference(x, output_size):
    oh, ow = _pair(output_size)
    h, w = x.shape[-2:]
    oh, ow = oh or h, ow or w
    y = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            y[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return y


def _case(name, fn, ref, shape, *args, **kw):
    return Case(name, lambda x: fn(x, *args, **kw), lambda x: ref(x, *args, **kw), inputs=[(shape,)])


CASES = [
    _case("max", F.max_pool2d, max_pool_reference, (2, 3, 6, 6), 2),
    _case("max_stride_pad", F.max_pool2d, max_pool_reference, (1, 2, 7, 6), 3, 2, 1),
    _case("max_overlap_nonsquare", F.max_pool2d, max_pool_reference, (2, 2, 6, 7), (3, 2), (1, 2)),
    _case("max_dilation", F.max_pool2d, max_pool_reference, (1, 2, 8, 7), 2, 1, 1, 2),
    _case("max_ceil", F.max_pool2d, max_pool_reference, (1, 2, 7, 8), 3, 2, 1, ceil_mode=True),
    _case("max_ceil_no_pad", F.max_pool2d, max_pool_reference, (2, 1, 5, 5), 2, ceil_mode=True),
    _case("max_unbatched", F.max_pool2d, max_pool_reference, (2, 5, 6), 2, 1),
    _case("avg", F.avg_pool2d, avg_pool_reference, (2, 3, 6, 6), 2),
    _case("avg_stride_pad", F.avg_pool2d, avg_pool_reference, (1, 2, 7, 6), 3, 2, 1),
    _case("avg_pad_exclusive", F.avg_pool2d, avg_pool_reference, (1, 2, 7, 6), 3, 2, 1, count_include_pad=False),
    _case("avg_ceil", F.avg_pool2d, avg_pool_reference, (1, 2, 7, 8), 3, 2, 1, ceil_mode=True),
    _case("avg_ceil_exclusive", F.avg_pool2d, avg_pool_reference, (1, 1, 6, 7), (2, 3), 2, (1, 1),
          ceil_mode=True, count_include_pad=False),
    _case("avg_divisor", F.avg_pool2d, avg_pool_reference, (2, 2, 5, 5), 2, 1, divisor_override=3),
    _case("avg_unbatched", F.avg_pool2d, avg_pool_reference, (2, 6, 5), (2, 1), (2, 1)),
    _case("adaptive_divides", F.adaptive_avg_pool2d, adaptive_reference, (2, 3, 6, 8), (3, 2)),
    _case("adaptive_uneven", F.adaptive_avg_pool2d, adaptive_reference, (1, 2, 7, 5), (3, 4)),
    _case("adaptive_mixed_none", F.adaptive_avg_pool2d, adaptive_reference, (2, 2, 5, 6), (None, 4)),
    _case("adaptive_global", F.adaptive_avg_pool2d, adaptive_reference, (2, 3, 4, 5), 1),
    _case("adaptive_upsample", F.adaptive_avg_pool2d, adaptive_reference, (1, 2, 3, 2), (5, 3)),
    _case("adaptive_unbatched", F.adaptive_avg_pool2d, adaptive_reference, (3, 7, 7), 3),
]
test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ---------------------------------------------------------------- against PyTorch

TORCH_CALLS = [
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (1, 2, 10, 9), dict(kernel_size=(2, 3), stride=(3, 1), padding=(1, 0), dilation=(2, 1))),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True)),
    ("avg_pool2d", (1, 2, 6, 6), dict(kernel_size=2, stride=1, divisor_override=5)),
    ("adaptive_avg_pool2d", (2, 3, 11, 7), dict(output_size=(4, 3))),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), dict(output_size=(2, None))),
]


@pytest.mark.parametrize("name,shape,kwargs", TORCH_CALLS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(TORCH_CALLS)])
def test_function_matches_torch(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    x_np = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x, xt = mg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, yt = getattr(F, name)(x, **kwargs), getattr(torch.nn.functional, name)(xt, **kwargs)
    assert_close(y, yt, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * mg.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    assert_close(x.grad, xt.grad, atol=1e-6)


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((3, 7, 7), dict(kernel_size=2, dilation=2)),
])
def test_max_pool_return_indices_matches_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    x_np = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    y, idx = F.max_pool2d(mg.tensor(x_np), return_indices=True, **kwargs)
    yt, idxt = torch.nn.functional.max_pool2d(torch.tensor(x_np), return_indices=True, **kwargs)
    assert idx.dtype == mg.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    assert_close(y, yt)


def test_layers_match_torch():
    torch = pytest.importorskip("torch")
    x_np = np.random.default_rng(3).standard_normal((2, 4, 10, 9)).astype(np.float32)
    pairs = [(nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
             (nn.MaxPool2d(2, ceil_mode=True), torch.nn.MaxPool2d(2, ceil_mode=True)),
             (nn.AvgPool2d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
             (nn.AdaptiveAvgPool2d((3, 4)), torch.nn.AdaptiveAvgPool2d((3, 4)))]
    for ours, theirs in pairs:
        x, xt = mg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        y, yt = ours(x), theirs(xt)
        assert_close(y, yt, atol=1e-6, msg=repr(ours))
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        assert_close(x.grad, xt.grad, atol=1e-5, msg=repr(ours))
        assert list(ours.parameters()) == []


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = mg.tensor(np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 3.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])


def test_max_pool_overlapping_windows_add_up_their_gradients():
    x = mg.tensor(np.array([[[[0.0, 5.0, 0.0], [1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()       # the 5 wins both windows of the top row
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 2, 0], [1, 0, 1], [0, 0, 0]]]])


# ---------------------------------------------------------------- errors and vectorisation

@pytest.mark.parametrize("call,match", [
    (lambda: F.max_pool2d(mg.randn(4, 4), 2), r"max_pool2d: expected a 4-d input.*\(4, 4\)"),
    (lambda: F.max_pool2d(mg.randn(1, 1, 4, 4), 2, padding=2), r"max_pool2d: padding must be between 0 and half"),
    (lambda: F.max_pool2d(mg.randn(1, 1, 2, 2), 3), r"max_pool2d: the window.*\(1, 1, 2, 2\)"),
    (lambda: F.max_pool2d(mg.randn(1, 1, 4, 4), 0), r"max_pool2d: kernel_size, stride and dilation must be positive"),
    (lambda: F.avg_pool2d(mg.randn(1, 1, 4, 4), 3, padding=2), r"avg_pool2d: padding must be between 0 and half"),
    (lambda: F.avg_pool2d(mg.randn(1, 1, 4, 4), (2, 2, 2)), r"avg_pool2d: kernel_size must be an int or a pair"),
    (lambda: F.avg_pool2d(mg.randn(1, 1, 4, 4), 2, divisor_override=0), r"avg_pool2d: divisor_override"),
    (lambda: F.adaptive_avg_pool2d(mg.randn(2, 1, 1, 4, 4), 2), r"adaptive_avg_pool2d: expected a 4-d input"),
    (lambda: F.adaptive_avg_pool2d(mg.randn(1, 1, 4, 4), (0, 2)), r"adaptive_avg_pool2d: output_size must be positive"),
    (lambda: F.adaptive_avg_pool2d(mg.randn(1, 1, 4, 4), (1, 2, 3)), r"adaptive_avg_pool2d: output_size must be an int or a pair"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("pool", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
], ids=["max", "avg", "adaptive"])
def test_no_python_loop_over_pixels_channels_or_batch(pool):
    def run(n, c, h, w):
        x = mg.randn(n, c, h, w, requires_grad=True)
        return python_calls(lambda: pool(x).sum().backward())
    assert run(2, 2, 7, 5) == run(3, 6, 19, 13)     # no size 1: it takes other broadcasting paths
