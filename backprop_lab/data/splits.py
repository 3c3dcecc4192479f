"""Seeded train/validation splits: :func:`train_val_split` and the row mask behind it.

    X_train, y_train, X_val, y_val = train_val_split(X, y, val_size=300, seed=0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from backprop_lab.validate import check_int

if TYPE_CHECKING:  # evaluated by type checkers only: numpy.random and numpy.typing load lazily
    Seed = int | np.random.Generator | None

__all__ = ["train_val_split"]


def _val_mask(n: int, val_size: int, seed: Seed) -> np.ndarray:
    """Boolean mask of shape ``(n,)`` marking a seeded random subset of ``val_size`` rows."""
    is_val = np.zeros(n, dtype=bool)
    is_val[np.random.default_rng(seed).permutation(n)[:val_size]] = True
    return is_val


def _check_val_size(val_size: Any, n: int) -> int:
    if isinstance(val_size, float | np.floating):
        raise TypeError(
            f"val_size must be an integer number of rows, got {val_size!r}; "
            f"for a fraction f of the {n} rows pass int(f * {n})"
        )
    val_size = check_int("val_size", val_size, None)
    if not 0 <= val_size < n:
        raise ValueError(
            f"val_size must satisfy 0 <= val_size < {n} (the number of rows, so that at least one "
            f"training row remains), got {val_size}"
        )
    return val_size


def train_val_split(
    X: np.ndarray, y: np.ndarray, val_size: int, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out a seeded random subset of ``val_size`` rows for validation.

    Args:
        X: array of shape ``(n, ...)``, any dtype.
        y: array of shape ``(n, ...)``, any dtype (usually int64 labels of shape ``(n,)``).
        val_size: number of validation rows, ``0 <= val_size < n``.
        seed: seed for ``np.random.default_rng``; the same seed picks the same rows.

    Returns:
        ``(X_train, y_train, X_val, y_val)``: new arrays with the dtypes of ``X`` and ``y``, of
        ``n - val_size`` and ``val_size`` rows; the two row sets are disjoint, cover all rows, and
        keep their original order.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of rows, got X.shape={X.shape}, y.shape={y.shape}"
        )
    val_size = _check_val_size(val_size, len(X))
    is_val = _val_mask(len(X), val_size, seed)
    return X[~is_val], y[~is_val], X[is_val], y[is_val]
