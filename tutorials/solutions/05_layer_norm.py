"""Reference solution of tutorials/05_layer_norm.py (layer norm forward and backward by hand).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
from minigrad.autograd import Function
from minigrad.backend import get_array_module


class LayerNormFunction(Function):
    """y = (x − μ) / √(σ² + ε) · w + b over the last axis."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        xp = get_array_module(x.data)
        mean = x.data.mean(axis=-1, keepdims=True)
        centred = x.data - mean
        # the variance from the centred values (two passes): mean(x²) − mean(x)² cancels badly
        rstd = 1.0 / xp.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps)
        xhat = centred * rstd
        ctx.save_for_backward(x, weight)
        ctx.eps = eps
        return xhat * weight.data + bias.data

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        centred = x - x.mean(dim=-1, keepdim=True)
        rstd = ((centred * centred).mean(dim=-1, keepdim=True) + ctx.eps) ** -0.5
        xhat = centred * rstd
        gxhat = grad * weight
        gx = rstd * (gxhat - gxhat.mean(dim=-1, keepdim=True)
                     - xhat * (gxhat * xhat).mean(dim=-1, keepdim=True))
        D = x.shape[-1]
        gw = (grad * xhat).reshape(-1, D).sum(dim=0)
        gb = grad.reshape(-1, D).sum(dim=0)
        return gx, gw, gb, None


def layer_norm(x, weight, bias, eps=1e-5):
    return LayerNormFunction.apply(x, weight, bias, eps)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
