"""Classification metrics: accuracy, precision, recall and F1, and the confusion matrix behind them.

Article 001's FAQ ("如何评估大模型的性能？") answers: with the standard metrics, accuracy (准确率),
recall (召回率) and F1. For one class c, counting the test examples by prediction and truth,

    TP = predicted c and truly c      FP = predicted c, truly not      FN = truly c, predicted not

    precision_c = TP / (TP + FP)      of what the model called c, the fraction that was c
    recall_c    = TP / (TP + FN)      of the true c, the fraction the model found
    F1_c        = 2 · P · R / (P + R) their harmonic mean: high only when both are
    accuracy    = (correct predictions) / (all predictions), over every class at once

A ratio whose denominator is 0 (a class never predicted, or absent from the truth) is taken as
0, as scikit-learn does by default. With more than two classes the per-class values are
averaged: ``average='macro'`` gives each class that occurs (in the truth or the predictions) the
same weight, so a rare class counts as much as a common one; ``'binary'`` reports the class
``pos_label`` alone; ``None`` returns them all.
Labels may be lists, NumPy arrays or Tensors of class indices.
"""
import numpy as np

from .tensor import Tensor


def _labels(y, name):
    if isinstance(y, Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"metrics: {name} must be a 1-d sequence of class indices, got shape {y.shape}")
    return y.astype(np.int64)


def _pair(y_true, y_pred):
    y_true, y_pred = _labels(y_true, 'y_true'), _labels(y_pred, 'y_pred')
    if y_true.shape != y_pred.shape:
        raise ValueError(f"metrics: y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if not len(y_true):
        raise ValueError("metrics: no labels given")
    return y_true, y_pred


def confusion_matrix(y_true, y_pred, num_classes=None):
    """C[i, j] = how many examples of true class i were predicted as class j (rows: truth)."""
    y_true, y_pred = _pair(y_true, y_pred)
    n = num_classes or int(max(y_true.max(), y_pred.max())) + 1
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def accuracy_score(y_true, y_pred):
    """The fraction of predictions equal to the truth."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float((y_true == y_pred).mean())


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def precision_recall_f1(y_true, y_pred, average='macro', pos_label=1, num_classes=None):
    """(precision, recall, F1) from the confusion matrix: floats, or arrays per class with
    ``average=None``. ``average`` is 'macro', 'binary' (class ``pos_label`` only) or None."""
    if average not in ('macro', 'binary', None):
        raise ValueError(f"precision_recall_f1: average must be 'macro', 'binary' or None, not {average!r}")
    c = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(c).astype(np.float64)
    predicted, actual = c.sum(0), c.sum(1)          # TP + FP (column sums), TP + FN (row sums)
    precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
    f1 = _ratio(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == 'binary':
        return float(precision[pos_label]), float(recall[pos_label]), float(f1[pos_label])
    seen = (predicted + actual) > 0                 # a class in neither truth nor prediction says nothing
    return float(precision[seen].mean()), float(recall[seen].mean()), float(f1[seen].mean())


def classification_report(y_true, y_pred, average='macro', num_classes=None):
    """{'accuracy', 'precision', 'recall', 'f1'} in one dict (macro averages by default)."""
    precision, recall, f1 = precision_recall_f1(y_true, y_pred, average, num_classes=num_classes)
    return {'accuracy': accuracy_score(y_true, y_pred), 'precision': precision, 'recall': recall, 'f1': f1}
