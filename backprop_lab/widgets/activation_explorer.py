"""Activation explorer (lesson 01): an activation g and its derivative g′ on one plot, the regions
where g saturates, and what a distribution of pre-activations z ~ N(mean, std²) becomes after g.

Compute (pure, seeded, fast)::

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
from dataclasses import dataclass

import numpy as np

from backprop_lab.activations import ACTIVATIONS, get_activation
from backprop_lab.widgets.base import ExplorerView

#: names shown in the dropdown, in order
LABELS: dict[str, str] = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
}
#: allowed ranges; values outside are clamped and the clamp is reported in ``messages``
MEAN_RANGE = (-6.0, 6.0)
STD_RANGE = (0.05, 6.0)
THRESHOLD_RANGE = (0.001, 0.5)
N_SAMPLES_RANGE = (100, 200_000)
DEFAULTS = {"mean": 0.0, "std": 1.0, "threshold": 0.05}
#: the z-axis shown (the grid on which g and g′ are drawn)
Z_LIM = 8.0


@dataclass(frozen=True)
class ActivationExploration:
    """Everything the view draws, as plain arrays and numbers.

    Grid (shape (n_grid,)): ``z``, ``f`` = g(z), ``df`` = g′(z), ``saturated`` (bool mask).
    Samples (shape (n_samples,)): ``z_samples`` ~ N(mean, std²) and ``a_samples`` = g(z_samples).
    Histograms: ``z_edges`` (n_bins + 1,), ``z_density`` (n_bins,) — a density of z over the grid's
    range; ``a_edges`` (n_bins + 1,), ``a_frac`` and ``a_frac_saturated`` (n_bins,) — the fraction
    of all samples whose g(z) falls in each bin, and the part of it from saturated units.
    """

    name: str
    label: str
    mean: float
    std: float
    threshold: float
    seed: int
    z: np.ndarray
    f: np.ndarray
    df: np.ndarray
    grad_max: float
    saturated: np.ndarray
    z_samples: np.ndarray
    a_samples: np.ndarray
    z_edges: np.ndarray
    z_density: np.ndarray
    a_edges: np.ndarray
    a_frac: np.ndarray
    a_frac_saturated: np.ndarray
    frac_saturated: float
    frac_zero_grad: float
    frac_negative: float
    mean_grad: float
    a_mean: float
    a_std: float
    messages: tuple[str, ...]
    status: str

    @property
    def cutoff(self) -> float:
        """The saturation cut-off on |g′(z)|: threshold · max |g′|."""
        return self.threshold * self.grad_max


def _clamp(name: str, value: float, lo: float, hi: float, default: float,
           messages: list[str]) -> float:
    """``value`` clamped to [lo, hi]; a non-number or NaN becomes ``default``. Notes go to messages."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        messages.append(f"{name}={value!r} is not a number; using {default:g}")
        return default
    if math.isnan(v):
        messages.append(f"{name} is NaN; using {default:g}")
        return default
    if v < lo or v > hi:
        c = min(max(v, lo), hi)
        messages.append(f"{name}={v:g} is outside [{lo:g}, {hi:g}]; clamped to {c:g}")
        return c
    return v


def _output_range(name: str, a: np.ndarray) -> tuple[float, float]:
    """Histogram range for g(z): the codomain for bounded g, the samples' span otherwise."""
    if name == "sigmoid":
        return 0.0, 1.0
    if name == "tanh":
        return -1.0, 1.0
    lo = min(float(a.min()), 0.0)
    hi = max(float(a.max()), 1.0)
    if lo < 0 and -lo < 0.02 * hi:  # leaky ReLU: keep a visible bin for the small negative side
        lo = -0.02 * hi
    return lo, hi


def explore_activation(
    name: str = "sigmoid",
    mean: float = 0.0,
    std: float = 1.0,
    threshold: float = 0.05,
    n_samples: int = 20_000,
    seed: int = 0,
    n_grid: int = 801,
    n_bins: int = 50,
) -> ActivationExploration:
    """Evaluate activation ``name`` on a grid and on seeded samples z ~ N(mean, std²).

    Args:
        name: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"leaky_relu"`` (ValueError otherwise).
        mean, std: of the pre-activations; clamped to ``MEAN_RANGE`` / ``STD_RANGE``.
        threshold: a unit counts as saturated when |g′(z)| < threshold · max |g′|; clamped to
            ``THRESHOLD_RANGE``.
        n_samples: number of sampled units (clamped to ``N_SAMPLES_RANGE``).
        seed: the samples are ``mean + std * default_rng(seed).standard_normal(n_samples)``, so
            the same seed gives the same units for every activation and every slider setting.
        n_grid, n_bins: resolution of the curves and of the histograms.

    Clamped or replaced inputs are listed in ``messages`` and shown in ``status``.
    """
    if name not in ACTIVATIONS:
        get_activation(name)  # raises ValueError naming the choices
    messages: list[str] = []
    mean = _clamp("mean", mean, *MEAN_RANGE, DEFAULTS["mean"], messages)
    std = _clamp("std", std, *STD_RANGE, DEFAULTS["std"], messages)
    threshold = _clamp("threshold", threshold, *THRESHOLD_RANGE, DEFAULTS["threshold"], messages)
    n = int(_clamp("n_samples", n_samples, *N_SAMPLES_RANGE, 20_000, messages))
    act = ACTIVATIONS[name]

    z = np.linspace(-Z_LIM, Z_LIM, n_grid)
    f = act.f(z)
    df = act.df(z)
    grad_max = float(np.max(np.abs(df)))
    cutoff = threshold * grad_max
    saturated = np.abs(df) < cutoff

    z_s = mean + std * np.random.default_rng(seed).standard_normal(n)
    a_s = act.f(z_s)
    g_s = np.abs(act.df(z_s))
    sat_s = g_s < cutoff

    z_edges = np.linspace(-Z_LIM, Z_LIM, n_bins + 1)
    z_counts, _ = np.histogram(z_s, bins=z_edges)
    z_density = z_counts / (n * (z_edges[1] - z_edges[0]))
    a_edges = np.linspace(*_output_range(name, a_s), n_bins + 1)
    a_frac = np.histogram(a_s, bins=a_edges)[0] / n
    a_frac_sat = np.histogram(a_s[sat_s], bins=a_edges)[0] / n

    r = dict(
        frac_saturated=float(sat_s.mean()),
        frac_zero_grad=float((g_s == 0).mean()),
        frac_negative=float((z_s < 0).mean()),
        mean_grad=float(g_s.mean()),
        a_mean=float(a_s.mean()),
        a_std=float(a_s.std()),
    )
    status = _status(name, LABELS[name], cutoff, threshold, messages, **r)
    return ActivationExploration(
        name=name, label=LABELS[name], mean=mean, std=std, threshold=threshold, seed=seed,
        z=z, f=f, df=df, grad_max=grad_max, saturated=saturated,
        z_samples=z_s, a_samples=a_s, z_edges=z_edges, z_density=z_density,
        a_edges=a_edges, a_frac=a_frac, a_frac_saturated=a_frac_sat,
        messages=tuple(messages), status=status, **r,
    )


def _status(name: str, label: str, cutoff: float, threshold: float, messages: list[str],
            frac_saturated: float, frac_zero_grad: float, frac_negative: float,
            mean_grad: float, a_mean: float, a_std: float) -> str:
    """The status lines under the plot (plain text, one fact per line)."""
    lines = [
        f"{100 * frac_saturated:.1f}% of units saturated "
        f"(|g′(z)| < {threshold:g} · max g′ = {cutoff:.4g})"
    ]
    if name == "relu":
        lines.append(f"{100 * frac_zero_grad:.1f}% of ReLU units are dead for these inputs "
                     "(z ≤ 0, so g′(z) = 0 and no gradient flows)")
    elif name == "leaky_relu":
        lines.append(f"{100 * frac_negative:.1f}% of units on the leaky side (z < 0): "
                     "g′(z) = 0.01, small but never 0")
    lines.append(f"mean |g′(z)| = {mean_grad:.3f}   output mean {a_mean:.3f}, std {a_std:.3f}")
    lines += [f"note: {m}" for m in messages]
    return "\n".join(lines)


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
