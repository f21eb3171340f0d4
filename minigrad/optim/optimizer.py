"""``Optimizer``: the base class that every optimizer (SGD, Adam, RMSprop, ...) builds on.

Training repeats three lines: ``loss.backward()`` fills each parameter's ``.grad``,
``optimizer.step()`` moves each parameter against its gradient, ``optimizer.zero_grad()``
clears the gradients for the next batch (they would otherwise add up). What the base class
holds is the bookkeeping shared by all optimizers:

- ``param_groups``: a list of dicts, each with ``'params'`` (a list of tensors) and the
  hyperparameters for those tensors (``'lr'``, ``'momentum'``, ...). Groups let one model use
  several learning rates (say, a smaller one for a pretrained backbone).
- ``state``: per-parameter memory that survives from step to step (momentum buffers, Adam's
  moving averages), keyed by the parameter tensor itself.
- ``state_dict()`` / ``load_state_dict()``: the same information with parameters replaced by
  their position (0, 1, 2, ... across the groups), so a checkpoint can be loaded into a fresh
  optimizer built over a fresh model.

The base class also owns ``step()``: it visits every parameter that has a gradient, adds the L2
weight-decay term, and hands the parameter to the subclass's ``_update``, which changes ``p.data``
in place with plain array maths (``xp`` is NumPy or CuPy, whichever holds the parameter). The
update is not part of any graph, and because the parameter's values change in place its version
counter is bumped, so a graph that saved the old values refuses to backpropagate with the new ones.
"""
from ..tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..creation import as_tensor


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses implement ``step()``.

    ``params`` is an iterable of tensors, or of dicts (param groups) each holding ``'params'``
    and any hyperparameters that differ from ``defaults``.
    """

    # True where weight decay shrinks the weights directly (AdamW) instead of adding
    # ``weight_decay * p`` to the gradient; such a subclass applies it in its own ``_update``.
    decoupled_weight_decay = False

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or of "
                            f"dicts, got a single Tensor of shape {tuple(params.shape)}; "
                            f"pass [tensor] or model.parameters()")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{'params': groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyperparameters (missing ones come from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}.add_param_group: expected a dict with a 'params' "
                            f"entry, got {type(param_group).__name__}")
        params = param_group['params']
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, "
                                f"got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor "
                                 f"(shape {tuple(p.shape)}): optimize the leaf it was computed from")
        seen = {id(p) for g in self.param_groups for p in g['params']}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear more than once "
                             f"(within a group or in several groups)")
        group = dict(self.defaults)
        group.update(param_group)
        group['params'] = params
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: drop it (``None``, the default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    with no_grad():
                        p.grad = p.grad.detach().zero_()

    @no_grad()
    def step(self):
        """Update every parameter that has a gradient, by the formula in the subclass's docstring."""
        for group in self.param_groups:
            # a Python float, so float32 arrays stay float32 (a NumPy float64 scalar would widen them)
            weight_decay = float(group.get('weight_decay', 0))
            for p in group['params']:
                if p.grad is None:
                    continue      # the loss did not reach p: no step, and no weight decay either
                g = p.grad.data
                if weight_decay != 0 and not self.decoupled_weight_decay:
                    g = g + weight_decay * p.data    # L2 penalty: the gradient of weight_decay/2 * p**2
                self._update(p, g, group)
                p._mark_modified()

    def _update(self, p, g, group):
        """Change ``p.data`` in place, given its gradient ``g`` (an array, L2 term added) and its group."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update()")

    def _state_for(self, p, **buffers):
        """The state dict of parameter ``p``, created on first use.

        Each keyword names a state tensor shaped like ``p`` and the number it starts filled with
        (``exp_avg=0.0``); one that is missing (new, or added later, as when a scheduler turns
        momentum on) is created. Naming any also keeps a step count, ``'step'``, starting at 0.
        """
        state = self.state.setdefault(p, {})
        if buffers:
            state.setdefault('step', 0)
            xp = get_array_module(p.data)
            for name, value in buffers.items():
                if name not in state:
                    state[name] = as_tensor(xp.full_like(p.data, value))
        return state

    # ----- checking hyperparameters -----
    def _check(self, name, value, ok, rule):
        """Unless ``ok``, raise a ``ValueError`` naming this optimizer, the hyperparameter and its value."""
        if not ok:
            what = 'learning rate lr' if name == 'lr' else name
            raise ValueError(f"{type(self).__name__}: invalid {what}={value!r} ({rule})")

    def _check_nonnegative(self, **hyperparameters):
        """Check that each keyword's value is >= 0 (NaN fails too: every comparison with NaN is False)."""
        for name, value in hyperparameters.items():
            self._check(name, value, value >= 0, "must be >= 0")

    # ----- checkpoints -----
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``, as PyTorch.

        Parameters are named by their position across the groups; the state tensors are the
        optimizer's own (not copies), as in PyTorch, so save the result before the next step.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != 'params'}
            packed['params'] = []
            for p in group['params']:
                index.setdefault(id(p), len(index))
                packed['params'].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items()}
        return {'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        The optimizer must have been built over parameters of the same groups and sizes. State
        tensors are copied to each parameter's device and floating dtype.
        """
        name = type(self).__name__
        saved_groups = state_dict['param_groups']
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, the optimizer has {len(self.param_groups)}")
        params_by_index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved['params']) != len(group['params']):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has "
                                 f"{len(saved['params'])} parameters in the state dict and "
                                 f"{len(group['params'])} in the optimizer")
            params_by_index.update(zip(saved['params'], group['params']))
        self.state = {}
        for index, saved_state in state_dict['state'].items():
            if index not in params_by_index:
                raise ValueError(f"{name}.load_state_dict: the state dict has state for parameter "
                                 f"{index!r}, which none of its param groups lists")
            p = params_by_index[index]
            self.state[p] = {k: _like_param(v, p) for k, v in saved_state.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != 'params'})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != 'params']
        return "\n".join(lines + [")"])


def _like_param(value, p):
    """A copy of a saved state value on ``p``'s device, floating tensors in ``p``'s dtype."""
    if not isinstance(value, Tensor):
        return value
    value = value.detach().to(p.device)
    if value.dtype != p.dtype and value.data.dtype.kind == 'f':
        value = value.to(p.dtype)
    return value.clone()
