"""Checks for ``exercises/06_mlp_from_scratch.ipynb``.

One check per task: :func:`check_linear_backward`, :func:`check_train_epochs`,
:func:`check_predict`, :func:`check_accuracy`, :func:`check_smallest_good_width`. Expected values
come from the batch formulas of the course notation (dW = Δᵀ A_prev, db = Σ_rows Δ, dA_prev = Δ W)
and from the library: :func:`backprop_lab.train.fit` with plain :class:`~backprop_lab.optim.SGD`
runs exactly the loop the training task asks for. The width search of lesson 06's playground task
is checked on accuracy tables designed by hand, each with its answer worked out in a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import call_with_hints
from backprop_lab.data import load_toy
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import Sequential, mlp
from backprop_lab.optim import SGD
from backprop_lab.train import fit

__all__ = ["check_accuracy", "check_linear_backward", "check_predict", "check_smallest_good_width",
           "check_train_epochs"]

F32 = {"rtol": 1e-5, "atol": 1e-6}


# -- task 1: Linear.backward --------------------------------------------------------------------


def _check_linear_case(c: Checker, fn: Callable, dZ: np.ndarray, A: np.ndarray, W: np.ndarray,
                       label: str, what: str, mistakes: bool = False, **tol: float) -> None:
    m, n_out = dZ.shape
    n_in = A.shape[1]
    dtype = dZ.dtype
    dA, dW, db = c.results(c.call(dZ, A, W, label=label), ("dA_prev", "dW", "db"))
    c.array(dA, dtype=dtype, name="dA_prev")
    if dA.shape != (m, n_in):
        c.fail(f"dA_prev has shape {dA.shape}, expected {(m, n_in)} (the shape of A_prev)",
               hint="dA_prev = Δ @ W: (m, n_out) @ (n_out, n_in) → (m, n_in); no transpose on W")
    c.close(dA, dZ @ W, what=f"dA_prev {what}", hint="dA_prev = Δ @ W, the row form of Wᵀδ",
            mistakes=[(dZ @ W.T, "no transpose on W here: W has shape (n_out, n_in), and "
                                 "(Wᵀδ)ᵀ = δᵀW, so the row form is Δ @ W"),
                      (dZ @ W / m, "Δ already carries the 1/m of the mean loss: do not divide by "
                                   "m again")] if mistakes else (), **tol)
    c.array(dW, dtype=dtype, name="dW")
    if dW.shape == (n_in, n_out) and n_in != n_out:
        c.fail(f"dW has shape {dW.shape}, expected {(n_out, n_in)} (the shape of W)",
               hint="dW is transposed: Δᵀ A_prev, with Δ first, has W's shape (n_out, n_in)")
    c.array(dW, shape=(n_out, n_in), name="dW")
    c.close(dW, dZ.T @ A, what=f"dW {what}", hint="dW = Δᵀ A_prev (Δ.T @ A_prev)",
            mistakes=[(A.T @ dZ, "dW is transposed: Δᵀ A_prev, with Δ first, has W's shape "
                                 "(n_out, n_in)"),
                      (dZ.T @ A / m, "Δ already carries the 1/m of the mean loss: do not divide "
                                     "dW by m again"),
                      (dZ.T @ A * m, "do not multiply by m")] if mistakes else (), **tol)
    c.array(db, dtype=dtype, name="db")
    if db.shape == (1, n_out):
        c.fail(f"db has shape {db.shape}, expected ({n_out},)",
               hint="b has shape (n_out,), so db must too: sum without keepdims")
    if db.shape == (m,) and m != n_out:
        c.fail(f"db has shape {db.shape}, expected ({n_out},)",
               hint="you summed over the outputs (axis 1); sum over the batch (axis 0)")
    c.array(db, shape=(n_out,), name="db")
    c.close(db, dZ.sum(axis=0), what=f"db {what}", hint="db = Δ summed over the rows (axis 0)",
            mistakes=[(dZ.mean(axis=0), "Δ already carries the 1/m of the mean loss: sum over "
                                        "the rows, do not average"),
                      (dZ.sum(axis=1), "sum over the batch (axis 0), not over the outputs"),
                      (dZ[0], "sum over all rows of Δ, not only the first example")]
            if mistakes else (), **tol)


def check_linear_backward(linear_backward: Callable) -> None:
    """(dA_prev, dW, db) = (Δ W, Δᵀ A_prev, Σ_rows Δ) for Z = A_prev Wᵀ + b."""
    c = Checker("linear_backward", linear_backward)
    rng = np.random.default_rng(60)
    dZ, A, W = (rng.standard_normal(s) for s in ((3, 3), (3, 3), (3, 3)))
    _check_linear_case(c, linear_backward, dZ, A, W, "dZ (3, 3), A_prev (3, 3), W (3, 3)",
                       "on a square case", mistakes=True)
    dZ, A, W = (rng.standard_normal(s) for s in ((5, 2), (5, 4), (2, 4)))
    _check_linear_case(c, linear_backward, dZ, A, W, "dZ (5, 2), A_prev (5, 4), W (2, 4)",
                       "with n_out = 2 ≠ n_in = 4")
    _check_linear_case(c, linear_backward, dZ[:1], A[:1], W,
                       "a batch of one: dZ (1, 2), A_prev (1, 4), W (2, 4)", "for a batch of one")
    _check_linear_case(c, linear_backward, np.zeros((5, 2)), A, W,
                       "dZ = 0 (5, 2), A_prev (5, 4), W (2, 4)", "for a zero upstream gradient")
    f32 = [x.astype(np.float32) for x in (dZ, A, W)]
    _check_linear_case(c, linear_backward, *f32,
                       "float32 dZ (5, 2), A_prev (5, 4), W (2, 4)", "(float32 keeps float32)",
                       **F32)
    c.done()


# -- task 2: the mini-batch training loop ---------------------------------------------------------


def _toy(n: int, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_toy("blobs", n=n, seed=6)
    return X.astype(dtype), y


def _net(dtype: type = np.float64) -> Sequential:
    return mlp([2, 8, 3], activation="tanh", rng=np.random.default_rng(6), dtype=dtype)


def _variant(kind: str, X: np.ndarray, y: np.ndarray, lr: float, epochs: int, batch_size: int,
             seed: int) -> list[float]:
    """The epoch losses of a typical wrong loop, on a fresh copy of the check's network."""
    net, loss = _net(X.dtype.type), SoftmaxCrossEntropy()
    rng = np.random.default_rng(seed)
    n = len(X)
    losses = []
    for _ in range(epochs):
        if kind == "fresh_rng":
            order = np.random.default_rng(seed).permutation(n)
        elif kind == "seed_per_epoch":
            order = np.random.default_rng(seed + len(losses)).permutation(n)
        elif kind == "no_shuffle":
            order = np.arange(n)
        else:
            order = rng.permutation(n)
        values, sizes = [], []
        stop = n - n % batch_size if kind == "drop_last" else n
        for start in range(0, stop, batch_size):
            idx = order[start:start + batch_size]
            values.append(loss.forward(net.forward(X[idx]), y[idx]))
            sizes.append(len(idx))
            net.backward(loss.backward())
            sign = -1.0 if kind == "ascent" else 1.0
            for p in net.parameters() if kind != "no_update" else ():
                p.value[...] -= sign * lr * p.grad
        if kind == "batch_mean":
            losses.append(float(np.mean(values)))
        elif kind == "last_batch":
            losses.append(float(values[-1]))
        elif kind == "after_epoch":
            losses.append(loss.forward(net.forward(X), y))
        else:
            losses.append(float(np.dot(values, sizes) / sum(sizes)))
    return losses


def _train_case(c: Checker, fn: Callable, n: int, lr: float, epochs: int, batch_size: int,
                seed: int, dtype: type, what: str, mistakes: bool = False) -> None:
    X, y = _toy(n, dtype)
    net = _net(dtype)
    label = (f"a fresh mlp([2, 8, 3], tanh), SoftmaxCrossEntropy(), {n} {np.dtype(dtype)} "
             f"blobs, lr={lr}, epochs={epochs}, batch_size={batch_size}, seed={seed}")
    out = c.call(net, SoftmaxCrossEntropy(), X, y, lr, epochs, batch_size, seed, label=label)
    if out is None:
        c.fail("returned None", hint="return the list of epoch losses")
    if not isinstance(out, (list, tuple, np.ndarray)) or np.ndim(out) != 1:
        c.fail(f"expected a list of {epochs} numbers, got {type(out).__name__}",
               hint="append one float per epoch to a list and return the list")
    steps = -(-n // batch_size)
    if len(out) == epochs * steps and steps > 1:
        c.fail(f"returned {len(out)} numbers, one per batch; expected {epochs}, one per epoch",
               hint="record the mean loss over each epoch, not every batch's loss")
    if len(out) != epochs:
        c.fail(f"returned {len(out)} numbers, expected {epochs} (one per epoch)",
               hint="append exactly one mean loss per epoch")
    c.ok("returns one loss per epoch")
    ref_net = _net(dtype)
    history = fit(ref_net, SoftmaxCrossEntropy(), SGD(ref_net.parameters(), lr=lr), X, y,
                  epochs=epochs, batch_size=batch_size, seed=seed)
    expected = np.array(history.train_loss)
    got = np.asarray(out, dtype=np.float64)
    tol = {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {}
    wrong = [
        ("no_shuffle", "shuffle the rows every epoch with order = rng.permutation(n), from one "
                       "rng = np.random.default_rng(seed) made before the loop"),
        ("fresh_rng", "make the rng once, before the epoch loop: a new default_rng(seed) every "
                      "epoch gives the same order every epoch"),
        ("seed_per_epoch", "make ONE rng = np.random.default_rng(seed) before the epoch loop and "
                           "call rng.permutation(n) every epoch: a new generator per epoch (here "
                           "seeded seed + epoch) gives a different order than the library's fit, "
                           "which draws every epoch's order from the same generator"),
        ("batch_mean", "the last batch is smaller: weight each batch's loss by its size "
                       "(sum of loss·len(batch), divided by n), not the plain mean of batch losses"),
        ("drop_last", "do not drop the last, smaller batch: range(0, n, batch_size) covers all rows"),
        ("last_batch", "record the mean loss over the whole epoch, not the last batch's loss"),
        ("after_epoch", "record the mean of the batch losses seen during the epoch (before each "
                        "step), not a loss recomputed after the epoch"),
        ("ascent", "step against the gradient: w ← w − lr·∂L/∂w"),
        ("no_update", "the parameters never change: update them in place, p.value[...] -= lr * "
                      "p.grad (w = w − lr·g makes a new array that the network never sees)"),
    ] if mistakes else []
    c.close(got, expected, what=f"epoch losses {what}", **tol,
            hint="for each batch: forward, loss, backward, then w ← w − lr·grad for every "
                 "parameter; epoch loss = Σ loss·len(batch) / n",
            mistakes=[(_variant(k, X, y, lr, epochs, batch_size, seed), h) for k, h in wrong])
    for p, q in zip(net.parameters(), ref_net.parameters(), strict=True):
        if not np.allclose(p.value, q.value, rtol=1e-4, atol=1e-6):
            c.fail(f"the losses are right but the network's parameter {p.name} ends different "
                   "from the library's fit", hint="update the network you were given, in place "
                   "(p.value[...] -= lr * p.grad), after the last batch too")
    c.ok(f"the network ends with the same weights as the library's fit {what}")
    c.true(got[-1] < got[0], f"the loss decreases {what}",
           f"the loss did not decrease: first epoch {got[0]:.4f}, last {got[-1]:.4f}")


def check_train_epochs(train_epochs: Callable) -> None:
    """Mini-batch SGD equal to ``fit(net, loss, SGD(lr), X, y, epochs, batch_size, seed=seed)``."""
    c = Checker("train_epochs", train_epochs)
    _train_case(c, train_epochs, 50, 0.2, 8, 16, 0, np.float64, "(50 rows, batches of 16)",
                mistakes=True)
    _train_case(c, train_epochs, 12, 0.05, 3, 1, 3, np.float64, "with batches of one")
    _train_case(c, train_epochs, 40, 0.2, 5, 40, 1, np.float64, "with one full batch")
    _train_case(c, train_epochs, 50, 0.2, 4, 16, 0, np.float32, "in float32")
    c.done()


# -- task 3: predict ------------------------------------------------------------------------------


class _Fixed:
    """A stand-in model whose forward returns fixed logits (and remembers its input)."""

    def __init__(self, logits: np.ndarray) -> None:
        self.logits = logits

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self.logits[: len(X)].copy()

    predict = forward


def _check_labels(c: Checker, out: Any, logits: np.ndarray) -> np.ndarray:
    m, k = logits.shape
    c.array(out, name="the predictions")
    if out.shape == (k,) and m != k:
        c.fail(f"the predictions have shape {out.shape}, one per class; expected ({m},), "
               "one per example", hint="take the argmax over the classes, axis=1")
    if out.shape == (m, k):
        c.fail(f"the predictions have shape {out.shape}, the shape of the outputs",
               hint="return one class label per row: the index of the largest output (argmax), "
                    "not the outputs or probabilities")
    if not np.issubdtype(out.dtype, np.integer):
        c.fail(f"the predictions have dtype {out.dtype}, expected integers",
               hint="return class indices (argmax), not the largest values (max)")
    c.ok("returns integer class labels")
    c.array(out, shape=(m,), name="the predictions")
    return out


def check_predict(predict: Callable) -> None:
    """predict(net, X): the class with the largest output for every row, shape (m,), integers."""
    c = Checker("predict", predict)
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, 4.0, 1.0], [0.1, 0.2, 0.3], [5.0, 5.5, -2.0]])
    X = np.zeros((4, 2))
    out = _check_labels(c, c.call(_Fixed(logits), X, label="a model whose outputs for 4 rows are "
                                  + np.array2string(logits, separator=", ")), logits)
    c.close(out, logits.argmax(axis=1), what="labels on small cases",
            hint="the predicted class is the index of the largest output in each row",
            mistakes=[(logits.argmin(axis=1), "take the largest output (argmax), not the smallest"),
                      (np.argsort(logits, axis=1)[:, 1], "take the largest output (argmax)")])

    logits = np.array([[-1000.0, 1000.0, 0.0], [700.0, -700.0, 699.0]])
    out = _check_labels(c, call_with_hints(
        c, _Fixed(logits), X[:2], label="outputs ±1000 (logits, no softmax needed)",
        numpy_errors=True, hints={FloatingPointError: "e^1000 overflows: take the argmax of the "
                                  "outputs themselves; softmax does not change which is largest"}),
        logits)
    c.close(out, np.array([1, 0]), what="large outputs (±1000): no softmax, no overflow",
            hint="the argmax of the logits is the argmax of the probabilities: no softmax needed")

    net = mlp([2, 5, 3], rng=np.random.default_rng(61))
    X1 = np.array([[0.3, -0.7]])
    out = _check_labels(c, c.call(net, X1, label="a batch of one row, a real mlp([2, 5, 3])"),
                        net.forward(X1))
    c.close(out, net.forward(X1).argmax(axis=1), what="a batch of one with a real network")
    c.done()


# -- task 4: accuracy -----------------------------------------------------------------------------


def check_accuracy(accuracy: Callable) -> None:
    """accuracy(net, X, y): the fraction of rows whose predicted class equals y, a float in [0, 1]."""
    c = Checker("accuracy", accuracy)
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, 4.0, 1.0], [0.1, 0.2, 0.3], [5.0, 5.5, -2.0],
                       [0.0, 1.0, 2.0]])
    y = np.array([0, 1, 0, 0, 2])
    X = np.zeros((5, 2))
    label = "5 rows, 3 predicted right (outputs " + np.array2string(logits, separator=", ") + \
            ", y = [0, 1, 0, 0, 2])"
    out = c.number(c.call(_Fixed(logits), X, y, label=label))
    c.close(out, 0.6, what="accuracy on small cases",
            hint="accuracy = mean over rows of [argmax of the outputs == y]", mistakes=[
                (60.0, "return a fraction in [0, 1], not a percentage"),
                (3.0, "divide the number of correct rows by the number of rows"),
                (0.4, "that is the error rate: count the rows where the prediction equals y"),
                (float(np.mean(logits.argmin(axis=1) == y)), "predict with argmax, not argmin"),
            ])

    net = mlp([2, 5, 3], rng=np.random.default_rng(62))
    Xr = np.random.default_rng(63).standard_normal((7, 2))
    yr = net.forward(Xr).argmax(axis=1)
    out = c.number(c.call(net, Xr, yr, label="a real mlp([2, 5, 3]) and labels equal to its "
                                             "own predictions"))
    c.close(out, 1.0, what="all correct gives 1.0")

    out = c.number(c.call(net, Xr[:1], (yr[:1] + 1) % 3, label="a batch of one, predicted wrong"))
    c.close(out, 0.0, what="a batch of one, wrong, gives 0.0",
            hint="compare the predicted class with y row by row")
    c.done()


# -- task 5: the smallest hidden width that learns XOR (lesson 06, section 9) --------------------


class _Table:
    """A stand-in for "train this width with this seed and return its test accuracy": looks the
    accuracy up in a table and records which widths were trained."""

    def __init__(self, table: dict[int, tuple[float, ...]], seeds: tuple[int, ...]) -> None:
        self.table, self.seeds, self.trained = table, seeds, []

    def __call__(self, width: int, seed: int) -> float:
        if width not in self.table or seed not in self.seeds:
            raise ValueError(f"accuracy_of({width!r}, {seed!r}): this test knows only the widths "
                             f"{sorted(self.table)} and the seeds {list(self.seeds)}; call it with "
                             "one width and one seed from the arguments")
        self.trained.append(int(width))
        return self.table[width][self.seeds.index(seed)]


def _width_case(c: Checker, fn: Callable, table: dict[int, tuple[float, ...]], widths: tuple,
                seeds: tuple[int, ...], threshold: float, label: str, expected: int | None,
                what: str, mistakes: dict[Any, str], hint: str) -> None:
    acc = _Table(table, seeds)
    out = c.call(acc, widths, seeds, threshold, label=label)
    if isinstance(out, (bool, np.bool_)) or not (out is None or isinstance(out, (int, np.integer))):
        c.fail(f"expected a width (an int) or None, got {type(out).__name__} ({out!r})",
               hint="return the width itself, e.g. `return width`, not its accuracies or a "
                    "True/False verdict" if out is not None else "did you forget to `return` it?")
    c.ok("returns a width (int) or None")
    got = None if out is None else int(out)
    c.true(got == expected, what, f"{what}: expected {expected}, got {got}",
           hint=mistakes.get(got, hint))
    c.true(all(w <= expected for w in acc.trained) if expected is not None else True,
           "stops at the first width that passes",
           f"{what}: the answer is {expected}, but you also trained width(s) "
           f"{sorted({w for w in acc.trained if expected is not None and w > expected})}",
           hint="training is the expensive part: go through the widths from small to large and "
                "return as soon as one passes, without training the larger ones")


def check_smallest_good_width(smallest_good_width: Callable) -> None:
    """The smallest width whose accuracy is > threshold on more than half of the seeds, else None."""
    c = Checker("smallest_good_width", smallest_good_width)
    rule = ("a width passes when its accuracy is strictly above the threshold on more than half "
            "of the seeds (2 of 3); return the smallest passing width")
    # the lesson's table (section 9): test accuracies after 1,000 Adam steps, in 120ths (120 test
    # points). Width 2 passes on no seed (107/120 < 0.9), width 3 on all three: the answer is 3.
    lesson = {1: (80 / 120, 73 / 120, 74 / 120), 2: (83 / 120, 103 / 120, 107 / 120),
              3: (111 / 120, 118 / 120, 112 / 120), 4: (111 / 120, 114 / 120, 117 / 120)}
    _width_case(c, smallest_good_width, lesson, (1, 2, 3, 4), (0, 1, 2), 0.9,
                "lesson 06's table of XOR test accuracies (widths 1–4, seeds 0, 1, 2), "
                "threshold 0.9", 3, "the lesson's XOR table gives width 3",
                {4: "that is the largest width that passes: return the smallest (the first one, "
                    "going from small to large)",
                 1: "width 1 passes on no seed: count the seeds whose accuracy is above the "
                    "threshold"}, rule)

    # one width per typical mistake: with "≥" width 2 passes (0.9 twice), with "any seed" width
    # 1 (one seed), with "mean > threshold" width 4 (mean 0.943), with "all seeds" width 5, the
    # largest passing width is 6; the right answer is 3 (0.99 on 2 of 3 seeds, mean only 0.727)
    designed = {1: (0.5, 0.95, 0.5), 2: (0.9, 0.9, 0.5), 3: (0.99, 0.2, 0.99),
                4: (0.85, 0.99, 0.99), 5: (0.95, 0.95, 0.95), 6: (0.1, 0.95, 0.95)}
    _width_case(c, smallest_good_width, designed, (1, 2, 3, 4, 5, 6), (0, 1, 2), 0.9,
                "a designed table (widths 1–6, seeds 0, 1, 2), threshold 0.9", 3,
                "more than half of the seeds, strictly above the threshold", {
                    2: "“above 0.9” is strict: an accuracy of exactly 0.9 does not pass (use >, "
                       "not >=)",
                    1: "one good seed is not enough: the width must pass on more than half of the "
                       "seeds (2 of 3)",
                    4: "count the seeds above the threshold; do not average the accuracies (a mean "
                       "above 0.9 can come from one lucky seed)",
                    5: "more than half of the seeds is enough (2 of 3); you asked for all of them",
                    6: "that is the largest width that passes: return the smallest",
                }, rule)

    # the widths arrive unsorted: 2 fails, 4 is the smallest that passes, 8 comes first in the list
    unsorted = {8: (0.95, 0.95, 0.95), 2: (0.6, 0.7, 0.95), 4: (0.93, 0.91, 0.5),
                16: (0.99, 0.99, 0.99)}
    _width_case(c, smallest_good_width, unsorted, (8, 2, 4, 16), (0, 1, 2), 0.9,
                "widths (8, 2, 4, 16) in this order, seeds 0, 1, 2, threshold 0.9", 4,
                "widths given in any order", {
                    8: "the widths are not sorted here: go through sorted(widths), smallest first",
                    16: "return the smallest passing width, going through sorted(widths)",
                }, rule)

    # five seeds: more than half is 3; width 2 passes on 2 of 5 only, width 3 on 3 of 5
    five = {1: (0.5,) * 5, 2: (0.95, 0.95, 0.5, 0.5, 0.5), 3: (0.95, 0.5, 0.95, 0.5, 0.95)}
    _width_case(c, smallest_good_width, five, (1, 2, 3), (0, 1, 2, 3, 4), 0.9,
                "five seeds (0–4), widths 1–3, threshold 0.9", 3, "with five seeds, 3 must pass",
                {2: "“more than half of the seeds” depends on how many seeds there are: with five "
                    "seeds a width needs 3, not a fixed 2 (use len(seeds))"}, rule)

    # the threshold is an argument: at 0.95 width 2 (0.93, 0.94, 0.96) no longer passes
    strict = {1: (0.5, 0.5, 0.5), 2: (0.93, 0.94, 0.96), 3: (0.97, 0.99, 0.96)}
    _width_case(c, smallest_good_width, strict, (1, 2, 3), (0, 1, 2), 0.95,
                "threshold 0.95, widths 1–3, seeds 0, 1, 2", 3, "the threshold argument is used",
                {2: "use the threshold you are given (0.95 here), not a fixed 0.9"}, rule)

    # no width passes: None
    hopeless = {1: (0.5, 0.6, 0.7), 2: (0.8, 0.95, 0.85)}
    _width_case(c, smallest_good_width, hopeless, (1, 2), (0, 1, 2), 0.9,
                "no width passes (widths 1, 2, seeds 0, 1, 2), threshold 0.9", None,
                "None when no width passes", {
                    2: "no width passes here (width 2 only on one seed): return None",
                    1: "no width passes here: return None, not the first width",
                }, "when no width passes, return None")
    c.done()
