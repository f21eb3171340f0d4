"""RMSprop, Adagrad, Adadelta and the schedulers ExponentialLR, LinearLR, SequentialLR, OneCycleLR,
ReduceLROnPlateau: closed-form first steps, agreement with torch.optim, checks and state dicts."""
import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta
# the helpers and two checks of the first optimizers' tests, renamed so pytest does not collect them twice
from test_optim import (param, set_grad, test_matches_torch_over_several_steps as matches_torch_steps,
                        test_state_dict_round_trip_through_save_and_load as state_dict_round_trip)


# ----- one step against the formulas -----

def test_rmsprop_first_step():
    # v = (1 - alpha) * g**2, so the step is lr * g / (sqrt(1 - alpha) * |g| + eps)
    p0, g = np.array([1.0, -2.0, 0.5]), np.array([3.0, -0.01, 1e-3])
    p = param(p0, np.float64)
    set_grad(p, g)
    RMSprop([p], lr=0.01, alpha=0.9).step()
    np.testing.assert_allclose(p.detach().numpy(), p0 - 0.01 * g / (np.sqrt(0.1) * np.abs(g) + 1e-8),
                               rtol=1e-12)


def test_rmsprop_centered_momentum_two_steps():
    p0, g1, g2 = np.array([1.0, -1.0]), np.array([0.2, 0.4]), np.array([-0.6, 0.1])
    lr, a, mu, eps = 0.1, 0.8, 0.5, 1e-8
    p = param(p0, np.float64)
    opt = RMSprop([p], lr=lr, alpha=a, momentum=mu, centered=True)
    set_grad(p, g1)
    opt.step()
    v, m = (1 - a) * g1 ** 2, (1 - a) * g1
    buf = g1 / (np.sqrt(v - m ** 2) + eps)
    p1 = p0 - lr * buf
    set_grad(p, g2)
    opt.step()
    v, m = a * v + (1 - a) * g2 ** 2, a * m + (1 - a) * g2
    buf = mu * buf + g2 / (np.sqrt(v - m ** 2) + eps)
    np.testing.assert_allclose(p.detach().numpy(), p1 - lr * buf, rtol=1e-12)


def test_adagrad_steps_shrink_with_lr_decay_and_the_sum():
    p0, g, lr, decay, init = np.array([2.0, -1.0]), np.array([0.5, -0.25]), 0.1, 0.5, 0.2
    p = param(p0, np.float64)
    opt = Adagrad([p], lr=lr, lr_decay=decay, initial_accumulator_value=init)
    expected, total = p0, np.full(2, init)
    for t in (1, 2, 3):
        set_grad(p, g)
        opt.step()
        total = total + g ** 2
        expected = expected - lr / (1 + (t - 1) * decay) * g / (np.sqrt(total) + 1e-10)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    assert opt.state[p]['step'] == 3


def test_adadelta_first_step_is_in_the_units_of_sqrt_eps():
    # u = 0, so the first step is sqrt(eps) / sqrt((1 - rho) * g**2 + eps) * g: whatever g's scale
    p0, g, rho, eps = np.array([1.0, 1.0, 1.0]), np.array([1e3, 1.0, -1e-3]), 0.9, 1e-6
    p = param(p0, np.float64)
    set_grad(p, g)
    Adadelta([p]).step()
    np.testing.assert_allclose(p.detach().numpy(),
                               p0 - np.sqrt(eps) / np.sqrt((1 - rho) * g ** 2 + eps) * g, rtol=1e-12)


# ----- several steps against torch.optim -----

CONFIGS = [
    ('RMSprop', dict()),
    ('RMSprop', dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ('RMSprop', dict(lr=0.005, momentum=0.9)),
    ('RMSprop', dict(lr=0.02, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.01)),
    ('Adagrad', dict()),
    ('Adagrad', dict(lr=0.1, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1,
                     eps=1e-8)),
    ('Adadelta', dict()),
    ('Adadelta', dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]


@pytest.mark.parametrize('name, kwargs', CONFIGS, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch_over_several_steps(name, kwargs):
    matches_torch_steps(name, kwargs)


@pytest.mark.parametrize('name, kwargs', [('RMSprop', dict(momentum=0.9, centered=True)),
                                          ('Adagrad', {}), ('Adadelta', {})])
def test_defaults_and_state_dict_layout_match_torch(name, kwargs):
    torch = pytest.importorskip('torch')
    ours, theirs = param([1.0, 2.0]), torch.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(minigrad.optim, name)([ours], **kwargs)
    ref = getattr(torch.optim, name)([theirs], **kwargs)
    set_grad(ours, [1.0, -1.0])
    theirs.grad = torch.tensor([1.0, -1.0])
    opt.step()
    ref.step()
    sd, tsd = opt.state_dict(), ref.state_dict()
    assert set(sd['state'][0]) == set(tsd['state'][0])
    group, tgroup = sd['param_groups'][0], tsd['param_groups'][0]
    assert set(group) <= set(tgroup)
    assert {k: group[k] for k in group if k != 'params'} == {k: tgroup[k] for k in group if k != 'params'}


@pytest.mark.parametrize('make, match', [
    (lambda p: RMSprop(p, lr=-1), 'RMSprop: invalid learning rate lr=-1 '),
    (lambda p: RMSprop(p, alpha=-0.5), 'RMSprop: invalid alpha=-0.5 '),
    (lambda p: RMSprop(p, momentum=float('nan')), 'RMSprop: invalid momentum=nan '),
    (lambda p: Adagrad(p, lr_decay=-1e-3), 'Adagrad: invalid lr_decay=-0.001 '),
    (lambda p: Adagrad(p, initial_accumulator_value=-1), 'Adagrad: invalid initial_accumulator_value=-1 '),
    (lambda p: Adagrad(p, eps=-1e-10), 'Adagrad: invalid eps=-1e-10 '),
    (lambda p: Adadelta(p, rho=1.5), r'Adadelta: invalid rho=1.5 \(must be in \[0, 1\]\)'),
    (lambda p: Adadelta(p, weight_decay=-1), 'Adadelta: invalid weight_decay=-1 '),
    (lambda p: Adam(p, betas=(0.9,)), r'Adam: invalid betas=\(0.9,\) '),
    (lambda p: AdamW(p, lr=-0.1), 'AdamW: invalid learning rate lr=-0.1 '),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), 'SGD: invalid nesterov=True '),
])
def test_bad_hyperparameters_name_the_optimizer_and_value(make, match):
    with pytest.raises(ValueError, match=match):
        make([param([1.0])])


def test_step_skips_missing_grads_keeps_dtype_and_bumps_version():
    a, b, c = param([1.0, 2.0]), param([3.0], np.float64), param([5.0])
    set_grad(a, [0.1, 0.1])
    set_grad(b, [0.1])
    y = (a * a).sum()                       # the graph saves a
    for make in (RMSprop, Adagrad, Adadelta):
        opt = make([a, b, c], weight_decay=0.1)
        opt.step()
        assert c not in opt.state
    assert a.dtype == minigrad.float32 and b.dtype == minigrad.float64
    assert c.item() == 5.0                  # no gradient, no step (and no weight decay)
    with pytest.raises(RuntimeError, match='modified by an in-place operation'):
        y.backward()


def test_momentum_turned_on_later_starts_from_a_zero_buffer():
    p = param([1.0], np.float64)
    opt = RMSprop([p], lr=0.1, alpha=0.5)
    set_grad(p, [2.0])
    opt.step()
    assert 'momentum_buffer' not in opt.state[p]
    opt.param_groups[0]['momentum'] = 0.9   # as OneCycleLR does
    p1 = p.item()
    set_grad(p, [2.0])
    opt.step()
    v = 0.5 * 0.5 * 4 + 0.5 * 4
    assert p.item() == pytest.approx(p1 - 0.1 * 2 / (np.sqrt(v) + 1e-8), rel=1e-12)


@pytest.mark.parametrize('make', [lambda ps: RMSprop(ps, lr=0.05, momentum=0.8, centered=True),
                                  lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5),
                                  lambda ps: Adadelta([{'params': ps[:1]}, {'params': ps[1:], 'rho': 0.5}])])
def test_state_dict_round_trip_through_save_and_load(make, tmp_path):
    state_dict_round_trip(make, tmp_path)
