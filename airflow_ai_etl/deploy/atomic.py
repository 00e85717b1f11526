"""Crash-safe file replacement: readers (and the dag-processor) see the old file or the new one, never a part.

The data goes to a temporary file in the target's own directory (a rename is only atomic within one
file system), is flushed to disk, and replaces the target with one `os.replace`. The directory is
fsynced afterwards so that the rename itself survives a power loss. The temporary name does not end
in `.py`, so Airflow never tries to parse a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically.

    On any failure `path` is untouched and no temporary file stays behind.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the dag-processor may run as another user
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Persist a directory's entries (renames, new files)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
