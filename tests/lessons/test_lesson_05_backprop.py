"""Lesson 05's claim outside the notebook: backprop written by hand from the formulas

    Δ⁽ᴸ⁾ = (a − y) / m                         (softmax + CE, and sigmoid + BCE)
    Δ⁽ˡ⁾ = (Δ⁽ˡ⁺¹⁾ @ W⁽ˡ⁺¹⁾) ⊙ g′(Z⁽ˡ⁾)          (δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀδ⁽ˡ⁺¹⁾) ⊙ g′(z⁽ˡ⁾), transposed)
    dW⁽ˡ⁾ = Δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾,  db⁽ˡ⁾ = Σ_rows Δ⁽ˡ⁾    (∂L/∂W = δ aᵀ, ∂L/∂b = δ, summed over the batch)

gives the library's gradients (``Sequential.backward``) for random networks, batch sizes (1
included) and the sigmoid, tanh and ReLU activations. Everything the formulas need (g, g′, softmax)
is written here again, independently of ``backprop_lab``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _tolerance import assert_within, gamma, network_envelope

from backprop_lab.layers import ShapeError
from backprop_lab.losses import BCEWithLogits, SoftmaxCrossEntropy
from backprop_lab.model import Sequential, mlp

# g and g′ of each activation, from their definitions
G = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}
G_PRIME = {
    "sigmoid": lambda z: G["sigmoid"](z) * (1.0 - G["sigmoid"](z)),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
}


def softmax_rows(Z: np.ndarray) -> np.ndarray:
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def weights(net: Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) of every Linear layer, in order (copies: the hand code never touches the net)."""
    return [(layer.W.copy(), layer.b.copy()) for layer in net.layers if hasattr(layer, "W")]


def hand_backprop(params, X, activation, output_delta):
    """The forward pass, then the δ recursion from the output down.

    ``output_delta(Z_last)`` returns Δ of the last layer (with the 1/m of the mean loss).
    Returns [(dW, db) per layer], ∂L/∂X.
    """
    g, g_prime = G[activation], G_PRIME[activation]
    A, Zs, As = X, [], [X]
    for i, (W, b) in enumerate(params):
        Z = A @ W.T + b                               # z = W a + b, one row per sample
        Zs.append(Z)
        A = g(Z) if i < len(params) - 1 else Z        # no activation on the logits
        As.append(A)
    D = output_delta(Zs[-1])
    grads = []
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        grads.append((D.T @ As[i], D.sum(axis=0)))    # dW = Δᵀ A_prev, db = Σ Δ
        D_prev = D @ W                                # (W ᵀ δ)ᵀ
        if i > 0:
            D_prev = D_prev * g_prime(Zs[i - 1])      # ⊙ g′(z⁽ˡ⁻¹⁾)
        D = D_prev
    return grads[::-1], D


def softmax_ce_delta(y: np.ndarray):
    def delta(Z: np.ndarray) -> np.ndarray:
        m, k = Z.shape
        return (softmax_rows(Z) - np.eye(k)[y]) / m   # δ = a − y, the 1/m of the mean
    return delta


def sigmoid_bce_delta(y: np.ndarray):
    def delta(Z: np.ndarray) -> np.ndarray:
        return (G["sigmoid"](Z) - y) / Z.size         # δ = a − y, mean over all outputs
    return delta


def assert_library_matches(net, loss, X, y, activation, output_delta):
    params = weights(net)
    hand, hand_dX = hand_backprop(params, X, activation, output_delta)
    # the hand-written passes and the library's are the same mathematics in other operation
    # orders: tolerances from a running-error envelope of the library's passes (tests/_tolerance.py)
    tol = network_envelope(net, loss, X, y)
    loss.forward(net.forward(X), y)
    lib_dX = net.backward(loss.backward())
    linears = [(i, layer) for i, layer in enumerate(net.layers) if hasattr(layer, "W")]
    assert len(linears) == len(hand)
    for k, ((i, layer), (dW, db)) in enumerate(zip(linears, hand, strict=True)):
        assert layer.dW.shape == dW.shape == layer.W.shape
        assert_within(layer.dW, dW, tol[f"{i}.dW"], f"dW of Linear {k}")
        assert_within(layer.db, db, tol[f"{i}.db"], f"db of Linear {k}")
    assert_within(lib_dX, hand_dX, tol["dX"], "∂L/∂X")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("batch", [1, 2, 7, 32])
@pytest.mark.parametrize("seed", range(3))
def test_two_hidden_layers_softmax_ce(activation, batch, seed):
    rng = np.random.default_rng(1000 * seed + batch)
    n0, n1, n2, k = (int(v) for v in rng.integers(1, 9, size=4))
    k = max(k, 2)
    net = mlp([n0, n1, n2, k], activation, rng=rng)
    X = rng.normal(size=(batch, n0))
    y = rng.integers(0, k, size=batch)
    assert_library_matches(net, SoftmaxCrossEntropy(), X, y, activation, softmax_ce_delta(y))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("seed", range(8))
def test_random_depth_and_widths(activation, seed):
    rng = np.random.default_rng(seed)
    sizes = [int(v) for v in rng.integers(1, 12, size=int(rng.integers(2, 7)))]
    sizes[-1] = max(sizes[-1], 2)
    batch = int(rng.choice([1, 3, 16, 50]))
    net = mlp(sizes, activation, rng=rng, init=str(rng.choice(["xavier_normal", "he_normal"])))
    X = rng.normal(size=(batch, sizes[0])) * 2
    y = rng.integers(0, sizes[-1], size=batch)
    assert_library_matches(net, SoftmaxCrossEntropy(), X, y, activation, softmax_ce_delta(y))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("batch", [1, 5, 24])
def test_sigmoid_output_with_bce(activation, batch):
    rng = np.random.default_rng(batch)
    net = mlp([3, 6, 4, 1], activation, rng=rng)
    X = rng.normal(size=(batch, 3))
    y = rng.integers(0, 2, size=(batch, 1)).astype(float)
    assert_library_matches(net, BCEWithLogits(), X, y, activation, sigmoid_bce_delta(y))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_hand_formulas_match_finite_differences(activation):
    """The formulas themselves, checked without the library's backward pass."""
    rng = np.random.default_rng(7)
    params = [(rng.normal(size=(5, 3)), rng.normal(size=5)), (rng.normal(size=(4, 5)), rng.normal(size=4)),
              (rng.normal(size=(3, 4)), rng.normal(size=3))]
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 3, size=6)
    g = G[activation]

    def loss() -> float:
        A = X
        for i, (W, b) in enumerate(params):
            Z = A @ W.T + b
            if activation == "relu" and i < len(params) - 1:
                assert np.abs(Z).min() > 1e-4, "a pre-activation sits on the kink; pick another seed"
            A = g(Z) if i < len(params) - 1 else Z
        logp = A - A.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    grads, _ = hand_backprop(params, X, activation, softmax_ce_delta(y))
    h = 1e-6
    for (W, b), (dW, db) in zip(params, grads, strict=True):
        for arr, grad in ((W, dW), (b, db)):
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + h
                plus = loss()
                arr[idx] = old - h
                minus = loss()
                arr[idx] = old
                assert grad[idx] == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-8)


def test_batch_gradient_is_the_mean_of_per_sample_gradients():
    """dW = Δᵀ A_prev with the 1/m in Δ equals (1/m) Σᵢ δᵢ aᵢᵀ: batch of m vs m batches of 1."""
    rng = np.random.default_rng(3)
    net = mlp([4, 6, 5, 3], "tanh", rng=rng)
    X = rng.normal(size=(9, 4))
    y = rng.integers(0, 3, size=9)
    loss = SoftmaxCrossEntropy()
    # tolerance: the batch pass and each one-row pass round within their running-error
    # envelopes (tests/_tolerance.py), and summing the m per-row gradients adds ≤ γ_m·Σ|gᵢ|
    keys = [".d".join(p.name.split(".")) for p in net.parameters()]  # "0.W" -> "0.dW"
    env = network_envelope(net, loss, X, y)
    bound = [env[k].copy() for k in keys]
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    batch = [p.grad.copy() for p in net.parameters()]
    total = [np.zeros_like(g) for g in batch]
    abs_total = [np.zeros_like(g) for g in batch]
    for i in range(len(X)):
        env = network_envelope(net, loss, X[i:i + 1], y[i:i + 1])
        loss.forward(net.forward(X[i:i + 1]), y[i:i + 1])
        net.backward(loss.backward())
        for t, a, bd, p, k in zip(total, abs_total, bound, net.parameters(), keys, strict=True):
            t += p.grad
            a += np.abs(p.grad)
            bd += env[k] / len(X)
    for b, t, a, bd, k in zip(batch, total, abs_total, bound, keys, strict=True):
        assert_within(b, t / len(X), bd + 2 * gamma(len(X)) * a / len(X), k)


def test_transposed_gradient_is_a_shape_error():
    rng = np.random.default_rng(0)
    net = mlp([4, 6, 5, 3], "relu", rng=rng)
    X = rng.normal(size=(8, 4))
    loss = SoftmaxCrossEntropy()
    loss.forward(net.forward(X), rng.integers(0, 3, size=8))
    with pytest.raises(ShapeError, match=r"Linear\(5→3\).*\(8, 3\), got \(3, 8\)"):
        net.backward(loss.backward().T)


# ------------------------------------------------------------------------------------------------
# lesson 05 §0: the 2-2-1 network worked by hand


def test_hand_worked_network_numbers():
    """The §0 numbers, recomputed with plain floats and the math module (not NumPy, not the
    library), and the library's gradients for the same weights. Every printed quantity must sit
    well away from a 4-decimal rounding boundary, so that the printed table is the same on every
    machine."""
    import math

    import nbformat

    from backprop_lab.layers import Linear, Sigmoid

    def sig(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    x, y = (1.0, 2.0), 1.0
    W1, b1, W2, b2 = ((0.1, 0.2), (-0.3, 0.4)), (0.1, -0.1), (0.5, -0.6), 0.2
    z1 = [W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j] for j in range(2)]
    a1 = [sig(z) for z in z1]
    z2 = W2[0] * a1[0] + W2[1] * a1[1] + b2
    a2 = sig(z2)
    loss = -math.log(a2)
    d2 = a2 - y
    dW2 = [d2 * a for a in a1]
    d1 = [d2 * W2[j] * a1[j] * (1 - a1[j]) for j in range(2)]
    dW1 = [[d1[j] * x[k] for k in range(2)] for j in range(2)]
    printed = [*z1, *a1, z2, a2, loss, d2, *dW2, *d1, *dW1[0], *dW1[1]]
    for v in printed:
        frac = abs(v * 1e4 - round(v * 1e4))
        assert 0.01 < frac < 0.49 or frac < 1e-6, f"{v} is too close to a rounding boundary"

    # the numbers quoted in the lesson's answer block and its first table
    nb = nbformat.read(Path(__file__).resolve().parents[2] / "lessons" / "05_backprop_derivation.ipynb",
                       as_version=4)
    answer = next(c.source for c in nb.cells if c.get("id") == "l05-h04")
    assert f"{a2:.4f}" in answer and f"{d2:.4f}" in answer

    net = Sequential(Linear(2, 2), Sigmoid(), Linear(2, 1))
    net.layers[0].W[...], net.layers[0].b[...] = W1, b1
    net.layers[2].W[...], net.layers[2].b[...] = [W2], [b2]
    bce = BCEWithLogits()
    assert bce.forward(net.forward(np.array([x])), np.array([[y]])) == pytest.approx(loss, rel=1e-12)
    net.backward(bce.backward())
    np.testing.assert_allclose(net.layers[0].dW, dW1, rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].db, d1, rtol=1e-12)
    np.testing.assert_allclose(net.layers[2].dW, [dW2], rtol=1e-12)
    np.testing.assert_allclose(net.layers[2].db, [d2], rtol=1e-12)
