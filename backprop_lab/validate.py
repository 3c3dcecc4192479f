"""Checking values at every boundary: library arguments, command-line options, widget controls.

One home for the questions "is this a usable number / count / dtype / choice?". Two families:

- **strict** checks (library and command line): return the value, converted, or raise an error
  that names the argument, what it got and what it expects.
- **lenient** checks (widget controls): never raise; clamp or fall back to a default and append a
  note that the widget shows next to its figure, so a student typing into a box never sees a
  traceback.

NumPy only; every other module of the package may import it.
"""

from __future__ import annotations

# =============================================================================================
# Strict checks: library and command line
# =============================================================================================



# =============================================================================================
# Lenient checks: widget controls (clamp, fall back, note)
# =============================================================================================
#
# A widget control may hand over anything a student can type: a string, NaN, ±inf, a bool, a
# number far outside the slider's range. These helpers turn it into a usable value and append one
# note per change to ``notes`` (a list the widget shows under its figure), in one wording:
#
#     "<name> must be <what> (got <value>); using <default>"   unusable: not a number, NaN, ±inf,
#                                                              a bool
#     "<name> = <x> below <lo>; using <lo>"                     too small: clamped
#     "<name> = <x> above <hi>; using <hi>"                     too large: clamped
#     "<name> = <x> is not whole; using <n>"                    a count given as 2.6: rounded


def _as_real(value: object) -> float:
    """``value`` as a float, NaN if it is not a real number (bools count as not a number)."""
    import math
    import numbers

    if isinstance(value, bool):
        return math.nan
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        return float(value)  # type: ignore[arg-type]  # e.g. the text "0.5" from a Text box
    except (TypeError, ValueError):
        return math.nan


def clean_real(value: object, name: str, lo: float, hi: float, default: float,
               notes: list[str]) -> float:
    """``value`` as a float in [lo, hi], for a widget control (never raises).

    Args:
        value: what the control holds.
        name: the control's name as the student sees it (``"η"``, ``"mean"``).
        lo, hi: the allowed range (lo ≤ hi); a value outside is clamped to the nearer end.
        default: used when ``value`` is not a finite number (text, None, a bool, NaN, ±inf).
        notes: one note is appended per change.

    Returns:
        The cleaned value.
    """
    import math

    x = _as_real(value)
    if not math.isfinite(x):
        notes.append(f"{name} must be a number in [{lo:g}, {hi:g}] (got {value!r}); "
                     f"using {default:g}")
        return default
    if x < lo:
        notes.append(f"{name} = {x:g} below {lo:g}; using {lo:g}")
        return lo
    if x > hi:
        notes.append(f"{name} = {x:g} above {hi:g}; using {hi:g}")
        return hi
    return x


def clean_count(value: object, name: str, lo: int, hi: int, default: int,
                notes: list[str]) -> int:
    """``value`` as a whole number in [lo, hi], for a widget control (never raises).

    A number that is not whole is rounded (with a note), one outside the range is clamped, and
    anything that is not a finite number (text, None, a bool, NaN, ±inf) becomes ``default``.
    """
    import math

    x = _as_real(value)
    if not math.isfinite(x):
        notes.append(f"{name} must be a whole number in [{lo}, {hi}] (got {value!r}); "
                     f"using {default}")
        return default
    if x < lo:
        notes.append(f"{name} = {x:g} below {lo}; using {lo}")
        return lo
    if x > hi:
        notes.append(f"{name} = {x:g} above {hi}; using {hi}")
        return hi
    n = int(round(x))
    if n != x:
        notes.append(f"{name} = {x:g} is not whole; using {n}")
    return n


def clean_point(value: object, name: str, default: tuple[float, float],
                bounds: tuple[float, float, float, float] | None,
                notes: list[str]) -> tuple[float, float]:
    """``value`` as a point (x, y) inside ``bounds``, for a widget control (never raises).

    Args:
        value: None (use ``default`` silently), or anything ``numpy.array`` turns into two numbers.
        name: the control's name (``"start"``).
        default: the point used when ``value`` is None or not two finite numbers.
        bounds: ``(xmin, xmax, ymin, ymax)``, the plotted box; a point outside is moved to the
            nearest point of the box (with a note), so that it can be drawn. None: no box.
        notes: one note is appended per change.

    Returns:
        ``(x, y)`` as two Python floats.
    """
    import numpy as np

    default = (float(default[0]), float(default[1]))
    if value is None:
        return default
    try:
        xy = np.array(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        xy = np.array([np.nan])
    if xy.size != 2 or not np.all(np.isfinite(xy)):
        notes.append(f"{name} must be a point (x, y) of finite numbers (got {value!r}); "
                     f"using the default {name} {default}")
        return default
    point = (float(xy[0]), float(xy[1]))
    if bounds is None:
        return point
    xmin, xmax, ymin, ymax = bounds
    moved = (min(max(point[0], xmin), xmax), min(max(point[1], ymin), ymax))
    if moved != point:
        notes.append(f"{name} {point} outside the plot; moved to ({moved[0]:g}, {moved[1]:g})")
    return moved


def clamp(value: float, lo: float, hi: float) -> float:
    """``value`` (a number) clamped to [lo, hi], without a note: for a slider's initial value."""
    return min(max(float(value), lo), hi)
