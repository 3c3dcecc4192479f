"""Momentum explorer: the theory (heavy-ball rate, Goh's optimum) checked against independent
calculations, the measured rate of a run against the predicted one, the exponentially weighted
average against its closed form, bad inputs, and both views driven headlessly."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _widget_helpers import line_data, png_pixels

from backprop_lab.explore import momentum as mx
from backprop_lab.explore.momentum import (
    BETA_MAX,
    ETA_MAX,
    ETA_MIN,
    KAPPA_MAX,
    STEPS_MAX,
    STEPS_MIN,
    compute_ema,
    compute_momentum_explorer,
    diverged_at,
    heavy_ball_rate,
    iteration_matrix,
    optimal_parameters,
    rate_grid,
)
from backprop_lab.widgets import momentum_explorer as mw
from backprop_lab.widgets.momentum_explorer import KAPPAS, EMAExplorer, MomentumExplorer


def spectral_radius(eta: float, beta: float, lam: float) -> float:
    """Largest |eigenvalue| of the 2×2 iteration matrix, by numpy's eigenvalue solver."""
    return float(np.max(np.abs(np.linalg.eigvals(iteration_matrix(eta, beta, lam)))))


def complex_roots(eta: float, beta: float, lam: float) -> bool:
    b = 1 + beta - eta * lam
    return b * b < 4 * beta


# ------------------------------------------------------------------------------------------------
# the theory


def test_iteration_matrix_propagates_the_error_of_one_eigen_direction():
    """(e_{t+1}, e_t) = M (e_t, e_{t−1}) reproduces heavy ball on the 1-D loss ½λw²."""
    eta, beta, lam = 0.07, 0.6, 3.0
    w, v = 1.3, 0.0
    ws = [w]
    for _ in range(30):
        v = beta * v + lam * w
        w = w - eta * v
        ws.append(w)
    M = iteration_matrix(eta, beta, lam)
    state = np.array([ws[1], ws[0]])
    for t in range(1, 30):
        state = M @ state
        assert state[0] == pytest.approx(ws[t + 1], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_rate_is_the_spectral_radius(seed):
    rng = np.random.default_rng(seed)
    etas = 10 ** rng.uniform(-3, 0.5, 40)
    betas = rng.uniform(0, 0.999, 40)
    lams = 10 ** rng.uniform(0, 2, 40)
    kinds = set()
    for eta, beta, lam in zip(etas, betas, lams, strict=True):
        assert float(heavy_ball_rate(eta, beta, (lam,))) == pytest.approx(
            spectral_radius(eta, beta, lam), rel=1e-9, abs=1e-12)
        kinds.add(complex_roots(eta, beta, lam))
    assert kinds == {True, False}  # both the real-root and the complex-root branch were tested


@pytest.mark.parametrize("eta, beta, lam, is_complex", [
    (0.01, 0.9, 1.0, True),     # b² < 4β: modulus √β
    (0.001, 0.9, 1.0, False),   # b = 1.899, b² = 3.606 > 3.6
    (0.05, 0.2, 1.0, False),
    (0.019, 0.0, 100.0, False),  # plain gradient descent: |1 − ηλ|
    (0.05, 0.5, 10.0, True),
])
def test_rate_against_explicit_matrix_powers(eta, beta, lam, is_complex):
    """Gelfand's formula ρ(M) = lim ‖Mᵏ‖^{1/k}, from k = 4000 explicit products (rescaled so
    they do not underflow). ‖Mᵏ‖ = C(k)·ρᵏ with C(k) between fixed bounds (a rotating phase, or
    a factor k near a double root), so ‖Mᵏ‖^{1/k} is within C^{1/4000}: 0.2 % for C up to 2000."""
    assert complex_roots(eta, beta, lam) == is_complex
    M = iteration_matrix(eta, beta, lam)
    P, log_norm, k = np.eye(2), 0.0, 4000
    for _ in range(k):
        P = M @ P
        s = np.linalg.norm(P, 2)
        P /= s
        log_norm += math.log(s)
    rho = math.exp(log_norm / k)
    assert float(heavy_ball_rate(eta, beta, (lam,))) == pytest.approx(rho, rel=2e-3)
    if is_complex:
        assert float(heavy_ball_rate(eta, beta, (lam,))) == pytest.approx(math.sqrt(beta))


def test_gradient_descent_is_the_case_beta_zero():
    lams = np.array([1.0, 100.0])
    for eta in (0.001, 0.0198, 0.02, 0.021):
        assert float(heavy_ball_rate(eta, 0.0, lams)) == pytest.approx(
            np.max(np.abs(1 - eta * lams)))


def test_rate_grid_matches_pointwise_rates():
    etas, betas = np.geomspace(1e-3, 1.0, 7), np.linspace(0, 0.95, 5)
    grid = rate_grid(50.0, etas, betas)
    assert grid.shape == (5, 7)
    for i, b in enumerate(betas):
        for j, e in enumerate(etas):
            assert grid[i, j] == pytest.approx(max(spectral_radius(e, b, 1.0),
                                                   spectral_radius(e, b, 50.0)))


@pytest.mark.parametrize("kappa", [4.0, 25.0, 100.0, 1000.0])
def test_goh_optimum_found_by_grid_search(kappa):
    """Search a fine (η, β) grid for the smallest spectral radius: it sits at Goh's (η*, β*)
    and equals (√κ − 1)/(√κ + 1) = √β*."""
    eta_opt, beta_opt, rate_opt = optimal_parameters(kappa)
    root = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert rate_opt == pytest.approx(root) and math.sqrt(beta_opt) == pytest.approx(root)
    etas = eta_opt * np.geomspace(0.5, 2.0, 801)
    betas = np.linspace(max(beta_opt - 0.3, 0.0), min(beta_opt + 0.3, 0.999), 801)
    grid = rate_grid(kappa, etas, betas)
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert etas[j] == pytest.approx(eta_opt, rel=0.01)  # grid step 0.17 % in η
    assert betas[i] == pytest.approx(beta_opt, abs=0.005)  # grid step < 0.00075 in β
    # the rate has a corner at the optimum: one grid step away costs ~0.2 % (κ = 4)
    assert grid[i, j] == pytest.approx(root, rel=5e-3)
    assert grid.min() >= root * (1 - 1e-9)  # nothing on the grid beats the optimum
    # at the optimum both λ_min = 1 and λ_max = κ sit on the real/complex boundary b² = 4β
    for lam in (1.0, kappa):
        b = 1 + beta_opt - eta_opt * lam
        assert b * b == pytest.approx(4 * beta_opt, rel=1e-9)
        assert spectral_radius(eta_opt, beta_opt, lam) == pytest.approx(root, rel=1e-6)


# ------------------------------------------------------------------------------------------------
# the run: measured against predicted


def test_path_is_the_heavy_ball_recursion():
    """The run equals z ← βz + ∇𝓛(w), w ← w − ηz on 𝓛 = ½(w₁² + κw₂²), computed by hand."""
    eta, beta, kappa = 0.012, 0.8, 50.0
    r = compute_momentum_explorer(eta, beta, kappa, steps=60)
    A = np.diag([1.0, kappa])
    w, z = np.array([-4.0, 2.0]), np.zeros(2)
    assert np.array_equal(r.path[0], w)
    for k in range(1, 61):
        z = beta * z + A @ w
        w = w - eta * z
        np.testing.assert_allclose(r.path[k], w, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r.errors, np.linalg.norm(r.path, axis=1), rtol=1e-15)


@pytest.mark.parametrize("eta, beta, kappa, is_complex", [
    (0.01, 0.0, 100.0, False),    # gradient descent, rate 1 − η = 0.99
    (0.019, 0.0, 100.0, False),   # both directions near |1 − ηλ| = 0.981 / 0.9
    (0.001, 0.9, 100.0, False),   # slow direction real roots
    (0.01, 0.9, 100.0, True),     # slow direction complex: rate √β
    (0.03, 0.95, 100.0, True),
    (0.0034, 0.88, 1000.0, False),
    (0.2, 0.5, 10.0, True),
])
def test_measured_rate_matches_prediction(eta, beta, kappa, is_complex):
    """Distinct roots: e_k = Σ c·ρᵏ·(phase factor); the envelope of a quarter of the tail (≥ 25
    steps) covers the phase, and over k2 − k1 ≈ 75 steps a leftover phase factor in [0.5, 1]
    moves the rate by at most 0.5^(1/75) ≈ 0.9 %: tolerance 1 %."""
    r = compute_momentum_explorer(eta, beta, kappa, steps=200)
    assert r.status == "converging"
    assert r.complex_roots == is_complex
    assert r.measured_rate == pytest.approx(r.predicted_rate, rel=0.01)
    assert ("complex roots" in r.message) == is_complex
    assert f"converging at rate {mx.fmt_rate(r.measured_rate)}" in r.message
    assert f"(predicted {mx.fmt_rate(r.predicted_rate)})" in r.message


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_measured_rate_at_the_optimum(kappa):
    """At (η*, β*) both directions have a double root: e_k ≈ (a + bk)·ρᵏ, so over the window
    [k1, k2] the measured rate exceeds ρ by at most the factor (k2/k1)^(1/(k2 − k1))."""
    eta_opt, beta_opt, rate_opt = optimal_parameters(kappa)
    r = compute_momentum_explorer(eta_opt, beta_opt, kappa, steps=300)
    k1, k2 = r.tail
    bound = (k2 / k1) ** (1.0 / (k2 - k1))
    assert r.predicted_rate == pytest.approx(rate_opt, rel=1e-6)
    assert rate_opt * 0.999 <= r.measured_rate <= rate_opt * bound * 1.002
    assert r.eta_opt == eta_opt and r.beta_opt == beta_opt and r.rate_opt == rate_opt


def test_momentum_beats_gradient_descent_at_kappa_100():
    gd = compute_momentum_explorer(2.0 / 101.0, 0.0, 100.0)
    eta_opt, beta_opt, _ = optimal_parameters(100.0)
    hb = compute_momentum_explorer(eta_opt, beta_opt, 100.0)
    assert gd.measured_rate == pytest.approx(99 / 101, rel=0.005)
    assert hb.measured_rate < 0.83 < gd.measured_rate


def test_divergence():
    # η above 2(1 + β)/λ_max: the fast direction grows
    r = compute_momentum_explorer(0.025, 0.0, 100.0)
    assert r.predicted_rate == pytest.approx(1.5)
    assert r.status == "diverged" and r.diverged_at is not None
    assert r.message.startswith(f"diverged at step {r.diverged_at} ")
    assert len(r.path) == len(r.errors) == r.diverged_at + 1
    # stopped by one of the two blow-up rules: the error's (diverged_at) or run_optimizer's
    # (the loss above 1e6 × (1 + its start))
    x, y = r.path[-1]
    loss, loss0 = 0.5 * (x * x + 100.0 * y * y), 0.5 * (16.0 + 100.0 * 4.0)
    assert r.errors[-1] > mx.DIVERGENCE_FACTOR * r.errors[0] or loss > 1e6 * (1 + loss0)
    assert np.all(r.errors[:-1] <= mx.DIVERGENCE_FACTOR * r.errors[0])
    assert r.measured_rate is None
    # just below the edge 2(1 + β)/κ = 0.038 for β = 0.9: no divergence
    assert compute_momentum_explorer(0.0375, 0.9, 100.0, steps=400).status != "diverged"
    assert compute_momentum_explorer(0.0385, 0.9, 100.0, steps=400).status == "diverged"


def test_diverged_at_rule():
    assert diverged_at(np.array([1.0, 0.5, 0.2])) is None
    assert diverged_at(np.array([1.0, 10.0, 999.0, 1001.0, 5.0])) == 3
    assert diverged_at(np.array([2.0, np.nan, 1.0])) == 1
    assert diverged_at(np.array([2.0, 1.0, np.inf])) == 2
    assert diverged_at(np.array([1.0, 3.0]), factor=2.0) == 1


def test_oscillating_and_converged_statuses():
    r = compute_momentum_explorer(0.001, 0.999, 100.0)
    assert r.status == "oscillating" and r.message.startswith("oscillating")
    assert r.predicted_rate == pytest.approx(math.sqrt(0.999))
    # gradient descent at η = 2/λ_max: the fast direction flips sign with constant size
    r = compute_momentum_explorer(0.02, 0.0, 100.0)
    assert r.predicted_rate == pytest.approx(1.0) and r.status == "oscillating"
    # κ = 1, η = 1, β = 0: one step lands on the optimum exactly
    r = compute_momentum_explorer(1.0, 0.0, 1.0)
    assert r.status == "converged" and r.measured_rate is None
    assert r.errors[1] == 0.0 and "reached 0 at step 1" in r.message


def test_diverging_but_not_blown_up():
    # η 0.1 % above the edge 2(1 + β)/κ: the fast direction grows slowly, and 100 steps do not
    # reach the blow-up limits
    eta = 2 * (1 + 0.5) / 100.0 * 1.001
    r = compute_momentum_explorer(eta, 0.5, 100.0, steps=100)
    assert 1.0 < r.predicted_rate < 1.01
    assert r.status == "diverging" and r.message.startswith("diverging")


# ------------------------------------------------------------------------------------------------
# bad inputs: clamped and reported


@pytest.mark.parametrize("bad, used", [("fast", 0.01), (math.nan, 0.01), (None, 0.01),
                                       (-1.0, ETA_MIN), (0.0, ETA_MIN), (1e3, ETA_MAX),
                                       (True, 0.01)])
def test_bad_eta(bad, used):
    r = compute_momentum_explorer(bad, 0.5, 10.0)
    assert r.eta == used and r.notes and "η" in r.message


@pytest.mark.parametrize("bad, used", [(1.0, BETA_MAX), (1.5, BETA_MAX), (-0.1, 0.0),
                                       ("x", 0.9)])
def test_bad_beta(bad, used):
    r = compute_momentum_explorer(0.01, bad, 10.0)
    assert r.beta == used and "β" in r.notes[0]


def test_bad_kappa_and_steps():
    assert compute_momentum_explorer(0.01, 0.0, 0.5).kappa == 1.0
    r = compute_momentum_explorer(0.001, 0.0, 1e9)
    assert r.kappa == KAPPA_MAX and "κ = 1e+09 above 1000" in r.message
    r = compute_momentum_explorer(0.01, 0.0, 10.0, steps=3)
    assert r.steps == STEPS_MIN and len(r.errors) == STEPS_MIN + 1 and "steps" in r.message
    assert compute_momentum_explorer(0.01, 0.0, 10.0, steps=10**6).steps == STEPS_MAX
    assert compute_momentum_explorer(0.01, 0.0, 10.0, steps="many").steps == 200
    assert compute_momentum_explorer(0.01, 0.0, 10.0).notes == ()


def test_compute_is_deterministic():
    a = compute_momentum_explorer(0.02, 0.7, 200.0)
    b = compute_momentum_explorer(0.02, 0.7, 200.0)
    assert np.array_equal(a.path, b.path) and a.message == b.message


# ------------------------------------------------------------------------------------------------
# the exponentially weighted average


def test_ema_without_noise_shows_the_bias_exactly():
    for beta in (0.5, 0.9, 0.99):
        r = compute_ema(beta, steps=40, signal=2.0, noise=0.0)
        t = np.arange(1, 41)
        np.testing.assert_allclose(r.average, 2.0 * (1 - beta ** t), rtol=1e-12)
        np.testing.assert_allclose(r.corrected, 2.0, rtol=1e-12)


def test_ema_is_the_weighted_sum_of_the_samples():
    beta = 0.8
    r = compute_ema(beta, steps=30, seed=3)
    x = r.samples
    for t in (1, 2, 10, 30):
        weights = (1 - beta) * beta ** np.arange(t - 1, -1, -1)  # for x_1 … x_t
        assert r.average[t - 1] == pytest.approx(weights @ x[:t], rel=1e-12)
        assert r.corrected[t - 1] == pytest.approx(weights @ x[:t] / weights.sum(), rel=1e-12)
    assert r.average[0] == pytest.approx(0.2 * x[0])  # starts near 0, the corrected one at x_1
    assert r.corrected[0] == pytest.approx(x[0])


def test_ema_seeded_and_clamped():
    a, b = compute_ema(0.9, seed=1), compute_ema(0.9, seed=1)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, compute_ema(0.9, seed=2).samples)
    assert np.array_equal(compute_ema(0.0).average, compute_ema(0.0).samples)
    r = compute_ema(1.2)
    assert r.beta == BETA_MAX and "β" in r.message
    assert "starts near 0" in compute_ema(0.9).message


# ------------------------------------------------------------------------------------------------
# the views


@pytest.fixture
def explorer():
    ex = MomentumExplorer(eta=0.01, beta=0.0, kappa=100)
    yield ex
    plt.close(ex.fig)


def test_beta_slider_recomputes_and_moves_artists(explorer):
    before = line_data(explorer.path_line)
    status = explorer.status_text
    png = explorer.view.widget.value
    refreshes, full = explorer.view.refresh_count, explorer.view.full_redraws
    explorer.beta.value = 0.8
    r = explorer.result
    assert r.beta == pytest.approx(0.8) and r.eta == pytest.approx(0.01)
    x, y = line_data(explorer.path_line)
    assert np.array_equal(np.column_stack([x, y]), r.path)
    assert not np.array_equal(x, before[0])
    _, err = line_data(explorer.error_line)
    np.testing.assert_allclose(err, r.errors / r.errors[0])
    assert explorer.status_text != status and r.message in explorer.status_text
    assert explorer.status_text in explorer.status_box.value
    assert explorer.current_marker.get_data()[1][0] == pytest.approx(0.8)
    assert explorer.view.refresh_count == refreshes + 1
    assert explorer.view.full_redraws == full  # blitted: no full render for a slider change
    assert explorer.view.widget.value != png


def test_rate_lines_have_the_predicted_and_measured_slopes(explorer):
    explorer.beta.value = 0.9
    r = explorer.result
    k, pred = line_data(explorer.predicted_line)
    slope = (pred[150] / pred[120]) ** (1 / (k[150] - k[120]))
    assert slope == pytest.approx(r.predicted_rate, rel=1e-9)
    k, meas = line_data(explorer.measured_line)
    assert (k[0], k[-1]) == r.tail
    assert (meas[-1] / meas[0]) ** (1 / (k[-1] - k[0])) == pytest.approx(r.measured_rate)


def test_kappa_change_updates_contours_heatmap_and_optimum(explorer):
    heat = np.ma.getdata(explorer.heat_image.get_array()).copy()
    full = explorer.view.full_redraws
    explorer.kappa.value = 1000
    eta_opt, beta_opt, _ = optimal_parameters(1000.0)
    assert explorer.result.kappa == 1000.0
    ox, oy = explorer.opt_marker.get_data()
    assert ox[0] == pytest.approx(math.log10(eta_opt)) and oy[0] == pytest.approx(beta_opt)
    assert not np.array_equal(np.ma.getdata(explorer.heat_image.get_array()), heat)
    x, y = line_data(explorer.contour_lines[2])
    assert np.max(np.abs(x)) / np.max(np.abs(y)) == pytest.approx(math.sqrt(1000.0), rel=1e-3)
    assert explorer.view.full_redraws == full  # κ-dependent artists are animated too
    assert "κ = 1000" in explorer.status_text
    assert f"{(math.sqrt(1000) - 1) / (math.sqrt(1000) + 1):.3f}" in explorer.status_text


def test_heatmap_marks_divergence_as_missing(explorer):
    rates = explorer.heat_image.get_array()
    assert np.ma.isMaskedArray(rates) and rates.mask.any() and (~rates.mask).any()
    assert np.all(rates.compressed() < 1.0)


def test_divergence_in_the_view(explorer):
    explorer.eta.value = 0.025
    r = explorer.result
    assert r.status == "diverged"
    assert "diverged at step" in explorer.status_text
    assert "#d62728" in explorer.status_box.value  # shown in red
    assert explorer.diverge_line.get_visible()
    for line in (explorer.path_line, explorer.error_line, explorer.predicted_line):
        x, y = line_data(line)
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert explorer.ax_err.get_ylim() == pytest.approx(mw._ERROR_LIMITS)
    assert explorer.ax_path.get_xlim() == (-5.0, 5.0)
    explorer.eta.value = 0.01
    assert not explorer.diverge_line.get_visible()


def test_bad_values_are_clamped_not_raised(explorer):
    explorer.eta.value = 100.0  # the log slider clamps to its maximum
    assert explorer.result.eta == pytest.approx(ETA_MAX)
    explorer.beta.value = 2.0
    assert explorer.result.beta == pytest.approx(BETA_MAX)
    with pytest.raises(ValueError, match="kappa must be one of"):
        MomentumExplorer(kappa=7)


def test_errors_are_shown_in_the_status(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("something went wrong")

    monkeypatch.setattr(mw, "compute_momentum_explorer", broken)
    explorer.beta.value = 0.5
    assert explorer.result is None
    assert explorer.status_text == "cannot run: something went wrong"
    assert line_data(explorer.path_line)[0].size == 0
    monkeypatch.undo()
    explorer.beta.value = 0.6
    assert explorer.result is not None and explorer.result.message in explorer.status_text


def test_optimum_can_be_hidden_for_a_task():
    ex = MomentumExplorer(show_optimum=False)
    try:
        assert not ex.opt_marker.get_visible()
        assert "optimum" not in ex.ax_heat.get_title()
    finally:
        plt.close(ex.fig)


def assert_same_picture(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    differ = np.any(np.abs(a - b) > 40, axis=-1)
    assert differ.mean() < 0.01  # the same figure up to anti-aliasing at overlaps


def test_blit_draws_the_same_picture_as_a_full_render():
    blit = MomentumExplorer(eta=0.01, beta=0.5, kappa=100)
    full = MomentumExplorer(eta=0.01, beta=0.5, kappa=100, blit=False)
    try:
        for ex in (blit, full):
            ex.beta.value = 0.85
            ex.kappa.value = 200
            ex.eta.value = 0.005
        assert blit.view.blit and not full.view.blit
        assert blit.view.full_redraws == 1
        assert_same_picture(png_pixels(blit.view), png_pixels(full.view))
    finally:
        plt.close(blit.fig)
        plt.close(full.fig)


def test_ema_view():
    blit, full = EMAExplorer(beta=0.9), EMAExplorer(beta=0.9, blit=False)
    try:
        for ex in (blit, full):
            ex.beta.value = 0.97
        r = blit.result
        assert r.beta == pytest.approx(0.97)
        np.testing.assert_allclose(line_data(blit.average_line)[1], r.average)
        np.testing.assert_allclose(line_data(blit.corrected_line)[1], r.corrected)
        assert blit.status_text == r.message and r.message in blit.status_box.value
        assert blit.view.full_redraws == 1
        assert_same_picture(png_pixels(blit.view), png_pixels(full.view))
    finally:
        plt.close(blit.fig)
        plt.close(full.fig)


def test_widgets_display(explorer):
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    assert explorer.view.widget.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(explorer.kappa.options) == set(KAPPAS)


def test_compute_module_imports_no_plotting_or_widgets():
    import subprocess
    import sys

    code = ("import sys, backprop_lab.explore.momentum; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
