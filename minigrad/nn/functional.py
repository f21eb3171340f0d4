"""minigrad.nn.functional (``import minigrad.nn.functional as F``): the stateless forms of the layers.

A layer object (``nn.Linear``) holds its parameters and calls the function of the same name here
(``F.linear``) with them. This file is the one home of every functional form: it checks the
arguments, with errors that name the function and the offending shapes or values, and either
calls the op that holds the maths (``minigrad.ops``: ``linalg``, ``index``, ``activation``,
``norm``, ``loss``, ``conv``, ``attention``) or composes the result from Tensor ops.
"""
import math
import numbers

from .. import random as _random
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..backend import get_array_module, to_device
from ..creation import as_tensor, tensor
from ..ops.activation import Gelu, Softplus
from ..ops.attention import FlashAttention, attention_weights, with_causal
from ..ops.conv import (AvgPool2d, Conv2d, MaxPool2dGather, Window2d, conv_out_size, int_tuple, max_pool2d_winners,
                        padding_pairs, pool_window, winner_pixels)
from ..ops.index import Embedding
from ..ops.linalg import LinearFunction
from ..ops.loss import BinaryCrossEntropy, ClassTarget, CrossEntropy
from ..ops.norm import Normalize
from ..tensor import Tensor, bool_, cat, check_broadcast, float16, in_float32, where, int64




def _tensor(x, op, name='input'):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a minigrad Tensor, got {type(x).__name__}")
    return x


def _floating(x, op, name='input'):
    _tensor(x, op, name)
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got {x.dtype} (use .float())")
    return x


def positive_ints(op, **arguments):
    """Check a layer's size arguments (``Conv2d(kernel_size=0)``, ``Embedding(-1, 4)``): each must be a
    positive int, or a tuple of them. Caught at construction, a wrong size can't become a silently
    wrong model, nor a NumPy error deep inside the first forward."""
    _ints_at_least(op, 1, 'a positive int', arguments)


def non_negative_ints(op, **arguments):
    """As ``positive_ints``, where 0 is allowed: a layer's channels may be 0, as PyTorch's lazy layers
    are built before the first input says how many there are."""
    _ints_at_least(op, 0, 'a non-negative int', arguments)


def _ints_at_least(op, least, what, arguments):
    for name, value in arguments.items():
        for v in value if isinstance(value, tuple) else (value,):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < least:
                raise ValueError(f"{op}: {name} must be {what}, got {value!r}")


def _inverse(n):
    """1/n, or NaN for an empty reduction (a mean over nothing), as PyTorch."""
    return 1.0 / n if n else math.nan


# ---------------------------------------------------------------------------------------------
# linear layers
# ---------------------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as PyTorch stores it."""
    _tensor(input, 'linear')
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input of shape {tuple(input.shape)} does not fit weight of shape "
                         f"{tuple(weight.shape)}: the input's last dim must be in_features={weight.shape[-1]}")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input is {input.dtype} but weight is {weight.dtype}; convert one "
                        f"(model.double() or input.float())")
    return LinearFunction.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1ᵀ W_o x2 + b_o for every output o; W has shape (out, in1, in2)."""
    _tensor(input1, 'bilinear', 'input1')
    _tensor(input2, 'bilinear', 'input2')
    out_f, in1, in2 = weight.shape
    if input1.shape[:-1] != input2.shape[:-1] or input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise ValueError(f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not fit "
                         f"weight of shape {tuple(weight.shape)}: expected (*, {in1}) and (*, {in2})")
    # x1 W_o for all o in one matmul: (*, in1) @ (in1, out·in2), then the dot with x2 per output
    left = (input1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(input1.shape[:-1] + (out_f, in2))
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


# ---------------------------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------------------------
def relu(input, inplace=False):
    """max(x, 0). ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor."""
    return _tensor(input, 'relu').relu()


def gelu(input, approximate='none'):
    """x · Φ(x) with Φ the standard normal CDF; ``approximate='tanh'`` uses the tanh formula (GPT-2)."""
    if approximate not in ('none', 'tanh'):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return in_float32(lambda x: Gelu.apply(x, approximate), _floating(input, 'gelu'))


def sigmoid(input):
    """σ(x) = 1 / (1 + e^-x)."""
    return _tensor(input, 'sigmoid').sigmoid()


def tanh(input):
    return _tensor(input, 'tanh').tanh()


def silu(input, inplace=False):
    """SiLU (swish): x · σ(x)."""
    return _tensor(input, 'silu') * input.sigmoid()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, negative_slope · x elsewhere."""
    _tensor(input, 'leaky_relu')
    return where(input > 0, input, input * negative_slope)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(βx)) / β, a smooth ReLU; linear where βx > threshold."""
    return Softplus.apply(_floating(input, 'softplus'), beta, threshold)


def softmax(input, dim, dtype=None):
    """e^(x_i) / Σ_j e^(x_j) along ``dim`` (minigrad requires ``dim``; PyTorch would guess one)."""
    _tensor(input, 'softmax')
    if dim is None:
        raise TypeError("softmax: dim must be given (the axis whose entries should sum to 1)")
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input, dim, dtype=None):
    """x_i - log Σ_j e^(x_j) along ``dim``, without computing the softmax first (no log of 0)."""
    _tensor(input, 'log_softmax')
    if dim is None:
        raise TypeError("log_softmax: dim must be given (the axis to normalise over)")
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


# ---------------------------------------------------------------------------------------------
# dropout and embedding
# ---------------------------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (so the mean is kept).

    Identity when ``training`` is False. The mask comes from minigrad's seeded generator.
    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.
    """
    _tensor(input, 'dropout')
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    xp = get_array_module(input.data)
    if p == 1:
        return input * input._wrap(xp.zeros(input.shape, dtype=input.dtype))
    draw = _random.generator(xp).random(input.shape, dtype=input.dtype if input.dtype.kind == 'f' else None)
    mask = (draw >= p).astype(input.dtype)
    mask *= 1.0 / (1.0 - p)
    return input * input._wrap(mask)


def _indices(x, op, device=None):
    """The array of an index tensor (or of a NumPy array or list, moved to ``device``)."""
    if isinstance(x, Tensor):
        if device is not None and x.device != device:
            raise RuntimeError(f"{op}: the indices are on {x.device} but the tensor they index is on {device}")
        return x.data
    if not hasattr(x, 'dtype'):         # plain Python lists and numbers
        x = tensor(x).data
    return to_device(x, device) if device is not None else x


def _integer_indices(x, op, device=None):
    index = _indices(x, op, device)
    if index.dtype.kind not in 'iu':
        raise TypeError(f"{op}: expected an integer (int64) index tensor, got {index.dtype}")
    return index


def embedding(input, weight, padding_idx=None):
    """Row ``input[i]`` of ``weight`` for every index: output shape input.shape + (embedding_dim,).

    Rows picked by ``padding_idx`` get no gradient.
    """
    index = _integer_indices(input, 'embedding', weight.device)
    rows = weight.shape[0]
    outside = (index < 0) | (index >= rows)
    if outside.any():       # one read from the device (a GPU sync), and only the error reads more
        bad = int(index[outside].reshape(-1)[0])
        raise IndexError(f"embedding: index {bad} is out of range for a table of {rows} rows "
                         f"(weight shape {tuple(weight.shape)}); indices must be in [0, {rows - 1}]")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings={rows}")
        padding_idx %= rows
    return Embedding.apply(weight, index, padding_idx)


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with a trailing axis of ``num_classes``, 1 at each class index, 0 elsewhere."""
    index = _integer_indices(tensor, 'one_hot')
    xp = get_array_module(index)
    if num_classes == -1:
        if index.size == 0:
            raise ValueError("one_hot: can not infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(index.max()) + 1
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"one_hot: class value {lo if lo < 0 else hi} is out of range for "
                             f"num_classes={num_classes}")
    out = xp.expand_dims(index, -1) == xp.arange(num_classes)
    return as_tensor(out.astype(int64))


# ---------------------------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------------------------
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims: (x - mean) / √(var + eps) · w + b.

    Each sample (each token, in a Transformer) is rescaled on its own, so it works for any batch
    size (article 001 §4.1: the layer norm after each residual connection).
    """
    _floating(input, 'layer_norm')
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape={list(shape)} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got {tuple(input.shape)}")
    for name, p in (('weight', weight), ('bias', bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {name} of shape {tuple(p.shape)} must have normalized_shape {shape}")
    dims = tuple(range(input.ndim - k, input.ndim))
    return in_float32(lambda x, w, b: Normalize.apply(x, w, b, dims, shape, eps), input, weight, bias)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and all other dims.

    Training: with the batch's own mean and (biased) variance, and the running statistics, when
    given, are updated in place: r ← (1 - momentum) r + momentum · batch statistic (the running
    variance uses the unbiased batch variance, as PyTorch). Evaluation: with the running statistics.
    """
    _floating(input, 'batch_norm')
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (('running_mean', running_mean), ('running_var', running_var), ('weight', weight),
                    ('bias', bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"batch_norm: {name} of shape {tuple(t.shape)} does not match the {c} channels "
                             f"of input {tuple(input.shape)}")
    view = (c,) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        scale = (running_var + eps).rsqrt()
        if weight is not None:
            scale = scale * weight
        shift = -running_mean * scale
        if bias is not None:
            shift = shift + bias
        return input * scale.reshape(view) + shift.reshape(view)
    if input.numel() == 0:      # an empty batch: nothing to normalise, no statistics to update (as PyTorch)
        return input.clone()
    n = input.numel() // c
    if n <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                         f"{tuple(input.shape)}")
    if running_mean is not None and running_var is not None:
        with no_grad():
            batch_mean = input.data.mean(axis=dims)
            batch_var = input.data.var(axis=dims, ddof=1)
            running_mean.mul_(1 - momentum).add_(input._wrap(batch_mean * momentum))
            running_var.mul_(1 - momentum).add_(input._wrap(batch_var * momentum))
    return in_float32(lambda x, w, b: Normalize.apply(x, w, b, dims, view, eps), input, weight, bias)


# ---------------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------------
def _check_reduction(reduction, op, allowed=('mean', 'sum', 'none')):
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {', '.join(repr(r) for r in allowed)}, got {reduction!r}")


def _reduce(loss, reduction):
    return loss.mean() if reduction == 'mean' else loss.sum() if reduction == 'sum' else loss


def _same_shape(input, target, op):
    """minigrad refuses a target whose shape differs from the input's (PyTorch would broadcast
    with a warning; an output (N, 1) against a target (N,) silently becomes an (N, N) loss)."""
    _tensor(input, op)
    _tensor(target, op, 'target')
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target of shape {tuple(target.shape)} does not match input of shape "
                         f"{tuple(input.shape)}")


def mse_loss(input, target, reduction='mean'):
    """Mean squared error (article 002 §3.5): mean of (x - y)²."""
    _check_reduction(reduction, 'mse_loss')
    _same_shape(input, target, 'mse_loss')
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction='mean'):
    """Mean absolute error: mean of |x - y|."""
    _check_reduction(reduction, 'l1_loss')
    _same_shape(input, target, 'l1_loss')
    return _reduce((input - target).abs(), reduction)


def _class_dim(input, op):
    _floating(input, op)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _class_weight(weight, input, dim, op):
    """The class weights as an array of the input's dtype and device, or None."""
    if weight is None:
        return None
    _tensor(weight, op, 'weight')       # as PyTorch: a list or an array is refused, by name
    c = input.shape[dim]
    if tuple(weight.shape) != (c,):
        raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} must have one entry per class, ({c},)")
    return weight.data.astype(input.dtype, copy=False)


def _class_target(input, target, dim, weight, ignore_index, label_smoothing, op):
    """Check integer class targets and describe them as ``ClassTarget`` rows; also returns the mean's
    denominator Σ w[y_n] over the samples that are not ignored (as PyTorch)."""
    index = _indices(target, op, input.device)
    if index.dtype.kind not in 'iu':
        raise TypeError(f"{op}: expected target to be integer class indices (int64) of shape "
                        f"{tuple(input.shape[:dim] + input.shape[dim + 1:])} or class probabilities of the input's "
                        f"shape {tuple(input.shape)} and float dtype; got a {index.dtype} tensor of shape "
                        f"{tuple(index.shape)}")
    c = input.shape[dim]
    expected = tuple(input.shape[:dim] + input.shape[dim + 1:])
    if tuple(index.shape) != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape {tuple(input.shape)} "
                         f"(classes along dim {dim}), got {tuple(index.shape)}")
    xp = get_array_module(input.data)
    valid = index != ignore_index
    bad = valid & ((index < 0) | (index >= c))
    picked = xp.where(valid & ~bad, index, 0)       # a class in range for every sample (ignored ones: 0)
    coef = valid.astype(input.dtype) if weight is None else weight[picked] * valid
    # the count of bad targets and the mean's denominator come back from the device in one read (a GPU sync)
    n_bad, denominator = xp.stack((bad.sum(dtype=coef.dtype), coef.sum())).tolist()
    if n_bad:
        raise IndexError(f"{op}: target {int(index[bad].reshape(-1)[0])} is out of bounds: class indices must be in "
                         f"[0, {c - 1}] for C={c} classes (or equal ignore_index={ignore_index})")
    smooth = None
    if label_smoothing > 0:
        row = xp.ones(c, dtype=input.dtype) if weight is None else weight
        smooth = (row * (label_smoothing / c)).reshape((c,) + (1,) * (input.ndim - dim - 1))
    rows = ClassTarget(picked, valid, coef * (1.0 - label_smoothing), smooth, dim)
    return rows, denominator


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
    """Cross-entropy between logits ``input`` (C,), (N, C) or (N, C, d1, ...) and ``target``:

    - integer class indices of shape (), (N,) or (N, d1, ...): loss_n = -w[y_n] · log softmax(x_n)[y_n];
      samples equal to ``ignore_index`` count for nothing; the mean divides by Σ w[y_n];
    - class probabilities of the input's shape: loss_n = -Σ_c w_c p_nc log softmax(x_n)_c; the mean
      divides by the number of samples.

    ``label_smoothing`` ε mixes the target with the uniform distribution: (1 - ε) · target + ε / C.
    One fused node (``ops.loss.CrossEntropy``) whose gradient is softmax - target; stable for any
    logits. The loss of article 002 §3.3.
    """
    op = 'cross_entropy'
    if isinstance(input, Tensor) and input.dtype == float16:    # logits 75000 apart overflow float16's exp
        return in_float32(lambda x: cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing),
                          input)
    _check_reduction(reduction, op)
    dim = _class_dim(input, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    w = _class_weight(weight, input, dim, op)
    c = input.shape[dim]
    if isinstance(target, Tensor) and target.dtype.kind == 'f':
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"{op}: class-probability target of shape {tuple(target.shape)} must have the input's "
                             f"shape {tuple(input.shape)} (integer class indices would be int64)")
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index is not supported for class-probability targets")
        rows = target.to(input.dtype)
        if label_smoothing > 0:
            rows = rows * (1.0 - label_smoothing) + label_smoothing / c
        if w is not None:
            rows = rows * input._wrap(w.reshape((c,) + (1,) * (input.ndim - dim - 1)))
        denominator = input.numel() // c if c else 0
    else:
        rows, denominator = _class_target(input, target, dim, w, ignore_index, label_smoothing, op)
    scale = None if reduction == 'none' else _inverse(denominator) if reduction == 'mean' else 1.0
    return CrossEntropy.apply(input, rows, dim, scale)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'):
    """Negative log-likelihood of log-probabilities ``input``: loss_n = -w[y_n] · input[n, y_n].

    ``cross_entropy(x, y)`` is ``nll_loss(log_softmax(x, 1), y)`` in one node.
    """
    op = 'nll_loss'
    _check_reduction(reduction, op)
    dim = _class_dim(input, op)
    rows, denominator = _class_target(input, target, dim, _class_weight(weight, input, dim, op), ignore_index, 0.0, op)
    per_sample = -(input * input._wrap(rows.dense(input.data))).sum(dim)
    if reduction == 'none':
        return per_sample
    total = per_sample.sum()
    return total * _inverse(denominator) if reduction == 'mean' else total


def binary_cross_entropy(input, target, weight=None, reduction='mean'):
    """-(y log x + (1 - y) log(1 - x)) for probabilities x (after a sigmoid); logs clamped at -100."""
    op = 'binary_cross_entropy'
    _check_reduction(reduction, op)
    _same_shape(input, target, op)
    _floating(input, op)
    if input.numel():
        lo, hi = float(input.data.min()), float(input.data.max())
        if lo < 0 or hi > 1:
            raise ValueError(f"{op}: all elements of input should be between 0 and 1 (probabilities; use "
                             f"binary_cross_entropy_with_logits for logits), got values in [{lo}, {hi}]")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable formula, for logits x:

        loss = (1 - y) · x + (1 + (pos_weight - 1) · y) · softplus(-x)

    (softplus(-x) = -log σ(x) never overflows). ``pos_weight`` scales the positive term, per class.
    """
    op = 'binary_cross_entropy_with_logits'
    _check_reduction(reduction, op)
    _same_shape(input, target, op)
    _floating(input, op)
    y = target.to(input.dtype)
    log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
    loss = (1 - y) * input + log_weight * Softplus.apply(-input, 1.0, math.inf)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, reduction='mean', log_target=False):
    """KL divergence Σ p (log p - input) with ``input`` = log q (log-probabilities), ``target`` = p.

    With ``log_target`` the target is given as log p. ``reduction='batchmean'`` (sum / batch size)
    is the true KL divergence per sample; 'mean' averages over every element, as PyTorch.
    """
    op = 'kl_div'
    _check_reduction(reduction, op, ('mean', 'batchmean', 'sum', 'none'))
    _same_shape(input, target, op)
    if log_target:
        loss = target.exp() * (target - input)
    else:      # p log p is 0 at p = 0: take the log of 1 there instead of log 0
        loss = target * (target.masked_fill(target <= 0, 1.0).log() - input)
    if reduction == 'batchmean':
        return loss.sum() * _inverse(input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# padding
# ---------------------------------------------------------------------------------------------
def pad(input, pad, mode='constant', value=None):
    """Pad the last dims: ``pad = (left, right)`` for the last dim, then (top, bottom) for the one before...

    mode 'constant' fills with ``value`` (0 by default; negative pads crop), 'reflect' mirrors
    without repeating the edge, 'replicate' repeats the edge, 'circular' wraps around. The
    non-constant modes are one gather of the input along each padded dim, so their gradients
    add up where an element was copied several times.
    """
    _tensor(input, 'pad')
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of pads, at most 2 per dim of the input "
                         f"{tuple(input.shape)}, got {pad}")
    if mode not in ('constant', 'reflect', 'replicate', 'circular'):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if mode != 'constant' and value not in (None, 0):
        raise ValueError(f"pad: value is only used with mode='constant', got value={value} for mode={mode!r}")
    out = input
    for k in range(len(pad) // 2):
        out = _pad_dim(out, input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1], mode, 0 if value is None else value)
    return out


def _pad_dim(x, d, before, after, mode, value):
    n = x.shape[d]
    lead = (slice(None),) * d
    xp = get_array_module(x.data)
    if mode == 'constant':
        if before < 0 or after < 0:     # negative padding crops
            x = x[lead + (slice(max(-before, 0), n - max(-after, 0)),)]
            before, after = max(before, 0), max(after, 0)
        def filler(size):
            return x._wrap(xp.full(x.shape[:d] + (size,) + x.shape[d + 1:], value, dtype=x.dtype))
        pieces = ([filler(before)] if before else []) + [x] + ([filler(after)] if after else [])
        return cat(pieces, d) if len(pieces) > 1 else x
    if before < 0 or after < 0:
        raise ValueError(f"pad: negative padding is only supported in mode='constant', got ({before}, {after})")
    limit = n - 1 if mode == 'reflect' else n
    if mode != 'replicate' and max(before, after) > limit:
        raise ValueError(f"pad: {mode} padding of ({before}, {after}) needs at most {limit} on each side "
                         f"for dim {d} of size {n} (input {tuple(x.shape)})")
    positions = xp.arange(-before, n + after)
    if mode == 'reflect':
        positions = (n - 1) - xp.abs((n - 1) - xp.abs(positions))
    elif mode == 'replicate':
        positions = xp.clip(positions, 0, n - 1)
    else:
        positions = positions % n
    return x[lead + (positions,)]



# ---------------------------------------------------------------------------------------------
# convolution (article 004, §3.1 卷积; the im2col arithmetic is in ``minigrad.ops.conv``)
# ---------------------------------------------------------------------------------------------
def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    """Shared body of conv1d (nd=1) and conv2d (nd=2)."""
    names = 'N, C, L' if nd == 1 else 'N, C, H, W'
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected a {nd + 2}-d input ({names}) or a {nd + 1}-d unbatched one, "
                         f"got shape {tuple(input.shape)}")
    if weight.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d weight (out_channels, in_channels/groups, kernel...), "
                         f"got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if input.dtype != weight.dtype:
        raise TypeError(f"{op}: input ({input.dtype}) and weight ({weight.dtype}) must have the same dtype")
    batched = input.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    out_channels, in_per_group = weight.shape[:2]
    if x.shape[1] != in_per_group * groups:
        raise ValueError(f"{op}: expected input with {in_per_group * groups} channels "
                         f"(weight {tuple(weight.shape)}, groups={groups}), got input of shape {tuple(input.shape)}")
    if out_channels % groups:
        raise ValueError(f"{op}: out_channels={out_channels} (weight {tuple(weight.shape)}) "
                         f"is not divisible by groups={groups}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{op}: expected bias of shape ({out_channels},), got {tuple(bias.shape)}")
    if bias is not None and bias.dtype != weight.dtype:
        raise TypeError(f"{op}: bias ({bias.dtype}) and weight ({weight.dtype}) must have the same dtype")
    kernel = tuple(weight.shape[2:])
    stride = int_tuple(stride, nd, op, 'stride')
    dilation = int_tuple(dilation, nd, op, 'dilation')
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    pads = padding_pairs(padding, kernel, stride, dilation, op)
    w = weight
    if nd == 1:     # a 1-d signal is an image of height 1
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    in_hw = tuple(x.shape[2:])
    out_hw = tuple(conv_out_size(size, k, s, lo + hi, d)
                   for size, k, s, (lo, hi), d in zip(in_hw, kernel, stride, pads, dilation))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: the kernel {tuple(weight.shape[2:])} (dilation {dilation[-nd:]}) does not fit "
                         f"the padded input: input shape {tuple(input.shape)}, padding {padding!r}")
    y = Conv2d.apply(x, w, Window2d(in_hw, kernel, stride, dilation, pads, out_hw), groups)
    if bias is not None:
        y = y + bias.reshape((1, out_channels, 1, 1))
    if nd == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of ``input`` (N, C, H, W) or (C, H, W) with ``weight`` (O, C/groups, KH, KW).

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output as large as the input,
    stride 1 only).
    """
    return _conv('conv2d', 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of ``input`` (N, C, L) or (C, L) with ``weight`` (O, C/groups, K)."""
    return _conv('conv1d', 1, input, weight, bias, stride, padding, dilation, groups)


# ---------------------------------------------------------------------------------------------
# pooling (article 004, §3.1 池化; the window ops are in ``minigrad.ops.conv``)
# ---------------------------------------------------------------------------------------------
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``.

    With ``return_indices`` also returns, per output, the flat index ``row·W + col`` of the
    chosen input pixel (an int64 tensor, as PyTorch).
    """
    x, batched, win = pool_window('max_pool2d', input, kernel_size, stride, padding, dilation, ceil_mode,
                                  lambda k, d: (d * (k - 1) + 1) // 2)
    idx = max_pool2d_winners(x.data, win)
    y = MaxPool2dGather.apply(x, win, idx)
    if not batched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    rows, cols = winner_pixels(idx, win)
    flat = (rows * win.in_hw[1] + cols).astype('int64')
    return y, as_tensor(flat if batched else flat[0])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling of ``input`` (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``.

    The divisor is the window's size clipped to the padded input (``count_include_pad=True``),
    or the number of real pixels in it (``False``), or ``divisor_override``.
    """
    x, batched, win = pool_window('avg_pool2d', input, kernel_size, stride, padding, 1, ceil_mode,
                                  lambda k, d: k // 2)
    xp = get_array_module(x.data)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be 0")
        divisor = xp.full(win.out_hw, divisor_override, dtype=x.dtype)
    else:
        counts = []
        for size, k, s, out, (p, _) in zip(win.in_hw, win.kernel, win.stride, win.out_hw, win.pads):
            start = xp.arange(out) * s - p
            end = xp.minimum(start + k, size + p)      # a ceil_mode window stops at the padding's end
            if not count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, size)
            counts.append(end - start)
        divisor = (counts[0][:, None] * counts[1][None, :]).astype(x.dtype)
    y = AvgPool2d.apply(x, win, divisor)
    return y if batched else y.squeeze(0)


def _adaptive_matrix(in_size, out_size, xp, dtype):
    """The (out, in) averaging matrix of one axis: row i averages x[start_i:end_i] with
    start_i = ⌊i·in/out⌋ and end_i = ⌈(i+1)·in/out⌉ (PyTorch's rule; windows may overlap)."""
    i = xp.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    pos = xp.arange(in_size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size`` (an int, or a pair whose None entries keep the input size).

    When the output divides the input, the windows tile it exactly: a reshape and a mean.
    Otherwise the windows follow PyTorch's start/end rule; since each is a product of a row
    range and a column range, the pool is ``A_h @ x @ A_wᵀ`` with two small averaging matrices.
    """
    op = 'adaptive_avg_pool2d'
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), "
                         f"got shape {tuple(input.shape)}")
    h, w = input.shape[-2:]
    sizes = (output_size, output_size) if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    if oh < 1 or ow < 1 or h < 1 or w < 1:
        raise ValueError(f"{op}: output_size must be positive and the input non-empty, got output_size="
                         f"{output_size!r} for input of shape {tuple(input.shape)}")
    lead = tuple(input.shape[:-2])
    if h % oh == 0 and w % ow == 0:
        return input.reshape(lead + (oh, h // oh, ow, w // ow)).mean(dim=(-3, -1))
    xp = get_array_module(input.data)
    a_h = as_tensor(_adaptive_matrix(h, oh, xp, input.data.dtype))
    a_w = as_tensor(_adaptive_matrix(w, ow, xp, input.data.dtype))
    return a_h @ input @ a_w.transpose(0, 1)


# ---------------------------------------------------------------------------------------------
# attention (article 000 §3.3, article 003 §3.2.1; the tiled kernel is in ``minigrad.ops.attention``)
# ---------------------------------------------------------------------------------------------
def _broadcast_batch(op, *shapes):
    """The broadcast of the leading (batch) dimensions of several shapes, or a ValueError naming them."""
    n = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (n - len(s)) + tuple(s) for s in shapes]):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"{op}: the batch dimensions of query, key and value do not broadcast: "
                             f"{', '.join(str(tuple(s)) for s in shapes)}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def additive_mask(mask, dtype):
    """A bool mask (True = may attend) as the float mask it stands for: 0 where allowed, -inf where not.

    After this, both mask kinds are the same thing, a bias added to the scores; a float mask stays a
    Tensor so that a learned bias (relative positions, ALiBi) gets its gradient.
    """
    if mask.dtype == bool_:
        xp = get_array_module(mask.data)
        return as_tensor(xp.where(mask.data, 0.0, -math.inf).astype(dtype))
    return mask


def _attend(query, key, value, bias, dropout_p, scale):
    """The composed path: the four steps of ``attention_with_weights`` on (..., L, E) queries and
    (..., S, E) keys/values. ``bias`` is None or a float Tensor added to the scores; a row that
    may see no key gets weights 0. Returns ``(Z, A)``.
    """
    weights = attention_weights(query, key, bias, scale)      # A = softmax(Q Kᵀ / √d_k + M)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value, weights                           # Z = A V


def attention_with_weights(query, key, value, bias, causal, dropout_p, scale, need_weights=True):
    """Attention and its weights, ``(Z, A)``, for checked (..., L, E) queries and (..., S, E) keys and
    values: what ``MultiheadAttention`` calls on its heads (the role of PyTorch's
    ``multi_head_attention_forward``) and ``scaled_dot_product_attention`` calls for Z.

    Scaled dot-product attention (article 000 §3.3, article 003 §3.2.1) turns queries, keys and values
    into a weighted average of the values, in four steps:

        S = Q Kᵀ              how well each query matches each key           (L, S) scores
        S̃ = S / √d_k + M      scaled so the softmax does not saturate, plus a mask M (0 or -inf)
        A = softmax(S̃)        each row sums to 1: how much each query looks at each key
        Z = A V               the answer: the values mixed by those weights

    ``bias`` is None or a float Tensor broadcasting to the (..., L, S) scores (the mask M, see
    ``additive_mask``); ``causal`` adds the mask that lets query i see keys 0..i only; ``scale``
    is the float that stands for 1/√d_k; ``dropout_p`` drops weights.

    Two ways to compute it. The *composed* path (``_attend``) builds the four steps from Tensor ops
    (matmul, softmax, add, dropout): autograd gives backward and double backward for free, and it is
    the reference. But it materialises the L×S matrices S̃ and A for every sequence and head, and
    keeps them for backward: memory O(L·S), 64 MiB per head at 4096 tokens in float32. The *tiled*
    path (``minigrad.ops.attention.FlashAttention``) computes the same Z one block of keys at a time
    with an online softmax and never holds more than a block of S̃: memory O(L·block). It runs
    whenever a gradient is wanted and nothing needs A itself: no dropout on the weights, no gradient
    for a float mask, and ``need_weights=False`` (A is then None); the composed path also takes
    inference and empty sequences, where there is nothing to tile.
    """
    # inference (no gradient wanted) takes the composed path: its few large products beat the tiles,
    # and nothing is kept for a backward, so the L×S matrices live only during the call
    wants_grad = is_grad_enabled() and any(t.requires_grad for t in (query, key, value))
    if wants_grad and not need_weights and dropout_p == 0.0 and (bias is None or not bias.requires_grad) \
            and query.shape[-2] > 0 and key.shape[-2] > 0:
        return FlashAttention.apply(query, key, value, bias, causal, scale), None
    if causal:
        bias = with_causal(bias, query, key)
    return _attend(query, key, value, bias, dropout_p, scale)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None):
    """softmax(Q Kᵀ · scale + mask) V, over the last two axes, for any leading batch axes.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    axes broadcast (e.g. (N, h) for N sequences and h heads). ``scale`` defaults to 1/√E.
    ``attn_mask`` broadcasts to (..., L, S): a bool mask is True where a query *may* attend to a
    key; a float mask is added to the scores (use -inf to forbid). ``is_causal=True`` lets query
    i see keys 0..i only (it cannot be combined with ``attn_mask``, as in PyTorch). ``dropout_p``
    drops attention weights whenever it is > 0, as PyTorch's function does (layers pass 0 in eval).
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} must have at least 2 dimensions (..., seq, features), "
                             f"got shape {tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{op}: query and key must have the same last dimension, got query "
                         f"{tuple(query.shape)} and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{op}: key and value must have the same sequence length, got key "
                         f"{tuple(key.shape)} and value {tuple(value.shape)}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    batch = _broadcast_batch(op, query.shape[:-2], key.shape[:-2], value.shape[:-2])
    L, S = query.shape[-2], key.shape[-2]

    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{op}: attn_mask must be a Tensor, got {type(attn_mask).__name__}")
        if attn_mask.dtype != bool_ and attn_mask.dtype != query.dtype:
            raise TypeError(f"{op}: attn_mask must be bool or have the query's dtype {query.dtype}, "
                            f"got {attn_mask.dtype}")
        check_broadcast(attn_mask.shape, batch + (L, S), op, "attn_mask")   # to the scores (..., L, S)
        bias = additive_mask(attn_mask, query.dtype)
    else:
        bias = None

    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    return attention_with_weights(query, key, value, bias, is_causal, dropout_p, float(scale),
                                  need_weights=False)[0]


# ---------------------------------------------------------------------------------------------
# more activations, group norm, normalize, interpolate (PyTorch's names, composed from Tensor ops
# so that gradients and double backward come from the ops they are made of)
# ---------------------------------------------------------------------------------------------
def _negative_exp(op, x, alpha, rate=1.0):
    """α · (e^(rate·x) - 1) where x ≤ 0, x elsewhere: the shape ELU, CELU and SELU share.

    The exponential is taken of min(x, 0): ``where`` discards it for x > 0, but an overflowing
    e^x there would still put inf · 0 = NaN into the gradient.
    """
    _floating(x, op)
    return where(x > 0, x, ((x.clamp_max(0) * rate).exp() - 1) * alpha)


def elu(input, alpha=1.0, inplace=False):
    """ELU: x for x > 0, α · (e^x - 1) otherwise (smooth at 0 for α = 1, mean activation near 0)."""
    return _negative_exp('elu', input, alpha)


def celu(input, alpha=1.0, inplace=False):
    """CELU: x for x > 0, α · (e^(x/α) - 1) otherwise (ELU made continuously differentiable for any α)."""
    return _negative_exp('celu', input, alpha, 1.0 / alpha)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """SELU: λ · elu(x, α) with λ ≈ 1.0507, α ≈ 1.6733, chosen so activations keep mean 0 and variance 1."""
    return _negative_exp('selu', input, _SELU_ALPHA) * _SELU_SCALE


def mish(input, inplace=False):
    """Mish: x · tanh(softplus(x))."""
    return input * softplus(input).tanh()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped into [min_val, max_val] (a piecewise-linear tanh)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _tensor(input, 'hardtanh').clamp(min_val, max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (MobileNet's ReLU): ``hardtanh(x, 0, 6)``."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: a piecewise-linear σ(x), 0 below -3 and 1 above 3."""
    return relu6(input + 3.0) / 6.0


def hardswish(input, inplace=False):
    """x · hardsigmoid(x): a piecewise-polynomial SiLU."""
    return input * hardsigmoid(input)


def logsigmoid(input):
    """log σ(x) = -softplus(-x), without ever forming σ(x) (which underflows to 0 for very negative x)."""
    return -Softplus.apply(-_floating(input, 'logsigmoid'), 1.0, math.inf)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (_tensor(input, 'softsign').abs() + 1.0)


def prelu(input, weight):
    """x for x > 0, a · x otherwise, with a learned slope ``weight``: one per channel (dim 1), or a
    single one (shape (1,)) shared by all (the only choice for an input of fewer than 2 dims)."""
    _tensor(input, 'prelu')
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-d (one slope per channel, or one in all), got shape "
                         f"{tuple(weight.shape)}")
    n = weight.shape[0]
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise ValueError(f"prelu: weight has {n} slopes but input of shape {tuple(input.shape)} has {channels} "
                         f"channels (dim 1)")
    slope = weight.reshape(() if n == 1 else (n,) + (1,) * (input.ndim - 2))
    return where(input > 0, input, slope * input)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Cut the C channels of each sample into ``num_groups`` groups and normalise each group over its
    channels and positions: (x - mean) / √(var + eps), then · weight[c] + bias[c] per channel.

    Independent of the batch size (like LayerNorm); num_groups = 1 normalises each whole sample,
    num_groups = C each channel on its own (InstanceNorm).
    """
    _floating(input, 'group_norm')
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, ...), got {tuple(input.shape)}")
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: the {c} channels of input {tuple(input.shape)} can't be divided into "
                         f"num_groups={num_groups} groups")
    for name, p in (('weight', weight), ('bias', bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise ValueError(f"group_norm: {name} of shape {tuple(p.shape)} must have one entry per channel, ({c},)")
    # the statistics are a layer norm of each row of (N, G, C/G · positions); the affine is per channel
    grouped = input.reshape(n, num_groups, -1)
    out = layer_norm(grouped, grouped.shape[-1:], eps=eps).reshape(input.shape)
    view = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(‖x‖_p, eps) along ``dim``: each slice scaled to length 1 (eps keeps a zero slice at 0)."""
    _floating(input, 'normalize')
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


_INTERPOLATE_MODES = {'nearest': None, 'nearest-exact': None, 'linear': 1, 'bilinear': 2, 'trilinear': 3}


def _interpolation_matrix(in_size, out_size, scale, mode, align_corners, xp, dtype):
    """The (out, in) matrix that resamples one axis: output i reads the input at position

        nearest:        ⌊i · s⌋                         (s = in/out, or 1/scale_factor when given)
        nearest-exact:  ⌊(i + ½) · s⌋
        linear:         (i + ½) · s - ½, clamped at 0   (align_corners=False: pixel centres line up)
                        i · (in - 1)/(out - 1)           (align_corners=True: the corner pixels line up)

    and a linear mode mixes the two neighbours of that position by their distances.
    """
    i = xp.arange(out_size, dtype=xp.float64)
    if mode.startswith('nearest'):
        offset = 0.5 if mode == 'nearest-exact' else 0.0
        src = xp.minimum(xp.floor((i + offset) * scale).astype(xp.int64), in_size - 1)
        return (src[:, None] == xp.arange(in_size)).astype(dtype)
    if align_corners:
        pos = i * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        pos = xp.maximum((i + 0.5) * scale - 0.5, 0.0)
    lo = xp.minimum(xp.floor(pos).astype(xp.int64), in_size - 1)
    hi = xp.minimum(lo + 1, in_size - 1)
    frac = pos - lo
    cols = xp.arange(in_size)
    return ((lo[:, None] == cols) * (1 - frac)[:, None] + (hi[:, None] == cols) * frac[:, None]).astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of ``input`` (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size``,
    or by ``scale_factor``.

    Modes: 'nearest', 'nearest-exact', and 'linear'/'bilinear'/'trilinear' for 1/2/3 spatial dims,
    with ``align_corners`` as PyTorch. Each axis is resampled by one (out, in) matrix, so the whole
    resize is a few matmuls and its gradient is the transposed resampling.
    """
    op = 'interpolate'
    _floating(input, op)
    if mode not in _INTERPOLATE_MODES:
        raise NotImplementedError(f"{op}: mode {mode!r} is not supported; use one of "
                                  f"{', '.join(map(repr, _INTERPOLATE_MODES))} (for 'area' use adaptive_avg_pool2d)")
    nd = input.ndim - 2
    if nd not in (1, 2, 3) or _INTERPOLATE_MODES[mode] not in (None, nd):
        raise ValueError(f"{op}: mode {mode!r} does not fit input of shape {tuple(input.shape)} "
                         f"({'expected (N, C, ...) with 1 to 3 spatial dims' if nd not in (1, 2, 3) else f'{nd} spatial dims'})")
    if align_corners is not None and _INTERPOLATE_MODES[mode] is None:
        raise ValueError(f"{op}: align_corners only applies to the linear modes, not {mode!r}")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = (size,) * nd if isinstance(size, numbers.Integral) else tuple(size)
        scales = [i / o for i, o in zip(in_sizes, out_sizes)]
    else:
        factors = (scale_factor,) * nd if isinstance(scale_factor, numbers.Real) else tuple(scale_factor)
        out_sizes = tuple(int(math.floor(i * f)) for i, f in zip(in_sizes, factors))
        # PyTorch samples with the given factor unless asked to recompute it from the rounded sizes
        scales = [i / o if recompute_scale_factor else 1.0 / f for i, o, f in zip(in_sizes, out_sizes, factors)]
    if len(out_sizes) != nd or min(out_sizes) < 1:
        raise ValueError(f"{op}: the output size {out_sizes} must be positive, one per spatial dim of input "
                         f"{tuple(input.shape)}")
    xp = get_array_module(input.data)
    out = input
    for k, (n_in, n_out, scale) in enumerate(zip(in_sizes, out_sizes, scales)):
        matrix = _interpolation_matrix(n_in, n_out, scale, mode, bool(align_corners), xp, input.dtype)
        axis = 2 + k      # resample this axis: move it last, multiply by the matrix, move it back
        out = (out.transpose(axis, -1) @ input._wrap(matrix.T)).transpose(axis, -1)
    return out

