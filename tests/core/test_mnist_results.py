"""backprop_lab.mnist_results: the numbers lessons 07 and 12 share, and the networks behind them."""

import numpy as np
import pytest

from backprop_lab.layers import Linear, ReLU, Sigmoid
from backprop_lab.mnist_results import (
    ABLATION_GRID,
    ABLATION_LR,
    MAIN_NET_SEED_ACCURACIES,
    MAIN_NET_TEST_ACCURACY,
    ablation_net,
)


def test_accepted_range_contains_every_measured_seed_with_margin():
    low, high = MAIN_NET_TEST_ACCURACY
    accs = np.array(MAIN_NET_SEED_ACCURACIES)
    assert len(accs) >= 5
    assert low >= 0.97 and high <= 0.99 and low < high  # a range, not a rubber stamp
    sd = accs.std(ddof=1)
    # the bounds sit at least 4 seed standard deviations outside the measured mean
    assert accs.mean() - low >= 4 * sd and high - accs.mean() >= 4 * sd


def test_every_tuned_rate_is_an_inner_point_of_its_grid():
    assert set(ABLATION_LR) == set(ABLATION_GRID) == {"A", "B", "C", "D", "E"}
    for row, lr in ABLATION_LR.items():
        grid = ABLATION_GRID[row]
        assert lr in grid, row
        # a best rate at the top of the grid would mean the grid stopped too early
        assert lr < max(grid), row


@pytest.mark.parametrize(("hidden", "output", "act", "n_layers"), [
    ("sigmoid", "sigmoid", Sigmoid, 4),
    ("sigmoid", "logits", Sigmoid, 3),
    ("relu", "logits", ReLU, 3),
])
def test_ablation_net_layers_shapes_and_seed(hidden, output, act, n_layers):
    net = ablation_net(hidden, output, seed=0)
    assert len(net.layers) == n_layers
    assert isinstance(net.layers[0], Linear) and isinstance(net.layers[1], act)
    assert net.layers[0].W.shape == (64, 784) and net.layers[2].W.shape == (10, 64)
    assert net.layers[0].W.dtype == np.float32
    out = net.forward(np.zeros((3, 784), dtype=np.float32))
    assert out.shape == (3, 10)
    if output == "sigmoid":
        assert isinstance(net.layers[3], Sigmoid) and np.all((out > 0) & (out < 1))
    again, other = ablation_net(hidden, output, seed=0), ablation_net(hidden, output, seed=1)
    assert np.array_equal(net.layers[0].W, again.layers[0].W)
    assert not np.array_equal(net.layers[0].W, other.layers[0].W)


def test_he_for_relu_xavier_for_sigmoid():
    # He-normal: Var W = 2/784; Xavier-uniform for 784→64: Var W = 2/(784+64)
    w_relu = ablation_net("relu", "logits").layers[0].W
    w_sig = ablation_net("sigmoid", "logits").layers[0].W
    assert w_relu.var() == pytest.approx(2 / 784, rel=0.05)
    assert w_sig.var() == pytest.approx(2 / (784 + 64), rel=0.05)


@pytest.mark.parametrize(("hidden", "output", "bad"), [
    ("tanh", "logits", "hidden"), ("relu", "softmax", "output"),
])
def test_ablation_net_rejects_unknown_choices(hidden, output, bad):
    with pytest.raises(ValueError, match=f"ablation_net: {bad} must be"):
        ablation_net(hidden, output)
