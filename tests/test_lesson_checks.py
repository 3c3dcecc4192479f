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
