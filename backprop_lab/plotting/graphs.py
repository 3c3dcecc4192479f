"""Draw a scalar computational graph (lesson 04) with matplotlib alone — no graphviz needed.

Every value becomes one box with one text label: its name and the operation that produced it,
its ``data`` and (optionally) its ``grad``. Boxes are laid out left to right by depth: the
operations in column 1 + (the deepest of their inputs), and each input (a leaf) one column before
the first operation that uses it. An arrow ``i → j`` means "value i is an input of value j".

    from backprop_lab.autograd import Value
    from backprop_lab.plotting.graphs import draw_graph

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b; e.label = "e"
    e.backward()
    draw_graph(e)

``draw_graph`` takes a :class:`backprop_lab.autograd.Value`, the ``(nodes, edges)`` that
:func:`backprop_lab.autograd.graph` returns, or any Value-like object with the attributes
``data``, ``grad``, ``label``, ``_op`` and ``_prev`` (such as the ``Value`` built in lesson 04).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.text import Text

from backprop_lab.autograd import Node, Value, graph

__all__ = ["GraphDrawing", "draw_graph", "graph_data", "layout", "node_depths", "node_text"]

#: most nodes we agree to draw; a bigger graph is unreadable as boxes
MAX_NODES = 120
#: box size in data units; columns and rows are 1 apart
BOX_W, BOX_H = 0.80, 0.70
#: inches per column and per row when draw_graph makes its own figure
COL_INCHES, ROW_INCHES = 1.6, 0.95
COLORS = {"input": "#dbe9f6", "op": "#f4f4f4", "root": "#fde2c8"}

Edges = list[tuple[int, int]]


@dataclass
class GraphDrawing:
    """What :func:`draw_graph` drew, so a lesson or a test can inspect or restyle it.

    ``node_texts[i]`` and ``boxes[i]`` belong to ``nodes[i]``; ``edge_arrows[k]`` to ``edges[k]``;
    ``positions[i]`` is the (x, y) centre of node i's box (x = its column).
    """

    fig: Figure
    ax: Axes
    nodes: list[Node]
    edges: Edges
    positions: dict[int, tuple[float, float]]
    node_texts: list[Text]
    boxes: list[FancyBboxPatch]
    edge_arrows: list[FancyArrowPatch]


def graph_data(root: Any) -> tuple[list[Node], Edges]:
    """``(nodes, edges)`` in the format of :func:`backprop_lab.autograd.graph`.

    Accepts a library ``Value`` (uses ``graph``), a ``(nodes, edges)`` pair (returned as is), or
    a Value-like object (``data``, ``grad``, ``label``, ``_op``, ``_prev``), walked the same way:
    nodes in topological order (inputs first, root last), one edge per distinct (input, output).
    """
    if isinstance(root, Value):
        return graph(root)
    if isinstance(root, tuple) and len(root) == 2:
        nodes, edges = root
        return list(nodes), [(int(i), int(j)) for i, j in edges]
    if not all(hasattr(root, a) for a in ("data", "grad", "_prev", "_op")):
        raise TypeError(
            "draw_graph needs a Value, a (nodes, edges) pair or an object with data, grad, "
            f"_prev and _op attributes; got {type(root).__name__}"
        )
    order: list[Any] = []
    index: dict[int, int] = {}  # id(value) → position in order
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative depth-first search: each value goes in after all of its inputs
        v, inputs_done = stack.pop()
        if inputs_done:
            index[id(v)] = len(order)
            order.append(v)
        elif id(v) not in visited:
            visited.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(v._prev) if id(c) not in visited)
    nodes = [Node(i, getattr(v, "label", ""), float(v.data), float(v.grad), v._op)
             for i, v in enumerate(order)]
    edges = [(i, index[id(v)]) for v in order for i in dict.fromkeys(index[id(c)] for c in v._prev)]
    return nodes, edges


def node_depths(nodes: list[Node], edges: Edges) -> list[int]:
    """The column of each node: operations at 1 + the deepest input; inputs just left of their
    first use (so a late input such as a bias does not stretch an arrow across the figure)."""
    inputs: dict[int, list[int]] = {n.id: [] for n in nodes}
    users: dict[int, list[int]] = {n.id: [] for n in nodes}
    for i, j in edges:
        inputs[j].append(i)
        users[i].append(j)
    depth = {n.id: 0 for n in nodes}
    for n in nodes:  # topological order: inputs are done before their users
        if inputs[n.id]:
            depth[n.id] = 1 + max(depth[i] for i in inputs[n.id])
    for n in nodes:
        if not inputs[n.id] and users[n.id]:
            depth[n.id] = min(depth[j] for j in users[n.id]) - 1
    return [depth[n.id] for n in nodes]


def _layered(
    nodes: list[Node], edges: Edges, sweeps: int = 4
) -> tuple[dict[int, tuple[float, float]], list[list[tuple[float, float]]]]:
    """Box centres and, per edge, the waypoints it passes in the columns it skips.

    An edge that skips columns gets one invisible waypoint in each skipped column; waypoints take
    part in the row ordering like boxes, so long arrows get their own lane instead of running
    behind a box. Within a column, items are ordered by the mean height of their neighbours in
    the previous (then the next) column — a few barycentre sweeps keep arrows from crossing.
    """
    depth = dict(zip((n.id for n in nodes), node_depths(nodes, edges), strict=True))
    columns: dict[int, list[tuple]] = {}
    left: dict[tuple, list[tuple]] = {}  # neighbours one column to the left
    right: dict[tuple, list[tuple]] = {}
    for n in nodes:
        columns.setdefault(depth[n.id], []).append(("node", n.id))
    for k, (i, j) in enumerate(edges):
        chain = [("node", i)] + [("via", k, c) for c in range(depth[i] + 1, depth[j])] + [("node", j)]
        for c in range(depth[i] + 1, depth[j]):
            columns.setdefault(c, []).append(("via", k, c))
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            right.setdefault(a, []).append(b)
            left.setdefault(b, []).append(a)
    y: dict[tuple, float] = {}

    def place(col: list[tuple]) -> None:
        for r, item in enumerate(col):
            y[item] = (len(col) - 1) / 2 - r  # first in the column at the top

    def barycentre(item: tuple, neighbours: dict[tuple, list[tuple]]) -> float:
        near = neighbours.get(item, [])
        return -sum(y[m] for m in near) / len(near) if near else -y[item]

    for col in columns.values():
        place(col)
    ordered = sorted(columns)
    for _ in range(sweeps):
        for c in ordered[1:]:
            columns[c].sort(key=lambda item: barycentre(item, left))
            place(columns[c])
        for c in ordered[-2::-1]:
            columns[c].sort(key=lambda item: barycentre(item, right))
            place(columns[c])
    pos = {n.id: (float(depth[n.id]), y[("node", n.id)]) for n in nodes}
    vias = [[(float(c), y[("via", k, c)]) for c in range(depth[i] + 1, depth[j])]
            for k, (i, j) in enumerate(edges)]
    return pos, vias


def layout(nodes: list[Node], edges: Edges) -> dict[int, tuple[float, float]]:
    """(x, y) box centre of each node: x = its column (:func:`node_depths`), rows 1 apart and
    each column centred on y = 0, ordered to keep arrows from crossing."""
    return _layered(nodes, edges)[0]


def _ports(
    edges: Edges, pos: dict[int, tuple[float, float]], vias: list[list[tuple[float, float]]]
) -> tuple[list[float], list[float]]:
    """Vertical offsets where each edge leaves its source box and enters its target box: several
    arrows on one side of a box are spread out, in the order of where they come from or go to."""
    out_y = [0.0] * len(edges)
    in_y = [0.0] * len(edges)
    for side, offsets in ((0, out_y), (1, in_y)):
        groups: dict[int, list[int]] = {}
        for k, e in enumerate(edges):
            groups.setdefault(e[side], []).append(k)
        for ks in groups.values():
            def towards(k: int, side: int = side) -> float:
                i, j = edges[k]
                if vias[k]:
                    return vias[k][0][1] if side == 0 else vias[k][-1][1]
                return pos[j][1] if side == 0 else pos[i][1]

            ks.sort(key=towards, reverse=True)
            spread = min(0.5 * BOX_H, 0.16 * (len(ks) - 1))
            for r, k in enumerate(ks):
                offsets[k] = spread / 2 - r * spread / max(len(ks) - 1, 1)
    return out_y, in_y


def node_text(node: Node, show_grad: bool = True, digits: int = 4, note: str = "") -> str:
    """The label of one box: ``name (op)``, ``data …``, ``grad …`` and an optional note line."""
    if node.label and node.op:
        head = f"{node.label} = {node.op}"
    else:
        head = node.label or node.op or "const"
    lines = [head, f"data {node.data:.{digits}f}"]
    if show_grad:
        lines.append(f"grad {node.grad:.{digits}f}")
    if note:
        lines.append(note)
    return "\n".join(lines)


def draw_graph(
    root: Any,
    ax: Axes | None = None,
    *,
    show_grad: bool = True,
    notes: Mapping[str, str] | None = None,
    digits: int = 4,
    title: str | None = None,
    fontsize: float = 8.5,
) -> GraphDrawing:
    """Draw the graph below ``root`` left to right, one labelled box per value.

    Args:
        root: a ``Value`` (the library's or a Value-like one) or ``(nodes, edges)``.
        ax: axes to draw on; by default a new figure sized to the graph.
        show_grad: add the ``grad`` line (turn off to show a forward pass only).
        notes: extra text for boxes, by node label — e.g. a local derivative
            ``{"a": "∂e/∂a = b = -3"}``.
        digits: decimals shown for data and grad.
        title: the axes title.

    Returns a :class:`GraphDrawing`; call ``plt.show()`` to display it.
    """
    nodes, edges = graph_data(root)
    if not nodes:
        raise ValueError("draw_graph: the graph is empty")
    if len(nodes) > MAX_NODES:
        raise ValueError(
            f"draw_graph: {len(nodes)} values are too many to draw readably (at most {MAX_NODES}); "
            "draw a smaller expression"
        )
    notes = dict(notes or {})
    unknown = sorted(set(notes) - {n.label for n in nodes if n.label})
    if unknown:
        raise ValueError(f"draw_graph: notes name values that are not in the graph: {unknown}")
    pos, vias = _layered(nodes, edges)
    n_cols = 1 + int(max(x for x, _ in pos.values()))
    heights = [y for _, y in pos.values()] + [y for route in vias for _, y in route]
    n_rows = 1 + int(round(max(heights) - min(heights)))
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(COL_INCHES * n_cols + 0.3, ROW_INCHES * n_rows + (0.55 if title else 0.25)),
            layout="constrained",
        )
    else:
        fig = ax.figure
    root_id = nodes[-1].id
    texts: list[Text] = []
    boxes: list[FancyBboxPatch] = []
    for n in nodes:
        x, y = pos[n.id]
        kind = "root" if n.id == root_id else ("op" if n.op else "input")
        box = FancyBboxPatch(
            (x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=COLORS[kind], edgecolor="0.35", linewidth=0.9, zorder=2,
        )
        ax.add_patch(box)
        boxes.append(box)
        text = ax.text(
            x, y, node_text(n, show_grad, digits, notes.get(n.label, "")), ha="center",
            va="center", family="monospace", fontsize=fontsize, zorder=3, parse_math=False,
        )
        texts.append(text)
    out_y, in_y = _ports(edges, pos, vias)
    arrows: list[FancyArrowPatch] = []
    for k, (i, j) in enumerate(edges):
        (xi, yi), (xj, yj) = pos[i], pos[j]
        points = [(xi + BOX_W / 2, yi + out_y[k])]
        for x, y in vias[k]:  # pass each skipped column horizontally, in its own lane
            points += [(x - BOX_W / 2, y), (x + BOX_W / 2, y)]
        points.append((xj - BOX_W / 2, yj + in_y[k]))
        codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
        arrow = FancyArrowPatch(
            path=Path(points, codes), arrowstyle="-|>", mutation_scale=10, color="0.3",
            linewidth=0.9, zorder=1,
        )
        ax.add_patch(arrow)
        arrows.append(arrow)
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(min(heights) - 0.5, max(heights) + 0.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return GraphDrawing(fig, ax, nodes, edges, pos, texts, boxes, arrows)
