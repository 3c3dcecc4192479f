"""The training loop: seeded shuffling, mini-batches, history, validation, early stopping,
divergence detection (:mod:`backprop_lab.divergence`) and an optional ``tqdm.auto`` progress bar.
Every mini-batch step is :class:`backprop_lab.step.Stepper`'s, the step ``run_optimizer`` takes.

    history = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=1e-3),
                  X_train, y_train, epochs=10, batch_size=128, X_val=X_val, y_val=y_val, seed=0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backprop_lab.divergence import DivergenceError, DivergenceRule, warn_zero_lr
from backprop_lab.layers import BatchNorm
from backprop_lab.losses import (
    BCEWithLogits,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
)
from backprop_lab.model import Sequential
from backprop_lab.step import Stepper
from backprop_lab.validate import check_nonnegative

__all__ = ["DivergenceError", "History", "accuracy", "evaluate", "fit", "is_classification"]


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


def _first_non_finite(A: np.ndarray) -> str | None:
    """None if every entry of ``A`` is finite, else 'N non-finite value(s); the first, V, at row r,
    column c'. One fast sum first: only a non-finite (or overflowing) sum pays for the full scan."""
    if A.dtype.kind not in "fc" or math.isfinite(float(np.sum(A))):
        return None
    bad = ~np.isfinite(A)
    count = int(np.count_nonzero(bad))
    if count == 0:  # the sum overflowed, the entries are finite
        return None
    where = np.argwhere(bad)[0]
    at = f"row {where[0]}" + (f", column {where[1]}" if A.ndim == 2 else "")
    return f"{count} non-finite value(s) (NaN or ±inf); the first, {A[tuple(where)]}, at {at}"


def _output_width(net: Sequential) -> int | None:
    """Number of outputs of ``net``: ``n_out`` of its last layer that has one, or None."""
    for layer in reversed(net.layers):
        if hasattr(layer, "n_out"):
            return int(layer.n_out)
    return None


def _check_data(
    net: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, name: str, yname: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check one data set before any step; every error names the array, what is wrong and what
    was expected. Returns (X, y as an array)."""
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        raise ValueError(f"fit: {name} must be a 2-D array (samples, features), got "
                         f"{getattr(X, 'shape', type(X).__name__)}")
    if len(X) == 0:
        hint = (" (leave X_val and y_val out to train without validation)" if name == "X_val"
                else "; training needs at least one example")
        raise ValueError(f"fit: {name} is empty (shape {X.shape}){hint}")
    y = np.asarray(y)
    if y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"fit: {name} has {len(X)} rows but {yname} has "
                         f"{'shape ()' if y.ndim == 0 else f'{len(y)} labels'}; expected one "
                         f"label per row")
    dtype = net.dtype
    if dtype is not None and X.dtype != dtype:
        raise TypeError(f"fit: {name} has dtype {X.dtype} but the model is {dtype}; "
                        f"pass {name}.astype(np.{dtype}) (precision is never changed silently)")
    bad = _first_non_finite(X)
    if bad is not None:
        raise ValueError(f"fit: {name} contains {bad}; expected finite numbers. This is a data "
                         "problem, not a learning-rate one: clean or impute the data first")
    if isinstance(loss, (SoftmaxCrossEntropy, CategoricalCrossEntropy)):
        if y.ndim != 1:
            raise ValueError(f"fit: {yname} must hold one integer class label per row, shape "
                             f"({len(X)},), got shape {y.shape}")
        if y.dtype.kind not in "iu":
            raise TypeError(f"fit: {yname} must hold integer class labels, got dtype {y.dtype}; "
                            f"e.g. pass {yname}.astype(np.int64)")
        k = _output_width(net)
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or (k is not None and hi >= k):
            row = int(np.argmax((y < 0) | (y >= (k if k is not None else np.inf))))
            expected = f"0 .. {k - 1} (the model has {k} outputs)" if k is not None else ">= 0"
            raise ValueError(f"fit: {yname} has the label {y[row]} at row {row}; expected "
                             f"class labels in {expected}")
    elif y.dtype.kind in "biuf":
        bad = _first_non_finite(y)
        if bad is not None:
            raise ValueError(f"fit: {yname} contains {bad}; expected finite targets")
        if isinstance(loss, (BCEWithLogits, BinaryCrossEntropy)) and (y.min() < 0 or y.max() > 1):
            row = int(np.argmax(((y < 0) | (y > 1)).reshape(len(y), -1).any(axis=1)))
            raise ValueError(f"fit: {yname} has a target outside [0, 1] at row {row} "
                             f"({y[row]}); expected binary labels 0/1 (or probabilities)")
    return X, y


def _has_batchnorm(net: Sequential) -> bool:
    return any(isinstance(layer, BatchNorm) for layer in net.layers)


def _batch_starts(n: int, batch_size: int, merge_single: bool) -> list[int]:
    """Start index of each mini-batch; with ``merge_single`` a last batch of one row joins the
    batch before it (BatchNorm cannot estimate a variance from one row)."""
    starts = list(range(0, n, batch_size))
    if merge_single and len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    return starts


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
        epochs, batch_size: passes over the data, rows per step (the last batch may be smaller;
            if the model has a BatchNorm layer and the last batch would hold a single row, that
            row joins the batch before it, since BatchNorm needs >= 2 rows for a variance).
        X_val, y_val: optional validation data, evaluated after every epoch (both or neither).
        seed: seeds the shuffling, so two runs with the same seed are identical.
        schedule: optional ``schedule(epoch) -> lr`` applied at the start of every epoch; what
            it returns must be a finite number >= 0 (0 is accepted with a warning).
        patience: early stopping — stop after this many epochs without a better validation loss
            and restore the best weights (needs validation data).
        clip_norm: clip the global gradient norm to this value before each step.
        progress: show a ``tqdm.auto`` progress bar (off by default so notebook outputs stay stable).
        callback: called as ``callback(epoch, history)`` after every epoch.

    Before any step the data are checked: X (and X_val) non-empty, 2-D, in the model's dtype and
    finite (the first NaN/inf is named by row and column); one label per row; for softmax
    cross-entropy integer labels in 0 .. k−1; for the binary losses targets in [0, 1].

    Raises:
        ValueError, TypeError: bad data or arguments, named as such before any step.
        DivergenceError: training diverged by the rule of :mod:`backprop_lab.divergence` (loss
            NaN/inf or above 1e6·(1 + |first loss|), checked every step; a parameter NaN/inf or
            beyond ±1e6, checked after every epoch); names the step, the learning rate and the
            clause, and suggests a smaller lr.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be a positive integer, got {batch_size!r}")
    if patience is not None and (X_val is None or patience < 1):
        raise ValueError("fit: early stopping (patience) needs validation data and patience >= 1")
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(f"fit: {given} was given without {missing}; pass both or neither")
    X, y = _check_data(net, loss, X, y, "X", "y")
    has_val = X_val is not None and y_val is not None
    if has_val:
        X_val, y_val = _check_data(net, loss, X_val, y_val, "X_val", "y_val")
    merge_single = _has_batchnorm(net)
    if merge_single and min(batch_size, len(X)) < 2:
        raise ValueError(f"fit: the model has a BatchNorm layer, which needs at least 2 rows per "
                         f"mini-batch; got batch_size={batch_size} and {len(X)} training rows")
    classify = is_classification(loss)
    multiclass = isinstance(loss, SoftmaxCrossEntropy)
    rng = np.random.default_rng(seed)
    n = len(X)
    starts = _batch_starts(n, batch_size, merge_single)
    ends = [*starts[1:], n]
    steps_per_epoch = len(starts)
    history = History()
    best_loss, best_state, bad_epochs = math.inf, None, 0
    step = 0
    warned_zero = False

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps_per_epoch, unit="batch", desc="training")

    params = net.parameters()
    # the one training step (backprop_lab.step): loss on the batch, divergence rule, backward,
    # clipping, update; forward reads the batch Xb, yb of the loop below and keeps its output
    stepper = Stepper(optimizer, params, clip_norm=clip_norm)
    Xb = yb = out = None

    def forward() -> float:
        nonlocal out
        out = net.forward(Xb)
        return loss.forward(out, yb)

    def backward() -> None:
        net.backward(loss.backward(), input_grad=False)

    net.train()
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            if schedule is not None:
                new_lr = schedule(epoch)
                try:
                    new_lr = check_nonnegative("lr", new_lr)
                except (TypeError, ValueError):
                    raise ValueError(f"fit: schedule({epoch}) returned {new_lr!r}; expected a "
                                     "learning rate, a finite number >= 0") from None
                optimizer.lr = new_lr
            if optimizer.lr == 0 and not warned_zero:
                warn_zero_lr(f"fit: the learning rate is 0 in epoch {epoch + 1}: the weights will "
                             "not change")
                warned_zero = True
            perm = rng.permutation(n)
            total_loss, total_correct = 0.0, 0.0
            for i, j in zip(starts, ends, strict=True):
                # gather each batch on its own: copying 400 kB at a time is ~25x faster than
                # materialising a shuffled copy of all of MNIST (188 MB of fresh memory)
                idx = perm[i:j]
                Xb, yb = np.take(X, idx, axis=0), y[idx]
                value, reason = stepper.step(forward, backward)
                if reason is not None:
                    raise DivergenceError(step, epoch, value, optimizer.lr, history, reason)
                history.step_loss.append(value)
                total_loss += value * len(Xb)
                if multiclass:
                    total_correct += np.count_nonzero(out.argmax(axis=1) == yb)
                elif classify:
                    total_correct += accuracy(out, yb, loss) * len(Xb)
                step += 1
                if bar is not None:
                    bar.update(1)
            # the parameter clause of the rule, once an epoch (two cheap reductions per array)
            reason = DivergenceRule.check_parameters(params) if n else None
            if reason is not None:
                raise DivergenceError(step - 1, epoch, history.step_loss[-1], optimizer.lr,
                                      history, f"after this step's update, {reason}")
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
