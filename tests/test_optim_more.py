"""RMSprop, Adagrad, Adadelta and the schedulers ExponentialLR, LinearLR, SequentialLR, OneCycleLR,
ReduceLROnPlateau: closed-form first steps, agreement with torch.optim, checks and state dicts."""
import copy

import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta
from minigrad.optim.lr_scheduler import (StepLR, ExponentialLR, LinearLR, SequentialLR, OneCycleLR,
                                         ReduceLROnPlateau)
# the helpers and two checks of the first optimizers' tests, renamed so pytest does not collect them twice
from test_optim import (param, set_grad, lrs,
                        test_matches_torch_over_several_steps as matches_torch_steps,
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


# ----- learning-rate schedulers -----

def test_exponential_and_linear_lr_sequences():
    opt = SGD([param([1.0])], lr=1.0)
    assert lrs(ExponentialLR(opt, gamma=0.5), opt, 4) == pytest.approx([1, 0.5, 0.25, 0.125], rel=1e-12)
    opt = SGD([param([1.0])], lr=0.3)
    assert lrs(LinearLR(opt), opt, 8) == pytest.approx([0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3],
                                                       rel=1e-12)


def test_sequential_lr_restarts_each_scheduler_at_its_milestone():
    opt = SGD([param([1.0])], lr=1.0)
    warmup, decay = LinearLR(opt, start_factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.1)
    sched = SequentialLR(opt, [warmup, decay], milestones=[3])
    assert lrs(sched, opt, 6) == pytest.approx([0.5, 0.75, 1.0, 1.0, 0.1, 0.01], rel=1e-12)
    # a scheduler listed twice starts again (PyTorch's undo of the first steps counts it twice)
    halve = ExponentialLR(opt, gamma=0.5)
    sched = SequentialLR(opt, [halve, warmup, halve], milestones=[3, 4])
    assert lrs(sched, opt, 7) == pytest.approx([1, 0.5, 0.25, 0.5, 1, 0.5, 0.25], rel=1e-12)


def test_one_cycle_lr_climbs_then_anneals_and_cycles_momentum():
    opt = SGD([param([1.0])], lr=123.0, momentum=0.0)       # lr is replaced by max_lr / div_factor
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.2, anneal_strategy='linear')
    momenta = []
    for _ in range(11):
        momenta.append(opt.param_groups[0]['momentum'])
        sched.step()
    # the climb ends at step pct_start * total_steps - 1 = 1.2, the descent at step 10
    assert sched.get_last_lr()[0] == pytest.approx(1 / 25 / 1e4 - (1 - 1 / 25 / 1e4) / 8.8)
    assert momenta[0] == 0.95 and momenta[1] == pytest.approx(0.95 - 0.1 / 1.2)
    assert momenta[10] == pytest.approx(0.95)
    with pytest.raises(ValueError, match='stepped 12 times, but total_steps is 11'):
        sched.step()


def test_reduce_lr_on_plateau_waits_for_patience_then_cools_down():
    opt = SGD([param([1.0])], lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    seen = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 4, 3]:
        sched.step(metric)
        seen.append(sched.get_last_lr()[0])
    # 4 = 4 is no improvement: two bad epochs cut the rate, the cooldown epoch does not count
    assert seen == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    for _ in range(6):
        sched.step(10)
    assert sched.get_last_lr() == [0.2]                   # min_lr


def both_optimizers(torch, name, **kwargs):
    """minigrad's and torch's optimizer ``name`` over two param groups (lr 0.1 and 0.5)."""
    ours = getattr(minigrad.optim, name)([{'params': [param([1.0])]},
                                          {'params': [param([2.0])], 'lr': 0.5}], lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)([{'params': [torch.ones(1, requires_grad=True)]},
                                         {'params': [torch.ones(1, requires_grad=True)], 'lr': 0.5}],
                                        lr=0.1, **kwargs)
    return ours, theirs


def assert_same_hyperparameters(opt, ref):
    for group, tgroup in zip(opt.param_groups, ref.param_groups):
        for key in ('lr', 'momentum', 'betas'):
            if key in group:
                assert group[key] == pytest.approx(tgroup[key], rel=1e-10, abs=1e-15), key


# each builds a scheduler with either library's lr_scheduler module
SCHEDULES = {
    'exponential': lambda m, opt: m.ExponentialLR(opt, gamma=0.9),
    'linear-defaults': lambda m, opt: m.LinearLR(opt),
    'linear-decay': lambda m, opt: m.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=20),
    'sequential-warmup-decay': lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.ExponentialLR(opt, gamma=0.9)],
        milestones=[5]),
    'sequential-three': lambda m, opt: m.SequentialLR(
        opt, [m.ExponentialLR(opt, gamma=0.5), m.StepLR(opt, step_size=3, gamma=0.3),
              m.CosineAnnealingLR(opt, T_max=8, eta_min=1e-3)], milestones=[4, 12]),
    'one-cycle': lambda m, opt: m.OneCycleLR(opt, max_lr=1.0, total_steps=30),
    'one-cycle-three-phase': lambda m, opt: m.OneCycleLR(
        opt, max_lr=[0.5, 2.0], epochs=3, steps_per_epoch=10, pct_start=0.25, anneal_strategy='linear',
        div_factor=10.0, final_div_factor=100.0, three_phase=True),
    'one-cycle-no-momentum': lambda m, opt: m.OneCycleLR(opt, max_lr=0.3, total_steps=30,
                                                         cycle_momentum=False),
}
SCHEDULE_CASES = [(s, 'SGD', dict(momentum=0.9)) for s in SCHEDULES] + [
    ('one-cycle', 'Adam', {}), ('one-cycle-three-phase', 'AdamW', {}), ('one-cycle', 'RMSprop', {})]


@pytest.mark.parametrize('schedule, name, kwargs', SCHEDULE_CASES,
                         ids=[f'{s}-{n}' for s, n, _ in SCHEDULE_CASES])
def test_schedulers_match_torch_over_30_steps(schedule, name, kwargs):
    torch = pytest.importorskip('torch')
    opt, ref = both_optimizers(torch, name, **kwargs)
    ours = SCHEDULES[schedule](minigrad.optim.lr_scheduler, opt)
    theirs = SCHEDULES[schedule](torch.optim.lr_scheduler, ref)
    for _ in range(30):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-10, abs=1e-15)
        assert_same_hyperparameters(opt, ref)
        opt.step()
        ref.step()
        ours.step()
        theirs.step()
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-10, abs=1e-15)


PLATEAUS = [
    dict(),
    dict(patience=2, cooldown=1, factor=0.5),
    dict(mode='max', threshold_mode='abs', threshold=0.01, patience=1, min_lr=[0.02, 0.1]),
    dict(patience=0, factor=0.5, min_lr=0.03, eps=1e-3, threshold=0.0),
]


@pytest.mark.parametrize('kwargs', PLATEAUS, ids=[str(i) for i in range(len(PLATEAUS))])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.01 * rng.standard_normal(22)])
    opt, ref = both_optimizers(torch, 'SGD')
    ours = ReduceLROnPlateau(opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **kwargs)
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs and ours.best == theirs.best
    assert ours.get_last_lr() != [0.1, 0.5]             # the sequence did cut the rate


@pytest.mark.parametrize('make, error, match', [
    (lambda o: LinearLR(o, start_factor=0), ValueError, r'start_factor must be in \(0, 1\], got 0'),
    (lambda o: LinearLR(o, end_factor=1.5), ValueError, r'end_factor must be in \[0, 1\], got 1.5'),
    (lambda o: OneCycleLR(o, max_lr=1.0), ValueError, 'either total_steps or both epochs'),
    (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, 'positive integer total_steps, got 0'),
    (lambda o: OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=2.5), ValueError,
     'steps_per_epoch, got 2.5'),
    (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=9, pct_start=1.5), ValueError, 'pct_start'),
    (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=9, anneal_strategy='exp'), ValueError, "'exp'"),
    (lambda o: OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=9), ValueError, 'expected 1 values of max_lr'),
    (lambda o: OneCycleLR(Adagrad(o.param_groups[0]['params']), max_lr=1.0, total_steps=9), ValueError,
     'Adagrad has neither momentum nor betas'),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, 'factor must be < 1.0, got 1.0'),
    (lambda o: ReduceLROnPlateau(o, mode='avg'), ValueError, "mode must be 'min' or 'max', got 'avg'"),
    (lambda o: ReduceLROnPlateau(o, threshold_mode='pct'), ValueError, "'rel' or 'abs', got 'pct'"),
    (lambda o: ReduceLROnPlateau([o], min_lr=0.1), TypeError, 'expected an Optimizer, got list'),
    (lambda o: SequentialLR(o, [ExponentialLR(o, 0.9)], milestones=[3]), ValueError, 'expected 0 milestones'),
    (lambda o: SequentialLR(o, [ExponentialLR(SGD([param([1.0])], lr=0.1), 0.9)], milestones=[]),
     ValueError, 'scheduler 0 .ExponentialLR. belongs to another optimizer'),
    (lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), ReduceLROnPlateau(o)], milestones=[3]), ValueError,
     'does not support ReduceLROnPlateau .scheduler 1.'),
])
def test_bad_scheduler_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make(SGD([param([1.0])], lr=0.1, momentum=0.9))


def plateau_metric(epoch):
    return max(1.0 - 0.1 * epoch, 0.5)


# each builds an optimizer and its scheduler, so a checkpoint can be loaded into a fresh pair
ROUND_TRIPS = {
    'exponential': lambda opt: ExponentialLR(opt, gamma=0.8),
    'linear': lambda opt: LinearLR(opt, start_factor=0.2, total_iters=10),
    'sequential': lambda opt: SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=3), StepLR(opt, 2, 0.5)],
                                           milestones=[4]),
    'one-cycle': lambda opt: OneCycleLR(opt, max_lr=[1.0, 3.0], total_steps=20, three_phase=True),
    'plateau': lambda opt: ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=2),
}


@pytest.mark.parametrize('schedule', ROUND_TRIPS)
def test_scheduler_state_dict_round_trip(schedule):
    def pair():
        opt = Adam([{'params': [param([1.0])]}, {'params': [param([2.0])], 'lr': 0.5}], lr=0.1)
        return opt, ROUND_TRIPS[schedule](opt)

    def run(opt, sched, epochs):
        seen = []
        for epoch in epochs:
            opt.step()
            if isinstance(sched, ReduceLROnPlateau):
                sched.step(plateau_metric(epoch))
            else:
                sched.step()
            seen.append((sched.get_last_lr(), [g['betas'] for g in opt.param_groups]))
        return seen

    opt, sched = pair()
    run(opt, sched, range(7))
    saved = copy.deepcopy({'optim': opt.state_dict(), 'sched': sched.state_dict()})
    assert 'optimizer' not in saved['sched']
    opt2, sched2 = pair()
    opt2.load_state_dict(saved['optim'])
    sched2.load_state_dict(saved['sched'])
    assert run(opt2, sched2, range(7, 19)) == run(opt, sched, range(7, 19))
