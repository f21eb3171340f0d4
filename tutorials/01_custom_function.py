"""Exercise 1 — teach autograd a new operation: Swish, forward and backward by hand.

Follows chapter 2 (notebooks/02_backpropagation.ipynb, §5 gradcheck and custom
Functions) and article 002 §3.4–3.5 (反向传播; the sigmoid f(x) = 1 / (1 + e^-x)).

Every operation in minigrad is a ``minigrad.autograd.Function``: ``forward`` computes the output,
``backward`` receives g = dL/dy, the gradient of the loss with respect to the output, and returns
dL/dx = g · dy/dx for each input. That is the chain rule, applied one node at a time; the engine
(``loss.backward()``) calls these backward methods from the loss back to the weights.

Swish, also called SiLU (the activation of many large models' feed-forward layers):

    swish(x)  = x · σ(x)                          σ(x) = 1 / (1 + e^-x)
    swish'(x) = σ(x) + x · σ(x) · (1 − σ(x))      (product rule, with σ' = σ (1 − σ))

What to write (replace each ``raise NotImplementedError(...)``):

* ``Swish.forward(ctx, x)``: ``x`` is a Tensor. Compute on its array ``x.data`` with the array
  module ``xp = get_array_module(x.data)`` (NumPy on the CPU, CuPy on a GPU) and return an array
  of x's shape and dtype. Keep what backward needs: ``ctx.save_for_backward(x)``.
* ``Swish.backward(ctx, grad)``: ``grad`` is a Tensor of the output's shape. Get x back with
  ``x, = ctx.saved_tensors`` and return dL/dx as a Tensor, written with Tensor operations
  (``x.sigmoid()``, ``*``, ``+``, ``-``). Because they are Tensor operations, autograd can
  differentiate your backward too: that gives second derivatives (``gradgradcheck``).

Hints: ``1 / (1 + xp.exp(-x))`` overflows (with a warning) below x ≈ −88 in float32; the identity
σ(x) = (1 + tanh(x / 2)) / 2 gives σ without overflow. Write constants as Python
floats (``0.5``, ``1.0``): a NumPy float64 scalar would turn a float32 result into float64.

Check your work:  python -m minigrad check tutorials/01_custom_function.py   (or run this file).
The checker compares your forward with ``minigrad.nn.functional.silu``, your gradient with the one
autograd finds for that reference and with finite differences (``gradcheck``), and differentiates
your backward once more (``gradgradcheck``).
"""
from minigrad.autograd import Function
from minigrad.backend import get_array_module


class Swish(Function):
    """swish(x) = x · σ(x). Use it as ``Swish.apply(x)``."""

    @staticmethod
    def forward(ctx, x):
        raise NotImplementedError("exercise: compute x · σ(x) on x.data and save x for backward")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("exercise: return grad · (σ(x) + x · σ(x) · (1 − σ(x))) with Tensor ops")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
