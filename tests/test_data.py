"""Dataset, TensorDataset, DataLoader and the default collate function."""
import numpy as np
import pytest

import minigrad
from minigrad.utils.data import DataLoader, Dataset, TensorDataset, default_collate


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
    assert out['score'].dtype == minigrad.float32 and out['score'].tolist() == [0.0, 0.5, 1.0]
    assert out['name'] == ['s0', 's1', 's2']
    assert isinstance(out['pair'], list) and out['pair'][0].tolist() == [0, 1, 2]
    assert out['pair'][1].tolist() == [[0, 0], [1, -1], [2, -2]]
    with pytest.raises(ValueError, match='different lengths'):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match='cannot batch samples of type set'):
        default_collate([{1}, {2}])


def test_collate_fn_and_bad_batch_size():
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1], [2, 3]]
    for bad in (0, -1, 2.5, None):
        with pytest.raises(ValueError, match='batch_size must be a positive integer'):
            DataLoader(Squares(4), batch_size=bad)
