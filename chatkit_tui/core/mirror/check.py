"""What is damaged in a mirror file, thread by thread (``chatkit-tui mirror --check``).

Textual-free. It only reads (a read-only copy on a backup volume will do) and never
changes the file; no network, no key. Each look goes on past what it cannot read:

1. **SQLite's own check**, ``PRAGMA integrity_check``. On some damage it stops rather
   than reporting it, so then each table is checked on its own (with its indexes) to name
   the tables that are damaged.
2. **The search index's own check**, FTS5's ``integrity-check`` (the index against the
   text it holds). That check is an ``INSERT``, which a read-only file refuses, so it runs
   on a copy of the index's tables in a temporary file.
3. **Every record, as the app and ``serve --db`` read them**: each thread's row, its JSON
   parsed; its items read in a query of their own, which must not fail, must hold the
   thread's ``item_count`` items numbered from 0, each one's JSON parsed.
4. **Rows that cannot be read at all**: the ``threads`` table is read by rowid, stepping
   over pages that fail (found by doubling the step, then halving back); a thread the
   ``items`` table or the threads' own index names whose row could not be read is
   damaged too.

A thread is named damaged when any of that fails for it; ``mirror --full`` re-fetches
those (:mod:`.repair`).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror as Mirror
from chatkit_tui.core.mirror.records import ItemRecord
from chatkit_tui.core.mirror.store import MirrorDamaged

__all__ = ["CheckReport", "DamagedThread", "check", "json_ok", "readable_rows", "whole_items"]

_LOW = -(2**63)
_HIGH = 2**63 - 1
_BATCH = 500


@dataclass(frozen=True, slots=True)
class DamagedThread:
    id: str
    reason: str


@dataclass(slots=True)
class CheckReport:
    """What :func:`check` found. ``clean`` when nothing."""

    path: Path
    threads: int = 0
    """Thread rows read."""
    items: int = 0
    """Item rows read (through their threads)."""
    sqlite: list[str] = field(default_factory=list[str])
    """What ``PRAGMA integrity_check`` said, when not "ok"."""
    tables: list[str] = field(default_factory=list[str])
    """The tables that SQLite found damaged (each with its indexes)."""
    search_index: str | None = None
    """What is wrong with the search index (None: nothing)."""
    damaged: list[DamagedThread] = field(default_factory=list[DamagedThread])
    unread: list[str] = field(default_factory=list[str])
    """Rows that could not be read at all (which rowids), when no thread id names them."""
    notes: list[str] = field(default_factory=list[str])
    """What could not be checked, and why (not damage)."""

    @property
    def clean(self) -> bool:
        return not (self.sqlite or self.tables or self.search_index or self.damaged or self.unread)

    def damaged_ids(self) -> set[str]:
        return {d.id for d in self.damaged}


def check(mirror: Mirror) -> CheckReport:
    """Look at everything in ``mirror`` (see the module doc)."""
    report = CheckReport(mirror.path)
    try:
        with mirror.reading() as db:
            tables = [
                str(r[0])
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
                )
            ]
    except MirrorDamaged as exc:
        report.sqlite.append(f"the list of tables cannot be read: {exc.detail}")
        return report
    _sqlite_check(mirror, tables, report)
    _search_index_check(mirror, report)
    _records_check(mirror, report)
    return report


# --- 1. SQLite's own check -------------------------------------------------------------------


def _sqlite_check(mirror: Mirror, tables: list[str], report: CheckReport) -> None:
    try:
        with mirror.reading() as db:
            found = [str(r[0]) for r in db.execute("PRAGMA integrity_check(50)")]
        if found == ["ok"]:
            return
        report.sqlite.extend(found)
    except MirrorDamaged as exc:
        report.sqlite.append(f"PRAGMA integrity_check stopped: {exc.detail}")
    for name in tables:
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            with mirror.reading() as db:
                rows = [str(r[0]) for r in db.execute(f"PRAGMA integrity_check({quoted})")]
        except MirrorDamaged:
            rows = []
        if rows != ["ok"]:
            report.tables.append(name)


# --- 2. the search index's own check ----------------------------------------------------------


def _search_index_check(mirror: Mirror, report: CheckReport) -> None:
    try:
        with mirror.reading() as db:
            row = db.execute("SELECT sql FROM sqlite_master WHERE name = 'search'").fetchone()
            shadows = [
                str(r[0])
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name GLOB 'search_*' ORDER BY name"
                )
            ]
    except MirrorDamaged as exc:
        report.search_index = f"it cannot be read ({exc.detail})"
        return
    if row is None:
        report.search_index = "there is none"
        return
    try:
        workdir = tempfile.TemporaryDirectory(prefix="chatkit-tui-check-")
    except OSError as exc:
        report.notes.append(f"the search index was not checked: no temporary directory ({exc})")
        return
    with workdir:
        copy_path = Path(workdir.name) / "search.sqlite3"
        try:
            _copy_index(mirror, str(row[0]), shadows, copy_path)
        except MirrorDamaged as exc:
            report.search_index = f"it cannot be read ({exc.detail})"
            return
        except (sqlite3.Error, OSError) as exc:
            report.notes.append(f"the search index was not checked: {exc}")
            return
        copy = sqlite3.connect(copy_path, isolation_level=None)
        try:
            copy.execute("INSERT INTO search (search) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            report.search_index = f"it does not match the text it holds ({exc})"
        finally:
            copy.close()


def _copy_index(mirror: Mirror, create: str, shadows: list[str], target: Path) -> None:
    """The FTS5 table as the mirror defines it, its tables' rows copied from the mirror."""
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        copy.execute(create)
        copy.execute("BEGIN")
        for name in shadows:
            copy.execute(f'DELETE FROM "{name}"')  # noqa: S608 - what CREATE put: the mirror's now
            with mirror.reading() as db:
                cursor = db.execute(f'SELECT * FROM "{name}"')  # noqa: S608
                marks = ", ".join("?" * len(cursor.description))
                while rows := cursor.fetchmany(_BATCH):
                    copy.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)  # noqa: S608
        copy.execute("COMMIT")
    finally:
        copy.close()


# --- 3 and 4. every record ------------------------------------------------------------------


def json_ok(raw: object) -> bool:
    if not isinstance(raw, bytes | str):
        return False
    try:
        msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return False
    return True


def _records_check(mirror: Mirror, report: CheckReport) -> None:
    seen: set[str] = set()
    gaps: list[tuple[int, int | None]] = []
    for row in readable_rows(mirror, "threads", "id, raw, item_count", gaps):
        thread_id = str(row[1])
        seen.add(thread_id)
        report.threads += 1
        if not json_ok(row[2]):
            report.damaged.append(DamagedThread(thread_id, "its JSON does not parse"))
            continue
        items, problem = whole_items(mirror, thread_id, row[3])
        report.items += len(items)
        if problem is not None:
            report.damaged.append(DamagedThread(thread_id, problem))
    for after, resumed in gaps:
        upto = "the end" if resumed is None else f"rowid {resumed}"
        start = "the start" if after == _LOW else f"rowid {after}"
        report.unread.append(f"threads: the rows after {start}, before {upto}, cannot be read")
    # threads whose rows could not be read, named by what else holds their id
    named: dict[str, str] = {}
    item_gaps: list[tuple[int, int | None]] = []
    for row in readable_rows(mirror, "items", "thread_id", item_gaps):
        thread_id = str(row[1])
        if thread_id not in seen and thread_id not in named:
            named[thread_id] = "its row cannot be read (its items are held)"
    for thread_id in _index_ids(mirror):
        if thread_id not in seen and thread_id not in named:
            named[thread_id] = "its row cannot be read"
    report.damaged.extend(DamagedThread(t, why) for t, why in sorted(named.items()))
    if item_gaps and not report.damaged:  # items lost, yet no thread found short of them
        report.unread.append("items: some rows cannot be read")


def whole_items(
    mirror: Mirror, thread_id: str, item_count: object
) -> tuple[list[ItemRecord], str | None]:
    """A thread's items as the app and ``serve`` read them (a query of their own), and
    what is wrong with them (None: they are whole: ``item_count`` of them, numbered from
    0, each one's JSON parsing)."""
    items: list[ItemRecord] = []
    try:
        with mirror.reading() as db:
            for seq, item_id, created_at, kind, raw in db.execute(
                "SELECT seq, id, created_at, type, raw FROM items WHERE thread_id = ? ORDER BY seq",
                (thread_id,),
            ):
                if seq != len(items):
                    return items, f"its items are not numbered in order (no item {len(items)})"
                if not json_ok(raw):
                    return items, f"item {seq}'s JSON does not parse"
                items.append(ItemRecord(bytes(raw), item_id, created_at, kind))
    except MirrorDamaged as exc:
        return items, f"its items cannot be read ({exc.detail})"
    if len(items) != item_count:
        return items, f"it holds {len(items):,} of its {item_count} items"
    return items, None


def _index_ids(mirror: Mirror) -> Iterator[str]:
    """The thread ids in the threads' id index (as far as it can be read)."""
    after = ""
    while True:
        try:
            with mirror.reading() as db:
                rows = db.execute(
                    "SELECT id FROM threads WHERE id > ? ORDER BY id LIMIT ?", (after, _BATCH)
                ).fetchall()
        except MirrorDamaged:
            return
        if not rows:
            return
        for (thread_id,) in rows:
            yield str(thread_id)
        after = str(rows[-1][0])


def readable_rows(
    mirror: Mirror, table: str, columns: str, gaps: list[tuple[int, int | None]]
) -> Iterator[tuple[Any, ...]]:
    """``(rowid, *columns)`` of every row of ``table`` that can be read, in rowid order.
    Where reading fails, the next rowid from which reading works again is found (the step
    doubled until a read works, then halved back) and each stretch passed over is added to
    ``gaps`` as (the last rowid read, the rowid reading resumed at; None: it never did)."""
    sql = f"SELECT rowid, {columns} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT ?"  # noqa: S608
    last, start = _LOW, _LOW
    batch = _BATCH
    while True:
        try:
            with mirror.reading() as db:
                rows = db.execute(sql, (start, batch)).fetchall()
        except MirrorDamaged:
            if batch > 1:  # row by row up to the damage
                batch = 1
                continue
            resumed = _readable_from(mirror, table, start)
            gaps.append((last, resumed))
            if resumed is None:
                return
            start = resumed
            continue
        if not rows:
            return
        yield from rows
        last = int(rows[-1][0])
        if last == _HIGH:
            return
        start, batch = last + 1, _BATCH


def _readable_from(mirror: Mirror, table: str, start: int) -> int | None:
    """The smallest rowid past ``start`` (where reading failed) from which reading
    ``table`` works: a seek to a rowid descends to the page that would hold it, so this is
    the first rowid past the damaged pages (None: none)."""
    sql = f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1"  # noqa: S608

    def readable(rowid: int) -> bool:
        try:
            with mirror.reading() as db:
                db.execute(sql, (rowid,)).fetchall()
        except MirrorDamaged:
            return False
        return True

    bad, step = start, 1
    while True:
        probe = min(start + step, _HIGH)
        if readable(probe):
            good = probe
            break
        if probe == _HIGH:
            return None
        bad, step = probe, step * 2
    while good - bad > 1:
        middle = (good + bad) // 2
        if readable(middle):
            good = middle
        else:
            bad = middle
    return good
