"""The record of a migration: JSON lines, like the purge's (:class:`~.purge.PurgeReport`).

Lines: ``{"record": "run", ...}`` first (the source, the Store, the mode), then one
``{"record": "thread", "id", "user", "items", "outcome", "reason", "approximations",
"kept_items", "writes"}`` per thread as its outcome is known (``approximations``: one
``{"item", "what"}`` for each thing not carried over exactly), and ``{"record": "end",
...}`` with the counts when the run ends (a report without it is of a run that was
killed). Private to the user (0600), appended to when it exists, fsynced when closed.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatkit_tui.core.paths import data_dir

__all__ = ["MigrateReport", "default_migrate_dir"]


def default_migrate_dir() -> Path:
    """Where ``migrate`` writes its reports when ``--report`` is not given."""
    return data_dir() / "migrations"


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y%m%dT%H%M%SZ")


class MigrateReport:
    def __init__(self, path: Path, *, new: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_EXCL if new else 0)
        self._fd: int | None = os.open(path, flags, 0o600)
        self.path = path

    @classmethod
    def create(cls, path: Path | None, *, started: float) -> MigrateReport:
        """The report at ``path``, or a new ``migrate-<UTC time>.jsonl`` in
        :func:`default_migrate_dir`. OSError when it cannot be made."""
        if path is not None:
            return cls(path)
        directory = default_migrate_dir()
        stem = f"migrate-{_stamp(started)}"
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
        data = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
        while data:  # one write a line, in practice; a short write is finished
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
