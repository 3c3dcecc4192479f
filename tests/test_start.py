"""`backprop-lab start`: a student's working copy of the course, and the wheel that carries it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from backprop_lab import course
from backprop_lab.cli import main

REPO = Path(__file__).resolve().parent.parent


def _fake_course(root: Path) -> Path:
    for folder, names in (("lessons", ["00_start_here", "01_forward_pass"]),
                          ("exercises", ["01_forward_pass"]), ("solutions", ["01_forward_pass"])):
        (root / folder).mkdir(parents=True)
        for name in names:
            (root / folder / f"{name}.ipynb").write_text(json.dumps({"cells": [], "name": name}))
    return root


def test_start_copies_lessons_and_exercises_but_never_solutions(tmp_path):
    src = _fake_course(tmp_path / "src")
    report = course.copy_course(tmp_path / "work", source=src)
    assert sorted(report["added"]) == ["exercises/01_forward_pass.ipynb",
                                       "lessons/00_start_here.ipynb", "lessons/01_forward_pass.ipynb"]
    assert not (tmp_path / "work" / "solutions").exists()


def test_start_never_overwrites_a_changed_notebook(tmp_path):
    src = _fake_course(tmp_path / "src")
    work = tmp_path / "work"
    course.copy_course(work, source=src)
    student = work / "lessons" / "01_forward_pass.ipynb"
    student.write_text('{"my": "work"}')
    # a new version of every lesson ships, and a new lesson appears
    for p in (src / "lessons").glob("*.ipynb"):
        p.write_text(p.read_text().replace("cells", "cells_v2"))
    (src / "lessons" / "02_loss_functions.ipynb").write_text("{}")
    report = course.copy_course(work, source=src)
    assert report["kept"] == ["lessons/01_forward_pass.ipynb"]
    assert student.read_text() == '{"my": "work"}'
    assert "lessons/00_start_here.ipynb" in report["updated"]  # untouched: safe to update
    assert "cells_v2" in (work / "lessons" / "00_start_here.ipynb").read_text()
    assert report["added"] == ["lessons/02_loss_functions.ipynb"]
    again = course.copy_course(work, source=src)
    assert again["kept"] == ["lessons/01_forward_pass.ipynb"] and not again["added"]


def test_start_command_no_launch_reports(tmp_path, capsys, monkeypatch):
    src = _fake_course(tmp_path / "src")
    monkeypatch.setattr(course, "course_source", lambda: src)
    assert main(["start", str(tmp_path / "c"), "--no-launch"]) == 0
    out = capsys.readouterr().out
    assert "3 notebook(s) added" in out
    assert main(["start", str(tmp_path / "c"), "--no-launch"]) == 0
    assert "all 3 notebooks are up to date" in capsys.readouterr().out


def test_real_course_source_has_lessons_and_exercises():
    src = course.course_source()
    assert sorted(p.name for p in (src / "lessons").glob("*.ipynb"))
    assert not (src / "solutions").exists() or src == REPO


@pytest.mark.slow
def test_wheel_carries_lessons_and_exercises_not_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("backprop_lab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    lessons = [n for n in names if n.startswith("backprop_lab/course_files/lessons/")]
    exercises = [n for n in names if n.startswith("backprop_lab/course_files/exercises/")]
    assert {Path(n).name for n in lessons} == {p.name for p in (REPO / "lessons").glob("*.ipynb")}
    assert {Path(n).name for n in exercises} == {p.name for p in (REPO / "exercises").glob("*.ipynb")}
    assert not [n for n in names if "solutions" in n or ".ipynb_checkpoints" in n]
    assert "backprop_lab/datasets/mnist/train-images-idx3-ubyte.gz" in names


@pytest.mark.slow
def test_start_works_from_the_installed_wheel(tmp_path):
    """Install the wheel (without dependencies) into a folder that shadows the checkout, then run
    ``python -m backprop_lab start --no-launch``: the notebooks must come out of the wheel."""
    import os

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True)
    wheel = next((tmp_path / "dist").glob("backprop_lab-*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import backprop_lab.course as c; "
                            "print(c.course_source())"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where) == site / "backprop_lab" / "course_files"
    out = subprocess.run([sys.executable, "-m", "backprop_lab", "start", "course", "--no-launch"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "notebook(s) added" in out
    copied = {p.relative_to(tmp_path / "course").as_posix()
              for p in (tmp_path / "course").rglob("*.ipynb")}
    expected = {f"{folder}/{p.name}" for folder in ("lessons", "exercises")
                for p in (REPO / folder).glob("*.ipynb")}
    assert copied == expected

