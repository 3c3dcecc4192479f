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
