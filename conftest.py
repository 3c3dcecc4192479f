"""Settings for every test run, the notebook (nbval) runs included.

Notebook kernels inherit this process's environment, so setting the thread counts here makes the
stored outputs reproducible: one BLAS thread gives the same floating-point sums every run.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
# ipykernel's debugger warns about frozen modules on stderr; that warning is not lesson output
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# keep tqdm's and matplotlib's caches out of the user's home during tests
os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.path.dirname(__file__), ".pytest_mpl"))

collect_ignore_glob = ["exercises/*", "build/*", "backprop-course/*"]
