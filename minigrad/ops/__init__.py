"""The primitive differentiable operations: one ``Function`` subclass each (forward and backward side
by side), one file per family, named like the ``nn`` file that uses it.

    elementwise.py   arithmetic, exp/log, sqrt, abs, sin/cos, tanh, sigmoid, relu, clamp, where, casts
    reduce.py        sum, mean, amax/amin, prod
    shape.py         reshape, permute (and its inverse), expand, contiguous, repeat, cat, stack, unbind
    index.py         reading and writing x[idx], and the embedding lookup
    linalg.py        matmul, einsum, and the linear layer's y = x Wᵀ + b
    conv.py          convolution and pooling as sliding windows (im2col), and the window geometry
    activation.py    softmax, log-softmax, erf, GELU, softplus
    loss.py          cross-entropy fused with log-softmax, binary cross-entropy
    norm.py          layer and batch normalisation as one node
    recurrent.py     the LSTM step, composed in Tensor ops and as one fused node
    attention.py     scaled dot-product attention computed tile by tile (FlashAttention-style)

Where a fused CUDA kernel exists, an op calls it through ``minigrad.cuda.fused`` as an early
return and keeps its composed formula below as the reference.
"""
from . import elementwise, reduce, shape, index, linalg, conv, activation, loss, norm, recurrent, attention
