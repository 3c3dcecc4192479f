"""Activation explorer (lesson 01): an activation g and its derivative g′ on one plot, the regions
where g saturates, and what a distribution of pre-activations z ~ N(mean, std²) becomes after g.

Compute (pure, seeded, fast; in :mod:`backprop_lab.explore.activation`, re-exported here)::

    r = explore_activation("sigmoid", mean=0.0, std=4.0)
    r.frac_saturated        # fraction of the sampled units with |g′(z)| < threshold · max g′
    r.status                # "38.0% of units saturated (|g′(z)| < 0.0125) …"

View (ipywidgets + :class:`~backprop_lab.widgets.base.FigureView`, artists updated in place)::

    ActivationExplorer().widget

A unit is *saturated* when |g′(z)| is below ``threshold`` times the largest value of |g′|: the
gradient that backpropagation sends through it, δ = (Wᵀδ⁺) ⊙ g′(z), is then scaled down by more
than that factor. For ReLU, z ≤ 0 gives g′ = 0 exactly: the unit is *dead* for that input.
"""

from __future__ import annotations

import math

from backprop_lab.explore.activation import (  # noqa: F401  (the pure half, re-exported)
    DEFAULTS,
    LABELS,
    MEAN_RANGE,
    N_SAMPLES_RANGE,
    STD_RANGE,
    THRESHOLD_RANGE,
    Z_LIM,
    ActivationExploration,
    explore_activation,
)
from backprop_lab.widgets.base import ExplorerView


class ActivationExplorer(ExplorerView):
    """The widget: a dropdown for g, sliders for the mean and std of z and the saturation threshold.

    ``.widget`` is the ipywidgets box to display; ``.result`` is the latest
    :class:`ActivationExploration`; ``.status`` the text shown under the figure. Setting a
    control's ``value`` (in code or with the mouse) recomputes and redraws in place.
    """

    def __init__(self, name: str = "sigmoid", mean: float = 0.0, std: float = 1.0,
                 threshold: float = 0.05, n_samples: int = 20_000, seed: int = 0) -> None:
        import ipywidgets as w

        from backprop_lab.plotting.activations import ExplorerPlot
        from backprop_lab.widgets.base import FigureView, ipympl_active, new_figure

        self.n_samples = n_samples
        self.seed = seed
        live = ipympl_active()  # with PNG redraws, update when the mouse is released
        style = {"description_width": "110px"}
        layout = w.Layout(width="360px")
        self.activation = w.Dropdown(options=[(v, k) for k, v in LABELS.items()], value=name,
                                     description="activation g", style=style, layout=layout)
        self.mean = w.FloatSlider(value=mean, min=MEAN_RANGE[0], max=MEAN_RANGE[1], step=0.1,
                                  description="mean of z", continuous_update=live,
                                  style=style, layout=layout)
        self.std = w.FloatSlider(value=std, min=STD_RANGE[0], max=STD_RANGE[1], step=0.05,
                                 description="std of z", continuous_update=live,
                                 style=style, layout=layout)
        self.threshold = w.FloatSlider(value=threshold, min=THRESHOLD_RANGE[0],
                                       max=THRESHOLD_RANGE[1], step=0.005, readout_format=".3f",
                                       description="saturated if |g′| <", continuous_update=live,
                                       style=style, layout=layout)
        self.status_box = w.HTML()
        self._watch({"activation": self.activation, "mean": self.mean, "std": self.std,
                     "threshold": self.threshold}, prefetch=("mean", "std", "threshold"))
        self.result = self._compute()
        fig = new_figure(10.0, 3.8)
        self.plot = ExplorerPlot(fig)
        self._draw()
        # blitting (inline fallback): the curves, shading, histograms and titles are redrawn on
        # a change, the rest comes from a cache; the right axes' limits follow the histogram, so
        # they are re-rendered (alone) when those limits move; the legends are pasted back on top
        p = self.plot
        self.view = FigureView(
            fig,
            animated=[p.sat_patch, p.z_patch, p.f_line, p.df_line, p.ax_f.title,
                      p.all_patch, p.sat_hist, p.ax_a.title],
            volatile=[p.ax_a],
            overlay=[p.ax_f.get_legend(), p.ax_a.get_legend()],
            # the static parts (axes, ticks, legends) depend on the limits alone: keep the
            # renderings of the last few limits, so moving a slider back costs no redraw of them
            cache=8,
        )
        self._show_status()
        self.widget = w.VBox([
            w.HBox([w.VBox([self.activation, self.threshold]), w.VBox([self.mean, self.std])]),
            self.view.widget,
            self.status_box,
        ])

    def _compute(self) -> ActivationExploration:
        return explore_activation(self._value("activation"), self._value("mean"),
                                  self._value("std"), self._value("threshold"), self.n_samples,
                                  self.seed)

    def _draw(self) -> None:
        """Update the plot's artists; the histogram's y-limit goes up in steps of a quarter of
        its order of magnitude, so that a small slider move leaves that axes (and its cached
        rendering) as it is."""
        self.plot.update(self.result)
        top = self.plot.ax_a.get_ylim()[1]
        step = 10.0 ** math.floor(math.log10(top)) / 4
        self.plot.ax_a.set_ylim(0, step * math.ceil(top / step - 1e-9))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
