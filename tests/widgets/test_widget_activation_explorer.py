"""Activation explorer: the pure compute function and the headless view (Agg backend)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab.activations import leaky_relu, relu, sigmoid, tanh
from backprop_lab.widgets.activation_explorer import (
    LABELS,
    MEAN_RANGE,
    STD_RANGE,
    ActivationExplorer,
    explore_activation,
)

NAMES = list(LABELS)


def normal_tail(c: float, mean: float, std: float) -> float:
    """P(|z| > c) for z ~ N(mean, std²)."""
    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))

    return cdf(-c) + 1 - cdf(c)


# -- compute ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_curves_are_the_library_activation(name):
    r = explore_activation(name)
    fns = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu}
    np.testing.assert_allclose(r.f, fns[name](r.z))
    np.testing.assert_allclose(r.a_samples, fns[name](r.z_samples))
    # g′ on the grid agrees with central differences away from the kink
    h = 1e-6
    away = np.abs(r.z) > 1e-3
    fd = (fns[name](r.z + h) - fns[name](r.z - h)) / (2 * h)
    np.testing.assert_allclose(r.df[away], fd[away], atol=1e-8)


def test_samples_are_seeded_normals():
    r = explore_activation("tanh", mean=1.5, std=2.0, n_samples=5000, seed=7)
    expected = 1.5 + 2.0 * np.random.default_rng(7).standard_normal(5000)
    np.testing.assert_array_equal(r.z_samples, expected)


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.0, 4.0), (2.0, 3.0), (-1.0, 0.5)])
def test_sigmoid_saturation_matches_an_independent_count(mean, std):
    r = explore_activation("sigmoid", mean=mean, std=std, threshold=0.05, n_samples=50_000)
    # σ′(z) = s(1 − s) < 0.05 · 0.25  ⇔  |z| > c with s = (1 + √0.95)/2 at z = c
    s = (1 + math.sqrt(1 - 0.05)) / 2
    c = math.log(s / (1 - s))
    count = np.mean(np.abs(r.z_samples) > c)
    # a count over n samples divided by n: 1 rounding either side
    assert r.frac_saturated == pytest.approx(count, rel=2 * gamma(1), abs=0)
    # and the sample fraction is close to the normal distribution's probability
    assert r.frac_saturated == pytest.approx(normal_tail(c, mean, std), abs=0.01)
    # the grid mask marks exactly |z| > c
    np.testing.assert_array_equal(r.saturated, np.abs(r.z) > c)


def test_tanh_saturation_matches_an_independent_count():
    r = explore_activation("tanh", mean=0.0, std=2.0, threshold=0.1)
    c = math.atanh(math.sqrt(1 - 0.1))  # 1 − tanh² < 0.1 · 1
    assert r.frac_saturated == pytest.approx(np.mean(np.abs(r.z_samples) > c), rel=2 * gamma(1),
                                             abs=0)  # count / n: 1 rounding either side


def test_relu_dead_fraction_and_leaky_side():
    r = explore_activation("relu", mean=-1.0, std=1.0, n_samples=40_000)
    dead = np.mean(r.z_samples <= 0)
    # fractions are count / n: 1 rounding either side
    assert r.frac_zero_grad == pytest.approx(dead, rel=2 * gamma(1), abs=0)
    assert r.frac_saturated == pytest.approx(dead, rel=2 * gamma(1), abs=0)
    assert dead == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))), abs=0.01)  # P(z < 0)
    assert f"{100 * dead:.1f}% of ReLU units are dead" in r.status
    lk = explore_activation("leaky_relu", mean=-1.0, std=1.0, n_samples=40_000)
    assert lk.frac_zero_grad == 0.0  # leaky ReLU never has a zero gradient
    assert lk.frac_negative == pytest.approx(dead, rel=2 * gamma(1), abs=0)  # same seed → same units
    assert "never 0" in lk.status
    # with the default cut-off 0.05 the leaky side (g′ = 0.01) counts as saturated, at 0.005 not
    assert lk.frac_saturated == pytest.approx(dead, rel=2 * gamma(1), abs=0)
    assert explore_activation("leaky_relu", -1.0, 1.0, threshold=0.005).frac_saturated == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_histograms_account_for_every_unit(name):
    r = explore_activation(name, mean=0.3, std=2.0, n_samples=10_000)
    assert r.a_frac.sum() == pytest.approx(1.0)
    assert r.a_frac_saturated.sum() == pytest.approx(r.frac_saturated)
    assert np.all(r.a_frac_saturated <= r.a_frac + 1e-15)
    assert r.a_edges.shape == (r.a_frac.shape[0] + 1,)
    assert np.all(np.diff(r.a_edges) > 0)
    widths = np.diff(r.z_edges)
    inside = np.mean(np.abs(r.z_samples) <= r.z_edges[-1])
    assert np.sum(r.z_density * widths) == pytest.approx(inside)


def test_deterministic_for_a_seed_and_different_for_another():
    a = explore_activation("sigmoid", 0.5, 3.0, seed=3)
    b = explore_activation("sigmoid", 0.5, 3.0, seed=3)
    c = explore_activation("sigmoid", 0.5, 3.0, seed=4)
    np.testing.assert_array_equal(a.a_frac, b.a_frac)
    assert a.status == b.status and a.frac_saturated == b.frac_saturated
    assert not np.array_equal(a.z_samples, c.z_samples)


def test_invalid_values_are_clamped_and_reported():
    r = explore_activation("sigmoid", mean=100.0, std=-3.0, threshold=2.0, n_samples=5)
    assert r.mean == MEAN_RANGE[1] and r.std == STD_RANGE[0]
    assert r.threshold == 0.5 and r.z_samples.shape == (100,)
    assert len(r.messages) == 4
    assert "mean = 100 above 6; using 6" in r.status  # the one wording of validate's lenient checks
    nan = explore_activation("tanh", mean=float("nan"), std="wide")
    assert (nan.mean, nan.std) == (0.0, 1.0)
    assert "mean must be a number in [-6, 6] (got nan); using 0" in nan.status
    assert "std must be a number in [0.05, 6] (got 'wide'); using 1" in nan.status
    assert np.all(np.isfinite(nan.a_frac))
    ok = explore_activation("tanh", mean=1.0, std=2.0)
    assert ok.messages == () and "note:" not in ok.status


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*sigmoid"):
        explore_activation("swish")


def test_compute_is_fast():
    import time

    explore_activation("sigmoid")
    t = time.perf_counter()
    for _ in range(5):
        explore_activation("relu", 0.2, 2.0)
    assert (time.perf_counter() - t) / 5 < 0.05


# -- view -------------------------------------------------------------------------------------


def test_view_updates_artists_and_status_in_place():
    ex = ActivationExplorer()
    fig = ex.view.fig
    n_artists = len(fig.axes[0].get_children()) + len(fig.axes[1].get_children())
    f0 = ex.plot.f_line.get_ydata().copy()
    hist0 = ex.plot.all_patch.get_data().values.copy()
    status0, refreshes0 = ex.status, ex.view.refresh_count
    png0 = ex.view.widget.value

    ex.activation.value = "relu"
    assert ex.result.name == "relu"
    np.testing.assert_allclose(ex.plot.f_line.get_ydata(), np.maximum(ex.result.z, 0))
    assert not np.array_equal(ex.plot.f_line.get_ydata(), f0)
    assert ex.status != status0 and "dead" in ex.status
    assert ex.view.refresh_count == refreshes0 + 1
    assert ex.view.widget.value != png0  # the PNG shown was redrawn

    ex.mean.value = -2.0
    np.testing.assert_allclose(ex.plot.all_patch.get_data().values, ex.result.a_frac)
    assert not np.array_equal(ex.plot.all_patch.get_data().values, hist0)
    assert ex.result.mean == -2.0 and ex.status.startswith(f"{100 * ex.result.frac_saturated:.1f}%")
    ex.std.value = 3.0
    ex.threshold.value = 0.2
    assert (ex.result.std, ex.result.threshold) == (3.0, 0.2)
    np.testing.assert_allclose(ex.plot.sat_hist.get_data().values, ex.result.a_frac_saturated)
    # same artists, same figure: nothing was rebuilt
    assert ex.view.fig is fig and len(fig.axes) == 2
    assert len(fig.axes[0].get_children()) + len(fig.axes[1].get_children()) == n_artists
    assert ex.view.refresh_count == refreshes0 + 4


def test_view_clamps_out_of_range_slider_values_and_reports_bad_settings():
    ex = ActivationExplorer(name="tanh")
    ex.mean.value = 50.0  # the slider clamps to its max
    assert ex.mean.value == MEAN_RANGE[1] and ex.result.mean == MEAN_RANGE[1]
    ex.std.value = 0.0
    assert ex.result.std == STD_RANGE[0]
    assert "Traceback" not in ex.status
    # a setting the compute function rejects becomes a message, not an exception
    ex.n_samples = "many"
    ex.std.value = 1.0
    assert ex.result.messages and "(got 'many')" in ex.status


def test_view_shows_a_message_instead_of_raising(monkeypatch):
    import backprop_lab.widgets.activation_explorer as mod

    ex = ActivationExplorer()
    before = ex.result

    def broken(*args, **kwargs):
        raise ValueError("no such setting")

    monkeypatch.setattr(mod, "explore_activation", broken)
    ex.mean.value = 1.0  # must not raise
    assert ex.status == "cannot compute: no such setting"
    assert ex.result is before


def test_view_is_deterministic():
    a, b = ActivationExplorer(seed=1), ActivationExplorer(seed=1)
    for ex in (a, b):
        ex.activation.value = "leaky_relu"
        ex.mean.value = -0.5
    assert a.status == b.status
    np.testing.assert_array_equal(a.plot.all_patch.get_data().values,
                                  b.plot.all_patch.get_data().values)


def full_render_of(view) -> np.ndarray:
    """The whole figure rendered with savefig, nothing marked animated — what the view showed
    before blitting (savefig leaves out figure-level animated artists, so they are unmarked)."""
    from test_widget_base import full_render

    for artist in view.animated:
        artist.set_animated(False)
    try:
        return full_render(view.fig)
    finally:
        for artist in view.animated:
            artist.set_animated(True)


def test_view_blits_and_matches_a_full_render():
    from test_widget_base import assert_same_picture, pixels

    ex = ActivationExplorer()
    assert ex.view.blit and ex.plot.f_line.get_animated() and ex.plot.ax_a.title.get_animated()
    full = ex.view.full_redraws
    ex.threshold.value = 0.2  # the histogram axes keep their limits: only animated artists drawn
    assert (ex.view.full_redraws, ex.view.partial_redraws) == (full, 0)
    assert_same_picture(pixels(ex.view.widget.value), full_render_of(ex.view))
    ex.mean.value = 1.5  # the histogram's y-limit moves: that axes alone is re-rendered
    assert ex.view.full_redraws == full and ex.view.partial_redraws == 1
    top = ex.plot.ax_a.get_ylim()[1]  # a stepped limit, still with room for the legend
    assert 1.3 * ex.result.a_frac.max() <= top <= 1.3 * 1.25 * ex.result.a_frac.max()
    assert_same_picture(pixels(ex.view.widget.value), full_render_of(ex.view))
    ex.activation.value = "relu"  # the curves' axes get new limits: everything
    assert ex.view.full_redraws == full + 1
    assert_same_picture(pixels(ex.view.widget.value), full_render_of(ex.view))
    for value in (-1.0, 2.5):
        ex.mean.value = value
        assert_same_picture(pixels(ex.view.widget.value), full_render_of(ex.view))


def test_mean_slider_back_and_forth_restores_cached_renderings():
    """Back to a mean shown before: the view restores its rendering from the cache instead of
    re-rendering the histogram axes, and the picture is still the full render's."""
    from test_widget_base import assert_same_picture, full_render, pixels

    ex = ActivationExplorer(name="sigmoid", mean=0.0, std=1.0)
    means = [0.5, 1.0, 1.5, 2.0, 2.5]
    for m in means:
        limits = ex.plot.ax_a.get_ylim()
        ex.mean.value = m
        assert ex.plot.ax_a.get_ylim() != limits  # else the test would not test the cache
    drawn = ex.view.full_redraws + ex.view.partial_redraws
    cached = ex.view.cached_redraws
    for m in reversed(means[:-1]):
        ex.mean.value = m
        animated = ex.view.animated
        for a in animated:
            a.set_animated(False)
        try:
            want = full_render(ex.view.fig)
        finally:
            for a in animated:
                a.set_animated(True)
        assert_same_picture(pixels(ex.view.widget.value), want)
    # each of these means moves the histogram's y-limit (drawn on the way up), so each one on
    # the way back is a cache hit and nothing is rendered again
    assert ex.view.full_redraws + ex.view.partial_redraws == drawn
    assert ex.view.cached_redraws == cached + len(means) - 1
