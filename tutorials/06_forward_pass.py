"""Exercise 6 — forward propagation: one neuron, then a two-layer network.

Follows chapter 1 (notebooks/01_tensors_and_graphs.ipynb, §2–4) and article 002 §3.1–3.2
(神经网络基本结构, 前向传播).

A neuron (神经元) weighs its inputs, adds a bias and applies an activation function:

    z = w · x + b            (w, x: vectors of the same length; b: a scalar)
    a = sigmoid(z) = 1 / (1 + exp(−z))

A layer is many neurons at once. For a batch X of N examples (one per row), a network with one
hidden layer computes (forward propagation, 前向传播):

    H     = sigmoid(X W1ᵀ + b1)      X (N, n_in), W1 (n_hidden, n_in), b1 (n_hidden,)
    Y_hat = H W2ᵀ + b2               W2 (n_out, n_hidden), b2 (n_out,): no activation at the output

The weights have shape (out, in), as in nn.Linear, hence the transposes (``W.T``).

Write both with Tensor operations (``*``, ``.sum()``, ``@``, ``.T``, ``+``, ``.sigmoid()``): then
autograd can follow them, and the checker compares your gradients with those of
``nn.Sequential(nn.Linear, nn.Sigmoid(), nn.Linear)`` holding the same weights.

Check your work:  python -m minigrad check tutorials/06_forward_pass.py   (or run this file).
"""


def neuron(x, w, b):
    """One neuron: returns the pair (z, a) with z = w · x + b and a = sigmoid(z)."""
    raise NotImplementedError("exercise: z = (w * x).sum() + b, then a = sigmoid(z)")


def forward(x, W1, b1, W2, b2):
    """The network's output sigmoid(x W1ᵀ + b1) W2ᵀ + b2 for a batch x of shape (N, n_in)."""
    raise NotImplementedError("exercise: the hidden layer, then the output layer")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
