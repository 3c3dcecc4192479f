"""``Sequential``: layers applied in order, backpropagated in reverse order.

    net = Sequential(Linear(2, 16, rng=rng), Tanh(), Linear(16, 3, rng=rng))
    out = net.forward(X)              # X: (batch, 2) → out: (batch, 3)
    dX = net.backward(loss.backward())  # fills every layer's gradients (dW, db, …)

A ``Sequential`` is itself a :class:`~backprop_lab.layers.Layer`, so models nest:
``Sequential(Sequential(Linear(2, 8, rng=rng), Tanh()), Linear(8, 3, rng=rng))`` trains, is
gradient-checked and saved like a flat model; its parameters are named by path (``"0.0.W"``).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from backprop_lab.errors import WeightsError
from backprop_lab.layers import Layer, Linear
from backprop_lab.parameter import Parameter


class Sequential(Layer):
    """A chain of layers, itself a layer. Parameters are named ``"<layer index>.<attr>"``, e.g.
    ``"0.W"``; inside a nested model the indices are joined along the path (``"1.0.W"``)."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential: argument {i} is a {type(layer).__name__}, expected a Layer "
                    "(e.g. Linear(...), ReLU())"
                )
            layer.position = i
        self.layers: list[Layer] = list(layers)

    # -- the two passes -------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Apply every layer in order. X: (batch, n_in) → (batch, n_out)."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    __call__ = forward

    def backward(self, d_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ∂L/∂out through the layers in reverse; every layer fills its gradients.

        d_out: (batch, n_out). Returns ∂L/∂X (batch, n_in). With ``input_grad=False`` (or
        ``need_input_grad`` off, as an enclosing model sets it) the gradient with respect to the
        input data is not wanted (the training loop does not need it): during this call the first
        layer's ``need_input_grad`` flag is off, so it may skip that work, and None is returned.
        """
        grad = d_out
        for i in range(len(self.layers) - 1, 0, -1):
            grad = self.layers[i].backward(grad)
        if not self.layers:
            return grad
        first = self.layers[0]
        if input_grad and self.need_input_grad:
            return first.backward(grad)
        before = first.need_input_grad
        first.need_input_grad = False  # for this call only: the flag never outlives it
        try:
            first.backward(grad)
        finally:
            first.need_input_grad = before
        return None

    # -- parameters -----------------------------------------------------------------------------
    def parameters(self, prefix: str = "") -> list[Parameter]:
        """Every trainable array with its gradient, in layer order (``"0.W"``, ``"0.b"``, …)."""
        return [p for i, layer in enumerate(self.layers)
                for p in layer.parameters(f"{prefix}{i}.")]

    def leaf_layers(self) -> list[Layer]:
        """Every layer inside, nested models opened, in forward order (``[Linear, ReLU, …]``).

        ``any(isinstance(la, BatchNorm) for la in net.leaf_layers())`` finds a BatchNorm however
        deep it sits; ``net.layers`` lists only the top level.
        """
        return [leaf for layer in self.layers for leaf in layer.leaf_layers()]

    def named_arrays(self, prefix: str = "") -> Iterator[tuple[str, Layer, str]]:
        """``(name, owner, attr)`` of every parameter and buffer, layer by layer (``"0.W"``, …)."""
        for i, layer in enumerate(self.layers):
            yield from layer.named_arrays(f"{prefix}{i}.")

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        for p in self.parameters():
            yield p.name, p.value

    def flatten_parameters(self) -> Parameter:
        """Store every parameter in one contiguous array and every gradient in another.

        Each layer's arrays (``W``, ``b``, …) and gradients (``dW``, ``db``, …) become views into
        ``self.flat`` and ``self.dflat``; values are kept. Returns one :class:`Parameter` for the
        whole model, so an optimizer built on ``[net.flatten_parameters()]`` updates all weights
        with a few large array operations instead of a few per layer — the fast path used by
        ``backprop-lab train`` and the benchmarks. (Do not rebind ``layer.W = ...`` afterwards:
        assign into it, ``layer.W[...] = ...``, so it stays a view.)
        """
        params = self.parameters()
        if not params:
            raise ValueError("flatten_parameters: the model has no parameters")
        dtype = params[0].value.dtype
        n = sum(p.value.size for p in params)
        self.flat = np.empty(n, dtype=dtype)
        self.dflat = np.zeros(n, dtype=dtype)
        offset = 0
        for p in params:
            size, shape = p.value.size, p.value.shape
            view = self.flat[offset : offset + size].reshape(shape)
            view[...] = p.value
            setattr(p.owner, p.attr, view)
            setattr(p.owner, "d" + p.attr, self.dflat[offset : offset + size].reshape(shape))
            offset += size
        return Parameter(self, "flat", name="all parameters")

    def num_parameters(self) -> int:
        return sum(p.value.size for p in self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0

    @property
    def dtype(self) -> np.dtype | None:
        params = self.parameters()
        return params[0].value.dtype if params else None

    def astype(self, dtype: np.dtype | type) -> Sequential:
        """Convert every parameter, gradient and buffer to ``dtype`` in place; returns self."""
        dtype = np.dtype(dtype)
        if hasattr(self, "flat"):  # the layers' arrays are about to become separate copies
            del self.flat, self.dflat
        for layer in self.layers:
            layer.astype(dtype)
        return self

    # -- modes ----------------------------------------------------------------------------------
    def train(self) -> Sequential:
        """Training mode: Dropout drops, BatchNorm uses batch statistics."""
        self.training = True
        for layer in self.layers:
            layer.train()
        return self

    def eval(self) -> Sequential:
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        self.training = False
        for layer in self.layers:
            layer.eval()
        return self

    def predict(self, X: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Outputs in evaluation mode, in batches; restores the previous mode afterwards."""
        was_training = self.training
        self.eval()
        try:
            outs = [self.forward(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        finally:
            if was_training:
                self.train()
        return np.concatenate(outs) if outs else np.zeros((0,))

    # -- reading ----------------------------------------------------------------------------------
    def in_features(self) -> int | None:
        """The input width the first layer that fixes one requires (None: any width fits)."""
        return next((n for la in self.layers if (n := la.in_features()) is not None), None)

    def out_features(self, n_in: int) -> int:
        for layer in self.layers:
            n_in = layer.out_features(n_in)
        return n_in

    def summary(self, n_in: int | None = None) -> str:
        """A table of layers, output shapes and parameter counts."""
        if n_in is None:
            n_in = self.in_features() or 0
        rows = [("#", "layer", "output shape", "parameters")]
        width = n_in
        for i, layer in enumerate(self.layers):
            width = layer.out_features(width)
            count = sum(p.value.size for p in layer.parameters())
            rows.append((str(i), repr(layer), f"(batch, {width})", f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "  ".join("-" * w for w in widths)
        fmt = [r[0].rjust(widths[0]) + "  " + r[1].ljust(widths[1]) + "  " + r[2].ljust(widths[2])
               + "  " + r[3].rjust(widths[3]) for r in rows]
        total = f"total parameters: {self.num_parameters():,}"
        dtype = f"dtype: {self.dtype}"
        return "\n".join([fmt[0], line, *fmt[1:], line, total + "   " + dtype])

    def architecture(self) -> list[str]:
        return [repr(layer) for layer in self.layers]

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(la) for la in self.layers)
        return f"Sequential(\n  {inner}\n)"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    # -- saving -----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed ``"<layer>.<attr>"``."""
        return {name: getattr(layer, a).copy() for name, layer, a in self.named_arrays()}

    def load_state_dict(self, state: dict[str, np.ndarray], source: str = "state") -> None:
        """Copy arrays into the model in place, after checking that every name and shape fits."""
        own = {name: (layer, a) for name, layer, a in self.named_arrays()}
        missing = sorted(set(own) - set(state))
        extra = sorted(set(state) - set(own))
        if missing or extra:
            raise WeightsError(
                f"{source} does not fit this model: missing {missing or 'nothing'}, "
                f"unexpected {extra or 'nothing'}. Model: {self.architecture()}"
            )
        for key, (layer, a) in own.items():
            target = getattr(layer, a)
            if state[key].shape != target.shape:
                raise WeightsError(
                    f"{source} does not fit this model: {key} has shape {state[key].shape} in the "
                    f"file but {target.shape} in layer {key.rsplit('.', 1)[0]} ({layer!r})"
                )
        for key, (layer, a) in own.items():
            getattr(layer, a)[...] = state[key]

    def save(self, path: str | Path) -> Path:
        """Save parameters, buffers and the architecture to an ``.npz`` file (no pickles)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        arrays = self.state_dict()
        arrays["__architecture__"] = np.array(json.dumps(self.architecture()))
        np.savez(path, **arrays)
        return path

    def load(self, path: str | Path) -> Sequential:
        """Load weights saved by :meth:`save` into this model (same architecture), in place."""
        path = Path(path)
        try:
            f = np.load(path, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):  # a bare .npy array
                raise ValueError("it holds a single array, not named weights")
            with f:
                state = {k: f[k] for k in f.files}
        except FileNotFoundError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise WeightsError(f"{path} is not a backprop_lab weights file (.npz): {e}") from e
        saved_arch = state.pop("__architecture__", None)
        if saved_arch is not None:
            try:
                saved_layers = json.loads(str(saved_arch))
            except ValueError as e:
                raise WeightsError(f"{path} has an unreadable architecture record: {e}") from e
            if saved_layers != self.architecture():
                raise WeightsError(
                    f"{path} holds a model with layers {saved_layers}, "
                    f"but this model has layers {self.architecture()}"
                )
        self.load_state_dict(state, source=str(path))
        return self


def mlp(
    sizes: list[int] | tuple[int, ...],
    activation: str = "relu",
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
    init: str | None = None,
) -> Sequential:
    """A multilayer perceptron: Linear layers of the given sizes with an activation between them.

    ``mlp([784, 256, 128, 10])`` is Linear(784→256), ReLU, Linear(256→128), ReLU, Linear(128→10).
    The default init is He for ReLU-like activations and Xavier for sigmoid/tanh.
    """
    from backprop_lab.layers import activation_layer

    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes needs at least an input and an output width, got {sizes}")
    rng = rng if rng is not None else np.random.default_rng()
    if init is None:
        init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_uniform"
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(a, b, rng=rng, dtype=dtype, init=init))
        if i < len(sizes) - 2:
            layers.append(activation_layer(activation))
    return Sequential(*layers)
