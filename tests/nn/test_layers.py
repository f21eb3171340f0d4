"""Linear, Bilinear, Embedding, activations, Dropout, Flatten/Unflatten, LayerNorm, BatchNorm, pad, erf.

- the functional forms are rows of the shared op table (tests/harness.py): float64 forward against a
  NumPy closed form, float32 dtypes, gradcheck and gradgradcheck (the fused ops' backwards are
  themselves differentiable);
- every layer against PyTorch with the state_dict copied: outputs, input gradients and every
  parameter gradient; float64 gradcheck of every layer w.r.t. its input and its parameters;
- PyTorch's default initialisations, train/eval behaviour, the seeded dropout mask;
- the errors for bad input, naming the op and the offending shapes or values.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.activation import erf_array
from harness import C, Case, op_tests
from helpers import assert_close, check_against_torch, to_numpy


# ----- NumPy references -----
_erf = np.vectorize(math.erf)


def gelu_ref(x):
    return x * (0.5 * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype)


def gelu_tanh_ref(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def norm_ref(x, axes, w=None, b=None, eps=1e-5, view=None):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if w is not None:
        y = y * (w if view is None else w.reshape(view))
    if b is not None:
        y = y + (b if view is None else b.reshape(view))
    return y


def softplus_ref(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(beta * x)) / beta)


RUNNING_MEAN = np.array([0.5, -1.0, 0.25])
RUNNING_VAR = np.array([2.0, 0.5, 1.5])
IDX = np.array([[1, 4, 1], [0, 3, 4]])
PAD_MODES = ['constant', 'reflect', 'replicate', 'circular']

CASES = [
    Case("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         inputs=[((2, 4), (3, 4), (3,)), ((2, 5, 4), (3, 4), (3,)), ((4,), (3, 4), (3,))]),
    Case("linear_nobias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T, inputs=[((3, 4), (2, 4))]),
    Case("bilinear", F.bilinear, lambda a, b, w, c: np.einsum('...i,oij,...j->...o', a, w, b) + c,
         inputs=[((3, 2), (3, 4), (5, 2, 4), (5,)), ((2, 3, 2), (2, 3, 4), (1, 2, 4), (1,))]),
    Case("gelu", F.gelu, gelu_ref, inputs=[((3, 5),), (np.linspace(-6, 6, 13),), ((),), (np.array(4.0),)],
         rtol=1e-12),
    Case("gelu_tanh", lambda x: F.gelu(x, approximate='tanh'), gelu_tanh_ref, inputs=[((3, 5),), ((),)]),
    Case("silu", F.silu, lambda x: x / (1 + np.exp(-x)), inputs=[((4, 3),)]),
    Case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), inputs=[((4, 3),)]),
    Case("softplus", F.softplus, softplus_ref, inputs=[((4, 3),)]),
    Case("softplus_beta", lambda x: F.softplus(x, beta=3.0, threshold=2.0),
         lambda x: softplus_ref(x, 3.0, 2.0), inputs=[((4, 3),)]),
    Case("softmax", lambda x: F.softmax(x, dim=1),
         lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), inputs=[((2, 4, 3),)]),
    Case("log_softmax", lambda x: F.log_softmax(x, dim=-1),
         lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)), inputs=[((2, 4),)]),
    Case("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
         lambda x, w, b: norm_ref(x, (-1,), w, b), inputs=[((3, 4), (4,), (4,)), ((2, 3, 4), (4,), (4,))]),
    Case("layer_norm_2d", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
         lambda x, w, b: norm_ref(x, (-2, -1), w, b, eps=1e-3), inputs=[((2, 3, 4), (3, 4), (3, 4))]),
    Case("layer_norm_plain", lambda x: F.layer_norm(x, 5), lambda x: norm_ref(x, (-1,)), inputs=[((3, 5),)]),
    Case("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: norm_ref(x, (0,) + tuple(range(2, x.ndim)), w, b, view=(3,) + (1,) * (x.ndim - 2)),
         inputs=[((4, 3), (3,), (3,)), ((2, 3, 5), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))]),
    Case("batch_norm_eval", lambda x, w, b: F.batch_norm(x, mg.tensor(RUNNING_MEAN, dtype=x.dtype),
                                                         mg.tensor(RUNNING_VAR, dtype=x.dtype), w, b),
         lambda x, w, b: ((x - RUNNING_MEAN.reshape(3, 1)) / np.sqrt(RUNNING_VAR.reshape(3, 1) + 1e-5)
                          * w.reshape(3, 1) + b.reshape(3, 1)).astype(x.dtype),
         inputs=[((2, 3, 4), (3,), (3,))]),
    Case("embedding", lambda w, i: F.embedding(i, w), lambda w, i: w[i], inputs=[((5, 3), C(IDX))]),
    Case("dropout_eval", lambda x: F.dropout(x, 0.5, training=False), lambda x: x, inputs=[((3, 4),)]),
    Case("flatten", lambda x: nn.Flatten()(x), lambda x: x.reshape(x.shape[0], -1), inputs=[((2, 3, 4),)]),
    Case("unflatten", lambda x: nn.Unflatten(1, (2, -1))(x), lambda x: x.reshape(2, 2, 3, 2),
         inputs=[((2, 6, 2),)]),
] + [
    Case(f"pad_{mode}", lambda x, m=mode: F.pad(x, (2, 1, 1, 2), mode=m),
         lambda x, m=mode: np.pad(x, [(0, 0)] * (x.ndim - 2) + [(1, 2), (2, 1)],
                                  mode={'replicate': 'edge', 'circular': 'wrap'}.get(m, m)),
         inputs=[((2, 4, 3),)]) for mode in PAD_MODES
] + [
    Case("pad_value_and_crop", lambda x: F.pad(x, (-1, 2), value=1.5),
         lambda x: np.concatenate([x[:, 1:], np.full((x.shape[0], 2), 1.5, x.dtype)], 1), inputs=[((3, 4),)]),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ----- erf -----
def test_erf_matches_math_erf_to_float64_precision():
    x = np.concatenate([np.linspace(-8, 8, 40001), np.geomspace(1e-300, 1, 200), -np.geomspace(1e-300, 1, 200)])
    np.testing.assert_allclose(erf_array(x), _erf(x), rtol=0, atol=5e-16)
    tiny = np.geomspace(1e-300, 1e-3, 50)
    np.testing.assert_allclose(erf_array(tiny), _erf(tiny), rtol=5e-16, atol=0)     # relative, near 0


def test_erf_special_values_and_dtype():
    assert erf_array(np.array(3.0)).shape == () and erf_array(np.array(3.0)) == math.erf(3.0)
    out = erf_array(np.array([0.0, -0.0, np.inf, -np.inf, 1e300, -1e300, np.nan]))
    np.testing.assert_array_equal(out[:6], [0, 0, 1, -1, 1, -1])
    assert np.isnan(out[6]) and np.signbit(out[1])
    x32 = np.linspace(-5, 5, 101, dtype=np.float32)
    assert erf_array(x32).dtype == np.float32
    np.testing.assert_allclose(erf_array(x32), _erf(x32.astype(np.float64)), atol=3e-7)


# ----- layers against PyTorch -----
def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _randomize(module):
    """Give every parameter and float buffer of a PyTorch module random values (not the defaults)."""
    import torch
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return module


LAYERS = [
    ("Linear", (4, 3), {}, [(2, 4)]),
    ("Linear", (4, 3), dict(bias=False), [(2, 5, 4)]),
    ("Bilinear", (4, 5, 3), {}, [(2, 4), (2, 5)]),
    ("LayerNorm", ((3, 4),), {}, [(2, 3, 4)]),
    ("LayerNorm", (6,), dict(bias=False, eps=1e-3), [(5, 6)]),
    ("LayerNorm", (6,), dict(elementwise_affine=False), [(5, 6)]),
    ("BatchNorm1d", (3,), {}, [(5, 3)]),
    ("BatchNorm1d", (3,), dict(affine=False), [(4, 3, 6)]),
    ("BatchNorm2d", (3,), {}, [(4, 3, 5, 5)]),
    ("BatchNorm2d", (3,), dict(track_running_stats=False), [(2, 3, 4, 4)]),
    ("ReLU", (), {}, [(3, 4)]),
    ("GELU", (), {}, [(3, 4)]),
    ("GELU", (), dict(approximate='tanh'), [(3, 4)]),
    ("Sigmoid", (), {}, [(3, 4)]),
    ("Tanh", (), {}, [(3, 4)]),
    ("SiLU", (), {}, [(3, 4)]),
    ("LeakyReLU", (0.1,), {}, [(3, 4)]),
    ("Softplus", (), dict(beta=2.0, threshold=1.0), [(3, 4)]),
    ("Softmax", (), dict(dim=1), [(3, 4)]),
    ("LogSoftmax", (), dict(dim=0), [(3, 4)]),
    ("Flatten", (), {}, [(2, 3, 2, 2)]),
    ("Unflatten", (1, (2, 3)), {}, [(4, 6)]),
    ("Identity", (), {}, [(2, 2)]),
]


@pytest.mark.parametrize("name,args,kwargs,shapes", LAYERS, ids=[f"{n}-{i}" for i, (n, *_) in enumerate(LAYERS)])
def test_layer_matches_torch(name, args, kwargs, shapes):
    torch = pytest.importorskip("torch")
    ref = _randomize(getattr(torch.nn, name)(*args, **kwargs))
    layer = getattr(nn, name)(*args, **kwargs)
    check_against_torch(layer, ref, [_rand(*s, seed=k) for k, s in enumerate(shapes)])


@pytest.mark.parametrize("cls", ["BatchNorm1d", "BatchNorm2d"])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_statistics_match_torch(cls, momentum):
    torch = pytest.importorskip("torch")
    shape = (6, 3) if cls == "BatchNorm1d" else (4, 3, 3, 2)
    ref = _randomize(getattr(torch.nn, cls)(3, momentum=momentum))
    layer = getattr(nn, cls)(3, momentum=momentum)
    for step in range(3):
        check_against_torch(layer, ref, [_rand(*shape, seed=step) * 2 + 1], copy=step == 0)
        layer.zero_grad()
        ref.zero_grad()
    assert_close(layer.running_mean, ref.running_mean, atol=1e-6)
    assert_close(layer.running_var, ref.running_var, atol=1e-6)       # unbiased batch variance, as PyTorch
    assert int(layer.num_batches_tracked.item()) == 3
    layer.eval()
    ref.eval()
    check_against_torch(layer, ref, [_rand(*shape, seed=9)], copy=False)


def test_embedding_matches_torch_with_padding_and_repeats():
    torch = pytest.importorskip("torch")
    ref = torch.nn.Embedding(10, 4, padding_idx=2)
    layer = nn.Embedding(10, 4, padding_idx=2)
    idx = np.array([[2, 1, 1, 7], [9, 2, 0, 1]])
    check_against_torch(layer, ref, [idx])
    np.testing.assert_array_equal(to_numpy(layer.weight.grad)[2], 0)       # padding row: no gradient
    assert to_numpy(layer.weight.grad)[1].any()                             # repeated row: summed
    assert_close(layer.weight.grad, ref.weight.grad, atol=1e-6)


def test_embedding_negative_padding_idx_and_from_pretrained():
    e = nn.Embedding(5, 2, padding_idx=-1)
    assert e.padding_idx == 4
    np.testing.assert_array_equal(to_numpy(e.weight)[4], 0)
    table = mg.randn(4, 3)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.data is table.data
    assert_close(frozen(mg.tensor([3, 0])), to_numpy(table)[[3, 0]], atol=0)
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def _layer_gradcheck(layer, *shapes):
    """float64 gradcheck of ``layer`` w.r.t. its inputs and all its parameters."""
    layer.double()
    rng = np.random.default_rng(3)
    inputs = [mg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    params = list(layer.parameters())
    n = len(inputs)
    assert gradcheck(lambda *ts: layer(*ts[:n]), inputs + params)


@pytest.mark.parametrize("make,shapes", [
    (lambda: nn.Linear(3, 2), [(4, 3)]),
    (lambda: nn.Bilinear(2, 3, 2), [(2, 2), (2, 3)]),
    (lambda: nn.LayerNorm((2, 3)), [(2, 2, 3)]),
    (lambda: nn.BatchNorm1d(3), [(4, 3)]),
    (lambda: nn.BatchNorm2d(2), [(3, 2, 2, 2)]),
    (lambda: nn.GELU(), [(3, 3)]),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.LayerNorm(4), nn.Linear(4, 2)), [(2, 3)]),
], ids=['Linear', 'Bilinear', 'LayerNorm', 'BatchNorm1d', 'BatchNorm2d', 'GELU', 'Sequential'])
def test_layer_gradcheck_inputs_and_parameters(make, shapes):
    _layer_gradcheck(make(), *shapes)


def test_batchnorm_eval_gradcheck():
    bn = nn.BatchNorm2d(2)
    bn(mg.randn(4, 2, 3, 3) * 3 + 1)        # move the running statistics off their defaults
    bn.eval()
    _layer_gradcheck(bn, (2, 2, 2, 2))


def test_embedding_gradcheck_and_gradgradcheck():
    idx = mg.tensor([[0, 2, 2], [1, 0, 3]])
    w = mg.randn(4, 3, dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda w: F.embedding(idx, w) ** 2, [w])       # rows 0 and 2 are picked twice
    # with a padding row the first derivative is masked; its own derivative must agree with that
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=3) ** 2, [w])


def test_norm_ops_are_one_graph_node():
    x = mg.randn(2, 3, 4, requires_grad=True)
    ln = nn.LayerNorm(4)
    y = ln(x)
    assert type(y.grad_fn).__name__ == 'Normalize'
    inputs = [edge[1] for edge in y.grad_fn.next_edges if edge is not None]
    assert inputs[0] is x and inputs[1] is ln.weight and inputs[2] is ln.bias
    assert type(nn.BatchNorm1d(3)(x).grad_fn).__name__ == 'Normalize'


def test_layer_norm_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x_np, w_np = _rand(3, 5).astype(np.float64), _rand(5, seed=1).astype(np.float64)
    x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    y = F.layer_norm(x, 5, w) ** 3
    yt = torch.nn.functional.layer_norm(xt, (5,), wt) ** 3
    gx, = mg.autograd.grad(y.sum(), [x], create_graph=True)
    gxt, = torch.autograd.grad(yt.sum(), [xt], create_graph=True)
    (gx * gx).sum().backward()
    (gxt * gxt).sum().backward()
    assert_close(x.grad, xt.grad, atol=1e-9)
    assert_close(w.grad, wt.grad, atol=1e-9)


# ----- default initialisation -----
def test_linear_default_init_as_torch():
    lin = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)
    w, b = to_numpy(lin.weight), to_numpy(lin.bias)
    assert lin.weight.shape == (400, 50) and lin.bias.shape == (400,)
    assert lin.weight.dtype == mg.float32 and lin.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound


def test_other_default_inits_as_torch():
    bil = nn.Bilinear(25, 3, 200)
    assert np.abs(to_numpy(bil.weight)).max() <= 0.2 and np.abs(to_numpy(bil.weight)).max() > 0.19
    emb = to_numpy(nn.Embedding(300, 100).weight)
    assert abs(emb.mean()) < 0.02 and abs(emb.std() - 1) < 0.02
    ln = nn.LayerNorm(3)
    np.testing.assert_array_equal(to_numpy(ln.weight), 1)
    np.testing.assert_array_equal(to_numpy(ln.bias), 0)
    bn = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(to_numpy(bn.running_var), 1)
    np.testing.assert_array_equal(to_numpy(bn.running_mean), 0)
    assert bn.num_batches_tracked.dtype == mg.int64 and int(bn.num_batches_tracked.item()) == 0
    assert nn.Linear(2, 2, dtype=mg.float64).weight.dtype == mg.float64


def test_init_is_seeded():
    mg.manual_seed(7)
    a = to_numpy(nn.Linear(3, 3).weight)
    mg.manual_seed(7)
    np.testing.assert_array_equal(to_numpy(nn.Linear(3, 3).weight), a)


# ----- dropout -----
def test_dropout_train_and_eval():
    drop = nn.Dropout(0.3)
    x = mg.ones(200, 100, requires_grad=True)
    y = drop(x)
    out = to_numpy(y)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert y.dtype == mg.float32
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), out)          # the gradient goes through the same mask
    drop.eval()
    assert drop(x) is x


def test_dropout_gradcheck_with_a_fixed_mask():
    def dropped(x):
        mg.manual_seed(5)                  # the same mask on every call of the finite differences
        return F.dropout(x, 0.4) * x
    x = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
    assert gradcheck(dropped, [x]) and gradgradcheck(dropped, [x])


def test_dropout_follows_manual_seed():
    x = mg.ones(4, 5)
    mg.manual_seed(3)
    a = to_numpy(F.dropout(x, 0.5))
    b = to_numpy(F.dropout(x, 0.5))
    mg.manual_seed(3)
    np.testing.assert_array_equal(to_numpy(F.dropout(x, 0.5)), a)
    assert not np.array_equal(a, b)


def test_dropout_edge_probabilities_and_errors():
    x = mg.randn(3, 3)
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(to_numpy(F.dropout(x, 1.0)), 0)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)


# ----- flatten -----
def test_flatten_and_unflatten_shapes():
    x = mg.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(-1, (5, 1))(x).shape == (2, 3, 4, 5, 1)
    with pytest.raises(ValueError, match=r"Unflatten: can't split dim 1 of size 3 .* into \(2, 2\)"):
        nn.Unflatten(1, (2, 2))(x)
    with pytest.raises(IndexError, match="Unflatten: dim 4"):
        nn.Unflatten(4, (1,))(x)


# ----- errors -----
def test_linear_shape_error():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\) does not fit weight of shape \(5, 4\).*"
                                         r"in_features=4"):
        nn.Linear(4, 5)(mg.zeros(2, 3))
    with pytest.raises(TypeError, match="linear: input must be a minigrad Tensor, got ndarray"):
        nn.Linear(4, 5)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(-1, 2)


def test_bilinear_shape_error():
    with pytest.raises(ValueError, match=r"bilinear: inputs of shapes \(2, 3\) and \(2, 5\).*\(\*, 4\)"):
        nn.Bilinear(4, 5, 2)(mg.zeros(2, 3), mg.zeros(2, 5))


def test_embedding_errors():
    emb = nn.Embedding(10, 3)
    with pytest.raises(TypeError, match="embedding: expected an integer .* got float32"):
        emb(mg.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"embedding: index 10 is out of range for a table of 10 rows"):
        emb(mg.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1"):
        emb(mg.tensor([-1, 2]))
    with pytest.raises(ValueError, match="padding_idx 12 must be within num_embeddings=10"):
        nn.Embedding(10, 3, padding_idx=12)


def test_norm_errors():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape=\[4\] expects an input of shape "
                                         r"\(\*, 4\), got \(2, 3\)"):
        nn.LayerNorm(4)(mg.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input of shape \(2, 3, 4\)\)"):
        nn.BatchNorm2d(3)(mg.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 3 channels in dim 1, got input of shape \(4, 5\)"):
        nn.BatchNorm1d(3)(mg.zeros(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(mg.zeros(1, 3))
    with pytest.raises(TypeError, match="layer_norm: input must be a floating-point tensor, got int64"):
        nn.LayerNorm(2)(mg.tensor([[1, 2]]))


def test_activation_errors():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU('fast')
    with pytest.raises(TypeError, match="softmax: dim must be given"):
        nn.Softmax()(mg.zeros(2, 2))
    with pytest.raises(TypeError, match="gelu: input must be a floating-point tensor"):
        F.gelu(mg.tensor([1, 2]))


def test_pad_errors_and_modes():
    x = mg.zeros(2, 3)
    with pytest.raises(ValueError, match="even number of pads"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="reflect padding of \\(3, 0\\) needs at most 2"):
        F.pad(x, (3, 0), mode='reflect')
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(x, (1, 1), mode='mirror')
    assert F.pad(x, (0, 0)) is x


def test_pad_matches_torch_gradients():
    torch = pytest.importorskip("torch")
    x_np = _rand(1, 2, 4, 5)
    for mode in ('reflect', 'replicate', 'circular', 'constant'):
        x, xt = mg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        y, yt = F.pad(x, (1, 2, 2, 1), mode=mode), torch.nn.functional.pad(xt, (1, 2, 2, 1), mode=mode)
        assert_close(y, yt, atol=0)
        g = _rand(*yt.shape, seed=1)
        (y * mg.tensor(g)).sum().backward()
        (yt * torch.tensor(g)).sum().backward()
        assert_close(x.grad, xt.grad, atol=1e-6)


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3], [2, 2]])
    out = F.one_hot(mg.tensor(idx))
    assert out.dtype == mg.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(to_numpy(out), torch.nn.functional.one_hot(torch.tensor(idx)).numpy())
    np.testing.assert_array_equal(to_numpy(F.one_hot(mg.tensor([1]), num_classes=3)), [[0, 1, 0]])
    with pytest.raises(ValueError, match="class value 3 is out of range for num_classes=3"):
        F.one_hot(mg.tensor([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="class value -1"):
        F.one_hot(mg.tensor([-1, 2]))
    with pytest.raises(TypeError, match="one_hot: expected an integer"):
        F.one_hot(mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="empty tensor"):
        F.one_hot(mg.zeros(0, dtype=mg.int64))
