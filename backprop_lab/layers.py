"""Layers: each ``backward`` sits right under its ``forward`` and states the formula it implements.

Notation (one, everywhere): a batch is stacked as rows. For a Linear layer

    forward:  Z = A_prev @ W.T + b                  (batch, n_out)
    backward: dW = dZ.T @ A_prev                    (n_out, n_in)
              db = dZ.sum(0)                        (n_out,)
              dA_prev = dZ @ W                      (batch, n_in)

which is the column-vector math z = W a + b, ∂L/∂W = δ aᵀ, ∂L/∂b = δ, transposed and summed over
the batch (lesson 05). ``dZ`` is the gradient of the loss with respect to Z; losses are means over
the batch, so the 1/m is already inside ``dZ``.

A layer caches exactly what its backward needs, named after the math (``A_prev``, ``Z``, ``A``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from backprop_lab.activations import sigmoid
from backprop_lab.errors import ShapeError
from backprop_lab.init import Init, get_init
from backprop_lab.parameter import Parameter


class Layer:
    """Base class: ``forward(X) -> out``, ``backward(d_out) -> d_in``, parameters, train/eval mode."""

    #: names of the trainable arrays; the gradient of ``W`` is ``dW``
    param_names: tuple[str, ...] = ()
    #: names of non-trainable state saved with the model (e.g. BatchNorm running statistics)
    buffer_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.training = True
        #: index of this layer inside a Sequential model (set by the model), for error messages
        self.position: int | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def parameters(self, prefix: str = "") -> list[Parameter]:
        """The layer's trainable arrays as :class:`Parameter` handles (named ``prefix + attr``)."""
        return [Parameter(self, a, prefix + a) for a in self.param_names]

    def buffers(self) -> dict[str, np.ndarray]:
        return {a: getattr(self, a) for a in self.buffer_names}

    def train(self) -> None:
        self.training = True

    def eval(self) -> None:
        self.training = False

    def out_features(self, n_in: int) -> int:
        """Width of the output for an input of width ``n_in`` (used by ``Sequential.summary``)."""
        return n_in

    def where(self) -> str:
        """How error messages name this layer, e.g. ``"layer 0, Linear(784→256)"``."""
        return f"layer {self.position}, {self!r}" if self.position is not None else repr(self)

    def _check_2d(self, X: np.ndarray, n: int | None = None) -> None:
        if not isinstance(X, np.ndarray):
            raise TypeError(f"{self.where()}: expected a NumPy array, got {type(X).__name__}")
        if X.ndim != 2 or (n is not None and X.shape[1] != n):
            want = f"(batch, {n})" if n is not None else "(batch, features)"
            raise ShapeError(f"{self.where()}: expected input of shape {want}, got shape {X.shape}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_dtype(layer: Layer, X: np.ndarray, dtype: np.dtype) -> None:
    if X.dtype != dtype:
        raise TypeError(
            f"{layer.where()}: input dtype is {X.dtype} but the layer's weights are {dtype}; "
            f"convert one of them explicitly (X.astype(np.{dtype}) or model.astype(np.{X.dtype})) — "
            "backprop_lab never mixes precisions silently"
        )


class Linear(Layer):
    """Fully connected layer z = W a + b, with W of shape (n_out, n_in) as in the math and PyTorch.

    Args:
        n_in, n_out: input and output widths.
        rng: NumPy ``Generator`` for the weights (seed it for reproducible runs).
        dtype: float64 (lessons, gradient checks) or float32 (fast training).
        init: initialiser name from :mod:`backprop_lab.init` or a callable; biases start at 0.
    """

    param_names = ("W", "b")

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rng: np.random.Generator | None = None,
        dtype: np.dtype | type = np.float64,
        init: str | Init = "he_normal",
    ) -> None:
        super().__init__()
        for arg, v in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Linear: {arg} must be a positive integer, got {v!r}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"Linear: dtype must be float32 or float64, got {dtype}")
        rng = rng if rng is not None else np.random.default_rng()
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.W = get_init(init)((self.n_out, self.n_in), rng, dtype).astype(dtype, copy=False)
        self.b = np.zeros(self.n_out, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.A_prev: np.ndarray | None = None
        self._ones = np.ones(0, dtype=dtype)  # a column of ones for db; resized to the batch

    def forward(self, A_prev: np.ndarray) -> np.ndarray:
        """Z = A_prev @ W.T + b.   A_prev: (batch, n_in) → Z: (batch, n_out)."""
        self._check_2d(A_prev, self.n_in)
        _check_dtype(self, A_prev, self.W.dtype)
        self.A_prev = A_prev
        Z = A_prev @ self.W.T
        Z += self.b
        return Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW = dZ.T @ A_prev, db = dZ.sum(0), and returns dA_prev = dZ @ W.

        dZ: (batch, n_out). With ``input_grad=False`` (the first layer, whose input is the data)
        dA_prev is not computed, which saves a third of this layer's backward work.
        """
        if self.A_prev is None:
            raise RuntimeError(f"{self.where()}: backward called before forward")
        if dZ.shape != (self.A_prev.shape[0], self.n_out):
            raise ShapeError(
                f"{self.where()}: expected an upstream gradient of shape "
                f"{(self.A_prev.shape[0], self.n_out)}, got {dZ.shape}"
            )
        np.matmul(dZ.T, self.A_prev, out=self.dW)
        # db = dZᵀ·1, the column sums, as a matrix-vector product: ~3x faster than dZ.sum(axis=0)
        m = dZ.shape[0]
        if self._ones.shape[0] != m or self._ones.dtype != dZ.dtype:
            self._ones = np.ones(m, dtype=dZ.dtype)
        np.matmul(self._ones, dZ, out=self.db)
        return dZ @ self.W if input_grad else None

    def out_features(self, n_in: int) -> int:
        return self.n_out

    def __repr__(self) -> str:
        return f"Linear({self.n_in}→{self.n_out})"


class ReLU(Layer):
    """a = max(z, 0); backward: dZ = dA ⊙ [Z > 0].

    The indicator [Z > 0] is kept as 0.0/1.0 in Z's dtype: multiplying two float arrays is about
    twice as fast as multiplying by a boolean array, and backward runs once per training step.
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.mask = (Z > 0).astype(Z.dtype)
        return Z * self.mask

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * self.mask


class LeakyReLU(Layer):
    """a = z if z > 0 else α z; backward: dZ = dA ⊙ (1 if Z > 0 else α)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        if not 0 <= alpha < 1:
            raise ValueError(f"LeakyReLU: alpha must be in [0, 1), got {alpha!r}")
        self.alpha = alpha

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.slope = np.where(Z > 0, Z.dtype.type(1), Z.dtype.type(self.alpha))
        return Z * self.slope

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * self.slope

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    """a = σ(z); backward: dZ = dA ⊙ a(1 − a) (σ′ written with the cached output A)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = sigmoid(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * self.A * (1 - self.A)


class Tanh(Layer):
    """a = tanh(z); backward: dZ = dA ⊙ (1 − a²)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA * (1 - self.A * self.A)


class Softmax(Layer):
    """a = softmax(z) over the last axis; backward: dZ = a ⊙ (dA − Σⱼ dAⱼ aⱼ) (Jacobian-vector product).

    Use it for reading probabilities. For training, :class:`~backprop_lab.losses.SoftmaxCrossEntropy`
    takes the logits and fuses the two, which is simpler and stable (lesson 12 shows why).
    """

    def forward(self, Z: np.ndarray) -> np.ndarray:
        shifted = Z - Z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        self.A = e / e.sum(axis=-1, keepdims=True)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return self.A * (dA - (dA * self.A).sum(axis=-1, keepdims=True))


class Dropout(Layer):
    """Inverted dropout: in training, keep each unit with probability 1 − p and scale it by 1/(1 − p).

    forward (train): mask = [u ≥ p] / (1 − p) with u ~ U[0, 1); A = X ⊙ mask
    forward (eval):  A = X  (no scaling needed at test time — that is what "inverted" buys)
    backward:        dX = dA ⊙ mask

    Set ``fixed_mask`` (an array of the input's shape, already scaled) to reuse one mask, e.g. for a
    gradient check.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p (the drop probability) must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0:
            self.mask = None
            return X
        if self.fixed_mask is not None:
            if self.fixed_mask.shape != X.shape:
                raise ShapeError(
                    f"{self.where()}: fixed_mask has shape {self.fixed_mask.shape}, input has {X.shape}"
                )
            self.mask = self.fixed_mask
        else:
            keep = self.rng.random(X.shape, dtype=np.float32 if X.dtype == np.float32 else np.float64)
            self.mask = (keep >= self.p).astype(X.dtype) / X.dtype.type(1 - self.p)
        return X * self.mask

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return dA if self.mask is None else dA * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation over the batch axis for inputs of shape (batch, n) (Ioffe & Szegedy 2015).

    forward (train): μ = mean(X, 0), σ² = var(X, 0) (biased), X̂ = (X − μ)/√(σ² + ε), Y = γ ⊙ X̂ + β;
                     running statistics r ← (1 − momentum)·r + momentum·stat (variance unbiased, as
                     PyTorch does).
    forward (eval):  X̂ uses the running mean and variance.
    backward (train): dγ = Σ dY ⊙ X̂, dβ = Σ dY,
                      dX = (1/m)·(1/√(σ²+ε))·(m·dX̂ − Σ dX̂ − X̂ ⊙ Σ (dX̂ ⊙ X̂)), with dX̂ = dY ⊙ γ
    (lesson 09 derives it). All sums are over the batch axis.
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(
        self, n: int, momentum: float = 0.1, eps: float = 1e-5, dtype: np.dtype | type = np.float64
    ) -> None:
        super().__init__()
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"BatchNorm: n must be a positive integer, got {n!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be > 0, got {eps!r}")
        self.n, self.momentum, self.eps = int(n), float(momentum), float(eps)
        self.gamma = np.ones(n, dtype=dtype)
        self.beta = np.zeros(n, dtype=dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self.running_mean = np.zeros(n, dtype=dtype)
        self.running_var = np.ones(n, dtype=dtype)

    def forward(self, X: np.ndarray) -> np.ndarray:
        self._check_2d(X, self.n)
        _check_dtype(self, X, self.gamma.dtype)
        if self.training:
            m = X.shape[0]
            if m < 2:
                raise ShapeError(
                    f"{self.where()}: training mode needs a batch of at least 2 rows to estimate a "
                    f"variance, got {m}; use model.eval() to predict single examples"
                )
            mu = X.mean(axis=0)
            var = X.var(axis=0)
            mom = self.momentum
            self.running_mean *= 1 - mom
            self.running_mean += mom * mu
            self.running_var *= 1 - mom
            self.running_var += mom * var * (m / (m - 1))
        else:
            mu, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.X_hat = (X - mu) * self.inv_std
        return self.gamma * self.X_hat + self.beta

    def backward(self, dY: np.ndarray) -> np.ndarray:
        np.sum(dY * self.X_hat, axis=0, out=self.dgamma)
        np.sum(dY, axis=0, out=self.dbeta)
        dX_hat = dY * self.gamma
        if not self.training:
            return dX_hat * self.inv_std
        m = dY.shape[0]
        return (self.inv_std / m) * (
            m * dX_hat - dX_hat.sum(axis=0) - self.X_hat * (dX_hat * self.X_hat).sum(axis=0)
        )

    def __repr__(self) -> str:
        return f"BatchNorm({self.n})"


ACTIVATION_LAYERS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}


def activation_layer(name: str) -> Layer:
    """A fresh activation layer by name: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``."""
    try:
        return ACTIVATION_LAYERS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(ACTIVATION_LAYERS)}"
        ) from None


def iter_params(layers: list[Layer]) -> Iterator[Parameter]:
    for i, layer in enumerate(layers):
        yield from layer.parameters(prefix=f"{i}.")
