"""Normalisation layers: ``LayerNorm``, ``GroupNorm``, ``BatchNorm1d``, ``BatchNorm2d``.

Both rescale activations to mean 0 and variance 1, then apply a learned scale (``weight``) and
shift (``bias``):  y = (x - mean) / √(var + eps) · weight + bias. They differ in *what* is averaged:

- LayerNorm: over the features of each sample on its own (the last dims) — the same computation
  in training and evaluation; what Transformers use (article 001 §4.1, 层归一化).
- GroupNorm: over each group of channels of each sample (and the positions): like LayerNorm,
  independent of the batch; the choice of CNNs trained on small batches.
- BatchNorm: over the batch (and the spatial positions), per channel. In training it uses the
  batch's statistics and keeps running averages of them; in evaluation it uses those averages.

The statistics are one graph node with its own backward (``ops.norm.Normalize``).
"""
import numbers

from ..autograd.grad_mode import no_grad
from ..creation import ones, zeros, tensor
from ..tensor import int64
from . import functional as F
from . import init
from .module import Module, Parameter


class _Normalization(Module):
    """What every normalisation layer shares: its affine ``weight`` starts at ones, ``bias`` at zeros."""

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class LayerNorm(_Normalization):
    """``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)``.

    Normalises over the last ``len(normalized_shape)`` dims; weight (ones) and bias (zeros) have
    shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(_Normalization):
    """``GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, bias=True)``: the channels (dim 1)
    are cut into ``num_groups`` groups, each normalised per sample; weight (ones) and, unless
    ``bias=False``, bias (zeros) have one entry per channel when ``affine``.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.register_parameter('weight', Parameter(ones(num_channels, device=device, dtype=dtype)) if affine else None)
        self.register_parameter('bias', Parameter(zeros(num_channels, device=device, dtype=dtype))
                                if affine and bias else None)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _BatchNorm(_Normalization):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept.

    Parameters: weight (ones) and, unless ``bias=False``, bias (zeros), shape (num_features,), when ``affine``.
    Buffers, when ``track_running_stats``: running_mean (zeros), running_var (ones),
    num_batches_tracked (0, int64). ``momentum=None`` makes the running statistics a plain
    cumulative average over all batches seen.
    """
    _dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter('weight', Parameter(ones(num_features, device=device, dtype=dtype)) if affine else None)
        self.register_parameter('bias', Parameter(zeros(num_features, device=device, dtype=dtype))
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer('running_mean', zeros(num_features, device=device, dtype=dtype))
            self.register_buffer('running_var', ones(num_features, device=device, dtype=dtype))
            self.register_buffer('num_batches_tracked', tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer('running_mean', None)
            self.register_buffer('running_var', None)
            self.register_buffer('num_batches_tracked', None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        super().reset_parameters()

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._dims)} input "
                             f"(got {input.ndim}D input of shape {tuple(input.shape)})")

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels in dim 1, got input of "
                             f"shape {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.item())
        # batch statistics while training, or always when there are no running statistics to use
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) inputs, per channel C."""
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) images, per channel C."""
    _dims = (4,)
