"""Checks for ``exercises/05_backprop_derivation.ipynb``.

One check per task: :func:`check_delta_softmax_ce`, :func:`check_delta_back`,
:func:`check_param_grads`, :func:`check_gradient_check`, :func:`check_backward_221`. Expected
values come from the batch formulas of the course notation — Δ = (P − Y)/m, Δ_prev = (Δ @ W) ⊙
g′(Z_prev), dW = Δᵀ A_prev, db = Σ_rows Δ — from :mod:`backprop_lab.gradcheck`, and, for the
lesson's hand-worked 2-2-1 network (section 0), from the column-vector formulas δ⁽²⁾ = a⁽²⁾ − y,
δ⁽¹⁾ = (W⁽²⁾ᵀδ⁽²⁾) ⊙ σ′(z⁽¹⁾), dW = δ a_prevᵀ, db = δ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_lab import activations as act
from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import call_with_hints
from backprop_lab.gradcheck import numerical_gradient, relative_error

__all__ = ["check_backward_221", "check_delta_back", "check_delta_softmax_ce",
           "check_gradient_check", "check_param_grads"]

F32 = {"rtol": 1e-5, "atol": 1e-6}


def _probs_and_onehot(rng: np.random.Generator, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    P = act.softmax(rng.standard_normal((m, k)))
    Y = np.eye(k)[rng.integers(0, k, size=m)]
    return P, Y


def check_delta_softmax_ce(delta_softmax_ce: Callable) -> None:
    """Δ = ∂L/∂Z = (P − Y)/m for softmax + mean cross-entropy; P, Y of shape (m, k)."""
    c = Checker("delta_softmax_ce", delta_softmax_ce)
    rng = np.random.default_rng(5)
    P, Y = _probs_and_onehot(rng, 4, 3)
    label = "P = softmax(Z) of shape (4, 3), one-hot Y (4, 3)"
    out = c.call(P, Y, label=label)
    c.array(out, dtype=np.float64, shape=(4, 3))
    m, k = P.shape
    c.close(out, (P - Y) / m, hint="Δ = (P − Y)/m: the softmax Jacobian and the derivative of "
                                   "the mean cross-entropy combine into this", mistakes=[
        (P - Y, "the 1/m is missing: L is the mean over the m examples, so Δ carries 1/m"),
        ((Y - P) / m, "wrong sign: predicted minus true, (P − Y)/m"),
        (P / m, "subtract the one-hot labels Y"),
        ((P - Y) / (m * k), "divide by m (the number of examples), not by m·k"),
        ((P - Y) * P * (1 - P) / m, "no extra factor P(1 − P): through softmax + cross-entropy "
                                    "the Jacobian cancels down to exactly (P − Y)/m"),
        (-Y / P / m, "that is ∂L/∂P; Δ is the gradient with respect to the logits Z"),
    ])
    c.true(np.allclose(out.sum(axis=1), 0.0), "every row of Δ sums to 0",
           "rows of Δ do not sum to 0", hint="rows of P and of Y both sum to 1")

    out = c.call(Y.copy(), Y, label="a perfect prediction P = Y")
    c.array(out, dtype=np.float64, shape=(4, 3))
    c.close(out, np.zeros_like(Y), what="a perfect prediction gives Δ = 0")

    P1, Y1 = _probs_and_onehot(rng, 1, 5)
    out = c.call(P1, Y1, label="a batch of one, P and Y of shape (1, 5)")
    c.array(out, dtype=np.float64, shape=(1, 5))
    c.close(out, P1 - Y1, what="a batch of one (m = 1)")

    P32, Y32 = P.astype(np.float32), Y.astype(np.float32)
    out = c.call(P32, Y32, label="float32 " + label)
    c.array(out, dtype=np.float32, shape=(4, 3))
    c.close(out, (P32 - Y32) / 4, what="float32 input keeps float32", **F32)
    c.done()


def check_delta_back(delta_back: Callable) -> None:
    """Δ_prev = (Δ @ W) ⊙ g′(Z_prev): (m, n) and (n, n_prev) → (m, n_prev)."""
    c = Checker("delta_back", delta_back)
    rng = np.random.default_rng(6)
    D = rng.standard_normal((3, 3))
    W = rng.standard_normal((3, 3))
    Zp = rng.standard_normal((3, 3))
    label = "Delta (3, 3), W (3, 3), Z_prev (3, 3), g_prime = tanh′"
    out = c.call(D, W, Zp, act.tanh_grad, label=label)
    c.array(out, dtype=np.float64, shape=(3, 3))
    gp = act.tanh_grad(Zp)
    c.close(out, (D @ W) * gp, hint="Δ_prev = (Δ @ W) ⊙ g′(Z_prev): the row form of "
                                    "δ⁽ˡ⁻¹⁾ = (W⁽ˡ⁾ᵀδ⁽ˡ⁾) ⊙ g′(z⁽ˡ⁻¹⁾)", mistakes=[
        ((D @ W.T) * gp, "no transpose here: W has shape (n_l, n_(l−1)), and (W^T δ)^T = δ^T W, "
                         "so the row form is Δ @ W"),
        (D @ W, "multiply element-wise by g′(Z_prev): the gradient also flows through the "
                "activation"),
        ((D @ W) * Zp, "multiply by g′(Z_prev) (call g_prime), not by Z_prev itself"),
        ((D @ W) * np.tanh(Zp), "multiply by the derivative g′(Z_prev), not by the activation "
                                "g(Z_prev)"),
        ((D @ W) * act.tanh_grad(np.tanh(Zp)), "g′ goes to the pre-activation Z_prev: you applied it "
         "to the activation A_prev = g(Z_prev). g_prime(Z_prev), not g_prime(g(Z_prev))"),
        ((D @ W) * act.tanh_grad(D @ W), "g′ goes to Z_prev, the pre-activation of the layer "
         "below, not to the incoming gradient Δ @ W: (Δ @ W) ⊙ g_prime(Z_prev)"),
        ((D @ W) * act.tanh_grad(D), "g′ goes to Z_prev, not to Δ: (Δ @ W) ⊙ g_prime(Z_prev)"),
        ((D @ W) @ gp, "⊙ is the element-wise product (*), not a matrix product (@)"),
    ])

    D = rng.standard_normal((4, 2))
    W = rng.standard_normal((2, 3))
    Zp = rng.standard_normal((4, 3))
    out = c.call(D, W, Zp, act.relu_grad, label="Delta (4, 2), W (2, 3), Z_prev (4, 3), "
                                                "g_prime = relu′")
    c.array(out, dtype=np.float64, shape=(4, 3))
    c.close(out, (D @ W) * act.relu_grad(Zp), what="n_l = 2 ≠ n_(l−1) = 3, with ReLU′",
            hint="use the g_prime you are given, applied to Z_prev")

    D1, Zp1 = D[:1], Zp[:1]
    out = c.call(D1, W, Zp1, act.relu_grad, label="a batch of one: Delta (1, 2), Z_prev (1, 3)")
    c.array(out, dtype=np.float64, shape=(1, 3))
    c.close(out, (D1 @ W) * act.relu_grad(Zp1), what="a batch of one")

    args32 = [x.astype(np.float32) for x in (D, W, Zp)]
    out = c.call(*args32, act.tanh_grad, label="float32 Delta (4, 2), W (2, 3), Z_prev (4, 3)")
    c.array(out, dtype=np.float32, shape=(4, 3))
    c.close(out, (args32[0] @ args32[1]) * act.tanh_grad(args32[2]),
            what="float32 input keeps float32", **F32)
    c.done()


def _check_pair(c: Checker, out: object) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        c.fail(f"expected a pair (dW, db), got {type(out).__name__}"
               + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""),
               hint="return dW, db")
    c.ok("returns a pair (dW, db)")
    return out[0], out[1]


def _check_db_shape(c: Checker, db: np.ndarray, m: int, n: int) -> None:
    if db.shape == (1, n):
        c.fail(f"db has shape {db.shape}, expected ({n},)",
               hint="b has shape (n_l,), so db must too: sum without keepdims")
    if db.shape == (m,):
        c.fail(f"db has shape {db.shape}, expected ({n},)",
               hint="you summed over the neurons (axis 1); sum over the batch (axis 0)")


def check_param_grads(param_grads: Callable) -> None:
    """dW = Δᵀ A_prev (shape of W), db = Δ summed over the batch (shape of b)."""
    c = Checker("param_grads", param_grads)
    rng = np.random.default_rng(7)
    m, n = 4, 3
    D = rng.standard_normal((m, n)) / m
    A = rng.standard_normal((m, n))
    out = c.call(D, A, label="Delta (4, 3), A_prev (4, 3)")
    dW, db = _check_pair(c, out)
    c.array(dW, dtype=np.float64, shape=(n, n), name="dW")
    c.close(dW, D.T @ A, what="dW values", hint="dW = Δᵀ A_prev: the row form of δ a_prevᵀ, "
                                                "summed over the batch", mistakes=[
        (A.T @ D, "dW is transposed: it must have W's shape (n_l, n_(l−1)), rows following the "
                  "layer's outputs, so Δ goes first: Δᵀ A_prev"),
        (D.T @ A / m, "Δ already carries the 1/m of the mean loss: do not divide again"),
        (D.T @ A * m, "do not multiply by m: Δ's 1/m is exactly what the mean loss asks for"),
        (D * A, "dW is a matrix product (summing over the batch), not an element-wise product"),
    ])
    c.array(db, dtype=np.float64, name="db")
    _check_db_shape(c, db, m, n)
    c.array(db, shape=(n,), name="db")
    c.close(db, D.sum(axis=0), what="db values", hint="db = Δ summed over the batch (the rows)",
            mistakes=[
                (D.mean(axis=0), "Δ already carries the 1/m of the mean loss: sum over the rows, "
                                 "do not average"),
                (D.sum(axis=1)[:n], "sum over the batch (axis 0), not over the neurons"),
                (D[0], "sum over all rows of Δ, not only the first example"),
            ])

    m, n, n_prev = 5, 2, 3
    D = rng.standard_normal((m, n)) / m
    A = rng.standard_normal((m, n_prev))
    out = c.call(D, A, label="Delta (5, 2), A_prev (5, 3)")
    dW, db = _check_pair(c, out)
    c.array(dW, dtype=np.float64, shape=(n, n_prev), name="dW")
    c.close(dW, D.T @ A, what="dW with n_l = 2 ≠ n_(l−1) = 3")
    c.array(db, dtype=np.float64, name="db")
    _check_db_shape(c, db, m, n)
    c.array(db, shape=(n,), name="db")
    c.close(db, D.sum(axis=0), what="db with n_l = 2")

    D1, A1 = D[:1], A[:1]
    dW, db = _check_pair(c, c.call(D1, A1, label="a batch of one: Delta (1, 2), A_prev (1, 3)"))
    c.array(dW, dtype=np.float64, shape=(n, n_prev), name="dW")
    c.close(dW, np.outer(D1[0], A1[0]), what="a batch of one: dW = δ a_prevᵀ")
    c.array(db, dtype=np.float64, shape=(n,), name="db")
    c.close(db, D1[0], what="a batch of one: db = δ")

    D32, A32 = D.astype(np.float32), A.astype(np.float32)
    dW, db = _check_pair(c, c.call(D32, A32, label="float32 Delta (5, 2), A_prev (5, 3)"))
    c.array(dW, dtype=np.float32, shape=(n, n_prev), name="dW")
    c.array(db, dtype=np.float32, shape=(n,), name="db")
    c.close(dW, D32.T @ A32, what="float32 input keeps float32", **F32)
    c.done()


def _reference(f: Callable, grad_f: Callable, x: np.ndarray, h: float) -> float:
    xc = x.copy()
    numeric = numerical_gradient(lambda: f(xc), xc, h)
    return float(np.max(relative_error(grad_f(x), numeric)))


def _cube(x: np.ndarray) -> float:
    return float(np.sum(x ** 3))


def _cube_grad(x: np.ndarray) -> np.ndarray:
    return 3 * x ** 2


def _wavy(x: np.ndarray) -> float:
    return float(np.sum(np.sin(x) * x ** 2))


def _wavy_grad(x: np.ndarray) -> np.ndarray:
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


def check_gradient_check(gradient_check: Callable) -> None:
    """max over entries of |a − n| / max(|a| + |n|, 1e-8), n by central differences with step h."""
    c = Checker("gradient_check", gradient_check)
    hint = ("n_i = (f(x + h e_i) − f(x − h e_i)) / 2h for each entry i (on a copy of x), then "
            "r = max_i |a_i − n_i| / max(|a_i| + |n_i|, 1e-8)")
    x = np.array([1.0, -2.0])
    h = 0.01
    out = c.number(c.call(_cube, _cube_grad, x, h,
                          label="f(x) = Σ x³, grad_f(x) = 3x², x = [1, -2], h = 0.01"))
    a = _cube_grad(x)
    central = a + h * h          # exact for a cubic: ((x + h)³ − (x − h)³) / 2h = 3x² + h²
    forward = 3 * x ** 2 + 3 * x * h + h * h
    c.close(out, _reference(_cube, _cube_grad, x, h), rtol=1e-4,
            what="relative error for f = Σ x³ with h = 0.01 (central differences are off by "
                 "exactly h² here)", hint=hint, mistakes=[
                (np.max(relative_error(a, forward)),
                 "use the central difference (f(x + h) − f(x − h)) / 2h: its error is O(h²); the "
                 "one-sided (f(x + h) − f(x)) / h has an O(h) error"),
                (np.max(relative_error(a, 2 * central)), "divide by 2h: the two points are 2h apart"),
                (np.max(np.abs(a - central)), "that is the absolute error; divide by "
                 "max(|a| + |n|, 1e-8) to make it relative"),
                (np.mean(relative_error(a, central)), "take the maximum over the entries, not the "
                                                      "mean"),
                (np.max(np.abs(a - central) / np.maximum(np.abs(a), np.abs(central))),
                 "this course divides by |a| + |n| (with a floor of 1e-8), not by max(|a|, |n|)"),
                (np.linalg.norm(a - central) / (np.linalg.norm(a) + np.linalg.norm(central)),
                 "compare entry by entry and take the largest relative error, not a ratio of "
                 "norms"),
                (np.max(relative_error(a, a + 1e-10)), "use the step h you are given"),
                (np.max(relative_error(a, np.sum(central))), "perturb one entry at a time (h·e_i "
                 "changes only entry i), giving one difference quotient per entry"),
            ])

    rng = np.random.default_rng(8)
    X = rng.standard_normal((2, 3))

    def wrong_grad(x: np.ndarray) -> np.ndarray:
        g = _wavy_grad(x)
        g[1, 2] *= 1.1
        return g

    out = c.number(c.call(_wavy, wrong_grad, X, label="f(x) = Σ sin(x)·x², a gradient that is "
                                                       "10 % off at [1, 2], x of shape (2, 3)"))
    c.close(out, _reference(_wavy, wrong_grad, X, 1e-5), rtol=1e-4,
            what="a wrong gradient gives a large relative error (x of shape (2, 3))",
            hint="perturb one entry at a time, for an x of any shape (e.g. loop over np.ndindex(x.shape))")

    out = c.number(c.call(_wavy, _wavy_grad, X, label="f(x) = Σ sin(x)·x² with its correct "
                                                       "gradient, x of shape (2, 3)"))
    c.true(0.0 <= out < 1e-7, "a correct gradient gives a relative error < 1e-7",
           f"a correct gradient gave a relative error of {out:.3g}, expected < 1e-7 (about 1e-10)",
           hint="use central differences with the default h = 1e-5; " + hint)

    X32 = X.astype(np.float32)
    out = c.number(c.call(_wavy, lambda x: _wavy_grad(np.asarray(x, dtype=np.float64)), X32,
                          label="f(x) = Σ sin(x)·x² with its correct gradient, a float32 x of "
                                "shape (2, 3)"))
    c.true(0.0 <= out < 1e-7, "a float32 x is perturbed in float64",
           f"a correct gradient gave a relative error of {out:.3g}, expected < 1e-7 (about 1e-10)",
           hint="x is float32 here, and in float32 x + 1e-5 is rounded to a different step than h: "
                "perturb a float64 copy of x (x.astype(np.float64)), as the task says")

    zeros = np.zeros(3)
    out = c.number(call_with_hints(
        c, lambda x: float(np.sum(x ** 2)), lambda x: 2 * x, zeros,
        label="f(x) = Σ x², grad_f(x) = 2x at x = 0 (both gradients are 0)", numpy_errors=True,
        hints={FloatingPointError: "both the analytic and the numerical gradient are 0 here: 0/0. "
               "The denominator has a floor: max(|a| + |n|, 1e-8)"}))
    c.close(out, 0.0, atol=1e-12, what="a zero gradient gives 0, not NaN",
            hint="the denominator has a floor: max(|a| + |n|, 1e-8)")
    c.done()


# -- the lesson's 2-2-1 network, worked by hand (lesson 05, section 0) ---------------------------

_NAMES_221 = ("delta2", "delta1", "dW1", "db1", "dW2", "db2")


def _forward_221(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                 b2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    z1 = W1 @ x + b1
    a1 = act.sigmoid(z1)
    z2 = W2 @ a1 + b2
    return z1, a1, z2, act.sigmoid(z2)


def _backward_221_parts(x: np.ndarray, y: float, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                        b2: np.ndarray) -> dict[str, np.ndarray]:
    """The right answer and the typical wrong pieces, by name."""
    z1, a1, z2, a2 = _forward_221(x, W1, b1, W2, b2)
    d2 = a2 - y
    s1 = a1 * (1 - a1)
    d1 = (W2.T @ d2) * s1
    with np.errstate(all="ignore"):
        via_dlda = (-(y / a2) + (1 - y) / (1 - a2)) * a2 * (1 - a2)
    return {
        "delta2": d2, "delta1": d1, "dW1": np.outer(d1, x), "db1": d1,
        "dW2": np.outer(d2, a1), "db2": d2,
        # typical mistakes
        "d2_sign": y - a2, "d2_twice": d2 * a2 * (1 - a2), "d2_z": z2 - y, "d2_dlda": via_dlda,
        "d1_no_sp": W2.T @ d2, "d1_sp_of_a": (W2.T @ d2) * act.sigmoid(a1) * (1 - act.sigmoid(a1)),
        "d1_sp_of_z": (W2.T @ d2) * z1 * (1 - z1), "d1_times_a": (W2.T @ d2) * a1,
        "d1_sign": -d1,
        "dW1_T": np.outer(x, d1), "dW1_a": np.outer(d1, a1), "dW2_x": np.outer(d2, x),
    }


def _check_221(c: Checker, out: object, x: np.ndarray, y: float, W1: np.ndarray, b1: np.ndarray,
               W2: np.ndarray, b2: np.ndarray, what: str = "") -> None:
    d2, d1, dW1, db1, dW2, db2 = c.results(out, _NAMES_221, kind="6 results")
    h, n = W1.shape
    for arr, name, shape in ((d2, "delta2", (1,)), (d1, "delta1", (h,)), (dW1, "dW1", (h, n)),
                             (db1, "db1", (h,)), (dW2, "dW2", (1, h)), (db2, "db2", (1,))):
        c.array(arr, dtype=np.float64, shape=shape, name=name)
    r = _backward_221_parts(x, y, W1, b1, W2, b2)
    tag = f" ({what})" if what else ""
    comps = [
        (d2, r["delta2"], dict(what="δ⁽²⁾" + tag,
            hint="δ⁽²⁾ = ∂𝓛/∂z⁽²⁾ = a⁽²⁾ − y for a sigmoid output with binary cross-entropy",
            mistakes=[
                (r["d2_sign"], "wrong sign: δ⁽²⁾ = a⁽²⁾ − y (the output minus the target), not "
                               "y − a⁽²⁾; gradient descent then subtracts it"),
                (r["d2_twice"], "the σ′(z⁽²⁾) = a(1 − a) of the output is already inside "
                                "a⁽²⁾ − y (it cancelled against ∂𝓛/∂a): do not multiply by it "
                                "again"),
                (r["d2_z"], "δ⁽²⁾ = a⁽²⁾ − y uses the output a⁽²⁾ = σ(z⁽²⁾), not z⁽²⁾"),
                (r["d2_dlda"], "∂𝓛/∂a · σ′ divides by a(1 − a), which is 0 once σ saturates (a⁽²⁾ "
                               "rounds to 1): use the simplified δ⁽²⁾ = a⁽²⁾ − y"),
            ])),
        (dW2, r["dW2"], dict(what="dW2" + tag,
            hint="dW⁽²⁾ = δ⁽²⁾ a⁽¹⁾ᵀ (np.outer(delta2, a1)): the hidden activations, shape (1, n_hidden)",
            mistakes=[(r["dW2_x"], "dW⁽²⁾ multiplies δ⁽²⁾ by the input of layer 2, the hidden "
                                   "activations a⁽¹⁾, not by x")])),
        (db2, r["db2"], dict(what="db2" + tag, hint="db⁽²⁾ = δ⁽²⁾")),
        (d1, r["delta1"], dict(what="δ⁽¹⁾" + tag,
            hint="δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾) ⊙ σ′(z⁽¹⁾) with σ′(z⁽¹⁾) = a⁽¹⁾(1 − a⁽¹⁾)",
            mistakes=[
                (r["d1_no_sp"], "missing σ′: the gradient also flows through the hidden sigmoid, "
                                "multiply element-wise by σ′(z⁽¹⁾) = a⁽¹⁾(1 − a⁽¹⁾)"),
                (r["d1_sp_of_a"], "σ′ belongs to z⁽¹⁾: σ′(z⁽¹⁾) = a⁽¹⁾(1 − a⁽¹⁾); you applied "
                                  "the sigmoid to a⁽¹⁾ a second time"),
                (r["d1_sp_of_z"], "σ′(z) = σ(z)(1 − σ(z)) = a⁽¹⁾(1 − a⁽¹⁾), not z(1 − z)"),
                (r["d1_times_a"], "σ′(z⁽¹⁾) is a⁽¹⁾(1 − a⁽¹⁾), not a⁽¹⁾ alone"),
                (r["d1_sign"], "wrong sign: δ⁽¹⁾ has the sign of W⁽²⁾ᵀ δ⁽²⁾ (σ′ > 0); check the "
                               "sign of δ⁽²⁾ = a⁽²⁾ − y"),
            ])),
        (dW1, r["dW1"], dict(what="dW1" + tag,
            hint="dW⁽¹⁾ = δ⁽¹⁾ xᵀ (np.outer(delta1, x)): row j holds the gradients of the weights "
                 "into hidden unit j",
            mistakes=[
                (r["dW1_T"], "dW1 is transposed: it has W⁽¹⁾'s layout, row j = the weights into "
                             "hidden unit j, so δ⁽¹⁾ goes first: np.outer(delta1, x) = δ⁽¹⁾ xᵀ"),
                (r["dW1_a"], "dW⁽¹⁾ multiplies δ⁽¹⁾ by the input of layer 1, x, not by a⁽¹⁾"),
            ])),
        (db1, r["db1"], dict(what="db1" + tag, hint="db⁽¹⁾ = δ⁽¹⁾")),
    ]
    # the six results count as one step: the first failing one is reported (with its own hint)
    # before any passes, so the "values on the first case" quarter needs all six right
    for got, ref, kw in comps:
        if not np.allclose(np.asarray(got, dtype=np.float64), ref, rtol=1e-6, atol=1e-9):
            c.close(got, ref, **kw)
    for got, ref, kw in comps:
        c.close(got, ref, **kw)


def check_backward_221(backward_221: Callable) -> None:
    """The lesson 05 §0 network: sigmoid hidden layer, sigmoid output + BCE, one example as a
    column vector. Returns (δ⁽²⁾, δ⁽¹⁾, dW1, db1, dW2, db2)."""
    c = Checker("backward_221", backward_221)
    x, y = np.array([1.0, 2.0]), 1.0
    W1, b1 = np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([0.1, -0.1])
    W2, b2 = np.array([[0.5, -0.6]]), np.array([0.2])
    out = c.call(x, y, W1, b1, W2, b2, label="the lesson's 2-2-1 network (x = (1, 2), y = 1, "
                                              "W1 = [[0.1, 0.2], [-0.3, 0.4]], b1 = (0.1, -0.1), "
                                              "W2 = [[0.5, -0.6]], b2 = (0.2,))")
    _check_221(c, out, x, y, W1, b1, W2, b2)

    rng = np.random.default_rng(21)
    for n, h, y in ((3, 4, 0.0), (2, 3, 1.0), (5, 1, 0.0)):
        x = rng.standard_normal(n)
        W1, b1 = rng.standard_normal((h, n)), rng.standard_normal(h)
        W2, b2 = rng.standard_normal((1, h)), rng.standard_normal(1)
        out = c.call(x, y, W1, b1, W2, b2, label=f"a random network with {n} inputs and {h} "
                                                 f"hidden units, y = {y:g}")
        _check_221(c, out, x, y, W1, b1, W2, b2, what="random networks, y = 0 and 1")

    x, y = np.array([1.0, 2.0]), 0.0
    W1, b1 = np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([0.1, -0.1])
    W2, b2 = np.array([[40.0, 40.0]]), np.array([20.0])
    out = c.call(x, y, W1, b1, W2, b2, label="a saturated output: z⁽²⁾ ≈ 70, so a⁽²⁾ rounds to "
                                              "1.0, and y = 0")
    _check_221(c, out, x, y, W1, b1, W2, b2, what="saturated output")
    c.done()
