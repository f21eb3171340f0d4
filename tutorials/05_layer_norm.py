"""Exercise 5 — layer normalisation, forward and backward, as a custom Function.

Follows chapter 9 (notebooks/09_transformer.ipynb, §2 layer norm and the residual connection) and
article 001 §4.1 (层归一化: normalise each layer's output to keep training stable).

Layer norm rescales each vector of D features on its own (each token, in a Transformer), over the
last axis, then applies a learned per-feature scale w and shift b (both of shape (D,)):

    μ  = mean(x)                       σ² = mean((x − μ)²)      (the biased variance: divide by D)
    x̂  = (x − μ) / √(σ² + ε)           y  = x̂ · w + b

Backward, given g = dL/dy of x's shape (sums run over every axis but the last; means over the last):

    dL/db = Σ g                        dL/dw = Σ g · x̂
    ĝ     = g · w                      dL/dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) / √(σ² + ε)

The two means are the statistics' share of the gradient: moving every x by the same amount moves
μ and leaves x̂ unchanged, and scaling them all scales σ and leaves x̂ unchanged, so the part of ĝ
along those two directions must drop out.

What to write (replace each ``raise NotImplementedError(...)``):

* ``LayerNormFunction.forward(ctx, x, weight, bias, eps)``: compute y on the arrays (``x.data``,
  ``weight.data``, ``bias.data``) and return it; save what backward needs
  (``ctx.save_for_backward(x, weight)``; a plain number such as eps can go on ctx: ``ctx.eps = eps``).
  Compute σ² from x − μ, not as mean(x²) − μ²: near x ≈ 1000 that difference of two large, almost
  equal float32 numbers loses nearly every digit (the checker tries it).
* ``LayerNormFunction.backward(ctx, grad)``: return four values, the gradients of x, weight and
  bias as Tensors and ``None`` for eps (a number has no gradient). Use Tensor operations
  (``x.mean(dim=-1, keepdim=True)``, ``** -0.5``, ``*``, ``-``, ``.sum(dim=...)``); recomputing x̂
  from the saved x is cheap.

Check your work:  python -m minigrad check tutorials/05_layer_norm.py   (or run this file).
The checker compares values and gradients with ``minigrad.nn.LayerNorm`` and runs ``gradcheck``.
"""
from minigrad.autograd import Function
from minigrad.backend import get_array_module


class LayerNormFunction(Function):
    """y = (x − μ) / √(σ² + ε) · w + b over the last axis. Use it as
    ``LayerNormFunction.apply(x, weight, bias, eps)``."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        raise NotImplementedError("exercise: normalise x.data over the last axis, then scale and shift")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("exercise: return the gradients of x, weight, bias, and None for eps")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
