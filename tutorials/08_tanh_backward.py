"""Exercise 8 — tanh forward and backward, and the chain rule through one neuron by hand.

Follows chapter 2 (notebooks/02_backpropagation.ipynb) and article 002 §3.4 (反向传播).

Every operation in a framework comes as a pair: a forward that computes the output, and a
backward that turns the gradient of the loss with respect to the output, dL/dy, into the
gradient with respect to the input, dL/dx (the chain rule, 链式法则). For y = tanh(x):

    dy/dx = 1 − tanh(x)² = 1 − y²        so     dL/dx = dL/dy · (1 − y²)

Backward is written from the OUTPUT y: the forward already computed it, so nothing is recomputed.

Then put the chain rule to work on one neuron with a squared-error loss:

    z = w · x + b,   y = tanh(z),   L = (y − t)²
    dL/dy = 2 (y − t),   dL/dz = dL/dy · (1 − y²),   dL/dw = dL/dz · x,   dL/db = dL/dz

All three functions work on NumPy arrays (and Python floats): ``numpy.tanh``, ``*``, ``**``, ``@``.
The checker compares with ``numpy.tanh``, with finite differences (``gradcheck``, wrapping your
two functions into one autograd Function) and with minigrad's autograd on the neuron.

Check your work:  python -m minigrad check tutorials/08_tanh_backward.py   (or run this file).
"""
import numpy


def tanh_forward(x):
    """y = tanh(x) for an array x."""
    raise NotImplementedError("exercise: the forward of tanh")


def tanh_backward(y, grad_y):
    """dL/dx from the forward's output y = tanh(x) and the upstream gradient dL/dy."""
    raise NotImplementedError("exercise: dL/dx = dL/dy * (1 - y^2)")


def neuron_gradients(x, w, b, t):
    """(dL/dw, dL/db) of L = (tanh(w · x + b) − t)² by the chain rule; x, w arrays, b, t floats."""
    raise NotImplementedError("exercise: forward (z, y), then backward from dL/dy down to dL/dw and dL/db")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
