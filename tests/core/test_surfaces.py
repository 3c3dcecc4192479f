"""Tests for backprop_lab.surfaces: analytic derivatives, minima, the runner and its statuses."""

from __future__ import annotations

import math
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab.parameter import Parameter
from backprop_lab.surfaces import (
    STATUSES,
    SURFACES,
    Surface,
    Trajectory,
    classify,
    get_surface,
    quadratic,
    run_optimizer,
)

NAMES = ["bowl", "ravine", "rosenbrock", "beale", "saddle", "himmelblau"]
EXTRA = {
    "quadratic_k100": quadratic((1.0, 100.0)),
    "quadratic_rotated": quadratic((0.5, 20.0), angle=0.7),
}
ALL = {**SURFACES, **EXTRA}


class PlainGD:
    """Tiny gradient descent (optionally with heavy-ball momentum) for factory-path tests."""

    def __init__(self, params: list[Parameter], lr: float, beta: float = 0.0) -> None:
        self.params = params
        self.lr = lr
        self.beta = beta
        self.velocity = [np.zeros_like(p.value) for p in params]

    def step(self) -> None:
        for p, v in zip(self.params, self.velocity, strict=True):
            v *= self.beta
            v += p.grad
            w = p.value
            w -= self.lr * v


def gd(lr: float, beta: float = 0.0):
    return lambda params: PlainGD(params, lr, beta)


def random_points(surface: Surface, n: int, seed: int) -> np.ndarray:
    xmin, xmax, ymin, ymax = surface.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1): relative, with a floor near zero gradients."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1.0))


def central_diff(fun, xy: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of ``fun`` (scalar or vector valued) along x and y, stacked as columns."""
    cols = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h * max(1.0, abs(xy[i]))
        cols.append((np.asarray(fun(xy + e)) - np.asarray(fun(xy - e))) / (2 * e[i]))
    return np.stack(cols, axis=-1)


# ------------------------------------------------------------------------------------------------
# the surfaces


def test_named_surfaces_exist():
    assert list(SURFACES) == NAMES
    for name in NAMES:
        assert get_surface(name) is SURFACES[name]
        assert SURFACES[name].name == name
        assert SURFACES[name].description


def test_get_surface_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="unknown surface 'rosenbrok'") as info:
        get_surface("rosenbrok")
    for name in NAMES:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="valid names"):
        get_surface(3)  # type: ignore[arg-type]


def test_surface_is_frozen():
    with pytest.raises(AttributeError):
        SURFACES["bowl"].L = 3.0  # type: ignore[misc]


@pytest.mark.parametrize("name", list(ALL))
def test_gradient_matches_central_differences(name):
    s = ALL[name]
    for xy in random_points(s, 20, seed=1):
        numeric = central_diff(s.f, xy)
        assert rel_error(s.grad(xy), numeric) < 1e-7, (name, xy)


@pytest.mark.parametrize("name", list(ALL))
def test_hessian_matches_differences_of_gradient(name):
    s = ALL[name]
    assert s.hessian is not None
    for xy in random_points(s, 20, seed=2):
        H = s.hessian(xy)
        assert H.shape == (2, 2)
        assert H[0, 1] == H[1, 0]
        numeric = central_diff(s.grad, xy)
        assert rel_error(H, numeric) < 1e-7, (name, xy)


@pytest.mark.parametrize("name", list(ALL))
def test_grad_and_f_types(name):
    s = ALL[name]
    xy = np.array(s.start)
    assert isinstance(s.f(xy), float)
    assert isinstance(s.f(list(s.start)), float)
    g = s.grad(xy)
    assert isinstance(g, np.ndarray) and g.shape == (2,) and g.dtype == np.float64


@pytest.mark.parametrize("name", list(ALL))
def test_minima_have_zero_gradient_and_f_min(name):
    s = ALL[name]
    for m in s.minima:
        assert np.linalg.norm(s.grad(np.array(m))) < 1e-9, m
        # f at a minimum given to 16 digits: f − f_min is second order in the minimum's
        # rounding (≤ u·|m|), ‖H‖·(u·|m|)² ≈ 0, plus f's own ≤ 20 roundings relative to its terms
        # (the surfaces' terms are ≤ ~1e3 near their minima): ≤ 2·γ₂₀·1e3 ≈ 4.4e-12
        assert s.f(np.array(m)) == pytest.approx(s.f_min, abs=2 * gamma(20) * 1e3)
        assert np.all(np.linalg.eigvalsh(s.hessian(np.array(m))) > 0), "not a strict minimum"
    if name == "saddle":
        assert s.minima == () and s.f_min is None
        assert np.all(s.grad(np.zeros(2)) == 0)
        assert sorted(np.linalg.eigvalsh(s.hessian(np.zeros(2)))) == [-2.0, 2.0]
    else:
        assert s.f_min == 0.0


def test_known_minima():
    assert SURFACES["rosenbrock"].minima == ((1.0, 1.0),)
    assert SURFACES["beale"].minima == ((3.0, 0.5),)
    assert len(SURFACES["himmelblau"].minima) == 4
    assert len(set(SURFACES["himmelblau"].minima)) == 4


@pytest.mark.parametrize("name", list(ALL))
def test_bounds_contain_start_and_minima(name):
    s = ALL[name]
    xmin, xmax, ymin, ymax = s.bounds
    assert xmin < xmax and ymin < ymax
    for x, y in (s.start, *s.minima):
        assert xmin <= x <= xmax and ymin <= y <= ymax


@pytest.mark.parametrize("name", list(ALL))
def test_f_grid_matches_f(name):
    s = ALL[name]
    pts = random_points(s, 12, seed=3)
    X = pts[:, 0].reshape(3, 4)
    Y = pts[:, 1].reshape(3, 4)
    Z = s.f_grid(X, Y)
    assert Z.shape == (3, 4)
    expected = np.array([s.f(p) for p in pts]).reshape(3, 4)
    # the same formula on arrays vs on scalars: ≤ 20 roundings each, terms ≤ ~1e3 on the plots'
    # ranges, so ≤ 2·γ₂₀ relative and 2·γ₂₀·1e3 where the sum cancels
    np.testing.assert_allclose(Z, expected, rtol=2 * gamma(20), atol=2 * gamma(20) * 1e3)


def test_f_grid_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape.*\(2, 3\).*\(3, 2\)"):
        SURFACES["bowl"].f_grid(np.zeros((2, 3)), np.zeros((3, 2)))


def test_grid_spans_bounds():
    s = SURFACES["rosenbrock"]
    X, Y, Z = s.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    assert (X.min(), X.max(), Y.min(), Y.max()) == s.bounds
    with pytest.raises(ValueError, match="n must be"):
        s.grid(1)


def test_plotting_hints():
    assert SURFACES["rosenbrock"].log_contours and SURFACES["beale"].log_contours
    assert not SURFACES["bowl"].log_contours and not SURFACES["ravine"].log_contours


def test_quadratic_L_and_condition_number():
    assert SURFACES["bowl"].L == 1.0
    ravine = SURFACES["ravine"]
    eig = np.linalg.eigvalsh(ravine.hessian(np.zeros(2)))
    assert eig.max() / eig.min() == pytest.approx(25.0)
    assert ravine.L == pytest.approx(eig.max())
    for name in ("rosenbrock", "beale", "himmelblau"):
        assert SURFACES[name].L is None


@pytest.mark.parametrize("angle", [0.0, 0.3, -1.2, math.pi / 2])
def test_quadratic_factory(angle):
    q = quadratic((2.0, 50.0), angle=angle)
    H = q.hessian(np.array([0.3, -0.7]))
    # H = R diag(2, 50) Rᵀ: ≤ 8 roundings per entry, so ‖ΔH‖ ≤ 2·γ₈·50·2; a symmetric
    # eigensolver is backward stable (≤ a few·u·‖H‖) and eigenvalues move by ≤ ‖ΔH‖ (Weyl)
    dH = 2 * gamma(8 + 10) * 50 * 2
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [2.0, 50.0], rtol=0, atol=dH)
    # λ₁ belongs to the direction (cos angle, sin angle)
    u = np.array([math.cos(angle), math.sin(angle)])
    np.testing.assert_allclose(H @ u, 2.0 * u, atol=dH)
    assert q.L == 50.0
    assert q.minima == ((0.0, 0.0),) and q.f_min == 0.0
    xy = np.array([1.5, -2.0])
    # two evaluations of ½ xᵀHx, H positive definite (no cancellation): ≤ 2·γ₁₂ relative
    assert q.f(xy) == pytest.approx(0.5 * xy @ H @ xy, rel=2 * gamma(12))
    # the default start excites both eigen-directions
    start = np.array(q.start)
    assert abs(start @ u) > 1 and abs(start @ np.array([-u[1], u[0]])) > 1


def test_quadratic_axis_aligned_is_exactly_diagonal():
    H = quadratic((1.0, 100.0)).hessian(np.zeros(2))
    assert H[0, 1] == 0.0 and H[0, 0] == 1.0 and H[1, 1] == 100.0


@pytest.mark.parametrize(
    "eigenvalues", [(0.0, 1.0), (-1.0, 2.0), (1.0, math.inf), (1.0, math.nan), (1.0,), "ab", None]
)
def test_quadratic_bad_eigenvalues(eigenvalues):
    with pytest.raises(ValueError, match="eigenvalues"):
        quadratic(eigenvalues)


@pytest.mark.parametrize("angle", [math.nan, math.inf, "30", True])
def test_quadratic_bad_angle(angle):
    with pytest.raises(ValueError, match="angle"):
        quadratic((1.0, 2.0), angle=angle)


# ------------------------------------------------------------------------------------------------
# run_optimizer


def test_trajectory_shapes_and_start():
    tr = run_optimizer("bowl", gd(0.1), steps=25)
    assert isinstance(tr, Trajectory)
    assert tr.path.shape == (26, 2) and tr.losses.shape == (26,)
    np.testing.assert_array_equal(tr.path[0], SURFACES["bowl"].start)
    s = SURFACES["bowl"]
    np.testing.assert_allclose(tr.losses, [s.f(p) for p in tr.path])
    assert tr.diverged_at is None
    assert tr.status in STATUSES
    assert "Trajectory(steps=25" in repr(tr)


def test_one_step_is_the_gradient_descent_update():
    s = SURFACES["rosenbrock"]
    start = np.array([-0.5, 0.7])
    tr = run_optimizer(s, gd(1e-3), start=start, steps=1)
    # w − η·g: 2 roundings either side, no cancellation here (|η g| ≪ |w|)
    np.testing.assert_allclose(tr.path[1], start - 1e-3 * s.grad(start), rtol=2 * gamma(2))


def test_zero_steps():
    tr = run_optimizer("beale", gd(0.01), steps=0)
    assert tr.path.shape == (1, 2) and tr.losses.shape == (1,)


def test_gradient_descent_converges_on_bowl():
    tr = run_optimizer("bowl", gd(0.5), steps=100)
    assert tr.status == "converged"
    assert np.linalg.norm(tr.path[-1]) < 1e-8
    assert np.all(np.diff(tr.losses) <= 0)


@pytest.mark.parametrize(
    "surface", [SURFACES["ravine"], quadratic((1.0, 100.0)), quadratic((0.3, 40.0), angle=0.9)]
)
def test_learning_rate_threshold_two_over_L(surface):
    threshold = 2.0 / surface.L
    below = run_optimizer(surface, gd(0.99 * threshold), steps=2000)
    assert below.status == "converged", below
    assert below.diverged_at is None
    above = run_optimizer(surface, gd(1.01 * threshold), steps=2000)
    assert above.status == "diverged", above
    assert above.diverged_at is not None
    assert above.path.shape == (above.diverged_at + 1, 2)
    assert above.losses.shape == (above.diverged_at + 1,)
    assert above.losses[-1] > 1e6 * (1 + above.losses[0])
    assert np.all(above.losses[:-1] <= 1e6 * (1 + above.losses[0]))


def test_growing_loss_is_diverged_before_it_blows_up():
    q = quadratic((1.0, 100.0))
    tr = run_optimizer(q, gd(1.01 * 2 / q.L), steps=100)
    assert tr.diverged_at is None
    assert tr.losses[-1] < 1e6 * (1 + tr.losses[0])
    assert tr.status == "diverged"


def test_far_too_large_learning_rate_stops_immediately():
    tr = run_optimizer("rosenbrock", gd(1.0), steps=1000)
    assert tr.status == "diverged"
    assert tr.diverged_at == 1
    assert len(tr.path) == 2


def test_non_finite_point_is_diverged():
    class Broken:
        def __init__(self, params):
            self.params = params

        def step(self):
            self.params[0].value[:] = np.nan

    tr = run_optimizer("bowl", Broken, steps=10)
    assert tr.status == "diverged" and tr.diverged_at == 1
    assert np.isnan(tr.losses[-1])


def test_user_surface_with_minus_infinity_loss_is_diverged():
    def f(xy):
        return -math.inf if xy[0] > 1.0 else -float(xy[0])

    cliff = Surface(
        name="cliff",
        f=f,
        grad=lambda xy: np.array([-1.0, 0.0]),
        f_grid=lambda X, Y: -np.asarray(X, dtype=float),
        minima=(),
        start=(0.0, 0.0),
        bounds=(-1.0, 2.0, -1.0, 1.0),
    )
    tr = run_optimizer(cliff, gd(0.3), steps=10)
    assert tr.status == "diverged" and tr.diverged_at == 4
    assert tr.losses[-1] == -math.inf


def test_coordinate_blowup_is_diverged():
    # on the saddle the loss goes to −∞, so only the coordinate limit can stop the escape
    tr = run_optimizer("saddle", gd(0.5), steps=1000)
    assert tr.status == "diverged"
    assert abs(tr.path[-1, 1]) > 1e6
    assert np.all(np.abs(tr.path[:-1]) <= 1e6)


def test_saddle_escapes_from_near_the_saddle_point():
    s = SURFACES["saddle"]
    assert 0 < abs(s.start[1]) < 0.1
    tr = run_optimizer(s, gd(0.1), steps=40)
    assert abs(tr.path[-1, 0]) < 1e-2  # the stable direction x has shrunk
    assert abs(tr.path[-1, 1]) > 1.0  # the unstable direction y has grown
    assert tr.losses[-1] < 0 < tr.losses[0]
    # exactly on the stable axis, gradient descent gets stuck at the saddle point instead
    stuck = run_optimizer(s, gd(0.1), start=(-1.5, 0.0), steps=300)
    assert stuck.status == "converged"
    assert np.linalg.norm(stuck.path[-1]) < 1e-12


def test_himmelblau_starts_reach_different_minima():
    s = SURFACES["himmelblau"]
    reached = []
    for start in [(0.0, 0.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]:
        tr = run_optimizer(s, gd(0.01), start=start, steps=300)
        assert tr.status == "converged"
        dists = [np.linalg.norm(tr.path[-1] - np.array(m)) for m in s.minima]
        assert min(dists) < 1e-6
        reached.append(int(np.argmin(dists)))
    assert sorted(reached) == [0, 1, 2, 3]


def test_rosenbrock_with_momentum_reaches_minimum():
    tr = run_optimizer("rosenbrock", gd(1e-3, beta=0.9), steps=3000)
    assert tr.status == "converged"
    np.testing.assert_allclose(tr.path[-1], [1.0, 1.0], atol=1e-3)


def test_beale_start_is_good():
    tr = run_optimizer("beale", gd(0.01), steps=3000)
    np.testing.assert_allclose(tr.path[-1], [3.0, 0.5], atol=1e-3)


def test_deterministic():
    a = run_optimizer("rosenbrock", gd(1e-3, beta=0.9), steps=300)
    b = run_optimizer("rosenbrock", gd(1e-3, beta=0.9), steps=300)
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.status == b.status


def test_start_is_not_modified():
    start = np.array([0.5, 0.5])
    run_optimizer("bowl", gd(0.1), start=start, steps=10)
    np.testing.assert_array_equal(start, [0.5, 0.5])


# ------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("steps", [-1, 2.5, "10", True, None])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        run_optimizer("bowl", gd(0.1), steps=steps)


def test_numpy_integer_steps_accepted():
    assert run_optimizer("bowl", gd(0.1), steps=np.int64(3)).path.shape == (4, 2)


@pytest.mark.parametrize(
    "start, match",
    [
        ((1.0, math.nan), "start must be finite"),
        ((1.0, math.inf), "start must be finite"),
        ((1.0, 2.0, 3.0), r"shape \(2,\)"),
        (1.0, r"shape \(2,\)"),
        (("a", "b"), "start must be a point"),
    ],
)
def test_bad_start(start, match):
    with pytest.raises(ValueError, match=match):
        run_optimizer("bowl", gd(0.1), start=start)


@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf, "0.1", True])
def test_bad_lr(lr):
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        run_optimizer("bowl", "sgd", lr=lr)


def test_lr_or_kwargs_with_a_factory_are_rejected():
    with pytest.raises(ValueError, match="lr can only be given with an optimizer name"):
        run_optimizer("bowl", gd(0.1), lr=0.1)
    with pytest.raises(ValueError, match="beta can only be given with an optimizer name"):
        run_optimizer("bowl", gd(0.1), beta=0.9)


def test_bad_optimizer_and_surface():
    with pytest.raises(TypeError, match="optimizer must be an optimizer name"):
        run_optimizer("bowl", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="surface must be a Surface"):
        run_optimizer(object(), gd(0.1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="valid names: bowl"):
        run_optimizer("bwl", gd(0.1))


def test_no_floating_point_warnings_when_diverging():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = run_optimizer("beale", gd(10.0), steps=100)
    assert tr.status == "diverged"


# ------------------------------------------------------------------------------------------------
# classify


def test_classify_diverged():
    assert classify(np.array([1.0, 2.0, np.inf])) == "diverged"
    assert classify(np.array([1.0, np.nan])) == "diverged"
    assert classify(np.array([1.0, 0.5]), diverged_at=1) == "diverged"


def test_classify_converged():
    assert classify(np.array([1.0, 0.1, 1e-8]), f_min=0.0) == "converged"
    assert classify(np.array([3.0, 2.0, 2.0 + 1e-9]), f_min=2.0) == "converged"
    assert classify(np.array([1.0, 0.5, 0.4]), grad_norm=1e-9) == "converged"


def test_classify_oscillating():
    t = np.arange(100)
    losses = 1.0 + 0.5 * (-1.0) ** t  # up, down, up, down
    assert classify(losses, f_min=0.0) == "oscillating"
    damped = 1.0 + np.exp(-0.01 * t) * (1.0 + np.cos(0.6 * t))  # momentum-like ringing
    assert classify(damped, f_min=0.0) == "oscillating"


def test_classify_growing_loss_is_diverged():
    t = np.arange(100)
    assert classify(1.03**t, f_min=0.0) == "diverged"
    assert classify(1.0 + 1e-3 * t, f_min=0.0) == "diverged"
    # a barely rising loss (less than 1 % of the gap over the last half) is stalled
    assert classify(1.0 + 1e-6 * t, f_min=0.0) == "stalled"


def test_classify_converging_and_stalled():
    t = np.arange(100)
    assert classify(0.9**t, f_min=0.0) == "converging"
    assert classify(1.0 - 1e-5 * t, f_min=0.0) == "stalled"
    assert classify(np.ones(50), f_min=0.0) == "stalled"
    # without a known minimum: relative to the loss's size
    assert classify(-(1.1**t), f_min=None) == "converging"
    assert classify(np.array([1.0])) == "stalled"


def test_classify_monotone_is_not_oscillating():
    # a loss falling with a few float-noise wiggles stays "converging"
    t = np.arange(200)
    losses = 10 * 0.97**t
    losses[150::7] *= 1 + 1e-14
    assert classify(losses, f_min=0.0) == "converging"


def test_classify_bad_losses():
    with pytest.raises(ValueError, match="non-empty 1-D"):
        classify(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="non-empty 1-D"):
        classify(np.array([]))


def test_core_module_imports_no_plotting():
    code = (
        "import sys, backprop_lab.surfaces; "
        "assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules"
    )
    root = pathlib.Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# ------------------------------------------------------------------------------------------------
# named optimizers from backprop_lab.optim

OPTIMIZER_NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"]


def test_named_sgd_is_the_plain_update():
    named = run_optimizer("rosenbrock", "sgd", lr=1e-3, steps=200)
    plain = run_optimizer("rosenbrock", gd(1e-3), steps=200)
    # the same update w − η·g (2 roundings) by two routes, 200 steps; gradient descent with
    # η = 1e-3 on Rosenbrock's valley does not amplify differences (|1 − ηλ| ≤ 1 for λ ≤ 2000
    # along this path), so they add up at most: ≤ 200·2·γ₂ relative
    np.testing.assert_allclose(named.path, plain.path, rtol=200 * 2 * gamma(2), atol=0)
    assert named.status == plain.status


@pytest.mark.parametrize(
    "name, lr", [("sgd", 0.5), ("momentum", 0.1), ("nesterov", 0.1), ("adagrad", 1.0),
                 ("rmsprop", 0.01), ("adadelta", 1.0), ("adam", 0.1)]
)  # fmt: skip
def test_every_named_optimizer_converges_on_the_bowl(name, lr):
    tr = run_optimizer("bowl", name, lr=lr, steps=1000)
    assert tr.status == "converged", tr
    assert np.linalg.norm(tr.path[-1]) < 1e-2


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_named_optimizer_default_lr_runs(name):
    tr = run_optimizer("himmelblau", name, steps=50)
    assert tr.path.shape == (51, 2)
    assert tr.losses[-1] < tr.losses[0]


def test_named_optimizer_kwargs_are_passed_on():
    a = run_optimizer("ravine", "momentum", lr=0.1, beta=0.5, steps=50)
    b = run_optimizer("ravine", "momentum", lr=0.1, beta=0.9, steps=50)
    assert not np.array_equal(a.path, b.path)
    c = run_optimizer("ravine", "momentum", lr=0.1, beta=0.5, steps=50)
    np.testing.assert_array_equal(a.path, c.path)


def test_named_sgd_two_over_L_threshold():
    q = quadratic((1.0, 100.0), angle=0.4)
    assert run_optimizer(q, "sgd", lr=0.99 * 2 / q.L, steps=2000).status == "converged"
    above = run_optimizer(q, "sgd", lr=1.01 * 2 / q.L, steps=2000)
    assert above.status == "diverged" and above.diverged_at is not None


def test_momentum_oscillates_on_the_ravine():
    tr = run_optimizer("ravine", "momentum", lr=0.5, beta=0.95, steps=150)
    assert tr.status == "oscillating"


def test_adam_reaches_the_beale_minimum():
    tr = run_optimizer("beale", "adam", lr=0.1, steps=1000)
    assert tr.status == "converged"
    np.testing.assert_allclose(tr.path[-1], [3.0, 0.5], atol=1e-4)


def test_unknown_optimizer_name_and_bad_kwargs():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        run_optimizer("bowl", "adamm", lr=0.1)
    with pytest.raises(TypeError, match="beta"):
        run_optimizer("bowl", "adam", lr=0.1, beta=0.9)
