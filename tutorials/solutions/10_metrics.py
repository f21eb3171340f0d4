"""Reference solution of tutorials/10_metrics.py (the confusion matrix, precision, recall and F1).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import numpy


def confusion_matrix(y_true, y_pred, num_classes):
    """The (K, K) int64 matrix C with C[i, j] = number of examples of true class i predicted as j."""
    C = numpy.zeros((num_classes, num_classes), dtype=numpy.int64)
    numpy.add.at(C, (y_true, y_pred), 1)
    return C


def precision_recall_f1(confusion):
    """Three float arrays of length K: the precision, recall and F1 of each class (0 where 0/0)."""
    tp = numpy.diag(confusion).astype(numpy.float64)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = numpy.where(predicted > 0, tp / numpy.maximum(predicted, 1), 0.0)
    recall = numpy.where(actual > 0, tp / numpy.maximum(actual, 1), 0.0)
    both = precision + recall
    f1 = numpy.where(both > 0, 2 * precision * recall / numpy.where(both > 0, both, 1.0), 0.0)
    return precision, recall, f1


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
