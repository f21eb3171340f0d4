"""Exercise 10 — the confusion matrix, precision, recall and F1.

Follows chapter 4 (notebooks/04_neural_networks_on_digits.ipynb, §4) and article 001 §9 (评估指标:
准确率, 召回率, F1). For K classes, the confusion matrix (混淆矩阵) C counts the answers:

    C[i, j] = how many examples of TRUE class i were PREDICTED as class j      (rows: truth)

Everything else follows from it, class by class (that class against all the others):

    TP_k = C[k, k]                     (true positives: right answers for class k)
    precision_k = C[k, k] / Σ_i C[i, k]      of everything predicted as k, how much is k   (精确率)
    recall_k    = C[k, k] / Σ_j C[k, j]      of everything that is k, how much was found   (召回率)
    F1_k = 2 · precision_k · recall_k / (precision_k + recall_k)     their harmonic mean

When a class is never predicted (a zero column) its precision is 0/0: define it as 0, and the
same for recall (a zero row) and F1 (p + r = 0). ``numpy.where(den > 0, num / numpy.maximum(den, 1), 0.0)``
does it without a warning.

Both functions work on NumPy arrays. Useful: ``numpy.add.at(C, (y_true, y_pred), 1)`` (adds 1 at
every pair, repeats included), ``numpy.diag``, ``.sum(axis=0)`` (column sums), ``.sum(axis=1)``.

Check your work:  python -m minigrad check tutorials/10_metrics.py   (or run this file).
"""
import numpy


def confusion_matrix(y_true, y_pred, num_classes):
    """The (K, K) int64 matrix C with C[i, j] = number of examples of true class i predicted as j."""
    raise NotImplementedError("exercise: count every (true, predicted) pair")


def precision_recall_f1(confusion):
    """Three float arrays of length K: the precision, recall and F1 of each class (0 where 0/0)."""
    raise NotImplementedError("exercise: the diagonal over the column sums, over the row sums, and their harmonic mean")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
