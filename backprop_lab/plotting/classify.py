"""Figures for classifiers on 2-D data: class probabilities on a grid, and the data on top.

    grid = make_grid(X)                                   # covers the data with a margin
    P = class_probabilities(net, grid.points)             # (resolution², k), rows sum to 1
    ax.imshow(probability_image(grid.reshape(P)), extent=grid.extent, origin="lower")
    scatter_classes(ax, X, y)

or all of it at once with :func:`plot_decision_boundary`. The colours follow TensorFlow
Playground's convention: orange for class 0, blue for class 1 (then green, purple, red); the
background is white where the model is unsure and tinted where it is confident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.image import AxesImage

from backprop_lab.activations import softmax

#: one colour per class (class 0 orange, class 1 blue, ...), enough for every toy set
CLASS_COLORS: tuple[str, ...] = ("#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728")


@dataclass(frozen=True)
class Grid:
    """A regular grid of points covering a rectangle.

    Attributes:
        xs: (nx,) x-coordinates;  ys: (ny,) y-coordinates.
        points: (ny·nx, 2) every grid point as a row (x varies fastest), ready for a model.
        extent: (x_min, x_max, y_min, y_max) for ``imshow(..., extent=extent, origin="lower")``.
    """

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray
    extent: tuple[float, float, float, float]

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx): the image shape of a value computed at every grid point."""
        return len(self.ys), len(self.xs)

    def reshape(self, values: np.ndarray) -> np.ndarray:
        """Values per point, (ny·nx, ...) → an image (ny, nx, ...)."""
        return values.reshape(*self.shape, *values.shape[1:])


def make_grid(
    X: np.ndarray | None = None,
    resolution: int = 200,
    margin: float = 0.25,
    bounds: tuple[float, float, float, float] | None = None,
) -> Grid:
    """A ``resolution × resolution`` grid over the bounding box of ``X`` (n, 2), widened by
    ``margin`` on every side, or over ``bounds = (x_min, x_max, y_min, y_max)``."""
    if bounds is None:
        if X is None or X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
            raise ValueError("make_grid: give 2-D points X of shape (n, 2) or bounds")
        (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
        bounds = (float(x0), float(x1), float(y0), float(y1))
    if not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"make_grid: resolution must be an integer >= 2, got {resolution!r}")
    x0, x1, y0, y1 = bounds
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    xx, yy = np.meshgrid(xs, ys)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    return Grid(xs, ys, points, (x0, x1, y0, y1))


def class_probabilities(model: Any, points: np.ndarray) -> np.ndarray:
    """Class probabilities (n, k) of ``model`` at ``points`` (n, 2).

    ``model`` is a network whose output is logits — anything with ``predict`` (a library
    ``Sequential``) or ``forward`` (a hand-built one) — or a plain function returning
    probabilities. Logits are turned into probabilities with a softmax.
    """
    if hasattr(model, "predict"):
        return softmax(model.predict(points))
    if hasattr(model, "forward"):
        return softmax(model.forward(points))
    if callable(model):
        return np.asarray(model(points))
    raise TypeError(f"class_probabilities: cannot get predictions from a {type(model).__name__}")


def _color_array(k: int, colors: tuple[str, ...] | list[str]) -> np.ndarray:
    if k > len(colors):
        raise ValueError(f"{k} classes but only {len(colors)} colours")
    return np.array([to_rgb(c) for c in colors[:k]])


def probability_image(
    P: np.ndarray, colors: tuple[str, ...] | list[str] = CLASS_COLORS, strength: float = 0.55
) -> np.ndarray:
    """RGB image (..., 3) from class probabilities P (..., k).

    Each pixel is the probability-weighted mix of the class colours, faded towards white by how
    unsure the model is: confidence c = (max P − 1/k)/(1 − 1/k) ∈ [0, 1], pixel = white·(1 − s·c)
    + mix·s·c with s = ``strength``. The decision boundary (two classes equally likely) is white.
    """
    P = np.asarray(P, dtype=np.float64)
    k = P.shape[-1]
    mix = P @ _color_array(k, colors)
    confidence = ((P.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k))[..., None]
    weight = strength * np.clip(confidence, 0.0, 1.0)
    return np.clip(1.0 - weight + weight * mix, 0.0, 1.0)


def point_colors(y: np.ndarray, colors: tuple[str, ...] | list[str] = CLASS_COLORS) -> np.ndarray:
    """RGB rows (n, 3): the colour of each point's class y (n,)."""
    y = np.asarray(y)
    return _color_array(int(y.max()) + 1 if len(y) else 1, colors)[y]


def scatter_classes(
    ax: Axes,
    X: np.ndarray,
    y: np.ndarray,
    colors: tuple[str, ...] | list[str] = CLASS_COLORS,
    edgecolor: str = "white",
    s: float = 22,
    **kwargs: Any,
) -> PathCollection:
    """Scatter 2-D points X (n, 2) coloured by class y (n,) as ONE collection, so a view can
    update it in place with ``set_offsets`` and ``set_facecolor``."""
    return ax.scatter(X[:, 0], X[:, 1], c=point_colors(y, colors), s=s, edgecolors=edgecolor,
                      linewidths=0.6, **kwargs)


def plot_decision_boundary(
    ax: Axes,
    model: Any | Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    grid: Grid | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> AxesImage:
    """Class probabilities of ``model`` as a background image, the boundary between predicted
    classes as a line, and the training points X (n, 2) with labels y (n,) on top (test points,
    if given, with a black edge). Returns the image artist."""
    grid = grid if grid is not None else make_grid(X if X_test is None else np.vstack([X, X_test]),
                                                   resolution=resolution)
    P = grid.reshape(class_probabilities(model, grid.points))
    image = ax.imshow(probability_image(P), extent=grid.extent, origin="lower",
                      interpolation="bilinear", aspect="auto")
    k = P.shape[-1]
    ax.contour(grid.xs, grid.ys, P.argmax(axis=-1), levels=np.arange(k - 1) + 0.5,
               colors="0.25", linewidths=0.8)
    scatter_classes(ax, X, y)
    if X_test is not None and y_test is not None:
        scatter_classes(ax, X_test, y_test, edgecolor="black", s=22)
    ax.set_xlim(grid.extent[:2])
    ax.set_ylim(grid.extent[2:])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return image
