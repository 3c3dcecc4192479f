"""The lesson 03 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import math

import numpy as np

from backprop_lab.checks.lesson03 import (
    check_best_step_size,
    check_find_lr_limits,
    check_first_divergence,
    check_gd_path,
    check_gd_step,
)

# -- independent reference implementations ---------------------------------------------------------


def gd_step(theta, grad, lr):
    return theta - lr * grad


def gd_path(a, x0, lr, n_steps):
    path = [float(x0)]
    for _ in range(n_steps):
        path.append(path[-1] - lr * a * path[-1])
    return np.array(path)


def first_divergence(losses, threshold):
    bad = np.flatnonzero(~(np.asarray(losses) <= threshold))
    return int(bad[0]) if bad.size else None


def best_step_size(H):
    H = np.asarray(H, dtype=np.float64)
    if H.shape != (2, 2) or not np.allclose(H, H.T):
        raise ValueError(f"H must be a symmetric 2x2 matrix, got {H}")
    lam = np.linalg.eigvalsh(H)
    if lam[0] <= 0:
        raise ValueError(f"H must be positive definite, eigenvalues {lam}")
    return 2.0 / (lam[0] + lam[1])


def find_lr_limits(grad, etas, n_steps=20, *, strict=True, first=True):
    """Run every η from w = 1; first η whose run flips sign every step / ends with |w_n| > 1."""
    osc = div = None
    for eta in (etas if first else etas[::-1]):
        ws = [1.0]
        for _ in range(n_steps):
            ws.append(ws[-1] - eta * grad(ws[-1]))
        ws = np.array(ws)
        flips = ws[1:] * ws[:-1] < 0 if strict else ws[1:] * ws[:-1] <= 0
        grows = abs(ws[-1]) > 1.0 if strict else abs(ws[-1]) >= 1.0
        if osc is None and flips.all():
            osc = float(eta)
        if div is None and grows:
            div = float(eta)
    return osc, div


REFERENCES = [
    (check_gd_step, gd_step),
    (check_gd_path, gd_path),
    (check_find_lr_limits, find_lr_limits),
    (check_first_divergence, first_divergence),
    (check_best_step_size, best_step_size),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def gd_step_inplace(theta, grad, lr):
    theta -= lr * grad
    return theta


def path_without_x0(a, x0, lr, n_steps):
    return gd_path(a, x0, lr, n_steps)[1:]


def path_shifted(a, x0, lr, n_steps):
    return gd_path(a, x0, lr, n_steps + 1)[1:]


def first_divergence_gt(losses, threshold):  # NaN > threshold is False
    for i, loss in enumerate(losses):
        if loss > threshold:
            return i
    return None


def first_divergence_minus_one(losses, threshold):
    out = first_divergence(losses, threshold)
    return -1 if out is None else out


def first_divergence_ge(losses, threshold):
    bad = np.flatnonzero(~(np.asarray(losses) < threshold))
    return int(bad[0]) if bad.size else None


def best_step_no_validation(H):
    lam = np.linalg.eigvalsh(H)
    return 2.0 / (lam[0] + lam[1])


def best_step_wrong_error(H):
    if np.linalg.eigvalsh(H)[0] <= 0:
        raise TypeError("not positive definite")
    return best_step_size(H)


def path_stops_early(a, x0, lr, n_steps):  # gives up once |x| is large
    path = gd_path(a, x0, lr, n_steps)
    big = np.flatnonzero(np.abs(path) > 1e6)
    return path[: big[0]] if big.size else path


def best_step_allows_zero(H):  # accepts a singular H (eigenvalue 0)
    H = np.asarray(H, dtype=float)
    if H.shape != (2, 2) or not np.allclose(H, H.T):
        raise ValueError("H must be a symmetric 2×2 matrix")
    lam = np.linalg.eigvalsh(H)
    if lam[0] < 0:
        raise ValueError("H must not have negative eigenvalues")
    return 2.0 / (lam[0] + lam[1])

MISTAKES = [
    (check_gd_step, lambda t, g, lr: t + lr * g, "you stepped uphill"),
    (check_gd_step, lambda t, g, lr: t - g, "the learning rate η is missing"),
    (check_gd_step, lambda t, g, lr: lr * g, "return the new point"),
    (check_gd_step, gd_step_inplace, "argument `theta` was changed in place"),
    (check_gd_step, lambda t, g, lr: (t - lr * g).astype(np.float64), "expected float32"),
    (check_gd_path, lambda a, x0, lr, n: gd_path(1.0, x0, lr, n), "the factor a is missing"),
    (check_gd_path, lambda a, x0, lr, n: gd_path(a / 2, x0, lr, n), "the ½ cancels"),
    (check_gd_path, lambda a, x0, lr, n: gd_path(-a, x0, lr, n), "you stepped uphill"),
    (check_gd_path, path_without_x0, "include the start"),
    (check_gd_path, path_shifted, "the first entry must be x₀ itself"),
    (check_gd_path, lambda a, x0, lr, n: gd_path(a, x0, lr, n)[-1], "should be a NumPy array"),
    (check_gd_path, lambda a, x0, lr, n: list(gd_path(a, x0, lr, n)), "should be a NumPy array"),
    (check_first_divergence, first_divergence_gt, "`nan > threshold` is False"),
    (check_first_divergence, first_divergence_minus_one, "return None (not −1)"),
    (check_first_divergence, first_divergence_ge, "use >, not ≥"),
    (check_first_divergence, lambda ls, t: first_divergence(ls, t) + 1, "indices count from 0"),
    (check_first_divergence, lambda ls, t: float(first_divergence(ls, t)), "expected an int"),
    (check_first_divergence, lambda ls, t: int(np.flatnonzero(np.asarray(ls) > t)[-1]),
     "you returned the last step"),
    (check_best_step_size, lambda H: 2 / np.linalg.eigvalsh(H)[-1], "where gradient descent "
                                                                    "starts to diverge"),
    (check_best_step_size, lambda H: 1 / np.linalg.eigvalsh(H)[-1], "safe but not the best"),
    (check_best_step_size, lambda H: 1 / np.linalg.eigvalsh(H).sum(), "the numerator is 2"),
    (check_best_step_size, lambda H: 2 / np.ptp(np.linalg.eigvalsh(H)), "add the eigenvalues"),
    (check_best_step_size, lambda H: 2 / math.sqrt(np.linalg.det(H)), "not their product"),
    (check_best_step_size, best_step_no_validation, "instead of raising ValueError"),
    (check_best_step_size, best_step_wrong_error, "should raise a ValueError"),
    (check_gd_path, path_stops_early, "do not stop when |x| grows"),
    (check_best_step_size, best_step_allows_zero, "an eigenvalue 0"),
]



def limits_by_formula(grad, etas, n_steps=20):  # asks for the slope once, returns 1/λ and 2/λ
    lam = grad(1.0)
    return 1.0 / lam, 2.0 / lam


def limits_formula_after_runs(grad, etas, n_steps=20):  # runs, but returns the formula's values
    find_lr_limits(grad, etas, n_steps)
    return limits_by_formula(grad, etas, n_steps)


def limits_formula_nearest(grad, etas, n_steps=20):  # the grid value nearest to 1/λ, 2/λ
    lam = grad(1.0)
    return tuple(float(etas[np.argmin(np.abs(etas - t / lam))]) for t in (1, 2))


def limits_last_converging(grad, etas, n_steps=20):  # the η just before each boundary
    osc, div = find_lr_limits(grad, etas, n_steps)
    prev = {float(b): float(a) for a, b in zip(etas[:-1], etas[1:], strict=True)}
    return prev.get(osc, osc), prev.get(div, div)


def limits_uphill(grad, etas, n_steps=20):  # w ← w + η·grad(w): never oscillates
    return find_lr_limits(lambda w: -grad(w), etas, n_steps)


def limits_half_step(grad, etas, n_steps=20):  # w ← w − η·grad(w)/2: limits twice too large
    return find_lr_limits(lambda w: grad(w) / 2, etas, n_steps)


MISTAKES += [
    (check_find_lr_limits, limits_by_formula, "called grad only 1 time(s)"),
    (check_find_lr_limits, limits_formula_after_runs, "not a value computed from a formula"),
    (check_find_lr_limits, limits_formula_nearest, "called grad only 1 time(s)"),
    (check_find_lr_limits, limits_last_converging, "the last η that does NOT oscillate yet"),
    (check_find_lr_limits, lambda g, e, n=20: find_lr_limits(g, e, n)[::-1], "in that order"),
    (check_find_lr_limits, lambda g, e, n=20: find_lr_limits(g, e, n, first=False),
     "not the last"),
    (check_find_lr_limits, lambda g, e, n=20: find_lr_limits(g, e, n, strict=False),
     "lands exactly on the minimum"),
    (check_find_lr_limits, limits_uphill, "expected an η from etas, got None"),
    (check_find_lr_limits, limits_half_step, "expected 0.15, got 0.29"),
    (check_find_lr_limits, lambda g, e, n=20: find_lr_limits(g, e, n)[0], "expected a pair"),
]


def test_find_lr_limits_boundary_exactly_on_the_grid():
    """The reference's own answers on the edge grid: the boundaries themselves do not count."""
    assert find_lr_limits(lambda w: 4.0 * w, np.array([0.1, 0.25, 0.3, 0.5, 0.6])) == (0.3, 0.6)


# -- errors in the student's code ----------------------------------------------------------------------
