"""Checks for ``exercises/10_regularization.ipynb``.

One check per task: :func:`check_l2_grad`, :func:`check_dropout_forward`,
:func:`check_dropout_backward`, :func:`check_early_stopping`. Expected values come from the library
— an :class:`~backprop_lab.optim.SGD` step with ``weight_decay`` (coupled L2),
:class:`backprop_lab.layers.Dropout` (inverted dropout) and the early stopping of
:func:`backprop_lab.train.fit` (``patience``, ``history.best_epoch``) — and from the formulas stated
in the tasks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_lab.checks.core import Checker
from backprop_lab.data import load_toy
from backprop_lab.layers import Dropout
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import SGD, Adam
from backprop_lab.parameter import Point
from backprop_lab.train import fit

__all__ = ["check_dropout_backward", "check_dropout_forward", "check_early_stopping",
           "check_l2_grad"]

F32 = {"rtol": 1e-5, "atol": 1e-7}


# -- task 1: the L2 gradient term -----------------------------------------------------------------


def check_l2_grad(l2_grad: Callable) -> None:
    """∂/∂W [L + (λ/2)‖W‖²] = dW + λ·W."""
    c = Checker("l2_grad", l2_grad)
    rng = np.random.default_rng(100)
    W, dW = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) * 0.1
    lam = 0.05
    out = c.call(dW, W, lam, label="dW (3, 4), W (3, 4), lam = 0.05")
    c.array(out, dtype=np.float64, shape=W.shape)
    c.close(out, dW + lam * W, hint="the penalty (λ/2)·Σ W² has gradient λ·W; add it to dW",
            mistakes=[(dW + 2 * lam * W, "the ½ in (λ/2)‖W‖² cancels the 2 of the square: the "
                                         "term is λ·W, not 2λ·W"),
                      (dW - lam * W, "wrong sign: the penalty grows with |W|, so its gradient "
                                     "+λ·W points away from 0 (the step then shrinks W)"),
                      (lam * W, "add the penalty's gradient to the data gradient dW: dW + λ·W"),
                      (dW + lam, "the penalty's gradient is λ·W (it depends on each weight), "
                                 "not the constant λ"),
                      (dW + lam * np.sign(W), "λ·sign(W) is the gradient of an L1 penalty; L2's "
                                              "is λ·W"),
                      (dW + lam * W / W.size, "no averaging: the gradient of (λ/2)·Σ W² is λ·W, "
                                              "entry by entry")])

    point = Point(W)
    point.dvalue[...] = dW
    SGD([point.param], lr=0.1, weight_decay=lam).step()
    out = c.call(dW, W, lam, label="the same input, compared with one SGD(lr=0.1, "
                                   "weight_decay=0.05) step")
    c.close(W - 0.1 * out, point.value, what="w − lr·l2_grad(...) equals SGD with weight_decay "
                                              "(coupled L2)")

    out = c.call(dW, W, 0.0, label="lam = 0")
    c.array(out, dtype=np.float64, shape=W.shape)
    c.close(out, dW, what="lam = 0 leaves dW as it is")
    out = c.call(np.zeros(3), np.array([1.0, -2.0, 0.0]), 0.5,
                 label="dW = 0, W = [1, -2, 0], lam = 0.5")
    c.close(out, np.array([0.5, -1.0, 0.0]), what="with no data gradient: λ·W")
    W32, dW32 = W.astype(np.float32), dW.astype(np.float32)
    out = c.call(dW32, W32, lam, label="float32 dW, W, lam = 0.05")
    c.array(out, dtype=np.float32, shape=W.shape)
    c.close(out, dW32 + np.float32(lam) * W32, what="float32 keeps float32", **F32)
    c.done()


# -- task 2: inverted dropout, forward ------------------------------------------------------------


def check_dropout_forward(dropout_forward: Callable) -> None:
    """mask = [U ≥ p] / (1 − p), A = X ⊙ mask; returns (A, mask)."""
    c = Checker("dropout_forward", dropout_forward)
    X = np.array([[1.0, -2.0, 3.0, 0.5], [4.0, 0.0, -1.0, 2.0]])
    U = np.array([[0.9, 0.1, 0.5, 0.3], [0.25, 0.7, 0.05, 0.6]])
    p = 0.3
    out = c.call(X, p, U, label="X (2, 4), p = 0.3, U = [[0.9, 0.1, 0.5, 0.3], "
                                "[0.25, 0.7, 0.05, 0.6]] (note U = p = 0.3 at [0, 3])")
    A, mask = c.results(out, ("A", "mask"), kind="a pair")
    keep = U >= p
    c.array(mask, dtype=np.float64, shape=X.shape, name="mask")
    c.close(mask, keep / (1 - p), what="mask", hint="mask = [U ≥ p] / (1 − p): kept units are "
                                                     "scaled up by 1/(1 − p)",
            mistakes=[(keep * p, "scale the kept units by 1/(1 − p), not by p"),
                      (keep * (1 - p), "divide by the keep probability (1 − p), do not multiply: "
                                       "inverted dropout scales up during training"),
                      (keep / p, "divide by the keep probability 1 − p, not by the drop "
                                 "probability p"),
                      (keep.astype(float), "inverted dropout scales the kept units by 1/(1 − p), "
                                           "so that E[A] = X and nothing changes at test time"),
                      ((U < p) / (1 - p), "p is the probability to DROP: keep a unit where "
                                          "U ≥ p, drop it where U < p"),
                      ((U > p) / (1 - p), "keep a unit where U ≥ p (≥, not >): here U = p at "
                                          "[0, 3]")])
    c.array(A, dtype=np.float64, shape=X.shape, name="A")
    c.close(A, X * keep / (1 - p), what="A = X ⊙ mask", hint="A = X ⊙ mask (element-wise)",
            mistakes=[(X * keep, "A must use the scaled mask: A = X ⊙ [U ≥ p] / (1 − p)")])

    rng_seed = 101
    Xr = np.random.default_rng(102).standard_normal((6, 5))
    layer = Dropout(0.5, rng=np.random.default_rng(rng_seed))
    layer.train()
    expected = layer.forward(Xr)
    Ur = np.random.default_rng(rng_seed).random(Xr.shape)
    A, mask = c.results(c.call(Xr, 0.5, Ur, label="X (6, 5), p = 0.5, U = default_rng(101)."
                                                  "random(X.shape)"), ("A", "mask"), kind="a pair")
    c.close(A, expected, what="A equals backprop_lab.layers.Dropout(0.5) with the same draws")

    A, mask = c.results(c.call(X, 0.0, U, label="p = 0 (nothing dropped)"), ("A", "mask"), kind="a pair")
    c.close(mask, np.ones_like(X), what="p = 0 keeps everything, mask = 1")
    c.close(A, X, what="p = 0 gives A = X")

    A, mask = c.results(c.call(X[:1], 0.5, U[:1], label="a batch of one row, p = 0.5"),
                        ("A", "mask"), kind="a pair")
    c.array(A, shape=(1, 4), name="A")
    c.close(A, X[:1] * (U[:1] >= 0.5) / 0.5, what="a batch of one")

    X32, U32 = X.astype(np.float32), U.astype(np.float32)
    A, mask = c.results(c.call(X32, p, U32, label="float32 X and U, p = 0.3"), ("A", "mask"), kind="a pair")
    c.array(mask, dtype=np.float32, name="mask")
    c.array(A, dtype=np.float32, name="A")
    c.close(A, X32 * (U32 >= np.float32(p)) / np.float32(1 - p), what="float32 keeps float32",
            **F32)
    c.done()


# -- task 3: inverted dropout, backward -----------------------------------------------------------


def check_dropout_backward(dropout_backward: Callable) -> None:
    """dX = dA ⊙ mask, with the scaled mask of the forward pass."""
    c = Checker("dropout_backward", dropout_backward)
    rng = np.random.default_rng(103)
    p = 0.25
    dA = rng.standard_normal((3, 4))
    keep = rng.random((3, 4)) >= p
    mask = keep / (1 - p)
    out = c.call(dA, mask, label="dA (3, 4), mask = [U ≥ 0.25] / 0.75 of shape (3, 4)")
    c.array(out, dtype=np.float64, shape=dA.shape)
    with np.errstate(all="ignore"):
        divided = dA / mask
    c.close(out, dA * mask, hint="A = X ⊙ mask, so ∂A/∂X = mask: dX = dA ⊙ mask",
            mistakes=[(dA * keep, "use the scaled mask (the one the forward pass multiplied by), "
                                  "including the 1/(1 − p)"),
                      (divided, "multiply by the mask, do not divide: A = X ⊙ mask, so "
                                "dX = dA ⊙ mask"),
                      (dA, "the dropped units got no signal forward, so they get no gradient "
                           "back: multiply by the mask"),
                      (mask, "multiply the upstream gradient dA by the mask")])

    layer = Dropout(0.5, rng=np.random.default_rng(104))
    layer.train()
    X = rng.standard_normal((5, 3))
    layer.forward(X)
    dA = rng.standard_normal((5, 3))
    out = c.call(dA, layer.mask, label="dA (5, 3) and the mask of backprop_lab.layers.Dropout(0.5)")
    c.close(out, layer.backward(dA), what="equal to Dropout.backward with the same mask")

    out = c.call(dA[:1], np.ones((1, 3)), label="a batch of one, mask of ones (p = 0)")
    c.close(out, dA[:1], what="a mask of ones passes the gradient through")

    dA32 = dA.astype(np.float32)
    m32 = (rng.random(dA.shape) >= p).astype(np.float32) / np.float32(1 - p)
    out = c.call(dA32, m32, label="float32 dA and mask")
    c.array(out, dtype=np.float32, shape=dA32.shape)
    c.close(out, dA32 * m32, what="float32 keeps float32", **F32)
    c.done()


# -- task 4: early stopping -----------------------------------------------------------------------


def _early(val: np.ndarray, patience: int, kind: str = "") -> tuple[int, int]:
    """The rule of fit(patience=...), and typical wrong versions of it."""
    best, best_epoch, bad = np.inf, -1, 0
    for epoch, value in enumerate(val):
        better = value <= best if kind == "le" else value < best
        if better:
            best, best_epoch, bad = value, epoch, 0
        else:
            bad += 1
            if (bad > patience) if kind == "gt" else (bad >= patience):
                break
    stop = epoch
    if kind == "argmin_all":
        best_epoch = int(np.argmin(val))
    if kind == "stop_as_best":
        best_epoch = stop
    if kind == "one_based":
        return best_epoch + 1, stop + 1
    if kind == "never_stops":
        return best_epoch, len(val) - 1
    return best_epoch, stop


def check_early_stopping(early_stopping: Callable) -> None:
    """(best_epoch, stop_epoch) for fit's early stopping rule with the given patience (0-based)."""
    c = Checker("early_stopping", early_stopping)
    hints = [
        ("stop_as_best", "the best epoch is the one with the lowest validation loss so far — "
                         "the weights fit restores — not the epoch where training stopped"),
        ("argmin_all", "training stops at stop_epoch: the epochs after it never happen, so the "
                       "best epoch is the best one up to the stop, not the minimum of the whole "
                       "list"),
        ("le", "an epoch counts as better only if its loss is strictly lower (<): a tie is not an "
               "improvement and does not reset the count"),
        ("gt", "stop as soon as `patience` epochs in a row have not improved (count ≥ patience), "
               "not one epoch later"),
        ("one_based", "epochs are 0-based indices into the list"),
        ("never_stops", "stop when patience epochs in a row have not improved; the rest of the "
                        "list is never trained"),
    ]
    cases = [
        ("val = [1.0, 0.8, 0.7, 0.75, 0.7, 0.72, 0.9, 0.5, 0.4], patience = 3",
         [1.0, 0.8, 0.7, 0.75, 0.7, 0.72, 0.9, 0.5, 0.4], 3, True),
        ("val = [0.9, 0.6, 0.65, 0.62, 0.5, 0.55, 0.58, 0.3], patience = 2",
         [0.9, 0.6, 0.65, 0.62, 0.5, 0.55, 0.58, 0.3], 2, True),
        ("a loss that keeps falling, patience = 2", [0.9, 0.7, 0.6, 0.5], 2, False),
        ("one epoch only, patience = 1", [0.3], 1, False),
        ("a constant loss, patience = 1", [0.5, 0.5, 0.5], 1, False),
    ]
    for label, val, patience, mistakes in cases:
        arr = np.array(val)
        out = c.call(arr, patience, label=label)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            c.fail(f"expected a pair (best_epoch, stop_epoch), got {type(out).__name__} "
                   f"({out!r})", hint="return best_epoch, stop_epoch")
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out):
            c.fail(f"expected two integers, got {tuple(type(v).__name__ for v in out)}",
                   hint="return epoch indices (ints), not losses")
        c.ok("returns a pair of integers")
        expected = _early(arr, patience)
        got = (int(out[0]), int(out[1]))
        if got != expected:
            hint = None
            if mistakes:
                # several mistakes can give the same pair: name each of them
                hint = " Or: ".join(h for k, h in hints if _early(arr, patience, k) == got) or None
            c.fail(f"expected (best_epoch, stop_epoch) = {expected}, got {got}",
                   hint=hint or "after each epoch: a strictly lower loss than the best so far "
                                "makes it the best epoch and resets the count; otherwise count "
                                "one more; stop when the count reaches patience")
        c.ok(f"the right epochs for {label}")

    X, y = load_toy("moons", n=30, noise=0.3, seed=1)
    Xv, yv = load_toy("moons", n=100, noise=0.3, seed=2)
    net = mlp([2, 32, 32, 2], activation="relu", rng=np.random.default_rng(0))
    history = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.03), X, y, epochs=60,
                  batch_size=10, X_val=Xv, y_val=yv, patience=5, seed=0)
    val = np.array(history.val_loss)
    label = (f"the validation losses of a fit(..., patience=5) run on moons: "
             f"{np.array2string(val, precision=3, separator=', ')}")
    out = c.call(val, 5, label=label)
    got = (int(out[0]), int(out[1])) if isinstance(out, (tuple, list)) and len(out) == 2 else out
    expected = (history.best_epoch, len(val) - 1)
    c.true(got == expected, "agrees with fit's early stopping (history.best_epoch, last epoch)",
           f"fit kept epoch {expected[0]} and stopped after epoch {expected[1]}; you returned "
           f"{got}")
    c.done()
