"""The rules that keep nbval's comparison of stored notebook outputs meaningful (CONTRIBUTING.md,
"Stored notebook outputs"):

* at most 10 % of the code cells with outputs in lessons/ and solutions/ together are excluded
  from comparison (``nbval-ignore-output`` / ``nbval-skip`` tags or ``# NBVAL_IGNORE_OUTPUT`` /
  ``# NBVAL_SKIP`` comments);
* no sanitizer in tests/nbval_sanitize.cfg rewrites an ordinary number, and each one still
  rewrites what it is there for (memory addresses, temporary paths, widget model ids);
* the test run compares outputs strictly (``--nbval``, never ``--nbval-lax``) and collects every
  notebook of lessons/ and solutions/.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import shlex
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted([*ROOT.glob("lessons/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"

#: the share of compared code cells that may be excluded from comparison
BUDGET = 0.10
EXCLUDING_TAGS = {"nbval-ignore-output", "nbval-skip"}
#: nbval's in-source markers with the same effect (it matches them case-insensitively)
EXCLUDING_COMMENT = re.compile(r"^\s*#\s*NBVAL_(IGNORE_OUTPUT|SKIP)\b", re.IGNORECASE | re.MULTILINE)


def is_excluded(cell: nbformat.NotebookNode) -> bool:
    """True if nbval does not compare this code cell's outputs."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    return bool(tags & EXCLUDING_TAGS) or bool(EXCLUDING_COMMENT.search(cell.source))


def count_excluded(paths: list[Path], root: Path = ROOT) -> tuple[int, int, list[str]]:
    """(excluded, total, where): ``total`` counts the code cells with stored outputs plus any
    excluded cell without outputs; ``where`` names each excluded cell as ``file#index (id)``,
    the file relative to ``root``."""
    excluded, total, where = 0, 0, []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            skipped = is_excluded(cell)
            if cell.get("outputs") or skipped:
                total += 1
            if skipped:
                excluded += 1
                where.append(f"{path.relative_to(root)}#{i} ({cell.get('id', '?')})")
    return excluded, total, where


def test_the_notebooks_are_there() -> None:
    assert any(p.parent.name == "lessons" for p in NOTEBOOKS)
    assert any(p.parent.name == "solutions" for p in NOTEBOOKS)


def test_excluded_cells_stay_within_the_budget() -> None:
    excluded, total, where = count_excluded(NOTEBOOKS)
    print(f"excluded from comparison: {excluded} of {total} code cells with outputs "
          f"({excluded / total:.1%}, budget {BUDGET:.0%})")
    assert total > 0
    assert excluded <= BUDGET * total, (
        f"{excluded} of {total} code cells ({excluded / total:.1%}) are excluded from nbval's "
        f"comparison, more than the {BUDGET:.0%} budget: print a precision that survives other "
        f"machines instead (CONTRIBUTING.md). Excluded: " + ", ".join(where))


def test_the_counter_sees_every_kind_of_exclusion(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    out = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=out),
        nbformat.v4.new_code_cell("print(1)", outputs=out, metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("print(1)", outputs=out, metadata={"tags": ["nbval-skip"]}),
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)", outputs=out),
        nbformat.v4.new_code_cell("# nbval_skip\nprint(1)", outputs=out),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["nbval-ignore-output"]}),  # no output
        nbformat.v4.new_code_cell("x = 1"),  # no output, compared: not counted
        nbformat.v4.new_code_cell("print(1)", outputs=out, metadata={"tags": ["other"]}),
        nbformat.v4.new_markdown_cell("# NBVAL_SKIP"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    excluded, total, where = count_excluded([path], root=tmp_path)
    assert (excluded, total) == (5, 7)
    assert where[0] == f"nb.ipynb#1 ({nb.cells[1].id})"


# --------------------------------------------------------------------------- sanitizers

#: ordinary numbers as the lessons print them: no sanitizer may change any of these
ORDINARY = [
    "0.9816", "2.3026", "184", "1.40e-08", "-3.5", "1e-10", "-0.0", "9816/10000", "100 %",
    "test accuracy 0.9816 (184 errors)", "epoch 10/10  loss 2.3026  acc 0.9816",
    "array([ 0.1 , -3.5 ,  2.25])", "[[ 1.40e-08 -2.00e+00]]", "tensor(2.3026, dtype=torch.float64)",
    "(60000, 784)", "step 57: 1.2e-10", "2026-12-06 03:00:00", "3.141592653589793",
    "12345678901234567890", "340282366920938463463374607431768211456",  # 2**128, 39 digits
    "relative error < 1e-6: yes", "0x", "deadline 04:30",
]
#: what each sanitizer is for: every one of these must be rewritten
VOLATILE = {
    "memory address": "<backprop_lab.layers.Linear object at 0x7f3a2b1c4d50>",
    "temporary path": "saved to /tmp/pytest-of-root/pytest-3/test_save0/weights.npz",
    "macOS temporary path": "/var/folders/xy/k2_abc/T/tmpa1b2c3/model.npz",
    "widget model id": "{'version_major': 2, 'model_id': '4f1c9e2ab0d34c7e8f6a5b4c3d2e1f0a'}",
}


def sanitizers() -> list[tuple[str, str]]:
    """The (regex, replace) pairs exactly as nbval reads them from the config file."""
    from nbval.plugin import get_sanitize_patterns

    return get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="utf-8"))


def test_the_sanitize_file_is_read() -> None:
    pairs = sanitizers()
    assert len(pairs) == SANITIZE_CFG.read_text(encoding="utf-8").count("\nregex: ") + (
        SANITIZE_CFG.read_text(encoding="utf-8").startswith("regex: "))
    assert pairs, "tests/nbval_sanitize.cfg has no regex nbval can read"


@pytest.mark.parametrize("sample", ORDINARY)
def test_no_sanitizer_touches_an_ordinary_number(sample: str) -> None:
    for regex, replace in sanitizers():
        assert re.sub(regex, replace, sample) == sample, (
            f"the sanitizer {regex!r} rewrites the ordinary output {sample!r}: a sanitizer may "
            "only touch what differs between runs by nature (addresses, temporary paths, ids)")


@pytest.mark.parametrize("what", list(VOLATILE))
def test_sanitizers_rewrite_what_they_are_for(what: str) -> None:
    sample = VOLATILE[what]
    out = sample
    for regex, replace in sanitizers():
        out = re.sub(regex, replace, out)
    assert out != sample, f"no sanitizer rewrites the {what} in {sample!r}"


def test_every_sanitizer_has_a_purpose() -> None:
    """Each regex rewrites at least one of the VOLATILE samples (add one when adding a regex)."""
    for regex, _ in sanitizers():
        assert any(re.search(regex, s) for s in VOLATILE.values()), (
            f"the sanitizer {regex!r} matches none of the samples in VOLATILE: add a sample of "
            "what it is for")


# --------------------------------------------------------------------------- how pytest runs them


def test_outputs_are_compared_strictly(pytestconfig: pytest.Config) -> None:
    """pyproject.toml's [tool.pytest.ini_options], as pytest read them for this run."""
    addopts = [a for arg in pytestconfig.getini("addopts") for a in shlex.split(arg)]
    testpaths = pytestconfig.getini("testpaths")
    assert "--nbval" in addopts
    assert "--nbval-lax" not in addopts, "--nbval-lax compares no output at all"
    assert "--nbval-sanitize-with" in addopts
    assert addopts[addopts.index("--nbval-sanitize-with") + 1] == "tests/nbval_sanitize.cfg"
    assert {"lessons", "solutions"} <= set(testpaths)


def test_no_notebook_is_left_out_of_collection() -> None:
    spec = importlib.util.spec_from_file_location("_root_conftest_rules", ROOT / "conftest.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    patterns = [*getattr(conf, "collect_ignore_glob", []), *getattr(conf, "collect_ignore", [])]
    for path in NOTEBOOKS:
        rel = str(path.relative_to(ROOT))
        hit = [p for p in patterns if fnmatch.fnmatch(rel, p)]
        assert not hit, f"{rel} is not collected by pytest (conftest.py ignores {hit})"
