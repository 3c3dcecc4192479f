"""Tests for backprop_lab.optim: update rules by hand, against torch.optim, clipping, schedules."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _tolerance import gamma
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_lab import optim
from backprop_lab.optim import (
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    CosineLR,
    ExponentialLR,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    StepLR,
    WarmupLR,
    clip_grad_norm,
    clip_grad_value,
    make_optimizer,
)
from backprop_lab.parameter import Parameter, Point

# ---------------------------------------------------------------------------------------------
# Update rules by hand.
#
# Objective f(w) = ½ Σ cᵢ wᵢ² with c = [2, 1, 0.5], so ∇f(w) = c ⊙ w; start w0 = [1, −2, 3],
# first gradient g0 = [2, −2, 1.5]. Each expected value below is the published rule worked out
# on paper for these numbers.
# ---------------------------------------------------------------------------------------------

C = np.array([2.0, 1.0, 0.5])
W0 = [1.0, -2.0, 3.0]
# Tolerance of the by-hand values, from error analysis (tests/_tolerance.py): each expected
# value is at most 3 steps of ≤ 12 roundings on either side (the update's operations, a square
# root, each decimal literal rounded once), and a step's subtraction cancels at worst by
# Σ|terms|/|result| ≤ 15 (0.46 − 0.398 = 0.062 in test_momentum_by_hand) → 2·γ₃₆·15 ≈ 1.2e-13.
BY_HAND = 2 * gamma(36) * 15


def trajectory(make: Callable[[list[Parameter]], Optimizer], n_steps: int) -> list[np.ndarray]:
    """w1, ..., wn from running the optimizer on f(w) = ½ Σ cᵢ wᵢ² from W0."""
    p = Point(W0)
    opt = make([p.param])
    out = []
    for _ in range(n_steps):
        p.dvalue[...] = C * p.value
        opt.step()
        out.append(p.value.copy())
    return out


def test_sgd_by_hand() -> None:
    # w ← w − η·g, η = 0.1: each coordinate is multiplied by (1 − 0.1·cᵢ) = [0.8, 0.9, 0.95].
    w1, w2, w3 = trajectory(lambda ps: SGD(ps, lr=0.1), 3)
    np.testing.assert_allclose(w1, [1 - 0.1 * 2, -2 - 0.1 * -2, 3 - 0.1 * 1.5], rtol=BY_HAND)
    # g1 = c ⊙ w1 = [1.6, −1.8, 1.425]
    np.testing.assert_allclose(w2, [0.8 - 0.1 * 1.6, -1.8 - 0.1 * -1.8, 2.85 - 0.1 * 1.425])
    np.testing.assert_allclose(w3, [0.8**3, -2 * 0.9**3, 3 * 0.95**3], rtol=BY_HAND)


def test_momentum_by_hand() -> None:
    # v ← μ·v + g, w ← w − η·v with μ = 0.9, η = 0.1 and v0 = 0 (so v1 = g0, as torch does).
    w1, w2, w3 = trajectory(lambda ps: Momentum(ps, lr=0.1, beta=0.9), 3)
    # v1 = [2, −2, 1.5]
    np.testing.assert_allclose(w1, [1 - 0.2, -2 + 0.2, 3 - 0.15], rtol=BY_HAND)
    # g1 = [1.6, −1.8, 1.425]; v2 = 0.9·v1 + g1 = [3.4, −3.6, 2.775]
    np.testing.assert_allclose(w2, [0.8 - 0.34, -1.8 + 0.36, 2.85 - 0.2775], rtol=BY_HAND)
    # g2 = [0.92, −1.44, 1.28625]; v3 = 0.9·v2 + g2 = [3.98, −4.68, 3.78375]
    np.testing.assert_allclose(w3, [0.46 - 0.398, -1.44 + 0.468, 2.5725 - 0.378375], rtol=BY_HAND)


def test_sgd_momentum_is_momentum() -> None:
    a = trajectory(lambda ps: SGD(ps, lr=0.1, momentum=0.9), 3)
    b = trajectory(lambda ps: Momentum(ps, lr=0.1, beta=0.9), 3)
    np.testing.assert_array_equal(a, b)


def test_nesterov_by_hand() -> None:
    # v ← μ·v + g, w ← w − η·(g + μ·v) with μ = 0.9, η = 0.1.
    w1, w2 = trajectory(lambda ps: Nesterov(ps, lr=0.1, beta=0.9), 2)
    # v1 = g0 = [2, −2, 1.5]; g0 + 0.9·v1 = 1.9·g0 = [3.8, −3.8, 2.85]
    np.testing.assert_allclose(w1, [1 - 0.38, -2 + 0.38, 3 - 0.285], rtol=BY_HAND)
    # g1 = [1.24, −1.62, 1.3575]; v2 = 0.9·v1 + g1 = [3.04, −3.42, 2.7075]
    # g1 + 0.9·v2 = [3.976, −4.698, 3.79425]
    np.testing.assert_allclose(w2, [0.62 - 0.3976, -1.62 + 0.4698, 2.715 - 0.379425], rtol=BY_HAND)
    c = trajectory(lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), 2)
    np.testing.assert_array_equal(c, [w1, w2])


def test_adagrad_by_hand() -> None:
    # G ← G + g², w ← w − η·g/(√G + ε), η = 0.1, ε = 1e-10 (its effect here is < 1e-10).
    w1, w2 = trajectory(lambda ps: Adagrad(ps, lr=0.1), 2)
    # G1 = g0² = [4, 4, 2.25], √G1 = |g0|: the first step is η·sign(g0).
    # ε is left out of the arithmetic: it changes a step of size 0.1 by the factor ε/√G ≤ 1e-10/1.5,
    # i.e. |w| ≥ 0.9 by ≤ 0.1·1e-10/1.5/0.9 ≈ 7e-12 relative per step, on top of BY_HAND
    eps_effect = 0.1 * 1e-10 / 1.5 / 0.9
    np.testing.assert_allclose(w1, [1 - 0.1, -2 + 0.1, 3 - 0.1], rtol=BY_HAND + eps_effect)
    # g1 = [1.8, −1.9, 1.45]; G2 = G1 + g1² = [7.24, 7.61, 4.3525]
    expected = [
        0.9 - 0.1 * 1.8 / math.sqrt(7.24),
        -1.9 + 0.1 * 1.9 / math.sqrt(7.61),
        2.9 - 0.1 * 1.45 / math.sqrt(4.3525),
    ]
    np.testing.assert_allclose(w2, expected, rtol=BY_HAND + 2 * eps_effect)


def test_rmsprop_by_hand() -> None:
    # s ← α·s + (1 − α)·g², w ← w − η·g/(√s + ε), η = 0.01, α = 0.99; ε = 1e-14 so it can be
    # left out of the arithmetic (its placement is tested in test_eps_placement).
    w1, w2 = trajectory(lambda ps: RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-14), 2)
    # s1 = 0.01·g0² = [0.04, 0.04, 0.0225], √s1 = [0.2, 0.2, 0.15]
    np.testing.assert_allclose(
        w1, [1 - 0.01 * 2 / 0.2, -2 + 0.01 * 2 / 0.2, 3 - 0.01 * 1.5 / 0.15], rtol=BY_HAND
    )
    # g1 = [1.8, −1.9, 1.45]; s2 = 0.99·s1 + 0.01·g1² = [0.0396 + 0.0324, 0.0396 + 0.0361,
    # 0.022275 + 0.021025] = [0.072, 0.0757, 0.0433]
    expected = [
        0.9 - 0.01 * 1.8 / math.sqrt(0.072),
        -1.9 + 0.01 * 1.9 / math.sqrt(0.0757),
        2.9 - 0.01 * 1.45 / math.sqrt(0.0433),
    ]
    np.testing.assert_allclose(w2, expected, rtol=BY_HAND)


def test_adadelta_by_hand() -> None:
    # Zeiler 2012, Algorithm 1 (ρ = 0.9, ε = 1e-6, η = 1):
    #   s ← ρ·s + (1−ρ)·g²;  Δw = −√(u+ε)/√(s+ε)·g;  u ← ρ·u + (1−ρ)·Δw²;  w ← w + Δw
    eps = 1e-6
    w1, w2 = trajectory(lambda ps: Adadelta(ps), 2)
    # step 1: s1 = 0.1·g0² = [0.4, 0.4, 0.225], u0 = 0
    dw1 = np.array(
        [
            -math.sqrt(eps) / math.sqrt(0.4 + eps) * 2,
            -math.sqrt(eps) / math.sqrt(0.4 + eps) * -2,
            -math.sqrt(eps) / math.sqrt(0.225 + eps) * 1.5,
        ]
    )
    np.testing.assert_allclose(w1, np.array(W0) + dw1, rtol=BY_HAND)
    # step 2: g1 = c ⊙ w1, s2 = 0.9·s1 + 0.1·g1², u1 = 0.1·Δw1²
    g1 = C * (np.array(W0) + dw1)
    s2 = 0.9 * np.array([0.4, 0.4, 0.225]) + 0.1 * g1**2
    u1 = 0.1 * dw1**2
    dw2 = -np.sqrt(u1 + eps) / np.sqrt(s2 + eps) * g1
    np.testing.assert_allclose(w2, np.array(W0) + dw1 + dw2, rtol=BY_HAND)


def test_adam_by_hand() -> None:
    # m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; m̂ = m/(1−β₁ᵗ); v̂ = v/(1−β₂ᵗ);
    # w ← w − η·m̂/(√v̂ + ε), η = 0.1, β = (0.9, 0.999); ε = 1e-14 (left out of the arithmetic).
    w1, w2 = trajectory(lambda ps: Adam(ps, lr=0.1, eps=1e-14), 2)
    # t = 1: m1 = 0.1·g0, v1 = 0.001·g0², so m̂ = g0, v̂ = g0²: the step is η·sign(g0).
    np.testing.assert_allclose(w1, [1 - 0.1, -2 + 0.1, 3 - 0.1], rtol=BY_HAND)
    # t = 2: g1 = [1.8, −1.9, 1.45]
    m2 = np.array([0.9 * 0.2 + 0.1 * 1.8, 0.9 * -0.2 + 0.1 * -1.9, 0.9 * 0.15 + 0.1 * 1.45])
    v2 = np.array(
        [
            0.999 * 0.004 + 0.001 * 3.24,
            0.999 * 0.004 + 0.001 * 3.61,
            0.999 * 0.00225 + 0.001 * 2.1025,
        ]
    )
    m_hat = m2 / (1 - 0.9**2)  # = [0.36, −0.37, 0.28] / 0.19
    v_hat = v2 / (1 - 0.999**2)  # = [0.007236, 0.007606, 0.00435025] / 0.001999
    np.testing.assert_allclose(w2, np.array([0.9, -1.9, 2.9]) - 0.1 * m_hat / np.sqrt(v_hat))


@pytest.mark.parametrize(
    ("make", "expected_w1"),
    [
        # one step with ε = 1 from w0, g0 = [2, −2, 1.5], where ε's placement is visible:
        # Adagrad: η·g/(√(g²) + ε)
        (lambda ps: Adagrad(ps, lr=0.1, eps=1.0), [1 - 0.2 / 3, -2 + 0.2 / 3, 3 - 0.15 / 2.5]),
        # RMSprop: η·g/(√(0.01·g²) + ε) = η·g/(0.1·|g| + 1)
        (lambda ps: RMSprop(ps, lr=0.1, eps=1.0), [1 - 0.2 / 1.2, -2 + 0.2 / 1.2, 3 - 0.15 / 1.15]),
        # Adam: η·m̂/(√v̂ + ε) = η·g/(|g| + 1)
        (lambda ps: Adam(ps, lr=0.1, eps=1.0), [1 - 0.2 / 3, -2 + 0.2 / 3, 3 - 0.15 / 2.5]),
        # Adadelta: √(0 + ε)/√(0.1·g² + ε)·g = g/√(0.1·g² + 1)
        (
            lambda ps: Adadelta(ps, eps=1.0),
            [1 - 2 / math.sqrt(1.4), -2 + 2 / math.sqrt(1.4), 3 - 1.5 / math.sqrt(1.225)],
        ),
    ],
    ids=["adagrad", "rmsprop", "adam", "adadelta"],
)
def test_eps_placement(make: Callable[[list[Parameter]], Optimizer], expected_w1: list) -> None:
    (w1,) = trajectory(make, 1)
    np.testing.assert_allclose(w1, expected_w1, rtol=BY_HAND)


def test_weight_decay_is_coupled_l2() -> None:
    # g = c ⊙ w + λ·w with λ = 0.1: g0 = [2.1, −2.2, 1.8]; SGD η = 0.1.
    (w1,) = trajectory(lambda ps: SGD(ps, lr=0.1, weight_decay=0.1), 1)
    np.testing.assert_allclose(w1, [1 - 0.21, -2 + 0.22, 3 - 0.18], rtol=BY_HAND)
    # Coupled: Adam normalises the decay term too, so its first step is still η·sign(g0)
    # (decoupled AdamW would move a further η·λ·w).
    (w1,) = trajectory(lambda ps: Adam(ps, lr=0.1, eps=1e-14, weight_decay=0.1), 1)
    np.testing.assert_allclose(w1, [0.9, -1.9, 2.9], rtol=BY_HAND)


# ---------------------------------------------------------------------------------------------
# Against torch.optim, step for step (float64).
# ---------------------------------------------------------------------------------------------


class Owner:
    """Holds two arrays the way a layer does (W, dW and b, db)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.W = rng.normal(size=(3, 4))
        self.b = rng.normal(size=5)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def parameters(self) -> list[Parameter]:
        return [Parameter(self, "W", "W"), Parameter(self, "b", "b")]


def objective_grad(x: np.ndarray, A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """∇ of f(x) = ½ xᵀAx + cᵀx + Σ log cosh(xᵢ) + 0.3 Σ sin(xᵢ)."""
    return A @ x + c + np.tanh(x) + 0.3 * np.cos(x)


TORCH_CASES = {
    "sgd": (lambda ps, wd: SGD(ps, lr=0.05, weight_decay=wd), "SGD", {"lr": 0.05}, {}),
    "momentum": (
        lambda ps, wd: Momentum(ps, lr=0.02, beta=0.9, weight_decay=wd),
        "SGD",
        {"lr": 0.02, "momentum": 0.9},
        {"v": "momentum_buffer"},
    ),
    "nesterov": (
        lambda ps, wd: SGD(ps, lr=0.02, momentum=0.8, nesterov=True, weight_decay=wd),
        "SGD",
        {"lr": 0.02, "momentum": 0.8, "nesterov": True},
        {"v": "momentum_buffer"},
    ),
    "adagrad": (
        lambda ps, wd: Adagrad(ps, lr=0.1, weight_decay=wd),
        "Adagrad",
        {"lr": 0.1, "initial_accumulator_value": 0.0, "eps": 1e-10},
        {"G": "sum"},
    ),
    "rmsprop": (
        lambda ps, wd: RMSprop(ps, weight_decay=wd),
        "RMSprop",
        {"lr": 0.01},
        {"s": "square_avg"},
    ),
    "adadelta": (
        lambda ps, wd: Adadelta(ps, weight_decay=wd),
        "Adadelta",
        {"lr": 1.0},
        {"s": "square_avg", "u": "acc_delta"},
    ),
    "adam": (
        lambda ps, wd: Adam(ps, lr=0.05, weight_decay=wd),
        "Adam",
        {"lr": 0.05},
        {"m": "exp_avg", "v": "exp_avg_sq"},
    ),
}


# Tolerance of the comparison with torch, from error analysis (no reductions in the updates, so
# no summation order is involved):
# * one step: each implementation computes each element's update in at most OPS_PER_STEP
#   correctly rounded operations (Adadelta with weight decay: 13, incl. two square roots; torch
#   may fuse a multiply-add), so from the same inputs the two steps differ by at most
#   2·OPS_PER_STEP·u relative (u = 2⁻⁵³, first order).
# * 60 steps: how such differences propagate is a property of the trajectory, not of either
#   code. It is measured by re-running our optimizer with each gradient perturbed by
#   ±2·OPS_PER_STEP·u (relative, random signs): first-order error propagation is linear in the
#   perturbation, so this is the size of the difference to expect; max over 3 draws, ×10 because
#   a random draw need not be the worst case. Where perturbations do not grow, the floor
#   (k + 1)·2·OPS_PER_STEP·u·max|w| (linear accumulation over k + 1 steps) applies.
#   Adadelta without weight decay is the case that needs this: as its gradient vanishes, its step
#   √(u + ε)/√(s + ε)·g keeps its size while s decays, the iteration becomes unstable around the
#   minimum, and perturbations grow ×1.9 per step from step ~35 on (~1e6·u by step 60; torch and
#   we differ by ~1e7·u there, within the measured envelope ×10 = ~3e8·u).
OPS_PER_STEP = 16
PERTURBATION = 2 * OPS_PER_STEP * np.finfo(np.float64).eps / 2
SAFETY = 10.0


def _torch_case_problem() -> tuple[Owner, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    owner = Owner(rng)
    n = owner.W.size + owner.b.size
    Q = rng.normal(size=(n, n))
    return owner, Q @ Q.T / n + 0.5 * np.eye(n), rng.normal(size=n)


def _run_ours(make, weight_decay: float, rel_noise: float, seed: int, steps: int = 60):
    """Our trajectory (steps, n) and final state, each gradient × (1 + rel_noise·U(−1, 1))."""
    owner, A, c = _torch_case_problem()
    opt = make(owner.parameters(), weight_decay)
    noise = np.random.default_rng(seed)
    xs = []
    for _ in range(steps):
        g = objective_grad(np.concatenate([owner.W.ravel(), owner.b]), A, c)
        g = g * (1.0 + rel_noise * noise.uniform(-1.0, 1.0, size=g.shape))
        owner.dW[...] = g[: owner.W.size].reshape(owner.W.shape)
        owner.db[...] = g[owner.W.size :]
        opt.step()
        xs.append(np.concatenate([owner.W.ravel(), owner.b]))
    return np.array(xs), [{k: v.copy() for k, v in state.items()} for state in opt.state]


def torch_tolerances(make, weight_decay: float) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Per-step absolute tolerance of the parameters (60,) and per-state-array tolerances, as
    derived above."""
    base, base_state = _run_ours(make, weight_decay, 0.0, seed=0)
    dev = np.zeros(len(base))
    state_dev = [dict.fromkeys(state, 0.0) for state in base_state]
    for seed in range(3):
        xs, states = _run_ours(make, weight_decay, PERTURBATION, seed)
        dev = np.maximum(dev, np.abs(xs - base).max(axis=1))
        for d, state, state0 in zip(state_dev, states, base_state, strict=True):
            for k in d:
                d[k] = max(d[k], float(np.abs(state[k] - state0[k]).max()))
    steps = np.arange(1, len(base) + 1)
    floor = steps * PERTURBATION * np.abs(base).max(axis=1)
    atol = SAFETY * np.maximum(dev, floor)
    state_atol = [{k: SAFETY * max(d[k], len(base) * PERTURBATION * float(np.abs(st0[k]).max()))
                   for k in d} for d, st0 in zip(state_dev, base_state, strict=True)]
    return atol, state_atol


@pytest.mark.torch
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_torch(name: str, weight_decay: float) -> None:
    torch = pytest.importorskip("torch")
    make, torch_name, torch_kwargs, state_names = TORCH_CASES[name]
    owner, A, c = _torch_case_problem()
    atol, state_atol = torch_tolerances(make, weight_decay)

    opt = make(owner.parameters(), weight_decay)
    t_params = [torch.tensor(owner.W.copy()), torch.tensor(owner.b.copy())]
    t_opt = getattr(torch.optim, torch_name)(t_params, weight_decay=weight_decay, **torch_kwargs)

    for step in range(60):
        x = np.concatenate([owner.W.ravel(), owner.b])
        g = objective_grad(x, A, c)
        owner.dW[...] = g[: owner.W.size].reshape(owner.W.shape)
        owner.db[...] = g[owner.W.size :]
        opt.step()

        x_t = torch.cat([t_params[0].reshape(-1), t_params[1]]).numpy()
        g_t = objective_grad(x_t, A, c)
        t_params[0].grad = torch.tensor(g_t[: owner.W.size].reshape(owner.W.shape))
        t_params[1].grad = torch.tensor(g_t[owner.W.size :])
        t_opt.step()

        for ours, theirs in [(owner.W, t_params[0]), (owner.b, t_params[1])]:
            np.testing.assert_allclose(
                ours, theirs.numpy(), rtol=0, atol=atol[step], err_msg=f"step {step + 1}"
            )

    assert opt.t == 60
    for state, tp, tol in zip(opt.state, t_params, state_atol, strict=True):
        assert set(state) == set(state_names)
        for ours_key, torch_key in state_names.items():
            theirs = t_opt.state[tp][torch_key].numpy()
            np.testing.assert_allclose(state[ours_key], theirs, rtol=0, atol=tol[ours_key])


@pytest.mark.torch
def test_defaults_match_torch() -> None:
    torch = pytest.importorskip("torch")
    t = [torch.zeros(2, requires_grad=True)]
    ps = [Point([0.0, 0.0]).param]
    pairs = [
        (Adagrad(ps), torch.optim.Adagrad(t), ["lr", "eps"]),
        (RMSprop(ps), torch.optim.RMSprop(t), ["lr", "alpha", "eps"]),
        (Adadelta(ps), torch.optim.Adadelta(t), ["lr", "rho", "eps"]),
        (Adam(ps), torch.optim.Adam(t), ["lr", "betas", "eps"]),
    ]
    for ours, theirs, keys in pairs:
        for key in keys:
            assert getattr(ours, key) == theirs.defaults[key], (type(ours).__name__, key)
    assert torch.optim.Adagrad(t).defaults["initial_accumulator_value"] == 0


# ---------------------------------------------------------------------------------------------
# Step count, state, zero_grad, dtype, in place.
# ---------------------------------------------------------------------------------------------

ALL_NAMES = list(OPTIMIZERS)


def test_step_count_and_state() -> None:
    p = Point(W0)
    opt = Adam([p.param], lr=0.1)
    assert opt.t == 0
    assert set(opt.state[0]) == {"m", "v"}
    np.testing.assert_array_equal(opt.state[0]["m"], 0.0)
    for _ in range(3):
        p.dvalue[...] = C * p.value
        opt.step()
    assert opt.t == 3
    assert opt.state[0]["m"].shape == (3,)
    assert np.all(opt.state[0]["v"] > 0)

    p = Point(W0)
    opt = Momentum([p.param], lr=0.1)
    p.dvalue[...] = C * p.value
    opt.step()
    np.testing.assert_array_equal(opt.state[0]["v"], [2.0, -2.0, 1.5])  # first v is g

    assert SGD([Point(W0).param], lr=0.1).state == [{}]


def test_lr_reassigned_between_steps() -> None:
    p = Point([1.0])
    opt = SGD([p.param], lr=0.1)
    p.dvalue[...] = 1.0
    opt.step()
    opt.lr = 0.5
    opt.step()
    np.testing.assert_allclose(p.value, [1.0 - 0.1 - 0.5])


def test_zero_grad_in_place() -> None:
    owner = Owner(np.random.default_rng(0))
    owner.dW[...] = 1.0
    owner.db[...] = 2.0
    dW = owner.dW
    opt = SGD(owner.parameters(), lr=0.1)
    opt.zero_grad()
    assert owner.dW is dW
    assert not owner.dW.any() and not owner.db.any()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_stays_float32_and_in_place(name: str) -> None:
    p32, p64 = Point(W0, dtype=np.float32), Point(W0)
    value = p32.value
    opt32 = make_optimizer(name, [p32.param], lr=0.05, weight_decay=0.01)
    opt64 = make_optimizer(name, [p64.param], lr=0.05, weight_decay=0.01)
    for _ in range(5):
        for p, opt in [(p32, opt32), (p64, opt64)]:
            p.dvalue[...] = C * p.value
            opt.step()
    assert p32.value is value
    assert p32.value.dtype == np.float32
    for arr in opt32.state[0].values():
        assert arr.dtype == np.float32 and arr.shape == (3,)
    np.testing.assert_allclose(p32.value, p64.value, rtol=1e-4, atol=1e-6)


def test_grad_shape_mismatch_names_parameter() -> None:
    owner = Owner(np.random.default_rng(0))
    opt = SGD(owner.parameters(), lr=0.1)
    owner.dW = np.zeros(4)  # would broadcast silently against W (3, 4)
    with pytest.raises(ValueError, match=r"'W'.*\(4,\).*\(3, 4\)"):
        opt.step()


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(ALL_NAMES),
    w=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3)),
)
def test_zero_gradient_does_not_move(name: str, w: np.ndarray) -> None:
    p = Point(w)
    opt = make_optimizer(name, [p.param])
    for _ in range(3):
        opt.step()
    np.testing.assert_array_equal(p.value, w)


def test_custom_subclass() -> None:
    class SignSGD(Optimizer):
        """w ← w − η·sign(g)."""

        default_lr = 0.01

        def update(self, w: np.ndarray, g: np.ndarray, state: dict) -> None:
            w -= self.lr * np.sign(g)

    p = Point(W0)
    opt = SignSGD([p.param], lr=0.5)
    p.dvalue[...] = C * p.value
    opt.step()
    np.testing.assert_array_equal(p.value, [0.5, -1.5, 2.5])
    assert opt.t == 1 and opt.state == [{}]
    assert repr(opt) == "SignSGD(lr=0.5, weight_decay=0.0)"


def test_reprs() -> None:
    ps = [Point(W0).param]
    assert repr(Adam(ps)) == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"
    assert repr(SGD(ps, 0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0)"
    )
    assert repr(Nesterov(ps, 0.1)) == "Nesterov(lr=0.1, beta=0.9, weight_decay=0.0)"
    assert repr(Adadelta(ps)) == "Adadelta(lr=1.0, rho=0.9, eps=1e-06, weight_decay=0.0)"


# ---------------------------------------------------------------------------------------------
# Validation.
# ---------------------------------------------------------------------------------------------


def _ps() -> list[Parameter]:
    return [Point(W0).param]


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: SGD(_ps(), lr=-0.1), r"lr must be a finite number >= 0, got -0\.1"),
        (lambda: SGD(_ps(), lr=float("nan")), r"lr must be .*, got nan"),
        (lambda: Adam(_ps(), lr=float("inf")), r"lr must be .*, got inf"),
        (lambda: SGD(_ps(), lr=0.1, momentum=1.0), r"momentum must be a number in \[0, 1\)"),
        (lambda: SGD(_ps(), lr=0.1, momentum=-0.5), r"momentum .*-0\.5"),
        (lambda: SGD(_ps(), lr=0.1, nesterov=True), r"nesterov=True requires momentum"),
        (lambda: SGD(_ps(), lr=0.1, weight_decay=-1), r"weight_decay .*-1"),
        (lambda: Momentum(_ps(), lr=0.1, beta=1.0), r"beta must be a number in \[0, 1\)"),
        (lambda: Nesterov(_ps(), lr=0.1, beta=0.0), r"beta must be a number in \(0, 1\)"),
        (lambda: Adam(_ps(), betas=(1.0, 0.999)), r"betas\[0\] must be a number in \[0, 1\)"),
        (lambda: Adam(_ps(), betas=(0.9, -0.1)), r"betas\[1\] .*-0\.1"),
        (lambda: Adam(_ps(), betas=(0.9,)), r"betas must be a pair"),
        (lambda: Adam(_ps(), eps=0.0), r"eps must be a finite number > 0, got 0\.0"),
        (lambda: Adagrad(_ps(), eps=-1e-10), r"eps .*-1e-10"),
        (lambda: RMSprop(_ps(), alpha=1.0), r"alpha must be a number in \[0, 1\)"),
        (lambda: Adadelta(_ps(), rho=1.5), r"rho .*1\.5"),
        (lambda: Adam([]), r"params must contain at least one Parameter"),
        (lambda: Adam(iter(())), r"params"),
        (lambda: SGD([_ps()[0]] * 2, lr=0.1), r"params\[1\] \(point\) appears more than once"),
    ],
)
def test_invalid_hyperparameters_raise(build: Callable[[], object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        build()


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="lr"):
        SGD(_ps(), lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[0\]"):
        SGD([np.zeros(3)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="floating-point"):
        SGD([Point([1, 2], dtype=np.int64).param], lr=0.1)
    with pytest.raises(TypeError):
        Optimizer(_ps(), lr=0.1)  # abstract  # type: ignore[abstract]


def test_zero_lr_is_allowed_and_freezes() -> None:
    p = Point(W0)
    opt = SGD([p.param], lr=0.0)
    p.dvalue[...] = 1.0
    opt.step()
    np.testing.assert_array_equal(p.value, W0)


# ---------------------------------------------------------------------------------------------
# make_optimizer.
# ---------------------------------------------------------------------------------------------


def test_optimizer_names() -> None:
    assert set(OPTIMIZERS) == {
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
    }


@pytest.mark.parametrize(
    ("name", "cls", "default_lr"),
    [
        ("sgd", SGD, 0.01),
        ("momentum", Momentum, 0.01),
        ("nesterov", Nesterov, 0.01),
        ("adagrad", Adagrad, 0.01),
        ("rmsprop", RMSprop, 0.01),
        ("adadelta", Adadelta, 1.0),
        ("adam", Adam, 1e-3),
    ],
)
def test_make_optimizer(name: str, cls: type[Optimizer], default_lr: float) -> None:
    opt = make_optimizer(name, _ps())
    assert type(opt) is cls and OPTIMIZERS[name] is cls
    assert opt.lr == default_lr
    assert make_optimizer(name.upper(), _ps(), lr=0.3).lr == 0.3


def test_make_optimizer_passes_kwargs_and_rejects_unknown() -> None:
    opt = make_optimizer("adam", _ps(), betas=(0.8, 0.9), weight_decay=0.1)
    assert opt.betas == (0.8, 0.9) and opt.weight_decay == 0.1
    assert make_optimizer("momentum", _ps(), beta=0.5).momentum == 0.5
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'") as info:
        make_optimizer("adamw", _ps())
    for name in OPTIMIZERS:
        assert name in str(info.value)


# ---------------------------------------------------------------------------------------------
# Clipping.
# ---------------------------------------------------------------------------------------------


def test_clip_grad_norm_scales_to_max_norm() -> None:
    owner = Owner(np.random.default_rng(0))
    owner.dW[...] = 0.0
    owner.dW[0, 0] = 3.0
    owner.db[...] = 0.0
    owner.db[1] = 4.0  # global norm 5
    norm = clip_grad_norm(owner.parameters(), max_norm=1.0)
    assert norm == 5.0
    assert owner.dW[0, 0] == pytest.approx(0.6) and owner.db[1] == pytest.approx(0.8)


def test_clip_grad_norm_noop_below_threshold() -> None:
    owner = Owner(np.random.default_rng(0))
    owner.dW[...] = 0.1
    before = owner.dW.copy()
    norm = clip_grad_norm(owner.parameters(), max_norm=10.0)
    assert norm == pytest.approx(math.sqrt(12 * 0.01))
    np.testing.assert_array_equal(owner.dW, before)


@settings(max_examples=50, deadline=None)
@given(
    g=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6)),
    max_norm=st.floats(1e-3, 1e3),
)
def test_clip_grad_norm_property(g: np.ndarray, max_norm: float) -> None:
    p = Point(np.zeros_like(g))
    p.dvalue[...] = g
    norm = clip_grad_norm([p.param], max_norm)
    # ‖g‖ of ≤ 20 entries: squares, sum, √: ≤ 22 roundings either side, positive terms; the
    # clipped vector's norm adds the scaling (2) and its own norm (22)
    assert norm == pytest.approx(np.linalg.norm(g), rel=2 * gamma(22))
    np.testing.assert_allclose(p.dvalue, g * min(1.0, max_norm / norm) if norm else g)
    assert np.linalg.norm(p.dvalue) <= max_norm * (1 + 2 * gamma(46))


def test_clip_grad_value() -> None:
    p = Point([0.0, 0.0, 0.0, 0.0])
    p.dvalue[...] = [-5.0, -0.5, 0.5, 5.0]
    grad = p.dvalue
    clip_grad_value([p.param], 1.0)
    assert p.dvalue is grad
    np.testing.assert_array_equal(p.dvalue, [-1.0, -0.5, 0.5, 1.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_clip_validation(bad: float) -> None:
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(_ps(), bad)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value(_ps(), bad)


# ---------------------------------------------------------------------------------------------
# Schedules.
# ---------------------------------------------------------------------------------------------


def test_step_lr() -> None:
    s = StepLR(0.1, step_size=3, gamma=0.5)
    assert [s(t) for t in range(7)] == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], rel=2 * gamma(3)  # 0.1·0.5ᵏ: ≤ 3 roundings
    )
    assert repr(s) == "StepLR(lr0=0.1, step_size=3, gamma=0.5)"


def test_exponential_lr() -> None:
    s = ExponentialLR(0.2, gamma=0.9)
    assert s(0) == 0.2
    assert s(2) == pytest.approx(0.2 * 0.81, rel=2 * gamma(3))  # 0.2·0.9² vs 0.2·0.81: ≤ 3 roundings
    assert repr(s) == "ExponentialLR(lr0=0.2, gamma=0.9)"


def test_cosine_lr() -> None:
    s = CosineLR(1.0, t_max=10, lr_min=0.1)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.1 + 0.9 * (1 + 0) / 2)  # cos(π/2) = 0
    assert s(2) == pytest.approx(0.1 + 0.9 * (1 + math.cos(0.2 * math.pi)) / 2)
    assert s(10) == 0.1 and s(25) == 0.1  # held after t_max
    assert repr(s) == "CosineLR(lr0=1.0, t_max=10, lr_min=0.1)"


def test_warmup_lr() -> None:
    s = WarmupLR(0.1, warmup_steps=4)
    assert [s(t) for t in range(6)] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    cos = CosineLR(1.0, t_max=10)
    w = WarmupLR(cos, warmup_steps=2)
    assert w(0) == pytest.approx(0.5 * cos(0))
    assert w(1) == cos(1) and w(7) == cos(7)  # base keeps counting from 0, not shifted
    assert repr(w) == "WarmupLR(CosineLR(lr0=1.0, t_max=10, lr_min=0.0), warmup_steps=2)"
    assert WarmupLR(0.3, 1)(0) == 0.3


@pytest.mark.parametrize(
    ("schedule", "direction"),
    [
        (StepLR(1.0, 4), -1),
        (ExponentialLR(1.0, 0.95), -1),
        (CosineLR(1.0, 30, lr_min=0.01), -1),
        (WarmupLR(0.5, 10), +1),
    ],
    ids=repr,
)
def test_schedules_monotone(schedule: optim.Schedule, direction: int) -> None:
    lrs = np.array([schedule(t) for t in range(50)])
    assert np.all(direction * np.diff(lrs) >= 0)
    assert np.all(lrs >= 0)


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: StepLR(0.1, step_size=0), "step_size"),
        (lambda: StepLR(-0.1, step_size=2), "lr0"),
        (lambda: ExponentialLR(0.1, gamma=0.0), "gamma"),
        (lambda: CosineLR(0.1, t_max=0), "t_max"),
        (lambda: CosineLR(0.1, t_max=10, lr_min=0.2), "lr_min"),
        (lambda: WarmupLR(0.1, warmup_steps=0), "warmup_steps"),
        (lambda: WarmupLR(float("nan"), warmup_steps=3), "schedule_or_lr0"),
        (lambda: StepLR(0.1, 2)(-1), r"t must be an integer >= 0, got -1"),
    ],
)
def test_schedule_validation(build: Callable[[], object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        build()
    with pytest.raises(TypeError, match="step_size"):
        StepLR(0.1, step_size=2.5)  # type: ignore[arg-type]


def test_schedule_drives_optimizer() -> None:
    p = Point([0.0])
    opt = SGD([p.param], lr=1.0)
    schedule = StepLR(1.0, step_size=1, gamma=0.5)
    for t in range(3):
        opt.lr = schedule(t)
        p.dvalue[...] = -1.0
        opt.step()
    np.testing.assert_allclose(p.value, [1.0 + 0.5 + 0.25])


# ---------------------------------------------------------------------------------------------
# Convergence sanity and the NumPy-only rule.
# ---------------------------------------------------------------------------------------------

CONVERGENCE_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "adagrad": 0.5,
    "rmsprop": 0.01,
    "adadelta": 2.0,  # η = 1 reaches only ~50x here: steps start at √ε and grow slowly
    "adam": 0.1,
}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_convergence_on_quadratic(name: str) -> None:
    # f(x, y) = ½(x² + 10·y²), condition number 10, from (−3, 2).
    curvature = np.array([1.0, 10.0])
    p = Point([-3.0, 2.0])
    opt = make_optimizer(name, [p.param], lr=CONVERGENCE_LR[name])

    def loss() -> float:
        return 0.5 * float(np.sum(curvature * p.value**2))

    loss0 = loss()
    for _ in range(500):
        p.dvalue[...] = curvature * p.value
        opt.step()
    assert loss() <= loss0 / 100, f"{opt!r}: loss {loss0:.3g} -> {loss():.3g}"


def test_module_imports_numpy_only() -> None:
    tree = ast.parse(Path(optim.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {
        "__future__",
        "functools",
        "math",
        "numbers",
        "abc",
        "collections",
        "typing",
        "numpy",
        "backprop_lab",
    }
