"""Lesson 08: on a quadratic with condition number κ = 100, gradient descent with α = 2/(λ₁+λₙ)
converges at (κ−1)/(κ+1) per step and heavy-ball momentum with Goh's optimal α, β at
(√κ−1)/(√κ+1) (G. Goh, "Why Momentum Really Works", Distill 2017) — measured within 1 %.

The library's Momentum is v ← βv + g, w ← w − αv: Goh's z ← βz + ∇f, w ← w − αz.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _tolerance import assert_within, gamma

from backprop_lab.optim import SGD, Momentum
from backprop_lab.surfaces import quadratic, run_optimizer

LAM_1, LAM_N = 1.0, 100.0
KAPPA = LAM_N / LAM_1
WINDOW = (200, 400)  # the asymptotic phase over which the rate is measured


def measured_rate(path: np.ndarray, window: tuple[int, int] = WINDOW) -> float:
    """Geometric mean of ‖w_{k+1}‖/‖w_k‖ over the window (the minimum is w* = 0)."""
    e = np.linalg.norm(path, axis=1)
    k1, k2 = window
    return float((e[k2] / e[k1]) ** (1.0 / (k2 - k1)))


@pytest.mark.parametrize("angle", [0.0, 0.3])
def test_gradient_descent_rate(angle):
    surface = quadratic((LAM_1, LAM_N), angle=angle)
    alpha = 2.0 / (LAM_1 + LAM_N)
    traj = run_optimizer(surface, lambda p: SGD(p, lr=alpha), steps=WINDOW[1])
    theory = (KAPPA - 1) / (KAPPA + 1)
    assert theory == pytest.approx(0.980, abs=5e-4)
    assert measured_rate(traj.path) == pytest.approx(theory, rel=0.01)


@pytest.mark.parametrize("angle", [0.0, 0.3])
def test_heavy_ball_rate(angle):
    surface = quadratic((LAM_1, LAM_N), angle=angle)
    alpha = (2.0 / (math.sqrt(LAM_1) + math.sqrt(LAM_N))) ** 2
    beta = ((math.sqrt(KAPPA) - 1) / (math.sqrt(KAPPA) + 1)) ** 2
    traj = run_optimizer(surface, lambda p: Momentum(p, lr=alpha, beta=beta), steps=WINDOW[1])
    theory = (math.sqrt(KAPPA) - 1) / (math.sqrt(KAPPA) + 1)
    assert theory == pytest.approx(0.818, abs=5e-4)
    assert traj.diverged_at is None
    assert measured_rate(traj.path) == pytest.approx(theory, rel=0.01)


def test_momentum_is_goh_recursion():
    """The library's Momentum step equals Goh's z ← βz + ∇f(w), w ← w − αz, step by step."""
    surface = quadratic((LAM_1, LAM_N), angle=0.3)
    alpha, beta = 0.02, 0.7
    traj = run_optimizer(surface, lambda p: Momentum(p, lr=alpha, beta=beta), steps=50)
    w = np.array(surface.start, dtype=np.float64)
    z = np.zeros(2)
    # tolerance from error analysis: one step of either computation is ≤ 6 roundings per entry
    # (∇f = Hw: 2 terms; z: 2; w: 2), so the two differ by ≤ 2·γ₆·S per step, S the size of the
    # terms (max |z|, |Hw|, |w| along the path). A difference e enters the next steps through
    # the linear iteration (z, w) ← M (z, w), M = [[βI, H], [−αβI, I − αH]], so after k steps
    # the accumulated difference is ≤ 2·γ₆·S·Σ_{j<k} ‖Mʲ‖∞.
    H = surface.hessian(w)
    M = np.block([[beta * np.eye(2), H], [-alpha * beta * np.eye(2), np.eye(2) - alpha * H]])
    S = max(np.abs(traj.path).max(), (np.abs(H) @ np.abs(traj.path.T)).max() / (1 - beta))
    growth, Mj = 0.0, np.eye(4)
    for k in range(1, 51):
        growth += np.abs(Mj).sum(axis=1).max()
        Mj = Mj @ M
        z = beta * z + surface.grad(w)
        w = w - alpha * z
        assert_within(traj.path[k], w, 2 * gamma(6) * S * growth, f"step {k}")
