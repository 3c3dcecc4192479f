"""The one rule that says training has diverged, shared by ``fit``, the playground widget and
``run_optimizer`` (``fit`` and ``run_optimizer`` apply it in their one training step,
:class:`backprop_lab.step.Stepper`).

Training has **diverged at step t** when, after step t,

1. the loss is NaN or ±inf, or
2. the loss exceeds ``LOSS_FACTOR`` × (1 + |loss₀|), with loss₀ the loss before the first step
   (for ``fit``: on the first mini-batch; 1 + |loss₀| keeps the rule meaningful when loss₀ ≈ 0), or
3. a parameter entry is NaN or ±inf, or larger than ``PARAM_LIMIT`` in absolute value.

``LOSS_FACTOR = PARAM_LIMIT = 1e6``: far beyond anything a working run reaches (a loss a million
times its start, a weight of a million on data scaled to unit size), so a run that trips the rule
cannot recover, while a run that oscillates or spikes for a while is left alone. The price of so
loose a rule: a network whose tanh units saturate can sit at a loss ~10⁴ times its start
without tripping it (its loss grows only linearly in the weights); watch the loss curve. A tighter
factor such as 1e3 would stop lesson 03's divergent runs before they show their growth factor.

    rule = DivergenceRule(first_loss)
    reason = rule.check(loss, params)     # None, or why it diverged (one phrase)
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Iterable

import numpy as np

from backprop_lab.errors import DivergenceError

__all__ = ["LOSS_FACTOR", "PARAM_LIMIT", "DivergenceRule", "DivergenceError", "warn_zero_lr"]

#: the loss may grow to this many times (1 + |its first value|) before training counts as diverged
LOSS_FACTOR = 1e6
#: a parameter entry beyond ±this (or NaN/inf) counts as diverged
PARAM_LIMIT = 1e6


class DivergenceRule:
    """The divergence rule of this module, for one run that started at loss ``first_loss``.

    Args:
        first_loss: the loss before any step (must be finite; a non-finite start is a data or
            model problem, not divergence).
    """

    def __init__(self, first_loss: float) -> None:
        self.first_loss = float(first_loss)
        self.loss_limit = LOSS_FACTOR * (1.0 + abs(self.first_loss))

    def check_loss(self, loss: float) -> str | None:
        """Why the loss ``loss`` means divergence (clause 1 or 2), or None."""
        loss = float(loss)
        if not math.isfinite(loss):
            return f"the loss became {loss}"
        if loss > self.loss_limit:
            return (f"the loss reached {loss:.4g}, more than {LOSS_FACTOR:g} × (1 + |first loss "
                    f"{self.first_loss:.4g}|) = {self.loss_limit:.4g}")
        return None

    @staticmethod
    def check_parameters(params: Iterable) -> str | None:
        """Why the parameters mean divergence (clause 3), or None.

        ``params`` holds :class:`~backprop_lab.parameter.Parameter` objects (``.value``, ``.name``)
        or plain arrays. Cost: two reductions over the values (no temporary arrays).
        """
        for i, p in enumerate(params):
            w = getattr(p, "value", p)
            if w.size == 0:
                continue
            hi, lo = float(np.max(w)), float(np.min(w))
            if not (-PARAM_LIMIT <= lo and hi <= PARAM_LIMIT):  # NaN fails both comparisons
                name = getattr(p, "name", None) or f"parameter {i}"
                if not (math.isfinite(hi) and math.isfinite(lo)):
                    return f"{name} has a non-finite entry"
                return f"{name} has an entry of size {max(abs(hi), abs(lo)):.4g} > {PARAM_LIMIT:g}"
        return None

    def check(self, loss: float, params: Iterable = ()) -> str | None:
        """The first clause of the rule that holds, as a phrase, or None if training is fine."""
        return self.check_loss(loss) or self.check_parameters(params)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_zero_lr(message: str) -> None:
    """Warn (UserWarning) that the learning rate is 0, pointing at the first caller outside
    ``backprop_lab`` (the user's line, not the library's)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        level += 1
        frame = frame.f_back
    warnings.warn(message, UserWarning, stacklevel=level)
