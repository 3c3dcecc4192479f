"""Learning-rate explorer: plain gradient descent (optionally with momentum) on a loss surface.

Two parts, as every widget of the course:

* :func:`compute_lr_explorer` (in :mod:`backprop_lab.explore.learning_rate`, re-exported here)
  — a pure, deterministic function of the control values (surface, learning rate η, number of steps, start point, momentum β) that runs gradient descent with
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

import math
from typing import Any

import numpy as np
from matplotlib.artist import Artist

from backprop_lab.explore.learning_rate import (  # noqa: F401  (the pure half, re-exported)
    DEFAULT_LR,
    EXPLORER_STATUSES,
    EXPLORER_SURFACES,
    L_1D,
    LR_MAX,
    LR_MIN,
    MOMENTUM_BETA,
    QUADRATIC_1D,
    STARTS,
    STEPS_MAX,
    SURFACE_LABELS,
    LRExplorerResult,
    compute_lr_explorer,
    convergence_factor,
    stability_threshold,
    surface_title,
)
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
        reveal_threshold: False hides the stability threshold 2/λ_max from the status line and
            the 1-D title, for a lesson that asks the student to find it by playing.
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
        reveal_threshold: bool = True,
    ) -> None:
        import ipywidgets as w

        from backprop_lab.widgets.base import FigureView, new_figure

        if surface not in EXPLORER_SURFACES:
            raise ValueError(
                f"unknown surface {surface!r}; valid names: {', '.join(EXPLORER_SURFACES)}"
            )
        self.contour_draws = 0
        self.reveal_threshold = bool(reveal_threshold)
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
                reveal_threshold=self.reveal_threshold,
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
        ax.set_title(surface_title(surface, self.reveal_threshold), fontsize=9)
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
