"""Checksums: the sha256 of a file, and a check against the expected digest.

    verify_sha256(path, "440fcabf...")   # -> the digest, or ChecksumError naming both hashes

Standard library only (``hashlib`` is imported when a file is hashed).
"""

from __future__ import annotations

import os
from pathlib import Path

from backprop_lab.errors import ChecksumError

__all__ = ["ChecksumError", "sha256_file", "verify_sha256"]

PathLike = str | os.PathLike[str]

_RESTORE_HINT = (
    "Restore it by copying the original file from the backprop_lab project again "
    "(in a git clone: `git checkout -- backprop_lab/datasets/mnist/`; otherwise reinstall "
    "backprop_lab or copy the folder from a fresh download of the project)."
)


def sha256_file(path: PathLike) -> str:
    """Hex sha256 (64 lower-case digits) of the bytes of the file ``path``, read in 1 MiB chunks."""
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
    actual = sha256_file(path)
    if actual != want:
        raise ChecksumError(path, want, actual, hint if hint is not None else _RESTORE_HINT)
    return actual
