"""Checks for ``exercises/04_chain_rule_and_graphs.ipynb``.

One check per task: :func:`check_value_add`, :func:`check_value_mul`, :func:`check_value_tanh`,
:func:`check_value_exp` (an operation that builds a new node and its ``_backward`` closure),
:func:`check_topological_sort` and :func:`check_backward`.

The operation checks give the student's function bare input nodes (data, grad, ``_prev``,
``_op``, ``_backward`` and no operators), then set ``out.grad`` and call ``out._backward()``
themselves, so each local derivative is tested on its own. The graph checks build graphs with
:class:`backprop_lab.autograd.Value`, whose gradients are the expected values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from backprop_lab.autograd import Value, topological_order
from backprop_lab.checks.core import Checker, _fmt
from backprop_lab.checks.helpers import call_with_hints

__all__ = ["check_backward", "check_topological_sort", "check_value_add", "check_value_exp",
           "check_value_mul", "check_value_tanh"]


class _Node:
    """A bare input node: the attributes a ``Value`` has, and no arithmetic operators."""

    def __init__(self, data: float, label: str) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev: tuple = ()
        self._op = ""
        self._backward: Callable[[], None] = lambda: None
        self.label = label

    def __repr__(self) -> str:
        return f"Value({self.label!r}, data={self.data:.6g}, grad={self.grad:.6g})"


_TYPE_HINTS = {TypeError: "Value has no operators yet (that is what you are writing): compute "
                          "with the plain numbers a.data, b.data and wrap the result in "
                          "Value(data, children, op)"}
_ACCUMULATE = ("use += in _backward: a node can feed several operations (or the same one twice), "
               "and each adds its share to the gradient; = overwrites what the others added")
_NO_CLOSURE = ("out._backward() did not change the inputs' gradients: define the closure inside "
               "your function and assign it with out._backward = _backward")


def _call_op(c: Checker, args: Sequence[Any], label: str) -> Any:
    hints: dict[type[BaseException], str] = dict(_TYPE_HINTS)
    hints[OverflowError] = ("an intermediate e^x overflowed: math.exp(x) fails above x ≈ 709 — "
                            "use a form that stays finite (math.tanh saturates at ±1)")
    hints[FloatingPointError] = hints[OverflowError]
    return call_with_hints(c, *args, label=label, hints=hints, numpy_errors=True)


def _check_node(c: Checker, out: Any, inputs: Sequence[_Node], data: float, hint: str,
                mistakes: Sequence[tuple[float, str]] = ()) -> None:
    """``out`` is a new node with the right data, the inputs as children and a closure."""
    if out is None or not all(hasattr(out, a) for a in ("data", "grad", "_prev", "_backward")):
        c.fail(f"expected a Value, got {type(out).__name__} ({_fmt(out)})",
               hint="did you forget to `return out`?" if out is None else
               "build the result with Value(data, children, op) and return it")
    if any(out is x for x in inputs):
        c.fail("returned one of its inputs", hint="create a new Value for the result")
    c.ok("returns a new Value")
    c.close(c.number(out.data, name="out.data"), data, what="out.data (the forward value)",
            hint=hint, mistakes=mistakes)
    if not all(any(child is x for child in out._prev) for x in inputs):
        c.fail(f"out._prev is {_fmt(out._prev)}, which does not contain the input(s)",
               hint="pass the inputs as the children, e.g. Value(data, (a, b), '*'): backward "
                    "follows _prev to find them")
    c.ok("records its inputs in out._prev")
    if not callable(out._backward):
        c.fail("out._backward is not a function",
               hint="assign the closure itself (out._backward = _backward), do not call it")


def _run_backward(c: Checker, out: Any, upstream: float, label: str) -> None:
    out.grad = upstream
    c.call(fn=out._backward, label=label + f", out.grad = {upstream:g}, then out._backward()")


def _check_binary(c: Checker, op: str, f: Callable[[float, float], float],
                  df: Callable[[float, float], tuple[float, float]], rule: str,
                  wrong: Callable[[float, float, float], list[tuple[Sequence[float], str]]]) -> None:
    x, y, g = 2.0, -3.0, 1.5
    a, b = _Node(x, "a"), _Node(y, "b")
    label = "a = Value(2), b = Value(−3)"
    out = _call_op(c, (a, b), label)
    _check_node(c, out, (a, b), f(x, y), hint=f"out.data = a.data {op} b.data")
    _run_backward(c, out, g, label)
    da, db = df(x, y)
    c.close([a.grad, b.grad], [da * g, db * g], what="a.grad, b.grad after out._backward()",
            hint=rule, mistakes=[((0.0, 0.0), _NO_CLOSURE), ((da, db), "multiply the local "
                                 "derivatives by out.grad (the chain rule): a.grad += (…) * out.grad"),
                                 *wrong(x, y, g)])

    a, b = _Node(x, "a"), _Node(y, "b")
    a.grad, b.grad = 0.25, -0.5
    label = "a = Value(2) with a.grad = 0.25, b = Value(−3) with b.grad = −0.5"
    out = _call_op(c, (a, b), label)
    _run_backward(c, out, g, label)
    c.close([a.grad, b.grad], [0.25 + da * g, -0.5 + db * g],
            what="gradients accumulate (+=)", hint=_ACCUMULATE,
            mistakes=[((da * g, db * g), _ACCUMULATE)])

    a = _Node(3.0, "a")
    label = "the same input twice: a = Value(3), out = a " + op + " a"
    out = _call_op(c, (a, a), label)
    _check_node(c, out, (a,), f(3.0, 3.0), hint=f"out.data = a.data {op} a.data")
    _run_backward(c, out, 1.0, label)
    expected = sum(df(3.0, 3.0))
    c.close(a.grad, expected, what=f"a {op} a gives a.grad = {expected:g} (both paths add up)",
            hint=_ACCUMULATE, mistakes=[(df(3.0, 3.0)[1], _ACCUMULATE)])

    a, b = _Node(0.0, "a"), _Node(0.0, "b")
    out = _call_op(c, (a, b), "a = Value(0), b = Value(0)")
    _check_node(c, out, (a, b), f(0.0, 0.0), hint=f"out.data = a.data {op} b.data")
    _run_backward(c, out, 2.0, "a = Value(0), b = Value(0)")
    c.close([a.grad, b.grad], [2.0 * d for d in df(0.0, 0.0)], what="zeros", hint=rule)


def check_value_add(value_add: Callable) -> None:
    """out = a + b; out._backward adds 1·out.grad to a.grad and to b.grad."""
    c = Checker("value_add", value_add)
    _check_binary(
        c, "+", lambda x, y: x + y, lambda x, y: (1.0, 1.0),
        "∂(a + b)/∂a = 1 and ∂(a + b)/∂b = 1: each input's grad grows by 1 · out.grad",
        lambda x, y, g: [((g, 0.0), "b.grad must grow too: both inputs get out.grad"),
                         ((0.0, g), "a.grad must grow too: both inputs get out.grad"),
                         ((y * g, x * g), "those are the derivatives of a·b; for a + b both "
                                          "local derivatives are 1")])
    c.done()


def check_value_mul(value_mul: Callable) -> None:
    """out = a·b; out._backward adds b·out.grad to a.grad and a·out.grad to b.grad."""
    c = Checker("value_mul", value_mul)
    _check_binary(
        c, "*", lambda x, y: x * y, lambda x, y: (y, x),
        "∂(a·b)/∂a = b and ∂(a·b)/∂b = a, each times out.grad",
        lambda x, y, g: [((x * g, y * g), "swapped: ∂(a·b)/∂a is b (the other factor), not a"),
                         ((g, g), "those are the derivatives of a + b; for a·b, ∂/∂a = b and "
                                  "∂/∂b = a"),
                         ((y * g, 0.0), "b.grad must grow too: b.grad += a.data * out.grad")])
    c.done()


def _check_unary(c: Checker, f: Callable[[float], float], df: Callable[[float], float], rule: str,
                 wrong: Callable[[float, float], list[tuple[float, str]]],
                 edges: Sequence[float]) -> None:
    x, g = 0.5, 1.5
    a = _Node(x, "a")
    label = "a = Value(0.5)"
    out = _call_op(c, (a,), label)
    _check_node(c, out, (a,), f(x), hint=rule)
    _run_backward(c, out, g, label)
    c.close(a.grad, df(x) * g, what="a.grad after out._backward()", hint=rule,
            mistakes=[(0.0, _NO_CLOSURE),
                      (df(x), "multiply the local derivative by out.grad (the chain rule)"),
                      *wrong(x, g)])

    a = _Node(x, "a")
    a.grad = 0.25
    label = "a = Value(0.5) with a.grad = 0.25"
    out = _call_op(c, (a,), label)
    _run_backward(c, out, g, label)
    c.close(a.grad, 0.25 + df(x) * g, what="gradients accumulate (+=)", hint=_ACCUMULATE,
            mistakes=[(df(x) * g, _ACCUMULATE)])

    for x in edges:
        a = _Node(x, "a")
        label = f"a = Value({x:g})"
        out = _call_op(c, (a,), label)
        _check_node(c, out, (a,), f(x), hint=rule)
        _run_backward(c, out, 1.0, label)
        c.close(a.grad, df(x), what=f"a = {x:g}", hint=rule)


def check_value_tanh(value_tanh: Callable) -> None:
    """out = tanh(a); out._backward adds (1 − tanh²(a))·out.grad to a.grad; a = ±1000 is fine."""
    c = Checker("value_tanh", value_tanh)
    _check_unary(
        c, math.tanh, lambda x: 1.0 - math.tanh(x) ** 2,
        "d tanh(x)/dx = 1 − tanh²(x) = 1 − t², with t = out.data; times out.grad",
        lambda x, g: [((1.0 - x * x) * g, "use the output t = tanh(x): 1 − t², not 1 − x²"),
                      ((1.0 - math.tanh(x)) * g, "square t: the derivative is 1 − t²"),
                      (math.tanh(x) * g, "that is tanh itself; its derivative is 1 − t²"),
                      (-(1.0 - math.tanh(x) ** 2) * g, "wrong sign: tanh is increasing")],
        edges=(0.0, 1000.0, -1000.0))
    c.done()


def check_value_exp(value_exp: Callable) -> None:
    """out = e^a; out._backward adds e^a·out.grad to a.grad."""
    c = Checker("value_exp", value_exp)
    _check_unary(
        c, math.exp, math.exp, "d eˣ/dx = eˣ (the output itself, out.data); times out.grad",
        lambda x, g: [(x * g, "the derivative of eˣ is eˣ, not x"),
                      (x * math.exp(x) * g, "the derivative of eˣ is eˣ (no extra factor x)"),
                      (g, "multiply out.grad by the local derivative eˣ")],
        edges=(0.0, -1000.0, 5.0))
    c.done()


# -- graphs ----------------------------------------------------------------------------------------

def _name(v: Any) -> str:
    return repr(v.label) if getattr(v, "label", "") else repr(v)


def _example_graph() -> tuple[Value, list[Value]]:
    """L = (a·b + c)·a: a is used twice."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * a
    L.label = "L"
    return L, [a, b, c, e, d, L]


def _chain(n: int) -> tuple[Value, list[Value]]:
    """x_n of x_(i+1) = 1.01·x_i and tanh(0.9·x_i) in turn, and all its nodes (constants too)."""
    x = Value(0.3, label="x0")
    for i in range(n):
        x = (x * 0.9).tanh() if i % 2 else x * 1.01
        x.label = f"x{i + 1}"
    return x, topological_order(x)


def _is_topological(order: Sequence[Any]) -> bool:
    pos = {id(v): i for i, v in enumerate(order)}
    return all(pos[id(ch)] < pos[id(v)] for v in order for ch in v._prev if id(ch) in pos)


def _check_order(c: Checker, out: Any, root: Value, nodes: Sequence[Value]) -> None:
    if not isinstance(out, (list, tuple)):
        c.fail(f"expected a list of the graph's nodes, got {type(out).__name__} ({_fmt(out)})",
               hint="did you forget to `return` the list?" if out is None
               else "collect the nodes in a Python list and return it")
    c.ok("returns a list")
    known = {id(v) for v in nodes}
    strangers = [v for v in out if id(v) not in known]
    if strangers:
        c.fail(f"the list contains {_fmt(strangers[0])}, which is not a node of this graph",
               hint="put the nodes themselves in the list (not their data or labels)")
    counts: dict[int, int] = {}
    for v in out:
        counts[id(v)] = counts.get(id(v), 0) + 1
    twice = [v for v in nodes if counts.get(id(v), 0) > 1]
    if twice:
        c.fail(f"node {_name(twice[0])} appears {counts[id(twice[0])]} times",
               hint="remember which nodes you have visited (a set) and add each node once, even "
                    "when it is used by several operations")
    missing = [v for v in nodes if id(v) not in counts]
    if missing:
        c.fail("missing node(s): " + ", ".join(_name(v) for v in missing[:4]),
               hint="visit every child in ._prev of every node, down to the leaves, and include "
                    "the root itself")
    c.ok("lists every node exactly once")
    if not _is_topological(out):
        if _is_topological(out[::-1]):
            c.fail("the order is reversed: the root comes first",
                   hint="inputs come before the values computed from them, and the root is last "
                        "(backward then walks the list from the end)")
        pos = {id(v): i for i, v in enumerate(out)}
        v, ch = next((v, ch) for v in out for ch in v._prev if pos[id(ch)] > pos[id(v)])
        c.fail(f"node {_name(v)} comes before its input {_name(ch)}",
               hint="append a node only after all of its children have been added")
    c.ok("every node comes after its inputs")
    if out[-1] is not root:
        c.fail("the root is not the last node", hint="the root depends on everything: it comes last")


def check_topological_sort(topological_sort: Callable) -> None:
    """Every node of the graph once, each after its inputs, the root last."""
    c = Checker("topological_sort", topological_sort)
    L, nodes = _example_graph()
    out = c.call(L, label="L = (a·b + c)·a, where a is used twice")
    _check_order(c, out, L, nodes)

    leaf = Value(1.5, label="x")
    out = c.call(leaf, label="a single leaf x = Value(1.5)")
    _check_order(c, out, leaf, [leaf])

    a = Value(2.0, label="a")
    s = a * a
    s.label = "s"
    t = s + s
    t.label = "t"
    out = c.call(t, label="t = s + s with s = a·a")
    _check_order(c, out, t, [a, s, t])

    root, chain = _chain(300)
    out = call_with_hints(c, root, label="a chain of 300 operations",
                          hints={RecursionError: "a recursive sort may recurse once per node; "
                                 "300 deep must work (raise the limit or use an explicit stack)"})
    _check_order(c, out, root, chain)
    c.ok("a chain of 300 operations")
    c.done()


def _leaf_grads(leaves: Sequence[Value]) -> list[float]:
    return [v.grad for v in leaves]


def _forward_order(root: Value) -> None:
    root.grad = 1.0
    for v in topological_order(root):
        v._backward()


def _unseeded(root: Value) -> None:
    for v in reversed(topological_order(root)):
        v._backward()


def _expected(build: Callable[[], tuple[Value, list[Value]]],
              run: Callable[[Value], None]) -> list[float]:
    root, leaves = build()
    run(root)
    return _leaf_grads(leaves)


def _neuron() -> tuple[Value, list[Value]]:
    """L = tanh(w·x + b)·w: the weight w is used twice."""
    w, x, b = Value(0.7, label="w"), Value(-1.2, label="x"), Value(0.4, label="b")
    return (w * x + b).tanh() * w, [w, x, b]


def _shared_inner() -> tuple[Value, list[Value]]:
    """L = tanh(d + c)·d with d = a·b: an inner node d reaches L by a short and a long path."""
    a, b, cc = Value(0.5, label="a"), Value(-1.5, label="b"), Value(0.25, label="c")
    d = a * b
    d.label = "d"
    return (d + cc).tanh() * d, [a, b, cc]


def _breadth_first(root: Value, once: bool) -> None:
    """A typical mistake: walk the graph breadth-first from the root instead of in topological order."""
    root.grad = 1.0
    queue, seen = [root], set()
    while queue:
        v = queue.pop(0)
        if once and v in seen:
            continue
        seen.add(v)
        v._backward()
        queue.extend(v._prev)


def check_backward(backward: Callable) -> None:
    """backward(root) fills every node's .grad with ∂root/∂node (uses topological_sort)."""
    c = Checker("backward", backward)
    hint = ("set root.grad = 1, then call _backward() of every node in reverse topological order "
            "(the root first). backward uses your topological_sort: make sure its check passes")
    root, leaves = _neuron()
    out_label = "L = tanh(w·x + b)·w with w = 0.7, x = −1.2, b = 0.4"
    c.call(root, label=out_label)
    c.close(_leaf_grads(leaves), _expected(_neuron, Value.backward),
            what="∂L/∂w, ∂L/∂x, ∂L/∂b", hint=hint, mistakes=[
                (_expected(_neuron, _unseeded), "every gradient is 0: start with root.grad = 1 "
                                                "(∂L/∂L = 1)"),
                # walking the order forwards has the same effect as calling only root._backward()
                (_expected(_neuron, _forward_order), "only the root's _backward() had an effect: "
                 "call _backward() of every node, in reverse topological order (the root first), "
                 "so that each node has received all of its gradient before it passes it on"),
            ])
    c.true(root.grad == 1.0, "root.grad = 1", f"root.grad is {_fmt(root.grad)}, expected 1.0",
           hint="∂L/∂L = 1: set it before the other closures run")

    L, nodes = _example_graph()
    c.call(L, label="L = (a·b + c)·a, where a is used twice")
    a, b, cc = nodes[:3]
    c.close([a.grad, b.grad, cc.grad], [2 * 2.0 * -3.0 + 10.0, 4.0, 2.0],
            what="a value used twice collects both contributions", hint=hint)

    root, leaves = _shared_inner()
    c.call(root, label="L = tanh(d + c)·d with d = a·b, a = 0.5, b = −1.5, c = 0.25")
    bfs_hint = ("the inner node d passed its gradient on before it had received all of it (or did "
                "so twice): a walk outwards from the root is not enough when a node is reached by "
                "paths of different lengths; call _backward() once per node, in reverse "
                "topological order")
    c.close(_leaf_grads(leaves), _expected(_shared_inner, Value.backward),
            what="an inner node used twice passes on its full gradient once", hint=hint,
            mistakes=[(_expected(_shared_inner, lambda r: _breadth_first(r, once=True)), bfs_hint),
                      (_expected(_shared_inner, lambda r: _breadth_first(r, once=False)), bfs_hint)])

    x = Value(4.0, label="x")
    c.call(x, label="a single leaf x = Value(4)")
    c.close(x.grad, 1.0, what="a single leaf gets grad 1", hint=hint)

    root, chain = _chain(300)
    call_with_hints(c, root, label="a chain of 300 operations",
                    hints={RecursionError: "a recursive topological_sort may recurse once per "
                           "node; 300 deep must work"})
    expected = _expected(lambda: _chain(300), Value.backward)
    c.close([v.grad for v in chain], expected, what="a chain of 300 operations", hint=hint)
    c.done()
