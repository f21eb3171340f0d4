"""Datasets, samplers and the ``DataLoader`` that cuts a dataset into (shuffled) mini-batches.

The pieces, as in ``torch.utils.data``:

- A *dataset* gives sample ``i`` (``dataset[i]``) and its length: ``Dataset`` subclasses,
  ``TensorDataset(x, y)``, and the views ``Subset`` (some indices of a dataset), ``ConcatDataset``
  (datasets one after another) and ``random_split`` (disjoint random subsets).
- A *sampler* is an iterable of indices: in order (``SequentialSampler``), shuffled
  (``RandomSampler``, ``SubsetRandomSampler``), drawn by weight (``WeightedRandomSampler``), or
  one rank's shard in data-parallel training (``DistributedSampler``).
  ``BatchSampler`` groups a sampler's indices into lists of ``batch_size``.
- The ``DataLoader`` fetches the samples of each group of indices and ``collate_fn`` turns them
  into one batch (``default_collate`` stacks them along a new first dimension).

Randomness comes from minigrad's generators: a shuffled epoch starts a fresh generator from a seed
drawn from the default stream (so ``manual_seed`` fixes every epoch's order), unless a
``generator=`` is given, whose own stream then decides the order whatever else the program draws.
"""
import bisect
import itertools
import math
import warnings

import numpy

from .. import random
from ..backend import module_for
from ..creation import as_tensor, multinomial, randint, randperm, tensor
from ..dtypes import float64
from ..tensor import Tensor, stack


# ----- datasets -----

class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(index)`` and ``__len__()``.
    ``a + b`` is ``ConcatDataset([a, b])``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


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


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, [4, 0])[1]`` is ``ds[0]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: the samples of the first, then those of the second, ...

    ``cumulative_sizes[k]`` is the number of samples in the first ``k + 1`` datasets; a bisection
    in it finds which dataset holds sample ``i``.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        index %= len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into disjoint random ``Subset``s of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1: then each
    gets ``floor(fraction * len(dataset))`` samples and the few left over go one each to the splits
    in turn, from the first. The order comes from ``generator`` (the default one when ``None``);
    a ``Generator`` of its own keeps the split fixed whatever else the program draws.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: the fraction at index {i} is not between 0 and 1, got {fraction}")
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: the split at index {i} is empty")
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, not to the "
                         f"dataset's length {n}")
    order = randperm(n, generator=generator, device='cpu').tolist()
    return [Subset(dataset, order[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]


# ----- samplers -----

def _check_positive_int(owner, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} should be a positive integer value, but got {name}={value!r}")


def _check_bool(owner, name, value, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{owner}: {name} should be a boolean value, but got {name}={value!r}")


class Sampler:
    """Base class of samplers: iterables over dataset indices, usually with a ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """The indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation of the dataset's indices, or, with
    ``replacement=True``, ``num_samples`` independent uniform draws.

    ``num_samples`` (default: the dataset's length) may exceed the length without replacement:
    then whole permutations follow one another. Each pass (epoch) draws from ``generator`` when one
    is given; otherwise it starts a fresh generator from a seed drawn from the default stream.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool('RandomSampler', 'replacement', replacement, TypeError)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int('RandomSampler', 'num_samples', self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = random.Generator().manual_seed(random.new_seed())
        if self.replacement:
            yield from randint(n, (self.num_samples,), generator=generator, device='cpu').tolist()
            return
        whole, rest = divmod(self.num_samples, n)
        for _ in range(whole):
            yield from randperm(n, generator=generator, device='cpu').tolist()
        if rest:
            yield from randperm(n, generator=generator, device='cpu').tolist()[:rest]


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, drawn anew each pass (from ``generator`` if given)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator, device='cpu').tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (one weight per
    sample, they need not sum to 1), e.g. to see a rare class as often as a common one."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int('WeightedRandomSampler', 'num_samples', num_samples)
        _check_bool('WeightedRandomSampler', 'replacement', replacement)
        self.weights = as_tensor(weights, dtype=float64, device='cpu')
        if self.weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given weights "
                             f"have shape {tuple(self.weights.shape)}")
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        draws = multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``; the last list is shorter
    when they don't divide evenly, or dropped with ``drop_last=True``."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int('BatchSampler', 'batch_size', batch_size)
        _check_bool('BatchSampler', 'drop_last', drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        whole, rest = divmod(len(self.sampler), self.batch_size)
        return whole + (1 if rest and not self.drop_last else 0)


# ----- from samples to batches -----

def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(value, '_fields')


def default_collate(batch):
    """Turn a list of samples into a batch, with one new leading dimension, as PyTorch does.

    Tensors, NumPy arrays and NumPy scalars are stacked (keeping their dtype); Python ints and
    bools become an int64 or bool tensor, Python floats a float64 one (as in PyTorch: pass
    ``dtype``-converted samples if the model is float32); strings stay a list. Containers are
    collated entry by entry: dicts give a dict, named tuples the same named tuple, and other tuples
    and lists a list, so ``[(x0, y0), (x1, y1)]`` gives ``[stack([x0, x1]), stack([y0, y1])]``.
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, (numpy.ndarray, numpy.generic)) and first.dtype.kind in 'biuf':
        return tensor(numpy.stack(batch))
    if isinstance(first, float):
        return tensor(batch, dtype=float64)
    if isinstance(first, int):          # bool is an int too: tensor() keeps it bool
        return tensor(batch)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError(f"default_collate: each element in list of batch should be of equal size, "
                               f"got lengths {sorted({len(s) for s in batch})}")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return type(first)(*fields) if _is_namedtuple(first) else fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"cannot batch samples of type {type(first).__name__}; pass a collate_fn")


def default_convert(data):
    """What ``DataLoader(batch_size=None)`` does to each sample: NumPy arrays and scalars become
    tensors, containers are converted entry by entry (tuples give lists, as in PyTorch), anything
    else is kept as it is; no batch dimension is added."""
    if isinstance(data, (numpy.ndarray, numpy.generic)) and data.dtype.kind in 'biuf':
        return tensor(data)
    if isinstance(data, dict):
        return {key: default_convert(value) for key, value in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples, as ``torch.utils.data.DataLoader``.

    - Which indices, in which order: ``sampler`` (default: in order, or a ``RandomSampler`` with
      ``generator`` when ``shuffle=True``, a new order each epoch). ``BatchSampler`` cuts them into
      groups of ``batch_size``, the last one shorter or, with ``drop_last=True``, dropped; or give
      a ``batch_sampler`` that yields the groups itself. ``batch_size=None`` yields samples one by
      one, unbatched.
    - Each group becomes a batch through ``collate_fn`` (``default_collate`` when ``None``). For a
      ``TensorDataset`` with the default collate, each tensor is indexed with the whole group at
      once (one vectorised gather per tensor) instead of sample by sample; the batch is the same.
    - ``num_workers`` workers run in the main process, one batch after another: the batches are
      the ones PyTorch's workers would make, only not loaded in parallel. ``worker_init_fn(0)`` is
      called when that one worker starts: each epoch, or only the first with ``persistent_workers``.
      ``pin_memory``, ``timeout`` and ``prefetch_factor`` are accepted and checked, and change nothing.

    ``len(loader)`` is the number of batches per epoch (of samples with ``batch_size=None``).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, prefetch_factor=None, persistent_workers=False):
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got {num_workers}; "
                             f"use num_workers=0 to disable multiprocessing")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(f"DataLoader: prefetch_factor={prefetch_factor} can only be given with "
                             f"num_workers > 0; otherwise leave it None")
        if num_workers == 0 and persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._worker_started = False

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        self._start_worker()
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def _start_worker(self):
        """Call ``worker_init_fn`` where PyTorch's (first) worker would: when it starts."""
        if self.worker_init_fn is not None and self.num_workers > 0 and not (
                self.persistent_workers and self._worker_started):
            self.worker_init_fn(0)
        self._worker_started = True

    def _fetch(self, indices):
        """The batch of the samples at ``indices``."""
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
            return [t[module_for(t.device).asarray(indices)] for t in self.dataset.tensors]
        return self.collate_fn([self.dataset[i] for i in indices])


class DistributedSampler(Sampler):
    """The indices of one rank's shard: with N ranks (``num_replicas``), rank r takes every N-th
    index starting at r, so the shards are disjoint and together cover the dataset.

    Every rank must produce the same number of batches, or one would wait in a collective that the
    others never join. So the index list is cut to a multiple of N: by repeating its first indices
    (the default: a few samples count twice per epoch) or, with ``drop_last=True``, by dropping the
    tail. With ``shuffle`` the list is a permutation drawn from ``seed + epoch``: every rank draws
    the *same* permutation without talking to the others, and ``set_epoch(epoch)`` (call it before
    each epoch) gives each epoch a new one. ``num_replicas`` and ``rank`` default to the process
    group's.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from .. import distributed
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        _check_positive_int('DistributedSampler', 'num_replicas', num_replicas)
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            generator = random.Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=generator, device='cpu').tolist()
        else:
            indices = list(range(n))
        if self.total_size > n:        # pad by repeating from the start, as often as needed
            indices = indices * math.ceil(self.total_size / n)
        indices = indices[:self.total_size]
        return iter(indices[self.rank::self.num_replicas])

    def __len__(self):
        return self.num_samples
