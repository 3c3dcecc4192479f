"""Activation functions g(z) and their derivatives g'(z), element-wise on arrays of any shape.

Every function keeps the dtype of its input (float32 stays float32) and never overflows:
``sigmoid(1e4)`` is 1.0 and ``sigmoid(-1e4)`` is 0.0 without a warning.

Derivatives take the pre-activation ``z``, as in the course notation δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀδ⁽ˡ⁺¹⁾) ⊙ g′(z⁽ˡ⁾).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_lab.validate import check_choice

ArrayFn = Callable[[np.ndarray], np.ndarray]


def _as_float_array(z: np.ndarray | float) -> np.ndarray:
    """Return ``z`` as a floating array; integers become float64, floats keep their dtype."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any finite z.

    For z ≥ 0 we use 1 / (1 + e^(−z)); for z < 0 the equal form e^(z) / (1 + e^(z)).
    Both only ever exponentiate −|z| ≤ 0, so e^(·) ∈ (0, 1] and nothing overflows.
    """
    z = _as_float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e).astype(z.dtype, copy=False) / (1.0 + e)


def sigmoid_grad(z: np.ndarray | float) -> np.ndarray:
    """σ′(z) = σ(z)(1 − σ(z)); at most 0.25 (at z = 0)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def sigmoid_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dZ = dA ⊙ σ′(Z) with σ′ written through the output A = σ(Z): dA ⊙ A ⊙ (1 − A).

    The Sigmoid layer's backward; dA and A share one shape, e.g. (batch, n). Evaluated as
    (dA·A)·(1 − A), left to right.
    """
    return dA * A * (1 - A)


def tanh(z: np.ndarray | float) -> np.ndarray:
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)), in (−1, 1)."""
    return np.tanh(_as_float_array(z))


def tanh_grad_from_output(a: np.ndarray) -> np.ndarray:
    """tanh′ written through the output a = tanh(z): 1 − a²."""
    return 1.0 - a * a


def tanh_grad(z: np.ndarray | float) -> np.ndarray:
    """tanh′(z) = 1 − tanh(z)²; at most 1 (at z = 0)."""
    return tanh_grad_from_output(np.tanh(_as_float_array(z)))


def tanh_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dZ = dA ⊙ (1 − A²) with A = tanh(Z): the Tanh layer's backward. dA, A: one shape."""
    return dA * tanh_grad_from_output(A)


def relu(z: np.ndarray | float) -> np.ndarray:
    """ReLU(z) = max(z, 0)."""
    z = _as_float_array(z)
    return np.maximum(z, 0, dtype=z.dtype)


def relu_grad(z: np.ndarray | float) -> np.ndarray:
    """ReLU′(z) = 1 if z > 0 else 0 (we take 0 at the kink z = 0, as PyTorch does)."""
    z = _as_float_array(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z: np.ndarray | float, alpha: float = 0.01) -> np.ndarray:
    """LeakyReLU(z) = z if z > 0 else α·z."""
    z = _as_float_array(z)
    return np.where(z > 0, z, z * z.dtype.type(alpha))


def leaky_relu_grad(z: np.ndarray | float, alpha: float = 0.01) -> np.ndarray:
    """LeakyReLU′(z) = 1 if z > 0 else α."""
    z = _as_float_array(z)
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(alpha))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)ᵢ = e^(zᵢ) / Σⱼ e^(zⱼ) along ``axis`` (classes along the last axis by default).

    Subtracting max(z) first changes nothing mathematically (the factor e^(−max) cancels) and
    keeps every exponent ≤ 0, so large logits such as 1000 do not overflow.
    """
    _, e = shifted_exp(z, axis)
    return e / e.sum(axis=axis, keepdims=True)


def shifted_exp(z: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """The one shift-and-exp of the library: ``(s, e^s)`` with s = z − max(z) along ``axis``.

    softmax, log-softmax and :class:`~backprop_lab.losses.SoftmaxCrossEntropy` all start here:
    every exponent s ≤ 0, so e^s ∈ (0, 1] never overflows, and the factor e^(−max) cancels in
    every ratio. Both results have z's shape, e.g. (batch, k).
    """
    z = _as_float_array(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted, np.exp(shifted)


def softmax_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dZ = A ⊙ (dA − Σⱼ dAⱼ Aⱼ) over the last axis: the softmax Jacobian times dA, per row.

    The Softmax layer's backward, A = softmax(Z); dA, A: (batch, k). It is Jᵀ·dA with
    J = diag(a) − a aᵀ (:func:`softmax_jacobian`), without building J.
    """
    return A * (dA - (dA * A).sum(axis=-1, keepdims=True))


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^(zⱼ), via the log-sum-exp trick (stable)."""
    shifted, e = shifted_exp(z, axis)
    return shifted - np.log(e.sum(axis=axis, keepdims=True))


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log Σⱼ e^(zⱼ) = m + log Σⱼ e^(zⱼ − m) with m = max(z): never overflows."""
    z = _as_float_array(z)
    m = z.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.exp(z - m).sum(axis=axis))


def softmax_jacobian(s: np.ndarray) -> np.ndarray:
    """Jacobian of softmax for one sample: J = diag(s) − s sᵀ, where ``s`` = softmax(z), shape (k,)."""
    s = np.asarray(s)
    if s.ndim != 1:
        raise ValueError(f"softmax_jacobian expects one sample of shape (k,), got shape {s.shape}")
    return np.diag(s) - np.outer(s, s)


@dataclass(frozen=True)
class Activation:
    """One element-wise activation, everything the library knows about it in one entry.

    Attributes:
        name: the key, e.g. ``"leaky_relu"`` (command line, ``mlp(..., activation=name)``).
        f, df: g and g′, both functions of the pre-activation z (any shape, dtype kept).
        label: how figures and widgets write it, e.g. ``"leaky ReLU"``.
        layer_name: the class in :mod:`backprop_lab.layers` computing it as a layer
            (:attr:`layer` is the class itself).
    """

    name: str
    f: ArrayFn
    df: ArrayFn
    label: str = ""
    layer_name: str = ""

    @property
    def layer(self) -> type:
        """The layer class (e.g. :class:`~backprop_lab.layers.ReLU`); it computes f and f′."""
        from backprop_lab import layers  # layers import this module, so look them up late

        return getattr(layers, self.layer_name)


#: The one activation registry (lesson 01 iterates it in this order). ``layers.ACTIVATION_LAYERS``
#: is derived from it; a new activation is its two functions, a layer class and one line here.
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, "sigmoid", "Sigmoid"),
    "tanh": Activation("tanh", tanh, tanh_grad, "tanh", "Tanh"),
    "relu": Activation("relu", relu, relu_grad, "ReLU", "ReLU"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_grad, "leaky ReLU", "LeakyReLU"),
}


def get_activation(name: str) -> Activation:
    """Look up an element-wise activation by name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``)."""
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]
