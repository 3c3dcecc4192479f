"""Lesson 11 outside the notebook: backprop_lab and PyTorch compute the same numbers.

Random MLPs in float64 (several activations and losses): outputs, loss, every parameter gradient
and the input gradient agree with ``torch.autograd`` to 1e-12; every optimizer takes the same 50
steps as its ``torch.optim`` counterpart. The torch copy of a model comes from
:func:`backprop_lab.interop.to_torch`, the helper the lesson uses. Skipped when torch is not
installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop_lab.interop import to_torch, torch_key  # noqa: E402
from backprop_lab.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy  # noqa: E402
from backprop_lab.model import mlp  # noqa: E402
from backprop_lab.optim import (  # noqa: E402
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Momentum,
    Nesterov,
    RMSprop,
    clip_grad_norm,
)
from backprop_lab.parameter import Point  # noqa: E402

pytestmark = pytest.mark.torch
torch.set_num_threads(1)


def _problem(loss_name: str, rng: np.random.Generator, m: int, k: int):
    """(our loss, torch loss, width of the output, target, torch target) for ``loss_name``."""
    if loss_name == "softmax_ce":
        y = rng.integers(0, k, m)
        return SoftmaxCrossEntropy(), torch.nn.CrossEntropyLoss(), k, y, torch.from_numpy(y)
    if loss_name == "bce_logits":
        y = (rng.random((m, 1)) < 0.5).astype(np.float64)
        return BCEWithLogits(), torch.nn.BCEWithLogitsLoss(), 1, y, torch.from_numpy(y)
    y = rng.standard_normal((m, k))
    return MSE(), torch.nn.MSELoss(), k, y, torch.from_numpy(y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("loss_name", ["softmax_ce", "bce_logits", "mse"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_gradients_equal_torch(activation: str, loss_name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n_in, k = int(rng.integers(1, 40)), int(rng.integers(1, 8)), int(rng.integers(2, 6))
    hidden = [int(h) for h in rng.integers(1, 20, size=int(rng.integers(1, 4)))]
    loss, t_loss, n_out, target, t_target = _problem(loss_name, rng, m, k)
    net = mlp([n_in, *hidden, n_out], activation=activation, rng=rng, dtype=np.float64)
    tnet = to_torch(net)
    X = rng.standard_normal((m, n_in))
    Xt = torch.from_numpy(X.copy()).requires_grad_(True)

    out = net.forward(X)
    value = loss.forward(out, target)
    dX = net.backward(loss.backward())
    t_out = tnet(Xt)
    t_value = t_loss(t_out, t_target)
    t_value.backward()

    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=1e-12)
    assert abs(value - t_value.item()) < 1e-12
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=0, atol=1e-12)
    pairs = list(zip(net.parameters(), tnet.named_parameters(), strict=True))
    for p, (tname, tp) in pairs:
        assert torch_key(net, p.name) == tname
        assert p.grad.shape == tuple(tp.grad.shape)
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=0, atol=1e-12, err_msg=p.name)


Factory = Callable[[list], object]
OPTIMIZERS: dict[str, tuple[Factory, Factory]] = {
    "sgd": (lambda p: SGD(p, lr=0.3), lambda p: torch.optim.SGD(p, lr=0.3)),
    "sgd_wd": (lambda p: SGD(p, lr=0.3, weight_decay=0.01),
               lambda p: torch.optim.SGD(p, lr=0.3, weight_decay=0.01)),
    "momentum": (lambda p: Momentum(p, lr=0.05, beta=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "nesterov": (lambda p: Nesterov(p, lr=0.05, beta=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    "adagrad": (lambda p: Adagrad(p, lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    "rmsprop": (lambda p: RMSprop(p, lr=0.01), lambda p: torch.optim.RMSprop(p, lr=0.01)),
    "rmsprop_alpha": (lambda p: RMSprop(p, lr=0.003, alpha=0.9, eps=1e-6),
                      lambda p: torch.optim.RMSprop(p, lr=0.003, alpha=0.9, eps=1e-6)),
    "adadelta": (lambda p: Adadelta(p, lr=1.0), lambda p: torch.optim.Adadelta(p, lr=1.0)),
    "adam": (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_wd": (lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01),
                lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_trajectories_equal_torch(name: str) -> None:
    make_ours, make_torch = OPTIMIZERS[name]
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((48, 3)), rng.integers(0, 4, 48)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    net = mlp([3, 12, 12, 4], activation="tanh", rng=rng)
    tnet = to_torch(net)
    opt, t_opt = make_ours(net.parameters()), make_torch(list(tnet.parameters()))
    loss, t_loss = SoftmaxCrossEntropy(), torch.nn.CrossEntropyLoss()
    for step in range(50):
        batch = slice(16 * (step % 3), 16 * (step % 3) + 16)  # cycle through 3 mini-batches
        opt.zero_grad()
        value = loss.forward(net.forward(X[batch]), y[batch])
        net.backward(loss.backward())
        opt.step()
        t_opt.zero_grad()
        t_value = t_loss(tnet(Xt[batch]), yt[batch])
        t_value.backward()
        t_opt.step()
        assert abs(value - t_value.item()) < 1e-10
        gap = max(np.abs(p.value - tp.detach().numpy()).max()
                  for p, tp in zip(net.parameters(), tnet.parameters(), strict=True))
        assert gap < 1e-10, f"{name}: weights differ by {gap:.2e} after step {step + 1}"


def test_momentum_with_changing_lr_follows_torch_not_the_classic_form() -> None:
    A, w0, beta = np.array([1.0, 10.0]), np.array([-4.0, 2.0]), 0.9
    lrs = [0.05] * 20 + [0.005] * 20

    point = Point(w0)
    opt = Momentum([point.param], lr=lrs[0], beta=beta)
    w = torch.tensor(w0, requires_grad=True)
    t_opt = torch.optim.SGD([w], lr=lrs[0], momentum=beta)
    wc, vc = w0.copy(), np.zeros(2)  # classic: v ← βv − αg, w ← w + v
    classic_gap = []
    for lr in lrs:
        opt.lr = lr
        point.dvalue[...] = A * point.value
        opt.step()
        t_opt.param_groups[0]["lr"] = lr
        t_opt.zero_grad()
        (0.5 * (torch.from_numpy(A) * w * w).sum()).backward()
        t_opt.step()
        vc = beta * vc - lr * (A * wc)
        wc = wc + vc
        np.testing.assert_allclose(point.value, w.detach().numpy(), rtol=0, atol=1e-12)
        classic_gap.append(np.abs(wc - point.value).max())
    assert max(classic_gap[:20]) < 1e-12  # same algorithm while the rate is constant
    assert max(classic_gap[20:]) > 0.1  # different once it changes


def test_clip_grad_norm_differs_from_torch_by_the_1e6() -> None:
    rng = np.random.default_rng(0)
    net = mlp([5, 7, 3], activation="relu", rng=rng)
    for p in net.parameters():
        p.grad[...] = rng.standard_normal(p.grad.shape)
    tnet = to_torch(net)
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        tp.grad = torch.from_numpy(p.grad.copy())
    max_norm = 0.5
    norm = clip_grad_norm(net.parameters(), max_norm)
    t_norm = torch.nn.utils.clip_grad_norm_(tnet.parameters(), max_norm).item()
    assert abs(norm - t_norm) < 1e-12
    ours = np.sqrt(sum(float((p.grad**2).sum()) for p in net.parameters()))
    theirs = np.sqrt(sum(float((tp.grad**2).sum()) for tp in tnet.parameters()))
    assert abs(ours - max_norm) < 1e-12
    assert abs(theirs - max_norm * norm / (norm + 1e-6)) < 1e-12


def test_backward_overwrites_here_accumulates_in_torch_and_micro_batches_match() -> None:
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    net = mlp([4, 8, 3], activation="tanh", rng=rng)
    tnet = to_torch(net)
    loss, t_loss = SoftmaxCrossEntropy(), torch.nn.CrossEntropyLoss()

    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    big = [p.grad.copy() for p in net.parameters()]
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())  # a second backward overwrites
    for p, g in zip(net.parameters(), big, strict=True):
        np.testing.assert_array_equal(p.grad, g)

    t_loss(tnet(Xt), yt).backward()
    t_loss(tnet(Xt), yt).backward()  # a second backward adds
    for tp, g in zip(tnet.parameters(), big, strict=True):
        np.testing.assert_allclose(tp.grad.numpy(), 2 * g, rtol=0, atol=1e-12)

    parts = [slice(0, 7), slice(7, 20), slice(20, 30)]
    acc = [np.zeros_like(g) for g in big]
    tnet.zero_grad()
    for s in parts:
        share = (s.stop - s.start) / len(X)
        loss.forward(net.forward(X[s]), y[s])
        net.backward(loss.backward())
        for a, p in zip(acc, net.parameters(), strict=True):
            a += share * p.grad
        (t_loss(tnet(Xt[s]), yt[s]) * share).backward()
    for a, tp, g in zip(acc, tnet.parameters(), big, strict=True):
        np.testing.assert_allclose(a, g, rtol=0, atol=1e-12)
        np.testing.assert_allclose(tp.grad.numpy(), g, rtol=0, atol=1e-12)
