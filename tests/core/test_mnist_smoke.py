"""MNIST: a fast smoke test of the library MLP, and the full CLI default run (marked slow).

The slow test runs by default (it takes well under a minute); deselect it with ``-m "not slow"``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import Adam
from backprop_lab.train import fit


@pytest.fixture(scope="module")
def mnist():
    from backprop_lab.data import load_mnist

    return load_mnist()


def test_mnist_data_as_the_smoke_test_needs_it(mnist):
    assert mnist.X_train.dtype == np.float32 and mnist.X_train.shape == (60_000, 784)
    assert mnist.X_test.shape == (10_000, 784)
    assert 0.0 <= mnist.X_train.min() and mnist.X_train.max() <= 1.0
    assert set(np.unique(mnist.y_test)) == set(range(10))


def test_mlp_on_a_5000_image_subset(mnist):
    X, y = mnist.X_train[:5000], mnist.y_train[:5000]
    X_test, y_test = mnist.X_test[:2000], mnist.y_test[:2000]
    net = mlp([784, 256, 128, 10], rng=np.random.default_rng(0), dtype=np.float32)
    h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=1e-3), X, y,
            epochs=2, batch_size=64, seed=0)
    assert h.train_loss[1] < h.train_loss[0]
    out = net.predict(X_test)
    assert out.dtype == np.float32
    accuracy = float(np.mean(out.argmax(axis=1) == y_test))
    assert accuracy > 0.85, f"test accuracy {accuracy:.4f}"


@pytest.mark.slow
def test_cli_defaults_reach_98_percent(capsys):
    from backprop_lab.cli import main

    assert main(["train", "--no-progress"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"test accuracy: (0\.\d{4})", last)
    assert m, f"last line is {last!r}"
    assert "784 → 256 → 128 → 10" in out
    assert float(m.group(1)) >= 0.98, out
