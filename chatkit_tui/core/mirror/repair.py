"""Repairing a damaged mirror: keep what is whole, so that a ``--full`` run re-fetches
the rest (``chatkit-tui mirror --full`` on a file :mod:`.check` finds damaged).

Textual-free. A damaged b-tree cannot be trusted to delete from, and SQLite's own
``REINDEX`` or FTS5 ``rebuild`` mend only indexes, so nothing is mended in place. Instead:

1. **The damaged file is kept** as it was, page for page (SQLite's backup API, WAL
   included), beside it: ``NAME.damaged-YYYYmmdd-HHMMSS``, private like the mirror.
2. **What is whole is copied into a new file** in the same directory (through
   :class:`~.store.Mirror`'s own writes, so the search index is built afresh): each
   thread whose row reads, whose JSON parses and whose items are all there and parse
   (:func:`.check.whole_items`), with its times and gone mark; the run history, the
   failures, the unreadable records; when the mirror was made. A thread that is not
   whole is left out.
3. **The new file's pages replace the damaged file's** through its open connection
   (the backup API again, into the mirror): one transaction, same file, so a reader has
   the old pages or the new, and a writer's lock on it holds. The new file is removed.

The run that follows lists every thread: those left out are new to it and fetched
whole; the rest are compared item by item, as a ``--full`` run does. A thread deleted
upstream whose rows were damaged is gone for good, except in the kept file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from chatkit_tui.core.mirror.check import json_ok, readable_rows, whole_items
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror as Mirror
from chatkit_tui.core.mirror.records import ThreadRecord
from chatkit_tui.core.mirror.store import RUN_COLUMNS as _RUN_COLUMNS
from chatkit_tui.core.mirror.store import THREAD_COLUMNS as _THREAD_COLUMNS
from chatkit_tui.core.mirror.store import run_from_row as _run_from_row
from chatkit_tui.core.mirror.store import thread_from_row as _thread_from_row

__all__ = ["RepairSummary", "kept_copy_path", "repair"]


@dataclass(slots=True)
class RepairSummary:
    kept: int = 0
    """Threads carried over whole."""
    dropped: list[str] = field(default_factory=list[str])
    """Threads left out (damaged): the run fetches them again."""
    unread: int = 0
    """Stretches of rows that could not be read at all."""
    backup: Path = Path()
    """The damaged file, as it was."""


def kept_copy_path(path: Path, now: float | None = None) -> Path:
    """``NAME.damaged-YYYYmmdd-HHMMSS`` beside ``path`` (``-2``, ``-3``, ... if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    return candidate


def repair(mirror: Mirror, *, now: float | None = None) -> RepairSummary:
    """Rebuild ``mirror`` (open writable) from what of it is whole; see the module doc.
    :class:`~.store.MirrorDamaged` when not even its origin can be read (nothing to
    rebuild it as); ``OSError`` / ``sqlite3.Error`` when a file cannot be written (the
    mirror is then as it was)."""
    origin = mirror.origin
    summary = RepairSummary(backup=kept_copy_path(mirror.path, now))
    _keep_copy(mirror, summary.backup)
    scratch = mirror.path.with_name(f".{mirror.path.name}.repair-{os.getpid()}")
    _remove(scratch)
    try:
        with Mirror.open_file(scratch, create=True, origin=origin) as fresh:
            _copy_whole(mirror, fresh, summary)
            with fresh.reading() as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with fresh.reading() as source, mirror._lock:
                source.backup(mirror._db)
    finally:
        _remove(scratch)
    return summary


def _keep_copy(mirror: Mirror, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(target)
    try:
        with mirror._lock:
            mirror._db.backup(copy)
    finally:
        copy.close()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _copy_whole(old: Mirror, new: Mirror, summary: RepairSummary) -> None:
    gaps: list[tuple[int, int | None]] = []
    with old.reading() as db:  # when it was made; the rest is the new file's own
        made = db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
    if made is not None:
        with new._write():
            new._db.execute("UPDATE meta SET value = ? WHERE key = 'created_at'", made)
    for row in readable_rows(old, "threads", _THREAD_COLUMNS, gaps):
        thread = _thread_from_row(row[1:])
        items, problem = whole_items(old, thread.id, thread.item_count)
        if problem is not None or not json_ok(thread.raw):
            summary.dropped.append(thread.id)
            continue
        record = ThreadRecord(
            thread.id,
            thread.raw,
            thread.created_at,
            thread.user,
            thread.title,
            thread.status,
            thread.readable,
        )
        new.save_thread(record, items, items_after=thread.items_after, now=thread.first_seen)
        with new._write():
            new._db.execute(
                "UPDATE threads SET changed_at = ?, gone_at = ? WHERE id = ?",
                (thread.changed_at, thread.gone_at, thread.id),
            )
        summary.kept += 1
    for row in readable_rows(old, "runs", _RUN_COLUMNS, gaps):
        new.record_run(_run_from_row(row[1:]))
    for row in readable_rows(old, "unreadable", "raw, error, first_seen", gaps):
        new.save_unreadable(bytes(row[1]), str(row[2]), now=int(row[3]))
    failures = list(
        readable_rows(
            old, "failures", "thread_id, error, runs, first_failed_at, last_failed_at", gaps
        )
    )
    with new._write():
        new._db.executemany(
            "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)", [r[1:] for r in failures]
        )
    summary.unread = len(gaps)
