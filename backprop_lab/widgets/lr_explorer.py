"""Learning-rate explorer: plain gradient descent (optionally with momentum) on a loss surface.

Two parts, as every widget of the course:

* :func:`compute_lr_explorer` — a pure, deterministic function of the control values (surface,
  learning rate η, number of steps, start point, momentum β) that runs gradient descent with
  :func:`backprop_lab.surfaces.run_optimizer` and returns a :class:`LRExplorerResult`: the path,
  the loss per step, a status (converged / converging / oscillating / diverging / diverged at
  step k / stalled) and, on quadratics, the stability threshold 2(1+β)/λ_max and the per-step
  convergence factor. Bad control values are clamped and reported in the message, never raised.
* :class:`LRExplorer` — the view: a dropdown of surfaces, a log-scale learning-rate slider, a
  steps slider, a dropdown of start points and a momentum checkbox above a figure with the
  contour plot and path (for the 1-D quadratic: the curve with the iterates), the loss per step
  on a log axis, and a status line. A control change updates the artists in place
  (``set_data`` / ``set_text``); the contours are redrawn only when the surface changes.

The surfaces are :data:`backprop_lab.surfaces.SURFACES` plus ``"quadratic_1d"``, the 1-D
quadratic 𝓛(w) = ½·10·w² (stored as the 2-D quadratic ½(10x² + y²) run on the line y = 0, where
the y-coordinate stays exactly 0).

Typical use in a notebook::

    from backprop_lab.widgets.lr_explorer import LRExplorer
    LRExplorer(surface="ravine")        # displays itself
"""

from __future__ import annotations

import cmath
import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist

from backprop_lab.surfaces import SURFACES, Surface, run_optimizer
from backprop_lab.surfaces import quadratic as _quadratic
from backprop_lab.widgets.base import ExplorerView

__all__ = [
    "DEFAULT_LR",
    "EXPLORER_STATUSES",
    "LR_MAX",
    "LR_MIN",
    "STARTS",
    "STEPS_MAX",
    "SURFACE_LABELS",
    "EXPLORER_SURFACES",
    "LRExplorer",
    "LRExplorerResult",
    "compute_lr_explorer",
    "stability_threshold",
    "convergence_factor",
]

#: learning-rate range of the slider; values outside are clamped
LR_MIN, LR_MAX = 1e-4, 10.0
#: most steps the explorer runs
STEPS_MAX = 500
#: the momentum coefficient used when momentum is switched on
MOMENTUM_BETA = 0.9
#: curvature λ of the 1-D quadratic 𝓛(w) = ½·λ·w²
L_1D = 10.0

_QUAD_1D = dataclasses.replace(
    _quadratic((L_1D, 1.0)),
    name="quadratic_1d",
    start=(1.5, 0.0),
    bounds=(-2.0, 2.0, -1.0, 1.0),
    description=f"1-D quadratic ½·{L_1D:g}·w² (2/λ = {2 / L_1D:g})",
)

#: the surfaces the explorer offers, by name
EXPLORER_SURFACES: dict[str, Surface] = {"quadratic_1d": _QUAD_1D, **SURFACES}

#: dropdown labels
SURFACE_LABELS: dict[str, str] = {
    "quadratic_1d": "1-D quadratic ½·10·w²",
    "bowl": "bowl (κ = 1)",
    "ravine": "ravine (κ = 25)",
    "rosenbrock": "Rosenbrock",
    "beale": "Beale",
    "saddle": "saddle x² − y²",
    "himmelblau": "Himmelblau",
}

#: start points offered for each surface; the first is the surface's default start
STARTS: dict[str, tuple[tuple[float, float], ...]] = {
    "quadratic_1d": ((1.5, 0.0), (-1.0, 0.0), (0.5, 0.0)),
    "bowl": ((-1.5, 1.0), (1.5, 1.5), (0.5, -1.8)),
    "ravine": ((-4.5, 1.5), (-4.5, 0.2), (4.0, -2.0)),
    "rosenbrock": ((-1.2, 1.0), (-1.5, -0.5), (1.5, 2.5), (0.0, 2.5)),
    "beale": ((1.0, 1.5), (-1.0, -1.0), (2.0, -1.0), (3.5, 2.0)),
    "saddle": ((-1.5, 0.01), (-1.5, 0.5), (-1.5, 0.0)),
    "himmelblau": ((0.0, 0.0), (-1.0, -1.0), (-4.0, 0.0), (1.0, 4.0)),
}

#: a learning rate that shows something sensible when a surface is first chosen
DEFAULT_LR: dict[str, float] = {
    "quadratic_1d": 0.05,
    "bowl": 0.3,
    "ravine": 1.0,
    "rosenbrock": 1e-3,
    "beale": 1e-2,
    "saddle": 0.1,
    "himmelblau": 1e-2,
}

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


def _fmt_rate(r: float) -> str:
    """The per-step factor with enough decimals to tell it from 1 (0.9999 is not 1.00)."""
    d = 2
    while d < 8 and r != 1.0 and f"{r:.{d}f}" == "1." + "0" * d:
        d += 1
    return f"{r:.{d}f}"


def _clean_lr(lr: Any, notes: list[str]) -> float:
    try:
        value = float(lr)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        notes.append(f"learning rate must be a number > 0 (got {lr!r}); using {LR_MIN:g}")
        return LR_MIN
    if value < LR_MIN:
        notes.append(f"learning rate {value:g} below {LR_MIN:g}; using {LR_MIN:g}")
        return LR_MIN
    if value > LR_MAX:
        notes.append(f"learning rate {value:g} above {LR_MAX:g}; using {LR_MAX:g}")
        return LR_MAX
    return value


def _clean_steps(steps: Any, notes: list[str]) -> int:
    from backprop_lab.widgets.base import clean_whole_number

    return clean_whole_number(steps, "steps", 1, STEPS_MAX, notes)


def _clean_start(start: Any, surface: Surface, notes: list[str]) -> tuple[float, float]:
    one_d = surface.name == "quadratic_1d"
    if start is None:
        return (float(surface.start[0]), float(surface.start[1]))
    try:
        xy = np.array(start, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        xy = np.array([math.nan])
    if one_d and xy.size == 1:
        xy = np.array([xy[0], 0.0])
    if xy.size != 2 or not np.all(np.isfinite(xy)):
        notes.append(f"start must be a point (x, y) of finite numbers (got {start!r}); "
                     "using the default start")
        return (float(surface.start[0]), float(surface.start[1]))
    if one_d:
        xy[1] = 0.0
    xmin, xmax, ymin, ymax = surface.bounds
    clipped = np.array([min(max(xy[0], xmin), xmax), min(max(xy[1], ymin), ymax)])
    if not np.array_equal(clipped, xy):
        notes.append(f"start {tuple(float(v) for v in xy)} outside the plot; "
                     f"moved to ({clipped[0]:g}, {clipped[1]:g})")
    return (float(clipped[0]), float(clipped[1]))


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
    lr = _clean_lr(lr, notes)
    steps = _clean_steps(steps, notes)
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

    message = _message(surface, status, diverged_at, losses, steps, lr, beta, eig, threshold, rate)
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
) -> str:
    """The status line: what happened, then (quadratics) what the theory predicts."""
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
    a, t = _fmt_pair(lr, threshold)
    bound = "2(1+β)/λ_max" if beta > 0 else "2/λ_max"
    if lr > threshold:
        verdict = f"η = {a} > {bound} = {t}: diverges (×{_fmt_rate(rate)} per step)"
    elif lr < threshold:
        verdict = f"η = {a} < {bound} = {t}: converges (×{_fmt_rate(rate)} per step)"
    else:
        verdict = f"η = {bound} = {t}: on the edge, neither shrinks nor grows"
    return f"{what} | {verdict}"


# ------------------------------------------------------------------------------------------------
# view


def _exit_point(
    inside: np.ndarray, outside: np.ndarray, bounds: tuple[float, float, float, float]
) -> np.ndarray:
    """Where the segment from ``inside`` to ``outside`` crosses the edge of the box ``bounds``
    (``outside`` itself if it is inside; clamped into the box if it is not finite).

    Returns:
        (2,) point on (or in) the box.
    """
    xmin, xmax, ymin, ymax = bounds
    p, q = np.asarray(inside, dtype=np.float64), np.asarray(outside, dtype=np.float64)
    clamp = np.array([min(max(p[0], xmin), xmax), min(max(p[1], ymin), ymax)])
    if not np.all(np.isfinite(q)):
        return clamp
    if xmin <= q[0] <= xmax and ymin <= q[1] <= ymax:
        return q.copy()
    d = q - p
    t = 1.0
    for k, (lo, hi) in enumerate(((xmin, xmax), (ymin, ymax))):
        if d[k] > 0 and q[k] > hi:
            t = min(t, (hi - p[k]) / d[k])
        elif d[k] < 0 and q[k] < lo:
            t = min(t, (lo - p[k]) / d[k])
    point = p + max(t, 0.0) * d
    return np.array([min(max(point[0], xmin), xmax), min(max(point[1], ymin), ymax)])


def _power_label(value: float, pos: int | None = None) -> str:
    """Tick label ``1e-3`` for a power of ten: plain text renders much faster than mathtext."""
    if value == 0:
        return "0"
    exponent = math.log10(abs(value))
    sign = "-" if value < 0 else ""
    if abs(exponent - round(exponent)) < 1e-9:
        return f"{sign}1e{round(exponent):d}"
    return f"{value:.2g}"


class LRExplorer(ExplorerView):
    """The learning-rate explorer widget (see the module docstring).

    Controls (``ipywidgets``, settable programmatically): ``surface`` (Dropdown), ``lr``
    (FloatLogSlider), ``steps`` (IntSlider), ``start`` (Dropdown of points), ``momentum``
    (Checkbox, β = 0.9). The latest :class:`LRExplorerResult` is ``result``; the status line is
    ``status_text``. Display the object (or ``.widget``) in a notebook.

    The loss axis keeps fixed limits for a surface (1e-12 up to 10× the largest start loss, the
    saddle: the range of f on the plot), so the slope of the loss line — the convergence rate —
    can be compared while the slider moves; changing the surface or the number of steps redraws
    the axes, changing η, the start or momentum only moves the lines.

    Args:
        surface: initial surface name.
        lr: initial learning rate (None = the surface's :data:`DEFAULT_LR`).
        steps: initial number of steps.
        start: initial start point (None = the surface's first start).
        momentum: start with momentum switched on.
        width, height, dpi: figure size in inches and resolution (modest, so the PNG redraw of
            the inline fallback stays fast).
        blit: inline fallback only: redraw just the moving artists (see
            :class:`~backprop_lab.widgets.base.FigureView`); False re-renders the whole figure
            with ``savefig`` on every change.
    """

    #: a frame stands for the result and the error message shown with it
    frame_attrs = ("result", "error")

    #: lowest value on the log loss axis (a run below it has converged for all practical purposes)
    LOSS_FLOOR = 1e-12

    def __init__(
        self,
        surface: str = "ravine",
        lr: float | None = None,
        steps: int = 60,
        start: tuple[float, float] | None = None,
        momentum: bool = False,
        width: float = 8.6,
        height: float = 3.5,
        dpi: int = 72,
        blit: bool = True,
    ) -> None:
        import ipywidgets as w

        from backprop_lab.widgets.base import FigureView, new_figure

        if surface not in EXPLORER_SURFACES:
            raise ValueError(
                f"unknown surface {surface!r}; valid names: {', '.join(EXPLORER_SURFACES)}"
            )
        self.contour_draws = 0
        self.error: str | None = None
        self.surface = w.Dropdown(
            options=[(SURFACE_LABELS.get(n, n), n) for n in EXPLORER_SURFACES],
            value=surface, description="surface",
        )
        self.lr = w.FloatLogSlider(
            value=DEFAULT_LR[surface] if lr is None else lr, base=10,
            min=math.log10(LR_MIN), max=math.log10(LR_MAX), step=0.01,
            description="η", readout_format=".3g", continuous_update=True,
        )
        self.steps = w.IntSlider(value=steps, min=1, max=STEPS_MAX, description="steps",
                                 continuous_update=True)
        self.start = w.Dropdown(description="start")
        self._set_start_options(surface, start)
        self.momentum = w.Checkbox(value=momentum, description=f"momentum β = {MOMENTUM_BETA:g}",
                                   indent=False)

        self.fig = new_figure(width, height, dpi=dpi)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.25, top=0.9, wspace=0.28)
        self.ax_path, self.ax_loss = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        self.status_artist = self.fig.text(0.01, 0.02, "", fontsize=9, ha="left", va="bottom")
        self._init_loss_axes()
        self._watch({"surface": self.surface, "lr": self.lr, "steps": self.steps,
                     "start": self.start, "momentum": self.momentum}, prefetch=("lr", "steps"))
        self.result = self._compute()
        self._draw_surface()
        self._draw()
        self.view = FigureView(self.fig, animated=self._moving_artists(), volatile=[self.ax_loss],
                               blit=blit)
        self.widget = w.VBox([
            w.HBox([self.surface, self.start, self.momentum]),
            w.HBox([self.lr, self.steps]),
            self.view.widget,
        ])

    # -- display -------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def status_text(self) -> str:
        """The status line currently drawn under the plots."""
        self._settle()
        return self.status_artist.get_text()

    def _moving_artists(self) -> list[Artist]:
        return [self.path_line, self.start_marker, self.end_marker, self.loss_line,
                self.diverge_line, self.status_artist]

    # -- control handling ----------------------------------------------------------------------

    def _set_start_options(self, surface: str, start: tuple[float, float] | None = None) -> None:
        points = list(STARTS.get(surface, (EXPLORER_SURFACES[surface].start,)))
        if start is not None:
            start = (float(start[0]), float(start[1])) if np.ndim(start) else (float(start), 0.0)
            if start not in points:
                points.append(start)
        self._start_points = points
        label = "w₀ = {0:g}" if surface == "quadratic_1d" else "({0:g}, {1:g})"
        self.start.options = [(label.format(*p), p) for p in points]
        self.start.value = points[0] if start is None else start

    def _prepare(self, change: dict[str, Any]) -> None:
        owner = change["owner"]
        if owner is self.surface:
            name = self.surface.value
            self._set_start_options(name)
            self.lr.value = DEFAULT_LR.get(name, self.lr.value)
            self._draw_surface()
            self.view.set_animated(self._moving_artists())
            self.forget_frames()  # the loss axes' limits follow the surface's start points
        elif owner is self.steps:
            self._set_step_axis()
            self.view.invalidate(partial=True)  # only the loss axes' step axis changed

    def _show_status(self, text: str | None = None) -> None:
        """The status line is drawn in the figure (see :meth:`_draw`)."""

    def _compute(self) -> LRExplorerResult | None:
        try:
            result = compute_lr_explorer(
                self._value("surface"), self._value("lr"), self._value("steps"),
                self._value("start"), MOMENTUM_BETA if self._value("momentum") else 0.0,
            )
        except (ValueError, TypeError, ArithmeticError) as err:  # shown, never raised
            self.error = f"cannot run: {err}"
            return None
        self.error = None
        return result

    # -- drawing -------------------------------------------------------------------------------

    def _init_loss_axes(self) -> None:
        from matplotlib.ticker import MaxNLocator

        ax = self.ax_loss
        (self.loss_line,) = ax.plot([], [], "-", color="tab:blue", linewidth=1.3)
        self.diverge_line = ax.axvline(0, color="tab:red", linestyle="--", linewidth=1.0,
                                       visible=False)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_title("loss per step", fontsize=10)
        ax.grid(True, which="major", alpha=0.3)

    def _draw_surface(self) -> None:
        """Redraw the left axes for the current surface (contours, or the 1-D curve)."""
        from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

        from backprop_lab.plotting.surfaces import plot_contours, plot_quadratic_1d

        name = self.surface.value
        surface = EXPLORER_SURFACES[name]
        ax = self.ax_path
        ax.cla()
        if name == "quadratic_1d":
            _, self.path_line = plot_quadratic_1d(ax, L_1D, [], w_max=surface.bounds[1],
                                                  mark_start=False)
            ax.set_ylabel("loss ½·λ·w²")  # the course writes the curvature λ (lesson 03)
        else:
            plot_contours(ax, surface, n_grid=100, n_levels=14)
            (self.path_line,) = ax.plot([], [], "-o", color="tab:red", markersize=2.5,
                                        linewidth=1.1)
        (self.start_marker,) = ax.plot([], [], "s", color="tab:red", markersize=6)
        (self.end_marker,) = ax.plot([], [], "X", color="black", markersize=8, visible=False)
        ax.set_title(surface.description, fontsize=9)
        # few ticks: every tick label is text to lay out and render on each redraw
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        # fixed loss-axis limits for this surface
        if surface.f_min is not None:
            gaps = [surface.f(np.array(p)) - surface.f_min for p in self._start_points]
            self._loss_limits = (self.LOSS_FLOOR, 10.0 * max(max(gaps), 1e-6))
            self.ax_loss.set_yscale("log")
            self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=6))
            self.ax_loss.yaxis.set_major_formatter(FuncFormatter(_power_label))
            self.ax_loss.set_ylabel("f − f* (log)")
        else:  # the saddle: f goes negative; show the range of f on the plot
            _, _, Z = surface.grid(60)
            lo, hi = float(Z.min()), float(Z.max())
            pad = 0.1 * (hi - lo)
            self._loss_limits = (lo - pad, hi + pad)
            self.ax_loss.set_yscale("linear")
            self.ax_loss.yaxis.set_major_locator(MaxNLocator(5))
            self.ax_loss.set_ylabel("f")
        self.ax_loss.set_ylim(*self._loss_limits)
        self._set_step_axis()
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.contour_draws += 1

    def _set_step_axis(self) -> None:
        self.ax_loss.set_xlim(0, max(self._value("steps"), 1))

    def _draw(self) -> None:
        from backprop_lab.plotting.surfaces import display_path

        self._set_step_axis()  # (a frame rendered ahead may be for another number of steps)
        r = self.result
        if r is None:
            self.path_line.set_data([], [])
            self.loss_line.set_data([], [])
            self.start_marker.set_data([], [])
            self.end_marker.set_visible(False)
            self.diverge_line.set_visible(False)
            self.status_artist.set_text(self.error or "")
            self.status_artist.set_color("tab:red")
            return
        surface = r.surface
        # after a divergence only the way out is drawn: the path ends where it leaves the plot
        n = len(r.losses) if r.diverged_at is None else min(r.diverged_at + 1, len(r.losses))
        shown = display_path(r.path[:n], surface.bounds)
        if r.diverged_at is not None and n >= 2:
            shown[-1] = _exit_point(r.path[n - 2], r.path[n - 1], surface.bounds)
        if r.one_d:
            ws = shown[:, 0]
            self.path_line.set_data(ws, 0.5 * L_1D * ws * ws)
            self.start_marker.set_data([r.start[0]], [0.5 * L_1D * r.start[0] ** 2])
        else:
            self.path_line.set_data(shown[:, 0], shown[:, 1])
            self.start_marker.set_data([r.start[0]], [r.start[1]])

        # the divergence mark: where the path left the plot
        if r.diverged_at is not None:
            x, y = shown[-1]
            if r.one_d:
                y = 0.5 * L_1D * x * x
            self.end_marker.set_data([x], [y])
            self.end_marker.set_visible(True)
            self.diverge_line.set_xdata([r.diverged_at, r.diverged_at])
            self.diverge_line.set_visible(True)
        else:
            self.end_marker.set_visible(False)
            self.diverge_line.set_visible(False)

        # the loss per step; the axis limits are fixed, values far outside are clipped so that
        # a blow-up cannot reach the renderer as inf or 1e300
        lo, hi = self._loss_limits
        y = r.losses[:n].astype(np.float64)
        y[~np.isfinite(y)] = np.nan
        if surface.f_min is not None:
            y -= surface.f_min
            lo, hi = lo / 10.0, hi * 10.0
        else:
            lo, hi = lo - (hi - lo), hi + (hi - lo)
        with np.errstate(invalid="ignore"):
            np.clip(y, lo, hi, out=y)
        self.loss_line.set_data(np.arange(n), y)
        self.status_artist.set_text(r.message)
        self.status_artist.set_color("tab:red" if r.status in ("diverged", "diverging") else "black")
