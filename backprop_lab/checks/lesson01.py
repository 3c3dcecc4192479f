"""Checks for ``exercises/01_forward_pass.ipynb``.

One check per task: :func:`check_sigmoid`, :func:`check_sigmoid_grad`, :func:`check_relu`,
:func:`check_relu_grad`, :func:`check_softmax`, :func:`check_layer_forward`. Expected values come
from :mod:`backprop_lab.activations` or from the formula Z = A_prev @ W.T + b.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_lab import activations as act
from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import call_with_hints

__all__ = ["check_layer_forward", "check_relu", "check_relu_grad", "check_sigmoid",
           "check_sigmoid_grad", "check_softmax"]

F32 = {"rtol": 1e-5, "atol": 1e-6}
BIG_Z = np.array([-1000.0, -50.0, 50.0, 1000.0])
BIG_Z_LABEL = "z = [-1000, -50, 50, 1000]"


def _sigmoid_mistakes(z: np.ndarray) -> list[tuple[np.ndarray, str]]:
    with np.errstate(all="ignore"):
        return [
            (1 / (1 + np.exp(z)), "you computed 1 / (1 + e^(+z)) = σ(−z): the exponent needs a minus "
                                  "sign, σ(z) = 1 / (1 + e^(−z)) grows with z"),
            (1 / (1 - np.exp(-z)), "the denominator is 1 + e^(−z), not 1 − e^(−z)"),
            (np.exp(-z) / (1 + np.exp(-z)) ** 2, "that is σ′(z), the derivative; this task is σ itself"),
            (np.tanh(z), "that is tanh(z), not σ(z) = 1 / (1 + e^(−z))"),
        ]


def check_sigmoid(sigmoid: Callable) -> None:
    """σ(z) = 1 / (1 + e^(−z)) element-wise: values, any shape, large |z| without overflow, float32."""
    c = Checker("sigmoid", sigmoid)
    z = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    out = c.call(z, label="z = [-2, -0.5, 0, 1, 3]")
    c.array(out, dtype=np.float64, shape=(5,))
    c.close(out, act.sigmoid(z), hint="σ(z) = 1 / (1 + e^(−z)); σ(0) = 0.5",
            mistakes=_sigmoid_mistakes(z))

    Z = np.array([[0.5, -1.5, 2.0], [4.0, 0.0, -3.0]])
    out = c.call(Z, label="a (2, 3) array")
    c.array(out, dtype=np.float64, shape=(2, 3))
    c.close(out, act.sigmoid(Z), what="element-wise on a (2, 3) array",
            hint="apply the formula to every entry; do not reduce over any axis")

    out = call_with_hints(
        c, BIG_Z, label=BIG_Z_LABEL, numpy_errors=True,
        hints={FloatingPointError: "e^(−z) overflows for z = −1000. For z < 0 use the equal form "
               "σ(z) = e^z / (1 + e^z), so that exp only ever sees −|z|. Careful: np.where(...) "
               "evaluates BOTH branches on every entry, so both must be safe for all z"})
    c.array(out, dtype=np.float64, shape=(4,))
    c.close(out, act.sigmoid(BIG_Z), what="large |z| without overflow (σ(±1000) = 1, 0)")

    z32 = np.array([-1000.0, -3.0, 0.0, 0.5, 1000.0], dtype=np.float32)
    out = call_with_hints(c, z32, label="float32 z = [-1000, -3, 0, 0.5, 1000]", numpy_errors=True,
                          hints={FloatingPointError: "an overflow in float32 (e^z overflows above "
                                 "z ≈ 88, so clipping z to ±500 is not enough): keep every exponent ≤ 0"})
    c.array(out, dtype=np.float32, shape=(5,))
    c.close(out, act.sigmoid(z32), what="float32 input keeps float32", **F32)
    c.done()


def check_sigmoid_grad(sigmoid_grad: Callable) -> None:
    """σ′(z) = σ(z)(1 − σ(z)) of the pre-activation z: values, maximum 1/4, large |z|, float32."""
    c = Checker("sigmoid_grad", sigmoid_grad)
    z = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    out = c.call(z, label="z = [-2, -0.5, 0, 1, 3]")
    c.array(out, dtype=np.float64, shape=(5,))
    s = act.sigmoid(z)
    c.close(out, act.sigmoid_grad(z), hint="σ′(z) = σ(z)·(1 − σ(z)); σ′(0) = 0.25", mistakes=[
        (z * (1 - z), "you applied s·(1 − s) to z itself: first compute s = σ(z), then s·(1 − s)"),
        (s * (1 - z), "the second factor is (1 − σ(z)), not (1 − z): compute s = σ(z) once and "
                      "return s·(1 − s) — both factors are the sigmoid's output"),
        (s, "that is σ(z); the derivative is σ(z)·(1 − σ(z))"),
        (1 - s ** 2, "1 − σ² is the pattern of tanh′; for the sigmoid it is σ·(1 − σ)"),
        (s * (1 + s), "(1 − σ), not (1 + σ)"),
        (-s * (1 - s), "wrong sign: σ is increasing, so σ′ > 0"),
    ])
    c.true(np.all(out <= 0.25 + 1e-12), "σ′ ≤ 1/4 everywhere",
           f"some values exceed 1/4: max {out.max():.6g}", hint="σ′(z) = σ(z)(1 − σ(z)) peaks at 0.25")

    out = call_with_hints(
        c, BIG_Z, label=BIG_Z_LABEL, numpy_errors=True,
        hints={FloatingPointError: "compute s = σ(z) with your stable sigmoid and then s·(1 − s); "
               "a formula with e^(−z) directly overflows for z = −1000"})
    c.array(out, dtype=np.float64, shape=(4,))
    c.close(out, act.sigmoid_grad(BIG_Z), what="large |z| gives σ′ ≈ 0 without overflow")

    z32 = np.array([-3.0, 0.0, 0.5, 2.0], dtype=np.float32)
    out = c.call(z32, label="float32 z = [-3, 0, 0.5, 2]")
    c.array(out, dtype=np.float32, shape=(4,))
    c.close(out, act.sigmoid_grad(z32), what="float32 input keeps float32", **F32)
    c.done()


def check_relu(relu: Callable) -> None:
    """ReLU(z) = max(z, 0): values, zeros, inputs unchanged, float32."""
    c = Checker("relu", relu)
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    out = c.call(z, label="z = [-2, -0.5, 0, 0.5, 3]")
    if isinstance(out, np.ndarray) and out.dtype == bool:
        c.fail("returned True/False values", hint="that is the mask z > 0; ReLU returns the numbers "
               "max(z, 0) themselves, as floats of the input's dtype")
    c.array(out, dtype=np.float64, shape=(5,))
    c.close(out, act.relu(z), hint="ReLU(z) = max(z, 0): negative entries become 0, the rest stay",
            mistakes=[
                (np.abs(z), "|z| flips negative values up; ReLU sets them to 0"),
                (np.minimum(z, 0), "that is min(z, 0): ReLU keeps the positive part, max(z, 0)"),
                ((z > 0).astype(float), "that is the derivative (a 0/1 mask); ReLU keeps the values"),
                (np.maximum(z, 1), "compare with 0, not 1"),
            ])

    Z = np.array([[1.5, -2.0], [0.0, -0.0], [-1e-3, 4.0]])
    out = c.call(Z, label="a (3, 2) array with zeros")
    c.array(out, dtype=np.float64, shape=(3, 2))
    c.close(out, act.relu(Z), what="element-wise on a (3, 2) array")

    z32 = np.array([-1.0, 0.0, 2.5], dtype=np.float32)
    out = c.call(z32, label="float32 z = [-1, 0, 2.5]")
    c.array(out, dtype=np.float32, shape=(3,))
    c.close(out, act.relu(z32), what="float32 input keeps float32", **F32)
    c.done()


def check_relu_grad(relu_grad: Callable) -> None:
    """ReLU′(z) = 1 for z > 0, else 0 (0 at the kink z = 0): values, dtype, float32."""
    c = Checker("relu_grad", relu_grad)
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    out = c.call(z, label="z = [-2, -0.5, 0, 0.5, 3]")
    if isinstance(out, np.ndarray) and out.dtype == bool:
        c.fail("returned True/False values, expected numbers 0.0 and 1.0",
               hint="convert the mask to numbers of the input's dtype (float64 here, float32 for "
                    "float32 input) so it can multiply a gradient")
    c.array(out, dtype=np.float64, shape=(5,))
    c.close(out, act.relu_grad(z), hint="ReLU′(z) = 1 where z > 0 and 0 elsewhere", mistakes=[
        ((z >= 0).astype(float), "at exactly z = 0 take the derivative to be 0 (the library's and "
                                 "PyTorch's convention): use z > 0, not z ≥ 0"),
        (np.sign(z), "np.sign gives −1 for negative z; ReLU′ is 0 there"),
        (act.relu(z), "that is ReLU(z) itself; its derivative is 1 where z > 0 and 0 elsewhere"),
        ((z < 0).astype(float), "the mask is reversed: the slope is 1 where z > 0"),
    ])

    Z = np.array([[3.0, -1.0], [0.0, 1e-8]])
    out = c.call(Z, label="a (2, 2) array [[3, -1], [0, 1e-8]]")
    c.array(out, dtype=np.float64, shape=(2, 2))
    c.close(out, act.relu_grad(Z), what="element-wise on a (2, 2) array")

    z32 = np.array([-1.0, 0.0, 2.5], dtype=np.float32)
    out = c.call(z32, label="float32 z = [-1, 0, 2.5]")
    c.array(out, dtype=np.float32, shape=(3,))
    c.close(out, act.relu_grad(z32), what="float32 input keeps float32")
    c.done()


def check_softmax(softmax: Callable) -> None:
    """Row-wise softmax of Z (m, k): values, rows sum to 1, large logits, batch of one, float32."""
    c = Checker("softmax", softmax)
    Z = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    label = "Z = [[1, 2, 0.5], [-1, 0, 3]]"
    out = c.call(Z, label=label)
    c.array(out, dtype=np.float64, shape=(2, 3))
    e = np.exp(Z)
    es = np.exp(Z - Z.max(axis=1, keepdims=True))  # the same mistakes in a stable version
    ec = np.exp(Z - Z.max(axis=0, keepdims=True))
    c.close(out, act.softmax(Z, axis=1), hint="softmax(z)ᵢ = e^(zᵢ) / Σⱼ e^(zⱼ), one row at a time",
            mistakes=[
                (e / e.sum(axis=0, keepdims=True), "you normalised each column (axis 0); each row "
                 "is one example, so normalise over the classes along axis 1"),
                (e / e.sum(), "you divided by the sum over the whole batch; divide each row by its "
                              "own sum (keepdims=True keeps the shapes aligned)"),
                (Z / Z.sum(axis=1, keepdims=True), "exponentiate first: e^(zᵢ) / Σⱼ e^(zⱼ)"),
                (e, "divide by the row sums so every row sums to 1"),
                (es / es.sum(axis=0, keepdims=True), "you normalised each column (axis 0); each "
                 "row is one example, so normalise over the classes along axis 1"),
                (es / es.sum(), "you divided by the sum over the whole batch; divide each row by "
                                "its own sum (keepdims=True keeps the shapes aligned)"),
                (ec / ec.sum(axis=1, keepdims=True), "you subtracted each column's maximum (axis "
                 "0); subtract each row's own maximum (axis 1), a constant per example"),
            ])
    c.true(np.allclose(out.sum(axis=1), 1.0), "every row sums to 1", "rows do not sum to 1")

    Zbig = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0], [0.0, 0.0, 0.0],
                     [1000.0, 0.0, -1000.0]])
    out = call_with_hints(
        c, Zbig, label="Z = [[1000, 999, 998], [-1000, -1001, -1002], [0, 0, 0], [1000, 0, -1000]]",
        numpy_errors=True,
        hints={FloatingPointError: "e^1000 overflows (and e^(−1000 − 1000) underflows to 0, then "
               "0/0). Subtract each row's own maximum from the row before exponentiating: the "
               "factor e^(−max) cancels in the ratio. Use the row maximum, not the maximum of the "
               "whole batch, and the maximum, not the minimum (e^(z − min) overflows when a row spans "
               "from −1000 to 1000)"})
    c.array(out, dtype=np.float64, shape=(4, 3))
    c.close(out, act.softmax(Zbig, axis=1), what="large logits (±1000) without overflow")

    z1 = np.array([[0.2, -0.4, 1.1, 0.0]])
    out = c.call(z1, label="a batch of one, Z of shape (1, 4)")
    c.array(out, dtype=np.float64, shape=(1, 4))
    c.close(out, act.softmax(z1, axis=1), what="a batch of one")

    Z32 = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]], dtype=np.float32)
    out = c.call(Z32, label="float32 " + label)
    c.array(out, dtype=np.float32, shape=(2, 3))
    c.close(out, act.softmax(Z32, axis=1), what="float32 input keeps float32", **F32)
    c.done()


def check_layer_forward(layer_forward: Callable) -> None:
    """Z = A_prev @ W.T + b: shapes (m, n_in), (n_out, n_in), (n_out,) → (m, n_out)."""
    c = Checker("layer_forward", layer_forward)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((2, 3)).round(2)
    W = rng.standard_normal((3, 3)).round(2)
    b = np.array([0.5, -1.0, 2.0])
    label = "A_prev (2, 3), W (3, 3), b (3,)"
    out = c.call(A, W, b, label=label)
    c.array(out, dtype=np.float64, shape=(2, 3))
    c.close(out, A @ W.T + b, hint="Z = A_prev @ W.T + b: row k of Z is W a_k + b for example k",
            mistakes=[
                (A @ W + b, "missing transpose: W has shape (n_out, n_in), one row per neuron, so "
                            "the batch product is A_prev @ W.T"),
                (A @ W.T, "you forgot to add the bias b"),
                (A @ W.T - b, "add the bias, do not subtract it"),
                (A @ W.T + b.sum(), "add b as a vector (one bias per output neuron), not its sum"),
            ])

    A = rng.standard_normal((4, 3))
    W = rng.standard_normal((2, 3))
    b = rng.standard_normal(2)
    out = c.call(A, W, b, label="A_prev (4, 3), W (2, 3), b (2,)")
    c.array(out, dtype=np.float64, shape=(4, 2))
    c.close(out, A @ W.T + b, what="values with n_in = 3 ≠ n_out = 2")

    A1 = rng.standard_normal((1, 3))
    out = c.call(A1, W, b, label="a batch of one: A_prev (1, 3), W (2, 3), b (2,)")
    c.array(out, dtype=np.float64, shape=(1, 2))
    c.close(out, A1 @ W.T + b, what="a batch of one")

    A0 = np.zeros((3, 3))
    out = c.call(A0, W, b, label="A_prev = zeros (3, 3)")
    c.array(out, dtype=np.float64, shape=(3, 2))
    c.close(out, np.tile(b, (3, 1)), what="zero inputs give Z = b in every row")

    args32 = [x.astype(np.float32) for x in (A, W, b)]
    out = c.call(*args32, label="float32 A_prev (4, 3), W (2, 3), b (2,)")
    c.array(out, dtype=np.float32, shape=(4, 2))
    c.close(out, args32[0] @ args32[1].T + args32[2], what="float32 input keeps float32", **F32)
    c.done()
