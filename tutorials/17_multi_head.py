"""Exercise 17 — multi-head attention: split the heads, attend, merge them.

Follows chapter 8 (notebooks/08_multi_head_attention.ipynb, §1) and article 000 §3.3, article 003
§3.2.2 (多头注意力). With h heads, each head attends in its own subspace of size d = E / h:

    Q, K, V = x W_Qᵀ + b_Q,  x W_Kᵀ + b_K,  x W_Vᵀ + b_V        each (N, L, E)
    head_j = softmax(Q_j K_jᵀ / √d) V_j                           Q_j: features j·d .. (j+1)·d of Q
    MultiHead(x) = Concat(head_1, ..., head_h) W_Oᵀ + b_O

No loop over heads: split the last axis E into (h, d) and move the head axis next to the batch,
so that one batched attention call serves every head:

    split_heads: (N, L, E) -> reshape (N, L, h, d) -> transpose(1, 2) -> (N, h, L, d)
    merge_heads: (N, h, L, d) -> transpose(1, 2) -> (N, L, h, d) -> reshape (N, L, E)

(Reshaping (N, L, E) straight to (N, h, L, d) would cut the sequence into heads instead.)

``multi_head_attention(x, mha)`` computes the self-attention of x (N, L, E) with the parameters of
``mha``, an ``nn.MultiheadAttention(E, h, batch_first=True)``: ``mha.in_proj_weight`` (3E, E) and
``mha.in_proj_bias`` (3E,) hold W_Q, W_K, W_V and their biases stacked (``F.linear(x, W, b)`` then
``.chunk(3, dim=-1)``), ``mha.num_heads`` is h and ``mha.out_proj`` is the output layer. Use
``F.scaled_dot_product_attention`` on the split heads; it divides by √d itself. The checker
compares with ``mha(x, x, x)``.

Check your work:  python -m minigrad check tutorials/17_multi_head.py   (or run this file).
"""
import minigrad.nn.functional as F


def split_heads(x, h):
    """(N, L, E) -> (N, h, L, E // h)."""
    raise NotImplementedError("exercise: reshape to (N, L, h, E // h), then swap the L and h axes")


def merge_heads(z):
    """(N, h, L, d) -> (N, L, h * d): the heads side by side again."""
    raise NotImplementedError("exercise: swap the h and L axes back, then reshape")


def multi_head_attention(x, mha):
    """Self-attention of x (N, L, E) with the weights of ``mha`` (nn.MultiheadAttention)."""
    raise NotImplementedError("exercise: project to q, k, v, split the heads, attend, merge, output projection")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
