"""Decision-boundary playground, the pure half: data, network, optimizer, mini-batch steps and
history, with no plotting (NumPy only). The view is
:class:`backprop_lab.widgets.playground.Playground`.

``PlaygroundModel(settings)`` builds the data and the network (seeded), ``.step(n)`` takes n
mini-batch steps, ``.reset()`` restores the initial weights exactly, ``.boundary(grid)`` returns
class probabilities on a grid and ``.history`` the losses and accuracies after every step;
deterministic for a seed, testable headlessly. Bad settings (zero units, a negative learning
rate, layer text that is not a list of numbers) raise :class:`SettingsError` naming the setting.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from backprop_lab.data import TOY_DATASETS, load_toy, train_val_split
from backprop_lab.errors import SettingsError
from backprop_lab.explore.grid import Grid, class_probabilities, make_grid
from backprop_lab.layers import ACTIVATION_LAYERS
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import OPTIMIZERS, make_optimizer
from backprop_lab.step import Stepper
from backprop_lab.train import accuracy

MAX_UNITS = 128  #: widest hidden layer the playground builds
MAX_LAYERS = 6  #: most hidden layers
MAX_LR = 10.0  #: largest learning rate accepted
MAX_STEPS = 100_000  #: training stops here (keeps the history bounded)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: settings a running model takes over without starting again; any other change rebuilds it
LIVE_SETTINGS = ("lr", "batch_size")


def parse_hidden(hidden: str | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Hidden layer widths from text such as ``"8,8"``, ``"16 8"`` or ``""`` (no hidden layer).

    Raises:
        SettingsError: for anything that is not a list of whole numbers in 1..MAX_UNITS, or more
            than MAX_LAYERS layers.
    """
    if isinstance(hidden, str):
        text = hidden.strip().strip("[]()").strip()
        if text.lower() in ("", "none", "-"):
            return ()
        parts = [p.strip() for p in text.split(",")] if "," in text else text.split()
        if any(p == "" for p in parts):
            raise SettingsError(
                f"hidden layers: {hidden!r} has an empty entry; write widths separated by commas, "
                "e.g. 8,8"
            )
        widths = []
        for p in parts:
            if not re.fullmatch(r"[+-]?\d+", p):
                raise SettingsError(
                    f"hidden layers: {p!r} in {hidden!r} is not a whole number; write widths "
                    "separated by commas, e.g. 8,8 (leave empty for no hidden layer)"
                )
            widths.append(int(p))
    else:
        try:
            widths = [int(v) for v in hidden]
        except (TypeError, ValueError):
            raise SettingsError(f"hidden layers: expected widths like (8, 8), got {hidden!r}") from None
        if any(int(v) != v for v in hidden):
            raise SettingsError(f"hidden layers: widths must be whole numbers, got {hidden!r}")
    for v in widths:
        if v < 1:
            raise SettingsError(
                f"hidden layers: every layer needs at least 1 unit, got {v} in {hidden!r}"
            )
        if v > MAX_UNITS:
            raise SettingsError(
                f"hidden layers: at most {MAX_UNITS} units per layer here, got {v} in {hidden!r}"
            )
    if len(widths) > MAX_LAYERS:
        raise SettingsError(
            f"hidden layers: at most {MAX_LAYERS} hidden layers here, got {len(widths)}"
        )
    return tuple(widths)


def _finite(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise SettingsError(f"{name}: expected a finite number, got {value!r}")
    return x


def _whole(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SettingsError(f"{name}: expected a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise SettingsError(f"{name}: must be between {lo} and {hi}, got {value}")
    return int(value)


@dataclass(frozen=True)
class PlaygroundSettings:
    """Everything that defines a playground run.

    dataset: a toy set of :mod:`backprop_lab.data` ("moons", "circles", "xor", "spirals", "blobs");
    noise: its noise level (0–1); n: number of points, of which ``test_fraction`` are held out;
    hidden: hidden layer widths, a tuple or text like "8,8"; activation: "tanh", "relu",
    "sigmoid" or "leaky_relu"; optimizer: a name of :data:`backprop_lab.optim.OPTIMIZERS`;
    lr: learning rate (0 < lr ≤ 10); batch_size: points per step (larger than the training set
    means the whole set); seed: seeds the data, the initial weights and the batch order.
    """

    dataset: str = "spirals"
    noise: float = 0.2
    hidden: tuple[int, ...] | str = (8, 8)
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 16
    seed: int = 0
    n: int = 400
    test_fraction: float = 0.3

    def validated(self) -> PlaygroundSettings:
        """A checked copy (names lower-cased, ``hidden`` a tuple); SettingsError if unusable."""
        dataset = str(self.dataset).strip().lower()
        if dataset not in TOY_DATASETS:
            raise SettingsError(
                f"dataset: unknown {self.dataset!r}; choose one of {', '.join(TOY_DATASETS)}"
            )
        noise = _finite("noise", self.noise)
        if not 0 <= noise <= 1:
            raise SettingsError(f"noise: must be between 0 and 1, got {noise:g}")
        activation = str(self.activation).strip().lower()
        if activation not in ACTIVATION_LAYERS:
            raise SettingsError(
                f"activation: unknown {self.activation!r}; choose one of "
                f"{', '.join(ACTIVATION_LAYERS)}"
            )
        optimizer = str(self.optimizer).strip().lower()
        if optimizer not in OPTIMIZERS:
            raise SettingsError(
                f"optimizer: unknown {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        lr = _finite("learning rate", self.lr)
        if not 0 < lr <= MAX_LR:
            raise SettingsError(
                f"learning rate: must be greater than 0 and at most {MAX_LR:g}, got {lr:g}"
            )
        test_fraction = _finite("test fraction", self.test_fraction)
        if not 0 <= test_fraction <= 0.9:
            raise SettingsError(f"test fraction: must be between 0 and 0.9, got {test_fraction:g}")
        return replace(
            self,
            dataset=dataset,
            noise=noise,
            hidden=parse_hidden(self.hidden),
            activation=activation,
            optimizer=optimizer,
            lr=lr,
            batch_size=_whole("batch size", self.batch_size, 1, 10**6),
            seed=_whole("seed", self.seed, 0, 2**32 - 1),
            n=_whole("number of points", self.n, 20, 20_000),
            test_fraction=test_fraction,
        )


@dataclass
class PlaygroundHistory:
    """Measured on the whole training and test sets after every step (step 0 = initial weights)."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)


class PlaygroundModel:
    """The playground's compute core: data, network, optimizer, mini-batch steps, history.

    Args:
        settings: a :class:`PlaygroundSettings` (validated here), default ``PlaygroundSettings()``.
        resolution: side of the default :attr:`grid` for :meth:`boundary`.
        **overrides: fields to change in ``settings``, e.g. ``PlaygroundModel(dataset="xor")``.

    Raises:
        SettingsError: with a message naming the bad setting.

    Attributes:
        X_train (n_train, 2), y_train (n_train,), X_test, y_test: the data (float64, int64).
        net: the :class:`~backprop_lab.model.Sequential` 2 → hidden → k (k classes), float64.
        steps: steps taken since the last reset; epoch: passes over the training set begun.
        diverged: True once training diverged by the rule of :mod:`backprop_lab.divergence` (the
            training loss NaN/inf or above 1e6·(1 + |initial loss|), or a weight NaN/inf or
            beyond ±1e6), checked after every step; ``diverged_reason`` says which.
        history: :class:`PlaygroundHistory`.
    """

    def __init__(
        self, settings: PlaygroundSettings | None = None, resolution: int = 60, **overrides: Any
    ) -> None:
        settings = settings if settings is not None else PlaygroundSettings()
        if overrides:
            settings = replace(settings, **overrides)
        self.settings = s = settings.validated()
        X, y = load_toy(s.dataset, n=s.n, noise=s.noise, seed=s.seed)
        n_test = int(round(s.test_fraction * s.n))
        self.X_train, self.y_train, self.X_test, self.y_test = train_val_split(
            X, y, val_size=n_test, seed=s.seed
        )
        self.k = int(y.max()) + 1
        self.net = mlp([2, *s.hidden, self.k], activation=s.activation,
                       rng=np.random.default_rng(s.seed))
        self._initial_state = self.net.state_dict()
        self.loss = SoftmaxCrossEntropy()
        self.grid: Grid = make_grid(X, resolution=resolution)
        self.reset()

    # -- training -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial weights (exactly), a fresh optimizer and batch order, empty history."""
        self.net.load_state_dict(self._initial_state)
        self.optimizer = make_optimizer(self.settings.optimizer, self.net.parameters(),
                                        lr=self.settings.lr)
        self._batch_rng = np.random.default_rng([self.settings.seed, 1])
        self._order = np.zeros(0, dtype=np.int64)
        self._cursor = 0
        self.steps = 0
        self.epoch = 0
        self.diverged = False
        self.diverged_reason: str | None = None
        # the course's one training step (step.py); its divergence rule starts from the first
        # loss it judges: the whole training set's, recorded below before any step
        self._stepper = Stepper(self.optimizer)
        self.history = PlaygroundHistory()
        self._record()

    @property
    def batch_size(self) -> int:
        """The batch size in use: the setting, at most the size of the training set."""
        return min(self.settings.batch_size, len(self.X_train))

    def _next_batch(self) -> np.ndarray:
        """Indices of the next mini-batch: a fresh shuffle every epoch, the last batch may be short."""
        if self._cursor >= len(self._order):
            self._order = self._batch_rng.permutation(len(self.X_train))
            self._cursor = 0
            self.epoch += 1
        idx = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += len(idx)
        return idx

    def step(self, n: int = 1) -> int:
        """Take up to ``n`` mini-batch steps (fewer if training diverges or reaches MAX_STEPS).

        Each step: forward, softmax cross-entropy, backward, optimizer step; then the loss and
        accuracy on the whole training and test sets are appended to :attr:`history`.
        Returns the number of steps taken.
        """
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"step: n must be a non-negative integer, got {n!r}")
        done = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while done < n and not self.diverged and self.steps < MAX_STEPS:
                idx = self._next_batch()
                X, y = self.X_train[idx], self.y_train[idx]
                # divergence is judged on the whole training set in _record, not on one batch
                self._stepper.step(lambda X=X, y=y: self.loss.forward(self.net.forward(X), y),
                                   lambda: self.net.backward(self.loss.backward(), input_grad=False),
                                   check=False)
                self.steps += 1
                done += 1
                self._record()
        return done

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if len(X) == 0:
            return math.nan, math.nan
        out = self.net.forward(X)
        return self.loss.forward(out, y), accuracy(out, y)

    def _record(self) -> None:
        train_loss, train_acc = self._evaluate(self.X_train, self.y_train)
        test_loss, test_acc = self._evaluate(self.X_test, self.y_test)
        h = self.history
        h.step.append(self.steps)
        h.train_loss.append(train_loss)
        h.test_loss.append(test_loss)
        h.train_acc.append(train_acc)
        h.test_acc.append(test_acc)
        reason = self._stepper.check(train_loss, self.net.parameters())
        if reason is not None:
            self.diverged, self.diverged_reason = True, reason

    def set_live(self, settings: PlaygroundSettings) -> None:
        """Take over a new learning rate and batch size without starting again.

        Raises:
            ValueError: if ``settings`` differs in anything else (build a new model for that).
        """
        new = settings.validated()
        if needs_rebuild(self.settings, new):
            raise ValueError("set_live: only the learning rate and batch size change live")
        self.settings = new
        self.optimizer.lr = new.lr

    # -- reading ----------------------------------------------------------------------------------
    def boundary(self, grid: Grid | None = None) -> np.ndarray:
        """Class probabilities on ``grid`` (default :attr:`grid`) as an image (ny, nx, k)."""
        grid = grid if grid is not None else self.grid
        with np.errstate(over="ignore", invalid="ignore"):
            return grid.reshape(class_probabilities(self.net, grid.points))

    def status(self) -> str:
        """One line: where training is and how well it does (or that it diverged)."""
        h = self.history
        if self.diverged:
            return (f"diverged at step {self.steps} with learning rate {self.optimizer.lr:g}: "
                    f"{self.diverged_reason}; lower the learning rate and press Reset")
        text = (f"step {self.steps}, epoch {self.epoch} · loss train {h.train_loss[-1]:.4f}, "
                f"test {h.test_loss[-1]:.4f} · accuracy train {h.train_acc[-1]:.3f}, "
                f"test {h.test_acc[-1]:.3f}")
        if self.steps >= MAX_STEPS:
            text += f" · stopped at the limit of {MAX_STEPS:,} steps"
        return text


def needs_rebuild(old: PlaygroundSettings, new: PlaygroundSettings) -> bool:
    """True if going from ``old`` to ``new`` needs a new model (anything but lr and batch size)."""
    keep = {f: getattr(old, f) for f in LIVE_SETTINGS}
    return replace(new, **keep) != old
