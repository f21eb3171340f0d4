"""Making tensors: ``tensor`` and the factories (``zeros``, ``randn``, ``arange``, ...).

Every factory takes ``dtype=``, ``device=`` and ``requires_grad=`` as in PyTorch. Floats default
to float32, integers to int64. Random factories draw from ``minigrad.random``'s seeded generators.
"""
from . import backend, random as _random
from . import dtypes
from .dtypes import float32, float64, int64, as_dtype
from .tensor import Tensor, _shape_arg, _size_arg, cat


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
    return _finish(_xp(device).zeros(_size_arg(size, 'zeros'), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).ones(_size_arg(size, 'ones'), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).empty(_size_arg(size, 'empty'), dtype=dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    return _finish(_xp(device).full(_size_arg((size,), 'full'), fill_value, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    n, m = _size_arg((n, n if m is None else m), 'eye')
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
    steps, = _size_arg((steps,), 'linspace')
    return _finish(_xp(device).linspace(start, end, steps).astype(dtype or dtypes.DEFAULT_FLOAT), requires_grad)


# ----- random factories and sampling -----
# Each draws from the default generator of the result's device, or from ``generator=`` when given
# (see ``minigrad.random``); the same seed gives the same draws.

def _drawn_dtype(dtype):
    """The dtype to draw floats in: NumPy's and CuPy's generators make float32 and float64 directly.
    (Drawing float64 and rounding to float32 could turn a value just below 1 into 1.0, outside [0, 1).)"""
    dtype = as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    return dtype if dtype in (float32, float64) else float64


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    xp = _xp(device)
    draw = _random.rng(xp, generator, 'rand').random(_size_arg(size, 'rand'), dtype=_drawn_dtype(dtype))
    return _finish(draw.astype(dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples (mean 0, standard deviation 1)."""
    xp = _xp(device)
    draw = _random.rng(xp, generator, 'randn').standard_normal(_size_arg(size, 'randn'), dtype=_drawn_dtype(dtype))
    return _finish(draw.astype(dtype or dtypes.DEFAULT_FLOAT), requires_grad)


def randint(low, high=None, size=(), *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniformly from [low, high) (``randint(high, size)`` takes low = 0)."""
    if high is None or isinstance(high, (tuple, list)):     # randint(high, size), as PyTorch
        low, high, size = 0, low, (size if high is None else high)
    if low >= high:
        raise RuntimeError(f"randint: low ({low}) must be less than high ({high})")
    xp = _xp(device)
    draw = _random.rng(xp, generator, 'randint').integers(low, high, size=_size_arg((size,), 'randint'))
    return _finish(draw.astype(dtype or int64), requires_grad)


def randperm(n, *, generator=None, dtype=int64, device=None, requires_grad=False):
    """A random permutation of ``0, 1, ..., n-1``.

    It is the order that sorts ``n`` uniform random keys, which works the same on every device
    (CuPy's generator has no ``permutation``) and is how PyTorch permutes on the GPU."""
    n, = _shape_arg((n,), 'randperm')
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    xp = _xp(device)
    keys = _random.rng(xp, generator, 'randperm').random(n)
    return _finish(xp.argsort(keys).astype(dtype), requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn with probabilities proportional to the weights in ``input``.

    ``input`` holds non-negative weights (they need not sum to 1): one distribution of shape
    ``(categories,)`` or one per row of a ``(rows, categories)`` tensor. The result is int64 of shape
    ``(num_samples,)`` or ``(rows, num_samples)``. Without replacement every category is drawn at
    most once per row, so ``num_samples`` can't exceed the number of categories.

    With replacement each draw inverts the cumulative distribution: a uniform ``u`` picks the first
    category whose cumulative weight (scaled to end at 1) exceeds it. Without replacement each
    category gets the key ``weight / E`` with ``E`` a standard exponential draw, and the
    ``num_samples`` largest keys win (the "exponential race", also PyTorch's method).
    """
    op = 'multinomial'
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: prob_dist must be 1 or 2 dim, got shape {tuple(input.shape)}")
    if input.dtype.kind != 'f':
        raise RuntimeError(f"{op}: only supports floating-point dtypes for input, got {input.dtype}")
    categories = input.shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"{op}: cannot sample n_sample <= 0 samples (num_samples={num_samples})")
    if not replacement and num_samples > categories:
        raise RuntimeError(f"{op}: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"(num_samples={num_samples}, {categories} categories)")
    xp = backend.get_array_module(input.data)
    weights = input.data.reshape(-1, categories).astype(float64)
    if not bool(xp.all(xp.isfinite(weights) & (weights >= 0))):
        raise RuntimeError(f"{op}: probability tensor contains either `inf`, `nan` or element < 0 "
                           f"(smallest weight {float(weights.min())})")
    totals = weights.sum(axis=1)
    if not bool(xp.all(totals > 0)):
        raise RuntimeError(f"{op}: invalid multinomial distribution (sum of probabilities <= 0) in rows "
                           f"{xp.nonzero(totals <= 0)[0].tolist()}")
    rng = _random.rng(xp, generator, op)
    if replacement:
        cdf = xp.cumsum(weights, axis=1) / totals[:, None]
        u = rng.random((weights.shape[0], num_samples))
        # per row, the number of cumulative weights at or below u is the first category above it
        picks = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2)
        picks = xp.minimum(picks, categories - 1)        # u can round up to the last cumulative weight
    else:
        keys = weights / rng.standard_exponential(weights.shape)
        picks = xp.argsort(-keys, axis=1)[:, :num_samples]
    return _finish(picks.reshape(input.shape[:-1] + (num_samples,)).astype(int64), False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples ``mean + std * z``, as ``torch.normal``.

    Either ``mean`` or ``std`` (or both) is a tensor: one sample per element of their broadcast
    shape, with that element's mean and standard deviation, on their device. Or both are numbers
    and ``size`` gives the shape: ``normal(0.0, 2.0, (3, 4))``.
    """
    op = 'normal'
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError(f"{op}: with a number for both mean ({mean}) and std ({std}), give the size, "
                            f"as normal({mean}, {std}, (2, 3))")
        if std < 0:
            raise RuntimeError(f"{op}: expects std >= 0.0, got {std}")
        z = randn(size, generator=generator, dtype=dtype, device=device)
        return _finish((z.data * std + mean).astype(z.dtype), requires_grad)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError(f"{op}: size, dtype, device and requires_grad go only with numbers for both mean "
                        f"and std; with a tensor the result takes its shape, dtype and device")
    xp = backend.get_array_module(tensors[0].data)
    dtype = xp.result_type(*(t.dtype for t in tensors))
    if dtype.kind != 'f':
        raise RuntimeError(f"{op}: expects floating-point mean and std tensors, got {dtype}")
    mean_, std_ = (xp.asarray(v.data if isinstance(v, Tensor) else v, dtype=dtype) for v in (mean, std))
    if not bool(xp.all(std_ >= 0)):
        raise RuntimeError(f"{op}: expects all elements of std >= 0.0, got {float(std_.min())}")
    shape = xp.broadcast(mean_, std_).shape
    z = _random.rng(xp, generator, op).standard_normal(shape, dtype=_drawn_dtype(dtype))
    return _finish((mean_ + std_ * z).astype(dtype), False)


def bernoulli(input, *, generator=None):
    """0/1 samples: each element is 1 with the probability given by that element of ``input``."""
    op = 'bernoulli'
    if input.dtype.kind != 'f':
        raise RuntimeError(f"{op}: expects a floating-point tensor of probabilities, got {input.dtype}")
    xp = backend.get_array_module(input.data)
    p = input.data
    if not bool(xp.all((p >= 0) & (p <= 1))):
        raise RuntimeError(f"{op}: expects probabilities 0 <= p <= 1, got values from {float(p.min())} "
                           f"to {float(p.max())}")
    u = _random.rng(xp, generator, op).random(p.shape)
    return _finish((u < p).astype(p.dtype), False)


def _like(t, dtype, device):
    return dict(dtype=dtype or t.dtype, device=device or t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, requires_grad=requires_grad, **_like(t, dtype, device))


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, requires_grad=requires_grad, **_like(t, dtype, device))


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, generator=generator, requires_grad=requires_grad, **_like(input, dtype, device))


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, generator=generator, requires_grad=requires_grad, **_like(input, dtype, device))


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Like ``randint`` with ``input``'s shape; ``randint_like(x, high)`` takes low = 0."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, generator=generator, requires_grad=requires_grad,
                   **_like(input, dtype, device))


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
    if indexing == 'xy' and len(grids) >= 2:       # 'ij' grids of (y, x, ...), the first two swapped back
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
           'rand', 'randn', 'randint', 'randperm', 'multinomial', 'normal', 'bernoulli', 'zeros_like',
           'ones_like', 'full_like', 'randn_like', 'rand_like', 'randint_like']
