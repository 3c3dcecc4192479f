"""Figures of lesson 09: per-layer statistics, per-layer histograms, activations during training.

- :class:`FlowPlot` draws a :class:`~backprop_lab.widgets.gradient_flow.FlowStats` on three axes
  (activation std, weight-gradient norm on a log scale, % saturated units) and updates the same
  artists for a new one — the gradient-flow widget uses it for live redraws.
- :func:`plot_flow_comparison`: several ``FlowStats`` side by side, one line each.
- :func:`plot_layer_histograms`: one histogram per layer, overlaid (like Glorot & Bengio 2010,
  Figs. 6–7).
- :func:`plot_mean_activation_during_training`: mean ± std of each hidden layer's activations
  against the training step (like Glorot & Bengio 2010, Fig. 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from backprop_lab.explore.gradient_flow import FlowStats

#: what each FlowStats field means on a y-axis
QUANTITIES: dict[str, str] = {
    "a_std": r"activation std, std($a^{(l)}$)",
    "a_mean": r"activation mean, mean($a^{(l)}$)",
    "z_std": r"pre-activation std, std($z^{(l)}$)",
    "grad_norm": r"weight gradient $\|\partial \mathcal{L}/\partial W^{(l)}\|$ (log)",
    "delta_std": r"back-prop. gradient std($\delta^{(l)}$) (log)",
    "saturated": "% saturated units",
}
LOG_QUANTITIES = ("grad_norm", "delta_std")


def _values(s: FlowStats, q: str) -> np.ndarray:
    v = np.asarray(getattr(s, q), dtype=float)
    if q == "saturated":
        return 100 * v
    if q in LOG_QUANTITIES:
        return np.where(v > 0, v, np.nan)  # an exact 0 has no place on a log axis: a gap
    return v


def layer_colors(n: int, cmap: str = "viridis") -> list:
    """``n`` colours from dark (layer 1) to light (layer n)."""
    return [plt.get_cmap(cmap)(x) for x in np.linspace(0.0, 0.85, n)]


class FlowPlot:
    """Three panels against the layer number l: activation std (line), ‖∂𝓛/∂W⁽ˡ⁾‖ (line, log
    scale) and % saturated units (bars, ``max_depth`` of them created once, unused ones hidden).

    ``update(stats)`` changes data, bar heights, limits and the title in place.
    """

    def __init__(self, fig: Figure, max_depth: int = 50) -> None:
        self.fig = fig
        self.ax_std, self.ax_grad, self.ax_sat = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.16, top=0.82, wspace=0.3)
        (self.std_line,) = self.ax_std.plot([], [], "o-", color="tab:blue", ms=4,
                                            label=r"activations $a^{(l)}$")
        (self.zstd_line,) = self.ax_std.plot([], [], "s--", color="tab:gray", ms=3, lw=1,
                                             label=r"pre-activations $z^{(l)}$")
        self.ax_std.set_title("spread (std over batch and units)", fontsize=10)
        self.ax_std.legend(fontsize=8, loc="upper right")
        (self.grad_line,) = self.ax_grad.plot([], [], "o-", color="tab:red", ms=4)
        self.ax_grad.set_yscale("log")
        self.ax_grad.set_title(QUANTITIES["grad_norm"], fontsize=10)
        self.bars = self.ax_sat.bar(np.arange(1, max_depth + 1), np.zeros(max_depth),
                                    color="tab:orange", width=0.8)
        self.ax_sat.set_ylim(0, 100)
        self.ax_sat.set_title("% saturated units", fontsize=10)
        for ax in (self.ax_std, self.ax_grad, self.ax_sat):
            ax.set_xlabel("hidden layer l (1 = next to the input)")
        self.message = self.ax_grad.text(0.5, 0.5, "", transform=self.ax_grad.transAxes,
                                         ha="center", va="center", color="tab:red", fontsize=13,
                                         bbox={"facecolor": "white", "edgecolor": "none"})
        self.title = fig.suptitle("", fontsize=11)

    def update(self, s: FlowStats) -> None:
        """Show ``s``; a non-finite result shows "diverged" instead of an exploded plot."""
        layers = s.layers
        d = len(layers)
        xlim = (0.4, d + 0.6)
        for ax in (self.ax_std, self.ax_grad, self.ax_sat):
            ax.set_xlim(*xlim)
        finite = bool(s.finite)
        a_std = np.nan_to_num(s.a_std) if finite else np.zeros(d)
        z_std = np.nan_to_num(s.z_std) if finite else np.zeros(d)
        self.std_line.set_data(layers, a_std)
        self.zstd_line.set_data(layers, z_std)
        top = max(float(a_std.max()), float(z_std.max()), 1e-3) if d else 1.0
        self.ax_std.set_ylim(0, 1.15 * top)
        g = _values(s, "grad_norm")
        if finite and np.isfinite(g).any():
            self.grad_line.set_data(layers, g)
            self.ax_grad.set_ylim(np.nanmin(g) / 3, np.nanmax(g) * 3)
            self.message.set_text("")
        else:
            self.grad_line.set_data([], [])
            self.ax_grad.set_ylim(1e-3, 1e3)
            self.message.set_text("no gradient:\nall exactly 0" if finite
                                  else "diverged\n(non-finite values)")
        sat = 100 * np.nan_to_num(s.saturated)
        for i, bar in enumerate(self.bars):
            on = i < d
            bar.set_visible(on)
            bar.set_height(float(sat[i]) if on else 0.0)
        init = f", init {s.init}" if s.init else ""
        bn = ", batch norm" if s.batchnorm else ""
        self.title.set_text(f"{s.depth} hidden layers × {s.width} units, {s.activation}{init}{bn}"
                            " — one random batch at initialisation")


def plot_flow_comparison(
    stats: Mapping[str, FlowStats],
    quantities: Sequence[str] = ("a_std", "grad_norm", "saturated"),
    title: str | None = None,
) -> Figure:
    """One panel per quantity (keys of ``QUANTITIES``), one line per entry of ``stats``."""
    fig, axes = plt.subplots(1, len(quantities), figsize=(4.0 * len(quantities), 3.3),
                             constrained_layout=True)
    axes = np.atleast_1d(axes)
    for ax, q in zip(axes, quantities, strict=True):
        for label, s in stats.items():
            ax.plot(s.layers, _values(s, q), "o-", ms=4, label=label)
        if q in LOG_QUANTITIES:
            ax.set_yscale("log")
        if q == "saturated":
            ax.set_ylim(-3, 103)
        elif q in ("a_std", "z_std"):
            ax.set_ylim(bottom=0)
        ax.set_xlabel("hidden layer l")
        ax.set_title(QUANTITIES[q], fontsize=10)
        depth = max(len(s.layers) for s in stats.values())
        ax.set_xticks(np.arange(1, depth + 1, max(1, depth // 10)))
    # one legend beside the panels, so that it never hides a line
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_layer_histograms(
    panels: Mapping[str, Sequence[np.ndarray]],
    bins: int | Mapping[str, np.ndarray] = 60,
    ncols: int = 2,
    xlabel: Mapping[str, str] | None = None,
) -> Figure:
    """Overlaid per-layer histograms: ``panels[title][l - 1]`` holds the values of layer l.

    Each histogram is normalised to a density; layer 1 is dark, the top layer light. ``bins`` is
    a count or, per panel title, the bin edges (use shared edges to compare two panels).
    """
    n = len(panels)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.0 * nrows),
                             constrained_layout=True, squeeze=False)
    for ax, (title, values) in zip(axes.flat, panels.items(), strict=False):
        colors = layer_colors(len(values))
        edges = bins[title] if isinstance(bins, Mapping) else bins
        for layer, (v, c) in enumerate(zip(values, colors, strict=True), start=1):
            counts, e = np.histogram(np.ravel(v), bins=edges, density=True)
            ax.stairs(counts, e, color=c, lw=1.6, label=f"layer {layer}")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("density")
        if xlabel and title in xlabel:
            ax.set_xlabel(xlabel[title])
        ax.legend(fontsize=7, ncols=1)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig


def plot_mean_activation_during_training(
    steps: np.ndarray,
    means: np.ndarray,
    stds: np.ndarray,
    title: str = "",
    ylabel: str = r"activation $a^{(l)} = \sigma(z^{(l)})$: mean ± std",
) -> Figure:
    """Mean (line) ± one std (band) of each hidden layer's activations against the step.

    steps: (T,); means, stds: (T, n_layers), column l − 1 for hidden layer l.
    """
    fig, ax = plt.subplots(figsize=(7.5, 3.8), constrained_layout=True)
    n = means.shape[1]
    for j, c in enumerate(layer_colors(n, "plasma")):
        ax.plot(steps, means[:, j], color=c, lw=2, label=f"layer {j + 1}")
        ax.fill_between(steps, means[:, j] - stds[:, j], means[:, j] + stds[:, j], color=c,
                        alpha=0.2, lw=0)
    ax.set_xlabel("training step (mini-batch updates)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_xlim(steps[0], steps[-1])
    ax.legend(fontsize=8, loc="center right")
    if title:
        ax.set_title(title, fontsize=10)
    return fig
