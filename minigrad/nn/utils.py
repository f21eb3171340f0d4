"""``minigrad.nn.utils``: gradient clipping, and all parameters as one vector.

Clipping keeps one bad batch from throwing the weights far away: if the gradients' combined
norm exceeds ``max_norm`` they are all scaled down by the same factor, so the update keeps its
direction and only loses length. Call it between ``loss.backward()`` and ``optimizer.step()``.
"""
import math

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..creation import as_tensor
from ..tensor import Tensor, cat


def _grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients in place so that their total ``norm_type``-norm is at most ``max_norm``.

    The total norm is the norm of the vector of all gradient entries together:
    (Σ_params Σ |g|^p)^(1/p), or max |g| for p = inf. The factor is max_norm / (total + 1e-6),
    applied only when it is below 1. Returns the total norm (before clipping) as a Tensor.
    ``foreach`` (PyTorch's choice of kernel) is accepted and changes nothing.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    xp = get_array_module(grads[0].data)
    if norm_type == math.inf:
        total = max(xp.abs(g.data).max() for g in grads)
    else:
        total = sum((xp.abs(g.data) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    total = as_tensor(xp.asarray(total, dtype=grads[0].dtype))
    value = float(total.item())
    if error_if_nonfinite and not math.isfinite(value):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {value}, "
                           f"so it cannot be clipped; set error_if_nonfinite=False to skip this check")
    factor = max_norm / (value + 1e-6)
    if factor < 1:
        with no_grad():
            for g in grads:
                g.mul_(factor)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-d tensor (differentiable: a ``cat`` of views)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive pieces of the 1-d ``vec`` into ``parameters``, each reshaped to its parameter.

    The inverse of ``parameters_to_vector``. (PyTorch makes each parameter a view of ``vec``;
    minigrad copies the values into the parameters' own memory.)
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a minigrad Tensor, but got {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} must be 1-d with one entry per "
                         f"parameter entry ({total})")
    start = 0
    with no_grad():
        for p in params:
            p.copy_(vec[start:start + p.numel()].reshape(p.shape))
            start += p.numel()
