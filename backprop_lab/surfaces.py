"""Two-dimensional loss surfaces with analytic gradients, and a fast optimizer runner.

A :class:`Surface` bundles a test function f(x, y) with its gradient, its Hessian, its known minima
and hints for plotting (a good start point, plot bounds, whether contours look better on a log
scale). The named surfaces live in :data:`SURFACES`:

=============  ===============================================  ===============================
name           f(x, y)                                          minima
=============  ===============================================  ===============================
bowl           ½(x² + y²)                                        (0, 0); κ = 1
ravine         ½(x²/25 + y²)                                     (0, 0); κ = 25
rosenbrock     (1 − x)² + 100(y − x²)²                           (1, 1)
beale          (1.5 − x + xy)² + (2.25 − x + xy²)²               (3, 0.5)
               + (2.625 − x + xy³)²
saddle         x² − y²                                           none (unbounded below)
himmelblau     (x² + y − 11)² + (x + y² − 7)²                    four, all with f = 0
=============  ===============================================  ===============================

:func:`quadratic` builds any convex quadratic ½ xᵀAx from its eigenvalues and a rotation angle.

Each surface also carries what the widgets offer on it — a dropdown label, start points, the
learning-rate explorer's first η and the optimizer race's η per optimizer — so that
:data:`SURFACES` is the one registry of surfaces: :func:`register_surface` adds a new one, and the
explorer and the race (:mod:`backprop_lab.explore`) offer it at once.

:func:`run_optimizer` runs one of the optimizers of :mod:`backprop_lab.optim` (or any optimizer
built by a factory) on a surface and returns a :class:`Trajectory`: the path, the losses, the step
at which it diverged (if it did) and a status from :func:`classify`. It is fast enough to drive a
slider: a few hundred steps take about a millisecond plus the optimizer's own time.

NumPy only; no plotting here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from backprop_lab.divergence import LOSS_FACTOR, PARAM_LIMIT
from backprop_lab.optim import Optimizer, make_optimizer
from backprop_lab.parameter import Parameter, Point
from backprop_lab.step import Stepper

__all__ = [
    "STATUSES",
    "SURFACES",
    "Surface",
    "Trajectory",
    "classify",
    "get_surface",
    "quadratic",
    "register_surface",
    "run_optimizer",
]

#: the explorer's learning rate on a surface that does not set its own
DEFAULT_EXPLORER_LR = 0.01
#: the race's learning rate for an optimizer that a surface has no rate for
DEFAULT_RACE_LR = 0.01

#: the statuses :func:`classify` can return
STATUSES = ("converged", "converging", "oscillating", "diverged", "stalled")

#: a run stops as "diverged" once a coordinate of the point exceeds this in absolute value ...
COORD_LIMIT = PARAM_LIMIT
#: ... or once the loss exceeds ``LOSS_BLOWUP * (1 + |f(start)|)``: the rule of
#: :mod:`backprop_lab.divergence`, shared with ``fit`` and the playground
LOSS_BLOWUP = LOSS_FACTOR

# The raw formulas below take x and y as Python floats (fast, for one point) or as NumPy arrays
# (for contour grids). They use ``x * x`` rather than ``x ** 2``: on a huge Python float ``**``
# raises OverflowError while ``*`` quietly gives inf, which the divergence check then catches.
_Scalar2 = Callable[[Any, Any], Any]
_Vector2 = Callable[[float, float], tuple[float, float]]
_Matrix2 = Callable[[float, float], tuple[float, float, float, float]]


@dataclass(frozen=True)
class Surface:
    """A 2-D test function with its analytic derivatives and plotting hints.

    Attributes:
        name: short name, e.g. ``"rosenbrock"``.
        f: ``f(xy) -> float`` for one point ``xy`` of shape (2,).
        grad: ``grad(xy) -> ndarray (2,)``, the analytic gradient ∇f.
        f_grid: ``f_grid(X, Y) -> Z``, f evaluated elementwise on same-shape arrays (contour plots).
        minima: the known global minima as ``((x, y), ...)``; empty if f has none.
        start: a good default start point ``(x0, y0)``.
        bounds: ``(xmin, xmax, ymin, ymax)`` for plotting; contains ``start`` and ``minima``.
        hessian: ``hessian(xy) -> ndarray (2, 2)``, the analytic Hessian ∇²f, or None.
        f_min: the value of f at the minima (None if there are none).
        L: largest Hessian eigenvalue for quadratic surfaces (the GD step size must stay below
            2/L), None for the others.
        description: one line for a legend or a lesson.
        log_contours: plotting hint: draw contours of log(f − f_min + ε) rather than of f,
            because f spans many orders of magnitude (Rosenbrock, Beale, Himmelblau).

    Presets for the widgets (the learning-rate explorer and the optimizer race): every surface
    carries them, so a new surface needs one entry (:func:`register_surface`) and nothing else.

    Attributes:
        label: the name a dropdown shows ("" = ``name``); see :attr:`display_label`.
        starts: the start points a widget offers, the first being its default; () = just
            ``start`` (see :attr:`start_points`).
        explorer_lr: the learning rate the explorer shows when the surface is picked.
        race_lrs: ``((optimizer, η), ...)``: a learning rate per optimizer of
            :data:`backprop_lab.optim.OPTIMIZERS` (lower-case name) for the race; see
            :meth:`race_lr`.
    """

    name: str
    f: Callable[[np.ndarray], float] = field(repr=False, compare=False)
    grad: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)
    f_grid: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False, compare=False)
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    bounds: tuple[float, float, float, float]
    hessian: Callable[[np.ndarray], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )
    f_min: float | None = None
    L: float | None = None
    description: str = ""
    log_contours: bool = False
    label: str = ""
    starts: tuple[tuple[float, float], ...] = ()
    explorer_lr: float = DEFAULT_EXPLORER_LR
    race_lrs: tuple[tuple[str, float], ...] = ()

    @property
    def display_label(self) -> str:
        """The dropdown label: :attr:`label`, or the name when there is none."""
        return self.label or self.name

    @property
    def start_points(self) -> tuple[tuple[float, float], ...]:
        """The start points a widget offers (first = default): :attr:`starts`, or ``(start,)``."""
        return self.starts or (self.start,)

    def race_lr(self, optimizer: str, fallback: float = DEFAULT_RACE_LR) -> float:
        """The race's learning rate for ``optimizer`` (a name of
        :data:`backprop_lab.optim.OPTIMIZERS`, any case) on this surface, ``fallback`` for an
        optimizer the surface has no rate for (a student's own, say)."""
        return dict(self.race_lrs).get(str(optimizer).lower(), fallback)

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z`` on an ``n × n`` grid spanning :attr:`bounds` (each of shape (n, n))."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        xmin, xmax, ymin, ymax = self.bounds
        X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
        return X, Y, self.f_grid(X, Y)


def _make_surface(
    name: str,
    fn: _Scalar2,
    grad_fn: _Vector2,
    hess_fn: _Matrix2,
    *,
    minima: tuple[tuple[float, float], ...],
    start: tuple[float, float],
    bounds: tuple[float, float, float, float],
    description: str,
    L: float | None = None,
    log_contours: bool = False,
) -> Surface:
    """Wrap raw formulas ``fn(x, y)``, ``grad_fn(x, y)``, ``hess_fn(x, y)`` into a :class:`Surface`."""

    def f(xy: np.ndarray) -> float:
        x, y = xy
        return float(fn(float(x), float(y)))

    def grad(xy: np.ndarray) -> np.ndarray:
        x, y = xy
        return np.array(grad_fn(float(x), float(y)))

    def hessian(xy: np.ndarray) -> np.ndarray:
        x, y = xy
        return np.array(hess_fn(float(x), float(y))).reshape(2, 2)

    def f_grid(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.shape != Y.shape:
            raise ValueError(f"X and Y must have the same shape, got {X.shape} and {Y.shape}")
        return fn(X, Y)

    for fun, attr in ((f, "f"), (grad, "grad"), (hessian, "hessian"), (f_grid, "f_grid")):
        fun.__qualname__ = f"Surface({name!r}).{attr}"
    f_min = f(minima[0]) if minima else None
    return Surface(
        name=name,
        f=f,
        grad=grad,
        f_grid=f_grid,
        minima=minima,
        start=start,
        bounds=bounds,
        hessian=hessian,
        f_min=f_min,
        L=L,
        description=description,
        log_contours=log_contours,
    )


# ------------------------------------------------------------------------------------------------
# Quadratics  f = ½ xᵀ A x,  A = R diag(λ₁, λ₂) Rᵀ,  ∇f = A x,  ∇²f = A


def _quadratic_surface(
    name: str,
    lam1: float,
    lam2: float,
    angle: float,
    *,
    start: tuple[float, float] | None,
    bounds: tuple[float, float, float, float],
    description: str,
    minima: tuple[tuple[float, float], ...] = ((0.0, 0.0),),
) -> Surface:
    """A quadratic with eigenvalues ``lam1`` (along the direction at ``angle``) and ``lam2``."""
    c, s = math.cos(angle), math.sin(angle)
    # A = R diag(λ₁, λ₂) Rᵀ with R = [[c, −s], [s, c]]
    a = lam1 * c * c + lam2 * s * s
    b = (lam1 - lam2) * c * s
    d = lam1 * s * s + lam2 * c * c

    def fn(x: Any, y: Any) -> Any:
        return 0.5 * (a * x * x + 2.0 * b * x * y + d * y * y)

    def grad_fn(x: float, y: float) -> tuple[float, float]:
        return a * x + b * y, b * x + d * y

    def hess_fn(x: float, y: float) -> tuple[float, float, float, float]:
        return a, b, b, d

    if start is None:
        # (−4, 2) in the eigenvector frame, so both eigen-directions are excited
        start = (-4.0 * c - 2.0 * s, -4.0 * s + 2.0 * c)
    return _make_surface(
        name,
        fn,
        grad_fn,
        hess_fn,
        minima=minima,
        start=start,
        bounds=bounds,
        description=description,
        L=float(max(lam1, lam2)),
    )


def quadratic(eigenvalues: tuple[float, float] = (1.0, 10.0), angle: float = 0.0) -> Surface:
    """The convex quadratic f(x) = ½ xᵀAx with the given Hessian eigenvalues, rotated by ``angle``.

    Args:
        eigenvalues: ``(λ₁, λ₂)``, both finite and > 0. λ₁ belongs to the direction
            (cos angle, sin angle), λ₂ to the perpendicular one. The condition number is
            κ = max(λ) / min(λ), and :attr:`Surface.L` = max(λ): gradient descent converges for
            learning rates below 2/L and diverges above.
        angle: rotation of the eigenvectors in **radians** (0 = axis-aligned).

    Returns:
        A :class:`Surface` with minimum (0, 0), f_min = 0, constant Hessian A = R diag(λ) Rᵀ,
        start R·(−4, 2) and bounds ±5.
    """
    try:
        lam1, lam2 = (float(v) for v in eigenvalues)
    except (TypeError, ValueError):
        raise ValueError(
            f"eigenvalues must be a pair of positive numbers (λ1, λ2), got {eigenvalues!r}"
        ) from None
    if not (math.isfinite(lam1) and math.isfinite(lam2) and lam1 > 0 and lam2 > 0):
        raise ValueError(f"eigenvalues must be finite and > 0, got {eigenvalues!r}")
    if isinstance(angle, bool) or not isinstance(angle, numbers.Real) or not math.isfinite(angle):
        raise ValueError(f"angle must be a finite number (radians), got {angle!r}")
    angle = float(angle)
    kappa = max(lam1, lam2) / min(lam1, lam2)
    return _quadratic_surface(
        f"quadratic(λ=({lam1:g}, {lam2:g}), angle={angle:g})",
        lam1,
        lam2,
        angle,
        start=None,
        bounds=(-5.0, 5.0, -5.0, 5.0),
        description=(
            f"quadratic ½xᵀAx, eigenvalues {lam1:g} and {lam2:g} (κ = {kappa:g}), "
            f"rotated by {angle:g} rad"
        ),
    )


# ------------------------------------------------------------------------------------------------
# Rosenbrock  f = (1 − x)² + 100 (y − x²)²


def _rosenbrock(x: Any, y: Any) -> Any:
    return (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x)


def _rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def _rosenbrock_hess(x: float, y: float) -> tuple[float, float, float, float]:
    fxy = -400.0 * x
    return 2.0 - 400.0 * y + 1200.0 * x * x, fxy, fxy, 200.0


# ------------------------------------------------------------------------------------------------
# Beale  f = a² + b² + c²,  a = 1.5 − x + xy,  b = 2.25 − x + xy²,  c = 2.625 − x + xy³


def _beale(x: Any, y: Any) -> Any:
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y2 * y
    return a * a + b * b + c * c


def _beale_grad(x: float, y: float) -> tuple[float, float]:
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y2 * y
    # ∂a/∂x = y − 1, ∂b/∂x = y² − 1, ∂c/∂x = y³ − 1;  ∂a/∂y = x, ∂b/∂y = 2xy, ∂c/∂y = 3xy²
    gx = 2.0 * (a * (y - 1.0) + b * (y2 - 1.0) + c * (y2 * y - 1.0))
    gy = 2.0 * (a * x + b * 2.0 * x * y + c * 3.0 * x * y2)
    return gx, gy


def _beale_hess(x: float, y: float) -> tuple[float, float, float, float]:
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y2 * y
    ax, bx, cx = y - 1.0, y2 - 1.0, y2 * y - 1.0
    ay, by, cy = x, 2.0 * x * y, 3.0 * x * y2
    # f = Σ r², so ∇²f = 2 Σ (∇r ∇rᵀ + r ∇²r); a, b, c are linear in x
    fxx = 2.0 * (ax * ax + bx * bx + cx * cx)
    fxy = 2.0 * (ax * ay + a + bx * by + b * 2.0 * y + cx * cy + c * 3.0 * y2)
    fyy = 2.0 * (ay * ay + by * by + b * 2.0 * x + cy * cy + c * 6.0 * x * y)
    return fxx, fxy, fxy, fyy


# ------------------------------------------------------------------------------------------------
# Himmelblau  f = (x² + y − 11)² + (x + y² − 7)²


def _himmelblau(x: Any, y: Any) -> Any:
    u = x * x + y - 11.0
    v = x + y * y - 7.0
    return u * u + v * v


def _himmelblau_grad(x: float, y: float) -> tuple[float, float]:
    u = x * x + y - 11.0
    v = x + y * y - 7.0
    return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


def _himmelblau_hess(x: float, y: float) -> tuple[float, float, float, float]:
    fxy = 4.0 * (x + y)
    return 12.0 * x * x + 4.0 * y - 42.0, fxy, fxy, 4.0 * x + 12.0 * y * y - 26.0


#: Himmelblau's four minima (f = 0), refined by Newton's method to machine precision
_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286169),
    (3.5844283403304917, -1.8481265269644034),
)


def _build_surfaces() -> dict[str, Surface]:
    bowl = _quadratic_surface(
        "bowl",
        1.0,
        1.0,
        0.0,
        start=(-1.5, 1.0),
        bounds=(-2.0, 2.0, -2.0, 2.0),
        description="round bowl ½(x² + y²): Hessian I, κ = 1, L = 1",
    )
    ravine = _quadratic_surface(
        "ravine",
        1.0 / 25.0,
        1.0,
        0.0,
        start=(-4.5, 1.5),
        bounds=(-5.0, 5.0, -2.5, 2.5),
        description="ravine ½(x²/25 + y²): eigenvalues 1/25 and 1, κ = 25, L = 1",
    )
    saddle = _quadratic_surface(
        "saddle",
        2.0,
        -2.0,
        0.0,
        start=(-1.5, 0.01),
        bounds=(-2.0, 2.0, -2.0, 2.0),
        description="saddle x² − y²: a stationary point at (0, 0) that is not a minimum",
        minima=(),
    )
    rosenbrock = _make_surface(
        "rosenbrock",
        _rosenbrock,
        _rosenbrock_grad,
        _rosenbrock_hess,
        minima=((1.0, 1.0),),
        start=(-1.2, 1.0),
        bounds=(-2.0, 2.0, -1.0, 3.0),
        description="Rosenbrock (1 − x)² + 100(y − x²)²: a curved, flat-bottomed valley",
        log_contours=True,
    )
    beale = _make_surface(
        "beale",
        _beale,
        _beale_grad,
        _beale_hess,
        minima=((3.0, 0.5),),
        start=(1.0, 1.5),
        bounds=(-4.5, 4.5, -4.5, 4.5),
        description="Beale: flat plateaus and steep walls, minimum at (3, 0.5)",
        log_contours=True,
    )
    himmelblau = _make_surface(
        "himmelblau",
        _himmelblau,
        _himmelblau_grad,
        _himmelblau_hess,
        minima=_HIMMELBLAU_MINIMA,
        start=(0.0, 0.0),
        bounds=(-5.0, 5.0, -5.0, 5.0),
        description="Himmelblau (x² + y − 11)² + (x + y² − 7)²: four minima, all with f = 0",
        log_contours=True,
    )
    surfaces = (bowl, ravine, rosenbrock, beale, saddle, himmelblau)
    return {s.name: replace(s, **_PRESETS[s.name]) for s in surfaces}


def _race(sgd: float, momentum: float, nesterov: float, adagrad: float, rmsprop: float,
          adadelta: float, adam: float) -> tuple[tuple[str, float], ...]:
    """The race's learning rates, one per optimizer of :data:`backprop_lab.optim.OPTIMIZERS`."""
    return (("sgd", sgd), ("momentum", momentum), ("nesterov", nesterov), ("adagrad", adagrad),
            ("rmsprop", rmsprop), ("adadelta", adadelta), ("adam", adam))


#: the widgets' presets of the named surfaces. ``starts``: the first is the surface's start.
#: ``explorer_lr``: shows something sensible when the surface is first chosen. ``race_lrs``: races
#: well for 200 steps from the surface's start (picked from a log grid: close to the lowest final
#: loss, without oscillating wildly).
_PRESETS: dict[str, dict[str, Any]] = {
    "bowl": dict(
        label="bowl (κ = 1)",
        starts=((-1.5, 1.0), (1.5, 1.5), (0.5, -1.8)),
        explorer_lr=0.3,
        race_lrs=_race(0.3, 0.1, 0.1, 0.5, 0.03, 1.0, 0.1),
    ),
    "ravine": dict(
        label="ravine (κ = 25)",
        starts=((-4.5, 1.5), (-4.5, 0.2), (4.0, -2.0)),
        explorer_lr=1.0,
        race_lrs=_race(1.0, 0.3, 0.3, 1.0, 0.05, 1.0, 0.2),
    ),
    "rosenbrock": dict(
        label="Rosenbrock",
        starts=((-1.2, 1.0), (-1.5, -0.5), (1.5, 2.5), (0.0, 2.5)),
        explorer_lr=1e-3,
        race_lrs=_race(2e-3, 2e-3, 1e-3, 0.5, 0.1, 1.0, 0.2),
    ),
    "beale": dict(
        label="Beale",
        starts=((1.0, 1.5), (-1.0, -1.0), (2.0, -1.0), (3.5, 2.0)),
        explorer_lr=1e-2,
        race_lrs=_race(0.01, 1e-3, 3e-3, 1.0, 0.1, 1.0, 0.2),
    ),
    "saddle": dict(
        label="saddle x² − y²",
        starts=((-1.5, 0.01), (-1.5, 0.5), (-1.5, 0.0)),
        explorer_lr=0.1,
        race_lrs=_race(0.05, 0.01, 0.01, 0.1, 0.01, 1.0, 0.01),
    ),
    "himmelblau": dict(
        label="Himmelblau",
        starts=((0.0, 0.0), (-1.0, -1.0), (-4.0, 0.0), (1.0, 4.0)),
        explorer_lr=1e-2,
        race_lrs=_race(0.01, 3e-3, 3e-3, 0.5, 0.03, 1.0, 0.1),
    ),
}


#: the named surfaces, by name
SURFACES: dict[str, Surface] = _build_surfaces()


def register_surface(surface: Surface) -> Surface:
    """Add ``surface`` to :data:`SURFACES`, so that every widget offers it.

    The surface's own preset fields (:attr:`Surface.label`, :attr:`Surface.starts`,
    :attr:`Surface.explorer_lr`, :attr:`Surface.race_lrs`) are all the widgets need; build it
    with :func:`quadratic` or a :class:`Surface` of your own and ``dataclasses.replace`` them in.

    Raises:
        TypeError: ``surface`` is not a :class:`Surface`.
        ValueError: the name is taken, a start point lies outside ``bounds``, or a learning rate
            is not a finite number > 0.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"register_surface needs a Surface, got {type(surface).__name__}")
    if surface.name in SURFACES:
        raise ValueError(f"a surface named {surface.name!r} is already registered")
    xmin, xmax, ymin, ymax = surface.bounds
    for x, y in surface.start_points:
        if not (xmin <= x <= xmax and ymin <= y <= ymax):
            raise ValueError(f"surface {surface.name!r}: start ({x:g}, {y:g}) lies outside "
                             f"its bounds {surface.bounds}")
    rates = [("explorer_lr", surface.explorer_lr)] + [
        (f"race_lrs[{k!r}]", v) for k, v in surface.race_lrs]
    for what, lr in rates:
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (
                math.isfinite(lr) and lr > 0):
            raise ValueError(f"surface {surface.name!r}: {what} must be a finite number > 0, "
                             f"got {lr!r}")
    SURFACES[surface.name] = surface
    return surface


def get_surface(name: str) -> Surface:
    """The surface called ``name`` (one of :data:`SURFACES`); ValueError lists the valid names."""
    if isinstance(name, str) and name in SURFACES:
        return SURFACES[name]
    raise ValueError(f"unknown surface {name!r}; valid names: {', '.join(SURFACES)}")


# ------------------------------------------------------------------------------------------------
# Running an optimizer on a surface


@dataclass
class Trajectory:
    """What an optimizer did on a surface.

    Attributes:
        path: (n, 2) points visited, ``path[0]`` = start; n = steps + 1 unless the run diverged.
        losses: (n,) f at each point of ``path``.
        diverged_at: the first step whose loss was non-finite or above the blow-up threshold, or
            whose point left the box |x|, |y| ≤ 1e6; the run stopped there, so ``path`` ends with
            that (possibly non-finite) point and n = diverged_at + 1. None if it did not diverge.
        status: one of :data:`STATUSES`, see :func:`classify`. ``"diverged"`` with
            ``diverged_at=None`` means the loss was still growing when the run ended, before it
            reached the blow-up threshold.
    """

    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    status: str

    def __repr__(self) -> str:
        end = ", ".join(f"{v:.4g}" for v in self.path[-1])
        return (
            f"Trajectory(steps={len(self.losses) - 1}, status={self.status!r}, "
            f"diverged_at={self.diverged_at}, final_loss={self.losses[-1]:.4g}, final=({end}))"
        )


def classify(
    losses: np.ndarray,
    *,
    f_min: float | None = None,
    grad_norm: float | None = None,
    diverged_at: int | None = None,
    atol: float = 1e-6,
    gtol: float = 1e-6,
    min_progress: float = 0.01,
    min_sign_changes: int = 3,
    osc_fraction: float = 0.1,
) -> str:
    """Name what a loss curve did, checking these rules in order (the first that holds wins).

    1. ``"diverged"``: ``diverged_at`` is set, or some loss is NaN or ±inf.
    2. ``"converged"``: the final loss is within ``atol`` of the known minimum value ``f_min``,
       or the final gradient norm ``grad_norm`` is at most ``gtol``. The latter means "reached
       a stationary point", which need not be a minimum: gradient descent started exactly on the
       stable axis of the saddle x² − y² converges to the saddle point (0, 0).
    3. ``"oscillating"``: over the last half of the run the loss is not monotone: the sign of
       Δloss (steps smaller than float noise ignored) flips at least ``min_sign_changes`` times
       and on at least ``osc_fraction`` of consecutive steps.
    4. ``"diverged"`` as well when the loss is growing: over the last half of the run it rose by
       at least ``min_progress`` of the gap to ``f_min`` there (when ``f_min`` is unknown: of the
       loss's magnitude). The run moves away from the minimum but has not blown up yet, e.g.
       gradient descent with a learning rate just above 2/L and few steps.
    5. ``"converging"``: the loss is still going down: over the last half of the run it fell by
       at least ``min_progress`` of that gap.
    6. ``"stalled"``: none of the above: the loss has (nearly) stopped moving, e.g. a learning
       rate far too small, or a plateau.

    Args:
        losses: (n,) loss per step, ``losses[0]`` at the start point.
        f_min: the known minimum value of the loss, if any.
        grad_norm: ‖∇f‖ at the final point, if known.
        diverged_at: the step a runner flagged as diverged, if any.

    Returns:
        One of :data:`STATUSES`.
    """
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"losses must be a non-empty 1-D array, got shape {losses.shape}")
    if diverged_at is not None or not np.all(np.isfinite(losses)):
        return "diverged"
    final = float(losses[-1])
    if f_min is not None and final - f_min <= atol:
        return "converged"
    if grad_norm is not None and grad_norm <= gtol:
        return "converged"

    mid = (losses.size - 1) // 2
    tail = losses[mid:]
    delta = np.diff(tail)
    noise = 1e-12 * max(1.0, float(np.max(np.abs(tail))))
    signs = np.sign(delta[np.abs(delta) > noise])
    if signs.size >= 2:
        changes = int(np.count_nonzero(signs[1:] != signs[:-1]))
        if changes >= min_sign_changes and changes >= osc_fraction * (signs.size - 1):
            return "oscillating"

    start = float(tail[0])
    if f_min is not None:
        scale = start - f_min
    else:
        scale = max(abs(start), abs(final))
    rise = final - start
    if rise > 0 and rise >= min_progress * scale:
        return "diverged"
    if scale > 0 and -rise >= min_progress * scale:
        return "converging"
    return "stalled"


def _check_start(start: Any, surface: Surface) -> np.ndarray:
    if start is None:
        return np.array(surface.start, dtype=np.float64)
    try:
        xy = np.array(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y) of two numbers, got {start!r}") from None
    if xy.shape != (2,):
        raise ValueError(f"start must be a point (x, y) of shape (2,), got shape {xy.shape}")
    if not np.all(np.isfinite(xy)):
        raise ValueError(f"start must be finite, got {start!r}")
    return xy


def run_optimizer(
    surface: Surface | str,
    optimizer: str | Callable[[list[Parameter]], Optimizer],
    lr: float | None = None,
    start: tuple[float, float] | np.ndarray | None = None,
    steps: int = 100,
    **opt_kwargs: Any,
) -> Trajectory:
    """Run ``steps`` optimizer steps on ``surface`` from ``start`` and record the path.

    The point is a :class:`~backprop_lab.parameter.Point`; each step sets its gradient to the
    analytic ∇f and calls ``opt.step()``. The run stops early at the first step that diverges by
    the rule of :mod:`backprop_lab.divergence` (loss non-finite or above 1e6·(1 + |f(start)|), or
    a coordinate non-finite or beyond ±1e6), the rule ``fit`` and the playground use too.

    Args:
        surface: a :class:`Surface` or the name of one in :data:`SURFACES`.
        optimizer: a name for :func:`backprop_lab.optim.make_optimizer` (``"sgd"``, ``"momentum"``,
            ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adadelta"``, ``"adam"``), or a factory
            ``optimizer(params) -> Optimizer`` that builds one on ``params``, e.g.
            ``lambda params: Adam(params, lr=0.1, betas=(0.8, 0.99))``. Anything with a ``step()``
            that updates ``params[0].value`` in place from ``params[0].grad`` will do.
        lr: learning rate (> 0) passed to ``make_optimizer``; None = the optimizer's default.
            Only with a name: a factory sets its own.
        start: start point (x, y); None = ``surface.start``.
        steps: number of optimizer steps (integer >= 0).
        **opt_kwargs: further keyword arguments for ``make_optimizer`` (e.g. ``beta=0.9``).

    Returns:
        A :class:`Trajectory` with ``path`` (steps + 1, 2) and ``losses`` (steps + 1,), shorter if
        the run diverged.
    """
    if isinstance(surface, str):
        surface = get_surface(surface)
    elif not isinstance(surface, Surface):
        raise TypeError(
            f"surface must be a Surface or a surface name, got {type(surface).__name__}"
        )
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    steps = int(steps)
    if lr is not None and (
        isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0
    ):
        raise ValueError(f"lr must be a finite number > 0 (or None for the default), got {lr!r}")
    xy0 = _check_start(start, surface)

    point = Point(xy0)
    params = [point.param]
    if isinstance(optimizer, str):
        opt = make_optimizer(optimizer, params, lr=lr, **opt_kwargs)
    elif callable(optimizer):
        if lr is not None or opt_kwargs:
            given = ["lr"] * (lr is not None) + sorted(opt_kwargs)
            raise ValueError(
                f"{', '.join(given)} can only be given with an optimizer name; "
                "an optimizer factory sets its own hyperparameters"
            )
        opt = optimizer(params)
    else:
        raise TypeError(
            "optimizer must be an optimizer name (str) or a factory optimizer(params), "
            f"got {type(optimizer).__name__}"
        )

    f, grad = surface.f, surface.grad
    path = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)

    def forward() -> float:  # the loss at the current point
        return f(point.value)

    def backward() -> None:  # its analytic gradient
        point.dvalue[:] = grad(point.value)

    # the one training step (backprop_lab.step): the loss at point k, the divergence rule (from
    # f(start); the start itself is not judged), the gradient, the update to point k + 1. The
    # last point is evaluated and judged only.
    stepper = Stepper(opt)
    diverged_at = None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            path[k] = point.value
            if k < steps:
                losses[k], reason = stepper.step(forward, backward, watch=(point.value,),
                                                 check=k > 0)
            else:
                losses[k] = loss = forward()
                reason = stepper.check(loss, (point.value,)) if k > 0 else None
            if reason is not None:
                diverged_at = k
                path = path[: k + 1]
                losses = losses[: k + 1]
                break

    grad_norm = None
    if diverged_at is None:
        grad_norm = float(np.linalg.norm(grad(path[-1])))
    status = classify(losses, f_min=surface.f_min, grad_norm=grad_norm, diverged_at=diverged_at)
    return Trajectory(path=path, losses=losses, diverged_at=diverged_at, status=status)
