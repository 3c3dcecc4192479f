"""Latency of the learning-rate explorer: from a slider change to the redrawn figure.

For every surface of the explorer, sets the learning-rate slider programmatically to ``--changes``
different values (log-spaced over the slider's range, shuffled with a fixed seed) and measures

* compute only: ``compute_lr_explorer(...)`` for the same control values;
* compute + redraw: ``explorer.lr.value = v``, which runs the compute function, updates the
  artists in place and refreshes the view. Headless, the view is the inline fallback, so the
  redraw includes rendering the figure to a PNG (Agg backend): with blitting (the default) the
  static part (axes, ticks, contours) is rendered once and the moving artists are drawn over it;
  without blitting (``LRExplorer(blit=False)``, measured for comparison) ``savefig`` renders the
  whole figure on every change.

Also times changes of the steps slider, which move the loss axis and so re-render everything.

Prints the median and the 90th percentile in ms, per surface and over all changes, and the
verdict against the budget of DESIGN.md: ≤ 50 ms median from slider change to redrawn figure.

    python benchmarks/bench_lr_explorer.py [--changes 50] [--steps 100]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from backprop_lab.widgets.lr_explorer import (  # noqa: E402
    EXPLORER_SURFACES,
    LR_MAX,
    LR_MIN,
    LRExplorer,
    compute_lr_explorer,
)

BUDGET_MS = 50.0


def stats(ms: list[float]) -> tuple[float, float]:
    """(median, p90) of a list of milliseconds."""
    a = np.asarray(ms)
    return float(np.median(a)), float(np.percentile(a, 90))


def measure(explorer: LRExplorer, lrs: np.ndarray, steps: int, rng: np.random.Generator,
            ) -> tuple[dict[str, tuple[list[float], list[float]]], list[float]]:
    """Per surface: (compute-only ms, slider-change ms) for each lr; plus steps-slider changes."""
    out = {}
    for name in EXPLORER_SURFACES:
        explorer.surface.value = name
        explorer.steps.value = steps
        start = explorer.start.value
        compute_ms, total_ms = [], []
        for lr in rng.permutation(lrs):
            t = time.perf_counter()
            compute_lr_explorer(name, float(lr), steps, start)
            compute_ms.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            explorer.lr.value = float(lr)
            total_ms.append((time.perf_counter() - t) * 1e3)
        out[name] = (compute_ms, total_ms)
    # the steps slider changes the loss axis, so the static part is re-rendered too
    explorer.surface.value = "ravine"
    steps_ms = []
    for n in rng.integers(20, 400, size=len(lrs)):
        t = time.perf_counter()
        explorer.steps.value = int(n)
        steps_ms.append((time.perf_counter() - t) * 1e3)
    return out, steps_ms


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=50, help="slider changes per surface")
    p.add_argument("--steps", type=int, default=100, help="gradient steps per run")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    lrs = np.geomspace(LR_MIN, LR_MAX, args.changes)
    medians = {}
    for blit in (True, False):
        rng = np.random.default_rng(args.seed)
        explorer = LRExplorer(steps=args.steps, blit=blit)
        fig = explorer.fig
        mode = ("blit: static part cached, moving artists drawn, PNG encoded" if blit
                else "no blit: the whole figure rendered with savefig on every change")
        print(f"\n== {mode}")
        print(f"backend {matplotlib.get_backend()}, inline PNG view: {not explorer.view.interactive}, "
              f"figure {fig.get_figwidth():g}x{fig.get_figheight():g} in at {fig.dpi:g} dpi, "
              f"{args.steps} steps, {args.changes} η-slider changes per surface")
        print(f"{'surface':<14}{'compute median':>16}{'p90':>8}"
              f"{'compute+redraw median':>24}{'p90':>8}")
        per_surface, steps_ms = measure(explorer, lrs, args.steps, rng)
        all_compute: list[float] = []
        all_total: list[float] = []
        for name, (compute_ms, total_ms) in per_surface.items():
            all_compute += compute_ms
            all_total += total_ms
            (cm, c90), (tm, t90) = stats(compute_ms), stats(total_ms)
            print(f"{name:<14}{cm:>16.2f}{c90:>8.2f}{tm:>24.1f}{t90:>8.1f}")
        (cm, c90), (tm, t90) = stats(all_compute), stats(all_total)
        print(f"{'all':<14}{cm:>16.2f}{c90:>8.2f}{tm:>24.1f}{t90:>8.1f}")
        sm, s90 = stats(steps_ms)
        print(f"steps-slider changes (ravine, axes re-rendered): median {sm:.1f} ms, p90 {s90:.1f} ms")
        medians[blit] = tm
        plt.close(fig)
    tm = medians[True]
    ok = tm <= BUDGET_MS
    print(f"\nη-slider change → redrawn figure (the widget's default, blit): median {tm:.1f} ms, "
          f"{'within' if ok else 'OVER'} the {BUDGET_MS:g} ms budget; "
          f"without blitting: median {medians[False]:.1f} ms "
          f"({medians[False] / tm:.1f}x slower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
