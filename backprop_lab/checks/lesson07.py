"""Checks for ``exercises/07_training_on_mnist.ipynb``.

One check per task: :func:`check_centre`, :func:`check_confusion_matrix`,
:func:`check_most_confident_wrong`, :func:`check_per_class_accuracy`. The inputs are small,
seeded stand-ins for MNIST images, labels and softmax outputs (the checks run in milliseconds);
expected values come from the formulas in each task, computed here with NumPy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_lab import activations as act
from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import call_with_hints

__all__ = ["check_centre", "check_confusion_matrix", "check_most_confident_wrong",
           "check_per_class_accuracy"]


def _images(rng: np.random.Generator, m: int, d: int, dtype: type = np.float64) -> np.ndarray:
    """m "images" of d pixels in [0, 1], with the first pixel never inked (0 everywhere)."""
    X = rng.random((m, d)) * (rng.random((m, d)) < 0.6)
    X[:, 0] = 0.0
    return X.astype(dtype)


# -- task 1: centring -----------------------------------------------------------------------------


def check_centre(centre: Callable) -> None:
    """(X_train − μ, X_test − μ) with μ the per-pixel mean of the training images."""
    c = Checker("centre", centre)
    rng = np.random.default_rng(70)
    Xtr, Xte = _images(rng, 6, 4), _images(rng, 3, 4)
    out = c.call(Xtr, Xte, label="X_train (6, 4), X_test (3, 4) with pixels in [0, 1]")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        c.fail(f"expected a pair (X_train_centred, X_test_centred), got {type(out).__name__}",
               hint="return both centred arrays as a pair: (training images, test images)")
    c.ok("returns a pair")
    A, B = out
    mu = Xtr.mean(axis=0)
    c.array(A, dtype=np.float64, shape=Xtr.shape, name="the centred training images")
    c.close(A, Xtr - mu, what="centred training images",
            hint="μ is the mean over the training images (axis 0): one value per pixel",
            mistakes=[(Xtr - Xtr.mean(axis=1, keepdims=True),
                       "subtract the mean of each pixel over the images (axis 0), not the mean "
                       "of each image (axis 1)"),
                      (Xtr - Xtr.mean(), "subtract one mean per pixel (axis 0), not one number "
                                         "for all pixels"),
                      (_standardised(Xtr), "only subtract the mean: centring does not divide by "
                       "the standard deviation (which is 0 for a never-inked pixel: 0/0)")])
    c.array(B, dtype=np.float64, shape=Xte.shape, name="the centred test images")
    c.close(B, Xte - mu, what="centred test images use the training mean",
            hint="subtract the same μ, computed on the training images, from the test images",
            mistakes=[(Xte - Xte.mean(axis=0), "use the training mean for the test images too: "
                                               "the test set must not influence preprocessing"),
                      (Xte, "centre the test images too, with the training mean"),
                      (Xte - Xte.mean(axis=1, keepdims=True),
                       "subtract the mean of each pixel over the training images (axis 0), not "
                       "the mean of each image")])
    c.true(np.allclose(A.mean(axis=0), 0.0), "each pixel has mean 0 over the training images",
           "the centred training images do not have mean 0 per pixel")
    c.true(np.all(A[:, 0] == 0), "a never-inked pixel stays 0",
           "a pixel that is 0 in every training image should stay 0")

    A, B = c.call(Xtr[:1], Xte, label="a training set of one image")
    c.array(A, shape=(1, 4), name="the centred training image")
    c.close(A, np.zeros((1, 4)), what="one training image centres to 0")
    c.close(B, Xte - Xtr[0], what="the test images minus that one image")

    Xtr32, Xte32 = Xtr.astype(np.float32), Xte.astype(np.float32)
    A, B = c.call(Xtr32, Xte32, label="float32 X_train (6, 4), X_test (3, 4)")
    c.array(A, dtype=np.float32, name="the centred training images")
    c.array(B, dtype=np.float32, name="the centred test images")
    c.close(B, Xte32 - Xtr32.mean(axis=0), what="float32 keeps float32", rtol=1e-5, atol=1e-6)
    c.done()


# -- task 2: the confusion matrix -----------------------------------------------------------------


def _cm(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def check_confusion_matrix(confusion_matrix: Callable) -> None:
    """C[i, j] = number of examples with true class i predicted as j, an int (k, k) array."""
    c = Checker("confusion_matrix", confusion_matrix)
    y_true = np.array([0, 0, 1, 2, 2, 2, 1, 0])
    y_pred = np.array([0, 1, 1, 2, 0, 2, 1, 0])
    label = "y_true = [0, 0, 1, 2, 2, 2, 1, 0], y_pred = [0, 1, 1, 2, 0, 2, 1, 0], k = 3"
    out = c.call(y_true, y_pred, 3, label=label)
    c.array(out, name="C")
    if not np.issubdtype(out.dtype, np.integer):
        c.fail(f"C has dtype {out.dtype}, expected integers (counts)",
               hint="count with integers, e.g. np.zeros((k, k), dtype=int); do not normalise")
    c.ok("integer counts")
    c.array(out, shape=(3, 3), name="C")
    C = _cm(y_true, y_pred, 3)
    once = np.zeros((3, 3), dtype=int)
    once[y_true, y_pred] = 1
    c.close(out, C, what="counts on a small case",
            hint="C[i, j] += 1 for every example with true class i and predicted class j",
            mistakes=[(C.T, "C is transposed: rows are the true classes, columns the predictions"),
                      (once, "`C[y_true, y_pred] += 1` counts a repeated (i, j) pair only once: "
                             "fancy-index assignment does not accumulate. Loop, or use "
                             "np.add.at(C, (y_true, y_pred), 1)"),
                      (C / C.sum(), "return counts, not fractions")])
    c.true(out.sum() == len(y_true), "the counts add up to the number of examples",
           f"the counts add up to {out.sum()}, expected {len(y_true)}")

    y_true = np.array([1, 1, 3])
    y_pred = np.array([1, 3, 3])
    out = c.call(y_true, y_pred, 5, label="y_true = [1, 1, 3], y_pred = [1, 3, 3], k = 5 "
                                          "(classes 0, 2, 4 never occur)")
    c.array(out, name="C")
    if out.shape != (5, 5):
        c.fail(f"C has shape {out.shape}, expected (5, 5)",
               hint="use the number of classes k you are given, not the largest label seen")
    c.close(out, _cm(y_true, y_pred, 5), what="classes that never occur give zero rows/columns")

    out = c.call(np.array([4]), np.array([2]), 10, label="one example: true 4, predicted 2, k = 10")
    c.array(out, shape=(10, 10), name="C")
    expected = np.zeros((10, 10), dtype=int)
    expected[4, 2] = 1
    c.close(out, expected, what="a single example")
    c.done()


# -- task 3: the most confident mistakes ----------------------------------------------------------


def _worst(P: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    pred = P.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    conf = P[wrong, pred[wrong]]
    return wrong[np.argsort(-conf, kind="stable")[:n]]


def _standardised(X: np.ndarray) -> np.ndarray:
    """A typical over-eager mistake for centring: (X − μ)/σ per pixel (NaN where σ = 0)."""
    with np.errstate(all="ignore"):
        return (X - X.mean(axis=0)) / X.std(axis=0)


def check_most_confident_wrong(most_confident_wrong: Callable) -> None:
    """Indices of the n wrongly classified rows with the highest predicted-class probability."""
    c = Checker("most_confident_wrong", most_confident_wrong)
    rng = np.random.default_rng(71)
    P = act.softmax(3 * rng.standard_normal((12, 4)))
    y = rng.integers(0, 4, size=12)
    y[:3] = P[:3].argmax(axis=1)              # a few confident right answers, too
    label = "P: softmax outputs of shape (12, 4), y: labels (12,), n = 3"
    out = c.call(P, y, 3, label=label)
    c.array(out, name="the indices")
    if not np.issubdtype(out.dtype, np.integer):
        c.fail(f"the result has dtype {out.dtype}, expected integer indices",
               hint="return the row indices (e.g. from np.flatnonzero / np.argsort), not the "
                    "probabilities")
    c.ok("integer indices")
    c.array(out, shape=(3,), name="the indices")
    expected = _worst(P, y, 3)
    pred = P.argmax(axis=1)
    conf = P[np.arange(12), pred]
    wrong = np.flatnonzero(pred != y)
    c.close(out, expected, what="the 3 most confident mistakes, most confident first",
            hint="keep the rows where argmax(P) ≠ y, sort them by P[row, argmax] from high to low",
            mistakes=[(np.argsort(-conf, kind="stable")[:3], "only count mistakes: keep the rows "
                       "where the predicted class differs from y"),
                      (wrong[np.argsort(conf[wrong], kind="stable")[:3]],
                       "sort from the most confident down (descending), not ascending"),
                      (wrong[np.argsort(-conf[wrong], kind="stable")][::-1][:3],
                       "most confident first: sort descending"),
                      (wrong[np.argsort(P[wrong, y[wrong]], kind="stable")[:3]],
                       "rank by the probability of the predicted (wrong) class, P[row, "
                       "argmax], not by the probability of the true class"),
                      (np.argsort(-conf[wrong], kind="stable")[:3],
                       "return indices into P (rows of the data set), not positions in your list "
                       "of mistakes")])

    n_wrong = len(wrong)
    out = c.call(P, y, 20, label=f"n = 20, more than the {n_wrong} mistakes")
    c.array(out, name="the indices")
    if len(out) != n_wrong:
        c.fail(f"returned {len(out)} indices, expected all {n_wrong} mistakes",
               hint="with fewer mistakes than n, return all of them (slicing [:n] does this)")
    c.close(out, _worst(P, y, 20), what="n larger than the number of mistakes gives them all")

    Pt = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.05, 0.9, 0.05],
                   [0.7, 0.3, 0.0]])
    yt = np.array([1, 1, 0, 2, 2])
    out = c.call(Pt, yt, 3, label="5 rows, n = 3: row 3 wrong with confidence 0.9, rows 0, 2 and 4 "
                 "wrong with the same confidence 0.7, row 1 right")
    c.array(out, shape=(3,), name="the indices")
    c.close(out, np.array([3, 0, 2]), what="ties broken by the smaller row index",
            hint="rows with equal confidence come in increasing row order: sort by the negated "
                 "confidence with a stable sort",
            mistakes=[(np.array([3, 4, 2]), "reversing an ascending sort also reverses the order "
                       "of ties: sort the negated confidence with kind=\"stable\" instead")])

    out = c.call(np.eye(4)[[0, 1, 2]], np.array([0, 1, 2]), 5, label="no mistakes at all")
    c.array(out, name="the indices")
    c.true(out.shape == (0,), "no mistakes gives an empty array",
           f"with no mistakes expected an empty array, got {out}")

    out = c.call(P[:1], (pred[:1] + 1) % 4, 3, label="one row, wrongly classified")
    c.array(out, shape=(1,), name="the indices")
    c.close(out, np.array([0]), what="a batch of one")
    c.done()


# -- task 4: per-class accuracy -------------------------------------------------------------------


def check_per_class_accuracy(per_class_accuracy: Callable) -> None:
    """acc[i] = C[i, i] / Σ_j C[i, j]: the fraction of class-i examples predicted right."""
    c = Checker("per_class_accuracy", per_class_accuracy)
    C = np.array([[8, 1, 1], [0, 5, 5], [2, 2, 16]])
    out = c.call(C, label="C = [[8, 1, 1], [0, 5, 5], [2, 2, 16]]")
    c.array(out, dtype=np.float64, shape=(3,), name="the per-class accuracies")
    d = np.diag(C)
    c.close(out, d / C.sum(axis=1), hint="row i holds the examples of true class i: divide "
                                         "C[i, i] by the sum of row i",
            mistakes=[(d / C.sum(axis=0), "divide by the row sums (examples of true class i), not "
                                          "the column sums (examples predicted as i, i.e. "
                                          "precision)"),
                      (d / C.sum(), "divide by the number of examples of each class (the row "
                                    "sum), not by the total"),
                      (np.full(3, d.sum() / C.sum()), "one value per class: C[i, i] / (row i's "
                                                      "sum), not the overall accuracy"),
                      (1 - d / C.sum(axis=1), "that is the error rate per class")])

    C = np.array([[3, 0, 1], [0, 0, 0], [0, 2, 2]])
    out = call_with_hints(
        c, C, label="C = [[3, 0, 1], [0, 0, 0], [0, 2, 2]] (class 1 has no examples)",
        numpy_errors=True,
        hints={FloatingPointError: "class 1 has no examples: 0/0. Give NaN for such classes "
               "without dividing by 0: divide only where the row sum is > 0 (np.divide has a "
               "`where=` argument) and leave np.nan elsewhere"})
    c.array(out, dtype=np.float64, shape=(3,), name="the per-class accuracies")
    c.true(np.isnan(out[1]), "a class without examples gives NaN",
           f"class 1 has no examples: expected NaN, got {out[1]!r}",
           hint="0 correct of 0 is undefined, not 0 % (and not 100 %): return np.nan there")
    c.close(out[[0, 2]], np.array([0.75, 0.5]), what="the other classes are unaffected")

    out = c.call(np.array([[7]]), label="C = [[7]] (one class)")
    c.array(out, dtype=np.float64, shape=(1,), name="the per-class accuracies")
    c.close(out, np.array([1.0]), what="a single class")
    c.done()
