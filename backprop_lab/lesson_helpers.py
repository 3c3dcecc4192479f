"""Plumbing for lessons 04–06 that is not the point of the lesson (NumPy only).

Timing (lesson 04 §12), a plain-text table for hand-worked numbers (lesson 05 §0) and the judge of
lesson 06's playground task live here, so the lessons' cells stay short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = ["best_time", "cpu_time", "judge_width", "r_squared", "smallest_width", "table",
           "time_rounds"]


def cpu_time(fn: Callable[[], object]) -> float:
    """CPU seconds this process spends in ``fn()`` (unlike wall-clock time, not inflated while
    other programs have the processor)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def best_time(fn: Callable[[], object], repeats: int = 15) -> float:
    """The smallest of ``repeats`` CPU times of ``fn()``, in seconds."""
    if int(repeats) < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    return min(cpu_time(fn) for _ in range(int(repeats)))


def time_rounds(fns: Sequence[Callable[[], object]], rounds: int = 15) -> np.ndarray:
    """Best CPU time of each function, measured in ``rounds`` rounds over all of them.

    Interleaving the functions spreads a burst of load on the machine over all of them instead of
    spoiling one. Returns float64 ``(len(fns),)`` seconds.
    """
    if int(rounds) < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    best = np.full(len(fns), np.inf)
    for _ in range(int(rounds)):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], cpu_time(fn))
    return best


def r_squared(x: np.ndarray, t: np.ndarray) -> float:
    """R² of the least-squares straight line through the points ``(x, t)``, both ``(n,)``."""
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    if x.shape != t.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and t must be 1-D of equal length ≥ 3, got shapes {x.shape}, {t.shape}")
    fit = np.polyval(np.polyfit(x, t, 1), x)
    return float(1 - np.sum((t - fit) ** 2) / np.sum((t - t.mean()) ** 2))


def _cell(value: object, digits: int) -> str:
    if isinstance(value, str):
        return value
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    text = [f"{v:+.{digits}f}".replace("-0." + "0" * digits, "+0." + "0" * digits)
            for v in arr.ravel()]
    if arr.ndim == 2 and arr.shape[0] > 1:            # a matrix: rows separated by "|"
        cols = arr.shape[1]
        return " | ".join(" ".join(text[r * cols:(r + 1) * cols]) for r in range(arr.shape[0]))
    return " ".join(text)


def table(rows: Sequence[Sequence[object]], headers: Sequence[str], digits: int = 4) -> str:
    """A plain-text table; numbers and arrays are printed with ``digits`` decimals and a sign.

    A matrix prints row by row, rows separated by ``|`` (``W`` of shape (2, 2) as ``w11 w12 | w21
    w22``). Strings are printed as they are. ``-0.0000`` is printed as ``+0.0000``.
    """
    if any(len(r) != len(headers) for r in rows):
        raise ValueError(f"every row needs {len(headers)} entries, one per header")
    cells = [[_cell(v, digits) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def smallest_width(accuracy: Mapping[int, Sequence[float]], threshold: float = 0.9,
                   share: float = 0.5) -> int | None:
    """The smallest width whose test accuracy exceeds ``threshold`` for more than ``share`` of its
    seeds. ``accuracy`` maps width → accuracies (one per seed). None if no width does."""
    for width in sorted(accuracy):
        acc = np.asarray(accuracy[width], dtype=float)
        if acc.size and np.mean(acc > threshold) > share:
            return int(width)
    return None


def judge_width(my_width: int | None, accuracy: Mapping[int, Sequence[float]],
                threshold: float = 0.9) -> str:
    """One line on a width found in the playground: right, too small, or larger than needed.

    ``accuracy`` maps width → test accuracies over several seeds (see :func:`smallest_width`).
    """
    if my_width is None:
        return "set my_width to the width you found in the playground, then run this cell again"
    if isinstance(my_width, bool) or not isinstance(my_width, (int, np.integer)) or my_width < 1:
        raise ValueError(f"my_width must be a positive whole number of hidden units, got {my_width!r}")
    truth = smallest_width(accuracy, threshold)
    if truth is None:
        return f"no width up to {max(accuracy)} reached test accuracy > {threshold} for most seeds"
    if my_width == truth:
        return (f"right: {truth} is the smallest width that gets test accuracy > {threshold} "
                "for most seeds")
    if my_width < truth:
        return (f"too small: width {my_width} stays at or below {threshold} for most seeds — "
                "look at its boundary: how many bends can it make?")
    return (f"{my_width} works, but a smaller width does too for most seeds — try fewer units, "
            "and train each for about 1,000 steps")
