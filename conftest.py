"""Settings for every test run, the notebook (nbval) runs included.

Notebook kernels inherit this process's environment, so setting the thread counts here makes the
stored outputs reproducible: one BLAS thread gives the same floating-point sums every run.
"""

import importlib.util
import os

import pytest

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
# ipykernel's debugger warns about frozen modules on stderr; that warning is not lesson output
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# keep tqdm's and matplotlib's caches out of the user's home during tests
os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.path.dirname(__file__), ".pytest_mpl"))

collect_ignore_glob = ["exercises/*", "build/*", "backprop-course/*"]

# --------------------------------------------------------------------------- optional frameworks
# Lesson 11 compares the library with PyTorch and TensorFlow, both optional. Its cells that need
# one carry a tag (cell metadata "tags": ["needs-torch"] or ["needs-tensorflow"]); where the module
# is not installed, those nbval cell items are skipped with a reason that says how to install it,
# and the untagged cells (which never depend on tagged ones) still run and are compared.
CELL_TAG_MODULES: dict[str, tuple[str, str]] = {
    "needs-torch": ("torch", "needs PyTorch: pip install torch"),
    "needs-tensorflow": ("tensorflow", "needs TensorFlow: pip install tensorflow-cpu "
                                       "(on macOS: pip install tensorflow)"),
}


def module_available(name: str) -> bool:
    """True if ``import name`` would find a module (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ValueError:  # a module in sys.modules without a spec
        return False


def cell_skip_reason(item: pytest.Item) -> str | None:
    """Why the nbval cell ``item`` must be skipped (a tagged cell, its module missing), or None.

    nbval's cell items keep their notebook cell as ``item.cell``; other items have none.
    """
    cell = getattr(item, "cell", None)
    if cell is None:
        return None
    tags = cell.get("metadata", {}).get("tags", [])
    for tag in tags:
        if tag in CELL_TAG_MODULES:
            module, reason = CELL_TAG_MODULES[tag]
            if not module_available(module):
                return f"cell tagged {tag}: {reason}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the notebook cells tagged with a framework that is not installed."""
    for item in items:
        reason = cell_skip_reason(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
