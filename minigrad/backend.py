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
    """``'cpu'`` for a NumPy array, ``'cuda'`` for a CUDA array."""
    xp = _cuda_module
    return 'cuda' if xp is not None and isinstance(array, xp.ndarray) else 'cpu'


def check_device(device):
    """Normalise a device name (``'cpu'``, ``'cuda'``, ``'cuda:0'``) and check it can be used."""
    if device is None:
        return None
    name = str(device)
    if name == 'cpu':
        return 'cpu'
    if name == 'cuda' or name.startswith('cuda:'):
        cuda_module()
        return 'cuda'
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def is_device_name(value):
    """True for what names a device: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` (or an object whose ``str`` is one)."""
    name = value if isinstance(value, str) else getattr(value, 'type', None) and str(value)
    return isinstance(name, str) and (name in ('cpu', 'cuda') or name.startswith('cuda:'))


def module_for(device):
    return numpy if check_device(device) in (None, 'cpu') else cuda_module()


def to_device(array, device):
    """The array moved to ``device`` (the same object when it is already there)."""
    device = check_device(device)
    if device is None or device_of(array) == device:
        return array
    if device == 'cpu':
        return array.get()
    return cuda_module().asarray(array)


def synchronize():
    """Wait for all queued GPU work to finish (a no-op without a GPU)."""
    if is_available():
        _cuda_module.cuda.Device().synchronize()


_default_device = 'cpu'


def set_default_device(device):
    """Where factories put new tensors when no ``device=`` is given (the test suite's ``--device``)."""
    global _default_device
    _default_device = check_device(device) or 'cpu'


def default_device():
    return _default_device


def scatter_add(out, idx, values):
    """out[idx] += values, with repeated indices accumulating (NumPy's ``add.at``)."""
    get_array_module(out).add.at(out, idx, values)
