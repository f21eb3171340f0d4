"""Exercise 30 — the online softmax: one block of tiled attention.

Follows chapter 15 (notebooks/15_running_on_a_gpu.ipynb, §3) and article 003 §1.1; minigrad's own
version is ``minigrad/ops/attention.py``. Tiled (FlashAttention-style) attention never holds the
whole L×S score matrix: it walks over the keys a block at a time and keeps, for every query row,

    m    the largest score seen so far                          (L, 1)
    l    the sum of exp(s − m) over the scores seen so far      (L, 1)
    acc  the sum of exp(s − m) · v over the keys seen so far    (L, d)   (unnormalised output)

starting from m = −inf, l = 0, acc = 0. A new block of scores s (L, B), with its values v (B, d):

    m_new = max(m, rowmax(s))
    α     = exp(m − m_new)                      (rescales what was summed under the old max; ≤ 1)
    p     = exp(s − m_new)                      (every exponent ≤ 0: no overflow)
    l_new = α · l + rowsum(p),     acc_new = α · acc + p @ v

After the last block the output is  acc / l  — exactly softmax(S) @ V, without ever holding S.
``online_update`` returns (m_new, l_new, acc_new); ``finish`` returns the output. All are NumPy
arrays (float64 in, float64 out); ``np.maximum``, ``np.exp``, ``.max(axis=-1, keepdims=True)``.

Check your work:  python -m minigrad check tutorials/30_online_softmax.py   (or run this file).
"""
import numpy as np


def online_update(m, l, acc, scores, v):
    """The running (m, l, acc) after one more block of scores (L, B) and values (B, d)."""
    raise NotImplementedError("exercise: new running max, rescale the old l and acc by exp(m - m_new), add this block's exp(s - m_new)")


def finish(l, acc):
    """The attention output (L, d) from the final running sum and accumulator."""
    raise NotImplementedError("exercise: divide the accumulator by the running sum")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
