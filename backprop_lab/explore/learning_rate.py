"""Learning-rate explorer, the pure half: plain gradient descent (optionally with momentum) on a
loss surface, and what the theory of quadratics says about it. NumPy only; the view is
:class:`backprop_lab.widgets.lr_explorer.LRExplorer`.

:func:`compute_lr_explorer` is a pure, deterministic function of the control values (surface,
learning rate η, number of steps, start point, momentum β) that runs gradient descent with
:func:`backprop_lab.surfaces.run_optimizer` and returns a :class:`LRExplorerResult`: the path, the
loss per step, a status (converged / converging / oscillating / diverging / diverged at step k /
stalled) and, on quadratics, the stability threshold 2(1+β)/λ_max and the per-step convergence
factor. Bad control values are clamped and reported in the message, never raised.

The surfaces are :data:`backprop_lab.surfaces.SURFACES` (each carries its label, start points and
first learning rate) plus :data:`QUADRATIC_1D`, the 1-D quadratic 𝓛(w) = ½·10·w².
"""

from __future__ import annotations

import cmath
import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from backprop_lab.surfaces import SURFACES, Surface, run_optimizer
from backprop_lab.surfaces import quadratic as _quadratic
from backprop_lab.validate import clean_count, clean_point, clean_real

__all__ = [
    "DEFAULT_LR",
    "EXPLORER_STATUSES",
    "EXPLORER_SURFACES",
    "LR_MAX",
    "LR_MIN",
    "L_1D",
    "MOMENTUM_BETA",
    "QUADRATIC_1D",
    "STARTS",
    "STEPS_MAX",
    "SURFACE_LABELS",
    "LRExplorerResult",
    "compute_lr_explorer",
    "convergence_factor",
    "stability_threshold",
    "surface_title",
]

_V = TypeVar("_V")

#: learning-rate range of the slider; values outside are clamped
LR_MIN, LR_MAX = 1e-4, 10.0
#: most steps the explorer runs
STEPS_MAX = 500
#: the momentum coefficient used when momentum is switched on
MOMENTUM_BETA = 0.9
#: curvature λ of the 1-D quadratic 𝓛(w) = ½·λ·w²
L_1D = 10.0

#: the 1-D quadratic 𝓛(w) = ½·λ·w², stored as the 2-D quadratic ½(λx² + y²) run on the line y = 0
#: (where the y-coordinate stays exactly 0); offered by the explorer only, not by the race
QUADRATIC_1D: Surface = dataclasses.replace(
    _quadratic((L_1D, 1.0)),
    name="quadratic_1d",
    start=(1.5, 0.0),
    bounds=(-2.0, 2.0, -1.0, 1.0),
    description=f"1-D quadratic ½·{L_1D:g}·w² (2/λ = {2 / L_1D:g})",
    label=f"1-D quadratic ½·{L_1D:g}·w²",
    starts=((1.5, 0.0), (-1.0, 0.0), (0.5, 0.0)),
    explorer_lr=0.05,
)


class _SurfaceTable(Mapping[str, _V]):
    """A read-only, live view ``name -> value(surface)`` over the explorer's surfaces: the 1-D
    quadratic, then :data:`backprop_lab.surfaces.SURFACES` as it is now (so a surface added with
    :func:`~backprop_lab.surfaces.register_surface` appears in every table at once)."""

    def __init__(self, value: Callable[[Surface], _V]) -> None:
        self._value = value

    def _surface(self, name: str) -> Surface:
        if name == QUADRATIC_1D.name:
            return QUADRATIC_1D
        return SURFACES[name]

    def __getitem__(self, name: str) -> _V:
        return self._value(self._surface(name))

    def __iter__(self) -> Iterator[str]:
        return iter([QUADRATIC_1D.name, *SURFACES])

    def __len__(self) -> int:
        return 1 + len(SURFACES)

    def __repr__(self) -> str:
        return repr(dict(self))


#: the surfaces the explorer offers, by name (live: includes registered surfaces)
EXPLORER_SURFACES: Mapping[str, Surface] = _SurfaceTable(lambda s: s)
#: dropdown labels, read from the surfaces (:attr:`~backprop_lab.surfaces.Surface.label`)
SURFACE_LABELS: Mapping[str, str] = _SurfaceTable(lambda s: s.display_label)
#: start points offered for each surface; the first is the surface's default start
STARTS: Mapping[str, tuple[tuple[float, float], ...]] = _SurfaceTable(lambda s: s.start_points)
#: a learning rate that shows something sensible when a surface is first chosen
DEFAULT_LR: Mapping[str, float] = _SurfaceTable(lambda s: s.explorer_lr)

#: statuses a result can have
EXPLORER_STATUSES = ("converged", "converging", "oscillating", "diverging", "diverged", "stalled")


@dataclass(frozen=True, eq=False)
class LRExplorerResult:
    """What gradient descent did for one setting of the controls.

    Attributes:
        surface_name: key of :data:`EXPLORER_SURFACES`.
        lr, steps, start, momentum: the values actually used (after clamping).
        path: (n, 2) iterates, ``path[0] = start``; n = steps + 1 unless the runner stopped a
            blown-up run early. For the 1-D quadratic the second column is 0.
        losses: (n,) loss at each iterate.
        diverged_at: the step at which the run diverged, or None: either the runner's blow-up
            step, or the step from which the iterate stayed outside the plotted box while the
            loss moved away from its start (up on a surface with a minimum, anywhere on the
            saddle).
        status: one of ``EXPLORER_STATUSES``: "converged", "converging", "oscillating" (the loss
            goes up and down, or every step overshoots and reverses direction), "diverging" (the
            loss grows but has not left the plot yet), "diverged", "stalled".
        threshold: for quadratics with a minimum, the largest stable learning rate
            2(1 + β)/λ_max (2/λ_max without momentum); None otherwise.
        rate: for quadratics, the per-step factor by which the slowest error component shrinks
            (|1 − ηλ| maximised over the Hessian eigenvalues λ without momentum); > 1 means it
            grows. None for non-quadratic surfaces.
        notes: messages about clamped inputs (empty when every value was valid).
        message: the one-line status shown under the plot.
    """

    surface_name: str
    lr: float
    steps: int
    start: tuple[float, float]
    momentum: float
    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    status: str
    threshold: float | None
    rate: float | None
    notes: tuple[str, ...]
    message: str

    @property
    def surface(self) -> Surface:
        return EXPLORER_SURFACES[self.surface_name]

    @property
    def one_d(self) -> bool:
        """True for the 1-D quadratic (drawn as a curve, not as contours)."""
        return self.surface_name == "quadratic_1d"


# ------------------------------------------------------------------------------------------------
# theory for quadratics


def _eigenvalues(surface: Surface) -> np.ndarray | None:
    """Hessian eigenvalues of a quadratic surface (constant Hessian), None for the others."""
    if surface.L is None or surface.hessian is None:
        return None
    if surface.name == "quadratic_1d":
        return np.array([L_1D])
    return np.linalg.eigvalsh(surface.hessian(np.zeros(2)))


def convergence_factor(lr: float, eigenvalues: np.ndarray, momentum: float = 0.0) -> float:
    """Per-step factor of the slowest error component of (heavy-ball) gradient descent on a
    quadratic with Hessian eigenvalues λ.

    Without momentum each eigen-direction evolves as e ← (1 − ηλ)·e, so the factor is
    max |1 − ηλ|. With momentum β it follows e_{t+1} = (1 + β − ηλ)e_t − β e_{t−1}; the factor
    is the largest root modulus of z² − (1 + β − ηλ)z + β = 0.

    Args:
        lr: learning rate η.
        eigenvalues: (k,) Hessian eigenvalues λ.
        momentum: β in [0, 1).

    Returns:
        The factor; < 1 converges, > 1 diverges.
    """
    worst = 0.0
    for lam in np.asarray(eigenvalues, dtype=np.float64).ravel():
        b = 1.0 + momentum - lr * lam
        if momentum == 0.0:
            rho = abs(b)
        else:
            disc = cmath.sqrt(b * b - 4.0 * momentum)
            rho = max(abs((b + disc) / 2.0), abs((b - disc) / 2.0))
        worst = max(worst, rho)
    return worst


def stability_threshold(L: float, momentum: float = 0.0) -> float:
    """The largest stable learning rate on a convex quadratic with largest curvature λ_max
    (the argument ``L``): 2/λ_max for plain gradient descent, 2(1 + β)/λ_max with heavy-ball momentum β."""
    return 2.0 * (1.0 + momentum) / L


# ------------------------------------------------------------------------------------------------
# compute


def _decimals(x: float) -> int:
    """Decimals that show two significant digits of ``x`` (at least 2)."""
    return max(2, 1 - math.floor(math.log10(abs(x)))) if x != 0 else 2


def _fmt_pair(a: float, b: float) -> tuple[str, str]:
    """Format two positive numbers with two significant digits each, more if that would make
    two different numbers look equal (0.21 vs 0.20, but 0.2001 vs 0.2000)."""
    da, db = _decimals(a), _decimals(b)
    while f"{a:.{da}f}" == f"{b:.{db}f}" and a != b and max(da, db) < 10:
        da, db = da + 1, db + 1
    return f"{a:.{da}f}", f"{b:.{db}f}"


def _fmt_lr(lr: float) -> str:
    """η with two significant digits (at least two decimals), as the status line shows it."""
    return f"{lr:.{_decimals(lr)}f}"


def _fmt_rate(r: float) -> str:
    """The per-step factor with enough decimals to tell it from 1 (0.9999 is not 1.00)."""
    d = 2
    while d < 8 and r != 1.0 and f"{r:.{d}f}" == "1." + "0" * d:
        d += 1
    return f"{r:.{d}f}"


def _clean_start(start: Any, surface: Surface, notes: list[str]) -> tuple[float, float]:
    """The start point, clamped into the plot box; on the 1-D quadratic also just w₀, and y = 0."""
    if surface.name == QUADRATIC_1D.name and start is not None:
        try:
            w = np.array(start, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            w = np.zeros(0)  # not numbers: clean_point explains
        if w.size in (1, 2):  # w₀, or (w₀, anything): the iterate stays on the line y = 0
            start = (float(w[0]), 0.0)
    return clean_point(start, "start", surface.start, surface.bounds, notes)


def _outside(path: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """(n,) True where the point lies outside the box (NaN counts as outside)."""
    xmin, xmax, ymin, ymax = bounds
    x, y = path[:, 0], path[:, 1]
    with np.errstate(invalid="ignore"):
        inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    return ~inside


def _escape_step(path: np.ndarray, losses: np.ndarray, surface: Surface) -> int | None:
    """The step from which the iterate stays outside the plot box, if the loss moved away."""
    out = _outside(path, surface.bounds)
    if not out[-1]:
        return None
    inside = np.flatnonzero(~out)
    k = int(inside[-1]) + 1 if inside.size else 0
    if k == 0:  # cannot happen: the start is clamped into the box
        return None
    if surface.f_min is not None and not losses[-1] > losses[0]:
        return None  # left the box but the loss went down: not a divergence
    return k


def _reverses(path: np.ndarray) -> bool:
    """True when most steps in the second half of the run reverse the previous step's direction
    (the iterate overshoots the minimum back and forth)."""
    d = np.diff(path, axis=0)
    if len(d) < 4:
        return False
    d = d[len(d) // 2 - 1 :]
    dots = np.einsum("ij,ij->i", d[1:], d[:-1])
    moving = np.abs(dots) > 0
    return bool(moving.sum() >= 2 and np.mean(dots[moving] < 0) >= 0.5)


def compute_lr_explorer(
    surface_name: str,
    lr: float,
    steps: int,
    start: tuple[float, float] | float | None = None,
    momentum: float = 0.0,
    reveal_threshold: bool = True,
) -> LRExplorerResult:
    """Run gradient descent with learning rate ``lr`` on a surface and describe what happened.

    Pure and deterministic (no randomness); a few hundred steps take about a millisecond.

    Args:
        surface_name: a key of :data:`EXPLORER_SURFACES` (``"quadratic_1d"``, ``"bowl"``,
            ``"ravine"``, ``"rosenbrock"``, ``"beale"``, ``"saddle"``, ``"himmelblau"``).
        lr: learning rate η; clamped to [LR_MIN, LR_MAX] (η ≤ 0 or not a number → LR_MIN, with
            a note in the message).
        steps: number of gradient steps; clamped to [1, STEPS_MAX].
        start: start point (x, y), for the 1-D quadratic also just w₀; None = the surface's
            default; clamped into the plot box.
        momentum: heavy-ball coefficient β in [0, 1); 0 = plain gradient descent.
        reveal_threshold: the message names the stability threshold (``η = 0.25 > 2/λ_max =
            0.20: diverges``); False leaves it out (``η = 0.25: diverges``), for a lesson in which
            the student is to find it. Everything else, ``threshold`` included, is the same.

    Returns:
        An :class:`LRExplorerResult`.

    Raises:
        ValueError: for an unknown surface name (the message lists the valid ones).
    """
    if not isinstance(surface_name, str) or surface_name not in EXPLORER_SURFACES:
        raise ValueError(
            f"unknown surface {surface_name!r}; valid names: {', '.join(EXPLORER_SURFACES)}"
        )
    surface = EXPLORER_SURFACES[surface_name]
    notes: list[str] = []
    lr = clean_real(lr, "learning rate", LR_MIN, LR_MAX, LR_MIN, notes)
    steps = clean_count(steps, "steps", 1, STEPS_MAX, 1, notes)
    xy0 = _clean_start(start, surface, notes)
    try:
        beta = float(momentum)
    except (TypeError, ValueError):
        beta = math.nan
    if not (0.0 <= beta < 1.0):
        notes.append(f"momentum must be in [0, 1) (got {momentum!r}); using 0")
        beta = 0.0

    if beta > 0.0:
        traj = run_optimizer(surface, "momentum", lr=lr, start=xy0, steps=steps, beta=beta)
    else:
        traj = run_optimizer(surface, "sgd", lr=lr, start=xy0, steps=steps)
    path, losses = traj.path, traj.losses

    escaped = _escape_step(path, losses, surface)
    blown_up = traj.diverged_at
    candidates = [k for k in (escaped, blown_up) if k is not None]
    diverged_at = min(candidates) if candidates else None
    status = traj.status
    if diverged_at is not None:
        status = "diverged"
    elif status == "diverged":  # classify: the loss is still growing, but the run is on the plot
        status = "diverging"
    elif status in ("converging", "stalled") and _reverses(path):
        status = "oscillating"

    eig = _eigenvalues(surface)
    threshold = rate = None
    if eig is not None:
        rate = convergence_factor(lr, eig, beta)
        if np.all(eig > 0):
            threshold = stability_threshold(float(eig.max()), beta)

    message = _message(surface, status, diverged_at, losses, steps, lr, beta, eig, threshold, rate,
                       reveal_threshold)
    if notes:
        message = "; ".join(notes) + " — " + message
    return LRExplorerResult(
        surface_name=surface_name,
        lr=lr,
        steps=steps,
        start=xy0,
        momentum=beta,
        path=path,
        losses=losses,
        diverged_at=diverged_at,
        status=status,
        threshold=threshold,
        rate=rate,
        notes=tuple(notes),
        message=message,
    )


def _message(
    surface: Surface,
    status: str,
    diverged_at: int | None,
    losses: np.ndarray,
    steps: int,
    lr: float,
    beta: float,
    eig: np.ndarray | None,
    threshold: float | None,
    rate: float | None,
    reveal_threshold: bool = True,
) -> str:
    """The status line: what happened, then (quadratics) what the theory predicts; the threshold
    2/λ_max (2(1+β)/λ_max) is named only with ``reveal_threshold``."""
    final = float(losses[-1])
    if status == "diverged":
        what = f"diverged at step {diverged_at}"
    elif status == "converged":
        if surface.f_min is None:
            what = f"converged to a stationary point in {steps} steps (not a minimum!)"
        else:
            what = f"converged: loss {final:.2g} after {steps} steps"
    elif status == "oscillating":
        what = f"oscillating: loss {final:.3g} after {steps} steps"
    elif status == "diverging":
        what = f"diverging: loss grew to {final:.3g} in {steps} steps"
    elif status == "stalled":
        what = f"stalled: loss {final:.3g} barely moves"
    else:
        what = f"converging: loss {final:.3g} after {steps} steps"

    if eig is None or rate is None:
        if status in ("diverged", "diverging", "oscillating"):
            return f"{what} | the steps overshoot: try a smaller η"
        if status == "stalled":
            return f"{what} | try a larger η"
        return what
    if threshold is None:  # the saddle: a negative eigenvalue
        lam = float(eig.min())
        return f"{what} | λ = {lam:g} < 0: that direction grows ×{_fmt_rate(rate)} per step for any η"
    if not reveal_threshold:
        if lr > threshold:
            verdict = f"η = {_fmt_lr(lr)}: diverges (×{_fmt_rate(rate)} per step)"
        elif lr < threshold:
            verdict = f"η = {_fmt_lr(lr)}: converges (×{_fmt_rate(rate)} per step)"
        else:
            verdict = f"η = {_fmt_lr(lr)}: on the edge, neither shrinks nor grows"
        return f"{what} | {verdict}"
    a, t = _fmt_pair(lr, threshold)
    bound = "2(1+β)/λ_max" if beta > 0 else "2/λ_max"
    if lr > threshold:
        verdict = f"η = {a} > {bound} = {t}: diverges (×{_fmt_rate(rate)} per step)"
    elif lr < threshold:
        verdict = f"η = {a} < {bound} = {t}: converges (×{_fmt_rate(rate)} per step)"
    else:
        verdict = f"η = {bound} = {t}: on the edge, neither shrinks nor grows"
    return f"{what} | {verdict}"


def surface_title(surface: Surface, reveal_threshold: bool = True) -> str:
    """The title the explorer draws over a surface: its description; with ``reveal_threshold``
    False the 1-D quadratic's title leaves out its threshold "(2/λ = 0.2)"."""
    if not reveal_threshold and surface.name == QUADRATIC_1D.name:
        return QUADRATIC_1D.label
    return surface.description
