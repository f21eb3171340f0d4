"""Containers: modules that hold other modules.

- ``Sequential``: a pipeline; ``forward`` feeds each module's output to the next.
- ``ModuleList``: a list of modules (for layers you loop over yourself, e.g. Transformer blocks).
- ``ModuleDict``: a dict of modules.
- ``ParameterList``, ``ParameterDict``: the same for parameters (e.g. one learned scale per stage).

A plain Python list of layers would hide them from ``parameters()`` and ``state_dict()``; these
containers register every entry as a child (or a parameter) under its index or key, so a layer at
position 2 of a Sequential saved as ``model.2.weight`` has the same key as in PyTorch.
"""
import operator
from collections import OrderedDict

from ..tensor import Tensor
from .module import Module, Parameter


def _index(idx, n, who):
    """A Python index (negative allowed) as a position in [0, n)."""
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"{who}: index {idx} is out of range for {n} modules")
    return i % n


class _Container(Module):
    """What all containers share: their entries are one registry of the module (``_modules``, or
    ``_parameters`` for the parameter containers), and ``_add`` puts an entry there."""
    _store = '_modules'

    @property
    def _entries(self):
        return self.__dict__[self._store]

    def _add(self, key, value):
        self.add_module(key, value)

    def __len__(self):
        return len(self._entries)


class _HoldsParameters:
    """Makes a container hold parameters: a plain Tensor added is wrapped as a Parameter (sharing its memory)."""
    _store = '_parameters'

    def _add(self, key, value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        self.register_parameter(key, value)

    def extra_repr(self):
        """One line per entry, as PyTorch: ``(0): Parameter containing: [minigrad.float32 of size 3x4]``."""
        lines = []
        for key, p in self._entries.items():
            if p is None:
                lines.append(f"  ({key}): None")
                continue
            device = '' if p.device == 'cpu' else f" ({p.device})"
            lines.append(f"  ({key}): Parameter containing: [{self._type_name(p)} of size "
                         f"{'x'.join(map(str, p.shape))}{device}]")
        return '\n'.join(lines)

    @staticmethod
    def _type_name(p):
        return f"minigrad.{p.dtype}"


class _Sequence(_Container):
    """What the ordered containers share: iteration over the entries, and adding at the end."""

    def __iter__(self):
        return iter(self._entries.values())

    def append(self, value):
        """Add ``value`` at the end."""
        self._add(str(len(self)), value)
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self


class Sequential(_Sequence):
    """``Sequential(m1, m2, ...)`` or ``Sequential(OrderedDict(name=module, ...))``: y = m_k(...m_2(m_1(x)))."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), 'Sequential')]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(idx, len(self), 'Sequential')]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(self), 'Sequential')]]):
            del self._modules[key]
        if all(k.isdigit() for k in self._modules):     # keep the numbering 0, 1, 2, ... as PyTorch
            modules = list(self._modules.values())
            self._modules.clear()
            for i, m in enumerate(modules):
                self._modules[str(i)] = m


class _List(_Sequence):
    """A list whose entries are registered under ``'0'``, ``'1'``, ...: ModuleList and ParameterList."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._entries.values())[idx])
        return self._entries[str(_index(idx, len(self), type(self).__name__))]

    def __setitem__(self, idx, value):
        self._add(str(_index(idx, len(self), type(self).__name__)), value)

    def _renumber(self, values):
        self._entries.clear()
        self.extend(values)

    def __delitem__(self, idx):
        values = list(self._entries.values())
        del values[idx if isinstance(idx, slice) else _index(idx, len(self), type(self).__name__)]
        self._renumber(values)

    def __iadd__(self, values):
        return self.extend(values)

    def insert(self, index, value):
        values = list(self._entries.values())
        values.insert(index, value)
        self._renumber(values)


class ModuleList(_List):
    """A list of modules, registered as children ``'0'``, ``'1'``, ...; has no forward of its own."""

    def __init__(self, modules=None):
        super().__init__(modules)


class ParameterList(_HoldsParameters, _List):
    """A list of parameters, registered as ``'0'``, ``'1'``, ... (state_dict keys ``name.0``...)."""


class _Dict(_Container):
    """A dict whose entries are registered under their keys (insertion order kept): ModuleDict, ParameterDict."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.update(values)

    def __getitem__(self, key):
        return self._entries[key]

    def __setitem__(self, key, value):
        self._add(key, value)

    def __delitem__(self, key):
        del self._entries[key]

    def __iter__(self):
        return iter(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def keys(self):
        return self._entries.keys()

    def items(self):
        return self._entries.items()

    def values(self):
        return self._entries.values()

    def get(self, key, default=None):
        return self._entries.get(key, default)

    def pop(self, key):
        return self._entries.pop(key)

    def clear(self):
        self._entries.clear()

    def update(self, values):
        """Add entries from a dict (or a list of ``(key, value)`` pairs)."""
        pairs = values.items() if hasattr(values, 'items') else values
        for key, value in pairs:
            self[key] = value


class ModuleDict(_Dict):
    """A dict of modules, registered as children under their keys; has no forward of its own."""

    def __init__(self, modules=None):
        super().__init__(modules)


class ParameterDict(_HoldsParameters, _Dict):
    """A dict of parameters, registered under their keys (state_dict keys ``name.key``)."""

    def __init__(self, parameters=None):
        super().__init__(parameters)

    @staticmethod
    def _type_name(p):
        return p.type()         # PyTorch's ParameterDict names the legacy type: 'torch.FloatTensor'
