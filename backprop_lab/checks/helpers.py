"""Small steps several lesson checks share, built on :class:`~backprop_lab.checks.core.Checker`.

- :func:`call_with_hints`: ``Checker.call``, but a known kind of exception (an ``OverflowError``,
  or a NumPy overflow/``log(0)`` made visible with ``numpy_errors=True``) fails with a hint for it.
- :func:`expect_raises`: the function must raise a given exception on bad input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from backprop_lab.checks.core import Checker, CheckFailure, _fmt


def call_with_hints(
    c: Checker,
    *args: Any,
    label: str,
    hints: Mapping[type[BaseException], str],
    numpy_errors: bool = False,
    fn: Callable | None = None,
    **kwargs: Any,
) -> Any:
    """``c.call(*args, label=label)``; an exception of a type in ``hints`` fails with that hint.

    With ``numpy_errors=True`` the call runs under ``np.errstate(over=, invalid=, divide="raise")``:
    an intermediate ``inf``, ``nan`` or ``log(0)`` inside the student's code becomes a
    ``FloatingPointError`` (map it in ``hints``) even when the returned value happens to look
    right — ``1 / (1 + e^1000)`` is 0, but only after an overflow warning. The student's
    traceback stays chained to the failure either way.
    """
    ctx = (np.errstate(over="raise", invalid="raise", divide="raise") if numpy_errors
           else contextlib.nullcontext())
    with ctx:
        try:
            return c.call(*args, label=label, fn=fn, **kwargs)
        except CheckFailure as failure:
            cause = failure.__cause__
            for exc_type, hint in hints.items():
                if isinstance(cause, exc_type) and not isinstance(cause, NotImplementedError):
                    if isinstance(cause, FloatingPointError):
                        what = (f'NumPy reported "{cause}" inside your code: an intermediate result '
                                "became inf or NaN (the returned value may look right here, but such "
                                "code prints warnings and can return NaN)")
                    else:
                        what = (f"your code raised {type(cause).__name__}: {cause} "
                                "(see the traceback above this message)")
                    c.fail(what, hint=hint, cause=cause)
            raise


def expect_raises(
    c: Checker,
    exc_type: type[BaseException],
    *args: Any,
    label: str,
    why: str,
    hint: str,
) -> None:
    """The student's function must raise ``exc_type`` for ``args`` (bad input: ``why``)."""

    def attempt() -> tuple[bool, Any]:
        try:
            return False, c.fn(*args)
        except exc_type:
            return True, None

    raised, out = call_with_hints(
        c, label=label, fn=attempt,
        hints={Exception: f"{why} should raise a {exc_type.__name__}, not another error; {hint}"})
    if not raised:
        c.fail(f"returned {_fmt(out)} instead of raising {exc_type.__name__} ({why})", hint=hint)
    c.ok(f"raises {exc_type.__name__} for {why}")
