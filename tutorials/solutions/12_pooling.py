"""Reference solution of tutorials/12_pooling.py (max pooling and average pooling from strided slices).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad


def max_pool2d(x, k, s):
    """Max pooling of x (N, C, H, W) over k×k windows with stride s."""
    h_out, w_out = (x.shape[-2] - k) // s + 1, (x.shape[-1] - k) // s + 1
    slices = [x[:, :, u:u + s * (h_out - 1) + 1:s, v:v + s * (w_out - 1) + 1:s] for u in range(k) for v in range(k)]
    return minigrad.stack(slices).amax(dim=0)


def avg_pool2d(x, k, s):
    """Average pooling of x (N, C, H, W) over k×k windows with stride s."""
    h_out, w_out = (x.shape[-2] - k) // s + 1, (x.shape[-1] - k) // s + 1
    slices = [x[:, :, u:u + s * (h_out - 1) + 1:s, v:v + s * (w_out - 1) + 1:s] for u in range(k) for v in range(k)]
    return minigrad.stack(slices).mean(dim=0)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
