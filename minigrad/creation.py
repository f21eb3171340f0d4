"""Making tensors: ``tensor`` and the factories (``zeros``, ``randn``, ``arange``, ...).

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=`` as in PyTorch. Floats default
to float32, integers to int64. Random factories draw from ``minigrad.random``'s seeded generator.
"""
from . import backend, random as _random
from .dtypes import int64, DEFAULT_FLOAT as _DEFAULT_FLOAT
from . import dtypes
from .tensor import Tensor, _shape_arg, cat


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
    return _finish(_xp(device).zeros(_shape_arg(size), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).ones(_shape_arg(size), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).empty(_shape_arg(size), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    return _finish(_xp(device).full(_shape_arg((size,)), fill_value, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).eye(n, m, dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        dtype = int64 if all(isinstance(v, int) for v in (start, end, step)) else dtypes.DEFAULT_FLOAT
    return _finish(_xp(device).arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).linspace(start, end, steps).astype(dtype or dtypes.DEFAULT_FLOAT), requires_grad)


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


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return empty(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def set_default_dtype(dtype):
    """The dtype Python floats and float factories give (float32 unless changed), as PyTorch."""
    dtype = dtypes.as_dtype(dtype, 'set_default_dtype')
    if not dtypes.is_floating(dtype):
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {dtype}")
    dtypes.DEFAULT_FLOAT = dtype


def get_default_dtype():
    return dtypes.DEFAULT_FLOAT


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return dtypes.is_floating(t.dtype)


def numel(t):
    return t.numel()


def meshgrid(*tensors, indexing='ij'):
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (PyTorch's default) or ``'xy'``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ('ij', 'xy'):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim > 1 for t in tensors):
        raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got shapes {[tuple(t.shape) for t in tensors]}")
    vectors = [t.reshape(-1) for t in tensors]
    if indexing == 'xy' and len(vectors) >= 2:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v.shape[0] for v in vectors)
    grids = [v.reshape(tuple(-1 if k == i else 1 for k in range(len(shape)))).expand(*shape)
             for i, v in enumerate(vectors)]
    if indexing == 'xy' and len(grids) >= 2:
        grids = [g.transpose(0, 1) for g in grids]
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


concat = concatenate = cat


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], dim=0)


def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], dim=1)


__all__ = ['tensor', 'from_numpy', 'zeros', 'ones', 'empty', 'full', 'eye', 'arange', 'linspace',
           'rand', 'randn', 'randint', 'zeros_like', 'ones_like', 'full_like', 'randn_like', 'rand_like',
           ]
