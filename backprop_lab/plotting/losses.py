"""Figures of lesson 02: losses and their gradients against the logit, and how fast each loss fixes
a confidently wrong output. The lesson computes the numbers; these functions only draw them."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

COLORS = {"MSE": "tab:orange", "BCE": "tab:blue"}


def plot_loss_and_gradient(
    z: np.ndarray,
    losses: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    y: float = 1.0,
) -> Figure:
    """Left: each loss against the logit z (shape (n,)). Right: |∂L/∂z| on a log scale.

    ``losses`` and ``grads`` map a name (e.g. ``"MSE"``, ``"BCE"``) to arrays shaped like ``z``.
    """
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(10.0, 3.6), constrained_layout=True)
    for name, L in losses.items():
        ax_l.plot(z, L, color=COLORS.get(name), label=name)
    for name, g in grads.items():
        ax_g.semilogy(z, np.abs(g), color=COLORS.get(name), label=name)
    for ax in (ax_l, ax_g):
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvspan(z.min(), 0, color="tab:red", alpha=0.06, lw=0)
        ax.set_xlabel("logit z   (prediction a = σ(z))")
        ax.set_xlim(z.min(), z.max())
    side = "left" if y == 1 else "right"
    ax_l.set_title(f"loss for target y = {y:g} (shaded: wrong side)", fontsize=10)
    ax_l.set_ylabel("loss L")
    ax_l.legend(loc="upper right" if y == 1 else "upper left")
    ax_g.set_title(f"|∂L/∂z|: the push the logit gets (wrong side on the {side})", fontsize=10)
    ax_g.set_ylabel("|∂L/∂z| (log scale)")
    ax_g.legend(loc="lower left" if y == 1 else "lower right")
    return fig


def plot_fix_race(histories: Mapping[str, np.ndarray], target: float = 1.0) -> Figure:
    """The prediction a = σ(z) after each gradient step (step 0 = start), one line per loss.

    ``histories`` maps a loss name to an array of predictions, shape (steps + 1,).
    """
    fig, ax = plt.subplots(figsize=(6.8, 3.4), constrained_layout=True)
    for name, a in histories.items():
        steps = np.arange(1, len(a) + 1)  # shifted by one so that step 0 fits a log axis
        (line,) = ax.semilogx(steps, a, color=COLORS.get(name), label=name)
        crossed = np.flatnonzero(a > 0.5)
        if crossed.size:
            ax.plot(steps[crossed[0]], a[crossed[0]], "o", color=line.get_color(), ms=5)
    ax.axhline(0.5, color="0.5", ls=":", lw=1, label="a = 0.5 (dots: first step past it)")
    ax.axhline(target, color="0.8", lw=0.8)
    ax.set_xlabel("gradient step + 1 (log scale)")
    ax.set_ylabel("prediction a = σ(z)")
    ax.set_ylim(-0.03, 1.05)
    ax.set_title("fixing a confidently wrong prediction by gradient descent", fontsize=10)
    ax.legend(loc="lower left", bbox_to_anchor=(0.4, 0.1))
    return fig
