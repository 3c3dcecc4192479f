"""The grading machinery without nbgrader: partial credit by check step, checks loaded afresh
(patched modules and NumPy are not trusted), the progress summary, and short tracebacks."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
import pytest

from backprop_lab.checks import core, feedback, grading
from backprop_lab.checks.lesson01 import check_sigmoid


def sigmoid(z):  # an independent stable sigmoid
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def in_place_sigmoid(z):  # right values, but overwrites its input with them
    z[...] = sigmoid(z)
    return z


def stub(z):
    raise NotImplementedError()


@pytest.mark.parametrize("fn, points", [
    (sigmoid, 2.0),                                                     # all four steps
    (lambda z: sigmoid(z).astype(np.float64), 1.5),                     # float32 edge case fails
    (lambda z: 1 / (1 + np.exp(z)), 1.0),                               # values wrong
    (lambda z: list(sigmoid(z)), 0.5),                                  # runs, wrong type
    (lambda z: z.__setitem__(0, 0.0) or sigmoid(z), 0.5),               # in place: values wrong
    (in_place_sigmoid, 1.5),                                            # in place, else right
    (stub, 0.0),                                                        # not implemented
])
def test_points_follow_the_check_steps(fn, points, capsys):
    with np.errstate(all="ignore"):
        assert grading.grader("lesson01", "sigmoid", points=2)(fn) == points
    out = capsys.readouterr()
    assert f"sigmoid: {points:g} of 2 points" in out.out and out.err == ""
    if fn is in_place_sigmoid:
        assert "argument `z` was changed in place" in out.out and "(−1 step)" in out.out


def test_student_facing_check_still_stops_at_an_in_place_change():
    with pytest.raises(core.CheckFailure, match="argument `z` was changed in place"):
        check_sigmoid(in_place_sigmoid)
    assert core.SOFT_INPLACE is False


def test_grader_ignores_patched_modules(monkeypatch, capsys):
    import backprop_lab.checks.lesson01 as lesson01

    noop = lambda *a, **k: None  # noqa: E731
    monkeypatch.setattr(lesson01, "check_sigmoid", noop)
    monkeypatch.setattr(core.Checker, "fail", noop)
    monkeypatch.setattr(core.Checker, "call", noop)
    fake = types.ModuleType("backprop_lab.checks.lesson01")
    fake.check_sigmoid = noop
    monkeypatch.setitem(sys.modules, "backprop_lab.checks.lesson01", fake)
    assert grading.grader("lesson01", "sigmoid", points=2)(stub) == 0
    monkeypatch.undo()
    assert sys.modules["backprop_lab.checks.lesson01"] is lesson01
    assert sys.modules["backprop_lab.checks.core"] is core  # the fresh copies were not left behind


def test_grader_refuses_a_patched_numpy(monkeypatch, capsys):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    assert grading.grader("lesson01", "sigmoid", points=2)(lambda z: z * 0.0) == 0
    assert "numpy.allclose has been replaced" in capsys.readouterr().out


def test_grader_rejects_bad_lesson_names():
    with pytest.raises(ValueError, match="lesson01"):
        grading.grader("../core", "sigmoid", 1)


def test_progress_names_the_next_task(capsys):
    ns = {"sigmoid": sigmoid, "sigmoid_grad": lambda z: sigmoid(z) * (1 - sigmoid(z)),
          "relu": lambda z: np.maximum(z, 0), "relu_grad": lambda z: (z > 0).astype(z.dtype)}
    feedback.progress("lesson01", ns)
    out = capsys.readouterr().out
    assert out.startswith("4 of 6 tasks pass; next: `softmax` — `softmax` is not defined")
    assert "  ✓ relu_grad" in out and "  ✗ layer_forward: 0 of 4 steps pass" in out


def test_short_traceback_keeps_only_the_students_frames():
    with pytest.raises(core.CheckFailure) as info:
        check_sigmoid(stub)
    exc = info.value
    full_frames = _files(exc.__cause__.__traceback__) + _files(exc.__traceback__)
    assert any(f.endswith("core.py") for f in full_frames)
    feedback._shorten(exc)
    short = _files(exc.__cause__.__traceback__) + _files(exc.__traceback__)
    assert __file__ in short and not any(f.startswith(feedback.CHECKS_DIR) for f in short)
    out = io.StringIO()
    feedback.full_traceback(file=out)
    assert "checks/core.py" in out.getvalue().replace("\\", "/")
    assert "not implemented yet" in out.getvalue() and "NotImplementedError" in out.getvalue()


def _files(tb):
    files = []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return files
