"""Lesson 06's hand-built modules agree with the library, outside the notebook.

The notebook's defining cells start with ``# defines:``; this test executes exactly those cells
(in order, in a fresh namespace) and compares what they define with ``backprop_lab``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from _tolerance import gamma

from backprop_lab import layers as lib
from backprop_lab import losses as lib_losses
from backprop_lab.data import load_toy
from backprop_lab.gradcheck import check_layer
from backprop_lab.model import mlp
from backprop_lab.optim import SGD
from backprop_lab.train import fit

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "06_mlp_from_scratch.ipynb"
MARKER = "# defines:"
EXPECTED = ("Linear", "Tanh", "ReLU", "SoftmaxCrossEntropy", "Sequential", "make_mlp", "sgd_step",
            "train")


# Tolerances from rounding-error analysis (tests/_tolerance.py): each compared result of one
# pass is at most ~40 roundings from its inputs (a layer: fan-in ≤ 6 terms + bias + activation;
# the loss over ≤ 4 classes: 3k + 10; three layers), so the notebook's classes and the library,
# computing the same sums in other orders, differ by ≤ 2·γ₄₀ ≈ 8.9e-15 × Σ|terms|; with unit-scale
# toy inputs and He-normal weights Σ|terms| stays below ~100·max(1, |result|), hence ONE_PASS.
# Training (15 epochs × 6 batches = 90 SGD steps, lr 0.2, a contracting tanh net): the per-step
# differences accumulate at most linearly, 90 × ONE_PASS ≈ 8e-11 → TRAINING.
ONE_PASS = 2 * gamma(40) * 100  # 8.9e-13
TRAINING = 90 * ONE_PASS


def agree(a, b, tol=ONE_PASS) -> bool:
    return bool(np.allclose(a, b, rtol=tol, atol=tol))


@pytest.fixture(scope="module")
def hand():
    """The namespace after running the notebook's ``# defines:`` cells."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith(MARKER)]
    assert len(cells) >= 6, f"expected the defining cells of lesson 06, found {len(cells)}"
    ns: dict = {"__name__": "lesson06"}
    for source in cells:
        exec(compile(source, str(NOTEBOOK), "exec"), ns)
    missing = [name for name in EXPECTED if name not in ns]
    assert not missing, f"the defining cells no longer define {missing}"
    return ns


@pytest.mark.parametrize(("m", "n_in", "n_out"), [(1, 1, 1), (5, 3, 4), (17, 8, 2)])
def test_linear_matches_library(hand, m, n_in, n_out):
    mine = hand["Linear"](n_in, n_out, rng=np.random.default_rng(7))
    theirs = lib.Linear(n_in, n_out, rng=np.random.default_rng(7), init="xavier_uniform")
    np.testing.assert_array_equal(mine.W, theirs.W)
    np.testing.assert_array_equal(mine.b, theirs.b)
    rng = np.random.default_rng(m)
    X, G = rng.standard_normal((m, n_in)), rng.standard_normal((m, n_out))
    assert agree(mine.forward(X), theirs.forward(X))
    assert agree(mine.backward(G), theirs.backward(G))
    assert agree(mine.dW, theirs.dW) and agree(mine.db, theirs.db)
    assert mine.dW.shape == (n_out, n_in) and mine.db.shape == (n_out,)
    check_layer(mine, X).assert_ok()


@pytest.mark.parametrize(("name", "lib_cls"), [("Tanh", lib.Tanh), ("ReLU", lib.ReLU)])
def test_activations_match_library(hand, name, lib_cls):
    mine, theirs = hand[name](), lib_cls()
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((9, 5)) * 2
    Z[np.abs(Z) < 1e-3] = 0.5  # keep ReLU's kink out of the finite differences
    dA = rng.standard_normal((9, 5))
    assert agree(mine.forward(Z), theirs.forward(Z))
    assert agree(mine.backward(dA), theirs.backward(dA))
    assert mine.parameters() == []
    check_layer(mine, Z).assert_ok()


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_softmax_cross_entropy_matches_library(hand, scale):
    mine, theirs = hand["SoftmaxCrossEntropy"](), lib_losses.SoftmaxCrossEntropy()
    rng = np.random.default_rng(int(scale))
    Z = rng.standard_normal((12, 4)) * scale
    y = rng.integers(0, 4, size=12)
    v_mine, v_lib = mine.forward(Z, y), theirs.forward(Z, y)
    assert np.isfinite(v_mine) and agree(v_mine, v_lib)
    assert agree(mine.backward(), theirs.backward())


@pytest.mark.parametrize(("activation", "lib_name"), [("Tanh", "tanh"), ("ReLU", "relu")])
def test_sequential_matches_library_mlp(hand, activation, lib_name):
    sizes = [2, 6, 5, 3]
    net = hand["make_mlp"](sizes, rng=np.random.default_rng(1), activation=hand[activation])
    lib_net = mlp(sizes, activation=lib_name, rng=np.random.default_rng(1), init="xavier_uniform")
    X, y = load_toy("spirals", n=30, seed=2)
    loss, lib_loss = hand["SoftmaxCrossEntropy"](), lib_losses.SoftmaxCrossEntropy()
    assert agree(loss.forward(net.forward(X), y), lib_loss.forward(lib_net.forward(X), y))
    dX = net.backward(loss.backward())
    dX_lib = lib_net.backward(lib_loss.backward())
    assert agree(dX, dX_lib)
    params, lib_params = net.parameters(), lib_net.parameters()
    assert len(params) == len(lib_params) == 6
    for p, q in zip(params, lib_params, strict=True):
        assert p.value.shape == q.value.shape
        assert agree(p.grad, q.grad), q.name


def test_sgd_step_matches_library_sgd(hand):
    net = hand["make_mlp"]([2, 4, 2], rng=np.random.default_rng(0))
    lib_net = mlp([2, 4, 2], activation="tanh", rng=np.random.default_rng(0), init="xavier_uniform")
    X, y = load_toy("moons", n=20, seed=0)
    for model, ce in ((net, hand["SoftmaxCrossEntropy"]()), (lib_net, lib_losses.SoftmaxCrossEntropy())):
        ce.forward(model.forward(X), y)
        model.backward(ce.backward())
    hand["sgd_step"](net.parameters(), 0.5)
    SGD(lib_net.parameters(), lr=0.5).step()
    for p, q in zip(net.parameters(), lib_net.parameters(), strict=True):
        assert agree(p.value, q.value)


def test_training_loop_matches_fit(hand):
    X, y = load_toy("xor", n=90, noise=0.1, seed=4)
    net = hand["make_mlp"]([2, 8, 2], rng=np.random.default_rng(5))
    losses = hand["train"](net, X, y, lr=0.2, epochs=15, batch_size=16, seed=3)
    lib_net = mlp([2, 8, 2], activation="tanh", rng=np.random.default_rng(5), init="xavier_uniform")
    history = fit(lib_net, lib_losses.SoftmaxCrossEntropy(), SGD(lib_net.parameters(), lr=0.2),
                  X, y, epochs=15, batch_size=16, seed=3)
    assert agree(losses, history.train_loss, tol=TRAINING)
    assert losses[-1] < losses[0]
    for p, q in zip(net.parameters(), lib_net.parameters(), strict=True):
        assert agree(p.value, q.value, tol=TRAINING)


# ------------------------------------------------------------------------------------------------
# issue 16: predict before reveal, and the playground as a task before its explanation

LESSONS = NOTEBOOK.parent
ANSWER = "<summary>Answer</summary>"


def test_width_task_precedes_its_explanation_and_gives_nothing_away():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    text = [c.source for c in cells]
    task = next(i for i, s in enumerate(text) if "Your turn" in s and "smallest hidden width" in s)
    widget = next(i for i, s in enumerate(text) if s.startswith("Playground("))
    default = next(i for i, s in enumerate(text) if s.startswith("my_width = None"))
    check = next(i for i, s in enumerate(text) if "judge_width(my_width" in s)
    explained = next(i for i, s in enumerate(text) if "How much network does a data set need" in s)
    assert task < widget < default < check < explained
    # before the check, nothing states the answer: no width table and no "three units"
    before = " ".join(text[:check]).lower()
    assert "three tanh units" not in before and "smallest width with" not in before
    # the stored check output (my_width = None) asks for a value and does not reveal one
    shown = "".join(o.get("text", "") for o in cells[check].outputs)
    assert "set my_width" in shown and not any(ch.isdigit() for ch in shown)


def test_things_to_try_do_not_state_their_answers():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    items = next(c.source for c in cells if c.cell_type == "markdown"
                 and c.source.lstrip().startswith("1. **XOR**"))
    for answer in ("straight line", "piecewise linear", "diverged", "overfitting", "noisy loss"):
        assert answer not in items.lower(), f"the list gives away {answer!r}"
