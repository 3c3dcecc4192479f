"""Check cells for the lessons' discovery tasks (NumPy only).

A discovery task asks the student to find a value by playing with a widget *before* the lesson
explains it, to store it in a variable, and to run a check cell. The check says whether the value
is right and why — and, before a value is set, only what to set, so it gives nothing away.

Lesson 03's task: on the 1-D quadratic 𝓛(w) = ½·λ·w² (λ = 10 in the lesson's explorer), find the
learning rate η where the iterates start to oscillate (jump over the minimum every step) and the
η where they start to diverge. The check runs gradient descent itself, w ← w − η·λ·w, and
reads the answer off the iterates, so it does not rely on the formula it is about to reveal.

Lesson 01's task: with the activation explorer, find the std of z ~ N(0, std²) at which tanh is
exactly as saturated as sigmoid with std 4 (:func:`check_tanh_match`).

Typical use in a notebook::

    from backprop_lab.lesson_checks import check_lr_limits
    my_eta_oscillate = None      # the η you found
    my_eta_diverge = None
    check_lr_limits(my_eta_oscillate, my_eta_diverge)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

__all__ = ["LimitCheck", "check_fastest_beta", "check_lr_limits", "check_sgd_stable_lr",
           "check_tanh_match", "fastest_beta", "gd_factor_on_quadratic",
           "run_gd_on_quadratic", "saturated_fraction", "sgd_distance_ratio"]


def run_gd_on_quadratic(lr: float, curvature: float, steps: int = 40, w0: float = 1.5) -> np.ndarray:
    """Iterates ``w_0, ..., w_steps`` of gradient descent on ½·curvature·w², shape ``(steps + 1,)``.

    Each step is ``w ← w − lr · curvature · w`` (the slope of ½·λ·w² is λ·w)."""
    path = np.empty(steps + 1)
    path[0] = w = float(w0)
    for t in range(1, steps + 1):
        w = w - lr * (curvature * w)
        path[t] = w
    return path


def gd_factor_on_quadratic(lr: float, curvature: float) -> float:
    """The measured per-step factor w₁/w₀ of gradient descent on ½·curvature·w² (a signed float)."""
    path = run_gd_on_quadratic(lr, curvature, steps=1)
    return float(path[1] / path[0])


@dataclass(frozen=True)
class LimitCheck:
    """Verdicts of :func:`check_lr_limits`: ``None`` where the value was not set yet."""

    oscillate_ok: bool | None
    diverge_ok: bool | None
    lines: tuple[str, ...]

    @property
    def all_ok(self) -> bool:
        """True when both values were set and both are right."""
        return bool(self.oscillate_ok) and bool(self.diverge_ok)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _as_lr(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise TypeError(f"{name} must be a number (the learning rate η you found), "
                        f"got {type(value).__name__} {value!r}")
    lr = float(value)
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{name} must be a positive, finite learning rate η, got {lr!r}")
    return lr


def _regime(lr: float, curvature: float) -> str:
    """'monotone', 'one step', 'oscillating', 'bouncing' or 'diverging', read off the iterates."""
    path = run_gd_on_quadratic(lr, curvature, steps=40)
    if path[1] == 0.0:
        return "one step"
    flips = bool(np.all(np.sign(path[1:]) != np.sign(path[:-1])))
    size = abs(path[-1]) / abs(path[0])
    if size > 1 + 1e-9:
        return "diverging"
    if size > 1 - 1e-9:
        return "bouncing"
    return "oscillating" if flips else "monotone"


def check_lr_limits(my_eta_oscillate: object = None, my_eta_diverge: object = None, *,
                    curvature: float = 10.0, tolerance: float = 0.05,
                    show: bool = True) -> LimitCheck:
    """Check the two learning rates found with lesson 03's explorer on ½·curvature·w².

    ``my_eta_oscillate``: where the iterates start to jump over the minimum every step;
    ``my_eta_diverge``: where they start to run away. Each is right when it is within
    ``tolerance`` (relative) of the true boundary, which the check finds by running gradient
    descent (the slider moves in steps of about 2 %, so 5 % allows for it). ``None`` means
    "not found yet": the check then says what to set and reveals nothing. Prints one line per
    value when ``show`` and returns a :class:`LimitCheck`.

    Raises ``TypeError``/``ValueError`` for a value that is not a positive finite number.
    """
    if not (isinstance(curvature, Real) and math.isfinite(curvature) and curvature > 0):
        raise ValueError(f"curvature must be a positive finite number, got {curvature!r}")
    if not (isinstance(tolerance, Real) and 0 < tolerance < 0.5):
        raise ValueError(f"tolerance must be a relative tolerance in (0, 0.5), got {tolerance!r}")
    eta_osc = _as_lr(my_eta_oscillate, "my_eta_oscillate")
    eta_div = _as_lr(my_eta_diverge, "my_eta_diverge")

    # the boundaries, found from the iterates: the smallest η whose first step lands beyond the
    # minimum (factor < 0) and the smallest η whose first step lands farther away (factor < -1)
    grid = np.linspace(1e-4, 5.0 / curvature, 200001)
    w0 = 1.5
    factors = (w0 - grid * (curvature * w0)) / w0     # one gradient step, w1/w0, for every η
    true_osc = float(grid[np.argmax(factors < 0)])
    true_div = float(grid[np.argmax(factors < -1)])

    lines: list[str] = []
    osc_ok: bool | None = None
    div_ok: bool | None = None
    if eta_osc is None:
        lines.append("my_eta_oscillate: not set yet — set my_eta_oscillate to the value you found "
                     "(the smallest η where each step jumps over the minimum)")
    else:
        f = gd_factor_on_quadratic(eta_osc, curvature)
        osc_ok = abs(eta_osc - true_osc) <= tolerance * true_osc
        if osc_ok:
            lines.append(f"my_eta_oscillate = {eta_osc:.3g}: right. Each step multiplies w by "
                         f"1 − ηλ; it turns negative at η = 1/λ = {1 / curvature:.3g}, so from "
                         f"there on w changes sign every step (at your η: factor {abs(f):.2f} "
                         f"{'with' if f < 0 else 'without'} a sign flip)")
        elif eta_osc < true_osc:
            lines.append(f"my_eta_oscillate = {eta_osc:.3g}: too small — there the iterates still "
                         f"approach from one side ({_regime(eta_osc, curvature)}); raise η")
        else:
            lines.append(f"my_eta_oscillate = {eta_osc:.3g}: too large — the iterates already "
                         f"jump over the minimum well below this η "
                         f"({_regime(eta_osc, curvature)} here); lower η")
    if eta_div is None:
        lines.append("my_eta_diverge: not set yet — set my_eta_diverge to the value you found "
                     "(the smallest η where the iterates run away)")
    else:
        f = gd_factor_on_quadratic(eta_div, curvature)
        div_ok = abs(eta_div - true_div) <= tolerance * true_div
        if div_ok:
            lines.append(f"my_eta_diverge = {eta_div:.3g}: right. The factor 1 − ηλ passes −1 at "
                         f"η = 2/λ = {2 / curvature:.3g}: beyond it every jump lands farther from "
                         f"the minimum than it started (here |factor| = {abs(f):.2f})")
        elif eta_div < true_div:
            lines.append(f"my_eta_diverge = {eta_div:.3g}: too small — at this η the run still "
                         f"reaches the minimum ({_regime(eta_div, curvature)}); raise η")
        else:
            lines.append(f"my_eta_diverge = {eta_div:.3g}: too large — runs already diverge at "
                         f"smaller η; lower η until the run just stops running away")
    result = LimitCheck(osc_ok, div_ok, tuple(lines))
    if show:
        print(result)
    return result


def saturated_fraction(name: str, std: float, threshold: float = 0.05) -> float:
    """Fraction of z ~ N(0, std²) where |g′(z)| < threshold · max g′, for g = sigmoid or tanh.

    Exact, from the normal distribution (no sampling): the region is |z| > c with
    c = log(s/(1−s)), s = (1 + √(1−threshold))/2 for the sigmoid (max σ′ = ¼) and
    c = atanh(√(1−threshold)) for tanh (max tanh′ = 1); P(|z| > c) = erfc(c / (std·√2)).
    """
    if name not in ("sigmoid", "tanh"):
        raise ValueError(f"name must be 'sigmoid' or 'tanh', got {name!r}")
    if not (isinstance(std, Real) and math.isfinite(std) and std > 0):
        raise ValueError(f"std must be a positive finite number, got {std!r}")
    r = math.sqrt(1 - threshold)
    c = math.log((1 + r) / (1 - r)) if name == "sigmoid" else math.atanh(r)
    return math.erfc(c / (float(std) * math.sqrt(2)))


def check_tanh_match(my_tanh_std: object = None, *, sigmoid_std: float = 4.0,
                     threshold: float = 0.05, tolerance: float = 0.05,
                     show: bool = True) -> bool | None:
    """Check lesson 01's explorer task: the std at which tanh is as saturated as sigmoid with
    ``sigmoid_std``. Right within ``tolerance`` (relative; the slider moves in steps of 0.05).

    ``None`` means "not found yet": the check says what to set and reveals nothing. Prints one
    line when ``show``; returns True/False, or None when the value is not set.
    Raises ``TypeError``/``ValueError`` for a value that is not a positive finite number.
    """
    std = _as_lr(my_tanh_std, "my_tanh_std")
    if std is None:
        line = ("my_tanh_std: not set yet — set my_tanh_std to the std you found (where tanh is "
                f"as saturated as sigmoid with std {sigmoid_std:g})")
        ok = None
    else:
        target = saturated_fraction("sigmoid", sigmoid_std, threshold)
        mine = saturated_fraction("tanh", std, threshold)
        ok = abs(std - sigmoid_std / 2) <= tolerance * sigmoid_std / 2
        if ok:
            line = (f"my_tanh_std = {std:g}: right. tanh z = 2σ(2z) − 1, so tanh at z behaves like "
                    f"sigmoid at 2z: tanh with std s saturates exactly like sigmoid with std 2s "
                    f"(here {mine:.1%} against {target:.1%})")
        else:
            way = "lower" if mine > target else "raise"
            line = (f"my_tanh_std = {std:g}: not yet — tanh is then {mine:.1%} saturated, sigmoid "
                    f"with std {sigmoid_std:g} {target:.1%}; {way} the std")
    if show:
        print(line)
    return ok


# ------------------------------------------------------------------------------------------------
# lesson 08: the optimizer race on the ravine, and the momentum explorer (issue 16)
#
# Imports of the library's optimizers and surfaces stay inside the functions, so that importing
# this module still loads NumPy only.


def _as_beta(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise TypeError(f"{name} must be a number (the momentum β you found, in [0, 1)), "
                        f"got {type(value).__name__} {value!r}")
    beta = float(value)
    if not (math.isfinite(beta) and 0.0 <= beta < 1.0):
        raise ValueError(f"{name} must be a momentum β in [0, 1), got {beta!r}")
    return beta


def sgd_distance_ratio(lr: float, surface: str = "ravine", steps: int = 2000) -> float:
    """How much SGD with learning rate ``lr`` still gains over the second half of a run on a named
    surface: ‖w_steps − w*‖ / ‖w_{steps/2} − w*‖, measured with
    :func:`backprop_lab.surfaces.run_optimizer` from the surface's start (0 when the run sits
    exactly on the minimum, ``inf`` when it diverged by the library's rule). Clearly below 1: the
    run converges; 1 or more: it bounces or runs away."""
    from backprop_lab.optim import SGD
    from backprop_lab.surfaces import get_surface, run_optimizer

    s = get_surface(surface)
    w_star = np.asarray(s.minima[0], dtype=np.float64)
    traj = run_optimizer(s, lambda params: SGD(params, lr=lr), steps=steps)
    if traj.path.shape[0] < steps + 1:                     # stopped early: diverged
        return math.inf
    d_mid = float(np.linalg.norm(traj.path[steps // 2] - w_star))
    d_end = float(np.linalg.norm(traj.path[-1] - w_star))
    if not math.isfinite(d_end):
        return math.inf
    return 0.0 if d_mid == 0.0 else d_end / d_mid


def check_sgd_stable_lr(my_sgd_eta: object = None, *, surface: str = "ravine",
                        tolerance: float = 0.15, show: bool = True) -> bool | None:
    """Check lesson 08's race task: SGD's largest learning rate that still converges on a quadratic
    surface (the ravine ½(x²/25 + y²)).

    The truth is computed from the surface: its largest Hessian eigenvalue λ_max gives the limit
    2/λ_max, and the verdict on the student's value comes from running SGD there
    (:func:`sgd_distance_ratio`). A value is right when it is at most the limit and at least
    ``1 − tolerance`` times it (the race's η slider moves by factors of 10^0.05 ≈ 1.12, so 15 %
    lets the slider's best value count). ``None`` means "not found yet": the check says what to set
    and reveals nothing. Prints one line when ``show``; returns True/False, or None when unset.

    Raises ``TypeError``/``ValueError`` for a value that is not a positive finite number, and
    ``ValueError`` for a surface without a constant Hessian.
    """
    from backprop_lab.surfaces import get_surface

    if not (isinstance(tolerance, Real) and 0 < tolerance < 0.5):
        raise ValueError(f"tolerance must be a relative tolerance in (0, 0.5), got {tolerance!r}")
    s = get_surface(surface)
    if s.hessian is None or not s.minima:
        raise ValueError(f"surface {surface!r} has no Hessian or no minimum; use a quadratic one "
                         "such as 'ravine' or 'bowl'")
    h = np.asarray(s.hessian(np.asarray(s.minima[0], dtype=np.float64)), dtype=np.float64)
    if not np.allclose(h, s.hessian(np.asarray(s.start, dtype=np.float64))):
        raise ValueError(f"surface {surface!r} is not a quadratic (its Hessian varies); use a "
                         "quadratic one such as 'ravine' or 'bowl'")
    eta = _as_lr(my_sgd_eta, "my_sgd_eta")
    if eta is None:
        line = (f"my_sgd_eta: not set yet — set my_sgd_eta to the η you found (the largest η at "
                f"which SGD still converges on the {surface})")
        if show:
            print(line)
        return None
    lam_max = float(np.linalg.eigvalsh(h).max())
    limit = 2.0 / lam_max
    ratio = sgd_distance_ratio(eta, surface)
    converges = ratio < 0.999           # bouncing (ratio 1) or running away is not converging
    ok = converges and eta >= (1 - tolerance) * limit
    factor = 1.0 - eta * lam_max
    if ok:
        line = (f"my_sgd_eta = {eta:.3g}: right. Along the steep direction (curvature λ_max = "
                f"{lam_max:.3g}) every step multiplies the error by 1 − ηλ_max = {factor:.3f}: "
                f"it flips sign each step and shrinks only while |1 − ηλ_max| < 1, i.e. for "
                f"η < 2/λ_max = {limit:.3g}")
    elif converges:
        line = (f"my_sgd_eta = {eta:.3g}: too small — SGD still converges at clearly larger η "
                f"(here the distance to the minimum still shrinks to {ratio:.1e} of its mid-run "
                "value over the second half of a 2000-step run); raise η until the run stops converging")
    else:
        line = (f"my_sgd_eta = {eta:.3g}: too large — at this η SGD does not converge on the "
                f"{surface}: the steep coordinate swings back at least as far each step (distance at the "
                f"end of a 2000-step run / at mid-run: {ratio:.3g}); lower η")
    if show:
        print(line)
    return ok


def fastest_beta(eta: float = 0.01, kappa: float = 100.0, lam_min: float = 1.0,
                 grid: int = 99_901) -> tuple[float, float]:
    """The β in [0, 0.999] with the lowest predicted rate of heavy-ball momentum at a fixed η on
    the quadratic with eigenvalues (λ_min, κ·λ_min), found by evaluating
    :func:`backprop_lab.explore.momentum.heavy_ball_rate` on a grid of ``grid`` values of β
    (steps of 1e-5). Returns (β, rate)."""
    from backprop_lab.explore.momentum import heavy_ball_rate

    betas = np.linspace(0.0, 0.999, grid)
    rates = heavy_ball_rate(eta, betas, (lam_min, kappa * lam_min))
    i = int(np.argmin(rates))
    return float(betas[i]), float(rates[i])


def check_fastest_beta(my_beta: object = None, *, eta: float = 0.01, kappa: float = 100.0,
                       tolerance: float = 0.015, show: bool = True) -> bool | None:
    """Check lesson 08's momentum-explorer task: at a fixed η (0.01) on the quadratic with
    eigenvalues (1, κ = 100), which β makes heavy-ball momentum fastest?

    The truth comes from the predicted rate :func:`backprop_lab.explore.momentum.heavy_ball_rate`
    minimised over β (:func:`fastest_beta`); a value is right when its predicted rate is at most
    ``tolerance`` above the best rate (0.015 at a rate of 0.90 is about 15 % more steps per digit
    of accuracy; the explorer shows the predicted rate and its β slider moves by 0.001, so the
    best β can be found closely). The message
    compares the rate at the student's β with plain gradient descent's (β = 0) and says which root
    limits it. ``None`` means "not found yet": the check says what to set and reveals nothing.
    Prints one line when ``show``; returns True/False, or None when unset.

    Raises ``TypeError``/``ValueError`` for a value that is not a number in [0, 1).
    """
    from backprop_lab.explore.momentum import heavy_ball_rate

    if not (isinstance(tolerance, Real) and 0 < tolerance < 0.5):
        raise ValueError(f"tolerance must be a rate tolerance in (0, 0.5), got {tolerance!r}")
    beta = _as_beta(my_beta, "my_beta")
    if beta is None:
        line = ("my_beta: not set yet — set my_beta to the β you found (the one with the fastest "
                "run at the task's η and κ)")
        if show:
            print(line)
        return None
    best_beta, best_rate = fastest_beta(eta, kappa)
    rate = float(heavy_ball_rate(eta, beta, (1.0, kappa)))
    rate_gd = float(heavy_ball_rate(eta, 0.0, (1.0, kappa)))
    ok = rate <= best_rate + tolerance
    if ok:
        line = (f"my_beta = {beta:.3g}: right — predicted rate {rate:.3f} per step against "
                f"{rate_gd:.3f} for β = 0. The slow direction (λ_min = 1) is the bottleneck: its "
                f"two roots are real while β < (1 − √(ηλ_min))² = {best_beta:.3f}, and the larger "
                f"one falls as β grows; past that β they turn complex with modulus √β, which "
                f"grows again. The fastest β is where they meet, rate √β = {best_rate:.3f}")
    elif beta < best_beta:
        line = (f"my_beta = {beta:.3g}: too small — predicted rate {rate:.3f}; the slow direction "
                "still creeps (its roots are real), more momentum speeds it up; raise β")
    else:
        line = (f"my_beta = {beta:.3g}: too large — predicted rate {rate:.3f}; the run spirals "
                "(complex roots of modulus √β), so less momentum is faster; lower β")
    if show:
        print(line)
    return ok
