"""Tests for backprop_lab.lesson_checks: lesson 03's learning-rate discovery check."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lab.lesson_checks import check_lr_limits, gd_factor_on_quadratic, run_gd_on_quadratic


def test_run_gd_matches_closed_form():
    # independent of the module: w_t = (1 - ηλ)^t w_0 for gradient descent on ½λw²
    for lr in (0.02, 0.1, 0.15, 0.21):
        t = np.arange(11)
        assert np.allclose(run_gd_on_quadratic(lr, 10.0, steps=10), (1 - 10 * lr) ** t * 1.5,
                           rtol=1e-12)
    assert gd_factor_on_quadratic(0.15, 10.0) == pytest.approx(-0.5)


def test_unset_values_reveal_nothing(capsys):
    r = check_lr_limits(None, None)
    out = capsys.readouterr().out
    assert r.oscillate_ok is None and r.diverge_ok is None and not r.all_ok
    assert "set my_eta_oscillate to the value you found" in out
    assert "set my_eta_diverge to the value you found" in out
    # no number that would give the answer away
    for giveaway in ("0.1", "0.2", "1/λ", "2/λ"):
        assert giveaway not in out


@pytest.mark.parametrize("curvature", [10.0, 4.0, 0.5])
def test_right_values_accepted_within_tolerance(curvature):
    osc, div = 1 / curvature, 2 / curvature
    for scale in (0.96, 1.0, 1.04):
        r = check_lr_limits(osc * scale, div * scale, curvature=curvature, show=False)
        assert r.oscillate_ok and r.diverge_ok and r.all_ok
        assert "right" in r.lines[0] and "right" in r.lines[1]
        assert f"2/λ = {2 / curvature:.3g}" in r.lines[1]


@pytest.mark.parametrize("scale, word", [(0.9, "too small"), (0.5, "too small"),
                                         (1.1, "too large"), (3.0, "too large")])
def test_wrong_values_rejected_with_direction(scale, word):
    r = check_lr_limits(0.1 * scale, 0.2 * scale, show=False)
    assert r.oscillate_ok is False and r.diverge_ok is False and not r.all_ok
    assert word in r.lines[0] and word in r.lines[1]


def test_one_value_set_the_other_not():
    r = check_lr_limits(0.1, None, show=False)
    assert r.oscillate_ok is True and r.diverge_ok is None and not r.all_ok


def test_swapped_values_are_wrong():
    # a student who writes the divergence value into the oscillation variable is told so
    r = check_lr_limits(0.2, 0.1, show=False)
    assert r.oscillate_ok is False and r.diverge_ok is False


def test_numpy_scalars_accepted():
    r = check_lr_limits(np.float32(0.1), np.float64(0.2), show=False)
    assert r.all_ok


@pytest.mark.parametrize("bad, err", [("0.1", TypeError), (True, TypeError), ([0.1], TypeError),
                                      (-0.1, ValueError), (0.0, ValueError),
                                      (float("nan"), ValueError), (float("inf"), ValueError)])
def test_bad_input_named(bad, err):
    with pytest.raises(err, match="my_eta_diverge"):
        check_lr_limits(None, bad, show=False)


def test_bad_curvature_and_tolerance():
    with pytest.raises(ValueError, match="curvature"):
        check_lr_limits(0.1, 0.2, curvature=-1.0)
    with pytest.raises(ValueError, match="tolerance"):
        check_lr_limits(0.1, 0.2, tolerance=0.0)


def test_module_imports_only_numpy():
    import subprocess
    import sys
    code = ("import sys, backprop_lab.lesson_checks; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the lessons that use these checks (issue 16): structure, not outputs -----------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def _cells(name: str) -> list[tuple[str, str]]:
    nb = json.loads((LESSONS / name).read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


def _first(cells: list[tuple[str, str]], text: str) -> int:
    return next(i for i, (_, src) in enumerate(cells) if text in src)


def test_lesson03_discovery_task_comes_before_the_explanation():
    cells = _cells("03_gradient_descent.ipynb")
    explorer = _first(cells, "explorer = LRExplorer(")       # the cell the browser test drives
    check = _first(cells, "check_lr_limits(my_eta_oscillate, my_eta_diverge)")
    explained = _first(cells, "## 4. Why the limit is 2/λ")
    rates_shown = _first(cells, "rates = {0.02:")
    assert explorer < check < rates_shown < explained
    assert "my_eta_oscillate = None" in cells[check][1] and "my_eta_diverge = None" in cells[check][1]
    # the task text before the explorer states no answer
    task = "".join(src for _, src in cells[:explorer])
    for giveaway in ("0.1 ", "0.2 ", "2/λ", "1/λ", "1.92"):
        assert giveaway not in task.split("### Your turn first")[-1], giveaway


def test_lesson03_things_to_try_state_no_answers():
    cells = _cells("03_gradient_descent.ipynb")
    for _, src in cells:
        if "Things to try" in src:
            assert "1.92" not in src and "η* =" not in src


def test_saturated_fraction_matches_sampling():
    # independent: sample z and apply the definition |g'(z)| < threshold · max g'
    z = np.random.default_rng(0).standard_normal(400_000)
    for std in (1.0, 2.0, 4.0):
        zz = std * z
        s = 1 / (1 + np.exp(-zz))
        frac_sig = np.mean(s * (1 - s) < 0.05 * 0.25)
        frac_tanh = np.mean(1 - np.tanh(zz) ** 2 < 0.05)
        from backprop_lab.lesson_checks import saturated_fraction
        assert abs(saturated_fraction("sigmoid", std) - frac_sig) < 0.003
        assert abs(saturated_fraction("tanh", std) - frac_tanh) < 0.003


def test_check_tanh_match(capsys):
    from backprop_lab.lesson_checks import check_tanh_match
    assert check_tanh_match(None) is None
    out = capsys.readouterr().out
    assert "set my_tanh_std to the std you found" in out and "2" not in out.split("std 4")[0]
    assert check_tanh_match(2.0, show=False) is True
    assert check_tanh_match(2.05, show=False) is True
    assert check_tanh_match(1.0, sigmoid_std=2.0, show=False) is True
    assert check_tanh_match(4.0, show=False) is False
    check_tanh_match(4.0)
    assert "lower the std" in capsys.readouterr().out
    check_tanh_match(1.5)
    assert "raise the std" in capsys.readouterr().out
    with pytest.raises(TypeError, match="my_tanh_std"):
        check_tanh_match("2")
    with pytest.raises(ValueError, match="my_tanh_std"):
        check_tanh_match(-2.0)
