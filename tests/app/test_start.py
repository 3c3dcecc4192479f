"""`backprop-lab start`: a student's working copy of the course, and the wheel that carries it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from backprop_lab import course
from backprop_lab.cli import main

REPO = Path(__file__).resolve().parents[2]


def _fake_course(root: Path) -> Path:
    for folder, names in (("lessons", ["00_start_here", "01_forward_pass"]),
                          ("exercises", ["01_forward_pass"]), ("solutions", ["01_forward_pass"])):
        (root / folder).mkdir(parents=True)
        for name in names:
            (root / folder / f"{name}.ipynb").write_text(json.dumps({"cells": [], "name": name}))
    return root


def test_start_copies_lessons_and_exercises_but_never_solutions(tmp_path):
    src = _fake_course(tmp_path / "src")
    report = course.copy_course(tmp_path / "work", source=src)
    assert sorted(report["added"]) == ["exercises/01_forward_pass.ipynb",
                                       "lessons/00_start_here.ipynb", "lessons/01_forward_pass.ipynb"]
    assert not (tmp_path / "work" / "solutions").exists()


def test_start_never_overwrites_a_changed_notebook(tmp_path):
    src = _fake_course(tmp_path / "src")
    work = tmp_path / "work"
    course.copy_course(work, source=src)
    student = work / "lessons" / "01_forward_pass.ipynb"
    student.write_text('{"my": "work"}')
    # a new version of every lesson ships, and a new lesson appears
    for p in (src / "lessons").glob("*.ipynb"):
        p.write_text(p.read_text().replace("cells", "cells_v2"))
    (src / "lessons" / "02_loss_functions.ipynb").write_text("{}")
    report = course.copy_course(work, source=src)
    assert report["kept"] == ["lessons/01_forward_pass.ipynb"]
    assert student.read_text() == '{"my": "work"}'
    assert "lessons/00_start_here.ipynb" in report["updated"]  # untouched: safe to update
    assert "cells_v2" in (work / "lessons" / "00_start_here.ipynb").read_text()
    assert report["added"] == ["lessons/02_loss_functions.ipynb"]
    again = course.copy_course(work, source=src)
    assert again["kept"] == ["lessons/01_forward_pass.ipynb"] and not again["added"]


def test_start_command_no_launch_reports(tmp_path, capsys, monkeypatch):
    src = _fake_course(tmp_path / "src")
    monkeypatch.setattr(course, "course_source", lambda: src)
    assert main(["start", str(tmp_path / "c"), "--no-launch"]) == 0
    out = capsys.readouterr().out
    assert "3 notebook(s) added" in out
    assert main(["start", str(tmp_path / "c"), "--no-launch"]) == 0
    assert "all 3 notebooks are up to date" in capsys.readouterr().out


def test_real_course_source_has_lessons_and_exercises():
    src = course.course_source()
    assert sorted(p.name for p in (src / "lessons").glob("*.ipynb"))
    assert not (src / "solutions").exists() or src == REPO


@pytest.mark.slow
def test_wheel_carries_lessons_and_exercises_not_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("backprop_lab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    lessons = [n for n in names if n.startswith("backprop_lab/course_files/lessons/")]
    exercises = [n for n in names if n.startswith("backprop_lab/course_files/exercises/")]
    assert {Path(n).name for n in lessons} == {p.name for p in (REPO / "lessons").glob("*.ipynb")}
    assert {Path(n).name for n in exercises} == {p.name for p in (REPO / "exercises").glob("*.ipynb")}
    assert not [n for n in names if "solutions" in n or ".ipynb_checkpoints" in n]
    assert "backprop_lab/datasets/mnist/train-images-idx3-ubyte.gz" in names


@pytest.mark.slow
def test_start_works_from_the_installed_wheel(tmp_path):
    """Install the wheel (without dependencies) into a folder that shadows the checkout, then run
    ``python -m backprop_lab start --no-launch``: the notebooks must come out of the wheel."""
    import os

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True)
    wheel = next((tmp_path / "dist").glob("backprop_lab-*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import backprop_lab.course as c; "
                            "print(c.course_source())"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where) == site / "backprop_lab" / "course_files"
    out = subprocess.run([sys.executable, "-m", "backprop_lab", "start", "course", "--no-launch"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "notebook(s) added" in out
    copied = {p.relative_to(tmp_path / "course").as_posix()
              for p in (tmp_path / "course").rglob("*.ipynb")}
    expected = {f"{folder}/{p.name}" for folder in ("lessons", "exercises")
                for p in (REPO / folder).glob("*.ipynb")}
    assert copied == expected



# --------------------------------------------------------------------------- issue 13


def test_no_newer_version_is_claimed_when_nothing_shipped(tmp_path, capsys, monkeypatch):
    src = _fake_course(tmp_path / "src")
    monkeypatch.setattr(course, "course_source", lambda: src)
    work = tmp_path / "c"
    assert main(["start", str(work), "--no-launch"]) == 0
    (work / "lessons" / "01_forward_pass.ipynb").write_text('{"mine": 1}')
    capsys.readouterr()
    assert main(["start", str(work), "--no-launch"]) == 0
    out = capsys.readouterr().out
    assert "1 notebook(s) you changed, kept as you left them:" in out
    assert "    lessons/01_forward_pass.ipynb\n" in out
    assert "a newer version" not in out
    assert not list(work.rglob("*.new.ipynb"))


def test_a_newer_version_is_saved_beside_the_students_own(tmp_path, capsys, monkeypatch):
    src = _fake_course(tmp_path / "src")
    monkeypatch.setattr(course, "course_source", lambda: src)
    work = tmp_path / "c"
    main(["start", str(work), "--no-launch"])
    mine = work / "lessons" / "01_forward_pass.ipynb"
    mine.write_text('{"mine": 1}')
    shipped = src / "lessons" / "01_forward_pass.ipynb"
    shipped.write_text('{"version": 2}')
    capsys.readouterr()
    main(["start", str(work), "--no-launch"])
    out = capsys.readouterr().out
    beside = work / "lessons" / "01_forward_pass.new.ipynb"
    assert beside.read_text() == '{"version": 2}'
    assert mine.read_text() == '{"mine": 1}'
    assert ("lessons/01_forward_pass.ipynb  (a newer version is saved beside it: "
            "lessons/01_forward_pass.new.ipynb)") in out
    # run again with nothing new: no second claim, the saved file stays
    main(["start", str(work), "--no-launch"])
    out = capsys.readouterr().out
    assert "a newer version" not in out and beside.exists()
    # the .new file is not a course notebook: it is never listed as added
    assert "new.ipynb" not in out


def test_lab_command_serves_the_course_folder_and_opens_lesson_00(tmp_path):
    src = _fake_course(tmp_path / "src")
    course.copy_course(tmp_path / "c", source=src)
    cmd, notes = course.lab_command(tmp_path / "c", ["--no-browser", "--port", "8899"], euid=1000)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={(tmp_path / 'c').resolve()}" in cmd
    assert str((tmp_path / "c" / "lessons" / "00_start_here.ipynb").resolve()) in cmd
    assert cmd[-3:] == ["--no-browser", "--port", "8899"]  # passed on unchanged, in order
    assert "--allow-root" not in cmd and notes == []


def test_as_root_allow_root_is_added_and_explained(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    cmd, notes = course.lab_command(tmp_path, [])
    assert cmd[-1] == "--allow-root"
    assert len(notes) == 1 and "root" in notes[0] and "added --allow-root" in notes[0]
    assert "refuses to start as root" in notes[0]
    cmd, notes = course.lab_command(tmp_path, ["--allow-root"])  # given already: not twice
    assert cmd.count("--allow-root") == 1 and notes == []


def test_as_a_normal_user_nothing_is_added(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    cmd, notes = course.lab_command(tmp_path, ["--port", "1234"])
    assert "--allow-root" not in cmd and notes == []
    assert cmd[-2:] == ["--port", "1234"]


@pytest.mark.parametrize(
    ("argv", "own", "lab"),
    [
        (["--no-browser", "--port", "8899"], [], ["--no-browser", "--port", "8899"]),
        (["mydir", "--port", "8899"], ["mydir"], ["--port", "8899"]),
        (["mydir", "--no-launch"], ["mydir", "--no-launch"], []),
        (["--no-launch", "mydir"], ["--no-launch", "mydir"], []),
        (["--port=8899", "x"], [], ["--port=8899", "x"]),
    ],
)
def test_start_tells_its_own_arguments_from_jupyterlabs(argv, own, lab):
    assert course._split_start_args(argv) == (own, lab)


def test_news_popup_is_switched_off_in_the_course_config_only(tmp_path):
    config = course.course_config_dir(tmp_path)
    assert config == tmp_path / ".jupyter"
    data = json.loads((config / "labconfig" / "default_setting_overrides.json").read_text())
    assert data == {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_start_serves_the_course_and_stops_cleanly_on_ctrl_c(tmp_path):
    """The real thing: `backprop-lab start DIR --no-browser --port P` in a subprocess; lessons and
    exercises are both reachable through the contents API; SIGINT stops it cleanly."""
    import os
    import queue
    import signal
    import time
    import urllib.request

    port, token = _free_port(), "door13-test-token"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop_lab", "start", str(tmp_path / "course"), "--no-browser",
         "--port", str(port), "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)

    def get(path: str):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def post(path: str, body: dict):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get("/api/status")
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the server did not come up in 120 s"
                time.sleep(0.5)
        exercises = [e["name"] for e in get("/api/contents/exercises")["content"]]
        first_ex = sorted(n for n in exercises if n.startswith("01_") and n.endswith(".ipynb"))[0]
        nb = get(f"/api/contents/exercises/{first_ex}")
        assert nb["type"] == "notebook" and nb["content"]["cells"]
        lessons = [e["name"] for e in get("/api/contents/lessons")["content"]]
        first_lesson = sorted(n for n in lessons if n.startswith("00_"))[0]
        assert get(f"/api/contents/lessons/{first_lesson}")["content"]["cells"]
        # the news question is answered "no" by default for this server
        schema = get("/lab/api/settings/@jupyterlab/apputils-extension:notification")["schema"]
        assert schema["properties"]["fetchNews"]["default"] == "false"
        kernel = post("/api/kernels", {"name": "python3"})["id"]
        # as a student would: Ctrl-C once the kernel is up (one killed while still importing
        # prints its own KeyboardInterrupt)
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient(connection_file=str(tmp_path / "runtime" /
                                                          f"kernel-{kernel}.json"))
        client.load_connection_file()
        client.start_channels(hb=False)  # no heartbeat: on a loaded machine it misses beats
        try:
            ready_by = time.monotonic() + 120
            while True:
                client.kernel_info()
                try:
                    client.get_shell_msg(timeout=5)
                    break
                except queue.Empty:
                    assert time.monotonic() < ready_by, "the kernel did not answer in 120 s"
        finally:
            client.stop_channels()

        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert time.monotonic() - start < 20
    finally:
        if proc.poll() is None:  # a failure above: stop it the clean way, then by force
            proc.terminate()
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err, out + err
    assert "JupyterLab stopped." in out
    assert f"Kernel shutdown: {kernel}" in err  # the kernel was shut down, not orphaned
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "added --allow-root" in out


def test_start_config_turns_nagle_off_on_kernel_websockets(tmp_path):
    """`backprop-lab start` installs the no-delay server config (the ~40 ms per widget update
    that issue 18 measured) in the course's own config folder, and it is valid Python."""
    from backprop_lab.course import NODELAY_SERVER_CONFIG, course_config_dir

    config = course_config_dir(tmp_path)
    text = (config / "jupyter_server_config.py").read_text()
    assert text == NODELAY_SERVER_CONFIG
    compile(text, "jupyter_server_config.py", "exec")
    assert "set_nodelay(True)" in text
