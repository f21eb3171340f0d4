"""Lazy layers: ``LazyLinear``, ``LazyConv1d``, ``LazyConv2d``, ``LazyBatchNorm1d``, ``LazyBatchNorm2d``.

A lazy layer is told only its output size; it reads its input size from the first batch it sees::

    net = nn.Sequential(nn.LazyConv2d(6, 5), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    net(minigrad.zeros(1, 1, 28, 28))      # a dry run: now every weight has its shape
    optimizer = minigrad.optim.SGD(net.parameters(), lr=0.1)

Until then its weights are ``UninitializedParameter``s: tensors with a dtype and a device but no
shape (asking for their shape or ``numel()`` raises, so does ``num_parameters()``). At the first
forward a forward pre-hook reads the input's size, ``materialize``s them in place, fills them
exactly as the eager layer would (``reset_parameters``) and turns the module into that eager
layer (a ``LazyLinear`` becomes a ``Linear``). As in PyTorch, build the optimizer *after* the
dry run, so that it sees the real parameters. Loading a ``state_dict`` into a lazy layer also
gives its tensors their shapes, from the loaded values.
"""
from itertools import chain

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import int64
from .conv import Conv1d, Conv2d
from .linear import Linear
from .module import UninitializedBuffer, UninitializedParameter, is_lazy
from .normalization import BatchNorm1d, BatchNorm2d


def _infer_parameters(module, args):
    """The forward pre-hook of a lazy module: shapes from the first input, then the eager class."""
    module.initialize_parameters(*args)
    module._lazy_hook.remove()
    del module._lazy_hook
    module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """What the lazy layers share. Each one names ``cls_to_become`` (its eager layer),
    ``size_name`` (the attribute the input decides: ``in_features``, ``in_channels``...) and
    defines ``_input_size(input)`` and ``_shapes()`` (the shape of each of its lazy tensors).
    """
    cls_to_become = None
    size_name = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lazy_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, input):
        """Read the input size; give every uninitialised tensor its shape and the eager layer's values."""
        setattr(self, self.size_name, self._input_size(input))
        if self.has_uninitialized_params():
            with no_grad():
                for name, shape in self._shapes().items():
                    t = self._parameters.get(name, self._buffers.get(name))
                    if is_lazy(t):
                        t.materialize(shape)
                self.reset_parameters()

    def reset_parameters(self):
        # the eager __init__ calls this before the sizes are known: there is nothing to fill yet
        if not self.has_uninitialized_params() and getattr(self, self.size_name) != 0:
            super().reset_parameters()


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dim of the first input."""
    cls_to_become = Linear
    size_name = 'in_features'

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _input_size(self, input):
        return input.shape[-1]

    def _shapes(self):
        return {'weight': (self.out_features, self.in_features), 'bias': (self.out_features,)}


class _LazyConvNd(LazyModuleMixin):
    """A convolution whose ``in_channels`` is dim 1 of the first input (dim 0 if unbatched)."""
    size_name = 'in_channels'

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode='zeros', device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _input_size(self, input):
        nd = self.cls_to_become.nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{type(self).__name__}: expected a {nd + 2}-d input or a {nd + 1}-d unbatched one, "
                             f"got shape {tuple(input.shape)}")
        channels = input.shape[1] if input.ndim == nd + 2 else input.shape[0]
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__}: the input's {channels} channels are not divisible by "
                             f"groups={self.groups}")
        return channels

    def _shapes(self):
        weight = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        return {'weight': weight, 'bias': (self.out_channels,)}


class LazyConv1d(_LazyConvNd, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` comes from the first input."""
    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` comes from the first input."""
    cls_to_become = Conv2d


class _LazyBatchNorm(LazyModuleMixin):
    """A batch norm whose ``num_features`` is dim 1 of the first input."""
    size_name = 'num_features'

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=int64, device=device)

    def _input_size(self, input):
        self._check_input_dim(input)
        return input.shape[1]

    def _shapes(self):
        return dict.fromkeys(('weight', 'bias', 'running_mean', 'running_var'), (self.num_features,))


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """A ``BatchNorm1d`` whose ``num_features`` comes from the first input."""
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """A ``BatchNorm2d`` whose ``num_features`` comes from the first input."""
    cls_to_become = BatchNorm2d
