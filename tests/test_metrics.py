"""minigrad.metrics against the definitions worked by hand and, when installed, scikit-learn."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.metrics import accuracy_score, classification_report, confusion_matrix, precision_recall_f1

Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1]
Y_PRED = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]


def test_by_hand():
    c = confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(c, [[2, 1, 0], [0, 2, 1], [1, 0, 3]])
    assert accuracy_score(Y_TRUE, mg.tensor(Y_PRED)) == 0.7
    p, r, f = precision_recall_f1(Y_TRUE, Y_PRED, average=None)
    np.testing.assert_allclose(p, [2 / 3, 2 / 3, 3 / 4])           # TP / column sum
    np.testing.assert_allclose(r, [2 / 3, 2 / 3, 3 / 4])           # TP / row sum
    np.testing.assert_allclose(f, 2 * p * r / (p + r))
    # binary: class 1 as the positive one
    assert precision_recall_f1([1, 1, 0, 0], [1, 0, 1, 0], average='binary') == (0.5, 0.5, 0.5)


def test_zero_denominators_and_errors():
    # class 1 is never predicted: its precision is 0, not NaN
    p, r, f = precision_recall_f1([0, 1], [0, 0], average=None)
    np.testing.assert_allclose(p, [0.5, 0.0])
    np.testing.assert_allclose(f, [2 / 3, 0.0])
    # class 1 occurs in neither: left out of the macro average
    assert precision_recall_f1([0, 2], [0, 2]) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match='3 labels but y_pred has 2'):
        accuracy_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="average must be"):
        precision_recall_f1([0], [0], average='micro')


def test_against_scikit_learn():
    sklearn_metrics = pytest.importorskip('sklearn.metrics')
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    report = classification_report(y_true, y_pred)
    expected = sklearn_metrics.precision_recall_fscore_support(y_true, y_pred, average='macro', zero_division=0)
    np.testing.assert_allclose([report['precision'], report['recall'], report['f1']], expected[:3])
    assert report['accuracy'] == sklearn_metrics.accuracy_score(y_true, y_pred)
