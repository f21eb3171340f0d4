"""Reference solution of tutorials/15_masks.py (attention masks: causal and padding).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad


def causal_mask(L):
    """A bool (L, L) tensor, True where query i may attend to key j (j <= i)."""
    idx = minigrad.arange(L)
    return idx[None, :] <= idx[:, None]


def padding_mask(lengths, S):
    """A bool (N, 1, S) tensor, True where key j of sequence n is real (j < lengths[n])."""
    return (minigrad.arange(S)[None, :] < lengths[:, None]).unsqueeze(1)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
