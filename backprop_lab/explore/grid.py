"""A regular grid over 2-D data, and a model's class probabilities on it (NumPy only).

    grid = make_grid(X)                                   # covers the data with a margin
    P = class_probabilities(net, grid.points)             # (resolution², k), rows sum to 1
    image = grid.reshape(P)                               # (resolution, resolution, k)

The decision-boundary playground computes with these; :mod:`backprop_lab.plotting.classify`
draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_lab.activations import softmax

__all__ = ["Grid", "class_probabilities", "make_grid"]


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
