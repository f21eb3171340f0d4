"""minigrad.cuda: is a GPU usable, and waiting for it.

Beside this file: ``kernels.py``, the fused CUDA kernels (source, launch, ``usable``), and
``fused.py``, the glue through which the ops in ``minigrad.ops`` call them as an early return.
"""
from ..backend import is_available, synchronize
from ..amp import GradScaler
from .. import amp
from .. import random as _random


def device_count():
    """How many GPUs minigrad can use: 1 where CuPy finds a GPU (minigrad uses one), else 0."""
    return 1 if is_available() else 0


def current_device():
    return 0


def manual_seed(seed):
    """Seeds minigrad's generators (the CPU's and the GPU's are reseeded together)."""
    _random.manual_seed(seed)


manual_seed_all = manual_seed

__all__ = ['is_available', 'synchronize', 'device_count', 'current_device', 'manual_seed', 'manual_seed_all',
           'amp', 'GradScaler']
