"""Where files go, and writing them so that a file that exists is complete.

Textual-free. Archives, exports and purge reports live in the user data directory
(``platformdirs.user_data_dir("chatkit-tui")``; on Linux ``~/.local/share/chatkit-tui``).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import platformdirs

from chatkit_tui import APP_NAME


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_archive_dir() -> Path:
    return data_dir() / "archive"


def default_export_dir() -> Path:
    return data_dir() / "exports"


def default_purge_dir() -> Path:
    """Where ``threads purge`` writes its reports (the audit record of each run)."""
    return data_dir() / "purges"


def safe_filename(thread_id: str) -> str:
    """A file name for an (untrusted) id: no separators, no leading dots."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", thread_id).lstrip(".")
    return name[:200] or "thread"


def atomic_write(path: Path, data: str | bytes, *, private: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, flushed
    to disk (fsync) and renamed into place: readers see the old file or the whole new one.

    ``private``: the directory is created ``0700`` (archives hold users' conversations;
    the temporary file is ``0600`` either way, as :func:`tempfile.mkstemp` makes it).
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
