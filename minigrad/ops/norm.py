"""Normalisation: layer norm and batch norm as one node with a hand-written backward.

Both compute y = (x - mean) / √(var + eps) · w + b; they differ only in the axes the statistics
run over (``dims``): the trailing features of each sample for layer norm (article 001 §4.1),
the batch and spatial axes of each channel for batch norm in training. The backward is written
with Tensor ops, so it can itself be differentiated (double backward).

On the GPU, layer norm runs as a fused CUDA kernel whenever the arrays allow it: the first lines
of its forward and backward ask ``minigrad.cuda.fused`` and return its answer (the fast path);
the lines below them are the composed reference the kernel is tested against, and what runs on
the CPU, for batch norm, and under ``create_graph=True``.
"""
from ..autograd.function import Function
from ..autograd.grad_mode import creating_graph
from ..cuda import fused


def _moments(x, dims, eps):
    """Mean and 1/√(var + eps) of x over ``dims`` (biased variance), both keeping the reduced dims.

    The variance is taken of the centred values divided by s = max |x - mean| (a constant), as
    var + eps = s² · (mean((c/s)²) + eps/s²): squaring values of 1e30 overflows float32, squaring
    c/s ≤ 1 never does (a constant group takes s = 1)."""
    mean = x._mean_exact(dims)
    centred = x - mean
    s = centred.abs().amax(dims, keepdim=True).detach()
    s = s.masked_fill(~s.isfinite() | (s == 0), 1)
    scaled = centred / s
    return mean, ((scaled * scaled).mean(dims, keepdim=True) + eps / s / s).rsqrt() / s


class Normalize(Function):
    """y = (x - mean) / √(var + eps) · w + b, statistics over ``dims``: LayerNorm and training-mode
    BatchNorm as one node. ``view`` is the shape w and b take to broadcast against x.

    With x̂ = (x - mean) · rstd and N the number of elements in each normalised group, backward is
        dx̂ = g · w,    dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)),
        dw = Σ g · x̂,  db = Σ g   (sums over the axes w is broadcast along).
    The two means are what the statistics contribute: shifting all x moves the mean, scaling them
    moves the variance, and neither changes x̂.
    """
    @staticmethod
    def forward(ctx, x, weight, bias, dims, view, eps):
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.view, ctx.eps = dims, view, eps
        ctx.bias_shape = None if bias is None else bias.shape
        fast = fused.layer_norm(x, weight, bias, dims, view, eps)
        ctx.fused = fast is not None
        if ctx.fused:               # fast path: the fused kernel computed exactly the lines below
            y, mean, rstd = fast
            ctx.mean, ctx.rstd = x._wrap(mean), x._wrap(rstd)
            return y
        mean, rstd = _moments(x, dims, eps)
        ctx.mean, ctx.rstd = mean, rstd
        y = (x - mean) * rstd
        if weight is not None:
            y = y * weight.reshape(view)
        if bias is not None:
            y = y + bias.reshape(view)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        dims, view = ctx.dims, ctx.view
        if ctx.fused:
            fast = fused.layer_norm_backward(ctx, x, weight, g)
            if fast is not None:    # fast path: the fused kernel computed exactly the lines below
                return fast + (None, None, None)
        if creating_graph():        # double backward: the statistics must be functions of x here
            mean, rstd = _moments(x, dims, ctx.eps)
        else:
            mean, rstd = ctx.mean, ctx.rstd
        xhat = (x - mean) * rstd
        lead = x.ndim - len(view)
        broadcast_axes = tuple(i for i in range(x.ndim) if i < lead or view[i - lead] == 1)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_x:
            gxhat = g * weight.reshape(view) if weight is not None else g
            gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True)
                         - xhat * (gxhat * xhat).mean(dims, keepdim=True))
        if need_w:
            gw = (g * xhat).sum(broadcast_axes).reshape(weight.shape)
        if need_b:
            gb = g.sum(broadcast_axes).reshape(ctx.bias_shape)
        return gx, gw, gb, None, None, None

