"""Settings for every test run, the notebook (nbval) runs included.

Notebook kernels inherit this process's environment, so setting the thread counts here makes the
stored outputs reproducible: one BLAS thread gives the same floating-point sums every run.
"""

import importlib.util
import os
from pathlib import Path

import pytest

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
# ipykernel's debugger warns about frozen modules on stderr; that warning is not lesson output
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# keep tqdm's and matplotlib's caches out of the user's home during tests
os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.path.dirname(__file__), ".pytest_mpl"))

collect_ignore_glob = ["exercises/*", "build/*", "backprop-course/*"]

# --------------------------------------------------------------------------- optional PyTorch
# Lesson 11 runs the same network in PyTorch. Without torch installed its notebook is skipped
# (with a reason that says how to install it) instead of failing; everything else still runs.
TORCH_NOTEBOOKS = ("lessons/11_frameworks.ipynb",)
TORCH_SKIP_REASON = "lesson 11 needs PyTorch: pip install torch"


def torch_available() -> bool:
    """True if ``import torch`` would find a module (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def needs_torch(path: str | Path) -> bool:
    """True if the test file at ``path`` is one of :data:`TORCH_NOTEBOOKS`."""
    parts = Path(path).parts
    return any(parts[-len(Path(nb).parts):] == Path(nb).parts for nb in TORCH_NOTEBOOKS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every cell of the notebooks in :data:`TORCH_NOTEBOOKS` when torch is missing."""
    if torch_available():
        return
    skip = pytest.mark.skip(reason=TORCH_SKIP_REASON)
    for item in items:
        if needs_torch(item.path):
            item.add_marker(skip)
