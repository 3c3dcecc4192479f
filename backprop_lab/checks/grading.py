"""Autograding: each task's points from its check, loaded afresh from the check files.

nbgrader puts the hidden part of every graded check cell back at autograde time (see the README,
"For instructors"). That part loads THIS file by its path, bypassing ``sys.modules``, and calls
:func:`grader`, which

- loads ``core.py``, ``helpers.py`` and ``lessonNN.py`` afresh from this folder, so neither a
  ``check_*`` name rebound in an answer cell nor a patched ``backprop_lab.checks`` module (also
  one replaced in ``sys.modules``) is used;
- verifies that the check it got was compiled from the lesson's file and that the NumPy functions
  the checks compare with are NumPy's own (``np.allclose = lambda *a, **k: True`` scores 0);
- returns a function that runs the check on the student's function, prints the check's short
  report and returns the points: a quarter of the task's points per step of
  :data:`~backprop_lab.checks.core.STEPS` passed before the first failure (runs and leaves its
  inputs alone → type, dtype and shape → values on the first case → edge cases). nbgrader takes
  a grade cell's numeric result as partial credit. Changing an input in place costs the quarter
  of "leaves its inputs alone" without stopping the later steps (the input is restored).

A task whose function still raises ``NotImplementedError`` scores 0 whatever else ran before.
Code in the same kernel can in principle rewrite anything (the import system, IPython's input
transformers); the README says what that leaves to the instructor.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
_SHARED = ("core", "helpers")
#: NumPy functions the checks' verdicts depend on: each must still be NumPy's own.
_NUMPY_NAMES = ("allclose", "isclose", "array_equal", "asarray", "isfinite", "all", "any",
                "argwhere", "array", "abs", "max", "sum", "mean", "exp", "sqrt")


class TamperedError(RuntimeError):
    """The grading machinery found a patched function: the task scores 0."""


def _load(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TamperedError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fresh_checks(lesson: str) -> tuple[ModuleType, ModuleType]:
    """(core, lessonNN) executed afresh from their files, not taken from ``sys.modules``.

    While the lesson module runs its imports, ``backprop_lab.checks.core`` and ``.helpers`` in
    ``sys.modules`` are the fresh copies; the previous entries are restored afterwards.
    """
    if not (lesson.startswith("lesson") and lesson[6:].isdigit()):
        raise ValueError(f"lesson must look like 'lesson01', got {lesson!r}")
    saved = {n: sys.modules.get(f"backprop_lab.checks.{n}") for n in _SHARED}
    fresh: dict[str, ModuleType] = {}
    try:
        for n in _SHARED:
            fresh[n] = _load(f"backprop_lab.checks.{n}", os.path.join(HERE, f"{n}.py"))
            sys.modules[f"backprop_lab.checks.{n}"] = fresh[n]
        module = _load(f"_backprop_lab_fresh_{lesson}", os.path.join(HERE, f"{lesson}.py"))
    finally:
        for n, old in saved.items():
            if old is None:
                sys.modules.pop(f"backprop_lab.checks.{n}", None)
            else:
                sys.modules[f"backprop_lab.checks.{n}"] = old
    if module.Checker is not fresh["core"].Checker:
        raise TamperedError("the lesson's checks did not get the fresh Checker")
    return fresh["core"], module


def _verify_numpy() -> None:
    import numpy as np

    for name in _NUMPY_NAMES:
        fn = getattr(np, name, None)
        if not (getattr(fn, "__module__", "") or "").startswith("numpy"):
            raise TamperedError(f"numpy.{name} has been replaced")


def grader(lesson: str, task: str, points: float) -> Callable[[Any], float]:
    """A function ``f(fn) -> points`` that scores the student's ``fn`` with the fresh check.

    Args:
        lesson: the check module, e.g. ``"lesson01"``.
        task: the task name, e.g. ``"sigmoid"`` (the check is ``check_sigmoid``).
        points: the task's points (the grade cell's ``points``).
    """
    core, module = fresh_checks(lesson)
    core.SOFT_INPLACE = True
    check = getattr(module, f"check_{task}")
    if getattr(check.__code__, "co_filename", None) != os.path.join(HERE, f"{lesson}.py"):
        raise TamperedError(f"check_{task} was not compiled from {lesson}.py")

    def score(fn: Any) -> float:
        """Run the check on ``fn``; print its report (stdout only) and return the points."""
        out = io.StringIO()
        core.last_checker = None
        failure: BaseException | None = None
        try:
            _verify_numpy()
            with warnings.catch_warnings(), redirect_stdout(out), redirect_stderr(out):
                warnings.simplefilter("ignore")  # nbgrader scores a cell that writes to stderr 0
                check(fn)
        except Exception as e:  # noqa: BLE001 — a failed check, or the student's code broke it
            failure = e
        checker = core.last_checker
        stage = checker.stage if checker is not None and checker.task == task else 0
        if isinstance(failure, TamperedError):
            stage = 0
        if failure is not None and stage == len(core.STEPS):
            stage = len(core.STEPS) - 1  # failed after done(): should not happen; be strict
        if checker is not None and checker.task == task and checker.inplace:
            stage = max(stage - 1, 0)  # "leaves its inputs alone" did not hold
        cause = failure
        while cause is not None:  # an unimplemented task scores 0, whatever ran before
            if isinstance(cause, NotImplementedError):
                stage = 0
            cause = cause.__cause__
        got = round(points * stage / len(core.STEPS), 2)
        report = out.getvalue().rstrip()
        if checker is not None and checker.task == task and checker.inplace:
            report += ("\n" if report else "") + (
                f"{task}: {checker.inplace[0]} — your function must not modify its inputs "
                "(−1 step).\n  Hint: work on a copy or build a new array (e.g. `y = x * 2` "
                "instead of `x *= 2`)")
        if failure is not None:
            kind = "" if isinstance(failure, core.CheckFailure) else f"{type(failure).__name__}: "
            report += ("\n" if report else "") + kind + str(failure)
        passed = list(core.STEPS[:stage])
        print(report)
        print(f"\n{task}: {got:g} of {points:g} points — steps passed: "
              + (", ".join(passed) if passed else "none"))
        return got

    return score
