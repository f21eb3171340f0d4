"""The seeded random generators: ``manual_seed(n)`` makes every random draw in minigrad repeatable.

One generator per array module (NumPy for ``'cpu'``, CuPy for ``'cuda'``), both reseeded together,
so factories, initialisation, dropout and shuffling all draw from the same seeded stream.
"""
import numpy


_seed = None
_generators = {}


def manual_seed(seed):
    """Reseed every generator minigrad uses; returns the seed."""
    global _seed
    _seed = int(seed)
    _generators.clear()
    return _seed


def generator(xp=numpy):
    """The generator for array module ``xp`` (``random``, ``standard_normal``, ``integers``)."""
    g = _generators.get(xp)
    if g is None:
        g = _generators[xp] = xp.random.default_rng(_seed)
    return g
