"""A stand-in for CuPy, built on NumPy, so the ``'cuda'`` code path is exercised without a GPU.

Its arrays (``ndarray``, a NumPy subclass) behave like device memory in one respect that
matters: they refuse to mix with plain ``numpy.ndarray``s. CuPy raises when an op combines a
device array with a host array; this double raises too, so an op that builds a host array on
the device path (a bare ``numpy.zeros`` in a backward, say) fails in CI. A bare ``numpy.`` call
on a device array also raises. Moving data is explicit, as in CuPy: ``asarray`` (host to device)
and ``.get()`` (device to host).

Install it with ``minigrad.backend.set_cuda_module(fake_cupy)``; ``pytest --device fake`` does that.
"""
import types

import numpy

_ALLOW = False   # set while the double itself calls NumPy on unwrapped arrays


class ndarray(numpy.ndarray):
    """A 'device' array."""

    def get(self):
        """Copy to the host, as ``cupy.ndarray.get``."""
        return numpy.array(self.view(numpy.ndarray))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_host(inputs, f"{ufunc.__name__}.{method}")
        if 'out' in kwargs:
            _refuse_host(kwargs['out'], f"{ufunc.__name__}.{method} out=")
            kwargs['out'] = tuple(_unwrap(o) for o in kwargs['out'])
        result = getattr(ufunc, method)(*[_unwrap(x) for x in inputs], **kwargs)
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        if not _ALLOW:
            raise TypeError(
                f"fake cupy: numpy.{func.__name__} was called on a device array; "
                f"use the array module from get_array_module() instead")
        return super().__array_function__(func, types_, args, kwargs)

    def __setitem__(self, key, value):
        _refuse_host((value,), "setitem")
        _refuse_host(key if isinstance(key, tuple) else (key,), "setitem index")
        numpy.ndarray.__setitem__(self.view(numpy.ndarray), _unwrap(key), _unwrap(value))

    def __getitem__(self, key):
        _refuse_host(key if isinstance(key, tuple) else (key,), "getitem index")
        return _wrap(numpy.ndarray.__getitem__(self.view(numpy.ndarray), _unwrap(key)))

    def __array__(self, dtype=None, copy=None):
        if not _ALLOW:
            raise TypeError("fake cupy: implicit conversion of a device array to a NumPy array; use .get()")
        return self.view(numpy.ndarray)


def _is_host(x):
    return isinstance(x, numpy.ndarray) and not isinstance(x, ndarray)


def _refuse_host(items, where):
    for x in items:
        if isinstance(x, (tuple, list)):
            _refuse_host(x, where)
        elif _is_host(x):
            raise TypeError(f"fake cupy: {where} mixes a device array with a host numpy.ndarray "
                            f"of shape {x.shape}")


def _unwrap(x):
    if isinstance(x, ndarray):
        return x.view(numpy.ndarray)
    if isinstance(x, tuple):
        return tuple(_unwrap(v) for v in x)
    if isinstance(x, list):
        return [_unwrap(v) for v in x]
    return x


def _wrap(x):
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, numpy.ndarray):
        return x.view(ndarray)
    if isinstance(x, numpy.generic):          # CuPy never returns NumPy scalars: 0-d arrays instead
        return numpy.asarray(x).view(ndarray)
    return x


def _device_function(name, fn, allow_host=False):
    def call(*args, **kwargs):
        global _ALLOW
        if not allow_host:
            _refuse_host(args, name)
            _refuse_host(kwargs.values(), name)
        _ALLOW = True
        try:
            return _wrap(fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
        finally:
            _ALLOW = False
    call.__name__ = name
    return call


class _Module(types.ModuleType):
    """Every NumPy function, wrapped to take and return device arrays."""

    ndarray = ndarray

    def __getattr__(self, name):
        attr = getattr(numpy, name)
        if isinstance(attr, numpy.ufunc):
            return attr                     # ufuncs dispatch to ndarray.__array_ufunc__
        if callable(attr) and not isinstance(attr, type):
            return _device_function(name, attr)
        return attr


fake = _Module('fake_cupy')
# host -> device copies are explicit, as in CuPy
fake.asarray = _device_function('asarray', numpy.asarray, allow_host=True)
fake.array = _device_function('array', numpy.array, allow_host=True)
fake.asnumpy = lambda a: a.get()


class _Generator:
    def __init__(self, seed):
        self._g = numpy.random.default_rng(seed)

    def __getattr__(self, name):
        return _device_function(name, getattr(self._g, name))


fake.random = types.SimpleNamespace(default_rng=_Generator)
fake.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_device_function('as_strided', numpy.lib.stride_tricks.as_strided),
    sliding_window_view=_device_function('sliding_window_view', numpy.lib.stride_tricks.sliding_window_view)))
fake.cuda = types.SimpleNamespace(Device=lambda *a: types.SimpleNamespace(synchronize=lambda: None))
