"""Checks for ``exercises/03_gradient_descent.ipynb``.

One check per task: :func:`check_gd_step`, :func:`check_gd_path`, :func:`check_find_lr_limits`,
:func:`check_first_divergence`, :func:`check_best_step_size`. Expected values come from the
formulas: θ − η∇f(θ); on f(x) = ½ a x² the iterates are x_k = (1 − ηa)^k x₀; the best fixed step
on a quadratic with Hessian eigenvalues λ_min ≤ λ_max is 2 / (λ_max + λ_min). The learning-rate
limits of :func:`check_find_lr_limits` come from the check's own runs of gradient descent on the
grid it passes (the student's function gets only a black-box gradient, not the curvature).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab.checks.core import Checker, _distinct, _fmt
from backprop_lab.checks.helpers import expect_raises

__all__ = ["check_best_step_size", "check_find_lr_limits", "check_first_divergence", "check_gd_path",
           "check_gd_step"]


def check_gd_step(gd_step: Callable) -> None:
    """θ_new = θ − η·∇f(θ), a new array (θ unchanged), any shape, float32 kept."""
    c = Checker("gd_step", gd_step)
    theta = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.4, -1.0, 2.0])
    lr = 0.1
    out = c.call(theta, grad, lr, label="theta = [1, -2, 0.5], grad = [0.4, -1, 2], lr = 0.1")
    c.array(out, dtype=np.float64, shape=(3,))
    c.close(out, theta - lr * grad, hint="θ_new = θ − η·∇f(θ)", mistakes=[
        (theta + lr * grad, "you stepped uphill: move against the gradient, θ − η·∇f(θ)"),
        (theta - grad, "the learning rate η is missing: the step is η·∇f(θ)"),
        (lr * grad, "that is the step η·∇f(θ); return the new point θ − η·∇f(θ)"),
        (-lr * grad, "that is −η·∇f(θ); add it to θ to get the new point"),
        (theta - lr, "the gradient is missing: the step is η times ∇f(θ)"),
    ])

    T = np.array([[1.0, 2.0], [3.0, 4.0]])
    G = np.array([[0.5, -0.5], [1.0, 0.0]])
    out = c.call(T, G, 0.5, label="(2, 2) arrays theta, grad with lr = 0.5")
    c.array(out, dtype=np.float64, shape=(2, 2))
    c.close(out, T - 0.5 * G, what="works for arrays of any shape")

    out = c.call(theta, grad, 0.0, label="lr = 0")
    c.array(out, dtype=np.float64, shape=(3,))
    c.close(out, theta, what="lr = 0 leaves θ where it is")

    t32, g32 = theta.astype(np.float32), grad.astype(np.float32)
    out = c.call(t32, g32, lr, label="float32 theta and grad, lr = 0.1")
    c.array(out, dtype=np.float32, shape=(3,))
    c.close(out, t32 - np.float32(lr) * g32, what="float32 input keeps float32", rtol=1e-5)
    c.done()


def _path(a: float, x0: float, lr: float, n_steps: int) -> np.ndarray:
    return x0 * (1.0 - lr * a) ** np.arange(n_steps + 1)


def check_gd_path(gd_path: Callable) -> None:
    """The n_steps + 1 iterates x₀, x₁, … of gradient descent on f(x) = ½ a x², as float64."""
    c = Checker("gd_path", gd_path)
    a, x0, lr, n = 4.0, 3.0, 0.1, 5
    label = "a = 4, x0 = 3, lr = 0.1, n_steps = 5"
    out = c.call(a, x0, lr, n, label=label)
    c.array(out, dtype=np.float64)
    if out.shape == (n,):
        c.fail(f"the path has shape {out.shape}, expected {(n + 1,)}",
               hint="include the start: the path is x₀, x₁, …, x_n, so n_steps steps give "
                    "n_steps + 1 points")
    c.array(out, shape=(n + 1,))
    expected = _path(a, x0, lr, n)
    c.close(out, expected, hint="x_(k+1) = x_k − η·f′(x_k) with f′(x) = a·x", mistakes=[
        (_path(1.0, x0, lr, n), "f′(x) = a·x: the factor a is missing from the gradient"),
        (_path(0.5 * a, x0, lr, n), "f′(x) = a·x, not ½·a·x: the ½ cancels against the 2 from "
                                    "differentiating x²"),
        (_path(-a, x0, lr, n), "you stepped uphill: x − η·f′(x), not x + η·f′(x)"),
        (_path(a, x0, lr, n + 1)[1:], "the first entry must be x₀ itself, before any step"),
        (np.full(n + 1, x0), "x never changes: update x in every step and store the new value"),
    ])

    out = c.call(a, x0, lr, 0, label="n_steps = 0")
    c.array(out, dtype=np.float64, shape=(1,))
    c.close(out, [x0], what="n_steps = 0 gives just [x0]")

    out = c.call(2.0, 1.0, 1.25, 8, label="a = 2, x0 = 1, lr = 1.25 > 2/a, n_steps = 8")
    c.array(out, dtype=np.float64, shape=(9,))
    c.close(out, _path(2.0, 1.0, 1.25, 8), what="lr > 2/a diverges: |x| grows by 1.5 each step",
            hint="no special case needed: just keep applying the update")

    out = c.call(1.0, 1.0, 3.0, 40, label="a = 1, x0 = 1, lr = 3 > 2/a, n_steps = 40")
    c.array(out, dtype=np.float64)
    if out.shape != (41,):
        c.fail(f"the path has shape {out.shape}, expected (41,)",
               hint="do not stop when |x| grows: a diverging path (here |x| doubles every step, "
                    "to about 1e12) is still n_steps + 1 points long")
    c.close(out, _path(1.0, 1.0, 3.0, 40), what="a long diverging path is kept in full",
            hint="no special case needed: just keep applying the update")

    out = c.call(0.0, -2, 0.3, 3, label="a = 0 (a flat line), integer x0 = -2, n_steps = 3")
    c.array(out, dtype=np.float64, shape=(4,))
    c.close(out, [-2.0, -2.0, -2.0, -2.0], what="a = 0 and an integer x0 give a float path")
    c.done()


def _first_divergence(losses: np.ndarray, threshold: float) -> int | None:
    for i, value in enumerate(losses):
        if not value <= threshold:  # NaN and inf included
            return i
    return None


def _check_index(c: Checker, out: Any, expected: int | None, mistakes: list[tuple[Any, str]],
                 hint: str, what: str) -> None:
    if expected is None:
        if out is not None:
            hint = next((h for wrong, h in mistakes if _same(out, wrong)), hint)
            c.fail(f"expected None (no loss exceeds the threshold), got {_fmt(out)}", hint=hint)
        c.ok(what)
        return
    if out is None:
        c.fail(f"expected step {expected}, got None",
               hint=next((h for wrong, h in mistakes if wrong is None), hint))
    if isinstance(out, (bool, np.bool_)) or not isinstance(out, (int, np.integer)):
        c.fail(f"expected an int (a step index), got {type(out).__name__} ({_fmt(out)})",
               hint="return the index as an int (or None if the threshold is never exceeded)")
    c.ok("returns an int index")
    if int(out) != expected:
        hint = next((h for wrong, h in mistakes if _same(out, wrong)), hint)
        c.fail(f"expected step {expected}, got {int(out)}", hint=hint)
    c.ok(what)


def _same(out: Any, wrong: Any) -> bool:
    if wrong is None or out is None:
        return out is wrong
    return not isinstance(out, (bool, np.bool_)) and isinstance(out, (int, np.integer)) \
        and int(out) == wrong


def check_first_divergence(first_divergence: Callable) -> None:
    """Index of the first loss > threshold (NaN and inf count), or None."""
    c = Checker("first_divergence", first_divergence)
    generic = "return the index (counting from 0) of the first loss that is greater than the " \
              "threshold, or NaN"
    losses = np.array([5.0, 3.0, 4.0, 12.0, 40.0, 8.0, 200.0])
    out = c.call(losses, 10.0, label="losses = [5, 3, 4, 12, 40, 8, 200], threshold = 10")
    _check_index(c, out, 3, [
        (4, "indices count from 0: the first loss is step 0"),
        (6, "you returned the last step above the threshold; return the first"),
        (2, "that is the step just before the loss exceeds the threshold"),
    ], generic, "values on small cases")

    calm = np.array([1.0, 0.5, 0.25, 0.125])
    out = c.call(calm, 10.0, label="losses = [1, 0.5, 0.25, 0.125], threshold = 10")
    _check_index(c, out, None, [
        (-1, "return None (not −1) when no loss exceeds the threshold"),
        (0, "return None (not 0: 0 is a valid step) when no loss exceeds the threshold"),
        (4, "return None when no loss exceeds the threshold, not len(losses)"),
    ], "return None when no loss exceeds the threshold", "None when the threshold is never exceeded")

    nan = np.array([1.0, 2.0, np.nan, 3.0, 50.0])
    out = c.call(nan, 10.0, label="losses = [1, 2, nan, 3, 50], threshold = 10")
    _check_index(c, out, 2, [
        (4, "NaN counts as diverged, but `nan > threshold` is False: test `not loss <= threshold` "
            "or use np.isnan"),
        (None, "NaN counts as diverged, but `nan > threshold` is False: test `not loss <= "
               "threshold` or use np.isnan"),
    ], generic, "NaN counts as diverged")

    inf = np.array([1.0, np.inf])
    out = c.call(inf, 10.0, label="losses = [1, inf], threshold = 10")
    _check_index(c, out, 1, [], generic, "inf counts as diverged")

    equal = np.array([10.0, 9.0, 10.5])
    out = c.call(equal, 10.0, label="losses = [10, 9, 10.5], threshold = 10")
    _check_index(c, out, 2, [
        (0, "a loss equal to the threshold does not exceed it: use >, not ≥"),
    ], generic, "a loss equal to the threshold is not divergence")

    out = c.call(np.array([20.0]), 10.0, label="losses = [20] (one step), threshold = 10")
    _check_index(c, out, 0, [
        (None, "the very first loss (step 0) can already exceed the threshold"),
        (1, "indices count from 0: the first loss is step 0"),
    ], generic, "a single step")

    out = c.call(np.array([]), 10.0, label="losses = [] (empty), threshold = 10")
    _check_index(c, out, None, [], "an empty history never diverged: return None",
                 "an empty history gives None")
    c.done()


def _best(H: np.ndarray) -> float:
    lam = np.linalg.eigvalsh(H)
    return 2.0 / (lam[-1] + lam[0])


def check_best_step_size(best_step_size: Callable) -> None:
    """η* = 2 / (λ_max + λ_min) of a 2×2 symmetric positive definite H; ValueError otherwise."""
    c = Checker("best_step_size", best_step_size)
    H = np.array([[4.0, 1.0], [1.0, 2.0]])
    lam = np.linalg.eigvalsh(H)
    lo, hi = lam
    out = c.number(c.call(H, label="H = [[4, 1], [1, 2]]"))
    c.close(out, _best(H), hint="η* = 2 / (λ_max + λ_min), with λ the eigenvalues of H",
            mistakes=[
                (2 / hi, "2/λ_max is where gradient descent starts to diverge; the best fixed step "
                         "balances the slowest and the fastest direction: 2 / (λ_max + λ_min)"),
                (1 / hi, "1/λ_max is safe but not the best step: 2 / (λ_max + λ_min)"),
                (1 / (hi + lo), "the numerator is 2: η* = 2 / (λ_max + λ_min)"),
                (2 / (hi - lo), "add the eigenvalues: η* = 2 / (λ_max + λ_min)"),
                (2 / lo, "2/λ_min diverges along the steep direction: η* = 2 / (λ_max + λ_min)"),
                (1 / lo, "1/λ_min diverges along the steep direction: η* = 2 / (λ_max + λ_min)"),
                (2 / math.sqrt(hi * lo), "use the sum of the extreme eigenvalues, not their product"),
            ])

    out = c.number(c.call(4.0 * np.eye(2), label="H = 4·I"))
    c.close(out, 0.25, what="H = 4·I gives η* = 2/(4 + 4) = 1/4 (one step to the minimum)")

    Hr = np.array([[100.0, 0.0], [0.0, 1.0]])
    out = c.number(c.call(Hr, label="a ravine H = [[100, 0], [0, 1]]"))
    c.close(out, 2.0 / 101.0, what="an ill-conditioned H (κ = 100)")

    H32 = H.astype(np.float32)
    out = c.number(c.call(H32, label="float32 H = [[4, 1], [1, 2]]"))
    c.close(out, _best(H), what="float32 input", rtol=1e-5)

    spd_hint = ("check the input first: H must be 2×2, symmetric (H == H.T) and have eigenvalues "
                "> 0; raise ValueError otherwise")
    expect_raises(c, ValueError, np.array([[1.0, 0.0], [0.0, -1.0]]),
                  label="H = [[1, 0], [0, -1]]", why="an H with a negative eigenvalue",
                  hint=spd_hint)
    expect_raises(c, ValueError, np.array([[1.0, 0.0], [0.0, 0.0]]),
                  label="H = [[1, 0], [0, 0]]", why="an H with an eigenvalue 0 (not positive "
                  "definite)", hint=spd_hint)
    expect_raises(c, ValueError, np.array([[2.0, 1.0], [0.0, 3.0]]),
                  label="H = [[2, 1], [0, 3]]", why="a non-symmetric H", hint=spd_hint)
    expect_raises(c, ValueError, np.eye(3), label="H = I (3×3)", why="a 3×3 H", hint=spd_hint)
    c.done()


# -- the learning-rate limits, measured (lesson 03's explorer task, as code) ----------------------


class _CountingGrad:
    """The slope of ½·λ·w², counting how often the student's code asks for it."""

    def __init__(self, curvature: float) -> None:
        self.curvature = curvature
        self.calls = 0

    def __call__(self, w: Any) -> Any:
        self.calls += 1
        return self.curvature * w


def _limits_by_running(curvature: float, etas: np.ndarray, n_steps: int = 20,
                       ) -> tuple[float | None, float | None]:
    """The check's own measurement: run every η from w₀ = 1 and read the regime off the run."""
    osc = div = None
    for eta in etas:
        w = np.empty(n_steps + 1)
        w[0] = 1.0
        for k in range(n_steps):
            w[k + 1] = w[k] - eta * (curvature * w[k])
        if osc is None and np.all(w[1:] * w[:-1] < 0):
            osc = float(eta)
        if div is None and abs(w[-1]) > abs(w[0]):
            div = float(eta)
    return osc, div


def _check_limit(c: Checker, out: Any, expected: float | None, name: str,
                 etas: np.ndarray, mistakes: list[tuple[float | None, str]], hint: str) -> None:
    if expected is None:
        if out is not None:
            c.fail(f"{name}: expected None (no η in etas does it), got {_fmt(out)}",
                   hint=next((h for wrong, h in mistakes
                              if wrong is not None and _near(out, wrong)), hint))
        return
    if out is None:
        c.fail(f"{name}: expected an η from etas, got None",
               hint=next((h for wrong, h in mistakes if wrong is None), hint))
    value = c.number(out, name=name)
    c._comparing()
    if not np.any(np.isclose(value, etas, rtol=1e-12, atol=0.0)):
        hint = next((h for wrong, h in mistakes if wrong is not None and _near(value, wrong)),
                    "return one of the η values in etas (the first one whose run does it), as "
                    "found by running gradient descent, not a value computed from a formula")
        c.fail(f"{name}: {_distinct(expected, value)[1]} is not one of the η in etas; expected "
               f"{_distinct(expected, value)[0]}", hint=hint)
    if not math.isclose(value, expected, rel_tol=1e-12):
        e, g = _distinct(expected, value)
        c.fail(f"{name}: expected {e}, got {g}",
               hint=next((h for wrong, h in mistakes if wrong is not None and _near(value, wrong)),
                         hint))


def _near(value: Any, wrong: float) -> bool:
    try:
        return math.isclose(float(value), wrong, rel_tol=1e-9)
    except (TypeError, ValueError):
        return False


def check_find_lr_limits(find_lr_limits: Callable) -> None:
    """(η_osc, η_div): the first η of the grid whose run from w₀ = 1 flips sign at every step, and
    the first whose |w_n| > |w₀| — measured with the black-box gradient, each a grid value or None.
    """
    c = Checker("find_lr_limits", find_lr_limits)
    names = ("eta_oscillate", "eta_diverge")
    grad = _CountingGrad(7.0)
    etas = np.round(np.arange(1, 31) * 0.01, 2)           # 0.01, 0.02, …, 0.30
    label = "grad(w) = 7·w (the slope of ½·7·w²), etas = [0.01, 0.02, …, 0.30]"
    out = c.call(grad, etas, label=label)
    osc, div = c.results(out, names, kind="a pair",
                         hint="two values: the first η that oscillates, the first that diverges")
    exp_osc, exp_div = _limits_by_running(7.0, etas)
    if grad.calls < 20:
        c.fail(f"your function called grad only {grad.calls} time(s); measuring needs runs",
               hint="run gradient descent, w ← w − η·grad(w), for n_steps steps for each η in "
                    "etas, and read oscillation and divergence off the iterates; the curvature "
                    "is not given, so the answer has to come from the runs")
    c.ok("runs gradient descent with grad")
    generic = ("for each η, run n_steps steps from w₀ = 1: it oscillates when w changes sign at "
               "every step, it diverges when |w_n| > |w₀|; return the first η of etas for each")
    before_osc = float(etas[np.flatnonzero(etas == exp_osc)[0] - 1])
    before_div = float(etas[np.flatnonzero(etas == exp_div)[0] - 1])
    swapped = "the pair is (eta_oscillate, eta_diverge), in that order"
    _check_limit(c, osc, exp_osc, "eta_oscillate", etas, [
        (exp_div, swapped),
        (before_osc, "that is the last η that does NOT oscillate yet; return the first that "
                     "does (the grid value just after the boundary)"),
        (float(etas[-1]), "return the first (smallest) η that oscillates, not the last"),
    ], generic)
    _check_limit(c, div, exp_div, "eta_diverge", etas, [
        (exp_osc, swapped),
        (before_div, "that is the last η that does NOT diverge yet; return the first that does"),
        (None, "some η in this grid make the run grow: diverging means |w_n| > |w₀| after "
               "n_steps steps"),
    ], generic)
    c.ok("values on small cases")
    c._compared()

    grad4 = _CountingGrad(4.0)
    etas4 = np.array([0.1, 0.25, 0.3, 0.5, 0.6])
    out = c.call(grad4, etas4, label="grad(w) = 4·w, etas = [0.1, 0.25, 0.3, 0.5, 0.6]")
    osc, div = c.results(out, names, kind="a pair")
    _check_limit(c, osc, 0.3, "eta_oscillate", etas4, [
        (0.25, "at η = 0.25 the first step lands exactly on the minimum, w₁ = 0, and stays "
               "there: that is not a sign change (test w_(k+1)·w_k < 0, not ≤ 0)"),
    ], generic)
    _check_limit(c, div, 0.6, "eta_diverge", etas4, [
        (0.5, "at η = 0.5 the run bounces between +1 and −1 forever: |w_n| = |w₀| is not "
              "divergence (test |w_n| > |w₀|, not ≥)"),
    ], generic)
    c.ok("landing exactly on the minimum is not oscillating, bouncing is not diverging")

    grad2 = _CountingGrad(2.0)
    etas2 = np.array([0.1, 0.2, 0.7, 0.9])
    out = c.call(grad2, etas2, label="grad(w) = 2·w, etas = [0.1, 0.2, 0.7, 0.9]")
    osc, div = c.results(out, names, kind="a pair")
    _check_limit(c, osc, 0.7, "eta_oscillate", etas2, [], generic)
    _check_limit(c, div, None, "eta_diverge", etas2, [
        (0.9, "at η = 0.9 every step shrinks |w| (by 0.8): an oscillating run that shrinks "
              "converges, it does not diverge"),
    ], "return None when no η of etas makes the run grow")
    c.ok("None when no η in etas diverges")

    out = c.call(_CountingGrad(2.0), np.array([0.01, 0.05]),
                 label="grad(w) = 2·w, etas = [0.01, 0.05]")
    osc, div = c.results(out, names, kind="a pair")
    _check_limit(c, osc, None, "eta_oscillate", np.array([0.01, 0.05]), [],
                 "return None when no η of etas oscillates")
    _check_limit(c, div, None, "eta_diverge", np.array([0.01, 0.05]), [],
                 "return None when no η of etas diverges")
    c.ok("(None, None) when every η converges without oscillating")
    c.done()
