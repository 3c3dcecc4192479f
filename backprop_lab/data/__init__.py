"""Data for the course: MNIST (shipped, checksummed, cached) and seeded toy 2-D sets.

NumPy and the standard library only, so ``import backprop_lab.data`` stays fast. One module per
concern; every public name is importable from here (``from backprop_lab.data import load_mnist``):

- :mod:`~backprop_lab.data.idx`: :func:`read_idx`, the IDX file format of MNIST;
- :mod:`~backprop_lab.data.checksums`: :func:`sha256_file`, :func:`verify_sha256`;
- :mod:`~backprop_lab.data.cache`: :func:`cache_dir` and the cache's atomic writes;
- :mod:`~backprop_lab.data.splits`: :func:`train_val_split`;
- :mod:`~backprop_lab.data.mnist`: :func:`load_mnist`, :class:`MNIST`, :data:`MNIST_DIR`;
- :mod:`~backprop_lab.data.toy`: the toy generators and :data:`TOY_DATASETS`, the one table of
  the toy sets' names.

MNIST::

    mnist = load_mnist(val_size=10_000, seed=0)
    mnist.X_train.shape, mnist.X_train.dtype     # (50000, 784) float32, values in [0, 1]
    mnist.y_train.shape, mnist.y_train.dtype     # (50000,) int64, labels 0..9

The four original IDX files live in :data:`MNIST_DIR` (``backprop_lab/datasets/mnist``; the
environment variable ``BACKPROP_LAB_MNIST_DIR`` points the loader elsewhere). Every file's sha256
is checked before it is used. The decoded ``uint8`` arrays are cached as an ``.npz`` file in
:func:`cache_dir`; a cached load re-hashes a source file only when its size or timestamps changed.

The I/O modules (gzip, hashlib, json, tempfile, zipfile) are imported inside the functions that
use them, to keep the import of this package cheap.

Toy sets, each ``(X float64 (n, 2), y int64 (n,))`` with classes as equal in size as ``n`` allows,
rows shuffled::

    X, y = make_moons(n=200, noise=0.1, seed=0)
    X, y = load_toy("spirals", n=300, seed=1)
"""

from __future__ import annotations

from backprop_lab.data.cache import CACHE_ENV, cache_dir
from backprop_lab.data.checksums import ChecksumError, sha256_file, verify_sha256
from backprop_lab.data.idx import read_idx
from backprop_lab.data.mnist import MNIST, MNIST_DIR, MNIST_DIR_ENV, load_mnist, mnist_dir
from backprop_lab.data.splits import train_val_split
from backprop_lab.data.toy import (
    SPIRAL_TURN,
    TOY_DATASETS,
    blob_centers,
    load_toy,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)

__all__ = [
    "CACHE_ENV",
    "MNIST_DIR",
    "MNIST_DIR_ENV",
    "MNIST",
    "SPIRAL_TURN",
    "ChecksumError",
    "TOY_DATASETS",
    "blob_centers",
    "cache_dir",
    "load_mnist",
    "load_toy",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "mnist_dir",
    "read_idx",
    "sha256_file",
    "train_val_split",
    "verify_sha256",
]
