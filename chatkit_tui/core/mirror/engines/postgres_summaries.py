"""The PostgreSQL engine's insights summary tables: their layout, how a run keeps them, how
a database of layout 1 gets them. Textual-free; part of :mod:`.postgres` (its SQL only).

The tables and what they mean are those of the file (:mod:`chatkit_tui.core.insights.summaries`:
one thread's facts by :func:`~chatkit_tui.core.insights.summaries.facts_of`, the same
rows), with three differences of the dialect (:data:`DIALECT`): every key is ``text``
(those of :data:`~chatkit_tui.core.insights.summaries.INT_KINDS` are numbers again when
read); ``ins_thread_kv."user"`` of a thread with no user is ``''`` (a user ``''``'s
figures are read through the thread rows); a flag is ``<> 0``.

**Kept by the run, set-based**: :meth:`PgSummaries.note` keeps what a thread's write
needs (no statement), and :meth:`PgSummaries.flush` writes the facts of every thread
noted, in the transaction that wrote them (one per thread, or per ``batch()`` of up to
50 whole threads): at most one read of the items of threads that grew, one of the facts
held before for threads already summed, and one statement for all the rows and totals
(a few more only when a thread's facts leave a total). Prune takes the facts of the
threads it deletes out the same way (:meth:`PgSummaries.forget`).

``ins_thread_kv``'s key holds ``created_at`` and ``n`` too (``INCLUDE``): a user's rows
are read from the index alone, one range of it, not from heap pages spread over the
whole table (the file's table is its key: SQLite's ``WITHOUT ROWID``). Without it the
most active user's item types took 22.6 s with the heap's pages not cached (1,000,000
threads).

**Distinct users per day and week** (``ins_day_users``, ``ins_week_users``, as the
file's) are kept by statement-level triggers on ``ins_day_user`` / ``ins_week_user``
(their transition tables: a flush's rows counted once), made by the first writable open
that finds them missing (:func:`keep_user_counts`); a role that may not make them there
goes on without them, and the activity chart counts the rows as before.

**Layout 1 to 2** (:func:`build`): the tables made, then the per-thread rows built from
the threads and items in batches of :data:`BUILD_BATCH` threads, one transaction each,
the last thread done kept in ``meta`` (``ins_build_after``): a build killed resumes
where it stopped. Then one transaction makes the totals from the per-thread rows in SQL
and sets the layout version; until then a reader sees layout 1 (no summaries).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatkit_tui.core.insights.summaries import (
    COUNTED,
    INT_KINDS,
    TABLE_NAMES,
    USER_COUNTS,
    Dialect,
    Facts,
    facts_of,
    version_at_least,
)

if TYPE_CHECKING:
    import psycopg

    from chatkit_tui.core.mirror.records import ItemRecord

__all__ = [
    "BUILD_BATCH",
    "COUNT_FUNCTIONS",
    "DIALECT",
    "FACTS_VERSION",
    "MARK",
    "SCHEMA",
    "TABLES",
    "PgReader",
    "PgSummaries",
    "build",
    "has_user_counts",
    "keep_user_counts",
    "user_counts_current",
]

FACTS_VERSION = "3"  # the file's too: the same facts
MARK = "ins_summaries"
PROGRESS = "ins_build_after"
BUILD_BATCH = 2_000

DIALECT = Dialect(
    no_user="''",
    exact_kv_user=False,
    text_keys=True,
    by_user="",
    collate=' COLLATE "C"',
    truth="{} <> 0",
    distinct_first=True,
)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ins_thread (
    pk bigint PRIMARY KEY,
    created_at bigint NOT NULL,
    day integer NOT NULL,
    "user" text,
    status text NOT NULL,
    reason text,
    items integer NOT NULL,
    unanswered integer NOT NULL,
    pending integer NOT NULL,
    unfinished integer NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS ins_thread_kv (
    "user" text NOT NULL, pk bigint NOT NULL, kind text NOT NULL, key text NOT NULL,
    created_at bigint NOT NULL, n integer NOT NULL,
    PRIMARY KEY ("user", pk, kind, key) INCLUDE (created_at, n)
)""",
    """CREATE TABLE IF NOT EXISTS ins_day (
    kind text NOT NULL, day integer NOT NULL, key text NOT NULL, n integer NOT NULL,
    PRIMARY KEY (kind, day, key)
)""",
    """CREATE TABLE IF NOT EXISTS ins_day_user (
    day integer NOT NULL, "user" text NOT NULL, threads integer NOT NULL,
    items integer NOT NULL, PRIMARY KEY (day, "user")
)""",
    """CREATE TABLE IF NOT EXISTS ins_week_user (
    week integer NOT NULL, "user" text NOT NULL, threads integer NOT NULL,
    PRIMARY KEY (week, "user")
)""",
    """CREATE TABLE IF NOT EXISTS ins_user (
    "user" text PRIMARY KEY, threads integer NOT NULL, items integer NOT NULL,
    last_day integer NOT NULL
)""",
    # kept by triggers (keep_user_counts), made by the writable open that adds them
    "CREATE TABLE IF NOT EXISTS ins_day_users (day integer PRIMARY KEY, users integer NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ins_week_users (week integer PRIMARY KEY, users integer NOT NULL)",
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ins_thread_by_time ON ins_thread (created_at)",
    'CREATE INDEX IF NOT EXISTS ins_thread_by_user ON ins_thread ("user", created_at)'
    " INCLUDE (day, items, status, reason, unanswered, pending, unfinished)",
    "CREATE INDEX IF NOT EXISTS ins_unanswered ON ins_thread (created_at) WHERE unanswered <> 0",
    "CREATE INDEX IF NOT EXISTS ins_pending ON ins_thread (created_at) WHERE pending <> 0",
    "CREATE INDEX IF NOT EXISTS ins_unfinished ON ins_thread (created_at) WHERE unfinished <> 0",
)
TABLES = TABLE_NAMES  # the file's, and the same counts of its rows (COUNTED)
COUNT_FUNCTIONS = tuple(
    f"{counts}_{end}" for _, _, counts in COUNTED for end in ("in", "out", "cut")
)
"""The trigger functions (and the triggers, of the same names) that keep the counts (see
:func:`keep_user_counts`)."""


def _count_statements(rows: str, column: str, counts: str, schema: str) -> list[str]:
    """The table of distinct users per ``column``, and the statement-level triggers that
    keep it (a set of rows in or out counted once per statement; ``TRUNCATE``, which fires
    no row's trigger, empties it). The functions run as their owner (``SECURITY
    DEFINER``, their search path the mirror's ``schema`` only): a teammate's role that may
    write the summaries as granted before the counts existed keeps writing them."""

    def function(name: str, body: str) -> str:
        return (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
            f" SECURITY DEFINER SET search_path = {schema}, pg_temp"
            f" AS $$ BEGIN {body} RETURN NULL; END $$"
        )

    return [
        f"CREATE TABLE IF NOT EXISTS {counts} ({column} integer PRIMARY KEY,"
        " users integer NOT NULL)",
        f"TRUNCATE {counts}",
        f"INSERT INTO {counts} SELECT {column}, count(*) FROM {rows} GROUP BY 1",  # noqa: S608
        function(
            f"{counts}_in",
            f"INSERT INTO {counts} SELECT {column}, count(*) FROM new_rows GROUP BY 1"  # noqa: S608
            f" ON CONFLICT ({column}) DO UPDATE SET users = {counts}.users + excluded.users;",
        ),
        function(
            f"{counts}_out",
            f"UPDATE {counts} AS c SET users = c.users - g.n FROM (SELECT {column},"  # noqa: S608
            f" count(*) AS n FROM old_rows GROUP BY 1) AS g WHERE c.{column} = g.{column};"
            f" DELETE FROM {counts} WHERE users <= 0;",
        ),
        function(f"{counts}_cut", f"TRUNCATE {counts};"),
        # run as their owner, so nobody else may: a role's own trigger on a table of its
        # own could call them with rows of its making (PUBLIC may execute a new function)
        *(f"REVOKE ALL ON FUNCTION {counts}_{end}() FROM PUBLIC" for end in ("in", "out", "cut")),
        f"DROP TRIGGER IF EXISTS {counts}_in ON {rows}",
        f"CREATE TRIGGER {counts}_in AFTER INSERT ON {rows} REFERENCING NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {counts}_in()",
        f"DROP TRIGGER IF EXISTS {counts}_out ON {rows}",
        f"CREATE TRIGGER {counts}_out AFTER DELETE ON {rows} REFERENCING OLD TABLE AS old_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {counts}_out()",
        f"DROP TRIGGER IF EXISTS {counts}_cut ON {rows}",
        f"CREATE TRIGGER {counts}_cut AFTER TRUNCATE ON {rows}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {counts}_cut()",
    ]


def has_user_counts(conn: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> bool:
    """The database keeps its distinct users per day and week (:func:`keep_user_counts`),
    and this role may read them (one granted the tables before them may not: it counts
    the rows, as without them)."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled IN ('O', 'A')"
        " AND tgrelid IN (to_regclass('ins_day_user'), to_regclass('ins_week_user'))),"
        " coalesce(has_table_privilege(to_regclass('ins_day_users'), 'SELECT')"
        " AND has_table_privilege(to_regclass('ins_week_users'), 'SELECT'), false)",
        (list(COUNT_FUNCTIONS),),
    ).fetchone()
    return row is not None and int(row[0]) == len(COUNT_FUNCTIONS) and bool(row[1])


USER_COUNTS_VERSION = "1"
"""This engine's version of the counts' triggers and functions, under the file's ``meta``
key (``USER_COUNTS``): 1, SECURITY DEFINER, EXECUTE revoked from PUBLIC (the first ones
made, of the code of 2026-12-04 before it, had neither)."""


def user_counts_current(conn: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> bool:
    """The counts are kept by the triggers and functions this code makes (a writer's test)."""
    if not has_user_counts(conn):
        return False
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (USER_COUNTS,)).fetchone()
    return row is not None and version_at_least(row[0], USER_COUNTS_VERSION)


def keep_user_counts(cur: psycopg.Cursor[Any]) -> None:
    """``ins_day_users`` and ``ins_week_users`` counted from the ``(day, user)`` and
    ``(week, user)`` rows, and the triggers that keep them as those rows come and go,
    whoever writes them (as the file's, ``summaries.keep_user_counts`` of
    :mod:`chatkit_tui.core.insights`: a table dropped takes its triggers, so while they
    are there the counts hold; a ``TRUNCATE`` empties them). In the
    caller's transaction, holding the writer lock."""
    from psycopg import sql

    row = cur.execute("SELECT current_schema()").fetchone()
    schema = sql.Identifier(str(row[0] if row else "public")).as_string(cur)
    for rows, column, counts in COUNTED:
        for statement in _count_statements(rows, column, counts, schema):
            cur.execute(statement)  # pyright: ignore[reportArgumentType, reportCallIssue]
    # and from whoever default privileges gave them to (PUBLIC's revoked above)
    granted = cur.execute(
        "SELECT p.proname, pg_get_userbyid(a.grantee) FROM pg_proc AS p,"
        " aclexplode(p.proacl) AS a WHERE p.proname = ANY(%s)"
        " AND p.pronamespace = current_schema()::regnamespace"
        " AND a.grantee <> p.proowner AND a.grantee <> 0",
        (list(COUNT_FUNCTIONS),),
    ).fetchall()
    for function, grantee in granted:
        cur.execute(
            sql.SQL("REVOKE ALL ON FUNCTION {}() FROM {}").format(
                sql.Identifier(str(function)), sql.Identifier(str(grantee))
            )
        )
    cur.execute(
        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (USER_COUNTS, USER_COUNTS_VERSION),
    )


_ITEMS_SQL = (  # the JSON only of the items a figure reads it of (as the file's)
    "SELECT thread_id, type, created_at, CASE WHEN type IN"
    " ('client_tool_call', 'widget', 'task', 'task_group', 'workflow')"
    " OR (type = 'user_message' AND position('\\x6d696d655f74797065'::bytea IN raw) > 0)"
    " THEN raw END FROM items WHERE thread_id = ANY(%s) ORDER BY thread_id, seq"
)
_EMPTY = b""

Item = tuple["str | None", "int | None", bytes]


# --- reading --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    """The sections' ``?`` parameters as psycopg's (their SQL has no ``%`` of its own)."""
    return sql.replace("?", "%s")


class PgReader:
    """:class:`~chatkit_tui.core.insights.summaries.SummaryReader` over a PostgreSQL
    mirror's connection (the caller holds its lock)."""

    dialect = DIALECT

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] = (), /) -> Any:
        return self._conn.execute(_pg(sql), params)  # pyright: ignore[reportArgumentType, reportCallIssue]

    def has_summaries(self) -> bool:
        return has_summaries(self._conn)

    def has_user_counts(self) -> bool:
        return has_user_counts(self._conn)


def has_summaries(conn: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (MARK,)).fetchone()
    return row is not None and row[0] == FACTS_VERSION


# --- one thread's rows and what it adds ---------------------------------------------------------


def _kv_user(user: str | None) -> str:
    return "" if user is None else user


def _stored(cur: psycopg.Cursor[Any], pks: Sequence[int]) -> dict[int, Facts]:
    """The facts held of threads ``pks`` (those that have any)."""
    out: dict[int, Facts] = {}
    if not pks:
        return out
    for row in cur.execute(
        'SELECT pk, created_at, "user", status, reason, items, unanswered, pending, unfinished'
        " FROM ins_thread WHERE pk = ANY(%s)",
        (list(pks),),
    ).fetchall():
        out[int(row[0])] = Facts(
            int(row[1]),
            row[2],
            str(row[3]),
            row[4],
            int(row[5]),
            bool(row[6]),
            int(row[7]),
            int(row[8]),
        )
    if out:
        for pk, kind, key, n in cur.execute(
            "SELECT kv.pk, kv.kind, kv.key, kv.n FROM ins_thread AS t JOIN ins_thread_kv AS kv"
            ' ON kv."user" = coalesce(t."user", \'\') AND kv.pk = t.pk WHERE t.pk = ANY(%s)',
            (list(out),),
        ).fetchall():
            kind = str(kind)
            out[int(pk)].kv[kind, int(key) if kind in INT_KINDS else str(key)] = int(n)
    return out


@dataclass(slots=True)
class _Changes:
    """The rows and the totals' differences of a set of threads' new facts."""

    threads: list[tuple[object, ...]]
    kv: list[tuple[object, ...]]
    drop_kv: list[tuple[str, int]]  # (kv user, pk) of rows to take out first
    drop_threads: list[int]
    days: Counter[tuple[str, int, str]]
    day_users: dict[tuple[int, str], list[int]]
    weeks: Counter[tuple[int, str]]
    users: dict[str, list[int]]  # threads, items, last day (-1: none added)
    lost: set[str]  # users a thread left: their last day found again

    @classmethod
    def of(cls, moves: Iterable[tuple[int, Facts | None, Facts | None]]) -> _Changes:
        out = cls([], [], [], [], Counter(), {}, Counter(), {}, set())
        for pk, old, new in moves:
            if old == new:
                continue
            if old is not None:
                out.drop_kv.append((_kv_user(old.user), pk))
                if new is None:
                    out.drop_threads.append(pk)
            if new is not None:
                out.threads.append(new.row(pk))
                user = _kv_user(new.user)
                out.kv.extend(
                    (user, pk, kind, str(key), new.created_at, n)
                    for (kind, key), n in new.kv.items()
                )
            for facts, sign in ((old, -1), (new, 1)):
                if facts is None:
                    continue
                day = facts.day
                for (kind, key), n in facts.day_totals().items():
                    out.days[kind, day, str(key)] += sign * n
                if facts.user is not None:
                    tally = out.day_users.setdefault((day, facts.user), [0, 0])
                    tally[0] += sign
                    tally[1] += sign * facts.items
                    out.weeks[(day + 3) // 7, facts.user] += sign
                    mine = out.users.setdefault(facts.user, [0, 0, -1])
                    mine[0] += sign
                    mine[1] += sign * facts.items
                    if sign > 0:
                        mine[2] = max(mine[2], day)
                    else:
                        out.lost.add(facts.user)
        return out

    def apply(self, cur: psycopg.Cursor[Any]) -> None:
        """Write them: the rows out, then in one statement the new rows and every total."""
        if self.drop_kv:
            cur.execute(
                "DELETE FROM ins_thread_kv AS kv USING unnest(%s::text[], %s::bigint[])"
                ' AS g(u, pk) WHERE kv."user" = g.u AND kv.pk = g.pk',
                ([u for u, _ in self.drop_kv], [p for _, p in self.drop_kv]),
            )
        if self.drop_threads:
            cur.execute("DELETE FROM ins_thread WHERE pk = ANY(%s)", (self.drop_threads,))
        days = [(k, d, key, n) for (k, d, key), n in self.days.items() if n]
        day_users = [(d, u, t, i) for (d, u), (t, i) in self.day_users.items() if t or i]
        weeks = [(w, u, n) for (w, u), n in self.weeks.items() if n]
        users = [(u, t, i, last) for u, (t, i, last) in self.users.items() if t or i or last >= 0]
        if not (self.threads or self.kv or days or day_users or weeks or users):
            return
        cur.execute(
            "WITH t AS (INSERT INTO ins_thread SELECT * FROM unnest(%s::bigint[], %s::bigint[],"
            " %s::integer[], %s::text[], %s::text[], %s::text[], %s::integer[], %s::integer[],"
            " %s::integer[], %s::integer[]) ON CONFLICT (pk) DO UPDATE SET"
            " created_at = excluded.created_at, day = excluded.day, \"user\" = excluded.\"user\","
            " status = excluded.status, reason = excluded.reason, items = excluded.items,"
            " unanswered = excluded.unanswered, pending = excluded.pending,"
            " unfinished = excluded.unfinished RETURNING 1),"
            " kv AS (INSERT INTO ins_thread_kv SELECT * FROM unnest(%s::text[], %s::bigint[],"
            " %s::text[], %s::text[], %s::bigint[], %s::integer[]) RETURNING 1),"
            " d AS (INSERT INTO ins_day SELECT * FROM unnest(%s::text[], %s::integer[],"
            " %s::text[], %s::integer[]) ON CONFLICT (kind, day, key) DO UPDATE"
            " SET n = ins_day.n + excluded.n RETURNING 1),"
            " du AS (INSERT INTO ins_day_user SELECT * FROM unnest(%s::integer[], %s::text[],"
            " %s::integer[], %s::integer[]) ON CONFLICT (day, \"user\") DO UPDATE"
            " SET threads = ins_day_user.threads + excluded.threads,"
            " items = ins_day_user.items + excluded.items RETURNING 1),"
            " w AS (INSERT INTO ins_week_user SELECT * FROM unnest(%s::integer[], %s::text[],"
            " %s::integer[]) ON CONFLICT (week, \"user\") DO UPDATE"
            " SET threads = ins_week_user.threads + excluded.threads RETURNING 1),"
            " u AS (INSERT INTO ins_user SELECT * FROM unnest(%s::text[], %s::integer[],"
            " %s::integer[], %s::integer[]) ON CONFLICT (\"user\") DO UPDATE"
            " SET threads = ins_user.threads + excluded.threads,"
            " items = ins_user.items + excluded.items,"
            " last_day = greatest(ins_user.last_day, excluded.last_day) RETURNING 1)"
            " SELECT (SELECT count(*) FROM t) + (SELECT count(*) FROM kv)"
            " + (SELECT count(*) FROM d) + (SELECT count(*) FROM du)"
            " + (SELECT count(*) FROM w) + (SELECT count(*) FROM u)",
            (*_columns(self.threads, 10), *_columns(self.kv, 6), *_columns(days, 4),
             *_columns(day_users, 4), *_columns(weeks, 3), *_columns(users, 4)),
        )  # fmt: skip
        if any(n < 0 for *_, n in days):
            gone = [r for r in days if r[3] < 0]
            cur.execute(
                "DELETE FROM ins_day AS d USING unnest(%s::text[], %s::integer[], %s::text[])"
                " AS g(kind, day, key) WHERE d.kind = g.kind AND d.day = g.day"
                " AND d.key = g.key AND d.n = 0",
                _columns([r[:3] for r in gone], 3),
            )
        if self.lost:
            lost = sorted(self.lost)
            cur.execute('DELETE FROM ins_day_user WHERE "user" = ANY(%s) AND threads <= 0', (lost,))
            cur.execute(
                'DELETE FROM ins_week_user WHERE "user" = ANY(%s) AND threads <= 0', (lost,)
            )
            cur.execute('DELETE FROM ins_user WHERE "user" = ANY(%s) AND threads <= 0', (lost,))
            cur.execute(  # a user's last day again, from the threads left (their index)
                "UPDATE ins_user AS u SET last_day = s.day FROM (SELECT l.u, (SELECT max(t.day)"
                ' FROM ins_thread AS t WHERE t."user" = l.u) AS day FROM unnest(%s::text[])'
                ' AS l(u)) AS s WHERE u."user" = s.u AND s.day IS NOT NULL',
                (lost,),
            )


def _columns(rows: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    """Rows as ``width`` column arrays (what ``unnest`` takes back to rows)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


# --- kept by a run --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Noted:
    thread_id: str
    created_at: int
    user: str | None
    status: str | None
    raw: bytes
    held: Sequence[ItemRecord] | None
    new: bool


class PgSummaries:
    """The facts of the threads written in the open transaction, until :meth:`flush`."""

    def __init__(self) -> None:
        self._noted: dict[int, _Noted] = {}

    def note(
        self,
        pk: int,
        thread_id: str,
        row: tuple[int, str | None, str | None, bytes],
        held: Sequence[ItemRecord] | None,
        *,
        new: bool,
    ) -> None:
        """Thread ``pk`` was written (``row``: created_at, user, status, raw); ``held``:
        every item it now holds when the caller has them all (else read at the flush)."""
        before = self._noted.get(pk)
        self._noted[pk] = _Noted(thread_id, *row, held, new=new and (before is None or before.new))

    def discard(self) -> None:
        self._noted.clear()

    def flush(self, cur: psycopg.Cursor[Any]) -> None:
        """Write the facts of the threads noted (in their transaction)."""
        if not self._noted:
            return
        noted, self._noted = self._noted, {}
        reread = [n.thread_id for n in noted.values() if n.held is None]
        items = _items_of(cur, reread) if reread else {}
        old = _stored(cur, [pk for pk, n in noted.items() if not n.new])
        moves: list[tuple[int, Facts | None, Facts | None]] = []
        for pk, n in noted.items():
            held: Iterable[Item] = (
                items.get(n.thread_id, ())
                if n.held is None
                else [(i.type, i.created_at, i.raw) for i in n.held]
            )
            moves.append((pk, old.get(pk), facts_of(n.created_at, n.user, n.status, n.raw, held)))
        _Changes.of(moves).apply(cur)

    def forget(self, cur: psycopg.Cursor[Any], where: str, params: Sequence[object]) -> None:
        """Take the threads ``SELECT pk FROM threads WHERE <where>`` out of the summaries
        (before they are deleted, in the same transaction)."""
        self.flush(cur)
        pks = [int(r[0]) for r in cur.execute(f"SELECT pk FROM threads WHERE {where}", params)]  # noqa: S608  # pyright: ignore[reportArgumentType, reportCallIssue]
        if pks:
            old = _stored(cur, pks)
            _Changes.of((pk, facts, None) for pk, facts in old.items()).apply(cur)


def _items_of(cur: psycopg.Cursor[Any], thread_ids: Sequence[str]) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for thread_id, kind, at, raw in cur.execute(_ITEMS_SQL, (list(thread_ids),)):
        out.setdefault(thread_id, []).append((kind, at, _EMPTY if raw is None else bytes(raw)))
    return out


# --- layout 1 to 2 --------------------------------------------------------------------------------


def build(
    transaction: Callable[[], Any],
    version: int,
    *,
    batch: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Give a database of layout 1 its summaries (see the module's doc): ``transaction()``
    gives a cursor in a transaction of its own (a context manager); the last one sets
    the layout ``version`` with the summaries' mark. How many threads
    were summed up by this call. Resumes a build that was stopped."""
    size = BUILD_BATCH if batch is None else batch
    with transaction() as cur:
        for statement in SCHEMA:
            cur.execute(statement)
        row = cur.execute("SELECT value FROM meta WHERE key = %s", (PROGRESS,)).fetchone()
        after = -1 if row is None else int(row[0])
        if row is None:  # a first start: nothing of a build before (a table of one not done)
            for name in TABLES:
                cur.execute(f"TRUNCATE {name}")
    total = 0
    while True:
        with transaction() as cur:
            threads = cur.execute(
                'SELECT pk, id, created_at, "user", status, raw FROM threads WHERE pk > %s'
                " ORDER BY pk LIMIT %s",
                (after, size),
            ).fetchall()
            if not threads:
                break
            items = _items_of(cur, [str(t[1]) for t in threads])
            thread_rows: list[tuple[object, ...]] = []
            kv_rows: list[tuple[object, ...]] = []
            for pk, thread_id, created_at, user, status, raw in threads:
                f = facts_of(int(created_at), user, status, bytes(raw), items.get(thread_id, ()))
                thread_rows.append(f.row(int(pk)))
                kv_user = _kv_user(f.user)
                kv_rows.extend(
                    (kv_user, int(pk), kind, str(key), f.created_at, n)
                    for (kind, key), n in f.kv.items()
                )
            with cur.copy("COPY ins_thread FROM STDIN") as copy:
                for r in thread_rows:
                    copy.write_row(r)
            with cur.copy("COPY ins_thread_kv FROM STDIN") as copy:
                for r in kv_rows:
                    copy.write_row(r)
            after = int(threads[-1][0])
            cur.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (PROGRESS, str(after)),
            )
        total += len(threads)
        if progress is not None:
            progress(total)
    with transaction() as cur:
        _totals(cur)
        for statement in INDEXES:
            cur.execute(statement)
        cur.execute("DELETE FROM meta WHERE key = %s", (PROGRESS,))
        cur.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),))
        cur.execute(
            "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value",
            (MARK, FACTS_VERSION),
        )
    return total


_COLUMN_TOTALS = (  # (kind, key, count, condition) of ins_day from the thread rows
    ("threads", "''", "count(*)", "true"),
    ("items", "''", "sum(items)", "items <> 0"),
    ("size", "items::text", "count(*)", "true"),
    ("hour", "((created_at - day * 86400) / 3600)::text", "count(*)", "true"),
    ("status", "status", "count(*)", "true"),
    ("reason:locked", "reason", "count(*)", "status = 'locked' AND reason IS NOT NULL"),
    ("reason:closed", "reason", "count(*)", "status = 'closed' AND reason IS NOT NULL"),
    ("unanswered", "''", "count(*)", "unanswered <> 0"),
    ("pending", "''", "count(*)", "pending <> 0"),
    ("unfinished", "''", "count(*)", "unfinished <> 0"),
)


def _totals(cur: psycopg.Cursor[Any]) -> None:
    """Every total made again from the per-thread rows, in SQL."""
    for name in TABLES[2:]:
        cur.execute(f"TRUNCATE {name}")
    for kind, key, count, where in _COLUMN_TOTALS:
        sql = (
            f"INSERT INTO ins_day SELECT %s, day, {key}, {count} FROM ins_thread"  # noqa: S608
            f" WHERE {where} GROUP BY 2, 3"
        )
        cur.execute(sql, (kind,))  # pyright: ignore[reportArgumentType, reportCallIssue]
    cur.execute(  # the day of the thread's row (created_at // DAY, as the facts say)
        "INSERT INTO ins_day SELECT kv.kind, t.day, kv.key, sum(kv.n) FROM ins_thread_kv AS kv"
        " JOIN ins_thread AS t ON t.pk = kv.pk GROUP BY 1, 2, 3"
    )
    cur.execute(
        'INSERT INTO ins_day_user SELECT day, "user", count(*), sum(items) FROM ins_thread'
        ' WHERE "user" IS NOT NULL GROUP BY day, "user"'
    )
    cur.execute(
        'INSERT INTO ins_week_user SELECT (day + 3) / 7, "user", sum(threads)'
        " FROM ins_day_user GROUP BY 1, 2"
    )
    cur.execute(
        'INSERT INTO ins_user SELECT "user", sum(threads), sum(items), max(day)'
        ' FROM ins_day_user GROUP BY "user"'
    )
