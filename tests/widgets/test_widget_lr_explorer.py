"""Learning-rate explorer: the compute function, the view driven headlessly, and the plotting
helpers it uses (backprop_lab.plotting.surfaces)."""

from __future__ import annotations

import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _tolerance import gamma
from _widget_helpers import line_data, png_pixels

from backprop_lab.plotting.surfaces import (
    contour_levels,
    display_path,
    plot_contours,
    plot_quadratic_1d,
    plot_surface_path,
)
from backprop_lab.surfaces import get_surface, run_optimizer
from backprop_lab.widgets import lr_explorer as lx
from backprop_lab.widgets.lr_explorer import (
    EXPLORER_SURFACES,
    L_1D,
    LR_MAX,
    LR_MIN,
    STEPS_MAX,
    LRExplorer,
    compute_lr_explorer,
    convergence_factor,
    stability_threshold,
)

THRESHOLD_1D = 2.0 / L_1D  # 0.2


@pytest.fixture
def explorer():
    ex = LRExplorer(surface="quadratic_1d", lr=0.05, steps=40)
    yield ex
    plt.close(ex.fig)


# ------------------------------------------------------------------------------------------------
# compute: the 1-D quadratic and the 2/L threshold


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.15, 0.19, 0.199])
def test_below_threshold_does_not_diverge(lr):
    r = compute_lr_explorer("quadratic_1d", lr, 60)
    assert r.diverged_at is None
    assert r.status != "diverged"
    assert r.threshold == pytest.approx(THRESHOLD_1D)
    assert "< 2/λ_max" in r.message and "converges" in r.message


@pytest.mark.parametrize("lr", [0.201, 0.21, 0.3, 1.0, 10.0])
def test_above_threshold_diverges(lr):
    r = compute_lr_explorer("quadratic_1d", lr, 200)
    assert r.status == "diverged"
    assert r.diverged_at is not None and r.diverged_at >= 1
    assert f"diverged at step {r.diverged_at}" in r.message
    assert "> 2/λ_max" in r.message and "diverges" in r.message


def test_status_line_example_from_the_brief():
    r = compute_lr_explorer("quadratic_1d", 0.21, 60)
    assert "η = 0.21 > 2/λ_max = 0.20: diverges" in r.message
    assert r.message.startswith("diverged at step ")


def test_nearby_rates_are_told_apart():
    r = compute_lr_explorer("quadratic_1d", 0.2001, 10)
    assert "η = 0.2001 > 2/λ_max = 0.2000" in r.message


def test_path_follows_closed_form_and_factor():
    """w_t = (1 − ηλ)^t w₀ and the reported factor is |1 − ηλ|."""
    for lr in (0.03, 0.1, 0.17):
        r = compute_lr_explorer("quadratic_1d", lr, 30, start=1.5)
        t = np.arange(31)
        # t products by (1 − αL) (itself 2 roundings) vs a power: ≤ 2·γ_{3t+3} relative, t ≤ 30
        assert np.allclose(r.path[:, 0], (1 - lr * L_1D) ** t * 1.5, rtol=2 * gamma(93), atol=1e-300)
        assert np.all(r.path[:, 1] == 0.0)
        assert r.rate == pytest.approx(abs(1 - lr * L_1D))


def test_statuses_on_the_1d_quadratic():
    assert compute_lr_explorer("quadratic_1d", 0.1, 5).status == "converged"  # ηλ = 1: one step
    assert compute_lr_explorer("quadratic_1d", 0.18, 30).status == "oscillating"  # overshoots
    assert compute_lr_explorer("quadratic_1d", 0.01, 30).status == "converging"
    small = compute_lr_explorer("quadratic_1d", LR_MIN, 30)
    assert small.status in ("converging", "stalled")
    assert "×0.999" in small.message  # the factor is not rounded to 1.00


def test_diverging_before_leaving_the_plot():
    # |1 − ηλ| = 1.01: the loss grows, but 10 steps do not carry w₀ = 0.5 out of [−2, 2]
    r = compute_lr_explorer("quadratic_1d", 0.201, 10, start=0.5)
    assert r.diverged_at is None
    assert r.status == "diverging"


def test_quadratic_surfaces_threshold_and_rate():
    for name in ("bowl", "ravine"):
        surface = EXPLORER_SURFACES[name]
        r = compute_lr_explorer(name, 1.0, 10)
        assert r.threshold == pytest.approx(2.0 / surface.L)
        lam = np.linalg.eigvalsh(surface.hessian(np.zeros(2)))
        assert r.rate == pytest.approx(np.max(np.abs(1 - 1.0 * lam)))
        assert compute_lr_explorer(name, 2.05, 300).status == "diverged"
        assert compute_lr_explorer(name, 1.95, 300).status != "diverged"


def test_saddle_and_nonquadratic_messages():
    r = compute_lr_explorer("saddle", 0.1, 60)
    assert r.status == "diverged" and r.threshold is None
    assert "λ = -2 < 0" in r.message and "×1.20" in r.message
    on_axis = compute_lr_explorer("saddle", 0.1, 200, start=(-1.5, 0.0))
    assert on_axis.status == "converged" and "stationary point" in on_axis.message
    rosen = compute_lr_explorer("rosenbrock", 0.01, 60)
    assert rosen.status == "diverged" and rosen.threshold is None and rosen.rate is None
    assert "smaller η" in rosen.message


def test_every_surface_runs():
    for name in EXPLORER_SURFACES:
        r = compute_lr_explorer(name, lx.DEFAULT_LR[name], 50)
        assert r.status in lx.EXPLORER_STATUSES
        assert r.path.shape == (len(r.losses), 2)
        assert r.message


def test_momentum_threshold_and_factor():
    beta = 0.9
    r = compute_lr_explorer("quadratic_1d", 0.3, 400, momentum=beta)
    assert r.threshold == pytest.approx(stability_threshold(L_1D, beta)) == pytest.approx(0.38)
    assert "2(1+β)/λ_max" in r.message and r.status != "diverged"
    assert compute_lr_explorer("quadratic_1d", 0.39, 400, momentum=beta).status == "diverged"
    # the factor is the spectral radius of the heavy-ball companion matrix
    for lr in (0.01, 0.1, 0.3, 0.37):
        b = 1 + beta - lr * L_1D
        companion = np.array([[b, -beta], [1.0, 0.0]])
        rho = np.max(np.abs(np.linalg.eigvals(companion)))
        assert convergence_factor(lr, np.array([L_1D]), beta) == pytest.approx(rho)


def test_momentum_path_matches_library_optimizer():
    r = compute_lr_explorer("bowl", 0.1, 50, momentum=0.9)
    t = run_optimizer(EXPLORER_SURFACES["bowl"], "momentum", lr=0.1, steps=50, beta=0.9)
    assert np.array_equal(r.path, t.path)


# ------------------------------------------------------------------------------------------------
# compute: bad inputs are clamped and reported, never raised


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, "fast", None])
def test_bad_lr_is_clamped_and_reported(bad):
    r = compute_lr_explorer("bowl", bad, 20)
    assert r.lr == LR_MIN
    assert r.notes and "learning rate" in r.message


def test_lr_out_of_range_is_clamped():
    assert compute_lr_explorer("bowl", 1e-9, 5).lr == LR_MIN
    assert compute_lr_explorer("bowl", 1e3, 5).lr == LR_MAX


@pytest.mark.parametrize("bad, used", [(0, 1), (-5, 1), (2.4, 2), (10**9, STEPS_MAX),
                                       (math.nan, 1), ("many", 1), (True, 1)])
def test_bad_steps_are_clamped(bad, used):
    r = compute_lr_explorer("bowl", 0.1, bad)
    assert r.steps == used
    assert len(r.losses) == used + 1
    if used != bad:
        assert "steps" in r.message


def test_bad_start_and_momentum():
    r = compute_lr_explorer("bowl", 0.1, 5, start=(10.0, -10.0))
    assert r.start == (2.0, -2.0) and "outside the plot" in r.message
    r = compute_lr_explorer("bowl", 0.1, 5, start=(1.0, math.nan))
    assert r.start == EXPLORER_SURFACES["bowl"].start and "start must be" in r.message
    r = compute_lr_explorer("bowl", 0.1, 5, start="north")
    assert r.start == EXPLORER_SURFACES["bowl"].start
    r = compute_lr_explorer("quadratic_1d", 0.1, 5, start=(0.7, 3.0))
    assert r.start == (0.7, 0.0)  # the 1-D quadratic lives on y = 0
    r = compute_lr_explorer("bowl", 0.1, 5, momentum=1.5)
    assert r.momentum == 0.0 and "momentum" in r.message
    assert compute_lr_explorer("bowl", 0.1, 5).notes == ()


def test_unknown_surface_is_a_clear_error():
    with pytest.raises(ValueError, match="valid names: quadratic_1d, bowl"):
        compute_lr_explorer("cliff", 0.1, 5)


def test_compute_is_deterministic():
    for name in EXPLORER_SURFACES:
        a = compute_lr_explorer(name, 0.05, 80)
        b = compute_lr_explorer(name, 0.05, 80)
        assert np.array_equal(a.path, b.path, equal_nan=True)
        assert np.array_equal(a.losses, b.losses, equal_nan=True)
        assert (a.status, a.message, a.diverged_at) == (b.status, b.message, b.diverged_at)


def test_compute_is_cheap():
    """200 steps compute well under 50 ms (median; generous, the machine is noisy). The strict
    slider-to-figure budget is measured in benchmarks/bench_lr_explorer.py."""
    for name in EXPLORER_SURFACES:
        times = []
        for lr in np.geomspace(1e-3, 1.0, 15):
            t = time.perf_counter()
            compute_lr_explorer(name, float(lr), 200)
            times.append(time.perf_counter() - t)
        assert np.median(times) * 1e3 < 50.0, name


# ------------------------------------------------------------------------------------------------
# the view, driven by setting control values


def test_lr_slider_recomputes_and_moves_artists(explorer):
    path_before = line_data(explorer.path_line)
    loss_before = line_data(explorer.loss_line)
    status_before = explorer.status_text
    refreshes = explorer.view.refresh_count
    png_before = explorer.view.widget.value

    explorer.lr.value = 0.19
    assert explorer.result.lr == pytest.approx(0.19)
    assert explorer.result.status == "oscillating"
    assert explorer.status_text == explorer.result.message != status_before
    assert not np.array_equal(line_data(explorer.path_line)[0], path_before[0])
    assert not np.array_equal(line_data(explorer.loss_line)[1], loss_before[1])
    assert explorer.view.refresh_count == refreshes + 1
    assert explorer.view.widget.value != png_before
    assert explorer.contour_draws == 1  # no redraw of the curve/contours for an lr change


def test_divergence_in_the_view_stays_inside_the_plot(explorer):
    explorer.lr.value = 0.21
    r = explorer.result
    assert r.status == "diverged"
    assert "diverged at step" in explorer.status_text
    assert "η = 0.21 > 2/λ_max = 0.20: diverges" in explorer.status_text
    xmin, xmax, _, _ = EXPLORER_SURFACES["quadratic_1d"].bounds
    x, _ = line_data(explorer.path_line)
    assert np.all((x >= xmin) & (x <= xmax))
    assert len(x) == r.diverged_at + 1  # drawn up to where it left the plot
    assert explorer.end_marker.get_visible() and explorer.diverge_line.get_visible()
    _, loss = line_data(explorer.loss_line)
    assert np.all(np.isfinite(loss)) and loss.max() <= 10 * explorer.ax_loss.get_ylim()[1]
    assert explorer.ax_loss.get_ylim() == explorer._loss_limits  # the axis did not blow up
    assert explorer.ax_path.get_xlim() == (xmin, xmax)

    explorer.lr.value = 0.15
    assert explorer.result.status != "diverged"
    assert not explorer.end_marker.get_visible() and not explorer.diverge_line.get_visible()


def test_huge_blowup_on_rosenbrock_is_drawn_on_the_box_edge():
    ex = LRExplorer(surface="rosenbrock", lr=LR_MAX, steps=100)
    try:
        assert ex.result.status == "diverged"
        x, y = line_data(ex.path_line)
        xmin, xmax, ymin, ymax = EXPLORER_SURFACES["rosenbrock"].bounds
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
        ex_x, ex_y = ex.end_marker.get_data()
        assert xmin <= ex_x[0] <= xmax and ymin <= ex_y[0] <= ymax
        on_edge = np.isclose([ex_x[0], ex_x[0], ex_y[0], ex_y[0]], [xmin, xmax, ymin, ymax])
        assert on_edge.any()
    finally:
        plt.close(ex.fig)


def test_surface_change_redraws_contours(explorer):
    assert explorer.contour_draws == 1
    assert not explorer.ax_path.collections  # the 1-D quadratic is a curve
    full = explorer.view.full_redraws
    explorer.surface.value = "ravine"
    assert explorer.contour_draws == 2
    assert explorer.ax_path.collections  # contour lines
    assert explorer.view.full_redraws == full + 1
    assert explorer.start.value == lx.STARTS["ravine"][0]
    assert explorer.lr.value == pytest.approx(lx.DEFAULT_LR["ravine"], rel=0.03)
    assert explorer.result.surface_name == "ravine"
    assert explorer.ax_path.get_xlim() == EXPLORER_SURFACES["ravine"].bounds[:2]
    x, y = line_data(explorer.path_line)
    assert np.allclose(np.column_stack([x, y]), explorer.result.path)
    explorer.lr.value = 0.5
    explorer.start.value = lx.STARTS["ravine"][1]
    explorer.momentum.value = True
    assert explorer.contour_draws == 2  # only the surface dropdown redraws the contours
    assert explorer.result.momentum == lx.MOMENTUM_BETA
    assert explorer.result.start == lx.STARTS["ravine"][1]


def test_steps_slider_rescales_only_the_loss_axes(explorer):
    partial = explorer.view.partial_redraws
    explorer.steps.value = 120
    assert explorer.ax_loss.get_xlim() == (0, 120)
    assert explorer.result.steps == 120 and len(explorer.result.losses) == 121
    assert explorer.view.partial_redraws == partial + 1
    assert explorer.contour_draws == 1


def test_bad_slider_values_are_clamped_not_raised(explorer):
    explorer.lr.value = -1.0  # the log slider clamps to its minimum
    assert explorer.result.lr == pytest.approx(LR_MIN)
    explorer.steps.value = 0  # the int slider clamps to 1
    assert explorer.result.steps == 1
    explorer.steps.value = 10**6
    assert explorer.result.steps == STEPS_MAX
    assert explorer.status_text == explorer.result.message


def test_errors_are_shown_in_the_status(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("something went wrong")

    monkeypatch.setattr(lx, "compute_lr_explorer", broken)
    explorer.lr.value = 0.1
    assert explorer.result is None
    assert explorer.status_text == "cannot run: something went wrong"
    assert line_data(explorer.path_line)[0].size == 0
    monkeypatch.undo()
    explorer.lr.value = 0.12
    assert explorer.result is not None and explorer.status_text == explorer.result.message


def test_views_are_deterministic():
    views = [LRExplorer(surface="ravine", lr=1.9, steps=80) for _ in range(2)]
    try:
        for v in views:
            v.lr.value = 2.1
            v.surface.value = "beale"
            v.lr.value = 0.02
        a, b = views
        assert a.status_text == b.status_text
        for la, lb in ((a.path_line, b.path_line), (a.loss_line, b.loss_line)):
            assert np.array_equal(line_data(la)[0], line_data(lb)[0], equal_nan=True)
            assert np.array_equal(line_data(la)[1], line_data(lb)[1], equal_nan=True)
        assert a.view.widget.value == b.view.widget.value
    finally:
        for v in views:
            plt.close(v.fig)


def test_blit_draws_the_same_picture_as_a_full_render():
    blit = LRExplorer(surface="ravine", lr=1.9, steps=60)
    full = LRExplorer(surface="ravine", lr=1.9, steps=60, blit=False)
    try:
        for ex in (blit, full):
            ex.lr.value = 1.5
            ex.steps.value = 90
        assert blit.view.full_redraws == 1 and blit.view.partial_redraws == 1
        a, b = png_pixels(blit.view), png_pixels(full.view)
        assert a.shape == b.shape
        differ = np.any(np.abs(a - b) > 40, axis=-1)
        assert differ.mean() < 0.01  # the same figure up to anti-aliasing at overlaps
    finally:
        plt.close(blit.fig)
        plt.close(full.fig)


def test_widget_displays(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert explorer.view.widget.value[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------------
# plotting helpers


def test_contour_levels_log_spaced_for_log_surfaces():
    for name in ("rosenbrock", "beale", "himmelblau"):
        s = get_surface(name)
        assert s.log_contours
        _, _, Z = s.grid(80)
        levels = contour_levels(s, Z, 12)
        gaps = levels - s.f_min
        ratios = gaps[1:] / gaps[:-1]
        assert np.all(np.diff(levels) > 0) and np.allclose(ratios, ratios[0])
        assert levels[0] > Z.min() and levels[-1] < Z.max()


def test_contour_levels_for_quadratics_and_the_saddle():
    bowl = get_surface("bowl")
    _, _, Z = bowl.grid(50)
    levels = contour_levels(bowl, Z, 10)
    assert np.allclose(np.diff(np.sqrt(levels)), np.sqrt(levels[0]))  # evenly spaced in √f
    saddle = get_surface("saddle")
    _, _, Z = saddle.grid(50)
    levels = contour_levels(saddle, Z, 9)
    assert np.allclose(np.diff(levels), np.diff(levels)[0]) and levels.min() < 0 < levels.max()
    with pytest.raises(ValueError):
        contour_levels(bowl, Z, 1)


def test_plot_contours_fixes_the_limits_and_paths_are_clipped():
    s = get_surface("ravine")
    fig, ax = plt.subplots()
    try:
        plot_contours(ax, s)
        path = np.array([[-4.5, 1.5], [0.0, 1e30], [np.inf, 0.0], [1.0, 1.0]])
        shown = display_path(path, s.bounds)
        assert np.all(np.abs(shown[:2]) < 1e4) and np.all(np.isnan(shown[2]))
        plot_surface_path(s, path, ax=ax, title="t")
        assert ax.get_xlim() == s.bounds[:2] and ax.get_ylim() == s.bounds[2:]
        curve, iterates = plot_quadratic_1d(plt.figure().gca(), 10.0, [1.5, -1.5, 1.5])
        assert np.allclose(iterates.get_data()[1], 11.25)
    finally:
        plt.close("all")


def test_reveal_threshold_false_hides_the_threshold_but_not_the_behaviour():
    """Lesson 03 asks the student to find 2/λ by playing: the view must not print it."""
    from backprop_lab.widgets.lr_explorer import LRExplorer

    shown = LRExplorer(surface="quadratic_1d", lr=0.25, steps=20)
    hidden = LRExplorer(surface="quadratic_1d", lr=0.25, steps=20, reveal_threshold=False)
    assert "2/λ" in shown.status_text + shown.ax_path.get_title()
    assert "2/λ" not in hidden.status_text and "0.20" not in hidden.status_text
    assert "2/λ" not in hidden.ax_path.get_title()
    assert "diverg" in hidden.status_text  # η = 0.25 > 2/10 still reported as diverging
