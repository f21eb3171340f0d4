"""The array backend: which array module (NumPy or CuPy) holds a tensor's data.

Every op asks ``get_array_module(array)`` for ``xp`` and calls ``xp.exp``, ``xp.matmul``
and so on, never ``numpy`` directly; that one rule is what lets the same op run on the
CPU (NumPy) and on the GPU (CuPy, the ``'cuda'`` device).

Tests may install a stand-in for CuPy with ``set_cuda_module`` (see ``tests/fake_cupy.py``):
a module whose arrays refuse to mix with ``numpy.ndarray``, so an op that builds a host array
on the device path fails loudly on a machine without a GPU.
"""
import numpy

_cuda_module = None          # cupy, a test double, or None when there is no GPU
_cuda_probed = False


def _probe_cupy():
    global _cuda_module, _cuda_probed
    if not _cuda_probed:
        _cuda_probed = True
        try:
            import cupy
            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cuda_module = cupy
        except Exception:       # no CuPy, no driver, or no device: CPU only
            _cuda_module = None
    return _cuda_module


def set_cuda_module(module):
    """Use ``module`` as the array module of the ``'cuda'`` device (``None`` turns it off)."""
    global _cuda_module, _cuda_probed
    _cuda_module, _cuda_probed = module, True


def is_available():
    """True when a CUDA device can be used (CuPy installed and a GPU present)."""
    return _probe_cupy() is not None


def cuda_module():
    xp = _probe_cupy()
    if xp is None:
        raise RuntimeError(
            "device 'cuda' is not available: minigrad needs CuPy and an NVIDIA GPU for it. "
            "Install CuPy with `pip install -e \".[gpu]\"` (or `pip install cupy-cuda12x`).")
    return xp


def is_numpy(xp):
    """True when the array module ``xp`` is NumPy (the CPU), False for CuPy or its test double."""
    return xp is numpy


def is_cupy(xp):
    """True when the array module ``xp`` is the real CuPy (not NumPy, not a test double of it)."""
    return getattr(xp, '__name__', None) == 'cupy'


def get_array_module(*arrays):
    """The module (numpy or the CUDA module) whose arrays these are."""
    xp = _cuda_module
    if xp is not None:
        for a in arrays:
            if isinstance(a, xp.ndarray):
                return xp
    return numpy


def is_array(obj):
    """True for a NumPy array or an array of the CUDA module (not for NumPy scalars)."""
    xp = _cuda_module
    return isinstance(obj, numpy.ndarray) or (xp is not None and isinstance(obj, xp.ndarray))


def device_of(array):
    """``device('cpu')`` for a NumPy array, ``device('cuda')`` for a CUDA array."""
    xp = _cuda_module
    return CUDA if xp is not None and isinstance(array, xp.ndarray) else CPU


class device(str):
    """A device, as PyTorch's ``torch.device``: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 0)``.

    It is a ``str`` equal to its type (``device('cuda:0') == 'cuda'``), so it goes wherever a device
    string does; ``.type`` and ``.index`` are as in PyTorch. minigrad uses one GPU, so the index is kept
    but not used."""

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        name = str(type)
        if ':' in name:
            name, _, number = name.partition(':')
            if not number.isdigit():
                raise ValueError(f"device: invalid device string {type!r} (expected e.g. 'cuda:0')")
            index = int(number)
        if name not in ('cpu', 'cuda'):
            raise ValueError(f"unknown device {type!r}: expected 'cpu' or 'cuda'")
        self = super().__new__(cls, name)
        self.type, self.index = name, index
        return self

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    __hash__ = str.__hash__


CPU = device('cpu')
CUDA = device('cuda')


def check_device(where):
    """Normalise a device (``'cpu'``, ``'cuda'``, ``'cuda:0'``, a ``device``) and check it can be used."""
    if where is None:
        return None
    if where == 'cpu' and where.__class__ is str:
        return CPU
    d = device(where)
    if d.type == 'cuda':
        cuda_module()
        return CUDA
    return CPU


def is_device_name(value):
    """True for what names a device: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` (or an object whose ``str`` is one)."""
    return isinstance(value, str) and (value in ('cpu', 'cuda') or value.startswith('cuda:'))


def module_for(where):
    return numpy if check_device(where) in (None, 'cpu') else cuda_module()


def to_device(array, where):
    """The array moved to device ``where`` (the same object when it is already there)."""
    where = check_device(where)
    if where is None or device_of(array) == where:
        return array
    if where == 'cpu':
        return array.get()
    return cuda_module().asarray(array)


def synchronize():
    """Wait for all queued GPU work to finish (a no-op without a GPU)."""
    if is_available():
        _cuda_module.cuda.Device().synchronize()


_default_device = CPU


def set_default_device(where):
    """Where factories put new tensors when no ``device=`` is given (the test suite's ``--device``)."""
    global _default_device
    _default_device = check_device(where) or CPU


def default_device():
    return _default_device


def scatter_add(out, idx, values):
    """out[idx] += values, with repeated indices accumulating (NumPy's ``add.at``)."""
    get_array_module(out).add.at(out, idx, values)
