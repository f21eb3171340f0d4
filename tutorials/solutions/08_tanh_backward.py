"""Reference solution of tutorials/08_tanh_backward.py (tanh forward and backward, and the chain rule
through one neuron by hand).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import numpy


def tanh_forward(x):
    """y = tanh(x) for an array x."""
    return numpy.tanh(x)


def tanh_backward(y, grad_y):
    """dL/dx from the forward's output y = tanh(x) and the upstream gradient dL/dy."""
    return grad_y * (1 - y ** 2)


def neuron_gradients(x, w, b, t):
    """(dL/dw, dL/db) of L = (tanh(w · x + b) − t)² by the chain rule; x, w arrays, b, t floats."""
    y = numpy.tanh(w @ x + b)
    dz = 2 * (y - t) * (1 - y ** 2)
    return dz * x, dz


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
