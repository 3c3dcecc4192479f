"""A handle on one trainable array and its gradient.

Layers keep their arrays as plain attributes named after the math (``W``, ``b``) and their
gradients beside them (``dW``, ``db``). A :class:`Parameter` points at such a pair, so optimizers
can update ``owner.W`` in place and read ``owner.dW`` without copying anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Parameter:
    """The array ``owner.<attr>`` and its gradient ``owner.d<attr>``.

    Args:
        owner: the object that holds the array (a layer, or a :class:`Point`).
        attr: attribute name of the array, e.g. ``"W"``; the gradient is ``"d" + attr``.
        name: a readable name for reports, e.g. ``"0.W"`` (layer 0, weights).

    ``value`` and ``grad`` have the same shape and dtype. Optimizers must update ``value`` in place
    (``p.value -= ...``) so that the owner sees the change.
    """

    __slots__ = ("owner", "attr", "name")

    def __init__(self, owner: Any, attr: str, name: str | None = None) -> None:
        self.owner = owner
        self.attr = attr
        self.name = name if name is not None else attr

    @property
    def value(self) -> np.ndarray:
        return getattr(self.owner, self.attr)

    @value.setter
    def value(self, new: np.ndarray) -> None:
        """Assigning copies into the owner's array, so ``p.value -= lr * p.grad`` updates it in place."""
        current = getattr(self.owner, self.attr)
        if new is not current:  # `p.value -= x` already changed `current` in place
            current[...] = new

    @property
    def grad(self) -> np.ndarray:
        return getattr(self.owner, "d" + self.attr)

    @grad.setter
    def grad(self, g: np.ndarray) -> None:
        setattr(self.owner, "d" + self.attr, g)

    def __repr__(self) -> str:
        v = self.value
        return f"Parameter({self.name!r}, shape={v.shape}, dtype={v.dtype})"


class Point:
    """A free-standing trainable array ``value`` with gradient ``dvalue``.

    Used to run an optimizer on a 2-D surface: ``p = Point([x0, y0])``,
    ``opt = Adam([p.param], lr=0.1)``; set ``p.dvalue`` and call ``opt.step()``.
    """

    def __init__(self, value: Any, dtype: np.dtype | type = np.float64) -> None:
        self.value = np.array(value, dtype=dtype)
        self.dvalue = np.zeros_like(self.value)
        self.param = Parameter(self, "value", name="point")
