"""Heavy-ball momentum on a 2-D quadratic, and the exponentially weighted average (NumPy only).

The computations behind :mod:`backprop_lab.widgets.momentum_explorer`, pure and deterministic:

* :func:`compute_momentum_explorer` runs heavy-ball momentum (the library's
  :class:`~backprop_lab.optim.Momentum`: v ← βv + ∇𝓛, w ← w − ηv) on the quadratic
  𝓛(w) = ½ wᵀ diag(1, κ) w (eigenvalues λ_min = 1 and λ_max = κ, minimum w* = 0) and returns the
  path, the distance to the optimum per step, the **predicted** rate (theory, below) and the
  **measured** rate of the run, and a status line.
* :func:`heavy_ball_rate` is the theory. Along an eigenvector with curvature λ the error obeys
  e_{t+1} = (1 + β − ηλ) e_t − β e_{t−1}, i.e. (e_{t+1}, e_t) = M (e_t, e_{t−1}) with the
  iteration matrix M = [[1 + β − ηλ, −β], [1, 0]]. The error shrinks per step by the spectral
  radius ρ(M) (the largest |root| of z² − (1 + β − ηλ) z + β = 0), and the run converges at the
  rate max over the eigenvalues λ of ρ(M). When the roots are complex both have modulus √β.
* :func:`optimal_parameters` gives the optimum of G. Goh, "Why Momentum Really Works", Distill
  (2017), https://distill.pub/2017/momentum/ :
  η* = (2 / (√λ_max + √λ_min))², β* = ((√κ − 1) / (√κ + 1))², rate √β* = (√κ − 1) / (√κ + 1).
* :func:`compute_ema` is the exponentially weighted average v_t = βv_{t−1} + (1 − β)x_t, v_0 = 0,
  of a noisy constant signal, with Adam's bias correction v̂_t = v_t / (1 − βᵗ) (D. Kingma,
  J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1).

Bad control values are clamped to their range and reported in ``notes`` and the message, never
raised (a widget must not show a traceback).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_lab.optim import Momentum
from backprop_lab.surfaces import quadratic, run_optimizer
from backprop_lab.validate import clean_count, clean_real

__all__ = [
    "BETA_MAX",
    "BETA_MIN",
    "DIVERGENCE_FACTOR",
    "EMAResult",
    "ETA_MAX",
    "ETA_MIN",
    "KAPPA_MAX",
    "KAPPA_MIN",
    "MomentumResult",
    "STEPS_MAX",
    "STEPS_MIN",
    "compute_ema",
    "compute_momentum_explorer",
    "diverged_at",
    "heavy_ball_rate",
    "iteration_matrix",
    "measured_rate",
    "optimal_parameters",
    "rate_grid",
]

#: range of the learning rate η (values outside are clamped)
ETA_MIN, ETA_MAX = 1e-4, 4.0
#: range of the momentum β
BETA_MIN, BETA_MAX = 0.0, 0.999
#: range of the condition number κ = λ_max / λ_min
KAPPA_MIN, KAPPA_MAX = 1.0, 1000.0
#: range of the number of steps
STEPS_MIN, STEPS_MAX = 20, 1000
#: a run counts as diverged once its distance to the optimum exceeds this many times the start's
#: (the loss then exceeds ~1e6 times its start value, the blow-up rule of ``run_optimizer``)
DIVERGENCE_FACTOR = 1e3
#: errors below this fraction of the start error are not used to measure a rate (subnormals)
ERROR_FLOOR = 1e-250
#: the start point, in the eigenvector frame (both directions excited)
START = (-4.0, 2.0)


# ------------------------------------------------------------------------------------------------
# theory


def iteration_matrix(eta: float, beta: float, lam: float) -> np.ndarray:
    """The 2×2 matrix M with (e_{t+1}, e_t) = M (e_t, e_{t−1}) along an eigenvector of curvature λ.

    Returns:
        (2, 2) array [[1 + β − ηλ, −β], [1, 0]].
    """
    return np.array([[1.0 + beta - eta * lam, -beta], [1.0, 0.0]])


def heavy_ball_rate(eta: Any, beta: Any, eigenvalues: Any) -> np.ndarray:
    """Predicted per-step convergence rate of heavy-ball momentum on a quadratic: the largest
    spectral radius of the iteration matrix [[1 + β − ηλ, −β], [1, 0]] over the eigenvalues λ.

    The roots of z² − bz + β (b = 1 + β − ηλ) are real when b² ≥ 4β, with largest modulus
    (|b| + √(b² − 4β)) / 2, and complex otherwise, both of modulus √β.

    Args:
        eta: learning rate η, a number or an array.
        beta: momentum β in [0, 1), a number or an array broadcastable with ``eta``.
        eigenvalues: the Hessian eigenvalues λ, shape (k,).

    Returns:
        The rate, shaped like ``eta`` and ``beta`` broadcast together (a 0-d array for numbers);
        < 1 converges, > 1 diverges.
    """
    eta = np.asarray(eta, dtype=np.float64)[..., None]
    beta = np.asarray(beta, dtype=np.float64)[..., None]
    lam = np.asarray(eigenvalues, dtype=np.float64).ravel()
    b = 1.0 + beta - eta * lam
    disc = b * b - 4.0 * beta
    real = disc >= 0.0
    rho = np.where(real, 0.5 * (np.abs(b) + np.sqrt(np.where(real, disc, 0.0))),
                   np.sqrt(np.broadcast_to(beta, disc.shape)))
    return rho.max(axis=-1)


def optimal_parameters(kappa: float, lam_min: float = 1.0) -> tuple[float, float, float]:
    """Goh's optimal heavy-ball parameters for eigenvalues in [λ_min, κλ_min].

    Returns:
        (η*, β*, rate) = ((2 / (√λ_max + √λ_min))², ((√κ − 1) / (√κ + 1))², (√κ − 1) / (√κ + 1)).
    """
    lam_max = kappa * lam_min
    eta = (2.0 / (math.sqrt(lam_max) + math.sqrt(lam_min))) ** 2
    root = (math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)
    return eta, root * root, root


def rate_grid(kappa: float, etas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """Predicted rate on a grid, for eigenvalues (1, κ).

    Args:
        kappa: condition number κ.
        etas: (m,) learning rates; betas: (p,) momenta.

    Returns:
        (p, m) array: row i for ``betas[i]``, column j for ``etas[j]``.
    """
    return heavy_ball_rate(np.asarray(etas)[None, :], np.asarray(betas)[:, None], (1.0, kappa))


def _roots_are_complex(eta: float, beta: float, lam: float) -> bool:
    b = 1.0 + beta - eta * lam
    return b * b < 4.0 * beta


# ------------------------------------------------------------------------------------------------
# measuring a run


def diverged_at(errors: np.ndarray, factor: float = DIVERGENCE_FACTOR) -> int | None:
    """The first step whose distance to the optimum is non-finite or above ``factor`` times the
    start's, or None. (The course's divergence rule for this widget; kept tiny so that one shared
    rule can replace it.)

    Args:
        errors: (n,) distances ‖w_k − w*‖, ``errors[0]`` at the start.
    """
    e = np.asarray(errors, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(e <= factor * e[0])  # NaN fails the comparison
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def measured_rate(errors: np.ndarray) -> tuple[float | None, int, int, float]:
    """The rate a run shows: the geometric mean of the per-step ratio of its error envelope over
    the tail (the second half) of the run.

    The error along a mode with complex roots is C·rᵗ·|cos(θt + φ)|, so the ratio of two single
    errors depends on the phase; the envelope ê_k = max(e_k, …, e_{k+W−1}) over a window of
    W = a quarter of the tail does not (much). Errors below ``ERROR_FLOOR`` times the start's are
    left out (they would be subnormal numbers).

    Args:
        errors: (n,) distances to the optimum, finite.

    Returns:
        (rate, k1, k2, ê_k1): rate = (ê_k2 / ê_k1)^(1/(k2 − k1)), or None when fewer than 5
        steps are usable (the error reached 0 almost at once); k1, k2 the steps it spans.
    """
    e = np.asarray(errors, dtype=np.float64)
    usable = np.flatnonzero(~(e > ERROR_FLOOR * e[0]))
    n = int(usable[0]) if usable.size else e.size
    k1 = n // 2
    w = max(2, (n - k1) // 4)
    k2 = n - w
    if k2 - k1 < 5:
        return None, k1, max(k2, k1), float(e[k1]) if k1 < e.size else 0.0
    env1 = float(e[k1:k1 + w].max())
    env2 = float(e[k2:k2 + w].max())
    return (env2 / env1) ** (1.0 / (k2 - k1)), k1, k2, env1


# ------------------------------------------------------------------------------------------------
# clamping


def fmt_rate(r: float) -> str:
    """A rate with enough decimals to tell it from 1 (0.9995 is not 1.000)."""
    d = 3
    while d < 8 and r != 1.0 and f"{r:.{d}f}" in ("1." + "0" * d, "0." + "9" * d):
        d += 1
    return f"{r:.{d}f}"


# ------------------------------------------------------------------------------------------------
# the heavy-ball run


@dataclass(frozen=True, eq=False)
class MomentumResult:
    """One heavy-ball run on ½ wᵀ diag(1, κ) w and what the theory says about it.

    Attributes:
        eta, beta, kappa, steps: the values used (after clamping).
        eigenvalues: (2,) the Hessian eigenvalues (1, κ).
        path: (n, 2) iterates, ``path[0]`` = the start; n = steps + 1 unless the run diverged
            (then it ends at the step where it did).
        errors: (n,) distance to the optimum ‖w_k − w*‖ = ‖w_k‖.
        predicted_rate: max over λ of the spectral radius of [[1 + β − ηλ, −β], [1, 0]].
        measured_rate: see :func:`measured_rate`; None when the run diverged or reached the
            optimum within a few steps.
        tail: (k1, k2) the steps over which the rate was measured.
        anchor: ê_{k1}, the error envelope at k1 (where the view anchors both rate lines).
        complex_roots: True when the slowest eigen-direction has complex roots (the iterate
            spirals; its rate is then √β).
        diverged_at: the step at which the run diverged (see :func:`diverged_at`), or None.
        status: "converging", "converged", "oscillating", "diverging" or "diverged".
        eta_opt, beta_opt, rate_opt: Goh's optimum for this κ.
        notes: messages about clamped inputs.
        message: the status line.
    """

    eta: float
    beta: float
    kappa: float
    steps: int
    eigenvalues: np.ndarray
    path: np.ndarray
    errors: np.ndarray
    predicted_rate: float
    measured_rate: float | None
    tail: tuple[int, int]
    anchor: float
    complex_roots: bool
    diverged_at: int | None
    status: str
    eta_opt: float
    beta_opt: float
    rate_opt: float
    notes: tuple[str, ...]
    message: str


def compute_momentum_explorer(
    eta: float, beta: float, kappa: float = 100.0, steps: int = 200
) -> MomentumResult:
    """Run heavy-ball momentum on ½ wᵀ diag(1, κ) w from (−4, 2) and compare its rate with theory.

    Pure and deterministic; 200 steps take a few milliseconds.

    Args:
        eta: learning rate η, clamped to [ETA_MIN, ETA_MAX].
        beta: momentum β, clamped to [0, BETA_MAX].
        kappa: condition number κ = λ_max / λ_min (λ_min = 1), clamped to [1, KAPPA_MAX].
        steps: number of steps, clamped to [STEPS_MIN, STEPS_MAX].

    Returns:
        A :class:`MomentumResult`.
    """
    notes: list[str] = []
    eta = clean_real(eta, "η", ETA_MIN, ETA_MAX, 0.01, notes)
    beta = clean_real(beta, "β", BETA_MIN, BETA_MAX, 0.9, notes)
    kappa = clean_real(kappa, "κ", KAPPA_MIN, KAPPA_MAX, 100.0, notes)
    steps = clean_count(steps, "steps", STEPS_MIN, STEPS_MAX, 200, notes)

    eig = np.array([1.0, kappa])
    surface = quadratic((1.0, kappa), angle=0.0)
    traj = run_optimizer(surface, lambda p: Momentum(p, lr=eta, beta=beta), start=START,
                         steps=steps)
    path = traj.path
    errors = np.sqrt(np.einsum("ij,ij->i", path, path))
    blown = [k for k in (traj.diverged_at, diverged_at(errors)) if k is not None]
    div = min(blown) if blown else None
    if div is not None:
        path, errors = path[: div + 1], errors[: div + 1]

    predicted = float(heavy_ball_rate(eta, beta, eig))
    slow = float(eig[np.argmax([heavy_ball_rate(eta, beta, (lam,)) for lam in eig])])
    spirals = _roots_are_complex(eta, beta, slow)
    eta_opt, beta_opt, rate_opt = optimal_parameters(kappa)

    if div is not None:
        rate, k1, k2, anchor = None, 0, div, float(errors[0])
    else:
        rate, k1, k2, anchor = measured_rate(errors)
    status = _status(errors, rate, div, predicted)
    message = _message(status, rate, predicted, div, spirals, beta, k1, errors)
    if notes:
        message = "; ".join(notes) + " — " + message
    return MomentumResult(
        eta=eta, beta=beta, kappa=kappa, steps=steps, eigenvalues=eig, path=path, errors=errors,
        predicted_rate=predicted, measured_rate=rate, tail=(k1, k2), anchor=anchor,
        complex_roots=spirals, diverged_at=div, status=status, eta_opt=eta_opt,
        beta_opt=beta_opt, rate_opt=rate_opt, notes=tuple(notes), message=message,
    )


def _status(errors: np.ndarray, rate: float | None, div: int | None, predicted: float) -> str:
    if div is not None:
        return "diverged"
    if rate is None:
        return "converged"
    if rate > 1.001:
        return "diverging"
    if rate >= 0.995:  # a factor 10 takes more than 460 steps: is it going back and forth?
        tail = errors[errors.size // 2:]
        rises = np.count_nonzero(np.diff(tail) > 0)
        # the error goes up on some steps, or one direction does not shrink at all (e.g. plain
        # gradient descent at η = 2/λ_max: that direction flips sign with constant size)
        if rises >= 0.1 * max(tail.size - 1, 1) or predicted >= 1.0 - 1e-9:
            return "oscillating"
    return "converging"


def _message(status: str, rate: float | None, predicted: float, div: int | None,
             spirals: bool, beta: float, k1: int, errors: np.ndarray) -> str:
    pred = fmt_rate(predicted)
    if status == "diverged":
        return f"diverged at step {div} (predicted rate {pred} > 1: the error grows)"
    if status == "converged":
        k = int(np.argmax(~(errors > ERROR_FLOOR * errors[0])))
        return f"converged: the error reached 0 at step {k} (predicted rate {pred})"
    assert rate is not None
    meas = fmt_rate(rate)
    how = "complex roots: spirals in at √β" if spirals else "real roots"
    if status == "diverging":
        return f"diverging: the error grows ×{meas} per step (predicted {pred})"
    if status == "oscillating":
        return f"oscillating: the error hardly shrinks, rate {meas} (predicted {pred}); {how}"
    return f"converging at rate {meas} (predicted {pred}) per step; {how}"


# ------------------------------------------------------------------------------------------------
# the exponentially weighted average and Adam's bias correction


@dataclass(frozen=True, eq=False)
class EMAResult:
    """The exponentially weighted average of a noisy constant signal.

    Attributes:
        beta: smoothing β used (after clamping).
        signal: the constant c the samples scatter around.
        t: (n,) steps 1 … n.
        samples: (n,) x_t = c + noise·N(0, 1) (seeded).
        average: (n,) v_t = βv_{t−1} + (1 − β)x_t with v_0 = 0 (biased towards 0 at first).
        corrected: (n,) v̂_t = v_t / (1 − βᵗ) (Adam's bias correction).
        notes: messages about clamped inputs.
        message: one line comparing the two at step 5 (or the last step if earlier).
    """

    beta: float
    signal: float
    t: np.ndarray
    samples: np.ndarray
    average: np.ndarray
    corrected: np.ndarray
    notes: tuple[str, ...]
    message: str


def compute_ema(beta: float, steps: int = 60, signal: float = 1.0, noise: float = 0.3,
                seed: int = 0) -> EMAResult:
    """Average a noisy constant signal exponentially, with and without bias correction.

    Args:
        beta: smoothing β, clamped to [0, BETA_MAX].
        steps: number of samples n, clamped to [2, 1000].
        signal: the constant c; noise: the standard deviation of the noise (>= 0).
        seed: seed of ``np.random.default_rng`` for the noise.

    Returns:
        An :class:`EMAResult`.
    """
    notes: list[str] = []
    beta = clean_real(beta, "β", BETA_MIN, BETA_MAX, 0.9, notes)
    n = clean_count(steps, "steps", 2, 1000, 60, notes)
    noise = clean_real(noise, "noise", 0.0, 1e6, 0.3, notes)
    signal = clean_real(signal, "signal", -1e6, 1e6, 1.0, notes)
    rng = np.random.default_rng(seed)
    x = signal + noise * rng.standard_normal(n)
    v = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc = beta * acc + (1.0 - beta) * x[i]
        v[i] = acc
    t = np.arange(1, n + 1)
    corrected = v / (1.0 - beta ** t)
    k = min(5, n)
    message = (f"step {k}: average v = {v[k - 1]:.2f} (starts near 0), corrected "
               f"v/(1−β^t) = {corrected[k - 1]:.2f}; the signal is {signal:g}")
    if notes:
        message = "; ".join(notes) + " — " + message
    return EMAResult(beta=beta, signal=signal, t=t, samples=x, average=v, corrected=corrected,
                     notes=tuple(notes), message=message)
