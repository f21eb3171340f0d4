"""Reference solution of tutorials/04_attention_by_hand.py (scaled dot-product attention with masks).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import math

import minigrad


def attention(query, key, value, attn_mask=None, is_causal=False):
    """softmax(Q Kᵀ / √d_k + mask) V; returns (output, weights)."""
    d_k = query.shape[-1]
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)     # (..., L, S)
    L, S = scores.shape[-2], scores.shape[-1]
    if is_causal:
        rows = minigrad.arange(L, device=query.device)
        cols = minigrad.arange(S, device=query.device)
        attn_mask = cols[None, :] <= rows[:, None]                # query i sees keys 0..i
    if attn_mask is not None:
        if attn_mask.dtype == minigrad.bool:
            scores = scores.masked_fill(~attn_mask, -math.inf)
        else:
            scores = scores + attn_mask
    weights = scores.softmax(dim=-1)
    return weights @ value, weights


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
