"""Optimizer race (lesson 08), the pure half: several optimizers start from the same point of a
2-D loss surface and race to the minimum, each with its own learning rate. NumPy only; the view is
:class:`backprop_lab.widgets.optimizer_race.OptimizerRace`.

:func:`compute_race` is pure and deterministic: for a surface name and a dict of *racers*
(``name -> factory``, where ``factory(params)`` builds an optimizer on ``params``, a list of
:class:`~backprop_lab.parameter.Parameter`), it runs every racer for the same number of steps with
:func:`backprop_lab.surfaces.run_optimizer` and returns a :class:`RaceResult` (paths, losses,
statuses). Any object with ``step()`` that updates ``params[0].value`` in place from
``params[0].grad`` can race: a :class:`~backprop_lab.optim.Optimizer` subclass that implements
``update(w, g, state)``, or a hand-written class with ``step()``/``zero_grad()``. A racer whose
factory rejects its settings (e.g. a negative learning rate) or whose ``step`` raises gets an
``"invalid: …"`` / ``"error: …"`` status instead of stopping the race.

    from backprop_lab.optim import Adam, SGD
    result = compute_race("rosenbrock", {"SGD": lambda p: SGD(p, lr=1e-3),
                                          "Adam": lambda p: Adam(p, lr=0.05)}, steps=300)
    result.statuses        # {"SGD": "converging", "Adam": "converged"}

The optimizers offered are those of :data:`backprop_lab.optim.OPTIMIZERS`; the learning rates
per surface are carried by the surfaces (:attr:`~backprop_lab.surfaces.Surface.race_lrs`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from backprop_lab.optim import OPTIMIZERS, make_optimizer
from backprop_lab.parameter import Parameter
from backprop_lab.surfaces import DEFAULT_RACE_LR, SURFACES, Surface, run_optimizer
from backprop_lab.validate import clamp, clean_count, clean_point

__all__ = [
    "DEFAULT_LRS",
    "FALLBACK_LR",
    "LIBRARY_OPTIMIZERS",
    "LR_MAX",
    "LR_MIN",
    "STEPS_MAX",
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

#: the library's optimizers, as the view offers them (β = 0.9 for the momentum methods): one
#: entry per optimizer of :data:`backprop_lab.optim.OPTIMIZERS`, under its class name ("SGD",
#: "RMSprop", …); ``LIBRARY_OPTIMIZERS[name](params, lr=lr)`` calls
#: :func:`~backprop_lab.optim.make_optimizer`
LIBRARY_OPTIMIZERS: dict[str, Builder] = {
    cls.__name__: partial(make_optimizer, key) for key, cls in OPTIMIZERS.items()
}
#: the learning rate for an optimizer a surface has no rate for
FALLBACK_LR = DEFAULT_RACE_LR


class _RaceRates(Mapping[str, dict[str, float]]):
    """``DEFAULT_LRS[surface][optimizer]``: a live, read-only view of the learning rates the
    surfaces carry (:attr:`~backprop_lab.surfaces.Surface.race_lrs`), by surface name and the
    optimizers' names in :data:`LIBRARY_OPTIMIZERS`; a surface added with
    :func:`~backprop_lab.surfaces.register_surface` is in it at once."""

    def __getitem__(self, surface: str) -> dict[str, float]:
        s = SURFACES[surface]
        return {name: s.race_lr(name) for name in LIBRARY_OPTIMIZERS
                if name.lower() in dict(s.race_lrs)}

    def __iter__(self) -> Iterator[str]:
        return iter(list(SURFACES))

    def __len__(self) -> int:
        return len(SURFACES)

    def __repr__(self) -> str:
        return repr(dict(self))


#: a learning rate per surface and optimizer that races well for 200 steps from the surface's
#: start (read from the surfaces, see :class:`~backprop_lab.surfaces.Surface`)
DEFAULT_LRS: Mapping[str, dict[str, float]] = _RaceRates()


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
    """Steps per racer in [1, STEPS_MAX] (a note when changed)."""
    return clean_count(steps, "steps", 1, STEPS_MAX, 1, notes)


def _clamp_lr(value: float) -> float:
    """A learning rate clamped to the sliders' range [LR_MIN, LR_MAX]."""
    return clamp(value, LR_MIN, LR_MAX)


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
    xy0 = clean_point(start, "start", surface.start, surface.bounds, notes)

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
