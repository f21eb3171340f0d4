"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds ``data`` (a NumPy array, or a CuPy array on ``'cuda'``) and, when it takes part
in a computation that needs gradients, ``grad_fn``: the graph node (a ``Function``) that made
it. ``loss.backward()`` walks those nodes backwards and fills ``.grad`` of the leaves (article
002: forward propagation computes the loss, backpropagation its gradient).

Every method here is a thin call into one op of ``minigrad.ops``; the maths lives there, one
``Function`` per op with its forward and backward side by side.

Dtype promotion follows PyTorch rather than NumPy (the rule is in ``dtypes.py``).
"""
import functools
import math
import numbers
import operator
from collections import namedtuple
from types import SimpleNamespace

import numpy

from . import backend, dtypes
from .dtypes import float16, float32, float64, int32, int64, bool_
from . import random as _random
from .autograd import function as _function
from .autograd.grad_mode import _State
from .autograd import api as _api
from . import ops     # ops.elementwise.Add, ops.shape.Reshape, ...: the module names say which family

_PY_SCALARS = (float, int)

MaxMin = namedtuple('MaxMin', ['values', 'indices'])   # what max(dim)/min(dim) return, as PyTorch
SortResult = namedtuple('SortResult', ['values', 'indices'])   # sort, topk, kthvalue


def _promote(a, b):
    """The result dtype of a binary op on ``a`` (a Tensor) and ``b`` (a Tensor or Python scalar)."""
    if not isinstance(b, Tensor):
        return dtypes.result_type(a.dtype, _priority(a), dtypes.scalar_dtype(b), dtypes.SCALAR)
    return dtypes.result_type(a.dtype, _priority(a), b.dtype, _priority(b))


def _priority(t):
    return dtypes.ZERO_DIM if t.data.ndim == 0 else dtypes.DIMENSIONED


def _numpy_spellings(method):
    """Accept the NumPy keywords PyTorch also accepts: ``axis=`` for ``dim=``, ``keepdims=`` for
    ``keepdim=``, ``unbiased=`` for ``correction=``, and ``dtype=`` (cast first)."""
    @functools.wraps(method)
    def accepting_numpy_keywords(self, *args, **kwargs):
        if kwargs:
            if 'axis' in kwargs:
                kwargs['dim'] = kwargs.pop('axis')
            if 'keepdims' in kwargs:
                kwargs['keepdim'] = kwargs.pop('keepdims')
            if 'unbiased' in kwargs:
                kwargs['correction'] = int(kwargs.pop('unbiased'))
            dtype = kwargs.pop('dtype', None)
            if dtype is not None:
                self = self.to(dtype)
        return method(self, *args, **kwargs)
    return accepting_numpy_keywords


class Tensor:
    """An array with autograd: ``Tensor(data, dtype=None, device=None, requires_grad=False)``."""

    __slots__ = ('data', '_grad', '_requires_grad', 'grad_fn', '_output_nr', '_version', '__weakref__',
                 '_post_accumulate_grad_hooks')     # set only by register_post_accumulate_grad_hook
    __hash__ = object.__hash__      # __eq__ is elementwise, so hashing stays by identity

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self._fill(_new_array(data, dtype, device))
        if requires_grad:
            self.requires_grad_(True)

    def _fill(self, data, requires_grad=False, grad_fn=None, output_nr=0, version=None):
        """Write every slot: the one place a tensor's fields are set, by each constructor.

        ``grad_fn`` is the node that made the tensor and ``output_nr`` which of its outputs it is;
        ``version`` counts in-place changes and is shared by views of one memory."""
        self.data = data
        self._grad = None
        self._requires_grad = requires_grad
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._version = [0] if version is None else version
        return self

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0, version=None):
        """The engine's constructor: wraps an array as it is (no copy, no conversion)."""
        return object.__new__(cls)._fill(data, requires_grad, grad_fn, output_nr, version)

    def _wrap(self, data):
        return Tensor._make(data, False, None, 0)

    def _scalar(self, value):
        """A 0-d constant with this tensor's dtype and device."""
        return self._wrap(self._xp.asarray(value, dtype=self.data.dtype))

    def _ones_like(self):
        return self._wrap(self._xp.ones(self.data.shape, self.data.dtype))

    def _zeros_like(self):
        return self._wrap(self._xp.zeros(self.data.shape, self.data.dtype))

    def _randn_like(self):
        g = _random.generator(self._xp)
        return self._wrap(g.standard_normal(self.data.shape).astype(self.data.dtype))

    @property
    def _xp(self):
        return backend.get_array_module(self.data)

    # ----- attributes -----
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        """All axes reversed (for a matrix, its transpose)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        """The last two axes swapped (a batch of transposed matrices)."""
        n = self.ndim
        if n < 2:
            raise ValueError(f"mT: needs at least 2 dims, got shape {tuple(self.shape)}")
        return ops.shape.Permute.apply(self, tuple(range(n - 2)) + (n - 1, n - 2))

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[self._dim(dim, 'size')]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """NumPy arithmetic that meets a Tensor: ``ndarray * t`` is a Tensor (differentiable, as ``t * ndarray``),
        and ``array += t`` writes into the array, so PyTorch's ``p.data += -lr * p.grad`` works."""
        op = _UFUNC_OPERATORS.get(ufunc.__name__)
        if method != '__call__' or op is None or kwargs or len(inputs) != 2:
            return NotImplemented
        a, b = (x if isinstance(x, Tensor) else as_tensor_like(x, self) for x in inputs)
        result = op(a, b)
        if out is None:
            return result
        target = out[0]
        target[...] = result.data
        return target

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats a one-element tensor as its number, as PyTorch."""
        if spec and self.data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        body = numpy.array2string(self._host(), separator=', ', prefix='tensor(')
        extras = []
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=minigrad.{self.dtype}")
        if self.device != 'cpu':
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ----- conversions -----
    def _host(self):
        return backend.to_device(self.data, 'cpu')

    def numpy(self):
        """The data as a NumPy array (shares memory on the CPU)."""
        if self.requires_grad:
            raise RuntimeError(
                f"numpy: can't call numpy() on a tensor that requires grad (shape {tuple(self.shape)}); "
                f"use tensor.detach().numpy()")
        return self._host()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"item: only one-element tensors can be converted to Python scalars, got shape "
                f"{tuple(self.shape)}")
        return self.data.item()

    def tolist(self):
        return self._host().tolist()

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.data.size} elements is ambiguous "
                f"(shape {tuple(self.shape)}); use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if dtypes.category(self.dtype) != dtypes.INTEGER:
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def detach(self):
        """The same data, cut off from the graph (shares memory and version counter)."""
        t = self._wrap(self.data)
        t._version = self._version
        return t

    def clone(self):
        return ops.elementwise.Clone.apply(self)

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``; differentiable."""
        device, dtype = parse_to(args, kwargs)
        out = self
        if device is not None and device != self.device:
            out = ops.elementwise.ToDevice.apply(out, device)
        if dtype is not None and dtype != out.dtype:
            out = ops.elementwise.Cast.apply(out, dtype)
        return out

    def cpu(self):
        return self.to('cpu')

    def cuda(self):
        return self.to('cuda')

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def bool(self):
        return self.to(bool_)

    def type(self, dtype=None):
        """With no argument, the type's name as PyTorch spells it (``'torch.FloatTensor'``, so programs
        that compare it keep working); ``type(dtype)`` converts, as ``to(dtype)``."""
        if dtype is None:
            return 'torch.' + _LEGACY_NAMES.get(self.dtype, str(self.dtype)) + 'Tensor'
        if isinstance(dtype, str) and dtype.endswith('Tensor'):
            dtype = _LEGACY_TYPES[dtype.split('.')[-1][:-len('Tensor')]]
        return self.to(dtype)

    def half(self):
        return self.to(float16)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor with this tensor's dtype and device unless given (as the other ``new_*``)."""
        return Tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def _new(self, op, fill, size, dtype, device, requires_grad):
        shape = _size_arg(size, op)
        xp = backend.module_for(device or self.device)
        t = Tensor._make(xp.full(shape, fill, dtype=dtypes.as_dtype(dtype) if dtype is not None else self.dtype))
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new('new_zeros', 0, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new('new_ones', 1, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new('new_empty', 0, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new('new_full', fill_value, (size,), dtype, device, requires_grad)

    def is_contiguous(self):
        return bool(self.data.flags.c_contiguous)

    def stride(self, dim=None):
        """Steps in elements (not bytes, unlike NumPy's ``strides``) between neighbours along each dim."""
        steps = tuple(st // self.data.itemsize for st in self.data.strides)
        return steps if dim is None else steps[self._dim(dim, 'stride')]

    def nelement(self):
        return self.data.size

    def element_size(self):
        return self.data.itemsize

    def type_as(self, other):
        return self.to(other.dtype)

    # ----- autograd -----
    # ``requires_grad`` and ``grad`` are properties so that assigning them is checked as PyTorch does:
    # an int tensor must not require grad (its gradient would be truncated to ints), and a gradient of
    # the wrong shape would be broadcast by the optimizer into a silently wrong update.
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        self.requires_grad_(requires_grad)

    @property
    def grad(self):
        """dL/dself after ``backward()`` (None before), with this tensor's shape, dtype and device."""
        return self._grad

    @grad.setter
    def grad(self, grad):
        if grad is not None:
            if not isinstance(grad, Tensor):
                raise TypeError(f"grad: expected a Tensor or None, got {type(grad).__name__}")
            if grad.shape != self.shape or grad.dtype != self.dtype or grad.device != self.device:
                raise RuntimeError(
                    f"grad: can't assign a gradient of shape {tuple(grad.shape)} ({grad.dtype}, "
                    f"{grad.device}) to a tensor of shape {tuple(self.shape)} ({self.dtype}, {self.device})")
        self._grad = grad

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Backpropagate from this tensor; a non-scalar tensor needs ``gradient`` (dL/dself)."""
        _api.backward(self, gradient, retain_graph, create_graph)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` in each backward once this leaf's gradient is fully summed into ``.grad``
        (DistributedDataParallel starts averaging gradients from here, while backward goes on).
        Returns a handle whose ``remove()`` takes the hook off again."""
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: only a leaf tensor accumulates into .grad")
        hooks = getattr(self, '_post_accumulate_grad_hooks', None)
        if hooks is None:
            hooks = self._post_accumulate_grad_hooks = []
        hooks.append(hook)
        return SimpleNamespace(remove=lambda: hooks.remove(hook))   # PyTorch's RemovableHandle, just remove()

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self.grad_fn is not None:
            if self.grad_fn._retained is None:
                self.grad_fn._retained = []
            if all(t is not self for t in self.grad_fn._retained):
                self.grad_fn._retained.append(self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain the gradient of a tensor that does not require grad")

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise RuntimeError(
                f"requires_grad_: only floating-point tensors can require gradients, got {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: a non-leaf tensor's requires_grad can't be turned off; use detach()")
        self._requires_grad = requires_grad
        return self

    # ----- arithmetic -----
    def _coerce(self, other, op):
        """Both operands as Tensors on one device, cast to the promoted dtype where NumPy would differ."""
        if isinstance(other, Tensor):
            if other.data.dtype == self.data.dtype:
                return self, other
            dt = _promote(self, other)
        elif other.__class__ in _PY_SCALARS or isinstance(other, (numbers.Number, numpy.bool_)):
            dt = self.data.dtype
            if not (dt.kind == 'f' and other.__class__ in _PY_SCALARS):
                dt = _promote(self, other)
            # on the CPU a NumPy scalar of the right dtype is the cheapest 0-d operand
            value = dt.type(other) if self.data.__class__ is numpy.ndarray else self._xp.asarray(other, dtype=dt)
            return (self if self.dtype == dt else self.to(dt)), self._wrap(value)
        else:
            other = Tensor(other, device=self.device)
            return self._coerce(other, op)
        a = self if self.dtype == dt else self.to(dt)
        b = other if other.dtype == dt else other.to(dt)
        return a, b

    def _binary(self, op, other, reverse=False):
        if other.__class__ is Tensor and other.data.dtype == self.data.dtype:   # the common case, fast
            return op.apply(other, self) if reverse else op.apply(self, other)
        a, b = self._coerce(other, op)
        return op.apply(b, a) if reverse else op.apply(a, b)

    def __add__(self, other):
        return self._binary(ops.elementwise.Add, other)

    def __radd__(self, other):
        return self._binary(ops.elementwise.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ops.elementwise.Sub, other)

    def __rsub__(self, other):
        return self._binary(ops.elementwise.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ops.elementwise.Mul, other)

    def __rmul__(self, other):
        return self._binary(ops.elementwise.Mul, other, reverse=True)

    def _dividend(self, other):
        """``self`` as the left operand of ``/``: int / int is a float in PyTorch (float32, not NumPy's
        float64), so an integer tensor divided by anything but a float tensor is converted first."""
        a = self if dtypes.is_floating(self.dtype) or (isinstance(other, Tensor) and dtypes.is_floating(other.dtype)) \
            or (isinstance(other, float)) else self.to(dtypes.DEFAULT_FLOAT)
        return a

    def __truediv__(self, other):
        return self._dividend(other)._binary(ops.elementwise.Div, other)

    def __rtruediv__(self, other):
        return self._dividend(other)._binary(ops.elementwise.Div, other, reverse=True)

    def __floordiv__(self, other):
        a, b = self._coerce(other, 'floor_divide')
        return self._wrap(a.data // b.data)

    def __rfloordiv__(self, other):
        a, b = self._coerce(other, 'floor_divide')
        return self._wrap(b.data // a.data)

    def __mod__(self, other):
        a, b = self._coerce(other, 'remainder')
        return self._wrap(a.data % b.data)

    def __neg__(self):
        return ops.elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return self._binary(ops.elementwise.PowTensor, exponent)
        if not isinstance(exponent, numbers.Number):
            exponent = Tensor(exponent, device=self.device)
            return self._binary(ops.elementwise.PowTensor, exponent)
        base = self if dtypes.is_floating(self.dtype) or not isinstance(exponent, float) else self.to(dtypes.DEFAULT_FLOAT)
        return ops.elementwise.Pow.apply(base, exponent)

    def __rpow__(self, base):
        return self._binary(ops.elementwise.PowTensor, base, reverse=True)

    def pow(self, exponent):
        return self ** exponent

    def __matmul__(self, other):
        a, b = self._coerce(other, 'matmul')
        _check_matmul(a, b)
        return ops.linalg.MatMul.apply(a, b)

    def __rmatmul__(self, other):
        a, b = self._coerce(other, 'matmul')
        _check_matmul(b, a)
        return ops.linalg.MatMul.apply(b, a)

    def matmul(self, other):
        return self @ other

    # comparisons and logic: results are bool tensors, outside the graph
    def _compare(self, other, fn):
        if other is None:
            return NotImplemented
        a, b = self._coerce(other, 'compare')
        return self._wrap(fn(a.data, b.data))

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def _logical(self, other, fn, op):
        other_dtype = other.dtype if isinstance(other, Tensor) else dtypes.scalar_dtype(other)
        if dtypes.is_floating(self.dtype) or dtypes.is_floating(other_dtype):
            raise TypeError(f"{op}: only bool and integer tensors, got {self.dtype} and {other_dtype}")
        return self._compare(other, fn)

    def __and__(self, other):
        return self._logical(other, lambda a, b: a & b, 'and')

    def __or__(self, other):
        return self._logical(other, lambda a, b: a | b, 'or')

    def __xor__(self, other):
        return self._logical(other, lambda a, b: a ^ b, 'xor')

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if dtypes.is_floating(self.dtype):
            raise TypeError(f"invert (~): only bool and integer tensors, got {self.dtype}")
        return self._wrap(~self.data)

    def logical_not(self):
        return self._wrap(self._xp.logical_not(self.data))

    def isnan(self):
        return self._wrap(self._xp.isnan(self.data))

    def isfinite(self):
        return self._wrap(self._xp.isfinite(self.data))

    @_numpy_spellings
    def all(self, dim=None, keepdim=False):
        return self._wrap(self._xp.asarray(self.data.all(axis=self._dims(dim, 'all'), keepdims=keepdim)))

    @_numpy_spellings
    def any(self, dim=None, keepdim=False):
        return self._wrap(self._xp.asarray(self.data.any(axis=self._dims(dim, 'any'), keepdims=keepdim)))

    def equal(self, other):
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8):
        return bool(self._xp.allclose(self.data, other.data, rtol=rtol, atol=atol))

    # ----- elementwise functions -----
    def _float(self):
        """Integer inputs of a float function (exp, log, ...) are first converted, as PyTorch."""
        return self if dtypes.is_floating(self.dtype) else self.to(dtypes.DEFAULT_FLOAT)

    def exp(self):
        return ops.elementwise.Exp.apply(self._float())

    def log(self):
        return ops.elementwise.Log.apply(self._float())

    def log1p(self):
        return ops.elementwise.Log1p.apply(self._float())

    def sqrt(self):
        return ops.elementwise.Sqrt.apply(self._float())

    def rsqrt(self):
        return self._float() ** -0.5

    def reciprocal(self):
        return 1.0 / self._float()

    def abs(self):
        return ops.elementwise.Abs.apply(self)

    def sign(self):
        return ops.elementwise.Sign.apply(self)

    def sin(self):
        return ops.elementwise.Sin.apply(self._float())

    def cos(self):
        return ops.elementwise.Cos.apply(self._float())

    def tanh(self):
        return ops.elementwise.Tanh.apply(self._float())

    def sigmoid(self):
        return ops.elementwise.Sigmoid.apply(self._float())

    def relu(self):
        return ops.elementwise.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        return ops.elementwise.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other):
        return self._binary(ops.elementwise.Maximum, other)

    def minimum(self, other):
        return self._binary(ops.elementwise.Minimum, other)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, ``self`` elsewhere (mask broadcasts)."""
        if not isinstance(mask, Tensor) or mask.dtype != bool_:
            got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
            raise TypeError(f"masked_fill: expected a bool tensor as mask, got {got}")
        check_broadcast(mask.shape, self.shape, 'masked_fill', 'mask')
        a, v = self._coerce(value, 'masked_fill')
        if a.dtype != self.dtype:          # the result keeps self's dtype, as PyTorch
            a, v = self, v.to(self.dtype)
        return ops.elementwise.Where.apply(mask, v, a)

    @_numpy_spellings
    def softmax(self, dim):
        return ops.activation.Softmax.apply(self._float(), self._dim(dim, 'softmax'))

    @_numpy_spellings
    def log_softmax(self, dim):
        return ops.activation.LogSoftmax.apply(self._float(), self._dim(dim, 'log_softmax'))

    # ----- reductions -----
    def _dim(self, dim, op):
        n = max(self.ndim, 1)
        if not (dim.__class__ is int or isinstance(dim, numbers.Integral)) or not -n <= dim < n:
            raise IndexError(
                f"{op}: dimension {dim} out of range for a tensor of shape {tuple(self.shape)} "
                f"(expected an int in [{-n}, {n - 1}])")
        return int(dim) % n

    def _dims(self, dim, op):
        """``dim`` (None, int or tuple) as a sorted tuple of axes, or None for all axes."""
        if dim is None or self.ndim == 0:
            if dim is not None:
                for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
                    self._dim(d, op)
            return None
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        out = tuple(sorted(self._dim(d, op) for d in dims))
        if len(set(out)) != len(out):
            raise ValueError(f"{op}: dimension repeated in {dim}")
        return out

    def _accumulating(self, reduce):
        """``reduce(self)``, in float32 when self is float16 (see ``in_float32``)."""
        return reduce(self) if self.data.dtype != float16 else in_float32(reduce, self)

    @_numpy_spellings
    def sum(self, dim=None, keepdim=False):
        dims = self._dims(dim, 'sum')
        return self._accumulating(lambda x: ops.reduce.Sum.apply(x, dims, keepdim))

    @_numpy_spellings
    def mean(self, dim=None, keepdim=False):
        if not dtypes.is_floating(self.dtype):
            raise TypeError(f"mean: needs a floating-point tensor, got {self.dtype} (use .float())")
        dims = self._dims(dim, 'mean')
        return self._accumulating(lambda x: ops.reduce.Mean.apply(x, dims, keepdim))

    def _mean_exact(self, dims):
        """The mean over ``dims`` (kept), corrected once by the mean of the residuals: Σx/n rounds, so
        for a constant group of large values x - mean can come out nonzero (and normalised, that noise
        would become ±1); the corrected mean is x exactly there, as PyTorch's Welford algorithm."""
        mean = self.mean(dims, keepdim=True)
        return mean + (self - mean).mean(dims, keepdim=True)

    def _count(self, dims, correction):
        """n - correction, n the number of elements in each group that ``dims`` reduces."""
        n = self.numel() if dims is None else int(numpy.prod([self.shape[d] for d in dims]))
        return max(n - correction, 0)

    @_numpy_spellings
    def var(self, dim=None, correction=1, keepdim=False):
        """Σ (x - mean)² / (n - correction); correction=1 is the unbiased estimate."""
        dims = self._dims(dim, 'var')

        def var(x):
            centred = x - x._mean_exact(dims)
            return (centred * centred).sum(dims, keepdim=keepdim) / self._count(dims, correction)
        return self._accumulating(var)

    @_numpy_spellings
    def std(self, dim=None, correction=1, keepdim=False):
        """√(Σ (x - mean)² / (n - correction)), computed as ‖x - mean‖ / √(n - correction): the norm
        scales before squaring, so std([1e30, -1e30]) is finite, and its gradient is 0, not NaN,
        where all values are equal (as PyTorch)."""
        dims = self._dims(dim, 'std')
        count = self._count(dims, correction)
        return self._accumulating(
            lambda x: (x - x._mean_exact(dims)).norm(2, dims, keepdim) / math.sqrt(count))
    def _extreme_dims(self, dim, op):
        """``_dims`` for max, min, argmax and argmin, which have no answer over an empty group."""
        dims = self._dims(dim, op)
        if self.numel() == 0 and (dims is None or any(self.shape[d] == 0 for d in dims)):
            raise IndexError(f"{op}: can't reduce over an empty dimension (shape {tuple(self.shape)}, "
                             f"dim {dim}); there is no largest or smallest element")
        return dims

    @_numpy_spellings
    def amax(self, dim=None, keepdim=False):
        return ops.reduce.AMax.apply(self, self._extreme_dims(dim, 'amax'), keepdim)

    @_numpy_spellings
    def amin(self, dim=None, keepdim=False):
        return ops.reduce.AMin.apply(self, self._extreme_dims(dim, 'amin'), keepdim)

    def _extreme(self, dim, keepdim, largest):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None:
            return self.amax() if largest else self.amin()
        op = 'max' if largest else 'min'
        self._extreme_dims(dim, op)
        d = self._dim(dim, op)
        indices = self.argmax(d, keepdim=True) if largest else self.argmin(d, keepdim=True)
        values = self.gather(d, indices)
        if not keepdim and self.ndim:
            values, indices = values.squeeze(d), indices.squeeze(d)
        return MaxMin(values, indices)

    @_numpy_spellings
    def max(self, dim=None, keepdim=False):
        """max() is the largest element; max(dim) is (values, indices); max(tensor) is maximum."""
        return self._extreme(dim, keepdim, True)

    @_numpy_spellings
    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, False)

    @_numpy_spellings
    def argmax(self, dim=None, keepdim=False):
        return self._arg('argmax', dim, keepdim)

    @_numpy_spellings
    def argmin(self, dim=None, keepdim=False):
        return self._arg('argmin', dim, keepdim)

    def _arg(self, name, dim, keepdim):
        xp = self._xp
        self._extreme_dims(dim, name)
        if dim is None:
            out = getattr(xp, name)(self.data.reshape(-1))
            return self._wrap(xp.asarray(out, dtype=int64).reshape((1,) * self.ndim if keepdim else ()))
        d = self._dim(dim, name)
        if self.ndim == 0:
            return self._wrap(xp.zeros((), dtype=int64))
        out = getattr(xp, name)(self.data, axis=d)
        out = out.astype(int64, copy=False)
        return self._wrap(xp.expand_dims(out, d) if keepdim else out)

    @_numpy_spellings
    def logsumexp(self, dim=None, keepdim=False):
        """log Σ exp(x), computed as m + log Σ exp(x - m) with m the max, so it never overflows."""
        dims = self._dims(dim, 'logsumexp')
        x = self._float()
        m = x.amax(dims, keepdim=True).detach()
        m = m.masked_fill(~m.isfinite(), 0)
        out = (x - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.reshape(_drop(out.shape, dims))

    @_numpy_spellings
    def prod(self, dim=None, keepdim=False):
        return ops.reduce.Prod.apply(self, self._dims(dim, 'prod'), keepdim)

    @_numpy_spellings
    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm (Σ |x|^p)^(1/p); p=2 is the Euclidean length, p=inf the largest |x|."""
        if p == float('inf'):
            return self.abs().amax(dim, keepdim)
        if p == 2:
            return self._accumulating(lambda x: x._euclidean(dim, keepdim))
        return self._accumulating(lambda x: (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p))

    def _euclidean(self, dim, keepdim):
        """√Σ x², as s · √Σ (x/s)² with s = max |x| (a constant): squaring 1e30 in float32 overflows,
        squaring x/s never does. sqrt has an infinite slope at 0; PyTorch's subgradient there is 0,
        so an all-zero group takes s = 1 and both sides of the sqrt are masked."""
        if self.numel() == 0:           # nothing to scale, and no max to scale by: Σ x² is 0
            return (self * self).sum(dim, keepdim)
        s = self.abs().amax(dim, keepdim=True).detach()
        s = s.masked_fill(~s.isfinite() | (s == 0), 1)      # inf and NaN pass through unscaled
        y = self / s
        sq = (y * y).sum(dim, keepdim)
        zero = sq == 0
        scale = s if keepdim else s.reshape(sq.shape)
        return sq.masked_fill(zero, 1).sqrt().masked_fill(zero, 0) * scale

    # ----- shape -----
    def reshape(self, *shape):
        """The same elements in a new shape; one size may be -1 (inferred)."""
        return self._reshape(_shape_arg(shape, 'reshape'), 'reshape')

    def _reshape(self, shape, op):
        if shape == self.shape:
            return self
        known = 1
        for s_ in shape:
            known *= s_ if s_ != -1 else 1
        n = self.data.size
        if shape.count(-1) > 1 or any(s_ < -1 for s_ in shape) or (
                n != known if -1 not in shape else (known == 0 or n % known)):
            raise ValueError(f"{op}: shape {shape} is invalid for a tensor of shape {tuple(self.shape)} "
                             f"({n} elements)")
        return ops.shape.Reshape.apply(self, shape)

    def view(self, *shape):
        """As ``reshape``. Unlike PyTorch's ``view`` it never fails on non-contiguous memory (it copies)."""
        return self._reshape(_shape_arg(shape, 'view'), 'view')

    def view_as(self, other):
        return self.reshape(other.shape)

    def permute(self, *dims):
        dims = _shape_arg(dims, 'permute')
        if sorted(self._dim(d, 'permute') for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {tuple(self.shape)}")
        dims = tuple(self._dim(d, 'permute') for d in dims)
        return self if dims == tuple(range(self.ndim)) else ops.shape.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        dims = list(range(self.ndim))
        a, b = self._dim(dim0, 'transpose'), self._dim(dim1, 'transpose')
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(*dims)

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not isinstance(dim, numbers.Integral) or not -n <= dim < n:
            raise IndexError(f"unsqueeze: dimension {dim} out of range for a new tensor of {n} dims "
                             f"(input shape {tuple(self.shape)})")
        d = dim % n
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = self._dims(dim, 'squeeze') or ()
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._dim(start_dim, 'flatten'), self._dim(end_dim, 'flatten')
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        n = 1
        for k in self.shape[s:e + 1]:
            n *= k
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1:])

    def expand(self, *sizes):
        sizes = _shape_arg(sizes, 'expand')
        if len(sizes) < self.ndim:
            raise ValueError(f"expand: the number of sizes {len(sizes)} is smaller than the number of "
                             f"dims of shape {tuple(self.shape)}")
        lead = len(sizes) - self.ndim
        if any(s == -1 for s in sizes[:lead]):
            raise ValueError(f"expand: -1 is not allowed for a new leading dim (sizes {sizes}, "
                             f"shape {tuple(self.shape)})")
        shape = tuple(s if s != -1 else self.shape[i - lead] for i, s in enumerate(sizes))
        for i, s in enumerate(self.shape):
            if s != 1 and s != shape[lead + i]:
                raise ValueError(f"expand: shape {tuple(self.shape)} can't be expanded to {shape} "
                                 f"(dim {lead + i}: {s} vs {shape[lead + i]})")
        return self if shape == self.shape else ops.shape.Expand.apply(self, shape)

    def broadcast_to(self, shape):
        return self.expand(*shape)

    def expand_as(self, other):
        return self.expand(*other.shape)

    def sum_to_size(self, *shape):
        """Sum over broadcast axes until the shape is ``shape`` (the reverse of ``expand``)."""
        shape = _shape_arg(shape, 'sum_to_size')
        if self.shape == shape:
            return self
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1)
        out = ops.reduce.Sum.apply(self, dims, True) if dims else self
        return out.reshape(shape)

    def contiguous(self):
        return self if self.data.flags.c_contiguous else ops.shape.Contiguous.apply(self)

    def repeat(self, *reps):
        reps = _size_arg(reps, 'repeat')
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: {len(reps)} repeats given for a tensor of shape {tuple(self.shape)}; "
                             f"need at least {self.ndim}")
        return ops.shape.Repeat.apply(self, reps)

    def split(self, split_size_or_sections, dim=0):
        d = self._dim(dim, 'split')
        size = self.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            sections = [min(step, size - s) for s in range(0, size, step)] or [0]
        else:
            sections = list(split_size_or_sections)
            if sum(sections) != size:
                raise ValueError(f"split: sections {sections} do not add up to {size}, the size of dim {dim} "
                                 f"of shape {tuple(self.shape)}")
        out, start, lead = [], 0, (slice(None),) * d
        for n in sections:
            out.append(self[lead + (slice(start, start + n),)])
            start += n
        return tuple(out)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
        size = self.shape[self._dim(dim, 'chunk')]
        return self.split(max(1, -(-size // chunks)), dim)

    def unbind(self, dim=0):
        """The slices along ``dim`` as a tuple, without that dim (one graph node for all of them)."""
        d = self._dim(dim, 'unbind')
        if self.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
        out = ops.shape.Unbind.apply(self, d)
        return out if isinstance(out, tuple) else (out,)

    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] for dim=0 (and likewise for other dims), as PyTorch."""
        return self[self._along(dim, index, 'gather')]

    def _along(self, dim, index, op):
        """The advanced index that picks ``index``'s entries along ``dim`` and keeps every other axis
        in place (what gather reads and scatter writes)."""
        d = self._dim(dim, op)
        if not isinstance(index, Tensor) or dtypes.category(index.dtype) != dtypes.INTEGER:
            raise TypeError(f"{op}: index must be an integer tensor")
        if index.ndim != self.ndim:
            raise ValueError(f"{op}: index of shape {tuple(index.shape)} must have as many dims as "
                             f"the input of shape {tuple(self.shape)}")
        n = self.shape[d]
        if index.numel() and (int(index.data.min()) < -n or int(index.data.max()) >= n):
            raise IndexError(f"{op}: index out of range for dim {dim} of size {n} (got values from "
                             f"{int(index.data.min())} to {int(index.data.max())})")
        xp = self._xp
        return tuple(index.data if k == d else xp.arange(m).reshape((-1,) + (1,) * (index.ndim - k - 1))
                     for k, m in enumerate(index.shape))

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """A copy with ``out[index[i][j]][j] = src[i][j]`` for dim=0 (likewise for other dims)."""
        if reduce is not None:
            if reduce != 'add':
                raise ValueError(f"scatter: reduce={reduce!r} is not supported (use 'add' or scatter_add)")
            return self.scatter_add(dim, index, src)
        src = self._operand(src if src is not None else value, 'scatter')
        idx = self._along(dim, index, 'scatter')
        return ops.index.SetItem.apply(self, src[tuple(slice(0, m) for m in index.shape)] if src.ndim else src,
                               idx, False)

    def scatter_add(self, dim, index, src):
        """A copy with ``src[i][j]`` added at ``out[index[i][j]][j]`` for dim=0; repeated indices add up."""
        src = self._operand(src, 'scatter_add')
        idx = self._along(dim, index, 'scatter_add')
        part = src[tuple(slice(0, m) for m in index.shape)]
        return self + ops.index.IndexAdd.apply(part, self.shape, idx, False)

    def _operand(self, value, op):
        """``value`` (a tensor or number) as a tensor of this tensor's dtype and device."""
        if isinstance(value, Tensor):
            return value.to(self.dtype)
        if value is None:
            raise TypeError(f"{op}: expected src or value")
        return self._scalar(value)

    def index_select(self, dim, index):
        d = self._dim(dim, 'index_select')
        if not isinstance(index, Tensor) or index.ndim > 1 or dtypes.category(index.dtype) != dtypes.INTEGER:
            raise TypeError("index_select: index must be a 1-D integer tensor")
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def take_along_dim(self, indices, dim=None):
        if dim is None:
            return self.flatten().gather(0, indices.flatten())
        shape = numpy.broadcast_shapes(tuple(s if k != self._dim(dim, 'take_along_dim') else 1
                                             for k, s in enumerate(self.shape)),
                                       tuple(s if k != self._dim(dim, 'take_along_dim') else 1
                                             for k, s in enumerate(indices.shape)))
        d = self._dim(dim, 'take_along_dim')
        x = self.expand(*[self.shape[k] if k == d else n for k, n in enumerate(shape)])
        idx = indices.expand(*[indices.shape[k] if k == d else n for k, n in enumerate(shape)])
        return x.gather(d, idx.contiguous())

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast) is True, as a 1-D tensor."""
        if not isinstance(mask, Tensor) or mask.dtype != bool_:
            raise TypeError("masked_select: mask must be a bool tensor")
        shape = numpy.broadcast_shapes(self.shape, mask.shape)
        return self.expand(*shape)[mask.expand(*shape).contiguous()]

    def nonzero(self, as_tuple=False):
        xp = self._xp
        where = xp.nonzero(self.data)
        if as_tuple:
            return tuple(self._wrap(w.astype(int64)) for w in where)
        return self._wrap(xp.stack(where, axis=1).astype(int64) if where else xp.zeros((1, 0), int64))

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; values carry the gradient, as PyTorch."""
        d = self._dim(dim, 'sort')
        xp = self._xp
        keys = self.data if self.dtype != bool_ else self.data.astype(int64)
        if self.ndim == 0:
            return SortResult(self, self._wrap(xp.zeros((), int64)))
        order = xp.argsort(-keys if descending else keys, axis=d, kind='stable').astype(int64)
        indices = self._wrap(order)
        return SortResult(self.gather(d, indices), indices)

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) entries along ``dim``: (values, indices)."""
        d = self._dim(dim, 'topk')
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {n}")
        values, indices = self.sort(d, descending=largest)
        keep = (slice(None),) * d + (slice(0, k),)
        return SortResult(values[keep], indices[keep])

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest entry along ``dim`` (k counts from 1): (values, indices)."""
        d = self._dim(dim, 'kthvalue')
        if not 1 <= k <= self.shape[d]:
            raise RuntimeError(f"kthvalue: k={k} is out of range for dim {dim} of size {self.shape[d]}")
        values, indices = self.sort(d)
        pick = (slice(None),) * d + (slice(k - 1, k),)
        values, indices = values[pick], indices[pick]
        return SortResult(values, indices) if keepdim else SortResult(values.squeeze(d), indices.squeeze(d))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with each element's position among them and counts."""
        xp = self._xp
        values, inverse, counts = xp.unique(self.data, return_inverse=True, return_counts=True, axis=dim)
        out = [self._wrap(values)]
        if return_inverse:
            out.append(self._wrap(inverse.reshape(self.shape if dim is None else -1).astype(int64)))
        if return_counts:
            out.append(self._wrap(counts.astype(int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def narrow(self, dim, start, length):
        d = self._dim(dim, 'narrow')
        if start < 0:
            start += self.shape[d]
        if not (0 <= start and length >= 0 and start + length <= self.shape[d]):
            raise IndexError(f"narrow: start {start} and length {length} exceed dim {dim} of size {self.shape[d]}")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def flip(self, *dims):
        dims = self._dims(_shape_arg(dims, 'flip'), 'flip') or ()
        return self[tuple(slice(None, None, -1) if k in dims else slice(None) for k in range(self.ndim))]

    def roll(self, shifts, dims=None):
        """Entries shifted along ``dims`` by ``shifts``, wrapping around at the end."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
        out = self
        for shift, dim in zip(shifts, dims):
            d = self._dim(dim, 'roll')
            n = self.shape[d]
            source = self._wrap((self._xp.arange(n) - shift) % n if n else self._xp.arange(0))
            out = out.index_select(d, source)
        return out

    def tril(self, diagonal=0):
        """The lower triangle (entries on and below the ``diagonal``-th diagonal), zeros above."""
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal=0):
        return self._triangle(diagonal, lower=False)

    def _triangle(self, diagonal, lower):
        if self.ndim < 2:
            raise RuntimeError(f"{'tril' if lower else 'triu'}: needs at least 2 dims, got shape {tuple(self.shape)}")
        n, m = self.shape[-2:]
        xp = self._xp
        keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1, dtype=bool)
        return self.masked_fill(self._wrap(~keep), 0)

    def repeat_interleave(self, repeats, dim=None):
        """Each entry repeated ``repeats`` times along ``dim`` (the flattened tensor when dim is None)."""
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else self._dim(dim, 'repeat_interleave')
        counts = repeats.data if isinstance(repeats, Tensor) else repeats
        source = self._xp.repeat(self._xp.arange(x.shape[d]), counts)
        return x.index_select(d, self._wrap(source.astype(int64)))

    def movedim(self, source, destination):
        source = source if isinstance(source, (tuple, list)) else (source,)
        destination = destination if isinstance(destination, (tuple, list)) else (destination,)
        src = [self._dim(s, 'movedim') for s in source]
        dst = [self._dim(s, 'movedim') for s in destination]
        rest = iter([k for k in range(self.ndim) if k not in src])
        order = [None] * self.ndim
        for s, t in zip(src, dst):
            order[t] = s
        return self.permute(*[o if o is not None else next(rest) for o in order])

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The ``offset``-th diagonal of the matrices in ``dim1``, ``dim2``, as a last dim."""
        a, b = self._dim(dim1, 'diagonal'), self._dim(dim2, 'diagonal')
        x = self.movedim((a, b), (-2, -1))
        n, m = x.shape[-2:]
        rows = self._xp.arange(max(0, -offset), min(n, m - offset)) if min(n, m - offset) > max(0, -offset) \
            else self._xp.arange(0)
        return x[..., self._wrap(rows), self._wrap(rows + offset)]

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-D tensor comes back as it is), as PyTorch."""
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dims, got shape {tuple(self.shape)}; use transpose")
        return self.transpose(0, 1) if self.ndim == 2 else self

    # ----- products that name their shapes (checks as PyTorch, then @) -----
    def _ranks(self, other, op, a_rank, b_rank):
        if not isinstance(other, Tensor) or self.ndim != a_rank or other.ndim != b_rank:
            got = tuple(other.shape) if isinstance(other, Tensor) else type(other).__name__
            raise RuntimeError(f"{op}: expected {a_rank}-D and {b_rank}-D tensors, got shapes "
                               f"{tuple(self.shape)} and {got}")

    def mm(self, mat2):
        self._ranks(mat2, 'mm', 2, 2)
        return self @ mat2

    def bmm(self, mat2):
        self._ranks(mat2, 'bmm', 3, 3)
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm: batch sizes differ: shapes {tuple(self.shape)} and {tuple(mat2.shape)}")
        return self @ mat2

    def mv(self, vec):
        self._ranks(vec, 'mv', 2, 1)
        return self @ vec

    def dot(self, other):
        self._ranks(other, 'dot', 1, 1)
        return self @ other

    def outer(self, vec2):
        self._ranks(vec2, 'outer', 1, 1)
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    def inner(self, other):
        """Σ over the last dims: out[..., ...] = Σ_k self[..., k] other[..., k]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        return (self.reshape(-1, self.shape[-1]) @ other.reshape(-1, other.shape[-1]).mT).reshape(
            self.shape[:-1] + other.shape[:-1])

    # ----- elementwise functions composed from the ops above -----
    def square(self):
        return self * self

    def exp2(self):
        return (self._float() * math.log(2.0)).exp()

    def log2(self):
        return self.log() * (1.0 / math.log(2.0))

    def log10(self):
        return self.log() * (1.0 / math.log(10.0))

    def tan(self):
        x = self._float()
        return x.sin() / x.cos()

    def sinh(self):
        x = self._float()
        return (x.exp() - (-x).exp()) * 0.5

    def cosh(self):
        x = self._float()
        return (x.exp() + (-x).exp()) * 0.5

    def _rounded(self, array):
        """``array`` as this tensor's rounded value: gradient 0, as PyTorch's floor, ceil, round, trunc."""
        if not self.requires_grad:
            return self._wrap(array)
        return self._zeroed() + self._wrap(array)

    def floor(self):
        return self._rounded(self._xp.floor(self.data))

    def ceil(self):
        return self._rounded(self._xp.ceil(self.data))

    def round(self, decimals=0):
        return self._rounded(self._xp.round(self.data, decimals))

    def trunc(self):
        return self._rounded(self._xp.trunc(self.data))

    def frac(self):
        return self - self.trunc()

    def neg(self):
        return -self

    negative = neg

    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        if rounding_mode == 'floor':
            return self // other if not dtypes.is_floating(self.dtype) else (self / other).floor()
        if rounding_mode == 'trunc':
            q = self / other
            return q.trunc() if dtypes.is_floating(self.dtype) else q.trunc().to(self.dtype)
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    divide = div

    def true_divide(self, other):
        return self / other

    def remainder(self, other):
        """self - floor(self / other) * other: the sign of ``other``, as Python's %."""
        if not dtypes.is_floating(self.dtype):
            return self % other
        return self - (self / other).floor() * other

    def fmod(self, other):
        """self - trunc(self / other) * other: the sign of ``self``, as C's fmod."""
        if not dtypes.is_floating(self.dtype):
            return self.sub(self.div(other, rounding_mode='trunc') * other)
        return self - (self / other).trunc() * other

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by finite numbers (by default the dtype's extremes)."""
        if not dtypes.is_floating(self.dtype):
            return self.clone()
        info = numpy.finfo(self.dtype)
        xp = self._xp
        out = self.masked_fill(self._wrap(xp.isnan(self.data)), nan)
        out = out.masked_fill(self._wrap(xp.isposinf(self.data)), info.max if posinf is None else posinf)
        return out.masked_fill(self._wrap(xp.isneginf(self.data)), info.min if neginf is None else neginf)

    def isinf(self):
        return self._wrap(self._xp.isinf(self.data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        a, b = self._coerce(other, 'isclose')
        return self._wrap(self._xp.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def logical_and(self, other):
        return self._compare(other, lambda a, b: self._xp.logical_and(a, b))

    def logical_or(self, other):
        return self._compare(other, lambda a, b: self._xp.logical_or(a, b))

    def logical_xor(self, other):
        return self._compare(other, lambda a, b: self._xp.logical_xor(a, b))

    def count_nonzero(self, dim=None):
        return (self != 0).sum(dim)

    def var_mean(self, dim=None, correction=1, keepdim=False):
        return self.var(dim, correction=correction, keepdim=keepdim), self.mean(dim, keepdim=keepdim)

    def std_mean(self, dim=None, correction=1, keepdim=False):
        return self.std(dim, correction=correction, keepdim=keepdim), self.mean(dim, keepdim=keepdim)

    # ----- indexing -----
    def _index(self, key):
        """Normalise an index: tensors and lists become arrays; returns (index, is_advanced)."""
        if not isinstance(key, tuple):
            key = (key,)
        xp = self._xp
        out, advanced = [], False
        for k in key:
            if isinstance(k, Tensor):
                k = k.data
            elif isinstance(k, list):
                k = xp.asarray(k)
            if hasattr(k, 'dtype') and hasattr(k, 'shape'):
                if k.dtype.kind not in 'biu':
                    raise IndexError(f"index: tensors used as indices must be integer or bool, got {k.dtype}")
                k = backend.to_device(k, self.device)       # a host index works on a GPU tensor, as PyTorch
                advanced = True
            elif not (k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral))):
                raise IndexError(f"index: {k!r} can't index a tensor of shape {tuple(self.shape)}; use ints, "
                                 f"slices, None, ... or integer/bool tensors")
            out.append(k)
        return tuple(out), advanced

    def __getitem__(self, key):
        idx, advanced = self._index(key)
        return (ops.index.GetItem if advanced else ops.index.GetItemView).apply(self, idx)

    def __setitem__(self, key, value):
        idx, _ = self._index(key)
        v = value.to(self.dtype) if isinstance(value, Tensor) else self._scalar(value) \
            if isinstance(value, (numbers.Number, numpy.bool_)) else Tensor(value, dtype=self.dtype, device=self.device)
        if _State.enabled and (self.requires_grad or v.requires_grad):
            if getattr(self.grad_fn, 'view_base', None) is not None:   # a view: its base is rewritten too
                self._inplace('setitem', lambda old: ops.index.SetItem.apply(old, v, idx, False))
            else:
                self._check_inplace('setitem')
                self._mark_modified(ops.index.SetItem.apply(self, v, idx, True))
        else:
            try:
                self.data[idx] = v.data
            except (ValueError, IndexError) as e:
                raise type(e)(f"setitem: {e}") from None
            self._mark_modified()

    # ----- in-place -----
    # How in-place changes (``add_``, ``t[i] = v``, ``p -= lr * g``) stay correct, in four files:
    # - every tensor has a version counter, ``_version``, a one-element list that views share with
    #   the tensor owning the memory (``autograd/function.py``: ``_wrap`` hands it to ``is_view`` ops);
    # - ``save_for_backward`` records each saved tensor's version, and ``saved_tensors`` raises,
    #   naming the op, when it has changed since (``autograd/function.py``);
    # - here, ``_inplace`` computes the new value out of place, writes it into the memory and, while
    #   recording, makes the op that computed it the tensor's ``grad_fn`` (``_mark_modified``);
    # - a view (``y[1:]``, ``y.reshape(...)``, ``y.T``, and views of views) shares its memory with a
    #   base tensor, whose value changes too: the base's history is rewritten as "the old base with
    #   the view's elements replaced" (a ``SetItem`` from ``ops/index.py``). Where those elements sit
    #   in the base is found by replaying the view's ops on a tensor of element numbers
    #   (``_place_in_base``); ``Function._record`` made this possible by remembering each view's base;
    # - optimizers write ``p.data`` directly under ``no_grad`` and call ``_mark_modified()`` so that a
    #   graph still holding the old weights fails loudly (``optim/``).
    def _check_inplace(self, op):
        """Refuse in-place changes autograd could not follow; return the base tensor whose history
        must be rewritten when self is a view of it (``y[1:].add_(1)``, ``y.view(-1)[0] = 1``), else None."""
        if not _State.enabled:
            return None
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad (shape {tuple(self.shape)}) can't be changed in "
                f"place while grad is recorded; wrap the update in `with minigrad.no_grad():`")
        base = getattr(self.grad_fn, 'view_base', None)
        # a reshape NumPy could only do by copying (of a transpose) is not a view, as in PyTorch
        if base is None or not base.requires_grad or not self._xp.may_share_memory(self.data, base.data):
            return None
        if base.grad_fn is None:
            raise RuntimeError(
                f"{op}: this tensor (shape {tuple(self.shape)}) is a view of a leaf that requires grad; "
                f"changing it in place would change the leaf. Use `with minigrad.no_grad():` or clone()")
        return base

    def _view_chain(self, op):
        """The view ops that made self from its base, base first, each with the shape it produced."""
        chain, shape, fn = [], self.shape, self.grad_fn
        while True:
            if fn._released:
                raise RuntimeError(f"{op}: the graph that made this view (shape {tuple(self.shape)}) was freed "
                                   f"by backward(); make the view again before changing it in place")
            if isinstance(fn, ops.shape.Expand):
                raise RuntimeError(f"{op}: this tensor (shape {tuple(self.shape)}) is an expanded view, in "
                                   f"which several elements share one memory location; clone() it first")
            chain.append((fn, shape))
            if fn.view_of_base:
                return chain[::-1]
            shape = fn.next_edges[0][2]          # the shape of this view's input, made by the op before
            fn = fn.next_edges[0][0]

    @staticmethod
    def _replay(chain, t):
        """Apply the view ops of ``chain`` to ``t``, a tensor shaped like their base."""
        for fn, shape in chain:
            t = type(fn).apply(t, fn.dims if isinstance(fn, ops.shape.Permute) else
                               fn.idx if isinstance(fn, ops.index.GetItemView) else shape)
        return t

    def _place_in_base(self, chain):
        """The index of self's elements in its base: a slice's own index when self is one, else
        integer arrays found by replaying the chain on the element numbers 0, 1, ... of the base."""
        if len(chain) == 1 and isinstance(chain[0][0], ops.index.GetItemView):
            return chain[0][0].idx
        base_shape = chain[0][0].next_edges[0][2]
        xp = self._xp
        positions = self._wrap(xp.arange(int(numpy.prod(base_shape))).reshape(base_shape))
        return xp.unravel_index(self._replay(chain, positions).data, base_shape)

    def _mark_modified(self, result=None):
        """Record an in-place change: a new version and, while recording, ``result``'s node as the maker
        of the new value."""
        self._version[0] += 1
        if result is not None and result.requires_grad:
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True

    def _inplace(self, op, compute):
        """Overwrite this tensor with ``compute(old)``. While recording, ``old`` is a clone, so the
        graph keeps the value it needs after the memory is overwritten."""
        base = self._check_inplace(op)
        r = compute(self.clone() if _State.enabled and self.requires_grad else self)
        if r.dtype != self.dtype:
            if not numpy.can_cast(r.dtype, self.dtype, 'same_kind'):
                raise RuntimeError(f"{op}: result type {r.dtype} can't be cast to the tensor's type {self.dtype}")
            r = r.to(self.dtype)
        if r.shape != self.shape:
            raise RuntimeError(f"{op}: the result of shape {tuple(r.shape)} doesn't fit the tensor of shape "
                               f"{tuple(self.shape)}")
        if base is not None:       # the base's new value: its old value with self's elements replaced
            chain = self._view_chain(op)
            base._mark_modified(ops.index.SetItem.apply(base, r, self._place_in_base(chain), True))
            r = self._replay(chain, base)          # self is again a view of the (rewritten) base
        try:
            self.data[...] = r.data
        except ValueError as e:
            raise RuntimeError(f"{op}: can't write into this tensor ({e})") from None
        self._mark_modified(r if _State.enabled else None)
        if base is not None:
            base._version[0] -= 1          # one change, counted once (base and view share the counter)
        return self

    def add_(self, other, alpha=1):
        return self._inplace('add_', lambda old: old + (other * alpha if alpha != 1 else other))

    def sub_(self, other, alpha=1):
        return self._inplace('sub_', lambda old: old - (other * alpha if alpha != 1 else other))

    def mul_(self, other):
        return self._inplace('mul_', lambda old: old * other)

    def div_(self, other):
        return self._inplace('div_', lambda old: old / other)

    # `p -= lr * g` is in place, as in PyTorch (without these Python would rebind p to a new tensor)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def clamp_(self, min=None, max=None):
        return self._inplace('clamp_', lambda old: old.clamp(min, max))

    # the in-place form of an out-of-place method: same maths, then written into this tensor
    def masked_fill_(self, mask, value):
        return self._inplace('masked_fill_', lambda old: old.masked_fill(mask, value))

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace('scatter_', lambda old: old.scatter(dim, index, src, value, reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace('scatter_add_', lambda old: old.scatter_add(dim, index, src))

    def index_fill_(self, dim, index, value):
        d = self._dim(dim, 'index_fill_')
        mask = self._xp.zeros(self.shape[d], dtype=bool)
        mask[index.data if isinstance(index, Tensor) else index] = True
        mask = self._wrap(mask.reshape((-1,) + (1,) * (self.ndim - d - 1)))
        return self._inplace('index_fill_', lambda old: old.masked_fill(mask, value))

    def masked_scatter_(self, mask, source):
        """Copy ``source``'s first elements, in order, into the places where ``mask`` is True."""
        full = mask.expand(*self.shape).contiguous()
        n = int(full.data.sum())
        if source.numel() < n:
            raise RuntimeError(f"masked_scatter_: source has {source.numel()} elements, the mask selects {n}")
        return self._inplace('masked_scatter_',
                             lambda old: ops.index.SetItem.apply(old, source.flatten()[:n].to(self.dtype), full.data, False))

    def fill_diagonal_(self, fill_value, wrap=False):
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise RuntimeError(f"fill_diagonal_: needs a matrix or a tensor with all dims equal, got "
                               f"shape {tuple(self.shape)}")
        xp = self._xp
        n = min(self.shape)
        index = tuple(xp.arange(n) for _ in range(self.ndim))
        if wrap and self.ndim == 2 and self.shape[0] > self.shape[1] + 1:
            rows = xp.arange(self.shape[0])
            keep = rows % (self.shape[1] + 1) != self.shape[1]
            index = (rows[keep], (rows[keep] % (self.shape[1] + 1)))
        mask = xp.zeros(self.shape, dtype=bool)
        mask[index] = True
        return self._inplace('fill_diagonal_', lambda old: old.masked_fill(self._wrap(mask), fill_value))

    def tril_(self, diagonal=0):
        return self._inplace('tril_', lambda old: old.tril(diagonal))

    def triu_(self, diagonal=0):
        return self._inplace('triu_', lambda old: old.triu(diagonal))

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def pow_(self, exponent):
        return self._inplace('pow_', lambda old: old ** exponent)

    def copy_(self, src):
        """Copy ``src``'s values (broadcast, cast) into this tensor; the gradient flows to ``src``."""
        src = (src if isinstance(src, Tensor) else Tensor(src, device=self.device)).to(self.device)
        check_broadcast(src.shape, self.shape, 'copy_', 'source')
        return self._inplace('copy_', lambda old: old._zeroed() + src)

    def _zeroed(self):
        """Zeros shaped like self that still hang off the graph (gradient 0); safe if self holds NaN."""
        return self.masked_fill(self._wrap(self._xp.ones(self.shape, dtype=bool_)), 0)

    def _fill_with(self, op, values):
        """Overwrite with the constant array ``values``; no gradient flows to the old value."""
        return self._inplace(op, lambda old: old._zeroed() + self._wrap(values))

    def fill_(self, value):
        return self._fill_with('fill_', self._xp.asarray(value, dtype=self.dtype))

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0):
        g = _random.generator(self._xp)
        return self._fill_with('uniform_', (g.random(self.shape) * (b - a) + a).astype(self.dtype))

    def normal_(self, mean=0.0, std=1.0):
        g = _random.generator(self._xp)
        return self._fill_with('normal_', (g.standard_normal(self.shape) * std + mean).astype(self.dtype))


def _in_place_form(name):
    """``x.exp_()`` and friends: the out-of-place method, written back into ``x`` by ``_inplace``."""
    def method(self):
        return self._inplace(name + '_', lambda old: getattr(old, name)())
    method.__name__ = method.__qualname__ = name + '_'
    method.__doc__ = f"In place: ``x.{name}_()`` makes ``x`` hold ``x.{name}()``."
    return method


for _name in ('exp', 'sqrt', 'abs', 'neg', 'relu', 'sigmoid', 'tanh'):
    setattr(Tensor, _name + '_', _in_place_form(_name))


_UFUNC_OPERATORS = {'add': operator.add, 'subtract': operator.sub, 'multiply': operator.mul,
                     'true_divide': operator.truediv, 'divide': operator.truediv, 'power': operator.pow,
                     'matmul': operator.matmul, 'maximum': Tensor.maximum, 'minimum': Tensor.minimum}


def as_tensor_like(value, like):
    """A NumPy array (or number) as a tensor on ``like``'s device, sharing memory where it can."""
    if backend.is_array(value):
        return Tensor._make(backend.to_device(value, like.device))
    return Tensor(value, device=like.device)


_LEGACY_TYPES = {'Float': float32, 'Double': float64, 'Half': float16, 'Long': int64, 'Int': int32,
                 'Short': dtypes.int16, 'Char': dtypes.int8, 'Byte': dtypes.uint8, 'Bool': bool_}
_LEGACY_NAMES = {dtype: name for name, dtype in _LEGACY_TYPES.items()}


def parse_to(args, kwargs, op='to'):
    """The (device, dtype) that ``Tensor.to`` and ``Module.to`` were asked for; either may be None.

    Accepts ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (its device and
    dtype) and the keywords ``device=``, ``dtype=``; a device is ``'cpu'``, ``'cuda'``, ``'cuda:0'``,
    a dtype ``minigrad.float64`` or ``'float64'``."""
    device = kwargs.pop('device', None)
    dtype = kwargs.pop('dtype', None)
    kwargs.pop('non_blocking', None)          # accepted for PyTorch programs; copies here are blocking
    kwargs.pop('copy', None)
    if kwargs:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif backend.is_device_name(a):
            device = a
        else:
            dtype = a
    return backend.check_device(device), None if dtype is None else dtypes.as_dtype(dtype, op)


def in_float32(fn, *args):
    """``fn(*args)`` with its float16 tensor arguments computed in float32 and the result cast back
    to float16, as PyTorch computes half precision: 100 float16 values of 1000 sum to inf (the
    largest float16 is 65504), the variance of values above 256 overflows, and a float16 sum of
    many small values loses their digits. The casts are ops, so gradients flow through them."""
    half = [isinstance(a, Tensor) and a.data.dtype == float16 for a in args]
    if True not in half:
        return fn(*args)
    out = fn(*[a.to(float32) if h else a for a, h in zip(args, half)])
    return out.to(float16)


def _drop(shape, dims):
    return tuple(s for i, s in enumerate(shape) if dims is not None and i not in dims)


def _shape_arg(shape, op):
    """Accept both f(2, 3) and f((2, 3)); returns a tuple of ints.

    Anything that is not an integer (2.5, a float tensor) is refused rather than truncated: a size
    of 2.5 is a mistake, and truncating it would hide the mistake in a silently smaller model."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: expected sizes to be ints, got {tuple(shape)!r}") from None


def _size_arg(size, op):
    """A shape for a new tensor: as ``_shape_arg``, and every size non-negative."""
    shape = _shape_arg(size, op)
    if any(s < 0 for s in shape):
        raise ValueError(f"{op}: sizes must be non-negative, got {shape}")
    return shape


def check_broadcast(shape, target, op, what):
    """Raise unless ``shape`` broadcasts to exactly ``target``."""
    if len(shape) > len(target) or any(s not in (1, t) for s, t in zip(shape[::-1], target[::-1])):
        raise ValueError(f"{op}: {what} of shape {tuple(shape)} cannot be broadcast to shape {tuple(target)}")


def _check_matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != k_b:
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                           f"({a.shape[-1]} != {k_b})")
    try:           # the batch dims (all but the last two) broadcast, as in elementwise ops
        numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: the batch dims of shapes {tuple(a.shape)} and {tuple(b.shape)} don't "
                           f"broadcast ({tuple(a.shape[:-2])} vs {tuple(b.shape[:-2])})") from None


def _new_array(data, dtype, device):
    """The array a new tensor holds: a copy of ``data`` with PyTorch's default dtypes."""
    device = backend.check_device(device) or None
    if isinstance(data, Tensor):
        arr = data.data.copy()
        device = device or data.device          # a copy stays where its source is
    elif hasattr(data, '__array_priority__') and hasattr(data, 'dtype') and not isinstance(data, numpy.generic):
        arr = data.copy()                      # a NumPy or CuPy array keeps its dtype
        if backend.device_of(arr) == 'cuda':
            device = device or 'cuda'
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
            data = _nested_host(data)
        try:
            arr = numpy.array(data)
        except ValueError as e:              # ragged nested lists
            raise ValueError(f"tensor: can't make a tensor from {type(data).__name__}: {e}") from None
        if arr.dtype.kind in 'Ou' and not isinstance(data, numpy.generic):
            _check_int_range(arr if arr.dtype.kind == 'u' else data, int64)    # Python ints past int64
        if dtype is None and arr.dtype.kind == 'f' and not isinstance(data, numpy.generic):
            arr = arr.astype(dtypes.DEFAULT_FLOAT)
        elif dtype is None and arr.dtype.kind in 'iu' and not isinstance(data, numpy.generic):
            arr = arr.astype(int64)
    if arr.dtype.kind not in 'biuf':
        raise TypeError(f"tensor: can't make a tensor from {type(data).__name__} of dtype {arr.dtype} "
                        f"(minigrad holds bool, integer and floating-point numbers)")
    if device is None:
        device = backend.default_device()
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, 'tensor')
        if dtype.kind in 'iu' and arr.dtype.kind in 'iu':
            _check_int_range(arr, dtype)
        arr = arr.astype(dtype, copy=False)
    return backend.to_device(arr, device) if device else arr


def _check_int_range(values, dtype):
    """Raise unless every integer in ``values`` (an array, or nested lists of numbers) fits ``dtype``:
    NumPy would wrap 300 to 44 in int8, or 2**64 - 1 to -1 in int64, without a word."""
    info = numpy.iinfo(dtype)
    if hasattr(values, 'dtype'):
        flat = (int(values.min()), int(values.max())) if values.size else ()
    else:
        flat = _flat(values) if isinstance(values, (list, tuple)) else (values,)
    for v in flat:
        if isinstance(v, numbers.Integral) and not info.min <= v <= info.max:
            raise OverflowError(f"tensor: the integer {v} overflows {dtype} (range {info.min} to {info.max})")


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _nested_host(data):
    return [_nested_host(d) if isinstance(d, (list, tuple)) else
            (d.detach().numpy() if isinstance(d, Tensor) else d) for d in data]


# ----- functions that combine tensors -----
def _promote_all(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{op}: expected a list of tensors")
    dt, priority = tensors[0].dtype, _priority(tensors[0])
    for t in tensors[1:]:
        dt = dtypes.result_type(dt, priority, t.dtype, _priority(t))
        priority = max(priority, _priority(t))
    return [t if t.dtype == dt else t.to(dt) for t in tensors]


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``."""
    tensors = _promote_all(tensors, 'cat')
    ref = tensors[0]
    d = ref._dim(dim, 'cat')
    for k, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != d):
            raise ValueError(f"cat: tensor {k} has shape {tuple(t.shape)}, which does not match "
                             f"{tuple(ref.shape)} outside dim {d}")
    return ops.shape.Cat.apply(d, *tensors)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects tensors of one shape, got {sorted(shapes)}")
    n = tensors[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: dimension {dim} out of range for {n} dims")
    return ops.shape.Stack.apply(dim % n, *_promote_all(tensors, 'stack'))


def where(condition, input, other):
    """``input`` where ``condition`` is True, else ``other`` (all three broadcast)."""
    if not isinstance(condition, Tensor) or condition.dtype != bool_:
        raise TypeError("where: condition must be a bool tensor")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            input = condition._wrap(condition._xp.asarray(input, dtype=dtypes.scalar_dtype(input)))
        else:
            b, a = other._coerce(input, 'where')
            return ops.elementwise.Where.apply(condition, a, b)
    a, b = input._coerce(other, 'where')
    return ops.elementwise.Where.apply(condition, a, b)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)`` is a batched matmul."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = _promote_all(operands, 'einsum')
    return ops.linalg.Einsum.apply(equation, *operands)


_function.register_tensor_class(Tensor)
