"""The root conftest skips lesson 11's notebook, with a clear reason, when PyTorch is missing."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSON_11 = ROOT / "lessons" / "11_frameworks.ipynb"


def _root_conftest() -> ModuleType:
    """The repository's conftest.py, loaded under its own name (tests/ has a conftest too)."""
    spec = importlib.util.spec_from_file_location("_root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeItem(SimpleNamespace):
    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker)


def _items(*paths: Path) -> list[FakeItem]:
    return [FakeItem(path=p, markers=[]) for p in paths]


def test_needs_torch_matches_only_lesson_11() -> None:
    conf = _root_conftest()
    assert conf.needs_torch(LESSON_11)
    assert conf.needs_torch("lessons/11_frameworks.ipynb")
    assert not conf.needs_torch(ROOT / "lessons" / "10_regularization.ipynb")
    assert not conf.needs_torch(ROOT / "solutions" / "11_frameworks.ipynb")
    assert not conf.needs_torch(ROOT / "tests" / "test_lesson_11_torch.py")
    assert not conf.needs_torch("11_frameworks.ipynb")


def test_hook_skips_lesson_11_when_torch_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _root_conftest()
    monkeypatch.setattr(conf, "torch_available", lambda: False)
    lesson, other = _items(LESSON_11, ROOT / "lessons" / "08_optimizers.ipynb")
    conf.pytest_collection_modifyitems(None, [lesson, other])
    assert [m.mark.name for m in lesson.markers] == ["skip"]
    assert lesson.markers[0].mark.kwargs["reason"] == "lesson 11 needs PyTorch: pip install torch"
    assert other.markers == []


def test_hook_leaves_everything_alone_when_torch_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _root_conftest()
    monkeypatch.setattr(conf, "torch_available", lambda: True)
    (lesson,) = _items(LESSON_11)
    conf.pytest_collection_modifyitems(None, [lesson])
    assert lesson.markers == []


def test_torch_available_uses_find_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _root_conftest()
    monkeypatch.setitem(sys.modules, "torch", None)  # what an uninstalled module looks like
    assert conf.torch_available() is False


@pytest.mark.skipif(not LESSON_11.exists(), reason="lesson 11 notebook not present")
def test_pytest_run_without_torch_skips_the_notebook(tmp_path: Path) -> None:
    # a plugin loaded with -p before collection makes `torch` look uninstalled in the child run
    (tmp_path / "hide_torch.py").write_text("import sys\nsys.modules['torch'] = None\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(LESSON_11.relative_to(ROOT)), "-p", "hide_torch",
         "-p", "no:cacheprovider", "-q", "-rs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "lesson 11 needs PyTorch: pip install torch" in out
    assert " skipped" in out and "passed" not in out and "failed" not in out, out
