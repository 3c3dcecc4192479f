"""Issue 17's promises about the data package: one module per concern, every public name still
importable from ``backprop_lab.data``, one table of toy sets, one sha256 helper."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import backprop_lab.data as data
from backprop_lab import cli, course
from backprop_lab.data import checksums, make_circles

PACKAGE = Path(__file__).resolve().parents[2] / "backprop_lab"
MODULES = ("cache", "checksums", "idx", "mnist", "splits", "toy")
TOY_NAMES = ("moons", "circles", "spirals", "xor", "blobs")


def test_data_is_a_package_of_one_module_per_concern() -> None:
    assert not (PACKAGE / "data.py").exists()
    assert {p.stem for p in (PACKAGE / "data").glob("*.py")} == {"__init__", *MODULES}
    for name in MODULES:
        module = importlib.import_module(f"backprop_lab.data.{name}")
        for public in module.__all__:  # every module's public names are the package's too
            assert getattr(data, public) is getattr(module, public), (name, public)


@pytest.mark.parametrize("name", data.__all__)
def test_every_public_name_is_importable_from_the_package(name: str) -> None:
    assert getattr(data, name) is not None


def test_the_shipped_mnist_folder_is_found_from_the_package() -> None:
    assert data.MNIST_DIR == PACKAGE / "datasets" / "mnist"
    assert len(list(data.MNIST_DIR.glob("*-ubyte.gz"))) == 4


def test_data_modules_import_only_numpy_and_the_standard_library() -> None:
    allowed = {"numpy", "backprop_lab"}
    for path in (PACKAGE / "data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            for root in roots - allowed:
                assert root in __import__("sys").stdlib_module_names, (path.name, root)
            if "backprop_lab" in roots and isinstance(node, ast.ImportFrom):
                assert node.module.startswith(("backprop_lab.data", "backprop_lab.errors", "backprop_lab.validate")), (
                    path.name, node.module)


# -- one toy-dataset table ---------------------------------------------------------------------


def test_cli_toy_names_come_from_the_one_table(monkeypatch) -> None:
    assert cli.TOY_NAMES == tuple(data.TOY_DATASETS) == TOY_NAMES
    monkeypatch.setitem(data.TOY_DATASETS, "rings", make_circles)  # a new set, added once
    args = cli.build_parser().parse_args(["train", "--dataset", "rings"])
    assert args.dataset == "rings"


def test_no_other_copy_of_the_toy_names_in_the_package() -> None:
    """No tuple, list, set or dict literal outside data/toy.py names three or more toy sets."""
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "data" / "toy.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                items = node.elts
            elif isinstance(node, ast.Dict):
                items = [k for k in node.keys if k is not None]
            else:
                continue
            listed = [i.value for i in items
                      if isinstance(i, ast.Constant) and i.value in TOY_NAMES]
            assert len(listed) < 3, (f"{path}:{node.lineno} lists the toy sets {listed}: "
                                     "use backprop_lab.data.TOY_DATASETS")


# -- one sha256 helper ---------------------------------------------------------------------------


def test_course_hashes_with_the_data_packages_sha256(tmp_path, monkeypatch) -> None:
    assert "hashlib" not in (PACKAGE / "course.py").read_text(encoding="utf-8")
    calls = []

    def counting(path):
        calls.append(Path(path).name)
        return checksums.sha256_file(path)

    monkeypatch.setattr(course, "sha256_file", counting)
    src = tmp_path / "src" / "lessons"
    src.mkdir(parents=True)
    (src / "01_x.ipynb").write_text("{}")
    (tmp_path / "src" / "exercises").mkdir()
    course.copy_course(tmp_path / "work", source=tmp_path / "src")
    assert calls == ["01_x.ipynb"]
    assert course.sha256_file is counting and checksums.sha256_file is data.sha256_file
