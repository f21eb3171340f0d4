"""SGD: stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

The plain update is the gradient-descent rule of article 002 ("building your first large
model"): ``w <- w - lr * dL/dw``. Momentum keeps a running velocity so that steps along a
consistent direction grow and zig-zag across a narrow valley cancels out.
"""
from .optimizer import Optimizer
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
        self._check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        self._check('nesterov', nesterov, not nesterov or (momentum > 0 and dampening == 0),
                    f"Nesterov momentum requires momentum > 0 and dampening = 0, "
                    f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, g, group):
        # Python floats, so float32 arrays stay float32 (a NumPy float64 scalar would widen them)
        lr, momentum, dampening = float(group['lr']), float(group['momentum']), float(group['dampening'])
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
