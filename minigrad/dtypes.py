"""Dtypes: their names and PyTorch's aliases, and the rule for the dtype of a mixed operation.

minigrad's dtypes are NumPy's dtype objects (``minigrad.float32 is numpy.dtype('float32')``), so
``tensor.dtype == minigrad.float32`` and ``tensor.data.dtype`` agree. PyTorch's aliases name the
same objects: ``float``/``float32``, ``double``/``float64``, ``half``/``float16``, ``long``/``int64``,
``int``/``int32``.

Promotion follows PyTorch rather than NumPy. Dtypes fall in three categories, bool < integer <
floating point, and operands have three priorities: tensors with dimensions, 0-d tensors, Python
scalars. An operand of lower priority changes the result only when its category is higher, and a
Python scalar then brings the default dtype of its category (float32, int64), never float64. So an
int tensor times 2.5 is float32, float32 with a float64 tensor is float64, and float32 with a
float64 0-d tensor stays float32.
"""
import numbers

import numpy

float16 = half = numpy.dtype('float16')
float32 = numpy.dtype('float32')
float64 = double = numpy.dtype('float64')
uint8 = numpy.dtype('uint8')
int8 = numpy.dtype('int8')
int16 = short = numpy.dtype('int16')
int32 = numpy.dtype('int32')
int64 = long = numpy.dtype('int64')
bool_ = numpy.dtype('bool')

DEFAULT_FLOAT = float32          # what Python floats and float factories become
DEFAULT_INT = int64              # what Python ints become

# priorities of operands in promotion
SCALAR, ZERO_DIM, DIMENSIONED = 0, 1, 2

BOOL, INTEGER, FLOATING = 0, 1, 2


def category(dtype):
    """``BOOL``, ``INTEGER`` or ``FLOATING``: promotion moves up the categories."""
    kind = dtype.kind
    return BOOL if kind == 'b' else INTEGER if kind in 'iu' else FLOATING


def is_floating(dtype):
    return dtype.kind == 'f'


def scalar_dtype(value):
    """The dtype a Python scalar brings to an operation: bool, int64 or float32."""
    if isinstance(value, (bool, numpy.bool_)):
        return bool_
    if isinstance(value, numbers.Integral):
        return DEFAULT_INT
    return DEFAULT_FLOAT


def result_type(a, a_priority, b, b_priority):
    """The dtype of an operation on operands of dtypes ``a`` and ``b`` with the given priorities."""
    if a_priority == b_priority:
        ca, cb = category(a), category(b)
        if ca != cb:
            return a if ca > cb else b
        return numpy.promote_types(a, b)
    high, low = (a, b) if a_priority > b_priority else (b, a)
    return low if category(low) > category(high) else high


def as_dtype(value, op='dtype'):
    """``minigrad.float64``, ``numpy.float64``, ``'float64'`` or ``float`` as one dtype object."""
    if isinstance(value, numpy.dtype):
        return value
    if value is float:
        return DEFAULT_FLOAT
    if value is int:
        return DEFAULT_INT
    if value is bool:
        return bool_
    if isinstance(value, str) and value.replace('torch.', '').replace('minigrad.', '') in _NAMES:
        return _NAMES[value.replace('torch.', '').replace('minigrad.', '')]
    try:
        dtype = numpy.dtype(value)
    except TypeError:
        raise TypeError(f"{op}: {value!r} is not a dtype (expected e.g. minigrad.float32)") from None
    if dtype.kind not in 'biuf':
        raise TypeError(f"{op}: minigrad has no {dtype} tensors (bool, integer and floating dtypes only)")
    return dtype


_NAMES = {'float': float32, 'double': float64, 'half': float16, 'long': int64, 'int': int32,
          'short': int16, 'bool': bool_}
