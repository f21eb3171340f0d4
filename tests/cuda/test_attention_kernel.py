"""The fused attention kernels (``attention_forward``/``attention_backward`` in minigrad/cuda/kernels.py)
against the tiled array version they replace (minigrad/ops/attention.py), which is their reference.

They run on the emulator (tests/cuda_emulator.py: the threads of a block as coroutines, with
``__syncthreads`` and ``__shared__`` memory) and, with ``--device cuda``, on a GPU. Sizes are chosen
to cross tile edges: 64 query rows per forward block, 32 keys per tile and per backward block,
16 query rows per backward tile.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import gradgradcheck
from minigrad.cuda import fused, kernels
from minigrad.ops import attention as A

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _bias(kind, B, L, S, dtype):
    """None, a key-padding mask (B, 1, 1, S), or a full (L, S) mask with rows that see no key."""
    if kind == "none":
        return None
    if kind == "padding":
        pad = np.zeros((B, 1, 1, S), dtype)
        pad[0, ..., 5:] = -np.inf                        # sample 0 has 5 keys, sample 1 all but 2
        pad[1, ..., :2] = -np.inf
        return pad
    mask = np.random.default_rng(3).standard_normal((L, S)).astype(dtype)
    mask[::7] = -np.inf                                  # rows that see nothing: output 0, gradient 0
    return mask


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("kind", ["none", "padding", "blind_rows"])
def test_kernels_match_the_tiled_version(runtime, dtype, causal, kind):
    xp, _ = runtime
    rng = np.random.default_rng(0)
    B, H, L, S, d, dv = 2, 3, 70, 81, 8, 5               # 2 query blocks, 3 key tiles, 3 key blocks
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in [(B, H, L, d), (B, H, S, d), (B, H, S, dv)])
    bias = _bias(kind, B, L, S, dtype)
    out, lse = A._tiled_forward(q, k, v, bias, causal, 0.3)
    g = rng.standard_normal(out.shape).astype(dtype)
    grads = A._tiled_grads(q, k, v, bias, causal, 0.3, out, lse, g)
    dev = [None if a is None else xp.asarray(a) for a in (q, k, v, bias)]
    got_out, got_lse = fused.attention(*dev, causal, 0.3)
    np.testing.assert_allclose(host(got_out), out, **TOL[dtype])
    np.testing.assert_array_equal(np.isinf(host(got_lse)), np.isinf(lse))
    np.testing.assert_allclose(host(got_lse)[np.isfinite(lse)], lse[np.isfinite(lse)], **TOL[dtype])
    with mg.no_grad():                                   # (a backward outside of one: no graph)
        got = fused.attention_backward(*dev, causal, 0.3, got_out, got_lse, xp.asarray(g))
    for a, b in zip(got, grads):
        np.testing.assert_allclose(host(a), b, **TOL[dtype])


def test_flash_attention_launches_the_kernels_on_strided_broadcast_heads(runtime, monkeypatch):
    """Heads split out of a (B, T, H·dh) projection (a strided view), one key/value head shared by
    every query head (zero strides): the op's output and gradients with the kernels equal those without."""
    xp, device = runtime
    launched = []
    for name in ("attention", "attention_backward"):
        real = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, real=real, name=name: (launched.append(name), real(*a))[1])
    rng = np.random.default_rng(1)
    B, T, H, dh = 2, 40, 4, 16
    x, kv = rng.standard_normal((B, T, H * dh)), rng.standard_normal((B, 1, T, 2 * dh))
    upstream = rng.standard_normal((B, H, T, dh))

    def run():
        xs = mg.tensor(x, device=device, requires_grad=True)
        kvs = mg.tensor(kv, device=device, requires_grad=True)
        q = xs.view(B, T, H, dh).transpose(1, 2)
        out = A.FlashAttention.apply(q, kvs[..., :dh], kvs[..., dh:], None, True, dh ** -0.5)
        (out * mg.tensor(upstream, device=device)).sum().backward()
        return [host(a) for a in (out.detach().data, xs.grad.data, kvs.grad.data)]
    kernels.enabled = False
    composed = run()
    kernels.enabled = True
    fast = run()
    assert set(launched) == {"attention", "attention_backward"}
    for a, b in zip(fast, composed):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_double_backward_and_large_heads_take_the_array_code(runtime):
    xp, device = runtime
    rng = np.random.default_rng(2)
    q, k, v = (mg.tensor(rng.standard_normal((1, 2, 5, 3)), device=device, requires_grad=True) for _ in range(3))
    assert gradgradcheck(lambda q, k, v: A.FlashAttention.apply(q, k, v, None, True, 0.5), [q, k, v])
    big = xp.zeros((1, 1, 4, kernels.attention_max_head(np.dtype(np.float64)) + 1))
    assert fused.attention(big, big, big, None, False, 1.0) is None


def test_shared_memory_of_every_kernel_fits_48_kb(emulator):
    """The ``__shared__`` tiles of each kernel (its ``...Shared<T>`` struct, as the compiler lays it out)
    fit the 48 KB a block may use on every CUDA GPU without opting in to more."""
    import cuda_emulator
    structs = cuda_emulator.shared_structs()
    assert {"AttentionForwardShared", "AttentionBackwardShared"} <= set(structs)
    for struct in structs:
        for dtype in (np.float32, np.float64):
            assert 16 * 1024 < emulator.shared_bytes(struct, dtype) <= 48 * 1024, (struct, dtype)
