"""Gradient checking: compare backprop's gradients with central finite differences.

    ∂f/∂θᵢ ≈ (f(θ + h eᵢ) − f(θ − h eᵢ)) / 2h          error O(h²)

and report, per parameter, the largest relative error |a − n| / max(|a| + |n|, floor) together with
where it occurs. In float64 with h ≈ 1e-5 a correct gradient gives relative errors around 1e-9 or
smaller; 1e-7 is our threshold. Differences below ``atol`` = 1e-10·max(1, |f|) are within the
rounding noise of the difference quotient itself (about machine-ε·|f|/h) and are not counted: a
true gradient of 0 (a bias followed by BatchNorm) is measured as ±1e-11, which is fine. Near a kink
(ReLU at 0) a difference quotient can straddle the kink and disagree with the one-sided derivative
backprop uses: such a row fails (lesson 05 shows one); move the input away from the kink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backprop_lab.layers import Layer
from backprop_lab.losses import Loss
from backprop_lab.model import Sequential
from backprop_lab.validate import check_float_array


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly afterwards, so ``f``
    should read ``x`` (e.g. a closure over a layer's ``W``). Returns an array shaped like ``x``.
    """
    check_float_array("numerical_gradient: x", x)
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writing to it writes to x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """Element-wise |a − b| / max(|a| + |b|, floor): scale-free, and 0 when both are 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


@dataclass
class GradRow:
    """The comparison for one array: its worst entry and the error there."""

    name: str
    shape: tuple[int, ...]
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    ok: bool


@dataclass
class GradcheckReport:
    """One row per checked array; ``ok`` is True only if every row passed."""

    rows: list[GradRow] = field(default_factory=list)
    tol: float = 1e-7

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.rows), default=0.0)

    def failures(self) -> list[GradRow]:
        return [r for r in self.rows if not r.ok]

    def __str__(self) -> str:
        head = f"{'array':<14} {'shape':<12} {'max rel. error':>14}  {'at':<10} {'analytic':>12} {'numeric':>12}  ok"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.name:<14} {str(r.shape):<12} {r.max_rel_error:>14.2e}  {str(r.worst_index):<10} "
                f"{r.analytic:>12.5g} {r.numeric:>12.5g}  {'yes' if r.ok else 'NO'}"
            )
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:  # readable in notebooks
        p.text(str(self))

    def assert_ok(self) -> None:
        """Raise AssertionError naming each wrong array, where, and the two values."""
        bad = self.failures()
        if bad:
            msg = "; ".join(
                f"{r.name} at {r.worst_index}: backprop gives {r.analytic:.6g}, finite differences "
                f"give {r.numeric:.6g} (relative error {r.max_rel_error:.1e} > {self.tol:.0e})"
                for r in bad
            )
            raise AssertionError("gradient check failed: " + msg)


def compare(
    name: str, analytic: np.ndarray, numeric: np.ndarray, tol: float, atol: float = 1e-10
) -> GradRow:
    """Build the report row for one array.

    An entry passes when its relative error is ≤ ``tol`` or the two values differ by ≤ ``atol``
    (rounding noise). The row reports the worst entry among those large enough to measure a
    relative error on (|a| + |n| > 1e-6); tinier entries are judged by their absolute difference.
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.size == 0:
        return GradRow(name, tuple(analytic.shape), 0.0, (), 0.0, 0.0, True)
    absdiff = np.abs(analytic - numeric)
    rel = relative_error(analytic, numeric)
    passed = (rel <= tol) | (absdiff <= atol)
    measurable = np.abs(analytic) + np.abs(numeric) > 1e-6
    score = np.where(~passed, np.inf, np.where(measurable, rel, -1.0))
    idx = np.unravel_index(int(np.argmax(score)), rel.shape)
    worst = float(rel[idx]) if (measurable[idx] or not passed[idx]) else 0.0
    return GradRow(
        name, tuple(analytic.shape), worst, tuple(int(i) for i in idx),
        float(analytic[idx]), float(numeric[idx]), bool(passed.all()),
    )


def check_model(
    net: Sequential,
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    h: float = 1e-5,
    tol: float = 1e-7,
    check_input: bool = True,
) -> GradcheckReport:
    """Gradient-check every parameter of ``net`` (and ∂L/∂X) on the loss ``loss(net(X), y)``.

    Use float64. The model should be deterministic between calls (Dropout with ``fixed_mask``,
    BatchNorm is fine in training mode: its batch statistics are a function of X).
    """
    if X.dtype != np.float64:
        raise TypeError(f"check_model: use float64 for gradient checks, got X of dtype {X.dtype}")
    saved = net.state_dict()  # BatchNorm running stats change on every forward; restore after

    def f() -> float:
        return loss.forward(net.forward(X), y)

    atol = 1e-10 * max(1.0, abs(f()))
    dX = net.backward(loss.backward())
    analytic = {p.name: p.grad.copy() for p in net.parameters()}
    report = GradcheckReport(tol=tol)
    for p in net.parameters():
        report.rows.append(compare(p.name, analytic[p.name], numerical_gradient(f, p.value, h), tol, atol))
    if check_input:
        Xc = X.copy()

        def fx() -> float:
            return loss.forward(net.forward(Xc), y)

        report.rows.append(compare("input X", dX, numerical_gradient(fx, Xc, h), tol, atol))
    net.load_state_dict(saved)
    return report


def check_layer(
    layer: Layer,
    X: np.ndarray,
    rng: np.random.Generator | None = None,
    h: float = 1e-5,
    tol: float = 1e-7,
) -> GradcheckReport:
    """Gradient-check one layer on f(X) = Σ layer(X) ⊙ G with a fixed random G.

    Because ∂f/∂out = G, ``layer.backward(G)`` must give ∂f/∂X and the parameter gradients.
    """
    if X.dtype != np.float64:
        raise TypeError(f"check_layer: use float64 for gradient checks, got X of dtype {X.dtype}")
    rng = rng if rng is not None else np.random.default_rng(0)
    X = X.copy()
    G = rng.standard_normal(layer.forward(X).shape)

    def f() -> float:
        return float(np.sum(layer.forward(X) * G))

    atol = 1e-10 * max(1.0, abs(f()))
    dX = layer.backward(G)
    report = GradcheckReport(tol=tol)
    analytic = {p.name: p.grad.copy() for p in layer.parameters()}
    for p in layer.parameters():
        report.rows.append(compare(p.name, analytic[p.name], numerical_gradient(f, p.value, h), tol, atol))
    report.rows.append(compare("input X", dX, numerical_gradient(f, X, h), tol, atol))
    return report


def check_function(
    f: Callable[[np.ndarray], np.ndarray],
    df: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    name: str = "f",
    h: float = 1e-5,
    tol: float = 1e-7,
) -> GradcheckReport:
    """Check an element-wise derivative ``df`` against central differences of ``f`` at points x."""
    x = np.asarray(x, dtype=np.float64)
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    return GradcheckReport([compare(name, np.asarray(df(x)), numeric, tol)], tol=tol)
