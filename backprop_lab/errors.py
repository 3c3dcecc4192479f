"""Every exception the library raises on purpose, in one place.

Each is a subclass of the built-in exception a caller would catch anyway (``ValueError`` for bad
input, ``RuntimeError`` for a run that went wrong), so ``except ValueError`` keeps working; the
specific class lets a lesson, a test or the command line tell the cases apart. The modules that
raise them re-export them (``from backprop_lab.layers import ShapeError`` works), but this is
their home.

==================  ==============  ===============================================================
class               base            raised when
==================  ==============  ===============================================================
``ShapeError``      ``ValueError``  an array reaches a layer or loss with a shape it cannot take
``WeightsError``    ``ValueError``  a weights file does not fit the model it is loaded into
``ChecksumError``   ``ValueError``  a data file's sha256 differs from the expected one
``SettingsError``   ``ValueError``  a widget setting (e.g. the playground's hidden widths) is unusable
``DivergenceError`` ``RuntimeError`` training diverged by the rule of :mod:`backprop_lab.divergence`
``CliError``        ``Exception``   a command-line argument is unusable (printed as one line)
==================  ==============  ===============================================================

NumPy only (in fact nothing at all): every layer may import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ChecksumError", "CliError", "DivergenceError", "SettingsError", "ShapeError",
           "WeightsError"]


class ShapeError(ValueError):
    """An array reached a layer or loss with a shape it cannot take."""


class WeightsError(ValueError):
    """A weights file that does not fit the model it is loaded into."""


class SettingsError(ValueError):
    """A widget setting that cannot be used; the message says which and why."""


class CliError(Exception):
    """A problem with the command line's arguments found after parsing (one line, exit 1)."""


class ChecksumError(ValueError):
    """A file's sha256 differs from the expected one: the file is corrupt or not the original.

    Attributes ``path``, ``expected`` and ``actual`` hold the file and the two hex digests; the
    message ends with ``hint`` (what to do about it).
    """

    def __init__(self, path: Path, expected: str, actual: str, hint: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        message = (
            f"checksum mismatch for {path}:\n"
            f"  expected sha256 {expected}\n"
            f"  actual   sha256 {actual}\n"
            "The file is corrupt or is not the original. " + hint
        )
        super().__init__(message)


class DivergenceError(RuntimeError):
    """Training diverged (see :mod:`backprop_lab.divergence`): carries the step and the history.

    Attributes:
        step: the step (counted from 0) whose loss or update tripped the rule.
        epoch: its epoch (from 0); loss: the loss there; lr: the learning rate in use;
        reason: which clause held; history: the :class:`~backprop_lab.train.History` so far.
    """

    def __init__(self, step: int, epoch: int, loss: float, lr: float, history: Any,
                 reason: str = "") -> None:
        self.step, self.epoch, self.loss, self.lr, self.history = step, epoch, loss, lr, history
        self.reason = reason or f"the loss became {loss}"
        recent = ", ".join(f"{v:.4g}" for v in history.step_loss[-5:]) or "none"
        super().__init__(
            f"training diverged at step {step} (epoch {epoch + 1}) with learning rate {lr:g}: "
            f"{self.reason}. Last losses before it: [{recent}]. Try a smaller learning "
            f"rate, e.g. {lr / 10:g}, or clip the gradients."
        )
