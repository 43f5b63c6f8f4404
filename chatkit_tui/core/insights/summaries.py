"""The summary tables insights reads, and how they are kept current. SQLite; Textual-free.

Kept by ``mirror`` itself: :meth:`~chatkit_tui.core.mirror.Mirror.save_thread` calls
:func:`refresh_thread` in the transaction that writes the thread, and
:meth:`~chatkit_tui.core.mirror.Mirror.prune` calls :func:`forget_threads` in the one
that deletes threads: a summary is never out of step with what it sums up, whatever stops
a run. In a batch of threads committed together (``Mirror.batch``) the new threads' rows
and totals wait in a :class:`PendingTotals` and are written once before the commit. A
file of layout version 4 has them (:func:`create` with the file); the first writable open
of an older file (3: the per-thread rows keyed by thread) builds them in place
(:func:`install`, from the mirror's layout upgrade). This module imports nothing
of the mirror's (the mirror calls it); each engine keeps its SQL in a module of its own.

One thread's **facts** (:class:`Facts`) are read from its row and its items (item JSON
parsed only where a figure needs it: tool calls, widgets, attachments, tasks and
workflows, the reason of a locked or closed thread). They are stored per thread and
added into per-day (and per day and user) totals; refreshing a thread takes its old
facts out of the totals and puts its new ones in.

- ``ins_thread``: one row per thread (its ``pk`` is ``threads.pk``): ``created_at``,
  ``day`` (``created_at // 86400``: the UTC day), ``user``, ``status`` (``(none)`` if
  none), ``reason`` (locked / closed: the reason given, ``""`` if none), ``items``, and
  the flags ``unanswered``, ``pending`` (client tool calls not completed), ``unfinished``
  (tasks / workflows); indexed by time, by each flag, and by user with every column a
  figure reads (a user's figures are one range of that index, no row looked up).
- ``ins_thread_kv``: ``(user, pk, kind, key) -> created_at, n`` for what a thread has
  several of: ``type`` (bare item type), ``tta`` (seconds to an answer), ``tool_done`` /
  ``tool_open`` (client tool calls by name), ``widget`` (root component type), ``mime``
  (attachments). Keyed by user (:data:`NO_USER` for none), then thread: a user's rows are
  one range, and a thread's rows one page a run writes.
- ``ins_day``: ``(kind, day, key) -> n`` over all threads of a day: the kinds above and
  ``threads``, ``items``, ``size`` (key: items in a thread), ``hour`` (key: hour of
  creation), ``status``, ``reason:locked`` / ``reason:closed``, ``unanswered``,
  ``pending``, ``unfinished`` (key ``""``).
- ``ins_day_user``: ``(day, user) -> threads, items``; ``ins_week_user``: ``(week, user)
  -> threads`` (week ``(day + 3) // 7``: from Monday); ``ins_user``: ``user -> threads,
  items, last_day`` (threads with no user in none of them). No secondary index on these:
  each one a run keeps is another page it writes per thread.
- ``ins_day_users``: ``day -> users``, ``ins_week_users``: ``week -> users`` (the rows
  of ``ins_day_user`` / ``ins_week_user`` a day or week holds: its distinct users), kept
  by triggers on those tables (:func:`keep_user_counts`), so that the activity chart reads
  a row a day, not every ``(day, user)`` row. A file without them (made before them, or
  open read-only) is counted from the rows as before.

A new thread's facts come from the items the run holds in memory and go into the totals
by upserts alone (nothing read back); a thread held already has its old facts read and
taken out first.
"""

from __future__ import annotations

import functools
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, cast

import msgspec

from chatkit_tui.core.errors import WordedError

__all__ = [
    "COUNTED",
    "COUNT_TRIGGERS",
    "DAY",
    "INT_KINDS",
    "KV_KINDS",
    "SQLITE",
    "TABLE_NAMES",
    "USER_COUNTS",
    "Dialect",
    "Facts",
    "PendingTotals",
    "SqliteReader",
    "SummariesMissing",
    "SummaryReader",
    "create",
    "facts_of",
    "forget_threads",
    "has_summaries",
    "has_user_counts",
    "install",
    "keep_user_counts",
    "refresh_thread",
    "upgrade",
    "user_counts_current",
    "version_at_least",
]

DAY = 86_400
KV_KINDS = ("type", "tta", "tool_done", "tool_open", "widget", "mime")
"""What ``ins_thread_kv`` holds per thread; the other kinds of ``ins_day`` come from
``ins_thread``'s columns."""
INT_KINDS = frozenset({"size", "hour", "tta"})
"""The kinds whose keys are numbers (an engine that keeps every key as text gives them
back as text: :attr:`Dialect.text_keys`)."""
NONE = "(none)"
UNREADABLE = "(unreadable)"

_TABLES = """
CREATE TABLE IF NOT EXISTS ins_thread (
    pk INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    user TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    items INTEGER NOT NULL,
    unanswered INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    unfinished INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ins_thread_by_time ON ins_thread (created_at);
CREATE INDEX IF NOT EXISTS ins_thread_by_user ON ins_thread
    (user, created_at, day, items, status, reason, unanswered, pending, unfinished);
CREATE INDEX IF NOT EXISTS ins_unanswered ON ins_thread (created_at) WHERE unanswered;
CREATE INDEX IF NOT EXISTS ins_pending ON ins_thread (created_at) WHERE pending;
CREATE INDEX IF NOT EXISTS ins_unfinished ON ins_thread (created_at) WHERE unfinished;
CREATE TABLE IF NOT EXISTS ins_thread_kv (
    user NOT NULL, pk INTEGER NOT NULL, kind TEXT NOT NULL, key NOT NULL,
    created_at INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (user, pk, kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ins_day (
    kind TEXT NOT NULL, day INTEGER NOT NULL, key NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (kind, day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ins_day_user (
    day INTEGER NOT NULL, user TEXT NOT NULL, threads INTEGER NOT NULL,
    items INTEGER NOT NULL,
    PRIMARY KEY (day, user)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ins_week_user (
    week INTEGER NOT NULL, user TEXT NOT NULL, threads INTEGER NOT NULL,
    PRIMARY KEY (week, user)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ins_user (
    user TEXT PRIMARY KEY, threads INTEGER NOT NULL, items INTEGER NOT NULL,
    last_day INTEGER NOT NULL
) WITHOUT ROWID;
"""
TABLE_NAMES = (
    "ins_thread",
    "ins_thread_kv",
    "ins_day",
    "ins_day_user",
    "ins_week_user",
    "ins_user",
    "ins_day_users",
    "ins_week_users",
)
COUNTED = (
    # (the rows counted, their column, the counts): distinct users per day and per week
    ("ins_day_user", "day", "ins_day_users"),
    ("ins_week_user", "week", "ins_week_users"),
)
COUNT_TRIGGERS = tuple(f"{counts}_{end}" for _, _, counts in COUNTED for end in ("in", "out"))
"""The triggers that keep ``ins_day_users`` / ``ins_week_users`` (see
:func:`keep_user_counts`): present, the counts are those of every row since."""
_INDEXES = (
    "ins_thread_by_time",
    "ins_thread_by_user",
    "ins_unanswered",
    "ins_pending",
    "ins_unfinished",
)
NO_USER = b""
"""``ins_thread_kv.user`` of a thread with no user (a zero-length BLOB: no user's text
equals it)."""
_MARK = "ins_summaries"
"""The ``meta`` key saying the summaries are built (its value: the facts' version)."""
_FACTS_VERSION = "3"


class _HasItemFields(Protocol):
    """An item as the mirror writes it (:class:`~chatkit_tui.core.mirror.records.ItemRecord`)."""

    @property
    def type(self) -> str | None: ...

    @property
    def created_at(self) -> int | None: ...

    @property
    def raw(self) -> bytes: ...


class SummariesMissing(WordedError):
    """The mirror was made before insights and could not be given its summaries here (it
    is open read-only, or another writer holds it): the message says what to run."""


# --- reading them: what differs between the engines -------------------------------------------


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few things the sections' SQL says differently per engine (the rest is shared,
    written with ``?`` parameters and the column ``"user"`` quoted)."""

    no_user: str
    """The SQL literal ``ins_thread_kv."user"`` holds for a thread with no user."""
    exact_kv_user: bool
    """``no_user`` equals no user's id (else a filter on the user ``no_user`` names reads
    the thread rows, not only ``ins_thread_kv``)."""
    text_keys: bool
    """Keys come back as text (those of :data:`INT_KINDS` are made numbers again)."""
    by_user: str
    """What follows ``ins_thread AS t`` to read a user's threads from ``ins_thread_by_user``."""
    collate: str
    """What follows ``"user"`` in an ORDER BY to order users as SQLite's BINARY does."""
    truth: str
    """``{}`` made a condition: a flag column (an integer) is true when not 0."""
    distinct_first: bool = False
    """Count distinct values as ``count(*)`` of a ``SELECT DISTINCT`` (PostgreSQL hashes
    that; its ``count(DISTINCT ...)`` sorts: 3.6x slower over a year of users)."""

    def flag(self, column: str) -> str:
        return self.truth.format(column)

    def count_distinct(self, groups: str, column: str, source: str) -> str:
        """``SELECT <groups>, count(DISTINCT <column>)`` over the rows of ``source`` (a
        subquery), grouped by ``groups`` (``""``: one count)."""
        lead = f"{groups}, " if groups else ""
        tail = f" GROUP BY {groups}" if groups else ""
        if self.distinct_first:
            return (
                f"SELECT {lead}count(*) FROM (SELECT DISTINCT {lead}{column}"  # noqa: S608
                f" FROM ({source}) AS s) AS d{tail}"
            )
        return f"SELECT {lead}count(DISTINCT {column}) FROM ({source}) AS s{tail}"  # noqa: S608


SQLITE = Dialect(
    no_user="X''",
    exact_kv_user=True,
    text_keys=False,
    by_user=" INDEXED BY ins_thread_by_user",
    collate="",
    truth="{}",  # as the partial indexes say it (WHERE unanswered): they are used
)


class Rows(Protocol):
    """A cursor as both drivers give one."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class SummaryReader(Protocol):
    """What the sections read through (a mirror's ``summary_reader()`` gives one, under
    the mirror's lock): SQL with ``?`` parameters, and the engine's :class:`Dialect`."""

    @property
    def dialect(self) -> Dialect: ...

    def execute(self, sql: str, params: Sequence[object] = (), /) -> Rows: ...

    def has_summaries(self) -> bool: ...

    def has_user_counts(self) -> bool:
        """Distinct users per day and per week are kept (``ins_day_users``,
        ``ins_week_users``): else they are counted from the ``(day, user)`` rows."""
        ...


class SqliteReader:
    """:class:`SummaryReader` over a mirror file's connection (its ``execute`` is the
    connection's own: nothing added per query)."""

    dialect = SQLITE

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.execute = db.execute

    def has_summaries(self) -> bool:
        return has_summaries(self.db)

    def has_user_counts(self) -> bool:
        return has_user_counts(self.db)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# --- one thread's facts ------------------------------------------------------------------------


@dataclass(slots=True)
class Facts:
    """What one thread adds to the totals."""

    created_at: int
    user: str | None
    status: str
    reason: str | None
    items: int = 0
    unanswered: bool = False
    pending: int = 0
    unfinished: int = 0
    kv: Counter[tuple[str, Any]] = field(default_factory=Counter[tuple[str, Any]])
    """``(kind, key) -> n`` for :data:`KV_KINDS`."""

    @property
    def day(self) -> int:
        return self.created_at // DAY

    def row(self, pk: int) -> tuple[object, ...]:
        """Its ``ins_thread`` row (the same columns in that order on both engines)."""
        return (
            pk,
            self.created_at,
            self.day,
            self.user,
            self.status,
            self.reason,
            self.items,
            int(self.unanswered),
            self.pending,
            self.unfinished,
        )

    def day_totals(self) -> Counter[tuple[str, Any]]:
        """``(kind, key) -> n`` as this thread adds it into ``ins_day``."""
        return Counter({(kind, key): n for kind, key, n in self.day_parts()})

    def day_parts(self) -> Iterator[tuple[str, Any, int]]:
        """``(kind, key, n)`` as this thread adds it into ``ins_day``, each pair once."""
        for (kind, key), n in self.kv.items():
            yield kind, key, n
        yield "threads", "", 1
        if self.items:
            yield "items", "", self.items
        yield "size", self.items, 1
        yield "hour", (self.created_at - self.day * DAY) // 3600, 1
        yield "status", self.status, 1
        if self.reason is not None:
            yield f"reason:{self.status}", self.reason, 1
        if self.unanswered:
            yield "unanswered", "", 1
        if self.pending:
            yield "pending", "", 1
        if self.unfinished:
            yield "unfinished", "", 1


def _get(doc: object, key: str) -> object:
    """``doc[key]`` when ``doc`` is a JSON object, else None."""
    return cast("dict[str, object]", doc).get(key) if isinstance(doc, dict) else None


def _json(raw: bytes) -> object:
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _status_reason(status: str, raw: bytes) -> str | None:
    if status not in ("locked", "closed"):
        return None
    reason = _get(_get(_json(raw), "status"), "reason")
    return reason if isinstance(reason, str) else ""


def _loading(tasks: object) -> bool:
    items = cast("list[object]", tasks) if isinstance(tasks, list) else []
    return any(_get(t, "status_indicator") == "loading" for t in items)


def _unfinished(kind: str, doc: object) -> bool:
    """A task, task group or workflow left unfinished (see :class:`~.model.WentWrong`)."""
    if kind == "task":
        return _loading([_get(doc, "task")])
    if kind == "task_group":
        return _loading(_get(doc, "tasks"))
    flow = _get(doc, "workflow")
    if not isinstance(flow, dict):
        return False
    steps = cast("dict[str, object]", flow)
    return steps.get("summary") is None or _loading(steps.get("tasks"))


class _Call(msgspec.Struct):
    """What a figure reads of a client tool call (the rest of its JSON is skipped)."""

    name: object = None
    status: object = None


class _Widget(msgspec.Struct):
    widget: object = None


class _Shape(msgspec.Struct):
    type: object = None


_CALL = msgspec.json.Decoder(_Call)
_WIDGET = msgspec.json.Decoder(_Widget)
_SHAPE = msgspec.json.Decoder(_Shape)
_UNREAD = (msgspec.DecodeError, UnicodeDecodeError)  # ValidationError is a DecodeError


def _call(raw: bytes) -> tuple[str, bool]:
    """A tool call's name (``(unreadable)`` if none) and whether it is ``completed``."""
    try:
        call = _CALL.decode(raw)
    except _UNREAD:
        return UNREADABLE, False
    return (call.name if isinstance(call.name, str) else UNREADABLE), call.status == "completed"


def _widget_type(raw: bytes) -> str:
    """The ``type`` of a widget's root component (its JSON a string or an object)."""
    try:
        widget = _WIDGET.decode(raw).widget
        if isinstance(widget, str):
            widget = _SHAPE.decode(widget).type
        else:
            widget = _get(widget, "type")
    except _UNREAD:
        return UNREADABLE
    return widget if isinstance(widget, str) else UNREADABLE


_TASKS = frozenset({"task", "task_group", "workflow"})


def facts_of(
    created_at: int,
    user: str | None,
    status: str | None,
    thread_raw: bytes,
    items: Iterable[tuple[str | None, int | None, bytes]],
) -> Facts:
    """A thread's facts from its fields and its items ``(type, created_at, raw)`` in the
    thread's order. Pure."""
    state = status if status else NONE
    # an empty user is none: chatkit-python's threads carry no user, and the mirror of a
    # Store or a chatkit-python server holds "" for them (not one user named "")
    facts = Facts(created_at, user or None, state, _status_reason(state, thread_raw))
    kv = facts.kv
    asked: tuple[int | None] | None = None  # the last user message not yet answered
    for kind_or_none, at, raw in items:
        facts.items += 1
        kind = kind_or_none.removeprefix("chatkit.") if kind_or_none else NONE
        kv["type", kind] += 1
        if kind == "user_message":
            asked = (at,)
            if b"mime_type" in raw:  # the JSON read only when an attachment may be there
                files = _get(_json(raw), "attachments")
                for file in cast("list[object]", files) if isinstance(files, list) else ():
                    mime = _get(file, "mime_type")
                    kv["mime", mime if isinstance(mime, str) and mime else NONE] += 1
        elif kind == "assistant_message":
            if asked is not None:
                if asked[0] is not None and at is not None:
                    kv["tta", at - asked[0]] += 1
                asked = None
        elif kind == "client_tool_call":
            name, done = _call(raw)
            kv["tool_done" if done else "tool_open", name] += 1
            facts.pending += 0 if done else 1
        elif kind == "widget":
            kv["widget", _widget_type(raw)] += 1
        elif kind in _TASKS and _unfinished(kind, _json(raw)):
            facts.unfinished += 1
    facts.unanswered = asked is not None
    return facts


# --- the tables ----------------------------------------------------------------------------------


def create(db: sqlite3.Connection) -> None:
    """Make the tables (empty) and mark them built: for a new file, in its transaction."""
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_MARK, _FACTS_VERSION))


def has_user_counts(db: sqlite3.Connection) -> bool:
    """The file keeps its distinct users per day and week (:func:`keep_user_counts`)."""
    marks = ", ".join("?" * len(COUNT_TRIGGERS))
    found = db.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",  # noqa: S608
        COUNT_TRIGGERS,
    ).fetchone()[0]
    return int(found) == len(COUNT_TRIGGERS)


USER_COUNTS = "ins_user_counts"
"""The ``meta`` key holding the version of the counts' triggers (:data:`USER_COUNTS_VERSION`;
each engine its own): a writable open makes them again when it is older (a trigger's
body changed)."""
USER_COUNTS_VERSION = "1"


def user_counts_current(db: sqlite3.Connection) -> bool:
    """The counts are kept by the triggers this code makes (a writer's test)."""
    if not has_user_counts(db):
        return False
    row = db.execute("SELECT value FROM meta WHERE key = ?", (USER_COUNTS,)).fetchone()
    return row is not None and version_at_least(row[0], USER_COUNTS_VERSION)


def version_at_least(value: object, version: str) -> bool:
    """``meta``'s ``value`` is ``version`` or newer: a newer version's triggers are current
    too (two builds sharing a mirror must not make them again, in turn, at every open)."""
    try:
        return int(str(value)) >= int(version)
    except ValueError:
        return False


def keep_user_counts(db: sqlite3.Connection) -> bool:
    """Make ``ins_day_users`` (``day -> users``) and ``ins_week_users`` (``week ->
    users``), the rows of ``ins_day_user`` / ``ins_week_user`` a day or week holds, and the
    triggers that keep them as rows come and go, whoever writes them (an older chatkit-tui
    too). The activity chart read each day's and week's distinct users by scanning those
    tables (30 MB at 1,000,000 threads, the screen's first chart slow on a cold disk); it
    reads a row a day now. A table dropped takes its triggers with it, so while the
    triggers are there the counts hold; without them they are counted again here. In the
    caller's write transaction; whether anything was made."""
    if user_counts_current(db):
        return False
    for name in COUNT_TRIGGERS:  # another version's: made again
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for rows, column, counts in COUNTED:
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {counts} ({column} INTEGER PRIMARY KEY,"
            " users INTEGER NOT NULL)"
        )
        db.execute(f"DELETE FROM {counts}")  # noqa: S608
        db.execute(
            f"INSERT INTO {counts} SELECT {column}, count(*) FROM {rows} GROUP BY 1"  # noqa: S608
        )
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {counts}_in AFTER INSERT ON {rows} BEGIN"  # noqa: S608
            f" INSERT INTO {counts} VALUES (NEW.{column}, 1)"
            f" ON CONFLICT ({column}) DO UPDATE SET users = users + 1; END"
        )
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {counts}_out AFTER DELETE ON {rows} BEGIN"  # noqa: S608
            f" UPDATE {counts} SET users = users - 1 WHERE {column} = OLD.{column};"
            f" DELETE FROM {counts} WHERE {column} = OLD.{column} AND users <= 0; END"
        )
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (USER_COUNTS, USER_COUNTS_VERSION))
    return True


def has_summaries(db: sqlite3.Connection) -> bool:
    """The file's summaries are built (and of the facts' version this code writes)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (_MARK,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None and row[0] == _FACTS_VERSION


_EMPTY = b""
_ITEMS_SQL = (  # the JSON only of the items a figure reads it of
    "SELECT type, created_at, CASE WHEN type IN"
    " ('client_tool_call', 'widget', 'task', 'task_group', 'workflow')"
    " OR (type = 'user_message' AND instr(raw, X'6d696d655f74797065')) THEN raw END"  # mime_type
    " FROM items WHERE thread_id = ? ORDER BY seq"
)


def _thread_items(
    db: sqlite3.Connection, thread_id: str
) -> Iterator[tuple[str | None, int | None, bytes]]:
    for kind, at, raw in db.execute(_ITEMS_SQL, (thread_id,)):
        yield kind, at, _EMPTY if raw is None else bytes(raw)


def _kv_user(user: str | None) -> str | bytes:
    return NO_USER if user is None else user


def _stored_facts(db: sqlite3.Connection, pk: int) -> Facts | None:
    row = db.execute(
        "SELECT created_at, user, status, reason, items, unanswered, pending, unfinished"
        " FROM ins_thread WHERE pk = ?",
        (pk,),
    ).fetchone()
    if row is None:
        return None
    facts = Facts(
        int(row[0]),
        row[1],
        str(row[2]),
        row[3],
        int(row[4]),
        bool(row[5]),
        int(row[6]),
        int(row[7]),
    )
    for kind, key, n in db.execute(
        "SELECT kind, key, n FROM ins_thread_kv WHERE user = ? AND pk = ?",
        (_kv_user(facts.user), pk),
    ):
        facts.kv[str(kind), key] = int(n)
    return facts


_CONFLICTS = {
    "ins_thread": "",
    "ins_thread_kv": "",
    "ins_day": " ON CONFLICT (kind, day, key) DO UPDATE SET n = n + excluded.n",
    "ins_day_user": " ON CONFLICT (day, user) DO UPDATE"
    " SET threads = threads + excluded.threads, items = items + excluded.items",
    "ins_user": " ON CONFLICT (user) DO UPDATE"
    " SET threads = threads + excluded.threads, items = items + excluded.items,"
    " last_day = max(last_day, excluded.last_day)",
    "ins_week_user": " ON CONFLICT (week, user) DO UPDATE SET threads = threads + excluded.threads",
}
"""What an insert into each summary table does with a row it holds already: the totals
are added to; a thread's own rows are new."""
_WIDTHS = {
    "ins_thread": 10,
    "ins_thread_kv": 6,
    "ins_day": 4,
    "ins_day_user": 4,
    "ins_user": 4,
    "ins_week_user": 3,
}
_CHUNKS = (64, 32, 16)
"""Rows an insert statement of :func:`_insert_rows` carries: 64 or more rows go 64 at a
time, then 32 and 16; fewer than 16 left go by ``executemany`` (each table's four
statements cached)."""


@functools.cache
def _insert_sql(table: str, rows: int = 1) -> str:
    """``INSERT INTO table VALUES (?, ...), ...`` of ``rows`` rows, with the table's
    :data:`_CONFLICTS` clause. Only our own table names and placeholders are in it."""
    row = "(" + ", ".join("?" * _WIDTHS[table]) + ")"
    return f"INSERT INTO {table} VALUES {', '.join([row] * rows)}{_CONFLICTS[table]}"  # noqa: S608


def _insert_rows(db: sqlite3.Connection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """``rows`` into ``table``, many to a statement (:data:`_CHUNKS`) rather than one
    ``executemany`` step a row: a step lets go of the GIL and then waits to get it back
    from the thread reading the API (a loopback run's batch of ~650 rows made the flush's
    wall time up to ~3.5x its CPU time). Fewer than 64 rows (a batch of a few threads, as
    at 50 ms, where nothing holds the GIL) go by ``executemany`` as before: measured over
    a file, many rows a statement did not cost less CPU there."""
    left = len(rows)
    if left < _CHUNKS[0]:  # a batch of a few threads (at 50 ms): as before, no cost more
        if left:
            db.executemany(_insert_sql(table), rows)
        return
    at = 0
    for size in _CHUNKS:
        while left >= size:
            values = [v for row in rows[at : at + size] for v in row]
            db.execute(_insert_sql(table, size), values)
            at += size
            left -= size
    if left:
        db.executemany(_insert_sql(table), rows[at:])


_DAY_UPSERT = _insert_sql("ins_day")
_DAY_USER_UPSERT = _insert_sql("ins_day_user")
_USER_UPSERT = _insert_sql("ins_user")
_WEEK_UPSERT = _insert_sql("ins_week_user")


def _add(db: sqlite3.Connection, facts: Facts) -> None:
    """Put a thread's facts into the totals (a thread new to the summaries): only
    upserts, nothing read back."""
    day = facts.day
    db.executemany(_DAY_UPSERT, [(k, day, key, n) for (k, key), n in facts.day_totals().items()])
    if facts.user is not None:
        db.execute(_DAY_USER_UPSERT, (day, facts.user, 1, facts.items))
        db.execute(_USER_UPSERT, (facts.user, 1, facts.items, day))
        db.execute(_WEEK_UPSERT, ((day + 3) // 7, facts.user, 1))


class PendingTotals:
    """What the new threads of one transaction add to the summaries, held here and
    written by :meth:`flush` (before its commit): each ``(kind, day, key)`` of
    ``ins_day`` and each user row upserted once per transaction, not once per thread (a
    run commits several threads at a time; those of one batch are mostly of a few days
    and users), and the threads' own rows in one statement each, their per-thread rows in
    key order. Only new threads wait here: a thread held already (its old facts read and
    taken out, zeros deleted, a user's last day found again) has them flushed first, so
    every read of the summaries inside the transaction sees them whole. ``ready``: the
    file's summaries are built (asked once, not once per thread)."""

    __slots__ = ("day_users", "days", "kv", "ready", "rows", "users", "weeks")

    def __init__(self, db: sqlite3.Connection) -> None:
        self.ready = has_summaries(db)
        self.days: Counter[tuple[str, int, Any]] = Counter()
        self.day_users: dict[tuple[int, str], list[int]] = {}
        self.users: dict[str, list[int]] = {}
        self.weeks: Counter[tuple[int, str]] = Counter()
        self.rows: list[tuple[object, ...]] = []
        """The ``ins_thread`` rows of the threads waiting here (one each)."""
        self.kv: list[tuple[object, ...]] = []

    def add(self, pk: int, facts: Facts) -> None:
        day = facts.day
        days = self.days
        for kind, key, n in facts.day_parts():
            days[kind, day, key] += n
        items = facts.items
        user = facts.user
        if user is not None:
            tally = self.day_users.get((day, user))
            if tally is None:
                self.day_users[day, user] = [1, items]
            else:
                tally[0] += 1
                tally[1] += items
            mine = self.users.get(user)
            if mine is None:
                self.users[user] = [1, items, day]
            else:
                mine[0] += 1
                mine[1] += items
                mine[2] = max(mine[2], day)
            self.weeks[(day + 3) // 7, user] += 1
        self.rows.append(facts.row(pk))
        self.kv.extend(_kv_rows(pk, facts))

    def flush(self, db: sqlite3.Connection) -> None:
        """Write what waits (only inserts and upserts; many rows a statement:
        :func:`_insert_rows`) and start again empty."""
        if not self.rows:
            return
        _insert_rows(db, "ins_thread", self.rows)
        self.kv.sort(key=_kv_order)
        _insert_rows(db, "ins_thread_kv", self.kv)
        _insert_rows(db, "ins_day", [(k, d, key, n) for (k, d, key), n in self.days.items()])
        day_users = [(d, u, t, i) for (d, u), (t, i) in self.day_users.items()]
        _insert_rows(db, "ins_day_user", day_users)
        _insert_rows(db, "ins_user", [(u, t, i, d) for u, (t, i, d) in self.users.items()])
        _insert_rows(db, "ins_week_user", [(w, u, n) for (w, u), n in self.weeks.items()])
        self.days.clear()
        self.day_users.clear()
        self.users.clear()
        self.weeks.clear()
        self.rows.clear()
        self.kv.clear()


def _kv_order(row: tuple[object, ...]) -> tuple[bool, str, object, object]:
    """``ins_thread_kv``'s key order near enough for the B-tree (by user, the rows of no
    user last as SQLite sorts a BLOB after text, then thread, kind): rows written in
    order touch each page once."""
    user = row[0]
    return (not isinstance(user, str), user if isinstance(user, str) else "", row[1], row[2])


def _move(db: sqlite3.Connection, pk: int, old: Facts | None, new: Facts | None) -> None:
    """Take thread ``pk``'s ``old`` facts out of the day and user totals and put its
    ``new`` ones in: only what differs is written; a total that comes to 0 goes."""
    if old is None:
        if new is not None:
            _add(db, new)
        return
    days: Counter[tuple[str, int, Any]] = Counter()
    users: dict[tuple[int, str], list[int]] = {}
    for facts, sign in ((old, -1), (new, 1)):
        if facts is None:
            continue
        for (kind, key), n in facts.day_totals().items():
            days[kind, facts.day, key] += sign * n
        if facts.user is not None:
            tally = users.setdefault((facts.day, facts.user), [0, 0])
            tally[0] += sign
            tally[1] += sign * facts.items
    rows = [(kind, day, key, n) for (kind, day, key), n in days.items() if n]
    db.executemany(_DAY_UPSERT, rows)
    db.executemany(
        "DELETE FROM ins_day WHERE kind = ? AND day = ? AND key = ? AND n = 0",
        [r[:3] for r in rows if r[3] < 0],
    )
    # the ones taken out first: a user's last day is found again without this thread,
    # then the new day (if any) counts in
    for (day, user), (threads, items) in sorted(users.items(), key=lambda u: u[1][0]):
        if not threads and not items:
            continue
        db.execute(_DAY_USER_UPSERT, (day, user, threads, items))
        db.execute(_USER_UPSERT, (user, threads, items, day))
        if threads:
            db.execute(_WEEK_UPSERT, ((day + 3) // 7, user, threads))
        if threads < 0:
            db.execute(
                "DELETE FROM ins_week_user WHERE week = ? AND user = ? AND threads <= 0",
                ((day + 3) // 7, user),
            )
            db.execute(
                "DELETE FROM ins_day_user WHERE day = ? AND user = ? AND threads <= 0",
                (day, user),
            )
            left = db.execute("SELECT threads FROM ins_user WHERE user = ?", (user,)).fetchone()
            last = db.execute(
                "SELECT created_at FROM ins_thread INDEXED BY ins_thread_by_user"
                " WHERE user = ? AND pk <> ? ORDER BY created_at DESC LIMIT 1",
                (user, pk),
            ).fetchone()
            if left is not None and (int(left[0]) <= 0 or last is None):
                db.execute("DELETE FROM ins_user WHERE user = ?", (user,))
            elif left is not None and last is not None:
                db.execute(
                    "UPDATE ins_user SET last_day = ? WHERE user = ?", (int(last[0]) // DAY, user)
                )


_THREAD_ROW = "INTO ins_thread VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_KV_ROW = _insert_sql("ins_thread_kv")


def _kv_rows(pk: int, f: Facts) -> list[tuple[object, ...]]:
    user = _kv_user(f.user)
    return [(user, pk, kind, key, f.created_at, n) for (kind, key), n in f.kv.items()]


def _forget_kv(db: sqlite3.Connection, pk: int, old: Facts) -> None:
    db.execute("DELETE FROM ins_thread_kv WHERE user = ? AND pk = ?", (_kv_user(old.user), pk))


def _store(db: sqlite3.Connection, pk: int, facts: Facts, old: Facts | None) -> None:
    if old is None:
        db.execute("INSERT " + _THREAD_ROW, facts.row(pk))
    else:
        db.execute("INSERT OR REPLACE " + _THREAD_ROW, facts.row(pk))
        _forget_kv(db, pk, old)
    db.executemany(_KV_ROW, _kv_rows(pk, facts))


ThreadRow = tuple[int, int, "str | None", "str | None", bytes]
"""``(pk, created_at, user, status, raw)`` of a thread as written."""


def refresh_thread(
    db: sqlite3.Connection,
    thread_id: str,
    held: Sequence[_HasItemFields] | None = None,
    *,
    row: ThreadRow | None = None,
    new: bool = False,
    pending: PendingTotals | None = None,
) -> None:
    """Recompute one thread's facts from its row and items and move the totals by the
    difference. Call in the transaction that wrote the thread. ``held``: every item the
    thread now holds, in order, when the caller has them (a new thread, or one whose items
    were all replaced): they are not read back. ``row``: the thread's row as the caller
    just wrote it (not read back); ``new``: the thread was just inserted (it has no facts
    to take out: none are read). ``pending``: what the transaction's new threads add, not
    yet written (the caller flushes it before it commits): a new thread's rows and totals
    wait there. Does nothing to
    a file whose summaries are not built (a file of the current layout always has them)."""
    if not (has_summaries(db) if pending is None else pending.ready):
        return
    if row is None:
        found = db.execute(
            "SELECT pk, created_at, user, status, raw FROM threads WHERE id = ?", (thread_id,)
        ).fetchone()
        if found is None:
            return
        row = (int(found[0]), int(found[1]), found[2], found[3], bytes(found[4]))
    pk = row[0]
    items: Iterable[tuple[str | None, int | None, bytes]] = (
        _thread_items(db, thread_id)
        if held is None
        else ((i.type, i.created_at, i.raw) for i in held)
    )
    facts = facts_of(row[1], row[2], row[3], row[4], items)
    old = None if new else _stored_facts(db, pk)
    if old == facts:
        return
    if pending is not None and old is None:
        pending.add(pk, facts)
        return
    if pending is not None:
        pending.flush(db)
    _move(db, pk, old, facts)
    _store(db, pk, facts, old)


def forget_threads(db: sqlite3.Connection, where: str, params: Sequence[object]) -> int:
    """Take the threads ``SELECT pk FROM threads WHERE <where>`` out of the summaries
    (before they are deleted, in the same transaction); how many were."""
    if not has_summaries(db):
        return 0
    pks = [int(r[0]) for r in db.execute(f"SELECT pk FROM threads WHERE {where}", params)]  # noqa: S608
    for pk in pks:
        old = _stored_facts(db, pk)
        if old is None:
            continue
        _move(db, pk, old, None)
        db.execute("DELETE FROM ins_thread WHERE pk = ?", (pk,))
        _forget_kv(db, pk, old)
    return len(pks)


def upgrade(db: sqlite3.Connection) -> int | None:
    """Give a file the summaries of this layout (in the caller's transaction): those of
    layout 3 (facts version 2: the same facts, the per-thread rows keyed by thread) are
    moved into this layout in SQL, nothing summed again; any other file's are built
    (:func:`install`). How many threads were summed up (None: moved)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (_MARK,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None or row[0] != "2":
        return install(db)
    db.execute("DROP INDEX IF EXISTS ins_day_user_by_user")
    db.execute("DROP INDEX IF EXISTS ins_user_by_threads")
    db.execute("DROP INDEX IF EXISTS ins_thread_by_user")
    db.execute("DROP TABLE IF EXISTS ins_thread_kv_v3")
    db.execute("ALTER TABLE ins_thread_kv RENAME TO ins_thread_kv_v3")
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute("PRAGMA cache_size = -65536")
    try:
        create(db)  # the new ins_thread_kv, the covering index, the mark
        db.execute(
            "INSERT INTO ins_thread_kv SELECT coalesce(t.user, X''), kv.pk, kv.kind, kv.key,"
            " t.created_at, kv.n FROM ins_thread_kv_v3 AS kv JOIN ins_thread AS t"
            " ON t.pk = kv.pk ORDER BY 1, 2, 3, 4"
        )
        db.execute("DROP TABLE ins_thread_kv_v3")
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    return None


def install(db: sqlite3.Connection, batch: int = 5_000) -> int:
    """Build the summaries of a file that has none, in one pass over the threads and items
    (in the caller's transaction); how many threads were summed up. Memory: one batch of
    threads' facts and the per-day totals (days x keys); the per-user totals are made in
    SQL."""
    for name in TABLE_NAMES:
        db.execute(f"DROP TABLE IF EXISTS {name}")
    create(db)
    for name in _INDEXES:  # built once at the end, from sorted rows: far faster than kept
        db.execute(f"DROP INDEX {name}")
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB while it builds
    try:
        total = _install(db, batch)
        create(db)  # the indexes
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    return total


def _install(db: sqlite3.Connection, batch: int) -> int:
    days: Counter[tuple[str, int, Any]] = Counter()
    pending: list[tuple[int, Facts]] = []
    total = 0
    # the per-thread rows in the order of ins_thread_kv's key only at the end: a B-tree
    # filled in key order, not by thread (far faster at millions of rows)
    db.execute("DROP TABLE IF EXISTS temp.ins_kv_unsorted")
    db.execute("CREATE TEMP TABLE ins_kv_unsorted (user, pk, kind, key, created_at, n)")
    threads = db.execute("SELECT pk, id, created_at, user, status, raw FROM threads ORDER BY pk")
    while rows := threads.fetchmany(batch):
        for pk, thread_id, created_at, user, status, raw in rows:
            facts = facts_of(
                int(created_at), user, status, bytes(raw), _thread_items(db, str(thread_id))
            )
            pending.append((int(pk), facts))
            for (kind, key), n in facts.day_totals().items():
                days[kind, facts.day, key] += n
        _store_many(db, pending)
        total += len(pending)
        pending.clear()
    db.execute(
        "INSERT INTO ins_thread_kv SELECT * FROM temp.ins_kv_unsorted ORDER BY user, pk, kind, key"
    )
    db.execute("DROP TABLE temp.ins_kv_unsorted")
    db.executemany(
        "INSERT INTO ins_day VALUES (?, ?, ?, ?)",
        [(k, d, key, n) for (k, d, key), n in days.items() if n],
    )
    db.execute(
        "INSERT INTO ins_day_user SELECT day, user, count(*), sum(items) FROM ins_thread"
        " WHERE user IS NOT NULL GROUP BY day, user"
    )
    db.execute(
        "INSERT INTO ins_week_user SELECT (day + 3) / 7, user, sum(threads) FROM ins_day_user"
        " GROUP BY 1, 2"
    )
    db.execute(
        "INSERT INTO ins_user SELECT user, sum(threads), sum(items), max(day) FROM ins_day_user"
        " GROUP BY user"
    )
    return total


def _store_many(db: sqlite3.Connection, batch: list[tuple[int, Facts]]) -> None:
    db.executemany("INSERT " + _THREAD_ROW, [f.row(pk) for pk, f in batch])
    db.executemany(
        "INSERT INTO temp.ins_kv_unsorted VALUES (?, ?, ?, ?, ?, ?)",
        [row for pk, f in batch for row in _kv_rows(pk, f)],
    )
