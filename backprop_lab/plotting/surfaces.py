"""Contour plots of :class:`backprop_lab.surfaces.Surface` objects with optimizer paths on top.

The functions draw into a given ``Axes`` and return the artists they made, so a widget can keep
them and update them in place (``line.set_data``) instead of redrawing everything::

    fig, ax = plt.subplots()
    plot_contours(ax, surface)                         # once per surface
    line = plot_path(ax, traj.path, bounds=surface.bounds)
    line.set_data(*display_path(new_path, surface.bounds).T)   # cheap update

Contour levels (:func:`contour_levels`) are spaced so that the picture reads well:

* ``surface.log_contours`` (Rosenbrock, Beale, Himmelblau, whose values span many orders of
  magnitude): levels ``f_min + g`` with the gaps ``g`` spaced evenly on a log scale;
* surfaces with a minimum (quadratics): evenly spaced in √(f − f_min), which for a quadratic
  gives evenly spaced ellipses (equal distances along each axis);
* surfaces without a minimum (the saddle): evenly spaced in f.

:func:`plot_quadratic_1d` draws the 1-D quadratic ½·L·w² with gradient-descent iterates on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.contour import QuadContourSet
from matplotlib.lines import Line2D

from backprop_lab.surfaces import Surface

__all__ = [
    "contour_levels",
    "display_path",
    "plot_contours",
    "plot_path",
    "plot_quadratic_1d",
    "plot_surface_path",
]

#: how far (in multiples of the plot's width/height) a drawn path may leave the bounds box;
#: points further out are clipped, so a diverged run cannot blow up the drawing
DISPLAY_MARGIN = 50.0


def contour_levels(surface: Surface, Z: np.ndarray, n: int = 15) -> np.ndarray:
    """``n`` increasing contour levels for the values ``Z`` of ``surface`` on a grid.

    Log-spaced gaps above ``f_min`` when ``surface.log_contours``; evenly spaced in
    √(f − f_min) when the surface has a minimum; evenly spaced in f otherwise.

    Args:
        surface: the surface the grid values belong to.
        Z: f on a grid, any shape (e.g. (ny, nx) from :meth:`Surface.grid`).
        n: number of levels (>= 2).

    Returns:
        (n,) strictly increasing levels, all inside the range of ``Z``.
    """
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n!r}")
    Z = np.asarray(Z, dtype=np.float64)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("Z has no finite values")
    zmin, zmax = float(finite.min()), float(finite.max())
    if surface.f_min is None or zmax <= surface.f_min:
        return np.linspace(zmin, zmax, n + 2)[1:-1]
    f_min = float(surface.f_min)
    top = zmax - f_min
    if surface.log_contours:
        gaps = finite - f_min
        positive = gaps[gaps > 0]
        # start a little above the smallest gap on the grid, but at most 8 decades below the top
        bottom = max(float(positive.min()) * 10.0, top * 1e-8) if positive.size else top * 1e-8
        bottom = min(bottom, top / 10.0)
        return f_min + np.geomspace(bottom, top, n + 1)[:-1]
    # evenly spaced in √(f − f_min): equally spaced ellipses for a quadratic
    return f_min + top * np.linspace(0.0, 1.0, n + 2)[1:-1] ** 2


def plot_contours(
    ax: Axes,
    surface: Surface,
    *,
    n_grid: int = 120,
    n_levels: int = 15,
    cmap: str = "viridis",
    linewidths: float = 0.8,
    mark_minima: bool = True,
    equal_aspect: bool = False,
) -> QuadContourSet:
    """Draw the contour lines of ``surface`` over its :attr:`~Surface.bounds` into ``ax``.

    The axes limits are fixed to the bounds (autoscaling off), so paths that leave the box are
    clipped at its edge instead of rescaling the plot. Known minima are marked with a star.

    Args:
        ax: the axes to draw into.
        surface: the surface.
        n_grid: grid points per axis (the grid is ``n_grid × n_grid``).
        n_levels: number of contour levels (see :func:`contour_levels`).
        cmap: matplotlib colormap name; the lines get its colours from low to high level.
        linewidths: contour line width.
        mark_minima: draw a star at each known minimum.
        equal_aspect: one unit is as long on x as on y (shows the true shape of a ravine).

    Returns:
        The contour set.
    """
    X, Y, Z = surface.grid(n_grid)
    levels = contour_levels(surface, Z, n_levels)
    # colour by level index, not value: log-spaced levels would otherwise all get one colour;
    # the top 10 % of the map is left out (pale yellow is hard to see on white)
    colors = matplotlib.colormaps[cmap](np.linspace(0.0, 0.9, len(levels)))
    cs = ax.contour(X, Y, Z, levels=levels, colors=colors, linewidths=linewidths)
    if mark_minima:
        for mx, my in surface.minima:
            ax.plot([mx], [my], marker="*", color="black", markersize=10, linestyle="none")
    xmin, xmax, ymin, ymax = surface.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_autoscale_on(False)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return cs


def display_path(path: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """A copy of ``path`` that is safe to draw: non-finite points become NaN (a gap in the
    line) and coordinates further than :data:`DISPLAY_MARGIN` box sizes outside ``bounds`` are
    clipped there, so a diverging run is drawn as a line leaving the box.

    Args:
        path: (n, 2) points.
        bounds: ``(xmin, xmax, ymin, ymax)``.

    Returns:
        (n, 2) float array.
    """
    p = np.array(path, dtype=np.float64).reshape(-1, 2)
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    mx = DISPLAY_MARGIN * (xmax - xmin)
    my = DISPLAY_MARGIN * (ymax - ymin)
    p[~np.isfinite(p).all(axis=1)] = np.nan
    with np.errstate(invalid="ignore"):
        np.clip(p[:, 0], xmin - mx, xmax + mx, out=p[:, 0])
        np.clip(p[:, 1], ymin - my, ymax + my, out=p[:, 1])
    return p


def plot_path(
    ax: Axes,
    path: np.ndarray,
    *,
    bounds: Sequence[float] | None = None,
    color: str = "tab:red",
    label: str | None = None,
    markersize: float = 3.0,
    linewidth: float = 1.2,
) -> Line2D:
    """Draw an optimizer path as a line with a dot at every iterate.

    Args:
        ax: the axes (usually after :func:`plot_contours`).
        path: (n, 2) points; ``path[0]`` is the start.
        bounds: clip for display with :func:`display_path` (defaults to the current axes limits).
        color, label, markersize, linewidth: line style.

    Returns:
        The line; update it with ``line.set_data(*display_path(new_path, bounds).T)``.
    """
    if bounds is None:
        bounds = (*ax.get_xlim(), *ax.get_ylim())
    p = display_path(path, bounds)
    (line,) = ax.plot(
        p[:, 0], p[:, 1], "-o", color=color, markersize=markersize, linewidth=linewidth,
        label=label,
    )
    return line


def plot_surface_path(
    surface: Surface,
    path: np.ndarray,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    color: str = "tab:red",
    n_levels: int = 15,
    equal_aspect: bool = False,
) -> Axes:
    """Contours of ``surface`` with ``path`` on top, its start marked by a square.

    Args:
        surface: the surface.
        path: (n, 2) iterates, e.g. ``run_optimizer(...).path``.
        ax: axes to draw into (default: a new figure).
        title: axes title.
        color: path colour.
        n_levels: number of contour levels.
        equal_aspect: see :func:`plot_contours`.

    Returns:
        The axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 4.0))
    plot_contours(ax, surface, n_levels=n_levels, equal_aspect=equal_aspect)
    plot_path(ax, path, bounds=surface.bounds, color=color)
    x0, y0 = np.asarray(path, dtype=np.float64)[0]
    ax.plot([x0], [y0], marker="s", color=color, markersize=6, linestyle="none")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_quadratic_1d(
    ax: Axes,
    L: float,
    ws: np.ndarray,
    *,
    w_max: float = 2.0,
    color: str = "tab:red",
    title: str | None = None,
    mark_start: bool = True,
) -> tuple[Line2D, Line2D]:
    """The curve ½·L·w² on [−w_max, w_max] with the iterates ``ws`` of gradient descent on it.

    The axes are clamped to the curve's range, so iterates that run away leave the plot.

    Args:
        ax: the axes.
        L: curvature L > 0 (the second derivative of the loss).
        ws: (n,) iterates w₀, w₁, ...
        w_max: half-width of the plotted w range.
        color: colour of the iterates.
        title: axes title.
        mark_start: draw a square at w₀.

    Returns:
        ``(curve, iterates)``, the two lines (update the second with ``set_data``).
    """
    grid = np.linspace(-w_max, w_max, 201)
    (curve,) = ax.plot(grid, 0.5 * L * grid**2, color="0.4", linewidth=1.2)
    ws = np.asarray(ws, dtype=np.float64)
    shown = np.clip(ws, -DISPLAY_MARGIN * w_max, DISPLAY_MARGIN * w_max)
    (iterates,) = ax.plot(shown, 0.5 * L * shown**2, "-o", color=color, markersize=4,
                          linewidth=1.0)
    if mark_start and shown.size:
        ax.plot([shown[0]], [0.5 * L * shown[0] ** 2], marker="s", color=color, markersize=6,
                linestyle="none")
    top = 0.5 * L * w_max**2
    ax.set_xlim(-w_max, w_max)
    ax.set_ylim(-0.05 * top, 1.05 * top)
    ax.set_autoscale_on(False)
    ax.set_xlabel("w")
    ax.set_ylabel("loss ½·L·w²")
    if title is not None:
        ax.set_title(title)
    return curve, iterates
