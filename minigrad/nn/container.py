"""Containers: modules that hold other modules.

- ``Sequential``: a pipeline; ``forward`` feeds each module's output to the next.
- ``ModuleList``: a list of modules (for layers you loop over yourself, e.g. Transformer blocks).
- ``ModuleDict``: a dict of modules.

A plain Python list of layers would hide them from ``parameters()`` and ``state_dict()``; these
containers register every entry as a child under its index or key, so a layer at position 2 of a
Sequential saved as ``model.2.weight`` has the same key as in PyTorch.
"""
import operator
from collections import OrderedDict

from .module import Module


def _index(idx, n, who):
    """A Python index (negative allowed) as a position in [0, n)."""
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"{who}: index {idx} is out of range for {n} modules")
    return i % n


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: length, iteration, and adding at the end."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class Sequential(_ModuleSequence):
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


class ModuleList(_ModuleSequence):
    """A list of modules, registered as children ``'0'``, ``'1'``, ...; has no forward of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), 'ModuleList'))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), 'ModuleList')), module)

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        del modules[idx if isinstance(idx, slice) else _index(idx, len(self), 'ModuleList')]
        self._modules.clear()
        self.extend(modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys (insertion order kept)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        """Add entries from a dict (or a list of ``(key, module)`` pairs)."""
        pairs = modules.items() if hasattr(modules, 'items') else modules
        for key, module in pairs:
            self[key] = module
