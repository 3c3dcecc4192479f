"""Tests that kill four bugs a mutation run found passing the whole unit suite (issue 12):

* ``fit`` drawing its permutation once and reusing it every epoch;
* the early-stopping patience counter never reset when the validation loss improves;
* the gradient checker's absolute tolerance loosened from 1e-10·max(1, |f|) to 1e-4·max(1, |f|);
* ``convergence_factor`` keeping only one root of the heavy-ball characteristic polynomial.

Each test also checks that the correct code passes the same situation, so it cannot fail for an
unrelated reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lab.gradcheck import check_function, check_layer, check_model
from backprop_lab.layers import Linear, Tanh
from backprop_lab.losses import MSE, SoftmaxCrossEntropy
from backprop_lab.model import Sequential
from backprop_lab.optim import SGD
from backprop_lab.train import fit
from backprop_lab.widgets.lr_explorer import convergence_factor

# --------------------------------------------------------------------------- fit: reshuffling


def test_fit_draws_a_new_permutation_every_epoch() -> None:
    """Every epoch visits each training row once, in an order of its own."""
    n, batch, epochs = 24, 5, 6
    X = np.column_stack([np.arange(n, dtype=np.float64), np.zeros(n)])  # column 0 names the row
    y = np.zeros((n, 1))
    net = Sequential(Linear(2, 1, rng=np.random.default_rng(0)))
    seen: list[float] = []
    forward = net.forward

    def recording_forward(Xb: np.ndarray) -> np.ndarray:
        seen.extend(Xb[:, 0].tolist())
        return forward(Xb)

    net.forward = recording_forward  # fit calls net.forward(batch) for every step
    fit(net, MSE(), SGD(net.parameters(), lr=0.0), X, y, epochs=epochs, batch_size=batch, seed=3)

    orders = np.array(seen).reshape(epochs, n)
    for order in orders:  # each epoch is a permutation of all rows
        assert sorted(order) == list(range(n))
    distinct = {tuple(order) for order in orders}
    # 6 independent shuffles of 24 rows coincide with probability < 6²/24! ≈ 6e-23
    assert len(distinct) == epochs, f"only {len(distinct)} different orders in {epochs} epochs"


# --------------------------------------------------------------------------- fit: early stopping


class ScriptedOptimizer:
    """Sets the single weight of a 1→1 linear model to the next value of a script on every
    step (one step per epoch with batch_size = n), so the validation loss follows the script."""

    def __init__(self, net: Sequential, script: list[float]) -> None:
        self.layer = net.layers[0]
        self.script = list(script)
        self.lr = 0.0

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        self.layer.W[...] = self.script.pop(0)


def test_patience_counter_resets_on_improvement() -> None:
    """Validation loss down, up, down, up, …, with a new best every second epoch: patience 2
    never runs out (at most one bad epoch in a row), so all epochs run. A counter that is never
    reset counts the 2nd bad epoch (epoch 3) and stops there."""
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    y = X.copy()  # the best weight is 1; val loss = (w − 1)² · mean(x²)
    distance = [1.0, 1.2, 0.8, 1.0, 0.6, 0.8, 0.4, 0.6, 0.2, 0.4]
    net = Sequential(Linear(1, 1, rng=np.random.default_rng(0), init="zeros"))
    opt = ScriptedOptimizer(net, [1.0 - d for d in distance])
    h = fit(net, MSE(), opt, X, y, epochs=len(distance), batch_size=len(X),
            X_val=X, y_val=y, patience=2)

    val = np.array(h.val_loss)
    # (w x − x)² averaged over 8 rows vs d²·mean(x²): ≤ 12 roundings each, positive terms
    assert np.allclose(val, np.square(distance) * np.mean(X**2), rtol=2 * 12 * EPS, atol=0)
    assert (np.diff(val) > 0).sum() == 5  # it does go up again and again
    assert not h.stopped_early, f"stopped after epoch {h.epoch[-1]} although the loss kept improving"
    assert h.epoch == list(range(len(distance)))
    assert h.best_epoch == 8
    assert net.layers[0].W[0, 0] == 1.0 - 0.2  # best weights restored: the very same number


def test_patience_still_stops_after_enough_bad_epochs_in_a_row() -> None:
    """The counterpart: after the last improvement (epoch 2), two bad epochs in a row stop."""
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    distance = [1.0, 1.2, 0.5, 0.7, 0.9, 0.1, 0.1]
    net = Sequential(Linear(1, 1, rng=np.random.default_rng(0), init="zeros"))
    h = fit(net, MSE(), ScriptedOptimizer(net, [1.0 - d for d in distance]), X, X,
            epochs=len(distance), batch_size=len(X), X_val=X, y_val=X, patience=2)
    assert h.stopped_early and h.epoch == [0, 1, 2, 3, 4] and h.best_epoch == 2


# --------------------------------------------------------------------------- gradient checker
# A gradient that is wrong by 1e-5 relative (a subtle bug: a constant slightly off) has a
# relative error ≈ 1e-5/2 = 5e-6, fifty times the checker's tol of 1e-7, and an absolute error
# of 1e-5·|g|: far above the rounding-noise allowance 1e-10·max(1, |f|), but below a loosened
# 1e-4·max(1, |f|) whenever |g| < 10·max(1, |f|), as below. A correct gradient must still pass.

SUBTLE = 1.0 + 1e-5
EPS = float(np.finfo(np.float64).eps) / 2  # unit roundoff u


class SlightlyWrongLinear(Linear):
    """A Linear layer whose dW is off by 1e-5 relative."""

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        out = super().backward(dZ, input_grad)
        self.dW *= SUBTLE
        return out


def test_check_layer_catches_a_gradient_off_by_1e_5_relative() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    good = check_layer(Linear(4, 3, rng=np.random.default_rng(1)), X)
    assert good.ok, str(good)
    bad = check_layer(SlightlyWrongLinear(4, 3, rng=np.random.default_rng(1)), X)
    assert not bad.ok, f"a dW off by 1e-5 relative passed the gradient check:\n{bad}"
    assert [r.name for r in bad.failures()] == ["W"]
    assert bad.failures()[0].max_rel_error == pytest.approx(5e-6, rel=1e-3)


def test_check_model_catches_a_gradient_off_by_1e_5_relative() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 3, size=8)

    def net(first: type[Linear]) -> Sequential:
        return Sequential(first(3, 5, rng=np.random.default_rng(1)), Tanh(),
                          Linear(5, 3, rng=np.random.default_rng(2)))

    good = check_model(net(Linear), SoftmaxCrossEntropy(), X, y)
    assert good.ok, str(good)
    bad = check_model(net(SlightlyWrongLinear), SoftmaxCrossEntropy(), X, y)
    assert not bad.ok, f"a dW off by 1e-5 relative passed the gradient check:\n{bad}"
    assert [r.name for r in bad.failures()] == ["0.W"]


def test_check_function_catches_a_derivative_off_by_1e_5_relative() -> None:
    x = np.linspace(-2.0, 2.0, 9)
    assert check_function(np.sin, np.cos, x).ok
    bad = check_function(np.sin, lambda t: np.cos(t) * SUBTLE, x)
    assert not bad.ok, f"cos·(1 + 1e-5) passed as the derivative of sin:\n{bad}"


# --------------------------------------------------------------------------- convergence_factor


def spectral_radius(lr: float, lam: float, beta: float) -> float:
    """ρ of the heavy-ball iteration (e_{t+1}, e_t) = M (e_t, e_{t−1}), M = [[1+β−ηλ, −β], [1, 0]],
    computed directly by numpy's eigenvalue routine."""
    M = np.array([[1.0 + beta - lr * lam, -beta], [1.0, 0.0]])
    return float(np.max(np.abs(np.linalg.eigvals(M))))


# (η, β) with λ = 1 and real roots, b = 1 + β − η: discriminant b² − 4β > 0. Small β and
# b < 0 (η > 1 + β) make the "−" root the larger in modulus, b > 0 the "+" root, so keeping
# either root alone is wrong on one of the two groups.
#: tolerance from error analysis: the larger root modulus by the quadratic formula (≤ 8
#: roundings; the larger root does not suffer the formula's cancellation) vs numpy's backward-
#: stable eigensolver on M (‖M‖∞ ≤ 3): its eigenvalues move by ≤ cond·few·u·‖M‖, cond ≲ ‖M‖/δ
#: for roots δ = √(b² − 4β) ≥ 0.3 apart (all cases below), i.e. ≲ 100·u, relative to ρ ≥ 0.4
ROOTS_TOL = 2 * (8 + 200) * EPS
REAL_ROOTS = [(0.1, 0.01), (0.5, 0.05), (0.2, 0.1), (1.9, 0.01), (2.0, 0.05), (1.8, 0.1),
              (2.1, 0.02), (0.05, 0.2)]


@pytest.mark.parametrize(("lr", "beta"), REAL_ROOTS)
def test_convergence_factor_with_real_roots(lr: float, beta: float) -> None:
    b = 1.0 + beta - lr
    assert b * b - 4.0 * beta > 0  # really the real-root case
    assert convergence_factor(lr, np.array([1.0]), beta) == pytest.approx(
        spectral_radius(lr, 1.0, beta), rel=ROOTS_TOL)


def test_convergence_factor_takes_the_slowest_eigen_direction() -> None:
    eig = np.array([0.1, 1.0, 19.0])
    lr, beta = 0.1, 0.04
    expected = max(spectral_radius(lr, lam, beta) for lam in eig)
    assert convergence_factor(lr, eig, beta) == pytest.approx(expected, rel=ROOTS_TOL)
