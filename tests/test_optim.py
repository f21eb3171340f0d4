"""Optimizers and learning-rate schedulers: closed-form updates, agreement with torch.optim, groups, state dicts."""
import math

import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adam, AdamW
from minigrad.optim.lr_scheduler import StepLR, CosineAnnealingLR, LambdaLR


def param(values, dtype=np.float32):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def set_grad(p, g):
    p.grad = minigrad.tensor(np.asarray(g, dtype=p.dtype), device=p.device)


# ----- one step against the formulas -----

def test_sgd_step_is_p_minus_lr_g():
    p = param([1.0, -2.0, 3.0])
    set_grad(p, [0.5, 0.25, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95, -2.025, 3.1], rtol=1e-6)


def test_sgd_momentum_dampening_weight_decay_two_steps():
    p0, g1, g2 = np.array([1.0, -1.0]), np.array([0.2, 0.4]), np.array([-0.6, 0.1])
    lr, mu, damp, wd = 0.1, 0.9, 0.3, 0.01
    p = param(p0)
    opt = SGD([p], lr=lr, momentum=mu, dampening=damp, weight_decay=wd)
    set_grad(p, g1)
    opt.step()
    buf = g1 + wd * p0                                   # first step: the buffer is the gradient
    p1 = p0 - lr * buf
    set_grad(p, g2)
    opt.step()
    buf = mu * buf + (1 - damp) * (g2 + wd * p1)
    np.testing.assert_allclose(p.detach().numpy(), p1 - lr * buf, rtol=1e-6)


def test_sgd_nesterov_step():
    p0, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    p = param(p0)
    set_grad(p, g)
    SGD([p], lr=0.1, momentum=0.9, nesterov=True).step()
    np.testing.assert_allclose(p.detach().numpy(), p0 - 0.1 * (g + 0.9 * g), rtol=1e-6)


def test_adam_first_step_moves_each_weight_by_lr():
    # after bias correction m_hat = g and v_hat = g**2, so the step is lr * g / (|g| + eps)
    p0, g = np.array([1.0, -2.0, 0.5]), np.array([3.0, -0.01, 1e-3])
    p = param(p0)
    set_grad(p, g)
    Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.detach().numpy(), p0 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-6)


def test_adam_weight_decay_is_l2_and_adamw_is_decoupled():
    p0, g, lr, wd = np.array([2.0, -4.0]), np.array([0.5, 0.5]), 0.01, 0.1
    a, w = param(p0), param(p0)
    set_grad(a, g)
    set_grad(w, g)
    Adam([a], lr=lr, weight_decay=wd).step()
    AdamW([w], lr=lr, weight_decay=wd).step()
    ga = g + wd * p0
    np.testing.assert_allclose(a.detach().numpy(), p0 - lr * ga / (np.abs(ga) + 1e-8), rtol=1e-6)
    np.testing.assert_allclose(w.detach().numpy(), p0 * (1 - lr * wd) - lr * g / (np.abs(g) + 1e-8),
                               rtol=1e-6)


def test_adam_bias_correction_second_step():
    p0, g1, g2 = np.array([1.0]), np.array([0.3]), np.array([-0.2])
    b1, b2, lr, eps = 0.8, 0.9, 0.05, 1e-8
    p = param(p0, np.float64)
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    set_grad(p, g1)
    opt.step()
    p1 = p0 - lr * g1 / (np.abs(g1) + eps)
    set_grad(p, g2)
    opt.step()
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2
    expected = p1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)


# ----- several steps against torch.optim -----

CONFIGS = [
    ('SGD', dict(lr=0.1)),
    ('SGD', dict(lr=0.05, momentum=0.9)),
    ('SGD', dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ('SGD', dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ('Adam', dict(lr=0.01)),
    ('Adam', dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ('AdamW', dict(lr=0.01)),
    ('AdamW', dict(lr=0.03, betas=(0.5, 0.9), weight_decay=0.2)),
]


@pytest.mark.parametrize('name, kwargs', CONFIGS, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch_over_several_steps(name, kwargs):
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    noise = [[rng.standard_normal(a.shape).astype(np.float32) for a in inits] for _ in range(6)]
    ours = [param(a) for a in inits]
    theirs = [torch.tensor(a, requires_grad=True) for a in inits]
    opt = getattr(minigrad.optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for step_noise in noise:
        # the gradient of 0.5 * p**2 plus noise: it depends on p, so the runs must stay together
        for p, t, n in zip(ours, theirs, step_noise):
            set_grad(p, p.detach().numpy() + n)
            t.grad = t.detach() + torch.from_numpy(n)
        opt.step()
        ref.step()
        for p, t in zip(ours, theirs):
            assert p.dtype == minigrad.float32
            np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_param_groups_match_torch():
    torch = pytest.importorskip('torch')
    a0, b0 = np.ones(3, np.float32), np.full(2, -1.0, np.float32)
    a, b = param(a0), param(b0)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt = SGD([{'params': [a]}, {'params': b, 'lr': 0.5, 'momentum': 0.5}], lr=0.1, momentum=0.9)
    ref = torch.optim.SGD([{'params': [ta]}, {'params': tb, 'lr': 0.5, 'momentum': 0.5}], lr=0.1, momentum=0.9)
    assert [g['lr'] for g in opt.param_groups] == [0.1, 0.5]
    assert [g['momentum'] for g in opt.param_groups] == [0.9, 0.5]
    for _ in range(3):
        set_grad(a, [1.0, 2.0, 3.0])
        set_grad(b, [-1.0, 1.0])
        ta.grad, tb.grad = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1.0, 1.0])
        opt.step()
        ref.step()
    np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-6)


def test_add_param_group_and_bad_params():
    a, b = param([1.0]), param([2.0])
    opt = Adam([a], lr=0.1)
    opt.add_param_group({'params': [b], 'lr': 0.2})
    assert opt.param_groups[1]['lr'] == 0.2 and opt.param_groups[1]['betas'] == (0.9, 0.999)
    with pytest.raises(ValueError, match='more than once'):
        opt.add_param_group({'params': [a]})
    with pytest.raises(ValueError, match='empty parameter list'):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match='single Tensor'):
        SGD(a, lr=0.1)
    with pytest.raises(ValueError, match='non-leaf'):
        SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match='only optimize Tensors'):
        SGD([np.ones(2)], lr=0.1)


@pytest.mark.parametrize('make, match', [
    (lambda p: SGD(p, lr=-1), 'learning rate'),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), 'momentum'),
    (lambda p: SGD(p, lr=0.1, nesterov=True), 'nesterov'),
    (lambda p: Adam(p, betas=(0.9, 1.0)), 'betas'),
    (lambda p: Adam(p, eps=-1), 'eps'),
    (lambda p: AdamW(p, weight_decay=-0.1), 'weight_decay'),
])
def test_bad_hyperparameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make([param([1.0])])


def test_step_keeps_dtype_skips_missing_grads_and_bumps_version():
    a, b = param([1.0, 2.0]), param([3.0], np.float64)
    c = param([5.0])
    set_grad(a, [0.1, 0.1])
    set_grad(b, [0.1])
    y = (a * a).sum()                       # the graph saves a
    for opt in (SGD([a, b, c], lr=0.1, momentum=0.9, weight_decay=0.1), AdamW([a, b, c], lr=0.1)):
        opt.step()
    assert a.dtype == minigrad.float32 and b.dtype == minigrad.float64
    assert c.item() == 5.0                  # no gradient, no step (and no weight decay)
    with pytest.raises(RuntimeError, match='modified by an in-place operation'):
        y.backward()


def test_zero_grad():
    p = param([1.0, 2.0])
    (p * p).sum().backward()
    opt = SGD([p], lr=0.1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


# ----- state dicts -----

@pytest.mark.parametrize('make', [lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.9)),
                                  lambda ps: AdamW([{'params': ps[:1]}, {'params': ps[1:], 'lr': 0.2}])])
def test_state_dict_round_trip_through_save_and_load(make, tmp_path):
    rng = np.random.default_rng(1)
    inits = [rng.standard_normal(3).astype(np.float32), rng.standard_normal((2, 2)).astype(np.float32)]
    grads = [[rng.standard_normal(a.shape) for a in inits] for _ in range(5)]
    first = [param(a) for a in inits]
    opt = make(first)

    def run(ps, o, steps):
        for gs in steps:
            for p, g in zip(ps, gs):
                set_grad(p, g)
            o.step()

    run(first, opt, grads[:3])
    minigrad.save({'optim': opt.state_dict(), 'params': [p.detach() for p in first]}, tmp_path / 'ck.npz')
    loaded = minigrad.load(tmp_path / 'ck.npz')
    second = [minigrad.tensor(p.numpy(), requires_grad=True) for p in loaded['params']]
    opt2 = make(second)
    opt2.load_state_dict(loaded['optim'])
    assert opt2.param_groups[0]['lr'] == opt.param_groups[0]['lr']
    run(first, opt, grads[3:])
    run(second, opt2, grads[3:])
    for p, q in zip(first, second):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip('torch')
    ours, theirs = param([1.0, 2.0]), torch.tensor([1.0, 2.0], requires_grad=True)
    opt, ref = Adam([ours]), torch.optim.Adam([theirs])
    set_grad(ours, [1.0, 1.0])
    theirs.grad = torch.ones(2)
    opt.step()
    ref.step()
    sd, tsd = opt.state_dict(), ref.state_dict()
    assert list(sd['state']) == list(tsd['state']) == [0]
    assert set(sd['state'][0]) == set(tsd['state'][0])
    assert set(sd['param_groups'][0]) <= set(tsd['param_groups'][0])
    assert sd['param_groups'][0]['params'] == tsd['param_groups'][0]['params']


def test_load_state_dict_rejects_other_layouts():
    a, b = param([1.0]), param([2.0])
    sd = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match='group 0 has 2 parameters in the state dict and 1'):
        SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match='2 parameter groups, the optimizer has 1'):
        SGD([a, b], lr=0.1).load_state_dict(
            {'state': {}, 'param_groups': sd['param_groups'] * 2})


# ----- learning-rate schedulers -----

def lrs(scheduler, optimizer, epochs):
    out = []
    for _ in range(epochs):
        out.append(scheduler.get_last_lr()[0])
        assert optimizer.param_groups[0]['lr'] == out[-1]
        optimizer.step()
        scheduler.step()
    return out


def test_step_lr_sequence():
    opt = SGD([param([1.0])], lr=1.0)
    assert lrs(StepLR(opt, step_size=3, gamma=0.5), opt, 8) == pytest.approx(
        [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], rel=1e-12)
    assert opt.param_groups[0]['initial_lr'] == 1.0


def test_cosine_lr_sequence():
    opt = SGD([param([1.0])], lr=0.1)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    assert lrs(CosineAnnealingLR(opt, T_max=4, eta_min=0.01), opt, 9) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize('name, kwargs', [
    ('StepLR', dict(step_size=2, gamma=0.3)),
    ('CosineAnnealingLR', dict(T_max=5)),
    ('CosineAnnealingLR', dict(T_max=3, eta_min=1e-3)),
    ('LambdaLR', dict(lr_lambda=lambda e: 0.9 ** e / (1 + e))),
])
def test_schedulers_match_torch(name, kwargs):
    torch = pytest.importorskip('torch')
    opt = Adam([{'params': [param([1.0])]}, {'params': [param([2.0])], 'lr': 0.5}], lr=0.1)
    ref = torch.optim.Adam([{'params': [torch.ones(1, requires_grad=True)]},
                            {'params': [torch.ones(1, requires_grad=True)], 'lr': 0.5}], lr=0.1)
    ours = getattr(minigrad.optim.lr_scheduler, name)(opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(ref, **kwargs)
    for _ in range(12):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-10, abs=1e-15)
        opt.step()
        ref.step()
        ours.step()
        theirs.step()


def test_lambda_lr_per_group_and_resume():
    opt = SGD([{'params': [param([1.0])]}, {'params': [param([1.0])], 'lr': 1.0}], lr=0.1)
    sched = LambdaLR(opt, [lambda e: e + 1, lambda e: 0.5 ** e])
    sched.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.3, 0.25])
    with pytest.raises(ValueError, match='expected 2 lr_lambdas'):
        LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(KeyError, match='initial_lr'):
        StepLR(SGD([param([1.0])], lr=0.1), step_size=1, last_epoch=4)
    resumed = StepLR(opt, step_size=1, gamma=0.5, last_epoch=1)   # initial_lr is already there
    assert resumed.last_epoch == 2 and resumed.get_last_lr() == pytest.approx([0.025, 0.25])


def test_scheduler_state_dict_round_trip():
    opt = SGD([param([1.0])], lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    assert 'optimizer' not in state and state['last_epoch'] == 3
    other = StepLR(SGD([param([1.0])], lr=0.1), step_size=7)
    other.load_state_dict(state)
    assert other.step_size == 2 and other.get_last_lr() == sched.get_last_lr()
