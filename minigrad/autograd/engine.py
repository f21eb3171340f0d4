"""The backward engine: reverse-mode automatic differentiation over the recorded graph.

Backpropagation (article 002 §3.4, *反向传播*) is the chain rule applied from the loss back to
the weights. The graph is a DAG of ``Function`` nodes. Each node's ``next_edges`` say where its
input gradients go: one edge per forward input, ``(node, output_nr, shape, dtype)`` for an input
that some node made, ``(None, leaf_tensor, shape, dtype)`` for a leaf, ``None`` for an input that
needs no gradient.

``run_backward`` reads top to bottom:

1. count, for every node, how many edges lead into it (``_count_consumers``);
2. keep a *ready* list of nodes whose consumers have all delivered (Kahn's algorithm), so a node
   runs once, with the complete sum of its output gradients;
3. call its backward, fit each returned gradient to its input (``_fit``: undo broadcasting, check
   shape and dtype), and deliver it: into the next node's pending sums, or to the *sink* for a leaf
   (after a leaf's last edge, the sink runs its ``register_post_accumulate_grad_hook`` hooks);
4. free the node's saved tensors unless ``retain_graph=True``.

The sink is what makes one loop serve both entry points: ``Tensor.backward`` accumulates into the
leaves' ``.grad`` (``_Accumulate``), ``autograd.grad`` captures the gradients of chosen tensors and
touches no ``.grad`` (``_Capture``).

Speed: a parameter shared by many ops (a bias in a loop, an RNN weight) receives one gradient per
use. Unless the gradients are themselves being recorded, ``_Accumulate`` adds each one into the
``.grad`` array in place, as PyTorch's AccumulateGrad does, instead of building a new tensor per
use; that is safe because the first gradient a leaf keeps is made its own (``_owned``).
"""
from .grad_mode import _State
from . import function


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Backpropagate ``root_grads`` from the tensors ``roots``; returns the sink's result."""
    sink = _Accumulate(in_place=not create_graph) if inputs is None else _Capture(inputs)
    pending = {}                                   # node -> the gradient sum of each of its outputs
    for root, g in zip(roots, root_grads):
        if root.grad_fn is None:                   # the caller's gradient: never keep it as .grad
            sink.leaf(root, g, root_grads, ())
            sink.leaf_done(root)
        else:
            _add(pending, root.grad_fn, root._output_nr, g)
    waiting = _count_consumers(list(pending))
    ready = [fn for fn in pending if waiting[fn] == 0]
    previous, _State.enabled = _State.enabled, bool(create_graph)   # record backward only for create_graph
    try:
        while ready:
            fn = ready.pop()
            grads = pending.pop(fn)
            sink.node(fn, grads)
            results = _call_backward(fn, grads)
            for i, (edge, g) in enumerate(zip(fn.next_edges, results)):
                if edge is None:
                    continue
                nxt, slot, shape, dtype = edge
                if g is not None:
                    g = _fit(g, shape, dtype, fn, i)
                if nxt is None:                    # a leaf: slot is the leaf tensor itself
                    if g is not None:
                        sink.leaf(slot, g, grads, results)
                    waiting[slot] -= 1
                    if waiting[slot] == 0:         # its last gradient of this backward is in
                        sink.leaf_done(slot)
                    continue
                _add(pending, nxt, slot, g)
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    ready.append(nxt)
            if not retain_graph:
                fn._release()
    finally:
        _State.enabled = previous
    return sink.result()


# ----- the steps of the loop -----
def _count_consumers(roots):
    """For every node reachable from ``roots``: how many edges lead into it (iterative, so a chain
    10,000 ops deep is fine)."""
    count = dict.fromkeys(roots, 0)
    stack = list(roots)
    while stack:
        fn = stack.pop()
        if fn._released:
            fn._check_alive()            # raises: this part of the graph was already used
        for edge in fn.next_edges:
            if edge is None:
                continue
            nxt = edge[0]
            if nxt is None:              # a leaf is counted too, so its hooks run once, after its last edge
                count[edge[1]] = count.get(edge[1], 0) + 1
                continue
            if nxt in count:
                count[nxt] += 1
            else:
                count[nxt] = 1
                stack.append(nxt)
    return count


def _add(pending, fn, slot, g):
    """Add ``g`` to the running sum for output ``slot`` of node ``fn`` (``None`` adds nothing)."""
    sums = pending.get(fn)
    if sums is None:
        sums = pending[fn] = [None] * fn._n_out
    if g is not None:
        sums[slot] = g if sums[slot] is None else sums[slot] + g


def _call_backward(fn, grads):
    """Run ``fn``'s backward on its output gradients; one gradient (or None) per forward input."""
    if all(g is None for g in grads):              # nothing reached this node: nothing to send on
        return (None,) * len(fn.next_edges)
    if fn._n_out > 1:                               # an unused output of a multi-output op: zeros
        grads = [g if g is not None else _zeros(fn, k) for k, g in enumerate(grads)]
    results = type(fn).backward(fn, *grads)
    if results.__class__ is not tuple:
        results = (results,)
    if len(results) != len(fn.next_edges):
        raise RuntimeError(f"{fn.name()}.backward returned {len(results)} gradients, but forward "
                           f"had {len(fn.next_edges)} inputs")
    return results


def _fit(g, shape, dtype, fn, i):
    """The gradient ``fn`` returned for its input ``i``, summed back over broadcast axes and cast to
    the input's dtype; anything that cannot belong to that input raises, naming the op."""
    if not isinstance(g, function._Tensor):
        raise TypeError(f"{fn.name()}.backward returned a {type(g).__name__} for input {i}; it must "
                        f"return a minigrad Tensor (or None) per input")
    data = g.data
    if data.shape != shape:
        gs = data.shape
        if len(gs) < len(shape) or any(s != d and s != 1 for s, d in zip(shape[::-1], gs[::-1])):
            raise RuntimeError(f"{fn.name()}.backward returned a gradient of shape {tuple(gs)} for input "
                               f"{i}, which has shape {tuple(shape)}")
        g = g.sum_to_size(shape)
    if data.dtype is not dtype and data.dtype != dtype:
        g = g.to(dtype)
    return g


def _zeros(fn, k):
    shape, dtype, xp = fn._out_meta[k]
    return function._Tensor._make(xp.zeros(shape, dtype), False, None, 0)


# ----- sinks: where the gradients of leaves (and of retained tensors) end up -----
class _Accumulate:
    """``Tensor.backward``: add into ``.grad`` of leaves and of tensors that called ``retain_grad()``.

    ``in_place`` (no ``create_graph``): a plain ``.grad`` (no graph of its own) is added to in place;
    its version is bumped, so a graph that saved it notices. Under ``create_graph`` each sum is a new
    tensor in the graph, so that it can be differentiated."""

    def __init__(self, in_place):
        self.in_place = in_place

    def leaf(self, leaf, g, incoming, outgoing):
        grad = leaf.grad
        if grad is None:
            leaf.grad = _owned(g, incoming, outgoing)
        elif self.in_place and not grad.requires_grad:
            grad.data += g.data
            grad._mark_modified()
        else:
            leaf.grad = grad + g

    def leaf_done(self, leaf):
        """``leaf.grad`` holds all of this backward's gradient: run its post-accumulate hooks."""
        for hook in getattr(leaf, '_post_accumulate_grad_hooks', ()):
            hook(leaf)

    def node(self, fn, grads):
        if fn._retained:
            for t in fn._retained:
                g = grads[t._output_nr]
                if g is not None:
                    t.grad = g if t.grad is None else t.grad + g

    def result(self):
        return None


class _Capture:
    """``autograd.grad``: collect the gradients of ``inputs`` (leaves or not), touch no ``.grad``."""

    def __init__(self, inputs):
        # an input is found by the edge that carries its gradient: (node, output) or the leaf itself
        self.slot = {((t.grad_fn, t._output_nr) if t.grad_fn is not None else id(t)): k
                     for k, t in enumerate(inputs)}
        self.grads = [None] * len(inputs)

    def _put(self, key, g):
        k = self.slot.get(key)
        if k is not None and g is not None:
            self.grads[k] = g if self.grads[k] is None else self.grads[k] + g

    def leaf(self, leaf, g, incoming, outgoing):
        self._put(id(leaf), g)

    def leaf_done(self, leaf):
        pass                             # no .grad was touched: no hooks to run

    def node(self, fn, grads):
        for nr, g in enumerate(grads):
            self._put((fn, nr), g)

    def result(self):
        return self.grads


def _owned(g, incoming, outgoing):
    """A leaf's first ``.grad`` must own its memory, since later gradients are added into it in
    place. A gradient is copied when it may live on elsewhere: a view of another array, one of the
    node's ``incoming`` gradients passed straight through (``Add``, or the caller's gradient), or
    one tensor the node returned for two of its inputs (``outgoing``)."""
    if (g.data.base is not None or any(g is s for s in incoming)
            or sum(g is s for s in outgoing) > 1):
        return g.clone()
    return g
