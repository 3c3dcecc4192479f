"""The cache folder for decoded arrays, atomic writes into it, and the record of verified files.

    folder = cache_dir()          # $BACKPROP_LAB_CACHE, ~/.cache/backprop_lab or a temp folder

Standard library only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["CACHE_ENV", "cache_dir"]

CACHE_ENV = "BACKPROP_LAB_CACHE"


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
