"""SQLite storage for the local ChatKit server.

One connection guarded by a lock: every operation is a few index lookups, so
serialising them is cheaper than a pool, and ``:memory:`` databases work from
any thread (the server's thread and a test's). File databases use WAL mode.

Lists use keyset pagination on ``(created_at, id)``: a cursor is the id of a
row, looked up by primary key, and the page is an index range scan from it, so
a page costs the same at row 100 as at row 1,000,000. Deleted threads leave a
tombstone (id, created_at) so that a cursor naming a thread deleted while a
client was paging keeps working.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import msgspec

from chatkit_tui.client.models import (
    ActiveStatus,
    ChatSession,
    ClosedStatus,
    KnownItem,
    LockedStatus,
    Thread,
    ThreadStatus,
    UserMessageItem,
)
from chatkit_tui.server.keyset import Order, Page, keyset_page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    user TEXT NOT NULL,
    title TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    status_reason TEXT
);
CREATE INDEX IF NOT EXISTS threads_by_time ON threads (created_at, id);
CREATE INDEX IF NOT EXISTS threads_by_user ON threads (user, created_at, id);
CREATE TABLE IF NOT EXISTS deleted_threads (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_thread ON items (thread_id, created_at, id);
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_by_thread ON attachments (thread_id);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    body BLOB NOT NULL
);
"""

_item_encoder = msgspec.json.Encoder()
_session_decoder = msgspec.json.Decoder(ChatSession)


class CursorNotFoundError(LookupError):
    """An ``after`` / ``before`` cursor names no row of the list."""

    def __init__(self, param: str, value: str) -> None:
        super().__init__(f"{param}={value!r}")
        self.param = param
        self.value = value


def _status_of(kind: str, reason: str | None) -> ThreadStatus:
    if kind == "locked":
        return LockedStatus(reason=reason)
    if kind == "closed":
        return ClosedStatus(reason=reason)
    return ActiveStatus()


def thread_row(thread: Thread) -> tuple[str, int, str, str | None, str, str | None]:
    """The ``threads`` row of a Thread (also used by the seeder's bulk insert)."""
    status = thread.status
    return (thread.id, thread.created_at, thread.user, thread.title, status.type, status.reason)


class Store:
    """The server's data: threads, their items and attachments, sessions."""

    def __init__(self, path: str | Path = ":memory:", *, clock: Callable[[], float] | None = None):
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.clock: Callable[[], float] = clock or time.time
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- writes ------------------------------------------------------------------

    def insert_threads(self, threads: Iterable[Thread]) -> None:
        self.insert_thread_rows(thread_row(t) for t in threads)

    def insert_thread_rows(
        self, rows: Iterable[tuple[str, int, str, str | None, str, str | None]]
    ) -> None:
        with self._lock, self._transaction():
            self._db.executemany("INSERT INTO threads VALUES (?, ?, ?, ?, ?, ?)", rows)

    def insert_items(self, items: Iterable[KnownItem]) -> None:
        """Insert items (and the attachments of user messages), JSON-encoded once."""
        rows: list[tuple[str, str, int, str, bytes]] = []
        attachments: list[tuple[str, str, str, str, str]] = []
        for item in items:
            body = _item_encoder.encode(item)
            rows.append((item.id, item.thread_id, item.created_at, type(item).__name__, body))
            if isinstance(item, UserMessageItem):
                attachments.extend(
                    (a.id, item.thread_id, item.id, a.name, a.mime_type) for a in item.attachments
                )
        self.insert_item_rows(rows, attachments)

    def insert_item_rows(
        self,
        rows: Iterable[tuple[str, str, int, str, bytes]],
        attachments: Iterable[tuple[str, str, str, str, str]] = (),
    ) -> None:
        with self._lock, self._transaction():
            self._db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", rows)
            self._db.executemany("INSERT INTO attachments VALUES (?, ?, ?, ?, ?)", attachments)

    def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread with its items and attachments; False if there is none."""
        with self._lock, self._transaction():
            row = self._db.execute(
                "SELECT created_at FROM threads WHERE id = ?", (thread_id,)
            ).fetchone()
            if row is None:
                return False
            self._db.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
            self._db.execute("DELETE FROM items WHERE thread_id = ?", (thread_id,))
            self._db.execute("DELETE FROM attachments WHERE thread_id = ?", (thread_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO deleted_threads VALUES (?, ?)", (thread_id, row[0])
            )
            return True

    # -- reads ---------------------------------------------------------------------

    def get_thread(self, thread_id: str) -> Thread | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, created_at, user, title, status, status_reason"
                " FROM threads WHERE id = ?",
                (thread_id,),
            ).fetchone()
        return None if row is None else _thread_from_row(row)

    def thread_exists(self, thread_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone()
        return row is not None

    def count_threads(self, user: str | None = None) -> int:
        with self._lock:
            if user is None:
                row = self._db.execute("SELECT count(*) FROM threads").fetchone()
            else:
                row = self._db.execute(
                    "SELECT count(*) FROM threads WHERE user = ?", (user,)
                ).fetchone()
        return int(row[0])

    def count_items(self, thread_id: str | None = None) -> int:
        return self._count("items", thread_id)

    def count_attachments(self, thread_id: str | None = None) -> int:
        return self._count("attachments", thread_id)

    def _count(self, table: str, thread_id: str | None) -> int:
        with self._lock:
            if thread_id is None:
                row = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            else:
                row = self._db.execute(
                    f"SELECT count(*) FROM {table} WHERE thread_id = ?",  # noqa: S608
                    (thread_id,),
                ).fetchone()
        return int(row[0])

    def thread_ids_by_item_count(self, limit: int = 10) -> list[tuple[str, int]]:
        """Threads with the most items, most first (for tests and benchmarks)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT thread_id, count(*) AS n FROM items GROUP BY thread_id"
                " ORDER BY n DESC, thread_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

    def list_threads(
        self,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        user: str | None = None,
    ) -> Page[Thread]:
        """One page of threads; raises CursorNotFoundError for an unknown cursor."""
        with self._lock:
            keys = {
                name: self._thread_key(name, value)
                for name, value in (("after", after), ("before", before))
                if value is not None
            }
            scope = ("user = ?", (user,)) if user is not None else None
            rows = keyset_page(
                self._db,
                "threads",
                "id, created_at, user, title, status, status_reason",
                scope,
                limit,
                order,
                keys.get("after"),
                keys.get("before"),
            )
        threads = [_thread_from_row(r) for r in rows.data]
        return Page(threads, rows.first_id, rows.last_id, rows.has_more)

    def thread_page(
        self,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        user: str | None = None,
    ) -> Page[bytes]:
        """:meth:`list_threads` with each thread as its JSON (what the app serves)."""
        page = self.list_threads(limit=limit, order=order, after=after, before=before, user=user)
        data = [_item_encoder.encode(t) for t in page.data]
        return Page(data, page.first_id, page.last_id, page.has_more)

    def thread_json(self, thread_id: str) -> bytes | None:
        thread = self.get_thread(thread_id)
        return None if thread is None else _item_encoder.encode(thread)

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> Page[bytes] | None:
        """One page of item JSON documents; None if the thread does not exist."""
        with self._lock:
            if not self.thread_exists(thread_id):
                return None
            keys: dict[str, tuple[int, str]] = {}
            for name, value in (("after", after), ("before", before)):
                if value is None:
                    continue
                row = self._db.execute(
                    "SELECT created_at, id FROM items WHERE id = ? AND thread_id = ?",
                    (value, thread_id),
                ).fetchone()
                if row is None:
                    raise CursorNotFoundError(name, value)
                keys[name] = (int(row[0]), str(row[1]))
            rows = keyset_page(
                self._db,
                "items",
                "id, body",
                ("thread_id = ?", (thread_id,)),
                limit,
                order,
                keys.get("after"),
                keys.get("before"),
            )
        bodies = [r[1] for r in rows.data]
        return Page(
            [b if isinstance(b, bytes) else str(b).encode() for b in bodies],
            rows.first_id,
            rows.last_id,
            rows.has_more,
        )

    def _thread_key(self, name: str, thread_id: str) -> tuple[int, str]:
        for table in ("threads", "deleted_threads"):
            row = self._db.execute(
                f"SELECT created_at, id FROM {table} WHERE id = ?",  # noqa: S608
                (thread_id,),
            ).fetchone()
            if row is not None:
                return int(row[0]), str(row[1])
        raise CursorNotFoundError(name, thread_id)

    # -- sessions ------------------------------------------------------------------

    def insert_session(self, session: ChatSession, created_at: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, NULL, ?)",
                (
                    session.id,
                    created_at,
                    session.expires_at,
                    msgspec.json.encode(session),
                ),
            )

    def count_sessions(self) -> int:
        """Sessions ever created (cancelled and expired ones too)."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()
        return int(row[0])

    def get_session(self, session_id: str) -> ChatSession | None:
        with self._lock:
            row = self._db.execute(
                "SELECT expires_at, cancelled_at, body FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if row is None:
            return None
        session = _session_decoder.decode(row[2])
        session.status = self._session_status(int(row[0]), row[1])
        return session

    def cancel_session(self, session_id: str) -> ChatSession | None:
        """Mark a session cancelled (idempotent; cancelled wins over expired)."""
        with self._lock:
            self._db.execute(
                "UPDATE sessions SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (int(self.clock()), session_id),
            )
            return self.get_session(session_id)

    def _session_status(self, expires_at: int, cancelled_at: object) -> str:
        if cancelled_at is not None:
            return "cancelled"
        if self.clock() >= expires_at:
            return "expired"
        return "active"

    # -- helpers -----------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _thread_from_row(row: Sequence[object]) -> Thread:
    return Thread(
        id=str(row[0]),
        created_at=int(row[1]),  # type: ignore[arg-type]
        user=str(row[2]),
        title=None if row[3] is None else str(row[3]),
        status=_status_of(str(row[4]), None if row[5] is None else str(row[5])),
    )
