"""Checks for ``exercises/09_vanishing_exploding.ipynb``.

One check per task: :func:`check_init_std`, :func:`check_batchnorm_forward`,
:func:`check_batchnorm_backward`, :func:`check_clip_by_global_norm`, :func:`check_tanh_layer_stds`.
Expected values come from the library — :mod:`backprop_lab.init` (Glorot & Bengio 2010; He et al.
2015), :class:`backprop_lab.layers.BatchNorm` in training mode (Ioffe & Szegedy 2015) and
:func:`backprop_lab.optim.clip_grad_norm` — and from the formulas stated in the tasks. The measured
spreads of :func:`check_tanh_layer_stds` are compared with the mean-field recursion
q_(l+1) = n·σ_w²·E[tanh²(z)], z ~ N(0, q_l) (Poole et al. 2016), evaluated by quadrature, so the
verdict does not depend on the order in which the student draws the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab import init
from backprop_lab.checks.core import Checker, _fmt
from backprop_lab.checks.helpers import call_with_hints
from backprop_lab.layers import BatchNorm
from backprop_lab.optim import clip_grad_norm
from backprop_lab.parameter import Point

__all__ = ["check_batchnorm_backward", "check_batchnorm_forward", "check_clip_by_global_norm",
           "check_init_std", "check_tanh_layer_stds"]

F32 = {"rtol": 1e-4, "atol": 1e-5}


# -- task 1: initialisation scales ----------------------------------------------------------------


def check_init_std(init_std: Callable) -> None:
    """Xavier: √(2 / (n_in + n_out)); He: √(2 / n_in) — standard deviations of normal weights."""
    c = Checker("init_std", init_std)
    n_in, n_out = 300, 100
    for kind, expected, hint, mistakes in (
        ("xavier", np.sqrt(2 / (n_in + n_out)), "Xavier: Var W = 2 / (n_in + n_out), so the "
         "standard deviation is its square root", [
             (2 / (n_in + n_out), "that is the variance; return the standard deviation, its "
                                  "square root"),
             (np.sqrt(6 / (n_in + n_out)), "√(6 / (n_in + n_out)) is the bound a of the uniform "
                                           "version U[−a, a]; the normal version has standard "
                                           "deviation √(2 / (n_in + n_out))"),
             (np.sqrt(1 / (n_in + n_out)), "Xavier averages the fans: Var W = 2 / (n_in + n_out)"),
             (np.sqrt(1 / n_in), "√(1 / n_in) is LeCun's scale; Xavier uses both fans: "
                                 "√(2 / (n_in + n_out))"),
         ]),
        ("he", np.sqrt(2 / n_in), "He: Var W = 2 / n_in (the 2 makes up for ReLU zeroing half "
         "the units)", [
             (2 / n_in, "that is the variance; return the standard deviation, its square root"),
             (np.sqrt(2 / n_out), "He uses the fan-in n_in (the inputs of each unit), not n_out"),
             (np.sqrt(1 / n_in), "He has a 2 in the numerator: ReLU zeroes half of the units, "
                                 "halving the variance"),
             (np.sqrt(2 / (n_in + n_out)), "that is Xavier's scale; He uses the fan-in only: "
                                           "√(2 / n_in)"),
         ]),
    ):
        out = c.number(c.call(n_in, n_out, kind, label=f"n_in = {n_in}, n_out = {n_out}, "
                                                       f"kind = {kind!r}"))
        c.close(out, expected, what=f"{kind} with n_in = 300, n_out = 100", hint=hint,
                mistakes=mistakes)

    for n_in, n_out in ((784, 256), (1, 10), (10, 1)):
        for kind, lib in (("xavier", init.xavier_normal), ("he", init.he_normal)):
            std = c.number(c.call(n_in, n_out, kind, label=f"n_in = {n_in}, n_out = {n_out}, "
                                                           f"kind = {kind!r}"))
            W = np.random.default_rng(90).standard_normal((n_out, n_in)) * std
            c.close(W, lib((n_out, n_in), np.random.default_rng(90)),
                    what=f"{kind}: N(0, std²) weights equal backprop_lab.init.{lib.__name__} "
                         f"for n_in = {n_in}, n_out = {n_out}",
                    hint="Xavier: √(2 / (n_in + n_out)); He: √(2 / n_in)")
    c.done()


# -- tasks 2 and 3: batch normalisation -----------------------------------------------------------


def _bn(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> BatchNorm:
    layer = BatchNorm(X.shape[1], eps=eps, dtype=X.dtype)
    layer.gamma[...] = gamma
    layer.beta[...] = beta
    return layer


def _bn_cases() -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray, bool]]:
    """(short name, label, X, gamma, beta, check typical mistakes) for each case."""
    rng = np.random.default_rng(91)
    X = rng.standard_normal((5, 3)) * np.array([1.0, 3.0, 0.01]) + np.array([0.0, -2.0, 5.0])
    gamma, beta = np.array([1.5, -0.5, 2.0]), np.array([0.1, 0.0, -1.0])
    Xs = rng.standard_normal((4, 4))
    g4, b4 = np.array([0.5, 1.0, 2.0, -1.0]), np.array([1.0, 0.0, 0.5, 0.0])
    return [
        ("X (5, 3)", "X (5, 3) with columns of scale 1, 3 and 0.01, gamma = [1.5, -0.5, 2], "
         "beta = [0.1, 0, -1], eps = 1e-5", X, gamma, beta, True),
        ("a square X (4, 4)", "a square X (4, 4)", Xs, g4, b4, True),
        ("values around 10⁶", "X (5, 3) + 1e6 (values around a million)", X + 1e6, gamma, beta, True),
        ("a batch of two", "a batch of two rows", X[:2], gamma, beta, False),
        ("a constant column", "a constant column (variance 0)", np.column_stack([X[:, :2], np.full(5, 7.0)]), gamma,
         beta, False),
    ]


def _bn_forward_variants(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
                         ) -> list[tuple[np.ndarray, str]]:
    mu, var = X.mean(axis=0), X.var(axis=0)
    with np.errstate(all="ignore"):
        naive_var = (X * X).mean(axis=0) - mu * mu
        return [
            (gamma * (X - mu) / np.sqrt(naive_var + eps) + beta,
             "compute the variance as the mean of (X − μ)², not mean(X²) − μ²: for values around "
             "10⁶ the subtraction cancels almost every digit"),
            ((X - mu) / np.sqrt(var + eps), "scale and shift: Y = γ ⊙ X̂ + β"),
            (gamma * (X - mu) / np.sqrt(var + eps), "add the shift β: Y = γ ⊙ X̂ + β"),
            (gamma * (X - mu) / np.sqrt(X.var(axis=0, ddof=1) + eps) + beta,
             "use the biased batch variance (divide by m, np.var's default ddof=0), not m − 1"),
            (gamma * (X - mu) / (np.sqrt(var) + eps) + beta,
             "ε goes inside the square root: X̂ = (X − μ) / √(σ² + ε)"),
            (gamma * (X - mu) / (var + eps) + beta, "divide by the standard deviation √(σ² + ε), "
                                                    "not by the variance"),
            (gamma * (X - mu) / np.sqrt(var) + beta, "ε is missing: X̂ = (X − μ) / √(σ² + ε) (it "
                                                     "keeps a constant column from giving 0/0)"),
            (gamma * (X - X.mean(axis=1, keepdims=True))
             / np.sqrt(X.var(axis=1, keepdims=True) + eps) + beta,
             "normalise each feature over the batch (axis 0), not each example over its features"),
        ]


def check_batchnorm_forward(batchnorm_forward: Callable) -> None:
    """Y = γ ⊙ (X − μ)/√(σ² + ε) + β with μ, σ² the batch mean and (biased) variance per column."""
    c = Checker("batchnorm_forward", batchnorm_forward)
    eps = 1e-5
    for short, label, X, gamma, beta, mistakes in _bn_cases():
        out = c.call(X, gamma, beta, eps, label=label)
        c.array(out, dtype=np.float64, shape=X.shape, name="Y")
        expected = _bn(X, gamma, beta, eps).forward(X)
        tol = {"rtol": 1e-6, "atol": 1e-7} if X.mean() > 1e5 else {}
        c.close(out, expected, what=f"Y for {short}", **tol,
                hint="per column: μ = mean over the rows, σ² = mean of (X − μ)², "
                     "X̂ = (X − μ)/√(σ² + ε), Y = γ ⊙ X̂ + β",
                mistakes=_bn_forward_variants(X, gamma, beta, eps) if mistakes else ())

    X32 = _bn_cases()[0][2].astype(np.float32)
    g32, b32 = np.array([1.5, -0.5, 2.0], np.float32), np.array([0.1, 0.0, -1.0], np.float32)
    out = c.call(X32, g32, b32, eps, label="float32 X (5, 3), gamma, beta")
    c.array(out, dtype=np.float32, shape=X32.shape, name="Y")
    c.close(out, _bn(X32, g32, b32, eps).forward(X32), what="float32 keeps float32", **F32)
    c.done()


def _bn_backward_variants(dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float
                          ) -> tuple[list, list, list]:
    m = X.shape[0]
    mu, var = X.mean(axis=0), X.var(axis=0)
    inv = 1 / np.sqrt(var + eps)
    Xh = (X - mu) * inv
    dXh = dY * gamma
    full = m * dXh - dXh.sum(axis=0) - Xh * (dXh * Xh).sum(axis=0)
    dX = [
        (dXh * inv, "that is the gradient with μ and σ² held fixed (eval mode); in training μ and "
                    "σ² depend on every row of X: dX = (1/m)·(1/√(σ²+ε))·(m·dX̂ − Σ dX̂ − "
                    "X̂ ⊙ Σ(dX̂ ⊙ X̂))"),
        (inv * full, "divide by m: dX = (1/m)·(1/√(σ²+ε))·(…)"),
        (inv / m * (m * dY - dY.sum(axis=0) - Xh * (dY * Xh).sum(axis=0)),
         "the gradient reaches X̂ through γ: use dX̂ = dY ⊙ γ"),
        (inv / m * (m * dXh - dXh.sum(axis=0)), "include the variance term − X̂ ⊙ Σ(dX̂ ⊙ X̂)"),
        (inv / m * (m * dXh - dXh.sum(axis=1, keepdims=True)
                    - Xh * (dXh * Xh).sum(axis=1, keepdims=True)),
         "the sums run over the batch (axis 0), not over the features"),
    ]
    dgamma = [
        (dY.sum(axis=0), "that is dβ; dγ = Σ_rows dY ⊙ X̂"),
        ((dY * X).sum(axis=0), "multiply by the normalised X̂, not the raw X: dγ = Σ_rows dY ⊙ X̂"),
        ((dY * Xh).mean(axis=0), "sum over the rows, do not average (the 1/m is already in dY)"),
    ]
    dbeta = [
        (dY.mean(axis=0), "sum over the rows, do not average (the 1/m is already in dY)"),
        ((dY * gamma).sum(axis=0), "dβ = Σ_rows dY, without γ"),
    ]
    return dX, dgamma, dbeta


def check_batchnorm_backward(batchnorm_backward: Callable) -> None:
    """(dX, dγ, dβ) of batch normalisation in training mode; compared with the library's layer."""
    c = Checker("batchnorm_backward", batchnorm_backward)
    eps = 1e-5
    rng = np.random.default_rng(92)
    for short, label, X, gamma, _, mistakes in _bn_cases():
        if X.mean() > 1e5:
            continue
        dY = rng.standard_normal(X.shape) / len(X)
        layer = _bn(X, gamma, np.zeros_like(gamma), eps)
        layer.forward(X)
        dX_ref = layer.backward(dY)
        out = c.call(dY, X, gamma, eps, label=f"{label}, dY of the same shape")
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            c.fail(f"expected a tuple (dX, dgamma, dbeta), got {type(out).__name__}",
                   hint="return dX, dgamma, dbeta")
        c.ok("returns a tuple (dX, dgamma, dbeta)")
        dX, dgamma, dbeta = out
        v_dX, v_dgamma, v_dbeta = (_bn_backward_variants(dY, X, gamma, eps) if mistakes
                                   else ([], [], []))
        c.array(dX, dtype=np.float64, shape=X.shape, name="dX")
        c.close(dX, dX_ref, what=f"dX for {short}", mistakes=v_dX, rtol=1e-6, atol=1e-10,
                hint="dX̂ = dY ⊙ γ; dX = (1/m)·(1/√(σ²+ε))·(m·dX̂ − Σ dX̂ − X̂ ⊙ Σ(dX̂ ⊙ X̂)), "
                     "sums over the rows")
        c.array(dgamma, dtype=np.float64, shape=gamma.shape, name="dgamma")
        c.close(dgamma, layer.dgamma, what=f"dgamma for {short}", mistakes=v_dgamma,
                hint="dγ = Σ_rows dY ⊙ X̂")
        c.array(dbeta, dtype=np.float64, shape=gamma.shape, name="dbeta")
        c.close(dbeta, layer.dbeta, what=f"dbeta for {short}", mistakes=v_dbeta,
                hint="dβ = Σ_rows dY")
        c.true(np.allclose(dX.sum(axis=0), 0, atol=1e-10), f"the columns of dX sum to 0 ({short})",
               "the columns of dX do not sum to 0", hint="a shift of a whole column does not "
                                                        "change X̂, so dX has zero column sums")

    X = _bn_cases()[0][2].astype(np.float32)
    g32 = np.array([1.5, -0.5, 2.0], np.float32)
    dY = (rng.standard_normal(X.shape) / 5).astype(np.float32)
    layer = _bn(X, g32, np.zeros_like(g32), eps)
    layer.forward(X)
    dX_ref = layer.backward(dY)
    out = c.call(dY, X, g32, eps, label="float32 dY, X (5, 3), gamma")
    dX = out[0] if isinstance(out, (tuple, list)) else out
    c.array(dX, dtype=np.float32, shape=X.shape, name="dX")
    c.close(dX, dX_ref, what="float32 keeps float32", **F32)
    c.done()


# -- task 4: clipping by the global norm ----------------------------------------------------------


def _clip_variants(grads: list[np.ndarray], max_norm: float) -> list[tuple[np.ndarray, str]]:
    flat = np.concatenate([g.ravel() for g in grads])
    norm = np.sqrt(np.sum(flat**2))
    per_array = np.concatenate([
        (g * min(1.0, max_norm / np.linalg.norm(g))).ravel() for g in grads])
    return [
        (per_array, "clip by the global norm of all gradients together, √(Σ over every array "
                    "of Σ g²), not each array by its own norm"),
        (np.clip(flat, -max_norm, max_norm), "scale the whole gradient by max_norm / ‖g‖ (its "
                                             "direction is kept), not clip each value"),
        (flat * max_norm / np.sum(flat**2), "the norm is the square root of the sum of squares"),
        (flat * norm / max_norm, "the factor is max_norm / ‖g‖ (shrink), not ‖g‖ / max_norm"),
        (flat * max_norm / norm, "clip only when ‖g‖ > max_norm; smaller gradients stay as they "
                                 "are"),
    ]


def _clip_case(c: Checker, fn: Callable, grads: list[np.ndarray], max_norm: float, label: str,
               what: str, mistakes: bool = False, dtype: Any = np.float64) -> None:
    before = [g.copy() for g in grads]
    out = call_with_hints(
        c, grads, max_norm, label=label,
        hints={ZeroDivisionError: "with all-zero gradients ‖g‖ = 0, so max_norm / ‖g‖ divides by "
               "0: compute the scale only when ‖g‖ > max_norm"})
    for g, b in zip(grads, before, strict=True):
        if not np.array_equal(g, b):
            c.fail("the gradient arrays in the list you were given were changed in place; "
                   "return new arrays", hint="build new arrays: [g * scale for g in grads]")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        c.fail(f"expected a pair (clipped, norm), got {type(out).__name__}",
               hint="return the list of clipped arrays and the norm before clipping")
    clipped, norm = out
    if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
        c.fail(f"the clipped gradients should be a list of {len(grads)} arrays, got "
               f"{type(clipped).__name__}", hint="one clipped array per gradient, in order")
    c.ok("returns (list of arrays, norm)")
    for i, (g, h) in enumerate(zip(grads, clipped, strict=True)):
        c.array(h, dtype=dtype, shape=g.shape, name=f"clipped[{i}]")
    points = [Point(g, dtype=g.dtype) for g in grads]
    for p, g in zip(points, grads, strict=True):
        p.dvalue[...] = g
    ref_norm = clip_grad_norm([p.param for p in points], max_norm)
    c.close(c.number(norm, name="the norm"), ref_norm, what=f"the global norm before clipping "
            f"({what})", hint="‖g‖ = √(Σ over all arrays of Σ g²), computed before clipping",
            rtol=1e-5 if dtype == np.float32 else 1e-6,
            mistakes=[(sum(np.linalg.norm(g) for g in grads),
                       "the global norm is √(Σ of all squares), not the sum of the arrays' norms"),
                      (sum(np.sum(g.astype(np.float64) ** 2) for g in grads),
                       "take the square root of the sum of squares")] if mistakes else ())
    flat = np.concatenate([np.asarray(h, dtype=np.float64).ravel() for h in clipped])
    ref = np.concatenate([p.dvalue.ravel() for p in points])
    c.close(flat, ref, what=f"clipped gradients, all arrays flattened ({what})",
            hint="if ‖g‖ > max_norm, multiply every array by max_norm / ‖g‖; otherwise keep them",
            mistakes=_clip_variants(grads, max_norm) if mistakes else (),
            **(F32 if dtype == np.float32 else {}))


def check_clip_by_global_norm(clip_by_global_norm: Callable) -> None:
    """Scale all gradients by max_norm / ‖g‖ when the global norm ‖g‖ exceeds max_norm."""
    c = Checker("clip_by_global_norm", clip_by_global_norm)
    rng = np.random.default_rng(93)
    grads = [rng.standard_normal((3, 2)) * 4, rng.standard_normal(3) * 0.5,
             rng.standard_normal((2, 2)) * 2]
    _clip_case(c, clip_by_global_norm, grads, 5.0, "three gradients of shapes (3, 2), (3,), "
               "(2, 2) with global norm ≈ 9.76, max_norm = 5", "norm above max_norm",
               mistakes=True)
    small = [g / 10 for g in grads]
    _clip_case(c, clip_by_global_norm, small, 5.0, "the same gradients / 10 (norm ≈ 0.98), "
               "max_norm = 5", "norm below max_norm: unchanged", mistakes=True)
    _clip_case(c, clip_by_global_norm, [np.zeros((2, 3)), np.zeros(2)], 1.0,
               "all-zero gradients, max_norm = 1", "zero gradients stay zero, no 0/0")
    _clip_case(c, clip_by_global_norm, [np.array([[3.0, 4.0]])], 1.0,
               "one gradient [[3, 4]] (norm 5), max_norm = 1", "a single array")
    _clip_case(c, clip_by_global_norm, [g.astype(np.float32) for g in grads], 5.0,
               "float32 gradients, max_norm = 5", "float32 keeps float32", dtype=np.float32)
    c.done()


# -- task 5: the spread of tanh activations across depth, measured -------------------------------

#: a measured std per layer counts as right within this relative tolerance of the mean-field value.
#: Over 20 seeds at the check's sizes (500 × 256 inputs, 256 × 256 layers) the largest deviation
#: was 3 % (weight std 1/√n, 6 layers) and 0.5 % (2/√n); the typical mistakes are ≥ 25 % away.
SPREAD_RTOL = 0.08

_HERMITE = np.polynomial.hermite_e.hermegauss(101)


def _mean_field_stds(q1: float, gain: float, depth: int) -> np.ndarray:
    """std of tanh(z) per layer when z ~ N(0, q) with q₁ given and q_(l+1) = gain · Var(a_l).

    gain = n·σ_w² (σ_w the weight std, n the fan-in): a sum of n products w·a has that variance
    times Var(a). E[tanh²(z)] by Gauss–Hermite quadrature (101 nodes), E[tanh z] = 0."""
    x, w = _HERMITE
    w = w / w.sum()
    out, q = [], q1
    for _ in range(depth):
        var = float(np.sum(w * np.tanh(np.sqrt(q) * x) ** 2))
        out.append(np.sqrt(var))
        q = gain * var
    return np.array(out)


def _spread_mistakes(X: np.ndarray, weight_std: float, depth: int) -> list[tuple[np.ndarray, str]]:
    n = X.shape[1]
    gain, q1 = n * weight_std ** 2, weight_std ** 2 * n * float(np.mean(X ** 2))
    right = _mean_field_stds(q1, gain, depth)
    pre = np.sqrt(np.concatenate([[q1], gain * right[:-1] ** 2]))
    return [
        (right ** 2, "those are variances: return the standard deviation of each layer's "
                     "activations (.std())"),
        (pre, "those are the spreads of the pre-activations z = a·W; record the std after tanh"),
        (np.full(depth, right[0]), "every layer starts from X: feed each layer's output "
                                   "activations into the next layer"),
        (_mean_field_stds(q1 / n, gain / n, depth), "weight_std is already the weights' std: "
                                                    "draw W with that std, do not divide by √n again"),
        (_mean_field_stds(q1 * n, gain * n, depth), "weight_std is already the weights' std: "
                                                    "draw W with exactly that std, do not multiply "
                                                    "it by √n"),
    ]


def _spread_case(c: Checker, fn: Callable, X: np.ndarray, weight_std: float, depth: int,
                 seed: int, label: str, what: str) -> np.ndarray:
    out = c.call(X, weight_std, depth, np.random.default_rng(seed), label=label, fn=fn)
    c.array(out, dtype=np.float64, shape=(depth,))
    n = X.shape[1]
    expected = _mean_field_stds(weight_std ** 2 * n * float(np.mean(X ** 2)), n * weight_std ** 2,
                                depth)
    c._comparing()
    if not np.all(np.isfinite(out)):
        c.fail(f"{what}: got a non-finite std {_fmt(out)}",
               hint="an overflow: tanh keeps every activation in [−1, 1], so check the order of "
                    "tanh and the product")
    rel = np.abs(out - expected) / expected
    if np.any(rel > SPREAD_RTOL):
        i = int(np.argmax(rel > SPREAD_RTOL))
        hint = next((h for wrong, h in _spread_mistakes(X, weight_std, depth)
                     if np.all(np.abs(out - wrong) <= SPREAD_RTOL * np.abs(wrong))),
                    "each layer takes the previous layer's activations (X for the first), "
                    "multiplies them by a fresh (n, n) matrix of N(0, weight_std²) weights, "
                    "applies tanh (no bias); its value is the std of all its activations")
        c.fail(f"{what}: layer {i + 1} has activation std {out[i]:.3g}, expected about "
               f"{expected[i]:.3g} (within {SPREAD_RTOL:.0%}; a random network varies a little, "
               f"not this much)", hint=hint)
    c.ok(what)
    c._compared()
    return out


def check_tanh_layer_stds(tanh_layer_stds: Callable) -> None:
    """Per-layer std of a tanh network's activations, measured with a forward pass of X through
    ``depth`` layers with N(0, weight_std²) weights drawn from ``rng``; float64, shape (depth,).

    A random network is compared with the mean-field value (within ``SPREAD_RTOL``), not with one
    draw of weights, so any order of drawing the weights from ``rng`` is accepted."""
    c = Checker("tanh_layer_stds", tanh_layer_stds)
    n = 256
    X = np.random.default_rng(1).standard_normal((500, n))
    _spread_case(c, tanh_layer_stds, X, 1.0 / np.sqrt(n), 6, 2,
                 "X (500 × 256) ~ N(0, 1), weight_std = 1/√256, depth = 6, rng = default_rng(2)",
                 "values on small cases")
    _spread_case(c, tanh_layer_stds, X, 2.0 / np.sqrt(n), 4, 3,
                 "X (500 × 256), weight_std = 2/√256, depth = 4, rng = default_rng(3)",
                 "a larger weight std (tanh near saturation)")
    _spread_case(c, tanh_layer_stds, X[:100, :64], 1.0 / 8.0, 1, 4,
                 "X (100 × 64), weight_std = 1/√64, depth = 1", "depth = 1")

    out = c.call(X, 0.0, 3, np.random.default_rng(5), label="weight_std = 0, depth = 3")
    c.array(out, dtype=np.float64, shape=(3,))
    c.close(out, np.zeros(3), what="weight_std = 0: every activation is tanh(0) = 0",
            hint="with all weights 0 every layer outputs 0, so each std is exactly 0")

    first = c.call(X, 1.0 / np.sqrt(n), 3, np.random.default_rng(7),
                   label="X (500 × 256), weight_std = 1/√256, depth = 3, rng = default_rng(7)")
    again = c.call(X, 1.0 / np.sqrt(n), 3, np.random.default_rng(7),
                   label="the same call again, with a fresh default_rng(7)")
    c.array(again, dtype=np.float64, shape=(3,))
    c.true(np.array_equal(np.asarray(first), again), "the same rng seed gives the same stds",
           f"two calls with default_rng(7) gave {_fmt(np.asarray(first))} and {_fmt(again)}",
           hint="draw every weight from the rng argument (rng.normal or rng.standard_normal), "
                "not from np.random")
    c.done()
