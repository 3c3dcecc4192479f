"""Tests for backprop_lab.data: IDX parsing, checksums, MNIST loading and caching, toy 2-D sets."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_lab import data
from backprop_lab.data import (
    MNIST,
    MNIST_DIR,
    TOY_DATASETS,
    ChecksumError,
    blob_centers,
    cache_dir,
    checksums,
    load_mnist,
    load_toy,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    read_idx,
    train_val_split,
    verify_sha256,
)
from backprop_lab.data import mnist as mnist_module

MNIST_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
# Published digit counts of the MNIST training and test sets.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

IDX_TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


# ---------------------------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the tests that only read MNIST, so it is decoded once per module."""
    return tmp_path_factory.mktemp("shared_cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, shared_cache: Path) -> None:
    """Never touch ~/.cache, and read the shipped MNIST files unless a test says otherwise."""
    monkeypatch.setenv("BACKPROP_LAB_CACHE", str(shared_cache))
    monkeypatch.delenv("BACKPROP_LAB_MNIST_DIR", raising=False)


@pytest.fixture(scope="module")
def mnist(shared_cache: Path) -> Iterator[MNIST]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BACKPROP_LAB_CACHE", str(shared_cache))
        mp.delenv("BACKPROP_LAB_MNIST_DIR", raising=False)
        yield load_mnist()


@pytest.fixture
def mnist_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the four MNIST files, used through BACKPROP_LAB_MNIST_DIR."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in MNIST_NAMES:
        shutil.copyfile(MNIST_DIR / name, folder / name)
    monkeypatch.setenv("BACKPROP_LAB_MNIST_DIR", str(folder))
    return folder


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BACKPROP_LAB_CACHE", str(folder))
    return folder


#: where each counted function is looked up when MNIST is loaded: hashing in data/checksums.py,
#: decoding by data/mnist.py's import of read_idx
_COUNTED_IN = {"sha256_file": checksums, "read_idx": mnist_module}


class CallCounter:
    """Wraps a function of the data package and counts its calls (optionally failing instead)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, fail: bool = False) -> None:
        self.calls: list[tuple] = []
        module = _COUNTED_IN[name]
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            self.calls.append(args)
            if fail:
                raise AssertionError(f"{name} should not be called")
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of ``array`` (big-endian header and elements)."""
    array = np.asarray(array)
    if magic is None:
        magic = (IDX_TYPE_CODES[array.dtype] << 8) | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, payload: bytes, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def flip_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# IDX parsing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_idx_roundtrip_uint8_images(tmp_path: Path, compress: bool) -> None:
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    path = write(tmp_path / "images.idx", idx_bytes(images), compress)
    assert idx_bytes(images)[:4] == (2051).to_bytes(4, "big")
    out = read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (5, 28, 28)
    np.testing.assert_array_equal(out, images)
    assert out.flags.writeable


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=3),
    dtype=st.sampled_from(sorted(IDX_TYPE_CODES, key=str)),
    compress=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_read_idx_roundtrip_any_type(
    tmp_path_factory: pytest.TempPathFactory, shape, dtype, compress, seed
) -> None:
    rng = np.random.default_rng(seed)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    path = write(tmp_path_factory.mktemp("idx") / "a.idx", idx_bytes(array), compress)
    out = read_idx(path)
    assert out.dtype == dtype and out.dtype.isnative and out.shape == tuple(shape)
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    "magic",
    [0x12345678, 0x00000A03, 0x00000800, 0x01000803],
    ids=["garbage", "unknown-type", "zero-dims", "nonzero-first-byte"],
)
def test_read_idx_bad_magic(tmp_path: Path, compress: bool, magic: int) -> None:
    payload = idx_bytes(np.zeros((2, 3), np.uint8), magic=magic)
    path = write(tmp_path / "bad.idx", payload, compress)
    with pytest.raises(ValueError, match="bad magic number") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert str(magic) in str(info.value)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_idx_truncated_data(tmp_path: Path, compress: bool) -> None:
    payload = idx_bytes(np.ones((3, 4, 5), np.uint8))[:-1]
    path = write(tmp_path / "short.idx", payload, compress)
    with pytest.raises(ValueError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "(3, 4, 5)" in str(info.value)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_idx_extra_bytes(tmp_path: Path, compress: bool) -> None:
    payload = idx_bytes(np.ones(10, np.uint8)) + b"\x00\x01"
    path = write(tmp_path / "long.idx", payload, compress)
    with pytest.raises(ValueError, match="too long") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_idx_truncated_header(tmp_path: Path, compress: bool) -> None:
    path = write(tmp_path / "head.idx", (2051).to_bytes(4, "big") + b"\x00\x00\x00\x05", compress)
    with pytest.raises(ValueError, match="truncated header") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("payload", [b"", b"\x00\x00"], ids=["empty", "two-bytes"])
def test_read_idx_too_short_for_magic(tmp_path: Path, payload: bytes) -> None:
    path = write(tmp_path / "tiny.idx", payload)
    with pytest.raises(ValueError, match="too short") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_truncated_gzip_stream(tmp_path: Path) -> None:
    blob = gzip.compress(idx_bytes(np.arange(5000, dtype=np.int32)))
    path = write(tmp_path / "cut.idx.gz", blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="truncated gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_corrupt_gzip_stream(tmp_path: Path) -> None:
    blob = bytearray(gzip.compress(idx_bytes(np.arange(5000, dtype=np.int32))))
    blob[-6] ^= 0xFF  # inside the CRC-32 / size trailer
    path = write(tmp_path / "bad.idx.gz", bytes(blob))
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_absurd_header_fails_without_allocating(tmp_path: Path) -> None:
    header = (0x0803).to_bytes(4, "big") + (2**31 - 1).to_bytes(4, "big") * 3
    for compress in (False, True):
        path = write(tmp_path / f"huge{compress}.idx", header + b"\x00" * 64, compress)
        with pytest.raises(ValueError, match="size mismatch"):
            read_idx(path)


def test_read_idx_on_the_real_label_file() -> None:
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[0] == 7


# ---------------------------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------------------------


def test_verify_sha256_ok_and_mismatch(tmp_path: Path) -> None:
    path = write(tmp_path / "f.bin", b"backprop")
    good = sha256_of(path)
    assert verify_sha256(path, good.upper()) == good
    bad = "0" * 64
    with pytest.raises(ChecksumError) as info:
        verify_sha256(path, bad)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.path, err.expected, err.actual) == (path, bad, good)
    message = str(err)
    assert str(path) in message and bad in message and good in message
    assert "corrupt" in message and "git checkout" in message


@pytest.mark.parametrize("expected", ["abc", "g" * 64, ""])
def test_verify_sha256_rejects_malformed_digest(tmp_path: Path, expected: str) -> None:
    path = write(tmp_path / "f.bin", b"x")
    with pytest.raises(ValueError, match="64 hex digits"):
        verify_sha256(path, expected)


@pytest.mark.parametrize("cache", [True, False])
def test_load_mnist_detects_a_flipped_byte(
    mnist_copy: Path, fresh_cache: Path, cache: bool
) -> None:
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    expected = sha256_of(MNIST_DIR / path.name)
    flip_byte(path, 100)
    actual = sha256_of(path)
    with pytest.raises(ChecksumError) as info:
        load_mnist(cache=cache)
    message = str(info.value)
    assert path.name in message and expected in message and actual in message
    assert "BACKPROP_LAB_MNIST_DIR" in message  # the hint says where the files came from


def test_load_mnist_missing_file(mnist_copy: Path) -> None:
    (mnist_copy / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError, match="train-labels-idx1-ubyte.gz.*BACKPROP_LAB_MNIST_DIR"
    ):
        load_mnist()


def test_shipped_files_match_readme_table() -> None:
    readme = (MNIST_DIR / "README.md").read_text(encoding="utf-8")
    for name in MNIST_NAMES:
        path = MNIST_DIR / name
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert sha256_of(path) in row
        assert f"{path.stat().st_size:,}" in row


# ---------------------------------------------------------------------------------------------
# load_mnist
# ---------------------------------------------------------------------------------------------


def test_mnist_shapes_dtypes_and_ranges(mnist: MNIST) -> None:
    assert mnist.X_train.shape == (60000, 784) and mnist.X_train.dtype == np.float32
    assert mnist.X_test.shape == (10000, 784) and mnist.X_test.dtype == np.float32
    assert mnist.X_val.shape == (0, 784) and mnist.X_val.dtype == np.float32
    assert mnist.y_train.shape == (60000,) and mnist.y_train.dtype == np.int64
    assert mnist.y_test.shape == (10000,) and mnist.y_test.dtype == np.int64
    assert mnist.y_val.shape == (0,) and mnist.y_val.dtype == np.int64
    for X in (mnist.X_train, mnist.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    sample = mnist.X_test * 255
    np.testing.assert_array_equal(sample, np.round(sample))  # exactly k / 255
    # The well-known normalisation constants of MNIST: mean 0.1307, std 0.3081.
    pixels = mnist.X_train.ravel()
    mean = pixels.sum(dtype=np.float64) / pixels.size
    std = np.sqrt(float(np.dot(pixels, pixels)) / pixels.size - mean**2)
    assert abs(mean - 0.1307) < 1e-4 and abs(std - 0.3081) < 1e-4
    assert "X_train=float32 (60000, 784)" in repr(mnist)


def test_mnist_labels(mnist: MNIST) -> None:
    assert mnist.y_train[0] == 5 and mnist.y_test[0] == 7
    assert np.bincount(mnist.y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == TEST_COUNTS


def test_mnist_validation_split(mnist: MNIST) -> None:
    split = load_mnist(val_size=5000, seed=1)
    assert split.X_train.shape == (55000, 784) and split.X_val.shape == (5000, 784)
    assert split.y_train.shape == (55000,) and split.y_val.shape == (5000,)
    # The split is train_val_split with the same seed: disjoint, covering, original order.
    rows = np.arange(60000)
    train_rows, _, val_rows, _ = train_val_split(rows, rows, 5000, seed=1)
    assert np.intersect1d(train_rows, val_rows).size == 0
    assert np.union1d(train_rows, val_rows).size == 60000
    np.testing.assert_array_equal(split.X_val, mnist.X_train[val_rows])
    np.testing.assert_array_equal(split.y_train, mnist.y_train[train_rows])
    np.testing.assert_array_equal(split.X_test, mnist.X_test)
    # Deterministic for a seed; another seed picks other rows.
    again = load_mnist(val_size=5000, seed=1)
    np.testing.assert_array_equal(again.y_val, split.y_val)
    np.testing.assert_array_equal(again.X_val, split.X_val)
    _, _, other_rows, _ = train_val_split(rows, rows, 5000, seed=2)
    assert not np.array_equal(other_rows, val_rows)


def test_mnist_unflattened_float64(mnist: MNIST) -> None:
    square = load_mnist(flatten=False, dtype=np.float64)
    assert square.X_train.shape == (60000, 28, 28) and square.X_train.dtype == np.float64
    assert square.X_test.shape == (10000, 28, 28) and square.X_val.shape == (0, 28, 28)
    np.testing.assert_allclose(square.X_test.reshape(10000, 784), mnist.X_test, atol=1e-7)
    np.testing.assert_array_equal(square.y_train, mnist.y_train)


@pytest.mark.parametrize("dtype", [np.int32, np.float16, "complex128", None, "nonsense"])
def test_mnist_rejects_dtype(dtype) -> None:
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        load_mnist(dtype=dtype)


@pytest.mark.parametrize(
    ("val_size", "error"),
    [
        (-1, ValueError),
        (60000, ValueError),
        (10**6, ValueError),
        (0.1, TypeError),
        (True, TypeError),
        ("100", TypeError),
    ],
)
def test_mnist_rejects_val_size(val_size, error) -> None:
    with pytest.raises(error, match="val_size"):
        load_mnist(val_size=val_size)


# ---------------------------------------------------------------------------------------------
# the cache
# ---------------------------------------------------------------------------------------------


def test_cache_is_written_then_used(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch, mnist: MNIST
) -> None:
    hashes = CallCounter(monkeypatch, "sha256_file")
    first = load_mnist()
    assert len(hashes.calls) == 4
    assert len(list(fresh_cache.glob("mnist-*.npz"))) == 1
    assert len(list(fresh_cache.glob("mnist-*.json"))) == 1

    with monkeypatch.context() as mp:
        CallCounter(mp, "read_idx", fail=True)  # the second load must not decode the files
        second = load_mnist()
    assert len(hashes.calls) == 4  # nor hash them: they did not change
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(second, field), getattr(first, field))
        np.testing.assert_array_equal(getattr(second, field), getattr(mnist, field))


def test_touched_source_file_is_verified_again(
    mnist_copy: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_mnist()
    hashes = CallCounter(monkeypatch, "sha256_file")
    touched = mnist_copy / "train-labels-idx1-ubyte.gz"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    CallCounter(monkeypatch, "read_idx", fail=True)
    load_mnist()
    assert [Path(args[0]).name for args in hashes.calls] == [touched.name]
    load_mnist()
    assert len(hashes.calls) == 1  # verified once, recorded, trusted again


def test_changed_source_file_is_caught_even_with_old_mtime(
    mnist_copy: Path, fresh_cache: Path
) -> None:
    load_mnist()
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    before = path.stat()
    flip_byte(path, 200)  # same size ...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... and the old mtime
    if path.stat().st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system's ctime is too coarse to see the change")
    with pytest.raises(ChecksumError, match=path.name):
        load_mnist()


def test_corrupt_cache_file_is_rebuilt(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch, mnist: MNIST
) -> None:
    load_mnist()
    (npz,) = fresh_cache.glob("mnist-*.npz")
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    decodes = CallCounter(monkeypatch, "read_idx")
    again = load_mnist()
    assert len(decodes.calls) == 4
    np.testing.assert_array_equal(again.X_test, mnist.X_test)
    decodes.calls.clear()
    load_mnist()
    assert decodes.calls == []  # the rebuilt cache is used


def test_no_cache_hashes_every_time_and_writes_nothing(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = CallCounter(monkeypatch, "sha256_file")
    load_mnist(cache=False)
    load_mnist(cache=False)
    assert len(hashes.calls) == 8
    assert not fresh_cache.exists() or not any(fresh_cache.iterdir())


def test_cache_dir_falls_back_to_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = write(tmp_path / "not_a_folder", b"")
    monkeypatch.setenv("BACKPROP_LAB_CACHE", str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = cache_dir()
    assert folder is not None and folder.parent == tmp_path / "tmp"
    assert folder.name.startswith("backprop_lab-")


def test_cache_dir_default_is_home_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKPROP_LAB_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "backprop_lab"


# ---------------------------------------------------------------------------------------------
# toy data sets
# ---------------------------------------------------------------------------------------------

N_CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spirals": 3, "blobs": 3}
DEFAULT_N = {"moons": 200, "circles": 200, "xor": 200, "spirals": 300, "blobs": 200}


def loo_1nn_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out accuracy of the 1-nearest-neighbour rule: high when classes are separated."""
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    return float((y[d2.argmin(1)] == y).mean())


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_toy_defaults(name: str) -> None:
    X, y = TOY_DATASETS[name]()
    n = DEFAULT_N[name]
    assert X.shape == (n, 2) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == N_CLASSES[name] and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()
    assert loo_1nn_accuracy(X, y) >= 0.9, "classes should be well separated at default noise"
    assert 0 < y[: n // 2].mean() < N_CLASSES[name] - 1  # rows are shuffled, not sorted by class


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(TOY_DATASETS)),
    n=st.integers(0, 400),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_toy_shapes_and_balance_for_any_n(name: str, n: int, k: int, seed: int) -> None:
    kwargs = {"k": k} if name in ("spirals", "blobs") else {}
    n_classes = k if kwargs else 2
    n = max(n, n_classes)
    X, y = TOY_DATASETS[name](n=n, seed=seed, **kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.sum() == n
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_toy_determinism(name: str) -> None:
    make = TOY_DATASETS[name]
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(seed=4)
    assert not np.allclose(X1, X3)
    Xg, yg = make(seed=np.random.default_rng(3))  # a Generator is accepted too
    assert Xg.shape == X1.shape


def test_circles_geometry() -> None:
    X, y = make_circles(n=400, noise=0.0, factor=0.3, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    X, y = make_circles()
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].mean() < radius[y == 0].mean()
    assert abs(radius[y == 1].mean() - 0.5) < 0.05 and abs(radius[y == 0].mean() - 1.0) < 0.05


def test_moons_geometry() -> None:
    X, y = make_moons(n=300, noise=0.0, seed=2)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert (upper[:, 1] >= 0).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5).all()
    X, y = make_moons()
    assert X[y == 0, 1].mean() > X[y == 1, 1].mean() + 0.5
    assert X[y == 1, 0].mean() > X[y == 0, 0].mean() + 0.5


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spirals_geometry(k: int) -> None:
    X, y = make_spirals(n=100 * k, k=k, noise=0.0, seed=5)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() <= 1.0
    theta = np.arctan2(X[:, 1], X[:, 0])
    residual = theta - 2 * np.pi * y / k - data.SPIRAL_TURN * r  # 0 mod 2π on the arm
    np.testing.assert_allclose(np.cos(residual), 1.0)
    X, y = make_spirals(n=100 * k, k=k, noise=0.2, seed=5)
    r = np.hypot(X[:, 0], X[:, 1])
    residual = np.arctan2(X[:, 1], X[:, 0]) - 2 * np.pi * y / k - data.SPIRAL_TURN * r
    mean_direction = np.exp(1j * residual).mean()
    assert abs(np.angle(mean_direction)) < 0.05  # centred on the arm
    circular_std = np.sqrt(-2 * np.log(np.abs(mean_direction)))
    assert 0.15 < circular_std < 0.25  # the angular spread is the noise, 0.2 rad


def test_xor_geometry() -> None:
    X, y = make_xor(n=400, noise=0.0, seed=6)
    assert ((X[:, 0] * X[:, 1] < 0) == (y == 1)).all()
    assert (np.abs(X) >= 0.1).all() and (np.abs(X) <= 1.0).all()
    quadrant = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0)
    assert np.bincount(quadrant).tolist() == [100, 100, 100, 100]
    X, y = make_xor()
    assert ((X[:, 0] * X[:, 1] < 0) == (y == 1)).mean() >= 0.95


def test_blobs_geometry() -> None:
    for k in (2, 3, 8):
        centers = blob_centers(k)
        gaps = np.hypot(*(centers[:, None] - centers[None]).transpose(2, 0, 1))
        np.fill_diagonal(gaps, np.inf)
        assert gaps.min() >= 3.0 - 1e-9
    X, y = make_blobs(n=600, k=3, std=0.5, seed=7)
    centers = blob_centers(3)
    nearest = ((X[:, None, :] - centers[None]) ** 2).sum(-1).argmin(1)
    assert (nearest == y).mean() >= 0.99
    for j in range(3):
        np.testing.assert_allclose(X[y == j].mean(0), centers[j], atol=0.15)
        assert abs(X[y == j].std(0).mean() - 0.5) < 0.1


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: make_moons(n=1), ValueError, r"n must be >= 2"),
        (lambda: make_spirals(n=2, k=3), ValueError, r"n must be >= 3"),
        (lambda: make_blobs(n=4, k=5), ValueError, r"n must be >= 5"),
        (lambda: make_moons(n=2.5), TypeError, r"n must be an integer"),
        (lambda: make_moons(noise=-0.1), ValueError, r"noise must be .*>= 0"),
        (lambda: make_xor(noise=float("nan")), ValueError, r"noise must be"),
        (lambda: make_circles(noise=-1), ValueError, r"noise"),
        (lambda: make_spirals(noise="loud"), TypeError, r"noise must be a finite number >= 0, got .loud. of type str"),
        (lambda: make_blobs(std=-0.5), ValueError, r"std must be"),
        (lambda: make_spirals(k=1), ValueError, r"k must be >= 2"),
        (lambda: make_blobs(k=1), ValueError, r"k must be >= 2"),
        (lambda: make_blobs(k=2.0), TypeError, r"k must be an integer"),
        (lambda: make_circles(factor=1.0), ValueError, r"factor must be in \(0, 1\)"),
        (lambda: make_circles(factor=0.0), ValueError, r"factor"),
    ],
)
def test_toy_validation(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_load_toy() -> None:
    np.testing.assert_array_equal(load_toy("moons", n=50, seed=2)[0], make_moons(n=50, seed=2)[0])
    np.testing.assert_array_equal(load_toy(" Spirals ", k=4)[1], make_spirals(k=4)[1])
    np.testing.assert_array_equal(
        load_toy("blobs", noise=0.2, seed=1)[0], make_blobs(std=0.2, seed=1)[0]
    )
    np.testing.assert_array_equal(load_toy("circles", noise=0.0)[0], make_circles(noise=0.0)[0])
    assert set(TOY_DATASETS) == {"moons", "circles", "spirals", "xor", "blobs"}
    with pytest.raises(ValueError) as info:
        load_toy("swiss_roll")
    for name in TOY_DATASETS:
        assert repr(name) in str(info.value)
    assert "swiss_roll" in str(info.value)


# ---------------------------------------------------------------------------------------------
# train_val_split
# ---------------------------------------------------------------------------------------------


def test_train_val_split_on_toy_data() -> None:
    X, y = make_spirals(n=90, seed=0)
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, val_size=20, seed=4)
    assert X_tr.shape == (70, 2) and X_val.shape == (20, 2)
    assert y_tr.dtype == np.int64 and X_val.dtype == np.float64
    rows = {tuple(r) for r in X}
    assert {tuple(r) for r in X_tr} | {tuple(r) for r in X_val} == rows
    assert not {tuple(r) for r in X_tr} & {tuple(r) for r in X_val}
    again = train_val_split(X, y, val_size=20, seed=4)
    np.testing.assert_array_equal(again[2], X_val)
    assert not np.shares_memory(X_tr, X) and not np.shares_memory(X_val, X)  # new arrays
    X_tr0, _, X_val0, y_val0 = train_val_split(X, y, 0, seed=0)
    assert X_val0.shape == (0, 2) and y_val0.shape == (0,)
    np.testing.assert_array_equal(X_tr0, X)


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((np.zeros((5, 2)), np.zeros(4), 1), ValueError, "same number of rows"),
        ((np.zeros((5, 2)), np.zeros(5), 5), ValueError, "val_size"),
        ((np.zeros((5, 2)), np.zeros(5), -1), ValueError, "val_size"),
        ((np.zeros((5, 2)), np.zeros(5), 0.2), TypeError, r"int\(f \* 5\)"),
    ],
)
def test_train_val_split_validation(args, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        train_val_split(*args, seed=0)
