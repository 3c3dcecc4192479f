"""The machinery every exercise check uses: :class:`Checker`.

    def check_sigmoid(sigmoid):
        c = Checker("sigmoid", sigmoid)
        x = np.array([-2.0, 0.0, 3.0])
        out = c.call(x, label="x = [-2, 0, 3]")
        c.array(out, dtype=np.float64, shape=(3,))
        c.close(out, reference(x), hint="σ(z) = 1 / (1 + e^(−z))",
                mistakes=[(1 / (1 + np.exp(x)), "did you use e^(z) instead of e^(−z)?")])
        c.done()
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class CheckFailure(AssertionError):
    """A check found something wrong. An AssertionError, so nbgrader counts it as a failed test."""


#: The ordered steps of every check; the autograder gives a quarter of a task's points for each
#: one passed before the first failure (see :mod:`backprop_lab.checks.grading`).
STEPS = ("runs and leaves its inputs unchanged", "right type, dtype and shape",
         "right values on the first small case", "edge cases")

#: The most recently started check (the grader reads its ``stage`` after the check stops).
last_checker: Checker | None = None

#: Set only by the autograder on its private copy of this module: an input changed in place is
#: recorded in ``Checker.inplace`` (and restored) instead of stopping the check, so a function
#: that is right apart from that loses one quarter of its points, not all of them.
SOFT_INPLACE = False


def _arg_name(fn: Any, i: int) -> str:
    """``argument `z``` for the i-th positional parameter of ``fn`` (``argument 3`` if unknown)."""
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return f"argument `{params[i]}`" if i < len(params) else f"argument {i + 1}"


BROADCAST_HINT = (
    "a reduction such as Z.max(axis=1) or E.sum(axis=1) drops the axis it reduces: an (m, k) "
    "array and the (m,) result do not line up (NumPy aligns shapes from the right, so (m,) is "
    "matched against the k columns). Pass keepdims=True to keep the result as (m, 1), one value "
    "per row, which broadcasts across the row")


def _fmt(x: Any) -> str:
    if isinstance(x, np.ndarray):
        if x.size <= 12:
            return np.array2string(x, precision=6, suppress_small=False, separator=", ")
        return f"array of shape {x.shape}"
    if isinstance(x, float):
        return f"{x:.6g}"
    return repr(x)


def _distinct(expected: float, got: float) -> tuple[str, str]:
    """The two numbers with just enough digits to tell them apart (6 at least)."""
    for digits in (6, 10, 17):
        e, g = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if e != g:
            break
    return e, g


def _snapshot(args: Sequence[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else None for a in args]


def _detach(out: Any, arg: np.ndarray) -> Any:
    """``out`` with copies of the arrays that share memory with ``arg`` (one level deep)."""
    if isinstance(out, np.ndarray) and np.shares_memory(out, arg):
        return out.copy()
    if isinstance(out, (tuple, list)):
        return type(out)(o.copy() if isinstance(o, np.ndarray) and np.shares_memory(o, arg)
                         else o for o in out)
    return out


class Checker:
    """Runs the ordered steps of one check and remembers what was verified.

    Args:
        task: the name of the function or object being checked (as the student wrote it).
        fn: the student's function (or class).
    """

    def __init__(self, task: str, fn: Any) -> None:
        self.task = task
        self.fn = fn
        self.verified: list[str] = []
        self.label = ""
        #: how many of :data:`STEPS` have passed (0–4); 4 only once :meth:`done` is reached
        self.stage = 0
        #: in-place changes met while SOFT_INPLACE is on (messages)
        self.inplace: list[str] = []
        global last_checker
        last_checker = self
        if not callable(fn):
            self.fail(f"expected a function, got {type(fn).__name__} ({_fmt(fn)})",
                      hint=f"pass the function itself: check_{task}({task}), not {task}(...)")

    # -- reporting ------------------------------------------------------------------------------
    def fail(self, what: str, hint: str | None = None, cause: BaseException | None = None) -> None:
        """Stop the check with a message: which input, what is wrong, and a hint."""
        where = f" for input {self.label}" if self.label else ""
        msg = f"{self.task}{where}: {what}"
        if hint:
            msg += f"\n  Hint: {hint}"
        if self.verified:
            msg += "\n  (Passed before this: " + "; ".join(self.verified) + ".)"
        if cause is not None:
            raise CheckFailure(msg) from cause
        raise CheckFailure(msg)

    def ok(self, what: str) -> None:
        """Record a verified step (shown in the final success message)."""
        if what not in self.verified:
            self.verified.append(what)

    def done(self) -> None:
        """Print what was verified. Call it last: only reached when every step passed."""
        self.stage = len(STEPS)
        steps = "\n".join(f"  ✓ {v}" for v in self.verified)
        print(f"{self.task}: all {len(self.verified)} checks passed\n{steps}")

    # -- running the student's code -------------------------------------------------------------
    def call(self, *args: Any, label: str, fn: Callable | None = None, **kwargs: Any) -> Any:
        """Call the student's function on ``args``; name the input ``label`` in any message.

        Raises a CheckFailure if the function is not implemented yet, raises, or changes an input
        array in place. An exception from the student's code stays chained, so its traceback shows.
        """
        self.label = label
        fn = self.fn if fn is None else fn
        before = _snapshot(args)
        try:
            out = fn(*args, **kwargs)
        except NotImplementedError as e:
            self.fail(
                "not implemented yet.",
                hint="replace `raise NotImplementedError()` with your code, run that cell, "
                     "then run this check again",
                cause=e,
            )
        except Exception as e:  # the student's traceback is kept as the cause and printed
            broadcast = isinstance(e, ValueError) and "could not be broadcast" in str(e)
            self.fail(
                f"your code raised {type(e).__name__}: {e} (see the traceback above this message)",
                hint=BROADCAST_HINT if broadcast else None, cause=e,
            )
        for i, (a, b) in enumerate(zip(args, before, strict=True)):
            if b is not None and not np.array_equal(a, b, equal_nan=True):
                if SOFT_INPLACE:
                    out = _detach(out, a)
                    a[...] = b  # the check's later reference values need the original input
                    self.inplace.append(f"{_arg_name(fn, i)} was changed in place (input {label})")
                    continue
                self.fail(
                    f"{_arg_name(fn, i)} was changed in place; your function must not modify "
                    "its inputs",
                    hint="work on a copy or build a new array (e.g. `x = x.copy()`, or `y = x * 2` "
                         "instead of `x *= 2`)",
                )
        self.ok("runs without error and leaves its inputs unchanged")
        self.stage = max(self.stage, 1)
        return out

    # -- type, dtype, shape ---------------------------------------------------------------------
    def array(
        self, out: Any, dtype: Any | None = None, shape: tuple[int, ...] | None = None,
        name: str = "the result",
    ) -> np.ndarray:
        """``out`` must be a NumPy array (of the given dtype and shape when those are given)."""
        if not isinstance(out, np.ndarray):
            hint = ("did you forget to `return` it?" if out is None
                    else "return the whole array, not a single number: did you reduce it with "
                    "max, mean or sum?" if isinstance(out, (int, float, np.number))
                    else "build it with NumPy operations (np.exp, @, …) rather than Python lists")
            self.fail(f"{name} should be a NumPy array, got {type(out).__name__} ({_fmt(out)})",
                      hint=hint)
        self.ok("returns a NumPy array")
        if dtype is not None and out.dtype != np.dtype(dtype):
            if out.dtype == np.bool_:
                hint = (f"True/False values: convert the boolean array to numbers, e.g. "
                        f"with .astype(np.{np.dtype(dtype).name}) (the dtype of the input)")
            elif np.dtype(dtype) == np.float64 and out.dtype == np.float32:
                hint = ("this result must be float64 (also for float32 inputs): compute in "
                        "float64, e.g. convert the inputs with .astype(np.float64) first")
            elif np.dtype(dtype) == np.float32:
                hint = ("keep the input's precision. NumPy keeps float32 when you combine it with "
                        "a Python number (2.0 * z, z ** 2, np.power(z, 2)), but a NumPy float64 "
                        "turns the whole result into float64: np.float64(2.0) * z, np.power(z, "
                        "np.float64(2)), np.array(..., dtype=float), np.zeros(n) (float64 by "
                        "default) or a float64 array mixed in. Use plain Python numbers, "
                        "np.zeros_like(z), or z.dtype.type(2.0)")
            else:
                hint = "make sure you compute with floats, not integers"
            self.fail(f"{name} has dtype {out.dtype}, expected {np.dtype(dtype)}", hint=hint)
        if dtype is not None:
            self.ok(f"dtype {np.dtype(dtype)}")
        if shape is not None and out.shape != tuple(shape):
            self.fail(f"{name} has shape {out.shape}, expected {tuple(shape)}",
                      hint=self._shape_hint(out.shape, tuple(shape)))
        if shape is not None:
            self.ok(f"shape {tuple(shape)}")
        return out

    @staticmethod
    def _shape_hint(got: tuple[int, ...], want: tuple[int, ...]) -> str:
        if got == want[::-1]:
            return "the shape is transposed: check which side of the product each matrix goes on"
        if len(got) < len(want):
            return "an axis went missing: did you sum or index over the wrong axis (or forget keepdims=True)?"
        if len(got) > len(want):
            return "an extra axis: did you forget to sum over the batch, or did broadcasting add an axis?"
        return "check the axis you reduce over and the order of matrix products"

    def results(
        self, out: Any, names: tuple[str, ...], kind: str = "a tuple", hint: str | None = None
    ) -> tuple[Any, ...]:
        """``out`` must be a tuple (or list) of ``len(names)`` results, named in messages.

        ``kind`` is how messages call it ("a tuple", "a pair", "3 results"); ``hint`` is added
        after the default "return a, b".
        """
        what = f"{kind} ({', '.join(names)})"
        if not isinstance(out, (tuple, list)) or len(out) != len(names):
            got = type(out).__name__
            if isinstance(out, (tuple, list)):
                got += f" of length {len(out)}"
            self.fail(f"expected {what}, got {got}",
                      hint=f"return {', '.join(names)}" + (f" ({hint})" if hint else ""))
        self.ok(f"returns {what}")
        return tuple(out)

    def number(self, out: Any, name: str = "the result") -> float:
        """``out`` must be a real number (Python or NumPy scalar, or a 0-d array)."""
        if isinstance(out, np.ndarray) and out.ndim == 0:
            out = out.item()
        if isinstance(out, (bool, np.bool_)) or not isinstance(out, (int, float, np.integer, np.floating)):
            self.fail(f"{name} should be a single number, got {type(out).__name__} ({_fmt(out)})",
                      hint="return a scalar, e.g. with float(...) or .mean()" if out is not None
                      else "did you forget to `return` it?")
        self.ok("returns a number")
        return float(out)

    # -- values ---------------------------------------------------------------------------------
    def close(
        self,
        out: Any,
        expected: Any,
        what: str = "values",
        rtol: float = 1e-6,
        atol: float = 1e-9,
        hint: str | None = None,
        mistakes: Sequence[tuple[Any, str]] = (),
    ) -> None:
        """``out`` must equal ``expected`` within tolerance.

        ``mistakes`` lists (what a typical wrong implementation returns, a hint for that mistake):
        when ``out`` matches one, its hint is shown instead of the generic one.
        """
        self._comparing()
        out_a = np.asarray(out, dtype=np.float64)
        exp_a = np.asarray(expected, dtype=np.float64)
        if out_a.shape != exp_a.shape:
            self.fail(f"{what}: expected shape {exp_a.shape}, got shape {out_a.shape}",
                      hint=self._shape_hint(out_a.shape, exp_a.shape))
        if not np.all(np.isfinite(out_a)) and np.all(np.isfinite(exp_a)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out_a))[0]) if out_a.ndim else ()
            self.fail(
                f"{what}: got a non-finite value ({_fmt(out_a[bad] if bad else out_a)}) at index "
                f"{list(bad)}; expected {_fmt(float(exp_a[bad]) if bad else exp_a)}",
                hint=self._mistake_hint(out_a, mistakes) or hint
                or "an overflow or a division by zero: look for np.exp of large numbers or log(0)",
            )
        if not np.allclose(out_a, exp_a, rtol=rtol, atol=atol):
            hint = self._mistake_hint(out_a, mistakes) or hint
            wrong = ~np.isclose(out_a, exp_a, rtol=rtol, atol=atol)
            if out_a.ndim == 0:
                e, g = _distinct(float(exp_a), float(out_a))
                self.fail(f"{what}: expected {e}, got {g}", hint=hint)
            idx = tuple(int(i) for i in np.argwhere(wrong)[0])
            e, g = _distinct(float(exp_a[idx]), float(out_a[idx]))
            self.fail(
                f"{what}: at index {list(idx)} expected {e}, got {g} "
                f"({int(wrong.sum())} of {wrong.size} entries differ)",
                hint=hint,
            )
        self.ok(what if what != "values" else "values on small cases")
        self._compared()

    @staticmethod
    def _mistake_hint(out_a: np.ndarray, mistakes: Sequence[tuple[Any, str]]) -> str | None:
        """The hint of the first typical mistake whose output ``out_a`` matches (inf and NaN too)."""
        for candidate, mistake_hint in mistakes:
            cand = np.asarray(candidate, dtype=np.float64)
            if cand.shape == out_a.shape and np.allclose(out_a, cand, rtol=1e-5, atol=1e-8,
                                                         equal_nan=True):
                return mistake_hint
        return None

    def true(self, condition: bool, what: str, failure: str, hint: str | None = None) -> None:
        """A property that must hold (e.g. "rows sum to 1")."""
        self._comparing()
        if not bool(condition):
            self.fail(failure, hint=hint)
        self.ok(what)
        self._compared()

    # -- partial credit: which of STEPS has passed ------------------------------------------------
    def _comparing(self) -> None:
        """A value comparison starts: everything before it (type, dtype, shape) has passed."""
        if self.stage >= 1:
            self.stage = max(self.stage, 2)

    def _compared(self) -> None:
        """A value comparison passed: the first one completes the "values" step."""
        if self.stage >= 2:
            self.stage = max(self.stage, 3)
