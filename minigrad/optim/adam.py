"""Adam and AdamW: gradient descent with a per-parameter step size.

Adam keeps two moving averages per parameter: ``m`` of the gradient (a momentum) and ``v`` of
its square (how large the gradient usually is). Dividing one by the square root of the other
gives each weight a step of about ``lr`` whatever the scale of its gradient, which is why Adam
is the default for Transformers. AdamW differs only in how it applies weight decay.
"""
import math

from .optimizer import Optimizer
from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..creation import as_tensor


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with PyTorch's formulas. At step ``t`` (from 1), gradient ``g``:

        g  <- g + weight_decay * p                 (L2 penalty, when weight_decay != 0)
        m  <- beta1 * m + (1 - beta1) * g
        v  <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (bias correction: m, v start at 0)
        p  <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        name = type(self).__name__
        if lr < 0:
            raise ValueError(f"{name}: invalid learning rate lr={lr} (must be >= 0)")
        if eps < 0:
            raise ValueError(f"{name}: invalid eps={eps} (must be >= 0)")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{name}: invalid betas={betas} (two numbers in [0, 1))")
        if weight_decay < 0:
            raise ValueError(f"{name}: invalid weight_decay={weight_decay} (must be >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @no_grad()
    def step(self):
        for group in self.param_groups:
            lr, eps, weight_decay = float(group['lr']), float(group['eps']), float(group['weight_decay'])
            beta1, beta2 = (float(b) for b in group['betas'])
            for p in group['params']:
                if p.grad is None:
                    continue
                xp = get_array_module(p.data)
                g = p.grad.data
                if weight_decay != 0:
                    if self.decoupled_weight_decay:
                        p.data *= 1.0 - lr * weight_decay
                    else:
                        g = g + weight_decay * p.data
                state = self._state_for(p)
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = as_tensor(xp.zeros_like(p.data))
                    state['exp_avg_sq'] = as_tensor(xp.zeros_like(p.data))
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
                p._mark_modified()


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch's ``AdamW``.

    Instead of adding ``weight_decay * p`` to the gradient (where Adam's scaling would shrink it
    for weights with large gradients), each step first shrinks every weight by the same factor:
    ``p <- p * (1 - lr * weight_decay)``, then takes the Adam step without any L2 term.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
