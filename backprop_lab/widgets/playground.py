"""Decision-boundary playground: a Jupyter answer to TensorFlow Playground.

Pick a toy 2-D data set, a network (hidden layers as text, e.g. ``"8,8"``), an activation, an
optimizer, a learning rate and a batch size; press **Train** and watch the class probabilities
(the background) and the loss curves change while the network learns.

Compute and view are separate, as in every widget of the course:

* :class:`PlaygroundModel` (in :mod:`backprop_lab.explore.playground`, re-exported here) — the
  compute core. ``PlaygroundModel(settings)`` builds the data and
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
import time
from dataclasses import replace
from typing import Any

import numpy as np
from matplotlib.ticker import NullFormatter

from backprop_lab.data import TOY_DATASETS
from backprop_lab.errors import SettingsError
from backprop_lab.explore.playground import (  # noqa: F401  (the pure half, re-exported)
    BATCH_SIZES,
    LIVE_SETTINGS,
    MAX_LAYERS,
    MAX_LR,
    MAX_STEPS,
    MAX_UNITS,
    PlaygroundHistory,
    PlaygroundModel,
    PlaygroundSettings,
    needs_rebuild,
    parse_hidden,
)
from backprop_lab.layers import ACTIVATION_LAYERS
from backprop_lab.optim import OPTIMIZERS
from backprop_lab.plotting.classify import point_colors, probability_image, scatter_classes
from backprop_lab.widgets.base import ExplorerView

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
