"""Checks for ``exercises/12_common_mistakes.ipynb``.

One check per task: :func:`check_linear_backward`, :func:`check_mse_loss_grad`,
:func:`check_is_diverging`, :func:`check_relative_error`. Each one knows the mistake of lesson 12
it is about — a transposed ``dW`` that only a square layer's *values* reveal, a loss summed instead
of averaged over the batch, a divergence test fooled by NaN or by a loss that grows without
overflowing, a relative error with a denominator that can be 0 — and names it when it sees it.
Expected values come from the library (:class:`~backprop_lab.layers.Linear`,
:class:`~backprop_lab.losses.MSE`, :func:`~backprop_lab.gradcheck.relative_error`,
:func:`~backprop_lab.gradcheck.numerical_gradient`, :func:`~backprop_lab.surfaces.run_optimizer`)
and from the formulas stated in the tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab.checks.core import Checker, _fmt
from backprop_lab.checks.helpers import call_with_hints
from backprop_lab.gradcheck import numerical_gradient, relative_error
from backprop_lab.layers import Linear
from backprop_lab.losses import MSE
from backprop_lab.surfaces import quadratic, run_optimizer

__all__ = ["check_is_diverging", "check_linear_backward", "check_mse_loss_grad",
           "check_relative_error"]

F32 = {"rtol": 1e-5, "atol": 1e-6}


# -- task 1: a Linear layer's backward pass, with the transposed dW fixed ----------------------------


def _library_backward(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray):
    layer = Linear(W.shape[1], W.shape[0], rng=np.random.default_rng(0), dtype=W.dtype)
    layer.W[...] = W
    layer.forward(A_prev)
    dA = layer.backward(dZ)
    return layer.dW.copy(), layer.db.copy(), dA


def _compare_linear(c: Checker, out: Any, dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray,
                    tol: dict[str, float], mistakes: bool = True) -> None:
    dW, db, dA = c.results(out, ("dW", "db", "dA_prev"), kind="3 results")
    m, (n_out, n_in) = dZ.shape[0], W.shape
    eW, eb, eA = _library_backward(dZ, A_prev, W)
    if all(isinstance(x, np.ndarray) for x in (dW, db, dA)) and dW.shape == eA.shape \
            and db.shape == eW.shape and dA.shape == eb.shape and dW.shape != W.shape:
        c.fail(f"the tuple holds arrays of shapes {dW.shape}, {db.shape}, {dA.shape}: that looks "
               "like (dA_prev, dW, db)",
               hint="return the tuple in this task's order (dW, db, dA_prev); exercise 06's "
                    "linear_backward used the order (dA_prev, dW, db)")
    square = " — a square layer has (n, n) either way, so only the values show it" \
        if n_in == n_out else ""
    c.array(dW, dtype=W.dtype, shape=W.shape, name="dW")
    c.close(dW, eW, what="dW = dZᵀ A_prev", hint="dW = dZ.T @ A_prev: (n_out, m) @ (m, n_in), the "
                                                  "shape of W", **tol,
            mistakes=[(A_prev.T @ dZ, "dW is transposed: A_prev.T @ dZ is the transpose of "
                                      f"dZ.T @ A_prev{square}"),
                      (eW / m, "no 1/m here: dZ already carries the loss's 1/m (the mean over "
                               "the batch); dW = dZ.T @ A_prev sums over the rows"),
                      (-eW, "wrong sign: Z = A_prev Wᵀ + b, so dW = + dZᵀ A_prev")] if mistakes
            else ())
    c.array(db, dtype=W.dtype, shape=(n_out,), name="db")
    c.close(db, eb, what="db = Σ over the batch of dZ", hint="db = dZ.sum(axis=0)", **tol,
            mistakes=[(eb / m, "sum dZ over the batch, do not average: dZ already has the 1/m "
                               "of the mean loss")] if mistakes else ())
    c.array(dA, dtype=W.dtype, shape=A_prev.shape, name="dA_prev")
    c.close(dA, eA, what="dA_prev = dZ W", hint="dA_prev = dZ @ W: (m, n_out) @ (n_out, n_in)",
            **tol,
            mistakes=[(dZ @ W.T, "dA_prev = dZ @ W, not dZ @ W.T: the forward pass used Wᵀ, its "
                                 f"backward uses W{square}")] if mistakes and n_in == n_out
            else ())


def check_linear_backward(linear_backward: Callable) -> None:
    """(dW, db, dA_prev) = (dZᵀ A_prev, Σ dZ, dZ W) for Z = A_prev Wᵀ + b."""
    c = Checker("linear_backward", linear_backward)
    rng = np.random.default_rng(120)

    W = rng.standard_normal((3, 3))
    A_prev, dZ = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    out = c.call(dZ, A_prev, W, label="a SQUARE layer: dZ (4, 3), A_prev (4, 3), W (3, 3)")
    _compare_linear(c, out, dZ, A_prev, W, {})
    c.ok("values on a square layer, where a transposed dW has the right shape")

    W = rng.standard_normal((2, 5))
    A_prev, dZ = rng.standard_normal((6, 5)), rng.standard_normal((6, 2))
    out = c.call(dZ, A_prev, W, label="dZ (6, 2), A_prev (6, 5), W (2, 5)")
    _compare_linear(c, out, dZ, A_prev, W, {})
    b = rng.standard_normal(2)
    Wc = W.copy()

    def loss() -> float:  # L = Σ dZ ⊙ Z, so ∂L/∂Z = dZ
        return float(np.sum(dZ * (A_prev @ Wc.T + b)))

    numeric = numerical_gradient(loss, Wc)
    c.true(np.allclose(out[0], numeric, rtol=1e-6, atol=1e-8),
           "dW agrees with finite differences (the gradient check of lesson 05)",
           f"dW differs from the finite-difference gradient {_fmt(numeric)}")
    c.ok("equal to backprop_lab.layers.Linear.backward on a 5 → 2 layer")

    out = c.call(dZ[:1], A_prev[:1], W, label="a batch of one row: dZ (1, 2), A_prev (1, 5)")
    _compare_linear(c, out, dZ[:1], A_prev[:1], W, {}, mistakes=False)
    c.ok("a batch of one")

    W32, A32, dZ32 = (x.astype(np.float32) for x in (W, A_prev, dZ))
    out = c.call(dZ32, A32, W32, label="float32 dZ (6, 2), A_prev (6, 5), W (2, 5)")
    _compare_linear(c, out, dZ32, A32, W32, F32, mistakes=False)
    c.ok("float32 keeps float32")
    c.done()


# -- task 2: a mean loss, whose gradient does not grow with the batch --------------------------------


def check_mse_loss_grad(mse_loss_grad: Callable) -> None:
    """L = (1/N) Σ (P − T)², dP = 2 (P − T) / N with N = m·k, the number of elements."""
    c = Checker("mse_loss_grad", mse_loss_grad)
    rng = np.random.default_rng(121)
    P, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mse = MSE()
    e_loss = mse.forward(P, T)
    e_grad = mse.backward()
    m, N = P.shape[0], P.size
    diff = P - T
    out = c.call(P, T, label="P (4, 3), T (4, 3)")
    loss, grad = c.results(out, ("loss", "dP"), kind="2 results")
    value = c.number(loss, name="loss")
    c.close(value, e_loss, what="loss = mean of (P − T)² over all m·k elements",
            hint="L = (1/N) Σ (P − T)² with N = P.size",
            mistakes=[(float(np.sum(diff**2)), "the loss is summed over the batch: divide by the "
                                               "number of elements N = m·k (np.mean does it)"),
                      (float(np.sum(diff**2)) / m, "MSE averages over all N = m·k elements, not "
                                                   "only the m rows"),
                      (float(np.mean(np.abs(diff))), "square the differences: (P − T)², not "
                                                     "|P − T|")])
    c.array(grad, dtype=np.float64, shape=P.shape, name="dP")
    c.close(grad, e_grad, what="dP = 2 (P − T) / N", hint="dP = 2 (P − T) / N with N = P.size",
            mistakes=[(2 * diff, "dP grows with the batch size: this is the gradient of the SUM "
                                 "of the squared errors; divide by N = m·k to match the mean loss"),
                      (2 * diff / m, "divide by all N = m·k elements, like the loss, not only by "
                                     "the m rows"),
                      (diff / N, "d/dP (P − T)² = 2 (P − T): the factor 2 is missing"),
                      (-2 * diff / N, "wrong sign: the gradient points towards larger loss, "
                                      "2 (P − T) / N")])

    A = rng.standard_normal((4, 5))  # the activations feeding P through a layer
    reps = 4
    loss4, grad4 = c.results(c.call(np.tile(P, (reps, 1)), np.tile(T, (reps, 1)),
                                    label="the same 4 rows repeated 4 times (a batch of 16)"),
                          ("loss", "dP"), kind="2 results")
    c.array(grad4, shape=(reps * m, 3), name="dP")
    dW1, dW4 = grad.T @ A, grad4.T @ np.tile(A, (reps, 1))
    ratio = float(np.linalg.norm(dW4) / np.linalg.norm(dW1))
    c.true(np.isclose(c.number(loss4, name="loss"), value) and np.allclose(dW4, dW1),
           "the same loss and weight gradient dPᵀA for the batch repeated 4 times (no growth "
           "with the batch size)",
           f"the weight gradient dPᵀA for the batch repeated 4 times is {ratio:.3g} times the one "
           "for the batch once (expected 1: the same data, the same mean loss)",
           hint="average over the batch: a summed loss gives a gradient that grows with m, which "
                "acts like a learning rate multiplied by the batch size (lesson 12, section 5)")

    loss, grad = c.results(c.call(P, P.copy(), label="P = T (a perfect prediction)"),
                        ("loss", "dP"), kind="2 results")
    c.close(c.number(loss, name="loss"), 0.0, what="a perfect prediction has loss 0")
    c.close(grad, np.zeros_like(P), what="and gradient 0")

    Pb, Tb = np.array([[1000.0, -1000.0]]), np.array([[-1000.0, 1000.0]])
    loss, grad = c.results(c.call(Pb, Tb, label="a batch of one, P = [[1000, -1000]], "
                                                "T = [[-1000, 1000]]"), ("loss", "dP"), kind="2 results")
    c.close(c.number(loss, name="loss"), 4e6, what="large values and a batch of one (loss 4e6)")
    c.close(grad, np.array([[2000.0, -2000.0]]), what="dP = [[2000, -2000]]")

    P32, T32 = P.astype(np.float32), T.astype(np.float32)
    loss, grad = c.results(c.call(P32, T32, label="float32 P and T"), ("loss", "dP"), kind="2 results")
    c.array(grad, dtype=np.float32, shape=P.shape, name="dP")
    c.close(grad, 2 * (P32 - T32) / np.float32(N), what="float32 keeps float32", **F32)
    c.done()


# -- task 3: is a loss curve diverging? ----------------------------------------------------------------


def check_is_diverging(is_diverging: Callable) -> None:
    """True iff some loss is NaN or ±inf, or the last loss is larger than the first."""
    c = Checker("is_diverging", is_diverging)
    nan, inf = np.nan, np.inf
    cases = [
        # (label, losses, expected, hint when the answer is wrong)
        ("a falling loss [2.3, 1.1, 0.6, 0.4, 0.35]", [2.3, 1.1, 0.6, 0.4, 0.35], False,
         "a loss that ends below where it started is not diverging"),
        ("a loss that grows to inf and then NaN [2.3, 5.1, 40.2, 3e5, inf, nan]",
         [2.3, 5.1, 40.2, 3e5, inf, nan], True,
         "NaN compares False with everything (nan > 2.3 is False): test for non-finite values "
         "with np.isfinite"),
        ("a loss that is NaN from the second step [0.9, nan, nan]", [0.9, nan, nan], True,
         "NaN compares False with everything (nan > 0.9 is False): test for non-finite values "
         "with np.isfinite"),
        ("a finite loss that keeps growing [28.0, 40.5, 91.3, 205.0, 461.2]",
         [28.0, 40.5, 91.3, 205.0, 461.2], True,
         "a loss growing step after step diverges before it overflows: also compare the last "
         "loss with the first"),
        ("a noisy mini-batch loss with a bump [1.0, 1.2, 0.7, 0.9, 0.5]",
         [1.0, 1.2, 0.7, 0.9, 0.5], False,
         "a bump along the way (mini-batch noise) is not divergence: compare the LAST loss with "
         "the FIRST, not every step with the one before or the maximum with the start"),
        ("a loss that fell and rose a little at the end [1.0, 0.5, 0.3, 0.31]",
         [1.0, 0.5, 0.3, 0.31], False,
         "compare the last loss with the first one, not with the step before"),
        ("a single loss [0.7]", [0.7], False, "one finite loss: nothing has diverged"),
        ("a single NaN [nan]", [nan], True, "a NaN loss has diverged"),
        ("losses that reached -inf [1.0, -inf]", [1.0, -inf], True,
         "-inf is not a finite loss either: np.isfinite catches NaN, inf and -inf"),
    ]
    for label, losses, expected, hint in cases:
        arr = np.array(losses, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            out = c.call(arr, label=label)
        if isinstance(out, np.ndarray) and out.ndim == 0:
            out = out.item()
        if not isinstance(out, (bool, np.bool_)):
            c.fail(f"expected True or False, got {type(out).__name__} ({_fmt(out)})",
                   hint="return one bool for the whole curve, e.g. with bool(...) or "
                        "np.any(...) / np.all(...)" if out is not None
                   else "did you forget to `return` it?")
        c.ok("returns True or False")
        if bool(out) != expected:
            c.fail(f"expected {expected}, got {bool(out)}", hint=hint)
        c.ok(f"{'diverging' if expected else 'not diverging'}: {label}")

    arr32 = np.array([1.0, 2.0, np.inf], dtype=np.float32)
    c.true(bool(c.call(arr32, label="float32 losses [1, 2, inf]")), "float32 losses",
           "float32 losses [1, 2, inf] should be diverging, got False")

    surface = quadratic((1.0, 10.0))
    lrs = (0.05, 0.1, 0.15, 0.19, 0.21, 0.25, 0.5)
    for lr in lrs:
        traj = run_optimizer(surface, "sgd", lr=lr, steps=60)
        got = c.call(traj.losses, label=f"60 SGD steps with lr = {lr} on f(w) = ½(w₁² + 10 w₂²) "
                                        f"(diverges for lr > 2/L = 0.2): losses from "
                                        f"{traj.losses[0]:.4g} to {traj.losses[-1]:.4g}")
        expected = lr > 0.2
        if bool(got) != expected:
            c.fail(f"expected {expected}, got {bool(got)}",
                   hint="gradient descent on a quadratic diverges exactly when lr > 2/L; the "
                        "run_optimizer losses stay finite (it stops at a blow-up threshold), so "
                        "compare the last loss with the first")
    c.ok("finds the divergence threshold 2/L = 0.2 in a sweep of learning rates on a quadratic")
    c.done()


# -- task 4: the relative error of a gradient check ----------------------------------------------------


_ZERO_HINT = ("a division by zero (or 0/0): the denominator must be max(|a| + |b|, 1e-8) — "
              "|a| + |b| is 0 only when both are 0, and the floor 1e-8 handles that case")


def check_relative_error(relative_error_fn: Callable) -> None:
    """|a − b| / max(|a| + |b|, 1e-8), element by element, as float64."""
    c = Checker("relative_error", relative_error_fn)
    hints = {FloatingPointError: _ZERO_HINT, ZeroDivisionError: _ZERO_HINT}

    def call(a: np.ndarray, b: np.ndarray, label: str) -> np.ndarray:
        return call_with_hints(c, a, b, label=label, hints=hints, numpy_errors=True)

    a = np.array([1.0, -2.0, 0.5, 3.0, 1e-3])
    b = np.array([1.1, -2.0, -0.5, 2.0, 1e-3 + 1e-9])
    out = call(a, b, "a = [1, -2, 0.5, 3, 1e-3], b = [1.1, -2, -0.5, 2, 1e-3 + 1e-9]")
    c.array(out, dtype=np.float64, shape=a.shape)
    diff = np.abs(a - b)
    c.close(out, relative_error(a, b), rtol=1e-9, atol=1e-15,
            hint="relative error = |a − b| / max(|a| + |b|, 1e-8), element by element",
            mistakes=[(diff / (np.abs(a) + np.abs(b) + 1e-8),
                       "close, but the floor is a maximum, max(|a| + |b|, 1e-8), not an added "
                       "1e-8: adding it shifts every error slightly"),
                      (diff / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8),
                       "this course (and backprop_lab.gradcheck) divides by |a| + |b|, not by "
                       "max(|a|, |b|)"),
                      ((a - b) / (np.abs(a) + np.abs(b)),
                       "take the absolute value of the difference: |a − b|, so the error is "
                       "never negative"),
                      ((b - a) / (np.abs(a) + np.abs(b)),
                       "take the absolute value of the difference: |a − b|, so the error is "
                       "never negative"),
                      (diff, "|a − b| alone is an absolute error: it depends on the size of the "
                             "gradient; divide by max(|a| + |b|, 1e-8)"),
                      (diff / np.abs(b), "divide by |a| + |b| (both sides), not by |b| alone: "
                                         "the error must be symmetric and defined when b = 0"),
                      (diff / np.maximum(np.abs(a + b), 1e-8),
                       "divide by |a| + |b|, not |a + b|: when a and b have opposite signs, a + b "
                       "can be 0 however different they are")])

    out_ba = call(b, a, "the same arrays swapped, relative_error(b, a)")
    c.close(out_ba, relative_error(a, b), what="symmetric: relative_error(b, a) = "
                                                "relative_error(a, b)",
            hint="use |a| + |b|, which does not depend on the order")

    out = call(a * 1e6, b * 1e6, "a and b multiplied by 1e6")
    c.close(out, relative_error(a, b), rtol=1e-9, atol=1e-15, what="scale-free: multiplying "
                                                                     "both by 1e6 changes nothing",
            mistakes=[(diff * 1e6, "|a − b| alone is an absolute error: it grew 1e6 times with "
                                   "the gradients; divide by max(|a| + |b|, 1e-8)")])

    zero_a, zero_b = np.array([0.0, 0.0, 2.0]), np.array([0.0, 1e-12, 0.0])
    out = call(zero_a, zero_b, "a = [0, 0, 2], b = [0, 1e-12, 0] (zeros and a tiny value)")
    c.array(out, dtype=np.float64, shape=(3,))
    c.close(out, relative_error(zero_a, zero_b), rtol=1e-9, atol=1e-15,
            what="zeros: 0 when both are 0, the floor 1e-8 for tiny values",
            mistakes=[(np.array([np.nan, 1.0, 1.0]), _ZERO_HINT),
                      (np.array([0.0, 1.0, 1.0]),
                       "for tiny gradients the floor applies: max(|a| + |b|, 1e-8), so 1e-12 "
                       "against 0 gives 1e-4, not 1 (a gradient of 1e-12 is zero for practical "
                       "purposes)")])

    big_a, big_b = np.array([1e200, -1e200, 1e200]), np.array([1e200, 1e200, 0.5e200])
    out = call(big_a, big_b, "large values a = [1e200, -1e200, 1e200], b = [1e200, 1e200, 5e199]")
    c.close(out, relative_error(big_a, big_b), what="large values without overflow")

    rng = np.random.default_rng(122)
    W = rng.standard_normal((3, 3))
    A_prev, G = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def loss() -> float:  # L = Σ G ⊙ (A_prev Wᵀ): ∂L/∂W = Gᵀ A_prev
        return float(np.sum(G * (A_prev @ W.T)))

    numeric = numerical_gradient(loss, W)
    right, transposed = G.T @ A_prev, A_prev.T @ G
    e_right = call(numeric, right, "a gradient check of a square layer: finite differences vs "
                                   "dW = G.T @ A_prev")
    e_wrong = call(numeric, transposed, "the same check vs the transposed dW = A_prev.T @ G")
    for got, label in ((e_right, "right"), (e_wrong, "transposed")):
        c.array(got, dtype=np.float64, shape=(3, 3), name=f"the error of the {label} dW")
    c.true(np.max(e_right) < 1e-7 and np.max(e_wrong) > 1e-2,
           "a gradient check with it passes the right dW (< 1e-7) and fails the transposed one",
           f"largest error: right dW {np.max(e_right):.3g} (expected < 1e-7), transposed dW "
           f"{np.max(e_wrong):.3g} (expected > 1e-2)")

    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    out = call(a32, b32, "float32 a and b")
    c.array(out, dtype=np.float64, shape=a.shape, name="the result for float32 inputs")
    c.close(out, relative_error(a32, b32), what="float32 inputs give a float64 result")
    c.done()
