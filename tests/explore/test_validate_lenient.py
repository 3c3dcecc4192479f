"""The lenient checks of backprop_lab.validate: what every widget does with a control's value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lab.validate import clamp, clean_count, clean_point, clean_real


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        (0.5, 0.5, None),
        (0, 0.0, None),
        ("0.25", 0.25, None),  # what a Text box holds
        (np.float32(0.75), 0.75, None),
        (-3, -1.0, "x = -3 below -1; using -1"),
        (7.5, 2.0, "x = 7.5 above 2; using 2"),
        (math.nan, 0.3, "x must be a number in [-1, 2] (got nan); using 0.3"),
        (math.inf, 0.3, "x must be a number in [-1, 2] (got inf); using 0.3"),
        (-math.inf, 0.3, "(got -inf); using 0.3"),
        ("fast", 0.3, "(got 'fast'); using 0.3"),
        (None, 0.3, "(got None); using 0.3"),
        (True, 0.3, "(got True); using 0.3"),  # a bool is not a number here
        ([1.0], 0.3, "(got [1.0]); using 0.3"),
    ],
)
def test_clean_real(value, expected, note):
    notes: list[str] = []
    assert clean_real(value, "x", -1.0, 2.0, 0.3, notes) == expected
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0]


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        (5, 5, None),
        (np.int64(7), 7, None),
        (5.0, 5, None),
        (5.6, 6, "n = 5.6 is not whole; using 6"),
        (0, 1, "n = 0 below 1; using 1"),
        (10**9, 100, "n = 1e+09 above 100; using 100"),
        (math.nan, 20, "n must be a whole number in [1, 100] (got nan); using 20"),
        (math.inf, 20, "(got inf); using 20"),
        ("many", 20, "(got 'many'); using 20"),
        (False, 20, "(got False); using 20"),
    ],
)
def test_clean_count(value, expected, note):
    notes: list[str] = []
    n = clean_count(value, "n", 1, 100, 20, notes)
    assert n == expected and type(n) is int
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0]


BOX = (-2.0, 2.0, -1.0, 3.0)


def test_clean_point_keeps_a_point_inside_the_box_silently():
    notes: list[str] = []
    assert clean_point((1.0, 2.5), "start", (0.0, 0.0), BOX, notes) == (1.0, 2.5)
    assert clean_point(np.array([-2.0, -1.0]), "start", (0.0, 0.0), BOX, notes) == (-2.0, -1.0)
    assert clean_point(None, "start", (0.5, 0.5), BOX, notes) == (0.5, 0.5)
    assert notes == []


def test_clean_point_moves_a_point_outside_the_box_to_its_edge():
    """One behaviour for every widget (the explorer and the race used to differ: the race kept a
    point off the plot). The point is moved to the nearest point of the box."""
    notes: list[str] = []
    assert clean_point((5.0, -4.0), "start", (0.0, 0.0), BOX, notes) == (2.0, -1.0)
    assert notes == ["start (5.0, -4.0) outside the plot; moved to (2, -1)"]
    notes.clear()
    assert clean_point((5.0, -4.0), "start", (0.0, 0.0), None, notes) == (5.0, -4.0)
    assert notes == []


@pytest.mark.parametrize("bad", [("a", 1), (1.0,), (1.0, 2.0, 3.0), (math.nan, 0.0),
                                 (0.0, math.inf), "here", 3.0])
def test_clean_point_falls_back_to_the_default(bad):
    notes: list[str] = []
    assert clean_point(bad, "start", (0.5, -0.5), BOX, notes) == (0.5, -0.5)
    assert len(notes) == 1
    assert notes[0].startswith("start must be a point (x, y) of finite numbers")
    assert notes[0].endswith("using the default start (0.5, -0.5)")


def test_clamp():
    assert clamp(20, 1e-5, 10.0) == 10.0 and clamp(1e-9, 1e-5, 10.0) == 1e-5
    assert clamp(0.3, 1e-5, 10.0) == 0.3


def test_the_widgets_use_the_one_start_rule():
    """The learning-rate explorer and the race clean a start point the same way."""
    from backprop_lab.explore.learning_rate import compute_lr_explorer
    from backprop_lab.explore.race import compute_race
    from backprop_lab.optim import SGD

    lr = compute_lr_explorer("rosenbrock", 1e-3, 5, start=(9.0, -9.0))
    race = compute_race("rosenbrock", {"SGD": lambda p: SGD(p, lr=1e-3)}, steps=5,
                        start=(9.0, -9.0))
    assert lr.start == race.start == (2.0, -1.0)  # rosenbrock's box: x in [-2, 2], y in [-1, 3]
    assert "outside the plot; moved to (2, -1)" in race.notes[0]
    assert "outside the plot; moved to (2, -1)" in lr.message
    # the 1-D quadratic takes w₀ alone, and keeps y = 0
    assert compute_lr_explorer("quadratic_1d", 0.05, 5, start=0.5).start == (0.5, 0.0)
    assert compute_lr_explorer("quadratic_1d", 0.05, 5, start=(0.5, 0.7)).start == (0.5, 0.0)
    assert compute_lr_explorer("quadratic_1d", 0.05, 5, start=9.0).start == (2.0, 0.0)
