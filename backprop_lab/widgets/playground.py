"""Decision-boundary playground: a Jupyter answer to TensorFlow Playground.

Pick a toy 2-D data set, a network (hidden layers as text, e.g. ``"8,8"``), an activation, an
optimizer, a learning rate and a batch size; press **Train** and watch the class probabilities
(the background) and the loss curves change while the network learns.

Compute and view are separate, as in every widget of the course:

* :class:`PlaygroundModel` — the compute core. ``PlaygroundModel(settings)`` builds the data and
  the network (seeded), ``.step(n)`` takes n mini-batch steps, ``.reset()`` restores the initial
  weights exactly, ``.boundary(grid)`` returns class probabilities on a grid and ``.history`` the
  losses and accuracies after every step. No plotting, deterministic for a seed, testable headlessly.
* :class:`Playground` — the view: ipywidgets controls, a figure updated in place (``set_data``),
  and a training loop that runs as an asyncio task in the kernel's event loop: a few steps, a
  redraw, ``await asyncio.sleep(...)``, repeat. The kernel stays responsive (Pause works, other
  cells run) and no thread ever touches matplotlib.

Bad settings (zero units, a negative learning rate, layer text that is not a list of numbers)
raise :class:`SettingsError` in the core and become a message in the view, never a traceback.
"""

from __future__ import annotations

import asyncio
import copy
import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from matplotlib.ticker import NullFormatter

from backprop_lab.data import TOY_DATASETS, load_toy, train_val_split
from backprop_lab.divergence import DivergenceRule
from backprop_lab.errors import SettingsError
from backprop_lab.layers import ACTIVATION_LAYERS
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import OPTIMIZERS, make_optimizer
from backprop_lab.plotting.classify import (
    Grid,
    class_probabilities,
    make_grid,
    point_colors,
    probability_image,
    scatter_classes,
)
from backprop_lab.train import accuracy
from backprop_lab.widgets.base import ExplorerView

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
        self._rule: DivergenceRule | None = None
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
                out = self.net.forward(self.X_train[idx])
                self.loss.forward(out, self.y_train[idx])
                self.net.backward(self.loss.backward(), input_grad=False)
                self.optimizer.step()
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
        if self._rule is None:
            self._rule = DivergenceRule(train_loss)
        reason = self._rule.check(train_loss, self.net.parameters())
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


# ------------------------------------------------------------------------------------------------
# The view
# ------------------------------------------------------------------------------------------------


class Playground(ExplorerView):
    """The playground widget: controls, Train / Pause / Step / Reset, boundary and loss curves.

    Display it as the last expression of a cell: ``Playground()``. Controls are in
    ``.controls`` (a dict: dataset, noise, hidden, activation, optimizer, lr, batch_size, seed)
    and can be set from code, e.g. ``pg.controls["hidden"].value = "16,16"``.

    Args:
        settings: the starting settings (default ``PlaygroundSettings()``).
        resolution: side of the probability grid that is drawn.
        steps_per_frame: training steps between two redraws while training.

    On the course's one view pattern (:class:`~backprop_lab.widgets.base.ExplorerView`), with
    a model that trains: a settings change that changes the data or the network builds a new
    model (the "compute"); one that does not (learning rate, optimizer, batch size) applies to
    the model as it is. Only the first kind can have frames rendered ahead of time (the noise
    slider's neighbours, when frames are on: see
    :class:`~backprop_lab.widgets.base.ExplorerView`): a new model's figure depends on
    the settings alone.
    """

    status: Any = None  # the status widget (an ``ipywidgets.HTML``), set per instance
    frame_attrs = ("model", "error")
    compute_errors = (SettingsError,)

    def __init__(
        self,
        settings: PlaygroundSettings | None = None,
        resolution: int = 60,
        steps_per_frame: int = 10,
    ) -> None:
        import ipywidgets as w

        from backprop_lab.widgets.base import FigureView, new_figure

        self.resolution = resolution
        self.model = PlaygroundModel(settings, resolution=resolution)
        s = self.model.settings
        self.running = False
        self.error: str | None = None
        self.frame_pause = 0.005  # seconds the event loop gets between frames while training (Pause is
        # handled within a frame; 0.02 capped Train at ~22 frames/s, measured in the browser benchmark)
        self._task: asyncio.Task | None = None
        self.step_ms = math.nan  # measured: milliseconds per training step (last frame)
        self.redraw_ms = math.nan  # measured: milliseconds per redraw (boundary + figure)

        style = {"description_width": "92px"}
        layout = w.Layout(width="290px")
        self.controls: dict[str, w.ValueWidget] = {
            "dataset": w.Dropdown(options=list(TOY_DATASETS), value=s.dataset, description="data set"),
            "noise": w.FloatSlider(value=s.noise, min=0.0, max=0.5, step=0.01, description="noise",
                                   continuous_update=False),
            "hidden": w.Text(value=",".join(str(v) for v in s.hidden), description="hidden layers",
                             placeholder="e.g. 8,8 (empty: none)", continuous_update=False),
            "activation": w.Dropdown(options=list(ACTIVATION_LAYERS), value=s.activation,
                                     description="activation"),
            "optimizer": w.Dropdown(options=list(OPTIMIZERS), value=s.optimizer,
                                    description="optimizer"),
            "lr": w.FloatLogSlider(value=s.lr, base=10, min=-4, max=1, step=0.1,
                                   description="learning rate", readout_format=".2g",
                                   continuous_update=False),
            "batch_size": w.Dropdown(options=sorted({*BATCH_SIZES, s.batch_size}),
                                     value=s.batch_size, description="batch size"),
            "seed": w.BoundedIntText(value=s.seed, min=0, max=10**6, description="seed"),
        }
        for c in self.controls.values():
            c.style = style
            c.layout = layout
        self._watch(self.controls, prefetch=("noise",))
        self.steps_per_frame = w.IntSlider(value=steps_per_frame, min=1, max=100,
                                           description="steps / frame", style=style, layout=layout)
        self.train_button = w.Button(description="Train", icon="play", button_style="success")
        self.pause_button = w.Button(description="Pause", icon="pause")
        self.step_button = w.Button(description="Step", icon="step-forward")
        self.reset_button = w.Button(description="Reset", icon="undo")
        for b in (self.train_button, self.pause_button, self.step_button, self.reset_button):
            b.layout = w.Layout(width="80px")
        self.train_button.on_click(lambda _: self.train())
        self.pause_button.on_click(lambda _: self.pause())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = w.HTML()

        self.fig = new_figure(9.6, 4.1, dpi=80)
        self.ax_boundary = self.fig.add_subplot(1, 2, 1)
        self.ax_loss = self.fig.add_subplot(1, 2, 2)
        self._build_artists()
        self.fig.tight_layout()
        # blitting: the axes, the points' layout and the legend are rendered once; a refresh
        # redraws the probability image, the points on it, the loss lines and the title; the
        # loss axes alone are re-rendered when their (stepped) limits change
        self.view = FigureView(self.fig, animated=self._animated_artists(),
                               volatile=[self.ax_loss], overlay=[self.ax_loss.get_legend()])
        self._update_buttons()
        self.redraw(refresh=False)
        self.view.refresh()

        buttons = w.HBox([self.train_button, self.pause_button, self.step_button,
                          self.reset_button])
        # the controls keep their width (a narrow notebook clipped them); the figure wraps
        # below them when the two do not fit side by side
        left = w.VBox([*self.controls.values(), self.steps_per_frame],
                      layout=w.Layout(flex="0 0 auto"))
        self.widget = w.VBox([buttons, w.HBox([left, self.view.widget],
                                              layout=w.Layout(flex_flow="row wrap")),
                              self.status])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- drawing ----------------------------------------------------------------------------------
    def _build_artists(self) -> None:
        """Create the artists once; later changes only update their data."""
        m, ax = self.model, self.ax_boundary
        self.image = ax.imshow(probability_image(m.boundary()), extent=m.grid.extent,
                               origin="lower", interpolation="bilinear", aspect="auto")
        self.train_points = scatter_classes(ax, m.X_train, m.y_train, s=16)
        self.test_points = scatter_classes(ax, m.X_test, m.y_test, s=16, edgecolor="black")
        self.diverged_text = ax.text(0.5, 0.5, "diverged", transform=ax.transAxes, ha="center",
                                     va="center", fontsize=22, color="tab:red", visible=False,
                                     bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
        ax.set_xlabel("$x_1$  (white edge: training point, black: test)")
        ax.set_ylabel("$x_2$")
        ax.set_title("data set", fontsize=10)  # placeholder, so tight_layout leaves room for it
        (self.train_line,) = self.ax_loss.plot([], [], color="0.15", label="training loss")
        (self.test_line,) = self.ax_loss.plot([], [], color="tab:red", lw=1.0, label="test loss")
        self.ax_loss.set_yscale("log")
        # labels and grid lines on the minor ticks of a log axis cost a third of a redraw
        self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("cross-entropy loss (log scale)")
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.legend(loc="upper right", framealpha=1.0)  # opaque: a blit overlay
        self._set_data_artists()

    def _animated_artists(self) -> list[Any]:
        """What changes on a training step, in drawing order (the image under the points and
        the frame; the legend is an overlay pasted over the loss lines)."""
        ax = self.ax_boundary
        return [self.image, self.train_points, self.test_points, *ax.spines.values(),
                self.diverged_text, ax.title, self.train_line, self.test_line,
                *self.ax_loss.spines.values()]

    def _set_data_artists(self) -> None:
        """Point the data artists at the current model's data (after a rebuild)."""
        m = self.model
        self.train_points.set_offsets(m.X_train)
        self.train_points.set_facecolor(point_colors(m.y_train))
        self.test_points.set_offsets(m.X_test)
        self.test_points.set_facecolor(point_colors(m.y_test))
        self.image.set_extent(m.grid.extent)
        self.ax_boundary.set_xlim(m.grid.extent[:2])
        self.ax_boundary.set_ylim(m.grid.extent[2:])

    def redraw(self, refresh: bool = True) -> None:
        """Update every artist from the model (in place), the status, and refresh the figure."""
        t = time.perf_counter()
        self._draw()
        self._show_status()
        if refresh:
            self.view.refresh()
        self.redraw_ms = (time.perf_counter() - t) * 1e3

    def _draw(self) -> None:
        """Update every artist from the model (in place; no widget changes)."""
        m, h = self.model, self.model.history
        P = m.boundary()
        finite = bool(np.isfinite(P).all())
        if finite and not m.diverged:
            self.image.set_data(probability_image(P))
        self.diverged_text.set_visible(m.diverged)
        self.train_line.set_data(h.step, h.train_loss)
        self.test_line.set_data(h.step, h.test_loss)
        losses = [v for v in (*h.train_loss, *h.test_loss) if math.isfinite(v) and v > 0]
        if losses:
            # limits in steps (quarter decades, 1-1.5-2-3-4-5-6-8 × 10^k steps): the loss axes
            # are re-rendered only when a limit moves, not on every training step
            lo, hi = min(losses), max(losses)
            self.ax_loss.set_ylim(_log_step(max(lo / 1.5, 1e-4), down=True),
                                  _log_step(min(hi * 1.5, 1e300), down=False))
        self.ax_loss.set_xlim(0, _nice_ceil(max(50, h.step[-1])))
        s = m.settings
        self.ax_boundary.set_title(
            f"{s.dataset}, hidden {','.join(map(str, s.hidden)) or 'none'} ({s.activation}), "
            f"step {m.steps}", fontsize=10)

    def _show_status(self, text: str | None = None) -> None:
        if self.error:
            self.status.value = f"<span style='color:#c00'><b>Cannot use these settings:</b> {_html(self.error)}</span>"
        elif self.model.diverged:
            self.status.value = f"<span style='color:#c00'><b>{_html(self.model.status())}</b></span>"
        else:
            state = "training…" if self.running else "paused"
            self.status.value = f"{state} · {_html(self.model.status())}"

    def _update_buttons(self) -> None:
        blocked = self.error is not None
        self.train_button.disabled = self.running or blocked or self.model.diverged
        self.step_button.disabled = self.running or blocked or self.model.diverged
        self.pause_button.disabled = not self.running
        self.reset_button.disabled = blocked

    # -- controls ---------------------------------------------------------------------------------
    def read_settings(self) -> PlaygroundSettings:
        """The settings the controls show (validated; SettingsError if one is unusable)."""
        values = {k: self._value(k) for k in self.controls}
        return replace(self.model.settings, **values).validated()

    def _compute(self) -> PlaygroundModel:
        """The model the settings ask for: a new one when they change the data or the network
        (:func:`needs_rebuild`), else the current one with the live settings applied.
        SettingsError when a setting is unusable."""
        new = self.read_settings()
        if needs_rebuild(self.model.settings, new):
            return PlaygroundModel(new, resolution=self.resolution)
        self.model.set_live(new)
        return self.model

    def update(self, change: dict | None = None) -> None:
        """Apply the settings the controls show and redraw (see the class docstring)."""
        try:
            rebuild = needs_rebuild(self.model.settings, self.read_settings())
            live = rebuild and self._frames_live()
            key = self._frame_key() if live else None
            frame = self._frames.get(key) if live else None
            if frame is not None:
                # a copy: the frame keeps the untrained model its figure shows
                self.model = copy.deepcopy(frame.state["model"])
            else:
                model = self._compute()
                if model is not self.model:
                    self.model = model
        except SettingsError as e:
            self.error = str(e)
            self.running = False
            self._update_buttons()
            self.redraw()
            return
        self.error = None
        if rebuild:
            self._set_data_artists()
        self._update_buttons()
        if frame is not None:
            t = time.perf_counter()
            self._draw()
            self.view.show(frame.png)
            self._show_status()
            self.redraw_ms = (time.perf_counter() - t) * 1e3
        else:
            self.redraw()
            if live:
                self._store(key, self.view.widget.value)
                # a copy: the frame keeps the untrained model its figure shows
                self._frames[key].state["model"] = copy.deepcopy(self.model)
        if live and change is not None:
            self._plan_prefetch(change)

    def _render_frame(self, key: tuple, override: dict[str, Any]) -> None:
        """A new model's figure for the settings ``override`` changes, rendered ahead of time."""
        saved = self.model
        self._override = override
        try:
            new = self.read_settings()
            if not needs_rebuild(saved.settings, new):
                return
            self.model = PlaygroundModel(new, resolution=self.resolution)
            self._set_data_artists()
            self._draw()
            png = self.view.render()
            self._store(key, png)
            self._frames[key].state["model"] = copy.deepcopy(self.model)
            self.frames_rendered += 1
        except SettingsError:
            return
        finally:
            self._override = {}
            self.model = saved
            self._set_data_artists()
            self._draw()

    # -- buttons ----------------------------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Take ``n`` training steps and redraw (the Step button takes one)."""
        if self.error is not None or self.running:
            return
        self._timed_steps(n)
        self._update_buttons()
        self.redraw()

    def _timed_steps(self, n: int) -> None:
        t = time.perf_counter()
        done = self.model.step(n)
        if done:
            self.step_ms = (time.perf_counter() - t) * 1e3 / done

    def reset(self) -> None:
        """Initial weights again (training continues if it was running)."""
        if self.error is not None:
            return
        self.model.reset()
        self._update_buttons()
        self.redraw()

    def pause(self) -> None:
        """Stop training after the current frame."""
        self.running = False
        self._update_buttons()
        self._show_status()

    def train(self) -> None:
        """Start training in the background: an asyncio task in the kernel's event loop."""
        if self.running or self.error is not None or self.model.diverged:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.status.value = ("Train needs a running event loop (Jupyter has one); here, "
                                 "use Step or <code>model.step(n)</code>.")
            return
        self.running = True
        self._update_buttons()
        self._task = loop.create_task(self.run())

    async def run(self, max_frames: int | None = None) -> None:
        """The training loop: ``steps_per_frame`` steps, a redraw, yield to the event loop, repeat,
        until paused, diverged, MAX_STEPS, or ``max_frames`` frames."""
        self.running = True
        self._update_buttons()
        frames = 0
        try:
            while self.running and not self.model.diverged and self.model.steps < MAX_STEPS:
                with self._lock:  # a settings change may be handled on another thread
                    self._timed_steps(self.steps_per_frame.value)
                    self.redraw()
                frames += 1
                if max_frames is not None and frames >= max_frames:
                    break
                await asyncio.sleep(self.frame_pause)
        except Exception as e:  # a background task must report, or the error is lost unseen
            self.error = f"training stopped: {type(e).__name__}: {e}"
        finally:
            self.running = False
            self._update_buttons()
            self._show_status()


def _log_step(x: float, down: bool) -> float:
    """``x`` rounded down (or up) to a quarter decade: 10^(k/4)."""
    k = math.log10(x) * 4
    return 10.0 ** ((math.floor(k + 1e-9) if down else math.ceil(k - 1e-9)) / 4)


def _nice_ceil(x: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 × 10^k that is ≥ ``x`` (> 0)."""
    scale = 10.0 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if m * scale >= x * (1 - 1e-12):
            return m * scale
    return 10 * scale


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
