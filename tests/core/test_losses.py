"""Losses (backprop_lab.losses): values vs formulas written here, gradients vs central
differences computed here, stability, batch means, dtypes, PyTorch, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _tolerance import assert_within, envelope, gamma

from backprop_lab.layers import ShapeError
from backprop_lab.losses import (
    MSE,
    BCEWithLogits,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    SoftmaxCrossEntropy,
)

H = 1e-5
TOL = 1e-7


def fd_grad(f, x, h=H):
    """Central differences of the scalar f(x) with respect to every entry of x (x is copied)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


#: the central difference's own rounding: f (a loss of size ≤ ~10 here, ≤ 40 roundings) is
#: rounded by ≤ γ₄₀·10 at each of its two evaluations, divided by 2H
FD_ATOL = 2 * gamma(40) * 10 / (2 * H)


def assert_grad_close(analytic, numeric, tol=TOL, atol=FD_ATOL):
    analytic = np.asarray(analytic, dtype=np.float64)
    rel = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    ok = (rel < tol) | (np.abs(analytic - numeric) < atol)
    assert ok.all(), f"max relative error {rel[~ok].max():.2e}"


def naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def naive_softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def onehot(y, k):
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out



# --------------------------------------------------------------------------- values and gradients


def test_mse_value_and_gradient():
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss = MSE()
    value = loss.forward(pred, target)
    assert isinstance(value, float)
    # tolerances from operation counts (tests/_tolerance.py; exp/log count as 4 roundings):
    # 15 squares summed (positive terms) and a division: ≤ 2·γ₁₈; the gradient: 3 roundings
    assert value == pytest.approx(((pred - target) ** 2).sum() / pred.size, rel=2 * gamma(18))
    g = loss.backward()
    np.testing.assert_allclose(g, 2 * (pred - target) / 15, rtol=2 * gamma(3))
    assert_grad_close(g, fd_grad(lambda p: MSE().forward(p, target), pred))


def bce_formula(p, y):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize("soft_labels", [False, True])
def test_binary_cross_entropy_value_and_gradient(soft_labels):
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, size=(6, 2))
    y = rng.uniform(0, 1, size=(6, 2)) if soft_labels else rng.integers(0, 2, size=(6, 2)) * 1.0
    loss = BinaryCrossEntropy()
    # per entry 2 logs, 1 − p and 4 more operations, then a mean of 12 terms of one sign: 2·γ₂₄
    assert loss.forward(p, y) == pytest.approx(bce_formula(p, y), rel=2 * gamma(24))
    g = loss.backward()
    assert_grad_close(g, fd_grad(lambda q: BinaryCrossEntropy().forward(q, y), p))
    assert_grad_close(g, fd_grad(lambda q: bce_formula(q, y), p))


def test_bce_with_logits_value_gradient_and_equivalence():
    rng = np.random.default_rng(3)
    z = rng.uniform(-8, 8, size=(7, 3))
    y = rng.integers(0, 2, size=(7, 3)).astype(float)
    loss = BCEWithLogits()
    value = loss.forward(z, y)
    # the naive route rounds σ (6 roundings) and then takes 1 − σ, which cancels: σ's error is
    # amplified by 1/(1 − σ) ≤ 1 + e⁸ on z ∈ [−8, 8]; ≤ 30 roundings in all
    naive = 2 * gamma(30) * (1 + np.exp(8.0))
    assert value == pytest.approx(bce_formula(naive_sigmoid(z), y), rel=naive)
    assert value == pytest.approx(BinaryCrossEntropy().forward(naive_sigmoid(z), y), rel=naive)
    g = loss.backward()
    np.testing.assert_allclose(g, (naive_sigmoid(z) - y) / z.size, rtol=naive)  # σ − 1 cancels too
    assert_grad_close(g, fd_grad(lambda v: BCEWithLogits().forward(v, y), z))


def test_bce_with_logits_finite_at_1000():
    z = np.array([1000.0, 1000.0, -1000.0, -1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = BCEWithLogits()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value = loss.forward(z, y)
        g = loss.backward()
    # per element: 0, 1000, 0, 1000 (−log σ(±1000) is 1000 or 0 to double precision)
    assert value == pytest.approx(500.0, rel=2 * gamma(8))  # log1p(e⁻¹⁰⁰⁰) + 1000 and a mean of 4
    np.testing.assert_allclose(g, np.array([0.0, 1.0, 0.0, -1.0]) / 4, atol=1e-300)
    with np.errstate(all="ignore"):  # the naive formula is not finite here
        assert not np.isfinite(bce_formula(naive_sigmoid(z), y))


def cce_formula(P, y):
    return -np.mean(np.log(P[np.arange(len(y)), y]))


def test_categorical_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(4)
    P = naive_softmax(rng.normal(size=(6, 4)))
    y = rng.integers(0, 4, size=6)
    loss = CategoricalCrossEntropy()
    # 6 logs (4 roundings each), a mean of 6 positive terms: ≤ 2·γ₁₂; −1/(6P): ≤ 3 roundings
    assert loss.forward(P, y) == pytest.approx(cce_formula(P, y), rel=2 * gamma(12))
    g = loss.backward()
    expected = np.zeros_like(P)
    expected[np.arange(6), y] = -1.0 / (6 * P[np.arange(6), y])
    np.testing.assert_allclose(g, expected, rtol=2 * gamma(3))
    assert_grad_close(g, fd_grad(lambda Q: CategoricalCrossEntropy().forward(Q, y), P))


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(5)
    Z = rng.normal(scale=3, size=(8, 5))
    y = rng.integers(0, 5, size=8)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(Z, y)
    # naive softmax (k = 5: 4k + 6 = 26 roundings), a log, a mean of 8: ≤ 40 roundings; a row
    # with P_y ≈ 1 has −log P_y ≈ 0 with an absolute error ≤ γ: relative to the mean, 1/value
    ce_tol = 2 * gamma(40) * (1 + 1 / value)
    assert value == pytest.approx(cce_formula(naive_softmax(Z), y), rel=ce_tol)
    assert value == pytest.approx(CategoricalCrossEntropy().forward(naive_softmax(Z), y), rel=ce_tol)
    g = loss.backward()
    # P − 1 cancels where P_y ≈ 1: ≤ 2·γ₂₇ absolute (P ≤ 1), over m = 8
    np.testing.assert_allclose(g, (naive_softmax(Z) - onehot(y, 5)) / 8, rtol=2 * gamma(27),
                               atol=2 * gamma(27) / 8)
    assert_grad_close(g, fd_grad(lambda V: SoftmaxCrossEntropy().forward(V, y), Z))


def test_softmax_cross_entropy_finite_at_logits_1000():
    Z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 0.0], [1000.0, 0.0, 0.0]])
    y = np.array([0, 1, 1])
    loss = SoftmaxCrossEntropy()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value = loss.forward(Z, y)
        g = loss.backward()
    # rows: log(1 + e^−1000 + e^−2000) ≈ 0, log 2, 1000 + log(1 + 2e^−1000) ≈ 1000
    # log-sum-exp of 3 (4·3 + 8 roundings) and a mean of 3 nonnegative terms
    assert value == pytest.approx((0.0 + np.log(2) + 1000.0) / 3, rel=2 * gamma(23))
    expected = np.array([[0.0, 0.0, 0.0], [0.5, -0.5, 0.0], [1.0, -1.0, 0.0]]) / 3
    # (softmax − onehot)/3: entries ≤ 1/3, ≤ 20 roundings, P − 1 may cancel
    np.testing.assert_allclose(g, expected, atol=2 * gamma(20) / 3)


def test_softmax_ce_gradient_equals_categorical_ce_through_softmax_jacobian():
    """(softmax − onehot)/m = Jᵀ ∂CE/∂P, the chain rule the fused loss skips."""
    rng = np.random.default_rng(6)
    Z = rng.normal(size=(4, 3))
    y = rng.integers(0, 3, size=4)
    P = naive_softmax(Z)
    cce = CategoricalCrossEntropy()
    cce.forward(P, y)
    dP = cce.backward()
    chained = np.stack([(np.diag(P[i]) - np.outer(P[i], P[i])).T @ dP[i] for i in range(4)])
    sce = SoftmaxCrossEntropy()
    sce.forward(Z, y)
    # Jᵀ dP: 3 terms of size |J_yj|·|dP_y| ≤ P_y(1 + P_y)/(m P_y) ≤ 2/m, P − 1 cancels:
    # ≤ 2·γ₃₀ (softmax of 3: 18, the product and sum: 12) × 2/m absolute
    np.testing.assert_allclose(sce.backward(), chained, rtol=2 * gamma(30), atol=2 * gamma(30) * 2 / 4)


# --------------------------------------------------------------------------- mean over the batch


def _cases(rng):
    Z = rng.normal(size=(5, 3))
    y = rng.integers(0, 3, size=5)
    yb = rng.integers(0, 2, size=(5, 3)).astype(float)
    return [
        (MSE, Z, rng.normal(size=(5, 3))),
        (BinaryCrossEntropy, naive_sigmoid(Z), yb),
        (BCEWithLogits, Z, yb),
        (CategoricalCrossEntropy, naive_softmax(Z), y),
        (SoftmaxCrossEntropy, Z, y),
    ]


@pytest.mark.parametrize("i", range(5), ids=["MSE", "BCE", "BCEWithLogits", "CCE", "SoftmaxCE"])
def test_mean_over_the_batch(i):
    cls, pred, target = _cases(np.random.default_rng(7))[i]
    loss = cls()
    value = loss.forward(pred, target)
    g = loss.backward()
    twice = cls()
    value2 = twice.forward(np.concatenate([pred, pred]), np.concatenate([target, target]))
    g2 = twice.backward()
    # the same per-entry operations on a longer array (numpy's SIMD and scalar loops may round
    # an exp or log differently: ≤ 20 roundings per entry, counting them as 4), a mean of twice
    # the nonnegative terms: ≤ 2·γ_{2n + 20}; per row, P − 1 may cancel: ≤ 2·γ₂₀/m absolute
    assert value2 == pytest.approx(value, rel=2 * gamma(2 * pred.size + 20))
    # the 1/m is inside the gradient: twice the rows, half the gradient per row
    g_tol = {"rtol": 2 * gamma(20), "atol": 2 * gamma(20) / len(pred)}
    np.testing.assert_allclose(g2[: len(pred)], g / 2, **g_tol)
    np.testing.assert_allclose(g2[len(pred):], g / 2, **g_tol)


@pytest.mark.parametrize("i", range(5), ids=["MSE", "BCE", "BCEWithLogits", "CCE", "SoftmaxCE"])
def test_float32_is_kept(i):
    cls, pred, target = _cases(np.random.default_rng(8))[i]
    loss = cls()
    value32 = loss.forward(pred.astype(np.float32), target)
    g = loss.backward()
    assert isinstance(value32, float)
    assert g.dtype == np.float32 and g.shape == pred.shape
    ref = cls()
    assert value32 == pytest.approx(ref.forward(pred, target), rel=1e-5)
    np.testing.assert_allclose(g, ref.backward(), rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------------- PyTorch


def _torch_value_and_grad(fn, pred, *args):
    torch = pytest.importorskip("torch")
    t = torch.tensor(pred, requires_grad=True)
    out = fn(t, *args)
    out.backward()
    return out.item(), t.grad.numpy()


@pytest.mark.torch
def test_against_torch_functional():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    Z = rng.normal(scale=2, size=(6, 4))
    target = rng.normal(size=(6, 4))
    yb = rng.integers(0, 2, size=(6, 4)).astype(float)
    y = rng.integers(0, 4, size=6)
    P = naive_sigmoid(Z)
    Psm = naive_softmax(Z)
    cases = [
        (MSE(), Z, target, lambda t: F.mse_loss(t, torch.from_numpy(target))),
        (BinaryCrossEntropy(), P, yb, lambda t: F.binary_cross_entropy(t, torch.from_numpy(yb))),
        (BCEWithLogits(), Z, yb,
         lambda t: F.binary_cross_entropy_with_logits(t, torch.from_numpy(yb))),
        (SoftmaxCrossEntropy(), Z, y, lambda t: F.cross_entropy(t, torch.from_numpy(y))),
        (CategoricalCrossEntropy(), Psm, y,
         lambda t: F.nll_loss(torch.log(t), torch.from_numpy(y))),
    ]
    for loss, pred, tgt, torch_fn in cases:
        tol_value, tol_grad = loss_tolerances(loss, pred, tgt)
        value = loss.forward(pred, tgt)
        g = loss.backward()
        t_value, t_grad = _torch_value_and_grad(torch_fn, pred)
        assert_within(value, t_value, tol_value, f"{loss!r} value")
        assert_within(g, t_grad, tol_grad, f"{loss!r} gradient")


def loss_tolerances(loss, pred: np.ndarray, tgt: np.ndarray) -> list[np.ndarray]:
    """Tolerances of a loss value and its gradient against another implementation, from error
    analysis (tests/_tolerance.py): ≤ pred.size + 3k + 10 roundings (the mean over all entries,
    a log-sum-exp or log per row of k columns, a few elementwise operations), propagated by
    re-evaluating with pred perturbed by that many u (envelope)."""
    k = pred.shape[-1]

    def value_and_grad(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array(loss.forward(p, tgt)), loss.backward().copy()

    return envelope(value_and_grad, [pred], n_ops=pred.size + 3 * k + 10)


@pytest.mark.torch
def test_against_torch_at_extreme_logits():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    Z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 1000.0]])
    y = np.array([1, 1, 0])
    yb = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    sce, bce = SoftmaxCrossEntropy(), BCEWithLogits()
    v, tg = _torch_value_and_grad(lambda t: F.cross_entropy(t, torch.from_numpy(y)), Z)
    tol_v, tol_g = loss_tolerances(sce, Z, y)
    assert_within(sce.forward(Z, y), v, tol_v, "cross-entropy value")
    assert_within(sce.backward(), tg, tol_g, "cross-entropy gradient")
    v, tg = _torch_value_and_grad(
        lambda t: F.binary_cross_entropy_with_logits(t, torch.from_numpy(yb)), Z
    )
    tol_v, tol_g = loss_tolerances(bce, Z, yb)
    assert_within(bce.forward(Z, yb), v, tol_v, "BCE-with-logits value")
    assert_within(bce.backward(), tg, tol_g, "BCE-with-logits gradient")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CategoricalCrossEntropy])
def test_label_out_of_range(cls):
    P = np.full((3, 4), 0.25)
    for bad in ([0, 1, 4], [0, -1, 2]):
        with pytest.raises(ValueError, match=r"0\.\.3.*4 classes") as e:
            cls().forward(P, np.array(bad))
        assert str(max(bad)) in str(e.value) or str(min(bad)) in str(e.value)


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CategoricalCrossEntropy])
def test_float_labels(cls):
    P = np.full((3, 4), 0.25)
    with pytest.raises(TypeError, match="integer.*float64"):
        cls().forward(P, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="argmax"):  # one-hot targets get a hint
        cls().forward(P, np.eye(4)[[0, 1, 2]])


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CategoricalCrossEntropy])
def test_label_shape_mismatch(cls):
    with pytest.raises(ShapeError, match=r"\(3,\).*\(4,\)"):
        cls().forward(np.full((3, 4), 0.25), np.array([0, 1, 2, 3]))
    with pytest.raises(ShapeError, match=r"\(batch, classes\).*\(4,\)"):
        cls().forward(np.full(4, 0.25), np.array([0]))


@pytest.mark.parametrize("cls", [MSE, BinaryCrossEntropy, BCEWithLogits])
def test_elementwise_shape_mismatch(cls):
    with pytest.raises(ShapeError, match=r"\(4, 1\).*\(4,\)") as e:
        cls().forward(np.full((4, 1), 0.5), np.full(4, 0.5))
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize(
    "cls", [MSE, BinaryCrossEntropy, BCEWithLogits, CategoricalCrossEntropy, SoftmaxCrossEntropy]
)
def test_empty_batch_rejected(cls):
    # a mean over zero rows is undefined: a clear error instead of nan and a RuntimeWarning
    pred = np.empty((0, 3))
    target = np.empty(0, dtype=int) if cls in (CategoricalCrossEntropy, SoftmaxCrossEntropy) else pred
    with pytest.raises(ShapeError, match=r"empty \(shape \(0, 3\)\)"):
        cls().forward(pred, target)


@pytest.mark.parametrize("cls", [MSE, BinaryCrossEntropy, BCEWithLogits, SoftmaxCrossEntropy])
def test_integer_predictions_rejected(cls):
    with pytest.raises(TypeError, match="float"):
        cls().forward(np.array([[0, 1], [1, 0]]), np.array([[0, 1], [1, 0]]))


def test_bce_rejects_logits_and_names_the_fix():
    with pytest.raises(ValueError, match="BCEWithLogits"):
        BinaryCrossEntropy().forward(np.array([2.0, -1.0]), np.array([1.0, 0.0]))


def test_bce_clips_exact_zero_and_one():
    loss = BinaryCrossEntropy()
    v = loss.forward(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isfinite(v) and v > 20  # −log(1e-12) ≈ 27.6
    assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize(
    "cls", [MSE, BinaryCrossEntropy, BCEWithLogits, CategoricalCrossEntropy, SoftmaxCrossEntropy]
)
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match="before forward"):
        cls().backward()
