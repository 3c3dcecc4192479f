"""The lesson 02 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson02 import (
    check_bce_with_logits,
    check_mse,
    check_mse_grad,
    check_softmax_cross_entropy,
    check_softmax_cross_entropy_grad,
)

# -- independent reference implementations ---------------------------------------------------------


def mse(pred, target):
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred, target):
    return 2 * (pred - target) / pred.size


def log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(Z, y):
    return float(-log_softmax(Z)[np.arange(len(y)), y].mean())


def softmax_cross_entropy_grad(Z, y):
    G = np.exp(log_softmax(Z))
    G[np.arange(len(y)), y] -= 1
    return G / len(y)


def bce_with_logits(z, y):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


REFERENCES = [
    (check_mse, mse),
    (check_mse_grad, mse_grad),
    (check_softmax_cross_entropy, softmax_cross_entropy),
    (check_softmax_cross_entropy_grad, softmax_cross_entropy_grad),
    (check_bce_with_logits, bce_with_logits),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def naive_ce(Z, y):
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return float(-np.log(P[np.arange(len(y)), y]).mean())


def log_of_stable_softmax_ce(Z, y):
    return float(-np.log(softmax(Z)[np.arange(len(y)), y]).mean())


def epsilon_ce(Z, y):
    return float(-np.log(softmax(Z)[np.arange(len(y)), y] + 1e-12).mean())


def onehot(y, k, dtype=np.float64):
    return np.eye(k, dtype=dtype)[y]


def naive_bce(z, y):
    p = 1 / (1 + np.exp(-z))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def clipped_bce(z, y):
    p = np.clip(1 / (1 + np.exp(-np.clip(z, -500, 500))), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def softplus_bce(z, y):  # exact, but e^z overflows for z = 1000
    return float(np.mean(np.log1p(np.exp(z)) - z * y))


MISTAKES = [
    (check_mse, lambda p, t: float(np.sum((p - t) ** 2)), "you summed the squared errors"),
    (check_mse, lambda p, t: float(((p - t) ** 2).sum(axis=1).mean()), "you divided by m = 4"),
    (check_mse, lambda p, t: float(np.mean(np.abs(p - t))), "square the errors"),
    (check_mse, lambda p, t: float(np.sqrt(np.mean((p - t) ** 2))), "that would be the RMSE"),
    (check_mse, lambda p, t: (p - t) ** 2, "should be a single number"),
    (check_mse_grad, lambda p, t: (p - t) / p.size, "the factor 2"),
    (check_mse_grad, lambda p, t: 2 * (p - t), "the 1/N of the mean is missing"),
    (check_mse_grad, lambda p, t: 2 * (t - p) / p.size, "wrong sign"),
    (check_mse_grad, lambda p, t: 2 * (p - t) / len(p), "you divided by m = 4 only"),
    (check_mse_grad, lambda p, t: (2 * (p - t) / p.size).astype(np.float64), "expected float32"),
    (check_softmax_cross_entropy, lambda Z, y: float(-log_softmax(Z)[np.arange(len(y)), y].sum()),
     "you summed over the batch"),
    (check_softmax_cross_entropy, lambda Z, y: float(log_softmax(Z)[np.arange(len(y)), y].mean()),
     "missing minus sign"),
    (check_softmax_cross_entropy, lambda Z, y: float(-log_softmax(Z)[:, y].mean()),
     "indexing with [:, y]"),
    (check_softmax_cross_entropy, lambda Z, y: float(-Z[np.arange(len(y)), y].mean()),
     "not the raw logits"),
    (check_softmax_cross_entropy, naive_ce, "Compute log-softmax directly"),
    (check_softmax_cross_entropy, log_of_stable_softmax_ce, "log(0) = −∞"),
    (check_softmax_cross_entropy, epsilon_ce, "Compute log-softmax directly"),
    (check_softmax_cross_entropy_grad, lambda Z, y: softmax(Z) - onehot(y, Z.shape[1]),
     "the 1/m is missing"),
    (check_softmax_cross_entropy_grad, lambda Z, y: (onehot(y, Z.shape[1]) - softmax(Z)) / len(y),
     "wrong sign"),
    (check_softmax_cross_entropy_grad, lambda Z, y: softmax(Z) / len(y),
     "subtract the one-hot labels"),
    (check_softmax_cross_entropy_grad, lambda Z, y: (softmax(Z) - onehot(y, Z.shape[1])) / Z.size,
     "not by m·k"),
    (check_softmax_cross_entropy_grad,
     lambda Z, y: (np.exp(Z) / np.exp(Z).sum(1, keepdims=True) - onehot(y, Z.shape[1])) / len(y),
     "each row's maximum subtracted"),
    (check_softmax_cross_entropy_grad, lambda Z, y: (softmax(Z) - onehot(y, Z.shape[1])) / len(y),
     "keep the input's precision"),
    (check_bce_with_logits, naive_bce, "in terms of z alone"),
    (check_bce_with_logits, clipped_bce, "Write the loss in terms of z"),
    (check_bce_with_logits, softplus_bce, "the exponent is never positive"),
    (check_bce_with_logits, lambda z, y: float(np.sum(np.maximum(z, 0) - z * y
                                                      + np.log1p(np.exp(-np.abs(z))))),
     "you summed over the examples"),
    (check_bce_with_logits, lambda z, y: bce_with_logits(z, 1 - y), "y and 1 − y are swapped"),
    (check_bce_with_logits, lambda z, y: -bce_with_logits(z, y), "missing minus sign"),
]

# -- errors in the student's code ----------------------------------------------------------------------
