"""Figures for MNIST: digit grids, training curves, a confusion matrix, weights as images.

Every function returns the matplotlib ``Figure`` (end the notebook cell with ``plt.show()``).
Images are rows of 784 pixels (or 28 × 28 arrays) with values in [0, 1], 1 = ink.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

SIDE = 28  # MNIST images are 28 × 28 pixels


def _as_images(images: np.ndarray, shape: tuple[int, int] = (SIDE, SIDE)) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 1:
        images = images[None]
    if images.ndim == 2:
        if images.shape[1] != shape[0] * shape[1]:
            raise ValueError(f"expected rows of {shape[0] * shape[1]} pixels, got {images.shape}")
        images = images.reshape(len(images), *shape)
    return images


def plot_digits(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    predicted: np.ndarray | None = None,
    confidence: np.ndarray | None = None,
    ncols: int = 10,
    size: float = 0.9,
    title: str | None = None,
) -> Figure:
    """A grid of digits. images: (n, 784) or (n, 28, 28).

    With ``labels`` (n,) each digit is titled with its label; with ``predicted`` (n,) as well,
    the title reads "true → predicted" in red where they differ, followed by ``confidence`` (n,)
    (the predicted class's probability) if given.
    """
    images = _as_images(images)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    has_text = labels is not None
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.25 * has_text) * nrows
                                                    + (0.35 if title else 0)), squeeze=False,
                             layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        if labels is None:
            continue
        if predicted is None:
            ax.set_title(str(int(labels[i])), fontsize=9, pad=2)
            continue
        wrong = int(labels[i]) != int(predicted[i])
        text = f"{int(labels[i])}→{int(predicted[i])}"
        if confidence is not None:
            text += f" {confidence[i]:.2f}"
        ax.set_title(text, fontsize=8, pad=2, color="tab:red" if wrong else "black")
    if title:
        fig.suptitle(title)
    return fig


def plot_training_curves(history: Any, title: str | None = None) -> Figure:
    """Loss and accuracy per epoch for training and (if present) validation data.

    ``history``: a :class:`backprop_lab.train.History` (or anything with ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc`` lists). Training numbers are means over each epoch's
    mini-batches (the weights change during the epoch); validation numbers are measured at its end.
    """
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(epochs, history.train_loss, "o-", label="training (mean over the epoch)")
    ax_acc.plot(epochs, history.train_acc, "o-", label="training (mean over the epoch)")
    if len(history.val_loss):
        ax_loss.plot(epochs, history.val_loss, "s-", label="validation (end of epoch)")
        ax_acc.plot(epochs, history.val_acc, "s-", label="validation (end of epoch)")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("cross-entropy loss (log scale)")
    ax_acc.set_ylabel("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int = 10) -> np.ndarray:
    """C (k, k) int64 with C[i, j] = number of examples of true class i predicted as class j."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"expected two label arrays of one shape (n,), got {y_true.shape} "
                         f"and {y_pred.shape}")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k).astype(np.int64)


def plot_confusion_matrix(cm: np.ndarray, title: str | None = None) -> Figure:
    """The confusion matrix cm (k, k) with every count written in its cell; colours on a log
    scale so that the few mistakes stand out next to the large diagonal."""
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(6.2, 5.4))
    shown = np.where(cm > 0, cm, np.nan)
    im = ax.imshow(shown, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(2, cm.max())))
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                dark = cm[i, j] > 0.3 * cm.max()
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if dark else ("black" if i == j else "tab:red"))
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(im, ax=ax, label="count (log scale)", shrink=0.85)
    ax.set_title(title or "confusion matrix (off-diagonal counts in red are mistakes)")
    fig.tight_layout()
    return fig


def plot_weight_images(
    W: np.ndarray, n: int = 32, ncols: int = 8, size: float = 1.1, title: str | None = None
) -> Figure:
    """The first ``n`` rows of a first-layer weight matrix W (n_hidden, 784) as 28 × 28 images.

    Row j holds the weights unit j puts on every pixel: red pixels push its input z_j up, blue
    ones push it down; each image has its own symmetric colour scale around 0 (white).
    """
    images = _as_images(np.asarray(W)[:n])
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4),
                             squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            lim = float(np.abs(images[i]).max()) or 1.0
            ax.imshow(images[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"unit {i}", fontsize=7, pad=1)
    fig.suptitle(title or "first-layer weights as images (red: positive, blue: negative)")
    return fig
