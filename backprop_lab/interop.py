"""Moving a model from backprop_lab to PyTorch (lesson 11).

    from backprop_lab.interop import to_torch
    tnet = to_torch(net)            # torch.nn.Sequential with the same layers and a copy of the weights
    tnet(torch.from_numpy(X))       # the same outputs as net.forward(X)

Both libraries store a fully connected layer's weight as an ``(n_out, n_in)`` matrix and compute
``Z = A_prev @ W.T + b``, and both number the layers of a ``Sequential`` (activations included) from
0, so a model moves across by renaming its ``state_dict`` keys: ``"0.W"`` → ``"0.weight"``,
``"0.b"`` → ``"0.bias"`` (BatchNorm: ``gamma`` → ``weight``, ``beta`` → ``bias``; the running
statistics keep their names). No transpose is needed.

PyTorch is optional: this module imports without it, and the functions raise an ``ImportError``
that says how to install it.
"""

from __future__ import annotations

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
    import torch

__all__ = ["TORCH_NAMES", "state_dict_to_torch", "to_torch", "torch_key"]

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
