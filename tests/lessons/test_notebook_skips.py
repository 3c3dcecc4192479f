"""The root conftest skips lesson 11's framework cells, with a clear reason, where the framework is
missing — and only those cells: the untagged cells never depend on tagged ones.

Lesson 11's cells that need PyTorch are tagged ``needs-torch``, those that need TensorFlow
``needs-tensorflow``. The unit tests drive the collection hook with fake items; the two end-to-end
tests run nbval on the lesson with the frameworks hidden (a ``sitecustomize`` module on
``PYTHONPATH`` hides them in the pytest process *and* in the notebook kernel), so a tagged cell that
were not skipped would fail on its import, and an untagged cell that used a framework or a tagged
cell's variables would fail too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


def _cell_item(*tags: str) -> FakeItem:
    """What nbval's cell items look like to the hook: the notebook cell is ``item.cell``."""
    return FakeItem(cell={"metadata": {"tags": list(tags)}, "source": "x = 1"}, markers=[])


def _code_cells() -> list[dict]:
    return [c for c in json.loads(LESSON_11.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"]


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize(("missing", "tag", "reason"), [
    ("torch", "needs-torch", "cell tagged needs-torch: needs PyTorch: pip install torch"),
    ("tensorflow", "needs-tensorflow",
     "cell tagged needs-tensorflow: needs TensorFlow: pip install tensorflow-cpu "
     "(on macOS: pip install tensorflow)"),
])
def test_hook_skips_exactly_the_cells_tagged_with_a_missing_module(
    monkeypatch: pytest.MonkeyPatch, missing: str, tag: str, reason: str
) -> None:
    conf = _root_conftest()
    monkeypatch.setattr(conf, "module_available", lambda name: name != missing)
    tagged, other_tag, untagged = (_cell_item(tag, "nbval-ignore-output"),
                                   _cell_item(*({"needs-torch", "needs-tensorflow"} - {tag})),
                                   _cell_item())
    test_function = FakeItem(path=ROOT / "tests" / "core" / "test_interop.py", markers=[])  # no .cell
    conf.pytest_collection_modifyitems(None, [tagged, other_tag, untagged, test_function])
    assert [m.mark.name for m in tagged.markers] == ["skip"]
    assert tagged.markers[0].mark.kwargs["reason"] == reason
    assert other_tag.markers == untagged.markers == test_function.markers == []


def test_hook_leaves_everything_alone_when_both_are_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _root_conftest()
    monkeypatch.setattr(conf, "module_available", lambda name: True)
    items = [_cell_item("needs-torch"), _cell_item("needs-tensorflow"), _cell_item()]
    conf.pytest_collection_modifyitems(None, items)
    assert all(item.markers == [] for item in items)


def test_module_available_uses_find_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _root_conftest()
    monkeypatch.setitem(sys.modules, "torch", None)  # what an uninstalled module looks like
    assert conf.module_available("torch") is False
    assert conf.module_available("json") is True
    assert conf.module_available("no_such_module_for_the_test") is False


def test_every_cell_that_uses_a_framework_is_tagged() -> None:
    # static check, complementing the end-to-end runs below (which catch indirect dependencies)
    uses = {"needs-torch": re.compile(r"\btorch\.|import torch|\btnet\b|\bXt\b"),
            "needs-tensorflow": re.compile(r"\btf\.|\bkeras\.|import keras|\bkmodel\b")}
    cells = _code_cells()
    for cell in cells:
        source = "".join(cell["source"])
        for tag, pattern in uses.items():
            if pattern.search(source):
                assert tag in _tags(cell), f"cell {cell['id']} uses {tag[6:]} but lacks {tag}"
    assert sum("needs-torch" in _tags(c) for c in cells) >= 10
    assert sum("needs-tensorflow" in _tags(c) for c in cells) >= 4
    assert sum(not _tags(c) for c in cells) >= 5  # the part that runs with neither


def _run_lesson_with_hidden(tmp_path: Path, hidden: tuple[str, ...]) -> str:
    """nbval on lesson 11 with ``hidden`` modules unimportable in pytest and the kernel; output."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in hidden))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(LESSON_11.relative_to(ROOT)),
         "-p", "no:cacheprovider", "-q", "-rs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "failed" not in out and "error" not in out.lower(), out
    return out


@pytest.mark.skipif(not LESSON_11.exists(), reason="lesson 11 notebook not present")
def test_lesson_11_without_torch_and_tensorflow_runs_its_other_cells(tmp_path: Path) -> None:
    out = _run_lesson_with_hidden(tmp_path, ("torch", "tensorflow"))
    cells = _code_cells()
    n_torch = sum("needs-torch" in _tags(c) for c in cells)
    n_tf = sum("needs-tensorflow" in _tags(c) for c in cells)
    assert f"{len(cells) - n_torch - n_tf} passed, {n_torch + n_tf} skipped" in out, out
    assert "needs PyTorch: pip install torch" in out
    assert "needs TensorFlow: pip install tensorflow-cpu" in out


@pytest.mark.skipif(not LESSON_11.exists(), reason="lesson 11 notebook not present")
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                    reason="needs TensorFlow: the TensorFlow cells must run without torch")
def test_lesson_11_tensorflow_cells_run_without_torch(tmp_path: Path) -> None:
    out = _run_lesson_with_hidden(tmp_path, ("torch",))
    cells = _code_cells()
    n_torch = sum("needs-torch" in _tags(c) for c in cells)
    assert f"{len(cells) - n_torch} passed, {n_torch} skipped" in out, out
    assert "needs TensorFlow" not in out


def test_a_student_without_tensorflow_gets_notes_not_errors(tmp_path: Path) -> None:
    # the student's path: every cell that does not need torch runs top to bottom, with TensorFlow
    # unimportable, and nothing raises; the TensorFlow cells say why they did nothing
    cells = [c for c in _code_cells() if "needs-torch" not in _tags(c)]
    script = tmp_path / "lesson_11_without_tf.py"
    script.write_text(
        "import sys\nsys.modules['tensorflow'] = None\nimport matplotlib\nmatplotlib.use('Agg')\n"
        + "\n\n".join("".join(c["source"]) for c in cells) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "needs TensorFlow: pip install tensorflow-cpu" in out
    n_tf_runs = sum("needs-tensorflow" in _tags(c) and "if tf is None" in "".join(c["source"])
                    for c in cells)
    assert n_tf_runs >= 3
    assert out.count("skipped: TensorFlow is not installed") == n_tf_runs
