"""What every exercise check promises, tested once for all lessons.

Each ``tests/test_checks_lessonNN.py`` lists, for its lesson's checks:

- ``REFERENCES``: (check, a correct implementation written independently in that test file);
- ``MISTAKES``: (check, a typical wrong implementation, a piece of the hint it must get);
- ``CHECKS``: the checks themselves.

Here every check must: pass the reference and say so; fail every listed mistake with an
``AssertionError`` carrying that mistake's own hint, without printing success; have at least three
such mistakes; keep a raising function's exception chained (so the student's traceback shows);
and report the ``NotImplementedError`` stub as "not implemented yet".
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from backprop_lab.checks import CheckFailure

MODULES = sorted(p.stem for p in Path(__file__).parent.glob("test_checks_lesson*.py"))
TABLES = {name: importlib.import_module(name) for name in MODULES}


def _lesson(name: str) -> str:
    return name.removeprefix("test_checks_")


REFERENCES = [pytest.param(check, ref, id=f"{_lesson(m)}-{check.__name__}")
              for m, mod in TABLES.items() for check, ref in mod.REFERENCES]
MISTAKES = [pytest.param(check, wrong, hint, id=f"{_lesson(m)}-{check.__name__}-{i}")
            for m, mod in TABLES.items() for i, (check, wrong, hint) in enumerate(mod.MISTAKES)]
CHECKS = [pytest.param(check, id=f"{_lesson(m)}-{check.__name__}")
          for m, mod in TABLES.items() for check in mod.CHECKS]


def test_every_lesson_module_has_tables():
    assert MODULES, "no tests/test_checks_lessonNN.py found"
    for name, mod in TABLES.items():
        assert mod.CHECKS and mod.REFERENCES and mod.MISTAKES, name


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_reference_passes(check, reference, capsys):
    check(reference)
    out = capsys.readouterr().out
    assert "checks passed" in out and "✓" in out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("check, wrong, hint", MISTAKES)
def test_mistake_fails_with_its_hint(check, wrong, hint, capsys):
    with pytest.raises(AssertionError) as info:
        check(wrong)
    assert hint in str(info.value)
    assert "passed" not in capsys.readouterr().out


@pytest.mark.parametrize("name", MODULES)
def test_every_check_has_three_mistakes(name):
    mod = TABLES[name]
    for check in mod.CHECKS:
        assert sum(c is check for c, _, _ in mod.MISTAKES) >= 3, check.__name__


@pytest.mark.parametrize("check", CHECKS)
def test_raising_function_is_chained(check):
    def broken(*args):
        return 1 / 0

    with pytest.raises(CheckFailure) as info:
        check(broken)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert "ZeroDivisionError" in str(info.value)


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_not_implemented_yet(check, capsys):
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet") as info:
        check(stub)
    assert isinstance(info.value.__cause__, NotImplementedError)
    assert "passed" not in capsys.readouterr().out
