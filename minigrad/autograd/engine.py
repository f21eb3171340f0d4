"""The backward engine: reverse-mode automatic differentiation over the recorded graph.

Backpropagation (article 002, *反向传播*) is the chain rule applied from the loss back to the
weights. The graph is a DAG of ``Function`` nodes; each node's ``next_edges`` point to the nodes
that made its inputs (or to leaf tensors). The engine

1. walks the graph once, iteratively (no recursion, so a chain 10,000 ops deep is fine),
   counting for each node how many consumers will send it a gradient;
2. runs the nodes in topological order (Kahn's algorithm): a node runs only when every
   consumer has delivered, so its incoming gradients are complete sums;
3. reduces each returned gradient to its input's shape (undoing broadcasting), checks it, and
   adds it into the next node's buffer or into the leaf's ``.grad``;
4. frees each node's saved tensors as soon as it has run, unless ``retain_graph=True``.
"""
from .grad_mode import _State
from . import function


def _discover(roots):
    """Count, for every node reachable from ``roots``, the edges that lead into it."""
    deps = dict.fromkeys(roots, 0)
    stack = list(deps)
    while stack:
        fn = stack.pop()
        if fn._released:
            fn._check_alive()            # raises: this part of the graph was already used
        for edge in fn.next_edges:
            if edge is None:
                continue
            nxt = edge[0]
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _fit(grad, shape, dtype, fn, i):
    """Sum a broadcast gradient back to ``shape``; reject a gradient that cannot belong there."""
    if grad.shape != shape:
        gs = grad.shape
        ok = len(gs) >= len(shape) and all(
            s == g or s == 1 for s, g in zip(shape[::-1], gs[::-1]))
        if not ok:
            raise RuntimeError(
                f"{fn.name()}.backward returned a gradient of shape {tuple(gs)} for input {i}, "
                f"which has shape {tuple(shape)}")
        grad = grad.sum_to_size(shape)
    if grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad


def _owned(grad, grad_outputs):
    """A leaf's ``.grad`` must not share memory with another gradient (in-place updates of it)."""
    if grad.data.base is not None or grad in _identities(grad_outputs):
        return grad.clone()
    return grad


class _identities(tuple):
    """A tuple whose ``in`` compares by identity (Tensor's ``==`` is elementwise)."""
    def __contains__(self, item):
        for x in self:
            if x is item:
                return True
        return False


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Backpropagate ``root_grads`` from the tensors ``roots``.

    With ``inputs=None`` gradients accumulate into the leaves' ``.grad`` (``Tensor.backward``).
    Otherwise the gradients of ``inputs`` are returned and no ``.grad`` is touched
    (``autograd.grad``).
    """
    capture = None
    if inputs is not None:
        capture = {}
        for k, t in enumerate(inputs):
            key = (t.grad_fn, t._output_nr) if t.grad_fn is not None else id(t)
            capture[key] = k
        captured = [None] * len(inputs)

    def deliver_leaf(leaf, g, grad_outputs):
        if capture is None:
            if leaf.grad is None:
                leaf.grad = _owned(g, grad_outputs)
            else:
                leaf.grad = leaf.grad + g
        else:
            k = capture.get(id(leaf))
            if k is not None:
                captured[k] = g if captured[k] is None else captured[k] + g

    buffers = {}
    start = []
    for r, g in zip(roots, root_grads):
        fn = r.grad_fn
        if fn is None:
            if r.requires_grad:
                deliver_leaf(r, g, ())
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * fn._n_out
            start.append(fn)
        nr = r._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    deps = _discover(start)
    ready = [fn for fn in start if deps.get(fn, 0) == 0]
    enabled = _State.enabled
    _State.enabled = bool(create_graph)
    try:
        while ready:
            fn = ready.pop()
            grads = buffers.pop(fn)
            if capture is not None:
                for nr, g in enumerate(grads):
                    k = capture.get((fn, nr))
                    if k is not None and g is not None:
                        captured[k] = g if captured[k] is None else captured[k] + g
            if fn._retained:
                for t in fn._retained:
                    g = grads[t._output_nr]
                    if g is not None:
                        t.grad = g if t.grad is None else t.grad + g
            if grads[0] is None and (fn._n_out == 1 or all(g is None for g in grads)):
                results = (None,) * len(fn.next_edges)
            else:
                if fn._n_out > 1:
                    grads = [g if g is not None else _zeros(fn, k) for k, g in enumerate(grads)]
                results = type(fn).backward(fn, *grads)
                if results.__class__ is not tuple:
                    results = (results,)
                if len(results) != len(fn.next_edges):
                    raise RuntimeError(
                        f"{fn.name()}.backward returned {len(results)} gradients, but forward "
                        f"had {len(fn.next_edges)} inputs")
            i = -1
            for edge, g in zip(fn.next_edges, results):
                i += 1
                if edge is None:
                    continue
                nxt, target, shape, dtype = edge
                if g is not None:
                    if not isinstance(g, function._Tensor):
                        raise TypeError(
                            f"{fn.name()}.backward returned a {type(g).__name__} for input {i}; it must "
                            f"return a minigrad Tensor (or None) per input")
                    data = g.data
                    if data.shape != shape or (data.dtype is not dtype and data.dtype != dtype):
                        g = _fit(g, shape, dtype, fn, i)
                if nxt is None:
                    if g is not None:
                        deliver_leaf(target, g, grads)
                    continue
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * nxt._n_out
                if g is not None:
                    old = buf[target]
                    buf[target] = g if old is None else old + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    ready.append(nxt)
            if not retain_graph:
                fn._release()
    finally:
        _State.enabled = enabled
    return captured if capture is not None else None


def _zeros(fn, k):
    """The gradient of an output nobody used: zeros (custom multi-output ops get all of them)."""
    shape, dtype, xp = fn._out_meta[k]
    return function._Tensor._make(xp.zeros(shape, dtype), False, None, 0)
