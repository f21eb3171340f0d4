"""Reference solution of tutorials/17_multi_head.py (multi-head attention: split the heads, attend, merge
them).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad.nn.functional as F


def split_heads(x, h):
    """(N, L, E) -> (N, h, L, E // h)."""
    N, L, E = x.shape
    return x.reshape(N, L, h, E // h).transpose(1, 2)


def merge_heads(z):
    """(N, h, L, d) -> (N, L, h * d): the heads side by side again."""
    N, h, L, d = z.shape
    return z.transpose(1, 2).reshape(N, L, h * d)


def multi_head_attention(x, mha):
    """Self-attention of x (N, L, E) with the weights of ``mha`` (nn.MultiheadAttention)."""
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
    heads = [split_heads(t, mha.num_heads) for t in (q, k, v)]
    return mha.out_proj(merge_heads(F.scaled_dot_product_attention(*heads)))


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
