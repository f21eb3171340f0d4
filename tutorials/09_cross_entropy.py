"""Exercise 9 — the cross-entropy loss and its gradient, in NumPy.

Follows chapter 3 (notebooks/03_losses_and_gradient_descent.ipynb, §2) and article 002 §3.3
(损失函数: 交叉熵). For N examples with K class scores each (logits s, shape (N, K)) and the right
classes y (N integers):

    p = softmax(s) along each ROW          p[n, k]: the probability example n gives class k
    L = −(1/N) Σ_n log p[n, y_n]            the mean over the batch of −log(probability of the truth)

Its gradient with respect to the logits is the prediction minus the truth, over N:

    dL/ds = (p − t) / N                     t: the one-hot rows of y (t[n, y_n] = 1, else 0)

Use the log-sum-exp trick (subtract each row's maximum before exp), or logits near 1000 overflow:
log p[n, k] = s[n, k] − m_n − log Σ_j exp(s[n, j] − m_n), with m_n the row's maximum.

Both functions take NumPy arrays: ``logits`` float64 (N, K), ``target`` int64 (N,). Useful:
``logits.max(axis=1, keepdims=True)``, ``numpy.exp``, ``numpy.log``, ``.sum(axis=1, keepdims=True)``,
``logits[numpy.arange(N), target]`` (one entry per row), ``numpy.eye(K)[target]`` (one-hot rows).
The checker compares with ``F.cross_entropy`` and with autograd's gradient of it.

Check your work:  python -m minigrad check tutorials/09_cross_entropy.py   (or run this file).
"""
import numpy


def cross_entropy(logits, target):
    """The mean cross-entropy (a float) of logits (N, K) against integer classes target (N,)."""
    raise NotImplementedError("exercise: log-softmax of each row, pick the target's entry, mean of minus that")


def cross_entropy_grad(logits, target):
    """dL/dlogits, an (N, K) array: (softmax(logits) − one_hot(target)) / N."""
    raise NotImplementedError("exercise: softmax of each row minus the one-hot targets, divided by N")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
