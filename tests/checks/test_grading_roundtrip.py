"""The nbgrader round trip an instructor runs, with real nbgrader, on the course directory that
`backprop-lab instructor init` makes (one assignment per lesson):

(a) the solutions score full points; (b) the untouched exercises 0; (c) a submission that rebinds
every `check_*` name in its first answer cell 0; (d) one that patches the check modules themselves
(attributes, `sys.modules`, `Checker.fail`, `np.allclose`) 0; (e) the solutions with one edge-case
bug (exercise 01's `sigmoid` returns float64 for float32 input) lose only part of that task's
points. Also: the release equals exercises/, the feedback wrapper refuses while written answers
are ungraded, and the autograde time per student is measured.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from backprop_lab import course
from backprop_lab.instructor import init_course, main_instructor

pytest.importorskip("nbgrader", reason="the grading tests need nbgrader (pip install -e '.[test]')")

SOLUTIONS = sorted(course.SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
LESSON = re.compile(r"backprop_lab\.checks\.(lesson\d\d)")


def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _checks(nb) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"].removeprefix("check_") for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def _first_answer(nb):
    return next(c for c in nb.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))


def _rebinder(nb, lesson: str) -> None:
    """(c): every check name rebound to a no-op in the first answer cell."""
    names = " = ".join(f"check_{t}" for t in _checks(nb))
    cell = _first_answer(nb)
    cell.source = f"{names} = lambda *a, **k: None\n" + cell.source


def _patcher(nb, lesson: str) -> None:
    """(d): the check modules patched in place and replaced in sys.modules; the checker and
    NumPy's comparison defused too."""
    tasks = _checks(nb)
    cell = _first_answer(nb)
    cell.source = f'''import sys, types
import numpy
import backprop_lab.checks.core as _core
import backprop_lab.checks.{lesson} as _m
for _t in {tasks!r}:
    setattr(_m, "check_" + _t, lambda *a, **k: None)
_fake = types.ModuleType("backprop_lab.checks.{lesson}")
for _t in {tasks!r}:
    setattr(_fake, "check_" + _t, lambda *a, **k: None)
sys.modules["backprop_lab.checks.{lesson}"] = _fake
_core.Checker.fail = lambda self, *a, **k: None
_core.Checker.call = lambda self, *a, **k: None
numpy.allclose = lambda *a, **k: True
from backprop_lab.checks.{lesson} import *  # noqa
''' + cell.source


def _edge_bug(nb, lesson: str) -> None:
    """(e): the solution, but exercise 01's sigmoid returns float64 for float32 input, and its
    relu is right but changes its input in place (the issue's two examples of almost-right)."""
    if lesson != "lesson01":
        return
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid_impl")
    assert "return np.where(z >= 0, 1.0, e) / (1.0 + e)" in cell.source
    cell.source = cell.source.replace("return np.where(z >= 0, 1.0, e) / (1.0 + e)",
                                      "return (np.where(z >= 0, 1.0, e) / (1.0 + e)).astype(float)")
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_impl")
    assert "return np.maximum(z, 0)" in cell.source
    cell.source = cell.source.replace("return np.maximum(z, 0)", "z[z < 0] = 0\n    return z")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course directory after generate_assignment and autograde of five students."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("course")
    assignments = init_course(root)
    assert assignments == [p.stem for p in SOLUTIONS]
    _nbgrader(root, "generate_assignment", "*")  # every assignment, as the README says
    students = ("solved", "untouched", "rebinder", "patcher")
    for name in assignments:
        release = root / "release" / name / f"{name}.ipynb"
        lesson = LESSON.search(release.read_text()).group(1)
        subs = {s: nbformat.read(release, 4) for s in students[1:]}
        subs["solved"] = nbformat.read(course.SOLUTIONS / f"{name}.ipynb", 4)
        _rebinder(subs["rebinder"], lesson)
        _patcher(subs["patcher"], lesson)
        if name == assignments[0]:
            subs["edgebug"] = nbformat.read(course.SOLUTIONS / f"{name}.ipynb", 4)
            _edge_bug(subs["edgebug"], lesson)
        for student, nb in subs.items():
            dest = root / "submitted" / student / name / f"{name}.ipynb"
            dest.parent.mkdir(parents=True)
            nbformat.write(nb, dest)
    start = time.perf_counter()
    _nbgrader(root, "autograde", "*")
    seconds = time.perf_counter() - start
    n_graded = len(students) * len(assignments) + 1
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {}
        for a in assignments:
            for s in students + (("edgebug",) if a == assignments[0] else ()):
                sub = gb.find_submission(a, s)
                scores[s, a] = (sub.code_score, sub.max_code_score)
        cells = {g.name: g.score for g in
                 gb.find_submission_notebook(assignments[0], assignments[0], "edgebug").grades}
    return root, assignments, scores, cells, seconds / n_graded


def test_release_is_exercises(graded):
    root, assignments, *_ = graded
    assert not (root / "source" / "header.ipynb").exists()
    for name in assignments:
        ours = nbformat.read(course.EXERCISES / f"{name}.ipynb", 4)
        theirs = nbformat.read(root / "release" / name / f"{name}.ipynb", 4)
        assert [(c.cell_type, c.source, c.metadata) for c in ours.cells] == \
            [(c.cell_type, c.source, c.metadata) for c in theirs.cells], name
        assert "HIDDEN TESTS" not in json.dumps(theirs.cells) and "MARK SCHEME" not in json.dumps(theirs.cells)


def _total(scores, student):
    return (sum(scores[s, a][0] for s, a in scores if s == student),
            sum(scores[s, a][1] for s, a in scores if s == student))


def test_four_submissions(graded):
    _, assignments, scores, _, per_notebook = graded
    totals = {s: _total(scores, s) for s in ("solved", "untouched", "rebinder", "patcher")}
    print("\nautograded code points over all assignments:",
          {s: f"{g:g}/{m:g}" for s, (g, m) in totals.items()},
          f"\nautograde: {per_notebook:.1f} s per submitted notebook (one call for everything)")
    for name in assignments:
        got, most = scores["solved", name]
        assert most > 0 and got == most, f"{name}: the solutions score {got} of {most}"
        for student in ("untouched", "rebinder", "patcher"):
            assert scores[student, name][0] == 0, f"{name}: {student} scores {scores[student, name]}"


def test_partial_credit_for_one_edge_case_bug(graded):
    _, assignments, scores, cells, _ = graded
    sigmoid = cells["check_sigmoid"]
    print(f"\nedge-case bug: sigmoid {sigmoid:g} of 2 points; in-place relu "
          f"{cells['check_relu']:g} of 1; notebook "
          f"{scores['edgebug', assignments[0]][0]:g} of {scores['edgebug', assignments[0]][1]:g}")
    assert 0.5 * 2 < sigmoid < 2, f"sigmoid with a float32 bug scored {sigmoid} of 2"
    assert 0.5 <= cells["check_relu"] < 1, "a right relu that changes its input in place"
    # the tasks that do not call sigmoid keep their full points
    for task, points in (("relu_grad", 1), ("softmax", 2), ("layer_forward", 2)):
        assert cells[f"check_{task}"] == points, task
    # sigmoid_grad may call the student's sigmoid: it inherits the float32 bug, nothing worse
    assert 0.5 <= cells["check_sigmoid_grad"] < 1


def test_feedback_html_is_short_and_without_grading_code(graded):
    root, assignments, *_ = graded
    assert main_instructor(["feedback", assignments[0], "--root", str(root), "--force"]) == 0
    html = (root / "feedback" / "edgebug" / assignments[0] / f"{assignments[0]}.html").read_text()
    assert "the result has dtype float64, expected float32" in html
    assert "1.5 of 2 points" in html
    assert "HIDDEN TESTS" not in html and "MARK SCHEME" not in html
    assert "checks/core.py" not in html and "Traceback (most recent call last)" not in html


def test_feedback_refuses_while_written_answers_are_ungraded(graded, capsys):
    root, assignments, *_ = graded
    assert main_instructor(["feedback", assignments[0], "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "refusing" in err and "solved: " + assignments[0] in err
