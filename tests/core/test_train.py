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


# --------------------------------------------------------------------------- issue 13: bad input
# Every message must name the problem and what was expected, and nothing may be trained first.


class CountingSGD(SGD):
    """SGD that counts its steps, to prove a check happened before any step."""


def _fresh(sizes=(2, 8, 2)):
    net = mlp(list(sizes), activation="tanh", rng=np.random.default_rng(0))
    return net, CountingSGD(net.parameters(), lr=0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_training_data_is_named_by_row_and_column(moons, bad):
    X, y, _, _ = moons
    X = X.copy()
    X[7, 1] = bad
    X[9, 0] = bad
    net, opt = _fresh()
    with pytest.raises(ValueError) as e:
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=1)
    msg = str(e.value)
    assert "X contains 2 non-finite value(s)" in msg
    assert "row 7, column 1" in msg  # the first one, in row-major order
    assert "expected finite numbers" in msg and "data problem" in msg
    assert "learning rate" not in msg.split("not a learning-rate")[0]  # not blamed on the lr
    assert opt.t == 0


def test_non_finite_validation_data_is_named(moons):
    X, y, X_val, y_val = moons
    X_val = X_val.copy()
    X_val[3, 0] = np.nan
    net, opt = _fresh()
    with pytest.raises(ValueError, match=r"X_val contains 1 non-finite value\(s\).*row 3, column 0"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=1, X_val=X_val, y_val=y_val)
    assert opt.t == 0


def test_huge_but_finite_data_is_not_mistaken_for_non_finite():
    # the fast test sums the array; a sum that overflows to inf must not be reported as bad data
    X = np.full((4, 2), 3e38, dtype=np.float32)
    net = mlp([2, 2], rng=np.random.default_rng(0), dtype=np.float32)
    with pytest.raises(DivergenceError):  # the data pass the check; the loss is what blows up
        with np.errstate(all="ignore"):
            fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X,
                np.array([0, 1, 0, 1]), epochs=1)


def test_empty_training_set_is_named(moons):
    net, opt = _fresh()
    with pytest.raises(ValueError, match=r"fit: X is empty \(shape \(0, 2\)\).*at least one example"):
        fit(net, SoftmaxCrossEntropy(), opt, np.zeros((0, 2)), np.zeros(0, dtype=np.int64))


def test_empty_validation_set_is_named(moons):
    X, y, _, _ = moons
    net, opt = _fresh()
    with pytest.raises(ValueError, match=r"X_val is empty .*leave X_val and y_val out"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, X_val=np.zeros((0, 2)),
            y_val=np.zeros(0, dtype=np.int64))
    assert opt.t == 0


def test_validation_needs_both_arrays(moons):
    X, y, X_val, _ = moons
    net, opt = _fresh()
    with pytest.raises(ValueError, match="X_val was given without y_val; pass both or neither"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, X_val=X_val)


def test_labels_out_of_range_are_named(moons):
    X, y, _, _ = moons
    y = y.copy()
    y[11] = 2  # the model has 2 outputs: labels 0 and 1
    net, opt = _fresh()
    with pytest.raises(ValueError) as e:
        fit(net, SoftmaxCrossEntropy(), opt, X, y)
    msg = str(e.value)
    assert "y has the label 2 at row 11" in msg
    assert "expected class labels in 0 .. 1 (the model has 2 outputs)" in msg
    y[11] = -1
    with pytest.raises(ValueError, match="label -1 at row 11"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y)
    assert opt.t == 0


def test_float_labels_are_named_with_the_fix(moons):
    X, y, _, _ = moons
    net, opt = _fresh()
    with pytest.raises(TypeError, match=r"y must hold integer class labels, got dtype float64; .*astype"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y.astype(np.float64))


def test_wrong_number_of_labels_is_named(moons):
    X, y, X_val, y_val = moons
    net, opt = _fresh()
    with pytest.raises(ValueError, match=f"X has {len(X)} rows but y has {len(X) - 1} labels; "
                                         "expected one label per row"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y[:-1])
    with pytest.raises(ValueError, match="X_val has .* rows but y_val has"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, X_val=X_val, y_val=y_val[:5])


def test_binary_targets_outside_0_1_are_named():
    from backprop_lab.losses import BCEWithLogits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    T = (X[:, :1] > 0).astype(np.float64)
    T[4, 0] = 2.0
    net = mlp([2, 1], rng=rng)
    with pytest.raises(ValueError, match=r"target outside \[0, 1\] at row 4.*expected binary labels"):
        fit(net, BCEWithLogits(), SGD(net.parameters(), lr=0.1), X, T)


def test_non_finite_regression_targets_are_named():
    X, T = linear_regression()
    T = T.copy()
    T[6, 0] = np.nan
    net = Sequential(Linear(3, 1, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"y contains 1 non-finite value\(s\).*row 6.*expected finite"):
        fit(net, MSE(), SGD(net.parameters(), lr=0.1), X, T)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "0.1", None])
def test_a_schedule_returning_a_bad_rate_is_refused_before_its_epoch(moons, bad):
    X, y, _, _ = moons
    net, opt = _fresh()

    def schedule(epoch):
        return 0.1 if epoch == 0 else bad

    with pytest.raises(ValueError) as e:
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=3, schedule=schedule, batch_size=400)
    msg = str(e.value)
    assert f"schedule(1) returned {bad!r}" in msg
    assert "expected a learning rate, a finite number >= 0" in msg
    assert opt.t == 1  # epoch 0 ran (one batch of 400); epoch 1 never started


@pytest.mark.parametrize("bad", [-1, -1e-9, math.nan, math.inf])
def test_setting_a_bad_lr_after_construction_is_refused(bad):
    net, opt = _fresh()
    with pytest.raises(ValueError, match=f"lr must be a finite number >= 0, got {bad!r}"):
        opt.lr = bad
    assert opt.lr == 0.1  # unchanged


def test_setting_lr_to_a_string_is_refused():
    net, opt = _fresh()
    with pytest.raises(TypeError, match="lr must be a finite number >= 0, got '0.1' of type str"):
        opt.lr = "0.1"


def test_lr_zero_is_accepted_with_a_warning(moons):
    X, y, _, _ = moons
    net = mlp([2, 8, 2], rng=np.random.default_rng(0))
    with pytest.warns(UserWarning, match=r"SGD: lr = 0, so step\(\) will not change the weights") as w:
        opt = SGD(net.parameters(), lr=0.0)
    assert w[0].filename == __file__  # points at the user's line, not the library's
    before = net.state_dict()
    with pytest.warns(UserWarning, match="fit: the learning rate is 0 in epoch 1"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=2)
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def _bn_net(seed=0):
    from backprop_lab.layers import BatchNorm, ReLU

    rng = np.random.default_rng(seed)
    return Sequential(Linear(2, 8, rng=rng), BatchNorm(8), ReLU(), Linear(8, 2, rng=rng))


def test_batchnorm_last_batch_of_one_row_joins_the_previous_batch(moons):
    X, y, _, _ = moons
    X, y = X[:33], y[:33]  # batch_size 16: 16 + 16 + 1 → 16 + 17
    net = _bn_net()
    h = fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
            batch_size=16)
    assert len(h.step_loss) == 3 * 2  # two steps an epoch, not three
    assert all(math.isfinite(v) for v in h.train_loss)
    # without BatchNorm nothing is merged: three steps an epoch
    plain = mlp([2, 8, 2], rng=np.random.default_rng(0))
    h2 = fit(plain, SoftmaxCrossEntropy(), SGD(plain.parameters(), lr=0.1), X, y, epochs=3,
             batch_size=16)
    assert len(h2.step_loss) == 3 * 3


def test_batchnorm_with_batches_of_one_row_is_refused_up_front(moons):
    X, y, _, _ = moons
    net = _bn_net()
    opt = SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"BatchNorm layer, which needs at least 2 rows per "
                                         r"mini-batch; got batch_size=1"):
        fit(net, SoftmaxCrossEntropy(), opt, X, y, batch_size=1)
    assert opt.t == 0


# --------------------------------------------------------------------------- issue 13: divergence


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sgd_lr_1e3_on_softmax_cross_entropy_is_stopped(moons):
    # the case: lr 1e3 took the loss from 1.9e25 to 2.3e153 and fit returned normally
    X, y, _, _ = moons
    net = mlp([2, 32, 32, 2], activation="relu", rng=np.random.default_rng(0))
    with pytest.raises(DivergenceError) as e:
        fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=1e3), X, y, epochs=50)
    err = e.value
    first = err.history.step_loss[0]
    assert err.loss > 1e6 * (1 + first) or not math.isfinite(err.loss)
    msg = str(err)
    assert f"training diverged at step {err.step} (epoch {err.epoch + 1})" in msg
    assert "learning rate 1000" in msg
    assert "smaller learning rate, e.g. 100" in msg


class _DeadUnitSGD(SGD):
    """SGD that, at its 3rd step, pushes hidden unit 0's bias to -1e7: the ReLU unit dies, so
    the loss stays finite and moderate, but a parameter has left the ±1e6 box."""

    def step(self):
        super().step()
        if self.t == 3:
            self.params[1].value[0] = -1e7


def test_a_runaway_parameter_is_caught_at_the_end_of_its_epoch(moons):
    X, y, _, _ = moons
    net = mlp([2, 8, 2], activation="relu", rng=np.random.default_rng(0))
    opt = _DeadUnitSGD(net.parameters(), lr=0.01)
    name = opt.params[1].name
    with pytest.raises(DivergenceError) as e:
        fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=3, batch_size=100)  # 4 steps an epoch
    err = e.value
    assert err.step == 3 and err.epoch == 0  # the last step of epoch 1 (steps 0..3)
    assert f"{name} has an entry of size 1e+07 > 1e+06" in str(err)
    assert all(math.isfinite(v) and v < 10 for v in err.history.step_loss)
