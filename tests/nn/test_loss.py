"""The losses: MSE, L1, cross-entropy, NLL, BCE, BCE with logits, KL divergence.

- the functional forms are rows of the shared op table (tests/harness.py): float64 forward against a
  NumPy closed form, float32 dtypes, gradcheck and gradgradcheck;
- every loss against PyTorch over its options (weights, ignore_index, label smoothing, probability
  targets, spatial inputs, reductions), values and gradients;
- cross-entropy: one fused node whose gradient is softmax - onehot, finite at logits of ±1e4;
- the errors: target out of range (naming the value and C), wrong target dtype, shape mismatches.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from harness import C, Case, op_tests
from helpers import assert_close, to_numpy


# ----- NumPy references -----
def log_softmax_ref(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def cross_entropy_ref(x, y, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
    """Straight from the definition: a loop-free NumPy version with one-hot targets."""
    dim = 0 if x.ndim == 1 else 1
    c = x.shape[dim]
    logp = np.moveaxis(log_softmax_ref(x, dim), dim, -1)
    w = np.ones(c) if weight is None else weight
    if np.asarray(y).dtype.kind == 'f':          # probabilities
        q = np.moveaxis(y, dim, -1) * (1 - label_smoothing) + label_smoothing / c
        per = -(logp * q * w).sum(-1)
        denom = per.size
    else:
        valid = y != ignore_index
        onehot = np.eye(c)[np.where(valid, y, 0)]
        target = ((1 - label_smoothing) * onehot + label_smoothing / c) * valid[..., None]
        per = -(logp * target * w).sum(-1)
        denom = (w[np.where(valid, y, 0)] * valid).sum()
    out = per if reduction == 'none' else per.sum() / (denom if reduction == 'mean' else 1)
    return np.asarray(out, dtype=x.dtype)


def nll_ref(x, y, weight=None, ignore_index=-100, reduction='mean'):
    dim = 0 if x.ndim == 1 else 1
    return cross_entropy_ref(x - np.log(np.exp(x).sum(dim, keepdims=True)), y, weight, ignore_index, reduction)


def bce_ref(p, y, weight=None):
    out = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return (out * (1 if weight is None else weight)).mean()


def bce_logits_ref(x, y, pos_weight=None):
    pw = 1 if pos_weight is None else pos_weight
    sig = 1 / (1 + np.exp(-x))
    return (-(pw * y * np.log(sig) + (1 - y) * np.log(1 - sig))).mean()


Y = np.array([2, 0, 3, 1])
Y_IGNORE = np.array([2, -100, 3, 1, 0])
Y_SPATIAL = np.array([[0, 2, 1], [1, 1, -1]])
W4 = np.array([0.5, 2.0, 1.0, 1.5])
PROBS = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
PROBS_SPATIAL = np.moveaxis(np.random.default_rng(1).dirichlet(np.ones(3), size=(2, 5)), -1, 1)


def _w(dtype):
    return mg.tensor(W4.astype(dtype))


CASES = [
    Case("mse", lambda a, b: F.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(), inputs=[((3, 4), (3, 4))]),
    Case("mse_sum", lambda a, b: F.mse_loss(a, b, reduction='sum'), lambda a, b: ((a - b) ** 2).sum(),
         inputs=[((5,), (5,))]),
    Case("l1_none", lambda a, b: F.l1_loss(a, b, reduction='none'), lambda a, b: np.abs(a - b),
         inputs=[((3, 4), (3, 4))]),
    Case("cross_entropy", lambda x, y: F.cross_entropy(x, y), cross_entropy_ref,
         inputs=[((4, 4), C(Y)), ((4,), C(np.array(1)))]),
    Case("cross_entropy_options",
         lambda x, y: F.cross_entropy(x, y, weight=_w(x.dtype), ignore_index=-100, label_smoothing=0.2),
         lambda x, y: cross_entropy_ref(x, y, W4, -100, 'mean', 0.2), inputs=[((5, 4), C(Y_IGNORE))]),
    Case("cross_entropy_none", lambda x, y: F.cross_entropy(x, y, reduction='none', ignore_index=-1),
         lambda x, y: cross_entropy_ref(x, y, None, -1, 'none'), inputs=[((2, 3, 3), C(Y_SPATIAL))]),
    Case("cross_entropy_sum_smooth", lambda x, y: F.cross_entropy(x, y, reduction='sum', label_smoothing=0.1),
         lambda x, y: cross_entropy_ref(x, y, None, -100, 'sum', 0.1), inputs=[((4, 4), C(Y))]),
    Case("cross_entropy_probs", lambda x, p: F.cross_entropy(x, p, weight=_w(x.dtype), label_smoothing=0.1),
         lambda x, p: cross_entropy_ref(x, p, W4, label_smoothing=0.1), inputs=[((3, 4), PROBS)]),
    Case("cross_entropy_probs_spatial", lambda x, p: F.cross_entropy(x, p, reduction='none'),
         lambda x, p: cross_entropy_ref(x, p, reduction='none'), inputs=[((2, 3, 5), PROBS_SPATIAL)]),
    Case("nll", lambda x, y: F.nll_loss(F.log_softmax(x, 1), y, weight=_w(x.dtype), ignore_index=0),
         lambda x, y: nll_ref(x, y, W4, 0), inputs=[((4, 4), C(Y))]),
    Case("bce", lambda p, y: F.binary_cross_entropy(p, y), bce_ref, domain=("pos", "pos"),
         inputs=[(np.array([0.1, 0.5, 0.9, 0.3]), np.array([0.0, 1.0, 1.0, 0.25]))]),
    Case("bce_weight", lambda p, y, w: F.binary_cross_entropy(p, y, weight=w), bce_ref,
         inputs=[(np.array([[0.2, 0.7], [0.6, 0.4]]), np.array([[1.0, 0.0], [0.5, 1.0]]), (2,))]),
    Case("bce_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y), bce_logits_ref,
         inputs=[((3, 4), np.array([[0.0, 1.0, 1.0, 0.5]] * 3))]),
    Case("bce_logits_pos_weight", lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
         bce_logits_ref, inputs=[((3, 2), np.array([[0.0, 1.0], [1.0, 0.3], [1.0, 1.0]]), (2,))],
         domain=("real", "real", "pos")),
    Case("kl_div", lambda q, p: F.kl_div(q, p, reduction='batchmean'),
         lambda q, p: (p * (np.log(p) - q)).sum() / q.shape[0], inputs=[((3, 4), PROBS)]),
    Case("kl_div_log_target", lambda q, p: F.kl_div(q, p, reduction='sum', log_target=True),
         lambda q, p: (np.exp(p) * (p - q)).sum(), inputs=[((3, 4), (3, 4))]),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ----- against PyTorch -----
def _both(x_np, requires_grad=True):
    torch = pytest.importorskip("torch")
    return mg.tensor(x_np, requires_grad=requires_grad), torch.tensor(x_np, requires_grad=requires_grad)


def _compare_loss(name, x_np, target_np, ours_kwargs, torch_kwargs=None, atol=1e-12):
    """Run F.<name> and torch's twin in float64 on the same data; compare loss and input gradient."""
    torch = pytest.importorskip("torch")
    x, xt = _both(x_np)
    target, target_t = mg.tensor(target_np), torch.tensor(target_np)
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in (torch_kwargs or ours_kwargs).items()}
    mk = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in ours_kwargs.items()}
    out = getattr(F, name)(x, target, **mk)
    out_t = getattr(torch.nn.functional, name)(xt, target_t, **tk)
    assert_close(out, out_t, atol=atol)
    g = np.random.default_rng(5).standard_normal(tuple(out_t.shape))
    (out * mg.tensor(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    assert_close(x.grad, xt.grad, atol=atol)


RNG = np.random.default_rng(11)
X = RNG.standard_normal((6, 5))
Y6 = np.array([4, 0, -100, 2, 2, 1])
WEIGHT5 = np.abs(RNG.standard_normal(5)) + 0.1
X_SPATIAL = RNG.standard_normal((2, 5, 3, 2))
Y_SPATIAL6 = RNG.integers(0, 5, (2, 3, 2))


def _ignored(kwargs):
    """Y6 with its ignored entry set to the ignore_index in use."""
    return np.where(Y6 == -100, kwargs.get('ignore_index', -100), Y6)


@pytest.mark.parametrize("kwargs", [
    {}, dict(reduction='sum'), dict(reduction='none'), dict(weight=WEIGHT5), dict(label_smoothing=0.3),
    dict(weight=WEIGHT5, label_smoothing=0.15, reduction='none'), dict(weight=WEIGHT5, label_smoothing=0.15),
    dict(ignore_index=2, weight=WEIGHT5),
])
def test_cross_entropy_matches_torch(kwargs):
    _compare_loss('cross_entropy', X, _ignored(kwargs), kwargs)
    _compare_loss('cross_entropy', X_SPATIAL, Y_SPATIAL6, kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(weight=WEIGHT5, label_smoothing=0.2), dict(reduction='none')])
def test_cross_entropy_probabilities_match_torch(kwargs):
    probs = np.random.default_rng(2).dirichlet(np.ones(5), size=6)
    _compare_loss('cross_entropy', X, probs, kwargs)
    spatial = np.moveaxis(np.random.default_rng(3).dirichlet(np.ones(5), size=(2, 3, 2)), -1, 1)
    _compare_loss('cross_entropy', X_SPATIAL, spatial, kwargs)


def test_cross_entropy_gradient_flows_to_probability_targets():
    torch = pytest.importorskip("torch")
    probs = np.random.default_rng(2).dirichlet(np.ones(5), size=6)
    p, pt = _both(probs)
    x, xt = _both(X)
    F.cross_entropy(x, p, label_smoothing=0.1).backward()
    torch.nn.functional.cross_entropy(xt, pt, label_smoothing=0.1).backward()
    assert_close(p.grad, pt.grad, atol=1e-12)
    assert gradgradcheck(lambda a, b: F.cross_entropy(a, b, reduction='none'),
                         [mg.tensor(X[:2], requires_grad=True), mg.tensor(probs[:2], requires_grad=True)])


@pytest.mark.parametrize("kwargs", [{}, dict(weight=WEIGHT5, reduction='sum'), dict(reduction='none', ignore_index=4)])
def test_nll_loss_matches_torch(kwargs):
    _compare_loss('nll_loss', X, _ignored(kwargs), kwargs)
    _compare_loss('nll_loss', X_SPATIAL, Y_SPATIAL6, kwargs)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")     # PyTorch's note on kl_div's 'mean'
def test_regression_and_binary_losses_match_torch():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for red in ('mean', 'sum', 'none'):
        _compare_loss('mse_loss', a, b, dict(reduction=red))
        _compare_loss('l1_loss', a, b, dict(reduction=red))
    probs, labels = rng.uniform(0.05, 0.95, (3, 4)), rng.integers(0, 2, (3, 4)).astype(np.float64)
    weight, pos_weight = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 3, 4)
    _compare_loss('binary_cross_entropy', probs, labels, dict(weight=weight))
    _compare_loss('binary_cross_entropy', probs, labels, dict(reduction='none'))
    _compare_loss('binary_cross_entropy_with_logits', a, labels, dict(weight=weight, pos_weight=pos_weight))
    _compare_loss('binary_cross_entropy_with_logits', a * 30, labels, dict(reduction='sum'))
    logq = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    p[0, 1] = 0.0                                 # a zero-probability target contributes 0, not nan
    for red in ('mean', 'batchmean', 'sum', 'none'):
        _compare_loss('kl_div', logq, p, dict(reduction=red))
    _compare_loss('kl_div', logq, np.log(p + 0.1), dict(reduction='batchmean', log_target=True))


def test_loss_modules_match_torch():
    torch = pytest.importorskip("torch")
    x, xt = _both(X)
    y = Y6.copy()
    pairs = [
        (nn.CrossEntropyLoss(weight=mg.tensor(WEIGHT5), label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT5), label_smoothing=0.1), y),
        (nn.NLLLoss(reduction='sum'), torch.nn.NLLLoss(reduction='sum'), y),
        (nn.MSELoss(), torch.nn.MSELoss(), X[::-1].copy()),
        (nn.L1Loss(reduction='none'), torch.nn.L1Loss(reduction='none'), X * 2),
        (nn.BCEWithLogitsLoss(pos_weight=mg.tensor(WEIGHT5)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(WEIGHT5)), (X > 0).astype(np.float64)),
        (nn.KLDivLoss(reduction='batchmean'), torch.nn.KLDivLoss(reduction='batchmean'), np.full_like(X, 0.2)),
    ]
    for ours, theirs, target in pairs:
        assert_close(ours(x, mg.tensor(target)), theirs(xt, torch.tensor(target)), atol=1e-12)
    labels = (X > 0) * 1.0
    assert_close(nn.BCELoss()(x.sigmoid(), mg.tensor(labels)), torch.nn.BCELoss()(xt.sigmoid(), torch.tensor(labels)),
                 atol=1e-12)


def test_loss_modules_keep_weights_as_buffers():
    torch = pytest.importorskip("torch")
    ours = nn.CrossEntropyLoss(weight=mg.ones(3))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.ones(3))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ['weight']
    assert list(nn.BCEWithLogitsLoss(pos_weight=mg.ones(2)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)).state_dict())
    assert repr(nn.MSELoss(reduction='sum')) == "MSELoss(reduction='sum')"
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of 'mean', 'batchmean', 'sum', 'none'"):
        nn.KLDivLoss(reduction='avg')


# ----- cross-entropy: one node, softmax - onehot, stable -----
def test_cross_entropy_is_one_node_with_softmax_minus_onehot_gradient():
    x = mg.randn(4, 3, requires_grad=True)
    y = np.array([0, 2, 1, 2])
    loss = F.cross_entropy(x, mg.tensor(y))
    assert type(loss.grad_fn).__name__ == 'CrossEntropy'
    assert loss.grad_fn.next_edges[0][1] is x                   # straight to the leaf: no chain of small ops
    loss.backward()
    p = to_numpy(x.softmax(1))
    np.testing.assert_allclose(to_numpy(x.grad), (p - np.eye(3)[y]) / 4, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_cross_entropy_stays_finite_for_huge_logits(dtype):
    x = mg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype, requires_grad=True)
    y = mg.tensor([1, 0, 2])
    loss = F.cross_entropy(x, y, reduction='none')
    np.testing.assert_allclose(to_numpy(loss), [2e4, np.log(3), 2e4 + np.log(2)], rtol=1e-6)
    loss.sum().backward()
    g = to_numpy(x.grad)
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g, [[1, -1, 0], [-2 / 3, 1 / 3, 1 / 3], [0.5, 0.5, -1]], atol=1e-6)
    smooth = F.cross_entropy(x, y, label_smoothing=0.1, weight=mg.tensor([1.0, 2.0, 3.0], dtype=dtype))
    smooth.backward()
    assert np.isfinite(to_numpy(smooth)) and np.isfinite(to_numpy(x.grad)).all()
    assert loss.dtype == dtype and x.grad.dtype == dtype


def test_cross_entropy_with_every_target_ignored_is_nan_as_torch():
    torch = pytest.importorskip("torch")
    y = np.array([-100, -100])
    ref = torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor(y))
    ours = F.cross_entropy(mg.zeros(2, 3), mg.tensor(y))
    assert np.isnan(to_numpy(ours)) and torch.isnan(ref)
    assert to_numpy(F.cross_entropy(mg.zeros(2, 3), mg.tensor(y), reduction='sum')) == 0


def test_binary_losses_finite_at_saturation():
    torch = pytest.importorskip("torch")
    p_np, y_np = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    p, pt = _both(p_np)
    loss = F.binary_cross_entropy(p, mg.tensor(y_np))
    loss_t = torch.nn.functional.binary_cross_entropy(pt, torch.tensor(y_np))
    assert_close(loss, loss_t, atol=1e-9)             # the logs are clamped at -100, as PyTorch
    loss.backward()
    loss_t.backward()
    assert np.isfinite(to_numpy(p.grad)).all()
    assert_close(p.grad, pt.grad, rtol=1e-6)
    x = mg.zeros(3, requires_grad=True)                # at x = 0 the slope is σ(0) - y
    F.binary_cross_entropy_with_logits(x, mg.tensor([0.0, 1.0, 0.5]), reduction='sum').backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.5, -0.5, 0.0])
    big = mg.tensor([1e4, -1e4], requires_grad=True)
    out = F.binary_cross_entropy_with_logits(big, mg.tensor([0.0, 1.0]), reduction='none')
    np.testing.assert_allclose(to_numpy(out), [1e4, 1e4])


def test_target_gradient_of_binary_cross_entropy():
    assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y),
                     [mg.tensor([0.2, 0.7], dtype=mg.float64, requires_grad=True),
                      mg.tensor([0.4, 0.9], dtype=mg.float64, requires_grad=True)])
    assert gradgradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y),
                         [mg.tensor([0.3, -1.2], dtype=mg.float64, requires_grad=True),
                          mg.tensor([0.4, 0.9], dtype=mg.float64, requires_grad=True)])


# ----- errors -----
def test_target_out_of_range_names_the_value_and_the_class_count():
    x = mg.zeros(3, 4)
    with pytest.raises(IndexError, match=r"cross_entropy: target 7 is out of bounds: class indices must be in "
                                         r"\[0, 3\] for C=4 classes"):
        F.cross_entropy(x, mg.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match="target -2 is out of bounds"):
        nn.CrossEntropyLoss()(x, mg.tensor([0, -2, 1]))
    with pytest.raises(IndexError, match="nll_loss: target 4 is out of bounds"):
        F.nll_loss(x, mg.tensor([4, 0, 0]))


def test_wrong_target_dtype_or_shape():
    x = mg.zeros(3, 4)
    with pytest.raises(TypeError, match=r"cross_entropy: expected target to be integer class indices \(int64\) of "
                                        r"shape \(3,\) or class probabilities of the input's shape \(3, 4\).*"
                                        r"got a bool tensor of shape \(3,\)"):
        F.cross_entropy(x, mg.tensor([True, False, True]))
    with pytest.raises(ValueError, match=r"class-probability target of shape \(3,\) must have the input's shape"):
        F.cross_entropy(x, mg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\) for input of shape \(3, 4\) "
                                         r"\(classes along dim 1\), got \(2,\)"):
        F.cross_entropy(x, mg.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) must have one entry per class, \(4,\)"):
        F.cross_entropy(x, mg.tensor([0, 1, 2]), weight=mg.ones(3))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, mg.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index is not supported for class-probability targets"):
        F.cross_entropy(x, mg.zeros(3, 4), ignore_index=0)
    with pytest.raises(TypeError, match="cross_entropy: input must be a floating-point tensor"):
        F.cross_entropy(mg.tensor([[1, 2]]), mg.tensor([0]))
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        F.cross_entropy(x, mg.tensor([0, 1, 2]), reduction='avg')


def test_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match=r"mse_loss: target of shape \(4,\) does not match input of shape \(4, 1\)"):
        nn.MSELoss()(mg.zeros(4, 1), mg.zeros(4))
    with pytest.raises(ValueError, match="l1_loss: target of shape"):
        F.l1_loss(mg.zeros(2), mg.zeros(3))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: target of shape"):
        F.binary_cross_entropy_with_logits(mg.zeros(2, 1), mg.zeros(2))


def test_bce_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: all elements of input should be between 0 and 1 "
                                         r".*got values in \[-0.5, 1.0\]"):
        nn.BCELoss()(mg.tensor([-0.5, 1.0]), mg.tensor([0.0, 1.0]))
