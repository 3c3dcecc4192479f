"""backprop_lab.interop: a model copied to PyTorch computes the same numbers; no torch, clear error.

The tests that use PyTorch are skipped when it is not installed; the import-without-torch test
always runs (it hides torch in a subprocess).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from backprop_lab.interop import torch_key
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
from backprop_lab.model import Sequential, mlp


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def test_module_imports_without_torch_and_names_the_install_command():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # import torch now raises ImportError\n"
        "import numpy as np\n"
        "from backprop_lab.interop import state_dict_to_torch, to_torch\n"
        "from backprop_lab.model import mlp\n"
        "net = mlp([2, 3, 1], rng=np.random.default_rng(0))\n"
        "for fn in (to_torch, state_dict_to_torch):\n"
        "    try:\n"
        "        fn(net)\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stdout + out.stderr
    assert "to_torch needs PyTorch: pip install torch" in lines[0]
    assert "state_dict_to_torch needs PyTorch: pip install torch" in lines[1]


def test_module_imports_without_tensorflow_and_names_the_install_command():
    code = (
        "import os, sys\n"
        "sys.modules['tensorflow'] = None  # import tensorflow now raises ImportError\n"
        "os.environ.pop('TF_CPP_MIN_LOG_LEVEL', None)\n"
        "import numpy as np\n"
        "from backprop_lab.interop import import_tensorflow, to_keras\n"
        "from backprop_lab.model import mlp\n"
        "net = mlp([2, 3, 1], rng=np.random.default_rng(0))\n"
        "for call in (lambda: to_keras(net), import_tensorflow):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stdout + out.stderr
    assert "to_keras needs TensorFlow: pip install tensorflow-cpu" in lines[0]
    assert "import_tensorflow needs TensorFlow: pip install tensorflow-cpu" in lines[1]
    assert lines[2] == "2"  # the log level is set before the import is attempted


def test_torch_key_renames_per_layer_type():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(2, 3, rng=rng), BatchNorm(3), ReLU(), Linear(3, 1, rng=rng))
    names = {k: torch_key(net, k) for k in net.state_dict()}
    assert names == {"0.W": "0.weight", "0.b": "0.bias", "1.gamma": "1.weight",
                     "1.beta": "1.bias", "1.running_mean": "1.running_mean",
                     "1.running_var": "1.running_var", "3.W": "3.weight", "3.b": "3.bias"}


def test_state_dict_to_torch_copies_with_torch_names_and_shapes():
    torch = _torch()
    from backprop_lab.interop import state_dict_to_torch

    net = mlp([4, 5, 3], activation="relu", rng=np.random.default_rng(1))
    state = state_dict_to_torch(net)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert tuple(state["0.weight"].shape) == net[0].W.shape == (5, 4)  # (out, in) in both
    assert state["0.weight"].dtype == torch.float64
    np.testing.assert_array_equal(state["2.weight"].numpy(), net[2].W)
    state["0.weight"][0, 0] = 123.0  # a copy: the model is untouched
    assert net[0].W[0, 0] != 123.0
    assert state_dict_to_torch(net, dtype=np.float32)["0.bias"].dtype == torch.float32


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_to_torch_same_weights_outputs_and_gradients(activation):
    torch = _torch()
    from backprop_lab.interop import to_torch
    from backprop_lab.losses import SoftmaxCrossEntropy

    rng = np.random.default_rng(2)
    net = mlp([3, 7, 6, 4], activation=activation, rng=rng)
    tnet = to_torch(net)
    assert isinstance(tnet, torch.nn.Sequential) and len(tnet) == len(net)
    for (name, w), (tname, tw) in zip(net.named_parameters(), tnet.named_parameters(), strict=True):
        assert torch_key(net, name) == tname
        assert tw.dtype == torch.float64
        np.testing.assert_array_equal(w, tw.detach().numpy())

    X, y = rng.standard_normal((9, 3)), rng.integers(0, 4, 9)
    loss = SoftmaxCrossEntropy()
    out = net.forward(X)
    loss.forward(out, y)
    net.backward(loss.backward())
    t_out = tnet(torch.from_numpy(X))
    torch.nn.functional.cross_entropy(t_out, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=1e-12)
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=0, atol=1e-12, err_msg=p.name)


def test_to_torch_copy_is_independent():
    torch = _torch()
    from backprop_lab.interop import to_torch

    net = mlp([2, 3, 2], rng=np.random.default_rng(3))
    before = net[0].W.copy()
    tnet = to_torch(net)
    with torch.no_grad():
        tnet[0].weight += 1.0
    np.testing.assert_array_equal(net[0].W, before)
    net[0].W[...] = 0.0
    assert float(tnet[0].weight.detach().abs().min()) > 0


def test_to_torch_every_layer_type_train_and_eval():
    torch = _torch()
    from backprop_lab.interop import to_torch

    rng = np.random.default_rng(4)
    net = Sequential(Linear(4, 6, rng=rng), BatchNorm(6), LeakyReLU(0.1), Linear(6, 5, rng=rng),
                     Tanh(), Dropout(0.0), Linear(5, 3, rng=rng), Sigmoid(), Linear(3, 3, rng=rng),
                     Softmax())
    net[1].gamma[...] = rng.uniform(0.5, 2, 6)
    net[1].beta[...] = rng.standard_normal(6)
    net[1].running_mean[...] = rng.standard_normal(6)
    net[1].running_var[...] = rng.uniform(0.5, 2, 6)
    X = rng.standard_normal((8, 4))
    for mode in ("train", "eval"):
        getattr(net, mode)()
        tnet = to_torch(net)
        assert tnet.training == (mode == "train")
        np.testing.assert_allclose(net.forward(X), tnet(torch.from_numpy(X)).detach().numpy(),
                                   rtol=0, atol=1e-12, err_msg=mode)
    np.testing.assert_allclose(tnet[1].running_var.numpy(), net[1].running_var, rtol=1e-15)


def test_to_torch_float32_model():
    torch = _torch()
    from backprop_lab.interop import to_torch

    net = mlp([3, 4, 2], rng=np.random.default_rng(5), dtype=np.float32)
    tnet = to_torch(net)
    assert tnet[0].weight.dtype == torch.float32
    X = np.random.default_rng(6).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(net.forward(X), tnet(torch.from_numpy(X)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert to_torch(net, dtype=np.float64)[0].weight.dtype == torch.float64


def test_to_torch_unknown_layer_is_named():
    _torch()
    from backprop_lab.interop import to_torch

    class Square(Layer):
        def forward(self, X):
            return X**2

    net = Sequential(Linear(2, 2, rng=np.random.default_rng(7)), Square())
    with pytest.raises(TypeError, match="no PyTorch counterpart for layer 1, Square"):
        to_torch(net)
    with pytest.raises(ValueError, match="float32 or float64"):
        to_torch(net, dtype=np.int64)
