"""Browser-side latency of every course widget in a real JupyterLab: key press → new figure.

Uses the helpers of ``tests/e2e/test_e2e_browser.py`` (``start_jupyter``, ``open_notebook``,
``run_all_cells``, ``press_and_time``, ``Latency``): writes a small temporary notebook with one
cell per widget (so it needs no lesson, and covers widgets no lesson shows yet), starts
JupyterLab on 127.0.0.1 serving it, drives Debian's Chromium (/usr/bin/chromium) headless with
Playwright, runs all cells from the menu, then for each widget

* focuses one slider's handle and presses ArrowRight ``--presses`` / 2 times, then ArrowLeft as
  often (back to the start, so the runs cover both directions);
* focuses its button (where it has one: optimizer race ``step ▸``, playground ``Step``) and
  presses Enter ``--presses`` times;
* playground only: presses Enter on ``Train``, counts the new figures shown in
  ``--train-seconds`` (updates per second), presses Enter on ``Pause`` and measures how long
  until the last figure arrived.

Each press waits for the new image before the next one. Timestamps are taken in the page:
``keydown`` → the widget's ``<img>`` gets its new ``src`` → the new image is decoded (its load
event: "shown"). The kernel side is measured in the kernel: the time it spent handling the comm
messages of each press (the widget's callback: compute, draw, encode, send) and the figure view's
``last_refresh_ms`` (draw + encode alone). Prints a table per widget and control: median and p90
of "shown", median of "src", kernel medians, image size. Targets (issue 18): median ≤ 50 ms, p90 ≤ 100 ms; the
playground's Train ≥ 20 updates/s.

From a clean clone, with the ``[test]`` extra installed and Debian's ``chromium``::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_browser_latency.py \\
        [--presses 20] [--widget lr --widget playground] [--train-seconds 3] [--repeat 1] \\
        [--no-frames] [--server-nodelay]

``--no-frames`` turns off the widgets' frames rendered ahead of time (``ExplorerView``; on by
default in a kernel), ``--server-nodelay`` starts JupyterLab with its kernel websockets free of Nagle's
algorithm (``NODELAY_SERVER_CONFIG`` in tests/e2e/test_e2e_browser.py: the default server holds a
small message that follows another for the browser's delayed ACK, ~40 ms on 127.0.0.1, which
is most of what a slider press costs once the kernel answers in a few ms). The ``frames``
column counts the presses answered with a frame rendered ahead.

``tests/e2e/test_bench_browser_latency.py`` (marker ``e2e``) runs it with two presses per widget.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: target of issue 18, key press → new figure shown
TARGET_MEDIAN_MS = 50.0
TARGET_P90_MS = 100.0
TARGET_TRAIN_FPS = 20.0


@dataclass(frozen=True)
class WidgetSpec:
    """One widget of the benchmark notebook and the controls the benchmark presses."""

    key: str  # command-line name and the variable ``bench_<key>`` in the kernel
    title: str
    setup: str  # code that builds ``bench_<key>``
    slider: str  # text of the slider's description (locates the slider)
    button: str | None = None  # the button's accessible name (None: the widget has none)

    @property
    def marker(self) -> str:
        return f"BENCH-{self.key}-CELL"

    def cell(self) -> str:
        return f"# {self.marker}\n{self.setup}\ndisplay(bench_{self.key})\n"


WIDGETS: tuple[WidgetSpec, ...] = (
    WidgetSpec("activation", "activation explorer",
               "from backprop_lab.widgets.activation_explorer import ActivationExplorer\n"
               'bench_activation = ActivationExplorer(name="sigmoid", mean=0.0, std=1.0)',
               slider="mean of z"),
    WidgetSpec("lr", "learning-rate explorer",
               "from backprop_lab.widgets.lr_explorer import LRExplorer\n"
               "bench_lr = LRExplorer()",
               slider="η"),
    WidgetSpec("playground", "playground",
               "from backprop_lab.widgets.playground import Playground\n"
               "bench_playground = Playground()",
               slider="noise", button="Step"),
    WidgetSpec("race", "optimizer race",
               "from backprop_lab.widgets.optimizer_race import OptimizerRace\n"
               'bench_race = OptimizerRace(surface="rosenbrock", '
               'selected=["SGD", "Momentum", "Nesterov", "Adam"], '
               'frame=100)',
               slider="η", button="step ▸"),
    WidgetSpec("gradient_flow", "gradient flow",
               "from backprop_lab.widgets.gradient_flow import GradientFlowExplorer\n"
               'bench_gradient_flow = GradientFlowExplorer(depth=10, width=128, '
               'activation="sigmoid", init="standard")',
               slider="depth"),
    WidgetSpec("momentum", "momentum explorer",
               "from backprop_lab.widgets.momentum_explorer import MomentumExplorer\n"
               "bench_momentum = MomentumExplorer()",
               slider="η"),
)

#: first cell: time, in the kernel, the handling of every comm message (widget updates, clicks)
KERNEL_HOOK = """\
# BENCH-HOOK-CELL: kernel-side time of each widget message
import time as _bench_time

_bench_kernel = get_ipython().kernel
_bench_comm_ms = []
_bench_handler = _bench_kernel.shell_handlers["comm_msg"]


def _bench_timed_comm_msg(*args, **kwargs):
    t = _bench_time.perf_counter()
    try:
        return _bench_handler(*args, **kwargs)
    finally:
        _bench_comm_ms.append((_bench_time.perf_counter() - t) * 1e3)


_bench_kernel.shell_handlers["comm_msg"] = _bench_timed_comm_msg
"""

#: printed by the kernel after each press: comm handling time since the last read, then the
#: view's own refresh time and the image size
KERNEL_READ = """\
print(sum(_bench_comm_ms), bench_{key}.view.last_refresh_ms, len(bench_{key}.view.widget.value),
      getattr(bench_{key}.view, "frames_shown", 0))
_bench_comm_ms.clear()
"""

#: with ``--no-frames``: the widgets render no frames ahead of time (every change computed)
FRAMES_OFF = """\
from backprop_lab.widgets.base import ExplorerView as _BenchExplorerView

_BenchExplorerView.frames_enabled = False
"""


@dataclass
class ControlResult:
    """Measurements for one control of one widget."""

    widget: str
    control: str
    shown: list[float] = field(default_factory=list)  # key press → new image decoded, ms
    src: list[float] = field(default_factory=list)  # key press → new src set, ms
    kernel: list[float] = field(default_factory=list)  # comm handling in the kernel, ms
    refresh: list[float] = field(default_factory=list)  # view.last_refresh_ms
    image_bytes: int = 0
    frames: int = 0  # presses answered with a frame rendered ahead of time

    def row(self) -> str:
        return (f"{self.widget:<24} {self.control:<18} {len(self.shown):>3} "
                f"{statistics.median(self.shown):>7.0f} {p90(self.shown):>6.0f} "
                f"{statistics.median(self.src):>6.0f} {statistics.median(self.kernel):>7.0f} {statistics.median(self.refresh):>8.0f} "
                f"{self.image_bytes / 1024:>6.0f} {self.frames:>6} {verdict(self.shown)}")


@dataclass
class TrainResult:
    """The playground's Train animation."""

    updates_per_s: float
    frames: int
    seconds: float
    pause_to_last_ms: float  # Pause key press → the last new image (0: none came after it)
    frames_after_pause: int

    def row(self) -> str:
        ok = "ok" if self.updates_per_s >= TARGET_TRAIN_FPS else "OVER"
        return (f"playground Train: {self.updates_per_s:.1f} updates/s ({self.frames} figures in "
                f"{self.seconds:.1f} s; target >= {TARGET_TRAIN_FPS:g}: {ok}); Pause: "
                f"{self.frames_after_pause} figure(s) after the key press, the last "
                f"{self.pause_to_last_ms:.0f} ms after it")


HEADER = (f"{'widget':<24} {'control':<18} {'n':>3} {'median':>7} {'p90':>6} {'src':>6} "
          f"{'kernel':>7} {'refresh':>8} {'KiB':>6} {'frames':>6} target")


def p90(xs: list[float]) -> float:
    """The 90th percentile (nearest rank), as ``Latency`` in tests/e2e/test_e2e_browser.py."""
    return sorted(xs)[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]


def verdict(shown: list[float]) -> str:
    ok = statistics.median(shown) <= TARGET_MEDIAN_MS and p90(shown) <= TARGET_P90_MS
    return "ok" if ok else "OVER"


def load_e2e():
    """The helpers of tests/e2e/test_e2e_browser.py (imported from its path; tests/ is no package).

    Raises pytest's Skipped where Chromium or Playwright is missing and CI is not set (as the
    module does); in CI the module loads and ``BROWSER_MISSING`` says what is missing."""
    path = REPO / "tests" / "e2e" / "test_e2e_browser.py"
    spec = importlib.util.spec_from_file_location("_e2e_browser", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return module


def write_notebook(path: Path, specs: tuple[WidgetSpec, ...], frames: bool = True) -> None:
    """The benchmark notebook: the kernel hook, then one cell per widget (``frames``: the
    widgets render frames ahead of time, as they do by default)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(KERNEL_HOOK + ("" if frames else "\n" + FRAMES_OFF))]
    nb.cells += [nbformat.v4.new_code_cell(s.cell()) for s in specs]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def _kernel_numbers(e2e, page, key: str) -> tuple[float, float, int, int]:
    text = e2e.kernel_eval(page, KERNEL_READ.format(key=key)).strip()
    if text.startswith("ERROR") or not text:
        raise RuntimeError(f"reading the kernel-side times of {key} failed: {text!r}")
    comm, refresh, size, frames = text.split()
    return float(comm), float(refresh), int(size), int(frames)


def _press(e2e, page, target, keys: list[str], spec: WidgetSpec, result: ControlResult) -> None:
    """Press each key in ``keys`` on ``target`` (one at a time, each waiting for its figure)."""
    target.focus()
    frames0 = _kernel_numbers(e2e, page, spec.key)[3]  # also clears the comm times
    for key in keys:
        lat = e2e.press_and_time(page, target, key, 1, settle_ms=100)
        result.shown += lat.shown
        result.src += lat.src
        comm, refresh, size, frames = _kernel_numbers(e2e, page, spec.key)
        result.kernel.append(comm)
        result.refresh.append(refresh)
        result.image_bytes = size
    result.frames = frames - frames0


def _train(e2e, page, out, seconds: float) -> TrainResult:
    """Train the playground for ``seconds``, count the figures shown, then Pause."""
    train = out.get_by_role("button", name="Train").first
    pause = out.get_by_role("button", name="Pause").first
    train.focus()
    train.press("Enter")
    page.wait_for_function("() => window.__e2e.loads.length > 0", timeout=30_000)
    page.evaluate("() => { window.__e2e.loads.length = 0; }")
    t0 = time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    n = page.evaluate("() => window.__e2e.loads.length")
    elapsed = time.monotonic() - t0
    pause.focus()
    pause.press("Enter")
    page.wait_for_timeout(1500)  # the frames still under way arrive; then none may come
    rec = page.evaluate("() => window.__e2e")
    t_key = rec["keys"][-1]
    after = [t - t_key for t in rec["loads"] if t >= t_key]
    page.wait_for_timeout(500)
    later = page.evaluate("() => window.__e2e.loads.length")
    if later != len(rec["loads"]):
        raise RuntimeError("the playground kept drawing 1.5 s after Pause")
    return TrainResult(n / elapsed, n, elapsed, max(after, default=0.0), len(after))


def bench_widget(e2e, page, spec: WidgetSpec, presses: int) -> list[ControlResult]:
    """Drive one widget's slider (and button): ``presses`` key presses on each."""
    out = e2e.widget_cell(page, spec.marker).locator(".jp-OutputArea-output").last
    out.scroll_into_view_if_needed()
    img = out.locator("img.widget-image").first
    img.evaluate(e2e.RECORDER_JS)
    results = []
    slider = out.locator(".widget-slider", has_text=spec.slider).first
    handle = slider.locator(".noUi-handle").first
    res = ControlResult(spec.title, f"slider {spec.slider}")
    _press(e2e, page, handle, ["ArrowRight"] * (presses // 2)
           + ["ArrowLeft"] * (presses - presses // 2), spec, res)
    results.append(res)
    if spec.button is not None:
        button = out.get_by_role("button", name=spec.button).first
        res = ControlResult(spec.title, f"button {spec.button}")
        _press(e2e, page, button, ["Enter"] * presses, spec, res)
        results.append(res)
    return results


def run(presses: int = 20, widgets: list[str] | None = None, train_seconds: float = 3.0,
        log=print, frames: bool = True,
        nodelay: bool = False) -> tuple[list[ControlResult], TrainResult | None]:
    """Run the benchmark once: a JupyterLab, a browser, the notebook, every widget.

    Returns the measurements per control, and the playground's Train animation (None when the
    playground is not among ``widgets`` or ``train_seconds`` is 0)."""
    if presses < 2:
        raise ValueError(f"presses must be at least 2 (got {presses})")
    specs = tuple(s for s in WIDGETS if widgets is None or s.key in widgets)
    unknown = set(widgets or ()) - {s.key for s in WIDGETS}
    if unknown:
        raise ValueError(f"unknown widget(s) {sorted(unknown)}; expected some of "
                         f"{[s.key for s in WIDGETS]}")
    e2e = load_e2e()
    if e2e.BROWSER_MISSING is not None:
        raise RuntimeError(e2e.BROWSER_MISSING)
    from playwright.sync_api import sync_playwright

    results: list[ControlResult] = []
    train: TrainResult | None = None
    with tempfile.TemporaryDirectory(prefix="bench_browser_") as tmp:
        work = Path(tmp)
        root = work / "root"
        root.mkdir()
        write_notebook(root / "bench_widgets.ipynb", specs, frames)
        server = e2e.start_jupyter(root, work, nodelay=nodelay)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=e2e.CHROMIUM, headless=True,
                                             args=e2e.CHROMIUM_ARGS)
                try:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    blocked: list[str] = []
                    context.route("**/*", lambda route: e2e._local_only(route, blocked))
                    page = context.new_page()
                    page.set_default_timeout(60_000)
                    e2e.open_notebook(page, server, "bench_widgets.ipynb")
                    log(f"Run All Cells: {e2e.run_all_cells(page, timeout_s=180):.1f} s")
                    errors = e2e.error_outputs(page)
                    if errors:
                        raise RuntimeError("a cell of the benchmark notebook raised:\n"
                                           + "\n".join(errors))
                    for spec in specs:
                        for res in bench_widget(e2e, page, spec, presses):
                            log(res.row())
                            results.append(res)
                        if spec.key == "playground" and train_seconds > 0:
                            out = (e2e.widget_cell(page, spec.marker)
                                   .locator(".jp-OutputArea-output").last)
                            train = _train(e2e, page, out, train_seconds)
                            log(train.row())
                    with contextlib.suppress(Exception):
                        page.evaluate("() => window.jupyterapp.serviceManager.sessions"
                                      ".shutdownAll()")
                    context.close()
                finally:
                    browser.close()
        finally:
            e2e.stop_jupyter(server)
    return results, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="key presses per control")
    parser.add_argument("--widget", action="append", choices=[s.key for s in WIDGETS],
                        help="only this widget (repeatable); default: all")
    parser.add_argument("--train-seconds", type=float, default=3.0,
                        help="how long to run the playground's Train animation (0: not at all)")
    parser.add_argument("--repeat", type=int, default=1, help="run the whole benchmark N times")
    parser.add_argument("--server-nodelay", action="store_true",
                        help="JupyterLab's kernel websockets without Nagle's algorithm "
                             "(tests/e2e/test_e2e_browser.py NODELAY_SERVER_CONFIG)")
    parser.add_argument("--no-frames", action="store_true",
                        help="widgets render no frames ahead of time (every change computed, "
                             "as before ExplorerView had frames)")
    args = parser.parse_args(argv)
    if args.presses < 2:
        parser.error("--presses must be at least 2")
    try:
        load_e2e()
    except BaseException as e:  # pytest.skip at import: no Chromium or no playwright
        if type(e).__name__ == "Skipped":
            sys.exit(f"cannot run: {e}")
        raise
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for i in range(args.repeat):
        t0 = time.monotonic()
        print(f"server: {'TCP_NODELAY on' if args.server_nodelay else 'default'} kernel "
              f"websockets; frames ahead of time: {'off' if args.no_frames else 'on'}")
        print(f"run {i + 1}/{args.repeat}, {args.presses} presses per control; times in ms "
              "(median/p90: key press -> new figure decoded; src: median key press -> new src "
              "set; kernel: median message handling; refresh: median draw + encode)")
        print(HEADER)
        run(args.presses, args.widget, args.train_seconds, frames=not args.no_frames,
            nodelay=args.server_nodelay)
        print(f"total {time.monotonic() - t0:.0f} s; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
