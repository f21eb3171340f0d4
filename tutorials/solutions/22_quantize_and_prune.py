"""Exercise 22 — the per-channel int8 quantizer and the magnitude-pruning mask: a reference solution.

See tutorials/22_quantize_and_prune.py for the task.
"""
import numpy as np


def quantize_int8(w):
    scale = np.abs(w).max(axis=1, keepdims=True) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def prune_mask(w, sparsity):
    return np.abs(w) > np.quantile(np.abs(w), sparsity)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
