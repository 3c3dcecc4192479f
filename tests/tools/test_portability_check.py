"""tools/portability_check.py: its configurations, its argument handling, and one real run on a
small notebook in which each perturbation is visible to the kernel."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "portability_check.py"


@pytest.fixture(scope="module")
def pc():
    spec = importlib.util.spec_from_file_location("portability_check", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


X86_FOUND = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]  # numpy 2.4 on an AVX-512 Xeon
X86_FOUND_OLD = ["SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2", "AVX512F",
                 "AVX512CD", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL"]


def test_highest_simd_level(pc) -> None:
    assert pc.highest_simd_level(X86_FOUND) == ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
    assert pc.highest_simd_level(X86_FOUND_OLD) == ["AVX512F", "AVX512CD", "AVX512_SKX",
                                                    "AVX512_CLX", "AVX512_CNL", "AVX512_ICL"]
    assert pc.highest_simd_level(["X86_V3"]) == ["X86_V3"]  # an AVX2 machine: its top level
    assert pc.highest_simd_level(["ASIMDHP", "ASIMDDP", "ASIMDFHM"]) == ["ASIMDFHM"]
    assert pc.highest_simd_level([]) == []


def test_simd_found_is_what_numpy_reports(pc) -> None:
    import contextlib
    import io

    import numpy as np

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        np.show_runtime()
    for name in pc.simd_found():
        assert f"'{name}'" in buf.getvalue()


def test_configs_never_touch_the_openblas_kernel(pc) -> None:
    environ = {"PATH": "/usr/bin", "OPENBLAS_NUM_THREADS": "8"}
    configs = pc.make_configs(list(pc.CONFIG_NAMES), environ, X86_FOUND)
    by = {c.name: c for c in configs}
    assert by["simd"].env == {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
    assert by["threads"].env == {"OPENBLAS_NUM_THREADS": "2"}
    assert by["native"].skip and "OPENBLAS_CORETYPE is not set" in by["native"].skip
    for c in configs:
        env = pc.environment(c, environ)
        assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
        assert env["OMP_NUM_THREADS"] == "1"
    assert pc.environment(by["ci"], environ)["OPENBLAS_NUM_THREADS"] == "1"  # as CI, not 8
    assert pc.environment(by["threads"], environ)["OPENBLAS_NUM_THREADS"] == "2"


def test_native_kernel_only_unsets_and_only_in_its_command(pc) -> None:
    environ = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    configs = pc.make_configs(list(pc.CONFIG_NAMES), environ, X86_FOUND)
    for c in configs:
        env = pc.environment(c, environ)
        assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["OPENBLAS_L2_SIZE"] == "1048576"
        cmd = pc.command(c, ["lessons"], "python", [])
        if c.name == "native":
            assert c.skip is None
            assert cmd[:5] == ["env", "-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE"]
        else:
            assert cmd[0] == "python"
    assert not any("OPENBLAS_CORETYPE=" in " ".join(pc.command(c, ["x"], "py", [])) for c in configs)


def test_the_command_uses_the_project_options(pc) -> None:
    (ci,) = pc.make_configs(["ci"], {}, [])
    cmd = pc.command(ci, ["lessons/10_regularization.ipynb"], "py", ["-x"])
    assert cmd[:3] == ["py", "-m", "pytest"]
    assert cmd[cmd.index("-c") + 1] == str(ROOT / "pyproject.toml")  # --nbval, the sanitizer
    assert "--nbval-lax" not in cmd and cmd[-2:] == ["-x", "lessons/10_regularization.ipynb"]


def test_failing_cells_are_read_from_the_summary(pc) -> None:
    out = """\
........F.F
=========================== short test summary info ============================
FAILED lessons/10_regularization.ipynb::Cell 8
FAILED lessons/10_regularization.ipynb::Cell 13 - nbval.plugin.NbCellError: oops - no
ERROR solutions/x.ipynb - RuntimeError: kernel died
FAILED lessons/10_regularization.ipynb::Cell 8
2 failed, 15 passed in 80.1s
"""
    assert pc.failing_cells(out) == ["lessons/10_regularization.ipynb::Cell 8",
                                     "lessons/10_regularization.ipynb::Cell 13",
                                     "solutions/x.ipynb"]
    assert pc.failing_cells("17 passed in 3.0s") == []


@pytest.mark.parametrize("argv", [["--config", "fast"], ["--config", ","], ["no_such.ipynb"],
                                  ["--config", "ci,nope"]])
def test_bad_arguments_exit_2_with_a_message(pc, argv, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        pc.parse_args(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "expected a comma-separated subset of ci,simd,threads,native" in err or \
        "no such notebook or folder" in err


def test_dry_run_prints_each_configuration(pc, capsys) -> None:
    assert pc.main(["lessons/00_start_here.ipynb", "--config", "threads,native,ci", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(c) OPENBLAS_NUM_THREADS=2:" in out and "(a) as CI runs:" in out
    assert "lessons/00_start_here.ipynb" in out


# --------------------------------------------------------------------------- one real run


def probe_notebook(path: Path) -> None:
    """Stored outputs as (a) produces them: cell 0 is plain arithmetic, cells 1 and 2 print what
    (b) and (c) change in the kernel's environment, cell 3's stored output is plainly wrong."""
    out = lambda text: [nbformat.v4.new_output("stream", name="stdout", text=text)]  # noqa: E731
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("print(2 + 2)", outputs=out("4\n"), execution_count=1),
        nbformat.v4.new_code_cell('import os\nprint(os.environ.get("NPY_DISABLE_CPU_FEATURES"))',
                                  outputs=out("None\n"), execution_count=2),
        nbformat.v4.new_code_cell('print(os.environ["OPENBLAS_NUM_THREADS"])',
                                  outputs=out("1\n"), execution_count=3),
        nbformat.v4.new_code_cell("print(6 * 7)", outputs=out("41\n"), execution_count=4),
    ]
    nbformat.write(nb, path)


@pytest.mark.timeout(600)
def test_a_run_reports_the_cells_each_configuration_changes(pc, tmp_path, capsys) -> None:
    nb = tmp_path / "probe.ipynb"
    probe_notebook(nb)
    environ = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    configs = pc.make_configs(["ci", "simd", "threads"], environ, pc.simd_found())
    results = [pc.run(c, [str(nb)], sys.executable, [], environ) for c in configs if not c.skip]
    failing = {r.config.name: [f.split("::")[-1] for f in r.failing] for r in results}
    expected = {"ci": ["Cell 3"], "simd": ["Cell 1", "Cell 3"], "threads": ["Cell 2", "Cell 3"]}
    assert failing == {k: v for k, v in expected.items() if k in failing}, failing
    assert "ci" in failing and "threads" in failing
    table = pc.table(results, [c for c in configs if c.skip])
    print(table)
    assert "(a) as CI runs" in table and "probe.ipynb::Cell 3 (id " in table
