"""minigrad: a deep-learning framework small enough to read, in NumPy (and CuPy on a GPU).

    import minigrad
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad        # tensor([2., 4., 6.])
"""
from .tensor import (Tensor, cat, stack, where, einsum, float16, float32, float64, int32, int64,
                     bool_ as bool)
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, arange, linspace, rand, randn,
                       randint, zeros_like, ones_like, full_like, randn_like, rand_like)
from .autograd import no_grad, enable_grad, is_grad_enabled, set_grad_enabled
from .random import manual_seed
from . import autograd, cuda, backend
from .serialization import save, load
from .safetensors import load_file as load_safetensors, save_file as save_safetensors
from . import nn, optim, utils  # noqa: E402  (the layers above the engine, as `minigrad.nn`)

__version__ = '0.1.0'
