"""backprop_lab.lesson_helpers: timing, the plain-text table and the judge of lesson 06's task."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lab import lesson_helpers as lh


def test_r_squared_of_a_line_and_of_noise():
    x = np.arange(8.0)
    assert lh.r_squared(x, 3 * x - 1) == pytest.approx(1.0, abs=1e-12)
    t = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0])   # no trend: small R²
    assert lh.r_squared(x, t) < 0.1
    # R² = squared correlation for a least-squares line, computed independently
    rng = np.random.default_rng(0)
    t = x + rng.normal(size=8)
    assert lh.r_squared(x, t) == pytest.approx(np.corrcoef(x, t)[0, 1] ** 2, rel=1e-12)


def test_r_squared_rejects_bad_shapes():
    with pytest.raises(ValueError, match="equal length"):
        lh.r_squared(np.arange(3.0), np.arange(4.0))


def test_time_rounds_keeps_the_best_of_each():
    calls = []
    times = lh.time_rounds([lambda: calls.append("a"), lambda: calls.append("b")], rounds=3)
    assert calls == ["a", "b"] * 3                    # interleaved, rounds × functions
    assert times.shape == (2,) and np.all(times >= 0) and np.all(np.isfinite(times))
    with pytest.raises(ValueError, match="rounds"):
        lh.time_rounds([lambda: None], rounds=0)
    assert lh.best_time(lambda: sum(range(1000)), repeats=2) >= 0


def test_table_rounds_signs_and_matrices():
    text = lh.table([("out", np.array([-0.45918712]), np.array([[1.0, -2.5], [0.00004, 3.0]]))],
                    ["layer", "δ", "W"])
    header, row = text.splitlines()
    assert header.split() == ["layer", "δ", "W"]
    assert row.split() == ["out", "-0.4592", "+1.0000", "-2.5000", "|", "+0.0000", "+3.0000"]
    assert "-0.0000" not in lh.table([("x", -0.00001)], ["a", "b"])
    with pytest.raises(ValueError, match="2 entries"):
        lh.table([("x",)], ["a", "b"])


ACC = {1: [0.6, 0.65, 0.62], 2: [0.7, 0.95, 0.85], 3: [0.93, 0.97, 0.9], 4: [0.95, 0.96, 0.97]}


def test_smallest_width_needs_most_seeds():
    assert lh.smallest_width(ACC, 0.9) == 3           # 2 passes for one seed of three only
    assert lh.smallest_width({1: [0.5], 2: [0.6]}, 0.9) is None
    assert lh.smallest_width({5: [0.95, 0.95], 3: [0.91, 0.2]}, 0.9) == 5   # half is not most


def test_judge_width_messages():
    assert "set my_width" in lh.judge_width(None, ACC)
    assert lh.judge_width(3, ACC).startswith("right")
    assert lh.judge_width(2, ACC).startswith("too small")
    too_big = lh.judge_width(4, ACC)
    assert "smaller width" in too_big and "3" not in too_big        # does not give it away
    assert "3" not in lh.judge_width(2, ACC)
    for bad in (0, 2.5, "3", True):
        with pytest.raises(ValueError, match="my_width"):
            lh.judge_width(bad, ACC)
