"""The lesson 09 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson09 import (
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_clip_by_global_norm,
    check_init_std,
    check_tanh_layer_stds,
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


def tanh_layer_stds(X, weight_std, depth, rng, *, kind="right"):
    """Forward pass through `depth` tanh layers (W drawn transposed, column by column)."""
    n = X.shape[1]
    A, stds = X, []
    for _ in range(depth):
        if kind == "np_random":
            W = np.random.default_rng().normal(0.0, weight_std, size=(n, n))  # fresh entropy
        else:
            scale = {"xavier_again": weight_std / np.sqrt(n), "times_sqrt_n": weight_std * np.sqrt(n)}
            W = (rng.standard_normal((n, n)) * scale.get(kind, weight_std)).T
        Z = (X if kind == "no_chain" else A) @ W
        A = np.tanh(Z)
        record = {"variance": A.var(), "pre": Z.std(), "relu": np.maximum(Z, 0).std()}
        stds.append(record.get(kind, A.std()))
        if kind == "relu":
            A = np.maximum(Z, 0)
    return np.array(stds)


REFERENCES = [
    (check_init_std, init_std),
    (check_batchnorm_forward, batchnorm_forward),
    (check_batchnorm_backward, batchnorm_backward),
    (check_clip_by_global_norm, clip_by_global_norm),
]
REFERENCES.append((check_tanh_layer_stds, tanh_layer_stds))
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


def _stds(kind):
    return lambda X, s, d, rng: tanh_layer_stds(X, s, d, rng, kind=kind)


MISTAKES += [
    (check_tanh_layer_stds, _stds("variance"), "those are variances"),
    (check_tanh_layer_stds, _stds("pre"), "pre-activations"),
    (check_tanh_layer_stds, _stds("no_chain"), "every layer starts from X"),
    (check_tanh_layer_stds, _stds("xavier_again"), "do not divide by √n again"),
    (check_tanh_layer_stds, _stds("times_sqrt_n"), "do not multiply it by √n"),
    (check_tanh_layer_stds, _stds("relu"), "expected about"),
    (check_tanh_layer_stds, _stds("np_random"), "draw every weight from the rng argument"),
    (check_tanh_layer_stds, lambda X, s, d, rng: list(tanh_layer_stds(X, s, d, rng)),
     "should be a NumPy array"),
    (check_tanh_layer_stds, lambda X, s, d, rng: tanh_layer_stds(X, s, d, rng)[:-1],
     "has shape"),
]


def test_tanh_layer_stds_accepts_any_draw_order(capsys):
    """The verdict is statistical: weights drawn in another order (here from a generator seeded by
    the given rng, W not transposed) give other numbers but pass every step."""
    def other_order(X, weight_std, depth, rng):
        sub = np.random.default_rng(int(rng.integers(2**31)))
        A, stds = X, []
        for _ in range(depth):
            A = np.tanh(A @ sub.normal(0.0, weight_std, size=(X.shape[1], X.shape[1])))
            stds.append(A.std())
        return np.array(stds)

    X = np.ones((4, 3))
    rng = np.random.default_rng(2)
    assert not np.array_equal(other_order(X, 0.5, 2, rng),
                              tanh_layer_stds(X, 0.5, 2, np.random.default_rng(2)))
    check_tanh_layer_stds(other_order)
    assert "all" in capsys.readouterr().out
