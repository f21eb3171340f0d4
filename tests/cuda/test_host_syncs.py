"""The device path does not wait for the GPU where it need not.

Reading a value of a GPU array on the host (``int(a)``, ``bool(a)``, ``a.get()``, a boolean-mask
index, whose result's size depends on the data) makes the CPU wait until every queued kernel has
run: the queue drains and the GPU idles while Python catches up. Inside a per-tile loop that is
a stall per tile. These tests run the ops on the CuPy double (``tests/fake_cupy.py``) and count
such reads; they need no GPU.
"""
import numpy as np
import pytest

import fake_cupy
import minigrad as mg
import minigrad.nn.functional as F
from minigrad import backend
from minigrad.ops.attention import FlashAttention

_READS = ("__bool__", "__int__", "__float__", "__index__", "item", "tolist", "get")


def _is_mask(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(getattr(k, "dtype", None) == np.bool_ for k in keys)


@pytest.fixture
def syncs(monkeypatch):
    """Puts the CuPy double behind device 'cuda' and returns the list of host reads it sees."""
    monkeypatch.setattr(backend, "_cuda_module", fake_cupy.fake)
    monkeypatch.setattr(backend, "_cuda_probed", True)
    seen = []

    def counted(name, method, when=lambda *a: True):
        def read(self, *args):
            if when(*args):
                seen.append(name)
            return method(self, *args)
        return read
    for name in _READS:
        monkeypatch.setattr(fake_cupy.ndarray, name, counted(name, getattr(fake_cupy.ndarray, name)))
    for name in ("__getitem__", "__setitem__"):
        monkeypatch.setattr(fake_cupy.ndarray, name,
                            counted(f"mask {name}", getattr(fake_cupy.ndarray, name), lambda key, *v: _is_mask(key)))
    return seen


def cuda(a, grad=False):
    return mg.tensor(a, device="cuda", requires_grad=grad)


def test_tiled_attention_with_a_mask_never_waits_for_the_gpu(syncs, monkeypatch):
    import minigrad.ops.attention as A
    monkeypatch.setattr(A, "GPU_BLOCK", 4)                   # 3 query blocks
    rng = np.random.default_rng(0)
    q, k, v = (cuda(rng.standard_normal((2, 12, 8)), grad=True) for _ in range(3))
    mask = np.zeros((12, 12))
    mask[:, 5:] = -np.inf
    mask[2] = -np.inf                                        # a row that sees nothing
    syncs.clear()
    FlashAttention.apply(q, k, v, cuda(mask), True, 0.3).sum().backward()
    assert syncs == []


def test_embedding_checks_its_indices_with_one_read(syncs):
    weight = cuda(np.ones((10, 4)), grad=True)
    index = cuda(np.array([[1, 2, 9], [0, 3, 3]]))
    syncs.clear()
    F.embedding(index, weight).sum().backward()
    assert len(syncs) <= 1, syncs
    with pytest.raises(IndexError, match="index 10 is out of range"):
        F.embedding(cuda(np.array([1, 10])), weight)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_checks_its_targets_with_one_read(syncs, reduction):
    x = cuda(np.random.default_rng(1).standard_normal((5, 7)), grad=True)
    target = cuda(np.array([1, -100, 6, 0, 2]))
    syncs.clear()
    F.cross_entropy(x, target, reduction=reduction).sum().backward()
    assert len(syncs) <= 1, syncs
    with pytest.raises(IndexError, match="target 7 is out of bounds"):
        F.cross_entropy(x, cuda(np.array([1, 7, 6, 0, 2])))
