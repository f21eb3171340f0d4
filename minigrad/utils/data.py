"""Datasets and the ``DataLoader`` that cuts them into (shuffled) mini-batches.

- ``Dataset``: anything with ``__getitem__(i)`` (one sample) and ``__len__()``.
- ``TensorDataset(*tensors)``: sample ``i`` is ``(t[i] for t in tensors)``, e.g. ``(image, label)``.
- ``DataLoader``: an iterable over batches. Each epoch it orders the indices (a fresh random
  permutation from minigrad's seeded generator when ``shuffle=True``, so ``manual_seed`` makes
  it repeatable), cuts them into groups of ``batch_size`` and turns each group into a batch:
  for a ``TensorDataset`` by indexing every tensor with the whole index array at once (one
  vectorised gather per tensor), otherwise by fetching the samples and ``collate_fn``-ing them.
"""
import numpy

from .. import random
from ..backend import to_device
from ..creation import tensor
from ..tensor import Tensor, stack


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples taken along the first dimension of tensors of the same length."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension, got "
                             f"shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def default_collate(batch):
    """Turn a list of samples into a batch, with one new leading dimension.

    Tensors and NumPy arrays are stacked; numbers become a 1-D tensor (Python floats give float32,
    minigrad's default dtype); strings stay a list; tuples, lists and dicts are collated entry by
    entry, so ``[(x0, y0), (x1, y1)]`` gives ``(stack([x0, x1]), stack([y0, y1]))``.
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, (numpy.ndarray, numpy.generic)):
        return tensor(numpy.stack(batch))
    if isinstance(first, (bool, int, float)):
        return tensor(batch)
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in batch):
            raise ValueError(f"default_collate: samples have different lengths "
                             f"{sorted({len(s) for s in batch})}; each must have the same fields")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    f"pass a collate_fn")


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    ``shuffle=True`` draws a new order every epoch; ``drop_last=True`` drops a final batch smaller
    than ``batch_size``; ``collate_fn`` turns a list of samples into a batch (``default_collate``
    when ``None``). ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = random.generator(numpy).permutation(n) if self.shuffle else numpy.arange(n)
        whole_batches = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if whole_batches:
                yield tuple(t[to_device(indices, t.device)] for t in self.dataset.tensors)
            else:
                yield collate([self.dataset[int(i)] for i in indices])
