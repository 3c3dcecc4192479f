"""Time of ``import backprop_lab`` (and of the core modules a lesson imports) in fresh
interpreters, relative to ``import numpy`` alone. Target: ``import backprop_lab`` ≤ 0.3 s.

    python benchmarks/bench_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys

STATEMENTS = {
    "import numpy": "import numpy",
    "import backprop_lab": "import backprop_lab",
    "core (layers, model, losses, optim, train)": (
        "import backprop_lab.layers, backprop_lab.model, backprop_lab.losses, "
        "backprop_lab.optim, backprop_lab.train"
    ),
}


def fresh_import_seconds(statement: str, repeats: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = [float(subprocess.check_output([sys.executable, "-c", code], text=True))
             for _ in range(repeats)]
    return statistics.median(times)


def main() -> None:
    results = {name: fresh_import_seconds(stmt) for name, stmt in STATEMENTS.items()}
    base = results["import numpy"]
    for name, t in results.items():
        print(f"{name:<45} {t * 1e3:7.1f} ms   ({t / base:.2f}x numpy)")
    print(f"import backprop_lab: {results['import backprop_lab']:.3f} s (target <= 0.3 s)")


if __name__ == "__main__":
    main()
