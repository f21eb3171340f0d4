"""minigrad: a deep-learning framework small enough to read, in NumPy (and CuPy on a GPU).

    import minigrad
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad        # tensor([2., 4., 6.])

The namespace is PyTorch's, so ``import minigrad as torch`` runs PyTorch programs: dtypes and their
aliases (``minigrad.float``, ``minigrad.long``), ``minigrad.device``, the factories, and the
top-level form of every Tensor method PyTorch has at top level (``minigrad.exp(x)``; see
``functions.py``).
"""
from . import dtypes
from .dtypes import (float16, half, float32, float64, double, uint8, int8, int16, short, int32, int64, long,
                     bool_ as bool)
from .dtypes import float32 as float                      # noqa: A001  (PyTorch's alias, shadows the builtin)
from .dtypes import int32 as int                          # noqa: A001
from .backend import device, set_default_device
from .tensor import Tensor, cat, stack, where, einsum
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, arange, linspace, rand,
                       randn, randint, randperm, multinomial, normal, bernoulli, zeros_like, ones_like,
                       full_like, randn_like, rand_like, randint_like, empty_like,
                       set_default_dtype, get_default_dtype, is_tensor, is_floating_point, numel,
                       meshgrid, concat, concatenate, hstack, vstack, column_stack)
from .functions import FUNCTIONS as _FUNCTIONS
from .autograd import no_grad, enable_grad, is_grad_enabled, set_grad_enabled
from .random import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state,
                     set_rng_state)
from . import autograd, cuda, backend, backends, amp
from .amp import autocast
from .serialization import save, load
from .legacy import FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, BoolTensor, ByteTensor
from .safetensors import load_file as load_safetensors, save_file as save_safetensors
from . import nn, optim, utils  # noqa: E402  (the layers above the engine, as `minigrad.nn`)

globals().update({name: f for name, f in _FUNCTIONS.items() if name not in globals()})
accelerator = backends.accelerator
set_float32_matmul_precision = backends.set_float32_matmul_precision
get_float32_matmul_precision = backends.get_float32_matmul_precision

__version__ = '0.1.0'


def __getattr__(name):
    if name == 'bfloat16':
        raise AttributeError("minigrad.bfloat16: NumPy has no bfloat16 dtype, so minigrad has none either; "
                             "use minigrad.float16 (half) or minigrad.float32")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
