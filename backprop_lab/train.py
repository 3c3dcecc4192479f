"""The training loop: seeded shuffling, mini-batches, history, validation, early stopping,
divergence detection and an optional ``tqdm.auto`` progress bar.

    history = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=1e-3),
                  X_train, y_train, epochs=10, batch_size=128, X_val=X_val, y_val=y_val, seed=0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backprop_lab.losses import BCEWithLogits, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from backprop_lab.model import Sequential
from backprop_lab.optim import clip_grad_norm


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite: training stopped. Carries the step and the history."""

    def __init__(self, step: int, epoch: int, loss: float, lr: float, history: History) -> None:
        self.step, self.epoch, self.loss, self.lr, self.history = step, epoch, loss, lr, history
        recent = ", ".join(f"{v:.4g}" for v in history.step_loss[-5:]) or "none"
        super().__init__(
            f"training diverged: the loss became {loss} at step {step} (epoch {epoch + 1}) with "
            f"learning rate {lr:g}. Last losses before it: [{recent}]. Try a smaller learning "
            f"rate, e.g. {lr / 10:g}, or clip the gradients."
        )


@dataclass
class History:
    """What happened during training, one entry per epoch (and ``step_loss`` per mini-batch)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def last(self) -> dict[str, float]:
        """The latest epoch's numbers, for printing."""
        out = {"epoch": self.epoch[-1] + 1} if self.epoch else {}
        for k in ("train_loss", "train_acc", "val_loss", "val_acc"):
            v = getattr(self, k)
            if v:
                out[k] = v[-1]
        return out


def is_classification(loss: Loss) -> bool:
    return isinstance(loss, (SoftmaxCrossEntropy, BCEWithLogits, BinaryCrossEntropy))


def accuracy(out: np.ndarray, y: np.ndarray, loss: Loss | None = None) -> float:
    """Fraction correct: argmax over classes for (batch, k) outputs; threshold for binary outputs.

    For binary losses the threshold is 0 on logits (BCEWithLogits) and 0.5 on probabilities.
    """
    if out.ndim == 2 and out.shape[1] > 1:
        return float(np.mean(out.argmax(axis=1) == y))
    threshold = 0.5 if isinstance(loss, BinaryCrossEntropy) else 0.0
    return float(np.mean((out.reshape(y.shape) > threshold) == (y > 0.5)))


def evaluate(
    net: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, batch_size: int = 2048
) -> tuple[float, float]:
    """(mean loss, accuracy) of ``net`` on (X, y) in evaluation mode. Accuracy is NaN for regression."""
    out = net.predict(X, batch_size=batch_size)
    value = loss.forward(out, y)
    acc = accuracy(out, y, loss) if is_classification(loss) else math.nan
    return value, acc


def _check_data(net: Sequential, X: np.ndarray, y: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        raise ValueError(f"fit: {name} must be a 2-D array (samples, features), got "
                         f"{getattr(X, 'shape', type(X).__name__)}")
    if len(X) != len(y):
        raise ValueError(f"fit: {name} has {len(X)} rows but its labels have {len(y)}")
    dtype = net.dtype
    if dtype is not None and X.dtype != dtype:
        raise TypeError(f"fit: {name} has dtype {X.dtype} but the model is {dtype}; "
                        f"pass {name}.astype(np.{dtype}) (precision is never changed silently)")
    return X


def fit(
    net: Sequential,
    loss: Loss,
    optimizer,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int = 10,
    batch_size: int = 128,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    seed: int = 0,
    schedule: Callable[[int], float] | None = None,
    patience: int | None = None,
    clip_norm: float | None = None,
    progress: bool = False,
    callback: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``net`` with mini-batch gradient descent and return the :class:`History`.

    Args:
        net: the model; its parameters must be the ones ``optimizer`` was built on.
        loss: e.g. ``SoftmaxCrossEntropy()`` (labels y of shape (n,)) or ``MSE()``.
        optimizer: any object with ``step()``, ``zero_grad()`` and an ``lr`` attribute.
        X, y: training data, X of shape (n, n_in) in the model's dtype.
        epochs, batch_size: passes over the data, rows per step (the last batch may be smaller).
        X_val, y_val: optional validation data, evaluated after every epoch.
        seed: seeds the shuffling, so two runs with the same seed are identical.
        schedule: optional ``schedule(epoch) -> lr`` applied at the start of every epoch.
        patience: early stopping — stop after this many epochs without a better validation loss
            and restore the best weights (needs validation data).
        clip_norm: clip the global gradient norm to this value before each step.
        progress: show a ``tqdm.auto`` progress bar (off by default so notebook outputs stay stable).
        callback: called as ``callback(epoch, history)`` after every epoch.

    Raises:
        DivergenceError: the loss became NaN or infinite; names the step and suggests a smaller lr.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be a positive integer, got {batch_size!r}")
    if patience is not None and (X_val is None or patience < 1):
        raise ValueError("fit: early stopping (patience) needs validation data and patience >= 1")
    X = _check_data(net, X, y, "X")
    has_val = X_val is not None and y_val is not None
    if has_val:
        X_val = _check_data(net, X_val, y_val, "X_val")
    y = np.asarray(y)
    classify = is_classification(loss)
    multiclass = isinstance(loss, SoftmaxCrossEntropy)
    rng = np.random.default_rng(seed)
    n = len(X)
    steps_per_epoch = max(1, math.ceil(n / batch_size))
    history = History()
    best_loss, best_state, bad_epochs = math.inf, None, 0
    step = 0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps_per_epoch, unit="batch", desc="training")

    params = net.parameters()
    net.train()
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            if schedule is not None:
                optimizer.lr = float(schedule(epoch))
            perm = rng.permutation(n)
            total_loss, total_correct = 0.0, 0.0
            for i in range(0, n, batch_size):
                # gather each batch on its own: copying 400 kB at a time is ~25x faster than
                # materialising a shuffled copy of all of MNIST (188 MB of fresh memory)
                idx = perm[i : i + batch_size]
                Xb, yb = np.take(X, idx, axis=0), y[idx]
                out = net.forward(Xb)
                value = loss.forward(out, yb)
                if not math.isfinite(value):
                    raise DivergenceError(step, epoch, value, optimizer.lr, history)
                net.backward(loss.backward(), input_grad=False)
                if clip_norm is not None:
                    clip_grad_norm(params, clip_norm)
                optimizer.step()
                history.step_loss.append(value)
                total_loss += value * len(Xb)
                if multiclass:
                    total_correct += np.count_nonzero(out.argmax(axis=1) == yb)
                elif classify:
                    total_correct += accuracy(out, yb, loss) * len(Xb)
                step += 1
                if bar is not None:
                    bar.update(1)
            history.epoch.append(epoch)
            history.train_loss.append(total_loss / n)
            history.train_acc.append(total_correct / n if classify else math.nan)
            history.lr.append(float(optimizer.lr))
            if has_val:
                vl, va = evaluate(net, loss, X_val, y_val)
                net.train()
                history.val_loss.append(vl)
                history.val_acc.append(va)
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix({k: round(v, 4) for k, v in history.last().items() if k != "epoch"})
            if callback is not None:
                callback(epoch, history)
            if patience is not None:
                if history.val_loss[-1] < best_loss:
                    best_loss, bad_epochs = history.val_loss[-1], 0
                    best_state, history.best_epoch = net.state_dict(), epoch
                else:
                    bad_epochs += 1
                    if bad_epochs >= patience:
                        history.stopped_early = True
                        break
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    return history
