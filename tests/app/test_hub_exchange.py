"""The class on a real JupyterHub, on loopback: hub, course hand-out and nbgrader's exchange, end to end.

Starts JupyterHub (PyPI) with configurable-http-proxy (npm), using the deployment's own
``deploy/jupyterhub/jupyterhub_config.py`` with three things replaced for a machine without
system accounts: the dummy authenticator, ``SimpleLocalProcessSpawner`` (every user's server runs
as the test's user, with its own home folder under a temporary directory) and ports on 127.0.0.1.

Then, all through the hub and the proxy: an instructor and two students log in through the hub's
REST API (a token each, from username + password) and start their servers through the REST API.

- The instructor runs the ``nbgrader`` commands **inside a kernel of their own server** (code
  sent over the kernel's websocket; nbgrader runs as a subprocess of that kernel, so with the
  server's HOME, PATH, JUPYTERHUB_USER and nbgrader configuration).
- The students do what JupyterLab's Assignments tab does: they call nbgrader's
  ``assignment_list`` extension in their own server (``/assignments/fetch``, ``.../submit``,
  ``.../fetch_feedback``), and edit notebooks through the contents API.

The instructor uploads the solutions of exercise 01 through the contents API, generates and
releases it; both students fetch it; one fills in the solutions, one leaves it untouched; both
submit; the instructor collects, autogrades (full points / 0 points) and generates and releases
feedback; the solving student fetches the feedback.

Everything started is stopped at the end (the test fails if a process outlives the hub).
Needs ``jupyterhub`` (``pip install -e ".[hub]"``) and ``configurable-http-proxy``
(``npm install -g configurable-http-proxy``): it skips with a reason where either is missing,
except under CI (the ``CI`` environment variable set), where ``.ci/run`` installs both and a
missing one is a failure.

The nbgrader commands are plain ``nbgrader`` calls (:data:`INSTRUCTOR_STEPS`); when the course's
instructor command exists, replace them there.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
SOURCE = ROOT / "solutions" / "01_forward_pass.ipynb"
ASSIGNMENT = "ps01"
COURSE = "backprop_lab"
INSTRUCTOR, SOLVER, IDLER = "teacher", "alice", "bob"
PASSWORD = "loopback-only-" + uuid.uuid4().hex[:8]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

STEP_SECONDS: list[tuple[str, float]] = []  # each nbgrader call's time, printed at the end

# what the instructor runs, in order, around the students' steps (each: nbgrader + arguments)
INSTRUCTOR_STEPS = {
    "release": [["generate_assignment", ASSIGNMENT, "--force"],
                ["release_assignment", ASSIGNMENT, "--force"]],
    "grade": [["collect", ASSIGNMENT],
              ["autograde", ASSIGNMENT, "--force"],
              ["generate_feedback", ASSIGNMENT, "--force"],
              ["release_feedback", ASSIGNMENT]],
}


def _require(found: bool, what: str, how: str) -> None:
    """Skip (or, under CI, fail) with a reason when a tool the test needs is missing."""
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, but .ci/run installs it under CI: {how}")
    pytest.skip(f"{what} is missing: {how}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- HTTP and kernel helpers (standard library + tornado, which Jupyter already needs) ------------


# loopback only: never through an HTTP proxy the environment may name
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http(method: str, url: str, token: str | None = None, body: object = None,
          timeout: float = 30) -> tuple[int, object]:
    """One request; returns (status, JSON body or text). Never raises on an HTTP error status."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


async def _execute(ws_url: str, token: str, code: str, timeout: float) -> tuple[str, str | None]:
    """Run ``code`` in the kernel behind ``ws_url``; return (stdout text, error traceback or None)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
    msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "test", "version": "5.3",
                   "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    out: list[str] = []
    error, replied, idle = None, False, False
    deadline = time.monotonic() + timeout
    try:
        while not (replied and idle):
            raw = await asyncio.wait_for(conn.read_message(), max(deadline - time.monotonic(), 0.1))
            if raw is None:
                raise RuntimeError(f"the kernel's websocket closed: {ws_url}")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = "\n".join(msg["content"]["traceback"])
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
    finally:
        conn.close()
    return "".join(out), error


@dataclass
class User:
    """A logged-in hub user: name, API token, and the hub's public URL."""

    name: str
    token: str
    url: str
    kernel: str | None = None

    def server(self, path: str) -> str:
        return f"{self.url}/user/{self.name}/{path.lstrip('/')}"

    def api(self, method: str, path: str, body: object = None, ok=(200, 201, 204)) -> object:
        path, _, query = path.partition("?")
        url = self.server(urllib.parse.quote(path)) + (f"?{query}" if query else "")
        status, data = _http(method, url, self.token, body)
        assert status in ok, f"{self.name}: {method} {path} -> {status}: {str(data)[:500]}"
        return data

    def run(self, code: str, timeout: float = 240) -> str:
        """Execute ``code`` in this user's kernel (started on first use) through the proxy."""
        if self.kernel is None:
            self.kernel = self.api("POST", "api/kernels", {"name": "python3"})["id"]
        ws = self.server(f"api/kernels/{self.kernel}/channels").replace("http://", "ws://", 1)
        out, error = asyncio.run(_execute(ws, self.token, code, timeout))
        assert error is None, f"{self.name}'s kernel raised:\n{error}"
        return out

    def nbgrader(self, *args: str) -> dict:
        """Run ``nbgrader *args`` from this user's kernel (cwd: their home); fail with its output."""
        code = (
            "import json, os, subprocess\n"
            f"cmd = ['nbgrader', *{list(args)!r}]\n"
            "r = subprocess.run(cmd, cwd=os.path.expanduser('~'), capture_output=True, text=True)\n"
            "print(json.dumps({'rc': r.returncode, 'log': (r.stdout + r.stderr)[-6000:],"
            " 'user': os.environ.get('JUPYTERHUB_USER'), 'home': os.path.expanduser('~')}))\n"
        )
        start = time.perf_counter()
        result = json.loads(self.run(code).strip().splitlines()[-1])
        STEP_SECONDS.append((f"{self.name}: {args[0]}", time.perf_counter() - start))
        assert result["user"] == self.name, result
        assert result["rc"] == 0, f"{self.name}: nbgrader {' '.join(args)} failed:\n{result['log']}"
        return result

    def assignments(self, action: str) -> list[dict]:
        """What the student's Assignments tab does: ``action`` (fetch, submit, fetch_feedback) on
        this course's assignment through nbgrader's extension in the student's own server; returns
        the assignments it then lists."""
        start = time.perf_counter()
        if action == "list":
            reply = self.api("GET", f"assignments?course_id={COURSE}")
        else:
            reply = self.api("POST", f"assignments/{action}",
                             {"course_id": COURSE, "assignment_id": ASSIGNMENT})
        STEP_SECONDS.append((f"{self.name}: {action}", time.perf_counter() - start))
        assert reply["success"], f"{self.name}: {action} failed:\n{reply['value']}"
        return [a for a in reply["value"] if a["assignment_id"] == ASSIGNMENT]


# -- the hub ---------------------------------------------------------------------------------------


@dataclass
class Hub:
    url: str
    proc: subprocess.Popen
    homes: Path
    exchange: Path
    log: Path

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def login(self, name: str) -> User:
        """Log in through the REST API with username + password; returns the user with a token."""
        status, data = _http("POST", f"{self.url}/hub/api/users/{name}/tokens", body={
            "auth": {"username": name, "password": PASSWORD}, "note": "loopback test",
            "expires_in": 3600})
        assert status in (200, 201), f"login of {name} -> {status}: {data}"
        return User(name, data["token"], self.url)

    def start_server(self, user: User) -> None:
        """Ask the hub, through its REST API, to start ``user``'s server."""
        status, data = _http("POST", f"{self.url}/hub/api/users/{user.name}/server", user.token)
        assert status in (201, 202), f"start {user.name}: {status} {data}\n{self.log_tail()}"

    def wait_ready(self, user: User, timeout: float = 120) -> dict:
        """Wait until the hub reports ``user``'s server ready; returns the hub's server model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, model = _http("GET", f"{self.url}/hub/api/users/{user.name}", user.token)
            server = (model or {}).get("servers", {}).get("", {})
            if status == 200 and server.get("ready"):
                return server
            assert self.proc.poll() is None, f"the hub exited:\n{self.log_tail()}"
            time.sleep(0.5)
        raise AssertionError(f"{user.name}'s server not ready in {timeout} s:\n{self.log_tail()}")


def _cmdline(proc) -> str:
    """``proc``'s command line, or "" for a process that is gone or a zombie."""
    import psutil

    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.fixture
def hub(tmp_path):
    """A JupyterHub + proxy on 127.0.0.1 with the deployment's config; stopped (all of it) after."""
    psutil = pytest.importorskip("psutil")
    _require(shutil.which("jupyterhub", path=str(BIN)) is not None, "JupyterHub",
             f'pip install -e ".[hub]" into {sys.prefix}')
    _require(shutil.which("configurable-http-proxy") is not None,
             "configurable-http-proxy (Node.js)", "npm install -g configurable-http-proxy")

    state, homes, exchange = tmp_path / "hub", tmp_path / "home", tmp_path / "exchange"
    state.mkdir()
    homes.mkdir()
    public, api, hub_port = _free_port(), _free_port(), _free_port()
    config = state / "jupyterhub_config.py"
    config.write_text(f"""\
c = get_config()
load_subconfig({str(DEPLOY_CONFIG)!r})  # the deployment's configuration, then the loopback changes:
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.JupyterHub.db_url = "sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(state / 'cookie_secret')!r}
c.ConfigurableHTTPProxy.pid_file = {str(state / 'proxy.pid')!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes / '{username}')!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.args = ["--ServerApp.allow_root=True"]  # CI containers run as root
""")
    env = dict(os.environ)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "BACKPROP_COURSE_ID": COURSE,
        "BACKPROP_EXCHANGE": str(exchange),
        "BACKPROP_INSTRUCTORS": INSTRUCTOR,
        "BACKPROP_STUDENTS": f"{SOLVER},{IDLER}",
        "BACKPROP_HANDOUT": "start",
    })
    log = state / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=state, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    the_hub = Hub(f"http://127.0.0.1:{public}", proc, homes, exchange, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _http("GET", f"{the_hub.url}/hub/api/", timeout=5)
            except (urllib.error.URLError, ConnectionError):
                status = None  # not listening yet
            if status == 200:
                break
            assert proc.poll() is None, f"the hub exited ({proc.returncode}):\n{the_hub.log_tail()}"
            assert time.monotonic() < deadline, f"the hub did not answer in 60 s:\n{the_hub.log_tail()}"
            time.sleep(0.3)
        yield the_hub
    finally:
        started = _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)  # the hub stops the users' servers, the culler and the proxy
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        _, alive = psutil.wait_procs(started, timeout=15)
        for p in alive:  # should not happen; kill them so nothing leaks, then fail below
            p.kill()
        left = [f"{p.pid} {_cmdline(p)[:200]}" for p in alive]
        assert not left, f"processes outlived the hub: {left}\n{the_hub.log_tail()}"


# -- the test -----------------------------------------------------------------------------------


def _solved(released: dict, source: nbformat.NotebookNode) -> tuple[dict, int]:
    """The released notebook with every solution cell written as the solutions notebook has it."""
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    filled = 0
    for cell in released["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution") and grade_id in answers:
            cell["source"] = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", "",
                                    answers[grade_id], flags=re.M)
            filled += 1
    return released, filled


def test_release_fetch_submit_collect_autograde_feedback_through_a_real_hub(hub: Hub):
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    teacher, alice, bob = (hub.login(n) for n in (INSTRUCTOR, SOLVER, IDLER))
    # a wrong password gets no token
    status, _ = _http("POST", f"{hub.url}/hub/api/users/{SOLVER}/tokens",
                      body={"auth": {"username": SOLVER, "password": "wrong"}})
    assert status == 403

    for user in (teacher, alice, bob):
        hub.start_server(user)
    for user in (teacher, alice, bob):
        hub.wait_ready(user)
        # the server answers through the proxy, as this user, and only to this user
        assert user.api("GET", "api/me")["identity"]["username"] == user.name
        # the course was handed out in the home folder at the first start (backprop-lab start)
        listing = user.api("GET", "api/contents/backprop-course/lessons")
        names = {item["name"] for item in listing["content"]}
        assert "00_start_here.ipynb" in names and "07_training_on_mnist.ipynb" in names
        assert not (hub.homes / user.name / "backprop-course" / "solutions").exists()
    status, _ = _http("GET", alice.server("api/contents"), bob.token)
    assert status == 403, "bob's token must not open alice's server"
    t_servers = time.perf_counter()

    # instructor: upload the source (the solutions notebook) into ~/course/source/ps01, release it
    for folder in ("course", "course/source", f"course/source/{ASSIGNMENT}"):
        teacher.api("PUT", f"api/contents/{folder}", {"type": "directory"})
    source = nbformat.read(SOURCE, as_version=4)
    teacher.api("PUT", f"api/contents/course/source/{ASSIGNMENT}/{SOURCE.name}",
                {"type": "notebook", "format": "json", "content": source})
    for step in INSTRUCTOR_STEPS["release"]:
        teacher.nbgrader(*step)
    assert (hub.exchange / COURSE / "outbound" / ASSIGNMENT / SOURCE.name).is_file()

    # students: fetch; alice fills in the solutions, bob leaves it untouched; both submit
    for student in (alice, bob):
        (listed,) = student.assignments("list")
        assert listed["status"] == "released", listed
        (fetched,) = student.assignments("fetch")
        assert fetched["status"] == "fetched", fetched
    path = f"api/contents/{ASSIGNMENT}/{SOURCE.name}"
    released = alice.api("GET", path)["content"]
    assert "raise NotImplementedError" in json.dumps(released), "the release must hide the solutions"
    solved, filled = _solved(released, source)
    assert filled >= 5
    alice.api("PUT", path, {"type": "notebook", "format": "json", "content": solved})
    for student in (alice, bob):
        student.assignments("submit")
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / COURSE / "inbound").iterdir())
    assert inbound == sorted([SOLVER, IDLER]), inbound

    # instructor: collect, autograde, generate and release feedback
    for step in INSTRUCTOR_STEPS["grade"]:
        teacher.nbgrader(*step)

    # alice fetches her feedback: an HTML report with her full score
    alice.assignments("fetch_feedback")
    fetched = alice.api("GET", f"api/contents/{ASSIGNMENT}/feedback")["content"]
    assert len(fetched) == 1, fetched
    report_path = f"{fetched[0]['path']}/{SOURCE.stem}.html"
    report = alice.api("GET", f"api/contents/{report_path}?type=file&format=text")["content"]
    seconds_cycle = time.perf_counter() - t_servers

    with Gradebook(f"sqlite:///{hub.homes / INSTRUCTOR / 'course' / 'gradebook.db'}") as gb:
        solved_sub = gb.find_submission(ASSIGNMENT, SOLVER)
        idle_sub = gb.find_submission(ASSIGNMENT, IDLER)
        max_code = solved_sub.max_code_score
        alice_code, bob_code = solved_sub.code_score, idle_sub.code_score
        alice_score, max_score = solved_sub.score, solved_sub.max_score
    assert max_code > 0
    assert alice_code == max_code, f"the filled-in solutions score {alice_code} of {max_code}"
    assert bob_code == 0, f"the untouched exercise scores {bob_code}"
    # the report's heading: "01_forward_pass (Score: <score> / <max score>)"
    heading = re.search(rf"{SOURCE.stem} \(Score: ([\d.]+) / ([\d.]+)\)", report)
    assert heading, "the feedback report must state alice's score"
    assert (float(heading[1]), float(heading[2])) == (alice_score, max_score)

    # the hub stops the servers on request (the fixture then stops the hub and checks nothing is left)
    children = _descendants(hub.proc.pid)
    # the idle culler runs as a hub service, with the deployment's settings
    cullers = [_cmdline(p) for p in children if "jupyterhub_idle_culler" in _cmdline(p)]
    assert len(cullers) == 1 and "--timeout=3600" in cullers[0], f"{cullers}\n{hub.log_tail()}"
    log = hub.log.read_text()
    assert "exited with status" not in log, hub.log_tail()
    # ... and its role lets it read the users' activity (it asks once at start, then every 5 min)
    assert re.search(r" 200 GET /hub/api/users\S* \(jupyterhub-idle-culler-service@", log), \
        "the culler could not list the users"
    servers = [p for p in children if "jupyterhub-singleuser" in _cmdline(p)]
    assert len(servers) == 3, [_cmdline(p) for p in children]
    rss = sorted(round(p.memory_info().rss / 2**20) for p in servers)
    for user in (teacher, alice, bob):
        status, _ = _http("DELETE", f"{hub.url}/hub/api/users/{user.name}/server", user.token)
        assert status in (202, 204), f"stop {user.name}: {status}"
    total = time.perf_counter() - t0
    print(f"\nloopback hub: login + 3 servers started {t_servers - t0:.1f} s; exchange cycle "
          f"(release -> fetch -> submit -> collect -> autograde -> feedback -> fetch feedback) "
          f"{seconds_cycle:.1f} s; total {total:.1f} s; code points alice {alice_code:g}/{max_code:g}, "
          f"bob {bob_code:g}; RSS of each user's Jupyter server process, its kernel not included (MiB): {rss}")
    print("  " + "; ".join(f"{name} {sec:.1f} s" for name, sec in STEP_SECONDS))
