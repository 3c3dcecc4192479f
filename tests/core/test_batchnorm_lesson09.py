"""Lesson 09 derives the BatchNorm backward pass; this test writes it out from the lesson's formulas
and compares it with the library's BatchNorm and with central finite differences.

Per unit j, over a batch of m rows (all sums over the batch index k):

    μ = (1/m) Σ z_k,   σ² = (1/m) Σ (z_k − μ)²,   ẑ_k = (z_k − μ)/√(σ² + ε),   y_k = γ ẑ_k + β

Backward, with dẑ = dy ⊙ γ (chain rule through the graph z → μ, σ² → ẑ → y):

    ∂L/∂σ² = Σ dẑ_k (z_k − μ) · (−½)(σ² + ε)^(−3/2)
    ∂L/∂μ  = −Σ dẑ_k / √(σ² + ε)            (the σ² path adds ∂L/∂σ² · (−2/m) Σ (z_k − μ) = 0)
    ∂L/∂z_k = dẑ_k / √(σ² + ε) + ∂L/∂σ² · 2(z_k − μ)/m + ∂L/∂μ / m

which simplifies to  ∂L/∂z = (1/(m √(σ² + ε))) (m dẑ − Σ dẑ − ẑ Σ dẑ ⊙ ẑ),
and ∂L/∂γ = Σ dy ⊙ ẑ, ∂L/∂β = Σ dy.
"""

from __future__ import annotations

import numpy as np
import pytest
from _tolerance import assert_within, batchnorm_bounds
from _tolerance import gamma as gamma_

from backprop_lab.gradcheck import check_layer, numerical_gradient, relative_error
from backprop_lab.layers import BatchNorm


def bn_forward(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Y = γ ⊙ (Z − μ)/√(σ² + ε) + β with batch statistics. Z: (m, n) → Y: (m, n)."""
    mu = Z.mean(axis=0)
    var = ((Z - mu) ** 2).mean(axis=0)
    return gamma * (Z - mu) / np.sqrt(var + eps) + beta


def bn_backward_staged(dY, Z, gamma, eps):
    """The chain rule one node at a time (the lesson's derivation). Returns dZ, dγ, dβ."""
    m = Z.shape[0]
    mu = Z.mean(axis=0)
    var = ((Z - mu) ** 2).mean(axis=0)
    s = np.sqrt(var + eps)
    Z_hat = (Z - mu) / s
    dZ_hat = dY * gamma
    dvar = np.sum(dZ_hat * (Z - mu), axis=0) * (-0.5) * (var + eps) ** -1.5
    dmu = -np.sum(dZ_hat, axis=0) / s + dvar * (-2.0 / m) * np.sum(Z - mu, axis=0)
    dZ = dZ_hat / s + dvar * 2.0 * (Z - mu) / m + dmu / m
    return dZ, np.sum(dY * Z_hat, axis=0), np.sum(dY, axis=0)


def bn_backward_compact(dY, Z, gamma, eps):
    """The simplified formula: dZ = (1/(m√(σ²+ε))) (m dẐ − Σ dẐ − Ẑ Σ dẐ ⊙ Ẑ)."""
    m = Z.shape[0]
    mu = Z.mean(axis=0)
    var = ((Z - mu) ** 2).mean(axis=0)
    s = np.sqrt(var + eps)
    Z_hat = (Z - mu) / s
    dZ_hat = dY * gamma
    dZ = (m * dZ_hat - dZ_hat.sum(axis=0) - Z_hat * (dZ_hat * Z_hat).sum(axis=0)) / (m * s)
    return dZ, np.sum(dY * Z_hat, axis=0), np.sum(dY, axis=0)


@pytest.fixture(params=[(8, 5, 0), (2, 3, 1), (64, 16, 2)], ids=["m8", "m2", "m64"])
def case(request):
    m, n, seed = request.param
    rng = np.random.default_rng(seed)
    Z = 3.0 * rng.standard_normal((m, n)) + rng.standard_normal(n)
    gamma = 1.0 + 0.5 * rng.standard_normal(n)
    beta = rng.standard_normal(n)
    dY = rng.standard_normal((m, n))
    return Z, gamma, beta, dY


def _library_layer(gamma, beta, eps=1e-5):
    bn = BatchNorm(len(gamma), eps=eps)
    bn.gamma[...] = gamma
    bn.beta[...] = beta
    return bn


def test_hand_forward_equals_library(case):
    Z, gamma, beta, _ = case
    bn = _library_layer(gamma, beta)
    tol = batchnorm_bounds(Z, np.zeros_like(Z), gamma, beta, 1e-5)  # tests/_tolerance.py
    assert_within(bn.forward(Z), bn_forward(Z, gamma, beta, 1e-5), tol["Y"], "Y")


def test_staged_and_compact_backward_agree(case):
    Z, gamma, beta, dY = case
    tol = batchnorm_bounds(Z, dY, gamma, beta, 1e-5)  # two correct computations: tests/_tolerance.py
    for a, b, name in zip(bn_backward_staged(dY, Z, gamma, 1e-5),
                          bn_backward_compact(dY, Z, gamma, 1e-5), ("dX", "dgamma", "dbeta"),
                          strict=True):
        assert_within(a, b, tol[name], name)


def test_hand_backward_equals_library(case):
    Z, gamma, beta, dY = case
    bn = _library_layer(gamma, beta)
    bn.forward(Z)
    dZ_lib = bn.backward(dY)
    dZ, dgamma, dbeta = bn_backward_staged(dY, Z, gamma, 1e-5)
    tol = batchnorm_bounds(Z, dY, gamma, beta, 1e-5)  # tests/_tolerance.py
    assert_within(dZ_lib, dZ, tol["dX"], "dZ")
    assert_within(bn.dgamma, dgamma, tol["dgamma"], "dgamma")
    assert_within(bn.dbeta, dbeta, tol["dbeta"], "dbeta")


def test_hand_backward_equals_finite_differences(case):
    Z, gamma, beta, dY = case
    Z = Z.copy()
    gamma, beta = gamma.copy(), beta.copy()

    def f() -> float:  # L = Σ Y ⊙ dY, so ∂L/∂Y = dY
        return float(np.sum(bn_forward(Z, gamma, beta, 1e-5) * dY))

    dZ, dgamma, dbeta = bn_backward_compact(dY, Z, gamma, 1e-5)
    for analytic, x in ((dZ, Z), (dgamma, gamma), (dbeta, beta)):
        numeric = numerical_gradient(f, x)
        ok = (relative_error(analytic, numeric) < 1e-6) | (np.abs(analytic - numeric) < 1e-9)
        assert ok.all()


@pytest.mark.parametrize("m,n,seed", [(8, 5, 0), (16, 4, 0), (64, 16, 2)])
def test_library_batchnorm_passes_check_layer(m, n, seed):
    # unit-scale inputs and m ≥ 8: ∂L/∂Z scales like 1/σ, and for tiny batches (m = 2 gives
    # ẑ = ±1 whatever Z is, so ∂L/∂Z ≈ 0) its entries drown in the difference quotient's noise
    rng = np.random.default_rng(seed)
    bn = _library_layer(1.0 + 0.5 * rng.standard_normal(n), rng.standard_normal(n))
    report = check_layer(bn, rng.standard_normal((m, n)) + rng.standard_normal(n))
    report.assert_ok()


def test_gradient_sums_to_zero_and_is_orthogonal_to_z_hat(case):
    """Two facts the lesson reads off the formula: Σ_k ∂L/∂z_k = 0 and Σ_k ∂L/∂z_k ẑ_k ≈ 0
    (exactly 0 for ε = 0): shifting or scaling a unit's inputs cannot change the loss."""
    Z, gamma, beta, dY = case
    dZ, _, _ = bn_backward_compact(dY, Z, gamma, 0.0)
    Z_hat = (Z - Z.mean(0)) / Z.std(0)
    # rounding bounds (tests/_tolerance.py): each dZ entry is off by ≤ tol_k from the exact
    # value; summing m of them adds ≤ γ_m·Σ|·|; Ẑ (3m + 4 roundings, a difference Z − μ) is off
    # by ≤ 2·γ_{3m+4}·(|Z| + |μ|)/σ
    m = len(Z)
    tol = batchnorm_bounds(Z, dY, gamma, beta, 1e-300)["dX"]  # the layer needs ε > 0; σ² + ε = σ²
    assert_within(dZ.sum(axis=0), 0.0, tol.sum(0) + 2 * gamma_(m) * np.abs(dZ).sum(0), "Σ dZ")
    dZ_hat = 2 * gamma_(3 * m + 4) * (np.abs(Z) + np.abs(Z.mean(0))) / Z.std(0)
    bound = (tol * np.abs(Z_hat) + np.abs(dZ) * dZ_hat).sum(0) \
        + 2 * gamma_(m + 1) * np.abs(dZ * Z_hat).sum(0)
    assert_within((dZ * Z_hat).sum(axis=0), 0.0, bound, "Σ dZ ⊙ Ẑ")
