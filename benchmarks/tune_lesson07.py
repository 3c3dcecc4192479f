"""Reproduce the numbers in ``backprop_lab/mnist_results.py`` that lessons 07 and 12 use.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/tune_lesson07.py            # both parts
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/tune_lesson07.py --part grid

Part ``seeds``: lesson 07's main network (784-256-128-10 ReLU, Adam η₀ = 2e-3 + cosine schedule,
10 epochs, batch 128, float32) trained with several seeds (weights and shuffling), with the test
accuracy and the facts lesson 07's check cells rely on — the spread that justifies
``MAIN_NET_TEST_ACCURACY`` and those checks' tolerances.

Part ``grid``: every row of lesson 07's change-by-change table trained at each learning rate of
``ABLATION_GRID`` (seed 0), scored on the 5,000 held-out validation images — never on the test set —
and the best rate per row (compare with ``ABLATION_LR``). About 30 short runs, a few minutes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from backprop_lab.activations import softmax
from backprop_lab.data import load_mnist
from backprop_lab.losses import MSE, SoftmaxCrossEntropy
from backprop_lab.mnist_results import ABLATION_GRID, ABLATION_LR, ablation_net
from backprop_lab.model import mlp
from backprop_lab.optim import SGD, Adam, CosineLR
from backprop_lab.train import DivergenceError, evaluate, fit

#: row → (hidden units, output, loss, optimizer) of lesson 07's change-by-change table
ROWS = {
    "A": ("sigmoid", "sigmoid", "mse", "full-batch gd"),
    "B": ("sigmoid", "sigmoid", "mse", "sgd"),
    "C": ("sigmoid", "logits", "ce", "sgd"),
    "D": ("relu", "logits", "ce", "sgd"),
    "E": ("relu", "logits", "ce", "adam"),
}
N_CLASSIC, CLASSIC_STEPS, EPOCHS = 11_000, 100, 5


def train_row(row: str, lr: float, mnist) -> object:
    """Train one row of the table at rate ``lr`` with lesson 07's settings; returns the trained
    network, or raises DivergenceError / FloatingPointError if the loss stops being finite."""
    hidden, output, loss_name, opt_name = ROWS[row]
    net = ablation_net(hidden, output, seed=0)
    if opt_name == "full-batch gd":
        X, Y = mnist.X_train[:N_CLASSIC], np.eye(10, dtype=np.float32)[mnist.y_train[:N_CLASSIC]]
        mse, gd = MSE(), SGD(net.parameters(), lr=lr)
        for step in range(CLASSIC_STEPS):
            value = mse.forward(net.forward(X), Y)
            if not np.isfinite(value):
                raise FloatingPointError(f"row {row}, lr {lr:g}: loss {value} at step {step + 1}")
            net.backward(mse.backward(), input_grad=False)
            gd.step()
        return net
    loss = MSE() if loss_name == "mse" else SoftmaxCrossEntropy()
    target = np.eye(10, dtype=np.float32)[mnist.y_train] if loss_name == "mse" else mnist.y_train
    opt = SGD(net.parameters(), lr=lr) if opt_name == "sgd" else Adam(net.parameters(), lr=lr)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fit(net, loss, opt, mnist.X_train, target, epochs=EPOCHS, batch_size=128, seed=0)
    return net


def accuracy(net, X: np.ndarray, y: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(net.predict(X).argmax(1) == y))


def part_grid(mnist) -> None:
    print("learning-rate grid, validation accuracy (5,000 held-out training images), seed 0:")
    for row, grid in ABLATION_GRID.items():
        scores = {}
        for lr in grid:
            start = time.perf_counter()
            try:
                scores[lr] = accuracy(train_row(row, lr, mnist), mnist.X_val, mnist.y_val)
                shown = f"{scores[lr]:.4f}"
            except (DivergenceError, FloatingPointError):
                scores[lr], shown = -1.0, "diverged"
            print(f"  {row} lr {lr:<7g} val acc {shown:>8s}  ({time.perf_counter() - start:.1f} s)",
                  flush=True)
        best = max(scores, key=scores.get)
        print(f"  {row}: best lr {best:g} (val acc {scores[best]:.4f}); "
              f"ABLATION_LR has {ABLATION_LR[row]:g}: {'same' if best == ABLATION_LR[row] else 'DIFFERENT'}")


def part_seeds(mnist, seeds: list[int]) -> None:
    print("lesson 07's main network, one line per seed (weights and shuffling):")
    accs = []
    for seed in seeds:
        start = time.perf_counter()
        net = mlp([784, 256, 128, 10], activation="relu", rng=np.random.default_rng(seed),
                  dtype=np.float32)
        h = fit(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=2e-3), mnist.X_train,
                mnist.y_train, epochs=10, batch_size=128, X_val=mnist.X_val, y_val=mnist.y_val,
                seed=seed, schedule=CosineLR(2e-3, 10))
        _, acc = evaluate(net, SoftmaxCrossEntropy(), mnist.X_test, mnist.y_test)
        accs.append(acc)
        P = softmax(net.predict(mnist.X_test))
        y_pred = P.argmax(1)
        wrong = np.flatnonzero(y_pred != mnist.y_test)
        sure = int(np.sum(P[wrong, y_pred[wrong]] > 0.99))
        val = np.array(h.val_loss)
        print(f"  seed {seed}: test acc {acc:.4f} ({len(wrong)} errors, {sure} with p > 0.99); "
              f"val loss: lowest {val.min():.4f} at epoch {val.argmin() + 1}, epochs 4-10 in "
              f"[{val[3:].min():.4f}, {val[3:].max():.4f}]; final train loss {h.train_loss[-1]:.4f}"
              f"  ({time.perf_counter() - start:.1f} s)", flush=True)
    print(f"  test accuracy: mean {np.mean(accs):.4f}, standard deviation {np.std(accs, ddof=1):.4f}, "
          f"range {min(accs):.4f}-{max(accs):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["seeds", "grid", "both"], default="both")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    mnist = load_mnist(val_size=5000, seed=0)
    if args.part in ("grid", "both"):
        part_grid(mnist)
    if args.part in ("seeds", "both"):
        part_seeds(mnist, args.seeds)


if __name__ == "__main__":
    main()
