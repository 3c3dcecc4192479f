"""Check cells for the discovery tasks of lessons 09 and 10 (NumPy only at import time).

Lesson 09's task comes before the lesson explains initialisation scales: with the gradient-flow
widget, find the initialisation that keeps the spread (std) of a tanh network's activations flat
across depth, without saturating most units. The student stores the widget's init name in
``my_init``; :func:`check_flat_tanh_init` says whether it is right and why. It computes the truth
honestly with the library's gradient-flow statistics (:func:`compute_gradient_flow`, the function
behind the widget) for every init and several seeds, so it relies on no formula it is about to
reveal. Before a value is set it only says what to set.

Typical use in a notebook::

    from backprop_lab.lesson_checks_0910 import check_flat_tanh_init
    my_init = None          # the widget's init name you found, e.g. "small"
    check_flat_tanh_init(my_init)

The gradient-flow computation (:mod:`backprop_lab.explore.gradient_flow`) is imported only when
a check runs, not when this module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FLAT_RANGE", "MAX_SATURATED", "TanhInitSurvey", "check_flat_tanh_init",
           "survey_tanh_inits"]

#: the spread counts as flat when std a in the last layer / std a in layer 1 is in this range
FLAT_RANGE = (0.5, 2.0)
#: … and as useful when at most this fraction of the units is saturated (on average over layers)
MAX_SATURATED = 0.10


@dataclass(frozen=True)
class TanhInitSurvey:
    """Per init: the ratio std a(last layer) / std a(layer 1) and the saturated fraction.

    ``ratio[init]`` and ``saturated[init]`` are arrays of shape ``(n_seeds,)``; a ratio is NaN when
    layer 1 has no spread at all (zero init)."""

    depth: int
    width: int
    ratio: dict[str, np.ndarray]
    saturated: dict[str, np.ndarray]

    def flat(self, init: str) -> bool:
        """True when the ratio is in ``FLAT_RANGE`` for every seed."""
        r = self.ratio[init]
        return bool(np.all((r >= FLAT_RANGE[0]) & (r <= FLAT_RANGE[1])))

    def unsaturated(self, init: str) -> bool:
        """True when at most ``MAX_SATURATED`` of the units are saturated, for every seed."""
        return bool(np.all(self.saturated[init] <= MAX_SATURATED))

    @property
    def right(self) -> tuple[str, ...]:
        """The inits that keep the spread flat without saturating (the accepted answers)."""
        return tuple(i for i in self.ratio if self.flat(i) and self.unsaturated(i))


def survey_tanh_inits(depth: int = 10, width: int = 128,
                      seeds: tuple[int, ...] = (0, 1, 2)) -> TanhInitSurvey:
    """Run the widget's computation for a tanh network and every init it offers.

    For each init and seed, ``compute_gradient_flow(depth, width, "tanh", init, seed=seed)``
    (weights and a batch X ~ N(0, 1) of shape (128, width) drawn from ``default_rng(seed)``)
    gives the per-layer activation std ``a_std`` (shape ``(depth,)``) and saturated fractions.
    """
    from backprop_lab.explore.gradient_flow import INITS, compute_gradient_flow

    if not (isinstance(depth, int) and 2 <= depth <= 50):
        raise ValueError(f"depth must be a whole number of hidden layers in [2, 50], got {depth!r}")
    ratio: dict[str, np.ndarray] = {}
    saturated: dict[str, np.ndarray] = {}
    for init in INITS:
        r, s = [], []
        for seed in seeds:
            f = compute_gradient_flow(depth, width, "tanh", init, seed=seed)
            r.append(f.a_std[-1] / f.a_std[0] if f.a_std[0] > 0 else np.nan)
            s.append(float(f.saturated.mean()))
        ratio[init], saturated[init] = np.array(r), np.array(s)
    return TanhInitSurvey(depth, width, ratio, saturated)


#: n·Var(w) of each init for a square layer of width n (section 3 of lesson 09 derives them)
_N_VAR = {"zeros": "0", "small": "10⁻⁴·n", "standard": "1/3", "xavier": "1", "he": "2",
          "large": "n"}


def _why(survey: TanhInitSurvey, init: str) -> str:
    r = float(np.nanmean(survey.ratio[init])) if not np.all(np.isnan(survey.ratio[init])) else None
    sat = float(np.mean(survey.saturated[init]))
    d = survey.depth
    if r is None:
        return ("there is no spread at all: every unit outputs tanh(0) = 0 in every layer "
                "(and all units of a layer stay identical)")
    if not survey.flat(init) and r < FLAT_RANGE[0]:
        return (f"the spread shrinks: layer {d} keeps only {r:.2g} of layer 1's std — "
                f"each layer multiplies it by less than 1; try a larger scale")
    if not survey.flat(init):
        return f"the spread grows: layer {d} has {r:.2g}× layer 1's std; try a smaller scale"
    return (f"flat, yes (layer {d} / layer 1 = {r:.2f}) — but {sat:.0%} of the units are "
            f"saturated at ±1, where tanh′ ≈ 0: the spread is flat because it is stuck at its "
            f"maximum; look for a flat setting with few saturated units")


def check_flat_tanh_init(my_init: object = None, *, depth: int = 10, width: int = 128,
                         show: bool = True) -> bool | None:
    """Check lesson 09's widget task: the init that keeps tanh's spread flat across ``depth``.

    Right when, for every seed of :func:`survey_tanh_inits`, std a(layer ``depth``) / std a(layer 1)
    is within ``FLAT_RANGE`` and at most ``MAX_SATURATED`` of the units are saturated.
    ``None`` means "not found yet": the check says what to set and reveals nothing. Prints one
    line when ``show``; returns True/False, or None when the value is not set.

    Raises:
        TypeError: ``my_init`` is not a string.
        ValueError: ``my_init`` is not one of the widget's init names.
    """
    if my_init is None:
        line = ('my_init: not set yet — set my_init to the name of the init you found, one of '
                '"zeros", "small", "standard", "xavier", "he", "large"')
        if show:
            print(line)
        return None
    if not isinstance(my_init, str):
        raise TypeError(f"my_init must be an init name (a string such as \"small\"), "
                        f"got {type(my_init).__name__} {my_init!r}")
    from backprop_lab.explore.gradient_flow import INITS

    name = my_init.strip().lower()
    if name not in INITS:
        raise ValueError(f"my_init must be one of {list(INITS)} (the widget's init names), "
                         f"got {my_init!r}")
    survey = survey_tanh_inits(depth, width)
    ok = name in survey.right
    if ok:
        r = float(np.mean(survey.ratio[name]))
        sat = float(np.mean(survey.saturated[name]))
        line = (f'my_init = "{name}": right. With tanh at depth {depth}, layer {depth} keeps '
                f"{r:.2f} of layer 1's activation std, and only {sat:.0%} of the units are "
                f"saturated. Its weight scale (n·Var(w) = {_N_VAR[name]}) pushes the spread up while "
                f"tanh's flattening (slope below 1 away from 0) pulls it down, and the two "
                f"balance at a fixed spread (section 3 explains the scales)")
    else:
        line = f'my_init = "{name}": not this one — {_why(survey, name)}'
    if show:
        print(line)
    return ok
