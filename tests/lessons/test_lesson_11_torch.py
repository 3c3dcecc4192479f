"""Lesson 11 outside the notebook: backprop_lab and PyTorch compute the same numbers.

Random MLPs in float64 (several activations and losses): outputs, loss, every parameter gradient
and the input gradient agree with ``torch.autograd`` to 1e-12; every optimizer takes the same 50
steps as its ``torch.optim`` counterpart. BatchNorm (training and evaluation mode, running
statistics over several steps, γ and β gradients) equals ``nn.BatchNorm1d``, and Dropout with a
fixed mask equals torch's inverted dropout with the same units dropped. The torch copy of a model
comes from :func:`backprop_lab.interop.to_torch`, the helper the lesson uses. Skipped when torch
is not installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backprop_lab.interop import to_torch, torch_key  # noqa: E402
from backprop_lab.layers import BatchNorm, Dropout, Linear, ReLU, Tanh  # noqa: E402
from backprop_lab.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy  # noqa: E402
from backprop_lab.model import Sequential, mlp  # noqa: E402
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


# --------------------------------------------------------------------------- BatchNorm and Dropout
# Lesson 11's API table claims `BatchNorm(n)` ↔ `nn.BatchNorm1d(n)` and `Dropout(p)` ↔ `nn.Dropout(p)`.
# Tolerance, from float64 error analysis: every compared value is built from a few sums of length
# m ≤ 64 (batch means, variances, Σ dY, Σ dY·X̂, the matrix products) whose terms have absolute sums
# of order 10 (inputs ~N(0, 1), X̂ and γ of order 1). A length-m sum is off by at most γ_m·Σ|terms|
# with γ_m ≈ m·u, u = 2⁻⁵³ ≈ 1.1e-16 (Higham 2002, §3.1): 64 · 1.1e-16 · 10 ≈ 7e-14 per sum, a
# handful of sums per value, so two correct implementations agree to well within BN_TOL = 1e-12; a
# wrong formula (biased running variance, a missing 1/m, the wrong momentum convention) is off by
# 1e-3 or more here.
BN_TOL = 1e-12


def _bn_pair(rng: np.random.Generator, n: int):
    """A Linear → BatchNorm → ReLU → Linear net with random γ, β, and its torch copy."""
    net = Sequential(Linear(4, n, rng=rng), BatchNorm(n), ReLU(), Linear(n, 3, rng=rng))
    net[1].gamma[...] = rng.uniform(0.5, 2.0, n)
    net[1].beta[...] = rng.standard_normal(n)
    return net, to_torch(net)


def _compare_grads(net, tnet, dX, Xt) -> None:
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=0, atol=BN_TOL)
    for p, (tname, tp) in zip(net.parameters(), tnet.named_parameters(), strict=True):
        assert torch_key(net, p.name) == tname
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=0, atol=BN_TOL, err_msg=p.name)


@pytest.mark.parametrize("m", [2, 7, 64])
def test_batchnorm_train_mode_equals_torch_over_several_steps(m: int) -> None:
    rng = np.random.default_rng(m)
    n = 6
    net, tnet = _bn_pair(rng, n)
    assert isinstance(tnet[1], torch.nn.BatchNorm1d) and tnet[1].momentum == 0.1
    loss, t_loss = SoftmaxCrossEntropy(), torch.nn.CrossEntropyLoss()
    for step in range(5):  # a new batch each step: the running statistics move every time
        X = 2.0 * rng.standard_normal((m, 4)) + step  # shifting mean: running mean must follow
        y = rng.integers(0, 3, m)
        Xt = torch.from_numpy(X.copy()).requires_grad_(True)
        net.zero_grad()
        tnet.zero_grad()
        out = net.forward(X)
        value = loss.forward(out, y)
        dX = net.backward(loss.backward())
        t_out = tnet(Xt)
        t_value = t_loss(t_out, torch.from_numpy(y))
        t_value.backward()
        np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=BN_TOL)
        assert abs(value - t_value.item()) < BN_TOL
        _compare_grads(net, tnet, dX, Xt)  # includes ∂𝓛/∂γ ("1.gamma") and ∂𝓛/∂β ("1.beta")
        bn, tbn = net[1], tnet[1]
        np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=0, atol=BN_TOL)
        np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=0, atol=BN_TOL)
    assert tnet[1].num_batches_tracked.item() == 5
    # the running mean has moved far from its start (0): the comparison above was not vacuous
    assert np.abs(net[1].running_mean).max() > 0.5


def test_batchnorm_eval_mode_equals_torch_after_training_steps() -> None:
    rng = np.random.default_rng(11)
    net, tnet = _bn_pair(rng, 5)
    for _ in range(4):  # move the running statistics away from (0, 1) in both models
        X = 3.0 * rng.standard_normal((16, 4)) - 1.0
        net.forward(X)
        tnet(torch.from_numpy(X))
    net.eval()
    tnet.eval()
    np.testing.assert_allclose(net[1].running_var, tnet[1].running_var.numpy(), rtol=0, atol=BN_TOL)
    X = rng.standard_normal((9, 4))
    y = rng.integers(0, 3, 9)
    Xt = torch.from_numpy(X.copy()).requires_grad_(True)
    loss = SoftmaxCrossEntropy()
    out = net.forward(X)
    mean_before = net[1].running_mean.copy()
    loss.forward(out, y)
    dX = net.backward(loss.backward())
    t_out = tnet(Xt)
    torch.nn.CrossEntropyLoss()(t_out, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=BN_TOL)
    _compare_grads(net, tnet, dX, Xt)
    # evaluation uses and keeps the running statistics, in both libraries
    np.testing.assert_array_equal(net[1].running_mean, mean_before)
    np.testing.assert_allclose(mean_before, tnet[1].running_mean.numpy(), rtol=0, atol=BN_TOL)
    # and it is really the running statistics, not the batch's: a batch of one works
    one = net.forward(X[:1])
    np.testing.assert_allclose(one, tnet(torch.from_numpy(X[:1])).detach().numpy(),
                               rtol=0, atol=BN_TOL)


class _MaskDropout(torch.nn.Module):
    """torch's inverted dropout with a given keep pattern: x ⊙ keep / (1 − p)."""

    def __init__(self, keep: np.ndarray, p: float) -> None:
        super().__init__()
        self.keep, self.p = torch.from_numpy(keep.astype(np.float64)), p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.keep / (1 - self.p) if self.training else x


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_with_a_fixed_mask_equals_torch(p: float) -> None:
    rng = np.random.default_rng(int(p * 10))
    m, h = 20, 9
    net = Sequential(Linear(4, h, rng=rng), Tanh(), Dropout(p, rng=rng), Linear(h, 3, rng=rng))
    keep = rng.random((m, h)) >= p  # drop each unit with probability p
    net[2].fixed_mask = keep / (1 - p)  # the library takes the mask already scaled
    tnet = to_torch(net)
    assert isinstance(tnet[2], torch.nn.Dropout) and tnet[2].p == p
    tnet[2] = _MaskDropout(keep, p)  # the same units dropped in torch
    X, y = rng.standard_normal((m, 4)), rng.integers(0, 3, m)
    Xt = torch.from_numpy(X.copy()).requires_grad_(True)
    loss = SoftmaxCrossEntropy()
    out = net.forward(X)
    loss.forward(out, y)
    dX = net.backward(loss.backward())
    t_out = tnet(Xt)
    torch.nn.CrossEntropyLoss()(t_out, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=BN_TOL)
    _compare_grads(net, tnet, dX, Xt)
    # rows of the second layer's gradient that only see dropped units are zero in both
    dropped_everywhere = ~keep.any(axis=0)
    if dropped_everywhere.any():
        assert np.all(net[3].dW[:, dropped_everywhere] == 0)
    # evaluation: identity in both (no scaling at test time — "inverted" dropout)
    net.eval()
    tnet.eval()
    np.testing.assert_allclose(net.forward(X), tnet(torch.from_numpy(X)).detach().numpy(),
                               rtol=0, atol=BN_TOL)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_random_masks_scale_like_torch(p: float) -> None:
    # with their own random masks, both keep a unit as x / (1 − p) or drop it to 0, and both keep
    # about 1 − p of the units (10 000 units: the kept fraction's standard deviation is ≤ 0.005)
    X = np.ones((100, 100))
    ours = Dropout(p, rng=np.random.default_rng(0)).forward(X)
    torch.manual_seed(0)
    theirs = torch.nn.Dropout(p)(torch.from_numpy(X)).numpy()
    for out in (ours, theirs):
        values = np.unique(out)
        np.testing.assert_allclose(values, [0.0, 1 / (1 - p)], rtol=1e-15, atol=0)
        assert abs((out > 0).mean() - (1 - p)) < 0.03  # 6 standard deviations
