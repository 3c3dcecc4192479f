"""Data for the course: MNIST (shipped, checksummed, cached) and seeded toy 2-D sets.

NumPy and the standard library only, so ``import backprop_lab.data`` stays fast.

MNIST::

    mnist = load_mnist(val_size=10_000, seed=0)
    mnist.X_train.shape, mnist.X_train.dtype     # (50000, 784) float32, values in [0, 1]
    mnist.y_train.shape, mnist.y_train.dtype     # (50000,) int64, labels 0..9

The four original IDX files live in :data:`MNIST_DIR` (``backprop_lab/datasets/mnist``; the
environment variable ``BACKPROP_LAB_MNIST_DIR`` points the loader elsewhere). Every file's sha256
is checked before it is used. The decoded ``uint8`` arrays are cached as an ``.npz`` file in
:func:`cache_dir`; a cached load re-hashes a source file only when its size or timestamps changed.

The I/O modules (gzip, hashlib, json, tempfile, zipfile) are imported inside the functions that
use them, to keep the import of this module cheap.

Toy sets, each ``(X float64 (n, 2), y int64 (n,))`` with classes as equal in size as ``n`` allows,
rows shuffled::

    X, y = make_moons(n=200, noise=0.1, seed=0)
    X, y = load_toy("spirals", n=300, seed=1)
"""

from __future__ import annotations

import contextlib
import io
import math
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from backprop_lab.errors import ChecksumError

if TYPE_CHECKING:  # evaluated by type checkers only: numpy.random and numpy.typing load lazily
    from numpy.typing import DTypeLike

    Seed = int | np.random.Generator | None

__all__ = [
    "MNIST_DIR",
    "MNIST",
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
    "train_val_split",
    "verify_sha256",
]

PathLike = str | os.PathLike[str]

#: The folder that ships with the package and holds the four original MNIST IDX files.
#: The loader reads :func:`mnist_dir`, which is this folder unless ``BACKPROP_LAB_MNIST_DIR`` is set.
MNIST_DIR: Path = Path(__file__).resolve().parent / "datasets" / "mnist"

MNIST_DIR_ENV = "BACKPROP_LAB_MNIST_DIR"
CACHE_ENV = "BACKPROP_LAB_CACHE"

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


_RESTORE_HINT = (
    "Restore it by copying the original file from the backprop_lab project again "
    "(in a git clone: `git checkout -- backprop_lab/datasets/mnist/`; otherwise reinstall "
    "backprop_lab or copy the folder from a fresh download of the project)."
)


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    """Hex sha256 of the bytes of ``path``, read in 1 MiB chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: PathLike, expected: str, *, hint: str | None = None) -> str:
    """Check that the sha256 of the file ``path`` equals ``expected``; return the digest.

    Args:
        path: the file to hash (read in chunks, any size).
        expected: 64 hex digits (case is ignored).
        hint: what to tell the user to do on a mismatch; defaults to re-copying the file from the
            backprop_lab project.

    Returns:
        The actual sha256 as 64 lower-case hex digits (equal to ``expected``).

    Raises:
        ChecksumError: (a ``ValueError``) naming the file, the expected and the actual hash.
        ValueError: if ``expected`` is not a 64-digit hex string.
        FileNotFoundError: if the file does not exist.
    """
    path = Path(path)
    want = str(expected).strip().lower()
    if len(want) != 64 or any(c not in "0123456789abcdef" for c in want):
        raise ValueError(f"expected must be a sha256 digest of 64 hex digits, got {expected!r}")
    actual = _sha256_file(path)
    if actual != want:
        raise ChecksumError(path, want, actual, hint if hint is not None else _RESTORE_HINT)
    return actual


# ---------------------------------------------------------------------------------------------
# IDX files
# ---------------------------------------------------------------------------------------------

# IDX type code (third byte of the magic number) -> element dtype as stored (big-endian).
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# Deflate cannot shrink data by more than about 1032:1; a header that promises more data than that
# is wrong, and is reported before memory is allocated for it.
_MAX_GZIP_RATIO = 1100
_CHUNK = 1 << 20


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain; detected from the content, not the name).

    IDX layout: a big-endian int32 magic number ``0x0000TTDD`` (``TT`` the element type, ``0x08``
    for uint8; ``DD`` the number of dimensions), one big-endian int32 per dimension, then the
    elements in C order. MNIST images have magic 2051 (``0x00000803``: uint8, 3 dims), labels 2049
    (``0x00000801``: uint8, 1 dim).

    Returns:
        An array of shape ``(d1, ..., dD)`` in native byte order, writable; dtype ``uint8`` for
        MNIST (also ``int8``, ``int16``, ``int32``, ``float32``, ``float64`` per the type code).

    Raises:
        ValueError: naming the file and the fault: bad magic number, truncated header, data shorter
            or longer than the header announces, or corrupt gzip data.
        FileNotFoundError: if the file does not exist.
    """
    import gzip
    import zlib

    path = Path(path)
    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        is_gzip = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not is_gzip:
            return _read_idx_stream(raw, path, file_size, is_gzip=False)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_idx_stream(stream, path, file_size, is_gzip=True)
        except EOFError as e:
            raise ValueError(f"{path}: truncated gzip file (the compressed data ends early)") from e
        except (gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{path}: corrupt gzip data ({e})") from e


def _read_exact(stream: io.BufferedIOBase, n: int) -> bytes:
    """Up to ``n`` bytes from ``stream``; fewer only at the end of the data."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _read_idx_stream(
    stream: io.BufferedIOBase, path: Path, file_size: int, *, is_gzip: bool
) -> np.ndarray:
    """Parse the (already decompressing) IDX byte stream of ``path``; see :func:`read_idx`."""
    magic_bytes = _read_exact(stream, 4)
    if len(magic_bytes) < 4:
        raise ValueError(
            f"{path}: not an IDX file: only {len(magic_bytes)} byte(s) of data, "
            "too short for the 4-byte magic number"
        )
    magic = int.from_bytes(magic_bytes, "big")
    zero0, zero1, type_code, ndim = magic_bytes
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path}: bad magic number {magic} (0x{magic:08X}); an IDX file starts with two zero "
            "bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, "
            "0x0E float64) and the number of dimensions (>= 1) -- MNIST images have 2051 "
            "(0x00000803), labels 2049 (0x00000801)"
        )
    dims_bytes = _read_exact(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated header: magic {magic} announces {ndim} dimension(s) "
            f"({4 * ndim} bytes) but only {len(dims_bytes)} byte(s) follow"
        )
    shape = tuple(int(d) for d in np.frombuffer(dims_bytes, dtype=">i4"))
    if any(d < 0 for d in shape):
        raise ValueError(f"{path}: bad header: negative dimension in {shape}")
    stored = _IDX_DTYPES[type_code]
    count = math.prod(shape)  # a Python int: no overflow for absurd headers
    n_bytes = count * stored.itemsize
    header = 4 + 4 * ndim

    if not is_gzip and header + n_bytes != file_size:
        fault = "truncated" if header + n_bytes > file_size else "too long"
        raise ValueError(
            f"{path}: size mismatch ({fault}): the header announces shape {shape} of "
            f"{stored.name}, i.e. {header} + {n_bytes} = {header + n_bytes} bytes, "
            f"but the file has {file_size} bytes"
        )
    if is_gzip and n_bytes > _MAX_GZIP_RATIO * file_size + _CHUNK:
        raise ValueError(
            f"{path}: size mismatch (truncated or bad header): the header announces shape {shape} "
            f"of {stored.name} ({n_bytes} bytes), more than a {file_size}-byte gzip file can hold"
        )

    flat = np.empty(count, dtype=stored)
    buffer = memoryview(flat.view(np.uint8))
    done = 0
    while done < n_bytes:
        got = stream.readinto(buffer[done : done + _CHUNK])
        if not got:
            break
        done += got
    if done < n_bytes:
        raise ValueError(
            f"{path}: size mismatch (truncated): the header announces shape {shape} of "
            f"{stored.name} ({n_bytes} data bytes) but only {done} data bytes follow"
        )
    if stream.read(1):
        raise ValueError(
            f"{path}: size mismatch (too long): extra bytes follow the {n_bytes} data bytes "
            f"that the header announces for shape {shape} of {stored.name}"
        )
    array = flat.reshape(shape)
    if not stored.isnative:
        array = array.astype(stored.newbyteorder("="))
    return array


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------


def mnist_dir() -> Path:
    """The folder the MNIST files are read from: ``$BACKPROP_LAB_MNIST_DIR`` if set (looked up at
    each call), else :data:`MNIST_DIR`."""
    override = os.environ.get(MNIST_DIR_ENV)
    return Path(override).expanduser() if override else MNIST_DIR


def cache_dir() -> Path | None:
    """A writable folder for cached arrays, created if needed, or ``None`` if there is none.

    Tries ``$BACKPROP_LAB_CACHE`` if set, else ``~/.cache/backprop_lab``; if that folder cannot be
    created or written, falls back to ``<temp dir>/backprop_lab-<user id>``.
    """
    import tempfile

    candidates: list[Path] = []
    override = os.environ.get(CACHE_ENV)
    if override:
        candidates.append(Path(override).expanduser())
    else:
        with contextlib.suppress(RuntimeError, KeyError):  # no home directory
            candidates.append(Path.home() / ".cache" / "backprop_lab")
    user = os.getuid() if hasattr(os, "getuid") else "cache"  # Windows temp dirs are per user
    candidates.append(Path(tempfile.gettempdir()) / f"backprop_lab-{user}")
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> bool:
    """Write ``path`` through a temporary file in the same folder and an atomic rename, so a
    reader never sees half a file. Returns False (and leaves nothing behind) if writing fails."""
    import tempfile

    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp_name, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        return False
    return True


# ---------------------------------------------------------------------------------------------
# MNIST
# ---------------------------------------------------------------------------------------------


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


def _check_int(name: str, value: Any) -> int:
    """``value`` as a Python int; TypeError naming ``name`` if it is not an integer (or is a bool)."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None


def _check_nonnegative(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0; ValueError/TypeError naming ``name`` otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def _float_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """``dtype`` as a NumPy dtype, which must be float32 or float64."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}")
    return resolved


def _val_mask(n: int, val_size: int, seed: Seed) -> np.ndarray:
    """Boolean mask of shape ``(n,)`` marking a seeded random subset of ``val_size`` rows."""
    is_val = np.zeros(n, dtype=bool)
    is_val[np.random.default_rng(seed).permutation(n)[:val_size]] = True
    return is_val


def _check_val_size(val_size: Any, n: int) -> int:
    if isinstance(val_size, float | np.floating):
        raise TypeError(
            f"val_size must be an integer number of rows, got {val_size!r}; "
            f"for a fraction f of the {n} rows pass int(f * {n})"
        )
    val_size = _check_int("val_size", val_size)
    if not 0 <= val_size < n:
        raise ValueError(
            f"val_size must satisfy 0 <= val_size < {n} (the number of rows, so that at least one "
            f"training row remains), got {val_size}"
        )
    return val_size


def train_val_split(
    X: np.ndarray, y: np.ndarray, val_size: int, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out a seeded random subset of ``val_size`` rows for validation.

    Args:
        X: array of shape ``(n, ...)``, any dtype.
        y: array of shape ``(n, ...)``, any dtype (usually int64 labels of shape ``(n,)``).
        val_size: number of validation rows, ``0 <= val_size < n``.
        seed: seed for ``np.random.default_rng``; the same seed picks the same rows.

    Returns:
        ``(X_train, y_train, X_val, y_val)``: new arrays with the dtypes of ``X`` and ``y``, of
        ``n - val_size`` and ``val_size`` rows; the two row sets are disjoint, cover all rows, and
        keep their original order.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of rows, got X.shape={X.shape}, y.shape={y.shape}"
        )
    val_size = _check_val_size(val_size, len(X))
    is_val = _val_mask(len(X), val_size, seed)
    return X[~is_val], y[~is_val], X[is_val], y[is_val]


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


def _file_signature(path: Path) -> list[int]:
    """``[size, mtime_ns, ctime_ns]``: changes whenever the file is written or replaced."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _read_record(path: Path) -> dict[str, list[Any]]:
    """The cache's record of verified files: resolved path -> ``[size, mtime_ns, ctime_ns, sha]``."""
    import json

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    verified = record.get("verified") if isinstance(record, dict) else None
    return verified if isinstance(verified, dict) else {}


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
    out_dtype = _float_dtype(dtype)
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


# ---------------------------------------------------------------------------------------------
# Toy 2-D data sets
# ---------------------------------------------------------------------------------------------


def _class_sizes(n: int, n_classes: int) -> list[int]:
    """``n`` split into ``n_classes`` counts that differ by at most one (larger ones first)."""
    n = _check_int("n", n)
    if n < n_classes:
        raise ValueError(f"n must be >= {n_classes} (the number of classes), got {n}")
    return [n // n_classes + (1 if j < n % n_classes else 0) for j in range(n_classes)]


def _shuffled(parts: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack class ``j``'s points ``parts[j]`` (shape ``(m_j, 2)``), label them ``j``, shuffle."""
    X = np.concatenate(parts).astype(np.float64, copy=False)
    y = np.concatenate([np.full(len(p), j, dtype=np.int64) for j, p in enumerate(parts)])
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order]), y[order]


def _polar(r: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Points ``r (cos θ, sin θ)`` of shape ``(m, 2)``."""
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def make_moons(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: ``(cos t, sin t)``, the upper arc of the unit circle; class 1:
    ``(1 - cos t, 0.5 - sin t)``, a lower arc shifted right and down; ``t ~ U(0, π)``. Gaussian
    noise of standard deviation ``noise`` is added to both coordinates.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0, 1; rows shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = _check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    t0 = rng.uniform(0.0, np.pi, sizes[0])
    t1 = rng.uniform(0.0, np.pi, sizes[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    parts = [p + noise * rng.standard_normal(p.shape) for p in (upper, lower)]
    return _shuffled(parts, rng)


def make_circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1 (outer), class 1 of radius ``factor`` (inner).

    Angles ``~ U(0, 2π)``; Gaussian noise of standard deviation ``noise`` is added to both
    coordinates. ``factor`` must lie in (0, 1).

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0 (outer), 1 (inner); shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = _check_nonnegative("noise", noise)
    factor = _check_nonnegative("factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1) (inner radius / outer radius), got {factor!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for radius, m in zip((1.0, factor), sizes, strict=True):
        circle = _polar(np.full(m, radius), rng.uniform(0.0, 2.0 * np.pi, m))
        parts.append(circle + noise * rng.standard_normal(circle.shape))
    return _shuffled(parts, rng)


#: Radians an arm of :func:`make_spirals` turns from its start at the centre to radius 1.
SPIRAL_TURN = 4.0


def make_spirals(
    n: int = 300, k: int = 3, noise: float = 0.2, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` interleaved spiral arms, one class per arm.

    Arm ``j``: radius ``r ~ U(0, 1)``, angle ``θ = 2πj/k + 4 r + noise · N(0, 1)``, point
    ``r (cos θ, sin θ)``. ``noise`` jitters the *angle* (radians), so arms keep the same angular
    separation ``2π/k`` relative to the noise at every radius.

    Returns:
        ``X`` float64 ``(n, 2)`` inside the unit disc (up to noise), ``y`` int64 ``(n,)`` with
        labels ``0..k-1``; shuffled.
    """
    k = _check_int("k", k)
    if k < 2:
        raise ValueError(f"k must be >= 2 (the number of arms and classes), got {k}")
    sizes = _class_sizes(n, k)
    noise = _check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    parts = []
    for j, m in enumerate(sizes):
        r = rng.uniform(0.0, 1.0, m)
        theta = 2.0 * np.pi * j / k + SPIRAL_TURN * r + noise * rng.standard_normal(m)
        parts.append(_polar(r, theta))
    return _shuffled(parts, rng)


def make_xor(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR pattern: class 1 where exactly one coordinate is negative (``x₁ x₂ < 0``).

    Each class fills its two opposite quadrants of the square ``[-1, 1]²`` uniformly, keeping a
    gap of 0.1 from the axes (class 0: quadrants I and III; class 1: II and IV, each quadrant
    getting half of its class); then Gaussian noise of standard deviation ``noise`` is added to
    both coordinates.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels 0, 1; shuffled.
    """
    sizes = _class_sizes(n, 2)
    noise = _check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    parts = []
    for label, m in enumerate(sizes):
        magnitude = rng.uniform(0.1, 1.0, (m, 2))
        sign_1 = np.where(np.arange(m) < (m + 1) // 2, 1.0, -1.0)
        sign_2 = sign_1 if label == 0 else -sign_1
        points = magnitude * np.column_stack([sign_1, sign_2])
        parts.append(points + noise * rng.standard_normal(points.shape))
    return _shuffled(parts, rng)


def blob_centers(k: int) -> np.ndarray:
    """Centres of :func:`make_blobs`: float64 ``(k, 2)``, equally spaced on a circle of radius
    ``max(2, 1.5 / sin(π/k))``, so neighbouring centres are at least 3 apart."""
    radius = max(2.0, 1.5 / np.sin(np.pi / k))
    return _polar(np.full(k, radius), 2.0 * np.pi * np.arange(k) / k)


def make_blobs(
    n: int = 200, k: int = 3, std: float = 0.5, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` round Gaussian blobs of standard deviation ``std`` around :func:`blob_centers`.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with labels ``0..k-1`` (class ``j`` around
        centre ``j``); shuffled.
    """
    k = _check_int("k", k)
    if k < 2:
        raise ValueError(f"k must be >= 2 (the number of blobs and classes), got {k}")
    sizes = _class_sizes(n, k)
    std = _check_nonnegative("std", std)
    rng = np.random.default_rng(seed)
    centers = blob_centers(k)
    parts = [c + std * rng.standard_normal((m, 2)) for c, m in zip(centers, sizes, strict=True)]
    return _shuffled(parts, rng)


#: Toy set name -> generator function; every generator takes ``n``, a noise level and ``seed``.
TOY_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "blobs": make_blobs,
}


def load_toy(
    name: str, n: int | None = None, noise: float | None = None, seed: Seed = 0, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the toy set ``name`` (a key of :data:`TOY_DATASETS`, case-insensitive).

    Args:
        name: "moons", "circles", "spirals", "xor" or "blobs".
        n: number of points; None keeps the generator's default.
        noise: noise level; None keeps the generator's default (for "blobs" this is ``std``).
        seed: seed for ``np.random.default_rng``.
        **kwargs: passed on, e.g. ``k=4`` for spirals and blobs, ``factor=0.3`` for circles.

    Returns:
        ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)``.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in TOY_DATASETS:
        valid = ", ".join(repr(v) for v in TOY_DATASETS)
        raise ValueError(f"unknown toy dataset {name!r}; valid names are {valid}")
    if n is not None:
        kwargs["n"] = n
    if noise is not None:
        kwargs["std" if key == "blobs" else "noise"] = noise
    return TOY_DATASETS[key](seed=seed, **kwargs)
