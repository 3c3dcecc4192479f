"""Gradient-flow widget (lesson 09): the pure compute function and the headless view (Agg)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from backprop_lab.layers import BatchNorm, Linear, Sigmoid
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import Sequential
from backprop_lab.widgets.gradient_flow import (
    ACTIVATIONS,
    DEPTH_RANGE,
    INITS,
    FlowStats,
    GradientFlowExplorer,
    build_network,
    compute_gradient_flow,
    flow_statistics,
    hidden_values,
)

ARRAYS = ("z_mean", "z_std", "a_mean", "a_std", "saturated", "delta_std", "grad_norm")

# -- compute ---------------------------------------------------------------------------------


def test_deterministic_for_a_seed_and_different_for_another():
    a = compute_gradient_flow(8, 64, "tanh", "xavier", True, seed=3)
    b = compute_gradient_flow(8, 64, "tanh", "xavier", True, seed=3)
    c = compute_gradient_flow(8, 64, "tanh", "xavier", True, seed=4)
    for k in ARRAYS:
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert a.status == b.status and a.loss == b.loss
    assert not np.array_equal(a.grad_norm, c.grad_norm)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("init", list(INITS))
def test_shapes_and_config_for_every_setting(activation, init):
    s = compute_gradient_flow(5, 32, activation, init, False, seed=0)
    assert isinstance(s, FlowStats)
    assert (s.depth, s.width, s.activation, s.init) == (5, 32, activation, init)
    for k in ARRAYS:
        assert getattr(s, k).shape == (5,)
    np.testing.assert_array_equal(s.layers, np.arange(1, 6))
    assert s.status


def test_sigmoid_standard_init_gradient_vanishes_towards_the_input():
    s = compute_gradient_flow(10, 128, "sigmoid", "standard", False, seed=0)
    g = s.grad_norm
    assert g[0] < 1e-4 * g[-1]                      # first layer's ≪ last layer's
    assert np.all(np.diff(np.log(g)) > 0)           # and it shrinks at every layer going down
    assert "layer 1 / layer 10 = " in s.status


def test_tanh_xavier_keeps_the_activation_spread_within_a_factor_two():
    s = compute_gradient_flow(5, 128, "tanh", "xavier", False, seed=0)
    assert s.a_std.max() / s.a_std.min() < 2.0
    # while the "standard" U[±1/√n] init makes it shrink by a large factor over the same depth
    t = compute_gradient_flow(5, 128, "tanh", "standard", False, seed=0)
    assert t.a_std[0] / t.a_std[-1] > 8
    assert np.all(np.diff(t.a_std) < 0)


def test_batchnorm_makes_the_pre_activations_standardised():
    for act, init in [("sigmoid", "standard"), ("tanh", "small"), ("relu", "large")]:
        s = compute_gradient_flow(12, 64, act, init, True, seed=1)
        # ≈ 1: ε = 1e-5 in √(σ² + ε) shaves a little off when σ² is tiny (small init)
        np.testing.assert_allclose(s.z_std, 1.0, atol=5e-3)
        np.testing.assert_allclose(s.z_mean, 0.0, atol=1e-8)
        assert s.batchnorm


def test_relu_he_keeps_the_spread_while_standard_shrinks_it():
    he = compute_gradient_flow(20, 128, "relu", "he", False, seed=0)
    std = compute_gradient_flow(20, 128, "relu", "standard", False, seed=0)
    assert 0.25 < he.a_std[-1] / he.a_std[0] < 4
    assert std.a_std[-1] / std.a_std[0] < 1e-3
    assert 0.4 < he.saturated.mean() < 0.6        # ReLU: about half the units have z ≤ 0


def test_zero_init_gives_no_hidden_gradient():
    s = compute_gradient_flow(4, 16, "sigmoid", "zeros", False, seed=0)
    np.testing.assert_array_equal(s.grad_norm, 0.0)
    np.testing.assert_array_equal(s.a_std, 0.0)
    assert "no gradient reaches any hidden layer" in s.status


def test_large_init_explodes_and_non_finite_results_are_reported():
    s = compute_gradient_flow(10, 128, "tanh", "large", False, seed=0)
    assert s.grad_norm[0] > 1e3 * s.grad_norm[-1]  # exploding towards the input
    assert s.saturated.mean() > 0.8
    deep = compute_gradient_flow(50, 256, "relu", "large", False, seed=0)
    assert deep.finite  # 1e52 is still a float64
    # a truly overflowing network is reported as "diverged", not plotted
    rng = np.random.default_rng(0)
    net = build_network(3, 8, "relu", "he", False, rng)
    net.layers[0].W[...] = 1e300
    r = flow_statistics(net, rng.standard_normal((16, 8)), rng.integers(0, 10, 16))
    assert not r.finite


def test_inputs_are_clamped_and_bad_names_raise():
    s = compute_gradient_flow(500, 1, "relu", "he", False)
    assert s.depth == DEPTH_RANGE[1] and s.width == 2
    assert "note: depth = 500 above 50; using 50" in s.status
    assert "note: width = 1 below 2; using 2" in s.status
    with pytest.raises(ValueError, match="unknown activation"):
        compute_gradient_flow(activation="softplus")
    with pytest.raises(ValueError, match="unknown init"):
        compute_gradient_flow(init="orthogonal")


def test_statistics_match_a_direct_computation():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(6, 5, rng=rng, init="standard"), BatchNorm(5), Sigmoid(),
                     Linear(5, 4, rng=rng, init="standard"), Sigmoid(), Linear(4, 3, rng=rng))
    X, y = rng.standard_normal((20, 6)), rng.integers(0, 3, 20)
    hv = hidden_values(net, X, y)
    s = flow_statistics(net, X, y)
    # forward by hand
    Z1 = X @ net[0].W.T + net[0].b
    Z1 = (Z1 - Z1.mean(0)) / np.sqrt(Z1.var(0) + net[1].eps)
    A1 = 1 / (1 + np.exp(-Z1))
    Z2 = A1 @ net[3].W.T + net[3].b
    A2 = 1 / (1 + np.exp(-Z2))
    np.testing.assert_allclose(hv.Z[0], Z1)
    np.testing.assert_allclose(hv.A[1], A2)
    assert s.a_std[1] == pytest.approx(A2.std())
    # backward by hand: δ⁽²⁾ = (Δ_out W⁽³⁾) ⊙ σ′(z⁽²⁾), dW⁽²⁾ = δ⁽²⁾ᵀ A⁽¹⁾
    loss = SoftmaxCrossEntropy()
    loss.forward(A2 @ net[5].W.T + net[5].b, y)
    delta2 = (loss.backward() @ net[5].W) * A2 * (1 - A2)
    np.testing.assert_allclose(hv.delta[1], delta2)
    assert s.grad_norm[1] == pytest.approx(np.linalg.norm(delta2.T @ A1))
    assert s.delta_std[1] == pytest.approx(delta2.std())


def test_fast_enough_for_a_slider():
    # budget: < 100 ms for depth 20, width 128 (about 40 ms on one core); the bound is loose so a
    # busy machine does not fail the test — the lesson prints the measured time
    compute_gradient_flow(20, 128, "tanh", "xavier", True)  # warm up
    times = []
    for _ in range(5):
        t = time.perf_counter()
        compute_gradient_flow(20, 128, "tanh", "xavier", True)
        times.append(time.perf_counter() - t)
    assert min(times) < 0.25


# -- view --------------------------------------------------------------------------------------


def _artists(w: GradientFlowExplorer) -> tuple:
    p = w.plot
    return (p.std_line.get_ydata().copy(), p.grad_line.get_ydata().copy(),
            np.array([b.get_height() for b in p.bars]), p.title.get_text())


def test_view_updates_artists_in_place_when_controls_change():
    w = GradientFlowExplorer(depth=6, width=32)
    lines, bars = (w.plot.std_line, w.plot.grad_line), w.plot.bars
    before = _artists(w)
    refreshes = w.view.refresh_count
    w.activation.value = "tanh"
    after = _artists(w)
    assert not np.allclose(before[0], after[0])
    assert "tanh" in after[3]
    w.depth.value = 9
    assert len(w.plot.std_line.get_xdata()) == 9
    assert sum(b.get_visible() for b in w.plot.bars) == 9
    w.init.value = "large"
    assert w.plot.bars[0].get_height() > 50           # saturated tanh units
    w.batchnorm.value = True
    np.testing.assert_allclose(w.result.z_std, 1.0, atol=1e-3)
    assert (w.plot.std_line, w.plot.grad_line) == lines and w.plot.bars is bars  # same artists
    assert w.view.refresh_count == refreshes + 4
    ref = compute_gradient_flow(9, 32, "tanh", "large", True, seed=0)
    np.testing.assert_array_equal(w.result.grad_norm, ref.grad_norm)
    assert w.status == ref.status


def test_view_zero_init_and_messages_instead_of_tracebacks():
    w = GradientFlowExplorer(depth=4, width=16, init="zeros")
    assert "no gradient" in w.status
    assert "all exactly 0" in w.plot.message.get_text()
    w.init.value = "he"
    assert w.plot.message.get_text() == ""
    w.activation.options = [*w.activation.options, ("softplus", "softplus")]
    w.activation.value = "softplus"                    # not supported by compute
    assert w.status.startswith("cannot compute: unknown activation")


def full_render_of(view) -> np.ndarray:
    """The whole figure rendered with savefig, nothing marked animated — what the view showed
    before blitting (savefig leaves out figure-level animated artists such as the suptitle)."""
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

    w = GradientFlowExplorer(depth=6, width=32)
    assert w.view.blit and w.plot.bars[0].get_animated() and w.plot.title.get_animated()
    full = w.view.full_redraws
    w.width.value = 64  # the saturation axes keep their limits: not re-rendered
    assert w.view.full_redraws == full and w.view.partial_redraws <= 1
    lo, hi = w.plot.ax_grad.get_ylim()  # stepped to whole decades around the data
    g = w.result.grad_norm
    assert lo <= g.min() / 3 and hi >= g.max() * 3 and np.log10([lo, hi]) == pytest.approx(
        np.round(np.log10([lo, hi])))
    assert w.plot.ax_std.get_ylim()[1] >= 1.15 * w.result.z_std.max()
    assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))
    w.init.value = "zeros"  # the "no gradient" message
    assert w.view.full_redraws == full
    assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))
    w.init.value = "large"  # diverged
    w.activation.value = "tanh"
    assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))
    w.depth.value = 12  # every axes' x-limits move: everything
    assert w.view.full_redraws == full + 1
    assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))


def test_depth_slider_back_and_forth_restores_cached_renderings():
    """Going back to a depth shown before restores its rendering from the view's cache (no full
    draw), and the picture is still the full render's."""
    from test_widget_base import assert_same_picture, pixels

    w = GradientFlowExplorer(depth=6, width=32)
    for depth in (7, 8, 9):
        w.depth.value = depth
    full, cached = w.view.full_redraws, w.view.cached_redraws
    for depth in (8, 7, 6):
        w.depth.value = depth
        assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))
    assert (w.view.full_redraws, w.view.cached_redraws) == (full, cached + 3)
    w.depth.value = 13  # never shown: drawn
    assert w.view.full_redraws == full + 1
    assert_same_picture(pixels(w.view.widget.value), full_render_of(w.view))
