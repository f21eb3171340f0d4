"""Reference solution of tutorials/16_positional_encoding.py (the sinusoidal positional-encoding table).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad


def positional_encoding(max_len, d_model):
    """The (max_len, d_model) float32 table: sin in the even columns, cos in the odd ones."""
    pos = minigrad.arange(max_len, dtype=minigrad.float64)[:, None]
    two_i = minigrad.arange(0, d_model, 2, dtype=minigrad.float64)
    angle = pos / 10000.0 ** (two_i / d_model)
    return minigrad.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, d_model).float()


def add_positions(x, table):
    """x (N, L, d_model) plus the first L rows of the table."""
    return x + table[:x.shape[1]]


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
