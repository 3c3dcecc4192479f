"""Figures of lesson 08 (optimizers): the optimizer race, convergence rates on a quadratic,
training curves of several optimizers, and learning-rate schedules.

:class:`RacePlot` draws a :class:`~backprop_lab.widgets.optimizer_race.RaceResult` (contours with
one path per racer, loss per step on a log axis, a legend of current losses) and moves it to any
step with :meth:`RacePlot.show_frame`, which only calls ``set_data`` / ``set_text`` — the widget
uses it for every frame of its animation, and :func:`plot_race` for a static picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from backprop_lab.explore.race import RaceResult
from backprop_lab.plotting.surfaces import display_path, plot_contours
from backprop_lab.surfaces import Surface

__all__ = [
    "RacePlot",
    "plot_curves",
    "plot_race",
    "plot_rates",
    "plot_schedules",
    "racer_color",
]

#: smallest f − f* drawn on the log loss axis (exact convergence would otherwise vanish)
LOSS_FLOOR = 1e-12


def racer_color(index: int) -> str:
    """The colour of racer number ``index`` (matplotlib's tab10 cycle)."""
    return f"C{index % 10}"


class RacePlot:
    """Contours + paths (left) and loss per step (right) of an optimizer race, updated in place.

    Usage::

        plot = RacePlot(fig)
        plot.draw_surface(surface)                  # contours, once per surface
        plot.set_race(result, surface, colors)      # new artists, once per race
        plot.show_frame(result, k)                  # cheap: set_data / set_text only
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.9, wspace=0.22)
        self.ax_path, self.ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        self.status = fig.text(0.01, 0.015, "", fontsize=9, ha="left", va="bottom")
        self.trails: dict[str, Line2D] = {}
        self.heads: dict[str, Line2D] = {}
        self.loss_lines: dict[str, Line2D] = {}
        self.shown_paths: dict[str, np.ndarray] = {}
        self.shown_losses: dict[str, np.ndarray] = {}
        self.legend = None
        self.frame_count = 0
        self.cursor = self.ax_loss.axvline(0, color="0.5", linewidth=0.8, linestyle=":")
        self.ax_loss.set_xlabel("step")
        self.ax_loss.grid(True, alpha=0.3)
        self.surface: Surface | None = None

    # -- per surface ---------------------------------------------------------------------------------

    def draw_surface(self, surface: Surface) -> None:
        """Contours of ``surface`` on the left axes (clears the old paths)."""
        ax = self.ax_path
        ax.cla()
        self.trails, self.heads = {}, {}
        plot_contours(ax, surface, n_grid=100, n_levels=14)
        (self.start_marker,) = ax.plot([surface.start[0]], [surface.start[1]], "s",
                                       color="black", markersize=6)
        ax.set_title(surface.description, fontsize=8.5)
        if surface.f_min is not None:
            self.ax_loss.set_yscale("log")
            self.ax_loss.set_ylabel("f − f*  (log scale)")
        else:
            self.ax_loss.set_yscale("symlog", linthresh=1e-2)
            self.ax_loss.set_ylabel("f  (symlog scale)")
        self.surface = surface

    # -- per race ------------------------------------------------------------------------------------

    def set_race(self, result: RaceResult | None, surface: Surface,
                 colors: Mapping[str, int] | None = None) -> None:
        """Replace the racers' artists by new ones for ``result`` (None: no racers)."""
        for line in [*self.trails.values(), *self.heads.values(), *self.loss_lines.values()]:
            line.remove()
        self.trails, self.heads, self.loss_lines = {}, {}, {}
        self.shown_paths, self.shown_losses = {}, {}
        if self.legend is not None:
            self.legend.remove()
            self.legend = None
        if result is None:
            return
        self.start_marker.set_data([result.start[0]], [result.start[1]])
        f_min = surface.f_min
        f0 = abs(float(surface.f(np.array(result.start)))) + 1.0
        finite_all = []
        for i, name in enumerate(result.names):
            color = racer_color(colors.get(name, i) if colors else i)
            self.shown_paths[name] = display_path(result.paths[name], surface.bounds)
            y = np.array(result.losses[name], dtype=np.float64)
            if f_min is not None:
                y = y - f_min
            y[~np.isfinite(y)] = np.nan
            with np.errstate(invalid="ignore"):
                np.clip(y, -1e4 * f0, 1e4 * f0, out=y)  # a blow-up leaves the axes, not the plot
                if f_min is not None:
                    np.maximum(y, LOSS_FLOOR, out=y)
            self.shown_losses[name] = y
            finite_all.append(y[np.isfinite(y)])
            (self.trails[name],) = self.ax_path.plot([], [], "-", color=color, linewidth=1.3,
                                                     alpha=0.9)
            (self.heads[name],) = self.ax_path.plot([], [], "o", color=color, markersize=6,
                                                    markeredgecolor="black", markeredgewidth=0.6,
                                                    clip_on=False)
            (self.loss_lines[name],) = self.ax_loss.plot([], [], "-", color=color, linewidth=1.4,
                                                         label=name)
        self.ax_loss.set_xlim(0, max(result.steps, 1))
        values = np.concatenate(finite_all) if finite_all else np.array([1.0])
        if f_min is not None:
            lo = max(float(values.min()) / 3.0, LOSS_FLOOR / 3.0)
            hi = max(min(float(values.max()), 100.0 * f0) * 3.0, lo * 100.0)
        else:
            span = max(float(np.abs(values).max()), 1e-2)
            lo, hi = -1.5 * span, 1.5 * span
        self.ax_loss.set_ylim(lo, hi)
        self.legend = self.ax_loss.legend(
            handles=list(self.loss_lines.values()), labels=list(result.names), fontsize=7.5,
            loc="upper right", framealpha=0.85)

    def legend_texts(self) -> list[str]:
        """The legend entries as drawn."""
        return [] if self.legend is None else [t.get_text() for t in self.legend.get_texts()]

    # -- per frame -----------------------------------------------------------------------------------

    def show_frame(self, result: RaceResult | None, frame: int, error: str | None = None) -> None:
        """Show every racer as it was at step ``frame`` (set_data / set_text only)."""
        self.frame_count += 1
        if result is None:
            self.status.set_text(error or "")
            self.status.set_color("tab:red")
            self.ax_loss.set_title("", fontsize=9)
            return
        frame = min(max(int(frame), 0), result.steps)
        bounds = result.surface.bounds
        for name in result.names:
            path, y = self.shown_paths[name], self.shown_losses[name]
            k = min(frame, len(path) - 1)
            self.trails[name].set_data(path[: k + 1, 0], path[: k + 1, 1])
            stopped = result.diverged_at[name] is not None and frame >= result.diverged_at[name]
            head = path[k] if not stopped else _last_inside(path, bounds)
            self.heads[name].set_data([head[0]], [head[1]])
            self.heads[name].set_marker("X" if stopped else "o")
            self.loss_lines[name].set_data(np.arange(k + 1), y[: k + 1])
        for text, name in zip(self.legend.get_texts(), result.names, strict=True):
            text.set_text(result.label(name, frame))
        self.cursor.set_xdata([frame, frame])
        self.ax_loss.set_title(f"loss per step — step {frame} of {result.steps}", fontsize=9)
        problems = [f"{n}: {result.statuses[n]}" for n in result.names
                    if result.statuses[n].startswith(("invalid", "error"))]
        text = "; ".join([*result.notes, *problems])
        self.status.set_text(text or f"step {frame} of {result.steps}")
        self.status.set_color("tab:red" if text else "black")


def _last_inside(path: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """The last finite point of ``path``, clamped into the box ``bounds`` (where it left the plot)."""
    finite = path[np.isfinite(path).all(axis=1)]
    xmin, xmax, ymin, ymax = bounds
    x, y = finite[-1] if len(finite) else (np.nan, np.nan)
    return np.array([min(max(x, xmin), xmax), min(max(y, ymin), ymax)])


def plot_race(result: RaceResult, frame: int | None = None, width: float = 11.0,
              height: float = 4.4) -> Figure:
    """A static picture of a race at step ``frame`` (default: the end)."""
    fig = plt.figure(figsize=(width, height))
    plot = RacePlot(fig)
    plot.draw_surface(result.surface)
    plot.set_race(result, result.surface)
    frame = result.steps if frame is None else frame
    plot.show_frame(result, frame)
    if plot.status.get_text() == f"step {frame} of {result.steps}":
        plot.status.set_text("")  # the loss panel's title already says it; keep problems only
    return fig


def plot_rates(
    ax: Axes,
    errors: Mapping[str, np.ndarray],
    rates: Mapping[str, float],
    *,
    window: tuple[int, int] | None = None,
) -> None:
    """Error norm ‖w_k − w*‖ per step on a log axis, with the theoretical slope ρᵏ beside each.

    Args:
        ax: the axes.
        errors: ``label -> (n,)`` error norms.
        rates: ``label -> ρ``; a dashed line ``e₀·ρᵏ`` is drawn for each label.
        window: the steps (k₁, k₂) over which rates were measured, shaded.
    """
    for i, (label, e) in enumerate(errors.items()):
        k = np.arange(len(e))
        color = racer_color(i)
        ax.semilogy(k, e, color=color, linewidth=1.6, label=label)
        rho = rates[label]
        ax.semilogy(k, e[0] * rho**k, color=color, linestyle="--", linewidth=1.0,
                    label=f"theory ρᵏ, ρ = {rho:.4f}")
    if window is not None:
        ax.axvspan(*window, color="0.85", alpha=0.6, label="measured here")
    ax.set_xlabel("step k")
    ax.set_ylabel("‖w_k − w*‖  (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)


def plot_curves(
    ax: Axes,
    curves: Mapping[str, Sequence[float]],
    *,
    ylabel: str,
    x_start: int = 1,
    xlabel: str = "epoch",
) -> None:
    """One line with markers per entry of ``curves`` (e.g. validation accuracy per epoch)."""
    for i, (label, values) in enumerate(curves.items()):
        x = np.arange(x_start, x_start + len(values))
        ax.plot(x, values, "-o", color=racer_color(i), markersize=4, linewidth=1.5, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def plot_schedules(ax: Axes, schedules: Mapping[str, Callable[[int], float]], epochs: int,
                   **kw: Any) -> None:
    """Learning rate against epoch for each schedule, drawn as steps: epoch t (counted from 0)
    trains with ``schedule(t)`` over the interval [t, t + 1], so the last one ends at ``epochs``."""
    t = np.arange(epochs + 1)
    for i, (label, schedule) in enumerate(schedules.items()):
        lrs = [schedule(int(k)) for k in range(epochs)]
        ax.step(t, [*lrs, lrs[-1]], where="post", color=racer_color(i), linewidth=1.6,
                label=label, **kw)
    ax.set_xlim(0, epochs)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate η")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
