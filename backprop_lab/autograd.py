"""A scalar reverse-mode autograd, built the way lesson 04 builds it.

Every arithmetic operation on a :class:`Value` returns a new ``Value`` that remembers its inputs
(``_prev``), the operation (``_op``) and a closure ``_backward`` that applies the chain rule for
that one operation: it multiplies the output's gradient by the local derivative and adds the
result to each input's gradient. The local derivative is written right next to the line that
computes the output, so each rule of the chain rule sits on one screen.

``loss.backward()`` orders the graph so that every node comes after its inputs (a topological
order), sets ``loss.grad = 1`` and calls the ``_backward`` closures from the loss back to the
inputs. Gradients are *added* (``+=``), which is exactly what the multivariable chain rule asks
for when a value is used more than once: ``y = x * x`` gives ``x.grad = x + x``.

Example::

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a             # a is used twice
    >>> c.backward()
    >>> a.grad, b.grad            # ∂c/∂a = b + 1, ∂c/∂b = a
    (-2.0, 2.0)

Like PyTorch, gradients of the leaves (inputs and weights, the values you create yourself)
accumulate across ``backward()`` calls until you call :meth:`Value.zero_grad`; gradients of
intermediate values are recomputed by each call.

Pure Python (NumPy not needed): one Python object per scalar is slow, and that is the point of
lesson 04; the layers in :mod:`backprop_lab.layers` do the same on whole arrays.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Node", "Value", "graph", "topological_order"]


def _noop() -> None:
    """The ``_backward`` of a leaf: nothing to pass on."""


class Value:
    """One scalar in a computational graph, with the gradient d(root)/d(self) after ``backward``.

    Args:
        data: the number.
        children: the Values this one was computed from (set by the operations; empty for inputs).
        op: the operation that produced this value, e.g. ``"*"`` (empty for inputs).
        label: an optional name for drawings, e.g. ``"w1"``.

    Attributes:
        data: the number (float).
        grad: ∂root/∂self, filled by ``root.backward()``; starts at 0.
        label: the name given, or "".
    """

    # tell NumPy to leave `array * Value` to Value (which refuses it) instead of
    # building an object array
    __array_ufunc__ = None

    def __init__(
        self,
        data: float,
        children: tuple[Value, ...] = (),
        op: str = "",
        label: str = "",
    ) -> None:
        if isinstance(data, Value) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value needs a real number, got {type(data).__name__}: {data!r}")
        if not all(isinstance(c, Value) for c in children):
            raise TypeError("children must be Values")
        self.data = float(data)
        self.grad = 0.0
        self._prev: tuple[Value, ...] = tuple(children)
        self._op = op
        self._backward: Callable[[], None] = _noop
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- binary operations ------------------------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            # d(a − b)/da = 1, d(a − b)/db = −1
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            # d(a·b)/da = b, d(a·b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            # d(a/b)/da = 1/b, d(a/b)/db = −a/b²
            self.grad += out.grad / other.data
            other.grad -= out.grad * self.data / (other.data * other.data)

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError(
                "Value ** Value is not supported: only numbers (int or float) are supported "
                "as exponents; for a^b with a variable b write (b * a.log()).exp()"
            )
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            return NotImplemented
        p = float(exponent)
        x = self.data
        if x == 0.0 and p < 0:
            raise ZeroDivisionError(f"0 ** {p:g} is undefined ({self!r})")
        if x < 0.0 and not p.is_integer():
            raise ValueError(
                f"a negative number to a fractional power is not real: {self!r} ** {p:g}"
            )
        out = Value(x**p, (self,), f"**{p:g}")

        def _backward() -> None:
            # d(xᵖ)/dx = p·xᵖ⁻¹  (0 for p = 0; +inf at x = 0 for 0 < p < 1)
            if p == 0.0:
                local = 0.0
            elif x == 0.0 and p < 1.0:
                local = math.inf
            else:
                local = p * x ** (p - 1.0)
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other: float) -> Value:  # other + self
        return self + other

    def __rsub__(self, other: float) -> Value:  # other − self
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        return other - self

    def __rmul__(self, other: float) -> Value:  # other · self
        return self * other

    def __rtruediv__(self, other: float) -> Value:  # other / self
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        return other / self

    def __rpow__(self, base: float) -> Value:  # number ** self
        raise TypeError(
            "number ** Value is not supported: only numbers are supported as exponents; "
            "for c^x write (x * math.log(c)).exp()"
        )

    # -- unary operations -------------------------------------------------------------------------

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward() -> None:
            # d(−a)/da = −1
            self.grad -= out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """eˣ."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows float64 for {self!r} (data > 709.78)") from None
        out = Value(e, (self,), "exp")

        def _backward() -> None:
            # d(eˣ)/dx = eˣ
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm ln x; ValueError for x <= 0."""
        if self.data <= 0.0:
            raise ValueError(f"log is only defined for positive numbers, got {self!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """tanh x."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            # d(tanh x)/dx = 1 − tanh² x
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for any x."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e⁻ˣ would overflow for x < −709; use σ(x) = eˣ / (1 + eˣ) instead
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            # dσ/dx = σ(1 − σ)
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """max(0, x); its derivative at exactly 0 is taken to be 0."""
        out = Value(self.data if self.data > 0.0 else 0.0, (self,), "relu")

        def _backward() -> None:
            # d relu/dx = 1 for x > 0, else 0
            if self.data > 0.0:
                self.grad += out.grad

        out._backward = _backward
        return out

    # -- the backward pass ------------------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every value this one depends on with ∂self/∂value.

        Orders the graph topologically (inputs before outputs), resets the gradients of the
        intermediate values, sets ``self.grad = 1`` (∂self/∂self) and runs each node's
        ``_backward`` from ``self`` back to the inputs. Leaf gradients accumulate across calls.
        """
        order = topological_order(self)
        for v in order:
            if v._prev:
                v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    def zero_grad(self) -> None:
        """Set ``.grad = 0`` on this value and every value it depends on."""
        for v in topological_order(self):
            v.grad = 0.0


def _as_value(x: Value | float) -> Value:
    """``x`` itself if it is a Value, a constant Value for a real number, else NotImplemented."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(x)
    return NotImplemented  # type: ignore[return-value]


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on (and ``root``), each after all of its inputs; root last.

    Iterative depth-first search with an explicit stack, so a chain of any depth works (no
    recursion limit). Each value appears once, even when it is used many times.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    order: list[Value] = []
    visited: set[Value] = set()  # Value does not define __eq__, so this is by identity
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:  # all of node's inputs are already in `order`
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in reversed(node._prev):  # reversed: the first input is ordered first
            if child not in visited:
                stack.append((child, False))
    return order


@dataclass(frozen=True)
class Node:
    """One value of a graph as plain data (for drawing)."""

    id: int  #: position in the topological order
    label: str
    data: float
    grad: float
    op: str  #: the operation that produced it, "" for inputs


def graph(root: Value) -> tuple[list[Node], list[tuple[int, int]]]:
    """The graph below ``root`` as plain data: ``(nodes, edges)``.

    ``nodes`` are in topological order (``nodes[i].id == i``, root last). Each edge
    ``(i, j)`` means "node i is an input of node j"; an input used twice by one operation
    (``x * x``) gives one edge.
    """
    order = topological_order(root)
    index = {v: i for i, v in enumerate(order)}
    nodes = [Node(i, v.label, v.data, v.grad, v._op) for i, v in enumerate(order)]
    edges: list[tuple[int, int]] = []
    for v in order:
        j = index[v]
        for i in dict.fromkeys(index[c] for c in v._prev):
            edges.append((i, j))
    return nodes, edges
