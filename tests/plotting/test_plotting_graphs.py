"""Tests for backprop_lab.plotting.graphs: drawing scalar autograd graphs with matplotlib (Agg)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyArrowPatch

from backprop_lab.autograd import Value, graph
from backprop_lab.plotting.graphs import (
    MAX_NODES,
    draw_graph,
    graph_data,
    layout,
    node_depths,
    node_text,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def expression() -> Value:
    """L = (a·b + c)·f with a reused input: 9 values, several columns."""
    a, b = Value(3.0, label="a"), Value(-2.0, label="b")
    c, f = Value(4.0, label="c"), Value(-1.5, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f + a.tanh()
    L.label = "L"
    L.backward()
    return L


def mixed_expression() -> Value:
    x = Value(1.5, label="x")
    y = (x * x + x.exp()).log() / (x + 1) - x.sigmoid() * 3 + (x - 0.5).relu() ** 2
    y.backward()
    return y


class LessonValue:
    """A minimal Value-like class (as a lesson builds one): data, grad, label, _op, _prev."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, children, op, label

    def __add__(self, other):
        return LessonValue(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return LessonValue(self.data * other.data, (self, other), "*")


@pytest.mark.parametrize("make", [expression, mixed_expression])
def test_draws_one_text_per_node_and_one_arrow_per_edge(make):
    root = make()
    nodes, edges = graph(root)
    drawing = draw_graph(root, title="an expression")
    drawing.fig.canvas.draw()  # really render it (Agg)
    assert len(drawing.node_texts) == len(nodes)
    assert len(drawing.ax.texts) == len(nodes)  # nothing else is drawn as text in the axes
    assert len(drawing.boxes) == len(nodes)
    arrows = [p for p in drawing.ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(drawing.edge_arrows) == len(edges)
    assert drawing.edges == edges
    assert drawing.ax.get_title() == "an expression"


def test_labels_show_op_data_and_grad():
    root = expression()
    nodes, _ = graph(root)
    drawing = draw_graph(root, digits=3)
    for node, text in zip(nodes, drawing.node_texts, strict=True):
        s = text.get_text()
        assert f"data {node.data:.3f}" in s
        assert f"grad {node.grad:.3f}" in s
        if node.op:
            assert node.op in s.splitlines()[0]
    by_label = {n.label: t.get_text() for n, t in zip(nodes, drawing.node_texts, strict=True)}
    assert by_label["e"].splitlines()[0] == "e = *"
    assert by_label["a"].splitlines()[0] == "a"
    assert "grad -1.500" in by_label["e"]  # ∂L/∂e = ∂L/∂d · 1 = f


def test_show_grad_off_and_notes():
    root = expression()
    drawing = draw_graph(root, show_grad=False, notes={"a": "∂e/∂a = b = -2"})
    texts = [t.get_text() for t in drawing.node_texts]
    assert not any("grad" in t for t in texts)
    assert sum("∂e/∂a = b = -2" in t for t in texts) == 1
    with pytest.raises(ValueError, match=r"not in the graph: \['zz'\]"):
        draw_graph(root, notes={"zz": "?"})


def test_left_to_right_by_depth():
    root = mixed_expression()
    nodes, edges = graph(root)
    pos = layout(nodes, edges)
    depth = node_depths(nodes, edges)
    for i, j in edges:
        assert pos[i][0] < pos[j][0], "every arrow points to the right"
        assert depth[j] >= depth[i] + 1
    # operations sit one column right of their deepest input
    for n in nodes:
        ins = [i for i, j in edges if j == n.id]
        if ins:
            assert depth[n.id] == 1 + max(depth[i] for i in ins)
    assert pos[root_id(nodes)][0] == max(x for x, _ in pos.values())
    # no two boxes share a place
    assert len(set(pos.values())) == len(nodes)


def root_id(nodes):
    return nodes[-1].id


def test_inputs_sit_just_before_their_first_use():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    out = ((a * b).tanh().exp() + c)  # c is used only by the last operation
    nodes, edges = graph(out)
    depth = dict(zip((n.label for n in nodes), node_depths(nodes, edges), strict=True))
    assert depth["a"] == depth["b"] == 0
    assert depth["c"] == 3  # one column left of the final "+", which sits in column 4


def test_value_like_objects_and_plain_graph_data():
    a, b = LessonValue(2.0, label="a"), LessonValue(-3.0, label="b")
    e = a * b + a * a  # a used three times, once twice by one operation
    nodes, edges = graph_data(e)
    la, lb = Value(2.0, label="a"), Value(-3.0, label="b")
    ref_nodes, ref_edges = graph(la * lb + la * la)
    assert edges == ref_edges
    assert [(n.label, n.op, n.data) for n in nodes] == [(n.label, n.op, n.data) for n in ref_nodes]
    drawing = draw_graph(e)
    assert len(drawing.node_texts) == len(ref_nodes) and len(drawing.edge_arrows) == len(ref_edges)
    # (nodes, edges) pairs are drawn as given
    drawing = draw_graph((ref_nodes, ref_edges))
    assert len(drawing.edge_arrows) == len(ref_edges)


def test_a_single_value_and_a_given_axes():
    fig, ax = plt.subplots()
    drawing = draw_graph(Value(math.pi, label="pi"), ax=ax)
    assert drawing.ax is ax and drawing.fig is fig
    assert drawing.node_texts[0].get_text().startswith("pi\ndata 3.1416")
    assert drawing.edge_arrows == []


def test_node_text_names_constants():
    node = graph(Value(2.0) * 3.0)[0][0]
    assert node_text(node, show_grad=False) == "const\ndata 2.0000"


def test_bad_input():
    with pytest.raises(TypeError, match="draw_graph needs a Value"):
        draw_graph(1.5)
    y = Value(0.1)
    for _ in range(MAX_NODES):
        y = y.tanh()
    with pytest.raises(ValueError, match="too many to draw"):
        draw_graph(y)
