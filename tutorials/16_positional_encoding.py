"""Exercise 16 — the sinusoidal positional-encoding table.

Follows chapter 8 (notebooks/08_multi_head_attention.ipynb, §3) and article 000 §3.3, article 003
§2 (位置编码). Attention by itself ignores the order of the tokens, so the Transformer adds to each
token's embedding a vector that depends on its position pos:

    PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
    PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))

Column pair (2i, 2i + 1) turns at its own frequency, from fast (i = 0) to very slow. Here 2i is
the even column index itself: 0, 2, 4, ... (``minigrad.arange(0, d_model, 2)``).

``positional_encoding(max_len, d_model)`` returns the float32 (max_len, d_model) table (d_model
even). Build the (max_len, d_model/2) angles by broadcasting a column of positions against a row
of frequencies, then fill the even columns with sin and the odd ones with cos (slice assignment
``table[:, 0::2] = ...`` on a ``minigrad.zeros`` table, or ``minigrad.stack(..., dim=-1)`` and a
reshape). ``add_positions(x, table)`` adds the table's first L rows to a batch x (N, L, d_model).

The checker compares with ``nn.PositionalEncoding``: its table (the buffer ``pe``) and its forward.

Check your work:  python -m minigrad check tutorials/16_positional_encoding.py   (or run this file).
"""
import minigrad


def positional_encoding(max_len, d_model):
    """The (max_len, d_model) float32 table: sin in the even columns, cos in the odd ones."""
    raise NotImplementedError("exercise: the angles pos / 10000^(2i / d_model), then sin and cos interleaved")


def add_positions(x, table):
    """x (N, L, d_model) plus the first L rows of the table."""
    raise NotImplementedError("exercise: slice the table to the sequence length and add (broadcasting over the batch)")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
