"""Adagrad: each weight's step shrinks with the sum of all its past squared gradients.

Weights whose gradients are often large get small steps and rarely-updated weights (say, the
embedding of a rare word) keep large ones. Because the sum only grows, the steps only shrink,
which is why RMSprop and Adam replaced the sum with a moving average.
"""
from .optimizer import Optimizer
from ..backend import get_array_module


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), with PyTorch's formulas. At step ``t`` (from 1), gradient ``g``:

        g   <- g + weight_decay * p                 (L2 penalty, when weight_decay != 0)
        clr  = lr / (1 + (t - 1) * lr_decay)
        sum <- sum + g**2                           (sum starts at initial_accumulator_value)
        p   <- p - clr * g / (sqrt(sum) + eps)

    As for every optimizer here, a parameter's state appears at its first step (PyTorch creates
    Adagrad's for all parameters at construction); the updates are the same.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10):
        self._check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value))

    def _update(self, p, g, group):
        lr, lr_decay, eps = float(group['lr']), float(group['lr_decay']), float(group['eps'])
        xp = get_array_module(p.data)
        state = self._state_for(p, sum=float(group['initial_accumulator_value']))
        state['step'] += 1
        clr = lr / (1.0 + (state['step'] - 1) * lr_decay)
        total = state['sum'].data
        total += g * g
        std = xp.sqrt(total)
        std += eps
        p.data -= clr * (g / std)
