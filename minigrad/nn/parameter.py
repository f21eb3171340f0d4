"""``minigrad.nn.parameter``: PyTorch's path to the parameter classes (``nn.parameter.Parameter``...).

They live in ``module.py`` beside ``Module``, which needs them to register and save parameters.
"""
from .module import Parameter, UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ['Parameter', 'UninitializedParameter', 'UninitializedBuffer', 'is_lazy']
