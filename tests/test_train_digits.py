"""End-to-end training on scikit-learn's digits: the MLP reaches 97% test accuracy, the CNN 98%, each fast."""
import time

import numpy as np
import pytest

import minigrad
from minigrad.demo import DigitsCNN, DigitsMLP, accuracy, load_digits_split, train

pytest.importorskip('sklearn')


@pytest.fixture(scope='module')
def digits():
    from minigrad import backend
    return load_digits_split(backend.default_device())


def test_split_is_fixed_and_covers_every_class(digits):
    x_train, y_train, x_test, y_test = digits
    assert x_train.shape == (1438, 1, 8, 8) and x_test.shape == (359, 1, 8, 8)
    assert x_train.dtype == minigrad.float32 and y_train.dtype == minigrad.int64
    assert 0.0 <= x_train.numpy().min() and x_train.numpy().max() <= 1.0
    assert set(y_test.tolist()) == set(range(10))
    again = load_digits_split()
    np.testing.assert_array_equal(again[3].numpy(), y_test.numpy())


@pytest.mark.parametrize('make, epochs, target', [(DigitsMLP, 20, 0.97), (DigitsCNN, 15, 0.98)],
                         ids=['mlp', 'cnn'])
def test_reaches_target_accuracy_quickly(digits, device, make, epochs, target):
    minigrad.manual_seed(0)
    model = make().to(device)
    start = time.perf_counter()
    _, history = train(model, digits, epochs=epochs, progress=False)
    seconds = time.perf_counter() - start
    test_acc = accuracy(model, digits[2], digits[3])
    assert test_acc == history['test_acc'][-1]
    assert test_acc >= target, f"{make.__name__}: test accuracy {test_acc:.2%} after {epochs} epochs"
    assert history['loss'][-1] < 0.5 * history['loss'][0]
    assert seconds < 60, f"{make.__name__}: training took {seconds:.0f} s"
