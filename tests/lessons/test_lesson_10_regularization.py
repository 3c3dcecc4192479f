"""Lesson 10 (regularization), outside the notebook: the L2 gradient term, weight decay as coupled
L2, inverted dropout's mean and eval mode, and early stopping restoring the best weights."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab.data import make_moons
from backprop_lab.gradcheck import check_layer, numerical_gradient, relative_error
from backprop_lab.layers import Dropout, Linear, Tanh
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import Sequential, mlp
from backprop_lab.optim import SGD, Adam
from backprop_lab.plotting.regularization import (
    plot_gap,
    plot_mean_convergence,
    plot_runs,
    plot_weight_norms,
)
from backprop_lab.train import History, evaluate, fit


def small_net(seed: int = 3) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(Linear(6, 5, rng=rng), Tanh(), Linear(5, 4, rng=rng), Tanh(),
                      Linear(4, 3, rng=rng))


def linear_layers(net: Sequential) -> list[Linear]:
    return [layer for layer in net.layers if isinstance(layer, Linear)]


@pytest.mark.parametrize("lam", [0.01, 0.1, 1.0])
def test_l2_gradient_term_matches_finite_differences_of_the_penalized_loss(lam: float) -> None:
    net, loss = small_net(), SoftmaxCrossEntropy()
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    layers = linear_layers(net)

    def penalized() -> float:  # L̃ = L + (λ/2) Σ ‖W‖², biases not penalised
        return loss.forward(net.forward(X), y) + lam / 2 * sum(np.sum(la.W**2) for la in layers)

    penalized()
    net.backward(loss.backward())
    for layer in layers:
        dW = layer.dW.copy()
        numeric_W = numerical_gradient(penalized, layer.W)
        assert relative_error(dW + lam * layer.W, numeric_W).max() < 1e-7
        assert relative_error(layer.db, numerical_gradient(penalized, layer.b)).max() < 1e-7
        # and the term is needed: the unpenalised gradient is measurably wrong
        assert relative_error(dW, numeric_W).max() > 1e-3


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_weight_decay_equals_sgd_on_the_penalized_gradient(momentum: float,
                                                               nesterov: bool) -> None:
    """SGD(weight_decay=λ) and plain SGD fed ∇L + λw agree bit for bit, step after step."""
    lam, lr, loss = 0.05, 0.2, SoftmaxCrossEntropy()
    net_wd, net_plain = small_net(), small_net()
    opt_wd = SGD(net_wd.parameters(), lr=lr, momentum=momentum, nesterov=nesterov,
                 weight_decay=lam)
    opt_plain = SGD(net_plain.parameters(), lr=lr, momentum=momentum, nesterov=nesterov)
    data = np.random.default_rng(5)
    for _ in range(6):
        X, y = data.standard_normal((4, 6)), data.integers(0, 3, 4)
        for net in (net_wd, net_plain):
            loss.forward(net.forward(X), y)
            net.backward(loss.backward())
        for p in net_plain.parameters():  # the penalized gradient, every parameter
            p.grad[...] = p.grad + lam * p.value
        opt_wd.step()
        opt_plain.step()
        for a, b in zip(net_wd.state_dict().values(), net_plain.state_dict().values(),
                        strict=True):
            np.testing.assert_array_equal(a, b)


def test_plain_sgd_weight_decay_matches_the_update_written_by_hand() -> None:
    """W ← W − η(∂L/∂W + λW) for weights, b ← b − η ∂L/∂b: two optimizers, weights-only decay."""
    lam, eta, loss = 0.1, 0.3, SoftmaxCrossEntropy()
    net_lib, net_hand = small_net(), small_net()
    params = net_lib.parameters()
    opt_w = SGD([p for p in params if p.attr == "W"], lr=eta, weight_decay=lam)
    opt_b = SGD([p for p in params if p.attr == "b"], lr=eta)
    data = np.random.default_rng(6)
    for _ in range(5):
        X, y = data.standard_normal((4, 6)), data.integers(0, 3, 4)
        for net in (net_lib, net_hand):
            loss.forward(net.forward(X), y)
            net.backward(loss.backward())
        opt_w.step()
        opt_b.step()
        for layer in linear_layers(net_hand):
            layer.W -= eta * (layer.dW + lam * layer.W)
            layer.b -= eta * layer.db
        for a, b in zip(net_lib.state_dict().values(), net_hand.state_dict().values(),
                        strict=True):
            np.testing.assert_array_equal(a, b)


def test_weight_decay_alone_shrinks_by_one_minus_eta_lambda() -> None:
    lin = Linear(3, 2, rng=np.random.default_rng(0))
    lin.b[...] = 1.0
    W0 = lin.W.copy()
    SGD(lin.parameters(), lr=0.3, weight_decay=0.1).step()  # zero gradients
    # W − η(0 + λW): 4 roundings vs 0.97·W0: 1 (and 0.97 itself is rounded): ≤ 2·γ₅ ≈ 1.1e-15
    np.testing.assert_allclose(lin.W, 0.97 * W0, rtol=2 * gamma(5))
    np.testing.assert_allclose(lin.b, 0.97, rtol=2 * gamma(5))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inverted_dropout_preserves_the_mean_and_eval_is_identity(p: float, dtype) -> None:
    X = np.random.default_rng(1).uniform(0.5, 2.0, (8, 16)).astype(dtype)
    drop = Dropout(p, rng=np.random.default_rng(2))
    n = 20_000
    outs = np.stack([drop.forward(X) for _ in range(n)]).astype(np.float64)
    assert outs.dtype == np.float64 and drop.forward(X).dtype == dtype
    kept = np.mean(outs > 0)
    assert abs(kept - (1 - p)) < 0.005
    # each output is 0 or x/(1−p)
    scaled = np.isclose(outs, X / (1 - p), rtol=1e-6)
    assert np.all(scaled | (outs == 0))
    # E[ã] = x: the standard error of the mean is x·sqrt(p/(1−p)/n); allow 5 of them
    se = X * np.sqrt(p / (1 - p) / n)
    assert np.all(np.abs(outs.mean(axis=0) - X) < 5 * se)
    # Var[ã] = p/(1−p)·x²
    np.testing.assert_allclose(outs.var(axis=0), p / (1 - p) * X.astype(np.float64) ** 2, rtol=0.1)
    # backward multiplies by the same mask
    drop.forward(X)
    G = np.ones_like(X)
    np.testing.assert_array_equal(drop.backward(G), drop.mask)
    # evaluation mode: the identity, forward and backward
    drop.eval()
    np.testing.assert_array_equal(drop.forward(X), X)
    np.testing.assert_array_equal(drop.backward(G), G)


def test_dropout_mean_is_deterministic_for_a_seed() -> None:
    X = np.ones((3, 4))
    a = Dropout(0.5, rng=np.random.default_rng(7)).forward(X)
    b = Dropout(0.5, rng=np.random.default_rng(7)).forward(X)
    np.testing.assert_array_equal(a, b)


def test_dropout_with_a_fixed_mask_passes_the_gradient_check() -> None:
    drop = Dropout(0.5, rng=np.random.default_rng(7))
    X = np.random.default_rng(10).standard_normal((5, 7))
    drop.fixed_mask = (np.random.default_rng(11).random(X.shape) >= 0.5) / 0.5
    report = check_layer(drop, X)
    report.assert_ok()
    np.testing.assert_array_equal(drop.forward(X), X * drop.fixed_mask)


def test_early_stopping_restores_the_weights_of_the_best_validation_epoch() -> None:
    """A tiny noisy training set and a wide net: the validation loss dips, then rises."""
    X, y = make_moons(n=30, noise=0.35, seed=0)
    X_val, y_val = make_moons(n=300, noise=0.35, seed=1)
    net = mlp([2, 64, 64, 2], "relu", rng=np.random.default_rng(0))
    loss = SoftmaxCrossEntropy()
    snapshots: list[dict[str, np.ndarray]] = []
    h = fit(net, loss, Adam(net.parameters(), lr=0.002), X, y, epochs=300, batch_size=10,
            X_val=X_val, y_val=y_val, seed=0, patience=15,
            callback=lambda epoch, hist: snapshots.append(net.state_dict()))
    best = h.best_epoch
    # the constructed case: the minimum is neither the first nor the last epoch, and it stopped
    assert best is not None and 0 < best < len(h.epoch) - 1
    assert h.stopped_early and len(h.epoch) == best + 1 + 15 < 300
    assert best == int(np.argmin(h.val_loss))
    assert h.val_loss[-1] > h.val_loss[best]
    # the returned weights are exactly those after the best epoch, not the last ones
    state = net.state_dict()
    for key, value in snapshots[best].items():
        np.testing.assert_array_equal(state[key], value)
    assert any(not np.array_equal(state[k], v) for k, v in snapshots[-1].items())
    val_loss, val_acc = evaluate(net, loss, X_val, y_val)
    # same weights, same code, same shapes: the products (BLAS, fixed thread count) repeat
    # exactly; numpy's SIMD reductions may sum in another order when the arrays' alignment
    # differs. Those are the 2-class sums of the softmax (≤ 4 roundings per loss) and the mean of
    # n nonnegative losses (condition 1): ≤ 2·γ_{n+4} relative
    assert val_loss == pytest.approx(h.val_loss[best], rel=2 * gamma(len(X_val) + 4))
    assert val_acc == pytest.approx(h.val_acc[best])


def _history(n: int, seed: int) -> History:
    rng = np.random.default_rng(seed)
    h = History()
    h.epoch = list(range(n))
    h.train_loss = list(np.geomspace(2, 1e-3, n))
    h.val_loss = list(0.5 + 0.01 * (np.arange(n) - 5) ** 2 / n + 0.01 * rng.random(n))
    h.train_acc = list(np.linspace(0.5, 1, n))
    h.val_acc = list(np.linspace(0.5, 0.88, n))
    return h


def test_regularization_figures_draw() -> None:
    h1, h2 = _history(30, 0), _history(20, 1)
    figs = [
        plot_gap(h1, title="t"),
        plot_runs({"a": h1, "b": h2}, chosen={"b": 4}, title="t"),
        plot_runs({"a": h1}, train=False),
        plot_weight_norms({"a": [1.0, 2.0], "b": [1.0, 0.5]},
                          weights={"a": np.ones((3, 4)), "b": np.zeros((3, 4))}),
        plot_weight_norms({"a": [1.0, 2.0]}),
        plot_mean_convergence([10, 100, 1000], [1.0, 0.3, 0.1]),
    ]
    ax_loss, ax_acc = figs[1].axes
    assert len(ax_loss.lines) == 2 * 2 + 1 and len(ax_acc.lines) == 2 + 1  # runs + the marked epoch
    assert len(figs[2].axes[0].lines) == 1
    best = int(np.argmin(h1.val_loss)) + 1
    assert figs[0].axes[0].get_legend().get_texts()[-1].get_text().endswith(f"(epoch {best})")
    for fig in figs:
        plt.close(fig)
