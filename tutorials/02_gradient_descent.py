"""Exercise 2 — gradient descent by hand: a plain step, then a step with momentum.

Follows chapter 3 (notebooks/03_losses_and_gradient_descent.ipynb, §3 and §6) and
article 002 §3.5 (梯度下降: w_new = w_old − α · ∂L/∂w).

An optimizer never sees the model, only arrays: each parameter and the gradient that
``loss.backward()`` has just stored in its ``.grad``. Here you write that update on NumPy arrays.
The checker trains a small network twice, once with your update and once with
``minigrad.optim.SGD``, and compares every parameter after every step.

1. ``sgd_step(param, grad, lr)``: plain gradient descent. Return the new parameter

       p ← p − lr · g

2. ``sgd_momentum_step(param, grad, velocity, lr, momentum, weight_decay=0.0)``: SGD with
   momentum, with the formulas of PyTorch (and of minigrad.optim.SGD). Return the pair
   ``(new_param, new_velocity)``; ``velocity`` is ``None`` on the first step and, on every later
   step, whatever you returned the step before:

       g ← g + weight_decay · p          (weight decay: an L2 penalty ½·wd·‖p‖² added to the loss)
       v ← g                             on the first step
       v ← momentum · v + g              on the later steps
       p ← p − lr · v

   The velocity is a running, exponentially decaying sum of past gradients: along a direction
   where the gradient keeps its sign the steps grow (up to 1 / (1 − momentum) times), across a
   narrow valley where it flips sign they cancel, so training zig-zags less.

Both work on NumPy arrays and return new arrays (updating ``param`` in place is fine as well). The
parameters are float32: keep ``lr``, ``momentum`` and ``weight_decay`` as the Python floats they
are, and the result stays float32.

Check your work:  python -m minigrad check tutorials/02_gradient_descent.py   (or run this file).
"""


def sgd_step(param, grad, lr):
    """One step of plain gradient descent; returns the new parameter."""
    raise NotImplementedError("exercise: return param − lr · grad")


def sgd_momentum_step(param, grad, velocity, lr, momentum, weight_decay=0.0):
    """One step of SGD with momentum and weight decay; returns (new_param, new_velocity)."""
    raise NotImplementedError("exercise: weight decay, then the velocity, then the step")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
