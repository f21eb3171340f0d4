"""Exercise 15 — attention masks: causal and padding.

Follows chapter 7 (notebooks/07_attention.ipynb, §4) and article 004 §3.3, article 000 §3.3. A mask
says which keys each query may attend to. In minigrad (and PyTorch) a bool mask is True where
attending is ALLOWED; ``F.scaled_dot_product_attention`` sets the other scores to −∞ before the
softmax, so their weights are exactly 0.

* A causal mask (因果掩码) keeps a language model from reading the future: query i may see keys
  0 .. i, itself included. For L positions it is the (L, L) lower triangle, diagonal included.
* A padding mask (填充掩码) hides the padding at the end of shorter sequences: for lengths
  (N,) and S keys, key j of sequence n is real when j < lengths[n]. Return it with shape
  (N, 1, S): the 1 lets it broadcast over the L queries of the scores (N, L, S).

Build both from ``minigrad.arange`` and comparisons (``<=``, ``<``) with broadcasting: e.g.
``cols[None, :] <= rows[:, None]`` compares every row index with every column index. The two
masks combine with ``&``.

Check your work:  python -m minigrad check tutorials/15_masks.py   (or run this file).
"""
import minigrad


def causal_mask(L):
    """A bool (L, L) tensor, True where query i may attend to key j (j <= i)."""
    raise NotImplementedError("exercise: compare column indices with row indices")


def padding_mask(lengths, S):
    """A bool (N, 1, S) tensor, True where key j of sequence n is real (j < lengths[n])."""
    raise NotImplementedError("exercise: compare key positions with each sequence's length, then add the query axis")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
