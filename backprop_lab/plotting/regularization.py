"""Figures of lesson 10 (regularization): the generalization gap, several training runs side by
side, weight norms under L2, and how fast dropout's average output approaches its input.

Every function returns the matplotlib ``Figure`` (end the notebook cell with ``plt.show()``).
A "history" is a :class:`backprop_lab.train.History` or anything with the lists ``train_loss``,
``train_acc``, ``val_loss`` and ``val_acc`` (one entry per epoch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["plot_gap", "plot_runs", "plot_weight_norms", "plot_mean_convergence"]


def _epochs(history: Any) -> np.ndarray:
    return np.arange(1, len(history.train_loss) + 1)


def _plain_log_ticks(ax: Any) -> None:
    """On a log y-axis spanning less than 20x, label ticks as plain numbers (0.4, 0.6, 1, 1.5)
    instead of matplotlib's 4×10⁻¹; wider ranges keep the default decade labels."""
    lo, hi = ax.get_ylim()
    if hi / lo >= 20:
        return
    exps = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    ticks = [m * 10.0**e for e in exps for m in (1, 1.5, 2, 3, 4, 6, 8) if lo <= m * 10.0**e <= hi]
    ax.set_yticks(ticks)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_gap(history: Any, title: str | None = None) -> Figure:
    """Training and validation loss (log scale) and accuracy of one run, the gap between them
    shaded, and a dotted line at the epoch of the lowest validation loss.

    Training numbers are means over each epoch's mini-batches; validation numbers are measured
    at the end of the epoch (the epoch axis starts at 1).
    """
    epochs = _epochs(history)
    best = int(np.argmin(history.val_loss)) + 1
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, train, val, name in ((ax_loss, history.train_loss, history.val_loss, "loss"),
                                 (ax_acc, history.train_acc, history.val_acc, "accuracy")):
        ax.plot(epochs, train, color="C0", label=f"training {name}")
        ax.plot(epochs, val, color="C1", label=f"validation {name}")
        ax.fill_between(epochs, train, val, color="C1", alpha=0.12, label="generalization gap")
        ax.axvline(best, color="0.4", linestyle=":", linewidth=1,
                   label=f"lowest validation loss (epoch {best})")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("cross-entropy (log scale)")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0.75, 1.005)
    ax_loss.legend(fontsize=8, loc="lower left")
    ax_acc.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_runs(
    histories: Mapping[str, Any],
    chosen: Mapping[str, int] | None = None,
    title: str | None = None,
    acc_ylim: tuple[float, float] = (0.84, 0.91),
    train: bool = True,
) -> Figure:
    """Several runs side by side: validation loss (solid) with training loss (dotted, same colour;
    left out with ``train=False``) on a log scale, and validation accuracy.

    ``chosen`` maps a run's name to a 0-based epoch index that is marked with a large dot (e.g. the
    epoch whose weights early stopping restored).
    """
    chosen = chosen or {}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, h) in enumerate(histories.items()):
        color = f"C{i % 10}"
        epochs = _epochs(h)
        ax_loss.plot(epochs, h.val_loss, color=color,
                     label=f"{name}: validation" if train else name)
        if train:
            ax_loss.plot(epochs, h.train_loss, color=color, linestyle=":", linewidth=1.2,
                         label=f"{name}: training")
        ax_acc.plot(epochs, h.val_acc, color=color, label=name)
        if name in chosen:
            k = chosen[name]
            ax_loss.plot(k + 1, h.val_loss[k], "o", color=color, markersize=8,
                         markeredgecolor="black")
            ax_acc.plot(k + 1, h.val_acc[k], "o", color=color, markersize=8,
                        markeredgecolor="black", label=f"{name}: restored epoch {k + 1}")
    ax_loss.set_yscale("log")
    _plain_log_ticks(ax_loss)
    ax_loss.set_ylabel("cross-entropy (log scale)")
    ax_loss.set_title("loss: validation (solid), training (dotted)" if train
                      else "validation loss", fontsize=10)
    ax_acc.set_ylabel("validation accuracy")
    ax_acc.set_ylim(*acc_ylim)
    ax_acc.set_title("validation accuracy", fontsize=10)
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    ax_loss.legend(fontsize=7, ncol=2 if train else 1, loc="lower left" if train else "best")
    ax_acc.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_weight_norms(
    norms: Mapping[str, Sequence[float]],
    weights: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
) -> Figure:
    """Left: the weight norm per epoch of each run (``norms[name]``, one value per epoch).
    Right (if ``weights`` is given): histograms of each run's final weights (any shape)."""
    ncols = 2 if weights else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 3.6), squeeze=False)
    ax = axes[0, 0]
    for i, (name, values) in enumerate(norms.items()):
        ax.plot(np.arange(1, len(values) + 1), values, color=f"C{i % 10}", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("‖W‖ (all weight matrices)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if weights:
        ax = axes[0, 1]
        lim = max(float(np.abs(w).max()) for w in weights.values())
        bins = np.linspace(-lim, lim, 81)
        for i, (name, w) in enumerate(weights.items()):
            ax.hist(np.ravel(w), bins=bins, histtype="step", color=f"C{i % 10}", label=name,
                    linewidth=1.4)
        ax.set_yscale("log")
        ax.set_xlabel("weight value")
        ax.set_ylabel("count (log scale)")
        ax.set_title("final weights of the first layer", fontsize=10)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_mean_convergence(
    n_draws: Sequence[int], errors: Sequence[float], title: str | None = None
) -> Figure:
    """Error of an average over n random draws against n on log–log axes, with a 1/√n reference
    line through the first point (the rate the law of large numbers predicts)."""
    n = np.asarray(n_draws, dtype=float)
    err = np.asarray(errors, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.loglog(n, err, "o-", label="measured")
    ax.loglog(n, err[0] * np.sqrt(n[0] / n), "--", color="0.5", label="∝ 1/√n")
    ax.set_xlabel("number of dropout masks averaged, n")
    ax.set_ylabel("max |mean output − input|")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
