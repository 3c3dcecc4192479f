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


def copy_course(dest: str | Path, source: Path | None = None) -> dict[str, list[str]]:
    """Copy lessons/ and exercises/ into ``dest`` without ever overwriting a student's work.

    A manifest in ``dest`` remembers the hash of every notebook as it was copied. On a later run
    a notebook is added if it is new, updated if the student has not changed it, and left alone
    (and reported) if the student has. Returns {"added": [...], "updated": [...], "kept": [...],
    "unchanged": [...]} with paths relative to ``dest``.
    """
    import json
    import shutil

    source = course_source() if source is None else Path(source)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report: dict[str, list[str]] = {"added": [], "updated": [], "kept": [], "unchanged": []}
    for folder in COURSE_FOLDERS:
        for src in sorted((source / folder).glob("*.ipynb")):
            rel = f"{folder}/{src.name}"
            dst = dest / rel
            new_hash = _sha256(src)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                report["added"].append(rel)
            else:
                current = _sha256(dst)
                if current == new_hash:
                    report["unchanged"].append(rel)
                elif manifest.get(rel) == current:  # untouched by the student: safe to update
                    shutil.copyfile(src, dst)
                    report["updated"].append(rel)
                else:
                    report["kept"].append(rel)
                    continue
            manifest[rel] = new_hash
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def main_start(argv: list[str]) -> int:
    import argparse
    import subprocess

    p = argparse.ArgumentParser(prog="backprop-lab start",
                                description="copy the course into a folder and open JupyterLab")
    p.add_argument("dir", nargs="?", default="backprop-course",
                   help="working folder (default: ./backprop-course)")
    p.add_argument("--no-launch", action="store_true", help="only copy the notebooks")
    args = p.parse_args(argv)
    report = copy_course(args.dir)
    print(f"course folder: {Path(args.dir).resolve()}")
    for key, text in (("added", "added"), ("updated", "updated (you had not changed them)"),
                      ("kept", "kept as you left them (a newer version exists)")):
        if report[key]:
            print(f"  {len(report[key])} notebook(s) {text}:")
            for rel in report[key]:
                print(f"    {rel}")
    if not any(report[k] for k in ("added", "updated", "kept")):
        print(f"  all {len(report['unchanged'])} notebooks are up to date")
    if args.no_launch:
        return 0
    first = Path(args.dir) / "lessons" / "00_start_here.ipynb"
    cmd = [sys.executable, "-m", "jupyterlab", str(first) if first.exists() else str(args.dir)]
    print("starting JupyterLab: " + " ".join(cmd))
    return subprocess.call(cmd)


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
