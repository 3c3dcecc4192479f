"""The lesson 07 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np
import pytest

from backprop_lab.checks import CheckFailure
from backprop_lab.checks.lesson07 import (
    check_centre,
    check_confusion_matrix,
    check_most_confident_wrong,
    check_per_class_accuracy,
)

# -- independent reference implementations ---------------------------------------------------------


def centre(X_train, X_test):
    mu = X_train.mean(axis=0)
    return X_train - mu, X_test - mu


def confusion_matrix(y_true, y_pred, k):
    C = np.zeros((k, k), dtype=np.int64)
    for i, j in zip(y_true, y_pred, strict=True):
        C[i, j] += 1
    return C


def most_confident_wrong(P, y, n):
    pred = P.argmax(axis=1)
    order = sorted((i for i in range(len(y)) if pred[i] != y[i]), key=lambda i: -P[i, pred[i]])
    return np.array(order[:n], dtype=np.int64)


def per_class_accuracy(C):
    rows = C.sum(axis=1)
    out = np.full(len(C), np.nan)
    np.divide(np.diag(C), rows, out=out, where=rows > 0)
    return out


REFERENCES = [
    (check_centre, centre),
    (check_confusion_matrix, confusion_matrix),
    (check_most_confident_wrong, most_confident_wrong),
    (check_per_class_accuracy, per_class_accuracy),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def centre_in_place(X_train, X_test):
    mu = X_train.mean(axis=0)
    X_train -= mu
    X_test -= mu
    return X_train, X_test


def cm_fancy(y_true, y_pred, k):
    C = np.zeros((k, k), dtype=int)
    C[y_true, y_pred] += 1
    return C


def cm_k_from_data(y_true, y_pred, k):
    return confusion_matrix(y_true, y_pred, max(y_true.max(), y_pred.max()) + 1)


def worst_including_right(P, y, n):
    conf = P.max(axis=1)
    return np.argsort(-conf, kind="stable")[:n]


def worst_ascending(P, y, n):
    return most_confident_wrong(P, y, len(y))[::-1][:n]


def worst_positions(P, y, n):
    pred = P.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    return np.argsort(-P[wrong, pred[wrong]], kind="stable")[:n]


def worst_probabilities(P, y, n):
    idx = most_confident_wrong(P, y, n)
    return P[idx].max(axis=1)


def pca_no_guard(C):
    return np.diag(C) / C.sum(axis=1)


def pca_zero_for_empty(C):
    rows = C.sum(axis=1)
    return np.diag(C) / np.maximum(rows, 1)


def worst_reversed_ties(P, y, n):  # reverses an ascending stable sort: ties come out backwards
    pred = P.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    return wrong[np.argsort(P[wrong, pred[wrong]], kind="stable")[::-1]][:n]


def centre_standardised(X_train, X_test):
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    with np.errstate(all="ignore"):
        return (X_train - mu) / sd, (X_test - mu) / sd

MISTAKES = [
    (check_centre, lambda A, B: (A - A.mean(0), B - B.mean(0)), "use the training mean"),
    (check_centre, lambda A, B: (A - A.mean(1, keepdims=True), B - A.mean(0)),
     "not the mean of each image (axis 1)"),
    (check_centre, lambda A, B: (A - A.mean(), B - A.mean()), "not one number"),
    (check_centre, lambda A, B: (A - A.mean(0), B), "centre the test images too"),
    (check_centre, centre_in_place, "changed in place"),
    (check_centre, lambda A, B: A - A.mean(0), "expected a pair"),
    (check_centre, lambda A, B: tuple(x.astype(np.float64) for x in centre(A, B)), "float32"),
    (check_confusion_matrix, lambda t, p, k: confusion_matrix(t, p, k).T, "C is transposed"),
    (check_confusion_matrix, cm_fancy, "does not accumulate"),
    (check_confusion_matrix, lambda t, p, k: confusion_matrix(t, p, k) / len(t),
     "expected integers"),
    (check_confusion_matrix, cm_k_from_data, "use the number of classes k you are given"),
    (check_most_confident_wrong, worst_including_right, "only count mistakes"),
    (check_most_confident_wrong, worst_ascending, "descending"),
    (check_most_confident_wrong, worst_positions, "not positions in your list"),
    (check_most_confident_wrong, worst_probabilities, "not the probabilities"),
    (check_per_class_accuracy, lambda C: np.diag(C) / C.sum(axis=0), "precision"),
    (check_per_class_accuracy, lambda C: np.diag(C) / C.sum(), "not by the total"),
    (check_per_class_accuracy, lambda C: np.full(len(C), np.trace(C) / C.sum()),
     "not the overall accuracy"),
    (check_per_class_accuracy, pca_no_guard, "without dividing by 0"),
    (check_per_class_accuracy, pca_zero_for_empty, "return np.nan there"),
    (check_most_confident_wrong, worst_reversed_ties, "reverses the order of ties"),
    (check_centre, centre_standardised, "only subtract the mean"),
]

# -- errors in the student's code ----------------------------------------------------------------------


def test_zero_division_is_chained_to_numpys_error():
    with pytest.raises(CheckFailure) as info:
        check_per_class_accuracy(pca_no_guard)
    assert isinstance(info.value.__cause__, FloatingPointError)
