"""Making tensors: ``tensor`` and the factories (``zeros``, ``randn``, ``arange``, ...).

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=`` as in PyTorch. Floats default
to float32, integers to int64. Random factories draw from ``minigrad.random``'s seeded generator.
"""
from . import backend, random as _random
from .dtypes import int64, DEFAULT_FLOAT as _DEFAULT_FLOAT
from .tensor import Tensor, _shape_arg


def _finish(arr, requires_grad):
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def _xp(device):
    return backend.module_for(device or backend.default_device())


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor)."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is an array (or tensor) of the right dtype
    and device; otherwise a converted copy, as ``tensor``. Never requires grad."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if backend.is_array(data):
        if (dtype is None or data.dtype == dtype) and (
                device is None or backend.device_of(data) == backend.check_device(device)):
            return Tensor._make(data)
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (it keeps the array's dtype)."""
    return Tensor._make(array)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).zeros(_shape_arg(size), dtype=dtype or _DEFAULT_FLOAT), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).ones(_shape_arg(size), dtype=dtype or _DEFAULT_FLOAT), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).empty(_shape_arg(size), dtype=dtype or _DEFAULT_FLOAT), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    return _finish(_xp(device).full(_shape_arg((size,)), fill_value, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).eye(n, m, dtype=dtype or _DEFAULT_FLOAT), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        dtype = int64 if all(isinstance(v, int) for v in (start, end, step)) else _DEFAULT_FLOAT
    return _finish(_xp(device).arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).linspace(start, end, steps).astype(dtype or _DEFAULT_FLOAT), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    xp = _xp(device)
    arr = _random.generator(xp).random(_shape_arg(size)).astype(dtype or _DEFAULT_FLOAT)
    return _finish(arr, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    xp = _xp(device)
    arr = _random.generator(xp).standard_normal(_shape_arg(size)).astype(dtype or _DEFAULT_FLOAT)
    return _finish(arr, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, requires_grad=False):
    """Integers uniformly from [low, high) (``randint(high, size)`` takes low = 0)."""
    if high is None or isinstance(high, (tuple, list)):     # randint(high, size), as PyTorch
        low, high, size = 0, low, (size if high is None else high)
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be less than high ({high})")
    xp = _xp(device)
    arr = _random.generator(xp).integers(low, high, size=_shape_arg((size,))).astype(dtype or int64)
    return _finish(arr, requires_grad)


def _like(t, dtype, device):
    return dict(dtype=dtype or t.dtype, device=device or t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, requires_grad=requires_grad, **_like(t, dtype, device))


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return randn(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return rand(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


__all__ = ['tensor', 'from_numpy', 'zeros', 'ones', 'empty', 'full', 'eye', 'arange', 'linspace',
           'rand', 'randn', 'randint', 'zeros_like', 'ones_like', 'full_like', 'randn_like', 'rand_like',
           ]
