"""Moving a model from backprop_lab to PyTorch or Keras/TensorFlow (lesson 11).

    from backprop_lab.interop import to_torch
    tnet = to_torch(net)            # torch.nn.Sequential with the same layers and a copy of the weights
    tnet(torch.from_numpy(X))       # the same outputs as net.forward(X)

Both libraries store a fully connected layer's weight as an ``(n_out, n_in)`` matrix and compute
``Z = A_prev @ W.T + b``, and both number the layers of a ``Sequential`` (activations included) from
0, so a model moves across by renaming its ``state_dict`` keys: ``"0.W"`` → ``"0.weight"``,
``"0.b"`` → ``"0.bias"`` (BatchNorm: ``gamma`` → ``weight``, ``beta`` → ``bias``; the running
statistics keep their names). No transpose is needed.

Keras (TensorFlow 2) stores a ``Dense`` layer's weight the other way round: its ``kernel`` is
``(n_in, n_out)`` and it computes ``Z = A_prev @ kernel + bias``, so :func:`to_keras` copies
``kernel = W.T`` (and a Keras gradient ∂𝓛/∂kernel is our ``dW.T``)::

    from backprop_lab.interop import to_keras
    kmodel = to_keras(net)          # keras.Sequential, kernels = W.T, float64 like net
    kmodel(X)                       # the same outputs as net.forward(X)

PyTorch and TensorFlow are optional: this module imports without them, and the functions raise an
``ImportError`` that says how to install the missing one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop_lab.layers import (
    BatchNorm,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from backprop_lab.model import Sequential

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import keras
    import torch

__all__ = [
    "TORCH_NAMES",
    "import_tensorflow",
    "state_dict_to_torch",
    "to_keras",
    "to_torch",
    "torch_key",
]

#: our attribute name → torch's, per layer type (attributes not listed keep their name)
TORCH_NAMES: dict[type[Layer], dict[str, str]] = {
    Linear: {"W": "weight", "b": "bias"},
    BatchNorm: {"gamma": "weight", "beta": "bias"},
}


def _import_torch(caller: str) -> Any:
    """``import torch``, or an ImportError that names the caller and the install command."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"backprop_lab.interop.{caller} needs PyTorch: pip install torch "
            "(the CPU build is enough)"
        ) from e
    return torch


def torch_key(net: Sequential, key: str) -> str:
    """Torch's name for one of ``net``'s parameter or buffer names: ``"0.W"`` → ``"0.weight"``."""
    index, _, attr = key.partition(".")
    layer = net.layers[int(index)]
    return f"{index}.{TORCH_NAMES.get(type(layer), {}).get(attr, attr)}"


def _torch_dtype(torch: Any, dtype: np.dtype | type | None, net: Sequential) -> Any:
    dtype = np.dtype(dtype if dtype is not None else (net.dtype or np.float64))
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return torch.float64 if dtype == np.float64 else torch.float32


def state_dict_to_torch(
    net: Sequential, dtype: np.dtype | type | None = None
) -> dict[str, torch.Tensor]:
    """``net.state_dict()`` with torch's key names, as tensors (copies; ``net`` is not shared).

    Shapes are unchanged (``W`` is ``(n_out, n_in)`` in both libraries). ``dtype`` (float32 or
    float64) defaults to the model's own.
    """
    torch = _import_torch("state_dict_to_torch")
    tdtype = _torch_dtype(torch, dtype, net)
    return {torch_key(net, k): torch.from_numpy(v).to(tdtype)
            for k, v in net.state_dict().items()}


def _torch_layer(torch: Any, layer: Layer, tdtype: Any) -> Any:
    nn = torch.nn
    if isinstance(layer, Linear):
        return nn.Linear(layer.n_in, layer.n_out, dtype=tdtype)
    if isinstance(layer, BatchNorm):
        return nn.BatchNorm1d(layer.n, eps=layer.eps, momentum=layer.momentum, dtype=tdtype)
    if isinstance(layer, LeakyReLU):
        return nn.LeakyReLU(layer.alpha)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.p)  # same p; torch draws its own masks
    if isinstance(layer, Softmax):
        return nn.Softmax(dim=-1)
    simple = {ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid}
    if type(layer) in simple:
        return simple[type(layer)]()
    raise TypeError(f"to_torch: no PyTorch counterpart for {layer.where()}")


def to_torch(net: Sequential, dtype: np.dtype | type | None = None) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` with the layers of ``net`` and a copy of its weights.

    Linear → ``nn.Linear`` (``W`` (out, in) ↔ ``weight`` (out, in), ``b`` ↔ ``bias``), ReLU, Tanh,
    Sigmoid, LeakyReLU, Softmax (over the last axis), Dropout (same ``p``, its own random masks),
    BatchNorm → ``nn.BatchNorm1d`` (γ, β and running statistics copied). The copy is independent:
    training one model does not change the other. The torch model is in training or evaluation mode
    like ``net``; ``dtype`` (float32 or float64) defaults to the model's own.
    """
    torch = _import_torch("to_torch")
    tdtype = _torch_dtype(torch, dtype, net)
    tnet = torch.nn.Sequential(*(_torch_layer(torch, layer, tdtype) for layer in net.layers))
    result = tnet.load_state_dict(state_dict_to_torch(net, dtype=dtype), strict=False)
    # torch's BatchNorm1d counts its batches; that counter has no counterpart here
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:  # pragma: no cover - the layer map above prevents it
        raise RuntimeError(f"to_torch: keys missing {missing}, unexpected {result.unexpected_keys}")
    tnet.train(net.training)
    return tnet


# --------------------------------------------------------------------------- TensorFlow / Keras

#: the install command named in the errors (the CPU build; CI pins ``tensorflow-cpu==2.21.0``;
#: ``tensorflow-cpu`` has no macOS wheels, there the ordinary ``tensorflow`` package is the CPU build)
TENSORFLOW_INSTALL = "pip install tensorflow-cpu (on macOS: pip install tensorflow)"


def import_tensorflow(caller: str = "import_tensorflow") -> Any:
    """``import tensorflow`` quietly, or an ImportError that names ``caller`` and the install command.

    Before the first import it sets (unless already set) ``TF_CPP_MIN_LOG_LEVEL=2``, which hides
    TensorFlow's C++ info and warning lines, and ``TF_ENABLE_ONEDNN_OPTS=0``, which turns off the
    oneDNN kernels (they announce themselves on stderr and may sum in a CPU-dependent order). Both
    are read once, when TensorFlow loads, so they must be set before ``import tensorflow``.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
    except ImportError as e:
        raise ImportError(
            f"backprop_lab.interop.{caller} needs TensorFlow: {TENSORFLOW_INSTALL} "
            "(or pip install -e \".[tensorflow]\")"
        ) from e
    return tf


def _keras_layer(keras: Any, index: int, layer: Layer, dtype: str) -> Any:
    """The Keras layer for ``net.layers[index]``, named after its index: ``"dense_0"``, ``"tanh_1"``."""
    kl = keras.layers
    if isinstance(layer, Linear):
        return kl.Dense(layer.n_out, dtype=dtype, name=f"dense_{index}")
    if isinstance(layer, LeakyReLU):
        # not kl.LeakyReLU: TensorFlow's leaky_relu op keeps its slope as a float32 attribute
        # (0.01 becomes 0.0099999998), which would cost float64 copies eight digits
        alpha = layer.alpha

        def leaky_relu(Z: Any) -> Any:
            return keras.ops.where(Z > 0, Z, alpha * Z)

        return kl.Activation(leaky_relu, dtype=dtype, name=f"leaky_relu_{index}")
    if isinstance(layer, Dropout):  # same p; Keras draws its own masks
        return kl.Dropout(layer.p, dtype=dtype, name=f"dropout_{index}")
    simple = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid", Softmax: "softmax"}
    if type(layer) in simple:
        name = simple[type(layer)]
        return kl.Activation(name, dtype=dtype, name=f"{name}_{index}")
    raise TypeError(
        f"to_keras: no Keras counterpart for {layer.where()} "
        "(supported: Linear, ReLU, Tanh, Sigmoid, LeakyReLU, Softmax, Dropout)"
    )


def to_keras(net: Sequential, n_in: int | None = None,
             dtype: np.dtype | type | None = None) -> keras.Sequential:
    """A ``keras.Sequential`` with the layers of ``net`` and a copy of its weights.

    Linear → ``keras.layers.Dense`` with ``kernel = W.T`` (Keras: ``(n_in, n_out)``, ours
    ``(n_out, n_in)``) and ``bias = b``; ReLU, Tanh, Sigmoid, Softmax → ``Activation``; LeakyReLU →
    an ``Activation`` computing ``where(Z > 0, Z, α·Z)`` in the model's dtype (Keras's own
    ``LeakyReLU`` rounds α to float32); Dropout → ``Dropout`` (same ``p``, its own masks).
    BatchNorm is not translated (TypeError). Keras layer ``i`` is named after ``net.layers[i]``, so
    our ``"0.W"`` is the variable ``"dense_0/kernel"`` (transposed) and ``"0.b"`` is
    ``"dense_0/bias"``. ``n_in`` (the input width) defaults to the first Linear's; ``dtype``
    (float32 or float64) to the model's own. The copy is independent of ``net``. Call the model
    with ``training=True`` for dropout, as Keras does. Compute the loss in the same dtype (Keras
    losses default to float32: pass ``dtype="float64"``).
    """
    import_tensorflow("to_keras")
    import keras

    dtype = np.dtype(dtype if dtype is not None else (net.dtype or np.float64))
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"to_keras: dtype must be float32 or float64, got {dtype}")
    if n_in is None:
        first = next((layer for layer in net.layers if isinstance(layer, Linear)), None)
        if first is None:
            raise ValueError("to_keras: net has no Linear layer; pass n_in (the input width)")
        n_in = first.n_in
    kdtype = dtype.name
    kmodel = keras.Sequential(
        [keras.Input((int(n_in),), dtype=kdtype)]
        + [_keras_layer(keras, i, layer, kdtype) for i, layer in enumerate(net.layers)],
        name="to_keras",
    )
    for layer, klayer in zip(net.layers, kmodel.layers, strict=True):
        if isinstance(layer, Linear):
            klayer.set_weights([layer.W.T.astype(dtype), layer.b.astype(dtype)])
    return kmodel
