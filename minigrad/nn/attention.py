"""Attention: the ``MultiheadAttention`` layer.

Scaled dot-product attention (article 000 §3.3, article 003 §3.2.1) is softmax(Q Kᵀ / √d_k + M) V:
each query takes a weighted average of the values, weighted by how well it matches each key
(``F.scaled_dot_product_attention``; the steps, and the two ways they are computed, are in
``F.attention_with_weights``). Multi-head attention (article 000 §3.3, article 003 §3.2.2) runs h
of these side by side on smaller projections and concatenates the results:

    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)
    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O

Nothing here loops over heads: the h heads are one extra batch axis, made by reshaping the
projected (N, L, E) tensor to (N, L, h, E/h) and moving the head axis forward to (N, h, L, E/h).
Every ``@`` then works on all batch elements and all heads at once.
"""
import math

from ..creation import empty
from ..tensor import Tensor, bool_
from . import functional as F
from . import init
from .linear import Linear
from .module import Module, Parameter


class MultiheadAttention(Module):
    """Multi-head attention (article 000 §3.3, article 003 §3.2.2), with PyTorch's parameters.

        q, k, v = query W_qᵀ + b_q,  key W_kᵀ + b_k,  value W_vᵀ + b_v       (packed: W = [W_q; W_k; W_v])
        head_i  = softmax(q_i k_iᵀ / √(E/h) + mask) v_i                       for the h slices of E/h features
        output  = Concat(head_1, ..., head_h) W_oᵀ + b_o                      (``out_proj``)

    Parameters: ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) hold the three input
    projections stacked (one matmul does all three for self-attention), ``out_proj`` is a Linear(E, E).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) takes (L, N, E) inputs, or (N, L, E) with
    ``batch_first=True``, or unbatched (L, E), and returns ``(output, weights)``: weights (N, L, S)
    averaged over heads, (N, h, L, S) with ``average_attn_weights=False``, None with ``need_weights=False``.

    Masks follow PyTorch's MultiheadAttention, where **True means "may not attend"** (the reverse
    of ``scaled_dot_product_attention``): ``attn_mask`` is (L, S) or (N·h, L, S), ``key_padding_mask``
    is (N, S) and marks padded keys; float masks are added to the scores.
    ``is_causal=True`` beside an ``attn_mask`` is PyTorch's hint that the mask is the causal one: when
    neither the weights nor a key padding mask need the mask itself, it is dropped and the tiled
    attention skips the hidden tiles instead of adding -inf to them.
    Deliberate differences from PyTorch: ``is_causal=True`` without ``attn_mask`` applies the causal
    mask (PyTorch asks for the mask too), and a query that may see no key gets zero weights, not NaN.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads != 0:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple "
                             f"of num_heads ({num_heads})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim))
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim))
        else:
            self.register_parameter('in_proj_bias', None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        self._reset_parameters()

    def _reset_parameters(self):
        # PyTorch's choice: Xavier for the packed projection (fan_in E, fan_out 3E), zero biases;
        # out_proj.weight keeps Linear's own initialisation.
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " \
               f"batch_first={self.batch_first}"

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        op = "MultiheadAttention"
        E, h = self.embed_dim, self.num_heads
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
            if t.ndim not in (2, 3) or t.shape[-1] != E:
                raise ValueError(f"{op}: expected {name} of shape (L, N, {E}), (N, L, {E}) with "
                                 f"batch_first=True, or unbatched (L, {E}); got {tuple(t.shape)}")
        if not (query.ndim == key.ndim == value.ndim):
            raise ValueError(f"{op}: query, key and value must all be batched or all unbatched, got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        for name, m in (("attn_mask", attn_mask), ("key_padding_mask", key_padding_mask)):
            if m is not None and not isinstance(m, Tensor):
                raise TypeError(f"{op}: {name} must be a Tensor, got {type(m).__name__}")
        unbatched = query.ndim == 2
        batch_axis = 0 if self.batch_first or unbatched else 1
        if key.shape != value.shape or (not unbatched and key.shape[batch_axis] != query.shape[batch_axis]):
            raise ValueError(f"{op}: key and value must have the same shape and the batch size of query, "
                             f"got query {tuple(query.shape)}, key {tuple(key.shape)}, value "
                             f"{tuple(value.shape)} (batch_first={self.batch_first})")
        if unbatched:       # one sequence: give it a batch axis of 1 and take it off at the end
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:   # work batch-first inside: (L, N, E) -> (N, L, E)
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, S = query.shape[0], query.shape[1], key.shape[1]

        q, k, v = self._project(query, key, value)
        # (N, L, E) -> (N, L, h, E/h) -> (N, h, L, E/h): the heads become a batch axis
        q = q.reshape(N, L, h, self.head_dim).transpose(1, 2)
        k = k.reshape(N, S, h, self.head_dim).transpose(1, 2)
        v = v.reshape(N, S, h, self.head_dim).transpose(1, 2)

        if is_causal and attn_mask is not None and key_padding_mask is None and not need_weights:
            attn_mask = None        # PyTorch's rule: is_causal is then a promise that the mask is causal
        bias = self._mask_bias(attn_mask, key_padding_mask, N, L, S, query)
        causal = is_causal and attn_mask is None      # with a mask still given, the mask decides
        dropout_p = self.dropout if self.training else 0.0
        scale = 1.0 / math.sqrt(self.head_dim)
        z, weights = F.attention_with_weights(q, k, v, bias, causal, dropout_p, scale, need_weights)
        # Concat(head_1..head_h): (N, h, L, E/h) -> (N, L, h, E/h) -> (N, L, E), then W^O
        out = self.out_proj(z.transpose(1, 2).reshape(N, L, E))

        if unbatched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights.squeeze(0) if unbatched else weights)

    def _project(self, query, key, value):
        """q, k, v from the packed weight: one matmul when query, key and value are one tensor."""
        W, b = self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:
            return F.linear(query, W, b).chunk(3, dim=-1)
        E = self.embed_dim
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return (F.linear(query, W[:E], bq), F.linear(key, W[E:2 * E], bk),
                F.linear(value, W[2 * E:], bv))

    def _mask_bias(self, attn_mask, key_padding_mask, N, L, S, like):
        """attn_mask and key_padding_mask as one float bias broadcasting to the (N, h, L, S) scores.

        Here True means "masked out", so the bool masks flip before becoming 0 / -inf floats.
        """
        op, h = "MultiheadAttention", self.num_heads
        bias = None
        if attn_mask is not None:
            if attn_mask.shape == (L, S):
                shaped = attn_mask
            elif attn_mask.shape == (N * h, L, S):
                shaped = attn_mask.reshape(N, h, L, S)
            else:
                raise ValueError(f"{op}: attn_mask must have shape (L, S) = {(L, S)} or "
                                 f"(N*num_heads, L, S) = {(N * h, L, S)}, got {tuple(attn_mask.shape)}")
            bias = self._as_bias(shaped, like)
        if key_padding_mask is not None:
            if key_padding_mask.shape != (N, S):
                raise ValueError(f"{op}: key_padding_mask must have shape (N, S) = {(N, S)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
            pad = self._as_bias(key_padding_mask.reshape(N, 1, 1, S), like)
            bias = pad if bias is None else bias + pad
        return bias

    @staticmethod
    def _as_bias(mask, like):
        if mask.dtype == bool_:
            return F.additive_mask(~mask, like.dtype)
        if mask.dtype != like.dtype:
            raise TypeError(f"MultiheadAttention: a float mask must have the input's dtype "
                            f"{like.dtype}, got {mask.dtype}")
        return mask
