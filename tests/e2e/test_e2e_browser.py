"""End to end in a real browser: JupyterLab + headless Chromium driven by Playwright.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) with a temporary copy of
``lessons/`` as its root, opens lesson 03 and lesson 06, runs all cells from the menu
(Run > Run All Cells), then uses the widgets the way a student does:

* lesson 03, learning-rate explorer: focus the η slider, press ArrowRight a few times; the PNG of
  the figure (``<img src=blob:...>``) must change after every press and the status line
  (``explorer.status_text``, drawn in the figure and read back from the kernel) must change too.
* lesson 06, playground: focus the Step button, press Enter a few times; the boundary image must
  change and the status line must count the steps.

Lesson 03 runs a second time in Notebook 7 (the ``notebook`` package, started the same way: its
own server, token and copy of ``lessons/``), which shares JupyterLab's menus, notebook widget and
``window.jupyterapp``, so the same helpers drive both: Run All Cells, no errors, dragging the η
handle with the mouse changes the figure, then the keyboard check above. Notebook 7.6 hands
ArrowRight to its notebook shortcuts before the slider (``NB7_ARROW_KEY_PROBLEM``): when exactly
that happens the test is reported as xfail, any other failure fails it. Skipped when ``notebook``
>= 7 is not installed.

The browser-side latency from the key press to the new figure (``keydown`` timestamp → the
image's ``src`` set → the new PNG decoded, timestamps taken in the page) is printed as median and
p90 (run with ``-s``); only a generous bound is asserted, as the machine is shared. Screenshots go
to ``test-artifacts/`` (gitignored; the Notebook 7 ones start with ``nb7_``).

A lesson that lacks the cell that shows its widget (``LR_MARKER``, ``PG_MARKER``), or a widget
module missing from the package, fails the test: the lessons are what students open.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` Python package (the browser
that ``playwright install`` downloads is never used). Without them every test is skipped, except
in CI (the environment variable ``CI`` set to anything but ``""``, ``0`` or ``false``), where
they fail: a CI run must not pass with zero browser tests run.

    pytest tests/e2e/test_e2e_browser.py -v -s
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    """True when running in CI (``CI`` set, as GitHub Actions, GitLab and .ci/run do)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium and playwright are there."""
    if not os.path.exists(CHROMIUM):
        return f"end-to-end browser test needs Chromium at {CHROMIUM}"
    if importlib.util.find_spec("playwright") is None:
        return "end-to-end browser test needs the playwright package (pip install playwright)"
    return None


BROWSER_MISSING = _browser_missing()
if BROWSER_MISSING is None:
    from playwright import sync_api
elif not in_ci():
    pytest.skip(BROWSER_MISSING, allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: generous upper bound for one key press → new figure (the aim is ≤ 150 ms; the machine is shared)
LATENCY_LIMIT_MS = 2000.0

# JupyterLab settings for the test server: every cell stays in the DOM (no windowing), no news
# pop-up, no update check.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


#: ``jupyter_server_config.py`` that turns Nagle's algorithm off on the kernel websockets
#: (``start_jupyter(..., nodelay=True)``). jupyter_server leaves it on, so on 127.0.0.1 a small
#: message that follows another one before the browser acknowledged it (a widget's echo or
#: figure right after the kernel's "busy") waits for the browser's delayed ACK, ~40 ms
#: (measured by benchmarks/bench_browser_latency.py: key press -> new figure 52-62 ms with the
#: default server, 17-38 ms with this, for figures under 64 KiB; Tornado's
#: ``WebSocketHandler.set_nodelay`` documents the effect).
from backprop_lab.course import NODELAY_SERVER_CONFIG  # noqa: E402  (what `start` installs)

# ------------------------------------------------------------------------------------------------
# the Jupyter server (JupyterLab or Notebook 7)


@dataclass(frozen=True)
class Frontend:
    """A Jupyter front end: how to start it and where it shows a notebook."""

    title: str
    module: str  # started as ``python -m <module>``
    app_class: str  # the traitlets class of its options (settings dir, window.jupyterapp)
    notebook_path: str  # the page of one notebook; ``{name}`` is the file name

    def notebook_url(self, server: JupyterServer, name: str) -> str:
        return server.url(self.notebook_path.format(name=name))


JUPYTERLAB = Frontend("JupyterLab", "jupyterlab", "LabApp", "lab/tree/{name}")
NOTEBOOK7 = Frontend("Notebook 7", "notebook", "JupyterNotebookApp", "notebooks/{name}")


@dataclass
class JupyterServer:
    """A running JupyterLab or Notebook 7: ``url(path)`` gives an address with the token."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path
    frontend: Frontend = JUPYTERLAB

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid`` (kernels run in their own session, so
    terminating the server's process group does not reach them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_jupyter(root: Path, workdir: Path, frontend: Frontend = JUPYTERLAB,
                  timeout: float = 90.0, nodelay: bool = False) -> JupyterServer:
    """Start ``python -m jupyterlab`` (or ``notebook``) on 127.0.0.1 serving ``root``; wait until
    it answers. ``nodelay``: kernel websockets without Nagle's algorithm
    (:data:`NODELAY_SERVER_CONFIG`)."""
    token = secrets.token_hex(16)
    port = _free_port()
    settings = workdir / "lab-settings"
    for name, value in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    if nodelay:
        config = workdir / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.py").write_text(NODELAY_SERVER_CONFIG)
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernels use the inline backend, as students' do
    env.update(
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTER_DATA_DIR=str(workdir / "data"),
        IPYTHONDIR=str(workdir / "ipython"),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    log = workdir / f"{frontend.module}.log"
    app = frontend.app_class
    cmd = [
        sys.executable, "-m", frontend.module,
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        f"--{app}.expose_app_in_browser=True",  # window.jupyterapp: kernel state, read-backs
    ]
    # Notebook 7 runs inside a server that also loads JupyterLab, whose handlers answer
    # /lab/api/settings and /lab/api/workspaces for both front ends: set the dirs on both apps
    for cls in dict.fromkeys(["LabApp", app]):
        cmd += [f"--{cls}.user_settings_dir={settings}",
                f"--{cls}.workspaces_dir={workdir / 'workspaces'}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = JupyterServer(proc, port, token, root, log, frontend)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{frontend.title} exited with {proc.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url("api/status"), timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_jupyter(server)
            raise RuntimeError(f"{frontend.title} did not answer in {timeout:.0f} s:\n"
                               f"{log.read_text()[-3000:]}")
        time.sleep(0.3)


def stop_jupyter(server: JupyterServer) -> None:
    """Terminate the server's process group and every process it started (kernels), by pid."""
    pids = _descendants(server.proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGTERM)  # the server shuts its kernels down
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------------------------------------
# notebooks


def require_lesson(root: Path, lesson: str, marker: str) -> str:
    """``lesson``, after checking that it exists in ``root`` and has a code cell containing
    ``marker`` (the cell that shows the widget); fails the test otherwise."""
    import nbformat

    path = root / lesson
    if not path.exists():
        pytest.fail(f"lessons/{lesson} is missing", pytrace=False)
    cells = nbformat.read(path, as_version=4).cells
    if not any(c.cell_type == "code" and marker in c.source for c in cells):
        pytest.fail(f"lessons/{lesson} has no code cell containing {marker!r}, the cell that shows "
                    "the widget this test drives", pytrace=False)
    return lesson


LR_MARKER = "explorer = LRExplorer("
PG_MARKER = "Playground()"


# ------------------------------------------------------------------------------------------------
# fixtures


@contextlib.contextmanager
def serve_lessons(tmp_path_factory: pytest.TempPathFactory,
                  frontend: Frontend) -> Iterator[JupyterServer]:
    """``frontend`` serving a temporary copy of ``lessons/``; stopped (kernels too) on exit."""
    work = tmp_path_factory.mktemp(f"e2e-{frontend.module}")
    root = work / "lessons"
    shutil.copytree(REPO / "lessons", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    server = start_jupyter(root, work, frontend)
    try:
        yield server
    finally:
        stop_jupyter(server)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    with serve_lessons(tmp_path_factory, JUPYTERLAB) as server:
        yield server


@pytest.fixture()
def nb7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A Notebook 7 server, for its one test (stopped right after it)."""
    pytest.importorskip("notebook", minversion="7",
                        reason="the Notebook 7 test needs the notebook package, version 7 or later")
    with serve_lessons(tmp_path_factory, NOTEBOOK7) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []
    context.route("**/*", lambda route: _local_only(route, blocked))
    p = context.new_page()
    p.set_default_timeout(60_000)
    try:
        yield p
    finally:
        if blocked:
            print(f"blocked {len(blocked)} request(s) to other hosts: {sorted(set(blocked))[:5]}")
        with contextlib.suppress(sync_api.Error):  # free the CPU for the next test
            p.evaluate("() => window.jupyterapp && window.jupyterapp.serviceManager.sessions.shutdownAll()")
        context.close()


def _local_only(route: sync_api.Route, blocked: list[str]) -> None:
    """Let the page talk to 127.0.0.1 only."""
    url = route.request.url
    if urllib.parse.urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        blocked.append(url)
        route.abort()


@pytest.fixture(scope="module", autouse=True)
def _artifacts() -> None:
    """Fails every test in CI when the browser is missing (runs before the servers start)."""
    if BROWSER_MISSING is not None:
        pytest.fail(f"{BROWSER_MISSING}; CI is set, so the browser tests must run "
                    "(.ci/run installs Debian's chromium and the [test] extra's playwright)",
                    pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)


# ------------------------------------------------------------------------------------------------
# driving JupyterLab and Notebook 7 (the same notebook widget, menus and window.jupyterapp)


def open_notebook(page: sync_api.Page, server: JupyterServer, name: str) -> None:
    """Open ``name`` in the server's front end and wait for its kernel to be idle."""
    url = server.frontend.notebook_url(server, name)
    if server.frontend is JUPYTERLAB:
        url += "&reset"  # a fresh workspace: only this notebook
    page.goto(url)
    page.wait_for_function(
        """(name) => {
            const app = window.jupyterapp;
            const w = app && app.shell.currentWidget;
            if (!w || !w.context || !w.context.path.endsWith(name)) return false;
            const k = w.sessionContext.session && w.sessionContext.session.kernel;
            return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
        }""",
        arg=name, timeout=90_000,
    )
    notebook(page).locator(".jp-Cell").first.wait_for()


def notebook(page: sync_api.Page) -> sync_api.Locator:
    """The notebook shown in the main area."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")


def run_all_cells(page: sync_api.Page, timeout_s: float = 90.0) -> float:
    """Run > Run All Cells from the menu bar; wait until no cell is queued and the kernel is idle.
    Returns the seconds it took."""
    t = time.monotonic()
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
    # every cell is marked [*] when queued; done when none is and the kernel is idle
    page.wait_for_function(
        "() => [...window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-InputPrompt')]"
        ".some(p => p.textContent.includes('*'))",
        timeout=10_000,
    )
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const prompts = [...w.node.querySelectorAll('.jp-InputPrompt')];
            if (prompts.some(p => p.textContent.includes('*'))) return false;
            const k = w.sessionContext.session.kernel;
            return k.status === 'idle';
        }""",
        timeout=timeout_s * 1000, polling=250,
    )
    return time.monotonic() - t


def kernel_eval(page: sync_api.Page, code: str) -> str:
    """Run ``code`` in the notebook's kernel (not as a cell) and return what it printed."""
    return page.evaluate(
        """async (code) => {
            const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const f = k.requestExecute({code, silent: false, store_history: false});
            let out = '';
            f.onIOPub = (m) => {
                if (m.header.msg_type === 'stream') out += m.content.text;
                if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue;
            };
            await f.done;
            return out;
        }""",
        code,
    )


def error_outputs(page: sync_api.Page) -> list[str]:
    """Tracebacks shown in the notebook (cells that raised)."""
    return notebook(page).locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    ).all_inner_texts()


def widget_cell(page: sync_api.Page, marker: str) -> sync_api.Locator:
    """The code cell whose source contains ``marker`` and whose output holds a widget image."""
    cell = (notebook(page).locator(".jp-CodeCell")
            .filter(has_text=marker)
            .filter(has=page.locator(".jp-OutputArea-output img.widget-image")))
    cell.first.wait_for(timeout=30_000)
    assert cell.count() == 1, f"expected one cell with {marker!r} showing a widget, found {cell.count()}"
    return cell.first


# kernel-side timings of the latest update, for comparison with the browser-side latency
LR_KERNEL_TIMES = 'print(f"figure refresh (PNG) {explorer.view.last_refresh_ms:.0f} ms")'
PG_KERNEL_TIMES = """\
def _e2e_times():
    import gc

    from backprop_lab.widgets.playground import Playground

    pg = [o for o in gc.get_objects() if isinstance(o, Playground)][-1]
    print(f"training step {pg.step_ms:.0f} ms, redraw (boundary + PNG) {pg.redraw_ms:.0f} ms, "
          f"of which PNG {pg.view.last_refresh_ms:.0f} ms")
_e2e_times()
del _e2e_times
"""


# the page-side recorder: keydown timestamps, the image's src changes and its load events
RECORDER_JS = """(img) => {
    const rec = {keys: [], srcs: [], loads: []};
    window.__e2e = rec;
    document.addEventListener('keydown', () => rec.keys.push(performance.now()), true);
    new MutationObserver((ms) => {
        for (const m of ms) if (m.attributeName === 'src') rec.srcs.push(performance.now());
    }).observe(img, {attributes: true, attributeFilter: ['src']});
    img.addEventListener('load', () => rec.loads.push(performance.now()));
}"""


@dataclass
class Latency:
    """Key press → new figure, in ms: ``src`` = the new PNG is set on the <img>,
    ``shown`` = the new PNG is decoded (its load event)."""

    src: list[float] = field(default_factory=list)
    shown: list[float] = field(default_factory=list)

    @staticmethod
    def _p90(xs: list[float]) -> float:
        return sorted(xs)[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]

    def summary(self, what: str) -> str:
        return (f"{what}: key press -> new figure over {len(self.src)} presses: "
                f"src set median {statistics.median(self.src):.0f} ms, p90 {self._p90(self.src):.0f} ms; "
                f"PNG decoded median {statistics.median(self.shown):.0f} ms, "
                f"p90 {self._p90(self.shown):.0f} ms")


def press_and_time(page: sync_api.Page, target: sync_api.Locator, key: str, presses: int,
                   settle_ms: int = 150) -> Latency:
    """Press ``key`` on ``target`` ``presses`` times, one at a time: after each press wait for
    the figure's new PNG to be loaded (and a short settle), and measure in the page."""
    lat = Latency()
    for _ in range(presses):
        n = page.evaluate("() => [window.__e2e.srcs.length, window.__e2e.loads.length]")
        target.press(key)
        page.wait_for_function(
            "([s, l]) => window.__e2e.srcs.length > s && window.__e2e.loads.length > l",
            arg=n, timeout=30_000, polling="raf",
        )
        page.wait_for_timeout(settle_ms)
        rec = page.evaluate("() => window.__e2e")
        t_key = rec["keys"][-1]
        src = [t for t in rec["srcs"][n[0]:] if t >= t_key]
        shown = [t for t in rec["loads"][n[1]:] if t >= t_key]
        assert src and shown, "the figure changed before the key press was seen"
        lat.src.append(src[0] - t_key)
        lat.shown.append(shown[0] - t_key)
    return lat


def img_src(img: sync_api.Locator) -> str:
    return img.get_attribute("src") or ""


def img_digest(img: sync_api.Locator) -> str:
    """A fingerprint of the pixels the <img> currently shows (the blob URL alone changes even
    when the PNG bytes are the same)."""
    return img.evaluate("""(img) => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let h = 2166136261 >>> 0;
        for (let i = 0; i < d.length; i += 1) { h ^= d[i]; h = Math.imul(h, 16777619) >>> 0; }
        return c.width + 'x' + c.height + ':' + h.toString(16);
    }""")


# ------------------------------------------------------------------------------------------------
# the tests


def _needs_module(name: str) -> None:
    """Fail when a widget module is missing from the package."""
    if importlib.util.find_spec(name) is None:
        pytest.fail(f"the widget module {name} is missing from the package", pytrace=False)


def open_and_run(page: sync_api.Page, server: JupyterServer, lesson: str, marker: str) -> str:
    """Open ``lesson`` in ``server``'s front end, Run All Cells from the menu and check that no
    cell raised. Returns the notebook's name."""
    name = require_lesson(server.root, lesson, marker)
    open_notebook(page, server, name)
    seconds = run_all_cells(page)
    print(f"\n{server.frontend.title}, {name}: Run All Cells took {seconds:.1f} s")
    assert error_outputs(page) == []
    return name


@dataclass
class LRView:
    """The learning-rate explorer's output in the page: its figure and its η slider."""

    out: sync_api.Locator
    img: sync_api.Locator
    handle: sync_api.Locator
    readout: sync_api.Locator

    @classmethod
    def find(cls, page: sync_api.Page) -> LRView:
        cell = widget_cell(page, LR_MARKER)
        cell.scroll_into_view_if_needed()
        out = cell.locator(".jp-OutputArea-output").last
        slider = out.locator(".widget-slider", has_text="η").first
        return cls(out, out.locator("img.widget-image").first,
                   slider.locator(".noUi-handle").first, slider.locator(".widget-readout").first)


def lr_value(page: sync_api.Page) -> float:
    text = kernel_eval(page, "print(explorer.lr.value)").strip()
    assert not text.startswith("ERROR"), text
    return float(text)


def check_lr_arrow_keys(page: sync_api.Page, view: LRView, shots: str = "") -> None:
    """ArrowRight on the focused η slider raises the learning rate and changes the figure and
    the status line, each press in a bounded time. Screenshots: ``{shots}lr_explorer_*.png``."""
    view.out.scroll_into_view_if_needed()
    view.out.screenshot(path=str(ARTIFACTS / f"{shots}lr_explorer_before.png"))
    status0 = kernel_eval(page, "print(explorer.status_text)").strip()
    lr0 = lr_value(page)
    readout0, src0, pixels0 = view.readout.inner_text(), img_src(view.img), img_digest(view.img)
    assert status0 and not status0.startswith("ERROR"), status0

    view.img.evaluate(RECORDER_JS)
    view.handle.focus()
    lat = press_and_time(page, view.handle, "ArrowRight", presses=8)
    print(lat.summary("learning-rate explorer"))
    print("kernel side, last change: " + kernel_eval(page, LR_KERNEL_TIMES).strip())

    status1 = kernel_eval(page, "print(explorer.status_text)").strip()
    lr1 = lr_value(page)
    readout1 = view.readout.inner_text()
    view.out.screenshot(path=str(ARTIFACTS / f"{shots}lr_explorer_after.png"))
    page.screenshot(path=str(ARTIFACTS / f"{shots}lr_explorer_page.png"))
    print(f"η {lr0} -> {lr1} (readout {readout0} -> {readout1})\nstatus before: {status0}\n"
          f"status after:  {status1}")

    assert lr1 > lr0, "ArrowRight did not raise the learning rate"
    assert readout1 != readout0
    assert img_src(view.img) != src0
    assert img_digest(view.img) != pixels0, "the figure's pixels did not change"
    assert status1 != status0, "the status line did not change"
    assert error_outputs(page) == []
    assert statistics.median(lat.shown) < LATENCY_LIMIT_MS, lat.summary("learning-rate explorer")


def drag_handle(page: sync_api.Page, handle: sync_api.Locator, dx: float) -> None:
    """Drag a slider's handle ``dx`` pixels to the side with the mouse."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box, "the slider handle is not shown"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=6)
    page.mouse.up()


def test_lr_explorer_slider_in_jupyterlab(lab: JupyterServer, page: sync_api.Page) -> None:
    _needs_module("backprop_lab.widgets.lr_explorer")
    open_and_run(page, lab, "03_gradient_descent.ipynb", LR_MARKER)
    check_lr_arrow_keys(page, LRView.find(page))


def test_playground_step_in_jupyterlab(lab: JupyterServer, page: sync_api.Page) -> None:
    _needs_module("backprop_lab.widgets.playground")
    open_and_run(page, lab, "06_mlp_from_scratch.ipynb", PG_MARKER)

    cell = widget_cell(page, PG_MARKER)
    cell.scroll_into_view_if_needed()
    out = cell.locator(".jp-OutputArea-output").last
    img = out.locator("img.widget-image").first
    step = out.get_by_role("button", name="Step")
    status = out.locator(".widget-html").last
    out.screenshot(path=str(ARTIFACTS / "playground_before.png"))
    status0, src0, pixels0 = status.inner_text(), img_src(img), img_digest(img)
    assert "step 0," in status0, status0

    img.evaluate(RECORDER_JS)
    step.focus()
    presses = 6
    lat = press_and_time(page, step, "Enter", presses=presses)
    print(lat.summary("playground Step"))
    print("kernel side, last press: " + kernel_eval(page, PG_KERNEL_TIMES).strip())

    status1 = status.inner_text()
    out.screenshot(path=str(ARTIFACTS / "playground_after.png"))
    page.screenshot(path=str(ARTIFACTS / "playground_page.png"))
    print(f"status before: {status0}\nstatus after:  {status1}")

    assert f"step {presses}," in status1, status1
    assert img_src(img) != src0
    assert img_digest(img) != pixels0, "the boundary image's pixels did not change"
    assert error_outputs(page) == []
    assert statistics.median(lat.shown) < LATENCY_LIMIT_MS, lat.summary("playground Step")


#: Notebook 7 (7.6) creates its app without Lumino's ``bubblingKeydown`` (JupyterLab passes
#: ``bubblingKeydown: true``), so its shortcuts see a key press before the focused widget does:
#: ArrowRight, bound to notebook:move-cursor-heading-below-or-expand in command mode, moves the
#: active cell to the next heading and takes the focus off the slider, whose value stays.
NB7_ARROW_KEY_PROBLEM = (
    "Notebook 7 runs its notebook shortcuts before the focused widget sees the key "
    "(no bubblingKeydown): ArrowRight on the η slider moved the active cell to the next heading "
    "instead of raising η"
)

#: where the focus is: the active cell's index and the focused element's classes
FOCUS_JS = """() => [window.jupyterapp.shell.currentWidget.content.activeCellIndex,
                     document.activeElement ? document.activeElement.className : '']"""


def test_lr_explorer_slider_in_notebook7(nb7: JupyterServer, page: sync_api.Page) -> None:
    """The course in Notebook 7 (``jupyter notebook``): lesson 03 at /notebooks/..., Run All
    Cells from its menu bar, the η slider dragged with the mouse, then the keyboard check of the
    JupyterLab test (expected to fail while Notebook 7 takes ArrowRight: see NB7_ARROW_KEY_PROBLEM)."""
    _needs_module("backprop_lab.widgets.lr_explorer")
    t = time.monotonic()
    open_and_run(page, nb7, "03_gradient_descent.ipynb", LR_MARKER)
    app = page.evaluate("() => [window.jupyterapp.name, window.jupyterapp.version]")
    assert app[0] == "Jupyter Notebook" and app[1].startswith("7."), f"not Notebook 7: {app}"
    view = LRView.find(page)

    # the mouse: drag η's handle to the right; a new figure must come
    lr0, src0, pixels0 = lr_value(page), img_src(view.img), img_digest(view.img)
    view.img.evaluate(RECORDER_JS)
    drag_handle(page, view.handle, 12)
    page.wait_for_function("() => window.__e2e.loads.length > 0", timeout=10_000)
    page.wait_for_timeout(400)  # continuous_update: let the last value's figure arrive
    lr1 = lr_value(page)
    view.out.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "nb7_lr_explorer_page.png"))
    print(f"mouse drag: η {lr0:.4g} -> {lr1:.4g}")
    assert lr1 > lr0, "dragging the η handle right did not raise the learning rate"
    assert img_src(view.img) != src0
    assert img_digest(view.img) != pixels0, "the figure's pixels did not change"
    assert error_outputs(page) == []

    # the keyboard: one ArrowRight on the focused handle, then the JupyterLab test's checks
    view.handle.focus()
    cell0, _ = page.evaluate(FOCUS_JS)
    loads = page.evaluate("() => window.__e2e.loads.length")
    view.handle.press("ArrowRight")
    page.wait_for_function(
        """(n) => window.__e2e.loads.length > n
                  || !document.activeElement.classList.contains('noUi-handle')""",
        arg=loads, timeout=10_000,
    )
    page.wait_for_timeout(300)
    cell1, focused = page.evaluate(FOCUS_JS)
    lr2 = lr_value(page)
    print(f"ArrowRight: η {lr1:.4g} -> {lr2:.4g}, active cell {cell0} -> {cell1}, "
          f"focus on {focused!r}")
    print(f"Notebook 7 test (page load to the keyboard check) took {time.monotonic() - t:.1f} s")
    if lr2 == lr1 and cell1 != cell0 and "jp-MarkdownCell" in focused:
        page.screenshot(path=str(ARTIFACTS / "nb7_lr_explorer_arrowkey.png"))
        pytest.xfail(NB7_ARROW_KEY_PROBLEM)
    check_lr_arrow_keys(page, view, shots="nb7_")
