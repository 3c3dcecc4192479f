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
    """(e): the solution, but exercise 01's sigmoid returns float64 for float32 input."""
    if lesson != "lesson01":
        return
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid_impl")
    assert "return np.where(z >= 0, 1.0, e) / (1.0 + e)" in cell.source
    cell.source = cell.source.replace("return np.where(z >= 0, 1.0, e) / (1.0 + e)",
                                      "return (np.where(z >= 0, 1.0, e) / (1.0 + e)).astype(float)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course directory after generate_assignment and autograde of five students."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("course")
    assignments = init_course(root)
    assert assignments == [p.stem for p in SOLUTIONS]
    times: dict[str, float] = {}
    for name in assignments:
        _nbgrader(root, "generate_assignment", name)
        release = root / "release" / name / f"{name}.ipynb"
        source_nb = nbformat.read(root / "source" / name / f"{name}.ipynb", 4)
        lesson = LESSON.search("".join(c.source for c in source_nb.cells)).group(1)
        students = {
            "solved": nbformat.read(course.SOLUTIONS / f"{name}.ipynb", 4),
            "untouched": nbformat.read(release, 4),
            "rebinder": nbformat.read(release, 4),
            "patcher": nbformat.read(release, 4),
        }
        if name == assignments[0]:
            students["edgebug"] = nbformat.read(course.SOLUTIONS / f"{name}.ipynb", 4)
        _rebinder(students["rebinder"], lesson)
        _patcher(students["patcher"], lesson)
        if "edgebug" in students:
            _edge_bug(students["edgebug"], lesson)
        for student, nb in students.items():
            dest = root / "submitted" / student / name / f"{name}.ipynb"
            dest.parent.mkdir(parents=True)
            nbformat.write(nb, dest)
        for student in students:
            start = time.perf_counter()
            _nbgrader(root, "autograde", name, "--student", student)
            times[f"{student}/{name}"] = time.perf_counter() - start
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {(s, a): (gb.find_submission(a, s).code_score, gb.find_submission(a, s).max_code_score)
                  for a in assignments for s in ("solved", "untouched", "rebinder", "patcher")}
        edge = gb.find_submission(assignments[0], "edgebug")
        scores["edgebug", assignments[0]] = (edge.code_score, edge.max_code_score)
        cells = {a: {g.name: g.score for g in gb.find_submission_notebook(a, a, "edgebug").grades}
                 for a in assignments[:1]}
    return root, assignments, scores, cells, times


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
    _, assignments, scores, _, times = graded
    totals = {s: _total(scores, s) for s in ("solved", "untouched", "rebinder", "patcher", "edgebug")}
    per_student = {s: sum(t for k, t in times.items() if k.startswith(s + "/")) for s in totals}
    print("\nautograded code points:", {s: f"{g:g}/{m:g}" for s, (g, m) in totals.items()})
    print("autograde seconds per student (all assignments, one nbgrader call per assignment):",
          {s: round(t, 1) for s, t in per_student.items()})
    for name in assignments:
        got, most = scores["solved", name]
        assert most > 0 and got == most, f"{name}: the solutions score {got} of {most}"
        for student in ("untouched", "rebinder", "patcher"):
            assert scores[student, name][0] == 0, f"{name}: {student} scores {scores[student, name]}"


def test_partial_credit_for_one_edge_case_bug(graded):
    _, assignments, scores, cells, _ = graded
    first = assignments[0]
    sigmoid = cells[first]["check_sigmoid"]
    assert 0.5 * 2 < sigmoid < 2, f"sigmoid with a float32 bug scored {sigmoid} of 2"
    got, most = scores["edgebug", first]
    assert got == most - (2 - sigmoid), (got, most)


def test_feedback_refuses_while_written_answers_are_ungraded(graded, capsys):
    root, assignments, *_ = graded
    assert main_instructor(["feedback", assignments[0], "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "refusing" in err and "solved: " + assignments[0] in err
    assert not (root / "feedback").exists()
