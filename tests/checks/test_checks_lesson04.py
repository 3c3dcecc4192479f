"""The lesson 04 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import math

from backprop_lab.checks.lesson04 import (
    check_backward,
    check_topological_sort,
    check_value_add,
    check_value_exp,
    check_value_mul,
    check_value_tanh,
)

# -- independent reference implementations, on a minimal Value like the notebook's -----------------


class Value:
    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(children)
        self._op = op
        self._backward = lambda: None


def value_add(a, b):
    out = Value(a.data + b.data, (a, b), "+")

    def _backward():
        a.grad += out.grad
        b.grad += out.grad

    out._backward = _backward
    return out


def value_mul(a, b):
    out = Value(a.data * b.data, (a, b), "*")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return out


def value_tanh(a):
    out = Value(math.tanh(a.data), (a,), "tanh")

    def _backward():
        a.grad += (1 - out.data ** 2) * out.grad

    out._backward = _backward
    return out


def value_exp(a):
    out = Value(math.exp(a.data), (a,), "exp")

    def _backward():
        a.grad += out.data * out.grad

    out._backward = _backward
    return out


def topological_sort(root):
    order, seen = [], set()

    def visit(v):
        if id(v) not in seen:
            seen.add(id(v))
            for child in v._prev:
                visit(child)
            order.append(v)

    visit(root)
    return order


def backward(root):
    root.grad = 1.0
    for v in reversed(topological_sort(root)):
        v._backward()


REFERENCES = [
    (check_value_add, value_add),
    (check_value_mul, value_mul),
    (check_value_tanh, value_tanh),
    (check_value_exp, value_exp),
    (check_topological_sort, topological_sort),
    (check_backward, backward),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def binary(data, local, assign=False, children=True, attach=True):
    """A binary operation with the given forward and local derivatives (d/da, d/db)."""
    def op(a, b):
        out = Value(data(a.data, b.data), (a, b) if children else (), "op")

        def _backward():
            da, db = local(a.data, b.data, out.grad)
            if assign:
                a.grad = da
                b.grad = db
            else:
                a.grad += da
                b.grad += db

        if attach:
            out._backward = _backward
        return out

    return op


def unary(data, local, assign=False):
    def op(a):
        out = Value(data(a.data), (a,), "op")

        def _backward():
            if assign:
                a.grad = local(a.data, out.data, out.grad)
            else:
                a.grad += local(a.data, out.data, out.grad)

        out._backward = _backward
        return out

    return op


def add(x, y):
    return x + y


def mul(x, y):
    return x * y


def tanh_via_exp(a):  # math.exp(2000) overflows
    e = math.exp(2 * a.data)
    out = Value((e - 1) / (e + 1), (a,), "tanh")

    def _backward():
        a.grad += (1 - out.data ** 2) * out.grad

    out._backward = _backward
    return out


def reversed_sort(root):
    return topological_sort(root)[::-1]


def sort_with_duplicates(root):
    order = []

    def visit(v):
        for child in v._prev:
            visit(child)
        order.append(v)

    visit(root)
    return order


def sort_without_leaves(root):
    return [v for v in topological_sort(root) if v._prev or v is root]


def backward_forward_order(root):
    root.grad = 1.0
    for v in topological_sort(root):
        v._backward()


def backward_unseeded(root):
    for v in reversed(topological_sort(root)):
        v._backward()


def backward_only_root(root):
    root.grad = 1.0
    root._backward()


def backward_breadth_first(root):  # outwards from the root, each node once: not topological
    root.grad = 1.0
    queue, seen = [root], set()
    while queue:
        v = queue.pop(0)
        if v not in seen:
            seen.add(v)
            v._backward()
            queue.extend(v._prev)


MISTAKES = [
    (check_value_add, binary(add, lambda x, y, g: (g, g), assign=True), "use += in _backward"),
    (check_value_add, binary(add, lambda x, y, g: (1.0, 1.0)), "multiply the local derivatives "
                                                               "by out.grad"),
    (check_value_add, binary(add, lambda x, y, g: (g, 0.0)), "b.grad must grow too"),
    (check_value_add, binary(add, lambda x, y, g: (g, g), attach=False), "did not change the "
                                                                          "inputs' gradients"),
    (check_value_add, binary(add, lambda x, y, g: (g, g), children=False), "out._prev"),
    (check_value_add, lambda a, b: a + b, "Value has no operators yet"),
    (check_value_add, lambda a, b: Value(a.data + b.data, (a, b)), "did not change the inputs'"),
    (check_value_mul, binary(mul, lambda x, y, g: (x * g, y * g)), "swapped"),
    (check_value_mul, binary(mul, lambda x, y, g: (y * g, x * g), assign=True), "use +="),
    (check_value_mul, binary(mul, lambda x, y, g: (y, x)), "by out.grad"),
    (check_value_mul, binary(mul, lambda x, y, g: (g, g)), "derivatives of a + b"),
    (check_value_mul, binary(add, lambda x, y, g: (y * g, x * g)), "out.data = a.data * b.data"),
    (check_value_tanh, unary(math.tanh, lambda x, t, g: (1 - x * x) * g), "not 1 − x²"),
    (check_value_tanh, unary(math.tanh, lambda x, t, g: (1 - t) * g), "square t"),
    (check_value_tanh, unary(math.tanh, lambda x, t, g: 1 - t * t), "by out.grad"),
    (check_value_tanh, unary(math.tanh, lambda x, t, g: (1 - t * t) * g, assign=True), "use +="),
    (check_value_tanh, tanh_via_exp, "math.exp(x) fails above x ≈ 709"),
    (check_value_exp, unary(math.exp, lambda x, e, g: x * g), "not x"),
    (check_value_exp, unary(math.exp, lambda x, e, g: e), "by out.grad"),
    (check_value_exp, unary(math.exp, lambda x, e, g: e * g, assign=True), "use +="),
    (check_value_exp, unary(math.exp, lambda x, e, g: x * e * g), "no extra factor x"),
    (check_topological_sort, reversed_sort, "the order is reversed"),
    (check_topological_sort, sort_with_duplicates, "appears 2 times"),
    (check_topological_sort, sort_without_leaves, "missing node(s)"),
    (check_topological_sort, lambda root: None, "forget to `return`"),
    (check_topological_sort, lambda root: [v.data for v in topological_sort(root)],
     "not a node of this graph"),
    (check_backward, backward_forward_order, "in reverse topological order (the root first)"),
    (check_backward, backward_unseeded, "start with root.grad = 1"),
    (check_backward, backward_only_root, "only the root's _backward() had an effect"),
    (check_backward, backward_breadth_first, "paths of different lengths"),
]

# -- errors in the student's code ----------------------------------------------------------------------
