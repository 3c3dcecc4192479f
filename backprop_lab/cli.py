"""The ``backprop-lab`` command line.

    backprop-lab train --dataset mnist --epochs 10 --seed 0     # last line: "test accuracy: 0.9xxx"
    backprop-lab train --dataset spirals --hidden 64 64 --activation tanh
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

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
TOY_NAMES = ("moons", "circles", "spirals", "xor", "blobs")
#: default learning rate on the toy sets: 1200 points give only ~8 steps an epoch, so the MNIST
#: default barely moves the network in a few epochs
TOY_LR = 0.03


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return v


def _nonnegative_int(text: str) -> int:
    v = int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return v


def _positive_float(text: str) -> float:
    v = float(text)
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number, got {text}")
    return v


def _add_train_parser(sub) -> None:
    from backprop_lab.layers import ACTIVATION_LAYERS
    from backprop_lab.optim import OPTIMIZERS

    d = TRAIN_DEFAULTS
    p = sub.add_parser("train", help="train an MLP and print its test accuracy")
    p.add_argument("--dataset", default="mnist", choices=("mnist", *TOY_NAMES))
    p.add_argument("--hidden", type=_positive_int, nargs="*", default=d["hidden"],
                   help="hidden layer widths (default: 256 128)")
    p.add_argument("--activation", default=d["activation"], choices=sorted(ACTIVATION_LAYERS))
    p.add_argument("--optimizer", default=d["optimizer"], choices=sorted(OPTIMIZERS))
    p.add_argument("--lr", type=_positive_float, default=None,
                   help=f"learning rate (default {d['lr']:g} for mnist, {TOY_LR:g} for the toy sets)")
    p.add_argument("--schedule", default="cosine", choices=("cosine", "none"),
                   help="learning-rate schedule over the epochs (default: cosine)")
    p.add_argument("--epochs", type=_positive_int, default=d["epochs"])
    p.add_argument("--batch-size", type=_positive_int, default=d["batch_size"])
    p.add_argument("--seed", type=int, default=d["seed"])
    p.add_argument("--val-size", type=_nonnegative_int, default=0, help="hold out this many training images")
    p.add_argument("--save", default=None, help="save the trained weights to this .npz file")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_train)


def _load(args) -> tuple[np.ndarray, ...]:
    if args.dataset == "mnist":
        from backprop_lab.data import load_mnist

        d = load_mnist(val_size=args.val_size, seed=args.seed)
        return d.X_train, d.y_train, d.X_val, d.y_val, d.X_test, d.y_test, np.float32
    from backprop_lab.data import load_toy, train_val_split

    X, y = load_toy(args.dataset, n=1200, seed=args.seed)
    X_tr, y_tr, X_te, y_te = train_val_split(X, y, val_size=300, seed=args.seed + 1)
    X_va = np.zeros((0, 2))
    y_va = np.zeros(0, dtype=np.int64)
    if args.val_size:
        X_tr, y_tr, X_va, y_va = train_val_split(X_tr, y_tr, val_size=args.val_size, seed=args.seed)
    return X_tr, y_tr, X_va, y_va, X_te, y_te, np.float64


def cmd_train(args) -> int:
    from backprop_lab.losses import SoftmaxCrossEntropy
    from backprop_lab.model import mlp
    from backprop_lab.optim import CosineLR, make_optimizer
    from backprop_lab.train import evaluate, fit

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
    print(f"{args.dataset}: {len(X_tr)} training, {len(X_va)} validation, {len(X_te)} test examples")
    print(f"model: {' → '.join(str(s) for s in [X_tr.shape[1], *args.hidden, k])} "
          f"({args.activation}), {net.num_parameters():,} parameters, {np.dtype(dtype)}")
    print(f"optimizer: {opt!r}, schedule: {args.schedule}, batch size {args.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    has_val = len(X_va) > 0
    history = fit(net, loss, opt, X_tr, y_tr, epochs=args.epochs, batch_size=args.batch_size,
                  X_val=X_va if has_val else None, y_val=y_va if has_val else None,
                  seed=args.seed, schedule=schedule, progress=not args.no_progress)
    seconds = time.perf_counter() - start
    for e in history.epoch:
        line = f"epoch {e + 1:2d}: train loss {history.train_loss[e]:.4f}, acc {history.train_acc[e]:.4f}"
        if has_val:
            line += f"; val loss {history.val_loss[e]:.4f}, acc {history.val_acc[e]:.4f}"
        print(line)
    print(f"training time: {seconds:.1f} s")
    if args.save:
        print(f"saved weights to {net.save(args.save)}")
    test_loss, test_acc = evaluate(net, loss, X_te, y_te)
    print(f"test loss: {test_loss:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-lab", description="backprop_lab: a course on backpropagation and gradient descent"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train_parser(sub)
    sub.add_parser("start", help="copy lessons and exercises to ./backprop-course and open JupyterLab")
    sub.add_parser("exercises", help="instructors: `exercises build` / `exercises check`")
    sub.add_parser("instructor", help="instructors: `instructor init DIR` / `instructor feedback A`")
    sub.add_parser("notebooks", help="maintainers: `notebooks run PATH...` stores fresh outputs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "notebooks":
        from backprop_lab.course import main_notebooks

        return main_notebooks(argv[1:])
    if argv and argv[0] == "start":
        from backprop_lab.course import main_start

        return main_start(argv[1:])
    if argv and argv[0] == "exercises":
        from backprop_lab.course import main_exercises

        return main_exercises(argv[1:])
    if argv and argv[0] == "instructor":
        from backprop_lab.instructor import main_instructor

        return main_instructor(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
