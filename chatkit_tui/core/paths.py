"""Where files go, and writing them so that a file that exists is complete.

Textual-free. Archives, exports and purge reports live in the user data directory
(``platformdirs.user_data_dir("chatkit-tui")``; on Linux ``~/.local/share/chatkit-tui``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

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


class ReportWriteError(Exception):
    """A report's line could not be written (the disk full, say): the run must stop, as
    what it does next could not be recorded. ``error``: the OS's own."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.error = error
        self.reason = error.strerror or str(error)
        super().__init__(f"could not write the report to {path}: {self.reason}")


class JsonLinesReport:
    """A run's record as JSON lines (the purge's audit, migrate's report): private to the
    user (0600, its directory 0700), appended one whole line per :meth:`write`, flushed to
    disk by :meth:`close`. A new one never overwrites an old one; a ``path`` given that
    exists is appended to. A kind of report names its files (``prefix``) and where they go
    when no path is given (:meth:`directory`)."""

    prefix = "report"

    def __init__(self, path: Path, *, new: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_EXCL if new else 0)
        self._fd: int | None = os.open(path, flags, 0o600)
        self.path = path
        self.failure: ReportWriteError | None = None
        """The write that failed; every later write raises it again (a record with a
        line missing in its middle would mislead)."""

    @classmethod
    def directory(cls) -> Path:
        raise NotImplementedError  # each kind of report says where its files go

    @classmethod
    def create(cls, path: Path | None = None, *, started: float) -> Self:
        """The report at ``path``, or a new ``<prefix>-<UTC time>.jsonl`` in
        :meth:`directory`. OSError when it cannot be made."""
        if path is not None:
            return cls(path)
        directory = cls.directory()
        stamp = datetime.fromtimestamp(started, UTC).strftime("%Y%m%dT%H%M%SZ")
        stem = f"{cls.prefix}-{stamp}"
        for n in range(1, 1000):
            name = f"{stem}.jsonl" if n == 1 else f"{stem}-{n}.jsonl"
            try:
                return cls(directory / name, new=True)
            except FileExistsError:
                continue
        raise FileExistsError(f"too many reports named {stem}*.jsonl in {directory}")

    def write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise ValueError("the report is closed")
        if self.failure is not None:
            raise self.failure
        data = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
        try:
            while data:  # one write for a line, in practice; a short write is finished
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            self.failure = ReportWriteError(self.path, exc)
            raise self.failure from exc

    def close(self) -> None:
        """Flush to disk and close (idempotent). A flush that fails is a
        :class:`ReportWriteError` (not raised again for a report that had already failed;
        a file that cannot be flushed, such as a terminal or a pipe, is not one)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.fsync(fd)
        except OSError as exc:
            if self.failure is None and exc.errno not in (errno.EINVAL, errno.EROFS):
                self.failure = ReportWriteError(self.path, exc)
                raise self.failure from exc
        finally:
            os.close(fd)
