"""``Function``: one differentiable operation, and the node that remembers it in the graph.

Every op in minigrad is a subclass with two static methods side by side::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):             # Tensors in, an array out
            ctx.save_for_backward(a, b)
            return a.data * b.data
        @staticmethod
        def backward(ctx, grad):            # Tensors in, Tensors out (one per forward input)
            a, b = ctx.saved_tensors
            return grad * b, grad * a

``Mul.apply(x, y)`` runs ``forward`` with recording switched off and, when any input requires
a gradient, keeps the ``ctx`` object as the ``grad_fn`` of the result: that object *is* the
graph node. Backward formulas are written with Tensor ops, so with ``create_graph=True`` they
are recorded too and can be differentiated again (double backward).

What every op would otherwise repeat lives here, once:
- the device check (all tensor inputs on one device),
- the edges to the inputs' nodes, with each input's shape and dtype,
- reducing a broadcast gradient back to its input's shape and checking it (see ``engine``),
- the version check that catches an in-place change to a tensor saved for backward.
"""
import numpy

from .grad_mode import _State
from ..backend import get_array_module, device_of

_Tensor = None   # minigrad.tensor registers the Tensor class here (it sits above autograd)


def register_tensor_class(cls):
    global _Tensor
    _Tensor = cls


class Function:
    """Base class of differentiable operations (and of user-defined custom ops)."""

    is_view = False        # True when the output shares memory with input 0 (shares its version counter)
    saves_output = False   # True when backward reads the output (``ctx.saved_output``)
    # per-node state, with class-level defaults so that making a node costs next to nothing
    _saved = ()
    _saved_versions = ()
    _saved_out = None
    _released = False
    _retained = None
    _n_out = 1

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args):
        """Run the op on its arguments: ``forward`` on arrays, the outputs wrapped as Tensors and,
        when an input requires a gradient, this call's ``ctx`` recorded as their ``grad_fn``."""
        ctx = object.__new__(cls)
        like = _first_array(cls, args)        # also checks that all tensors share one device
        if not _State.enabled:
            return cls._apply_untracked(ctx, args, like)
        edges = [_edge(a) for a in args]
        needs = tuple([e is not None for e in edges])
        ctx.needs_input_grad = needs = _NEEDS.setdefault(needs, needs)   # one shared tuple per pattern
        recording = True in needs
        _State.enabled = False                # forward runs unrecorded (a custom one may use Tensor ops)
        try:
            out = cls._forward(ctx, args)
        finally:
            _State.enabled = True
        outputs = _wrap(cls, out, like, args, recording, ctx if recording else None)
        if recording:
            ctx._record(edges, outputs, args)
        return outputs

    @classmethod
    def _apply_untracked(cls, ctx, args, like):
        """The fast path of ``apply`` while nothing is recorded (``no_grad``, and every backward
        without ``create_graph``): the same forward and outputs, no graph bookkeeping."""
        n = len(args)
        ctx.needs_input_grad = _NO_GRADS[n] if n < 8 else (False,) * n
        return _wrap(cls, cls._forward(ctx, args), like, args, False, None)

    @classmethod
    def _forward(cls, ctx, args):
        """``forward``, NumPy's errors prefixed with the op's name (NumPy's message has the shapes,
        ours says which op)."""
        try:
            return cls.forward(ctx, *args)
        except (ValueError, IndexError) as e:
            raise type(e)(f"{cls.__name__}: {e}") from None

    def _record(self, edges, outputs, args):
        """Make this ``ctx`` a graph node: where each input's gradient goes, what backward will need
        to know about the outputs, and, for a view, which tensor owns the memory."""
        self.next_edges = tuple(edges)
        first = outputs
        if outputs.__class__ is tuple:
            self._n_out, first = len(outputs), outputs[0]
            self._out_meta = [(r.data.shape, r.data.dtype, get_array_module(r.data)) for r in outputs]
        if self.saves_output:
            self._saved_out = (first.data, first._version, first._version[0])
        if self.is_view:
            # in-place changes through a view must reach the tensor that owns the memory (tensor.py)
            src = args[0]
            direct = src.grad_fn is None or not src.grad_fn.is_view
            self.view_base = src if direct else getattr(src.grad_fn, 'view_base', src)
            self.view_of_base = direct

    # ----- saving what backward needs -----
    def save_for_backward(self, *tensors):
        if True not in self.needs_input_grad:
            return                   # nothing will run backward: keep nothing alive
        self._saved = tensors
        self._saved_versions = tuple([None if t is None else t._version[0] for t in tensors])

    @property
    def saved_tensors(self):
        self._check_alive()
        for t, v in zip(self._saved, self._saved_versions):
            if t is not None and t._version[0] != v:
                raise RuntimeError(
                    f"{type(self).__name__}: one of the tensors needed for its gradient, of shape "
                    f"{tuple(t.shape)}, was modified by an in-place operation (it is at version "
                    f"{t._version[0]}, it was saved at version {v}). Use an out-of-place op instead, "
                    f"or .clone() the tensor before changing it.")
        return self._saved

    @property
    def saved_output(self):
        """The op's output as a Tensor that is part of the graph (for ``saves_output`` ops)."""
        self._check_alive()
        data, version, v = self._saved_out
        if version[0] != v:
            raise RuntimeError(
                f"{type(self).__name__}: its output, needed for its gradient, was modified by an "
                f"in-place operation (version {version[0]}, saved at {v}).")
        return _Tensor._make(data, True, self, 0, version)

    def _check_alive(self):
        if self._released:
            raise RuntimeError(
                f"{type(self).__name__}: trying to backward through the graph a second time (its "
                f"saved tensors were freed after the first backward). Pass retain_graph=True to the "
                f"first backward() if you need to backward twice.")

    def _release(self):
        state = self.__dict__
        next_edges = state['next_edges']
        state.clear()                # saved tensors and op-specific attributes (masks, indices) go
        state['next_edges'] = next_edges
        state['_released'] = True

    @property
    def next_functions(self):
        """(node, output index) for each input, as PyTorch: where backward goes next (None: a
        leaf or an input that needs no gradient)."""
        return tuple((None, 0) if e is None or e[0] is None else (e[0], e[1]) for e in self.next_edges)

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _first_array(cls, args):
    """The array of the first tensor argument, after checking all tensors share its device."""
    data0 = None
    for a in args:
        if isinstance(a, _Tensor):
            d = a.data
            if data0 is None:
                data0 = d
            elif d.__class__ is not data0.__class__ and device_of(d) != device_of(data0):
                raise RuntimeError(
                    f"{cls.__name__}: expected all tensors on the same device, "
                    f"got {device_of(data0)} and {device_of(d)}")
    return data0


_NO_GRADS = [(False,) * n for n in range(8)]
# the few needs_input_grad patterns there are, shared by every node: fewer objects for the garbage
# collector to scan, which for a graph of thousands of small ops is a good part of the cost
_NEEDS = {}


def _edge(a):
    """Where the gradient of argument ``a`` goes: ``(node that made a, which output a is, shape,
    dtype)``, ``(None, a, shape, dtype)`` for a leaf, ``None`` when no gradient is needed."""
    if a.__class__ is not _Tensor and not isinstance(a, _Tensor) or not a._requires_grad:
        return None                      # (the slot behind the requires_grad property: one op, many reads)
    d, fn = a.data, a.grad_fn
    return (fn, a._output_nr if fn is not None else a, d.shape, d.dtype)


def _wrap(cls, out, like, args, requires_grad, node):
    """The forward's array(s) as Tensors made by ``node``; a view shares its input's version counter."""
    make = _Tensor._make
    if out.__class__ is tuple:
        return tuple([make(_as_array(o, like), requires_grad, node, i) for i, o in enumerate(out)])
    if out.__class__ is not numpy.ndarray:
        out = _as_array(out, like)
    return make(out, requires_grad, node, 0, args[0]._version if cls.is_view else None)


def _as_array(o, like):
    """An output as an array of the inputs' kind (NumPy turns 0-d results into scalars; a Tensor is unwrapped)."""
    if o.__class__ is numpy.ndarray:
        return o
    if isinstance(o, _Tensor):
        return o.data
    if isinstance(o, (numpy.generic, int, float, bool)):
        return get_array_module(like).asarray(o) if like is not None else numpy.asarray(o)
    return o
