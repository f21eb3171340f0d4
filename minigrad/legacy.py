"""PyTorch's legacy tensor types, still met in older tutorials: ``LongTensor([1, 2])``, ``FloatTensor(2, 3)``.

``LongTensor(data)`` is ``tensor(data, dtype=long)``; ``FloatTensor(2, 3)`` (sizes) is an
uninitialised tensor of that shape, as in PyTorch. ``isinstance(t, LongTensor)`` asks about the dtype.
"""
from . import dtypes
from .creation import tensor, empty


class _LegacyType(type):
    def __instancecheck__(cls, obj):
        return getattr(obj, 'dtype', None) == cls.dtype

    def __call__(cls, *args):
        if len(args) == 1 and not isinstance(args[0], int):
            return tensor(args[0], dtype=cls.dtype)
        return empty(*args, dtype=cls.dtype)


def _legacy(name, dtype):
    return _LegacyType(name, (), {'dtype': dtype, '__doc__': f"``{name}(data)`` is ``tensor(data, dtype={dtype})``."})


FloatTensor = _legacy('FloatTensor', dtypes.float32)
DoubleTensor = _legacy('DoubleTensor', dtypes.float64)
HalfTensor = _legacy('HalfTensor', dtypes.float16)
LongTensor = _legacy('LongTensor', dtypes.int64)
IntTensor = _legacy('IntTensor', dtypes.int32)
BoolTensor = _legacy('BoolTensor', dtypes.bool_)
ByteTensor = _legacy('ByteTensor', dtypes.uint8)
