"""Layers: each ``backward`` sits right under its ``forward`` and states the formula it implements.

Notation (one, everywhere): a batch is stacked as rows. For a Linear layer

    forward:  Z = A_prev @ W.T + b                  (batch, n_out)
    backward: dW = dZ.T @ A_prev                    (n_out, n_in)
              db = dZ.sum(0)                        (n_out,)
              dA_prev = dZ @ W                      (batch, n_in)

which is the column-vector math z = W a + b, ∂L/∂W = δ aᵀ, ∂L/∂b = δ, transposed and summed over
the batch (lesson 05). ``dZ`` is the gradient of the loss with respect to Z; losses are means over
the batch, so the 1/m is already inside ``dZ``.

A layer caches exactly what its backward needs, named after the math (``A_prev``, ``Z``, ``A``),
and declares those names in ``cache_names``: they are ``None`` until ``forward`` runs, and a
``backward`` before it raises one error everywhere (:meth:`Layer._need_cache`). The activation
layers compute through :mod:`backprop_lab.activations`, so each formula is written once.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from backprop_lab.activations import (
    ACTIVATIONS,
    leaky_relu_grad,
    relu_grad,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from backprop_lab.errors import ShapeError
from backprop_lab.init import Init, get_init
from backprop_lab.parameter import Parameter
from backprop_lab.validate import check_choice, check_float_dtype, check_int, check_real


class Layer:
    """Base class: ``forward(X) -> out``, ``backward(d_out) -> d_in``, parameters, train/eval mode.

    A subclass declares ``param_names`` (trainable arrays; the gradient of ``W`` is ``dW``),
    ``buffer_names`` (saved, not trained) and ``cache_names`` (what ``forward`` stores for
    ``backward``); ``Layer.__init__`` sets every cache to ``None``.
    """

    #: names of the trainable arrays; the gradient of ``W`` is ``dW``
    param_names: tuple[str, ...] = ()
    #: names of non-trainable state saved with the model (e.g. BatchNorm running statistics)
    buffer_names: tuple[str, ...] = ()
    #: names of what ``forward`` keeps for ``backward`` (``None`` until the first forward)
    cache_names: tuple[str, ...] = ()
    #: when False, ``backward`` may skip ∂L/∂input and return None. A Sequential turns it off on
    #: its first layer for one backward call when nobody wants the gradient of the data (the
    #: training loop), which saves a third of a Linear layer's backward work; every library
    #: layer honours it, a layer that ignores it still works.
    need_input_grad: bool = True

    def __init__(self) -> None:
        self.training = True
        #: index of this layer inside a Sequential model (set by the model), for error messages
        self.position: int | None = None
        self.need_input_grad = True
        for name in self.cache_names:
            setattr(self, name, None)

    def forward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, d_out: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def _need_cache(self) -> None:
        """Raise the one error for a ``backward`` called before any ``forward`` filled the cache."""
        for name in self.cache_names:
            if getattr(self, name, None) is None:
                raise RuntimeError(
                    f"{self.where()}: backward called before forward (its cache {name} is empty); "
                    "call forward on this batch first"
                )

    def parameters(self, prefix: str = "") -> list[Parameter]:
        """The layer's trainable arrays as :class:`Parameter` handles (named ``prefix + attr``)."""
        return [Parameter(self, a, prefix + a) for a in self.param_names]

    def named_arrays(self, prefix: str = "") -> Iterator[tuple[str, Layer, str]]:
        """``(name, owner, attr)`` of every parameter, then every buffer: what a model saves."""
        for a in (*self.param_names, *self.buffer_names):
            yield prefix + a, self, a

    def buffers(self) -> dict[str, np.ndarray]:
        return {a: getattr(self, a) for a in self.buffer_names}

    def leaf_layers(self) -> list[Layer]:
        """The layers that compute, in order: ``[self]`` here; a model lists those it contains."""
        return [self]

    def astype(self, dtype: np.dtype | type) -> Layer:
        """Convert every parameter, gradient and buffer to ``dtype`` (new arrays); returns self."""
        for a in (*self.param_names, *("d" + a for a in self.param_names), *self.buffer_names):
            setattr(self, a, getattr(self, a).astype(dtype))
        return self

    def train(self) -> Layer:
        """Training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        self.training = True
        return self

    def eval(self) -> Layer:
        """Evaluation mode (Dropout is the identity, BatchNorm uses running statistics); returns self."""
        self.training = False
        return self

    def in_features(self) -> int | None:
        """Width of the input this layer requires, or None if any width fits (activations)."""
        return None

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

    def _check_dtype(self, X: np.ndarray, dtype: np.dtype) -> None:
        """The input's dtype must be the weights' (float32 and float64 are never mixed silently)."""
        if X.dtype != dtype:
            raise TypeError(
                f"{self.where()}: input dtype is {X.dtype} but the layer's weights are {dtype}; "
                f"convert one of them explicitly (X.astype(np.{dtype}) or "
                f"model.astype(np.{X.dtype})) — backprop_lab never mixes precisions silently"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Fully connected layer z = W a + b, with W of shape (n_out, n_in) as in the math and PyTorch.

    Args:
        n_in, n_out: input and output widths.
        rng: NumPy ``Generator`` for the weights (seed it for reproducible runs).
        dtype: float64 (lessons, gradient checks) or float32 (fast training).
        init: initialiser name from :mod:`backprop_lab.init` or a callable; biases start at 0.
    """

    param_names = ("W", "b")
    cache_names = ("A_prev",)

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rng: np.random.Generator | None = None,
        dtype: np.dtype | type = np.float64,
        init: str | Init = "he_normal",
    ) -> None:
        super().__init__()
        self.n_in, self.n_out = (check_int(f"Linear: {arg}", v, 1, expected="a positive integer",
                                           type_error=False)
                                 for arg, v in (("n_in", n_in), ("n_out", n_out)))
        dtype = check_float_dtype("Linear: dtype", dtype)
        rng = rng if rng is not None else np.random.default_rng()
        self.W = get_init(init)((self.n_out, self.n_in), rng, dtype).astype(dtype, copy=False)
        self.b = np.zeros(self.n_out, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.A_prev: np.ndarray | None
        self._ones = np.ones(0, dtype=dtype)  # a column of ones for db; resized to the batch

    def forward(self, A_prev: np.ndarray) -> np.ndarray:
        """Z = A_prev @ W.T + b.   A_prev: (batch, n_in) → Z: (batch, n_out)."""
        self._check_2d(A_prev, self.n_in)
        self._check_dtype(A_prev, self.W.dtype)
        self.A_prev = A_prev
        Z = A_prev @ self.W.T
        Z += self.b
        return Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW = dZ.T @ A_prev, db = dZ.sum(0), and returns dA_prev = dZ @ W.

        dZ: (batch, n_out). With ``input_grad=False`` or ``need_input_grad`` off (the first layer,
        whose input is the data) dA_prev is not computed, which saves a third of this layer's
        backward work, and None is returned.
        """
        self._need_cache()
        assert self.A_prev is not None
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
        return dZ @ self.W if input_grad and self.need_input_grad else None

    def in_features(self) -> int:
        return self.n_in

    def out_features(self, n_in: int) -> int:
        return self.n_out

    def __repr__(self) -> str:
        return f"Linear({self.n_in}→{self.n_out})"


class ReLU(Layer):
    """a = max(z, 0); backward: dZ = dA ⊙ [Z > 0].

    The mask g′(Z) = [Z > 0] comes from :func:`~backprop_lab.activations.relu_grad`, kept as
    0.0/1.0 in Z's dtype (multiplying two float arrays is about twice as fast as multiplying by a
    boolean array), and serves both passes: a = z·g′(z). That equals ``relu(z)`` except that a
    negative z gives −0.0 where ``relu`` gives +0.0 (equal numbers; the bits stored notebook
    outputs were made with).
    """

    cache_names = ("mask",)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.mask = relu_grad(Z)
        return Z * self.mask

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        return dA * self.mask if self.need_input_grad else None


class LeakyReLU(Layer):
    """a = z if z > 0 else α z; backward: dZ = dA ⊙ (1 if Z > 0 else α).

    The slope g′(Z) comes from :func:`~backprop_lab.activations.leaky_relu_grad` and serves both
    passes: a = z·g′(z), bit for bit ``leaky_relu(z, α)``.
    """

    cache_names = ("slope",)

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_real("LeakyReLU: alpha", alpha, 0, 1, high_open=True)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.slope = leaky_relu_grad(Z, self.alpha)
        return Z * self.slope

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        return dA * self.slope if self.need_input_grad else None

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    """a = σ(z); backward: dZ = dA ⊙ a(1 − a) (σ′ written with the cached output A)."""

    cache_names = ("A",)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = sigmoid(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        return sigmoid_backward(dA, self.A) if self.need_input_grad else None


class Tanh(Layer):
    """a = tanh(z); backward: dZ = dA ⊙ (1 − a²)."""

    cache_names = ("A",)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = tanh(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        return tanh_backward(dA, self.A) if self.need_input_grad else None


class Softmax(Layer):
    """a = softmax(z) over the last axis; backward: dZ = a ⊙ (dA − Σⱼ dAⱼ aⱼ) (Jacobian-vector product).

    Use it for reading probabilities. For training, :class:`~backprop_lab.losses.SoftmaxCrossEntropy`
    takes the logits and fuses the two, which is simpler and stable (lesson 12 shows why).
    """

    cache_names = ("A",)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = softmax(Z)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        return softmax_backward(dA, self.A) if self.need_input_grad else None


class Dropout(Layer):
    """Inverted dropout: in training, keep each unit with probability 1 − p and scale it by 1/(1 − p).

    forward (train): mask = [u ≥ p] / (1 − p) with u ~ U[0, 1); A = X ⊙ mask
    forward (eval):  A = X  (no scaling needed at test time — that is what "inverted" buys)
    backward:        dX = dA ⊙ mask

    Set ``fixed_mask`` (an array of the input's shape, already scaled) to reuse one mask, e.g. for a
    gradient check. The cache ``dropped`` says what the last forward did (None before any);
    ``mask`` is the mask it applied, or None when it passed X through.
    """

    cache_names = ("dropped",)

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_real("Dropout: p (the drop probability)", p, 0, 1, high_open=True,
                            type_error=False)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.dropped: bool | None

    def forward(self, X: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0:
            self.mask, self.dropped = None, False
            return X
        self.dropped = True
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

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        if not self.need_input_grad:
            return None
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
    cache_names = ("X_hat", "inv_std")

    def __init__(
        self, n: int, momentum: float = 0.1, eps: float = 1e-5, dtype: np.dtype | type = np.float64
    ) -> None:
        super().__init__()
        n = check_int("BatchNorm: n", n, 1, expected="a positive integer", type_error=False)
        self.momentum = check_real("BatchNorm: momentum", momentum, 0, 1)
        self.eps = check_real("BatchNorm: eps", eps, 0, low_open=True)
        dtype = check_float_dtype("BatchNorm: dtype", dtype)
        self.n = n
        self.gamma = np.ones(n, dtype=dtype)
        self.beta = np.zeros(n, dtype=dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self.running_mean = np.zeros(n, dtype=dtype)
        self.running_var = np.ones(n, dtype=dtype)

    def forward(self, X: np.ndarray) -> np.ndarray:
        self._check_2d(X, self.n)
        self._check_dtype(X, self.gamma.dtype)
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

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        self._need_cache()
        np.sum(dY * self.X_hat, axis=0, out=self.dgamma)
        np.sum(dY, axis=0, out=self.dbeta)
        if not self.need_input_grad:
            return None
        dX_hat = dY * self.gamma
        if not self.training:
            return dX_hat * self.inv_std
        m = dY.shape[0]
        return (self.inv_std / m) * (
            m * dX_hat - dX_hat.sum(axis=0) - self.X_hat * (dX_hat * self.X_hat).sum(axis=0)
        )

    def in_features(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"BatchNorm({self.n})"


#: activation name → layer class, derived from the one registry
#: :data:`backprop_lab.activations.ACTIVATIONS` (same keys, same order).
ACTIVATION_LAYERS: dict[str, type[Layer]] = {
    name: globals()[a.layer_name] for name, a in ACTIVATIONS.items()
}


def activation_layer(name: str) -> Layer:
    """A fresh activation layer by name: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``."""
    return ACTIVATION_LAYERS[check_choice("activation", name, ACTIVATION_LAYERS)]()


def iter_params(layers: list[Layer]) -> Iterator[Parameter]:
    for i, layer in enumerate(layers):
        yield from layer.parameters(prefix=f"{i}.")
