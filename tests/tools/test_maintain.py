"""tools/maintain.py, the maintainer's tool, kept out of the student's command and wheel.

Structural promises of issue 17 tested here: ``backprop-lab`` offers no maintainer command; the
tool finds the repository from its own location; ``notebooks run`` gives the kernel one BLAS
thread without changing this process's ``os.environ``; the wheel carries MNIST and the data
package, and no ``tools/``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from backprop_lab.cli import FORWARDED, build_parser, main

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "maintain.py"
MAINTAINER_WORDS = ("exercises", "notebooks")


@pytest.fixture(scope="module")
def maintain():
    spec = importlib.util.spec_from_file_location("maintain_under_test", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the student's command has no maintainer subcommand ------------------------------------------


def test_student_help_lists_no_maintainer_command(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    commands = text.split("{", 1)[1].split("}", 1)[0].split(",")
    assert commands == ["train", "start", "instructor"]
    for phrase in ("notebooks", "exercises build", "exercises check", "maintainers"):
        assert phrase not in text
    assert not set(MAINTAINER_WORDS) & set(FORWARDED)
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == {"train", "start", "instructor"}


@pytest.mark.parametrize("argv", [["notebooks", "run", "x.ipynb"], ["exercises", "build"]])
def test_old_maintainer_commands_are_gone(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2  # argparse: invalid choice
    assert f"invalid choice: '{argv[0]}'" in capsys.readouterr().err


def test_package_does_not_hold_the_maintainer_code() -> None:
    import backprop_lab.course as course

    for name in ("run_notebook", "build_exercises", "student_version", "main_exercises",
                 "main_notebooks", "NOTEBOOK_ENV"):
        assert not hasattr(course, name), name
    package = REPO / "backprop_lab"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "nbgrader.preprocessors import" not in text or path.name == "instructor.py", path
        assert "NotebookClient" not in text, path


# -- the tool ------------------------------------------------------------------------------------


def test_tool_finds_the_repository_from_its_own_location(maintain, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # not the repository
    assert maintain.ROOT == REPO
    assert maintain.SOLUTIONS == REPO / "solutions"
    assert maintain.EXERCISES == REPO / "exercises"
    out = subprocess.run([sys.executable, str(TOOL), "--help"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert "exercises" in out and "notebooks" in out


def test_tool_rejects_a_missing_notebook(maintain, tmp_path, capsys) -> None:
    assert maintain.main(["notebooks", "run", str(tmp_path / "nope.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err


def test_kernel_env_adds_the_thread_settings_without_changing_its_base(maintain) -> None:
    base = {"OMP_NUM_THREADS": "8", "HOME": "/somewhere"}
    env = maintain.kernel_env(base)
    assert env["OMP_NUM_THREADS"] == "1" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["HOME"] == "/somewhere"
    assert base == {"OMP_NUM_THREADS": "8", "HOME": "/somewhere"}


def test_notebooks_run_gives_the_kernel_one_thread_and_leaves_os_environ_alone(
    maintain, tmp_path, monkeypatch
) -> None:
    """A real kernel: it must see one BLAS thread although this process says 3, and this
    process's environment must be exactly as before the run."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("BACKPROP_LAB_TEST_MARKER", "kept")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os\n"
        "print([os.environ.get(v) for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', "
        "'MKL_NUM_THREADS', 'BACKPROP_LAB_TEST_MARKER')])\n"
        "print(os.getcwd())"))
    path = tmp_path / "sub" / "probe.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    before = dict(os.environ)

    assert maintain.main(["notebooks", "run", str(path)]) == 0

    assert dict(os.environ) == before
    ran = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for o in ran.cells[0].outputs)
    assert text.splitlines()[0] == "['1', '1', '1', 'kept']"
    assert Path(text.splitlines()[1]).resolve() == path.parent.resolve()  # the notebook's folder
    assert "execution" not in ran.cells[0].metadata
    assert ran.metadata["kernelspec"]["name"] == "python3"


def test_tool_does_not_write_os_environ() -> None:
    text = TOOL.read_text(encoding="utf-8")
    assert "os.environ[" not in text and "os.environ.update" not in text
    assert "os.putenv" not in text and "os.environ.setdefault" not in text


# -- the wheel -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_has_mnist_and_the_data_package_but_no_maintainer_tool(tmp_path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("backprop_lab-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for mnist in (REPO / "backprop_lab" / "datasets" / "mnist").glob("*.gz"):
        assert f"backprop_lab/datasets/mnist/{mnist.name}" in names
    assert len([n for n in names if n.startswith("backprop_lab/datasets/mnist/")
                and n.endswith(".gz")]) == 4
    for module in (REPO / "backprop_lab" / "data").glob("*.py"):
        assert f"backprop_lab/data/{module.name}" in names
    assert "backprop_lab/data.py" not in names
    assert not [n for n in names if n.startswith("tools/") or "/tools/" in n
                or n.endswith("maintain.py")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "backprop-lab = backprop_lab.cli:main" in text
    assert "maintain" not in text
