"""minigrad.cuda: is a GPU usable, and waiting for it. (Fused CuPy kernels live beside this file.)"""
from ..backend import is_available, synchronize

__all__ = ['is_available', 'synchronize']
