"""Instant-feedback checks for the exercises, one module per lesson (``checks.lesson01`` …).

Every check runs its steps in order — the function runs, returns the right type, dtype and shape,
gives the right values on small cases, then edge cases — and stops at the first failure with an
``AssertionError`` (so nbgrader's autograder scores it) whose message names the input, what was
expected, what came back and a hint. The student's own traceback stays visible (the failure is
chained to it), nothing is reported as passed unless it ran, and no message shows solution code.

Imported in a Jupyter kernel, it makes a failing check show only the student's frames and the
message (:func:`full_traceback` prints the rest). :func:`progress` summarises a notebook's tasks;
:mod:`backprop_lab.checks.grading` scores them with partial credit at autograde time.
"""

from backprop_lab.checks.core import Checker, CheckFailure
from backprop_lab.checks.feedback import full_traceback, install_short_tracebacks, progress

__all__ = ["Checker", "CheckFailure", "full_traceback", "progress"]

install_short_tracebacks()
