"""Lesson 04 builds a scalar autograd ``Value`` step by step in the notebook.

These tests run exactly the notebook's code cells that define it — the cells whose first line
starts with ``# Value class, step`` — in a fresh namespace (nothing is copied or re-declared here),
and compare the class they produce with the library's :class:`backprop_lab.autograd.Value` on the
lesson's own example and on hundreds of random expressions: same data and same gradient at every
node.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab import autograd as ag

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "04_chain_rule_and_graphs.ipynb"
MARKER = "# Value class, step"


def value_cells() -> list[str]:
    """Sources of the notebook's marked code cells, in notebook order."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith(MARKER)]


@pytest.fixture(scope="module")
def LessonValue() -> type:
    """The lesson's Value class, built by executing its marked cells in order."""
    namespace: dict = {"__name__": "lesson_04_value"}
    for i, source in enumerate(value_cells()):
        exec(compile(source, f"{NOTEBOOK.name} [Value cell {i + 1}]", "exec"), namespace)
    return namespace["Value"]


def test_the_marked_cells_build_value_in_five_steps():
    cells = value_cells()
    steps = [c.splitlines()[0] for c in cells]
    assert len(cells) == 5, f"expected 5 marked cells, found {steps}"
    for k, first_line in enumerate(steps, start=1):
        assert first_line.startswith(f"{MARKER} {k} of 5"), first_line
    source = "\n".join(cells)
    assert "class Value" in cells[0]
    assert "backprop_lab" not in source, "the lesson's Value must be built by hand"


def test_lesson_value_is_its_own_class(LessonValue):
    assert LessonValue is not ag.Value
    for name in ("__add__", "__mul__", "__sub__", "__truediv__", "__pow__", "__neg__", "__radd__",
                 "__rmul__", "__rsub__", "__rtruediv__", "exp", "log", "tanh", "sigmoid", "relu",
                 "backward"):
        assert callable(getattr(LessonValue, name, None)), f"lesson Value lacks {name}"


def test_hand_example(LessonValue):
    """L = (a·b + c)·f with the lesson's numbers: ∂L/∂a = 3, ∂L/∂b = -4.5, ∂L/∂c = -1.5, ∂L/∂f = -2."""
    for V in (LessonValue, ag.Value):
        a, b, c, f = V(3.0), V(-2.0), V(4.0), V(-1.5)
        L = (a * b + c) * f
        L.backward()
        assert L.data == 3.0
        assert (a.grad, b.grad, c.grad, f.grad) == (3.0, -4.5, -1.5, -2.0)


def test_reused_values_add_their_contributions(LessonValue):
    x = LessonValue(1.5)
    y = x * x + x + x.tanh() * x
    y.backward()
    t = math.tanh(1.5)
    # 4 contributions of ≤ 4 roundings each (tanh counted as 4) summed in another order,
    # all positive here: ≤ 2·γ₈ relative
    assert x.grad == pytest.approx(2 * 1.5 + 1 + (1 - t * t) * 1.5 + t, rel=2 * gamma(8))


# ------------------------------------------------------------------------------------------------
# random expressions, built operation by operation with both classes in lockstep

Op = Callable[..., object]
#: name → (number of inputs, operation, admissible inputs judged on their data)
OPS: dict[str, tuple[int, Op, Callable[..., bool]]] = {
    "+": (2, lambda a, b: a + b, lambda a, b: True),
    "-": (2, lambda a, b: a - b, lambda a, b: True),
    "*": (2, lambda a, b: a * b, lambda a, b: abs(a * b) < 1e3),
    "/": (2, lambda a, b: a / b, lambda a, b: abs(b) > 0.2 and abs(a / b) < 1e3),
    "neg": (1, lambda a: -a, lambda a: True),
    "exp": (1, lambda a: a.exp(), lambda a: a < 6),
    "log": (1, lambda a: a.log(), lambda a: a > 0.05),
    "tanh": (1, lambda a: a.tanh(), lambda a: True),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: abs(a) < 30),
    "relu": (1, lambda a: a.relu(), lambda a: abs(a) > 1e-9),
    "square": (1, lambda a: a**2, lambda a: abs(a) < 30),
    "cube": (1, lambda a: a**3, lambda a: abs(a) < 10),
    "inverse": (1, lambda a: a**-1, lambda a: abs(a) > 0.2),
    "sqrt": (1, lambda a: a**0.5, lambda a: a > 0.05),
    "number + a": (1, lambda a: 1.5 + a, lambda a: True),
    "number - a": (1, lambda a: 2.0 - a, lambda a: True),
    "number * a": (1, lambda a: -0.7 * a, lambda a: True),
    "number / a": (1, lambda a: 3.0 / a, lambda a: abs(a) > 0.2),
    "a + number": (1, lambda a: a + 0.25, lambda a: True),
    "a - number": (1, lambda a: a - 1.0, lambda a: True),
    "a * number": (1, lambda a: a * 1.3, lambda a: True),
    "a / number": (1, lambda a: a / 2.5, lambda a: True),
}
NAMES = sorted(OPS)


def random_expression(LessonValue: type, seed: int):
    """Build one random expression with both classes; returns the node pairs and the ops used."""
    rng = np.random.default_rng(seed)
    n_inputs = int(rng.integers(1, 5))
    pairs = []
    for x in rng.uniform(-2.0, 2.0, size=n_inputs):
        pairs.append((LessonValue(float(x)), ag.Value(float(x))))
    used = []
    for _ in range(int(rng.integers(1, 30))):
        name = NAMES[int(rng.integers(len(NAMES)))]
        arity, op, admissible = OPS[name]
        # prefer recent nodes (deep chains) but reuse any node (several paths)
        idx = [int(min(len(pairs) - 1, rng.integers(len(pairs)) + rng.integers(3)))
               for _ in range(arity)]
        args = [pairs[i] for i in idx]
        if not admissible(*(lib.data for _, lib in args)):
            continue
        ours = op(*(o for o, _ in args))
        lib = op(*(lib for _, lib in args))
        if abs(lib.data) > 1e4:
            continue
        pairs.append((ours, lib))
        used.append(name)
    return pairs, used


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)) + 1e-12 * scale


@pytest.mark.parametrize("block", range(6))
def test_random_expressions_match_the_library(LessonValue, block):
    ops_seen = set()
    for seed in range(block * 60, (block + 1) * 60):
        pairs, used = random_expression(LessonValue, seed)
        ops_seen.update(used)
        root_ours, root_lib = pairs[-1]
        root_ours.backward()
        root_lib.backward()
        scale = max(1.0, *(abs(lib.grad) for _, lib in pairs))
        for k, (ours, lib) in enumerate(pairs):
            where = f"seed {seed}, node {k} (ops used: {used})"
            assert close(ours.data, lib.data, 1.0), f"data differs at {where}: {ours.data} vs {lib.data}"
            assert close(ours.grad, lib.grad, scale), (
                f"grad differs at {where}: lesson {ours.grad}, library {lib.grad}"
            )
    assert len(ops_seen) >= len(OPS) - 2, f"too few kinds of operation exercised: {sorted(ops_seen)}"


def expression(x, y):
    """Every operation once (x, y > 0 keeps log and ** 0.5 defined)."""
    return ((x * y - y / x) ** 2 + (x * x + 1).log() - 3 * y.tanh() + (x - y).sigmoid() / 2
            + (y * x).relu() - (0.5 * y).exp() + x**0.5)


def test_gradients_match_finite_differences(LessonValue):
    """Independent of the library: the lesson's gradients agree with central differences."""
    rng = np.random.default_rng(123)
    h = 1e-6

    def f(x: float, y: float) -> float:
        return expression(LessonValue(x), LessonValue(y)).data

    for x0, y0 in rng.uniform(0.3, 2.0, size=(50, 2)):
        x, y = LessonValue(x0), LessonValue(y0)
        expression(x, y).backward()
        dx = (f(x0 + h, y0) - f(x0 - h, y0)) / (2 * h)
        dy = (f(x0, y0 + h) - f(x0, y0 - h)) / (2 * h)
        assert x.grad == pytest.approx(dx, rel=1e-6, abs=1e-8)
        assert y.grad == pytest.approx(dy, rel=1e-6, abs=1e-8)
