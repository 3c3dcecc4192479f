"""The lesson 06 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson06 import (
    check_accuracy,
    check_linear_backward,
    check_predict,
    check_smallest_good_width,
    check_train_epochs,
)

# -- independent reference implementations ---------------------------------------------------------


def linear_backward(dZ, A_prev, W):
    return dZ @ W, dZ.T @ A_prev, dZ.sum(axis=0)


def train_epochs(net, loss, X, y, lr, epochs, batch_size, seed, *, kind=""):
    rng = np.random.default_rng(seed)
    n = len(X)
    history = []
    for epoch in range(epochs):
        order = np.arange(n) if kind == "no_shuffle" else rng.permutation(n)
        if kind == "fresh_rng":
            order = np.random.default_rng(seed).permutation(n)
        elif kind == "seed_per_epoch":  # a new generator every epoch, seeded differently
            order = np.random.default_rng(seed + epoch).permutation(n)
        total, batch_losses = 0.0, []
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            value = loss.forward(net.forward(X[idx]), y[idx])
            total += value * len(idx)
            batch_losses.append(value)
            net.backward(loss.backward())
            for p in net.parameters():
                if kind == "copy_update":
                    p.value.copy() - lr * p.grad  # noqa: B018  (a result that is thrown away)
                elif kind == "ascent":
                    p.value[...] += lr * p.grad
                else:
                    p.value[...] -= lr * p.grad
        if kind == "per_batch":
            history.extend(batch_losses)
        elif kind == "batch_mean":
            history.append(float(np.mean(batch_losses)))
        else:
            history.append(total / n)
    return history


def predict(net, X):
    return net.forward(X).argmax(axis=1)


def accuracy(net, X, y):
    return float(np.mean(predict(net, X) == y))


def smallest_good_width(accuracy_of, widths, seeds, threshold=0.9, mistake=None):
    """Reference (and, with ``mistake``, its typical wrong variants)."""
    order = list(widths) if mistake == "given_order" else sorted(widths)
    if mistake == "largest":
        order = order[::-1]
    for width in order:
        acc = np.array([accuracy_of(width, s) for s in seeds])
        t = 0.9 if mistake == "fixed_threshold" else threshold
        good = {"ge": acc >= t}.get(mistake, acc > t)
        passes = {"any": good.any(), "all": good.all(), "mean": acc.mean() > t,
                  "two": good.sum() >= 2}.get(mistake, good.sum() > len(seeds) / 2)
        if passes:
            return width
    return order[-1] if mistake == "last_if_none" else None


def smallest_good_width_trains_all(accuracy_of, widths, seeds, threshold=0.9):
    table = {w: [accuracy_of(w, s) for s in seeds] for w in sorted(widths)}
    good = [w for w, acc in table.items() if sum(a > threshold for a in acc) > len(seeds) / 2]
    return good[0] if good else None


def _sgw(mistake):
    return lambda a, w, s, t=0.9: smallest_good_width(a, w, s, t, mistake=mistake)


def test_smallest_good_width_agrees_with_the_lesson_helper():
    """The reference and lesson 06's ``smallest_width`` agree on random tables (3 seeds)."""
    from backprop_lab.lesson_helpers import smallest_width

    rng = np.random.default_rng(0)
    for _ in range(200):
        table = {w: tuple(rng.choice([0.5, 0.9, 0.95], size=3)) for w in range(1, 6)}
        got = smallest_good_width(lambda w, s, t=table: t[w][s], list(table), (0, 1, 2))
        assert got == smallest_width(table, 0.9)


REFERENCES = [
    (check_linear_backward, linear_backward),
    (check_train_epochs, train_epochs),
    (check_predict, predict),
    (check_accuracy, accuracy),
    (check_smallest_good_width, smallest_good_width),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def _train(kind):
    def wrong(net, loss, X, y, lr, epochs, batch_size, seed):
        return train_epochs(net, loss, X, y, lr, epochs, batch_size, seed, kind=kind)
    return wrong


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


MISTAKES = [
    (check_train_epochs, _train("seed_per_epoch"), "a new generator per epoch"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W.T, dZ.T @ A, dZ.sum(0)), "no transpose on W"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, A.T @ dZ, dZ.sum(0)), "dW is transposed"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, dZ.T @ A / len(dZ), dZ.sum(0)),
     "do not divide dW by m again"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, dZ.T @ A, dZ.mean(0)), "do not average"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, dZ.T @ A, dZ.sum(0, keepdims=True)),
     "without keepdims"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, dZ.T @ A, dZ.sum(1)),
     "sum over the batch (axis 0)"),
    (check_linear_backward, lambda dZ, A, W: (dZ.T @ A, dZ.sum(0)), "expected a tuple"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, (dZ.T @ A).astype(np.float64), dZ.sum(0)),
     "float32"),
    (check_train_epochs, _train("no_shuffle"), "shuffle the rows every epoch"),
    (check_train_epochs, _train("fresh_rng"), "make the rng once"),
    (check_train_epochs, _train("batch_mean"), "weight each batch's loss by its size"),
    (check_train_epochs, _train("ascent"), "step against the gradient"),
    (check_train_epochs, _train("per_batch"), "one per batch"),
    (check_train_epochs, _train("copy_update"), "update them in place"),
    (check_train_epochs, lambda *a: None, "return the list of epoch losses"),
    (check_predict, lambda net, X: net.forward(X).argmin(axis=1), "not the smallest"),
    (check_predict, lambda net, X: net.forward(X).argmax(axis=0), "axis=1"),
    (check_predict, lambda net, X: net.forward(X).max(axis=1), "not the largest values (max)"),
    (check_predict, lambda net, X: _softmax(net.forward(X)), "not the outputs or probabilities"),
    (check_predict, lambda net, X: (np.exp(net.forward(X)) / np.exp(net.forward(X)).sum(1, keepdims=True)
                                    ).argmax(axis=1), "e^1000 overflows"),
    (check_accuracy, lambda net, X, y: 100 * accuracy(net, X, y), "not a percentage"),
    (check_accuracy, lambda net, X, y: float(np.sum(predict(net, X) == y)),
     "divide the number of correct rows"),
    (check_accuracy, lambda net, X, y: 1 - accuracy(net, X, y), "that is the error rate"),
    (check_accuracy, lambda net, X, y: float(np.mean(net.forward(X).argmin(1) == y)),
     "not argmin"),
    (check_smallest_good_width, _sgw("ge"), "use >, not >="),
    (check_smallest_good_width, _sgw("any"), "one good seed is not enough"),
    (check_smallest_good_width, _sgw("all"), "you asked for all of them"),
    (check_smallest_good_width, _sgw("mean"), "do not average the accuracies"),
    (check_smallest_good_width, _sgw("largest"), "return the smallest"),
    (check_smallest_good_width, _sgw("given_order"), "go through sorted(widths)"),
    (check_smallest_good_width, _sgw("two"), "not a fixed 2"),
    (check_smallest_good_width, _sgw("fixed_threshold"), "not a fixed 0.9"),
    (check_smallest_good_width, _sgw("last_if_none"), "return None"),
    (check_smallest_good_width, smallest_good_width_trains_all, "without training the larger ones"),
    (check_smallest_good_width, lambda a, w, s, t=0.9: 3.0, "return the width itself"),
]

# -- errors in the student's code ----------------------------------------------------------------------
