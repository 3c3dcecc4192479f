"""The lesson 09 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson09 import (
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_clip_by_global_norm,
    check_init_std,
)

# -- independent reference implementations ---------------------------------------------------------


def init_std(n_in, n_out, kind):
    if kind == "xavier":
        return float(np.sqrt(2.0 / (n_in + n_out)))
    return float(np.sqrt(2.0 / n_in))


def _normalise(X, eps):
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    return (X - mu) / np.sqrt(var + eps), 1 / np.sqrt(var + eps)


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    X_hat, _ = _normalise(X, eps)
    return gamma * X_hat + beta


def batchnorm_backward(dY, X, gamma, eps=1e-5, *, kind=""):
    m = len(X)
    X_hat, inv_std = _normalise(X, eps)
    dX_hat = dY if kind == "no_gamma" else dY * gamma
    if kind == "eval":
        dX = dX_hat * inv_std
    else:
        dX = inv_std / m * (m * dX_hat - dX_hat.sum(0) - X_hat * (dX_hat * X_hat).sum(0))
        if kind == "no_1_over_m":
            dX = dX * m
    dgamma = dY.sum(0) if kind == "dgamma_is_dbeta" else (dY * X_hat).sum(0)
    return dX, dgamma, dY.sum(0)


def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * g.dtype.type(scale) for g in grads], norm


REFERENCES = [
    (check_init_std, init_std),
    (check_batchnorm_forward, batchnorm_forward),
    (check_batchnorm_backward, batchnorm_backward),
    (check_clip_by_global_norm, clip_by_global_norm),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def _bn_back(kind):
    def wrong(dY, X, gamma, eps=1e-5):
        return batchnorm_backward(dY, X, gamma, eps, kind=kind)
    return wrong


def bn_naive_variance(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=0)
    var = (X * X).mean(axis=0) - mu * mu
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


def bn_eps_outside(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(0)) / (X.std(0) + eps) + beta


def bn_unbiased(X, gamma, beta, eps=1e-5):
    return gamma * (X - X.mean(0)) / np.sqrt(X.var(0, ddof=1) + eps) + beta


def bn_rows(X, gamma, beta, eps=1e-5):
    mu, var = X.mean(1, keepdims=True), X.var(1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


def clip_per_array(grads, max_norm):
    out = [g * min(1.0, max_norm / np.linalg.norm(g)) if np.linalg.norm(g) > 0 else g.copy()
           for g in grads]
    return out, float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def clip_values(grads, max_norm):
    return ([np.clip(g, -max_norm, max_norm) for g in grads],
            float(np.sqrt(sum(np.sum(g * g) for g in grads))))


def clip_always(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return [g * (max_norm / norm) for g in grads], norm


def clip_in_place(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm


def clip_norm_squared(grads, max_norm):
    clipped, norm = clip_by_global_norm(grads, max_norm)
    return clipped, norm**2


def clip_divides_by_zero(grads, max_norm):  # max_norm / norm for norm = 0
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = min(1.0, max_norm / norm)
    return [g * g.dtype.type(scale) for g in grads], norm

MISTAKES = [
    (check_init_std, lambda i, o, k: 2 / (i + o) if k == "xavier" else 2 / i, "that is the variance"),
    (check_init_std, lambda i, o, k: np.sqrt(6 / (i + o)) if k == "xavier" else np.sqrt(2 / i),
     "uniform version"),
    (check_init_std, lambda i, o, k: np.sqrt(2 / (i + o)) if k == "xavier" else np.sqrt(2 / o),
     "not n_out"),
    (check_init_std, lambda i, o, k: np.sqrt(2 / (i + o)) if k == "xavier" else np.sqrt(1 / i),
     "ReLU zeroes half"),
    (check_init_std, lambda i, o, k: np.sqrt(2 / (i + o)), "that is Xavier's scale"),
    (check_batchnorm_forward, bn_naive_variance, "not mean(X²) − μ²"),
    (check_batchnorm_forward, bn_eps_outside, "ε goes inside the square root"),
    (check_batchnorm_forward, bn_unbiased, "biased batch variance"),
    (check_batchnorm_forward, bn_rows, "over the batch (axis 0)"),
    (check_batchnorm_forward, lambda X, g, b, eps=1e-5: _normalise(X, eps)[0], "scale and shift"),
    (check_batchnorm_forward, lambda X, g, b, eps=1e-5: g * _normalise(X, eps)[0], "add the shift"),
    (check_batchnorm_backward, _bn_back("eval"), "eval mode"),
    (check_batchnorm_backward, _bn_back("no_1_over_m"), "divide by m"),
    (check_batchnorm_backward, _bn_back("no_gamma"), "use dX̂ = dY ⊙ γ"),
    (check_batchnorm_backward, _bn_back("dgamma_is_dbeta"), "that is dβ"),
    (check_batchnorm_backward, lambda dY, X, g, eps=1e-5: batchnorm_backward(dY, X, g, eps)[:2],
     "expected a tuple (dX, dgamma, dbeta)"),
    (check_clip_by_global_norm, clip_per_array, "not each array by its own norm"),
    (check_clip_by_global_norm, clip_values, "not clip each value"),
    (check_clip_by_global_norm, clip_always, "smaller gradients stay as they are"),
    (check_clip_by_global_norm, clip_in_place, "changed in place"),
    (check_clip_by_global_norm, clip_norm_squared, "take the square root"),
    (check_clip_by_global_norm, clip_divides_by_zero, "compute the scale only when"),
]

# -- errors in the student's code ----------------------------------------------------------------------
