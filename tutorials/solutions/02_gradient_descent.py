"""Reference solution of tutorials/02_gradient_descent.py (SGD and SGD with momentum by hand).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""


def sgd_step(param, grad, lr):
    """p ← p − lr · g, on NumPy arrays; returns the new parameter."""
    return param - lr * grad


def sgd_momentum_step(param, grad, velocity, lr, momentum, weight_decay=0.0):
    """One step of SGD with momentum (PyTorch's formulas); returns (new_param, new_velocity)."""
    g = grad + weight_decay * param
    velocity = g if velocity is None else momentum * velocity + g
    return param - lr * velocity, velocity


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
