"""MNIST: the four shipped IDX files, checked by sha256, decoded once and cached.

    mnist = load_mnist(val_size=10_000, seed=0)
    mnist.X_train.shape, mnist.X_train.dtype     # (50000, 784) float32, values in [0, 1]
    mnist.y_train.shape, mnist.y_train.dtype     # (50000,) int64, labels 0..9

The files live in :data:`MNIST_DIR` (``backprop_lab/datasets/mnist``; the environment variable
``BACKPROP_LAB_MNIST_DIR`` points the loader elsewhere).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop_lab.data.cache import _atomic_write, _file_signature, _read_record, cache_dir
from backprop_lab.data.checksums import _RESTORE_HINT, verify_sha256
from backprop_lab.data.idx import read_idx
from backprop_lab.data.splits import _check_val_size, _val_mask
from backprop_lab.validate import check_float_dtype

if TYPE_CHECKING:  # evaluated by type checkers only: numpy.random and numpy.typing load lazily
    from numpy.typing import DTypeLike

    Seed = int | np.random.Generator | None

__all__ = ["MNIST", "MNIST_DIR", "MNIST_DIR_ENV", "load_mnist", "mnist_dir"]

#: The folder that ships with the package and holds the four original MNIST IDX files.
#: The loader reads :func:`mnist_dir`, which is this folder unless ``BACKPROP_LAB_MNIST_DIR`` is set.
MNIST_DIR: Path = Path(__file__).resolve().parent.parent / "datasets" / "mnist"

MNIST_DIR_ENV = "BACKPROP_LAB_MNIST_DIR"

# key -> (file name, sha256 of the file, shape of the decoded uint8 array)
_MNIST_FILES: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "train_images": (
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        (60000, 28, 28),
    ),
    "train_labels": (
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        (60000,),
    ),
    "test_images": (
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        (10000, 28, 28),
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        (10000,),
    ),
}
_N_TRAIN = 60000
_N_PIXELS = 28 * 28


def mnist_dir() -> Path:
    """The folder the MNIST files are read from: ``$BACKPROP_LAB_MNIST_DIR`` if set (looked up at
    each call), else :data:`MNIST_DIR`."""
    override = os.environ.get(MNIST_DIR_ENV)
    return Path(override).expanduser() if override else MNIST_DIR


@dataclass(frozen=True, eq=False, repr=False)
class MNIST:
    """MNIST split into training, validation and test sets.

    ``X_*``: float (float32 by default) of shape ``(n, 784)`` (or ``(n, 28, 28)`` when loaded with
    ``flatten=False``), pixel intensities in ``[0, 1]`` (0 background, 1 ink).
    ``y_*``: int64 of shape ``(n,)``, digit labels 0..9.
    ``n`` is ``60000 - val_size`` for training, ``val_size`` for validation (0 rows when there is
    no validation split) and 10000 for test.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        parts = [
            f"{name}={arr.dtype} {arr.shape}"
            for name, arr in (
                ("X_train", self.X_train),
                ("y_train", self.y_train),
                ("X_val", self.X_val),
                ("y_val", self.y_val),
                ("X_test", self.X_test),
                ("y_test", self.y_test),
            )
        ]
        return "MNIST(" + ", ".join(parts) + ")"


def _mnist_paths() -> dict[str, Path]:
    """The four MNIST files in :func:`mnist_dir`; FileNotFoundError if one is missing."""
    folder = mnist_dir()
    paths = {key: folder / name for key, (name, _, _) in _MNIST_FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"MNIST file {path} is missing. {_restore_hint()}")
    return paths


def _restore_hint() -> str:
    """How to get the original MNIST files back, for the folder actually in use."""
    if os.environ.get(MNIST_DIR_ENV):
        return (
            f"${MNIST_DIR_ENV} points to {mnist_dir()}; copy the original files there from "
            f"{MNIST_DIR}, or unset the variable to use the shipped files."
        )
    return _RESTORE_HINT


def _decode_mnist(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """Parse the four (already verified) files into uint8 arrays of the known shapes."""
    arrays = {}
    for key, path in paths.items():
        array = read_idx(path)
        shape = _MNIST_FILES[key][2]
        if array.dtype != np.uint8 or array.shape != shape:
            raise ValueError(
                f"{path}: expected uint8 data of shape {shape}, got {array.dtype} {array.shape}"
            )
        arrays[key] = array
    return arrays


def _read_cached_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The uint8 arrays from the cache file, or None if it is missing, unreadable or wrong."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in _MNIST_FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    for key, (_, _, shape) in _MNIST_FILES.items():
        if arrays[key].dtype != np.uint8 or arrays[key].shape != shape:
            return None
    if arrays["train_labels"].max() > 9 or arrays["test_labels"].max() > 9:
        return None
    return arrays


def _load_mnist_uint8(use_cache: bool) -> dict[str, np.ndarray]:
    """The four verified MNIST arrays (uint8), from the cache when possible."""
    import hashlib
    import json

    paths = _mnist_paths()
    hint = _restore_hint()
    folder = cache_dir() if use_cache else None
    if folder is None:
        for key, path in paths.items():
            verify_sha256(path, _MNIST_FILES[key][1], hint=hint)
        return _decode_mnist(paths)

    # The cache files are named after the four hashes: other data is never mistaken for MNIST.
    cache_key = hashlib.sha256("".join(v[1] for v in _MNIST_FILES.values()).encode()).hexdigest()
    stem = f"mnist-uint8-v1-{cache_key[:16]}"
    record_path = folder / f"{stem}.json"
    npz_path = folder / f"{stem}.npz"
    verified = _read_record(record_path)
    changed = False
    try:
        for key, path in paths.items():
            sha = _MNIST_FILES[key][1]
            signature = _file_signature(path)
            entry = str(path.resolve())
            if verified.get(entry) != [*signature, sha]:
                # New, touched or replaced since it was last verified: hash it again.
                verify_sha256(path, sha, hint=hint)
                verified[entry] = [*signature, sha]
                changed = True
    finally:
        if changed:  # remember the files that did pass, even if a later one failed
            text = json.dumps({"verified": verified}, indent=1)
            _atomic_write(record_path, lambda f: f.write(text.encode("utf-8")))

    arrays = _read_cached_arrays(npz_path)
    if arrays is None:
        arrays = _decode_mnist(paths)
        _atomic_write(npz_path, lambda f: np.savez(f, **arrays))
    return arrays


def _to_float(images: np.ndarray, dtype: np.dtype[Any], flatten: bool) -> np.ndarray:
    """uint8 images ``(n, 28, 28)`` -> ``dtype`` in [0, 1], ``(n, 784)`` if ``flatten``."""
    if flatten:
        images = images.reshape(len(images), _N_PIXELS)
    return np.divide(images, dtype.type(255), dtype=dtype)


def load_mnist(
    val_size: int = 0,
    seed: Seed = 0,
    flatten: bool = True,
    dtype: DTypeLike = np.float32,
    cache: bool = True,
) -> MNIST:
    """Load MNIST from the shipped IDX files, verifying each file's sha256.

    Args:
        val_size: number of training images held out for validation, ``0 <= val_size < 60000``;
            a seeded random subset (in original order); 0 gives empty validation arrays.
        seed: seed of the validation split (``np.random.default_rng(seed)``).
        flatten: images as rows of 784 pixels (default) or as ``(28, 28)`` arrays.
        dtype: ``np.float32`` (default) or ``np.float64`` for the images.
        cache: keep the decoded uint8 arrays in an ``.npz`` in :func:`cache_dir` (named after the
            files' sha256s) and reuse them; a source file is hashed again only when its size or
            timestamps changed since it was last verified. ``cache=False`` hashes and decodes the
            files on every call and writes nothing.

    Returns:
        :class:`MNIST` with ``X_*`` of dtype ``dtype`` and shape ``(n, 784)`` (or ``(n, 28, 28)``),
        values in ``[0, 1]``, and ``y_*`` int64 of shape ``(n,)`` with labels 0..9; 60000 - val_size
        training, val_size validation and 10000 test images.

    Raises:
        ChecksumError: a file is corrupt or not the original (message names file and both hashes).
        FileNotFoundError: a file is missing.
        ValueError / TypeError: bad ``val_size`` or ``dtype``.
    """
    out_dtype = check_float_dtype("dtype", dtype)
    val_size = _check_val_size(val_size, _N_TRAIN)
    raw = _load_mnist_uint8(bool(cache))

    train_images, train_labels = raw["train_images"], raw["train_labels"]
    val_images, val_labels = train_images[:0], train_labels[:0]
    if val_size > 0:
        is_val = _val_mask(_N_TRAIN, val_size, seed)
        val_images, val_labels = train_images[is_val], train_labels[is_val]
        train_images, train_labels = train_images[~is_val], train_labels[~is_val]

    return MNIST(
        X_train=_to_float(train_images, out_dtype, flatten),
        y_train=train_labels.astype(np.int64),
        X_val=_to_float(val_images, out_dtype, flatten),
        y_val=val_labels.astype(np.int64),
        X_test=_to_float(raw["test_images"], out_dtype, flatten),
        y_test=raw["test_labels"].astype(np.int64),
    )
