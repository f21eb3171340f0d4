"""Exercise 22 — model compression: the per-channel int8 quantizer and the magnitude-pruning mask.

Follows chapter 13 (notebooks/13_compressing_a_model.ipynb, §2–3) and article 003 §2 (模型压缩).
For a weight matrix W (out, in), as NumPy arrays:

    s_r = max_j |W_rj| / 127            one scale per output row r (1.0 for an all-zero row), float32, shape (out, 1)
    q   = clip(round(W / s), -127, 127) as int8

``quantize_int8(w)`` returns ``(q, scale)``. ``prune_mask(w, sparsity)`` returns a bool mask shaped
like w, False for the fraction ``sparsity`` of the weights with the smallest |w| (threshold:
``np.quantile(np.abs(w), sparsity)``; keep |w| > threshold), True for the rest.

Check your work:  python -m minigrad check tutorials/22_quantize_and_prune.py   (or run this file).
"""


def quantize_int8(w):
    """(q, scale): int8 weights and one float32 scale per output row."""
    raise NotImplementedError("exercise: scale = max |w| per row / 127, then round, clip and cast to int8")


def prune_mask(w, sparsity):
    """A bool mask: True for the weights kept (the largest |w|), False for the pruned fraction."""
    raise NotImplementedError("exercise: the quantile of |w| at `sparsity`, then keep what is above it")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
