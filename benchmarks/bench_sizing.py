"""How much memory and CPU a student's kernel needs: each notebook run top to bottom, measured.

Runs every lesson (``lessons/*.ipynb``) and every exercise's solutions notebook
(``solutions/*.ipynb``) one at a time, each in a fresh kernel (nbclient), and prints one row per
notebook:

- **peak RSS** of the kernel process: the kernel's own high-water mark (``VmHWM`` in
  ``/proc/<pid>/status``, read after every cell — the kernel's exact peak, not a sample), and its
  RSS at the end (what an idle student keeps holding until the kernel is culled);
- **CPU time** of the kernel (user + system, its children included);
- **wall time** of the run;
- **status**: ``ok``, or the cells that raised (every cell runs even after one raised).

Plus a baseline row: a kernel that only started (what every open notebook costs at the least).
Linux only (``/proc``). Run with one BLAS thread, as a hub should give each kernel:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sizing.py
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sizing.py lessons/07_training_on_mnist.ipynb

``--markdown`` prints the table as Markdown (for deploy/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """One measured notebook run."""

    name: str
    peak_mib: float  # kernel's peak resident set size (VmHWM), MiB
    end_mib: float  # kernel's RSS after the last cell, MiB
    cpu_s: float  # kernel CPU time (user + system, children included), s
    wall_s: float  # wall-clock time of the whole run (kernel start to last cell), s
    status: str  # "ok" or the error's first line


def _vm_hwm_mib(pid: int) -> float:
    """The process's peak resident set size in MiB, from ``/proc/<pid>/status`` (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB -> MiB
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status (is this Linux?)")


def measure(path: Path | None, timeout: float = 900) -> Row:
    """Run the notebook at ``path`` (``None``: one empty cell) in a fresh kernel and measure it."""
    nb = nbformat.read(path, as_version=4) if path else nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("pass")])
    cwd = path.parent if path else ROOT
    sample: dict[str, float] = {}

    def after_cell(**_: object) -> None:
        # called after every cell while the kernel runs; the last call holds the final values
        pid = client.km.provisioner.pid
        proc = psutil.Process(pid)
        t = proc.cpu_times()
        sample["peak"] = _vm_hwm_mib(pid)
        sample["end"] = proc.memory_info().rss / 2**20
        sample["cpu"] = t.user + t.system + t.children_user + t.children_system

    # allow_errors: a cell that raises is reported, and the cells after it still run and count
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}},
                            on_cell_executed=after_cell)
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except Exception as e:  # a kernel that died or a timeout: reported, and the others still run
        status = (str(e).strip().splitlines() or [type(e).__name__])[0][:60]
    wall = time.perf_counter() - start
    raised = [f"cell {i} {o.ename}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.output_type == "error"]
    if raised and status == "ok":
        status = "raised: " + ", ".join(raised)
    name = str(path.relative_to(ROOT)) if path else "(kernel started, one empty cell)"
    if not sample:
        return Row(name, float("nan"), float("nan"), float("nan"), wall, status)
    return Row(name, sample["peak"], sample["end"], sample["cpu"], wall, status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: lessons/*.ipynb and solutions/*.ipynb)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(
        [*ROOT.glob("lessons/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
    threads = {v: os.environ.get(v, "unset") for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    print(f"# bench_sizing: {len(paths)} notebooks, one at a time; {threads}; "
          f"{psutil.cpu_count()} CPUs, Python {sys.version.split()[0]}", flush=True)

    rows = [measure(None)]
    for path in paths:
        rows.append(measure(path))
        r = rows[-1]
        print(f"  {r.name}: peak {r.peak_mib:.0f} MiB, {r.cpu_s:.1f} s CPU, {r.wall_s:.1f} s wall, "
              f"{r.status}", file=sys.stderr, flush=True)

    if args.markdown:
        print("| notebook | peak RSS (MiB) | RSS at end (MiB) | CPU (s) | wall (s) | status |")
        print("|---|--:|--:|--:|--:|---|")
        for r in rows:
            print(f"| {r.name} | {r.peak_mib:.0f} | {r.end_mib:.0f} | {r.cpu_s:.1f} | "
                  f"{r.wall_s:.1f} | {r.status} |")
    else:
        print(f"{'notebook':48s} {'peak MiB':>9s} {'end MiB':>8s} {'CPU s':>7s} {'wall s':>7s}  status")
        for r in rows:
            print(f"{r.name:48s} {r.peak_mib:9.0f} {r.end_mib:8.0f} {r.cpu_s:7.1f} "
                  f"{r.wall_s:7.1f}  {r.status}")
    ok = [r for r in rows[1:] if r.status == "ok"]
    if ok:
        worst = max(ok, key=lambda r: r.peak_mib)
        print(f"largest peak: {worst.name}, {worst.peak_mib:.0f} MiB; "
              f"most CPU: {max(ok, key=lambda r: r.cpu_s).name}, "
              f"{max(r.cpu_s for r in ok):.0f} s")
    return 0 if len(ok) == len(rows) - 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
