"""Every exercise notebook, generically: exercises/ is generated from solutions/, the student
version runs with only its checks failing ("not implemented yet", shortly: no checker frames), and
its last cell prints the progress summary. The nbgrader round trip (full points, zero, tampering,
partial credit) is tests/checks/test_grading_roundtrip.py.

Covers whatever notebooks solutions/ and exercises/ hold, so new exercises are tested as they come.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from backprop_lab import course

pytest.importorskip("nbgrader", reason="the exercise tests need nbgrader (pip install -e '.[test]')")


def _load_maintain():
    """tools/maintain.py, the maintainer's tool that generates exercises/ (not in the package)."""
    path = Path(__file__).resolve().parents[2] / "tools" / "maintain.py"
    spec = importlib.util.spec_from_file_location("maintain", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


maintain = _load_maintain()

SOLUTIONS = sorted(course.SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(course.EXERCISES.glob("[0-9][0-9]_*.ipynb"))
NOT_IMPLEMENTED = "not implemented yet"


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_check_cell(cell) -> bool:
    """A graded code cell: the locked `check_xxx(xxx)` under a task."""
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def _error_text(output) -> str:
    return "\n".join([output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])])


# -- (a) exercises/ is what solutions/ generates -----------------------------------------------------


def test_there_are_exercises():
    assert SOLUTIONS, "solutions/ holds no NN_topic.ipynb notebooks"
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]


def test_exercises_are_up_to_date():
    assert maintain.EXERCISES == course.EXERCISES and maintain.SOLUTIONS == course.SOLUTIONS
    stale = maintain.build_exercises(check_only=True)
    assert stale == [], f"exercises/ is stale for {stale}: run `python tools/maintain.py exercises build`"


def test_exercises_check_names_a_modified_notebook(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "exercises"
    shutil.copytree(course.EXERCISES, copy)
    monkeypatch.setattr(maintain, "EXERCISES", copy)
    assert maintain.main(["exercises", "check"]) == 0
    assert "up to date" in capsys.readouterr().out

    target = sorted(copy.glob("[0-9][0-9]_*.ipynb"))[-1]
    nb = nbformat.read(target, as_version=4)
    solution_cell = next(c for c in nb.cells if _nbgrader(c).get("solution") and c.cell_type == "code")
    solution_cell.source += "\nx = 1  # a student's edit"
    nbformat.write(nb, target)
    assert maintain.main(["exercises", "check"]) == 1
    err = capsys.readouterr().err
    assert target.name in err and "python tools/maintain.py exercises build" in err
    assert all(p.name not in err for p in SOLUTIONS if p.name != target.name)

    target.unlink()
    assert maintain.main(["exercises", "check"]) == 1
    assert target.name in capsys.readouterr().err
    assert (course.REPO / "exercises" / target.name).exists()  # the repo's copy is untouched


def test_solutions_have_the_nbgrader_structure():
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_id"
        checks = [c for c in nb.cells if _is_check_cell(c)]
        assert 3 <= len(checks) <= 6, f"{path.name}: {len(checks)} graded tasks"
        for i, cell in enumerate(nb.cells):
            meta = _nbgrader(cell)
            if _is_check_cell(cell):
                task = meta["grade_id"].removeprefix("check_")
                assert meta["locked"] and meta["points"] > 0, f"{path.name}: {meta['grade_id']}"
                hidden, visible = cell.source.split("### END HIDDEN TESTS\n")
                assert visible.strip() == f"check_{task}({task})", f"{path.name}: {cell.source}"
                # the hidden part rebinds the check to the fresh grader with this cell's points
                lesson = re.search(r"checks\.(lesson\d\d) import", nb.cells[1].source).group(1)
                assert hidden.startswith("### BEGIN HIDDEN TESTS\n"), path.name
                assert (f'check_{task} = _g.grader("{lesson}", "{task}", points={meta["points"]:g})'
                        in hidden), f"{path.name}: {hidden}"
                impl = nb.cells[i - 1]
                assert _nbgrader(impl).get("grade_id") == f"{task}_impl", f"{path.name}: {task}"
            if meta.get("solution") and cell.cell_type == "code":
                assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            if meta.get("task"):  # a written question: the point, model answer and mark scheme
                assert meta["locked"] and meta["points"] > 0 and not meta["grade"], path.name
                scheme = cell.source.split("### BEGIN MARK SCHEME\n")[1]
                assert scheme.startswith("**Model answer.** ") and "**Mark scheme (" in scheme
                assert "Typical answers that do not earn it:\n- " in scheme
                assert scheme.rstrip().endswith("### END MARK SCHEME"), path.name
                answer = nb.cells[i + 1]
                assert answer.cell_type == "markdown" and answer.source == "YOUR ANSWER HERE"
        assert sum(bool(_nbgrader(c).get("task")) for c in nb.cells) >= 1, path.name


# -- (b) the student version runs: only the checks fail, each with "not implemented yet" --------------


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_notebook_runs_with_only_its_checks_failing(path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(course.EXERCISES)}}).execute()
    n_checks = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if _is_check_cell(cell):
            n_checks += 1
            assert errors, f"cell {i} ({cell.source!r}) passed although nothing is implemented"
            text = _error_text(errors[-1])
            assert errors[-1].ename in ("CheckFailure", "AssertionError"), text
            assert NOT_IMPLEMENTED in text, f"cell {i} ({cell.source!r}) failed with:\n{text}"
            assert "NotImplementedError" in text  # the student's own traceback is shown
            assert "checks/core.py" not in text.replace("\\", "/")  # the checker's frames are not
            assert "full_traceback()" in text
        else:
            assert not errors, f"cell {i} must not fail:\n{cell.source}\n{_error_text(errors[0])}"
    assert n_checks >= 3
    progress = nb.cells[-1]
    assert progress.source.startswith("from backprop_lab.checks import progress"), path.name
    text = "".join(o.get("text", "") for o in progress.outputs)
    assert text.startswith(f"0 of {n_checks} tasks pass; next: `"), text
    assert "not implemented yet" in text.splitlines()[0]
