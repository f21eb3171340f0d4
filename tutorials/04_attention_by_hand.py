"""Exercise 4 — scaled dot-product attention by hand, with masks.

Follows chapter 7 (notebooks/07_attention.ipynb, §1–4: scores, √d_k, masks), article 000
§3.3 and article 003 §3.2.1 (自注意力机制), which build it step by step:

    S = Q Kᵀ / √d_k          scores: how well each query matches each key     (..., L, S)
    S = S + mask             forbid some pairs (their score becomes −∞)
    A = softmax(S)           over the keys (the last axis): each row sums to 1
    Z = A V                  each output is a weighted average of the values  (..., L, Ev)

Shapes: query (..., L, d_k), key (..., S, d_k), value (..., S, Ev); the leading axes are batch and
heads, e.g. (N, h). Dividing by √d_k keeps the scores' spread independent of d_k: without it,
large d_k pushes the softmax towards a one-hot vector whose gradients vanish.

Write ``attention(query, key, value, attn_mask=None, is_causal=False)`` returning the pair
``(output, weights)`` = (Z, A), with the masks of ``F.scaled_dot_product_attention``:

* a bool ``attn_mask`` (broadcasting to (..., L, S)) is True where a query MAY attend to a key:
  fill the other scores with −inf (``scores.masked_fill(~attn_mask, -math.inf)``);
* a float ``attn_mask`` is added to the scores (0 allows, −inf forbids, other values bias);
* ``is_causal=True`` lets query i see keys 0..i only (a language model must not read the future):
  build that bool mask from ``minigrad.arange`` (``cols[None, :] <= rows[:, None]``; pass
  ``device=query.device``).

Tensor operations you need: ``@``, ``.transpose(-2, -1)``, ``/``, ``.masked_fill``, ``+``,
``.softmax(dim=-1)``, ``minigrad.arange``, comparisons. Written with them, autograd supplies the
gradients, and the checker compares those with the gradients of
``minigrad.nn.functional.scaled_dot_product_attention``. The checker never masks every key of a
query: softmax over a row of −inf only is 0/0 (minigrad's own attention gives such rows zero weights).

Check your work:  python -m minigrad check tutorials/04_attention_by_hand.py   (or run this file).
"""
import math

import minigrad


def attention(query, key, value, attn_mask=None, is_causal=False):
    """softmax(Q Kᵀ / √d_k + mask) V; returns (output, weights)."""
    raise NotImplementedError("exercise: scores, mask, softmax, weighted sum of the values")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
