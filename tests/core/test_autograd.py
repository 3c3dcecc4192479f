"""Tests for backprop_lab.autograd: every local derivative, the graph walk, accumulation, errors."""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable

import numpy as np
import pytest
from _tolerance import assert_within, envelope, gamma
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lab.autograd import Node, Value, graph, topological_order

RTOL = 1e-6


def numeric_derivative(fn: Callable[[float], float], x: float) -> float:
    """Central difference (f(x + h) − f(x − h)) / 2h with h scaled to x."""
    h = 1e-6 * max(1.0, abs(x))
    return (fn(x + h) - fn(x - h)) / (2.0 * h)


def assert_close(analytic: float, numeric: float, what: str) -> None:
    scale = max(1.0, abs(analytic), abs(numeric))
    assert abs(analytic - numeric) <= RTOL * scale, (
        f"{what}: analytic {analytic}, numeric {numeric}"
    )


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(limit: float, gap: float) -> st.SearchStrategy[float]:
    return floats(-limit, limit).filter(lambda v: abs(v) > gap)


UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float], st.SearchStrategy]] = {
    "neg": (lambda v: -v, lambda x: -x, floats(-50, 50)),
    "exp": (lambda v: v.exp(), math.exp, floats(-20, 20)),
    "log": (lambda v: v.log(), math.log, floats(0.05, 100)),
    "tanh": (lambda v: v.tanh(), math.tanh, floats(-6, 6)),
    "sigmoid": (lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), floats(-30, 30)),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x), away_from_zero(50, 1e-3)),
    "square": (lambda v: v**2, lambda x: x**2, floats(-20, 20)),
    "cube": (lambda v: v**3, lambda x: x**3, floats(-10, 10)),
    "pow_-1": (lambda v: v**-1, lambda x: x**-1, away_from_zero(10, 0.2)),
    "sqrt": (lambda v: v**0.5, math.sqrt, floats(0.05, 100)),
    "pow_2.7": (lambda v: v**2.7, lambda x: x**2.7, floats(0.05, 10)),
    "pow_0": (lambda v: v**0, lambda x: 1.0, floats(-10, 10)),
    "radd": (lambda v: 3.5 + v, lambda x: 3.5 + x, floats(-50, 50)),
    "rsub": (lambda v: 3.5 - v, lambda x: 3.5 - x, floats(-50, 50)),
    "rmul": (lambda v: -2.5 * v, lambda x: -2.5 * x, floats(-50, 50)),
    "rtruediv": (lambda v: 2.0 / v, lambda x: 2.0 / x, away_from_zero(10, 0.2)),
    "add_const": (lambda v: v + 1.5, lambda x: x + 1.5, floats(-50, 50)),
    "sub_const": (lambda v: v - 1.5, lambda x: x - 1.5, floats(-50, 50)),
    "mul_const": (lambda v: v * 0.7, lambda x: x * 0.7, floats(-50, 50)),
    "div_const": (lambda v: v / 0.7, lambda x: x / 0.7, floats(-50, 50)),
}

BINARY: dict[str, tuple[Callable, st.SearchStrategy, st.SearchStrategy]] = {
    "+": (lambda a, b: a + b, floats(-50, 50), floats(-50, 50)),
    "-": (lambda a, b: a - b, floats(-50, 50), floats(-50, 50)),
    "*": (lambda a, b: a * b, floats(-50, 50), floats(-50, 50)),
    "/": (lambda a, b: a / b, floats(-50, 50), away_from_zero(50, 0.3)),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_gradient_matches_finite_differences(name):
    op, fn, xs = UNARY[name]

    @settings(max_examples=40, deadline=None)
    @given(x=xs)
    def check(x):
        v = Value(x)
        out = op(v)
        # one unary function (≤ 4 ulp, numpy's or math's) and its own formula (≤ 6 roundings)
        assert out.data == pytest.approx(fn(x), rel=2 * gamma(10), abs=1e-300)
        out.backward()
        assert_close(v.grad, numeric_derivative(fn, x), f"{name} at x={x!r}")

    check()


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradient_matches_finite_differences(name):
    op, as_, bs = BINARY[name]

    @settings(max_examples=40, deadline=None)
    @given(a=as_, b=bs)
    def check(a, b):
        va, vb = Value(a), Value(b)
        out = op(va, vb)
        assert out.data == op(a, b)
        out.backward()
        assert_close(va.grad, numeric_derivative(lambda x: op(x, b), a), f"∂/∂a of a {name} b")
        assert_close(vb.grad, numeric_derivative(lambda x: op(a, x), b), f"∂/∂b of a {name} b")

    check()


@settings(max_examples=40, deadline=None)
@given(a=floats(-2, 2), b=floats(-2, 2), c=floats(-2, 2))
def test_composite_expression_matches_finite_differences(a, b, c):
    def expr(a, b, c):
        h = a * b + c.tanh()
        return (h * h + 1).log() - (a - c).sigmoid() * b / (1 + c * c) + (-h).exp()

    va, vb, vc = Value(a), Value(b), Value(c)
    out = expr(va, vb, vc)
    out.backward()

    def f(a, b, c):
        return expr(Value(a), Value(b), Value(c)).data

    assert_close(va.grad, numeric_derivative(lambda x: f(x, b, c), a), "∂/∂a")
    assert_close(vb.grad, numeric_derivative(lambda x: f(a, x, c), b), "∂/∂b")
    assert_close(vc.grad, numeric_derivative(lambda x: f(a, b, x), c), "∂/∂c")


@pytest.mark.torch
def test_composite_expression_matches_pytorch():
    torch = pytest.importorskip("torch")

    def expr(a, b, c, ops):
        exp, log, tanh, sigmoid, relu = ops
        h = a * b + 2.0 / c - 1.5
        k = tanh(h) * sigmoid(-a) + exp(b / 3.0) ** 2
        m = relu(k + c**3) - log(a * a + 1.0) + (4.0 - b) * (-c)
        return m * m / 10.0 + h

    ours_ops = (Value.exp, Value.log, Value.tanh, Value.sigmoid, Value.relu)
    torch_ops = (torch.exp, torch.log, torch.tanh, torch.sigmoid, torch.relu)
    rng = np.random.default_rng(0)
    for _ in range(10):
        a0, b0, c0 = rng.uniform(0.5, 2.0, size=3) * rng.choice([-1.0, 1.0], size=3)
        a, b, c = Value(a0), Value(b0), Value(c0)
        out = expr(a, b, c, ours_ops)
        out.backward()
        ta, tb, tc = (
            torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0, c0)
        )
        tout = expr(ta, tb, tc, torch_ops)
        tout.backward()

        # tolerances from error analysis (tests/_tolerance.py): the value is ≤ 25 roundings
        # from the inputs and each gradient ≤ 50 (the backward pass doubles the chain); their
        # sensitivity to that much rounding is measured by re-evaluating (envelope)
        def value_and_grads(a_, b_, c_):
            va, vb, vc = Value(float(a_)), Value(float(b_)), Value(float(c_))
            o = expr(va, vb, vc, ours_ops)
            o.backward()
            return np.array([o.data]), np.array([va.grad, vb.grad, vc.grad])

        tol_out, tol_grads = envelope(value_and_grads, [np.array(a0), np.array(b0),
                                                        np.array(c0)], n_ops=50)
        assert_within(out.data, tout.item(), tol_out[0], "value")
        theirs = [ta.grad.item(), tb.grad.item(), tc.grad.item()]
        assert_within([a.grad, b.grad, c.grad], theirs, tol_grads, "∂/∂(a, b, c)")


# ------------------------------------------------------------------------------------------------
# the chain rule's bookkeeping


def test_value_used_twice_gets_both_contributions():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    a = Value(1.5)
    s = a + a
    s.backward()
    assert a.grad == 2.0


def test_shared_subexpression():
    a, b, c = Value(2.0), Value(-3.0), Value(0.5)
    h = a * b  # used by two operations
    out = h + h * c  # = ab(1 + c)
    out.backward()
    assert h.grad == 1.5
    assert a.grad == pytest.approx(b.data * 1.5)
    assert b.grad == pytest.approx(a.data * 1.5)
    assert c.grad == h.data


def test_deep_chain_without_recursion():
    assert sys.getrecursionlimit() < 20_000  # a recursive walk would fail on this graph
    x = Value(0.3, label="x")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    # 10,000 rounded products vs a correctly rounded power: ≤ γ₁₀₀₀₀ + u ≈ 1.1e-12 apart
    assert x.grad == pytest.approx(1.0001**10_000, rel=2 * gamma(10_001))
    order = topological_order(y)
    assert len(order) == 20_001  # x, 10,000 constants, 10,000 products
    nodes, edges = graph(y)
    assert len(nodes) == 20_001 and len(edges) == 20_000
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0
    del y, order, nodes, edges
    gc.collect()


def test_deep_tanh_chain_gradient():
    x = Value(0.2)
    y = x
    expected = 1.0
    t = 0.2
    for _ in range(10_000):
        y = (y * 0.5).tanh() + 0.1
        expected *= 0.5 * (1.0 - math.tanh(0.5 * t) ** 2)
        t = math.tanh(0.5 * t) + 0.1
    y.backward()
    # error analysis: the recursion t ← tanh(t/2) + 0.1 contracts (|d/dt| ≤ ½), so each side's
    # 3 roundings per step add up to ≤ 2·γ₃ in all; each of the 10,000 derivative factors is ≤ 4
    # roundings plus the sensitivity to t's error (< 4 more), so the products are ≤ 2·γ₈₀₀₀₀ apart
    assert y.data == pytest.approx(t, rel=2 * 2 * gamma(3))
    assert x.grad == pytest.approx(expected, rel=2 * gamma(80_000))


def test_gradients_accumulate_across_backward_calls():
    x, w = Value(0.7), Value(-1.3)
    loss = (x * w).tanh() + x * x
    loss.backward()
    first = (x.grad, w.grad)
    loss.backward()
    # the second pass adds its path contributions (x: 2x ≈ 1.4 and w(1 − tanh²) ≈ −0.6; w: one
    # more) onto g one by one: ≤ 3 roundings relative to |g| + Σ|contributions| ≤ 2·|2g| here
    assert x.grad == pytest.approx(2 * first[0], rel=2 * gamma(3), abs=0)
    assert w.grad == pytest.approx(2 * first[1], rel=2 * gamma(3), abs=0)
    assert loss.grad == 1.0
    loss.zero_grad()
    assert x.grad == w.grad == loss.grad == 0.0
    loss.backward()
    assert (x.grad, w.grad) == first


def test_backward_from_an_intermediate_then_the_root():
    x = Value(2.0)
    h = x * 3.0
    out = h * h
    h.backward()
    assert x.grad == 3.0
    out.backward()  # intermediate h.grad is recomputed, x accumulates
    assert h.grad == 2 * h.data
    assert x.grad == 3.0 + 2 * h.data * 3.0


def test_leaf_backward():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_graph_structure():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    d = e + a * a
    d.label = "d"
    order = topological_order(d)
    assert order[-1] is d
    assert len(order) == len(set(map(id, order))) == 5
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert position[id(child)] < position[id(v)]
    d.backward()
    nodes, edges = graph(d)
    assert all(isinstance(n, Node) for n in nodes)
    assert [n.id for n in nodes] == list(range(5))
    by_label = {n.label: n for n in nodes if n.label}
    assert by_label["d"].op == "+" and by_label["e"].op == "*" and by_label["a"].op == ""
    assert by_label["a"].grad == a.grad == b.data + 2 * a.data
    assert by_label["d"].data == d.data
    square = next(n for n in nodes if n.op == "*" and n.label == "")
    # a * a is one edge a → (a*a); every edge points forward in the order
    assert edges.count((by_label["a"].id, square.id)) == 1
    assert len(edges) == 5
    assert all(i < j for i, j in edges)


def test_value_attributes():
    a = Value(2, label="a")
    assert isinstance(a.data, float) and a.grad == 0.0 and a._prev == () and a._op == ""
    c = a * 3
    assert c._op == "*" and c._prev[0] is a and c._prev[1].data == 3.0
    assert (a**2)._op == "**2"
    assert "a" in repr(a) and "data=2" in repr(a)


def test_numpy_scalars_work_as_constants():
    a = Value(2.0)
    assert (np.float64(3.0) * a).data == 6.0
    assert (a + np.float32(1.0)).data == 3.0
    assert (a ** np.int64(3)).data == 8.0


def test_stable_sigmoid():
    for x in (-1000.0, -745.0, -30.0, 0.0, 30.0, 1000.0):
        v = Value(x)
        s = v.sigmoid()
        s.backward()
        assert 0.0 <= s.data <= 1.0
        assert math.isfinite(v.grad)
    assert Value(-30.0).sigmoid().data == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)))
    # σ(−700) = e⁻⁷⁰⁰/(1 + e⁻⁷⁰⁰) = e⁻⁷⁰⁰ to 1e-304: exp within a few ulp, 2 more roundings
    assert Value(-700.0).sigmoid().data == pytest.approx(math.exp(-700.0), rel=2 * gamma(6))
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(0.0).sigmoid().data == 0.5


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# ------------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("x", [0.0, -2.5])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=rf"log is only defined for positive numbers.*data={x:g}"):
        Value(x).log()


def test_power_with_value_exponent():
    with pytest.raises(TypeError, match="only numbers"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="only numbers"):
        2.0 ** Value(3.0)
    with pytest.raises(TypeError):
        Value(2.0) ** "3"


def test_power_domain_errors():
    with pytest.raises(ValueError, match="fractional power"):
        Value(-4.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match="undefined"):
        Value(0.0) ** -1
    assert (Value(-2.0) ** 3).data == -8.0


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0.0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1.0 / Value(0.0)


def test_exp_overflow_names_the_value():
    with pytest.raises(OverflowError, match="data=1000"):
        Value(1000.0).exp()


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], Value(1.0)])
def test_constructor_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="Value needs a real number"):
        Value(bad)


def test_children_must_be_values():
    with pytest.raises(TypeError, match="children must be Values"):
        Value(1.0, children=(1.0,))


def test_unsupported_operands():
    a = Value(1.0)
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(TypeError):
        np.array([1.0, 2.0]) * a
    with pytest.raises(TypeError, match="root must be a Value"):
        topological_order(1.0)  # type: ignore[arg-type]
