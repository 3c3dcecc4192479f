"""The lesson 05 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson05 import (
    check_delta_back,
    check_delta_softmax_ce,
    check_gradient_check,
    check_param_grads,
)

# -- independent reference implementations ---------------------------------------------------------


def delta_softmax_ce(P, Y):
    return (P - Y) / P.shape[0]


def delta_back(Delta, W, Z_prev, g_prime):
    return (Delta @ W) * g_prime(Z_prev)


def param_grads(Delta, A_prev):
    return Delta.T @ A_prev, Delta.sum(axis=0)


def numeric_grad(f, x, h, central=True):
    x = x.astype(np.float64)  # a copy: the caller's x is never touched
    n = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h if central else old
        f_minus = f(x)
        x[i] = old
        n[i] = (f_plus - f_minus) / (2 * h if central else h)
    return n


def gradient_check(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


REFERENCES = [
    (check_delta_softmax_ce, delta_softmax_ce),
    (check_delta_back, delta_back),
    (check_param_grads, param_grads),
    (check_gradient_check, gradient_check),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def gc_forward_difference(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = numeric_grad(f, x, h, central=False)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_over_h(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = 2 * numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_absolute(f, grad_f, x, h=1e-5):
    return float(np.max(np.abs(grad_f(x) - numeric_grad(f, x, h))))


def gc_mean(f, grad_f, x, h=1e-5):
    a, n = grad_f(x), numeric_grad(f, x, h)
    return float(np.mean(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_ignores_h(f, grad_f, x, h=1e-5):
    return gradient_check(f, grad_f, x)


def gc_no_floor(f, grad_f, x, h=1e-5):
    a, n = grad_f(x), numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / (np.abs(a) + np.abs(n))))


def gc_in_place(f, grad_f, x, h=1e-5):  # perturbs the caller's x and restores it inexactly
    a = grad_f(x.copy())
    n = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h
        n[i] = (f_plus - f_minus) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_one_dimensional(f, grad_f, x, h=1e-5):  # perturbs all entries at once
    a = grad_f(x)
    n = (f(x + h) - f(x - h)) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_float32_copy(f, grad_f, x, h=1e-5):  # perturbs a copy in x's own dtype
    x = x.copy()
    a = grad_f(x)
    n = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        n[i] = (fp - fm) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))

MISTAKES = [
    (check_delta_back, lambda D, W, Zp, g: (D @ W) * g(np.tanh(Zp)),
     "you applied it to the activation A_prev = g(Z_prev)"),
    (check_delta_back, lambda D, W, Zp, g: (D @ W) * g(D @ W),
     "not to the incoming gradient Δ @ W"),
    (check_delta_softmax_ce, lambda P, Y: P - Y, "the 1/m is missing"),
    (check_delta_softmax_ce, lambda P, Y: (Y - P) / len(P), "wrong sign"),
    (check_delta_softmax_ce, lambda P, Y: P / len(P), "subtract the one-hot labels"),
    (check_delta_softmax_ce, lambda P, Y: (P - Y) / P.size, "not by m·k"),
    (check_delta_softmax_ce, lambda P, Y: (P - Y) * P * (1 - P) / len(P), "no extra factor"),
    (check_delta_softmax_ce, lambda P, Y: ((P - Y) / len(P)).astype(np.float64), "float32"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W.T) * gp(Z), "no transpose here"),
    (check_delta_back, lambda D, W, Z, gp: D @ W, "multiply element-wise by g′(Z_prev)"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * Z, "not by Z_prev itself"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * np.tanh(Z), "not by the activation"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) @ gp(Z), "not a matrix product"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * (1 - np.tanh(Z) ** 2),
     "use the g_prime you are given"),
    (check_param_grads, lambda D, A: (A.T @ D, D.sum(axis=0)), "dW is transposed"),
    (check_param_grads, lambda D, A: (D.T @ A / len(D), D.sum(axis=0)), "do not divide again"),
    (check_param_grads, lambda D, A: (D.T @ A, D.mean(axis=0)), "do not average"),
    (check_param_grads, lambda D, A: (D.T @ A, D.sum(axis=0, keepdims=True)), "without keepdims"),
    (check_param_grads, lambda D, A: (D.T @ A, D.sum(axis=1)), "sum over the batch (axis 0)"),
    (check_param_grads, lambda D, A: [D.T @ A], "expected a pair (dW, db)"),
    (check_gradient_check, gc_forward_difference, "use the central difference"),
    (check_gradient_check, gc_over_h, "divide by 2h"),
    (check_gradient_check, gc_absolute, "that is the absolute error"),
    (check_gradient_check, gc_mean, "not the mean"),
    (check_gradient_check, gc_ignores_h, "use the step h you are given"),
    (check_gradient_check, gc_no_floor, "The denominator has a floor"),
    (check_gradient_check, gc_in_place, "argument `x` was changed in place"),
    (check_gradient_check, gc_one_dimensional, "perturb one entry at a time"),
    (check_gradient_check, gc_float32_copy, "perturb a float64 copy"),
]

# -- errors in the student's code ----------------------------------------------------------------------
