"""Exercise 7 — softmax and log-softmax that never overflow.

Follows chapter 1 (notebooks/01_tensors_and_graphs.ipynb) and chapter 3 (cross-entropy), article
002 §3.3 (损失函数). Softmax turns K raw scores (logits) into probabilities:

    softmax(s)_k = exp(s_k) / Σ_j exp(s_j)          each slice along `dim` sums to 1
    log_softmax(s)_k = s_k − log Σ_j exp(s_j)

Computed as written, exp(1000) is inf in floating point and the result is NaN. Subtracting the
slice's maximum m first changes nothing mathematically (exp(s_k − m) / Σ exp(s_j − m) is the same
fraction) but keeps every exp ≤ 1: the log-sum-exp trick (对数和指数技巧).

Write both for any ``dim`` with Tensor operations: ``x.amax(dim=dim, keepdim=True)``,
``.exp()``, ``.sum(dim=dim, keepdim=True)``, ``.log()``, ``-``, ``/``. ``keepdim=True`` keeps
the reduced axis (length 1) so the result broadcasts back over the slice. The checker compares
with ``F.softmax`` / ``F.log_softmax``, including their gradients, and with logits near 1000.

Check your work:  python -m minigrad check tutorials/07_softmax.py   (or run this file).
"""


def softmax(x, dim):
    """exp(x) / sum(exp(x)) along ``dim``, computed from x minus its maximum along ``dim``."""
    raise NotImplementedError("exercise: subtract the maximum, exp, divide by the sum along dim")


def log_softmax(x, dim):
    """x − log(sum(exp(x))) along ``dim``, with the log-sum-exp trick."""
    raise NotImplementedError("exercise: shift by the maximum, then subtract the log of the sum of exps")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
