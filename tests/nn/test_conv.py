"""conv1d / conv2d and the Conv1d / Conv2d layers.

- the functional forms are rows of the shared op table (tests/harness.py): forward against a NumPy
  reference written differently (a sum over kernel offsets, one group at a time), float32 dtypes,
  gradcheck and gradgradcheck, over stride, padding ('same', 'valid', asymmetric), dilation,
  groups, non-square kernels, batch 1 and unbatched inputs;
- the layers against PyTorch with the state_dict copied: outputs and every gradient;
- PyTorch's default initialisation, the bad-input errors, and that the work is vectorised.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from harness import Case, op_tests
from helpers import assert_close, check_against_torch, to_numpy
from vectorised import python_calls


def conv_reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """NumPy convolution, N-d: for each group and each kernel offset, one strided slice times one weight slice."""
    nd = w.ndim - 2
    batched = x.ndim == nd + 2
    x = x if batched else x[None]
    tup = lambda v: (v,) * nd if isinstance(v, int) else tuple(v)
    stride, dilation = tup(stride), tup(dilation)
    if padding == 'same':
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(w.shape[2:], dilation)]
    else:
        pads = [(p, p) for p in (tup(0) if padding == 'valid' else tup(padding))]
    x = np.pad(x, [(0, 0), (0, 0)] + pads)
    outs = [(size - d * (k - 1) - 1) // s + 1 for size, k, s, d in zip(x.shape[2:], w.shape[2:], stride, dilation)]
    o, c_g = w.shape[:2]
    y = np.zeros((x.shape[0], o) + tuple(outs), dtype=x.dtype)
    o_g = o // groups
    for g in range(groups):
        xg, wg = x[:, g * c_g:(g + 1) * c_g], w[g * o_g:(g + 1) * o_g]
        for offset in np.ndindex(*w.shape[2:]):
            sl = tuple(slice(u * d, u * d + s * (n - 1) + 1, s) for u, d, s, n in zip(offset, dilation, stride, outs))
            patch = xg[(slice(None), slice(None)) + sl]
            y[:, g * o_g:(g + 1) * o_g] += np.einsum('nc...,oc->no...', patch, wg[(slice(None), slice(None)) + offset])
    if b is not None:
        y = y + b.reshape((1, o) + (1,) * nd)
    return y if batched else y[0]


def _conv_case(name, fn, shapes, **kw):
    return Case(name, lambda *t: fn(*t, **kw), lambda *a: conv_reference(*a, **kw), inputs=[shapes])


CASES = [
    _conv_case("conv2d", F.conv2d, ((2, 3, 5, 6), (4, 3, 3, 3), (4,))),
    _conv_case("conv2d_stride_pad", F.conv2d, ((2, 2, 7, 6), (3, 2, 3, 2), (3,)), stride=2, padding=1),
    _conv_case("conv2d_nonsquare", F.conv2d, ((1, 2, 6, 8), (3, 2, 2, 3), (3,)),
               stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    _conv_case("conv2d_dilation", F.conv2d, ((1, 2, 7, 7), (2, 2, 3, 3)), dilation=2, padding=2),
    _conv_case("conv2d_groups", F.conv2d, ((2, 4, 5, 5), (6, 2, 3, 3), (6,)), groups=2, padding=1),
    _conv_case("conv2d_depthwise", F.conv2d, ((1, 3, 5, 4), (3, 1, 2, 2)), groups=3),
    _conv_case("conv2d_same_even", F.conv2d, ((1, 2, 5, 6), (2, 2, 2, 4), (2,)), padding='same'),
    _conv_case("conv2d_same_dilated", F.conv2d, ((1, 1, 6, 6), (2, 1, 3, 2)), padding='same', dilation=(1, 2)),
    _conv_case("conv2d_valid", F.conv2d, ((1, 2, 4, 5), (1, 2, 2, 2)), padding='valid'),
    _conv_case("conv2d_unbatched", F.conv2d, ((2, 5, 5), (3, 2, 3, 3), (3,)), stride=(1, 2)),
    _conv_case("conv2d_stride_gaps", F.conv2d, ((1, 1, 8, 7), (2, 1, 2, 2), (2,)), stride=3),   # rows never read
    _conv_case("conv1d", F.conv1d, ((2, 3, 9), (4, 3, 3), (4,)), stride=2, padding=1),
    _conv_case("conv1d_groups_dilation", F.conv1d, ((1, 4, 10), (4, 2, 3)), groups=2, dilation=3, padding=2),
    _conv_case("conv1d_same", F.conv1d, ((2, 2, 7), (3, 2, 4), (3,)), padding='same'),
    _conv_case("conv1d_unbatched", F.conv1d, ((3, 8), (2, 3, 2)), stride=3),
]
test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ---------------------------------------------------------------- the layers against PyTorch

LAYERS = [
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0),
                    dilation=(1, 2), groups=2), (3, 4, 9, 8)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=4, padding='same', bias=False), (1, 2, 6, 5)),
    ("Conv2d", dict(in_channels=3, out_channels=6, kernel_size=3, groups=3, padding=1), (3, 6, 6)),
    ("Conv1d", dict(in_channels=3, out_channels=5, kernel_size=3, stride=2, padding=1), (4, 3, 11)),
    ("Conv1d", dict(in_channels=4, out_channels=4, kernel_size=2, dilation=2, groups=4, padding='same'), (2, 4, 7)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 9)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")      # PyTorch's note about its own copy
@pytest.mark.parametrize("name,kwargs,shape", LAYERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LAYERS)])
def test_layer_matches_torch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    check_against_torch(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), [x], atol=1e-5)


def test_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs, _ in LAYERS:
        ours = {k: tuple(v.shape) for k, v in getattr(nn, name)(**kwargs).state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in getattr(torch.nn, name)(**kwargs).state_dict().items()}
        assert ours == theirs


def test_conv_gradient_penalty_matches_torch():
    """Double backward through a real use: the gradient of ‖∂y/∂x‖² with respect to the weight."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x_np, w_np = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
    (gx,) = mg.autograd.grad(F.conv2d(x, w, stride=2, padding=1).tanh().sum(), [x], create_graph=True)
    (gx * gx).sum().backward()
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    (gxt,) = torch.autograd.grad(torch.nn.functional.conv2d(xt, wt, stride=2, padding=1).tanh().sum(), [xt],
                                 create_graph=True)
    (gxt * gxt).sum().backward()
    assert_close(w.grad, wt.grad, atol=1e-10)
    assert_close(x.grad, xt.grad, atol=1e-10)


# ---------------------------------------------------------------- initialisation and module details

def test_default_init_follows_torch_bounds():
    mg.manual_seed(0)
    layer = nn.Conv2d(8, 16, 3)
    fan_in = 8 * 3 * 3
    bound = 1 / math.sqrt(fan_in)            # kaiming_uniform_(a=√5) works out to this bound
    w, b = to_numpy(layer.weight), to_numpy(layer.bias)
    assert layer.weight.dtype == mg.float32 and layer.bias.dtype == mg.float32
    assert w.shape == (16, 8, 3, 3) and b.shape == (16,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound        # the std of U(−a, a) is a/√3
    assert np.abs(b).max() <= bound
    grouped = nn.Conv1d(6, 4, 5, groups=2, bias=False)
    assert grouped.bias is None and tuple(grouped.weight.shape) == (4, 3, 5)
    assert np.abs(to_numpy(grouped.weight)).max() <= 1 / math.sqrt(3 * 5)


def test_seeded_init_repeats():
    mg.manual_seed(7)
    a = to_numpy(nn.Conv2d(2, 3, 3).weight)
    mg.manual_seed(7)
    b = to_numpy(nn.Conv2d(2, 3, 3).weight)
    np.testing.assert_array_equal(a, b)


def test_repr_names_the_arguments():
    text = repr(nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, groups=1, bias=False))
    assert text.startswith("Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1)")
    assert "bias=False" in text


def test_float32_layer_stays_float32():
    layer = nn.Conv2d(2, 3, 3, padding=1)
    x = mg.randn(2, 2, 5, 5, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == mg.float32 and x.grad.dtype == mg.float32 and layer.weight.grad.dtype == mg.float32


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("call,match", [
    (lambda: F.conv2d(mg.randn(2, 4, 8, 8), mg.randn(5, 3, 3, 3)), r"conv2d: expected input with 3 channels.*\(2, 4, 8, 8\)"),
    (lambda: F.conv2d(mg.randn(8, 8), mg.randn(5, 3, 3, 3)), r"conv2d: expected a 4-d input.*\(8, 8\)"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3)), r"conv2d: expected a 4-d weight.*\(5, 3, 3\)"),
    (lambda: F.conv2d(mg.randn(1, 3, 2, 2), mg.randn(5, 3, 3, 3)), r"conv2d: the kernel \(3, 3\).*\(1, 3, 2, 2\)"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), mg.randn(4)), r"conv2d: expected bias of shape \(5,\)"),
    (lambda: F.conv2d(mg.randn(1, 4, 8, 8), mg.randn(5, 2, 3, 3), groups=2), r"out_channels=5.*groups=2"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), padding='full'), r"conv2d: padding must be"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), stride=2, padding='same'), r"'same'.*strided"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), stride=0), r"conv2d: stride and dilation must be positive"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), padding=(1, 1, 1)), r"conv2d: padding must be an int or a tuple of 2"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3, dtype=mg.float64)), r"conv2d: input \(float32\) and weight \(float64\)"),
    (lambda: F.conv2d(mg.randn(1, 3, 8, 8), mg.randn(5, 3, 3, 3), mg.randn(5, dtype=mg.float64)),
     r"conv2d: bias \(float64\) and weight \(float32\)"),
    (lambda: F.conv1d(mg.randn(2, 3, 8), mg.randn(4, 2, 3)), r"conv1d: expected input with 2 channels.*\(2, 3, 8\)"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode='reflect'), r"padding_mode='zeros'"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"divisible by groups=2"),
    (lambda: nn.Conv1d(3, 4, 3, stride=2, padding='same'), r"'same'.*strided"),
])
def test_bad_input_raises(call, match):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=match):
        call()


# ---------------------------------------------------------------- vectorised

def test_no_python_loop_over_pixels_channels_or_batch():
    """The Python work of a forward+backward is the same for a small and a larger input: the loops
    that remain (over kernel offsets in col2im) do not grow with the batch, the channels or the image.
    (No size is 1 in either run: broadcasting over a size-1 axis takes a different path.)"""
    def run(n, c, hw, groups):
        x = mg.randn(n, c, hw, hw + 1, requires_grad=True)
        w = mg.randn(2 * groups, c // groups, 3, 2, requires_grad=True)
        b = mg.randn(2 * groups, requires_grad=True)
        return python_calls(lambda: F.conv2d(x, w, b, stride=2, padding=1, groups=groups).sum().backward())
    assert run(2, 2, 5, 2) == run(4, 8, 17, 2)
    assert run(2, 3, 4, 1) == run(3, 5, 12, 1)
