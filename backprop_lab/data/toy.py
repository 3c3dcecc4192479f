"""Seeded toy 2-D data sets and :data:`TOY_DATASETS`, the one table of their names.

Each set is ``(X float64 (n, 2), y int64 (n,))`` with classes as equal in size as ``n`` allows,
rows shuffled::

    X, y = make_moons(n=200, noise=0.1, seed=0)
    X, y = load_toy("spirals", n=300, seed=1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop_lab.validate import check_int, check_nonnegative

if TYPE_CHECKING:  # evaluated by type checkers only: numpy.random and numpy.typing load lazily
    Seed = int | np.random.Generator | None

__all__ = [
    "SPIRAL_TURN",
    "TOY_DATASETS",
    "blob_centers",
    "load_toy",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
]


def _class_sizes(n: int, n_classes: int) -> list[int]:
    """``n`` split into ``n_classes`` counts that differ by at most one (larger ones first)."""
    n = check_int("n", n, None)
    if n < n_classes:
        raise ValueError(f"n must be >= {n_classes} (the number of classes), got {n}")
    return [n // n_classes + (1 if j < n % n_classes else 0) for j in range(n_classes)]


def _shuffled(parts: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack class ``j``'s points ``parts[j]`` (shape ``(m_j, 2)``), label them ``j``, shuffle."""
    X = np.concatenate(parts).astype(np.float64, copy=False)
    y = np.concatenate([np.full(len(p), j, dtype=np.int64) for j, p in enumerate(parts)])
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order]), y[order]


def _polar(r: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Points ``r (cos θ, sin θ)`` of shape ``(m, 2)``."""
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def make_moons(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: ``(cos t, sin t)``, the upper arc of the unit circle; class 1:
    ``(1 - cos t, 0.5 - sin t)``, a lower arc shifted right and down; ``t ~ U(0, π)``. Gaussian
    noise of standard deviation ``noise`` is added to both coordinates.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0, 1; rows shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    t0 = rng.uniform(0.0, np.pi, sizes[0])
    t1 = rng.uniform(0.0, np.pi, sizes[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    parts = [p + noise * rng.standard_normal(p.shape) for p in (upper, lower)]
    return _shuffled(parts, rng)


def make_circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1 (outer), class 1 of radius ``factor`` (inner).

    Angles ``~ U(0, 2π)``; Gaussian noise of standard deviation ``noise`` is added to both
    coordinates. ``factor`` must lie in (0, 1).

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0 (outer), 1 (inner); shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = check_nonnegative("noise", noise)
    factor = check_nonnegative("factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1) (inner radius / outer radius), got {factor!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for radius, m in zip((1.0, factor), sizes, strict=True):
        circle = _polar(np.full(m, radius), rng.uniform(0.0, 2.0 * np.pi, m))
        parts.append(circle + noise * rng.standard_normal(circle.shape))
    return _shuffled(parts, rng)


#: Radians an arm of :func:`make_spirals` turns from its start at the centre to radius 1.
SPIRAL_TURN = 4.0


def make_spirals(
    n: int = 300, k: int = 3, noise: float = 0.2, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` interleaved spiral arms, one class per arm.

    Arm ``j``: radius ``r ~ U(0, 1)``, angle ``θ = 2πj/k + 4 r + noise · N(0, 1)``, point
    ``r (cos θ, sin θ)``. ``noise`` jitters the *angle* (radians), so arms keep the same angular
    separation ``2π/k`` relative to the noise at every radius.

    Returns:
        ``X`` float64 ``(n, 2)`` inside the unit disc (up to noise), ``y`` int64 ``(n,)`` with
        labels ``0..k-1``; shuffled.
    """
    k = check_int("k", k, None)
    if k < 2:
        raise ValueError(f"k must be >= 2 (the number of arms and classes), got {k}")
    sizes = _class_sizes(n, k)
    noise = check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    parts = []
    for j, m in enumerate(sizes):
        r = rng.uniform(0.0, 1.0, m)
        theta = 2.0 * np.pi * j / k + SPIRAL_TURN * r + noise * rng.standard_normal(m)
        parts.append(_polar(r, theta))
    return _shuffled(parts, rng)


def make_xor(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR pattern: class 1 where exactly one coordinate is negative (``x₁ x₂ < 0``).

    Each class fills its two opposite quadrants of the square ``[-1, 1]²`` uniformly, keeping a
    gap of 0.1 from the axes (class 0: quadrants I and III; class 1: II and IV, each quadrant
    getting half of its class); then Gaussian noise of standard deviation ``noise`` is added to
    both coordinates.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0, 1; shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    parts = []
    for label, m in enumerate(sizes):
        magnitude = rng.uniform(0.1, 1.0, (m, 2))
        sign_1 = np.where(np.arange(m) < (m + 1) // 2, 1.0, -1.0)
        sign_2 = sign_1 if label == 0 else -sign_1
        points = magnitude * np.column_stack([sign_1, sign_2])
        parts.append(points + noise * rng.standard_normal(points.shape))
    return _shuffled(parts, rng)


def blob_centers(k: int) -> np.ndarray:
    """Centres of :func:`make_blobs`: float64 ``(k, 2)``, equally spaced on a circle of radius
    ``max(2, 1.5 / sin(π/k))``, so neighbouring centres are at least 3 apart."""
    radius = max(2.0, 1.5 / np.sin(np.pi / k))
    return _polar(np.full(k, radius), 2.0 * np.pi * np.arange(k) / k)


def make_blobs(
    n: int = 200, k: int = 3, std: float = 0.5, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` round Gaussian blobs of standard deviation ``std`` around :func:`blob_centers`.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels ``0..k-1`` (class ``j`` around
        centre ``j``); shuffled.
    """
    k = check_int("k", k, None)
    if k < 2:
        raise ValueError(f"k must be >= 2 (the number of blobs and classes), got {k}")
    sizes = _class_sizes(n, k)
    std = check_nonnegative("std", std)
    rng = np.random.default_rng(seed)
    centers = blob_centers(k)
    parts = [c + std * rng.standard_normal((m, 2)) for c, m in zip(centers, sizes, strict=True)]
    return _shuffled(parts, rng)


#: Toy set name -> generator function; every generator takes ``n``, a noise level and ``seed``.
TOY_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "blobs": make_blobs,
}


def load_toy(
    name: str, n: int | None = None, noise: float | None = None, seed: Seed = 0, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the toy set ``name`` (a key of :data:`TOY_DATASETS`, case-insensitive).

    Args:
        name: "moons", "circles", "spirals", "xor" or "blobs".
        n: number of points; None keeps the generator's default.
        noise: noise level; None keeps the generator's default (for "blobs" this is ``std``).
        seed: seed for ``np.random.default_rng``.
        **kwargs: passed on, e.g. ``k=4`` for spirals and blobs, ``factor=0.3`` for circles.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)``.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in TOY_DATASETS:
        valid = ", ".join(repr(v) for v in TOY_DATASETS)
        raise ValueError(f"unknown toy dataset {name!r}; valid names are {valid}")
    if n is not None:
        kwargs["n"] = n
    if noise is not None:
        kwargs["std" if key == "blobs" else "noise"] = noise
    return TOY_DATASETS[key](seed=seed, **kwargs)
