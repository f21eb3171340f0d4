"""Exercise 24 — the memory of attention: the score matrix against one tile.

Follows chapter 15 (notebooks/15_running_on_a_gpu.ipynb, §3) and article 003 §1.1 (the cost of large models).
Composed attention holds the score matrix S = Q Kᵀ / √d_k of every sequence and every head at once:

    score_matrix_bytes(batch, heads, L, S, bytes_per_number) = batch · heads · L · S · bytes_per_number

(float32: 4 bytes a number, float16: 2). Tiled attention holds one block×block tile of it at a time:

    tile_bytes(block, bytes_per_number) = block · block · bytes_per_number

Both return Python ints (bytes; 1 MiB = 2**20 bytes).

Check your work:  python -m minigrad check tutorials/24_attention_memory.py   (or run this file).
"""


def score_matrix_bytes(batch, heads, L, S, bytes_per_number=4):
    """Bytes of the (batch, heads, L, S) score matrix."""
    return batch * heads * L * S * bytes_per_number


def tile_bytes(block, bytes_per_number=4):
    """Bytes of one block×block tile of scores."""
    return block * block * bytes_per_number


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
