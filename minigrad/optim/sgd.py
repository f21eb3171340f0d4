"""SGD: stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

The plain update is the gradient-descent rule of article 002 ("building your first large
model"): ``w <- w - lr * dL/dw``. Momentum keeps a running velocity so that steps along a
consistent direction grow and zig-zag across a narrow valley cancels out.
"""
from .optimizer import Optimizer
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor


class SGD(Optimizer):
    """Stochastic gradient descent, with PyTorch's formulas. For each parameter ``p``, gradient ``g``:

        g   <- g + weight_decay * p                  (L2 penalty, when weight_decay != 0)
        buf <- g                                     (first step)
        buf <- momentum * buf + (1 - dampening) * g  (later steps)
        g   <- g + momentum * buf   if nesterov  else  buf      (when momentum != 0)
        p   <- p - lr * g
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        if lr < 0:
            raise ValueError(f"SGD: invalid learning rate lr={lr} (must be >= 0)")
        if momentum < 0:
            raise ValueError(f"SGD: invalid momentum={momentum} (must be >= 0)")
        if weight_decay < 0:
            raise ValueError(f"SGD: invalid weight_decay={weight_decay} (must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: nesterov momentum requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    @no_grad()
    def step(self):
        for group in self.param_groups:
            # Python floats, so float32 arrays stay float32 (a NumPy float64 scalar would widen them)
            lr, momentum = float(group['lr']), float(group['momentum'])
            dampening, weight_decay = float(group['dampening']), float(group['weight_decay'])
            for p in group['params']:
                if p.grad is None:
                    continue
                g = p.grad.data
                if weight_decay != 0:
                    g = g + weight_decay * p.data
                if momentum != 0:
                    state = self._state_for(p)
                    buf = state.get('momentum_buffer')
                    if buf is None:
                        buf = state['momentum_buffer'] = as_tensor(g.copy())
                    else:
                        buf.data *= momentum
                        buf.data += (1.0 - dampening) * g
                    g = g + momentum * buf.data if group['nesterov'] else buf.data
                p.data -= lr * g
                p._mark_modified()
