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

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

# =============================================================================================
# Strict checks: library and command line
# =============================================================================================

# The message of every strict check has one shape, ``"<name> must be <expected>, got <value>"``:
# ``name`` says which argument (prefixed with its owner where that helps, e.g. ``"Linear: n_in"``),
# ``expected`` what would have been accepted. A value of the wrong *type* raises ``TypeError``
# (unless the caller asks for ``ValueError``), a value of the right type outside its range
# ``ValueError``.


def _interval_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """How a message states the accepted range: ``"a finite number > 0"``, ``"a number in [0, 1)"``."""
    if low is not None and high is not None:
        return f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return "a finite number"


def check_real(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    expected: str | None = None,
    type_error: bool = True,
) -> float:
    """``value`` as a finite Python float inside the interval from ``low`` to ``high``.

    Args:
        name: the argument as messages name it, e.g. ``"lr"`` or ``"BatchNorm: eps"``.
        value: any real number (Python or NumPy scalar; ``bool`` is refused).
        low, high: bounds (``None`` = unbounded on that side); closed unless ``low_open`` /
            ``high_open``. NaN and ±inf are always refused.
        expected: the accepted values in words; default derived from the bounds, e.g.
            ``"a finite number >= 0"`` or ``"a number in [0, 1)"``.
        type_error: raise ``TypeError`` for a value that is not a real number (default), or
            ``ValueError`` as for a value out of range.

    Raises:
        TypeError: ``"<name> must be <expected>, got <value> of type <type>"``.
        ValueError: ``"<name> must be <expected>, got <value>"``.
    """
    if expected is None:
        expected = _interval_text(low, high, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if type_error:
            raise TypeError(
                f"{name} must be {expected}, got {value!r} of type {type(value).__name__}"
            )
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    x = float(value)
    inside = math.isfinite(x)
    if inside and low is not None:
        inside = x > low if low_open else x >= low
    if inside and high is not None:
        inside = x < high if high_open else x <= high
    if not inside:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return x


def check_nonnegative(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0 (e.g. a learning rate, a weight decay)."""
    return check_real(name, value, low=0)


def check_positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0 (e.g. an ``eps``, a clipping threshold)."""
    return check_real(name, value, low=0, low_open=True)


def check_unit_interval(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1) (a smoothing or momentum coefficient, a drop probability)."""
    return check_real(name, value, low=0, high=1, high_open=True)


def check_int(
    name: str, value: Any, minimum: int | None = 0, *, expected: str | None = None,
    type_error: bool = True,
) -> int:
    """``value`` as a Python int >= ``minimum`` (Python or NumPy integers; ``bool`` is refused).

    Args:
        name: the argument as messages name it.
        minimum: the smallest accepted value (``None``: any integer).
        expected: the accepted values in words (default ``"an integer >= <minimum>"``, or
            ``"an integer"``).
        type_error: raise ``TypeError`` for a non-integer (default) or ``ValueError``.

    Raises:
        TypeError / ValueError: as :func:`check_real`.
    """
    if expected is None:
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if type_error:
            raise TypeError(
                f"{name} must be {expected}, got {value!r} of type {type(value).__name__}"
            )
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


#: the floating dtypes the library computes in: float64 (lessons, gradient checks), float32 (speed)
FLOAT_DTYPES: tuple[np.dtype[Any], ...] = (np.dtype(np.float32), np.dtype(np.float64))


def check_float_dtype(name: str, dtype: Any) -> np.dtype[Any]:
    """``dtype`` (``np.float32``, ``"float64"``, a dtype …) as a NumPy dtype: float32 or float64.

    Raises:
        ValueError: ``"<name> must be float32 or float64, got <dtype>"`` for any other dtype and
            for anything that is not a dtype at all.
    """
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in FLOAT_DTYPES:  # (np.dtype(None) would be float64)
        shown = resolved if resolved is not None else repr(dtype)
        raise ValueError(f"{name} must be float32 or float64, got {shown}")
    return resolved


def check_float_array(name: str, x: Any) -> np.ndarray:
    """``x`` as an ndarray of a floating dtype (float16/32/64; integers are refused, not converted).

    Raises:
        TypeError: ``"<name> must be a float array, got dtype <dtype>"``.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":  # a cheaper test than np.issubdtype (losses run it every step)
        raise TypeError(f"{name} must be a float array, got dtype {x.dtype}")
    return x


def check_choice(what: str, value: Any, choices: Iterable[str], *, lower: bool = False) -> str:
    """``value`` if it is one of ``choices`` (a registry's keys), else a ``ValueError`` listing them.

    Args:
        what: what is being chosen, e.g. ``"optimizer"``.
        value: the name given.
        choices: the valid names, in the order the message lists them.
        lower: compare case-insensitively (``value`` is lower-cased; the choices are lower case).

    Raises:
        ValueError: ``"unknown <what> <value>; expected one of <a>, <b>, …"``.
    """
    choices = list(choices)
    key = value.lower() if lower and isinstance(value, str) else value
    if not isinstance(key, str) or key not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return key


def _int_words(minimum: int) -> str:
    return {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")


def parse_int(text: str, minimum: int = 0) -> int:
    """A command-line integer >= ``minimum`` from its text (``"12"``); ``"1.5"`` is refused.

    Raises:
        ValueError: ``"expected a positive integer, got 1.5"`` (the command line shows it after
            the option's name).
    """
    try:
        v = int(text)
    except ValueError:
        raise ValueError(f"expected {_int_words(minimum)}, got {text}") from None
    if v < minimum:
        raise ValueError(f"expected {_int_words(minimum)}, got {text}")
    return v


def parse_positive_float(text: str) -> float:
    """A command-line number > 0 and finite from its text (``"3e-3"``).

    The command line's ``--lr`` uses it: a run with η = 0 would train nothing, so there the
    boundary is open, while :class:`~backprop_lab.optim.Optimizer` accepts ``lr = 0`` (a schedule
    may end there; :func:`backprop_lab.divergence.warn_zero_lr` warns about it).

    Raises:
        ValueError: ``"expected a positive, finite number, got <text>"``.
    """
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"expected a positive, finite number, got {text}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"expected a positive, finite number, got {text}")
    return v



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
