"""Without a browser, tests/e2e/test_e2e_browser.py skips on a developer's machine but fails in CI, so a
CI run cannot pass with zero browser tests run. Checked in child pytest runs in which the
playwright package looks uninstalled (nothing is started: the tests stop before any server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E = "tests/e2e/test_e2e_browser.py"


def run_e2e_without_playwright(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    # a plugin loaded with -p before collection makes `playwright` look uninstalled
    (tmp_path / "hide_playwright.py").write_text("import sys\nsys.modules['playwright'] = None\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, "-m", "pytest", E2E, "-p", "hide_playwright", "-p", "no:cacheprovider",
         "-q", "-rs", "-m", "e2e or not e2e"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("ci", [None, "false"])
def test_skipped_without_a_browser_outside_ci(tmp_path: Path, ci: str | None) -> None:
    result = run_e2e_without_playwright(tmp_path, ci)
    out = result.stdout + result.stderr
    assert result.returncode in (0, 5), out  # 5: a skipped module leaves no test collected
    assert "needs the playwright package" in out and "skipped" in out, out
    assert "failed" not in out and "error" not in out.lower(), out


@pytest.mark.parametrize("ci", ["true"])
def test_fails_without_a_browser_in_ci(tmp_path: Path, ci: str) -> None:
    result = run_e2e_without_playwright(tmp_path, ci)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "needs the playwright package" in out and "CI is set" in out, out
    assert "3 errors" in out and "passed" not in out, out  # every browser test, none run


def _e2e_module():
    """tests/e2e/test_e2e_browser.py as a module (skips where it skips itself)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_e2e_browser_under_test", ROOT / E2E)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look the module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_a_lesson_without_its_widget_cell_fails_instead_of_a_made_up_notebook(tmp_path: Path):
    import nbformat

    e2e = _e2e_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("explorer = LRExplorer( in prose only"),
                nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "03_gradient_descent.ipynb")
    with pytest.raises(pytest.fail.Exception, match="no code cell containing 'explorer = LRExp"):
        e2e.require_lesson(tmp_path, "03_gradient_descent.ipynb", e2e.LR_MARKER)
    with pytest.raises(pytest.fail.Exception, match="06_mlp_from_scratch.ipynb is missing"):
        e2e.require_lesson(tmp_path, "06_mlp_from_scratch.ipynb", e2e.PG_MARKER)
    nb.cells.append(nbformat.v4.new_code_cell("explorer = LRExplorer(lr=0.1)\nexplorer"))
    nbformat.write(nb, tmp_path / "03_gradient_descent.ipynb")
    assert e2e.require_lesson(tmp_path, "03_gradient_descent.ipynb", e2e.LR_MARKER) == \
        "03_gradient_descent.ipynb"
    assert list(tmp_path.iterdir()) == [tmp_path / "03_gradient_descent.ipynb"]  # nothing made up


def test_a_missing_widget_module_fails() -> None:
    e2e = _e2e_module()
    with pytest.raises(pytest.fail.Exception, match="backprop_lab.widgets.no_such_widget is missing"):
        e2e._needs_module("backprop_lab.widgets.no_such_widget")
    e2e._needs_module("backprop_lab.widgets.lr_explorer")  # present: no failure


def test_the_lessons_have_the_widget_cells_the_browser_test_drives() -> None:
    e2e = _e2e_module()
    lessons = ROOT / "lessons"
    assert e2e.require_lesson(lessons, "03_gradient_descent.ipynb", e2e.LR_MARKER)
    assert e2e.require_lesson(lessons, "06_mlp_from_scratch.ipynb", e2e.PG_MARKER)
