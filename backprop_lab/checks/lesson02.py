"""Checks for ``exercises/02_loss_functions.ipynb``.

One check per task: :func:`check_mse`, :func:`check_mse_grad`, :func:`check_softmax_cross_entropy`,
:func:`check_softmax_cross_entropy_grad`, :func:`check_bce_with_logits`. Expected values come
from :mod:`backprop_lab.losses` (means over the batch; gradients carry the 1/m).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_lab.activations import log_softmax, sigmoid, softmax
from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import call_with_hints
from backprop_lab.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy

__all__ = ["check_bce_with_logits", "check_mse", "check_mse_grad", "check_softmax_cross_entropy",
           "check_softmax_cross_entropy_grad"]

F32 = {"rtol": 1e-5, "atol": 1e-6}


def _mse(pred: np.ndarray, target: np.ndarray) -> float:
    return MSE().forward(pred, target)


def _mse_grad(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    loss = MSE()
    loss.forward(pred, target)
    return loss.backward()


def _sce(Z: np.ndarray, y: np.ndarray) -> float:
    return SoftmaxCrossEntropy().forward(Z, y)


def _sce_grad(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    loss = SoftmaxCrossEntropy()
    loss.forward(Z, y)
    return loss.backward()


def _bce(z: np.ndarray, y: np.ndarray) -> float:
    return BCEWithLogits().forward(z, y)


def _small_regression() -> tuple[np.ndarray, np.ndarray]:
    pred = np.array([[0.5, 1.0, -2.0], [3.0, 0.0, 1.5], [-1.0, 2.0, 0.25], [0.0, -0.5, 1.0]])
    target = np.array([[1.0, 1.0, -1.0], [2.0, 0.5, 1.0], [0.0, 2.5, 0.0], [0.5, -0.5, 2.0]])
    return pred, target


def check_mse(mse: Callable) -> None:
    """MSE = mean((ŷ − y)²) over all N = m·k elements, returned as one number."""
    c = Checker("mse", mse)
    pred, target = _small_regression()
    label = "pred and target of shape (4, 3)"
    out = c.number(c.call(pred, target, label=label))
    d = pred - target
    c.close(out, _mse(pred, target), hint="MSE = (1/N) Σ (ŷ − y)² over all N = m·k entries",
            mistakes=[
                (np.sum(d ** 2), "you summed the squared errors; the MSE is their mean"),
                ((d ** 2).sum(axis=1).mean(), "you divided by m = 4 (the batch size) only; the "
                                              "MSE divides by the number of entries N = m·k = 12"),
                (np.mean(np.abs(d)), "square the errors instead of taking absolute values"),
                (np.sqrt(np.mean(d ** 2)), "no square root: that would be the RMSE"),
                (0.5 * np.mean(d ** 2), "no factor ½ in this course's MSE"),
                (np.mean(d) ** 2, "square each error before averaging, not the mean error"),
            ])

    out = c.number(c.call(pred, pred.copy(), label="pred == target"))
    c.close(out, 0.0, what="zero loss when pred == target")

    p1, t1 = np.array([[2.0]]), np.array([[-1.0]])
    out = c.number(c.call(p1, t1, label="a batch of one: pred [[2]], target [[-1]]"))
    c.close(out, 9.0, what="a batch of one")

    p32, t32 = pred.astype(np.float32), target.astype(np.float32)
    out = c.number(c.call(p32, t32, label="float32 " + label))
    c.close(out, _mse(p32, t32), what="float32 input", **F32)
    c.done()


def check_mse_grad(mse_grad: Callable) -> None:
    """∂MSE/∂ŷ = 2(ŷ − y)/N, an array shaped like ŷ (float32 stays float32)."""
    c = Checker("mse_grad", mse_grad)
    pred, target = _small_regression()
    label = "pred and target of shape (4, 3)"
    out = c.call(pred, target, label=label)
    c.array(out, dtype=np.float64, shape=(4, 3))
    d = pred - target
    c.close(out, _mse_grad(pred, target), hint="∂/∂ŷ of (1/N) Σ (ŷ − y)² is 2(ŷ − y)/N, N = m·k",
            mistakes=[
                (d / d.size, "the factor 2 from differentiating the square is missing"),
                (2 * d, "the 1/N of the mean is missing: the gradient of a mean carries 1/N"),
                (-2 * d / d.size, "wrong sign: the loss grows when ŷ moves away from y, so the "
                                  "gradient is 2(ŷ − y)/N, not 2(y − ŷ)/N"),
                (2 * d / d.shape[0], "you divided by m = 4 only; the mean is over N = m·k = 12 "
                                     "entries"),
                (d, "differentiate (1/N) Σ (ŷ − y)²: that gives 2(ŷ − y)/N"),
            ])

    p1, t1 = np.array([[2.0]]), np.array([[-1.0]])
    out = c.call(p1, t1, label="a batch of one: pred [[2]], target [[-1]]")
    c.array(out, dtype=np.float64, shape=(1, 1))
    c.close(out, [[6.0]], what="a batch of one")

    p32, t32 = pred.astype(np.float32), target.astype(np.float32)
    out = c.call(p32, t32, label="float32 " + label)
    c.array(out, dtype=np.float32, shape=(4, 3))
    c.close(out, _mse_grad(p32, t32), what="float32 input keeps float32", **F32)
    c.done()


def _small_classification() -> tuple[np.ndarray, np.ndarray]:
    Z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-0.3, 0.2, 0.4], [1.0, -2.0, 3.0]])
    y = np.array([0, 2, 1, 2])
    return Z, y


_STABLE_CE_HINT = ("log(softmax(z)) of a tiny probability is log(0) = −∞, and e^1000 overflows. "
                   "Compute log-softmax directly: log softmax(z)ᵢ = zᵢ − logsumexp(z), with "
                   "logsumexp(z) = max(z) + log Σⱼ e^(zⱼ − max(z)) per row")


def check_softmax_cross_entropy(softmax_cross_entropy: Callable) -> None:
    """L = −(1/m) Σᵢ log softmax(Zᵢ)[yᵢ] from logits Z (m, k) and integer labels y (m,), stably."""
    c = Checker("softmax_cross_entropy", softmax_cross_entropy)
    Z, y = _small_classification()
    label = "Z of shape (4, 3), y = [0, 2, 1, 2]"
    out = c.number(c.call(Z, y, label=label))
    m = len(y)
    logp = log_softmax(Z)
    picked = logp[np.arange(m), y]
    c.close(out, _sce(Z, y), hint="L = −(1/m) Σᵢ log softmax(Zᵢ)[yᵢ]: the log-probability of "
                                  "the true class of each example, averaged and negated",
            mistakes=[
                (-picked.sum(), "you summed over the batch; the loss is the mean over the m examples"),
                (picked.mean(), "missing minus sign: a cross-entropy is ≥ 0"),
                (-logp[:, y].mean(), "indexing with [:, y] takes an m×m block (every row for every "
                                     "label); pick one entry per row: row i, column y[i]"),
                (-Z[np.arange(m), y].mean(), "take the log of the softmax probabilities, not the "
                                             "raw logits"),
                (-np.log10(softmax(Z)[np.arange(m), y]).mean(), "use the natural log (np.log)"),
                (-logp.mean(), "average only the log-probability of the true class of each row"),
            ])

    Zbig = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    ybig = np.array([2, 1])
    out = c.number(call_with_hints(c, Zbig, ybig,
                                   label="Z = [[1000, 0, -1000], [0, 0, 0]], y = [2, 1]",
                                   numpy_errors=True, hints={FloatingPointError: _STABLE_CE_HINT}))
    c.close(out, _sce(Zbig, ybig), what="large logits (±1000): loss (2000 + log 3)/2 without "
                                        "overflow", hint=_STABLE_CE_HINT)

    Z1, y1 = np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([3])
    out = c.number(c.call(Z1, y1, label="a batch of one, Z = [[0, 0, 0, 0]], y = [3]"))
    c.close(out, np.log(4.0), what="a batch of one (equal logits give log k)")

    Z32 = Z.astype(np.float32)
    out = c.number(c.call(Z32, y, label="float32 " + label))
    c.close(out, _sce(Z32, y), what="float32 input", **F32)
    c.done()


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad: Callable) -> None:
    """∂L/∂Z = (softmax(Z) − onehot(y)) / m, shape (m, k), float32 kept."""
    c = Checker("softmax_cross_entropy_grad", softmax_cross_entropy_grad)
    Z, y = _small_classification()
    label = "Z of shape (4, 3), y = [0, 2, 1, 2]"
    out = c.call(Z, y, label=label)
    c.array(out, dtype=np.float64, shape=(4, 3))
    m, k = Z.shape
    P, Y = softmax(Z), np.eye(k)[y]
    c.close(out, _sce_grad(Z, y), hint="∂L/∂Z = (softmax(Z) − onehot(y)) / m", mistakes=[
        (P - Y, "the 1/m is missing: the loss is a mean over the batch, so its gradient carries 1/m"),
        ((Y - P) / m, "wrong sign: it is softmax − onehot (predicted minus true)"),
        (P / m, "subtract the one-hot labels: 1 at column y[i] of row i"),
        ((P - Y) / (m * k), "divide by m (the batch size) only, not by m·k"),
        (P - Y / m, "divide the whole difference (softmax − onehot) by m"),
    ])
    c.true(np.allclose(out.sum(axis=1), 0.0), "every row sums to 0",
           "rows do not sum to 0", hint="softmax rows sum to 1, one-hot rows sum to 1")

    Zbig = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    ybig = np.array([2, 1])
    out = call_with_hints(c, Zbig, ybig, label="Z = [[1000, 0, -1000], [0, 0, 0]], y = [2, 1]",
                          numpy_errors=True,
                          hints={FloatingPointError: "e^1000 overflows: compute the softmax with "
                                 "each row's maximum subtracted first"})
    c.array(out, dtype=np.float64, shape=(2, 3))
    c.close(out, _sce_grad(Zbig, ybig), what="large logits (±1000) without overflow")

    Z1, y1 = np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([3])
    out = c.call(Z1, y1, label="a batch of one, Z = [[0, 0, 0, 0]], y = [3]")
    c.array(out, dtype=np.float64, shape=(1, 4))
    c.close(out, _sce_grad(Z1, y1), what="a batch of one")

    Z32 = Z.astype(np.float32)
    out = c.call(Z32, y, label="float32 " + label)
    c.array(out, dtype=np.float32, shape=(4, 3))
    c.close(out, _sce_grad(Z32, y), what="float32 input keeps float32", **F32)
    c.done()


_STABLE_BCE_HINT = ("σ(z) rounds to exactly 0 or 1 for large |z|, and log(0) = −∞ (or e^(−z) "
                    "overflows). Write the loss in terms of z alone (simplify the bracket on paper, "
                    "as the task suggests), then use one form for z ≥ 0 and another for z < 0 so "
                    "that the exponent is never positive")


def check_bce_with_logits(bce_with_logits: Callable) -> None:
    """L = mean(max(z, 0) − z·y + log(1 + e^(−|z|))) = BCE(σ(z), y), stable for any z."""
    c = Checker("bce_with_logits", bce_with_logits)
    z = np.array([2.0, -1.0, 0.5, -3.0, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    label = "z = [2, -1, 0.5, -3, 0], y = [1, 0, 0, 1, 1]"
    out = c.number(c.call(z, y, label=label))
    p = sigmoid(z)
    terms = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    c.close(out, _bce(z, y), hint="L = −mean(y log σ(z) + (1 − y) log(1 − σ(z)))", mistakes=[
        (terms.sum(), "you summed over the examples; the loss is their mean"),
        (-terms.mean(), "missing minus sign: a cross-entropy is ≥ 0"),
        (-(y * np.log(1 - p) + (1 - y) * np.log(p)).mean(),
         "y and 1 − y are swapped: y multiplies log σ(z), the log-probability of class 1"),
        (-(y * np.log(p)).mean(), "the (1 − y) log(1 − σ(z)) term for the examples with y = 0 "
                                  "is missing"),
        (-(y * np.log(sigmoid(-z)) + (1 - y) * np.log(sigmoid(z))).mean(),
         "sign of z: p = σ(z) is the probability of class 1"),
        ((np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z)))).mean(),
         "the term with z·y has the wrong sign: redo the simplification of the bracket"),
        ((np.maximum(z, 0) - z * y + np.log1p(np.exp(-z))).mean(),
         "right for z ≥ 0 but not for z < 0: check each of your forms on its own side of 0 by "
         "hand, e.g. z = −1, y = 0, where the loss is −log(1 − σ(−1)) = log(1 + e^(−1)) ≈ 0.3133"),
    ])

    zbig = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    ybig = np.array([1.0, 0.0, 0.0, 1.0])
    out = c.number(call_with_hints(c, zbig, ybig,
                                   label="z = [1000, -1000, 1000, -1000], y = [1, 0, 0, 1]",
                                   numpy_errors=True, hints={FloatingPointError: _STABLE_BCE_HINT}))
    c.close(out, _bce(zbig, ybig), what="large |z| without overflow (loss (0 + 0 + 1000 + 1000)/4)",
            hint=_STABLE_BCE_HINT)

    z0, y0 = np.zeros(3), np.array([1.0, 0.0, 1.0])
    out = c.number(c.call(z0, y0, label="z = zeros(3), y = [1, 0, 1]"))
    c.close(out, np.log(2.0), what="z = 0 gives log 2")

    z1, y1 = np.array([[-0.7]]), np.array([[1.0]])
    out = c.number(c.call(z1, y1, label="a batch of one: z = [[-0.7]], y = [[1]]"))
    c.close(out, _bce(z1, y1), what="a batch of one")

    z32, y32 = z.astype(np.float32), y.astype(np.float32)
    out = c.number(c.call(z32, y32, label="float32 " + label))
    c.close(out, _bce(z32, y32), what="float32 input", **F32)
    c.done()
