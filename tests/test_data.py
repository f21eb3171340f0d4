"""Datasets, samplers, DataLoader and the default collate function, as ``torch.utils.data``.

Shuffled orders can't match PyTorch's bit for bit, so the tests check what a training script
relies on: every index once per epoch, a new order each epoch, the same order for the same seed,
and, with ``generator=``, an order that other random draws don't disturb.
"""
import collections
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, Sampler,
                                 SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, random_split)


class Squares(Dataset):
    """A map-style dataset written the way a student would: one sample per index."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return minigrad.tensor([float(i), float(i * i)]), i

    def __len__(self):
        return self.n


def test_tensor_dataset_items_and_length():
    x, y = minigrad.randn(5, 3), minigrad.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2
    with pytest.raises(ValueError, match=r'same first dimension.*\(5, 3\).*\(4,\)'):
        TensorDataset(x, minigrad.arange(4))


@pytest.mark.parametrize('n, batch_size, drop_last, sizes', [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
])
def test_batches_in_order(n, batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(minigrad.arange(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    batches = [b for (b,) in loader]
    assert [len(b) for b in batches] == sizes
    assert [i for b in batches for i in b.tolist()] == list(range(sum(sizes)))


def test_shuffle_is_a_permutation_new_each_epoch_and_seeded():
    ds = TensorDataset(minigrad.arange(50))

    def epoch(loader):
        return np.concatenate([b.numpy() for (b,) in loader]).tolist()

    minigrad.manual_seed(3)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    minigrad.manual_seed(3)
    assert epoch(loader) == first


def test_tensor_dataset_batches_are_gathered_whole():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)

    x, y = minigrad.randn(20, 3), minigrad.arange(20) % 3
    batches = list(DataLoader(Counting(x, y), batch_size=6, shuffle=True))
    assert Counting.calls == 0
    xb, yb = batches[0]
    assert xb.shape == (6, 3) and yb.shape == (6,) and xb.device == x.device
    # each row still goes with its own label
    rows = {tuple(r): l for r, l in zip(x.numpy().round(6).tolist(), y.tolist())}
    for xb, yb in batches:
        assert [rows[tuple(r)] for r in xb.numpy().round(6).tolist()] == yb.tolist()


def test_custom_dataset_with_default_collate():
    xb, yb = next(iter(DataLoader(Squares(5), batch_size=3)))
    assert xb.shape == (3, 2) and xb.dtype == minigrad.float32
    assert xb.tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 4.0]]
    assert yb.dtype == minigrad.int64 and yb.tolist() == [0, 1, 2]
    assert len(DataLoader(Squares(5), batch_size=3)) == 2


def test_default_collate_kinds():
    batch = [{'image': np.full((2, 2), i, dtype=np.float64), 'score': 0.5 * i, 'name': f's{i}',
              'pair': [i, minigrad.tensor([i, -i])]} for i in range(3)]
    out = default_collate(batch)
    assert out['image'].shape == (3, 2, 2) and out['image'].dtype == minigrad.float64
    assert out['score'].dtype == minigrad.float64 and out['score'].tolist() == [0.0, 0.5, 1.0]   # as PyTorch
    assert out['name'] == ['s0', 's1', 's2']
    assert isinstance(out['pair'], list) and out['pair'][0].tolist() == [0, 1, 2]
    assert out['pair'][1].tolist() == [[0, 0], [1, -1], [2, -2]]
    with pytest.raises(RuntimeError, match=r'default_collate: .*equal size, got lengths \[1, 2\]'):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match='cannot batch samples of type set'):
        default_collate([{1}, {2}])


def test_collate_fn_and_bad_batch_size():
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1], [2, 3]]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=rf'batch_size should be a positive integer value, but got '
                                             rf'batch_size={bad}'):
            DataLoader(Squares(4), batch_size=bad)


def epoch(loader):
    """The sample order of one pass over a loader of ``TensorDataset(arange(n))``."""
    return [i for (b,) in loader for i in b.tolist()]


def test_collate_nested_structures_as_pytorch():
    Pair = collections.namedtuple('Pair', 'x y')
    batch = [(minigrad.tensor([i, i]), {'label': i, 'flags': [True, i > 0]}, Pair(np.float32(i), 's'))
             for i in range(3)]
    xs, meta, pair = default_collate(batch)
    assert isinstance(default_collate(batch), list)                # tuples collate to a list, as PyTorch
    assert xs.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert meta['label'].dtype == minigrad.int64 and meta['label'].tolist() == [0, 1, 2]
    assert meta['flags'][0].dtype == minigrad.bool and meta['flags'][1].tolist() == [False, True, True]
    assert isinstance(pair, Pair) and pair.x.dtype == minigrad.float32 and pair.y == ['s', 's', 's']


def test_tensor_dataset_fast_path_gives_the_same_batches_as_sample_by_sample():
    x, y = minigrad.randn(11, 2), minigrad.arange(11)
    whole = list(DataLoader(TensorDataset(x, y), batch_size=4))
    one_by_one = list(DataLoader(Subset(TensorDataset(x, y), list(range(11))), batch_size=4))
    assert len(whole) == len(one_by_one) == 3
    for a, b in zip(whole, one_by_one):
        assert isinstance(a, list) and isinstance(b, list)
        assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()


def test_batch_size_none_yields_samples_unbatched():
    loader = DataLoader(Squares(3), batch_size=None)
    assert len(loader) == 3
    samples = list(loader)
    assert samples[2][0].tolist() == [2.0, 4.0] and samples[2][1] == 2
    with pytest.raises(ValueError, match='batch_size=None .* mutually exclusive with drop_last'):
        DataLoader(Squares(3), batch_size=None, drop_last=True)


@pytest.mark.parametrize('with_generator', [True, False])
def test_a_generator_keeps_the_order_whatever_else_is_drawn(with_generator):
    def orders(build_extra_layer):
        minigrad.manual_seed(0)
        g = minigrad.Generator().manual_seed(7) if with_generator else None
        loader = DataLoader(TensorDataset(minigrad.arange(20)), batch_size=5, shuffle=True, generator=g)
        if build_extra_layer:
            minigrad.nn.Linear(4, 4, device='cpu')              # draws its weights from the global stream
        return [epoch(loader) for _ in range(2)]

    first, second = orders(False)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    assert orders(False) == [first, second]                     # same seeds, same orders
    assert (orders(True) == [first, second]) is with_generator  # without one, the order follows the global stream


def test_loader_with_sampler_and_batch_sampler():
    ds = TensorDataset(minigrad.arange(10) * 10)
    assert epoch(DataLoader(ds, batch_size=3, sampler=[9, 0, 4, 4])) == [90, 0, 40, 40]
    loader = DataLoader(ds, batch_sampler=[[1, 2], [7]])
    assert len(loader) == 2 and [b.tolist() for (b,) in loader] == [[10, 20], [70]]
    assert loader.batch_size is None and loader.drop_last is False


@pytest.mark.parametrize('kwargs, message', [
    (dict(shuffle=True, sampler=[0]), 'sampler option is mutually exclusive with shuffle'),
    (dict(batch_sampler=[[0]], batch_size=2), 'batch_sampler option is mutually exclusive'),
    (dict(batch_sampler=[[0]], drop_last=True), 'batch_sampler option is mutually exclusive'),
    (dict(num_workers=-1), 'num_workers option should be non-negative, got -1'),
    (dict(timeout=-2), 'timeout option should be non-negative, got -2'),
    (dict(prefetch_factor=2), 'prefetch_factor=2 can only be given with num_workers > 0'),
    (dict(persistent_workers=True), 'persistent_workers option needs num_workers > 0'),
])
def test_loader_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=f'DataLoader: {message}'):
        DataLoader(Squares(4), **kwargs)


def test_workers_run_in_the_main_process_with_the_same_batches():
    calls = []
    ds = TensorDataset(minigrad.arange(9))
    minigrad.manual_seed(1)
    plain = [epoch(DataLoader(ds, batch_size=2, shuffle=True)) for _ in range(2)]
    minigrad.manual_seed(1)
    loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=3, worker_init_fn=calls.append,
                        pin_memory=True, timeout=5, prefetch_factor=4)
    assert [epoch(loader) for _ in range(2)] == plain
    assert calls == [0, 0]                                       # the worker starts once per epoch
    persistent = DataLoader(ds, num_workers=2, persistent_workers=True, worker_init_fn=calls.append)
    list(persistent), list(persistent)
    assert calls == [0, 0, 0]


def test_subset_and_concat_dataset():
    a, b = Squares(3), Squares(5)
    sub = Subset(b, [4, 1])
    assert len(sub) == 2 and sub[0][1] == 4 and sub[-1][1] == 1
    both = a + sub
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [both[i][1] for i in range(5)] == [0, 1, 2, 4, 1] and both[-1][1] == 1 and both[-5][1] == 0
    with pytest.raises(IndexError, match='ConcatDataset: index 5 is out of range for 5 samples'):
        both[5]
    assert [s[1] for s in both] == [0, 1, 2, 4, 1]              # IndexError ends Python's iteration
    with pytest.raises(ValueError, match='ConcatDataset: datasets should not be an empty iterable'):
        ConcatDataset([])
    ds = TensorDataset(minigrad.arange(6))
    assert Subset(ds, [5, 0, 2])[[0, 2]][0].tolist() == [5, 2]      # a list of indices, in one go


@pytest.mark.parametrize('lengths, sizes', [([3, 0, 7], [3, 0, 7]), ([0.5, 0.5], [5, 5]),
                                            ([0.33, 0.33, 0.34], [4, 3, 3]), ([0.25, 0.75], [3, 7])])
def test_random_split_is_disjoint_and_covers_the_dataset(lengths, sizes):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        parts = random_split(Squares(10), lengths, generator=minigrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == sizes
    indices = [i for p in parts for i in p.indices]
    assert sorted(indices) == list(range(10)) and indices != list(range(10))
    assert [p[0][1] for p in parts if len(p)] == [p.indices[0] for p in parts if len(p)]


def test_random_split_is_seeded():
    def split(generator=None):
        return [p.indices for p in random_split(range(30), [10, 20], generator=generator)]

    assert split(minigrad.Generator().manual_seed(4)) == split(minigrad.Generator().manual_seed(4))
    assert split(minigrad.Generator().manual_seed(4)) != split(minigrad.Generator().manual_seed(5))
    minigrad.manual_seed(2)
    first = split()
    minigrad.manual_seed(2)
    assert split() == first


def test_random_split_errors():
    with pytest.raises(ValueError, match=r'random_split: the lengths \[3, 3\] sum to 6, not to '
                                         r'the dataset.s length 10'):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match='random_split: the fraction at index 0 is not between 0 and 1, got 1.5'):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match='random_split: the split at index 1 is empty'):
        random_split(range(2), [0.9, 0.1])


def test_sequential_and_random_samplers():
    data = list(range(8))
    assert list(SequentialSampler(data)) == data and len(SequentialSampler(data)) == 8
    g = minigrad.Generator().manual_seed(0)
    perm = list(RandomSampler(data, generator=g))
    assert sorted(perm) == data and perm != data and list(RandomSampler(data, generator=g)) != perm
    longer = list(RandomSampler(data, num_samples=20, generator=g))
    assert len(longer) == 20 and sorted(longer[:16]) == sorted(data * 2) and len(set(longer[16:])) == 4
    drawn = list(RandomSampler(data, replacement=True, num_samples=200, generator=g))
    assert len(drawn) == 200 and set(drawn) == set(data)
    assert len(RandomSampler(data)) == 8 and len(RandomSampler(data, True, 3)) == 3
    with pytest.raises(TypeError, match='RandomSampler: replacement should be a boolean value, but got replacement=1'):
        RandomSampler(data, replacement=1)
    with pytest.raises(ValueError, match='RandomSampler: num_samples should be a positive integer value, '
                                         'but got num_samples=0'):
        RandomSampler([])


def test_subset_random_and_weighted_samplers():
    g = minigrad.Generator().manual_seed(0)
    picked = list(SubsetRandomSampler([10, 20, 30, 40], generator=g))
    assert sorted(picked) == [10, 20, 30, 40] and len(SubsetRandomSampler([1, 2])) == 2
    w = WeightedRandomSampler([1.0, 0.0, 3.0], 4000, generator=g)
    draws = list(w)
    assert len(w) == len(draws) == 4000 and 1 not in draws
    assert abs(draws.count(2) / 4000 - 0.75) < 0.03
    assert sorted(WeightedRandomSampler([1.0, 5.0, 2.0], 3, replacement=False, generator=g)) == [0, 1, 2]
    with pytest.raises(ValueError, match=r'WeightedRandomSampler: weights should be a 1d sequence .*\(2, 2\)'):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 2)
    with pytest.raises(ValueError, match='WeightedRandomSampler: num_samples should be a positive integer '
                                         'value, but got num_samples=-3'):
        WeightedRandomSampler([1.0], -3)
    with pytest.raises(ValueError, match="WeightedRandomSampler: replacement should be a boolean value, "
                                         "but got replacement='no'"):
        WeightedRandomSampler([1.0], 1, replacement='no')


@pytest.mark.parametrize('n, batch_size, drop_last, sizes', [(7, 3, False, [3, 3, 1]), (7, 3, True, [3, 3]),
                                                             (6, 3, True, [3, 3]), (2, 3, True, [])])
def test_batch_sampler(n, batch_size, drop_last, sizes):
    batches = list(BatchSampler(range(n), batch_size, drop_last))
    assert [len(b) for b in batches] == sizes and len(BatchSampler(range(n), batch_size, drop_last)) == len(sizes)
    assert all(isinstance(b, list) for b in batches) and sum(batches, []) == list(range(sum(sizes)))


def test_batch_sampler_errors_and_custom_sampler():
    with pytest.raises(ValueError, match='BatchSampler: drop_last should be a boolean value, but got drop_last=None'):
        BatchSampler(range(3), 2, None)

    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    loader = DataLoader(TensorDataset(minigrad.arange(9)), batch_size=2, sampler=Evens(9))
    assert len(loader) == 3 and epoch(loader) == [0, 2, 4, 6, 8]
    with pytest.raises(NotImplementedError, match='Sampler must implement __iter__'):
        iter(Sampler())
