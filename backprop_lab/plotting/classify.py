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
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.image import AxesImage

from backprop_lab.explore.grid import (  # noqa: F401  (pure: computed there, re-exported)
    Grid,
    class_probabilities,
    make_grid,
)

#: one colour per class (class 0 orange, class 1 blue, ...), enough for every toy set
CLASS_COLORS: tuple[str, ...] = ("#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728")


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
