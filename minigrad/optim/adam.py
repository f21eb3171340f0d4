"""Adam and AdamW: gradient descent with a per-parameter step size.

Adam keeps two moving averages per parameter: ``m`` of the gradient (a momentum) and ``v`` of
its square (how large the gradient usually is). Dividing one by the square root of the other
gives each weight a step of about ``lr`` whatever the scale of its gradient, which is why Adam
is the default for Transformers. AdamW differs only in how it applies weight decay.
"""
import math

from .optimizer import Optimizer
from ..backend import get_array_module


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with PyTorch's formulas. At step ``t`` (from 1), gradient ``g``:

        g  <- g + weight_decay * p                 (L2 penalty, when weight_decay != 0)
        m  <- beta1 * m + (1 - beta1) * g
        v  <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (bias correction: m, v start at 0)
        p  <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        self._check_nonnegative(lr=lr, eps=eps, weight_decay=weight_decay)
        self._check('betas', betas, len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas),
                    "two numbers in [0, 1)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, group):
        lr, eps, weight_decay = float(group['lr']), float(group['eps']), float(group['weight_decay'])
        beta1, beta2 = (float(b) for b in group['betas'])
        xp = get_array_module(p.data)
        if self.decoupled_weight_decay and weight_decay != 0:
            p.data *= 1.0 - lr * weight_decay
        state = self._state_for(p, exp_avg=0.0, exp_avg_sq=0.0)
        state['step'] += 1
        t = state['step']
        m, v = state['exp_avg'].data, state['exp_avg_sq'].data
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        # the bias corrections are folded into the scalars, saving two array passes
        step_size = lr / (1.0 - beta1 ** t)
        denom = xp.sqrt(v)
        denom /= math.sqrt(1.0 - beta2 ** t)
        denom += eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch's ``AdamW``.

    Instead of adding ``weight_decay * p`` to the gradient (where Adam's scaling would shrink it
    for weights with large gradients), each step first shrinks every weight by the same factor:
    ``p <- p * (1 - lr * weight_decay)``, then takes the Adam step without any L2 term.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
