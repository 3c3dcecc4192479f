"""The training loop (backprop_lab.train.fit): learning, determinism, validation, early stopping,
divergence, argument checks, schedules, clipping and the progress bar."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lab.layers import Linear
from backprop_lab.losses import MSE, SoftmaxCrossEntropy
from backprop_lab.model import Sequential, mlp
from backprop_lab.optim import SGD, Adam, CosineLR
from backprop_lab.train import DivergenceError, History, evaluate, fit


def two_moons(n: int, seed: int, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The classic two interleaving half circles, generated here (independent of data.py)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0, np.pi, size=n)
    X = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], axis=1),
        np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1),
    )
    return X + rng.normal(scale=noise, size=X.shape), y.astype(np.int64)


@pytest.fixture(scope="module")
def moons():
    X, y = two_moons(600, seed=0)
    return X[:400], y[:400], X[400:], y[400:]


def linear_regression(n=64, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(dtype)
    w = np.array([[1.5], [-2.0], [0.5]], dtype=dtype)
    return X, X @ w


def small_net(seed=0, sizes=(2, 32, 32, 2)):
    return mlp(list(sizes), activation="tanh", rng=np.random.default_rng(seed))


def accuracy_of(net, X, y):
    return float(np.mean(net.predict(X).argmax(axis=1) == y))


# --------------------------------------------------------------------------- learning


def test_fit_lowers_the_loss_and_learns_the_moons(moons):
    X, y, X_val, y_val = moons
    net = small_net()
    before = accuracy_of(net, X_val, y_val)
    h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.01), X, y,
            epochs=40, batch_size=32, seed=0)
    assert isinstance(h, History)
    assert h.epoch == list(range(40))
    assert h.train_loss[-1] < 0.2 * h.train_loss[0]
    assert h.train_loss[-1] < 0.1
    assert len(h.step_loss) == 40 * math.ceil(400 / 32)
    assert h.train_acc[-1] > 0.95
    after = accuracy_of(net, X_val, y_val)
    assert after > 0.95 and after > before
    assert net.training  # fit leaves the model in training mode


def test_train_loss_is_the_mean_of_the_step_losses_weighted_by_batch_size(moons):
    X, y, _, _ = moons
    net = small_net()
    h = fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y,
            epochs=2, batch_size=150, seed=0)
    sizes = [150, 150, 100]
    for e in range(2):
        steps = h.step_loss[3 * e : 3 * e + 3]
        assert h.train_loss[e] == pytest.approx(np.dot(steps, sizes) / 400, rel=1e-12)


def test_same_seed_same_history_different_seed_different(moons):
    X, y, X_val, y_val = moons

    def run(fit_seed):
        net = small_net(seed=1)
        h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.01), X, y, epochs=3,
                batch_size=32, X_val=X_val, y_val=y_val, seed=fit_seed)
        return h, net

    (h1, n1), (h2, n2), (h3, _) = run(7), run(7), run(8)
    assert h1.step_loss == h2.step_loss
    assert h1.train_loss == h2.train_loss and h1.val_loss == h2.val_loss
    for p, q in zip(n1.parameters(), n2.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    assert h1.step_loss[0] != h3.step_loss[0]  # another shuffle, another first batch
    assert h1.train_loss != h3.train_loss


def test_validation_history(moons):
    X, y, X_val, y_val = moons
    net = small_net()
    loss = SoftmaxCrossEntropy()
    h = fit(net, loss, Adam(net.parameters(), lr=0.01), X, y, epochs=4, batch_size=64,
            X_val=X_val, y_val=y_val)
    assert len(h.val_loss) == len(h.val_acc) == len(h.train_loss) == len(h.lr) == 4
    assert len(h.seconds) == 4 and all(s >= 0 for s in h.seconds)
    assert all(0 <= a <= 1 for a in h.val_acc)
    # the last entry is the model's loss on the validation data, computed here independently
    out = net.predict(X_val)
    logp = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
    assert h.val_loss[-1] == pytest.approx(-logp[np.arange(len(y_val)), y_val].mean(), rel=1e-12)
    assert h.val_acc[-1] == pytest.approx(np.mean(out.argmax(1) == y_val))
    assert evaluate(net, loss, X_val, y_val) == pytest.approx((h.val_loss[-1], h.val_acc[-1]))
    assert h.last()["epoch"] == 4 and h.last()["val_loss"] == h.val_loss[-1]


def test_no_validation_data_no_validation_history(moons):
    X, y, _, _ = moons
    net = small_net()
    h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters()), X, y, epochs=2)
    assert h.val_loss == [] and h.val_acc == []


def test_regression_has_nan_accuracy():
    X, T = linear_regression()
    net = Sequential(Linear(3, 1, rng=np.random.default_rng(0)))
    h = fit(net, MSE(), SGD(net.parameters(), lr=0.05), X, T, epochs=30, batch_size=16)
    assert all(math.isnan(a) for a in h.train_acc)
    assert h.train_loss[-1] < 1e-6  # the data are exactly linear
    np.testing.assert_allclose(net[0].W, [[1.5, -2.0, 0.5]], atol=1e-3)


def test_callback_is_called_every_epoch(moons):
    X, y, _, _ = moons
    seen = []
    net = small_net()
    fit(net, SoftmaxCrossEntropy(), Adam(net.parameters()), X, y, epochs=3,
        callback=lambda e, h: seen.append((e, len(h.train_loss))))
    assert seen == [(0, 1), (1, 2), (2, 3)]


# --------------------------------------------------------------------------- early stopping


def test_early_stopping_stops_and_restores_the_best_weights():
    """Validation targets are the negatives of the training targets: the better the model fits
    the training data, the worse its validation loss — it rises from the first epoch on."""
    X, T = linear_regression(seed=1)
    X_val, T_val = linear_regression(n=32, seed=2)
    T_val = -T_val
    net = Sequential(Linear(3, 1, rng=np.random.default_rng(0), init="zeros"))
    snapshots = []
    h = fit(net, MSE(), SGD(net.parameters(), lr=0.02), X, T, epochs=50, batch_size=16,
            X_val=X_val, y_val=T_val, patience=2,
            callback=lambda e, hist: snapshots.append(net.state_dict()))
    assert all(b > a for a, b in zip(h.val_loss, h.val_loss[1:], strict=False)), h.val_loss
    assert h.stopped_early
    assert h.best_epoch == 0
    assert h.epoch == [0, 1, 2]  # two epochs without improvement, then stop
    for key, value in snapshots[0].items():  # the weights after epoch 0 are back
        np.testing.assert_array_equal(net.state_dict()[key], value)
    assert not np.array_equal(snapshots[-1]["0.W"], snapshots[0]["0.W"])
    val_now = float(np.mean((net.predict(X_val) - T_val) ** 2))
    assert val_now == pytest.approx(h.val_loss[0], rel=1e-12)


def test_early_stopping_does_not_trigger_while_improving(moons):
    X, y, X_val, y_val = moons
    net = small_net()
    h = fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.05), X, y, epochs=5,
            batch_size=32, X_val=X_val, y_val=y_val, patience=3)
    assert not h.stopped_early
    assert h.epoch == list(range(5))
    assert h.best_epoch == int(np.argmin(h.val_loss))


def test_patience_needs_validation_data(moons):
    X, y, _, _ = moons
    net = small_net()
    with pytest.raises(ValueError, match="validation"):
        fit(net, SoftmaxCrossEntropy(), Adam(net.parameters()), X, y, patience=2)


# --------------------------------------------------------------------------- divergence


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way to inf is the point
def test_huge_learning_rate_raises_divergence_error():
    X, T = linear_regression()
    net = Sequential(Linear(3, 1, rng=np.random.default_rng(0)))
    with pytest.raises(DivergenceError) as e:
        fit(net, MSE(), SGD(net.parameters(), lr=1e6), X, T, epochs=100, batch_size=16)
    err = e.value
    msg = str(err)
    assert isinstance(err, RuntimeError)
    assert f"step {err.step}" in msg
    assert "smaller learning rate" in msg
    assert "1e+06" in msg or "1000000" in msg
    assert err.lr == 1e6
    # the rule of backprop_lab.divergence: a loss above 1e6·(1 + |first loss|) stops the run
    first = err.history.step_loss[0]
    assert not math.isfinite(err.loss) or err.loss > 1e6 * (1 + first)
    assert "more than 1e+06" in msg
    assert isinstance(err.history, History)
    assert len(err.history.step_loss) == err.step  # every step before the one that failed
    assert all(math.isfinite(v) for v in err.history.step_loss)
    assert all(v <= 1e6 * (1 + first) for v in err.history.step_loss)  # none tripped it before
    assert err.epoch == err.step // 4  # 4 steps per epoch


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("epochs", [-1, 2.5, "3", None])
def test_fit_rejects_bad_epochs(moons, epochs):
    X, y, _, _ = moons
    net = small_net()
    with pytest.raises(ValueError, match="epochs"):
        fit(net, SoftmaxCrossEntropy(), Adam(net.parameters()), X, y, epochs=epochs)


@pytest.mark.parametrize("batch_size", [0, -5, 1.5])
def test_fit_rejects_bad_batch_size(moons, batch_size):
    X, y, _, _ = moons
    net = small_net()
    with pytest.raises(ValueError, match="batch_size"):
        fit(net, SoftmaxCrossEntropy(), Adam(net.parameters()), X, y, batch_size=batch_size)


def test_fit_rejects_a_dtype_mismatch(moons):
    X, y, X_val, y_val = moons
    net = small_net()
    opt = Adam(net.parameters())
    with pytest.raises(TypeError, match="float32.*float64"):
        fit(net, SoftmaxCrossEntropy(), opt, X.astype(np.float32), y, epochs=1)
    with pytest.raises(TypeError, match="X_val"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=1,
            X_val=X_val.astype(np.float32), y_val=y_val)


def test_fit_rejects_bad_shapes(moons):
    X, y, _, _ = moons
    net = small_net()
    opt = Adam(net.parameters())
    with pytest.raises(ValueError, match="rows"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y[:-1], epochs=1)
    with pytest.raises(ValueError, match="2-D"):
        fit(net, SoftmaxCrossEntropy(), opt, X[:, 0], y, epochs=1)


def test_float32_training(moons):
    X, y, X_val, y_val = moons
    net = small_net().astype(np.float32)
    h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.01), X.astype(np.float32), y,
            epochs=40, batch_size=32)
    assert net.dtype == np.float32
    assert all(p.value.dtype == np.float32 for p in net.parameters())
    assert h.train_loss[-1] < h.train_loss[0]
    assert accuracy_of(net, X_val.astype(np.float32), y_val) > 0.95


# --------------------------------------------------------------------------- schedule, clipping


def test_schedule_sets_the_learning_rate_every_epoch(moons):
    X, y, _, _ = moons
    net = small_net()
    opt = SGD(net.parameters(), lr=123.0)  # never used: the schedule overrides it
    seen = []
    h = fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=4, batch_size=100,
            schedule=CosineLR(0.1, 4), callback=lambda e, hist: seen.append(opt.lr))
    expected = [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert h.lr == pytest.approx(expected, rel=1e-12)
    assert seen == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(h.train_loss[-1])


def test_a_zero_schedule_freezes_plain_sgd(moons):
    X, y, _, _ = moons
    net = small_net()
    before = net.state_dict()
    fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.5), X, y, epochs=2,
        schedule=lambda epoch: 0.0)
    for key, value in before.items():
        np.testing.assert_array_equal(net.state_dict()[key], value)


class NormRecorder:
    """An SGD that records the global gradient norm it is asked to step with."""

    def __init__(self, params, lr):
        self.inner = SGD(params, lr=lr)
        self.params = params
        self.norms = []

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def step(self):
        self.norms.append(math.sqrt(sum(float(np.sum(p.grad**2)) for p in self.params)))
        self.inner.step()

    def zero_grad(self):
        self.inner.zero_grad()


def test_clip_norm_limits_every_step(moons):
    X, y, _, _ = moons
    runs = {}
    for clip in (None, 0.05):
        net = small_net()
        opt = NormRecorder(net.parameters(), lr=0.1)
        h = fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=3, batch_size=32, clip_norm=clip)
        runs[clip] = (opt.norms, h)
    unclipped, clipped = runs[None][0], runs[0.05][0]
    assert max(unclipped) > 0.05  # so clipping has something to do
    assert max(clipped) <= 0.05 * (1 + 1e-12)
    assert clipped[0] == pytest.approx(0.05, rel=1e-12)  # same first batch, clipped to the limit
    assert runs[None][1].train_loss != runs[0.05][1].train_loss


# --------------------------------------------------------------------------- progress bar


def test_progress_bar(moons, capsys):
    X, y, _, _ = moons
    pytest.importorskip("tqdm")
    histories = []
    for progress in (True, False):
        net = small_net()
        histories.append(fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.01), X, y,
                             epochs=2, batch_size=100, seed=0, progress=progress))
        err = capsys.readouterr().err
        if progress:
            assert "training" in err and "8/8" in err  # 2 epochs × 4 batches
        else:
            assert err == ""
    assert histories[0].step_loss == histories[1].step_loss  # the bar changes nothing
