"""``Module`` and ``Parameter``: the building blocks every layer and model is made of.

A ``Parameter`` is a tensor that a module learns (a weight or a bias). A ``Module`` is an object
that holds parameters, *buffers* (state that is saved but not learned, like BatchNorm's running
mean) and other modules, and computes something in ``forward``. Assigning an attribute is all it
takes to register one of them::

    class MLP(Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Linear(784, 128)     # a child module, registered under the name 'fc1'
            self.fc2 = Linear(128, 10)

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

``model.parameters()`` then finds all four tensors, ``model.state_dict()`` names them
``fc1.weight``, ``fc1.bias``, ... exactly as PyTorch does, so weights move between the two
frameworks array by array.

Hooks are functions a module calls around its forward (and backward), e.g. to record every
layer's activations: ``layer.register_forward_hook(lambda module, args, output: ...)``.
"""
import itertools
from collections import OrderedDict, namedtuple

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor, empty
from ..tensor import Tensor, float16, float32, float64, parse_to


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: ``requires_grad=True`` and registered on assignment.

    ``Parameter(tensor)`` shares the tensor's memory, as in PyTorch.
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        elif not isinstance(data, Tensor):
            data = Tensor(data)
        self._fill(data.data, version=data._version)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _Uninitialized:
    """A tensor whose shape is not known yet: what a lazy layer (``nn.LazyLinear``...) holds until
    its first forward. It has a dtype and a device but no shape; ``materialize(shape)`` turns it,
    in place, into a real tensor of class ``cls_to_become``, so whoever holds it keeps the same object.
    """
    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Become a ``cls_to_become`` of ``shape`` (uninitialised memory: the layer fills it next)."""
        data = empty(shape, device=device or self.device, dtype=dtype or self.dtype).data
        self._fill(data, requires_grad=self.requires_grad)
        self.__class__ = self.cls_to_become

    def _refuse(self, what):
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using a "
            f"lazy module (nn.LazyLinear...) before its first forward: run one forward pass with a dummy batch "
            f"(a dry run) to give its parameters their shapes first")

    @property
    def shape(self):
        self._refuse('shape')

    @property
    def ndim(self):
        self._refuse('ndim')

    def numel(self):
        self._refuse('numel()')

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without a shape yet (see ``_Uninitialized``); becomes a ``Parameter``."""
    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer without a shape yet (see ``_Uninitialized``); becomes a plain ``Tensor``."""
    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        self._fill(empty(0, device=device, dtype=dtype).data, requires_grad=requires_grad)


def is_lazy(t):
    """True for an ``UninitializedParameter`` or ``UninitializedBuffer`` (no shape yet)."""
    return isinstance(t, _Uninitialized)


class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` takes the hook off again.

    Also a context manager: ``with model.register_forward_hook(show): model(x)`` removes it at the end.
    """
    _ids = itertools.count()

    def __init__(self, *hook_dicts):
        self.id = next(RemovableHandle._ids)
        self._hook_dicts = hook_dicts     # the hook's id is removed from each (some hooks sit in two)

    def remove(self):
        for hooks in self._hook_dicts:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _BackwardHookCall:
    """One forward of a module with full backward hooks: its tensor inputs and outputs pass through
    identity nodes, so that backward meets the outputs' node first (the gradients w.r.t. the
    outputs, ``grad_output``) and the inputs' node last (``grad_input``), then calls the hooks."""

    def __init__(self, module, args):
        self.module, self.n_inputs, self.grad_output = module, len(args), None
        self.hooked = _needing_grad(args)

    def wrap_inputs(self, args):
        return _pass_through(args, self.hooked, self._on_grad_input) if self.hooked else args

    def wrap_output(self, output):
        """The output (a Tensor, or a tuple whose Tensors are wrapped) passed through the outputs' node."""
        single = isinstance(output, Tensor)
        items = (output,) if single else output
        positions = _needing_grad(items) if isinstance(items, tuple) else []
        if not positions:
            return output
        items = _pass_through(items, positions, self._on_grad_output)
        return items[0] if single else items

    def _on_grad_output(self, grads):
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grads)
            if result is not None:
                grads = tuple(result)
        self.grad_output = grads
        if not self.hooked:            # no input needs a gradient: the hooks run now, with grad_input all None
            self._on_grad_input(())
        return grads

    def _on_grad_input(self, grads):
        grad_input = [None] * self.n_inputs
        for k, g in zip(self.hooked, grads):
            grad_input[k] = g
        grad_input = tuple(grad_input)
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = tuple(result)
        return tuple(grad_input[k] for k in self.hooked)


def _needing_grad(items):
    """The positions of the tensors among ``items`` that require a gradient."""
    return [k for k, a in enumerate(items) if isinstance(a, Tensor) and a.requires_grad]


def _pass_through(items, positions, on_grad):
    """``items`` with the tensors at ``positions`` replaced by their images through one ``_Identity``."""
    items = list(items)
    for k, t in zip(positions, _Identity.apply(on_grad, *[items[k] for k in positions])):
        items[k] = t
    return tuple(items)


class _Identity(Function):
    """Passes tensors through unchanged; its backward hands their gradients to ``on_grad``, which
    may replace them (how full backward hooks see and change a module's gradients)."""

    @staticmethod
    def forward(ctx, on_grad, *tensors):
        ctx.on_grad = on_grad
        return tuple(t.data for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grad(grads))


# What load_state_dict returns (as PyTorch): the keys it could not match, in both directions.
IncompatibleKeys = namedtuple('IncompatibleKeys', ['missing_keys', 'unexpected_keys'])


def _check_name(kind, name, owner):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == '' or '.' in name:
        raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
    if hasattr(owner, name) and name not in owner._parameters and name not in owner._buffers \
            and name not in owner._modules:
        raise KeyError(f"attribute {name!r} already exists on {type(owner).__name__}")


class Module:
    """Base class of all layers and models; subclasses set attributes in ``__init__`` and define ``forward``."""

    def __init__(self):
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist
        object.__setattr__(self, 'training', True)
        object.__setattr__(self, '_parameters', OrderedDict())
        object.__setattr__(self, '_buffers', OrderedDict())
        object.__setattr__(self, '_non_persistent_buffers', set())
        object.__setattr__(self, '_modules', OrderedDict())
        # hooks: id -> function; the ids of hooks that also receive the keyword arguments
        object.__setattr__(self, '_forward_pre_hooks', OrderedDict())
        object.__setattr__(self, '_forward_hooks', OrderedDict())
        object.__setattr__(self, '_backward_pre_hooks', OrderedDict())
        object.__setattr__(self, '_backward_hooks', OrderedDict())
        object.__setattr__(self, '_hooks_with_kwargs', {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); a Module subclass must define it")

    def __call__(self, *args, **kwargs):
        """Run ``forward``, with the forward pre-hooks before it and the forward hooks after it (and
        the tensors wrapped for the backward hooks, if there are any)."""
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:       # a hook may replace the input (a lone value means one argument)
                    args = result if isinstance(result, tuple) else (result,)
        backward_call = _BackwardHookCall(self, args) if self._backward_hooks or self._backward_pre_hooks else None
        if backward_call is not None:
            args = backward_call.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for key, hook in list(self._forward_hooks.items()):
            result = hook(self, args, kwargs, output) if key in self._hooks_with_kwargs else hook(self, args, output)
            if result is not None:           # a hook may replace the output
                output = result
        return output if backward_call is None else backward_call.wrap_output(output)

    # ----- hooks: functions called around forward, e.g. to look at the activations -----
    def _add_hook(self, hooks, hook, prepend, with_kwargs):
        handle = RemovableHandle(hooks, self._hooks_with_kwargs)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every forward; returns a handle whose ``remove()`` undoes this.

        ``args`` is the tuple of positional inputs. If the hook returns something other than None,
        that becomes the input (a tuple, or a single value for one argument). With ``with_kwargs``
        the hook is ``hook(module, args, kwargs)`` and returns None or a new ``(args, kwargs)``.
        ``prepend`` runs it before the hooks already registered.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args, output)`` after every forward; returns a handle with ``remove()``.

        If the hook returns something other than None, that replaces the output. With
        ``with_kwargs`` the hook is ``hook(module, args, kwargs, output)``. A typical use records
        activations: ``layer.register_forward_hook(lambda m, args, out: seen.append(out))``.
        """
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs are known,
        before they go on into the module; a tuple it returns replaces ``grad_output``."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend, False)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients w.r.t. the module's
        positional inputs are computed (None for an input that needs none); a tuple it returns
        replaces ``grad_input``. Gradients w.r.t. the parameters are not part of it, as in PyTorch.
        """
        return self._add_hook(self._backward_hooks, hook, prepend, False)

    # ----- registration -----
    def _registry(self, name):
        if '_parameters' not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; call super().__init__() "
                f"first in {type(self).__name__}.__init__")
        return self._parameters, self._buffers, self._modules

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``) as ``name``."""
        params, _, _ = self._registry(name)
        _check_name('parameter', name, self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            f"(minigrad.nn.Parameter or None expected)")
        if name not in params:     # a replaced parameter keeps its place (and its state_dict position)
            self._discard(name)
        params[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add ``tensor`` as buffer ``name``: saved in ``state_dict`` (unless not persistent), moved by ``to``."""
        _, buffers, _ = self._registry(name)
        _check_name('buffer', name, self)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} "
                            f"(minigrad.Tensor or None expected)")
        if name not in buffers:    # a replaced buffer keeps its place
            self._discard(name)
        buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Add ``module`` as child ``name`` (what ``self.name = module`` does)."""
        _, _, modules = self._registry(name)
        _check_name('module', name, self)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if name not in modules:
            self._discard(name)
        modules[name] = module

    register_module = add_module

    def _discard(self, name):
        """Forget ``name`` wherever it was registered, so one name lives in one place only."""
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registry(name)
            d.pop(name, None)      # a plain attribute of that name is replaced, as in PyTorch
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            _, _, modules = self._registry(name)
            self._discard(name)    # (no name check here: a class attribute may be overridden, as in PyTorch)
            modules[name] = value
        elif '_parameters' in d and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                f"(minigrad.nn.Parameter or None expected)")
            self._parameters[name] = None
        elif '_modules' in d and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                f"(minigrad.nn.Module or None expected)")
            self._modules[name] = None
        elif '_buffers' in d and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                f"(minigrad.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for registry in ('_parameters', '_buffers', '_modules'):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # ----- walking the tree -----
    def named_modules(self, memo=None, prefix='', remove_duplicate=True):
        """``(name, module)`` for this module and every descendant, depth first; shared ones once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ('.' if prefix else '') + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mod_prefix + ('.' if mod_prefix else '') + name, t

    def named_parameters(self, prefix='', recurse=True, remove_duplicate=True):
        """``(name, parameter)`` pairs; a parameter shared by two layers comes once (tied weights)."""
        yield from self._named_members('_parameters', prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix='', recurse=True, remove_duplicate=True):
        yield from self._named_members('_buffers', prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The descendant called ``target`` (a dotted path such as ``'encoder.layers.0'``)."""
        module = self
        for part in target.split('.') if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (looking for {target!r})")
            module = module._modules[part]
        return module

    def _get_member(self, target, registry, kind):
        module_path, _, name = target.rpartition('.')
        module = self.get_submodule(module_path)
        member = getattr(module, registry).get(name)
        if member is None:
            raise AttributeError(f"{type(module).__name__} has no {kind} {name!r} (looking for {target!r})")
        return member

    def get_parameter(self, target):
        """The parameter called ``target`` (a dotted path such as ``'encoder.0.weight'``, a state_dict key)."""
        return self._get_member(target, '_parameters', 'parameter')

    def get_buffer(self, target):
        """The buffer called ``target`` (a dotted path such as ``'bn.running_mean'``)."""
        return self._get_member(target, '_buffers', 'buffer')

    def num_parameters(self, only_trainable=False):
        """How many numbers the model learns (shared parameters counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not only_trainable)

    # ----- modes and gradients -----
    def train(self, mode=True):
        """Switch this module and all descendants to training mode (``mode=False``: evaluation mode)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, 'training', mode)
        return self

    def eval(self):
        """Evaluation mode: Dropout passes its input through, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradients: ``.grad = None`` (or zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = p.grad.detach()
                p.grad.data[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, then on this module (e.g. a custom initialisation)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- device and dtype -----
    def to(self, *args, **kwargs):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place.

        ``to('cuda')``, ``to(minigrad.float64)``, ``to('cpu', minigrad.float32)``. The Parameter
        objects stay the same (only their ``.data`` is replaced), so an optimizer built before
        ``to`` keeps working.
        """
        device, dtype = parse_to(args, kwargs, 'Module.to')
        if dtype is not None:
            if dtype.kind != 'f':
                raise TypeError(f"Module.to only accepts floating point dtypes, got {dtype}")

        def convert(array):
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and array.dtype.kind == 'f':
                array = array.astype(dtype, copy=False)
            return array

        for t in list(self.parameters()) + list(self.buffers()):
            t.data = convert(t.data)
            if t.grad is not None:
                t.grad.data = convert(t.grad.data)
        return self

    def cpu(self):
        return self.to('cpu')

    def cuda(self):
        return self.to('cuda')

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        return self.to(float16)

    # ----- saving and loading -----
    def _state_entries(self, prefix=''):
        """``(key, tensor)`` for every parameter and persistent buffer, in PyTorch's order."""
        for mod_prefix, module in self.named_modules(prefix=prefix.rstrip('.'), remove_duplicate=False):
            dot = mod_prefix + ('.' if mod_prefix else '')
            for name, p in module._parameters.items():
                if p is not None:
                    yield dot + name, p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers:
                    yield dot + name, b

    def state_dict(self, destination=None, prefix='', keep_vars=False):
        """An ordered dict ``key -> tensor`` of every parameter and persistent buffer.

        Keys are dotted paths (``'encoder.0.weight'``) exactly as PyTorch names them. The tensors
        are detached and share memory with the model (copy them to keep a snapshot). A lazy
        layer's tensors before its first forward appear as themselves (``<UninitializedParameter>``).
        """
        out = OrderedDict() if destination is None else destination
        for key, t in self._state_entries(prefix):
            out[key] = t if keep_vars or is_lazy(t) else t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` (Tensors or NumPy arrays) into this module's tensors.

        Every problem is collected first and reported in one error: missing keys, unexpected keys
        (both only when ``strict``) and shape mismatches (always). Unlike PyTorch, nothing is
        copied when there is an error. Returns ``(missing_keys, unexpected_keys)``. A lazy
        layer's uninitialised tensors take the shapes of the values loaded into them (as PyTorch).
        """
        if not hasattr(state_dict, 'keys'):
            raise TypeError(f"load_state_dict: expected a dict of tensors, got {type(state_dict).__name__}")
        own = OrderedDict(self._state_entries())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, pairs = [], []
        for key, target in own.items():
            if key not in state_dict or is_lazy(state_dict[key]) and is_lazy(target):
                continue
            if is_lazy(state_dict[key]):
                errors.append(f"{key} is uninitialized in the checkpoint (a lazy module's, saved before its first "
                              f"forward) and can't be copied into an initialized one")
                continue
            array = _state_array(state_dict[key])
            shape = tuple(array.shape)
            if is_lazy(target):
                pairs.append((target, array))
            elif shape != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {shape} from checkpoint, "
                              f"the shape in current model is {tuple(target.shape)}.")
            else:
                pairs.append((target, array))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for target, array in pairs:
                if is_lazy(target):
                    target.materialize(array.shape)
                array = backend.to_device(array, target.device)
                target.copy_(as_tensor(array.astype(target.dtype, copy=False)))
        return IncompatibleKeys(missing, unexpected)

    # ----- printing -----
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (layers override it)."""
        return ''

    def __repr__(self):
        lines = [line for line in self.extra_repr().split('\n') if line]
        for name, child in self._modules.items():
            body = repr(child).replace('\n', '\n  ')
            lines.append(f"({name}): {body}")
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({''.join(lines)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _state_array(value):
    """A state-dict value as an array: a Tensor's data; a NumPy or CuPy array, a number, a list or a
    PyTorch tensor as a new array of its own dtype."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, 'detach') and hasattr(value, 'cpu'):     # a PyTorch tensor
        value = value.detach().cpu().numpy()
    return Tensor(value).data
