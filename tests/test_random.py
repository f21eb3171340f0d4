"""Generators and random sampling: seeding, separate streams, and the distributions drawn.

minigrad's draws can't match PyTorch's bit for bit (different generators), so these tests check
what a program relies on instead: the same seed gives the same draws, a separate ``Generator``
leaves the default stream alone, and the samples have the right support, shape and statistics.
"""
import numpy as np
import pytest

import minigrad
from minigrad import random as mg_random


@pytest.fixture
def gen(device):
    """A Generator on the device the tests run on, seeded with 0."""
    return minigrad.Generator(device).manual_seed(0)


DRAWS = {
    'rand': lambda g: minigrad.rand(2, 3, generator=g),
    'randn': lambda g: minigrad.randn((4,), generator=g),
    'randint': lambda g: minigrad.randint(0, 10, (6,), generator=g),
    'randperm': lambda g: minigrad.randperm(7, generator=g),
    'multinomial': lambda g: minigrad.multinomial(minigrad.ones(2, 5), 3, generator=g),
    'normal': lambda g: minigrad.normal(minigrad.zeros(3), 2.0, generator=g),
    'normal of numbers': lambda g: minigrad.normal(1.0, 2.0, (3,), generator=g),
    'bernoulli': lambda g: minigrad.bernoulli(minigrad.full((5,), 0.5), generator=g),
    'rand_like': lambda g: minigrad.rand_like(minigrad.zeros(3), generator=g),
    'randn_like': lambda g: minigrad.randn_like(minigrad.zeros(3), generator=g),
    'randint_like': lambda g: minigrad.randint_like(minigrad.zeros(3), 4, generator=g),
}


@pytest.mark.parametrize('name', DRAWS)
def test_same_seed_same_draws_and_the_global_stream_is_untouched(name, device):
    draw = DRAWS[name]
    minigrad.manual_seed(5)
    expected_global = minigrad.rand(4).tolist()

    minigrad.manual_seed(5)
    first = draw(minigrad.Generator(device).manual_seed(1)).tolist()
    assert minigrad.rand(4).tolist() == expected_global      # the Generator left the default alone
    assert draw(minigrad.Generator(device).manual_seed(1)).tolist() == first
    assert draw(minigrad.Generator(device).manual_seed(2)).tolist() != first


@pytest.mark.parametrize('name', DRAWS)
def test_without_a_generator_the_global_seed_decides(name):
    draw = DRAWS[name]
    minigrad.manual_seed(11)
    first = draw(None).tolist()
    minigrad.manual_seed(11)
    assert draw(None).tolist() == first


def test_manual_seed_returns_the_default_generator_and_seeds_it():
    assert minigrad.manual_seed(3) is minigrad.default_generator is mg_random.default_generator
    assert minigrad.initial_seed() == minigrad.default_generator.initial_seed() == 3
    a = minigrad.rand(3, device='cpu').tolist()
    minigrad.default_generator.manual_seed(3)
    assert minigrad.rand(3, device='cpu').tolist() == a
    # what the rest of minigrad draws from (dropout, init): the default generator's own array generator
    assert mg_random.generator(np) is minigrad.default_generator._rng


def test_generator_seeds():
    g = minigrad.Generator()
    assert g.device == 'cpu' and g.initial_seed() == 67280421310721      # PyTorch's starting seed
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1                 # wraps, as PyTorch
    new = g.seed()
    assert g.initial_seed() == new and 0 <= new < 2 ** 64
    with pytest.raises(ValueError, match=r'manual_seed.*2\*\*64.*got 18446744073709551616'):
        g.manual_seed(2 ** 64)
    assert minigrad.seed() == minigrad.initial_seed() == minigrad.default_generator.initial_seed()


def test_get_state_and_set_state_replay_the_stream():
    g = minigrad.Generator().manual_seed(4)
    minigrad.rand(5, generator=g, device='cpu')
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (56,)
    after = minigrad.randn(6, generator=g, device='cpu').tolist()
    g.manual_seed(99)
    assert g.set_state(state) is g and g.initial_seed() == 4
    assert minigrad.randn(6, generator=g, device='cpu').tolist() == after
    # the global form, on the default generator
    saved = minigrad.get_rng_state()
    a = minigrad.rand(3, device='cpu').tolist()
    minigrad.set_rng_state(saved)
    assert minigrad.rand(3, device='cpu').tolist() == a
    with pytest.raises(RuntimeError, match=r'set_state.*56 bytes.*int64.*\(3,\)'):
        g.set_state(minigrad.zeros(3, dtype=minigrad.int64, device='cpu'))


def test_generator_on_another_device_is_refused(device):
    with pytest.raises(TypeError, match='rand: generator must be a minigrad.Generator, got int'):
        minigrad.rand(2, generator=3)
    if device == 'cpu':
        pytest.skip('needs a second device')
    with pytest.raises(RuntimeError, match=r"randn: expected a generator on 'cuda'.*got one on 'cpu'"):
        minigrad.randn(2, generator=minigrad.Generator('cpu'))


def test_rand_randn_randint_distributions(gen):
    u = minigrad.rand(20000, generator=gen).numpy()
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert minigrad.rand(3, generator=gen, dtype=minigrad.float64).dtype == minigrad.float64
    z = minigrad.randn(20000, generator=gen).numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    r = minigrad.randint(-2, 3, (5000,), generator=gen)
    assert r.dtype == minigrad.int64 and set(r.tolist()) == {-2, -1, 0, 1, 2}
    with pytest.raises(RuntimeError, match=r'randint: low \(5\) must be less than high \(3\)'):
        minigrad.randint(5, 3, (2,))


def test_randperm(gen):
    p = minigrad.randperm(50, generator=gen)
    assert p.dtype == minigrad.int64 and sorted(p.tolist()) == list(range(50)) and p.tolist() != list(range(50))
    assert minigrad.randperm(0).tolist() == []
    assert minigrad.randperm(4, dtype=minigrad.int32).dtype == minigrad.int32
    with pytest.raises(RuntimeError, match='randperm: n must be non-negative, got -1'):
        minigrad.randperm(-1)


def test_multinomial_with_replacement_follows_the_weights(gen):
    weights = minigrad.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])       # need not sum to 1
    s = minigrad.multinomial(weights, 8000, replacement=True, generator=gen)
    assert s.shape == (2, 8000) and s.dtype == minigrad.int64
    counts = [np.bincount(row, minlength=3) / 8000 for row in s.numpy()]
    np.testing.assert_allclose(counts[0], [0.25, 0, 0.75], atol=0.02)
    np.testing.assert_allclose(counts[1], [0, 0.5, 0.5], atol=0.02)


def test_multinomial_without_replacement(gen):
    w = minigrad.tensor([5.0, 1.0, 0.0, 2.0])
    rows = [minigrad.multinomial(w, 3, generator=gen).tolist() for _ in range(400)]
    assert all(len(set(r)) == 3 for r in rows)                  # no category twice
    assert all(2 not in r for r in rows)                         # weight 0 only when nothing else is left
    assert sorted(minigrad.multinomial(w, 4, generator=gen).tolist()) == [0, 1, 2, 3]
    firsts = np.bincount([r[0] for r in rows], minlength=4) / 400
    np.testing.assert_allclose(firsts, [5 / 8, 1 / 8, 0, 2 / 8], atol=0.07)   # first pick ∝ weight


@pytest.mark.parametrize('weights, n, replacement, message', [
    ([1.0, -1.0], 1, False, r'multinomial: .*element < 0.*-1'),
    ([1.0, float('nan')], 1, False, r'multinomial: .*`nan`'),
    ([[1.0, 1.0], [0.0, 0.0]], 1, True, r'multinomial: invalid multinomial distribution.*rows \[1\]'),
    ([1.0, 1.0], 3, False, r'multinomial: cannot sample n_sample > .*num_samples=3, 2 categories'),
    ([1.0, 1.0], 0, True, r'multinomial: cannot sample n_sample <= 0.*num_samples=0'),
    ([[[1.0]]], 1, False, r'multinomial: prob_dist must be 1 or 2 dim, got shape \(1, 1, 1\)'),
    ([1, 2], 1, False, r'multinomial: only supports floating-point.*int64'),
])
def test_multinomial_errors(weights, n, replacement, message):
    with pytest.raises(RuntimeError, match=message):
        minigrad.multinomial(minigrad.tensor(weights), n, replacement)


def test_normal_forms(gen):
    mean = minigrad.tensor([[0.0], [10.0]])
    std = minigrad.tensor([1.0, 2.0, 0.0])
    x = minigrad.normal(mean, std, generator=gen)
    assert x.shape == (2, 3) and x.dtype == minigrad.float32
    assert x.tolist()[0][2] == 0.0 and x.tolist()[1][2] == 10.0           # std 0: exactly the mean
    big = minigrad.normal(minigrad.full((20000,), 3.0), 2.0, generator=gen).numpy()
    assert abs(big.mean() - 3) < 0.06 and abs(big.std() - 2) < 0.06
    assert minigrad.normal(0.0, minigrad.ones(4, dtype=minigrad.float64), generator=gen).dtype == minigrad.float64
    y = minigrad.normal(5.0, 0.5, (10000,), generator=gen, dtype=minigrad.float64)
    assert y.dtype == minigrad.float64 and abs(y.numpy().mean() - 5) < 0.03


@pytest.mark.parametrize('call, error, message', [
    (lambda: minigrad.normal(minigrad.zeros(2), minigrad.tensor([1.0, -0.5])), RuntimeError,
     r'normal: expects all elements of std >= 0.0, got -0.5'),
    (lambda: minigrad.normal(0.0, -1.0, (2,)), RuntimeError, r'normal: expects std >= 0.0, got -1.0'),
    (lambda: minigrad.normal(0.0, 1.0), TypeError, r'normal: .*give the size'),
    (lambda: minigrad.normal(minigrad.zeros(2), 1.0, (2,)), TypeError, r'normal: size.*go only with numbers'),
])
def test_normal_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bernoulli(gen):
    p = minigrad.tensor([0.0, 1.0, 0.3] * 5000)
    b = minigrad.bernoulli(p, generator=gen)
    assert b.dtype == p.dtype and set(b.tolist()) <= {0.0, 1.0}
    col = b.numpy().reshape(-1, 3)
    assert col[:, 0].sum() == 0 and col[:, 1].all() and abs(col[:, 2].mean() - 0.3) < 0.03
    with pytest.raises(RuntimeError, match=r'bernoulli: expects probabilities 0 <= p <= 1, '
                                           r'got values from -0.5 to 2.0'):
        minigrad.bernoulli(minigrad.tensor([-0.5, 2.0]))
    with pytest.raises(RuntimeError, match='bernoulli: expects a floating-point tensor.*int64'):
        minigrad.bernoulli(minigrad.tensor([0, 1]))


def test_like_factories_keep_shape_dtype_and_device(gen):
    x = minigrad.zeros(2, 3, dtype=minigrad.float64)
    for y in (minigrad.rand_like(x, generator=gen), minigrad.randn_like(x, generator=gen),
              minigrad.randint_like(x, 2, 5, generator=gen)):
        assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert set(minigrad.randint_like(minigrad.zeros(500, dtype=minigrad.int64), 3).tolist()) == {0, 1, 2}
