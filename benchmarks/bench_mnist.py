"""MNIST accuracy and wall time of ``backprop-lab train`` with its defaults (784-256-128-10 ReLU,
Adam with a cosine schedule, batch 128, float32, 10 epochs), for one or more seeds.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_mnist.py --seeds 0 1

Targets: ≥ 98.0 % test accuracy (aim 98.3 %) in ≤ 10 epochs, training ≤ 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import time

from backprop_lab.cli import main as cli_main


def run(seed: int) -> tuple[float, float, float]:
    """(test accuracy, training seconds, total seconds) of one CLI run."""
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        cli_main(["train", "--dataset", "mnist", "--seed", str(seed), "--no-progress"])
    total = time.perf_counter() - start
    text = out.getvalue()
    acc = float(re.search(r"^test accuracy: ([0-9.]+)$", text, re.M).group(1))
    train_s = float(re.search(r"^training time: ([0-9.]+) s$", text, re.M).group(1))
    return acc, train_s, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    print("backprop-lab train defaults on MNIST (10 epochs):")
    accs = []
    for seed in args.seeds:
        acc, train_s, total = run(seed)
        accs.append(acc)
        print(f"  seed {seed}: test accuracy {acc:.4f}, training {train_s:.1f} s, "
              f"whole run {total:.1f} s  (targets: >= 0.980, <= 30 s)")
    print(f"  mean test accuracy over {len(accs)} seed(s): {sum(accs) / len(accs):.4f}")


if __name__ == "__main__":
    main()
