"""What a student sees: short failure tracebacks in Jupyter, and the progress summary.

- :func:`install_short_tracebacks` (run when :mod:`backprop_lab.checks` is imported in an IPython
  kernel): a failing check shows only the student's own frames — the check cell and the
  student's function where it raised — and the check's message, not the checker's internals.
- :func:`full_traceback`: the last failure's complete traceback, checker frames included (for
  instructors and maintainers): ``from backprop_lab.checks import full_traceback; full_traceback()``.
- :func:`progress`: "5 of 6 tasks pass; next: `softmax` — …", the last cell of every exercise.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import traceback
import types
import warnings
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

CHECKS_DIR = os.path.dirname(os.path.abspath(__file__))
_last: BaseException | None = None
_full_tbs: dict[int, types.TracebackType | None] = {}


def _is_checker_frame(tb: types.TracebackType) -> bool:
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(CHECKS_DIR + os.sep)


def short_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the frames of ``backprop_lab/checks/`` (the student's frames stay)."""
    frames = []
    while tb is not None:
        if not _is_checker_frame(tb):
            frames.append(tb)
        tb = tb.tb_next
    new = None
    for t in reversed(frames):
        new = types.TracebackType(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return new


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and all(exc is not s for s in seen):
        seen.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return seen


def _shorten(exc: BaseException) -> None:
    """Replace the tracebacks of ``exc`` and its causes by short ones; keep the full ones."""
    global _last
    _last = exc
    _full_tbs.clear()
    for e in _chain(exc):
        _full_tbs[id(e)] = e.__traceback__
        e.__traceback__ = short_traceback(e.__traceback__)


def full_traceback(file: Any = None) -> None:
    """Print the complete traceback of the last failed check, checker frames included."""
    if _last is None:
        print("no check has failed in this kernel yet", file=file)
        return
    for e in _chain(_last):
        if id(e) in _full_tbs:
            e.__traceback__ = _full_tbs[id(e)]
    traceback.print_exception(type(_last), _last, _last.__traceback__, file=file or sys.stdout)


def _custom_exc(shell: Any, etype: type, value: BaseException, tb: Any,
                tb_offset: int | None = None) -> None:
    """IPython's handler for CheckFailure: show the short traceback as the cell's error."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug
    _shorten(value)
    stb = shell.InteractiveTB.structured_traceback(etype, value, value.__traceback__,
                                                   tb_offset=tb_offset)
    stb = [*stb, "(The checker's own frames are hidden: `from backprop_lab.checks import "
                 "full_traceback; full_traceback()` prints them.)"]
    shell._showtraceback(etype, value, stb)  # what IPython's showtraceback does with its stb


def install_short_tracebacks() -> bool:
    """Make IPython show failing checks shortly (no-op outside IPython). True if installed."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    from backprop_lab.checks.core import CheckFailure

    shell.set_custom_exc((CheckFailure,), _custom_exc)
    return True


# -- the progress summary ---------------------------------------------------------------------------


def _run_quietly(check: Any, fn: Any) -> tuple[bool, str, int]:
    """(passed, first line of the failure message, steps passed) of ``check(fn)``, no output."""
    from backprop_lab.checks import core

    core.last_checker = None
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), redirect_stdout(sink), redirect_stderr(sink):
            warnings.simplefilter("ignore")
            check(fn)
    except Exception as e:  # noqa: BLE001 — any failure counts as "not passing"
        stage = core.last_checker.stage if core.last_checker is not None else 0
        return False, str(e).splitlines()[0] if str(e) else type(e).__name__, stage
    return True, "", len(core.STEPS)


def progress(lesson: str, namespace: dict[str, Any]) -> None:
    """Print how many of the lesson's tasks pass, each task's steps, and what to do next.

    Args:
        lesson: the check module, e.g. ``"lesson01"``.
        namespace: where the student's functions are, usually ``globals()``.
    """
    module = importlib.import_module(f"backprop_lab.checks.{lesson}")
    checks = sorted((getattr(module, name) for name in module.__all__),
                    key=lambda f: f.__code__.co_firstlineno)
    lines, first_failure, passing = [], None, 0
    for check in checks:
        task = check.__name__.removeprefix("check_")
        if task not in namespace:
            ok, why, stage = False, f"`{task}` is not defined: run its cell", 0
        else:
            ok, why, stage = _run_quietly(check, namespace[task])
        passing += ok
        if ok:
            lines.append(f"  ✓ {task}")
        else:
            lines.append(f"  ✗ {task}: {stage} of 4 steps pass")
            if first_failure is None:
                first_failure = (task, why.removeprefix(f"{task}: ").removeprefix(f"{task} "))
    head = f"{passing} of {len(checks)} tasks pass"
    if first_failure:
        head += f"; next: `{first_failure[0]}` — {first_failure[1]}"
    print(head + "\n" + "\n".join(lines))
