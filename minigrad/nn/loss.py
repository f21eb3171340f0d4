"""Loss modules: each holds its options and calls the function of the same name in
``minigrad.nn.functional`` (where the formulas are).

A loss measures how far the prediction is from the target (article 002 §3.3): MSE for
regression, cross-entropy for classification. ``reduction`` is 'mean' (default), 'sum' or
'none' (one loss per sample). Class weights are buffers, so they follow ``to()`` and appear in
``state_dict`` as in PyTorch.
"""
from . import functional as F
from .module import Module


class _Loss(Module):
    _reductions = ('mean', 'sum', 'none')

    def __init__(self, reduction='mean'):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__, self._reductions)
        self.reduction = reduction

    def extra_repr(self):
        return '' if self.reduction == 'mean' else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """mean((input - target)²)."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """mean(|input - target|)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities (see ``F.cross_entropy``)."""

    def __init__(self, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
        super().__init__(reduction)
        self.register_buffer('weight', weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (after ``LogSoftmax``) and class indices."""

    def __init__(self, weight=None, ignore_index=-100, reduction='mean'):
        super().__init__(reduction)
        self.register_buffer('weight', weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after ``Sigmoid``)."""

    def __init__(self, weight=None, reduction='mean'):
        super().__init__(reduction)
        self.register_buffer('weight', weight)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable formula; ``pos_weight`` weights the positives."""

    def __init__(self, weight=None, reduction='mean', pos_weight=None):
        super().__init__(reduction)
        self.register_buffer('weight', weight)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence; ``input`` holds log-probabilities. Use reduction='batchmean' for the true KL per sample."""
    _reductions = ('mean', 'batchmean', 'sum', 'none')

    def __init__(self, reduction='mean', log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, self.reduction, self.log_target)
