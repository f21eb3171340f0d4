"""Lazy layers: LazyLinear, LazyConv1d, LazyConv2d, LazyBatchNorm1d, LazyBatchNorm2d.

- before the first forward: state_dict keys as PyTorch's, with ``<UninitializedParameter>`` values;
  asking for a shape or ``num_parameters()`` raises an error that says to run a dry run;
- the first forward gives every tensor PyTorch's shape and turns the layer into the eager one;
- a PyTorch state_dict loaded into a lazy model (before or after the dry run) gives PyTorch's
  outputs and gradients; an optimizer built after the dry run trains as PyTorch's does;
- the default initialisation is the eager layer's; the errors for bad inputs.
"""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from helpers import assert_close, check_against_torch, copy_state, to_numpy


def lazy_cnn(lib):
    """The same lazy model under minigrad (``lib=mg``) or PyTorch (``lib=torch``)."""
    n = lib.nn
    return n.Sequential(n.LazyConv2d(4, 3, padding=1), n.LazyBatchNorm2d(), n.ReLU(), n.Flatten(),
                        n.LazyLinear(8), n.LazyBatchNorm1d(), n.Tanh(), n.LazyLinear(3, bias=False))


def test_state_dict_before_the_first_forward_has_torchs_keys():
    torch = pytest.importorskip("torch")
    ours, theirs = lazy_cnn(mg), lazy_cnn(torch)
    sd = ours.state_dict()
    assert list(sd) == list(theirs.state_dict())
    assert repr(sd['0.weight']) == '<UninitializedParameter>' and repr(sd['1.running_mean']) == '<UninitializedBuffer>'
    assert isinstance(sd['0.weight'], nn.parameter.UninitializedParameter)
    assert repr(ours) == repr(theirs)


def test_shape_and_num_parameters_before_the_first_forward_ask_for_a_dry_run():
    model = lazy_cnn(mg)
    with pytest.raises(ValueError, match="uninitialized parameter in numel.*dry run"):
        model.num_parameters()
    with pytest.raises(ValueError, match="uninitialized parameter in shape"):
        model[0].weight.shape
    assert model[0].weight.dtype == mg.float32 and model[0].weight.requires_grad


def test_first_forward_materialises_as_torch_and_becomes_the_eager_layer():
    torch = pytest.importorskip("torch")
    ours, theirs = lazy_cnn(mg), lazy_cnn(torch)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    conv = ours[0]
    ours(mg.tensor(x))
    theirs(torch.tensor(x))
    assert [tuple(t.shape) for t in ours.state_dict().values()] == [tuple(t.shape) for t in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)
    assert type(conv) is nn.Conv2d and type(ours[4]) is nn.Linear and type(ours[1]) is nn.BatchNorm2d
    assert type(conv.weight) is nn.Parameter and type(ours[1].running_mean) is mg.Tensor
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    assert not conv._forward_pre_hooks          # the inference hook is gone with the laziness
    # that first batch already counts for the running statistics, as in PyTorch
    assert int(ours[1].num_batches_tracked.item()) == int(theirs[1].num_batches_tracked.item()) == 1
    assert np.abs(to_numpy(ours[1].running_mean)).max() > 0


def test_torch_weights_load_into_a_lazy_model_before_its_first_forward():
    torch = pytest.importorskip("torch")
    theirs = lazy_cnn(torch)
    x = np.random.default_rng(1).standard_normal((4, 2, 3, 3)).astype(np.float32)
    theirs(torch.tensor(x))                                  # PyTorch's dry run
    ours = copy_state(theirs, lazy_cnn(mg))                  # ours never ran: loading gives the shapes
    assert type(ours[0].weight) is nn.Parameter and type(ours[0]) is nn.LazyConv2d
    check_against_torch(ours, theirs, [x], copy=False)
    assert type(ours[0]) is nn.Conv2d and ours[0].in_channels == 2 and ours[4].in_features == 36


def test_optimizer_built_after_the_dry_run_trains_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, 6)
    ours, theirs = lazy_cnn(mg), lazy_cnn(torch)
    ours(mg.tensor(x[:2]))                                   # the dry run, then the optimizer
    theirs(torch.tensor(x[:2]))
    copy_state(theirs, ours)
    opt = mg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = nn.functional.cross_entropy(ours(mg.tensor(x)), mg.tensor(y))
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        assert abs(loss.item() - tloss.item()) < 1e-5


@pytest.mark.parametrize("make,eager,shape", [
    (lambda: nn.LazyLinear(3), lambda: nn.Linear(5, 3), (2, 4, 5)),
    (lambda: nn.LazyConv1d(4, 3, stride=2, groups=2), lambda: nn.Conv1d(6, 4, 3, stride=2, groups=2), (2, 6, 9)),
    (lambda: nn.LazyConv2d(2, (2, 3), bias=False), lambda: nn.Conv2d(3, 2, (2, 3), bias=False), (3, 5, 6)),
    (lambda: nn.LazyBatchNorm1d(momentum=None), lambda: nn.BatchNorm1d(4, momentum=None), (5, 4, 3)),
    (lambda: nn.LazyBatchNorm2d(affine=False), lambda: nn.BatchNorm2d(2, affine=False), (3, 2, 2, 2)),
    (lambda: nn.LazyBatchNorm1d(track_running_stats=False), lambda: nn.BatchNorm1d(4, track_running_stats=False),
     (5, 4)),
], ids=['Linear', 'Conv1d-groups', 'Conv2d-unbatched', 'BatchNorm1d', 'BatchNorm2d-no-affine', 'BatchNorm1d-no-stats'])
def test_lazy_layer_becomes_its_eager_twin(make, eager, shape):
    lazy, twin = make(), eager()
    x = mg.randn(*shape)
    lazy(x)
    assert type(lazy) is type(twin) and repr(lazy) == repr(twin)
    assert {k: v.shape for k, v in lazy.state_dict().items()} == {k: v.shape for k, v in twin.state_dict().items()}
    lazy.load_state_dict(twin.state_dict())
    assert_close(lazy(x), twin(x), atol=1e-6)


def test_default_initialisation_is_the_eager_layers():
    lin = nn.LazyLinear(400)
    lin(mg.zeros(1, 50))
    bound = 1 / math.sqrt(50)
    w, b = to_numpy(lin.weight), to_numpy(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    bn = nn.LazyBatchNorm2d()
    bn.eval()
    bn(mg.zeros(2, 3, 2, 2))
    np.testing.assert_array_equal(to_numpy(bn.weight), 1)
    np.testing.assert_array_equal(to_numpy(bn.running_var), 1)
    mg.manual_seed(4)
    a = to_numpy(nn.LazyConv2d(2, 3)(mg.zeros(1, 2, 4, 4)))
    mg.manual_seed(4)
    np.testing.assert_array_equal(to_numpy(nn.LazyConv2d(2, 3)(mg.zeros(1, 2, 4, 4))), a)      # seeded


def test_dtype_and_to_before_the_first_forward():
    lin = nn.LazyLinear(2, dtype=mg.float64)
    assert lin.weight.dtype == mg.float64
    lazy = nn.LazyLinear(2).double()
    lazy(mg.zeros(1, 3, dtype=mg.float64))
    assert lazy.weight.dtype == mg.float64 and lazy.weight.shape == (2, 3)


def test_deepcopy_of_a_lazy_model_is_lazy_and_independent():
    model = lazy_cnn(mg)
    twin = copy.deepcopy(model)
    model(mg.zeros(2, 1, 3, 3))
    assert type(twin[0]) is nn.LazyConv2d
    twin(mg.zeros(2, 5, 3, 3))
    assert twin[0].weight.shape == (4, 5, 3, 3) and model[0].weight.shape == (4, 1, 3, 3)


def test_errors():
    with pytest.raises(ValueError, match=r"LazyConv2d: expected a 4-d input or a 3-d unbatched one, got shape \(2, 3\)"):
        nn.LazyConv2d(2, 3)(mg.zeros(2, 3))
    with pytest.raises(ValueError, match="the input's 3 channels are not divisible by groups=2"):
        nn.LazyConv1d(4, 3, groups=2)(mg.zeros(1, 3, 5))
    with pytest.raises(ValueError, match=r"LazyBatchNorm2d: expected 4D input \(got 2D"):
        nn.LazyBatchNorm2d()(mg.zeros(2, 3))
    lazy = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="weight is uninitialized in the checkpoint"):
        nn.Linear(2, 3).load_state_dict(lazy.state_dict())
    assert nn.LazyLinear(3).load_state_dict(lazy.state_dict()) == ([], [])      # lazy into lazy: stays lazy
