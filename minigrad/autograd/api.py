"""``backward`` and ``grad``: the two ways to start backpropagation."""
from .engine import run_backward
from . import function


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _root_grads(outputs, grad_outputs, op):
    grads = []
    for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but output {k} has "
                    f"shape {tuple(out.shape)}; pass a gradient of that shape")
            g = out._ones_like()
        elif not isinstance(g, function._Tensor):
            g = function._Tensor(g, dtype=out.dtype, device=out.device)
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"{op}: gradient of shape {tuple(g.shape)} does not match output {k} of shape "
                f"{tuple(out.shape)}")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError(
                f"backward: tensor of shape {tuple(t.shape)} does not require grad and has no grad_fn "
                f"(was it created under no_grad, or from tensors without requires_grad=True?)")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, _root_grads(tensors, grad_tensors, 'backward'), retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone).

    With ``create_graph=True`` the returned gradients are part of a new graph, so they can be
    differentiated again (Hessian-vector products, gradient penalties).
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    for k, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {k} (shape {tuple(t.shape)}) does not require grad")
    for k, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: output {k} (shape {tuple(t.shape)}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, _root_grads(outputs, grad_outputs, 'grad'), retain_graph,
                          create_graph, inputs=inputs)
    for k, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {tuple(inputs[k].shape)}) was not used to compute the outputs; "
                f"pass allow_unused=True if that is expected")
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):
    """PyTorch's pre-0.4 wrapper, kept for old tutorials: it returns the tensor itself (a Tensor is what
    a Variable became), with ``requires_grad`` set as asked."""
    t = data if isinstance(data, function._Tensor) else function._Tensor(data)
    return t.requires_grad_(True) if requires_grad else t
