"""Gradient-flow widget (lesson 09): per-layer statistics of a deep network at initialisation.

For a network of ``depth`` hidden blocks ``Linear → [BatchNorm] → g`` of width ``width`` and a
Linear output layer with 10 classes, one seeded random batch is sent forward and a softmax
cross-entropy loss backward. For every hidden layer l the widget shows

- the spread of the activations a⁽ˡ⁾ = g(z⁽ˡ⁾) (their standard deviation over batch and units),
- the norm of the weight gradient ‖∂𝓛/∂W⁽ˡ⁾‖ (Frobenius, log scale),
- the percentage of saturated units: |g′(z)| < 0.05 · max g′ (for ReLU: z ≤ 0, no gradient).

Compute (pure, seeded, fast; in :mod:`backprop_lab.explore.gradient_flow`, re-exported here)::

    s = compute_gradient_flow(depth=10, width=128, activation="sigmoid", init="standard",
                              batchnorm=False, seed=0)
    s.grad_norm            # (depth,) ‖∂𝓛/∂W⁽ˡ⁾‖ for l = 1 … depth
    s.status               # one-line summary ("gradient norm: layer 1 / layer 10 = 2.1e-04 …")

:func:`flow_statistics` measures the same statistics for any :class:`~backprop_lab.model.Sequential`
on a given batch (the lesson uses it on MNIST), and :func:`hidden_values` returns the arrays
z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾ themselves (for histograms). View::

    GradientFlowExplorer().widget

The compute half lives in :mod:`backprop_lab.explore.gradient_flow` (NumPy and the engine only);
ipywidgets and matplotlib are imported inside the view.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_lab.explore.gradient_flow import (  # noqa: F401  (the pure half, re-exported)
    ACTIVATIONS,
    BATCH,
    DEPTH_RANGE,
    INITS,
    N_CLASSES,
    SATURATION,
    WIDTH_RANGE,
    FlowStats,
    HiddenValues,
    build_network,
    compute_gradient_flow,
    flow_statistics,
    hidden_values,
    large,
)
from backprop_lab.widgets.base import ExplorerView


class GradientFlowExplorer(ExplorerView):
    compute_errors = (ValueError, FloatingPointError)  # a message in the widget, not a traceback

    """The widget: depth and width sliders, activation and init dropdowns, a BatchNorm checkbox.

    ``.widget`` is the box to display, ``.result`` the latest :class:`FlowStats`, ``.status`` the
    text under the figure. Setting a control's ``value`` recomputes and updates the plot in place.
    """

    def __init__(self, depth: int = 10, width: int = 128, activation: str = "sigmoid",
                 init: str = "standard", batchnorm: bool = False, seed: int = 0) -> None:
        import ipywidgets as w

        from backprop_lab.plotting.flow import FlowPlot
        from backprop_lab.widgets.base import FigureView, ipympl_active, new_figure

        self.seed = seed
        live = ipympl_active()
        style = {"description_width": "80px"}
        layout = w.Layout(width="300px")
        self.depth = w.IntSlider(value=depth, min=DEPTH_RANGE[0], max=DEPTH_RANGE[1],
                                 description="depth", continuous_update=live, style=style,
                                 layout=layout)
        self.width = w.IntSlider(value=width, min=16, max=WIDTH_RANGE[1], step=16,
                                 description="width", continuous_update=live, style=style,
                                 layout=layout)
        self.activation = w.Dropdown(options=[(v, k) for k, v in ACTIVATIONS.items()],
                                     value=activation, description="activation", style=style,
                                     layout=layout)
        self.init = w.Dropdown(options=[(v, k) for k, v in INITS.items()], value=init,
                               description="init", style=style, layout=layout)
        self.batchnorm = w.Checkbox(value=batchnorm, description="batch norm before g")
        self.status_box = w.HTML()
        self._watch({"depth": self.depth, "width": self.width, "activation": self.activation,
                     "init": self.init, "batchnorm": self.batchnorm},
                    prefetch=("depth", "width"))
        self.result = self._compute()
        fig = new_figure(11.0, 3.6)
        self.plot = FlowPlot(fig, max_depth=DEPTH_RANGE[1])
        self._draw()
        # blitting (inline fallback): lines, bars, legend, message and title are redrawn on a
        # change; the std and gradient axes, whose y-limits follow the data, are re-rendered when
        # their limits move, the saturation axes only when the depth changes its x-limits
        p = self.plot
        self.view = FigureView(
            fig,
            animated=[p.std_line, p.zstd_line, p.ax_std.get_legend(), p.grad_line, p.message,
                      *p.bars, p.title],
            volatile=[p.ax_std, p.ax_grad],
            # the static parts (axes, ticks, fixed titles) depend on the limits alone: keep the
            # renderings of the last depths, so moving the depth slider back costs no full draw
            # (~1.6 MB per rendering at this size)
            cache=10,
        )
        self._show_status()
        self.widget = w.VBox([
            w.HBox([w.VBox([self.depth, self.width]), w.VBox([self.activation, self.init]),
                    self.batchnorm]),
            self.view.widget,
            self.status_box,
        ])

    def _compute(self) -> FlowStats:
        return compute_gradient_flow(self._value("depth"), self._value("width"),
                                     self._value("activation"), self._value("init"),
                                     self._value("batchnorm"), self.seed)

    def _draw(self) -> None:
        """Update the plot's artists; the y-limits go outward in steps (a quarter of the order of
        magnitude for the spread, whole decades for the gradient norm), so that a control change
        that moves the data a little leaves those axes (and their cached rendering) as they are."""
        self.plot.update(self.result)
        top = self.plot.ax_std.get_ylim()[1]
        step = 10.0 ** math.floor(math.log10(top)) / 4
        self.plot.ax_std.set_ylim(0, step * math.ceil(top / step - 1e-9))
        lo, hi = np.log10(self.plot.ax_grad.get_ylim())
        self.plot.ax_grad.set_ylim(10.0 ** math.floor(lo), 10.0 ** math.ceil(hi))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
