"""RMSprop: divide each gradient by a running root-mean-square of its recent values.

Hinton's lecture-notes optimizer, and Adam's direct ancestor: it keeps Adam's second moving
average (of ``g**2``) but no bias correction, and its momentum, when asked for, is SGD-style
momentum on the already-scaled step.
"""
from .optimizer import Optimizer
from ..backend import get_array_module


class RMSprop(Optimizer):
    """RMSprop, with PyTorch's formulas. For each parameter ``p``, gradient ``g``:

        g   <- g + weight_decay * p                  (L2 penalty, when weight_decay != 0)
        v   <- alpha * v + (1 - alpha) * g**2        (v, m and buf start at 0)
        m   <- alpha * m + (1 - alpha) * g           (when centered)
        avg  = sqrt(v - m**2) + eps   if centered  else  sqrt(v) + eps
        buf <- momentum * buf + g / avg,   p <- p - lr * buf     (when momentum > 0)
        p   <- p - lr * g / avg                                  (otherwise)

    ``centered`` divides by an estimate of the gradient's variance instead of its raw second
    moment, so a gradient that is large but steady is not damped as much as a noisy one.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        self._check_nonnegative(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                momentum=momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, p, g, group):
        lr, alpha, eps = float(group['lr']), float(group['alpha']), float(group['eps'])
        momentum = float(group['momentum'])
        xp = get_array_module(p.data)
        # only the averages this configuration uses are kept, so the state dict matches PyTorch's
        buffers = dict(square_avg=0.0)
        if group['centered']:
            buffers['grad_avg'] = 0.0
        if momentum > 0:
            buffers['momentum_buffer'] = 0.0
        state = self._state_for(p, **buffers)
        state['step'] += 1
        v = state['square_avg'].data
        v *= alpha
        v += (1.0 - alpha) * (g * g)
        if group['centered']:
            m = state['grad_avg'].data
            m += (1.0 - alpha) * (g - m)          # PyTorch's lerp: the same average, written as a nudge
            avg = xp.sqrt(v - m * m)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum > 0:
            buf = state['momentum_buffer'].data
            buf *= momentum
            buf += g / avg
            p.data -= lr * buf
        else:
            p.data -= lr * (g / avg)
