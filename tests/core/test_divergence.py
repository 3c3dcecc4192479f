"""The one divergence rule (backprop_lab.divergence), and that fit, run_optimizer and the
playground all use it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lab.divergence import LOSS_FACTOR, PARAM_LIMIT, DivergenceRule
from backprop_lab.optim import SGD
from backprop_lab.surfaces import quadratic, run_optimizer


def test_the_constants_are_the_documented_ones():
    assert LOSS_FACTOR == 1e6 and PARAM_LIMIT == 1e6


@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf])
def test_non_finite_loss_diverges(loss):
    assert DivergenceRule(2.0).check_loss(loss) == f"the loss became {loss}"


def test_loss_limit_is_1e6_times_one_plus_the_first_loss():
    rule = DivergenceRule(2.0)  # limit 1e6 · 3 = 3e6
    assert rule.check_loss(2.99e6) is None
    assert rule.check_loss(3e6) is None  # "exceeds": equal is not beyond
    msg = rule.check_loss(3.01e6)
    assert msg == "the loss reached 3.01e+06, more than 1e+06 × (1 + |first loss 2|) = 3e+06"
    # a first loss of 0 (or negative) still gives a sensible limit: 1e6 · (1 + |f0|)
    assert DivergenceRule(0.0).check_loss(1.5e6) is not None
    assert DivergenceRule(-4.0).check_loss(4.9e6) is None
    assert DivergenceRule(-4.0).check_loss(5.1e6) is not None


def test_parameters_non_finite_or_beyond_the_box():
    ok = np.array([[1.0, -1e6]])
    assert DivergenceRule.check_parameters([ok]) is None
    assert DivergenceRule.check_parameters([np.array([0.0, 1.0000001e6])]) == (
        "parameter 0 has an entry of size 1e+06 > 1e+06")
    assert DivergenceRule.check_parameters([ok, np.array([0.0, np.nan])]) == (
        "parameter 1 has a non-finite entry")
    assert DivergenceRule.check_parameters([np.array([-np.inf])]) == (
        "parameter 0 has a non-finite entry")
    assert DivergenceRule.check_parameters([np.zeros(0)]) is None


def test_check_names_the_first_clause_that_holds():
    rule = DivergenceRule(1.0)
    assert rule.check(1.0, [np.ones(3)]) is None
    assert rule.check(math.nan, [np.array([np.nan])]).startswith("the loss became nan")
    assert rule.check(1.0, [np.array([np.nan])]) == "parameter 0 has a non-finite entry"


def test_run_optimizer_stops_where_the_rule_says():
    # f = ½(x² + y²) from (1, 1): f0 = 1, limit 2e6. SGD with lr 3 maps w → −2w, so f_k = 4^k:
    # 4^10 ≈ 1.05e6 is still below the limit, 4^11 ≈ 4.19e6 is above: diverged at step 11.
    tr = run_optimizer(quadratic((1.0, 1.0)), lambda p: SGD(p, lr=3.0), start=(1.0, 1.0), steps=50)
    assert tr.diverged_at == 11
    assert tr.losses[-1] == pytest.approx(4.0**11)
    assert tr.status == "diverged"


def test_run_optimizer_box_clause_catches_a_loss_running_to_minus_infinity():
    # saddle f = x² − y²: along y the loss falls without bound while |y| grows; the box clause
    # (|coordinate| > 1e6) stops it. SGD lr 1 maps y → 3y: |y| = 0.5 · 3^k > 1e6 first at k = 14.
    from backprop_lab.surfaces import get_surface

    saddle = get_surface("saddle")
    tr = run_optimizer(saddle, lambda p: SGD(p, lr=1.0), start=(0.0, 0.5), steps=100)
    y = tr.path[:, 1]
    k = int(np.argmax(np.abs(y) > 1e6))
    assert k == 14 and tr.diverged_at == 14 and tr.status == "diverged"
    assert abs(y[k - 1]) <= 1e6


def test_playground_uses_the_same_rule():
    from backprop_lab.widgets.playground import PlaygroundModel

    m = PlaygroundModel(dataset="moons", optimizer="sgd", lr=10.0, hidden="16,16", activation="relu")
    m.step(2000)
    assert m.diverged
    h = m.history
    rule = DivergenceRule(h.train_loss[0])
    # it stopped at the first recorded step the rule flags, and not before
    assert all(rule.check_loss(v) is None for v in h.train_loss[:-1])
    assert m.diverged_reason is not None
    status = m.status()
    assert status.startswith(f"diverged at step {m.steps} with learning rate 10: ")
    assert m.diverged_reason in status and "lower the learning rate" in status
