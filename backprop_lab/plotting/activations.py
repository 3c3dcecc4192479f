"""Figures of lesson 01: activations with their derivatives, softmax, and the activation explorer.

:class:`ExplorerPlot` draws an :class:`~backprop_lab.widgets.activation_explorer.ActivationExploration`
on two axes and updates the same artists when given a new one — the widget uses it for live
redraws, :func:`plot_explorations` for static side-by-side snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from backprop_lab.activations import ACTIVATIONS, softmax
from backprop_lab.explore.activation import ActivationExploration

TITLES = {"sigmoid": "sigmoid σ(z)", "tanh": "tanh(z)", "relu": "ReLU(z)",
          "leaky_relu": "leaky ReLU(z), α = 0.01"}
F_COLOR, DF_COLOR, SAT_COLOR, Z_COLOR = "tab:blue", "tab:orange", "tab:red", "0.55"


def plot_activations(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
    z: np.ndarray | None = None,
) -> Figure:
    """One panel per activation: g(z) (solid) and g′(z) (dashed) over ``z`` (default −6…6)."""
    z = np.linspace(-6, 6, 1201) if z is None else z
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), sharex=True,
                             constrained_layout=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        act = ACTIVATIONS[name]
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(z, act.f(z), color=F_COLOR, label="g(z)")
        ax.plot(z, act.df(z), "--", color=DF_COLOR, label="g′(z)")
        ax.set_title(TITLES.get(name, name), fontsize=10)
        ax.set_xlabel("z")
        lo, hi = (-1.15, 1.15) if name in ("sigmoid", "tanh") else (-1.0, 3.0)
        ax.set_ylim(lo, hi)
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=9)
    return fig


def plot_softmax_sweep(others: Sequence[float] = (1.0, 0.0), t: np.ndarray | None = None) -> Figure:
    """softmax([t, *others]) as the first logit t varies: each probability, and their sum (= 1)."""
    t = np.linspace(-6, 8, 701) if t is None else t
    Z = np.column_stack([t] + [np.full_like(t, o) for o in others])
    P = softmax(Z)
    fig, ax = plt.subplots(figsize=(6.4, 3.2), constrained_layout=True)
    ax.plot(t, P[:, 0], label="p₀ (logit t)")
    for j, o in enumerate(others, start=1):
        ax.plot(t, P[:, j], label=f"p{chr(0x2080 + j)} (logit {o:g})")
    ax.plot(t, P.sum(1), ":", color="0.3", label="sum of probabilities")
    ax.set_xlabel("first logit t")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.03, 1.08)
    ax.set_title(f"softmax([t, {', '.join(f'{o:g}' for o in others)}])", fontsize=10)
    ax.legend(fontsize=9, loc="center left")
    return fig


class ExplorerPlot:
    """Left: g and g′ over z with the saturated regions shaded and the density of the sampled z.
    Right: histogram of g(z) for the sampled units, the saturated ones in red.

    ``update(result)`` changes the artists' data in place (``set_data``), never rebuilding them.
    """

    def __init__(self, fig: Figure, axes: tuple[Axes, Axes] | None = None) -> None:
        if axes is None:
            axes = tuple(fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]}))
            fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.88, wspace=0.22)
        self.fig = fig
        self.ax_f, self.ax_a = axes
        ax, axa = self.ax_f, self.ax_a
        dummy_e, dummy_v = np.array([0.0, 1.0]), np.zeros(1)
        xaxis = ax.get_xaxis_transform()  # x in data units, y in axes units (0 = bottom, 1 = top)
        self.sat_patch = ax.stairs(dummy_v, dummy_e, fill=True, color=SAT_COLOR, alpha=0.13,
                                   lw=0, transform=xaxis, label="saturated: |g′| < cut-off")
        self.z_patch = ax.stairs(dummy_v, dummy_e, fill=True, color=Z_COLOR, alpha=0.35, lw=0,
                                 transform=xaxis, label="sampled z (histogram, scaled)")
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        (self.f_line,) = ax.plot([], [], color=F_COLOR, lw=2, label="g(z)")
        (self.df_line,) = ax.plot([], [], "--", color=DF_COLOR, lw=2, label="g′(z)")
        ax.set_xlabel("pre-activation z")
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        self.all_patch = axa.stairs(dummy_v, dummy_e, fill=True, color=F_COLOR, alpha=0.55, lw=0,
                                    label="all units")
        self.sat_hist = axa.stairs(dummy_v, dummy_e, fill=True, color=SAT_COLOR, alpha=0.75,
                                   lw=0, label="saturated units")
        axa.set_xlabel("activation a = g(z)")
        axa.set_ylabel("fraction of units")
        axa.legend(loc="upper center", fontsize=8, framealpha=0.9)

    def update(self, r: ActivationExploration) -> None:
        """Show result ``r``: new curve data, shading, histograms, limits and titles."""
        mid = 0.5 * (r.z[1:] + r.z[:-1])
        sat_mid = np.abs(np.interp(mid, r.z, r.df)) < r.cutoff
        self.sat_patch.set_data(sat_mid.astype(float), r.z)
        peak = float(r.z_density.max())
        self.z_patch.set_data(0.3 * r.z_density / peak if peak > 0 else r.z_density, r.z_edges)
        self.f_line.set_data(r.z, r.f)
        self.df_line.set_data(r.z, r.df)
        lo = min(float(r.f.min()), float(r.df.min()), 0.0)
        hi = max(float(r.f.max()), float(r.df.max()))
        if r.name in ("relu", "leaky_relu"):
            lo, hi = -1.5, 4.0  # the lines are unbounded above; show the kink, not the far end
        pad = 0.08 * (hi - lo)
        self.ax_f.set_xlim(r.z[0], r.z[-1])
        self.ax_f.set_ylim(lo - pad, hi + 2.5 * pad)
        self.ax_f.set_title(f"{r.label}: g and g′; z ~ N({r.mean:.2f}, {r.std:.2f}²)", fontsize=10)
        self.all_patch.set_data(r.a_frac, r.a_edges)
        self.sat_hist.set_data(r.a_frac_saturated, r.a_edges)
        self.ax_a.set_xlim(r.a_edges[0], r.a_edges[-1])
        self.ax_a.set_ylim(0, 1.3 * max(float(r.a_frac.max()), 1e-3))  # room for the legend
        what = (f"{100 * r.frac_zero_grad:.1f}% dead (g′ = 0)" if r.name == "relu"
                else f"{100 * r.frac_saturated:.1f}% saturated")
        self.ax_a.set_title(f"after g: {what}", fontsize=10)


def plot_explorations(results: Sequence[ActivationExploration]) -> Figure:
    """Static snapshots of the explorer, one row per result (for printed or static notebooks)."""
    fig, axes = plt.subplots(len(results), 2, figsize=(10.0, 3.3 * len(results)),
                             gridspec_kw={"width_ratios": [1.25, 1]}, squeeze=False,
                             constrained_layout=True)
    for (ax_f, ax_a), r in zip(axes, results, strict=True):
        ExplorerPlot(fig, (ax_f, ax_a)).update(r)
    return fig
