"""minigrad.cuda: is a GPU usable, and waiting for it.

Beside this file: ``kernels.py``, the fused CUDA kernels (source, launch, ``usable``), and
``fused.py``, the glue through which the ops in ``minigrad.ops`` call them as an early return.
"""
from ..backend import is_available, synchronize

__all__ = ['is_available', 'synchronize']
