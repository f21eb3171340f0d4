"""Reference solution of tutorials/07_softmax.py (softmax and log-softmax that never overflow).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""


def softmax(x, dim):
    """exp(x) / sum(exp(x)) along ``dim``, computed from x minus its maximum along ``dim``."""
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(x, dim):
    """x − log(sum(exp(x))) along ``dim``, with the log-sum-exp trick."""
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
