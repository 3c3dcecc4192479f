"""Lessons 09 and 10 (issue 16): the discovery check and the predict-before-reveal structure."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop_lab.lesson_checks_0910 import (
    FLAT_RANGE,
    MAX_SATURATED,
    check_flat_tanh_init,
    survey_tanh_inits,
)

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def _tanh_spread(n_var: float, depth: int = 10, width: int = 128, seed: int = 0):
    """Independent of the library: a plain NumPy tanh stack, W ~ N(0, n_var/width), no biases,
    X ~ N(0, 1). Returns (std a in the last layer / layer 1, mean saturated fraction)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((128, width))
    stds, sat = [], []
    for _ in range(depth):
        W = rng.standard_normal((width, width)) * np.sqrt(n_var / width)
        a = np.tanh(a @ W.T)
        stds.append(a.std())
        sat.append(np.mean(1 - a**2 < 0.05))
    return stds[-1] / stds[0], float(np.mean(sat))


def test_the_truth_agrees_with_an_independent_numpy_stack():
    survey = survey_tanh_inits()
    # the same criteria on a hand-written network with the inits' n·Var(w) (Gaussian weights)
    expected = {"small": 1e-4 * 128, "standard": 1 / 3, "xavier": 1.0, "he": 2.0, "large": 128.0}
    for init, n_var in expected.items():
        ratios, sats = zip(*(_tanh_spread(n_var, seed=s) for s in range(3)), strict=True)
        flat = all(FLAT_RANGE[0] <= r <= FLAT_RANGE[1] for r in ratios)
        unsaturated = all(s <= MAX_SATURATED for s in sats)
        assert survey.flat(init) == flat, init
        assert survey.unsaturated(init) == unsaturated, init
    assert survey.right == ("he",)
    assert np.all(np.isnan(survey.ratio["zeros"]))


def test_unset_value_reveals_nothing(capsys):
    assert check_flat_tanh_init(None) is None
    out = capsys.readouterr().out
    assert "set my_init" in out and "right" not in out and "not this one" not in out


def test_right_and_wrong_answers(capsys):
    assert check_flat_tanh_init("he", show=False) is True
    assert check_flat_tanh_init(" He ", show=False) is True
    for wrong in ("zeros", "small", "standard", "xavier", "large"):
        assert check_flat_tanh_init(wrong, show=False) is False, wrong
    check_flat_tanh_init("xavier")
    assert "shrinks" in capsys.readouterr().out
    check_flat_tanh_init("large")
    assert "saturated" in capsys.readouterr().out
    check_flat_tanh_init("zeros")
    assert "no spread" in capsys.readouterr().out


@pytest.mark.parametrize(("bad", "err"), [(2, TypeError), (["he"], TypeError), ("kaiming", ValueError)])
def test_bad_input_named(bad, err):
    with pytest.raises(err, match="my_init"):
        check_flat_tanh_init(bad)


def test_bad_depth_named():
    with pytest.raises(ValueError, match="depth"):
        survey_tanh_inits(depth=1)


def test_module_imports_only_numpy():
    code = ("import sys, backprop_lab.lesson_checks_0910; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- structure of the lessons (not their outputs) ------------------------------------------------

def _cells(name: str) -> list[tuple[str, str]]:
    nb = json.loads((LESSONS / name).read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


def _first(cells: list[tuple[str, str]], text: str) -> int:
    return next(i for i, (_, src) in enumerate(cells) if text in src)


def test_lesson09_widget_task_comes_before_the_explanation():
    cells = _cells("09_vanishing_exploding.ipynb")
    widget = _first(cells, "GradientFlowExplorer(")
    check = _first(cells, "check_flat_tanh_init(my_init)")
    explained = _first(cells, "## 3. How large should random weights be?")
    assert widget < check < explained
    assert "my_init = None" in cells[check][1]
    # the task text and the widget's list of things to try state no answer
    task = "".join(src for kind, src in cells[widget - 1:check] if kind == "markdown")
    for giveaway in ("He ", "He'", "n·Var(w) = 2", "2/n", "fixed", "0.7", "0.5"):
        assert giveaway not in task, giveaway
    for _, src in cells:
        if "Things to try" in src:
            for giveaway in ("surprisingly", "explodes", "vanishes", "keeps the spread flat"):
                assert giveaway not in src.split("Things to try")[1], giveaway


def test_lesson09_deep_dive_is_after_the_summary():
    cells = _cells("09_vanishing_exploding.ipynb")
    summary = _first(cells, "## Summary")
    deep = _first(cells, "Optional deep dive")
    assert summary < deep
