"""The student's ``backprop-lab start``: a working copy of the course, opened in JupyterLab.

    backprop-lab start                     # copy lessons/ and exercises/ to ./backprop-course, open it
    backprop-lab start --no-browser --port 8899      # options start does not know go to JupyterLab

The maintainer's commands (generating ``exercises/`` from ``solutions/``, storing notebook
outputs) are not here: they are ``python tools/maintain.py …`` in the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from backprop_lab.data.checksums import sha256_file

#: the repository checkout this package sits in (for a wheel: site-packages, without lessons/)
REPO = Path(__file__).resolve().parent.parent
#: the single source of every exercise (a clone only; instructors' ``instructor init`` reads it)
SOLUTIONS = REPO / "solutions"
#: the student versions, generated from :data:`SOLUTIONS` by ``tools/maintain.py exercises build``
EXERCISES = REPO / "exercises"


# -- backprop-lab start: a working copy of the course for a student ------------------------------

MANIFEST = ".backprop_lab_manifest.json"
COURSE_FOLDERS = ("lessons", "exercises")  # never solutions/


def course_source() -> Path:
    """Where the shipped notebooks are: inside the installed wheel, or the repository checkout."""
    packaged = Path(__file__).resolve().parent / "course_files"
    return packaged if (packaged / "lessons").is_dir() else REPO


def new_version_path(rel: str) -> str:
    """Where ``start`` saves a newer shipped version of a notebook the student changed:
    ``lessons/03_x.ipynb`` → ``lessons/03_x.new.ipynb``, beside the student's own."""
    return rel[: -len(".ipynb")] + ".new.ipynb"


def copy_course(dest: str | Path, source: Path | None = None) -> dict[str, list[str]]:
    """Copy lessons/ and exercises/ into ``dest`` without ever overwriting a student's work.

    A manifest in ``dest`` remembers the hash of every notebook as it was last shipped. On a later
    run a notebook is added if it is new, updated if the student has not changed it, and kept as
    the student left it if they have; if in that case a newer version has shipped since, it is
    saved beside theirs as ``NN_x.new.ipynb`` (:func:`new_version_path`).

    Returns {"added", "updated", "kept", "newer", "unchanged"}: lists of paths relative to
    ``dest``. "kept" lists every notebook the student changed; "newer" the subset for which a new
    version was saved beside theirs on this run (nothing new shipped: not listed there).
    """
    import json
    import shutil

    source = course_source() if source is None else Path(source)
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} exists and is not a folder; choose another course folder")
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report: dict[str, list[str]] = {"added": [], "updated": [], "kept": [], "newer": [],
                                    "unchanged": []}
    for folder in COURSE_FOLDERS:
        for src in sorted((source / folder).glob("*.ipynb")):
            if src.name.endswith(".new.ipynb"):
                continue
            rel = f"{folder}/{src.name}"
            dst = dest / rel
            new_hash = sha256_file(src)
            shipped_before = manifest.get(rel)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                report["added"].append(rel)
            else:
                current = sha256_file(dst)
                if current == new_hash:
                    report["unchanged"].append(rel)
                elif shipped_before == current:  # untouched by the student: safe to update
                    shutil.copyfile(src, dst)
                    report["updated"].append(rel)
                else:
                    report["kept"].append(rel)
                    if shipped_before != new_hash:  # a version they have not seen yet
                        shutil.copyfile(src, dest / new_version_path(rel))
                        report["newer"].append(rel)
            manifest[rel] = new_hash
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def print_report(report: dict[str, list[str]], dest: Path) -> None:
    """Tell the student what ``start`` did to their course folder."""
    print(f"course folder: {dest.resolve()}")
    for key, text in (("added", "added"), ("updated", "updated (you had not changed them)")):
        if report[key]:
            print(f"  {len(report[key])} notebook(s) {text}:")
            for rel in report[key]:
                print(f"    {rel}")
    if report["kept"]:
        print(f"  {len(report['kept'])} notebook(s) you changed, kept as you left them:")
        for rel in report["kept"]:
            note = (f"  (a newer version is saved beside it: {new_version_path(rel)})"
                    if rel in report["newer"] else "")
            print(f"    {rel}{note}")
    if not any(report[k] for k in ("added", "updated", "kept")):
        print(f"  all {len(report['unchanged'])} notebooks are up to date")


#: JupyterLab setting changed for the course's own server only: never ask about Jupyter news
LAB_DEFAULTS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}
FIRST_NOTEBOOK = "lessons/00_start_here.ipynb"
#: seconds JupyterLab gets to shut its kernels down after Ctrl-C before it is killed
STOP_TIMEOUT = 15.0


#: ``jupyter_server_config.py`` of the course's config folder: the server sends kernel messages to
#: the browser without Nagle's algorithm. jupyter_server leaves it on for its kernel websockets,
#: so on a local connection a small message that follows another one (a widget's new figure
#: after the slider's echo) waits ~40 ms for the browser's delayed acknowledgement; with it off
#: a slider press shows its new figure in ~20-30 ms instead of ~55 ms
#: (``benchmarks/bench_browser_latency.py --server-nodelay``). If the server's handler ever moves,
#: the file does nothing rather than stopping the server from starting.
NODELAY_SERVER_CONFIG = """\
try:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler as _Handler
except ImportError:  # another jupyter_server layout: keep its defaults
    _Handler = None

if _Handler is not None:
    _open = _Handler.open

    async def _open_without_nagle(self, *args, **kwargs):
        self.set_nodelay(True)
        return await _open(self, *args, **kwargs)

    _Handler.open = _open_without_nagle
"""


def course_config_dir(dest: Path) -> Path:
    """A Jupyter config folder inside the course folder, used only by the server ``start`` runs
    (``JUPYTER_CONFIG_PATH``); it holds ``labconfig/default_setting_overrides.json`` with
    :data:`LAB_DEFAULTS` (a default: a setting the student changes in JupyterLab still wins) and
    ``jupyter_server_config.py`` with :data:`NODELAY_SERVER_CONFIG`."""
    import json

    config = dest / ".jupyter"
    target = config / "labconfig" / "default_setting_overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(LAB_DEFAULTS, indent=1) + "\n")
    (config / "jupyter_server_config.py").write_text(NODELAY_SERVER_CONFIG)
    return config


def lab_command(dest: Path, lab_args: list[str], euid: int | None = None) -> tuple[list[str], list[str]]:
    """The JupyterLab command line for course folder ``dest``, and what ``start`` tells the user.

    The server's root is the course folder (so lessons/, exercises/ and the student's own files
    are all reachable) and lesson 00 is opened by URL. ``lab_args`` (options ``start`` does not
    know) are passed on unchanged; as root ``--allow-root`` is added, because JupyterLab refuses
    to start as root without it.
    """
    if euid is None:
        euid = os.geteuid() if hasattr(os, "geteuid") else -1
    notes = []
    args = list(lab_args)
    if euid == 0 and not any(a == "--allow-root" or a.startswith("--allow-root=") or
                             a.startswith("--ServerApp.allow_root") for a in args):
        args.append("--allow-root")
        notes.append("you are running as root (user id 0, as in many Docker containers and lab "
                     "machines), and JupyterLab refuses to start as root unless told so: added "
                     "--allow-root")
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={dest.resolve()}"]
    first = dest / FIRST_NOTEBOOK
    if first.exists():
        cmd.append(str(first.resolve()))
    return cmd + args, notes


def run_lab(cmd: list[str], env: dict[str, str]) -> int:
    """Run JupyterLab until it exits; on Ctrl-C (or SIGTERM/SIGHUP) ask it to stop cleanly.

    JupyterLab runs in its own session, so the terminal's Ctrl-C reaches only this process, which
    then sends it SIGTERM: JupyterLab shuts down its kernels and exits (its own Ctrl-C handler
    would instead ask "Shutdown this Jupyter server (y/[n])?"). Returns JupyterLab's exit code
    (0 after a clean stop).
    """
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, start_new_session=True)

    def _stop(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            print("\nstopping JupyterLab: shutting down its kernels ...", flush=True)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort this
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"JupyterLab did not stop within {STOP_TIMEOUT:g} s; killing it", flush=True)
                proc.kill()
                proc.wait()
                return 1
            print("JupyterLab stopped.")
            return 0 if code in (0, -signal.SIGTERM) else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)


START_EPILOG = """\
Every option start does not know is passed on to JupyterLab, e.g.
  backprop-lab start --no-browser --port 8899
As root, --allow-root is added for you (and said so). Ctrl-C stops JupyterLab cleanly.

A notebook you changed is never overwritten. If a newer version of it ships, start saves that
version beside yours as NN_name.new.ipynb (e.g. lessons/03_gradient_descent.new.ipynb); open it
to compare, or delete yours and run start again to get the new one.
"""


def _split_start_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(start's own arguments, JupyterLab's). DIR is the first word before any JupyterLab option,
    so ``start --no-browser --port 8899`` does not take 8899 for a folder."""
    own, lab = [], []
    for a in argv:
        if a in ("--no-launch", "-h", "--help"):
            own.append(a)
        elif not lab and not a.startswith("-") and not any(not o.startswith("-") for o in own):
            own.append(a)
        else:
            lab.append(a)
    return own, lab


def main_start(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(
        prog="backprop-lab start", epilog=START_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [-h] [DIR] [--no-launch] [JupyterLab options ...]",
        description="copy the course (lessons/, exercises/) into a folder and open it in "
                    "JupyterLab at lesson 00")
    p.add_argument("dir", nargs="?", default="backprop-course", metavar="DIR",
                   help="course folder (default: ./backprop-course)")
    p.add_argument("--no-launch", action="store_true",
                   help="only copy the notebooks, do not start JupyterLab (default: start it)")
    own, lab_args = _split_start_args(argv)
    args = p.parse_args(own)
    dest = Path(args.dir)
    print_report(copy_course(dest), dest)
    if args.no_launch:
        return 0
    cmd, notes = lab_command(dest, lab_args)
    for note in notes:
        print(note)
    env = dict(os.environ)
    config = str(course_config_dir(dest).resolve())
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [config, *([env["JUPYTER_CONFIG_PATH"]] if env.get("JUPYTER_CONFIG_PATH") else [])])
    print("starting JupyterLab (Ctrl-C stops it): " + " ".join(cmd), flush=True)
    return run_lab(cmd, env)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_start(sys.argv[1:]))
