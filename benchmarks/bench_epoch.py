"""One MNIST epoch of the 784-256-128-10 ReLU MLP (batch 128, float32, Adam), three ways, one run:

1. backprop_lab's ``fit`` (forward, loss, backward, Adam step, shuffling — everything);
2. the same matrix products alone (the 3 forward products, the 3 weight-gradient products and the
   2 input-gradient products the model needs), on the same shapes — the floor for any engine;
3. the same model and training step in PyTorch eager on the CPU (when torch is installed).

Prints the ratios (1)/(2) and (1)/(3) (targets: ≤ 1.3× and ≤ 0.6×), what the library spends outside
the products (its optimizer update and batch gathering, each timed alone), and the floor (2)/(3).
Run with BLAS threads fixed for both libraries, e.g.:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_epoch.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import SGD, Adam, Nesterov, Optimizer
from backprop_lab.train import fit

SIZES = [784, 256, 128, 10]
BATCH = 128


def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    from backprop_lab.data import load_mnist

    d = load_mnist()
    return d.X_train, d.y_train


def make_optimizer(params: list, optimizer: str) -> Optimizer:
    if optimizer == "adam":
        return Adam(params, lr=1e-3)
    if optimizer == "nesterov":
        return Nesterov(params, lr=0.1, beta=0.9)
    return SGD(params, lr=0.1)


def time_library(X: np.ndarray, y: np.ndarray, seed: int = 0, optimizer: str = "adam") -> float:
    net = mlp(SIZES, rng=np.random.default_rng(seed), dtype=np.float32)
    params = [net.flatten_parameters()]  # one flat array, as `backprop-lab train` does
    opt = make_optimizer(params, optimizer)
    t = time.perf_counter()
    fit(net, SoftmaxCrossEntropy(), opt, X, y, epochs=1, batch_size=BATCH, seed=seed)
    return time.perf_counter() - t


def time_matmuls(X: np.ndarray) -> float:
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((b, a)).astype(np.float32) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    acts = [np.empty((BATCH, s), np.float32) for s in SIZES]
    n = len(X)
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        A = X[i : i + BATCH]
        As = [A]
        for W in Ws:  # forward: Z = A @ W.T
            A = A @ W.T
            As.append(A)
        G = As[-1]
        for layer in range(len(Ws) - 1, -1, -1):  # backward: dW = G.T @ A_prev, dA_prev = G @ W
            _ = G.T @ As[layer]
            if layer > 0:
                G = G @ Ws[layer]
    del acts
    return time.perf_counter() - t


def time_update_alone(n: int, optimizer: str = "adam") -> float:
    """The optimizer's update alone: one epoch's worth of ``step()`` calls on the flat parameter."""
    net = mlp(SIZES, rng=np.random.default_rng(0), dtype=np.float32)
    flat = net.flatten_parameters()
    net.dflat[...] = np.random.default_rng(1).standard_normal(net.dflat.size) * 1e-3
    opt = make_optimizer([flat], optimizer)
    t = time.perf_counter()
    for _ in range(0, n, BATCH):
        opt.step()
    return time.perf_counter() - t


def time_gather_alone(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Gathering the shuffled mini-batches alone, exactly as ``fit`` does."""
    perm = np.random.default_rng(seed).permutation(len(X))
    t = time.perf_counter()
    for i in range(0, len(X), BATCH):
        idx = perm[i : i + BATCH]
        np.take(X, idx, axis=0), y[idx]
    return time.perf_counter() - t


def time_torch(X: np.ndarray, y: np.ndarray, seed: int = 0, optimizer: str = "adam") -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif optimizer == "nesterov":
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
    lossf = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    perm = torch.randperm(len(Xt), generator=g)
    for i in range(0, len(Xt), BATCH):
        idx = perm[i : i + BATCH]  # per-batch gather, exactly as the library's fit does
        opt.zero_grad()
        loss = lossf(net(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="take the best of this many runs")
    parser.add_argument("--optimizer", choices=("adam", "nesterov", "sgd"), default="adam",
                        help="adam (the CLI default), SGD with Nesterov momentum, or plain SGD — "
                             "the same in both libraries")
    args = parser.parse_args()
    X, y = mnist_train()
    # interleave the runs so that a busy machine slows all of them alike; keep each one's best
    lib_t, mm_t, th_t, up_t, ga_t = [], [], [], [], []
    for _ in range(args.repeats):
        lib_t.append(time_library(X, y, optimizer=args.optimizer))
        mm_t.append(time_matmuls(X))
        th_t.append(time_torch(X, y, optimizer=args.optimizer))
        up_t.append(time_update_alone(len(X), optimizer=args.optimizer))
        ga_t.append(time_gather_alone(X, y))
    lib, mm, up, ga = min(lib_t), min(mm_t), min(up_t), min(ga_t)
    th = None if th_t[0] is None else min(th_t)
    print(f"one epoch, 784-256-128-10 ReLU, batch {BATCH}, float32, {args.optimizer}, "
          f"best of {args.repeats}:")
    print(f"  backprop_lab fit:      {lib:7.3f} s")
    print(f"  matrix products alone: {mm:7.3f} s")
    print(f"  ratio library / matmul-only: {lib / mm:.2f}x   (target <= 1.3x)")
    print(f"  of the library's {lib - mm:.3f} s outside the products: {args.optimizer} update alone "
          f"{up:.3f} s, batch gathering alone {ga:.3f} s, the rest (loss, activations, biases, "
          f"Python) {lib - mm - up - ga:.3f} s")
    if th is not None:
        print(f"  PyTorch eager:         {th:7.3f} s")
        print(f"  ratio library / PyTorch eager: {lib / th:.2f}x   (target <= 0.6x)")
        budget = 0.6 * th - mm
        print(f"  floor: the matrix products alone are {mm / th:.2f}x PyTorch's epoch, so 0.6x would "
              f"leave {budget:.3f} s for everything else"
              + (f" — less than the {args.optimizer} update alone ({up:.3f} s)" if budget < up else ""))
    else:
        print("  PyTorch not installed: the PyTorch ratio was not measured")


if __name__ == "__main__":
    main()
