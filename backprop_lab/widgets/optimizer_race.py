"""Optimizer race (lesson 08): several optimizers start from the same point of a 2-D loss surface
and race to the minimum, each with its own learning rate.

Two parts, as every widget of the course:

* :func:`compute_race` — pure and deterministic: for a surface name and a dict of *racers*
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
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backprop_lab.optim import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, RMSprop
from backprop_lab.parameter import Parameter
from backprop_lab.surfaces import SURFACES, Surface, run_optimizer
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

#: a factory builds an optimizer (anything with ``step()``) on a list of parameters
Factory = Callable[[list[Parameter]], Any]
#: a builder takes the parameters and a learning rate (an Optimizer subclass is one)
Builder = Callable[..., Any]

#: most steps a race runs; more are clamped (with a note)
STEPS_MAX = 2000
#: learning-rate range of the view's sliders
LR_MIN, LR_MAX = 1e-5, 10.0

#: the library's optimizers, as the view offers them (β = 0.9 for the momentum methods)
LIBRARY_OPTIMIZERS: dict[str, Builder] = {
    "SGD": SGD,
    "Momentum": Momentum,
    "Nesterov": Nesterov,
    "Adagrad": Adagrad,
    "RMSprop": RMSprop,
    "Adadelta": Adadelta,
    "Adam": Adam,
}

#: a learning rate per surface and optimizer that races well for 200 steps from the surface's
#: start (picked from a log grid: close to the lowest final loss, without oscillating wildly)
DEFAULT_LRS: dict[str, dict[str, float]] = {
    "bowl": {"SGD": 0.3, "Momentum": 0.1, "Nesterov": 0.1, "Adagrad": 0.5, "RMSprop": 0.03,
             "Adadelta": 1.0, "Adam": 0.1},
    "ravine": {"SGD": 1.0, "Momentum": 0.3, "Nesterov": 0.3, "Adagrad": 1.0, "RMSprop": 0.05,
               "Adadelta": 1.0, "Adam": 0.2},
    "rosenbrock": {"SGD": 2e-3, "Momentum": 2e-3, "Nesterov": 1e-3, "Adagrad": 0.5,
                   "RMSprop": 0.1, "Adadelta": 1.0, "Adam": 0.2},
    "beale": {"SGD": 0.01, "Momentum": 1e-3, "Nesterov": 3e-3, "Adagrad": 1.0, "RMSprop": 0.1,
              "Adadelta": 1.0, "Adam": 0.2},
    "saddle": {"SGD": 0.05, "Momentum": 0.01, "Nesterov": 0.01, "Adagrad": 0.1, "RMSprop": 0.01,
               "Adadelta": 1.0, "Adam": 0.01},
    "himmelblau": {"SGD": 0.01, "Momentum": 3e-3, "Nesterov": 3e-3, "Adagrad": 0.5,
                   "RMSprop": 0.03, "Adadelta": 1.0, "Adam": 0.1},
}
#: the learning rate for an optimizer the table does not know
FALLBACK_LR = 0.01


@dataclass(frozen=True, eq=False)
class RaceResult:
    """The outcome of one race: every racer's path and losses, computed once.

    Attributes:
        surface_name: key of :data:`backprop_lab.surfaces.SURFACES`.
        steps: steps every racer was given (after clamping).
        start: the common start point.
        names: the racers, in the order given.
        paths: ``name -> (n, 2)`` points visited, ``path[0] = start``; ``n = steps + 1``, or
            ``diverged_at + 1`` for a racer that blew up, or 1 for a racer that could not run.
        losses: ``name -> (n,)`` f at each point of the path.
        statuses: ``name -> str``: ``"converged"``, ``"converging"``, ``"oscillating"``,
            ``"stalled"``, ``"diverging"`` (loss still growing at the end),
            ``"diverged at step k"``, ``"invalid: <why>"`` (the factory rejected its settings)
            or ``"error: <why>"`` (its ``step()`` raised).
        diverged_at: ``name -> step`` at which the racer blew up, or None.
        lrs: ``name -> the optimizer's`` ``lr`` attribute, if it has one (for legends).
        errors: ``name -> the exception`` behind an ``invalid``/``error`` status (re-raise it to
            see the traceback of your own optimizer).
        notes: messages about clamped inputs.
    """

    surface_name: str
    steps: int
    start: tuple[float, float]
    names: tuple[str, ...]
    paths: dict[str, np.ndarray]
    losses: dict[str, np.ndarray]
    statuses: dict[str, str]
    diverged_at: dict[str, int | None]
    lrs: dict[str, float | None]
    errors: dict[str, BaseException] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def surface(self) -> Surface:
        return SURFACES[self.surface_name]

    def loss_at(self, name: str, frame: int) -> float:
        """Racer ``name``'s loss at step ``frame`` (its last loss if it stopped earlier)."""
        losses = self.losses[name]
        return float(losses[min(max(int(frame), 0), len(losses) - 1)])

    def label(self, name: str, frame: int | None = None) -> str:
        """Legend text for ``name`` at step ``frame`` (default: the end of the race)."""
        frame = self.steps if frame is None else int(frame)
        status = self.statuses[name]
        lr = self.lrs.get(name)
        head = f"{name} (η={lr:.3g})" if lr is not None else name
        if status.startswith(("invalid", "error")):
            return f"{head}: {status}"
        k = self.diverged_at[name]
        if k is not None and frame >= k:
            # on a surface without a minimum (the saddle) "diverged" means it ran off to f → −∞
            last = self.losses[name][np.isfinite(self.losses[name])]
            downhill = self.surface.f_min is None and last.size and last[-1] < last[0]
            return f"{head}: diverged at step {k}" + (" (f → −∞)" if downhill else "")
        loss = self.loss_at(name, frame)
        f_min = self.surface.f_min
        if f_min is not None:
            return f"{head}: f − f* = {max(loss - f_min, 0.0):.2e}"
        return f"{head}: f = {loss:.3g}"

    def summary(self) -> str:
        """One line per racer: name, learning rate, final loss and status (rounded, stable)."""
        width = max((len(n) for n in self.names), default=4)
        lines = [f"{self.surface_name}, {self.steps} steps from {self.start}"]
        for name in self.names:
            status = self.statuses[name]
            lr = self.lrs.get(name)
            lr_text = f"{lr:<8.3g}" if lr is not None else f"{'-':<8}"
            if status.startswith(("invalid", "error")):
                lines.append(f"  {name:<{width}}  η = {lr_text}  {status}")
                continue
            final = float(self.losses[name][-1])
            lines.append(f"  {name:<{width}}  η = {lr_text}  final f = {final:<10.3g}  {status}")
        return "\n".join(lines)


def _clean_steps(steps: Any, notes: list[str]) -> int:
    from backprop_lab.widgets.base import clean_whole_number

    return clean_whole_number(steps, "steps", 1, STEPS_MAX, notes)


def _clean_start(start: Any, surface: Surface, notes: list[str]) -> tuple[float, float]:
    default = (float(surface.start[0]), float(surface.start[1]))
    if start is None:
        return default
    try:
        xy = np.array(start, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        xy = np.array([math.nan])
    if xy.size != 2 or not np.all(np.isfinite(xy)):
        notes.append(f"start must be a point (x, y) of finite numbers (got {start!r}); "
                     f"using the surface's start {default}")
        return default
    return (float(xy[0]), float(xy[1]))


class _RacerFailed(Exception):
    """Wraps what went wrong while building or stepping one racer."""

    def __init__(self, kind: str, err: BaseException) -> None:
        super().__init__(kind)
        self.kind, self.err = kind, err


def _run_racer(surface: Surface, factory: Factory, start: tuple[float, float], steps: int
               ) -> tuple[Any, Any]:
    """(trajectory, optimizer) of one racer; raises _RacerFailed with what went wrong."""
    built: list[Any] = []

    def make(params: list[Parameter]) -> Any:
        try:
            opt = factory(params)
        except Exception as err:  # the student's factory: report it, never crash the race
            raise _RacerFailed("invalid", err) from err
        if not callable(getattr(opt, "step", None)):
            raise _RacerFailed("invalid", TypeError(
                f"the factory returned {type(opt).__name__}, which has no step() method"))
        built.append(opt)
        return opt

    try:
        traj = run_optimizer(surface, make, start=start, steps=steps)
    except _RacerFailed:
        raise
    except Exception as err:  # raised inside the optimizer's step()
        raise _RacerFailed("error", err) from err
    return traj, built[0]


def compute_race(
    surface_name: str,
    racers: Mapping[str, Factory],
    steps: int = 200,
    start: tuple[float, float] | None = None,
) -> RaceResult:
    """Race the optimizers built by ``racers`` on one surface, from one start, for ``steps`` steps.

    Pure and deterministic: each racer gets a fresh point at ``start`` and a fresh optimizer from
    its factory; nothing random is involved. Seven racers × 300 steps take a few tens of ms.

    Args:
        surface_name: a key of :data:`backprop_lab.surfaces.SURFACES` (``"bowl"``, ``"ravine"``,
            ``"rosenbrock"``, ``"beale"``, ``"saddle"``, ``"himmelblau"``).
        racers: ``name -> factory``; ``factory(params)`` gets a list holding one
            :class:`~backprop_lab.parameter.Parameter` (the 2-D point, shape (2,)) and returns an
            optimizer on it, e.g. ``lambda params: Adam(params, lr=0.05)``.
        steps: steps per racer, clamped to [1, STEPS_MAX] (with a note).
        start: start point (x, y); None = the surface's default start.

    Returns:
        A :class:`RaceResult`. A racer that could not be built or whose ``step()`` raised gets an
        ``"invalid: …"`` / ``"error: …"`` status and a path of just the start point.

    Raises:
        ValueError: for an unknown surface name, or racers that is not a non-empty mapping.
    """
    if not isinstance(surface_name, str) or surface_name not in SURFACES:
        raise ValueError(f"unknown surface {surface_name!r}; valid names: {', '.join(SURFACES)}")
    if not isinstance(racers, Mapping) or not racers:
        raise ValueError(f"racers must be a non-empty dict name -> factory, got {racers!r}")
    surface = SURFACES[surface_name]
    notes: list[str] = []
    steps = _clean_steps(steps, notes)
    xy0 = _clean_start(start, surface, notes)

    paths: dict[str, np.ndarray] = {}
    losses: dict[str, np.ndarray] = {}
    statuses: dict[str, str] = {}
    diverged_at: dict[str, int | None] = {}
    lrs: dict[str, float | None] = {}
    errors: dict[str, BaseException] = {}
    for name, factory in racers.items():
        name = str(name)
        if not callable(factory):
            factory_err: BaseException = TypeError(
                f"racer {name!r} must be a factory params -> optimizer, "
                f"got {type(factory).__name__}")
            failed: _RacerFailed | None = _RacerFailed("invalid", factory_err)
        else:
            failed = None
            try:
                traj, opt = _run_racer(surface, factory, xy0, steps)
            except _RacerFailed as f:
                failed = f
        if failed is not None:
            errors[name] = failed.err
            paths[name] = np.array([xy0], dtype=np.float64)
            losses[name] = np.array([surface.f(np.array(xy0))])
            statuses[name] = f"{failed.kind}: {failed.err}"
            diverged_at[name] = None
            lrs[name] = None
            continue
        paths[name] = traj.path
        losses[name] = traj.losses
        diverged_at[name] = traj.diverged_at
        if traj.diverged_at is not None:
            statuses[name] = f"diverged at step {traj.diverged_at}"
        elif traj.status == "diverged":  # the loss is still growing, not blown up yet
            statuses[name] = "diverging"
        else:
            statuses[name] = traj.status
        lr = getattr(opt, "lr", None)
        lrs[name] = float(lr) if isinstance(lr, numbers.Real) and not isinstance(lr, bool) else None

    return RaceResult(
        surface_name=surface_name, steps=steps, start=xy0, names=tuple(paths), paths=paths,
        losses=losses, statuses=statuses, diverged_at=diverged_at, lrs=lrs, errors=errors,
        notes=tuple(notes),
    )


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


def _clamp_lr(value: float) -> float:
    return min(max(float(value), LR_MIN), LR_MAX)


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
