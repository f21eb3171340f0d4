"""minigrad.nn.init: gains and fans as PyTorch, the scale of each initialiser, seeding, in-place
filling of parameters, dtypes kept."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import init
from helpers import to_numpy


NONLINEARITIES = [('linear', None), ('conv2d', None), ('sigmoid', None), ('tanh', None), ('relu', None),
                  ('leaky_relu', None), ('leaky_relu', 0.2), ('leaky_relu', math.sqrt(5)), ('selu', None)]


@pytest.mark.parametrize("name,param", NONLINEARITIES)
def test_calculate_gain_matches_torch(name, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain('swish')
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain('leaky_relu', 'a')


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (6, 2, 7)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    ours = init._calculate_fan_in_and_fan_out(mg.zeros(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mg.zeros(5))


def _big():
    return nn.Parameter(mg.empty(300, 400))       # fan_in = 400, fan_out = 300


@pytest.mark.parametrize("fill,low,high,std", [
    (lambda t: init.uniform_(t, -2.0, 3.0), -2.0, 3.0, 5 / math.sqrt(12)),
    (lambda t: init.xavier_uniform_(t, gain=2.0), -2 * math.sqrt(6 / 700), 2 * math.sqrt(6 / 700),
     2 * math.sqrt(2 / 700)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), -1 / 20, 1 / 20, 1 / 20 / math.sqrt(3)),
    (lambda t: init.kaiming_uniform_(t, mode='fan_out', nonlinearity='relu'),
     -math.sqrt(6 / 300), math.sqrt(6 / 300), math.sqrt(2 / 300)),
])
def test_uniform_initialisers_have_the_right_range(fill, low, high, std):
    t = _big()
    assert fill(t) is t
    v = to_numpy(t)
    assert v.min() >= low and v.max() <= high
    assert v.min() < low + 0.01 * (high - low) and v.max() > high - 0.01 * (high - low)
    assert v.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("fill,mean,std", [
    (lambda t: init.normal_(t, 1.5, 0.5), 1.5, 0.5),
    (lambda t: init.xavier_normal_(t), 0.0, math.sqrt(2 / 700)),
    (lambda t: init.kaiming_normal_(t, nonlinearity='relu'), 0.0, math.sqrt(2 / 400)),
    (lambda t: init.kaiming_normal_(t, a=0.1, mode='fan_out'), 0.0, math.sqrt(2 / 1.01 / 300)),
])
def test_normal_initialisers_have_the_right_scale(fill, mean, std):
    v = to_numpy(fill(_big()))
    assert v.mean() == pytest.approx(mean, abs=0.02 * std)
    assert v.std() == pytest.approx(std, rel=0.02)


def test_constant_fills_keep_the_tensor_and_its_dtype():
    t = nn.Parameter(mg.empty(2, 3, dtype=mg.float64))
    assert init.constant_(t, 0.25) is t
    np.testing.assert_array_equal(to_numpy(t), 0.25)
    init.ones_(t)
    np.testing.assert_array_equal(to_numpy(t), 1)
    init.zeros_(t)
    np.testing.assert_array_equal(to_numpy(t), 0)
    assert t.dtype == mg.float64 and t.requires_grad and t.grad_fn is None


def test_initialisers_keep_float32():
    for fill in (init.xavier_uniform_, init.kaiming_normal_, init.normal_, init.uniform_):
        assert fill(nn.Parameter(mg.empty(4, 5))).dtype == mg.float32


def test_initialisers_are_seeded():
    mg.manual_seed(123)
    a = to_numpy(init.kaiming_uniform_(mg.empty(5, 5)))
    b = to_numpy(init.kaiming_uniform_(mg.empty(5, 5)))
    mg.manual_seed(123)
    np.testing.assert_array_equal(to_numpy(init.kaiming_uniform_(mg.empty(5, 5))), a)
    assert not np.array_equal(a, b)


def test_mode_error_and_empty_tensor():
    with pytest.raises(ValueError, match="mode 'fan_avg' is not supported"):
        init.kaiming_normal_(mg.empty(3, 3), mode='fan_avg')
    empty = mg.empty(0, 3)
    assert init.kaiming_uniform_(empty) is empty
