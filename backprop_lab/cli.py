"""The ``backprop-lab`` command line.

    backprop-lab train --dataset mnist --epochs 10 --seed 0     # last line: "test accuracy: 0.9xxx"
    backprop-lab train --dataset spirals --hidden 64 64 --activation tanh
    backprop-lab start --no-browser --port 8899                 # options go on to JupyterLab
    backprop-lab instructor init COURSE_DIR                     # nbgrader course for a class

What a student or an instructor needs, nothing more: the maintainer's commands (generating
``exercises/``, storing notebook outputs) are ``python tools/maintain.py …`` in the repository.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from backprop_lab.data.toy import TOY_DATASETS
from backprop_lab.errors import CliError
from backprop_lab.validate import parse_int, parse_positive_float

#: defaults of ``backprop-lab train``: 784-256-128-10 ReLU, Adam with a cosine schedule
TRAIN_DEFAULTS = {
    "hidden": [256, 128],
    "activation": "relu",
    "optimizer": "adam",
    "lr": 2e-3,
    "epochs": 10,
    "batch_size": 128,
    "seed": 0,
}
#: the toy sets ``--dataset`` accepts: the names of :data:`backprop_lab.data.TOY_DATASETS`
TOY_NAMES = tuple(TOY_DATASETS)
#: default learning rate on the toy sets: 1200 points give only ~8 steps an epoch, so the MNIST
#: default barely moves the network in a few epochs
TOY_LR = 0.03


#: toy sets: 1200 points, 300 of them held out for the test set
TOY_N, TOY_TEST = 1200, 300
MNIST_TRAIN = 60000


class _Parser(argparse.ArgumentParser):
    """argparse with plain option names in its errors: ``--epochs: expected a positive integer,
    got 1.5`` (not ``argument --epochs: invalid _positive_int value: '1.5'``); exit code 2."""

    def error(self, message: str):
        message = message.removeprefix("argument ")
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _option(parse: Callable[[str], Any], text: str) -> Any:
    """Run a :mod:`backprop_lab.validate` parser; its ValueError becomes argparse's one line."""
    try:
        return parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _positive_int(text: str) -> int:
    return _option(partial(parse_int, minimum=1), text)


def _nonnegative_int(text: str) -> int:
    return _option(partial(parse_int, minimum=0), text)


def _positive_float(text: str) -> float:
    """``--lr``: > 0 here (a run with η = 0 trains nothing), though an Optimizer accepts 0."""
    return _option(parse_positive_float, text)


def _add_train_parser(sub) -> None:
    from backprop_lab.layers import ACTIVATION_LAYERS
    from backprop_lab.optim import OPTIMIZERS

    d = TRAIN_DEFAULTS
    p = sub.add_parser(
        "train", help="train an MLP and print its test accuracy",
        description="Train a multi-layer perceptron with softmax cross-entropy; print one line "
                    "per epoch as it finishes, then the test loss and, last, "
                    "'test accuracy: 0.xxxx'.")
    p.add_argument("--dataset", default="mnist", choices=("mnist", *TOY_DATASETS),
                   help="data set (default: mnist; the toy sets have 1200 2-D points, 300 of "
                        "them for testing)")
    p.add_argument("--hidden", type=_positive_int, nargs="*", default=d["hidden"], metavar="WIDTH",
                   help="hidden layer widths (default: 256 128); no widths = a linear model "
                        "(softmax regression)")
    p.add_argument("--activation", default=d["activation"], choices=sorted(ACTIVATION_LAYERS),
                   help=f"hidden-layer activation (default: {d['activation']})")
    p.add_argument("--optimizer", default=d["optimizer"], choices=sorted(OPTIMIZERS),
                   help=f"optimizer (default: {d['optimizer']})")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help=f"learning rate (default: {d['lr']:g} for mnist, {TOY_LR:g} for the toy sets)")
    p.add_argument("--schedule", default="cosine", choices=("cosine", "none"),
                   help="learning-rate schedule over the epochs (default: cosine)")
    p.add_argument("--epochs", type=_positive_int, default=d["epochs"],
                   help=f"passes over the training set (default: {d['epochs']})")
    p.add_argument("--batch-size", type=_positive_int, default=d["batch_size"],
                   help=f"examples per step (default: {d['batch_size']})")
    p.add_argument("--seed", type=_nonnegative_int, default=d["seed"],
                   help=f"seed of the data split, the weights and the batch order (default: "
                        f"{d['seed']})")
    p.add_argument("--val-size", type=_nonnegative_int, default=0,
                   help="hold out this many training examples for validation (default: 0)")
    p.add_argument("--save", default=None, metavar="FILE.npz",
                   help="save the trained weights to this .npz file; its folder must exist "
                        "(default: not saved)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on stderr when it is a terminal)")
    p.set_defaults(func=cmd_train)


def _check_args(args) -> None:
    """What argparse cannot check alone, before any data is loaded or any step taken."""
    n_train = MNIST_TRAIN if args.dataset == "mnist" else TOY_N - TOY_TEST
    if args.val_size >= n_train:
        raise CliError(f"--val-size: the {args.dataset} training set has {n_train} examples, so "
                       f"at most {n_train - 1} can be held out; got {args.val_size}")
    if args.save:
        from pathlib import Path

        path = Path(args.save)
        folder = path.parent
        if not folder.is_dir():
            raise CliError(f"--save: the folder {folder} does not exist; create it first or "
                           f"choose another path (checked before training, so no run is lost)")
        if path.is_dir():
            raise CliError(f"--save: {path} is a folder; expected a file name such as "
                           f"{path / 'weights.npz'}")
        if not os.access(folder, os.W_OK):
            raise CliError(f"--save: the folder {folder} is not writable")


def _load(args) -> tuple[np.ndarray, ...]:
    if args.dataset == "mnist":
        from backprop_lab.data import load_mnist

        d = load_mnist(val_size=args.val_size, seed=args.seed)
        return d.X_train, d.y_train, d.X_val, d.y_val, d.X_test, d.y_test, np.float32
    from backprop_lab.data import load_toy, train_val_split

    X, y = load_toy(args.dataset, n=TOY_N, seed=args.seed)
    X_tr, y_tr, X_te, y_te = train_val_split(X, y, val_size=TOY_TEST, seed=args.seed + 1)
    X_va = np.zeros((0, 2))
    y_va = np.zeros(0, dtype=np.int64)
    if args.val_size:
        X_tr, y_tr, X_va, y_va = train_val_split(X_tr, y_tr, val_size=args.val_size, seed=args.seed)
    return X_tr, y_tr, X_va, y_va, X_te, y_te, np.float64


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cmd_train(args) -> int:
    from backprop_lab.losses import SoftmaxCrossEntropy
    from backprop_lab.model import mlp
    from backprop_lab.optim import CosineLR, make_optimizer
    from backprop_lab.train import evaluate, fit

    _check_args(args)
    X_tr, y_tr, X_va, y_va, X_te, y_te, dtype = _load(args)
    if args.lr is None:
        args.lr = TRAIN_DEFAULTS["lr"] if args.dataset == "mnist" else TOY_LR
    k = int(max(y_tr.max(), y_te.max())) + 1
    rng = np.random.default_rng(args.seed)
    net = mlp([X_tr.shape[1], *args.hidden, k], activation=args.activation, rng=rng, dtype=dtype)
    # one flat parameter array: the optimizer updates all weights in a few large operations
    opt = make_optimizer(args.optimizer, [net.flatten_parameters()], lr=args.lr)
    schedule = CosineLR(args.lr, args.epochs) if args.schedule == "cosine" else None
    loss = SoftmaxCrossEntropy()
    kind = (f"({args.activation})" if args.hidden
            else "(linear: softmax regression, no hidden layer)")
    print(f"{args.dataset}: {len(X_tr)} training, {len(X_va)} validation, {len(X_te)} test examples")
    print(f"model: {' → '.join(str(s) for s in [X_tr.shape[1], *args.hidden, k])} "
          f"{kind}, {net.num_parameters():,} parameters, {np.dtype(dtype)}")
    print(f"optimizer: {opt!r}, schedule: {args.schedule}, batch size {args.batch_size}, "
          f"{_plural(args.epochs, 'epoch')}, seed {args.seed}", flush=True)
    has_val = len(X_va) > 0
    width = max(2, len(str(args.epochs)))

    def report(epoch: int, history) -> None:  # one line as each epoch finishes
        line = (f"epoch {epoch + 1:{width}d}: train loss "
                f"{history.train_loss[epoch]:.4f}, acc {history.train_acc[epoch]:.4f}")
        if has_val:
            line += f"; val loss {history.val_loss[epoch]:.4f}, acc {history.val_acc[epoch]:.4f}"
        if bar:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    bar = not args.no_progress and sys.stderr.isatty()
    start = time.perf_counter()
    history = fit(net, loss, opt, X_tr, y_tr, epochs=args.epochs, batch_size=args.batch_size,
                  X_val=X_va if has_val else None, y_val=y_va if has_val else None,
                  seed=args.seed, schedule=schedule, progress=bar, callback=report)
    seconds = time.perf_counter() - start
    print(f"training time: {seconds:.1f} s for {_plural(len(history.epoch), 'epoch')}")
    if args.save:
        print(f"saved weights to {net.save(args.save)}")
    test_loss, test_acc = evaluate(net, loss, X_te, y_te)
    print(f"test loss: {test_loss:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="backprop-lab", description="backprop_lab: a course on backpropagation and gradient "
        "descent. Add --debug anywhere to see a full traceback when something fails.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train_parser(sub)
    for name, (_, _, text) in FORWARDED.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


#: subcommands that parse their own arguments: name -> (module, function, one-line help)
FORWARDED: dict[str, tuple[str, str, str]] = {
    "start": ("backprop_lab.course", "main_start",
              "copy lessons and exercises to ./backprop-course and open JupyterLab "
              "(JupyterLab options are passed on)"),
    "instructor": ("backprop_lab.instructor", "main_instructor",
                   "instructors: `instructor init DIR` / `instructor feedback A`"),
}


def _run(argv: list[str]) -> int:
    if argv and argv[0] in FORWARDED:
        import importlib

        module, function, _ = FORWARDED[argv[0]]
        return int(getattr(importlib.import_module(module), function)(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``backprop-lab``. Errors from the library become one line on stderr and exit code 1
    (``--debug``, anywhere on the line, shows the traceback instead); argument errors exit 2;
    Ctrl-C exits 130 without a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug and (not argv or argv[0] != "start"):  # start passes --debug on to JupyterLab
        argv.remove("--debug")
    try:
        return _run(argv)
    except CliError as e:  # an argument argparse could not check alone: like argparse, exit 2
        print(f"backprop-lab {argv[0]}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("backprop-lab: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # every library error: one line, no traceback
        if debug:
            raise
        text = " ".join(str(e).split()) or type(e).__name__
        print(f"backprop-lab: error: {text} ({type(e).__name__}; --debug shows the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
