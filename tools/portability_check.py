#!/usr/bin/env python3
"""Portability check for the stored notebook outputs (CONTRIBUTING.md, "Stored notebook outputs").

Runs nbval on lessons/ and solutions/ (or the paths given) once per configuration of perturbed
numerics and prints, per configuration, every cell whose output no longer matches:

    a  ci       as CI runs: OMP/OPENBLAS/MKL_NUM_THREADS=1, the project's pytest options
    b  simd     as (a), with NPY_DISABLE_CPU_FEATURES naming numpy's highest SIMD level found on
                this machine (computed from what ``numpy.show_runtime()`` reports as found)
    c  threads  as (a), with OPENBLAS_NUM_THREADS=2
    d  native   as (a), in a command prefixed with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE``
                (OpenBLAS's own choice of kernel); only where the environment sets
                OPENBLAS_CORETYPE, skipped with a note otherwise

The script never sets or changes the OpenBLAS kernel variables (OPENBLAS_CORETYPE,
OPENBLAS_L2_SIZE) apart from unsetting them in (d)'s command.

Usage (from anywhere; run it with the Python that has the project and its test extra installed)::

    python tools/portability_check.py                          # all four on lessons/ solutions/
    python tools/portability_check.py lessons/10_regularization.ipynb --config ci
    python tools/portability_check.py --config simd,threads --dry-run   # print the commands

Exit status: 0 when no configuration has a failing cell, 1 otherwise, 2 on bad arguments.
A whole run of lessons/ and solutions/ takes several times the CI notebook run: run it alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ["lessons", "solutions"]
#: the thread settings CI runs with (.ci/run, conftest.py)
CI_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
KERNEL_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CONFIG_NAMES = ("ci", "simd", "threads", "native")


@dataclass
class Config:
    """One way of running the notebooks: extra environment and an optional command prefix."""

    name: str
    label: str
    env: dict[str, str] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)
    skip: str | None = None  # why it cannot run here


@dataclass
class Result:
    config: Config
    failing: list[str]  # pytest node ids, e.g. "lessons/10_regularization.ipynb::Cell 8"
    returncode: int
    seconds: float
    summary: str  # pytest's last line


def highest_simd_level(found: list[str]) -> list[str]:
    """The SIMD targets of numpy's highest level among ``found`` (numpy's dispatch targets that
    this CPU supports, in numpy's order): on x86 every AVX-512 target (``X86_V4``, ``AVX512*``);
    elsewhere the last one found. Empty when numpy found none above its baseline."""
    avx512 = [f for f in found if f == "X86_V4" or f.startswith("AVX512")]
    if avx512:
        return avx512
    return found[-1:]


def simd_found() -> list[str]:
    """numpy's dispatch targets supported by this CPU: the ``found`` list of
    ``numpy.show_runtime()``, read from the same source."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


def make_configs(names: list[str], environ: dict[str, str], found: list[str]) -> list[Config]:
    """The configurations ``names`` for a process environment ``environ`` and SIMD ``found``."""
    configs = []
    for name in names:
        if name == "ci":
            configs.append(Config("ci", "(a) as CI runs"))
        elif name == "simd":
            level = highest_simd_level(found)
            value = " ".join(level)
            configs.append(Config(
                "simd", f"(b) NPY_DISABLE_CPU_FEATURES=\"{value}\"",
                env={"NPY_DISABLE_CPU_FEATURES": value},
                skip=None if level else "numpy found no SIMD target above its baseline"))
        elif name == "threads":
            configs.append(Config("threads", "(c) OPENBLAS_NUM_THREADS=2",
                                  env={"OPENBLAS_NUM_THREADS": "2"}))
        elif name == "native":
            prefix = ["env"] + [a for var in KERNEL_VARS for a in ("-u", var)]
            configs.append(Config(
                "native", "(d) " + " ".join(prefix), prefix=prefix,
                skip=None if "OPENBLAS_CORETYPE" in environ else
                "OPENBLAS_CORETYPE is not set here: OpenBLAS already picks its native kernel"))
        else:
            raise ValueError(f"unknown configuration {name!r}; expected one of {CONFIG_NAMES}")
    return configs


def command(config: Config, paths: list[str], python: str, pytest_args: list[str]) -> list[str]:
    """The pytest command of ``config``: the project's own options (pyproject.toml: --nbval, the
    sanitizer file, timeouts) applied to ``paths``, run from the repository root."""
    return [*config.prefix, python, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
            "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-q", "-rfE", "--no-header", "--color=no",
            *pytest_args, *paths]


def environment(config: Config, environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with CI's thread settings and the configuration's variables. The OpenBLAS
    kernel variables are passed through untouched (only (d)'s ``env -u`` prefix unsets them)."""
    env = dict(environ)
    env.update(CI_ENV)
    env.update(config.env)
    if any(env.get(var) != environ.get(var) for var in KERNEL_VARS):
        raise RuntimeError("portability_check must not set the OpenBLAS kernel variables")
    return env


def failing_cells(output: str) -> list[str]:
    """The node ids of the failed or erroring tests in pytest's ``-rfE`` summary."""
    found: list[str] = []
    for line in output.splitlines():
        kind, _, rest = line.strip().partition(" ")
        if kind in ("FAILED", "ERROR") and rest:  # "FAILED path::Cell 8 - message"
            nodeid = rest.split(" - ", 1)[0].strip()
            if nodeid not in found:
                found.append(nodeid)
    return found


def cell_id(nodeid: str) -> str:
    """``path::Cell N`` with the notebook cell's id appended, when it can be read."""
    m = re.fullmatch(r"(.+\.ipynb)::Cell (\d+)", nodeid)
    if not m:
        return nodeid
    try:
        import nbformat

        path = Path(m.group(1))
        path = path if path.is_absolute() else ROOT / path
        code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        return f"{nodeid} (id {code[int(m.group(2))].get('id', '?')})"
    except (OSError, IndexError, ValueError, ImportError):
        return nodeid


def run(config: Config, paths: list[str], python: str, pytest_args: list[str],
        environ: dict[str, str]) -> Result:
    cmd = command(config, paths, python, pytest_args)
    t = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=environment(config, environ),
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    last = next((ln.strip("= ") for ln in reversed(out.splitlines()) if ln.strip()), "")
    failing = failing_cells(out)
    if len(paths) == 1:  # pytest names a notebook outside the repository "::Cell N"
        failing = [paths[0] + f if f.startswith("::") else f for f in failing]
    if proc.returncode not in (0, 1) and not failing:  # a usage or collection error
        failing = [f"pytest exited with {proc.returncode}: {last}"]
    return Result(config, failing, proc.returncode, time.monotonic() - t, last)


def table(results: list[Result], skipped: list[Config]) -> str:
    """configuration → failing cells, one line per cell."""
    width = max(len(c.label) for c in [*(r.config for r in results), *skipped])
    lines = [f"{'configuration':<{width}}  failing cells", "-" * (width + 15)]
    for r in results:
        cells = [cell_id(n) for n in r.failing] or [f"none ({r.summary}, {r.seconds:.0f} s)"]
        lines.append(f"{r.config.label:<{width}}  {cells[0]}")
        lines += [f"{'':<{width}}  {c}" for c in cells[1:]]
    for c in skipped:
        lines.append(f"{c.label:<{width}}  skipped: {c.skip}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="portability_check.py",
        description="Run nbval on the notebooks under perturbed numerics and report every cell "
                    "whose output changes, per configuration.")
    p.add_argument("paths", nargs="*", default=DEFAULT_PATHS,
                   help="notebooks or folders, relative to the repository root "
                        "(default: lessons solutions)")
    p.add_argument("--config", default=",".join(CONFIG_NAMES),
                   help=f"comma-separated subset of {','.join(CONFIG_NAMES)} (default: all)")
    p.add_argument("--python", default=sys.executable,
                   help="the Python that runs pytest (default: this one)")
    p.add_argument("--pytest-args", default="", help="extra pytest arguments, one string")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.config.split(",") if n.strip()]
    bad = [n for n in names if n not in CONFIG_NAMES]
    if bad or not names:
        p.error(f"--config: unknown configuration(s) {bad or names}; expected a comma-separated "
                f"subset of {','.join(CONFIG_NAMES)}")
    args.names = list(dict.fromkeys(names))
    missing = [x for x in args.paths if not (Path(x) if Path(x).is_absolute() else ROOT / x).exists()]
    if missing:
        p.error(f"no such notebook or folder (relative to {ROOT}): {', '.join(missing)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    environ = dict(os.environ)
    configs = make_configs(args.names, environ, simd_found())
    runnable = [c for c in configs if c.skip is None]
    skipped = [c for c in configs if c.skip is not None]
    extra = shlex.split(args.pytest_args)
    if args.dry_run:
        for c in runnable:
            env = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**CI_ENV, **c.env}.items())
            print(f"{c.label}:\n  cd {ROOT} && {env} "
                  f"{shlex.join(command(c, args.paths, args.python, extra))}")
        for c in skipped:
            print(f"{c.label}: skipped: {c.skip}")
        return 0
    results = []
    for c in runnable:
        print(f"running {c.label} on {' '.join(args.paths)} ...", flush=True)
        results.append(run(c, args.paths, args.python, extra, environ))
    print()
    print(table(results, skipped))
    return 1 if any(r.failing for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
