"""The LSTM cell: one step written out in Tensor ops, and the same arithmetic as one fused node.

With the step's pre-activation z = x W_ihᵀ + h₋ W_hhᵀ + b cut into four gate blocks (PyTorch's
order i, f, g, o) and ⊙ the elementwise product:

    i = σ(z_i),   f = σ(z_f),   g = tanh(z_g),   o = σ(z_o)
    c = f ⊙ c₋ + i ⊙ g
    h = o ⊙ tanh(c)

``lstm_step`` is these lines as they read: ten small Tensor ops, so autograd differentiates it
to any order. It is the reference. ``LSTMGates`` computes the same (h, c) as one graph node with
a hand-written backward (``LSTMGatesBackward``), which is what ``nn.LSTM`` runs: over a long
sequence, ten nodes per step become one.
"""
from ..autograd.api import grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ..backend import get_array_module


def lstm_step(z, c_prev):
    """(h, c) of one LSTM step from the pre-activation z (..., 4·hidden) and the cell state c_prev."""
    z_i, z_f, z_g, z_o = z.reshape(z.shape[:-1] + (4, c_prev.shape[-1])).unbind(z.ndim - 1)
    i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()
    c = f * c_prev + i * g
    return o * c.tanh(), c


def _lstm_parts(z, c_prev):
    """Gates and new cell state from the pre-activations z = [z_i, z_f, z_g, z_o] (arrays)."""
    xp = get_array_module(z)
    n = c_prev.shape[-1]

    def sigmoid(v):
        return (xp.tanh(v * 0.5) + 1) * 0.5

    i, f = sigmoid(z[..., :n]), sigmoid(z[..., n:2 * n])
    g, o = xp.tanh(z[..., 2 * n:3 * n]), sigmoid(z[..., 3 * n:])
    c = f * c_prev + i * g
    return i, f, g, o, c, xp.tanh(c)


class LSTMGates(Function):
    """``lstm_step`` as one node: (h, c) from z and c₋ in array code (see the module docstring).

    z is the step's pre-activation x W_ihᵀ + h₋ W_hhᵀ + b (one matmul for all four gates).
    Its backward is ``LSTMGatesBackward``.
    """
    @staticmethod
    def forward(ctx, z, c_prev):
        ctx.save_for_backward(z, c_prev)
        i, f, g, o, c, tc = _lstm_parts(z.data, c_prev.data)
        return o * tc, c

    @staticmethod
    def backward(ctx, dh, dc):
        z, c_prev = ctx.saved_tensors
        return LSTMGatesBackward.apply(z, c_prev, dh, dc)


class LSTMGatesBackward(Function):
    """The LSTM cell's backward as one node. With tc = tanh(c) and dĉ = dc + dh ⊙ o ⊙ (1 - tc²):

        dz_i = dĉ ⊙ g ⊙ i(1-i),   dz_f = dĉ ⊙ c₋ ⊙ f(1-f),   dz_g = dĉ ⊙ i ⊙ (1-g²),
        dz_o = dh ⊙ tc ⊙ o(1-o),  dc₋ = dĉ ⊙ f

    Its own derivatives (double backward) come from differentiating ``lstm_step`` twice with
    autograd, so the fused arithmetic has the composed step as its reference.
    """
    @staticmethod
    def forward(ctx, z, c_prev, dh, dc):
        xp = get_array_module(z.data)
        ctx.save_for_backward(z, c_prev, dh, dc)
        i, f, g, o, c, tc = _lstm_parts(z.data, c_prev.data)
        dct = dc.data + dh.data * o * (1 - tc * tc)
        dz = xp.concatenate([dct * g * i * (1 - i), dct * c_prev.data * f * (1 - f),
                             dct * i * (1 - g * g), dh.data * tc * o * (1 - o)], axis=-1)
        return dz, dct * f

    @staticmethod
    def backward(ctx, gdz, gdc):
        leaves = [t.detach().requires_grad_() for t in ctx.saved_tensors]
        z, c_prev, dh, dc = leaves
        with enable_grad():
            # this node's forward, composed: the first derivatives of lstm_step, kept in the graph
            dz, dc_prev = grad(lstm_step(z, c_prev), (z, c_prev), (dh, dc), create_graph=True)
        # second derivatives at this point; they do not carry a third-order graph back to z
        return grad((dz, dc_prev), leaves, (gdz, gdc), create_graph=True, allow_unused=True)
