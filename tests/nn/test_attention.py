"""scaled_dot_product_attention and MultiheadAttention.

- against PyTorch: outputs and every gradient (inputs, float masks, parameters with the state_dict
  copied), for bool / float / causal / broadcast masks, key padding masks, batch_first both ways,
  unbatched input, cross-attention, bias=False, need_weights and average_attn_weights;
- a NumPy closed form of softmax(Q Kᵀ / √d) V, so the reference is not only PyTorch;
- float64 gradcheck of both (inputs and parameters) and gradgradcheck of the function;
- dropout on the attention weights, rows that may see no key, dtype kept in float32;
- no Python loop over heads; parameter names, shapes and initialisation; bad-input errors;
- which path runs: the tiled kernel (minigrad.ops.attention, tested in tests/ops/test_attention_tiled.py)
  unless the weights themselves are needed, with the same results as the composed ops.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.nn import functional as attention_module
from minigrad.ops import attention as tiled
from helpers import assert_close, copy_state, to_numpy
from vectorised import python_calls
from harness import small_tiles


def _arrays(rng, *shapes, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _np_attention(q, k, v, bias=None, scale=None):
    """softmax(Q Kᵀ · scale + bias) V in plain NumPy, for one (L, E) x (S, E) problem at a time."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum('...le,...se->...ls', q.astype(np.float64), k.astype(np.float64)) * scale
    if bias is not None:
        s = s + bias
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return np.einsum('...ls,...sd->...ld', a, v.astype(np.float64))


# ---------------------------------------------------------------- scaled_dot_product_attention

Q, K, V = (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)      # (N, heads, L, E), (N, heads, S, E), (N, heads, S, Ev)


def _mask(kind, rng):
    """A mask of the given kind for (L, S) = (4, 5) scores, as a NumPy array (or None)."""
    if kind == "none":
        return None
    if kind == "bool":
        m = rng.random((4, 5)) > 0.4
        m[:, 0] = True                         # every query may see at least one key
        return m
    if kind == "bool-broadcast":
        m = rng.random((2, 1, 4, 5)) > 0.4
        m[..., 0] = True
        return m
    if kind == "float":
        return rng.standard_normal((4, 5)).astype(np.float32)
    if kind == "float-per-head":
        return rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    raise ValueError(kind)


SDPA_CASES = [("none", {}), ("bool", {}), ("bool-broadcast", {}), ("float", {}), ("float-per-head", {}),
              ("none", dict(is_causal=True)), ("none", dict(scale=0.3)), ("bool", dict(scale=2.0))]


@pytest.mark.parametrize("mask_kind,kwargs", SDPA_CASES,
                         ids=[f"{m}-{'-'.join(k) or 'default'}" for m, k in SDPA_CASES])
def test_sdpa_matches_torch(mask_kind, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = _arrays(rng, Q, K, V)
    mask = _mask(mask_kind, rng)
    weight = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    float_mask = mask is not None and mask.dtype != bool

    def run(lib):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        m = None if mask is None else lib.tensor(mask, requires_grad=float_mask)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **kwargs)
        (out * lib.tensor(weight)).sum().backward()
        return out, [q.grad, k.grad, v.grad] + ([m.grad] if float_mask else [])

    out, grads = run(mg)
    out_t, grads_t = run(torch)
    assert out.dtype == mg.float32 and tuple(out.shape) == (2, 3, 4, 6)
    assert_close(out, out_t, atol=1e-5)
    for g, gt in zip(grads, grads_t):
        assert_close(g, gt, atol=1e-5)


def test_sdpa_matches_numpy_closed_form():
    rng = np.random.default_rng(1)
    q, k, v = _arrays(rng, Q, K, V, dtype=np.float64)
    bias = rng.standard_normal((4, 5))
    out = F.scaled_dot_product_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v), attn_mask=mg.tensor(bias))
    np.testing.assert_allclose(to_numpy(out), _np_attention(q, k, v, bias), rtol=1e-12, atol=1e-12)
    # is_causal is the float mask with -inf strictly above the diagonal (top-left aligned when L != S)
    causal = np.triu(np.full((4, 5), -np.inf), 1)
    out = F.scaled_dot_product_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v), is_causal=True)
    np.testing.assert_allclose(to_numpy(out), _np_attention(q, k, v, causal), rtol=1e-12, atol=1e-12)


def test_sdpa_bool_mask_equals_its_float_form():
    rng = np.random.default_rng(2)
    q, k, v = (mg.tensor(a) for a in _arrays(rng, Q, K, V))
    allowed = _mask("bool", rng)
    as_float = np.where(allowed, 0.0, -np.inf).astype(np.float32)
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(allowed))
    b = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(as_float))
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_sdpa_row_that_sees_no_key_gives_zeros_like_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = _arrays(rng, Q, K, V)
    allowed = _mask("bool", rng)
    allowed[1] = False                          # query 1 may attend to nothing

    def run(lib):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(allowed))
        (out ** 2).sum().backward()
        return out, [q.grad, k.grad, v.grad]

    out, grads = run(mg)
    out_t, grads_t = run(torch)
    assert np.isfinite(to_numpy(out)).all()
    np.testing.assert_array_equal(to_numpy(out)[:, :, 1], 0.0)
    assert_close(out, out_t, atol=1e-5)
    for g, gt in zip(grads, grads_t):
        assert np.isfinite(to_numpy(g)).all()
        assert_close(g, gt, atol=1e-5)


def test_sdpa_dropout_zeroes_or_rescales_each_weight():
    # with V = identity the output *is* the weight matrix, so each entry must be 0 or a / (1 - p)
    rng = np.random.default_rng(4)
    q, k = (mg.tensor(a) for a in _arrays(rng, (2, 3, 4, 8), (2, 3, 5, 8)))
    v = mg.tensor(np.broadcast_to(np.eye(5, dtype=np.float32), (2, 3, 5, 5)).copy())
    clean = to_numpy(F.scaled_dot_product_attention(q, k, v))
    mg.manual_seed(0)
    dropped = to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5))
    zero = dropped == 0
    assert 0.3 < zero.mean() < 0.7
    np.testing.assert_allclose(dropped[~zero], 2.0 * clean[~zero], rtol=1e-5)   # tiled vs composed path: float32 rounding
    mg.manual_seed(0)
    np.testing.assert_array_equal(to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)), dropped)


def test_sdpa_keeps_float32():
    rng = np.random.default_rng(5)
    q, k, v = (mg.tensor(a, requires_grad=True) for a in _arrays(rng, Q, K, V))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(_mask("float", rng)), scale=0.5)
    out.sum().backward()
    assert out.dtype == mg.float32
    assert all(t.grad.dtype == mg.float32 for t in (q, k, v))


@pytest.mark.parametrize("mask_kind,kwargs", [("none", {}), ("bool", {}), ("float", {}),
                                              ("none", dict(is_causal=True))])
def test_sdpa_gradcheck(mask_kind, kwargs):
    rng = np.random.default_rng(6)
    arrays = _arrays(rng, (2, 4, 3), (2, 5, 3), (2, 5, 2), dtype=np.float64)
    q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays)
    mask = _mask(mask_kind, rng)
    inputs = [q, k, v]
    if mask is not None and mask.dtype != bool:
        inputs.append(mg.tensor(mask.astype(np.float64), requires_grad=True))     # a learned bias
    elif mask is not None:
        inputs.append(mg.tensor(mask))

    def fn(q, k, v, m=None):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, **kwargs)

    assert gradcheck(fn, inputs)


def test_sdpa_gradgradcheck():
    rng = np.random.default_rng(7)
    arrays = _arrays(rng, (1, 3, 2), (1, 4, 2), (1, 4, 2), dtype=np.float64)
    q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays)
    mask = mg.tensor(_mask("bool", rng)[:3, :4])
    assert gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), [q, k, v])


@pytest.mark.parametrize("call,match", [
    (lambda q, k, v: F.scaled_dot_product_attention(q, k[..., :5], v), r"scaled_dot_product_attention: query and key must have the same last dimension.*\(2, 3, 4, 8\).*\(2, 3, 5, 5\)"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v[:, :, :4]), r"scaled_dot_product_attention: key and value must have the same sequence length.*\(2, 3, 5, 8\).*\(2, 3, 4, 6\)"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k[:1, :2], v[:1, :2]), r"scaled_dot_product_attention: the batch dimensions.*do not broadcast"),
    (lambda q, k, v: F.scaled_dot_product_attention(q[0, 0, 0], k, v), r"at least 2 dimensions.*\(8,\)"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(4, 4, dtype=mg.bool)), r"attn_mask of shape \(4, 4\) cannot be broadcast.*\(2, 3, 4, 5\)"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.zeros(4, 5, dtype=mg.int64)), r"attn_mask must be bool or have the query's dtype"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(4, 5, dtype=mg.bool), is_causal=True), r"either attn_mask or is_causal"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=1.0), r"dropout_p must be in \[0, 1\)"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k.data, v), r"key must be a Tensor"),
])
def test_sdpa_errors(call, match):
    q, k, v = (mg.tensor(a) for a in _arrays(np.random.default_rng(8), Q, K, V))
    with pytest.raises((ValueError, TypeError), match=match):
        call(q, k, v)


def _path(out):
    return "tiled" if isinstance(out.grad_fn, tiled.FlashAttention) else "composed"


def test_sdpa_runs_the_tiled_kernel_unless_the_weights_are_needed(monkeypatch):
    small_tiles(monkeypatch, 4)              # several tiles on these small inputs
    rng = np.random.default_rng(18)
    q, k, v = (mg.tensor(a, requires_grad=True) for a in _arrays(rng, (2, 9, 4), (2, 11, 4), (2, 11, 3)))
    allowed = rng.random((9, 11)) > 0.3
    allowed[3] = False                                  # query 3 sees no key
    bias = mg.tensor(rng.standard_normal((9, 11)).astype(np.float32))
    learned = mg.tensor(bias.numpy(), requires_grad=True)
    sdpa = F.scaled_dot_product_attention
    assert _path(sdpa(q, k, v)) == _path(sdpa(q, k, v, is_causal=True)) == "tiled"
    assert _path(sdpa(q, k, v, attn_mask=mg.tensor(allowed))) == _path(sdpa(q, k, v, attn_mask=bias)) == "tiled"
    assert _path(sdpa(q, k, v, attn_mask=learned)) == "composed"      # the bias needs its gradient
    assert _path(sdpa(q, k, v, dropout_p=0.1)) == "composed"          # dropout acts on the weights


@pytest.mark.parametrize("kwargs", [{}, dict(is_causal=True), dict(mask=True)], ids=["none", "causal", "bool"])
def test_sdpa_tiled_equals_composed(monkeypatch, kwargs):
    small_tiles(monkeypatch, 4)
    rng = np.random.default_rng(19)
    arrays = _arrays(rng, (2, 3, 9, 4), (2, 3, 11, 4), (2, 3, 11, 3), dtype=np.float64)
    allowed = rng.random((2, 1, 1, 11)) > 0.3
    allowed[1] = False                                  # sequence 1: every key is padding
    if kwargs.pop("mask", False):
        kwargs["attn_mask"] = mg.tensor(allowed)
    upstream = mg.tensor(rng.standard_normal((2, 3, 9, 3)))

    def run(learned_zero_bias):
        q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays)
        extra = dict(kwargs)
        if learned_zero_bias:       # a bias that needs a gradient sends the call down the composed path
            mask = extra.pop("attn_mask", None)
            zero = mg.zeros(9, 11, dtype=mg.float64, requires_grad=True)
            if extra.pop("is_causal", False):
                zero = zero + mg.tensor(np.triu(np.full((9, 11), -np.inf), 1))
            extra["attn_mask"] = zero if mask is None else zero + mg.tensor(np.where(allowed, 0.0, -np.inf))
        out = F.scaled_dot_product_attention(q, k, v, **extra)
        out.backward(upstream)
        return _path(out), [out] + [t.grad for t in (q, k, v)]

    (p_tiled, got), (p_composed, expected) = run(False), run(True)
    assert (p_tiled, p_composed) == ("tiled", "composed")
    for g, e in zip(got, expected):
        assert np.isfinite(to_numpy(g)).all()
        assert_close(g, e, atol=1e-12, rtol=1e-12)


def test_sdpa_tiled_does_not_loop_over_heads(monkeypatch):
    small_tiles(monkeypatch, 4)

    def run(heads):
        q, k, v = (mg.randn(2, heads, 9, 4, requires_grad=True) for _ in range(3))
        return python_calls(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward())
    run(2)                      # the first call fills NumPy's caches (finfo): not part of the count
    assert run(2) == run(8)     # (with 1 head, one batch-shape check takes a shortcut)


# ---------------------------------------------------------------- MultiheadAttention

E, H, N, L, S = 8, 2, 3, 4, 5


def _mha_masks(kind, rng):
    """(attn_mask, key_padding_mask) as NumPy arrays for MultiheadAttention (True = masked out)."""
    causal_bool = np.triu(np.ones((L, L), bool), 1)
    padding = np.zeros((N, L), bool)
    padding[0, -1] = padding[2, -2:] = True
    return {
        "none": (None, None),
        "bool": (causal_bool, None),
        "float": (rng.standard_normal((L, L)).astype(np.float32), None),
        "per-head": (rng.standard_normal((N * H, L, L)).astype(np.float32), None),
        "padding": (None, padding),
        "float-padding": (None, np.where(padding, -1e4, 0.0).astype(np.float32)),
        "bool+padding": (causal_bool, padding),
    }[kind]


MHA_CASES = ["none", "bool", "float", "per-head", "padding", "float-padding", "bool+padding"]


def _run_mha(lib, module, arrays, masks, **kwargs):
    q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
    m, p = (None if a is None else lib.tensor(a) for a in masks)
    if arrays[0] is arrays[1] is arrays[2]:
        k = v = q                                     # self-attention: one tensor, as in a layer
    out, w = module(q, k, v, attn_mask=m, key_padding_mask=p, **kwargs)
    rng = np.random.default_rng(11)
    loss = (out * lib.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32))).sum()
    if w is not None:
        loss = loss + (w * lib.tensor(rng.standard_normal(tuple(w.shape)).astype(np.float32))).sum()
    loss.backward()
    inputs = [q] if k is q else [q, k, v]
    return [out, w], [t.grad for t in inputs] + [prm.grad for _, prm in module.named_parameters()]


def _compare_mha(arrays, masks, ctor=dict(), **kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref, ours = torch.nn.MultiheadAttention(E, H, **ctor), nn.MultiheadAttention(E, H, **ctor)
    copy_state(ref, ours)
    (outs, grads), (outs_t, grads_t) = _run_mha(mg, ours, arrays, masks, **kwargs), \
        _run_mha(torch, ref, arrays, masks, **kwargs)
    for o, ot in zip(outs, outs_t):
        assert (o is None) == (ot is None)
        if o is not None:
            assert_close(o, ot, atol=1e-5)
    assert len(grads) == len(grads_t)
    for g, gt in zip(grads, grads_t):
        assert_close(g, gt, atol=1e-4)


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("kind", MHA_CASES)
def test_mha_self_attention_matches_torch(kind, batch_first):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((N, L, E) if batch_first else (L, N, E)).astype(np.float32)
    _compare_mha([x, x, x], _mha_masks(kind, rng), ctor=dict(batch_first=batch_first))


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_cross_attention_and_weights_match_torch(need_weights, average):
    rng = np.random.default_rng(10)
    arrays = _arrays(rng, (L, N, E), (S, N, E), (S, N, E))
    padding = np.zeros((N, S), bool)
    padding[1, :2] = True
    _compare_mha(arrays, (None, padding), need_weights=need_weights, average_attn_weights=average)


def test_mha_weights_shapes_and_rows():
    rng = np.random.default_rng(12)
    mha = nn.MultiheadAttention(E, H, batch_first=True)
    q, kv = (mg.tensor(a) for a in _arrays(rng, (N, L, E), (N, S, E)))
    out, w = mha(q, kv, kv)
    assert tuple(out.shape) == (N, L, E) and tuple(w.shape) == (N, L, S)
    np.testing.assert_allclose(to_numpy(w).sum(-1), 1.0, rtol=1e-5)
    _, w = mha(q, kv, kv, average_attn_weights=False)
    assert tuple(w.shape) == (N, H, L, S)
    assert mha(q, kv, kv, need_weights=False)[1] is None


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_unbatched_matches_torch(batch_first):
    rng = np.random.default_rng(13)
    arrays = _arrays(rng, (L, E), (S, E), (S, E))
    padding = np.array([False, False, True, False, True])
    _compare_mha(arrays, (None, padding), ctor=dict(batch_first=batch_first), average_attn_weights=False)


def test_mha_without_bias_matches_torch():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((L, N, E)).astype(np.float32)
    _compare_mha([x, x, x], _mha_masks("bool", rng), ctor=dict(bias=False))


def test_mha_is_causal_with_its_mask_matches_torch():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((L, N, E)).astype(np.float32)
    _compare_mha([x, x, x], _mha_masks("bool", rng), is_causal=True, need_weights=False)


def test_mha_is_causal_alone_applies_the_causal_mask():
    # minigrad builds the causal mask itself when is_causal=True comes without attn_mask
    rng = np.random.default_rng(16)
    mha = nn.MultiheadAttention(E, H)
    x = mg.tensor(rng.standard_normal((L, N, E)).astype(np.float32))
    a, wa = mha(x, x, x, is_causal=True)
    b, wb = mha(x, x, x, attn_mask=nn.Transformer.generate_square_subsequent_mask(L))
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert (to_numpy(wa)[:, np.triu(np.ones((L, L), bool), 1)] == 0).all()


def test_mha_query_that_sees_no_key_gives_zero_weights():
    mha = nn.MultiheadAttention(E, H, batch_first=True)
    x = mg.randn(2, L, E)
    padding = mg.tensor(np.array([[True] * L, [False] * L]))
    out, w = mha(x, x, x, key_padding_mask=padding)
    assert np.isfinite(to_numpy(out)).all()
    np.testing.assert_array_equal(to_numpy(w)[0], 0.0)


def test_mha_parameters_match_torch_names_shapes_and_init():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, dict(bias=False)):
        ours = nn.MultiheadAttention(E, H, **kwargs)
        theirs = torch.nn.MultiheadAttention(E, H, **kwargs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    mg.manual_seed(0)
    big = nn.MultiheadAttention(64, 4)
    w = to_numpy(big.in_proj_weight)
    bound = math.sqrt(6 / (64 + 3 * 64))               # Xavier-uniform over fan_in E, fan_out 3E
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert big.in_proj_weight.dtype == mg.float32
    np.testing.assert_array_equal(to_numpy(big.in_proj_bias), 0.0)
    np.testing.assert_array_equal(to_numpy(big.out_proj.bias), 0.0)


def test_mha_dropout_only_in_training():
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(E, H, dropout=0.5)
    x = mg.randn(L, N, E)
    a, b = to_numpy(mha(x, x, x)[0]), to_numpy(mha(x, x, x)[0])
    assert not np.allclose(a, b)
    mha.eval()
    np.testing.assert_array_equal(to_numpy(mha(x, x, x)[0]), to_numpy(mha(x, x, x)[0]))


@pytest.mark.parametrize("self_attention", [True, False])
def test_mha_gradcheck_inputs_and_parameters(self_attention):
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True).to(mg.float64)
    rng = np.random.default_rng(17)
    q = mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    k = v = q
    if not self_attention:
        k, v = (mg.tensor(a, requires_grad=True) for a in _arrays(rng, (2, 2, 4), (2, 2, 4), dtype=np.float64))
    padding = mg.tensor(np.array([[False, True] + [False] * (k.shape[1] - 2), [False] * k.shape[1]]))
    params = [p for _, p in mha.named_parameters()]
    inputs = [q] if self_attention else [q, k, v]

    def fn(*args):
        x = args[:len(inputs)]
        qq, kk, vv = (x[0], x[0], x[0]) if self_attention else x
        return mha(qq, kk, vv, key_padding_mask=padding)
    assert gradcheck(fn, inputs + params)


def test_mha_does_not_loop_over_heads():
    def run(heads):
        mha = nn.MultiheadAttention(16, heads)
        x = mg.randn(L, N, 16, requires_grad=True)
        return python_calls(lambda: mha(x, x, x)[0].sum().backward())
    run(8)      # a first run may compile the fused kernels (CuPy, or the emulator): Python work done once
    assert run(1) == run(8)


@pytest.mark.parametrize("kind", ["padding", "bool+padding", "causal+padding"])
def test_mha_without_weights_runs_the_tiled_kernel_and_agrees(monkeypatch, kind):
    # need_weights=False (as the Transformer layers call it) takes the tiled path; its output and
    # gradients are those of the composed path that need_weights=True takes
    small_tiles(monkeypatch, 2)
    calls = []

    class CountingFlashAttention(tiled.FlashAttention):
        @staticmethod
        def forward(ctx, *args):
            calls.append(1)
            return tiled.FlashAttention.forward(ctx, *args)
    monkeypatch.setattr(attention_module, "FlashAttention", CountingFlashAttention)
    rng = np.random.default_rng(20)
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(E, H, batch_first=True).to(mg.float64)
    x = rng.standard_normal((N, L, E))
    attn_mask, padding = _mha_masks(kind.replace("causal+", ""), rng)
    masks = dict(attn_mask=None if attn_mask is None else mg.tensor(attn_mask),
                 key_padding_mask=mg.tensor(padding), is_causal=kind.startswith("causal"))
    upstream = rng.standard_normal((N, L, E))

    def run(need_weights):
        mha.zero_grad()
        inp = mg.tensor(x, requires_grad=True)
        out = mha(inp, inp, inp, need_weights=need_weights, **masks)[0]
        out.backward(mg.tensor(upstream))
        return [out, inp.grad] + [p.grad for p in mha.parameters()]

    got = run(False)
    assert len(calls) == 1
    expected = run(True)
    assert len(calls) == 1
    for g, e in zip(got, expected):
        assert_close(g, e, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: nn.MultiheadAttention(10, 3), r"MultiheadAttention: embed_dim \(10\) must be a positive multiple of num_heads \(3\)"),
    (lambda: nn.MultiheadAttention(8, 2, dropout=1.5), r"dropout must be in \[0, 1\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 6), mg.randn(4, 3, 6), mg.randn(4, 3, 6)), r"MultiheadAttention: expected query of shape \(L, N, 8\).*got \(4, 3, 6\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(5, 2, 8), mg.randn(5, 2, 8)), r"key and value must have the same shape and the batch size of query, got query \(4, 3, 8\), key \(5, 2, 8\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(5, 3, 8), mg.randn(6, 3, 8)), r"key and value must have the same shape"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 8), mg.randn(5, 3, 8), mg.randn(5, 3, 8)), r"query, key and value must all be batched or all unbatched, got \(4, 8\), \(5, 3, 8\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(4, 3, 8), mg.randn(4, 3, 8), attn_mask=mg.zeros(4, 5)), r"attn_mask must have shape \(L, S\) = \(4, 4\) or \(N\*num_heads, L, S\) = \(6, 4, 4\), got \(4, 5\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(4, 3, 8), mg.randn(4, 3, 8), key_padding_mask=mg.zeros(4, 3, dtype=mg.bool)), r"key_padding_mask must have shape \(N, S\) = \(3, 4\), got \(4, 3\)"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(4, 3, 8), mg.randn(4, 3, 8), attn_mask=mg.zeros(4, 4, dtype=mg.float64)), r"float mask must have the input's dtype float32, got float64"),
    (lambda: nn.MultiheadAttention(8, 2)(mg.randn(4, 3, 8), mg.randn(4, 3, 8), mg.randn(4, 3, 8), key_padding_mask=np.zeros((3, 4), bool)), r"MultiheadAttention: key_padding_mask must be a Tensor, got ndarray"),
])
def test_mha_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_mha_takes_is_causal_as_a_hint_beside_the_causal_mask_as_pytorch():
    """is_causal=True with the causal attn_mask (as GPT and PyTorch's encoder pass them): without
    need_weights or a key padding mask, the mask is dropped and the tiled op skips hidden tiles."""
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(E, H, batch_first=True)
    x = mg.randn(N, 6, E)
    causal = nn.Transformer.generate_square_subsequent_mask(6)
    out, w = mha(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    assert w is None and _path_of_mha(out) == (True, None)
    reference, weights = mha(x, x, x, attn_mask=causal)        # the mask alone, composed, with weights
    assert_close(out, reference, atol=1e-6, rtol=1e-5)
    assert np.allclose(np.triu(to_numpy(weights), 1), 0)


def _path_of_mha(out):
    """(causal flag, bias) the MultiheadAttention output's FlashAttention node was called with."""
    node = out.grad_fn
    while not isinstance(node, tiled.FlashAttention):
        node = next(f for f, _ in node.next_functions if f is not None)
    return node.causal, node.bias_array
