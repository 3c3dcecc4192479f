"""Lesson 08's discovery tasks (issue 16): the checks in ``backprop_lab.lesson_checks`` for SGD's
largest stable η on the ravine and for the fastest momentum β at a fixed η, and the lesson's
structure (tasks before the explanation, predictions before the outputs, deep dives after the
summary).

The expected values here come from the mathematics, not from the code under test: the ravine is
½(x²/25 + y²), so gradient descent is iterated by hand and its limit is 2/λ_max = 2; the rate of
heavy-ball momentum is the largest |root| of z² − (1 + β − ηλ)z + β from ``np.roots``, and the
best β at η = 0.01, λ_min = 1 is (1 − √0.01)² = 0.81 with rate 0.9 (Goh 2017, Distill).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop_lab.lesson_checks import (
    check_fastest_beta,
    check_sgd_stable_lr,
    fastest_beta,
    sgd_distance_ratio,
)

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "08_optimizers.ipynb"


# --- SGD on the ravine: the truth by hand ----------------------------------------------------------

def _gd_on_ravine_by_hand(lr: float, steps: int = 2000) -> float:
    """|w_steps| / |w_{steps/2}| of w ← w − η·(x/25, y) from (−4.5, 1.5), by hand."""
    w = np.array([-4.5, 1.5])
    mid = None
    for t in range(1, steps + 1):
        w = w - lr * np.array([w[0] / 25.0, w[1]])
        if not np.all(np.isfinite(w)) or np.abs(w).max() > 1e6:
            return math.inf
        if t == steps // 2:
            mid = float(np.linalg.norm(w))
    return float(np.linalg.norm(w)) / mid if mid else 0.0


@pytest.mark.parametrize("lr", [0.5, 1.0, 1.8, 1.95, 1.99])
def test_sgd_distance_ratio_matches_hand_iteration_below_the_limit(lr):
    by_hand = _gd_on_ravine_by_hand(lr)
    assert by_hand < 0.999
    assert sgd_distance_ratio(lr) == pytest.approx(by_hand, rel=1e-6, abs=1e-300)


@pytest.mark.parametrize("lr", [2.0, 2.01, 2.5])
def test_sgd_distance_ratio_at_and_above_the_limit(lr):
    by_hand = _gd_on_ravine_by_hand(lr)
    assert by_hand >= 0.999                                    # bounces (η = 2) or runs away
    assert sgd_distance_ratio(lr) >= 0.999


def test_sgd_check_unset_reveals_nothing(capsys):
    assert check_sgd_stable_lr(None) is None
    out = capsys.readouterr().out
    assert "set my_sgd_eta to the η you found" in out
    assert not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize("lr", [1.75, 1.778, 1.9, 1.995])        # 1.778 and 1.995: slider values
def test_sgd_check_accepts_values_just_below_two(lr, capsys):
    assert check_sgd_stable_lr(lr) is True
    out = capsys.readouterr().out
    assert "right" in out and "2/λ_max = 2" in out


@pytest.mark.parametrize("lr, word", [(0.5, "too small"), (1.0, "too small"), (1.6, "too small"),
                                      (2.0, "too large"), (2.05, "too large"), (4.0, "too large")])
def test_sgd_check_rejects_with_direction(lr, word, capsys):
    assert check_sgd_stable_lr(lr) is False
    assert word in capsys.readouterr().out


@pytest.mark.parametrize("bad, err", [("2", TypeError), (True, TypeError), (0.0, ValueError),
                                      (-1.0, ValueError), (math.inf, ValueError),
                                      (math.nan, ValueError)])
def test_sgd_check_bad_input_named(bad, err):
    with pytest.raises(err, match="my_sgd_eta"):
        check_sgd_stable_lr(bad, show=False)


def test_sgd_check_bad_surface_and_tolerance():
    with pytest.raises(ValueError, match="quadratic"):
        check_sgd_stable_lr(1.0, surface="rosenbrock", show=False)
    with pytest.raises(ValueError, match="unknown surface"):
        check_sgd_stable_lr(1.0, surface="nowhere", show=False)
    with pytest.raises(ValueError, match="tolerance"):
        check_sgd_stable_lr(1.0, tolerance=0.0, show=False)


def test_sgd_check_other_quadratic_uses_its_own_curvature():
    # another quadratic surface: its limit is 2/λ_max, with λ_max read off its Hessian here
    from backprop_lab.surfaces import get_surface
    s = get_surface("bowl")
    lam_max = float(np.linalg.eigvalsh(s.hessian(np.asarray(s.minima[0], dtype=float))).max())
    assert check_sgd_stable_lr(0.97 * 2 / lam_max, surface="bowl", show=False) is True
    assert check_sgd_stable_lr(1.01 * 2 / lam_max, surface="bowl", show=False) is False


# --- momentum at a fixed η: the truth from np.roots ------------------------------------------------

def _rate_by_roots(eta: float, beta: float, lams=(1.0, 100.0)) -> float:
    return max(float(np.abs(np.roots([1.0, -(1.0 + beta - eta * lam), beta])).max()) for lam in lams)


def test_fastest_beta_is_the_closed_form():
    betas = np.round(np.arange(0.0, 0.999, 0.001), 3)
    rates = [_rate_by_roots(0.01, b) for b in betas]
    i = int(np.argmin(rates))
    assert betas[i] == pytest.approx(0.81, abs=1e-3)
    assert rates[i] == pytest.approx(0.9, abs=1e-3)
    beta, rate = fastest_beta()
    assert beta == pytest.approx((1 - math.sqrt(0.01)) ** 2, abs=2e-5)
    assert rate == pytest.approx(math.sqrt((1 - math.sqrt(0.01)) ** 2), abs=1e-4)


def test_fastest_beta_is_fastest_in_a_real_run():
    # measured on the library's Momentum, not on the formula: the distance after 300 steps
    from backprop_lab.optim import Momentum
    from backprop_lab.surfaces import quadratic, run_optimizer
    bowl = quadratic((1.0, 100.0))

    def dist(beta: float) -> float:
        traj = run_optimizer(bowl, lambda p: Momentum(p, lr=0.01, beta=beta), steps=300)
        return float(np.linalg.norm(traj.path[-1]))

    d = {b: dist(b) for b in (0.0, 0.5, 0.7, 0.81, 0.9, 0.95)}
    assert min(d, key=d.get) == 0.81
    assert d[0.81] < 1e-8 * d[0.0]             # 0.9^300 against 0.99^300: ten orders apart


def test_beta_check_unset_reveals_nothing(capsys):
    assert check_fastest_beta(None) is None
    out = capsys.readouterr().out
    assert "set my_beta to the β you found" in out
    assert not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize("beta", [0.81, 0.812, 0.82, 0.83])
def test_beta_check_accepts_near_the_best(beta, capsys):
    assert _rate_by_roots(0.01, beta) <= 0.9 + 0.015
    assert check_fastest_beta(beta) is True
    out = capsys.readouterr().out
    assert "right" in out and "0.810" in out and "0.900" in out and "0.990" in out


@pytest.mark.parametrize("beta, word", [(0.0, "too small"), (0.5, "too small"), (0.79, "too small"),
                                        (0.9, "too large"), (0.99, "too large")])
def test_beta_check_rejects_with_direction(beta, word, capsys):
    assert _rate_by_roots(0.01, beta) > 0.9 + 0.015
    assert check_fastest_beta(beta) is False
    out = capsys.readouterr().out
    assert word in out and f"{_rate_by_roots(0.01, beta):.3f}" in out


def test_beta_check_numpy_and_int_accepted():
    assert check_fastest_beta(np.float32(0.81), show=False) is True
    assert check_fastest_beta(0, show=False) is False


@pytest.mark.parametrize("bad, err", [("0.8", TypeError), (True, TypeError), (1.0, ValueError),
                                      (-0.1, ValueError), (math.nan, ValueError)])
def test_beta_check_bad_input_named(bad, err):
    with pytest.raises(err, match="my_beta"):
        check_fastest_beta(bad, show=False)


def test_checks_module_still_imports_only_numpy():
    code = ("import sys, backprop_lab.lesson_checks; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the lesson's structure ------------------------------------------------------------------------

ANSWER = "<summary>Answer</summary>"


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _index(cells: list[dict], text: str, start: int = 0) -> int:
    return next(i for i in range(start, len(cells)) if text in _src(cells[i]))


def test_questions_do_not_give_their_answers_away():
    """The question above each hidden answer's output does not print the answer's key number
    (the order question → output → answer is tested for every lesson in test_lesson_questions.py)."""
    cells = _cells()
    answers = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and ANSWER in _src(c)]
    assert len(answers) >= 3
    for i in answers:
        code = max(j for j in range(i) if cells[j]["cell_type"] == "code")
        prompt = max(j for j in range(code) if cells[j]["cell_type"] == "markdown")
        assert "3.16" not in _src(cells[prompt]) and "0.0956" not in _src(cells[prompt])


def test_widget_tasks_come_before_the_explanation():
    cells = _cells()
    race = _index(cells, 'OptimizerRace(surface="ravine"')
    sgd_check = _index(cells, "check_sgd_stable_lr(my_sgd_eta)")
    explorer = _index(cells, "MomentumExplorer(eta=0.01, beta=0.0, kappa=100, show_optimum=False)")
    beta_check = _index(cells, "check_fastest_beta(my_beta)")
    free = _index(cells, "show_optimum=True)")
    explained = _index(cells, "Why momentum really works")
    assert race < sgd_check < explorer < beta_check < free < explained
    assert "my_sgd_eta = None" in _src(cells[sgd_check])
    assert "my_beta = None" in _src(cells[beta_check])
    # nothing before the checks states the answers
    before = " ".join(_src(c) for c in cells[:beta_check])
    for giveaway in ("0.81", "0.90", "2/λ", "2/\\lambda", "(1-\\sqrt{\\eta"):
        assert giveaway not in before, giveaway
    # widget cells are not compared, the check cells are, and their stored output asks only
    for i in (race, explorer, free):
        assert "nbval-ignore-output" in cells[i]["metadata"].get("tags", [])
    for i, name in ((sgd_check, "my_sgd_eta"), (beta_check, "my_beta")):
        assert "nbval-ignore-output" not in cells[i]["metadata"].get("tags", [])
        shown = "".join("".join(o.get("text", "")) for o in cells[i]["outputs"])
        assert f"set {name}" in shown and not any(ch.isdigit() for ch in shown)


def test_ema_explorer_sits_with_adams_bias_correction():
    cells = _cells()
    adam = _index(cells, "Adam (Kingma & Ba 2015")
    ema = _index(cells, "EMAExplorer(beta=")
    next_section = next(i for i in range(adam + 1, len(cells))
                        if cells[i]["cell_type"] == "markdown" and _src(cells[i]).startswith("## "))
    assert adam < ema < next_section
    assert "nbval-ignore-output" in cells[ema]["metadata"].get("tags", [])


def test_things_to_try_state_no_answers():
    cells = _cells()
    items = [_src(c) for c in cells if "Things to try" in _src(c)]
    assert items
    for text in items:
        for answer in ("2/\\lambda", "2/λ", "= 2", "about $"):
            assert answer not in text, answer


def test_deep_dives_follow_the_summary():
    cells = _cells()
    summary = _index(cells, "## Summary")
    dives = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             and _src(c).lstrip().startswith(("## Optional deep dive", "### Optional deep dive"))]
    assert len(dives) >= 4 and min(dives) > summary
    # the multi-seed tables stay excluded and each is followed by a compared check cell
    for i, c in enumerate(cells):
        if c["cell_type"] == "code" and "nbval-ignore-output" in c["metadata"].get("tags", []) \
                and ("train_mnist" in _src(c) or "schedule" in _src(c)):
            # the check may follow a figure cell: look at the next two code cells
            after = [c2 for c2 in cells[i + 1:] if c2["cell_type"] == "code"][:2]
            checks = [c2 for c2 in after if "compared check" in _src(c2)]
            assert checks, f"no compared check after the excluded cell {c['id']}"
            assert "nbval-ignore-output" not in checks[0]["metadata"].get("tags", [])


# --- main path vs deep dives (issue 16, point 5) ---------------------------------------------------

def _lesson_stats():
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "tools" / "lesson_stats.py"
    spec = importlib.util.spec_from_file_location("lesson_stats", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lesson_stats"] = module        # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def test_deep_dive_mask_follows_the_documented_rules():
    stats = _lesson_stats()

    def md(text):
        return {"cell_type": "markdown", "source": text}

    code = {"cell_type": "code", "source": "x = 1"}
    cells = [md("# Lesson"), code, md("### Optional deep dive: A"), code, md("*End of the deep dive.*"),
             md("text after the end marker"), md("## Optional deep dives"), md("### Optional deep dive: B"),
             code, md("### a sub-heading inside"), md("## References")]
    assert stats.deep_dive_mask(cells) == [False, False, True, True, True, False,
                                          True, True, True, True, False]
    assert stats.count_words("<details><summary>Answer</summary>\n\n(c): three $x$ words") == 5
    assert stats.is_check_line("rows sum to 1: True") and stats.is_check_line("0.W  (6, 2)  < 1e-07   ok")
    assert not stats.is_check_line("loss 0.5514") and not stats.is_check_line("")


def test_main_path_no_longer_than_most_lessons():
    """Lesson 08's main path (words of markdown outside the optional deep dives) is at most the
    median of the other lessons 01-12, so its graduate material sits in deep dives."""
    stats = _lesson_stats()
    lessons = sorted(NOTEBOOK.parent.glob("[01][0-9]_*.ipynb"))
    words = {p.stem[:2]: stats.lesson_stats(p).words_main for p in lessons if p.stem[:2] != "00"}
    others = sorted(w for k, w in words.items() if k != "08")
    assert len(others) == 11
    assert words["08"] <= float(np.median(others)), (words["08"], others)
    assert stats.lesson_stats(NOTEBOOK).words_deep > 1000
