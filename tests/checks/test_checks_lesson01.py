"""The lesson 01 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np
import pytest

from backprop_lab.checks.lesson01 import (
    check_layer_forward,
    check_relu,
    check_relu_grad,
    check_sigmoid,
    check_sigmoid_grad,
    check_softmax,
)

# -- independent reference implementations ---------------------------------------------------------


def sigmoid(z):
    z = np.asarray(z)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)


def relu(z):
    return np.where(z > 0, z, np.zeros_like(z))


def relu_grad(z):
    return (z > 0).astype(z.dtype)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layer_forward(A_prev, W, b):
    return A_prev @ W.T + b


REFERENCES = [
    (check_sigmoid, sigmoid),
    (check_sigmoid_grad, sigmoid_grad),
    (check_relu, relu),
    (check_relu_grad, relu_grad),
    (check_softmax, softmax),
    (check_layer_forward, layer_forward),
]
CHECKS = [check for check, _ in REFERENCES]


# -- typical mistakes, each with its own hint ----------------------------------------------------------


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def where_sigmoid(z):  # evaluates both branches: overflows although the result is right
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def float64_sigmoid(z):
    return sigmoid(np.asarray(z, dtype=np.float64))


def naive_softmax(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)


def global_max_softmax(Z):
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=1, keepdims=True)


def relu_inplace(z):
    z[z < 0] = 0
    return z


def min_shift_softmax(Z):  # shifts by the row minimum: overflows when a row spans ±1000
    e = np.exp(Z - Z.min(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def stable_column_softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def clipped_sigmoid(z):  # fine in float64, overflows in float32
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))

def float64_constant_sigmoid(z):  # np.float64(1.0) promotes float32 z to float64 (NumPy 2)
    return np.float64(1.0) * sigmoid(z)


def softmax_without_keepdims(Z):  # (m, k) minus (m,): a broadcast error for m ≠ k
    e = np.exp(Z - Z.max(axis=1))
    return e / e.sum(axis=1)


MISTAKES = [
    (check_sigmoid_grad, lambda z: sigmoid(z) * (1 - z), "not (1 − z)"),
    (check_sigmoid, float64_constant_sigmoid, "np.float64(2.0) * z"),
    (check_softmax, softmax_without_keepdims, "Pass keepdims=True"),
    (check_sigmoid, lambda z: 1 / (1 + np.exp(z)), "the exponent needs a minus sign"),
    (check_sigmoid, lambda z: 1 / (1 - np.exp(-z)), "not 1 − e^(−z)"),
    (check_sigmoid, naive_sigmoid, "e^(−z) overflows for z = −1000"),
    (check_sigmoid, where_sigmoid, "evaluates BOTH branches"),
    (check_sigmoid, float64_sigmoid, "has dtype float64, expected float32"),
    (check_sigmoid, np.tanh, "that is tanh(z)"),
    (check_sigmoid_grad, lambda z: z * (1 - z), "first compute s = σ(z)"),
    (check_sigmoid_grad, sigmoid, "that is σ(z); the derivative"),
    (check_sigmoid_grad, lambda z: 1 - sigmoid(z) ** 2, "pattern of tanh′"),
    (check_sigmoid_grad, lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "a formula with e^(−z)"),
    (check_relu, np.abs, "|z| flips negative values"),
    (check_relu, lambda z: z > 0, "that is the mask z > 0"),
    (check_relu, lambda z: np.minimum(z, 0), "that is min(z, 0)"),
    (check_relu, relu_inplace, "argument `z` was changed in place"),
    (check_relu_grad, lambda z: (z >= 0).astype(z.dtype), "use z > 0, not z ≥ 0"),
    (check_relu_grad, np.sign, "np.sign gives −1"),
    (check_relu_grad, relu, "that is ReLU(z) itself"),
    (check_relu_grad, lambda z: z > 0, "convert the mask to numbers"),
    (check_relu_grad, lambda z: (z > 0).astype(float), "has dtype float64, expected float32"),
    (check_softmax, lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True),
     "you normalised each column (axis 0)"),
    (check_softmax, lambda Z: np.exp(Z) / np.exp(Z).sum(), "sum over the whole batch"),
    (check_softmax, naive_softmax, "Subtract each row's own maximum"),
    (check_softmax, global_max_softmax, "not the maximum of the whole batch"),
    (check_softmax, lambda Z: Z / Z.sum(axis=1, keepdims=True), "exponentiate first"),
    (check_layer_forward, lambda A, W, b: A @ W + b, "missing transpose"),
    (check_layer_forward, lambda A, W, b: A @ W.T, "you forgot to add the bias"),
    (check_layer_forward, lambda A, W, b: A @ W.T - b, "do not subtract it"),
    (check_layer_forward, lambda A, W, b: (W @ A.T).T + b.sum(), "not its sum"),
    (check_layer_forward, lambda A, W, b: (A @ W.T + b).T, "the shape is transposed"),
    (check_layer_forward, lambda A, W, b: A.astype(np.float64) @ W.T + b,
     "has dtype float64, expected float32"),
    (check_softmax, min_shift_softmax, "the maximum, not the minimum"),
    (check_softmax, stable_column_softmax, "you normalised each column"),
    (check_sigmoid, clipped_sigmoid, "clipping z to ±500 is not enough"),
]


# -- errors in the student's code ----------------------------------------------------------------------


def test_not_a_function():
    with pytest.raises(AssertionError, match="pass the function itself"):
        check_sigmoid(np.array([0.5]))
