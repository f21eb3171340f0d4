"""Reference solution of tutorials/01_custom_function.py (Swish as a custom autograd Function).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
from minigrad.autograd import Function
from minigrad.backend import get_array_module


class Swish(Function):
    """swish(x) = x · σ(x);  swish'(x) = σ(x) + x · σ(x) · (1 − σ(x))."""

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x.data)
        # σ(x) = (1 + tanh(x/2)) / 2: the same value as 1 / (1 + e^-x), with no overflow for x << 0
        sigma = 0.5 * (1.0 + xp.tanh(0.5 * x.data))
        ctx.save_for_backward(x)
        return x.data * sigma

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        s = x.sigmoid()
        # Tensor operations, so that autograd can differentiate this backward again
        return grad * (s + x * s * (1.0 - s))


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
