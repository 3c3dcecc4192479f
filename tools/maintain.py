#!/usr/bin/env python3
"""Maintainer commands of backprop_lab: generating ``exercises/`` and storing notebook outputs.

They are not part of the installed package nor of the student's ``backprop-lab`` command. Run them
from a clone, with the Python that has the project and its test extra installed (nbformat, nbclient,
ipykernel, nbgrader)::

    python tools/maintain.py exercises build      # solutions/ → exercises/ (nbgrader's preprocessors)
    python tools/maintain.py exercises check      # exit 1, naming the notebooks, if exercises/ is stale
    python tools/maintain.py notebooks run lessons/03_gradient_descent.ipynb [...]   # store outputs

The repository is found from this file's own location (``tools/..``), so the commands work from
any folder; notebook paths are taken relative to the current folder.

Stored outputs always come from one top-to-bottom run in a fresh kernel of the current Python, with
one BLAS thread (:data:`NOTEBOOK_ENV`), exactly as the nbval tests re-run them. The thread settings
are given to the kernel's process only: this process's own ``os.environ`` is never changed.

Exit status: 0 on success, 1 when ``exercises check`` finds stale notebooks, 2 on bad arguments or
a missing dependency.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: the repository this tool belongs to
ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

#: what the kernel of ``notebooks run`` gets on top of this process's environment: one BLAS
#: thread (as CI and the nbval tests run), and no debugger warning about frozen modules
NOTEBOOK_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def kernel_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a notebook kernel: ``base`` (default ``os.environ``) with
    :data:`NOTEBOOK_ENV` on top, as a new dict (``base`` is not changed)."""
    return {**(os.environ if base is None else base), **NOTEBOOK_ENV}


def run_notebook(path: str | Path, timeout: int = 900, allow_errors: bool = False) -> Path:
    """Execute a notebook top to bottom in a fresh kernel and save it with its outputs.

    The kernel runs in the notebook's own folder, like Jupyter does, with the environment of
    :func:`kernel_env` (one BLAS thread), passed to the kernel's process only.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute(env=kernel_env())  # passed on to the kernel manager's start_kernel
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, path)
    return path


# -- exercises: generated from solutions/ with nbgrader's own preprocessors -------------------------


def student_version(nb: Any) -> Any:
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


def _dumps(nb: Any) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def build_exercises(check_only: bool = False) -> list[str]:
    """Write exercises/NN.ipynb for every solutions/NN.ipynb (the folders :data:`SOLUTIONS` and
    :data:`EXERCISES`); return the names that were stale. With ``check_only`` nothing is written.
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


# -- the command line ----------------------------------------------------------------------------


def _exercises(cmd: str) -> int:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("tools/maintain.py exercises needs nbgrader: pip install -e '.[test]'",
              file=sys.stderr)
        return 2
    if cmd == "build":
        changed = build_exercises()
        print(f"exercises/: {len(changed)} notebook(s) written or removed" +
              (": " + ", ".join(changed) if changed else ""))
        return 0
    stale = build_exercises(check_only=True)
    if stale:
        print("exercises/ is stale for: " + ", ".join(stale) +
              "\nregenerate it with: python tools/maintain.py exercises build", file=sys.stderr)
        return 1
    print("exercises/ is up to date with solutions/")
    return 0


def _timeout(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python tools/maintain.py``."""
    parser = argparse.ArgumentParser(
        prog="tools/maintain.py",
        description="Maintainer commands of backprop_lab (not installed with the package).")
    sub = parser.add_subparsers(dest="group", required=True)
    ex = sub.add_parser("exercises", help="generate exercises/ from solutions/ (nbgrader)")
    ex_sub = ex.add_subparsers(dest="cmd", required=True)
    ex_sub.add_parser("build", help="write exercises/ from solutions/")
    ex_sub.add_parser("check", help="exit 1, naming the notebooks, if exercises/ is stale")
    nb = sub.add_parser("notebooks", help="store notebook outputs")
    nb_sub = nb.add_subparsers(dest="cmd", required=True)
    run = nb_sub.add_parser("run", help="execute notebooks top to bottom in a fresh kernel (one "
                                        "BLAS thread) and store their outputs")
    run.add_argument("paths", nargs="+", metavar="PATH", help="notebooks (.ipynb)")
    run.add_argument("--timeout", type=_timeout, default=900,
                     help="seconds per cell before the run fails (default: 900)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python tools/maintain.py ARGS``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.group == "exercises":
        return _exercises(args.cmd)
    missing = [p for p in args.paths if not Path(p).is_file()]
    if missing:
        print(f"tools/maintain.py notebooks run: no such notebook: {', '.join(missing)}",
              file=sys.stderr)
        return 2
    for path in args.paths:
        print(f"running {path} ...", flush=True)
        run_notebook(path, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
