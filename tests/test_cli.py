"""The ``backprop-lab train`` command line (backprop_lab.cli), end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from backprop_lab.cli import main
from backprop_lab.model import mlp

ACC_LINE = re.compile(r"^test accuracy: (0\.\d{4})$")


def last_line_accuracy(out: str) -> float:
    last = out.strip().splitlines()[-1]
    m = ACC_LINE.match(last)
    assert m, f"last line is {last!r}"
    return float(m.group(1))


def test_train_moons_end_to_end(capsys):
    code = main(["train", "--dataset", "moons", "--epochs", "3", "--no-progress", "--hidden", "16"])
    assert code == 0
    captured = capsys.readouterr()
    assert last_line_accuracy(captured.out) > 0.8
    assert "epoch  3:" in captured.out
    assert "2 → 16 → 2" in captured.out
    assert captured.err == ""  # --no-progress: no bar


def test_train_xor_as_a_module_in_a_subprocess():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "backprop_lab", "train", "--dataset", "xor", "--epochs", "5",
         "--hidden", "16", "--no-progress", "--seed", "1"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert last_line_accuracy(proc.stdout) > 0.8


@pytest.mark.parametrize(
    "bad",
    [
        ["--lr", "-0.1"],
        ["--lr", "0"],
        ["--lr", "nan"],
        ["--epochs", "0"],
        ["--epochs", "-2"],
        ["--val-size", "-1"],
        ["--batch-size", "0"],
        ["--hidden", "0"],
        ["--dataset", "cifar"],
        ["--optimizer", "lbfgs"],
    ],
)
def test_invalid_arguments_are_argparse_errors(bad, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", "moons", *bad])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "error:" in err
    option = bad[0]
    assert option in err, err


def test_missing_command_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2


def test_save_writes_a_loadable_npz(tmp_path, capsys):
    path = tmp_path / "moons_weights.npz"
    args = ["train", "--dataset", "moons", "--epochs", "3", "--no-progress", "--hidden", "16",
            "--save", str(path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert path.exists()
    assert str(path) in out
    printed_acc = last_line_accuracy(out)

    net = mlp([2, 16, 2], activation="relu", rng=np.random.default_rng(123))
    net.load(path)
    with np.load(path, allow_pickle=False) as f:
        np.testing.assert_array_equal(net[0].W, f["0.W"])
    # the loaded network classifies the same test split as well as the printed accuracy says
    from backprop_lab.data import load_toy, train_val_split

    X, y = load_toy("moons", n=1200, seed=0)
    _, _, X_test, y_test = train_val_split(X, y, val_size=300, seed=1)
    acc = float(np.mean(net.predict(X_test).argmax(axis=1) == y_test))
    assert acc == pytest.approx(printed_acc, abs=5e-5)
