"""Activation functions and their derivatives (backprop_lab.activations).

Expected values come from formulas written out here, from central differences computed here, and
from ``backprop_lab.gradcheck.check_function`` (whose own correctness is exercised by a case that
must fail).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _tolerance import assert_within, gamma, unit_roundoff
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_lab import activations as A
from backprop_lab.gradcheck import check_function

H = 1e-5
TOL = 1e-7
#: softmax of 5 entries vs the naive formula, see test_softmax_matches_naive_formula…
SOFTMAX_5 = 2 * gamma(26)
ALPHA = 0.01  # leaky_relu default slope

# name -> (f, f', independent closed form of f')
ELEMENTWISE = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad, lambda x: np.exp(-x) / (1.0 + np.exp(-x)) ** 2),
    "tanh": (A.tanh, A.tanh_grad, lambda x: 1.0 / np.cosh(x) ** 2),
    "relu": (A.relu, A.relu_grad, lambda x: (x > 0).astype(float)),
    "leaky_relu": (
        A.leaky_relu,
        A.leaky_relu_grad,
        lambda x: np.where(x > 0, 1.0, ALPHA),
    ),
}
KINKED = {"relu", "leaky_relu"}


def points_away_from_kinks(rng: np.random.Generator, shape=(200,), kink_gap=0.05) -> np.ndarray:
    """float64 points in [-6, 6] with |x| >= kink_gap (ReLU-likes have a kink at 0)."""
    mag = rng.uniform(kink_gap, 6.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return mag * sign


def inline_central_difference(f, x: np.ndarray, h: float = H) -> np.ndarray:
    return (f(x + h) - f(x - h)) / (2.0 * h)


def rel_err(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


# --------------------------------------------------------------------------- values


def test_values_match_the_formulas():
    x = np.linspace(-8, 8, 101)
    # tolerances (tests/_tolerance.py): an exp, log or tanh counts as 4 roundings (numpy's are
    # within a few ulp), +, −, ×, ÷ as 1. σ = 1/(1 + e⁻ˣ): 6 on the formula's side; the tanh
    # formula: 11, and its numerator cancels near 0, so its error is ≤ γ₁₁ absolute (relative to
    # (eˣ + e⁻ˣ)/(eˣ + e⁻ˣ) = 1); leaky ReLU: 1 multiplication
    np.testing.assert_allclose(A.sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=2 * gamma(6))
    np.testing.assert_allclose(
        A.tanh(x), (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), rtol=2 * gamma(11),
        atol=2 * gamma(11),
    )
    np.testing.assert_array_equal(A.relu(x), np.where(x > 0, x, 0.0))
    np.testing.assert_allclose(A.leaky_relu(x), np.where(x > 0, x, ALPHA * x), rtol=2 * gamma(1))
    np.testing.assert_allclose(A.leaky_relu(x, alpha=0.2), np.where(x > 0, x, 0.2 * x),
                               rtol=2 * gamma(1))
    np.testing.assert_allclose(A.leaky_relu_grad(x, alpha=0.2), np.where(x > 0, 1.0, 0.2))


def test_kink_convention_relu_grad_is_zero_at_zero():
    assert A.relu_grad(np.array([0.0]))[0] == 0.0
    assert A.leaky_relu_grad(np.array([0.0]))[0] == ALPHA


# --------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_with_check_function(name):
    f, df, _ = ELEMENTWISE[name]
    x = points_away_from_kinks(np.random.default_rng(1))
    report = check_function(f, df, x, name=name)
    assert report.ok, str(report)
    assert report.max_rel_error < TOL


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_with_inline_central_difference(name):
    f, df, _ = ELEMENTWISE[name]
    x = points_away_from_kinks(np.random.default_rng(2))
    numeric = inline_central_difference(f, x)
    err = rel_err(df(x), numeric)
    assert err.max() < TOL, f"{name}: worst relative error {err.max():.2e} at x = {x[err.argmax()]}"


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_matches_closed_form(name):
    _, df, closed = ELEMENTWISE[name]
    x = points_away_from_kinks(np.random.default_rng(3))
    # each side ≤ 8 roundings (two transcendental functions + 2 operations), but where |tanh| or
    # σ is near 1 the library's 1 − tanh² (or σ(1 − σ)) cancels: the rounding of tanh (σ) is
    # amplified by 1/(1 − tanh²) = cosh²x (by 1/(1 − σ) < cosh²x for σ), up to cosh²6 ≈ 4e4 here
    bound = 2 * gamma(8) * np.cosh(x) ** 2 * np.abs(closed(x))
    assert_within(df(x), closed(x), bound, name)


def test_check_function_can_fail():
    """A wrong derivative must be caught; otherwise the tests above prove nothing."""
    x = points_away_from_kinks(np.random.default_rng(4))
    report = check_function(A.sigmoid, A.tanh_grad, x, name="sigmoid")
    assert not report.ok
    assert report.max_rel_error > 1e-2
    with pytest.raises(AssertionError, match="sigmoid"):
        report.assert_ok()


def test_leaky_relu_derivative_with_other_alpha():
    x = points_away_from_kinks(np.random.default_rng(5))
    numeric = inline_central_difference(lambda v: A.leaky_relu(v, alpha=0.3), x)
    assert rel_err(A.leaky_relu_grad(x, alpha=0.3), numeric).max() < TOL


# --------------------------------------------------------------------------- stability


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_stable_for_huge_inputs_without_warnings(dtype):
    x = np.array([-1e4, -1e3, -710.0, -100.0, -30.0, 0.0, 30.0, 100.0, 710.0, 1e3, 1e4], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = A.sigmoid(x)
        ds = A.sigmoid_grad(x)
    assert s.dtype == dtype and ds.dtype == dtype
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    assert s[0] == 0.0 and s[-1] == 1.0
    assert s[5] == 0.5
    assert np.all(np.diff(s) >= 0), "sigmoid must be monotone"
    assert np.all((s >= 0) & (s <= 1))
    assert ds[0] == 0.0 and ds[-1] == 0.0
    # symmetry σ(−x) = 1 − σ(x)
    np.testing.assert_allclose(s[::-1], 1 - s, atol=np.finfo(dtype).eps)


def test_sigmoid_accurate_in_the_left_tail():
    # e^x / (1 + e^x) is the accurate form for x < 0; 1 − σ(−x) would lose everything here
    x = np.array([-30.0, -50.0, -700.0])
    # eˣ/(1 + eˣ): ≤ 6 roundings (exp counted as 4), no cancellation: ≤ 2·γ₆ relative
    np.testing.assert_allclose(A.sigmoid(x), np.exp(x) / (1 + np.exp(x)), rtol=2 * gamma(6))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert A.sigmoid(-1e4) == 0.0 and A.sigmoid(1e4) == 1.0


def test_tanh_stable_for_huge_inputs():
    x = np.array([-1e4, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(A.tanh(x), [-1.0, 1.0])
        np.testing.assert_array_equal(A.tanh_grad(x), [0.0, 0.0])


# --------------------------------------------------------------------------- dtypes

ALL_FUNCTIONS = [
    A.sigmoid, A.sigmoid_grad, A.tanh, A.tanh_grad, A.relu, A.relu_grad,
    A.leaky_relu, A.leaky_relu_grad, A.softmax, A.log_softmax, A.logsumexp,
]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(fn, dtype):
    x = np.random.default_rng(6).standard_normal((4, 5)).astype(dtype)
    assert fn(x).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_jacobian_keeps_dtype(dtype):
    s = A.softmax(np.array([0.5, -1.0, 2.0], dtype=dtype))
    assert A.softmax_jacobian(s).dtype == dtype


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_integer_input_becomes_float64(fn):
    assert fn(np.array([[-2, 0, 3]])).dtype == np.float64


# --------------------------------------------------------------------------- softmax family


def naive_softmax(z, axis=-1):
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_matches_naive_formula_and_rows_sum_to_one():
    z = np.random.default_rng(7).normal(scale=3.0, size=(6, 5))
    s = A.softmax(z)
    # softmax of k = 5 entries: each side ≤ 4k + 6 roundings (k exps, the sum, a shift, ÷) and
    # no cancellation (positive terms): ≤ 2·γ₂₆ relative; the sum of k such entries adds γ_k
    np.testing.assert_allclose(s, naive_softmax(z), rtol=SOFTMAX_5)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=SOFTMAX_5 + 2 * gamma(5))
    assert np.all(s > 0)


def test_softmax_along_axis_0():
    z = np.random.default_rng(8).normal(size=(4, 3))
    np.testing.assert_allclose(A.softmax(z, axis=0), naive_softmax(z, axis=0), rtol=SOFTMAX_5)
    np.testing.assert_allclose(A.softmax(z, axis=0).sum(axis=0), 1.0, rtol=SOFTMAX_5 + 2 * gamma(4))


@pytest.mark.parametrize("c", [-50.0, 1.0, 100.0, 1000.0])
def test_softmax_invariant_to_adding_a_constant(c):
    z = np.random.default_rng(9).normal(size=(3, 4))
    # z + c rounds each entry by up to u·|z + c|, which exp turns into a relative error of
    # u·|z + c| (≤ u·(|c| + |z|)) per entry, twice for softmax's quotient; plus 2·γ₂₂ (k = 4)
    tol = 2 * (2 * gamma(22) + 2 * unit_roundoff() * (2 * abs(c) + np.abs(z).max()))
    np.testing.assert_allclose(A.softmax(z + c), A.softmax(z), rtol=tol)
    # a different constant per row, too
    shift = np.array([[c], [-c], [2 * c]])
    np.testing.assert_allclose(A.softmax(z + shift), A.softmax(z), rtol=tol)


def test_softmax_log_softmax_logsumexp_stable_at_logits_1000():
    z = np.array([[1000.0, 1000.0, 999.0], [1000.0, -1000.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        s = A.softmax(z)
        ls = A.log_softmax(z)
        lse = A.logsumexp(z)
    # the same numbers shifted down by the row maximum, computed naively (all finite there)
    z_small = z - z.max(axis=1, keepdims=True)
    # k = 3: ≤ 4k + 6 = 18 roundings per softmax entry, ≤ 4k + 8 for log-sum-exp (+ a log),
    # log-softmax z − lse cancels to ~1 while lse ≈ 1000: absolute error ≤ 2·γ₂₀·1000
    np.testing.assert_allclose(s, naive_softmax(z_small), rtol=2 * gamma(18))
    np.testing.assert_allclose(lse[0], 1000.0 + np.log(2 + np.exp(-1.0)), rtol=2 * gamma(20))
    np.testing.assert_allclose(lse[1], 1000.0 + np.log(1 + np.exp(-1000.0) + np.exp(-2000.0)))
    np.testing.assert_allclose(ls, z_small - np.log(np.exp(z_small).sum(1, keepdims=True)),
                               rtol=0, atol=2 * gamma(20) * 1000.0)
    assert np.all(np.isfinite(ls))
    # the naive form really overflows here
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(naive_softmax(z)))


def test_log_softmax_and_logsumexp_match_naive_where_finite():
    z = np.random.default_rng(10).uniform(-20, 20, size=(8, 6))
    naive_lse = np.log(np.exp(z).sum(axis=-1))
    # k ≤ 8 entries in [−20, 20]: log-sum-exp ≤ 4k + 8 = 40 roundings on either side (no
    # cancellation: positive terms, then a log of a number ≥ 1 … relative to |lse| ≥ 1 here);
    # z − lse cancels: absolute error ≤ 2·γ₄₀·(|z| + |lse|) ≤ 2·γ₄₀·40; exp of it turns that
    # absolute error into a relative one (+ 4 roundings)
    lse_tol = 2 * gamma(40)
    np.testing.assert_allclose(A.logsumexp(z), naive_lse, rtol=lse_tol)
    np.testing.assert_allclose(A.log_softmax(z), z - naive_lse[:, None], rtol=0, atol=lse_tol * 40)
    np.testing.assert_allclose(np.exp(A.log_softmax(z)), naive_softmax(z),
                               rtol=lse_tol * 40 + 2 * gamma(4 + 38))
    np.testing.assert_allclose(A.logsumexp(z, axis=0), np.log(np.exp(z).sum(axis=0)), rtol=lse_tol)


def test_logsumexp_of_equal_entries():
    # −1000 + log 4: ≤ 4·4 + 8 roundings on the library's side, 5 on this one
    assert A.logsumexp(np.full(4, -1000.0)) == pytest.approx(-1000.0 + np.log(4), rel=2 * gamma(24))


def test_softmax_jacobian_vs_finite_differences():
    rng = np.random.default_rng(11)
    for k in (1, 2, 5):
        z = rng.normal(size=k)
        J = A.softmax_jacobian(A.softmax(z))
        numeric = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = H
            numeric[:, j] = (A.softmax(z + e) - A.softmax(z - e)) / (2 * H)  # ∂s/∂z_j
        # central differences: truncation H²/6·max|∂³s| (≤ 1) plus rounding 2·γ₂₆/H (s ≤ 1)
        np.testing.assert_allclose(J, numeric, rtol=TOL, atol=H**2 / 6 + 2 * gamma(26) / H)
        np.testing.assert_allclose(J, J.T, rtol=0, atol=0)
        # a column sums k entries of size ≤ s_j (Σᵢ|J_ij| ≤ 2 s_j ≤ 2), each ≤ 2 roundings
        np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=2 * gamma(k + 2) * 2)


def test_softmax_jacobian_formula():
    s = A.softmax(np.array([0.1, 0.7, -0.4]))
    expected = np.array([[s[i] * ((i == j) - s[j]) for j in range(3)] for i in range(3)])
    # s_i(𝟙[i=j] − s_j): 2 roundings either side; the diagonal's 1 − s_j does not cancel (s < 1)
    np.testing.assert_allclose(A.softmax_jacobian(s), expected, rtol=2 * gamma(2))


def test_softmax_jacobian_rejects_a_batch():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        A.softmax_jacobian(np.full((2, 3), 1 / 3))


def test_get_activation():
    assert A.get_activation("tanh").f is A.tanh
    assert A.get_activation("relu").df is A.relu_grad
    with pytest.raises(ValueError, match="swish"):
        A.get_activation("swish")


# --------------------------------------------------------------------------- properties

dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def float_arrays(draw, min_dims=1, max_dims=3, bound=50.0):
    dtype = draw(dtypes)
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=6))
    elements = st.floats(-bound, bound, allow_nan=False, width=32 if dtype == np.float32 else 64)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=60, deadline=None)
@given(float_arrays(bound=1e4))
def test_property_elementwise_shapes_dtypes_ranges(x):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        s, t, r, lr = A.sigmoid(x), A.tanh(x), A.relu(x), A.leaky_relu(x)
        grads = [A.sigmoid_grad(x), A.tanh_grad(x), A.relu_grad(x), A.leaky_relu_grad(x)]
    for out in (s, t, r, lr, *grads):
        assert out.shape == x.shape and out.dtype == x.dtype
        assert np.all(np.isfinite(out))
    assert np.all((s >= 0) & (s <= 1))
    assert np.all((t >= -1) & (t <= 1))
    assert np.all(r >= 0) and np.all(r >= x)
    assert np.all((grads[0] >= 0) & (grads[0] <= 0.25))
    assert np.all((grads[1] >= 0) & (grads[1] <= 1))
    assert set(np.unique(grads[2])) <= {0, 1}
    np.testing.assert_array_equal(lr[x > 0], x[x > 0])


@settings(max_examples=60, deadline=None)
@given(float_arrays(bound=1e3), st.floats(-100, 100))
def test_property_softmax(z, c):
    tol = 1e-5 if z.dtype == np.float32 else 1e-12
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        s = A.softmax(z)
        ls = A.log_softmax(z)
        lse = A.logsumexp(z)
    assert s.shape == z.shape and s.dtype == z.dtype
    assert ls.shape == z.shape and ls.dtype == z.dtype
    assert lse.shape == z.shape[:-1] and lse.dtype == z.dtype
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=tol, atol=tol)
    assert np.all(ls <= 0)
    assert np.all(lse >= z.max(axis=-1))  # log Σ e^z ≥ max z
    zmax = z.max(axis=-1).astype(np.float64)
    assert np.all(lse <= zmax + np.log(z.shape[-1]) + tol * (np.abs(zmax) + 1))
    # invariance to a constant shift (in float64 to keep the rounding of z + c out of it)
    z64 = z.astype(np.float64)
    # as in test_softmax_invariant_to_adding_a_constant: the rounding of z + c, u·|z + c|,
    # becomes a relative error of each exp (twice in the quotient), plus 2·γ_{4k+6} (k ≤ 8)
    tol64 = 2 * (2 * gamma(38) + 2 * unit_roundoff() * float(np.abs(z64 + c).max() + np.abs(z64).max()))
    np.testing.assert_allclose(A.softmax(z64 + c), A.softmax(z64), rtol=tol64, atol=0)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_property_softmax_jacobian_rows_sum_to_zero_and_symmetric(k, seed):
    s = A.softmax(np.random.default_rng(seed).normal(scale=3, size=k))
    J = A.softmax_jacobian(s)
    assert J.shape == (k, k)
    # a row sums k entries with Σⱼ|J_ij| ≤ 2 s_i ≤ 2, each ≤ 2 roundings
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=2 * gamma(k + 2) * 2)
    np.testing.assert_array_equal(J, J.T)
    # the library's s − s² cancels where s ≈ 1: ≤ 2 roundings relative to s, i.e. to s(1 − s)
    # amplified by 1/(1 − s); s(1 − s) here: 2 roundings, no cancellation
    np.testing.assert_allclose(np.diag(J), s * (1 - s), rtol=0,
                               atol=2 * gamma(3) * float(np.max(s)))
