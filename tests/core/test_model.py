"""Sequential (backprop_lab.model): the public contract, gradient checks of whole networks
(including one that must fail), PyTorch autograd, modes, summary, saving and loading, dtypes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from _tolerance import assert_within, gamma, matmul_bound, network_envelope
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lab.gradcheck import check_model
from backprop_lab.layers import BatchNorm, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from backprop_lab.losses import MSE, SoftmaxCrossEntropy
from backprop_lab.model import Sequential, WeightsError, mlp

TOL = 1e-7


# --------------------------------------------------------------------------- public contract


def test_public_contract_from_design():
    n_in, n_out, k, batch = 6, 5, 3, 4
    lin = Linear(n_in, n_out, rng=np.random.default_rng(0), dtype=np.float64)
    assert lin.W.shape == (n_out, n_in)
    assert lin.b.shape == (n_out,)
    net = Sequential(lin, Tanh(), Linear(n_out, k, rng=np.random.default_rng(1)))
    X = np.random.default_rng(2).normal(size=(batch, n_in))
    y = np.array([0, 2, 1, 2])
    out = net.forward(X)
    assert out.shape == (batch, k)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(out, y)
    # mean over the batch, written out: −(1/m) Σ log softmax(out)[y]
    logp = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
    # log-softmax of k = 3 (4k + 8 roundings) and a mean of 4 nonnegative terms: ≤ 2·γ₂₄ relative
    assert value == pytest.approx(-logp[np.arange(batch), y].mean(), rel=2 * gamma(24))
    dX = net.backward(loss.backward())
    assert dX.shape == X.shape
    for layer in (net[0], net[2]):
        assert layer.dW.shape == layer.W.shape and layer.db.shape == layer.b.shape
        assert np.any(layer.dW != 0) and np.any(layer.db != 0)
    # the last layer's gradients by hand: dW = Δᵀ A_prev, db = Σ Δ with Δ = (softmax − onehot)/m
    A1 = np.tanh(X @ lin.W.T + lin.b)
    Delta = (np.exp(logp) - np.eye(k)[y]) / batch
    # tolerances from rounding-error analysis (tests/_tolerance.py): A1 is a 6-term sum, + b,
    # then tanh (|tanh'| ≤ 1), off by ≤ 2·γ₈·(|X||W|ᵀ + |b|) between two implementations; Δ's
    # entries are probabilities (≤ 1) minus 0/1 over m, ≤ 2k + 8 roundings: off by ≤ 2·γ₁₄/m;
    # dW = ΔᵀA1 adds a 4-term sum's rounding; db sums 4 entries of Δ
    dA1 = 2 * gamma(n_in + 2) * (np.abs(X) @ np.abs(lin.W.T) + np.abs(lin.b))
    dDelta = 2 * gamma(2 * k + 8) / batch
    dW_bound = (matmul_bound(Delta.T, A1) + np.abs(Delta.T) @ dA1
                + dDelta * np.abs(A1).sum(axis=0))
    assert_within(net[2].dW, Delta.T @ A1, dW_bound, "dW of the last layer")
    assert_within(net[2].db, Delta.sum(0), 2 * gamma(batch) * np.abs(Delta).sum(0) + batch * dDelta,
                  "db of the last layer")


def test_public_contract_mse_and_other_activations():
    rng = np.random.default_rng(3)
    net = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 4, rng=rng), Sigmoid(),
                     Linear(4, 2, rng=rng))
    X, T = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    out = net.forward(X)
    value = MSE().forward(out, T)
    # mean over all 10 elements of a square (positive terms): ≤ 2·γ₁₂ relative
    assert value == pytest.approx(np.mean((out - T) ** 2), rel=2 * gamma(12))  # mean over all elements


# --------------------------------------------------------------------------- gradient checks


def every_layer_net(rng, batch, n_in=5, k=3):
    """Linear, BatchNorm, Tanh, Sigmoid, Dropout (fixed mask), ReLU, LeakyReLU in one network."""
    net = Sequential(
        Linear(n_in, 8, rng=rng), BatchNorm(8), Tanh(),
        Linear(8, 7, rng=rng), Sigmoid(), Dropout(0.3, rng=rng),
        Linear(7, 6, rng=rng), ReLU(),
        Linear(6, 6, rng=rng), LeakyReLU(0.1),
        Linear(6, k, rng=rng),
    )
    for layer in net.layers:
        if isinstance(layer, Linear):
            layer.b[:] = rng.normal(scale=0.5, size=layer.b.shape)
    net[1].gamma[:] = rng.uniform(0.5, 2.0, 8)
    net[1].beta[:] = rng.normal(size=8)
    net[5].fixed_mask = (rng.random((batch, 7)) >= 0.3) / 0.7
    return net


def preactivations_away_from_kinks(net, X, gap=1e-3):
    A = X
    for layer in net.layers:
        if isinstance(layer, (ReLU, LeakyReLU)) and np.abs(A).min() < gap:
            return False
        A = layer.forward(A)
    return True


def test_check_model_every_layer_type():
    rng = np.random.default_rng(5)
    net = every_layer_net(rng, batch=10)
    X = rng.normal(size=(10, 5))
    y = rng.integers(0, 3, size=10)
    assert preactivations_away_from_kinks(net, X)
    before = net.state_dict()
    report = check_model(net, SoftmaxCrossEntropy(), X, y)
    assert report.ok, "\n" + str(report)
    assert report.max_rel_error < TOL, "\n" + str(report)
    names = [r.name for r in report.rows]
    assert names == [p.name for p in net.parameters()] + ["input X"]
    assert {"0.W", "0.b", "1.gamma", "1.beta", "10.W", "10.b"} <= set(names)
    # the check restores running statistics it changed along the way
    for key, value in before.items():
        np.testing.assert_array_equal(net.state_dict()[key], value)


def test_check_model_with_mse():
    rng = np.random.default_rng(5)
    net = Sequential(Linear(3, 6, rng=rng), Tanh(), Linear(6, 2, rng=rng))
    X, T = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    report = check_model(net, MSE(), X, T)
    assert report.ok and report.max_rel_error < TOL, "\n" + str(report)


@pytest.mark.parametrize("how", ["scaled", "transposed", "bias"])
def test_check_model_fails_on_a_broken_backward(how, monkeypatch):
    """The checker must be able to fail, and must name the wrong parameter."""
    rng = np.random.default_rng(6)
    net = every_layer_net(rng, batch=8)
    X = rng.normal(size=(8, 5))
    y = rng.integers(0, 3, size=8)
    lin = net[8]  # Linear(6→6): square, so a transposed dW has the right shape
    original = lin.backward

    def broken(dZ, input_grad=True):
        out = original(dZ, input_grad)
        if how == "scaled":
            lin.dW *= 1.5
        elif how == "transposed":
            lin.dW[...] = lin.dW.T.copy()
        else:
            lin.db += 0.1
        return out

    monkeypatch.setattr(lin, "backward", broken)
    report = check_model(net, SoftmaxCrossEntropy(), X, y)
    assert not report.ok
    wrong = "8.b" if how == "bias" else "8.W"
    assert [r.name for r in report.failures()] == [wrong]
    assert re.search(rf"{re.escape(wrong)}\s.*NO", str(report))
    with pytest.raises(AssertionError, match=re.escape(wrong)):
        report.assert_ok()


def test_check_model_insists_on_float64():
    net = mlp([2, 3, 2], rng=np.random.default_rng(0), dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_model(net, SoftmaxCrossEntropy(), np.ones((2, 2), np.float32), np.array([0, 1]))


# --------------------------------------------------------------------------- PyTorch autograd


class _Mask:
    def __init__(self, torch, mask):
        self.mask = torch.from_numpy(mask)

    def __call__(self, t):
        return t * self.mask


def to_torch(net):
    """The same network in torch, weights copied (W has shape (out, in) in both)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    mods = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            m = nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.W))
                m.bias.copy_(torch.from_numpy(layer.b))
        elif isinstance(layer, BatchNorm):
            m = nn.BatchNorm1d(layer.n, eps=layer.eps, momentum=layer.momentum, dtype=torch.float64)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.gamma))
                m.bias.copy_(torch.from_numpy(layer.beta))
        elif isinstance(layer, Dropout):
            m = _Mask(torch, layer.fixed_mask)
        elif isinstance(layer, LeakyReLU):
            m = nn.LeakyReLU(layer.alpha)
        else:
            m = {ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh}[type(layer)]()
        mods.append(m)
    return torch, mods


@pytest.mark.torch
def test_whole_network_gradients_match_torch_autograd():
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    net = every_layer_net(rng, batch=12)
    X = rng.normal(size=(12, 5))
    y = rng.integers(0, 3, size=12)
    torch, mods = to_torch(net)
    Xt = torch.tensor(X, requires_grad=True)
    out_t = Xt
    for m in mods:
        out_t = m(out_t)
    loss_t = torch.nn.functional.cross_entropy(out_t, torch.from_numpy(y))
    loss_t.backward()

    loss = SoftmaxCrossEntropy()
    tol = network_envelope(net, loss, X, y)
    out = net.forward(X)
    value = loss.forward(out, y)
    dX = net.backward(loss.backward())
    assert_within(out, out_t.detach().numpy(), tol["out"], "out")
    assert_within(value, loss_t.item(), tol["loss"], "loss")
    assert_within(dX, Xt.grad.numpy(), tol["dX"], "dX")
    for i, (layer, m) in enumerate(zip(net.layers, mods, strict=True)):
        if isinstance(layer, Linear):
            pairs = [("W", m.weight), ("b", m.bias)]
        elif isinstance(layer, BatchNorm):
            pairs = [("gamma", m.weight), ("beta", m.bias)]
            for attr in ("running_mean", "running_var"):
                assert_within(getattr(layer, attr), getattr(m, attr).numpy(), tol[f"{i}.{attr}"],
                              f"{i}.{attr}")
        else:
            continue
        for attr, tparam in pairs:
            assert_within(getattr(layer, "d" + attr), tparam.grad.numpy(), tol[f"{i}.d{attr}"],
                          f"{i}.d{attr}")



# --------------------------------------------------------------------------- modes


def test_train_eval_propagate_to_every_layer():
    net = every_layer_net(np.random.default_rng(8), batch=4)
    assert net.training and all(la.training for la in net.layers)
    assert net.eval() is net
    assert not net.training and not any(la.training for la in net.layers)
    assert net.train() is net
    assert net.training and all(la.training for la in net.layers)


def test_eval_mode_behaviour():
    rng = np.random.default_rng(9)
    net = Sequential(Linear(4, 6, rng=rng), BatchNorm(6), Dropout(0.5, rng=rng), Linear(6, 2, rng=rng))
    X = rng.normal(size=(5, 4))
    net.forward(X)  # training: updates running statistics
    stats = net[1].running_mean.copy()
    net.eval()
    a, b = net.forward(X), net.forward(X)
    np.testing.assert_array_equal(a, b)  # no dropout, running statistics fixed
    np.testing.assert_array_equal(net[1].running_mean, stats)
    assert net.forward(X[:1]).shape == (1, 2)  # a batch of one is fine in eval mode


def test_predict_uses_eval_mode_and_restores_it():
    rng = np.random.default_rng(10)
    net = Sequential(Linear(3, 4, rng=rng), Dropout(0.5, rng=rng), Linear(4, 2, rng=rng))
    X = rng.normal(size=(7, 3))
    p = net.predict(X, batch_size=3)
    assert net.training
    net.eval()
    # the same rows through the same layers in batches of 3: the products may be summed in
    # another order (BLAS kernels for other shapes): the running-error envelope of the pass
    assert_within(p, net.forward(X), network_envelope(net, MSE(), X, np.zeros((7, 2)))["out"],
                  "predict in batches of 3")
    net.predict(X)
    assert not net.training


# --------------------------------------------------------------------------- summary, parameters


def test_summary_of_the_mnist_mlp():
    net = mlp([784, 256, 128, 10], rng=np.random.default_rng(0))
    expected_total = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert expected_total == 235_146
    assert net.num_parameters() == expected_total
    s = net.summary()
    assert f"{expected_total:,}" in s
    for name in ("Linear(784→256)", "Linear(256→128)", "Linear(128→10)", "ReLU()"):
        assert name in s
    for shape in ("(batch, 256)", "(batch, 128)", "(batch, 10)"):
        assert shape in s
    for count in (784 * 256 + 256, 256 * 128 + 128, 128 * 10 + 10):
        assert f"{count:,}" in s
    assert "float64" in s


def test_parameters_are_named_and_zero_grad():
    rng = np.random.default_rng(11)
    net = Sequential(Linear(2, 3, rng=rng), BatchNorm(3), ReLU(), Linear(3, 2, rng=rng))
    assert [p.name for p in net.parameters()] == ["0.W", "0.b", "1.gamma", "1.beta", "3.W", "3.b"]
    X = rng.normal(size=(4, 2))
    loss = SoftmaxCrossEntropy()
    loss.forward(net.forward(X), np.array([0, 1, 1, 0]))
    net.backward(loss.backward())
    assert any(np.any(p.grad != 0) for p in net.parameters())
    net.zero_grad()
    assert all(np.all(p.grad == 0) for p in net.parameters())


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(Linear(2, 2), "relu")


# --------------------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(12)
    net = Sequential(Linear(3, 5, rng=rng), BatchNorm(5), Tanh(), Linear(5, 2, rng=rng))
    net.forward(rng.normal(size=(6, 3)))  # non-trivial running statistics
    path = net.save(tmp_path / "weights.npz")
    assert path.exists() and path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as f:  # plain arrays, no pickles
        assert {"0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var"} <= set(f.files)
        assert json.loads(str(f["__architecture__"])) == net.architecture()

    other = Sequential(Linear(3, 5, rng=np.random.default_rng(99)), BatchNorm(5), Tanh(),
                       Linear(5, 2, rng=np.random.default_rng(98)))
    assert other.load(path) is other
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
    X = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(net.eval().forward(X), other.eval().forward(X))


def test_save_adds_the_npz_suffix(tmp_path):
    net = mlp([2, 3, 2], rng=np.random.default_rng(0))
    path = net.save(tmp_path / "w")
    assert path.name == "w.npz" and path.exists()
    mlp([2, 3, 2], rng=np.random.default_rng(1)).load(path)


def test_load_into_another_architecture(tmp_path):
    path = mlp([3, 4, 2], rng=np.random.default_rng(0)).save(tmp_path / "w.npz")
    with pytest.raises(WeightsError) as e:
        mlp([3, 5, 2], rng=np.random.default_rng(0)).load(path)
    msg = str(e.value)
    assert "Linear(3→4)" in msg and "Linear(3→5)" in msg
    assert str(path) in msg
    assert isinstance(e.value, ValueError)
    with pytest.raises(WeightsError, match="Tanh"):
        mlp([3, 4, 2], activation="tanh", rng=np.random.default_rng(0)).load(path)


def test_load_state_dict_names_missing_and_misshapen_arrays():
    net = mlp([3, 4, 2], rng=np.random.default_rng(0))
    state = net.state_dict()
    del state["2.b"]
    with pytest.raises(WeightsError, match=re.escape("missing ['2.b']")):
        net.load_state_dict(state)
    state = net.state_dict()
    state["0.W"] = np.zeros((5, 3))
    with pytest.raises(WeightsError, match=r"0\.W.*\(5, 3\).*\(4, 3\)"):
        net.load_state_dict(state)


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "npy", "pickled"])
def test_load_corrupt_or_foreign_file(tmp_path, kind):
    good = mlp([3, 4, 2], rng=np.random.default_rng(0)).save(tmp_path / "good.npz")
    path = tmp_path / f"{kind}.npz"
    if kind == "text":
        path.write_text("these are not weights\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "npy":
        with open(path, "wb") as fh:
            np.save(fh, np.arange(5.0))
    else:  # an object array needs a pickle to load: refused
        np.savez(path, **{"0.W": np.array([{"a": 1}], dtype=object)})
    net = mlp([3, 4, 2], rng=np.random.default_rng(1))
    before = net.state_dict()
    with pytest.raises(WeightsError, match=re.escape(str(path))):
        net.load(path)
    for key, value in before.items():  # nothing was half-loaded
        np.testing.assert_array_equal(net.state_dict()[key], value)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        mlp([2, 2]).load(tmp_path / "nope.npz")


# --------------------------------------------------------------------------- dtypes


def test_astype_changes_every_array():
    rng = np.random.default_rng(13)
    net = Sequential(Linear(3, 4, rng=rng), BatchNorm(4), ReLU(), Linear(4, 2, rng=rng))
    W64 = net[0].W.copy()
    assert net.astype(np.float32) is net
    assert net.dtype == np.float32
    for layer in net.layers:
        for a in (*layer.param_names, *("d" + a for a in layer.param_names), *layer.buffer_names):
            assert getattr(layer, a).dtype == np.float32, a
    np.testing.assert_allclose(net[0].W, W64, rtol=1e-7)
    X = rng.normal(size=(5, 3)).astype(np.float32)
    out = net.forward(X)
    assert out.dtype == np.float32
    loss = SoftmaxCrossEntropy()
    loss.forward(out, np.array([0, 1, 0, 1, 1]))
    assert net.backward(loss.backward()).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="float64"):
        net.forward(X.astype(np.float64))
    net.astype(np.float64)
    assert net.dtype == np.float64


def test_mlp_builder():
    net = mlp([4, 8, 8, 3], activation="tanh", rng=np.random.default_rng(0))
    assert net.architecture() == ["Linear(4→8)", "Tanh()", "Linear(8→8)", "Tanh()", "Linear(8→3)"]
    with pytest.raises(ValueError, match="sizes"):
        mlp([4])


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    batch=st.integers(1, 5),
    activation=st.sampled_from(["tanh", "sigmoid"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_random_mlp_gradcheck(sizes, batch, activation, seed):
    rng = np.random.default_rng(seed)
    net = mlp(sizes, activation=activation, rng=rng)
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    report = check_model(net, SoftmaxCrossEntropy(), X, y)
    assert report.ok, "\n" + str(report)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 8), min_size=2, max_size=5),
    batch=st.integers(1, 6),
    activation=st.sampled_from(["relu", "leaky_relu", "tanh", "sigmoid"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_random_mlp_shapes_and_dtypes(sizes, batch, activation, dtype, seed):
    rng = np.random.default_rng(seed)
    net = mlp(sizes, activation=activation, rng=rng, dtype=dtype)
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    assert net.num_parameters() == expected
    X = rng.normal(size=(batch, sizes[0])).astype(dtype)
    out = net.forward(X)
    assert out.shape == (batch, sizes[-1]) and out.dtype == dtype
    loss = SoftmaxCrossEntropy()
    loss.forward(out, rng.integers(0, sizes[-1], size=batch))
    dX = net.backward(loss.backward())
    assert dX.shape == X.shape and dX.dtype == dtype
    for p in net.parameters():
        assert p.grad.shape == p.value.shape and p.grad.dtype == dtype
    assert net.backward(loss.backward(), input_grad=False) is None


# --------------------------------------------------------------------------- one flat parameter


def test_flatten_parameters_makes_views_and_keeps_values():
    rng = np.random.default_rng(14)
    net = Sequential(Linear(3, 4, rng=rng), BatchNorm(4), ReLU(), Linear(4, 2, rng=rng))
    before = {p.name: p.value.copy() for p in net.parameters()}
    flat_param = net.flatten_parameters()
    assert flat_param.value.shape == (net.num_parameters(),)
    np.testing.assert_array_equal(
        flat_param.value, np.concatenate([before[k].ravel() for k in before])
    )
    for p in net.parameters():
        np.testing.assert_array_equal(p.value, before[p.name])
        assert np.shares_memory(p.value, net.flat) and np.shares_memory(p.grad, net.dflat)
    net.flat[0] = 42.0
    assert net[0].W[0, 0] == 42.0
    # backward writes the gradients straight into the flat gradient
    X = rng.normal(size=(5, 3))
    loss = SoftmaxCrossEntropy()
    loss.forward(net.forward(X), np.array([0, 1, 1, 0, 1]))
    net.backward(loss.backward())
    np.testing.assert_array_equal(
        flat_param.grad, np.concatenate([p.grad.ravel() for p in net.parameters()])
    )
    assert np.any(flat_param.grad != 0)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_training_with_one_flat_parameter_equals_per_layer_parameters(opt_name, tmp_path):
    from backprop_lab.optim import make_optimizer
    from backprop_lab.train import fit

    rng = np.random.default_rng(15)
    X = rng.normal(size=(64, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    nets = [mlp([4, 8, 2], rng=np.random.default_rng(16)) for _ in range(2)]
    for flat, net in zip((False, True), nets, strict=True):
        params = [net.flatten_parameters()] if flat else net.parameters()
        fit(net, SoftmaxCrossEntropy(), make_optimizer(opt_name, params, lr=0.01), X, y,
            epochs=3, batch_size=16, seed=0)
    for p, q in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        # the same steps on the same numbers; only the products' summation order may differ
        # (one flat array vs per-layer arrays: other strides). As in test_lesson_06_modules: a
        # pass is ≤ 2·γ₉ (fan-in ≤ 8, + bias) × Σ|terms| ≤ 100·max(1, |w|) apart, and 3 epochs ×
        # 4 batches = 12 steps with lr 0.01 add those up at most linearly
        tol = 12 * 2 * gamma(9) * 100
        np.testing.assert_allclose(p.value, q.value, rtol=tol, atol=tol, err_msg=p.name)
    # a flattened model saves, loads and converts like any other
    path = nets[1].save(tmp_path / "flat.npz")
    other = mlp([4, 8, 2], rng=np.random.default_rng(17)).load(path)
    np.testing.assert_array_equal(other.forward(X), nets[1].forward(X))
    nets[1].astype(np.float32)
    assert all(p.value.dtype == np.float32 for p in nets[1].parameters())
