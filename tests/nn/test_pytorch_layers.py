"""The nn pieces PyTorch programs use: more activations, PReLU, GroupNorm, normalize, interpolate.

- the functional forms are rows of the shared op table (tests/harness.py), with PyTorch's function
  as the reference: float64 forward, float32 dtypes, gradcheck and gradgradcheck (they are composed
  from Tensor ops, so double backward comes with them);
- every layer against PyTorch with the state_dict copied (outputs, input and parameter gradients),
  its repr equal to PyTorch's, ``inplace=True`` accepted;
- the errors for bad arguments.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from harness import C, Case, op_tests
from helpers import assert_close, check_against_torch
from test_layers import _rand, _randomize


def torch_ref(name, *options, **kwargs):
    """A reference that runs PyTorch's ``F.<name>(first array, *options, other arrays..., **kwargs)``
    on the same arrays (skips where PyTorch is missing)."""
    def ref(first, *arrays):
        torch = pytest.importorskip("torch")
        args = [torch.tensor(first), *options, *[torch.tensor(a) for a in arrays]]
        return getattr(torch.nn.functional, name)(*args, **kwargs).numpy()
    return ref


# inputs that cross the kinks of the hard activations without sitting on one
KINKED = np.array([[-4.5, -3.5, -2.0, -0.5], [0.7, 2.5, 3.5, 7.0]])
IMAGE = (2, 3, 4, 5)

CASES = [
    Case("elu", lambda x: F.elu(x, 0.7), torch_ref("elu", alpha=0.7), inputs=[((3, 4),), ((),)]),
    Case("elu_large", F.elu, torch_ref("elu"), inputs=[(np.array([-800.0, -1.5, 2.0, 800.0]),)]),
    Case("celu", lambda x: F.celu(x, 1.5), torch_ref("celu", alpha=1.5), inputs=[((3, 4),)]),
    Case("selu", F.selu, torch_ref("selu"), inputs=[((3, 4),)]),
    Case("mish", F.mish, torch_ref("mish"), inputs=[((3, 4),)]),
    Case("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.8), torch_ref("hardtanh", min_val=-0.5, max_val=0.8),
         inputs=[((3, 4),)]),
    Case("relu6", F.relu6, torch_ref("relu6"), inputs=[(KINKED * 2,)]),
    Case("hardsigmoid", F.hardsigmoid, torch_ref("hardsigmoid"), inputs=[(KINKED,)]),
    Case("hardswish", F.hardswish, torch_ref("hardswish"), inputs=[(KINKED,)]),
    Case("logsigmoid", F.logsigmoid, torch_ref("logsigmoid"), inputs=[((3, 4),), (np.array([-800.0, 800.0]),)]),
    Case("softsign", F.softsign, torch_ref("softsign"), inputs=[((3, 4),)]),
    Case("prelu", F.prelu, torch_ref("prelu"), inputs=[((2, 3, 4), (3,)), ((2, 3), (1,)), ((3,), (1,)), ((), (1,))]),
    Case("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), torch_ref("group_norm", 2),
         inputs=[((2, 4, 3), (4,), (4,)), ((2, 6, 2, 3), (6,), (6,))]),
    Case("group_norm_plain", lambda x: F.group_norm(x, 1, eps=1e-3), torch_ref("group_norm", 1, eps=1e-3),
         inputs=[((3, 2, 5),)]),
    Case("normalize", F.normalize, torch_ref("normalize"), inputs=[((3, 4),), ((2, 3, 4),)]),
    Case("normalize_p1_last", lambda x: F.normalize(x, 1.0, -1), torch_ref("normalize", p=1.0, dim=-1),
         inputs=[((3, 4),)]),
    Case("normalize_zero_row", F.normalize, torch_ref("normalize"), inputs=[(np.array([[0.0, 0.0], [3.0, 4.0]]),)],
         grad=False),
] + [
    Case(f"interpolate_{mode}_{'_'.join(map(str, kw.values()))}",
         lambda x, mode=mode, kw=kw: F.interpolate(x, mode=mode, **kw),
         torch_ref("interpolate", mode=mode, **kw), inputs=[(shape,)])
    for mode, kw, shape in [
        ('nearest', dict(scale_factor=2), IMAGE),
        ('nearest', dict(size=(3, 7)), IMAGE),
        ('nearest', dict(scale_factor=1.7), (2, 3, 5)),
        ('nearest-exact', dict(size=(7, 3)), IMAGE),
        ('bilinear', dict(scale_factor=2, align_corners=False), IMAGE),
        ('bilinear', dict(size=(3, 8), align_corners=False), IMAGE),
        ('bilinear', dict(scale_factor=(1.5, 0.5), align_corners=True), IMAGE),
        ('bilinear', dict(size=(1, 7), align_corners=True), IMAGE),
        ('linear', dict(scale_factor=2.5, align_corners=False), (2, 3, 5)),
        ('trilinear', dict(size=(3, 2, 4), align_corners=False), (1, 2, 2, 3, 3)),
    ]
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ----- layers against PyTorch -----
LAYERS = [
    ("ELU", (), dict(alpha=0.5), [(3, 4)]),
    ("CELU", (), dict(alpha=2.0), [(3, 4)]),
    ("SELU", (), {}, [(3, 4)]),
    ("Mish", (), {}, [(3, 4)]),
    ("Hardtanh", (-2.0, 0.5), {}, [(3, 4)]),
    ("ReLU6", (), {}, [(3, 4)]),
    ("Hardsigmoid", (), {}, [(3, 4)]),
    ("Hardswish", (), {}, [(3, 4)]),
    ("LogSigmoid", (), {}, [(3, 4)]),
    ("Softsign", (), {}, [(3, 4)]),
    ("PReLU", (), {}, [(2, 3, 4)]),
    ("PReLU", (3,), {}, [(2, 3, 4, 4)]),
    ("GroupNorm", (2, 4), {}, [(3, 4, 5)]),
    ("GroupNorm", (3, 6), dict(eps=1e-3, affine=False), [(2, 6, 2, 2)]),
    ("GroupNorm", (4, 4), dict(bias=False), [(2, 4, 3, 3)]),
]


@pytest.mark.parametrize("name,args,kwargs,shapes", LAYERS, ids=[f"{n}-{i}" for i, (n, *_) in enumerate(LAYERS)])
def test_layer_matches_torch(name, args, kwargs, shapes):
    torch = pytest.importorskip("torch")
    ref = _randomize(getattr(torch.nn, name)(*args, **kwargs))
    layer = getattr(nn, name)(*args, **kwargs)
    assert list(layer.state_dict()) == list(ref.state_dict())
    check_against_torch(layer, ref, [_rand(*s, seed=k) * 3 for k, s in enumerate(shapes)])


def test_default_parameters_as_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in [(nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)), (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4))]:
        for (name, p), (tname, tp) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert name == tname and p.dtype == mg.float32
            assert_close(p, tp, atol=0, msg=name)


INPLACE = [("ReLU", {}), ("ReLU6", {}), ("SiLU", {}), ("LeakyReLU", dict(negative_slope=0.2)), ("ELU", {}),
           ("CELU", {}), ("SELU", {}), ("Mish", {}), ("Hardtanh", {}), ("Hardsigmoid", {}), ("Hardswish", {})]


@pytest.mark.parametrize("name,kwargs", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_is_accepted_and_shown_as_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = _rand(3, 4) * 4
    ours, theirs = getattr(nn, name)(inplace=True, **kwargs), getattr(torch.nn, name)(inplace=True, **kwargs)
    assert repr(ours) == repr(theirs)
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))
    y = ours(mg.tensor(x))
    with torch.no_grad():
        assert_close(y, theirs(torch.tensor(x)), atol=1e-6)


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    for name, args in [("PReLU", (3,)), ("GroupNorm", (2, 4)), ("GroupNorm", (1, 3, 1e-3, False)), ("GroupNorm", (1, 3, 1e-3, True, None, None)),
                       ("LogSigmoid", ()), ("Softsign", ()), ("Hardtanh", (-2.0, 3.0)), ("ELU", (0.5,))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_prelu_single_slope_gets_one_gradient():
    prelu = nn.PReLU()
    x = mg.tensor([[-1.0, 2.0], [-3.0, 4.0]])
    prelu(x).sum().backward()
    assert prelu.weight.grad.shape == (1,)
    assert_close(prelu.weight.grad, np.array([-4.0]), atol=0)


def test_group_norm_is_batch_independent():
    gn = nn.GroupNorm(2, 4)
    x = mg.randn(5, 4, 3)
    assert_close(gn(x)[2:3], gn(x[2:3]), atol=1e-6)


# ----- errors -----
def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="GroupNorm: num_channels=5 must be divisible by num_groups=2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"group_norm: the 6 channels of input \(2, 6, 3\) can't be divided into "
                                         r"num_groups=4"):
        F.group_norm(mg.zeros(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"prelu: weight has 3 slopes but input of shape \(2, 4\) has 4 channels"):
        F.prelu(mg.zeros(2, 4), mg.zeros(3))
    with pytest.raises(ValueError, match="Hardtanh: max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(TypeError, match="elu: input must be a floating-point tensor"):
        F.elu(mg.tensor([1, 2]))


def test_interpolate_errors():
    x = mg.zeros(1, 2, 3, 3)
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        F.interpolate(x, scale_factor=2, mode='bicubic')
    with pytest.raises(ValueError, match="mode 'linear' does not fit input of shape \\(1, 2, 3, 3\\)"):
        F.interpolate(x, scale_factor=2, mode='linear')
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners only applies to the linear modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="output size"):
        F.interpolate(x, scale_factor=0.2)


def test_interpolate_keeps_dtype_and_size_as_int():
    x = mg.randn(1, 1, 2, 2)
    y = F.interpolate(x, size=3, mode='bilinear', align_corners=True)
    assert y.shape == (1, 1, 3, 3) and y.dtype == mg.float32
    assert_close(y[0, 0, 1, 1], x.mean(), atol=1e-6)       # the centre of the corners-aligned grid
