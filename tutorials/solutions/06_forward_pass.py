"""Reference solution of tutorials/06_forward_pass.py (forward propagation: one neuron, then a two-layer
network).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""


def neuron(x, w, b):
    """One neuron: returns the pair (z, a) with z = w · x + b and a = sigmoid(z)."""
    z = (w * x).sum() + b
    return z, z.sigmoid()


def forward(x, W1, b1, W2, b2):
    """The network's output sigmoid(x W1ᵀ + b1) W2ᵀ + b2 for a batch x of shape (N, n_in)."""
    hidden = (x @ W1.T + b1).sigmoid()
    return hidden @ W2.T + b2


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
