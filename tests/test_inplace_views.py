"""In-place changes through views (issue "Hardening", and the PyTorch-surface bug from d2l's
``masked_softmax``: ``X = X.reshape(-1, n); X[~mask] = value``).

A view (a reshape, a permute, a slice, and views of those) shares its memory with a base tensor;
changing the view in place changes the base, and the base's gradient must follow: values and
gradients are compared with PyTorch's.
"""
import numpy as np
import pytest
import torch

import minigrad as mg


def _masked_fill_through_reshape(y, lib):
    X = y.reshape(-1, 3)
    X[X > 0] = -1e6
    return X


def _permute_mul(y, lib):
    T = y.T
    T.mul_(3)
    return T


def _slice_of_a_view(y, lib):
    X = y.view(3, 8)[1:, ::2]
    X.add_(X * 0 + 5)
    return X


def _two_changes_to_one_view(y, lib):
    X = y.reshape(2, 12)
    X[0] = 7.0
    X.mul_(2)
    return X


def _slice_of_a_permute(y, lib):
    X = y.permute(1, 0)[2:4]
    X[0] = 100.0
    X.add_(1)
    return X


def _reshape_that_copies(y, lib):
    X = y.transpose(0, 1).reshape(-1)       # not a view: a copy, in PyTorch and here; y is unchanged
    X[3:9] = X[3:9] * -1
    return X


def _a_value_that_requires_grad(y, lib):
    X = y.reshape(24)
    v = lib.ones(3, requires_grad=True)
    X[2:5] = v * 4
    return X


def _masked_softmax(y, lib):
    """d2l's masked_softmax, as written there."""
    X = y.reshape(2, 2, 6)
    valid_lens = lib.tensor([2, 5])
    shape = X.shape
    valid_lens = valid_lens.repeat_interleave(shape[1])
    X = X.reshape(-1, shape[-1])
    mask = lib.arange(shape[-1], dtype=lib.float32)[None, :] < valid_lens[:, None]
    X[~mask] = -1e6
    return X.reshape(shape).softmax(dim=-1)


CASES = [_masked_fill_through_reshape, _permute_mul, _slice_of_a_view, _two_changes_to_one_view,
         _slice_of_a_permute, _reshape_that_copies, _a_value_that_requires_grad, _masked_softmax]


@pytest.mark.parametrize("change", CASES, ids=[c.__name__.strip('_') for c in CASES])
def test_inplace_through_a_view_matches_pytorch(change):
    x0 = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    weights = np.arange(24, dtype=np.float32).reshape(4, 6)
    results = []
    for lib in (mg, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 2                                   # the base: a non-leaf, as in a model
        z = change(y, lib)
        ((y * lib.tensor(weights)).sum() + (z * z).sum()).backward()
        results.append((y.detach().numpy().copy(), z.detach().numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs, what in zip(*results, ('base', 'view', 'gradient')):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=what)


def test_inplace_through_an_expanded_view_is_refused():
    y = mg.ones(3, requires_grad=True) * 2
    e = y.expand(2, 3)
    with pytest.raises(RuntimeError, match=r"add_: .*expanded"):
        e.add_(1)


def test_inplace_through_a_view_of_a_leaf_is_refused():
    w = mg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"setitem: .*view of a leaf"):
        w.reshape(6)[0] = 5.0


def test_a_view_changed_in_place_shares_the_base_version():
    y = mg.ones(2, 3, requires_grad=True) * 2
    v = y.reshape(6)
    before = y._version[0]
    v[0] = 5.0
    assert y._version[0] == before + 1 and y[0, 0].item() == 5.0
