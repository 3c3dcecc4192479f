"""Lesson 01 outside the notebook: the forward pass built by hand equals the library's."""

from __future__ import annotations

import numpy as np
import pytest
from _tolerance import assert_within, gamma, matmul_bound

from backprop_lab.activations import softmax, softmax_jacobian
from backprop_lab.layers import Linear, ReLU, Sigmoid, Softmax, Tanh
from backprop_lab.model import Sequential


def forward_by_hand(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                    b2: np.ndarray) -> np.ndarray:
    """softmax(tanh(X W1ᵀ + b1) W2ᵀ + b2), rows = examples, exactly as the lesson writes it."""
    Z1 = X @ W1.T + b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ W2.T + b2
    E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def random_weights(rng: np.random.Generator, sizes: tuple[int, int, int], dtype: type):
    n_in, n_hid, n_out = sizes
    return [a.astype(dtype) for a in (
        0.5 * rng.standard_normal((n_hid, n_in)), 0.1 * rng.standard_normal(n_hid),
        0.5 * rng.standard_normal((n_out, n_hid)), 0.1 * rng.standard_normal(n_out),
    )]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("sizes,m", [((4, 5, 3), 6), ((784, 32, 10), 7), ((2, 1, 2), 1)])
def test_two_layer_forward_by_hand_equals_library(seed, dtype, tol, sizes, m):
    rng = np.random.default_rng(seed)
    W1, b1, W2, b2 = random_weights(rng, sizes, dtype)
    X = rng.standard_normal((m, sizes[0])).astype(dtype)
    net = Sequential(Linear(sizes[0], sizes[1], rng=rng, dtype=dtype), Tanh(),
                     Linear(sizes[1], sizes[2], rng=rng, dtype=dtype), Softmax())
    assert net[0].W.shape == W1.shape and net[2].W.shape == W2.shape  # (n_out, n_in), as in the math
    net[0].W[...] = W1
    net[0].b[...] = b1
    net[2].W[...] = W2
    net[2].b[...] = b2
    P_lib = net.forward(X)
    P_hand = forward_by_hand(X, W1, b1, W2, b2)
    assert P_lib.shape == (m, sizes[2]) and P_lib.dtype == dtype
    np.testing.assert_allclose(P_lib, P_hand, rtol=0, atol=tol)
    np.testing.assert_allclose(P_lib.sum(1), 1, atol=tol)


@pytest.mark.parametrize("seed", [0, 5])
def test_batch_rows_equal_column_vector_formula(seed):
    rng = np.random.default_rng(seed)
    lin = Linear(3, 4, rng=rng)
    lin.b[...] = rng.standard_normal(4)
    A_prev = rng.standard_normal((5, 3))
    Z = lin.forward(A_prev)
    # the same 3-term sums + b in other orders: ≤ 2·γ₄·(|W||a| + |b|) apart (tests/_tolerance.py)
    bound = matmul_bound(A_prev, lin.W.T, extra_ops=1) + 2 * gamma(4) * np.abs(lin.b)
    for k in range(5):
        z_k = lin.W @ A_prev[k].reshape(3, 1) + lin.b.reshape(4, 1)  # z = W a + b, columns
        assert_within(Z[k], z_k.ravel(), bound[k], f"row {k}")


@pytest.mark.parametrize("layer,g", [(Sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
                                     (Tanh(), np.tanh), (ReLU(), lambda z: np.maximum(z, 0))])
def test_activation_layers_equal_their_formulas(layer, g):
    Z = np.random.default_rng(3).standard_normal((4, 6)) * 3
    # each side ≤ 4 roundings (exp or tanh within an ulp, +, ÷), any stable rearrangement: ≤ 2·γ₅
    np.testing.assert_allclose(layer.forward(Z), g(Z), rtol=2 * gamma(5), atol=0)


def test_softmax_jacobian_by_hand_and_by_finite_differences():
    z = np.array([2.0, 1.0, 0.1])
    s = softmax(z)
    J = np.diag(s) - np.outer(s, s)
    h = 1e-5
    J_num = np.stack([(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(3)], 1)
    # central differences: truncation h²/6·max|∂³s| (≤ 1 for softmax) plus rounding of the
    # difference quotient, ≤ 2·γ₄·max|s|/h (s ≤ 1)
    np.testing.assert_allclose(J, J_num, rtol=0, atol=h**2 / 6 + 2 * gamma(4) / h)
    # diag(s) − s sᵀ: ≤ 2 roundings per entry each side, entries ≤ 1
    np.testing.assert_allclose(softmax_jacobian(s), J, rtol=0, atol=2 * gamma(2))
