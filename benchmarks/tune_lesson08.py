"""Tune the learning rate of each optimizer for lesson 08's same-budget MNIST comparison.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/tune_lesson08.py [--seeds 0 1 2]

The lesson trains a 784-128-10 ReLU MLP (float32, He initialisation) for 3 epochs of mini-batches
of 128 on the first 10,000 images of ``load_mnist(val_size=5000, seed=0).X_train`` and reports
validation accuracy on the 5,000 held-out images. So that the tuning does not see that data, this
script trains on images 10,000-19,999 of the same training split and validates on images
20,000-24,999, with everything else as in the lesson. For every optimizer it tries a grid of
learning rates (seven, a factor of 2 apart), each over several seeds (initial weights and
shuffling), and picks the rate with the best mean final validation accuracy. It prints the whole
grid and, last, the dict the lesson copies as ``TUNED_LR``.

The choice is a noisy argmax: on another machine (other BLAS kernels) or with other seeds a
neighbouring grid value may win. The lesson only needs a reasonable rate for each optimizer, found
by the same procedure for all of them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from backprop_lab.data import load_mnist
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, RMSprop
from backprop_lab.train import DivergenceError, fit

OPTIMIZERS = {"SGD": SGD, "Momentum": Momentum, "Nesterov": Nesterov, "Adagrad": Adagrad,
              "RMSprop": RMSprop, "Adadelta": Adadelta, "Adam": Adam}
# the centre of each grid: a usual rate for this problem size (Adadelta's is large because its
# steps start at √ε and grow slowly, see lesson 08 §7)
CENTRES = {"SGD": 0.2, "Momentum": 0.1, "Nesterov": 0.1, "Adagrad": 0.05, "RMSprop": 2e-3,
           "Adadelta": 2.0, "Adam": 5e-3}
FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # seven rates a factor 2 apart


def final_val_acc(cls, lr: float, seed: int, data) -> float:
    """Final validation accuracy of one 3-epoch run (0.0 if the run diverged)."""
    X_tr, y_tr, X_va, y_va = data
    net = mlp([784, 128, 10], rng=np.random.default_rng(seed), dtype=np.float32)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            history = fit(net, SoftmaxCrossEntropy(), cls(net.parameters(), lr=lr), X_tr, y_tr,
                          epochs=3, batch_size=128, X_val=X_va, y_val=y_va, seed=seed)
    except DivergenceError:
        return 0.0
    return float(history.val_acc[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    mnist = load_mnist(val_size=5000, seed=0)
    data = (mnist.X_train[10_000:20_000], mnist.y_train[10_000:20_000],
            mnist.X_train[20_000:25_000], mnist.y_train[20_000:25_000])
    start = time.perf_counter()
    chosen = {}
    print(f"mean final validation accuracy over seeds {args.seeds} "
          "(train 10,000-19,999, validate 20,000-24,999)")
    for name, cls in OPTIMIZERS.items():
        results = {}
        for factor in FACTORS:
            lr = float(f"{CENTRES[name] * factor:.3g}")
            accs = [final_val_acc(cls, lr, seed, data) for seed in args.seeds]
            results[lr] = (float(np.mean(accs)), float(np.std(accs)))
        best = max(results, key=lambda lr: results[lr][0])
        chosen[name] = best
        row = "  ".join(f"{lr:g}: {m:.4f}±{s:.4f}" for lr, (m, s) in results.items())
        edge = "  (best at the edge of the grid!)" if best in (min(results), max(results)) else ""
        print(f"{name:9s} {row}  -> {best:g}{edge}")
    print(f"time {time.perf_counter() - start:.0f} s")
    print("TUNED_LR =", "{" + ", ".join(f'"{n}": {lr:g}' for n, lr in chosen.items()) + "}")


if __name__ == "__main__":
    main()
