"""Without a browser, tests/test_e2e_browser.py skips on a developer's machine but fails in CI, so a
CI run cannot pass with zero browser tests run. Checked in child pytest runs in which the
playwright package looks uninstalled (nothing is started: the tests stop before any server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
E2E = "tests/test_e2e_browser.py"


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
