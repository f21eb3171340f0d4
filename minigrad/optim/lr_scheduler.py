"""Learning-rate schedulers: change each param group's ``'lr'`` as training goes on.

Call ``scheduler.step()`` once per epoch (or per batch, if the schedule counts batches), after
``optimizer.step()``. Building a scheduler records each group's starting rate as
``group['initial_lr']`` and sets the rate for epoch 0, as in PyTorch.

minigrad computes every rate from its closed form (``base_lr`` and the epoch count), where
PyTorch multiplies the previous rate step by step; the values agree up to float rounding. Two
schedulers are different: ``SequentialLR`` hands each stretch of epochs to another scheduler, and
``ReduceLROnPlateau`` has no formula at all: it watches a metric, ``step(metric)``, and cuts the
rate when the metric stops improving.
"""
import math
from bisect import bisect_right

from .optimizer import Optimizer


class LRScheduler:
    """Base class: ``last_epoch`` counts calls to ``step()``; subclasses define ``get_lr()``."""

    def __init__(self, optimizer, last_epoch=-1):
        self._attach(optimizer)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault('initial_lr', group['lr'])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if 'initial_lr' not in group:
                    raise KeyError(f"{type(self).__name__}: param group {i} has no 'initial_lr'; "
                                   f"resuming with last_epoch={last_epoch} needs the optimizer's "
                                   f"state dict loaded first")
        self.base_lrs = [group['initial_lr'] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def _attach(self, optimizer):
        """Keep ``optimizer``, after checking it is one (shared with ReduceLROnPlateau's own ``__init__``)."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self):
        """Advance one epoch and write the new rates into the optimizer's groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group['lr'] = lr
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates set by the last ``step()`` (one per param group)."""
        return self._last_lr

    def state_dict(self):
        """Everything but the optimizer (and, for ``LambdaLR``, the functions)."""
        return {k: v for k, v in self.__dict__.items() if k not in ('optimizer', 'lr_lambdas')}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    (past ``T_max`` the cosine carries on, so the rate rises again, as in PyTorch).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cos = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * (1 + cos) / 2 for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``; ``lr_lambda`` is a function, or a list of one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per param group), "
                                 f"got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate by a factor that moves in a straight line from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays there (a warm-up, with the defaults):

        lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until epoch ``milestones[0]``, then ``schedulers[1]`` until
    ``milestones[1]``, and so on; each scheduler starts from its own epoch 0 at its milestone.

    The schedulers must be built on the same optimizer first (building them sets its rate, so
    this undoes that and starts the first one again); a warm-up followed by a decay is
    ``SequentialLR(opt, [LinearLR(opt, 0.1), CosineAnnealingLR(opt, T_max=95)], milestones=[5])``.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR does not support ReduceLROnPlateau (scheduler {i}): "
                                 f"its step() needs a metric")
            if getattr(scheduler, 'optimizer', None) is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(scheduler).__name__}) belongs to "
                                 f"another optimizer; all must share the one given")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones (one fewer than "
                             f"the schedulers), got {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        for group in optimizer.param_groups:
            group['lr'] = group['initial_lr']
        for scheduler in schedulers:
            scheduler.last_epoch = -1      # not started: undo the step each took when it was built
        super().__init__(optimizer, last_epoch)

    def step(self):
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler.last_epoch = -1      # its step() below is its epoch 0, even if it ran before
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """The schedulers' own state dicts in place of the schedulers."""
        state = super().state_dict()
        state['_schedulers'] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict.pop('_schedulers')):
            scheduler.load_state_dict(saved)
        super().load_state_dict(state_dict)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped once per *batch*: the rate climbs from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of ``total_steps``, then
    anneals to ``max_lr / div_factor / final_div_factor``. Within each phase, with ``pct`` going
    from 0 to 1,

        lr = end + (start - end) * (1 + cos(pi * pct)) / 2     (anneal_strategy='cos')
        lr = start + (end - start) * pct                       (anneal_strategy='linear')

    With ``cycle_momentum`` the momentum (SGD, RMSprop) or ``betas[0]`` (Adam) moves the other
    way, between ``max_momentum`` and ``base_momentum``: a high rate pairs with low momentum.
    ``three_phase`` climbs, comes back down to the starting rate at ``2 * pct_start``, and only
    then anneals to the final rate. The bounds are kept in each param group (``'max_lr'``,
    ``'min_lr'``, ``'max_momentum'``, ...), as in PyTorch.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        self._attach(optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give either total_steps or both epochs and steps_per_epoch")
            for name, value in (('epochs', epochs), ('steps_per_epoch', steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: expected a positive integer {name}, got {value!r}")
            total_steps = epochs * steps_per_epoch
        elif not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"OneCycleLR: expected a positive integer total_steps, got {total_steps!r}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        # each phase: the step it ends on, and the group keys of the values it goes from and to
        climb = dict(end=pct_start * total_steps - 1, lr=('initial_lr', 'max_lr'),
                     momentum=('max_momentum', 'base_momentum'))
        if three_phase:
            self._phases = [climb,
                            dict(end=2 * pct_start * total_steps - 2, lr=('max_lr', 'initial_lr'),
                                 momentum=('base_momentum', 'max_momentum')),
                            dict(end=total_steps - 1, lr=('initial_lr', 'min_lr'),
                                 momentum=('max_momentum', 'max_momentum'))]
        else:
            self._phases = [climb,
                            dict(end=total_steps - 1, lr=('max_lr', 'min_lr'),
                                 momentum=('base_momentum', 'max_momentum'))]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group('OneCycleLR', 'max_lr', max_lr, optimizer)):
                group['initial_lr'] = top / div_factor
                group['max_lr'] = top
                group['min_lr'] = group['initial_lr'] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if 'momentum' not in optimizer.defaults and 'betas' not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: {type(optimizer).__name__} has neither momentum nor "
                                 f"betas to cycle; pass cycle_momentum=False")
            self.use_beta1 = 'betas' in optimizer.defaults
            if last_epoch == -1:
                tops = _per_group('OneCycleLR', 'max_momentum', max_momentum, optimizer)
                bases = _per_group('OneCycleLR', 'base_momentum', base_momentum, optimizer)
                for group, top, base in zip(groups, tops, bases):
                    group['max_momentum'] = top
                    group['base_momentum'] = base
        super().__init__(optimizer, last_epoch)

    def _scheduled(self, kind):
        """Each group's value of ``kind`` (``'lr'`` or ``'momentum'``) at this step."""
        start_step = 0.0
        for i, phase in enumerate(self._phases):
            # the last phase also covers any step past its end (PyTorch allows one)
            if self.last_epoch <= phase['end'] or i == len(self._phases) - 1:
                break
            start_step = phase['end']
        pct = (self.last_epoch - start_step) / (phase['end'] - start_step)
        start_key, end_key = phase[kind]
        return [self._anneal(group[start_key], group[end_key], pct)
                for group in self.optimizer.param_groups]

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == 'cos':
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        if self.last_epoch > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {self.last_epoch} times, but total_steps is "
                             f"{self.total_steps}")
        return self._scheduled('lr')

    def step(self):
        """Set the rates and, with ``cycle_momentum``, the momentum (or ``betas[0]``)."""
        super().step()
        if self.cycle_momentum:
            for group, momentum in zip(self.optimizer.param_groups, self._scheduled('momentum')):
                if self.use_beta1:
                    group['betas'] = (momentum, *group['betas'][1:])
                else:
                    group['momentum'] = momentum


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` when a metric has not improved for more than ``patience``
    epochs. Call ``step(metric)`` once per epoch with, say, the validation loss.

    "Improved" means better than the best so far by more than ``threshold``: for mode 'min',
    ``metric < best * (1 - threshold)`` ('rel') or ``metric < best - threshold`` ('abs'); mode
    'max' mirrors it. After a cut, ``cooldown`` epochs pass before bad epochs are counted again.
    No rate goes below ``min_lr`` (a number, or one per param group), and a cut smaller than
    ``eps`` is skipped.
    """

    # No closed form: the rate depends on the metrics seen, so LRScheduler.__init__ (which takes
    # a first step without a metric) is not called; the rest of the base class applies.
    def __init__(self, optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if mode not in ('min', 'max'):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ('rel', 'abs'):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        self._attach(optimizer)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group('ReduceLROnPlateau', 'min_lr', min_lr, optimizer)
        self.best = math.inf if mode == 'min' else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group['lr'] for group in optimizer.param_groups]

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element tensor); cut the rates if it is time."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0            # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group['lr'] * self.factor, min_lr)
                if group['lr'] - new_lr > self.eps:
                    group['lr'] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def _is_better(self, current):
        rel = self.threshold_mode == 'rel'
        if self.mode == 'min':
            return current < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return current > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)


def _per_group(scheduler, name, value, optimizer):
    """``value`` for each param group: a list or tuple as given (one per group), a number repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{scheduler}: expected {n} values of {name} (one per param group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n
