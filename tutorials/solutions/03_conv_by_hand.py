"""Reference solution of tutorials/03_conv_by_hand.py (a 2-d convolution as unfold + one matmul).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad
import minigrad.nn.functional as F


def unfold(input, kernel_size, stride=1):
    """(N, C, H, W) -> (N, OH·OW, C·KH·KW): every window of the input as one row."""
    N, C, H, W = input.shape
    kh, kw = kernel_size
    oh, ow = (H - kh) // stride + 1, (W - kw) // stride + 1
    # one strided slice per kernel offset (u, v): the pixel each window has at that offset
    offsets = [input[:, :, u:u + stride * (oh - 1) + 1:stride, v:v + stride * (ow - 1) + 1:stride]
               for u in range(kh) for v in range(kw)]
    cols = minigrad.stack(offsets, dim=2)                  # (N, C, KH·KW, OH, OW)
    return cols.reshape(N, C * kh * kw, oh * ow).transpose(1, 2)


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """y[n, o, i, j] = Σ_c Σ_u Σ_v x_pad[n, c, i·s + u, j·s + v] · w[o, c, u, v] + b[o]."""
    N, C, H, W = input.shape
    out_channels, _, kh, kw = weight.shape
    if padding:
        input = F.pad(input, (padding, padding, padding, padding))
    oh = (H + 2 * padding - kh) // stride + 1
    ow = (W + 2 * padding - kw) // stride + 1
    cols = unfold(input, (kh, kw), stride)                                # (N, OH·OW, C·KH·KW)
    out = cols @ weight.reshape(out_channels, C * kh * kw).transpose(0, 1)  # (N, OH·OW, O)
    if bias is not None:
        out = out + bias
    return out.transpose(1, 2).reshape(N, out_channels, oh, ow)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
