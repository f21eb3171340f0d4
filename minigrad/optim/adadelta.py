"""Adadelta: Adagrad's per-weight scaling with a moving average, and a step in the weights' own units.

Dividing the gradient by ``sqrt(E[g**2])`` (as RMSprop does) gives a step with no units; Adadelta
multiplies it by ``sqrt(E[dx**2])``, a moving average of its own past steps, so the step has the
units of the weights and ``lr`` (1.0 by default) is only an overall scale.
"""
from .optimizer import Optimizer
from ..backend import get_array_module


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), with PyTorch's formulas. For each parameter ``p``, gradient ``g``:

        g  <- g + weight_decay * p                          (L2 penalty, when weight_decay != 0)
        v  <- rho * v + (1 - rho) * g**2                    (v and u start at 0)
        dx  = sqrt(u + eps) / sqrt(v + eps) * g
        u  <- rho * u + (1 - rho) * dx**2
        p  <- p - lr * dx
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        self._check_nonnegative(lr=lr, eps=eps, weight_decay=weight_decay)
        self._check('rho', rho, 0.0 <= rho <= 1.0, "must be in [0, 1]")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, group):
        lr, rho, eps = float(group['lr']), float(group['rho']), float(group['eps'])
        xp = get_array_module(p.data)
        state = self._state_for(p, square_avg=0.0, acc_delta=0.0)
        state['step'] += 1
        v, u = state['square_avg'].data, state['acc_delta'].data
        v *= rho
        v += (1.0 - rho) * (g * g)
        dx = xp.sqrt(u + eps)
        dx /= xp.sqrt(v + eps)
        dx *= g
        u *= rho
        u += (1.0 - rho) * (dx * dx)
        p.data -= lr * dx
