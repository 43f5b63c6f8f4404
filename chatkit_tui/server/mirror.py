"""Serving a mirror file (``chatkit-tui serve --db MIRROR``): a read-only source of threads
and items that answers with the exact JSON the origin sent.

The server may not import ``chatkit_tui.core``, which writes mirrors, so this reads the
mirror's layout directly: the ``threads`` table (``id``, ``created_at``, ``user``,
``raw``, ``gone_at``) and the ``items`` table (``thread_id``, ``seq``, ``pk``, ``id``,
``raw``), as :mod:`chatkit_tui.core.mirror.engines.sqlite` documents them; a file is a mirror when
its ``PRAGMA application_id`` is :data:`MIRROR_APPLICATION_ID` and its ``PRAGMA
user_version`` one of :data:`MIRROR_READABLE_VERSIONS` (the constants are checked to agree
by ``tests/server/test_serve_mirror.py``). What this reads is the same in layout versions 1
and 2 (2 adds a unique index on the items' ids, so a thread never holds an item twice; a
version-1 file written by two runs at once may, and is served as it is until a mirror run
upgrades it).

- Threads list by ``(created_at, id)`` like the server's own, keyset-paged; those marked
  gone (deleted upstream) are not listed, but a thread read by its id is served even when
  gone (a backup is for reading what was deleted), and a cursor naming a gone thread
  still works.
- Items list in the origin's order (``seq``), either way round.
- ``DELETE`` answers 403: the file is opened read-only and nothing changes it here.
- A file on read-only media is served as a read-only copy
  (:func:`chatkit_tui.mirrorfile.connect_read_only`; ``copy`` says so).
- A request that meets a damaged page answers 500 with the error type and code
  ``mirror_damaged``, ``x-should-retry: false``, and the message every reader gives
  (:func:`chatkit_tui.mirrorfile.damaged_message`: the mirror is damaged, how to check
  and repair it); the app shows that message. The other threads are served as before.
- Sessions are minted and cancelled as by the local server, in memory (a mirror holds none).

A ``postgresql://`` URL is served the same way from the same tables (the layout of
:mod:`chatkit_tui.core.mirror.engines.postgres`; this reads only what both engines hold
alike): one read-only session (``default_transaction_read_only``), psycopg 3, the
password from the URL, ``PGPASSWORD`` or ``~/.pgpass``; :attr:`MirrorSource.path` is the
URL without its password (:func:`chatkit_tui.mirrorfile.redact`), and so is every
message. The SQL below is written once for both: ``{mark}`` is each driver's placeholder.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from chatkit_tui.client.models import ChatSession
from chatkit_tui.mirrorfile import (
    DAMAGED_ERROR_TYPE,
    LOGIN_REFUSED,
    UNREACHED,
    connect_read_only,
    damaged_message,
    is_damage,
    is_mirror_url,
    libpq_url,
    pg_refusal,
    pgpass_hint,
    redact,
)
from chatkit_tui.server.keyset import Order, Page, keyset_page
from chatkit_tui.server.params import RequestError
from chatkit_tui.server.store import CursorNotFoundError, Store

__all__ = [
    "MIRROR_APPLICATION_ID",
    "MIRROR_READABLE_VERSIONS",
    "MIRROR_SCHEMA_VERSION",
    "MirrorDamagedError",
    "MirrorSource",
    "is_mirror",
]

MIRROR_APPLICATION_ID = 0x434B4D52  # "CKMR": chatkit_tui.core.mirror.engines.sqlite.APPLICATION_ID
MIRROR_SCHEMA_VERSION = 4  # chatkit_tui.core.mirror.engines.sqlite.SCHEMA_VERSION
MIRROR_READABLE_VERSIONS = (1, 2, 3, 4)  # chatkit_tui.core.mirror.engines.sqlite.READABLE_VERSIONS
MIRROR_PG_SCHEMA_VERSION = 2  # chatkit_tui.core.mirror.engines.postgres.SCHEMA_VERSION


class MirrorDamagedError(RequestError):
    """A 500 for a damaged page: ``mirror_damaged``, not to be retried (it stays damaged).
    The server logs it (the operator learns what to run, not only that a 500 went out)."""

    def __init__(self, path: str | Path, cause: BaseException | None = None) -> None:
        super().__init__(
            500,
            damaged_message(path, cause),
            type=DAMAGED_ERROR_TYPE,
            code=DAMAGED_ERROR_TYPE,
            headers={"x-should-retry": "false"},
        )


class MirrorUnopened(ValueError):
    """The mirror's database refused the login (``code`` 4) or could not be reached (5),
    the exit codes of the script CLI's table; the message redacted."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def is_mirror(path: str | Path) -> bool:
    """Whether ``path`` is a mirror file (False for anything else, missing files included),
    or a ``postgresql://`` URL (whose database is checked when it is opened)."""
    if is_mirror_url(path):
        return True
    if str(path) == ":memory:":
        return False
    target = Path(path).expanduser()
    if not target.is_file():
        return False
    try:
        db, _ = connect_read_only(target)
        try:
            app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
        finally:
            db.close()
    except sqlite3.DatabaseError:  # a damaged mirror is still a mirror: its header says so
        app_id = _header_application_id(target)
    return app_id == MIRROR_APPLICATION_ID


def _header_application_id(path: Path) -> int | None:
    """``PRAGMA application_id`` as the file's first 100 bytes hold it (None: no SQLite
    header there)."""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return None
    if len(header) < 72 or not header.startswith(b"SQLite format 3\x00"):
        return None
    return int.from_bytes(header[68:72], "big")


def _json_page(rows: Page[tuple[object, ...]]) -> Page[bytes]:
    """Rows of (id, raw) as a page of raw JSON."""
    data = [bytes(cast("bytes", row[1])) for row in rows.data]
    return Page(data, rows.first_id, rows.last_id, rows.has_more)


SEQ_CURSOR = "~seq:"  # the item cursor this server gives an item the origin sent without an id


def _seq_cursor(value: str) -> int | None:
    rest = value.removeprefix(SEQ_CURSOR)
    return int(rest) if rest != value and rest.isdigit() else None


class MirrorSource:
    """What :class:`~chatkit_tui.server.app.ChatKitServerApp` serves, from a mirror file."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] | None = None) -> None:
        self._mark = "?"
        self.copy = False
        if is_mirror_url(path):
            self._open_database(str(path))
        else:
            self._open_file(path)
        self._lock = threading.Lock()
        self._sessions = Store(":memory:", clock=clock)
        self.clock = self._sessions.clock

    def _open_database(self, url: str) -> None:
        """A mirror in PostgreSQL: ``ValueError`` (its message redacted) when it cannot be
        reached or is no mirror."""
        url = libpq_url(url)
        self.path = redact(url)
        try:
            import psycopg
        except ImportError:
            raise ValueError(
                "serving a postgresql:// mirror needs psycopg 3: pip install"
                " 'chatkit-tui[postgresql]'"
            ) from None
        try:
            conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=10,
                options="-c default_transaction_read_only=on",
                application_name="chatkit-tui serve",
            )
        except psycopg.Error as exc:
            said = redact(" ".join(str(exc).split()))
            why = pg_refusal(said)
            if why == LOGIN_REFUSED:
                hint = pgpass_hint(said)
                said += f"; {hint}" if hint else ""
                raise MirrorUnopened(f"the database refused the login: {said}", 4) from None
            if why == UNREACHED:
                raise MirrorUnopened(f"the database cannot be reached: {said}", 5) from None
            raise ValueError(said) from None
        try:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
                if conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone() == (True,)
                else "SELECT NULL WHERE false"
            ).fetchone()
        except psycopg.Error as exc:
            conn.close()
            said = redact(" ".join(str(exc).split()))
            if exc.sqlstate == "42501":  # insufficient_privilege: a permission error
                raise MirrorUnopened(said, 4) from None
            raise ValueError(said) from None
        if row is None or row[0] is None:
            conn.close()
            raise ValueError(f"{self.path} is not a chatkit-tui mirror")
        if int(row[0]) > MIRROR_PG_SCHEMA_VERSION:
            conn.close()
            raise ValueError(
                f"{self.path} is a mirror of layout version {row[0]}; this server reads"
                f" versions up to {MIRROR_PG_SCHEMA_VERSION}"
            )
        self._db = cast("sqlite3.Connection", conn)  # the same execute/fetch calls
        self._mark = "%s"

    def _open_file(self, path: str | Path) -> None:
        self.path = str(Path(path).expanduser())
        try:
            self._db, self.copy = connect_read_only(Path(self.path))
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise MirrorDamagedError(self.path, exc) from None
            raise
        self._db.execute("PRAGMA busy_timeout = 30000")  # a mirror run may be writing
        app_id = int(self._db.execute("PRAGMA application_id").fetchone()[0])
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if app_id != MIRROR_APPLICATION_ID:
            self._db.close()
            raise ValueError(f"{self.path} is not a chatkit-tui mirror")
        if version not in MIRROR_READABLE_VERSIONS:
            self._db.close()
            known = " and ".join(str(v) for v in MIRROR_READABLE_VERSIONS)
            raise ValueError(
                f"{self.path} is a mirror of layout version {version}; this server reads "
                f"versions {known}"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._sessions.close()

    def __enter__(self) -> MirrorSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _reading(self) -> Generator[sqlite3.Connection]:
        """The connection under the lock; a damaged page raises :class:`MirrorDamagedError`."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                raise MirrorDamagedError(self.path, exc) from None

    # -- what the banner says ---------------------------------------------------------------

    def origin(self) -> str:
        with self._reading():
            row = self._db.execute("SELECT value FROM meta WHERE key = 'base_url'").fetchone()
        return "" if row is None or row[0] is None else str(row[0])

    def count_threads(self) -> int:
        """Threads listed (those not marked gone)."""
        with self._reading():
            row = self._db.execute("SELECT count(*) FROM threads WHERE gone_at IS NULL").fetchone()
        return int(row[0])

    # -- threads ----------------------------------------------------------------------------

    def thread_page(
        self,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        user: str | None = None,
    ) -> Page[bytes]:
        with self._reading():
            keys = {
                name: self._thread_key(name, value)
                for name, value in (("after", after), ("before", before))
                if value is not None
            }
            scope = "gone_at IS NULL" + (f' AND "user" = {self._mark}' if user is not None else "")
            rows = keyset_page(
                self._db,
                "threads",
                "id, raw",
                (scope, (user,) if user is not None else ()),
                limit,
                order,
                keys.get("after"),
                keys.get("before"),
                mark=self._mark,
            )
        return _json_page(rows)

    def _thread_key(self, name: str, thread_id: str) -> tuple[int, str]:
        row = self._db.execute(
            f"SELECT created_at, id FROM threads WHERE id = {self._mark}",  # noqa: S608
            (thread_id,),
        ).fetchone()
        if row is None:
            raise CursorNotFoundError(name, thread_id)
        return int(row[0]), str(row[1])

    def thread_json(self, thread_id: str) -> bytes | None:
        with self._reading():
            row = self._db.execute(
                f"SELECT raw FROM threads WHERE id = {self._mark}",  # noqa: S608
                (thread_id,),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def delete_thread(self, thread_id: str) -> bool:
        raise RequestError(
            403,
            "This server serves a read-only mirror (chatkit-tui serve --db MIRROR): threads"
            " cannot be deleted here.",
            type="permission_error",
            code="read_only_mirror",
        )

    # -- items --------------------------------------------------------------------------------

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> Page[bytes] | None:
        with self._reading():
            m = self._mark
            held = self._db.execute(f"SELECT 1 FROM threads WHERE id = {m}", (thread_id,))  # noqa: S608
            if held.fetchone() is None:
                return None
            keys: dict[str, tuple[int, int]] = {}
            for name, value in (("after", after), ("before", before)):
                if value is None:
                    continue
                seq = _seq_cursor(value)
                if seq is not None:  # an item without an id: the cursor this server gave it
                    row = self._db.execute(
                        f"SELECT seq, pk FROM items WHERE thread_id = {m} AND seq = {m}",  # noqa: S608
                        (thread_id, seq),
                    ).fetchone()
                else:
                    row = self._db.execute(
                        f"SELECT seq, pk FROM items WHERE thread_id = {m} AND id = {m}"  # noqa: S608
                        " ORDER BY seq LIMIT 1",
                        (thread_id, value),
                    ).fetchone()
                if row is None:
                    raise CursorNotFoundError(name, value)
                keys[name] = (int(row[0]), int(row[1]))
            rows = keyset_page(
                self._db,
                "items",
                # an item without an id still needs a cursor, or a page ending on one would
                # end the listing for every client (an empty last_id): one of our own
                f"coalesce(id, '{SEQ_CURSOR}' || seq), raw",
                (f"thread_id = {m}", (thread_id,)),
                limit,
                order,
                keys.get("after"),
                keys.get("before"),
                key=("seq", "pk"),
                mark=m,
            )
        return _json_page(rows)

    # -- sessions (in memory) ---------------------------------------------------------------

    def insert_session(self, session: ChatSession, created_at: int) -> None:
        self._sessions.insert_session(session, created_at)

    def cancel_session(self, session_id: str) -> ChatSession | None:
        return self._sessions.cancel_session(session_id)
