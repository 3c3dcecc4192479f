"""Course maintenance: executing notebooks to store their outputs, and generating ``exercises/``.

    backprop-lab notebooks run lessons/03_gradient_descent.ipynb   # Restart & Run All, saved
    backprop-lab exercises build                                   # solutions/ → exercises/
    backprop-lab exercises check                                   # non-zero if exercises/ is stale

Stored outputs always come from one top-to-bottom run in a fresh kernel of the current Python,
with one BLAS thread, exactly as the nbval tests re-run them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def run_notebook(path: str | Path, timeout: int = 900, allow_errors: bool = False) -> Path:
    """Execute a notebook top to bottom in a fresh kernel and save it with its outputs.

    The kernel runs in the notebook's own folder, like Jupyter does, with one BLAS thread.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    for var, value in NOTEBOOK_ENV.items():
        os.environ[var] = value
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, path)
    return path


# -- exercises: generated from solutions/ with nbgrader's own preprocessors -------------------------

SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"


def student_version(nb):
    """The student's notebook for a solutions notebook, as nbgrader's ``generate_assignment`` makes it.

    Runs nbgrader's preprocessors in its order — LockCells, ClearSolutions (code between
    ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes ``raise NotImplementedError()``),
    ClearOutput, CheckCellMetadata, ComputeChecksums, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata — without a gradebook database.
    """
    import copy

    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb = copy.deepcopy(nb)
    resources: dict = {}
    steps = [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(), ComputeChecksums(),
             ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(), CheckCellMetadata()]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def _dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def build_exercises(check_only: bool = False) -> list[str]:
    """Write exercises/NN.ipynb for every solutions/NN.ipynb; return the names that were stale.

    With ``check_only`` nothing is written.
    """
    import nbformat

    stale = []
    wanted = set()
    for src in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        wanted.add(src.name)
        text = _dumps(student_version(nbformat.read(src, as_version=4)))
        dst = EXERCISES / src.name
        if not dst.exists() or dst.read_text() != text:
            stale.append(src.name)
            if not check_only:
                EXERCISES.mkdir(exist_ok=True)
                dst.write_text(text)
    for extra in sorted(EXERCISES.glob("*.ipynb")):
        if extra.name not in wanted:
            stale.append(extra.name)
            if not check_only:
                extra.unlink()
    return stale


def main_exercises(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="backprop-lab exercises",
                                description="generate exercises/ from solutions/ (nbgrader)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="write exercises/ from solutions/")
    sub.add_parser("check", help="exit 1, naming the notebooks, if exercises/ is stale")
    args = p.parse_args(argv)
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("backprop-lab exercises needs nbgrader: pip install -e '.[test]'", file=sys.stderr)
        return 2
    if args.cmd == "build":
        changed = build_exercises()
        print(f"exercises/: {len(changed)} notebook(s) written or removed" +
              (": " + ", ".join(changed) if changed else ""))
        return 0
    stale = build_exercises(check_only=True)
    if stale:
        print("exercises/ is stale for: " + ", ".join(stale) +
              "\nregenerate it with: backprop-lab exercises build", file=sys.stderr)
        return 1
    print("exercises/ is up to date with solutions/")
    return 0


# -- backprop-lab start: a working copy of the course for a student ------------------------------

MANIFEST = ".backprop_lab_manifest.json"
COURSE_FOLDERS = ("lessons", "exercises")  # never solutions/


def course_source() -> Path:
    """Where the shipped notebooks are: inside the installed wheel, or the repository checkout."""
    packaged = Path(__file__).resolve().parent / "course_files"
    return packaged if (packaged / "lessons").is_dir() else REPO


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


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
            new_hash = _sha256(src)
            shipped_before = manifest.get(rel)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                report["added"].append(rel)
            else:
                current = _sha256(dst)
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


def course_config_dir(dest: Path) -> Path:
    """A Jupyter config folder inside the course folder, used only by the server ``start`` runs
    (``JUPYTER_CONFIG_PATH``); it holds ``labconfig/default_setting_overrides.json`` with
    :data:`LAB_DEFAULTS` (a default: a setting the student changes in JupyterLab still wins)."""
    import json

    config = dest / ".jupyter"
    target = config / "labconfig" / "default_setting_overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(LAB_DEFAULTS, indent=1) + "\n")
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


def main_notebooks(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="backprop-lab notebooks")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute notebooks top to bottom and store their outputs")
    r.add_argument("paths", nargs="+")
    r.add_argument("--timeout", type=int, default=900)
    args = p.parse_args(argv)
    for path in args.paths:
        print(f"running {path} ...", flush=True)
        run_notebook(path, timeout=args.timeout)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_notebooks(sys.argv[1:]))
