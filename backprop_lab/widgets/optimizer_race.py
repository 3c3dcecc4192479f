"""Optimizer race (lesson 08): several optimizers start from the same point of a 2-D loss surface
and race to the minimum, each with its own learning rate.

Two parts, as every widget of the course:

* :func:`compute_race` (in :mod:`backprop_lab.explore.race`, re-exported here) — pure and
  deterministic: for a surface name and a dict of *racers*
  (``name -> factory``, where ``factory(params)`` builds an optimizer on ``params``, a list of
  :class:`~backprop_lab.parameter.Parameter`), run every racer for the same number of steps with
  :func:`backprop_lab.surfaces.run_optimizer` and return a :class:`RaceResult` (paths, losses,
  statuses). Any object with ``step()`` that updates ``params[0].value`` in place from
  ``params[0].grad`` can race: a :class:`~backprop_lab.optim.Optimizer` subclass that implements
  ``update(w, g, state)``, or a hand-written class with ``step()``/``zero_grad()``. A racer whose
  factory rejects its settings (e.g. a negative learning rate) or whose ``step`` raises gets an
  ``"invalid: …"`` / ``"error: …"`` status instead of stopping the race.
* :class:`OptimizerRace` — the view: a surface dropdown, one checkbox and one log-scale
  learning-rate slider per optimizer, a steps slider, and a ``Play`` / Step / Reset control of the
  displayed frame. The race is computed once per control change; playing or stepping only moves
  the frame index, which updates the artists in place (``set_data``), so it stays fast. The legend
  shows each racer's loss at the current frame, or "diverged at step k".

Typical use::

    from backprop_lab.optim import Adam, SGD
    result = compute_race("rosenbrock", {"SGD": lambda p: SGD(p, lr=1e-3),
                                          "Adam": lambda p: Adam(p, lr=0.05)}, steps=300)
    result.statuses        # {"SGD": "converging", "Adam": "converged"}
    OptimizerRace(surface="rosenbrock", extra={"sign-SGD": SignSGD})   # displays itself
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from backprop_lab.explore.race import (  # noqa: F401  (the pure half, re-exported)
    DEFAULT_LRS,
    FALLBACK_LR,
    LIBRARY_OPTIMIZERS,
    LR_MAX,
    LR_MIN,
    STEPS_MAX,
    Builder,
    Factory,
    RaceResult,
    _clamp_lr,
    _clean_steps,
    compute_race,
)
from backprop_lab.surfaces import SURFACES
from backprop_lab.widgets.base import ExplorerView

__all__ = [
    "DEFAULT_LRS",
    "LIBRARY_OPTIMIZERS",
    "LR_MAX",
    "LR_MIN",
    "STEPS_MAX",
    "OptimizerRace",
    "RaceResult",
    "compute_race",
]

# ------------------------------------------------------------------------------------------------
# view


#: milliseconds between frames when playing (a frame of the inline fallback is blitted in ~20 ms)
PLAY_INTERVAL_MS = 100


def _play_step(steps: int) -> int:
    """Frames advanced per tick of Play: a whole race plays in about 150 ticks (~15 s)."""
    return max(1, int(steps) // 150)


def _quarter_decade(x: float, down: bool) -> float:
    """``x`` (> 0) rounded down (or up) to a quarter decade 10^(k/4)."""
    k = math.log10(x) * 4
    return 10.0 ** ((math.floor(k + 1e-9) if down else math.ceil(k - 1e-9)) / 4)


class OptimizerRace(ExplorerView):
    """The optimizer-race widget (see the module docstring).

    Controls (``ipywidgets``, settable programmatically): ``surface`` (Dropdown), ``checks[name]``
    (Checkbox: does ``name`` race?), ``lrs[name]`` (FloatLogSlider: its learning rate), ``steps``
    (IntSlider), ``frame`` (IntSlider: the step displayed, driven by ``play``, an
    ``ipywidgets.Play``), and the buttons ``step_button`` (+1 frame) and ``reset_button``
    (frame 0). The latest :class:`RaceResult` is ``result``; ``status_text`` is the line under the
    figure. Display the object (or ``.widget``).

    Args:
        surface: initial surface name.
        selected: the optimizers racing at first (default: SGD, Momentum and Adam).
        extra: more racers, ``name -> builder``; a builder is called as ``builder(params, lr=lr)``,
            so an :class:`~backprop_lab.optim.Optimizer` subclass works as it is, and a lambda
            ``lambda params, lr: MyOptimizer(params, lr)`` wraps anything else. Extra racers are
            selected at first.
        optimizers: the optimizers offered (default :data:`LIBRARY_OPTIMIZERS`).
        lrs: initial learning rates by name (default :data:`DEFAULT_LRS` for the surface).
        steps: steps per racer.
        frame: the step displayed first (default: the end of the race).
        width, height, dpi: figure size and resolution.
    """

    #: a frame stands for the race shown, its error and the settings it was run with
    frame_attrs = ("result", "error", "_race_key")

    def __init__(
        self,
        surface: str = "rosenbrock",
        selected: tuple[str, ...] | list[str] | None = None,
        extra: Mapping[str, Builder] | None = None,
        optimizers: Mapping[str, Builder] | None = None,
        lrs: Mapping[str, float] | None = None,
        steps: int = 200,
        frame: int | None = None,
        width: float = 10.0,
        height: float = 4.2,
        dpi: int = 72,
    ) -> None:
        import ipywidgets as w

        from backprop_lab.plotting.optimizers import RacePlot
        from backprop_lab.widgets.base import FigureView, new_figure

        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}; valid names: {', '.join(SURFACES)}")
        self.builders: dict[str, Builder] = dict(LIBRARY_OPTIMIZERS if optimizers is None
                                                 else optimizers)
        extra = dict(extra or {})
        self.builders.update(extra)
        if selected is None:
            selected = [n for n in ("SGD", "Momentum", "Adam") if n in self.builders]
            selected += [n for n in extra if n not in selected]
        unknown = [n for n in selected if n not in self.builders]
        if unknown:
            raise ValueError(f"unknown optimizers {unknown}; offered: {', '.join(self.builders)}")
        self.error: str | None = None
        self._race_key: tuple | None = None
        self._drawn: Any = ()  # the race whose artists the plot holds (() = none yet)
        self._static_changed = False

        self.surface = w.Dropdown(options=list(SURFACES), value=surface, description="surface")
        self.checks: dict[str, Any] = {}
        self.lrs: dict[str, Any] = {}
        rows = []
        for name in self.builders:
            lr = (lrs or {}).get(name, DEFAULT_LRS[surface].get(name, FALLBACK_LR))
            self.checks[name] = w.Checkbox(value=name in selected, description=name,
                                           indent=False, layout=w.Layout(width="110px"))
            self.lrs[name] = w.FloatLogSlider(
                value=_clamp_lr(lr), base=10, min=math.log10(LR_MIN), max=math.log10(LR_MAX),
                step=0.05, description="η", readout_format=".2g", continuous_update=False,
                layout=w.Layout(width="300px"))
            rows.append(w.HBox([self.checks[name], self.lrs[name]]))
        self.steps = w.IntSlider(value=_clean_steps(steps, []), min=10, max=1000, step=10,
                                 description="steps", continuous_update=False)
        self.frame = w.IntSlider(value=0, min=0, max=self.steps.value, description="frame",
                                 continuous_update=True)
        self.play = w.Play(value=0, min=0, max=self.steps.value, step=_play_step(steps),
                           interval=PLAY_INTERVAL_MS, description="play")
        self._link = w.link((self.play, "value"), (self.frame, "value"))
        self.frame.value = self.steps.value if frame is None else frame
        self.step_button = w.Button(description="step ▸", layout=w.Layout(width="80px"))
        self.reset_button = w.Button(description="reset", layout=w.Layout(width="80px"))

        fig = new_figure(width, height, dpi=dpi)
        self.plot = RacePlot(fig)
        self.result: RaceResult | None = None
        self.plot.draw_surface(SURFACES[surface])
        controls = {"surface": self.surface, "steps": self.steps, "frame": self.frame}
        for name in self.builders:
            controls[f"check:{name}"] = self.checks[name]
            controls[f"lr:{name}"] = self.lrs[name]
        self._watch(controls, prefetch=("frame", *(f"lr:{n}" for n in self.builders)))
        self.result = self._compute()
        self._draw()
        # blitting (inline fallback): contours, axes and grid are rendered once per surface; a
        # frame redraws only the racers' trails, heads and loss lines, the cursor, the legend
        # (its texts are the current losses), the loss panel's title and the status line
        # the static parts depend on the surface (which invalidates) and the limits alone: keep
        # the renderings of the last few loss-axes limits (~0.9 MB each)
        self.view = FigureView(fig, animated=self._animated_artists(), volatile=[self.plot.ax_loss],
                               cache=8)

        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())

        half = (len(rows) + 1) // 2
        self.widget = w.VBox([
            w.HBox([self.surface, self.steps]),
            w.HBox([w.VBox(rows[:half]), w.VBox(rows[half:])]),
            w.HBox([self.play, self.step_button, self.reset_button, self.frame]),
            self.view.widget,
        ])

    # -- display ---------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def status_text(self) -> str:
        """The line under the figure: the step shown and any problem."""
        self._settle()
        return self.plot.status.get_text()

    @property
    def legend_texts(self) -> list[str]:
        """The legend's entries as currently drawn."""
        self._settle()
        return self.plot.legend_texts()

    # -- actions -----------------------------------------------------------------------------------

    def step(self) -> None:
        """Show one step more (stops at the end of the race)."""
        self.frame.value = min(self.frame.value + 1, self.frame.max)

    def reset(self) -> None:
        """Back to step 0."""
        self.frame.value = 0

    def factories(self) -> dict[str, Factory]:
        """The selected racers as ``name -> factory(params)`` with the sliders' learning rates."""
        out: dict[str, Factory] = {}
        for name, builder in self.builders.items():
            if self._value(f"check:{name}"):
                lr = float(self._value(f"lr:{name}"))
                out[name] = lambda params, b=builder, lr=lr: b(params, lr=lr)
        return out

    # -- control handling --------------------------------------------------------------------------

    def _show_status(self, text: str | None = None) -> None:
        """The status line is drawn in the figure (see :meth:`_draw`)."""

    def _prepare(self, change: dict[str, Any]) -> None:
        owner = change["owner"]
        if owner is self.surface:
            table = DEFAULT_LRS.get(self.surface.value, {})
            for name, slider in self.lrs.items():
                if name in table:
                    slider.value = table[name]
            self.plot.draw_surface(SURFACES[self.surface.value])
            self.frame.value = self.steps.value
            self._drawn = ()
            self._static_changed = True  # new contours: render everything
            self.forget_frames()
        elif owner is not self.frame:
            steps = self.steps.value
            self.play.max = steps
            self.play.step = _play_step(steps)
            self.frame.max = steps

    def _compute(self) -> RaceResult | None:
        """The race for the current settings (run again only when they changed: moving the
        frame shows the same race)."""
        racers = self.factories()
        key = (self._value("surface"), self._value("steps"),
               tuple((n, self._value(f"lr:{n}")) for n in racers))
        if key == self._race_key:
            return self.result
        self._race_key = key
        try:
            self.error = None if racers else "pick at least one optimizer"
            return compute_race(self._value("surface"), racers, self._value("steps")) \
                if racers else None
        except (ValueError, TypeError, ArithmeticError) as err:  # shown, never raised
            self.error = f"cannot race: {err}"
            return None

    def _draw(self) -> None:
        """New racer artists when the race changed, then the frame (set_data / set_text)."""
        if self.result is not self._drawn:
            surface = SURFACES[self._value("surface")]
            colors = {n: i for i, n in enumerate(self.builders)}
            self.plot.set_race(self.result, surface, colors)
            ax = self.plot.ax_loss
            if self.result is not None and ax.get_yscale() == "log":
                # limits outward to quarter decades, so that a small change of η leaves the loss
                # axes (and their cached rendering) as they are
                lo, hi = ax.get_ylim()
                ax.set_ylim(_quarter_decade(lo, down=True), _quarter_decade(hi, down=False))
            self._drawn = self.result
            if hasattr(self, "view"):
                # new racer artists; nothing static changed unless the surface did (the contours
                # and the start are the surface's): the loss axes are re-rendered only if their
                # limits moved
                self.view.set_animated(self._animated_artists(), keep=not self._static_changed)
                self._static_changed = False
        self.plot.show_frame(self.result, self._value("frame"), self.error)

    def _animated_artists(self) -> list[Any]:
        """What a frame changes, in drawing order (each axes' artists as their z-order has it)."""
        p = self.plot
        path = [a for name in p.trails for a in (p.trails[name], p.heads[name])]
        legend = [] if p.legend is None else [p.legend]
        return [*path, p.cursor, *p.loss_lines.values(), *legend, p.ax_loss.title, p.status]
