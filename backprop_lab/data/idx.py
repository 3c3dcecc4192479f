"""The IDX file format of MNIST: :func:`read_idx` reads a gzip-compressed or plain IDX file.

NumPy and the standard library only (``gzip`` and ``zlib`` are imported when a file is read).
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["read_idx"]

PathLike = str | os.PathLike[str]

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
