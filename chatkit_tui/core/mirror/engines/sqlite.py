"""The SQLite engine: a mirror file holding every thread and item of one deployment as the
exact JSON the API sent, with a full-text index. ``Mirror.open(path)`` opens one as a
:class:`SqliteMirror` (the interface: :class:`chatkit_tui.core.mirror.store.Mirror`).

Textual-free. The layout is a contract: ``chatkit-tui serve --db MIRROR``
(:mod:`chatkit_tui.server.mirror`, which may not import this package) reads the
``threads`` and ``items`` tables directly. It is told from the server's own database by
``PRAGMA application_id`` (:data:`APPLICATION_ID`, "CKMR"); ``PRAGMA user_version`` is
the layout's version (:data:`SCHEMA_VERSION`, 4; readers read :data:`READABLE_VERSIONS`).
Version 2 makes a duplicate item impossible (below); the first writable open of a
version-1 file upgrades it in place (:meth:`Mirror.open`, :class:`LayoutUpgrade`).

- ``meta``: key/value text: the origin (``base_url``, ``organization``, ``project``), when
  the mirror was made, by which version.
- ``threads``: one row per thread whose items are all in (as of ``items_after``): its raw
  JSON as the thread list sent it, the fields lists and search need (``created_at`` epoch
  seconds, 0 when it could not be read; ``user``, ``title``, ``status``), ``readable`` 0
  when it did not decode (kept raw all the same), how many items, where the next items
  request starts (``items_after``: the last page's ``last_id``), when it was first seen
  and last changed, and ``gone_at`` once a full listing no longer had it (the content
  stays). Its ``pk`` is also its title's search row (as ``-pk``).
- ``items``: one row per item in the origin's order (``seq`` from 0 within the thread):
  raw JSON, ``id`` (NULL for an item that has none), ``created_at``, ``type`` without its
  ``chatkit.`` prefix. Its ``pk`` is its search row. Unique: ``(thread_id, seq)``, and
  ``(thread_id, id)`` for the items that have an id (version 2; a version-1 file written
  by two runs at once could hold every item twice).
- ``search``: FTS5 over the items' text and the titles (see :mod:`.search`).
- ``failures``: threads that could not be mirrored, with the last error and how many runs
  failed on them (a thread's row goes when it is mirrored).
- ``unreadable``: listed records that had no id (so could not be fetched), kept raw.
- ``runs``: one row per finished run with its counts.

File databases use WAL mode: a run writes one transaction per thread (its row, its new
items, their search rows, the failure cleared) while readers (the app, ``serve``, a
search) read on. One writer at a time: a writable open takes the file's writer lock and
refuses a file or directory that is read-only (:mod:`.writer_lock`); readers take nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chatkit_tui import __version__
from chatkit_tui.core.insights import summaries
from chatkit_tui.core.mirror.engines import fts5_rank
from chatkit_tui.core.mirror.extract import item_text
from chatkit_tui.core.mirror.records import (
    Failure,
    ItemRecord,
    Known,
    LayoutUpgrade,
    MirrorInfo,
    MirrorItem,
    MirrorPage,
    MirrorThread,
    Origin,
    RunRecord,
    ThreadRecord,
)
from chatkit_tui.core.mirror.search import (
    ELLIPSIS,
    MARK_END,
    MARK_START,
    RANKED,
    SNIPPET_TOKENS,
    SearchHit,
    SearchResult,
    index_form,
    match_expression,
    match_parts,
    parse_snippet,
)
from chatkit_tui.core.mirror.store import (
    RUN_COLUMNS,
    THREAD_COLUMNS,
    Mirror,
    MirrorDamaged,
    MirrorError,
    MirrorOfAnother,
    SaveStats,
    origin_from_meta,
    register_engine,
    run_from_row,
    same_origin,
    thread_from_row,
)
from chatkit_tui.core.mirror.writer_lock import WriterLock, refuse_unwritable
from chatkit_tui.mirrorfile import connect_read_only, is_damage

__all__ = ["APPLICATION_ID", "READABLE_VERSIONS", "SCHEMA_VERSION", "SqliteMirror"]

APPLICATION_ID = 0x434B4D52  # "CKMR"
SCHEMA_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
"""Version 1 lacks the unique ``items_by_id``; versions 1 and 2 lack the summary tables
insights reads (:mod:`chatkit_tui.core.insights.summaries`), version 3 has them in an
older layout (per-thread rows keyed by thread, not by user); they read the same."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE threads (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    user TEXT,
    title TEXT,
    status TEXT,
    raw BLOB NOT NULL,
    readable INTEGER NOT NULL,
    item_count INTEGER NOT NULL,
    items_after TEXT,
    first_seen INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    gone_at INTEGER
);
CREATE INDEX threads_by_time ON threads (created_at, id);
CREATE INDEX threads_by_user ON threads (user, created_at, id);
CREATE INDEX threads_listed ON threads (created_at, id) WHERE gone_at IS NULL;
CREATE TABLE items (
    pk INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT,
    created_at INTEGER,
    type TEXT,
    raw BLOB NOT NULL,
    UNIQUE (thread_id, seq)
);
CREATE UNIQUE INDEX items_by_id ON items (thread_id, id) WHERE id IS NOT NULL;
CREATE VIRTUAL TABLE search USING fts5(
    body, thread_id UNINDEXED, item_id UNINDEXED, type UNINDEXED, created_at UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE failures (
    thread_id TEXT PRIMARY KEY,
    error TEXT NOT NULL,
    runs INTEGER NOT NULL,
    first_failed_at INTEGER NOT NULL,
    last_failed_at INTEGER NOT NULL
);
CREATE TABLE unreadable (
    pk INTEGER PRIMARY KEY,
    raw BLOB NOT NULL UNIQUE,
    error TEXT NOT NULL,
    first_seen INTEGER NOT NULL
);
CREATE TABLE runs (
    pk INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    user TEXT,
    listing_complete INTEGER NOT NULL,
    interrupted INTEGER NOT NULL,
    threads INTEGER NOT NULL,
    new INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    grown INTEGER NOT NULL,
    items INTEGER NOT NULL,
    gone INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    pruned INTEGER NOT NULL,
    requests INTEGER NOT NULL
);
"""

_ITEMS_BY_ID = "CREATE UNIQUE INDEX items_by_id ON items (thread_id, id) WHERE id IS NOT NULL"
_LISTED_INDEX = (  # the app's list reads rows by position over it (see Mirror.listed_window)
    "CREATE INDEX IF NOT EXISTS threads_listed ON threads (created_at, id) WHERE gone_at IS NULL"
)
_THREAD_COLUMNS = THREAD_COLUMNS
_RUN_COLUMNS = RUN_COLUMNS


@dataclass(frozen=True, slots=True)
class _Claim:
    """What a writable open holds and made: the writer lock, the file (symbolic links
    resolved: two names of one file are one lock), whether this open made it (so may take
    it away again when nothing was written, see :meth:`Mirror.discard_if_empty`), the
    directories it made for it (the deepest first)."""

    lock: WriterLock
    real: Path
    created: bool
    made_dirs: tuple[Path, ...]

    @staticmethod
    def take(target: Path) -> _Claim:
        """Refuse a read-only file or directory (before anything is touched), make the
        directories, take the lock (:class:`MirrorBusyError` when another writer has it)."""
        real = target.resolve()
        refuse_unwritable(real)
        missing: list[Path] = []
        parent = real.parent
        while not parent.exists() and parent != parent.parent:
            missing.append(parent)
            parent = parent.parent
        real.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = WriterLock.acquire(real)
        return _Claim(lock, real, not real.exists(), tuple(missing))


# --- the file -------------------------------------------------------------------------------


class SqliteMirror(Mirror):
    """An open mirror file. Reads for the app and the CLI, writes for a run
    (:mod:`chatkit_tui.core.mirror.sync`).

    One connection guarded by a lock (usable from a run's writer thread and the event loop
    alike). ``Mirror.open(path, read_only=True)`` for readers; a run opens it writable with
    ``create=True`` and its ``origin``.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path,
        *,
        read_only: bool,
        claim: _Claim | None = None,
        copy: bool = False,
    ) -> None:
        self._db = db
        self._path = path
        self.read_only = read_only
        self.copy = copy
        """Opened as a read-only copy (read-only media: no shared WAL index; see
        :func:`chatkit_tui.mirrorfile.connect_read_only`)."""
        self._lock = threading.RLock()
        self._pending: summaries.PendingTotals | None = None
        """The open :meth:`batch`'s summary totals not yet written (None: no batch)."""
        self._claim = claim
        self.upgrade: LayoutUpgrade | None = None
        """What the open did to a file of an older layout (writable opens)."""

    engine = "sqlite"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def created(self) -> bool:
        """This (writable) open made the file."""
        return self._claim is not None and self._claim.created

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open_file(
        cls,
        path: Path,
        *,
        create: bool = False,
        origin: Origin | None = None,
        read_only: bool = False,
    ) -> SqliteMirror:
        """Open a mirror file (what ``Mirror.open(path)`` does). ``create``: make the
        file (and its directory) if there is none. ``origin``: refuse
        (:class:`MirrorError`) a mirror of another deployment, and record it in a new one.
        ``FileNotFoundError`` when there is no file and not ``create``;
        :class:`MirrorError` when the file is something else.

        Writable: :class:`MirrorReadOnlyError` for a read-only file or directory, and
        :class:`MirrorBusyError` (naming the holder) while another writer holds the file,
        both before anything is touched; a version-1 file is upgraded (:attr:`upgrade`)."""
        target = Path(path).expanduser()
        exists = target.exists()
        if not exists and not create:
            raise FileNotFoundError(f"no mirror at {target}")
        claim = None if read_only else _Claim.take(target)  # one writer (see writer_lock)
        try:
            return cls._open(target, exists, claim, origin=origin, read_only=read_only)
        except BaseException:
            if claim is not None:
                claim.lock.release()
            raise

    @classmethod
    def _open(
        cls,
        target: Path,
        exists: bool,
        claim: _Claim | None,
        *,
        origin: Origin | None,
        read_only: bool,
    ) -> SqliteMirror:
        if not exists:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        copy = False
        try:
            if read_only:
                db, copy = connect_read_only(target)
            else:
                db = sqlite3.connect(
                    target, check_same_thread=False, isolation_level=None, timeout=30.0
                )
            db.execute("PRAGMA busy_timeout = 30000")
            app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise MirrorDamaged(target, exc) from None
            raise MirrorError(f"cannot open {target} as a mirror: {exc}") from None
        mirror = cls(db, target, read_only=read_only, claim=claim, copy=copy)
        try:
            if app_id == 0 and not read_only and mirror._is_empty():
                mirror._create(origin)
            elif app_id != APPLICATION_ID:
                raise MirrorError(f"{target} is not a chatkit-tui mirror")
            version = mirror._check_version()
            if origin is not None:  # before any write: a mirror of another is left as it was
                mirror._check_origin(origin)
            if not read_only:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute(_LISTED_INDEX)  # files made before it had it: a run adds it
                if version < SCHEMA_VERSION or not summaries.has_summaries(db):
                    mirror.upgrade = mirror._upgrade(version)
                if summaries.has_summaries(db) and not summaries.user_counts_current(db):
                    mirror._keep_user_counts()
        except sqlite3.DatabaseError as exc:
            db.close()
            if is_damage(exc):
                raise MirrorDamaged(target, exc) from None
            raise
        except BaseException:
            db.close()
            raise
        return mirror

    def _keep_user_counts(self) -> None:
        """The distinct users per day and week and their triggers, made where they are not
        (a file of before them, a summary table built again, another version's triggers).
        A page that cannot be read is left to the run's check and repair (which must see
        the file as it is): the counts come with the next open."""
        try:
            with self._write():
                summaries.keep_user_counts(self._db)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise

    def _is_empty(self) -> bool:
        return self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0

    def _create(self, origin: Origin | None) -> None:
        if origin is None:
            raise MirrorError("a new mirror needs its origin")
        with self._write():
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            summaries.create(self._db)
            meta = {
                "base_url": origin.base_url.rstrip("/"),
                "organization": origin.organization,
                "project": origin.project,
                "origin_kind": origin.kind,
                "created_at": str(int(time.time())),
                "version": __version__,
            }
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        self.path.chmod(0o600)  # users' conversations

    def _check_version(self) -> int:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version not in READABLE_VERSIONS:
            known = " and ".join(str(v) for v in READABLE_VERSIONS)
            raise MirrorError(
                f"{self.path} is a mirror of layout version {version}; this chatkit-tui "
                f"reads versions {known}"
            )
        return version

    def _upgrade(self, version: int) -> LayoutUpgrade:
        """To version 4, in one transaction. From version 1: the items a thread holds twice
        (or more) by id go (the first copy by ``seq`` stays, with its search row), ``seq``
        is numbered again from 0 in the threads that had any, their ``item_count`` is set,
        and the unique ``items_by_id`` makes another impossible. Then (2 to 3, and 3 to 4:
        the summaries' per-thread rows keyed by user, for a user's figures read as one
        range) the summary tables are built from what the file holds, or moved into
        the new layout from layout 3's (:func:`summaries.upgrade`)."""
        with self._write():
            db = self._db
            extra: list[tuple[int, str]] = []
            threads: list[str] = []
            if version < 2:
                extra, threads = self._unique_items()
            summaries.upgrade(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return LayoutUpgrade(version, SCHEMA_VERSION, len(extra), len(threads))

    def _unique_items(self) -> tuple[list[tuple[int, str]], list[str]]:
        """Version 1 to 2 (see :meth:`_upgrade`): the extra copies removed, and the threads
        that had any."""
        db = self._db
        extra = db.execute(
            "SELECT pk, thread_id FROM items AS a WHERE id IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM items AS b"
            " WHERE b.thread_id = a.thread_id AND b.id = a.id AND b.seq < a.seq)"
        ).fetchall()
        db.executemany("DELETE FROM search WHERE rowid = ?", [(r[0],) for r in extra])
        db.executemany("DELETE FROM items WHERE pk = ?", [(r[0],) for r in extra])
        threads = sorted({str(r[1]) for r in extra})
        for thread_id in threads:
            pks = [
                int(r[0])
                for r in db.execute(
                    "SELECT pk FROM items WHERE thread_id = ? ORDER BY seq", (thread_id,)
                )
            ]
            # through negative numbers: (thread_id, seq) stays unique at every row
            db.executemany(
                "UPDATE items SET seq = ? WHERE pk = ?",
                [(-1 - n, pk) for n, pk in enumerate(pks)],
            )
            db.execute("UPDATE items SET seq = -1 - seq WHERE thread_id = ?", (thread_id,))
            db.execute("UPDATE threads SET item_count = ? WHERE id = ?", (len(pks), thread_id))
        db.execute("DROP INDEX IF EXISTS items_by_id")
        db.execute(_ITEMS_BY_ID)
        return [(int(r[0]), str(r[1])) for r in extra], threads

    def _check_origin(self, origin: Origin) -> None:
        mine = self.origin
        given = same_origin(mine, origin)
        if given is not None:
            raise MirrorOfAnother(
                f"{self.path} is a mirror of {mine.against(given)}, not of {given.against(mine)}"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._claim is not None:
                self._claim.lock.release()

    def discard_if_empty(self) -> bool:
        """Close; and when this open made the file and it holds no thread, no failure and
        no unreadable record (its first request failed, say), remove it, its WAL files,
        its lock and the directories made for it: True then. A file that was there before
        is never removed."""
        claim = self._claim
        with self._lock:
            if claim is None or not claim.created or not claim.lock.held:
                self.close()
                return False
            held = self._db.execute(
                "SELECT (SELECT count(*) FROM threads) + (SELECT count(*) FROM failures)"
                " + (SELECT count(*) FROM unreadable)"
            ).fetchone()[0]
            if held:
                self.close()
                return False
            self._db.close()
            try:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(FileNotFoundError):
                        claim.real.with_name(claim.real.name + suffix).unlink()
            finally:
                claim.lock.release()
            for made in claim.made_dirs:  # the deepest first
                with contextlib.suppress(OSError):
                    made.rmdir()
            return True

    @contextmanager
    def reading(self) -> Generator[sqlite3.Connection]:
        """The connection, under the lock, for a read: a damaged page raises
        :class:`MirrorDamaged` (every read of this class goes through here; so do
        :mod:`.check` and :mod:`.repair`)."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    raise MirrorDamaged(self.path, exc) from None
                raise

    @contextmanager
    def summary_reader(self) -> Generator[summaries.SqliteReader]:
        with self.reading() as db:
            yield summaries.SqliteReader(db)

    def quick_check(self) -> str | None:
        """SQLite's ``PRAGMA quick_check`` (every page of every table and index read and
        its structure checked, in one pass): None when sound, else what it found. What a
        run does before it writes anything: a damaged file is not written into."""
        with self._lock:
            try:
                rows = self._db.execute("PRAGMA quick_check(20)").fetchall()
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    return str(exc)
                raise
        found = [str(r[0]) for r in rows]
        return None if found == ["ok"] else "; ".join(found)

        # -- metadata ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str | None]:
        with self.reading():
            rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {str(k): None if v is None else str(v) for k, v in rows}

    @property
    def origin(self) -> Origin:
        return origin_from_meta(self._meta())

    def info(self) -> MirrorInfo:
        """The origin, counts, and the last run (its time, what it did)."""
        meta = self._meta()
        with self.reading():
            threads, gone, items = self._db.execute(
                "SELECT count(*), count(gone_at), coalesce(sum(item_count), 0) FROM threads"
            ).fetchone()
            failures = self._db.execute("SELECT count(*) FROM failures").fetchone()[0]
            unreadable = self._db.execute("SELECT count(*) FROM unreadable").fetchone()[0]
            runs = self._db.execute("SELECT count(*) FROM runs").fetchone()[0]
            last = self._db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY pk DESC LIMIT 1"  # noqa: S608
            ).fetchone()
            synced = self._db.execute(  # the last run that read the whole list and finished
                "SELECT max(finished_at) FROM runs WHERE listing_complete AND NOT interrupted"
            ).fetchone()[0]
        return MirrorInfo(
            path=self.path,
            origin=origin_from_meta(meta),
            created_at=int(meta.get("created_at") or 0),
            version=meta.get("version") or "",
            threads=int(threads),
            gone=int(gone),
            items=int(items),
            failures=int(failures),
            unreadable=int(unreadable),
            last_run=None if last is None else run_from_row(last),
            runs=int(runs),
            last_complete_sync=None if synced is None else float(synced),
        )

    # -- reads ---------------------------------------------------------------------------------

    def threads(
        self,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        after: str | None = None,
        limit: int = 100,
        gone: bool | None = None,
    ) -> MirrorPage[MirrorThread, str]:
        """A page of threads by creation time (newest first by default), keyset-paged:
        pass the page's ``after`` for the next. ``gone``: None for all, False for those
        still upstream, True for those deleted upstream. ``KeyError`` for an unknown cursor."""
        where: list[str] = []
        params: list[object] = []
        if user is not None:
            where.append("user = ?")
            params.append(user)
        if gone is not None:
            where.append("gone_at IS NOT NULL" if gone else "gone_at IS NULL")
        direction, op = ("DESC", "<") if order == "desc" else ("ASC", ">")
        with self.reading():
            if after is not None:
                key = self._db.execute(
                    "SELECT created_at, id FROM threads WHERE id = ?", (after,)
                ).fetchone()
                if key is None:
                    raise KeyError(after)
                where.append(f"(created_at, id) {op} (?, ?)")
                params.extend(key)
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            rows = self._db.execute(
                f"SELECT {_THREAD_COLUMNS} FROM threads {clause}"  # noqa: S608
                f" ORDER BY created_at {direction}, id {direction} LIMIT ?",
                [*params, max(0, limit) + 1],
            ).fetchall()
        page = [thread_from_row(r) for r in rows[: max(0, limit)]]
        has_more = len(rows) > len(page)
        return MirrorPage(page, has_more, page[-1].id if page and has_more else None)

    # -- the list by position: what the app shows, read on demand --------------------------

    @staticmethod
    def _listed(user: str | None, needle: str) -> tuple[str, list[object]]:
        """The threads the app lists (not gone), of ``user``, containing ``needle`` (lower
        case) in their title, user or id."""
        where = ["gone_at IS NULL"]
        params: list[object] = []
        if user is not None:
            where.append("user = ?")
            params.append(user)
        if needle:
            where.append(
                "(instr(lower(coalesce(title, '')), ?) OR instr(lower(coalesce(user, '')), ?)"
                " OR instr(lower(id), ?))"
            )
            params.extend([needle] * 3)
        return " AND ".join(where), params

    def count_listed(self, *, user: str | None = None, needle: str = "") -> int:
        where, params = self._listed(user, needle)
        with self.reading():
            row = self._db.execute(f"SELECT count(*) FROM threads WHERE {where}", params)  # noqa: S608
            return int(row.fetchone()[0])

    def listed_window(
        self,
        offset: int,
        limit: int,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        needle: str = "",
        total: int | None = None,
    ) -> list[MirrorThread]:
        """Rows ``offset`` to ``offset + limit`` of the listed threads in ``order``. With
        ``total`` (their count), a window in the far half is read from the other end, so
        the last rows cost what the first do."""
        if limit <= 0 or offset < 0:
            return []
        direction, reverse = ("DESC", "ASC") if order == "desc" else ("ASC", "DESC")
        flipped = total is not None and offset > total // 2
        if flipped and total is not None:
            stop = min(offset + limit, total)
            offset, limit, direction = max(0, total - stop), max(0, stop - offset), reverse
        where, params = self._listed(user, needle)
        with self.reading():
            keys = [  # positions over the index alone; the rows of just this window after
                int(r[0])
                for r in self._db.execute(
                    f"SELECT pk FROM threads WHERE {where}"  # noqa: S608
                    f" ORDER BY created_at {direction}, id {direction} LIMIT ? OFFSET ?",
                    [*params, limit, offset],
                )
            ]
            marks = ",".join("?" * len(keys))
            rows = {
                int(r[0]): r[1:]
                for r in self._db.execute(
                    f"SELECT pk, {_THREAD_COLUMNS} FROM threads WHERE pk IN ({marks})",  # noqa: S608
                    keys,
                )
            }
        window = [thread_from_row(rows[k]) for k in keys if k in rows]
        return window[::-1] if flipped else window

    def listed_position(
        self,
        thread_id: str,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        needle: str = "",
    ) -> int | None:
        """Where ``thread_id`` stands among the listed threads (None: not among them)."""
        where, params = self._listed(user, needle)
        with self.reading():
            key = self._db.execute(
                f"SELECT created_at, id FROM threads WHERE id = ? AND {where}",  # noqa: S608
                [thread_id, *params],
            ).fetchone()
            if key is None:
                return None
            op = ">" if order == "desc" else "<"
            row = self._db.execute(
                f"SELECT count(*) FROM threads WHERE {where} AND (created_at, id) {op} (?, ?)",  # noqa: S608
                [*params, *key],
            )
            return int(row.fetchone()[0])

    def thread(self, thread_id: str) -> MirrorThread | None:
        with self.reading():
            row = self._db.execute(
                f"SELECT {_THREAD_COLUMNS} FROM threads WHERE id = ?",  # noqa: S608
                (thread_id,),
            ).fetchone()
        return None if row is None else thread_from_row(row)

    def items(
        self,
        thread_id: str,
        *,
        after: int | None = None,
        limit: int = 100,
        order: Literal["asc", "desc"] = "asc",
    ) -> MirrorPage[MirrorItem, int]:
        """A page of a thread's items in the origin's order (``desc``: the other way
        round); ``after`` is a ``seq``."""
        if order == "asc":
            where, start = "seq > ? ORDER BY seq", -1 if after is None else after
        else:
            where, start = "seq < ? ORDER BY seq DESC", (1 << 62) if after is None else after
        with self.reading():
            rows = self._db.execute(
                f"SELECT seq, id, created_at, type, raw FROM items"  # noqa: S608
                f" WHERE thread_id = ? AND {where} LIMIT ?",
                (thread_id, start, max(0, limit) + 1),
            ).fetchall()
        page = [
            MirrorItem(thread_id, int(r[0]), r[1], None if r[2] is None else int(r[2]), r[3], r[4])
            for r in rows[: max(0, limit)]
        ]
        has_more = len(rows) > len(page)
        return MirrorPage(page, has_more, page[-1].seq if page and has_more else None)

    def item_seq(self, thread_id: str, item_id: str) -> int | None:
        """The place (``seq``) of the item ``item_id`` in its thread; None if not held."""
        with self.reading():
            row = self._db.execute(
                "SELECT min(seq) FROM items WHERE thread_id = ? AND id = ?", (thread_id, item_id)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def search_page(
        self,
        query: str,
        *,
        user: str | None = None,
        since: int | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 20,
        ranked: int | None = None,
    ) -> SearchResult:
        """Full-text search over FTS5 (see :mod:`chatkit_tui.core.mirror.search`)."""
        with self.reading():
            return _search(
                self._db,
                query,
                user=user,
                since=since,
                kinds=kinds,
                limit=limit,
                ranked=RANKED if ranked is None else ranked,
            )

    def count_matches(
        self,
        query: str,
        *,
        user: str | None = None,
        since: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> int:
        expression = match_expression(query)
        if expression is None:
            return 0
        where, params = _filters(expression, user, since, kinds)
        sql = f"SELECT count(*) FROM search WHERE {' AND '.join(where)}"  # noqa: S608
        with self.reading():
            return int(self._db.execute(sql, params).fetchone()[0])

    def types(self) -> list[str]:
        """What ``search(kinds=...)`` can be given: the item types held (without their
        ``chatkit.`` prefix) and ``title`` when a thread has one. Reads every item row."""
        with self.reading():
            rows = self._db.execute("SELECT DISTINCT type FROM items WHERE type IS NOT NULL")
            kinds = {str(r[0]) for r in rows}
            if self._db.execute("SELECT 1 FROM threads WHERE title != '' LIMIT 1").fetchone():
                kinds.add("title")
        return sorted(kinds)

    def failures(self) -> list[Failure]:
        with self.reading():
            rows = self._db.execute(
                "SELECT thread_id, error, runs, first_failed_at, last_failed_at FROM failures"
                " ORDER BY last_failed_at DESC, thread_id"
            ).fetchall()
        return [Failure(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def unreadable(self) -> list[bytes]:
        """Listed records that had no id, as they came."""
        with self.reading():
            return [bytes(r[0]) for r in self._db.execute("SELECT raw FROM unreadable ORDER BY pk")]

    # -- what a run reads ------------------------------------------------------------------------

    def known(self, thread_ids: Sequence[str]) -> dict[str, Known]:
        """What the mirror holds of these threads (those it has)."""
        out: dict[str, Known] = {}
        with self.reading():
            for start in range(0, len(thread_ids), 500):
                chunk = list(thread_ids[start : start + 500])
                marks = ", ".join("?" * len(chunk))
                for row in self._db.execute(
                    "SELECT id, raw, items_after, item_count, gone_at FROM threads"  # noqa: S608
                    f" WHERE id IN ({marks})",
                    chunk,
                ):
                    out[str(row[0])] = Known(bytes(row[1]), row[2], int(row[3]), row[4] is not None)
        return out

    def present_ids(self, user: str | None = None) -> set[str]:
        """Threads not marked gone (of ``user``, when given)."""
        sql = "SELECT id FROM threads WHERE gone_at IS NULL"
        with self.reading():
            if user is None:
                rows = self._db.execute(sql).fetchall()
            else:
                rows = self._db.execute(sql + " AND user = ?", (user,)).fetchall()
        return {str(r[0]) for r in rows}

    def total_changes(self) -> int:
        """Rows changed through this connection since it was opened (SQLite's count)."""
        with self._lock:
            return self._db.total_changes

    # -- writes (a run) ------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Generator[None]:
        """The :meth:`save_thread` calls of the block in one transaction (committed
        together, or none of them: each thread whole or absent): one commit for the
        threads a run has ready at once, and the insights day and user totals of its new
        threads summed in memory and written once (:class:`summaries.PendingTotals`),
        not once per thread. Other threads' reads and writes wait for its end."""
        if self.read_only or self._pending is not None:
            yield
            return
        with self._write():
            self._pending = summaries.PendingTotals(self._db)
            try:
                yield
                self._pending.flush(self._db)
            finally:
                self._pending = None

    def save_thread(
        self,
        thread: ThreadRecord,
        items: Sequence[ItemRecord],
        *,
        items_after: str | None,
        replace_items: bool = False,
        now: int | None = None,
    ) -> SaveStats:
        """In one transaction: the thread's row (new or updated, no longer gone), ``items``
        appended after those held (or in their place, with ``replace_items``), their
        search rows and its title's, ``items_after``, its failure cleared."""
        when = int(time.time()) if now is None else now
        stats = SaveStats()
        with self._write():
            db = self._db
            row = db.execute(
                "SELECT pk, raw, item_count, title FROM threads WHERE id = ?", (thread.id,)
            ).fetchone()
            if row is None:
                stats.new = True
                cursor = db.execute(
                    "INSERT INTO threads (id, created_at, user, title, status, raw, readable,"
                    " item_count, items_after, first_seen, changed_at, gone_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, NULL)",
                    (
                        thread.id,
                        thread.created_at,
                        thread.user,
                        thread.title,
                        thread.status,
                        thread.raw,
                        int(thread.readable),
                        when,
                        when,
                    ),
                )
                pk = int(cursor.lastrowid or 0)
                count, old_title = 0, None
            else:
                pk, old_raw, count, old_title = int(row[0]), bytes(row[1]), int(row[2]), row[3]
                if old_raw != thread.raw:
                    stats.changed = True
                    db.execute(
                        "UPDATE threads SET created_at = ?, user = ?, title = ?, status = ?,"
                        " raw = ?, readable = ?, changed_at = ? WHERE pk = ?",
                        (
                            thread.created_at,
                            thread.user,
                            thread.title,
                            thread.status,
                            thread.raw,
                            int(thread.readable),
                            when,
                            pk,
                        ),
                    )
            if stats.new or old_title != thread.title:
                db.execute("DELETE FROM search WHERE rowid = ?", (-pk,))
                if thread.title:
                    db.execute(
                        "INSERT INTO search (rowid, body, thread_id, item_id, type, created_at)"
                        " VALUES (?, ?, ?, NULL, 'title', ?)",
                        (-pk, index_form(thread.title), thread.id, thread.created_at),
                    )
            if replace_items and count:
                db.execute(
                    "DELETE FROM search WHERE rowid IN (SELECT pk FROM items WHERE thread_id = ?)",
                    (thread.id,),
                )
                db.execute("DELETE FROM items WHERE thread_id = ?", (thread.id,))
                count = 0
            stats.items = self._insert_items(thread.id, count, items)
            count += stats.items
            db.execute(
                "UPDATE threads SET item_count = ?, items_after = ?, gone_at = NULL"
                " WHERE pk = ? AND (item_count IS NOT ? OR items_after IS NOT ?"
                " OR gone_at IS NOT NULL)",
                (count, items_after, pk, count, items_after),
            )
            fresh = count == stats.items == len(items)  # all it holds: just written
            summaries.refresh_thread(
                db,
                thread.id,
                items if fresh else None,
                row=(pk, thread.created_at, thread.user, thread.status, thread.raw),
                new=stats.new,
                pending=self._pending,
            )
            db.execute("DELETE FROM failures WHERE thread_id = ?", (thread.id,))
        return stats

    def _insert_items(self, thread_id: str, first_seq: int, items: Sequence[ItemRecord]) -> int:
        """Append ``items`` from ``seq`` ``first_seq``; how many were written. An item whose
        id the thread holds already (a page that overlaps what is held, an item sent twice)
        is not written again: the copy held stays where it is (``--full`` replaces items
        that differ)."""
        db = self._db
        seq = first_seq
        for item in items:
            cursor = db.execute(
                "INSERT INTO items (thread_id, seq, id, created_at, type, raw)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (thread_id, id) WHERE id IS NOT NULL DO NOTHING",
                (thread_id, seq, item.id, item.created_at, item.type, item.raw),
            )
            if cursor.rowcount == 0:
                continue
            seq += 1
            text = item_text(item.raw)
            if text:
                db.execute(
                    "INSERT INTO search (rowid, body, thread_id, item_id, type, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        cursor.lastrowid,
                        index_form(text),
                        thread_id,
                        item.id,
                        item.type,
                        item.created_at,
                    ),
                )
        return seq - first_seq

    def save_unreadable(self, raw: bytes, error: str, now: int | None = None) -> bool:
        """Keep a listed record that had no id; False if it was kept already."""
        with self._write():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO unreadable (raw, error, first_seen) VALUES (?, ?, ?)",
                (raw, error, int(time.time()) if now is None else now),
            )
            return cursor.rowcount > 0

    def mark_gone(self, thread_ids: Iterable[str], now: int | None = None) -> int:
        """Mark threads deleted upstream (their content stays); how many were marked."""
        when = int(time.time()) if now is None else now
        marked = 0
        with self._write():
            for thread_id in thread_ids:
                cursor = self._db.execute(
                    "UPDATE threads SET gone_at = ? WHERE id = ? AND gone_at IS NULL",
                    (when, thread_id),
                )
                marked += cursor.rowcount
        return marked

    def prune(self, user: str | None = None) -> int:
        """Delete the threads marked gone (of ``user``), their items and search rows."""
        scope = "gone_at IS NOT NULL" + (" AND user = ?" if user is not None else "")
        params: tuple[str, ...] = () if user is None else (user,)
        with self._write():
            db = self._db
            summaries.forget_threads(db, scope, params)
            db.execute(
                "DELETE FROM search WHERE rowid IN (SELECT items.pk FROM items JOIN threads"  # noqa: S608
                f" ON threads.id = items.thread_id WHERE threads.{scope})",
                params,
            )
            db.execute(
                f"DELETE FROM search WHERE rowid IN (SELECT -pk FROM threads WHERE {scope})",  # noqa: S608
                params,
            )
            db.execute(
                f"DELETE FROM items WHERE thread_id IN (SELECT id FROM threads WHERE {scope})",  # noqa: S608
                params,
            )
            return db.execute(f"DELETE FROM threads WHERE {scope}", params).rowcount  # noqa: S608

    def record_failure(self, thread_id: str, error: str, now: int | None = None) -> None:
        when = int(time.time()) if now is None else now
        with self._write():
            self._db.execute(
                "INSERT INTO failures VALUES (?, ?, 1, ?, ?) ON CONFLICT (thread_id) DO UPDATE"
                " SET error = excluded.error, runs = runs + 1,"
                " last_failed_at = excluded.last_failed_at",
                (thread_id, error, when, when),
            )

    def forget_failures(self, keep: set[str]) -> int:
        """Drop failures of threads not in ``keep`` (no longer listed, nor held)."""
        with self._write():
            rows = self._db.execute("SELECT thread_id FROM failures").fetchall()
            stale = [(str(r[0]),) for r in rows if str(r[0]) not in keep]
            self._db.executemany("DELETE FROM failures WHERE thread_id = ?", stale)
        return len(stale)

    def record_run(self, run: RunRecord) -> None:
        values = (
            run.started_at,
            run.finished_at,
            run.user,
            int(run.listing_complete),
            int(run.interrupted),
            run.threads,
            run.new,
            run.changed,
            run.grown,
            run.items,
            run.gone,
            run.failed,
            run.pruned,
            run.requests,
        )
        with self._write():
            self._db.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({', '.join('?' * len(values))})",  # noqa: S608
                values,
            )

    def _write(self) -> _Transaction:
        if self.read_only:
            raise MirrorError(f"{self.path} is open read-only")
        return _Transaction(self._db, self._lock, lambda: self._pending is not None)


def _filters(
    expression: str, user: str | None, since: int | None, kinds: Sequence[str] | None
) -> tuple[list[str], list[object]]:
    """The WHERE conditions (and their parameters) of a search: the MATCH and the filters."""
    where = ["search MATCH ?"]
    params: list[object] = [expression]
    if kinds:
        wanted = sorted({k.removeprefix("chatkit.") for k in kinds})
        where.append(f"search.type IN ({', '.join('?' * len(wanted))})")
        params.extend(wanted)
    if since is not None:
        where.append("search.created_at >= ?")
        params.append(since)
    if user is not None:
        where.append("search.thread_id IN (SELECT id FROM threads WHERE user = ?)")
        params.append(user)
    return where, params


EXACT = 100_000
"""A query whose every term is a word or a prefix in at most about this many rows is
ranked by FTS5's ``bm25()`` itself: its pass over every row of each term costs a few
milliseconds then (and less than :mod:`.fts5_rank`'s ``highlight()`` of the candidates).
Any other query, and every query with a phrase of two words or more, is ranked over its
candidates alone (:mod:`.fts5_rank`)."""


def _search(
    db: sqlite3.Connection,
    query: str,
    *,
    user: str | None = None,
    since: int | None = None,
    kinds: Sequence[str] | None = None,
    limit: int = 20,
    ranked: int = RANKED,
) -> SearchResult:
    """The best ``limit`` hits for ``query`` (:meth:`Mirror.search_page`): FTS5's MATCH,
    bm25, ``snippet()``. The candidates are the newest ``ranked + 1`` matches, read
    backwards along the index without ranking; more than ``ranked``: only the newest
    ``ranked`` are ranked (``rowid >=`` the last of them, a range FTS5 reads directly).
    Ranked by ``bm25()`` when that is cheap (:data:`EXACT`), else by the same formula over
    the candidates alone (:mod:`.fts5_rank`): ``bm25()`` first runs each phrase over the
    whole table, reading a common word's every row and a phrase's positions in each."""
    parts = match_parts(query)
    if not parts or limit <= 0:
        return SearchResult([], 0, capped=False)
    expression = " ".join(e for e, _ in parts)
    ranked = max(1, ranked)
    where, params = _filters(expression, user, since, kinds)
    phrases = [fts5_rank.Phrase.of(term) for _, term in parts]
    totals = _Totals.read(db)
    shares: list[float] | None = None
    if all(len(p.words) == 1 for p in phrases):  # words and prefixes: bm25() when cheap
        newest = db.execute(
            f"SELECT search.rowid FROM search WHERE {' AND '.join(where)}"  # noqa: S608
            " ORDER BY search.rowid DESC LIMIT ?",
            [*params, ranked + 1],
        ).fetchall()
        if not newest:
            return SearchResult([], 0, capped=False)
        capped = len(newest) > ranked
        if capped:
            where.append("search.rowid >= ?")
            params.append(int(newest[ranked - 1][0]))
        filtered = user is not None or since is not None or bool(kinds)
        if len(parts) == 1 and not filtered:
            shares = [_share_of_newest(newest, ranked, totals)]
        else:
            shares = _shares(db, [e for e, _ in parts], totals)
        among = f"the newest {ranked:,}" if capped else ""  # the last written: items, titles
        count = ranked if capped else len(newest)
        if all(share * totals.rows <= EXACT for share in shares):
            hits = _ranked_by_bm25(db, where, params, limit)
            return SearchResult(hits, count, capped=capped, among=among)
        candidates = _candidates(db, where, params)
    else:  # a phrase: its candidates and their highlight() in one pass
        candidates = _candidates(db, where, params, ranked + 1)
        capped = len(candidates) > ranked
        candidates = candidates[:ranked]
        count = len(candidates)
        among = f"the newest {ranked:,}" if capped else ""
    if len(phrases) == 1:
        idfs = [1.0]  # one phrase: its idf multiplies every score, the order is the same
    else:
        shares = shares or _shares(db, [e for e, _ in parts], totals)
        idfs = [fts5_rank.idf(share * totals.rows, totals.rows) for share in shares]
    chosen = _best(candidates, phrases, idfs, totals, limit)
    prefix = any(p.prefix for p in phrases)
    return SearchResult(
        _hits(db, expression, chosen, prefix=prefix), count, capped=capped, among=among
    )


@dataclass(frozen=True, slots=True)
class _Totals:
    """The FTS5 table's rows and their average length in words (``search_data`` row 1,
    what ``bm25()`` reads: varints, the rows then each column's words)."""

    rows: int
    average: float
    top: int
    """The highest rowid (the newest item)."""

    @staticmethod
    def read(db: sqlite3.Connection) -> _Totals:
        block = db.execute("SELECT block FROM search_data WHERE id = 1").fetchone()
        numbers = fts5_rank.varints(bytes(block[0])) if block else []
        rows = numbers[0] if numbers else 0
        top = db.execute("SELECT max(id) FROM search_docsize").fetchone()[0]
        return _Totals(rows, sum(numbers[1:]) / rows if rows else 0.0, int(top or 0))


def _share_of_newest(newest: list[tuple[int]], ranked: int, totals: _Totals) -> float:
    """A one-term query's share of rows from its newest matches: all of them when it has no
    more (exact), else how densely they lie among the newest rowids."""
    if len(newest) <= ranked or totals.rows <= 0:
        return len(newest) / max(1, totals.rows)
    span = totals.top - int(newest[ranked - 1][0]) + 1
    return min(1.0, ranked / max(1, span))


def _shares(db: sqlite3.Connection, expressions: list[str], totals: _Totals) -> list[float]:
    """Each phrase's share of rows, counted among the newest :data:`~.fts5_rank.WINDOW`
    rows (by rowid; every row when those are all: then exact, as ``bm25()`` counts)."""
    cutoff = totals.top - fts5_rank.WINDOW
    (window,) = db.execute("SELECT count(*) FROM search_docsize WHERE id > ?", (cutoff,)).fetchone()
    whole = window >= totals.rows
    out: list[float] = []
    for expression in expressions:
        if whole:
            sql, args = "SELECT count(*) FROM search WHERE search MATCH ?", (expression,)
        else:
            sql = "SELECT count(*) FROM search WHERE search MATCH ? AND rowid > ?"
            args = (expression, cutoff)
        (found,) = db.execute(sql, args).fetchone()
        out.append(found / max(1, totals.rows if whole else window))
    return out


def _ranked_by_bm25(
    db: sqlite3.Connection, where: list[str], params: list[object], limit: int
) -> list[SearchHit]:
    """The best ``limit`` hits by FTS5's ``bm25()`` (its ``rank``), with their snippets."""
    sql = (  # only our own constants and placeholders are formatted in
        "SELECT search.rowid, search.thread_id, search.item_id, items.seq, search.type,"  # noqa: S608
        " search.created_at,"
        f" snippet(search, 0, '{MARK_START}', '{MARK_END}', '{ELLIPSIS}', {SNIPPET_TOKENS}),"
        " threads.title, threads.user, threads.gone_at, search.rank"
        " FROM search"
        " LEFT JOIN items ON search.rowid > 0 AND items.pk = search.rowid"
        " LEFT JOIN threads ON threads.id = search.thread_id"
        f" WHERE {' AND '.join(where)} ORDER BY search.rank LIMIT ?"
    )
    return [_hit(db, row, float(row[10])) for row in db.execute(sql, [*params, limit])]


def _candidates(
    db: sqlite3.Connection, where: list[str], params: list[object], newest: int | None = None
) -> list[tuple[int, str, int]]:
    """The matches ``where`` keeps (the ``newest`` of them), each with its ``highlight()``
    and its length in words (FTS5's ``search_docsize``: a varint per column)."""
    rows = db.execute(
        f"SELECT search.rowid, highlight(search, 0, '{MARK_START}', '{MARK_END}'), sizes.sz"  # noqa: S608
        " FROM search LEFT JOIN search_docsize AS sizes ON sizes.id = search.rowid"
        f" WHERE {' AND '.join(where)}"
        + ("" if newest is None else " ORDER BY search.rowid DESC LIMIT ?"),
        params if newest is None else [*params, newest],
    ).fetchall()
    return [(int(r[0]), str(r[1] or ""), sum(fts5_rank.varints(r[2])) if r[2] else 0) for r in rows]


def _best(
    candidates: list[tuple[int, str, int]],
    phrases: list[fts5_rank.Phrase],
    idfs: list[float],
    totals: _Totals,
    limit: int,
) -> list[tuple[int, float]]:
    """The best ``limit`` (rowid, rank) of the candidates, scored here (:mod:`.fts5_rank`);
    ties: the newest first."""
    scored = sorted(
        (
            fts5_rank.bm25(fts5_rank.term_counts(marked, phrases), size, idfs, totals.average),
            -rowid,
        )
        for rowid, marked, size in candidates
    )
    return [(-negative, score) for score, negative in scored[:limit]]


def _hits(
    db: sqlite3.Connection, expression: str, chosen: list[tuple[int, float]], *, prefix: bool
) -> list[SearchHit]:
    """The hits of the ``chosen`` rows (rowid, rank), in that order, with their snippets:
    each row looked up by its rowid (FTS5 seeks each word's list to it); with a prefix,
    whose words' lists FTS5 merges whole for each MATCH, in one pass over the matches
    between the first and the last of them instead (``+rowid``: the list a filter, not a
    lookup each)."""
    if not chosen:
        return []
    rowids = [rowid for rowid, _ in chosen]
    sql = (  # only our own constants and placeholders are formatted in
        "SELECT search.rowid, search.thread_id, search.item_id, items.seq, search.type,"  # noqa: S608
        " search.created_at,"
        f" snippet(search, 0, '{MARK_START}', '{MARK_END}', '{ELLIPSIS}', {SNIPPET_TOKENS}),"
        " threads.title, threads.user, threads.gone_at"
        " FROM search"
        " LEFT JOIN items ON search.rowid > 0 AND items.pk = search.rowid"
        " LEFT JOIN threads ON threads.id = search.thread_id"
        " WHERE search MATCH ?"
    )
    found: dict[int, Sequence[object]] = {}
    if prefix:
        marks = ", ".join("?" * len(rowids))
        for row in db.execute(
            f"{sql} AND search.rowid BETWEEN ? AND ? AND +search.rowid IN ({marks})",
            [expression, min(rowids), max(rowids), *rowids],
        ):
            found[int(row[0])] = row
    else:
        for rowid in rowids:
            row = db.execute(f"{sql} AND search.rowid = ?", (expression, rowid)).fetchone()
            if row is not None:
                found[rowid] = row
    return [_hit(db, found[rowid], rank) for rowid, rank in chosen if rowid in found]


def _hit(db: sqlite3.Connection, row: Sequence[object], rank: float) -> SearchHit:
    """A hit from a row of (rowid, thread id, item id, seq, type, created_at, snippet,
    title, user, gone_at)."""
    text, spans = parse_snippet(str(row[6]))
    seq = None if row[4] == "title" or row[3] is None else int(str(row[3]))
    after = _item_before(db, str(row[1]), seq) if seq else None
    return SearchHit(
        thread_id=str(row[1]),
        item_id=None if row[2] is None else str(row[2]),
        seq=seq,
        kind=str(row[4]),
        created_at=None if row[5] is None else int(str(row[5])),
        snippet=text,
        spans=tuple(spans),
        rank=rank,
        thread_title=None if row[7] is None else str(row[7]),
        user=None if row[8] is None else str(row[8]),
        gone=row[9] is not None,
        after_id=after[0] if after else None,
        after_seq=after[1] if after else None,
    )


def _item_before(db: sqlite3.Connection, thread_id: str, seq: int) -> tuple[str, int] | None:
    """The id and ``seq`` of the nearest item before ``seq`` that has an id (one walk back
    along the ``(thread_id, seq)`` index, for the few hits returned, not every match)."""
    row = db.execute(
        "SELECT id, seq FROM items WHERE thread_id = ? AND seq < ? AND id IS NOT NULL"
        " ORDER BY seq DESC LIMIT 1",
        (thread_id, seq),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception), under the lock."""

    def __init__(
        self, db: sqlite3.Connection, lock: threading.RLock, batched: Callable[[], bool]
    ) -> None:
        self._db = db
        self._lock = lock
        self._batched = batched
        self._nested = False

    def __enter__(self) -> None:
        self._lock.acquire()
        # inside a :meth:`SqliteMirror.batch` of this thread (it holds the lock: another
        # thread's batch cannot be open here): its transaction, ended by the batch
        self._nested = self._batched()
        if self._nested:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if not self._nested and exc_type is None:
                self._db.execute("COMMIT")
            elif not self._nested and self._db.in_transaction:  # SQLite may have ended it
                self._db.execute("ROLLBACK")  # (an I/O error rolls back by itself)
        finally:
            self._lock.release()


register_engine("file", SqliteMirror.open_file)
