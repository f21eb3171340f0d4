"""The tiled (FlashAttention-style) attention op, ``minigrad.ops.attention.FlashAttention``.

The block size is set to 4 for every test here, so inputs of about ten tokens already span
several query and key tiles, with lengths that are not multiples of the block.

- rows of the shared op table (tests/harness.py): forward against a whole-matrix NumPy softmax in
  float64, float32 kept (outputs and gradients), gradcheck (the tiled backward) and
  gradgradcheck (``create_graph=True``: the composed formulas), for no mask, causal with L = S,
  L < S and L > S, key-padding and (L, S) masks with rows that see no key, float biases of
  several shapes, broadcast batch axes, and causal plus padding together;
- output and gradients equal to the composed Tensor-op path's to rounding;
- causal attention computes no tile that lies wholly right of the diagonal;
- forward + backward never allocate anything near the size of the L×S score matrix.
"""
import math
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import attention as A
from harness import C, Case, op_tests, small_tiles

SCALE = 0.7


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    small_tiles(monkeypatch, 4)


def flash(q, k, v, bias=None, causal=False):
    b = None if bias is None else mg.tensor(bias, dtype=q.dtype)
    return A.FlashAttention.apply(q, k, v, b, causal, SCALE)


def reference(q, k, v, bias=None, causal=False):
    """softmax(Q Kᵀ·scale + bias) V with the whole score matrix, in NumPy; a row that sees no key
    gives 0."""
    s = q @ np.swapaxes(k, -1, -2) * SCALE
    if bias is not None:
        s = s + bias
    if causal:
        s = s + np.triu(np.full(s.shape[-2:], -np.inf), 1)
    m = s.max(-1, keepdims=True)
    e = np.exp(s - np.where(np.isneginf(m), 0.0, m))
    total = e.sum(-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return (weights @ v).astype(q.dtype)


def _masks():
    rng = np.random.default_rng(0)
    padding = np.zeros((2, 1, 1, 11))
    padding[0, ..., 8:] = -np.inf           # sequence 0: its last three keys are padding
    padding[1] = -np.inf                    # sequence 1: every key is padding, no query sees one
    scattered = np.where(rng.random((9, 11)) < 0.4, -np.inf, 0.0)
    scattered[:, 0] = 0.0
    scattered[4] = -np.inf                  # query 4 sees no key
    causal_padding = np.zeros((2, 1, 1, 10))
    causal_padding[0, ..., 9] = -np.inf
    causal_padding[1, ..., 0] = -np.inf     # with causal masking query 0 of sequence 1 sees nothing
    return dict(padding=padding, scattered=scattered, causal_padding=causal_padding,
                float=rng.standard_normal((9, 11)), per_batch=rng.standard_normal((2, 1, 9, 11)),
                per_key=rng.standard_normal(11))


MASKS = _masks()
QKV = ((2, 9, 3), (2, 11, 3), (2, 11, 2))
HEADS = ((2, 2, 9, 3), (2, 2, 11, 3), (2, 2, 11, 2))

# (name, shapes of q, k, v, mask name or None, causal)
SETUPS = [
    ("plain", [QKV, ((9, 3), (11, 3), (11, 2)), ((2, 3, 3), (2, 3, 3), (2, 3, 2))], None, False),
    ("causal", [((2, 10, 3), (2, 10, 3), (2, 10, 2)), ((2, 7, 3), (2, 10, 3), (2, 10, 2)),
                ((2, 10, 3), (2, 6, 3), (2, 6, 2))], None, True),
    ("broadcast", [((2, 3, 9, 3), (2, 1, 11, 3), (1, 11, 2)), ((9, 3), (2, 11, 3), (2, 11, 2))], None, False),
    ("broadcast_causal", [((2, 3, 10, 3), (2, 1, 10, 3), (10, 2))], None, True),
    ("padding", [HEADS], "padding", False),
    ("scattered", [QKV], "scattered", False),
    ("float", [QKV], "float", False),
    ("per_batch", [((2, 2, 9, 3), (2, 1, 11, 3), (2, 1, 11, 2))], "per_batch", False),
    ("per_key", [QKV], "per_key", True),
    ("causal_padding", [((2, 2, 10, 3), (2, 2, 10, 3), (2, 2, 10, 2))], "causal_padding", True),
]


def _case(name, shapes, mask, causal):
    bias = None if mask is None else MASKS[mask]
    return Case(f"flash_{name}", lambda q, k, v: flash(q, k, v, bias, causal),
                lambda q, k, v: reference(q, k, v, bias, causal), inputs=shapes)


CASES = [_case(*s) for s in SETUPS]
test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


@pytest.mark.parametrize("name,shapes,mask,causal", [(n, s[0], m, c) for n, s, m, c in SETUPS],
                         ids=[s[0] for s in SETUPS])
def test_matches_the_composed_path(name, shapes, mask, causal):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    bias = None if mask is None else MASKS[mask]
    if causal:
        tri = np.triu(np.full((shapes[0][-2], shapes[1][-2]), -np.inf), 1)
        bias = tri if bias is None else bias + tri

    def run(attend):
        q, k, v = (mg.tensor(a, requires_grad=True) for a in arrays)
        out = attend(q, k, v)
        out.backward(mg.tensor(rng_g.standard_normal(tuple(out.shape))))
        return [out.detach().numpy()] + [t.grad.numpy() for t in (q, k, v)]

    rng_g = np.random.default_rng(2)
    tiled = run(lambda q, k, v: flash(q, k, v, None if mask is None else MASKS[mask], causal))
    rng_g = np.random.default_rng(2)
    composed = run(lambda q, k, v: A.attention_weights(
        q, k, None if bias is None else mg.tensor(bias), SCALE) @ v)
    for t, c in zip(tiled, composed):
        assert t.shape == c.shape and np.isfinite(t).all()
        np.testing.assert_allclose(t, c, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("L,S", [(10, 10), (7, 10), (10, 6)])
def test_causal_computes_no_tile_right_of_the_diagonal(L, S):
    visited = []
    for i0, i1 in A._blocks(L, 4):
        for j0, j1 in A._key_blocks(i0, i1, S, True, 4):
            tile = [(i, j) for i in range(i0, i1) for j in range(j0, j1)]
            assert any(j <= i for i, j in tile), f"tile {(i0, i1, j0, j1)} holds no visible key"
            visited += tile
    assert len(visited) == len(set(visited))
    assert {(i, j) for i in range(L) for j in range(S) if j <= i} <= set(visited)
    full = sum((i1 - i0) * S for i0, i1 in A._blocks(L, 4))
    assert len(visited) < full


@pytest.mark.parametrize("causal", [False, True])
def test_never_allocates_the_score_matrix(monkeypatch, causal):
    # tracemalloc sees every NumPy allocation; the arrays live on the host whatever --device says
    small_tiles(monkeypatch, 32)
    N, L, E = 2, 512, 8
    rng = np.random.default_rng(3)
    padding = np.zeros((N, 1, L))
    padding[0, :, -5:] = -np.inf
    scores_bytes = N * L * L * 8

    def peak(attend):
        q, k, v = (mg.tensor(rng.standard_normal((N, L, E)), device="cpu", requires_grad=True)
                   for _ in range(3))
        bias = mg.tensor(padding, device="cpu")
        tracemalloc.start()
        try:
            attend(q, k, v, bias).sum().backward()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def composed(q, k, v, bias):
        tri = mg.tensor(np.triu(np.full((L, L), -np.inf), 1), device="cpu")
        return A.attention_weights(q, k, bias + tri if causal else bias, SCALE) @ v

    assert peak(composed) > 2 * scores_bytes          # the measurement does see the L×S matrices
    assert peak(lambda q, k, v, b: A.FlashAttention.apply(q, k, v, b, causal, SCALE)) < scores_bytes / 4


def test_numpy_scale_keeps_float32():
    q, k, v = (mg.randn(2, 9, 3, requires_grad=True) for _ in range(3))
    out = A.FlashAttention.apply(q, k, v, None, True, np.float64(1 / math.sqrt(3)))
    out.sum().backward()
    assert out.dtype == mg.float32 and all(t.grad.dtype == mg.float32 for t in (q, k, v))
