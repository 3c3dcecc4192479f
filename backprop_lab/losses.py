"""Loss functions with forward and backward. Every loss is a mean over the batch, so every
gradient already carries the 1/m (DESIGN: "losses are means over the batch").

    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, y)     # a Python float
    dZ = loss.backward()                # ∂loss/∂logits, same shape as logits

==========================  =====================================  ===============================
loss                        forward                                backward (w.r.t. its input)
==========================  =====================================  ===============================
MSE                         mean((ŷ − y)²) over all N elements     2(ŷ − y)/N
BinaryCrossEntropy          −mean(y log p + (1−y) log(1−p))        (p − y) / (p(1 − p)) / N
BCEWithLogits               same with p = σ(z), computed stably    (σ(z) − y) / N
CategoricalCrossEntropy     −mean(log p[y]) from probabilities     −1/(m p[y]) at the true class
SoftmaxCrossEntropy         −mean(log softmax(z)[y]) (fused)       (softmax(z) − onehot(y)) / m
==========================  =====================================  ===============================
"""

from __future__ import annotations

import numpy as np

from backprop_lab.activations import shifted_exp, sigmoid
from backprop_lab.errors import ShapeError
from backprop_lab.validate import check_float_array


class Loss:
    """Base class: ``forward(pred, target) -> float`` caches what ``backward() -> dpred`` needs."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def _need_forward(self) -> None:
        if not hasattr(self, "_cache"):
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _float_array(x: np.ndarray, what: str, owner: str) -> np.ndarray:
    """``x`` as a non-empty float ndarray (float16/32/64), else an error naming owner and input."""
    x = check_float_array(f"{owner}: {what}", x)
    if x.size == 0:
        raise ShapeError(f"{owner}: {what} are empty (shape {x.shape}); a mean loss needs >= 1 element")
    return x


def _same_shape(pred: np.ndarray, target: np.ndarray, owner: str) -> None:
    if pred.shape != target.shape:
        raise ShapeError(
            f"{owner}: predictions have shape {pred.shape} but targets have shape {target.shape}; "
            "they must match element for element"
        )


def _labels(y: np.ndarray, m: int, k: int, owner: str) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "iu":  # signed or unsigned integers
        raise TypeError(
            f"{owner}: targets must be integer class labels of shape ({m},), got dtype {y.dtype}"
            + ("; if they are one-hot, use y.argmax(1)" if y.ndim == 2 else "")
        )
    if y.shape != (m,):
        raise ShapeError(f"{owner}: expected labels of shape ({m},), got {y.shape}")
    if m and (y.min() < 0 or y.max() >= k):
        raise ValueError(
            f"{owner}: labels must be in 0..{k - 1} for {k} classes, got values "
            f"from {y.min()} to {y.max()}"
        )
    return y


class MSE(Loss):
    """Mean squared error over all N elements: L = (1/N) Σ (ŷ − y)²; ∂L/∂ŷ = 2(ŷ − y)/N."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _float_array(pred, "predictions", "MSE")
        target = np.asarray(target, dtype=pred.dtype)
        _same_shape(pred, target, "MSE")
        diff = pred - target
        self._cache = diff
        return float(np.mean(diff * diff))

    def backward(self) -> np.ndarray:
        self._need_forward()
        diff = self._cache
        return diff * diff.dtype.type(2.0 / diff.size)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy from probabilities p ∈ (0, 1) (e.g. a sigmoid output).

    L = −(1/N) Σ [y log p + (1 − y) log(1 − p)];   ∂L/∂p = (p − y) / (p(1 − p)) / N.
    p is clipped to [eps, 1 − eps] so that log never sees 0. Prefer :class:`BCEWithLogits`, which
    takes z directly and needs no clipping.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = eps

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        p = _float_array(pred, "probabilities", "BinaryCrossEntropy")
        y = np.asarray(target, dtype=p.dtype)
        _same_shape(p, y, "BinaryCrossEntropy")
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError(
                "BinaryCrossEntropy: predictions must be probabilities in [0, 1], got values from "
                f"{p.min():.4g} to {p.max():.4g}; if these are logits, use BCEWithLogits"
            )
        eps = max(self.eps, float(np.finfo(p.dtype).eps))
        p = np.clip(p, eps, 1 - eps)
        self._cache = (p, y)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))

    def backward(self) -> np.ndarray:
        self._need_forward()
        p, y = self._cache
        return (p - y) / (p * (1 - p)) / p.dtype.type(p.size)


class BCEWithLogits(Loss):
    """Binary cross-entropy from logits z (p = σ(z)), stable for any z.

    L = (1/N) Σ [max(z, 0) − z·y + log(1 + e^(−|z|))]   (the same value as BCE(σ(z), y));
    ∂L/∂z = (σ(z) − y) / N.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z = _float_array(pred, "logits", "BCEWithLogits")
        y = np.asarray(target, dtype=z.dtype)
        _same_shape(z, y, "BCEWithLogits")
        self._cache = (z, y)
        return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))

    def backward(self) -> np.ndarray:
        self._need_forward()
        z, y = self._cache
        return (sigmoid(z) - y) / z.dtype.type(z.size)


class CategoricalCrossEntropy(Loss):
    """Cross-entropy from class probabilities P (rows sum to 1) and integer labels y.

    L = −(1/m) Σᵢ log P[i, yᵢ];  ∂L/∂P[i, j] = −1/(m·P[i, yᵢ]) if j = yᵢ else 0.
    Given a softmax output this is correct but needs the softmax's Jacobian next;
    :class:`SoftmaxCrossEntropy` fuses both into (softmax − onehot)/m.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = eps

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        P = _float_array(pred, "probabilities", "CategoricalCrossEntropy")
        if P.ndim != 2:
            raise ShapeError(f"CategoricalCrossEntropy: expected (batch, classes), got {P.shape}")
        m, k = P.shape
        y = _labels(target, m, k, "CategoricalCrossEntropy")
        p_true = np.maximum(P[np.arange(m), y], max(self.eps, float(np.finfo(P.dtype).tiny)))
        self._cache = (P, y, p_true)
        return float(-np.mean(np.log(p_true)))

    def backward(self) -> np.ndarray:
        self._need_forward()
        P, y, p_true = self._cache
        m = P.shape[0]
        dP = np.zeros_like(P)
        dP[np.arange(m), y] = -1.0 / (m * p_true)
        return dP


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: takes logits Z (batch, k) and labels y (batch,).

    L = −(1/m) Σᵢ log softmax(Zᵢ)[yᵢ], computed with log-sum-exp so large logits do not overflow;
    ∂L/∂Z = (softmax(Z) − onehot(y)) / m.
    Do not apply a softmax before this loss: it applies one itself (lesson 12).
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        Z = _float_array(pred, "logits", "SoftmaxCrossEntropy")
        if Z.ndim != 2:
            raise ShapeError(
                f"SoftmaxCrossEntropy: expected logits of shape (batch, classes), got {Z.shape}"
            )
        m, k = Z.shape
        y = _labels(target, m, k, "SoftmaxCrossEntropy")
        shifted, e = shifted_exp(Z, axis=1)  # log-sum-exp trick: every exponent ≤ 0
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(m)
        # log softmax(Z)[i, y_i] = shifted[i, y_i] − log Σ_j e^shifted[i, j]
        value = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        self._cache = (e / total, y, rows)  # softmax(Z), kept for backward
        return value

    def backward(self) -> np.ndarray:
        self._need_forward()
        probs, y, rows = self._cache
        dZ = probs.copy()
        dZ[rows, y] -= 1
        dZ *= probs.dtype.type(1.0 / len(y))
        return dZ


LOSSES: dict[str, type[Loss]] = {
    "mse": MSE,
    "bce": BinaryCrossEntropy,
    "bce_logits": BCEWithLogits,
    "categorical_ce": CategoricalCrossEntropy,
    "softmax_ce": SoftmaxCrossEntropy,
}
