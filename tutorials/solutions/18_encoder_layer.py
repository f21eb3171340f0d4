"""Exercise 18 — the encoder layer: add & norm, attention, feed-forward.

Follows chapter 9 (notebooks/09_transformer.ipynb, §2–3) and article 001 §4.1 (残差连接, 层归一化),
article 003 §3.2.3 (编码器). The original Transformer wraps each sub-layer in "add, then normalise"
(post-norm):

    h = LN_1(x + SelfAttention(x))              SelfAttention(x) = layer.self_attn(x, x, x)[0]
    y = LN_2(h + FFN(h))                        FFN(h) = linear2(relu(linear1(h)))

``add_and_norm(x, sublayer_out, norm)`` returns norm(x + sublayer_out). ``encoder_layer(x, layer)``
computes y from the parts of ``layer``, an ``nn.TransformerEncoderLayer(E, h, batch_first=True)``
with dropout off: ``layer.self_attn``, ``layer.linear1``, ``layer.linear2``, ``layer.norm1``,
``layer.norm2``. The checker compares with ``layer(x)``.

Check your work:  python -m minigrad check tutorials/18_encoder_layer.py   (or run this file).
"""


def add_and_norm(x, sublayer_out, norm):
    """The residual connection, then layer norm: norm(x + sublayer_out)."""
    return norm(x + sublayer_out)


def encoder_layer(x, layer):
    """One post-norm encoder layer of x (N, L, E), by hand from the parts of ``layer``."""
    h = add_and_norm(x, layer.self_attn(x, x, x)[0], layer.norm1)           # sub-layer 1: self-attention
    return add_and_norm(h, layer.linear2(layer.linear1(h).relu()), layer.norm2)   # sub-layer 2: FFN


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
