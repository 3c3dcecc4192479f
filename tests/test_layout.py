"""tests/ mirrors the package: one folder per layer of ARCHITECTURE.md, so a maintainer finds the
tests of a module where the module lives (core modules → tests/core, explore/ → tests/explore …)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent

#: folder → what its tests are about
FOLDERS = {
    "core": "the NumPy core: activations … data/, step, train, interop",
    "explore": "the widgets' pure computations and lenient validation",
    "plotting": "figures",
    "widgets": "the widget views, headless",
    "checks": "exercise checks, grading, lesson discovery checks and helpers",
    "app": "the backprop-lab command, exercises/ generation, JupyterHub",
    "lessons": "what lessons must contain (questions, structure, output rules)",
    "e2e": "a real browser: widgets in JupyterLab and Notebook 7, latency benchmark",
    "tools": "maintainer tools in tools/",
}
#: test files that are about the whole package, kept at the top
TOP_LEVEL = {"test_layering.py", "test_layout.py"}


def test_every_test_file_sits_in_a_layer_folder() -> None:
    top = {p.name for p in TESTS.glob("test_*.py")}
    assert top == TOP_LEVEL, f"move {sorted(top - TOP_LEVEL)} into one of {sorted(FOLDERS)}"
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    assert folders == set(FOLDERS), f"unknown or missing test folders: {folders ^ set(FOLDERS)}"
    for name in FOLDERS:
        assert list((TESTS / name).glob("test_*.py")), f"tests/{name} holds no tests"


def test_test_file_names_are_unique() -> None:
    """tests/ has no __init__.py files (pytest imports each test file by its name), so two files
    with one name in two folders would clash."""
    names = [p.name for p in TESTS.rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
