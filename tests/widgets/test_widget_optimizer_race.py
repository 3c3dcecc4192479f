"""Optimizer race: the pure compute core and the headless view (Agg backend)."""

from __future__ import annotations

import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab.optim import SGD, Adam, Momentum, Optimizer
from backprop_lab.surfaces import SURFACES, run_optimizer
from backprop_lab.widgets.optimizer_race import (
    DEFAULT_LRS,
    LIBRARY_OPTIMIZERS,
    STEPS_MAX,
    OptimizerRace,
    compute_race,
)


class SignSGD(Optimizer):
    """w ← w − η·sign(g): a student's optimizer written against the library's interface."""

    def update(self, w, g, state):
        w -= self.lr * np.sign(g)


class DuckSGD:
    """Not an Optimizer subclass at all: just step() and zero_grad()."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self):
        for p in self.params:
            p.value[...] -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0


def racers(**lrs):
    return {name: (lambda p, c=LIBRARY_OPTIMIZERS[name], lr=lr: c(p, lr=lr))
            for name, lr in lrs.items()}


# -- compute -----------------------------------------------------------------------------------


def test_paths_and_losses_have_one_row_per_step():
    r = compute_race("rosenbrock", racers(SGD=2e-3, Adam=0.2), steps=150)
    assert r.names == ("SGD", "Adam")
    for name in r.names:
        assert r.paths[name].shape == (151, 2)
        assert r.losses[name].shape == (151,)
        np.testing.assert_array_equal(r.paths[name][0], SURFACES["rosenbrock"].start)
        f = SURFACES["rosenbrock"].f
        np.testing.assert_allclose(r.losses[name], [f(p) for p in r.paths[name]])
    assert r.statuses == {"SGD": "converging", "Adam": "converging"}
    assert r.lrs == {"SGD": 2e-3, "Adam": 0.2}


def test_paths_equal_the_library_runner():
    r = compute_race("beale", racers(Momentum=1e-3), steps=80, start=(2.0, -1.0))
    traj = run_optimizer("beale", "momentum", lr=1e-3, start=(2.0, -1.0), steps=80)
    np.testing.assert_array_equal(r.paths["Momentum"], traj.path)


def test_diverging_racer_is_reported_and_truncated():
    r = compute_race("rosenbrock", racers(SGD=0.05, Adam=0.2), steps=100)
    k = r.diverged_at["SGD"]
    assert k is not None and r.statuses["SGD"] == f"diverged at step {k}"
    assert r.paths["SGD"].shape == (k + 1, 2)
    assert r.label("SGD", k) == f"SGD (η=0.05): diverged at step {k}"
    assert "diverged" not in r.label("SGD", k - 1)  # before it happens the legend shows a loss
    assert r.diverged_at["Adam"] is None and r.paths["Adam"].shape == (101, 2)


def test_running_off_a_saddle_is_labelled():
    r = compute_race("saddle", racers(SGD=0.05), steps=300)
    k = r.diverged_at["SGD"]
    assert k is not None
    assert r.label("SGD") == f"SGD (η=0.05): diverged at step {k} (f → −∞)"


def test_deterministic():
    a = compute_race("himmelblau", racers(**DEFAULT_LRS["himmelblau"]), steps=120)
    b = compute_race("himmelblau", racers(**DEFAULT_LRS["himmelblau"]), steps=120)
    for name in a.names:
        np.testing.assert_array_equal(a.paths[name], b.paths[name])
    assert a.statuses == b.statuses
    assert a.summary() == b.summary()


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_and_library_optimizer_runs(surface):
    r = compute_race(surface, racers(**DEFAULT_LRS[surface]), steps=50)
    assert set(r.names) == set(LIBRARY_OPTIMIZERS)
    assert not r.errors


def test_custom_optimizers_race_the_library():
    r = compute_race("bowl", {
        "sign-SGD": lambda p: SignSGD(p, lr=0.01),
        "duck": lambda p: DuckSGD(p, lr=0.3),
        "SGD": lambda p: SGD(p, lr=0.3),
    }, steps=60)
    # the duck-typed SGD is the library's SGD, step for step: each step w − ηg is 2 roundings on
    # either side and SGD with η = 0.3 contracts on the bowl, so over 60 steps the two paths
    # differ by at most 60·2·γ₂·max|w| (rounding-error bound; today they are bitwise equal)
    bound = 60 * 2 * gamma(2) * np.abs(r.paths["SGD"]).max()
    np.testing.assert_allclose(r.paths["duck"], r.paths["SGD"], rtol=0, atol=bound)
    # sign-SGD moves exactly η along each axis per step while far from the minimum
    start = np.array(SURFACES["bowl"].start)
    np.testing.assert_allclose(r.paths["sign-SGD"][1], start - 0.01 * np.sign(start))
    assert r.lrs["sign-SGD"] == 0.01 and r.statuses["duck"] == "converged"


def test_invalid_learning_rate_is_reported_not_raised():
    r = compute_race("bowl", racers(SGD=-1.0, Adam=0.1), steps=200)
    assert r.statuses["SGD"].startswith("invalid: lr must be a finite number >= 0")
    assert isinstance(r.errors["SGD"], ValueError)
    assert r.paths["SGD"].shape == (1, 2)
    assert r.statuses["Adam"] == "converged"
    assert "invalid" in r.summary()


def test_broken_factories_and_steps_are_reported():
    class Boom(Optimizer):
        def update(self, w, g, state):
            raise RuntimeError("my update is wrong")

    r = compute_race("bowl", {
        "no step": lambda p: object(),
        "boom": lambda p: Boom(p, lr=0.1),
        "not callable": 3,
    }, steps=10)
    assert r.statuses["no step"].startswith("invalid: the factory returned object")
    assert r.statuses["boom"] == "error: my update is wrong"
    assert isinstance(r.errors["boom"], RuntimeError)
    assert r.statuses["not callable"].startswith("invalid: racer 'not callable' must be")


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown surface"):
        compute_race("moon", racers(SGD=0.1))
    with pytest.raises(ValueError, match="non-empty"):
        compute_race("bowl", {})
    r = compute_race("bowl", racers(SGD=0.1), steps=10**6, start=("a", 1))
    assert r.steps == STEPS_MAX and r.start == SURFACES["bowl"].start
    assert len(r.notes) == 2


# -- view ---------------------------------------------------------------------------------------


@pytest.fixture
def race():
    return OptimizerRace(surface="rosenbrock", steps=100)


def test_view_initial_state(race):
    assert race.result.names == ("SGD", "Momentum", "Adam")
    assert race.frame.value == 100 and race.status_text == "step 100 of 100"
    assert race.legend_texts == [race.result.label(n, 100) for n in race.result.names]
    assert race.view.refresh_count == 1


def test_step_and_play_move_only_the_frame(race):
    race.reset()
    assert race.frame.value == 0
    trail = race.plot.trails["Adam"]
    assert len(trail.get_xdata()) == 1
    result = race.result
    race.step()
    assert race.frame.value == 1 and len(trail.get_xdata()) == 2
    assert race.result is result  # stepping does not recompute the race
    race.play.value = 40          # Play drives the frame index
    assert race.frame.value == 40
    np.testing.assert_array_equal(trail.get_xdata(), result.paths["Adam"][:41, 0])
    assert race.legend_texts[2] == result.label("Adam", 40)
    assert race.status_text == "step 40 of 100"
    race.frame.value = race.frame.max
    race.step()  # stays at the end
    assert race.frame.value == 100


def test_controls_recompute_the_race(race):
    race.lrs["SGD"].value = 0.05
    assert race.result.statuses["SGD"].startswith("diverged at step")
    assert "diverged at step" in race.legend_texts[0]
    race.checks["Nesterov"].value = True
    assert "Nesterov" in race.result.names and len(race.legend_texts) == 4
    race.checks["SGD"].value = False
    assert "SGD" not in race.result.names and "SGD" not in race.plot.trails
    race.steps.value = 50
    assert race.result.steps == 50 and race.frame.value <= 50 and race.play.max == 50
    race.steps.value = 600
    assert race.play.step == 4 and race.frame.max == 600


def test_surface_change_redraws_with_its_learning_rates(race):
    race.surface.value = "himmelblau"
    assert race.lrs["Adam"].value == pytest.approx(DEFAULT_LRS["himmelblau"]["Adam"])
    assert race.result.surface_name == "himmelblau"
    assert race.plot.ax_path.get_title().startswith("Himmelblau")
    np.testing.assert_array_equal(race.plot.trails["Adam"].get_xdata(),
                                  race.result.paths["Adam"][:, 0])


def test_no_racer_selected_shows_a_message(race):
    for check in race.checks.values():
        check.value = False
    assert race.result is None and race.status_text == "pick at least one optimizer"
    race.checks["Adam"].value = True
    assert race.result.names == ("Adam",)


def test_extra_racer_from_a_students_class():
    race = OptimizerRace(surface="bowl", extra={"sign-SGD": SignSGD}, steps=40,
                         lrs={"sign-SGD": 0.05})
    assert race.result.names == ("SGD", "Momentum", "Adam", "sign-SGD")
    assert race.result.lrs["sign-SGD"] == pytest.approx(0.05)
    assert race.legend_texts[-1].startswith("sign-SGD (η=0.05)")


def test_view_reports_an_optimizer_that_cannot_be_built():
    race = OptimizerRace(surface="bowl", selected=["Bad", "Adam"], steps=20,
                         extra={"Bad": lambda params, lr: Momentum(params, lr=lr, beta=1.5)})
    assert race.result.statuses["Bad"].startswith("invalid: beta must be")
    assert "Bad: invalid" in race.status_text
    assert race.result.statuses["Adam"] in ("converging", "converged")


def test_view_is_deterministic():
    a = OptimizerRace(surface="beale", steps=60, frame=30)
    b = OptimizerRace(surface="beale", steps=60, frame=30)
    assert a.legend_texts == b.legend_texts
    for name in a.result.names:
        np.testing.assert_array_equal(a.plot.trails[name].get_xydata(),
                                      b.plot.trails[name].get_xydata())


def test_every_library_optimizer_builds_from_the_view():
    # the view calls builders as builder(params, lr=...): every library optimizer accepts that
    race = OptimizerRace(surface="ravine", selected=list(LIBRARY_OPTIMIZERS), steps=30)
    assert set(race.result.names) == set(LIBRARY_OPTIMIZERS)
    assert not race.result.errors
    assert isinstance(race.factories()["Adam"]([_point_param()]), Adam)


def _point_param():
    from backprop_lab.parameter import Point

    return Point([0.0, 0.0]).param


def full_render_of(view) -> np.ndarray:
    """The whole figure rendered with savefig, nothing marked animated — what the view showed
    before blitting (savefig leaves out figure-level animated artists such as the status line)."""
    from test_widget_base import full_render

    for artist in view.animated:
        artist.set_animated(False)
    try:
        return full_render(view.fig)
    finally:
        for artist in view.animated:
            artist.set_animated(True)


def test_frames_blit_and_match_a_full_render(race):
    from test_widget_base import assert_same_picture, pixels

    assert race.view.blit and race.plot.trails["Adam"].get_animated()
    assert race.plot.legend.get_animated() and race.plot.status.get_animated()
    full, partial = race.view.full_redraws, race.view.partial_redraws
    race.reset()
    for _ in range(5):
        race.step()
    race.play.value = 60
    # frames move artists only: contours and axes come from the cache
    assert (race.view.full_redraws, race.view.partial_redraws) == (full, partial)
    assert_same_picture(pixels(race.view.widget.value), full_render_of(race.view))
    limits = race.plot.ax_loss.get_ylim()
    race.lrs["SGD"].value = 0.05  # a new race on the same surface: at most the loss axes
    moved = race.plot.ax_loss.get_ylim() != limits
    assert (race.view.full_redraws, race.view.partial_redraws) == (full, partial + moved)
    assert_same_picture(pixels(race.view.widget.value), full_render_of(race.view))
    race.surface.value = "saddle"  # new contours and a symlog loss axis: everything
    assert race.view.full_redraws == full + 1
    assert_same_picture(pixels(race.view.widget.value), full_render_of(race.view))
    for check in race.checks.values():
        check.value = False
    assert race.status_text == "pick at least one optimizer"
    assert_same_picture(pixels(race.view.widget.value), full_render_of(race.view))


def test_loss_limits_are_quarter_decades_and_a_small_lr_change_keeps_the_axes(race):
    """The log loss axes' limits are quarter decades around the data, so a small change of α
    re-renders nothing static; going back to limits seen before comes from the view's cache."""
    from test_widget_base import assert_same_picture, pixels

    ax = race.plot.ax_loss
    lo, hi = ax.get_ylim()
    assert np.log10([lo, hi]) * 4 == pytest.approx(np.round(np.log10([lo, hi]) * 4))
    shown = np.concatenate([y[np.isfinite(y)] for y in race.plot.shown_losses.values()])
    assert lo <= np.nanmin(shown) and hi >= np.nanmax(shown)
    v = race.view
    full, partial, cached = v.full_redraws, v.partial_redraws, v.cached_redraws
    lr = race.lrs["Adam"].value
    for factor in (1.12, 1.12 ** 2, 1.12, 1.0):  # limits stay: the animated artists only
        race.lrs["Adam"].value = lr * factor
        assert ax.get_ylim() == (lo, hi)
    assert (v.full_redraws, v.partial_redraws, v.cached_redraws) == (full, partial, cached)
    assert_same_picture(pixels(v.widget.value), full_render_of(v))

    # SGD up and back: each move to new limits re-renders the loss axes, each move back to
    # limits shown before is restored from the cache
    lr = race.lrs["SGD"].value
    seen, limits, expect_partial, expect_cached = {ax.get_ylim()}, ax.get_ylim(), 0, 0
    for factor in (1.12, 1.12 ** 2, 1.12 ** 3, 1.12 ** 2, 1.12, 1.0):
        race.lrs["SGD"].value = lr * factor
        new = ax.get_ylim()
        if new != limits:
            expect_cached += new in seen
            expect_partial += new not in seen
        seen.add(new)
        limits = new
        assert_same_picture(pixels(v.widget.value), full_render_of(v))
    assert expect_partial > 0, "SGD's α did not move the limits: the test tests nothing"
    assert v.full_redraws == full
    assert (v.partial_redraws - partial, v.cached_redraws - cached) == (expect_partial,
                                                                       expect_cached)
