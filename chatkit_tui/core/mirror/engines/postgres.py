"""The PostgreSQL engine: a mirror in a database named by a ``postgresql://`` URL, for a team
that shares one copy (one scheduled ``mirror`` writes, everyone reads and searches).

Textual-free. ``Mirror.open(MirrorUrl(...))`` opens one as a :class:`PostgresMirror`
(the interface: :class:`chatkit_tui.core.mirror.store.Mirror`). The driver is psycopg 3
(the ``postgresql`` extra: ``pip install 'chatkit-tui[postgresql]'``); it is imported
only when a URL is opened.

**The layout** (:data:`SCHEMA_VERSION`; in ``meta`` as ``schema_version``) holds what a
mirror file holds, in the same tables and columns (``threads``, ``items``, ``meta``,
``failures``, ``unreadable``, ``runs``; raw JSON as ``bytea``, byte for byte), plus:

- ``search``: a row per item with text and per titled thread (``key``: the item's ``pk``,
  or minus the thread's), its text as indexed (:func:`~..search.index_form`) and
  ``words``, a ``tsvector`` with a GIN index. The words are made here, not by
  PostgreSQL's parser, so that a word is what it is in the file's FTS5 index: a run of
  letters, digits and marks, case and accents folded (:func:`lexemes`); PostgreSQL's
  parser would make ``/usr/bin`` or ``a.b@c.d`` one word, and fold no accents.
- ``writer``: who holds the mirror for writing (host, pid, since when), for the message
  a second writer gets.

- ``ins_*``: insights' summary tables (:mod:`.postgres_summaries`), kept by each write
  in its transaction (layout 2).

A writable open on an empty database makes the tables; on one of an older version,
upgrades them in place (layout 1 to 2: the summaries built from the rows, in batches,
resumed if stopped; see :data:`_TABLES`); a read-only open of an older version reads what
it can (no insights); a newer version is refused.

**One writer**: a writable open takes a session-level advisory lock
(``pg_try_advisory_lock``, :data:`WRITER_LOCK`) and writes its name into ``writer``. A
second writer, from any machine, gets :class:`MirrorBusyError` naming the holder; the
lock is the session's, so a writer that dies (``kill -9``, a lost machine) frees it when
its connection ends. Readers take nothing: each statement reads a consistent snapshot
while a run commits whole threads, one or several to a transaction.

**Passwords** come from the URL, ``PGPASSWORD``, ``~/.pgpass`` (libpq reads both), or
the URL's ``password_command``. Every message that leaves this module is passed through
:func:`~..url.redact` (psycopg's own messages can echo a connection string).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import socket
import subprocess
import threading
import time
import unicodedata
from collections.abc import Generator, Iterable, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from chatkit_tui import __version__
from chatkit_tui.core.mirror.engines import postgres_summaries as summaries
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
    JOINER,
    MARK_END,
    MARK_START,
    RANKED,
    SNIPPET_TOKENS,
    SearchHit,
    SearchResult,
    Term,
    index_form,
    parse_query,
    parse_snippet,
)
from chatkit_tui.core.mirror.store import (
    RUN_COLUMNS,
    Mirror,
    MirrorError,
    MirrorLoginRefused,
    MirrorOfAnother,
    MirrorUnreachable,
    SaveStats,
    now_or,
    origin_from_meta,
    register_engine,
    run_from_row,
    same_origin,
    thread_from_row,
)
from chatkit_tui.core.mirror.url import MirrorUrl, redact
from chatkit_tui.core.mirror.writer_lock import Holder, MirrorBusyError
from chatkit_tui.mirrorfile import LOGIN_REFUSED, UNREACHED, pg_refusal, pgpass_hint

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "INSTALL_HINT",
    "SCHEMA_VERSION",
    "WRITER_LOCK",
    "MirrorDatabaseError",
    "PostgresMirror",
    "lexemes",
]

SCHEMA_VERSION = 2
WRITER_LOCK = 0x434B4D52_0001  # "CKMR" 1: the advisory lock key of a mirror's writer
INSTALL_HINT = (
    "a postgresql:// mirror needs psycopg 3: pip install 'chatkit-tui[postgresql]'"
    " (or pip install 'psycopg[binary]')"
)

_SCHEMA = """
CREATE TABLE meta (key text PRIMARY KEY, value text);
CREATE TABLE threads (
    pk bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    "user" text,
    title text,
    status text,
    raw bytea NOT NULL,
    readable boolean NOT NULL,
    item_count integer NOT NULL,
    items_after text,
    first_seen bigint NOT NULL,
    changed_at bigint NOT NULL,
    gone_at bigint
);
CREATE INDEX threads_by_time ON threads (created_at, id);
CREATE INDEX threads_by_user ON threads ("user", created_at, id);
CREATE INDEX threads_listed ON threads (created_at, id) WHERE gone_at IS NULL;
CREATE TABLE items (
    pk bigserial PRIMARY KEY,
    thread_id text NOT NULL,
    seq integer NOT NULL,
    id text,
    created_at bigint,
    type text,
    raw bytea NOT NULL,
    UNIQUE (thread_id, seq)
);
CREATE UNIQUE INDEX items_by_id ON items (thread_id, id) WHERE id IS NOT NULL;
CREATE TABLE search (
    key bigint PRIMARY KEY,
    thread_id text NOT NULL,
    item_id text,
    type text,
    created_at bigint,
    body text NOT NULL,
    words tsvector NOT NULL
);
CREATE INDEX search_words ON search USING gin (words);
CREATE INDEX search_by_thread ON search (thread_id);
CREATE TABLE failures (
    thread_id text PRIMARY KEY,
    error text NOT NULL,
    runs integer NOT NULL,
    first_failed_at bigint NOT NULL,
    last_failed_at bigint NOT NULL
);
CREATE TABLE unreadable (
    pk bigserial PRIMARY KEY,
    raw bytea NOT NULL UNIQUE,
    error text NOT NULL,
    first_seen bigint NOT NULL
);
CREATE TABLE runs (
    pk bigserial PRIMARY KEY,
    started_at double precision NOT NULL,
    finished_at double precision NOT NULL,
    "user" text,
    listing_complete boolean NOT NULL,
    interrupted boolean NOT NULL,
    threads integer NOT NULL,
    new integer NOT NULL,
    changed integer NOT NULL,
    grown integer NOT NULL,
    items integer NOT NULL,
    gone integer NOT NULL,
    failed integer NOT NULL,
    pruned integer NOT NULL,
    requests integer NOT NULL
);
CREATE TABLE writer (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    host text NOT NULL,
    pid integer NOT NULL,
    since double precision NOT NULL
)
"""
_TABLES = (
    "meta",
    "threads",
    "items",
    "search",
    "failures",
    "unreadable",
    "runs",
    "writer",
    *summaries.TABLES,
)
"""Layout 1 is :data:`_SCHEMA`; layout 2 adds insights' summary tables
(:mod:`.postgres_summaries`), built in place from a layout-1 database's rows by its next
writable open (:func:`~.postgres_summaries.build`: in batches, resumable)."""

_THREAD_COLUMNS = (
    'id, created_at, "user", title, status, raw, readable, item_count, items_after,'
    " first_seen, changed_at, gone_at"
)
_Params = Sequence[object] | Mapping[str, object]
_PG_RUN_COLUMNS = RUN_COLUMNS.replace("user", '"user"')


_HEAD_ROWS = 25
"""A search looks at the table's first pages, about this many times ``ranked + 1`` rows,
before it asks the whole index (see :data:`_SEARCH`)."""
_PHRASE_SHARE = 4
"""A query with a phrase ranks at most ``ranked // _PHRASE_SHARE`` matches (see
:meth:`PostgresMirror.search_page`)."""
_SEARCH = """
WITH head AS MATERIALIZED (
    SELECT s.ctid AS at, s.key, s.words FROM search AS s
    WHERE s.ctid < ('(' || (
            SELECT (%(head)s::float8 * relpages / greatest(reltuples, 1))::bigint + 1
            FROM pg_class WHERE oid = 'search'::regclass) || ',0)')::tid
        AND {where}
    LIMIT %(ranked)s + 1),
found AS MATERIALIZED (
    SELECT at, key, words FROM head WHERE (SELECT count(*) FROM head) > %(ranked)s
    UNION ALL
    (SELECT s.ctid, s.key, s.words FROM search AS s
     WHERE {where} AND (SELECT count(*) FROM head) <= %(ranked)s LIMIT %(ranked)s + 1)),
best AS (
    SELECT key, -ts_rank(words, %(q)s::tsquery) AS rank
    FROM (SELECT key, words FROM found ORDER BY at LIMIT %(ranked)s) AS f
    ORDER BY rank, key LIMIT %(limit)s)
SELECT s.thread_id, s.item_id, items.seq, s.type, s.created_at, s.body, best.rank,
    t.title, t."user", t.gone_at, before.id, before.seq, (SELECT count(*) FROM found)
FROM best
JOIN search AS s ON s.key = best.key
LEFT JOIN items ON s.key > 0 AND items.pk = s.key
LEFT JOIN threads AS t ON t.id = s.thread_id
LEFT JOIN LATERAL (
    SELECT b.id, b.seq FROM items AS b
    WHERE b.thread_id = s.thread_id AND b.seq < items.seq AND b.id IS NOT NULL
    ORDER BY b.seq DESC LIMIT 1) AS before ON true
ORDER BY best.rank, best.key
"""
"""One search, one statement: the first ``ranked + 1`` matches in storage order
(``found``; more than ``ranked``: capped), the first ``ranked`` of them ranked as they are
read (the ``tsvector`` at hand, not fetched again by key), the ``limit`` best joined to
their item, thread and the item before (``after_id``), and how many were found.

Where the matches are found: a word in most items would cost the GIN index a read of
every match's entry before the first row (tens of ms for a word in 5 % of 1,000,000
items), while the table's first pages, read in order, hold ``ranked + 1`` of them at once;
a rare word is the other way round. So the pages that hold about :data:`_HEAD_ROWS` x
``(ranked + 1)`` rows at the table's start are searched first (``head``: read in order, or
through the index when the planner expects few matches there); only when they do not
hold ``ranked + 1`` matches is the whole index asked (its scan gated by a one-time
filter), for the same first matches in the same order (a bitmap scan reads the table's
pages in order; a sequential scan starts at the first: ``synchronize_seqscans`` is off
for the session). Executed unprepared: a generic plan,
blind to how common the words are, would pick one way for all of them."""


class MirrorDatabaseError(MirrorError):
    """PostgreSQL refused or failed a statement, or could not be reached (the message
    redacted: no password)."""


class MirrorPermissionDenied(MirrorDatabaseError, MirrorLoginRefused):
    """A statement refused for want of a privilege (SQLSTATE 42501: a role that may log in
    but not read or write the mirror's tables): a permission error, exit 4."""


INSUFFICIENT_PRIVILEGE = "42501"


# --- words: what the index holds and a query looks for ---------------------------------------


@functools.cache
def _word() -> re.Pattern[str]:
    """A word as unicode61 takes it: a run of letters, digits and marks (made once, when
    a database mirror is first written or searched)."""
    ranges: list[str] = []
    start = -1
    for c in range(0x300, 0x10000 + 1):
        mark = c < 0x10000 and unicodedata.category(chr(c)).startswith("M")
        if mark and start < 0:
            start = c
        elif not mark and start >= 0:
            ranges.append(f"\\u{start:04x}-\\u{c - 1:04x}")
            start = -1
    return re.compile(f"(?:[^\\W_]|[{''.join(ranges)}])+")


_MAX_POSITION = 16383  # PostgreSQL's largest word position
_MAX_LEXEME = 2000  # bytes; PostgreSQL takes up to 2046
_MAX_VECTOR = 900_000  # bytes of tsvector text (PostgreSQL's limit is 1 MB)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> list[tuple[int, int, str]]:
    """The words of ``text`` (as :func:`index_form` made it): (start, end, folded)."""
    out: list[tuple[int, int, str]] = []
    for m in _word().finditer(text):
        folded = _fold(m.group())
        if folded and len(folded.encode()) <= _MAX_LEXEME:
            out.append((m.start(), m.end(), folded))
    return out


def lexemes(text: str) -> list[str]:
    """The folded words of ``text`` (as :func:`index_form` made it), in order: what the
    index holds, and what a query's term is made into. (The text folded first, then cut
    into words: the same words as :func:`_words` folds one by one, at a fraction of the
    cost for the ASCII text most items are.)"""
    if text.isascii():
        folded = text.lower()
    else:
        decomposed = unicodedata.normalize("NFD", text.lower())
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [w for w in _word().findall(folded) if len(w.encode()) <= _MAX_LEXEME]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _vector(body: str) -> str:
    """The ``tsvector`` text of ``body``: each word at its position, once per time it
    occurs (PostgreSQL's input merges a word's positions and keeps its first 256, as
    ``to_tsvector`` does: cheaper made there than here). A word is letters, digits and
    marks (no quote, no backslash): quoted as it is."""
    words = lexemes(body)
    if len(body) > _MAX_VECTOR // 4:  # a huge item: only as much as a tsvector holds
        size, kept = 0, 0
        for kept, word in enumerate(words):  # noqa: B007 (kept: how far it got)
            size += len(word.encode()) + 8
            if size > _MAX_VECTOR:
                break
        words = words[: kept + 1]
    if len(words) < _MAX_POSITION:
        return " ".join([f"'{w}':{n}" for n, w in enumerate(words, start=1)])
    return " ".join([f"'{w}':{min(n, _MAX_POSITION)}" for n, w in enumerate(words, start=1)])


def _term_words(term: Term) -> list[str]:
    return lexemes(index_form(term.text))


def _tsquery(terms: Sequence[Term]) -> str | None:
    """Every term must be in the item: words AND'ed, a phrase's words next to each other
    (``<->``), a prefix's last word ``:*``. None: nothing to look for."""
    parts: list[str] = []
    for term in terms:
        words = _term_words(term)
        if not words:
            continue
        quoted = [_quote(w) for w in words]
        if term.prefix:
            quoted[-1] += ":*"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts) if parts else None


def _snippet(body: str, terms: Sequence[Term]) -> str:
    """``body`` around the first match, :data:`SNIPPET_TOKENS` words long, each matched
    word between the marks :func:`parse_snippet` reads (as FTS5's ``snippet()`` makes it)."""
    words = _words(body)
    if not words:
        return body
    folded = [w for _, _, w in words]
    matches: list[tuple[int, int]] = []  # (first word, last word) of each match
    for term in terms:
        want = _term_words(term)
        if not want:
            continue
        for i in range(len(words) - len(want) + 1):
            ok = all(folded[i + k] == w for k, w in enumerate(want[:-1]))
            last = folded[i + len(want) - 1]
            ok = ok and (last.startswith(want[-1]) if term.prefix else last == want[-1])
            if ok:
                matches.append((i, i + len(want) - 1))
    opens = {i for i, _ in matches}
    closes = {j for _, j in matches}
    first = min(opens, default=0)
    start = max(0, min(first - 2, len(words) - SNIPPET_TOKENS))
    stop = min(len(words), start + SNIPPET_TOKENS)
    begin = 0 if start == 0 else words[start][0]
    end = len(body) if stop == len(words) else words[stop - 1][1]
    out: list[str] = [] if start == 0 else [ELLIPSIS]
    at, depth = begin, 0
    for i in range(start, stop):
        s, e, _ = words[i]
        out.append(body[at:s])
        if i in opens and depth == 0:
            out.append(MARK_START)
        depth += sum(1 for m in matches if m[0] == i)
        out.append(body[s:e])
        depth -= sum(1 for m in matches if m[1] == i)
        if i in closes and depth <= 0:
            depth = 0
            out.append(MARK_END)
        at = e
    if depth:
        out.append(MARK_END)
    out.append(body[at:end])
    if stop < len(words):
        out.append(ELLIPSIS)
    return "".join(out)


# --- connecting ---------------------------------------------------------------------------------


def _password(url: MirrorUrl) -> str | None:
    """The password of the URL's command (None: the URL, PGPASSWORD or ~/.pgpass give it)."""
    if url.password is not None or url.password_command is None:
        return None
    try:
        argv = shlex.split(url.password_command)
        done = subprocess.run(  # noqa: S603 (the user's own command, no shell)
            argv, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise MirrorError(f"the mirror's password command failed: {exc}") from None
    if done.returncode != 0:
        raise MirrorError(f"the mirror's password command exited with {done.returncode}")
    line = done.stdout.splitlines()[0] if done.stdout.strip() else ""
    if not line:
        raise MirrorError("the mirror's password command printed nothing")
    return line


def _connect(url: MirrorUrl, *, read_only: bool) -> tuple[psycopg.Connection[Any], str | None]:
    try:
        import psycopg
    except ImportError:
        raise MirrorError(INSTALL_HINT) from None
    password = _password(url)
    secrets = (url.password, password)
    try:
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 10}
        if password is not None:
            kwargs["password"] = password
        # JIT compiles a plan dear enough (a count of a common word) for tens of ms, which
        # a mirror's short statements never win back; a sequential scan starts at the
        # table's first page (a search's first matches are those of storage order).
        options = "-c jit=off -c synchronize_seqscans=off"
        if read_only:
            options += " -c default_transaction_read_only=on"
        kwargs["options"] = options
        kwargs["application_name"] = "chatkit-tui mirror" + (" reader" if read_only else "")
        conn = psycopg.connect(url.url, **kwargs)
    except psycopg.Error as exc:
        said = redact(" ".join(str(exc).split()), *secrets)
        why = pg_refusal(said)
        if why == LOGIN_REFUSED:
            hint = pgpass_hint(said)
            raise MirrorLoginRefused(
                f"cannot open the mirror {url}: the database refused the login: {said}"
                + (f"; {hint}" if hint else "")
            ) from None
        if why == UNREACHED:
            raise MirrorUnreachable(
                f"cannot open the mirror {url}: the database cannot be reached: {said}"
            ) from None
        raise MirrorDatabaseError(f"cannot open the mirror {url}: {said}") from None
    return conn, password


class PostgresMirror(Mirror):
    """An open mirror in PostgreSQL. One connection guarded by a lock (a run's writer
    thread and the event loop alike); autocommit, a run's writes in one transaction per
    thread, or per :meth:`batch` of whole threads."""

    engine = "postgresql"

    def __init__(
        self, conn: psycopg.Connection[Any], url: MirrorUrl, *, read_only: bool, secret: str | None
    ) -> None:
        self._conn = conn
        self._url = url
        self._secrets = (url.password, secret)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._made = False
        self._writing = False
        self._changes = 0
        self._batch: psycopg.Cursor[Any] | None = None  # the transaction of batch()
        self._summaries = summaries.PgSummaries()
        self._summed = False  # the summaries are built: a write keeps them

    @property
    def path(self) -> MirrorUrl:
        return self._url

    @property
    def created(self) -> bool:
        return self._made

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open_url(
        cls,
        url: MirrorUrl,
        *,
        create: bool = False,
        origin: Origin | None = None,
        read_only: bool = False,
    ) -> PostgresMirror:
        """Open the mirror in the database ``url`` names (what ``Mirror.open(url)``
        does); see :meth:`Mirror.open`. The database must exist; ``create`` makes the
        mirror's tables in it."""
        conn, secret = _connect(url, read_only=read_only)
        mirror = cls(conn, url, read_only=read_only, secret=secret)
        try:
            with mirror._errors():
                mirror._open(create=create, origin=origin)
        except BaseException:
            conn.close()
            raise
        return mirror

    def _open(self, *, create: bool, origin: Origin | None) -> None:
        exists = self._one("SELECT to_regclass('meta') IS NOT NULL")
        if not exists and (not create or self.read_only):
            raise FileNotFoundError(f"no mirror in {self._url}")
        if not self.read_only:
            self._take_writer_lock()
        if not self._one("SELECT to_regclass('meta') IS NOT NULL"):  # made meanwhile?
            self._create(origin)
        else:
            has_threads = self._one("SELECT to_regclass('threads') IS NOT NULL")
            version = self._one("SELECT value FROM meta WHERE key = 'schema_version'")
            if not has_threads or version is None:
                raise MirrorError(f"{self._url} holds tables that are not a chatkit-tui mirror")
            self._check_version(int(version))
        if origin is not None:  # before any write: a mirror of another is left as it was
            given = same_origin(self.origin, origin)
            if given is not None:
                mine = self.origin
                raise MirrorOfAnother(
                    f"{self._url} is a mirror of {mine.against(given)}, not of"
                    f" {given.against(mine)}"
                )
        if not self.read_only:
            self._write_holder()
            self._summed = summaries.has_summaries(self._conn)
            if self._summed:
                self._keep_user_counts()

    def _keep_user_counts(self) -> None:
        """The distinct users per day and week, and their triggers, made where they are not
        (a database of before them, or a summary table made again): skipped, and counted
        from the rows as before, for a role that may not make them here, or a server that
        refuses them (they speed a chart up; nothing depends on them)."""
        with self._lock, self._errors():
            if summaries.user_counts_current(self._conn):
                return
        try:
            with self._transaction() as cur:
                summaries.keep_user_counts(cur)
        except MirrorDatabaseError:  # MirrorPermissionDenied among them; rolled back
            pass

    def _take_writer_lock(self) -> None:
        if self._one("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)):
            self._writing = True
            # A commit does not wait for its WAL to reach the disk: a crash of the server
            # may lose the last moments of commits, whole transactions only (whole
            # threads), which the next run fetches again (the mirror is a copy).
            self._one("SELECT set_config('synchronous_commit', 'off', false)")
            return
        holder: Holder | None = None
        if self._one("SELECT to_regclass('writer') IS NOT NULL"):
            row = self._row("SELECT host, pid, since FROM writer")
            if row is not None:
                holder = Holder(str(row[0]), int(row[1]), float(row[2]))
        raise MirrorBusyError(self._url, holder)

    def _write_holder(self) -> None:
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO writer (one, host, pid, since) VALUES (true, %s, %s, %s)"
                " ON CONFLICT (one) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
                " since = excluded.since",
                (socket.gethostname(), os.getpid(), time.time()),
            )

    def _create(self, origin: Origin | None) -> None:
        if origin is None:
            raise MirrorError("a new mirror needs its origin")
        with self._transaction() as cur:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    cur.execute(statement)  # pyright: ignore[reportArgumentType, reportCallIssue]
            for statement in (*summaries.SCHEMA, *summaries.INDEXES):
                cur.execute(statement)  # pyright: ignore[reportArgumentType, reportCallIssue]
            meta = {
                "schema_version": str(SCHEMA_VERSION),
                summaries.MARK: summaries.FACTS_VERSION,
                "base_url": origin.base_url.rstrip("/"),
                "organization": origin.organization,
                "project": origin.project,
                "origin_kind": origin.kind,
                "created_at": str(int(time.time())),
                "version": __version__,
            }
            cur.executemany("INSERT INTO meta VALUES (%s, %s)", list(meta.items()))
        self._made = True

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION or version < 1:
            raise MirrorError(
                f"{self._url} is a mirror of layout version {version}; this chatkit-tui "
                f"reads versions up to {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION and not self.read_only:
            # 1 to 2: the summary tables built from the rows (holding the writer lock;
            # one transaction a batch of threads, resumed by the next open if stopped)
            summaries.build(self._transaction, SCHEMA_VERSION)
            self.upgrade = LayoutUpgrade(version, SCHEMA_VERSION, 0, 0)
            with self._lock, self._errors():  # the planner's figures of the new tables
                for name in summaries.TABLES:
                    self._conn.execute(f"ANALYZE {name}")  # pyright: ignore[reportArgumentType, reportCallIssue]

    def close(self) -> None:
        with self._lock:
            if self._conn.closed:
                return
            try:
                if self._writing and not self._conn.broken:
                    self._conn.execute("DELETE FROM writer")
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
            except Exception:  # noqa: S110 (closing ends the session, and the lock with it)
                pass
            finally:
                self._writing = False
                self._conn.close()

    def discard_if_empty(self) -> bool:
        with self._lock:
            if not self._made or not self._writing:
                self.close()
                return False
            held = self._one(
                "SELECT (SELECT count(*) FROM threads) + (SELECT count(*) FROM failures)"
                " + (SELECT count(*) FROM unreadable)"
            )
            if held:
                self.close()
                return False
            from psycopg import sql

            with self._transaction() as cur:
                cur.execute(f"DROP TABLE {', '.join(_TABLES)}")
                schema = cur.execute("SELECT current_schema()").fetchone()
                for function in summaries.COUNT_FUNCTIONS:  # this mirror's, by its schema
                    cur.execute(
                        sql.SQL("DROP FUNCTION IF EXISTS {}.{}()").format(
                            sql.Identifier(str(schema[0] if schema else "public")),
                            sql.Identifier(function),
                        )
                    )
            self._writing = False
            self._conn.close()
            return True

    @contextmanager
    def summary_reader(self) -> Generator[summaries.PgReader]:
        with self._lock, self._errors():
            yield summaries.PgReader(self._conn)

    def quick_check(self) -> str | None:
        """None: PostgreSQL checks its own pages (a read that meets damage is an error)."""
        return None

    # -- running statements --------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Generator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            said = redact(" ".join(str(exc).split()), *self._secrets)
            if exc.sqlstate == INSUFFICIENT_PRIVILEGE:
                raise MirrorPermissionDenied(f"the mirror {self._url}: {said}") from None
            raise MirrorDatabaseError(f"the mirror {self._url}: {said}") from None

    def _one(self, sql: str, params: _Params = ()) -> Any:
        row = self._row(sql, params)
        return None if row is None else row[0]

    def _row(self, sql: str, params: _Params = ()) -> tuple[Any, ...] | None:
        with self._lock, self._errors():
            return self._conn.execute(sql, params).fetchone()  # pyright: ignore[reportArgumentType, reportCallIssue]

    def _rows(self, sql: str, params: _Params = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._errors():
            return self._conn.execute(sql, params).fetchall()  # pyright: ignore[reportArgumentType, reportCallIssue]

    @contextmanager
    def _transaction(self) -> Generator[psycopg.Cursor[Any]]:
        with self._lock, self._errors(), self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    def _write(self) -> Any:
        if self.read_only:
            raise MirrorError(f"{self._url} is open read-only")
        if self._batch is not None:  # inside batch(): its transaction (and lock) hold
            return nullcontext(self._batch)
        return self._transaction()

    @contextmanager
    def batch(self) -> Generator[None]:
        """The writes of the block in one transaction (committed together, or none of
        them): a run's threads ready at once, a commit's round trips paid once."""
        if self.read_only or self._batch is not None:
            yield
            return
        with self._transaction() as cur:
            self._batch = cur
            try:
                yield
                self._summaries.flush(cur)  # the batch's threads' facts, in its transaction
            except BaseException:
                self._summaries.discard()
                raise
            finally:
                self._batch = None

    # -- metadata ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str | None]:
        rows = self._rows("SELECT key, value FROM meta")
        return {str(k): None if v is None else str(v) for k, v in rows}

    @property
    def origin(self) -> Origin:
        return origin_from_meta(self._meta())

    def info(self) -> MirrorInfo:
        meta = self._meta()
        row = self._row(
            "SELECT (SELECT count(*) FROM threads), (SELECT count(gone_at) FROM threads),"
            " (SELECT coalesce(sum(item_count), 0) FROM threads),"
            " (SELECT count(*) FROM failures), (SELECT count(*) FROM unreadable),"
            " (SELECT count(*) FROM runs),"
            " (SELECT max(finished_at) FROM runs WHERE listing_complete AND NOT interrupted)"
        )
        assert row is not None
        last = self._row(f"SELECT {_PG_RUN_COLUMNS} FROM runs ORDER BY pk DESC LIMIT 1")  # noqa: S608
        return MirrorInfo(
            path=self._url,
            origin=origin_from_meta(meta),
            created_at=int(meta.get("created_at") or 0),
            version=meta.get("version") or "",
            threads=int(row[0]),
            gone=int(row[1]),
            items=int(row[2]),
            failures=int(row[3]),
            unreadable=int(row[4]),
            last_run=None if last is None else run_from_row(last),
            runs=int(row[5]),
            last_complete_sync=None if row[6] is None else float(row[6]),
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
        where: list[str] = []
        params: list[object] = []
        if user is not None:
            where.append('"user" = %s')
            params.append(user)
        if gone is not None:
            where.append("gone_at IS NOT NULL" if gone else "gone_at IS NULL")
        direction, op = ("DESC", "<") if order == "desc" else ("ASC", ">")
        with self._lock:
            if after is not None:
                key = self._row("SELECT created_at, id FROM threads WHERE id = %s", (after,))
                if key is None:
                    raise KeyError(after)
                where.append(f"(created_at, id) {op} (%s, %s)")
                params.extend(key)
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            rows = self._rows(
                f"SELECT {_THREAD_COLUMNS} FROM threads {clause}"  # noqa: S608
                f" ORDER BY created_at {direction}, id {direction} LIMIT %s",
                [*params, max(0, limit) + 1],
            )
        page = [thread_from_row(r) for r in rows[: max(0, limit)]]
        has_more = len(rows) > len(page)
        return MirrorPage(page, has_more, page[-1].id if page and has_more else None)

    @staticmethod
    def _listed(user: str | None, needle: str) -> tuple[str, list[object]]:
        where = ["gone_at IS NULL"]
        params: list[object] = []
        if user is not None:
            where.append('"user" = %s')
            params.append(user)
        if needle:
            where.append(
                "(strpos(lower(coalesce(title, '')), %s) > 0"
                " OR strpos(lower(coalesce(\"user\", '')), %s) > 0 OR strpos(lower(id), %s) > 0)"
            )
            params.extend([needle] * 3)
        return " AND ".join(where), params

    def count_listed(self, *, user: str | None = None, needle: str = "") -> int:
        where, params = self._listed(user, needle)
        return int(self._one(f"SELECT count(*) FROM threads WHERE {where}", params))  # noqa: S608

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
        if limit <= 0 or offset < 0:
            return []
        direction, reverse = ("DESC", "ASC") if order == "desc" else ("ASC", "DESC")
        flipped = total is not None and offset > total // 2
        if flipped and total is not None:
            stop = min(offset + limit, total)
            offset, limit, direction = max(0, total - stop), max(0, stop - offset), reverse
        where, params = self._listed(user, needle)
        rows = self._rows(  # positions over the index alone; the rows of just this window after
            f"WITH keys AS (SELECT pk, created_at, id FROM threads WHERE {where}"  # noqa: S608
            f" ORDER BY created_at {direction}, id {direction} LIMIT %s OFFSET %s)"
            f" SELECT {', '.join('t.' + c.strip() for c in _THREAD_COLUMNS.split(','))}"
            " FROM keys JOIN threads AS t ON t.pk = keys.pk"
            f" ORDER BY keys.created_at {direction}, keys.id {direction}",
            [*params, limit, offset],
        )
        window = [thread_from_row(r) for r in rows]
        return window[::-1] if flipped else window

    def listed_position(
        self,
        thread_id: str,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        needle: str = "",
    ) -> int | None:
        where, params = self._listed(user, needle)
        with self._lock:
            key = self._row(
                f"SELECT created_at, id FROM threads WHERE id = %s AND {where}",  # noqa: S608
                [thread_id, *params],
            )
            if key is None:
                return None
            op = ">" if order == "desc" else "<"
            return int(
                self._one(
                    f"SELECT count(*) FROM threads WHERE {where}"  # noqa: S608
                    f" AND (created_at, id) {op} (%s, %s)",
                    [*params, *key],
                )
            )

    def thread(self, thread_id: str) -> MirrorThread | None:
        row = self._row(f"SELECT {_THREAD_COLUMNS} FROM threads WHERE id = %s", (thread_id,))  # noqa: S608
        return None if row is None else thread_from_row(row)

    def items(
        self,
        thread_id: str,
        *,
        after: int | None = None,
        limit: int = 100,
        order: Literal["asc", "desc"] = "asc",
    ) -> MirrorPage[MirrorItem, int]:
        if order == "asc":
            where, start = "seq > %s ORDER BY seq", -1 if after is None else after
        else:
            where, start = "seq < %s ORDER BY seq DESC", (1 << 31) - 1 if after is None else after
        rows = self._rows(
            f"SELECT seq, id, created_at, type, raw FROM items"  # noqa: S608
            f" WHERE thread_id = %s AND {where} LIMIT %s",
            (thread_id, min(max(start, -(1 << 31)), (1 << 31) - 1), max(0, limit) + 1),
        )
        page = [
            MirrorItem(
                thread_id, int(r[0]), r[1], None if r[2] is None else int(r[2]), r[3], bytes(r[4])
            )
            for r in rows[: max(0, limit)]
        ]
        has_more = len(rows) > len(page)
        return MirrorPage(page, has_more, page[-1].seq if page and has_more else None)

    def item_seq(self, thread_id: str, item_id: str) -> int | None:
        value = self._one(
            "SELECT min(seq) FROM items WHERE thread_id = %s AND id = %s", (thread_id, item_id)
        )
        return None if value is None else int(value)

    @staticmethod
    def _filters(
        expression: str, user: str | None, since: int | None, kinds: Sequence[str] | None
    ) -> tuple[str, dict[str, object]]:
        """The WHERE conditions of a search (``s``: the search table's rows) and their
        parameters, by name (a statement may use them twice)."""
        where = ["s.words @@ %(q)s::tsquery"]
        params: dict[str, object] = {"q": expression}
        if kinds:
            where.append("s.type = ANY(%(kinds)s)")
            params["kinds"] = sorted({k.removeprefix("chatkit.") for k in kinds})
        if since is not None:
            where.append("s.created_at >= %(since)s")
            params["since"] = since
        if user is not None:
            where.append('s.thread_id IN (SELECT id FROM threads WHERE "user" = %(user)s)')
            params["user"] = user
        return " AND ".join(where), params

    def count_matches(
        self,
        query: str,
        *,
        user: str | None = None,
        since: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> int:
        expression = _tsquery(parse_query(query))
        if expression is None:
            return 0
        where, params = self._filters(expression, user, since, kinds)
        return int(self._one(f"SELECT count(*) FROM search AS s WHERE {where}", params))  # noqa: S608

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
        """Full-text search over the ``tsvector`` index: every term's words in the item,
        best first by ``ts_rank`` (a hit's :attr:`~SearchHit.rank` is minus it: lower is
        better, as with bm25), a snippet made here around the first match.

        The first ``ranked + 1`` matches in the table's storage order are found (more
        than ``ranked``: only the first ``ranked`` of them are ranked), ranked where they
        are read, and only the ``limit`` best are joined to their items and threads, with
        the item before each (``after_id``): one statement, one round trip (see
        :data:`_SEARCH`). A query with a phrase of two or more words ranks at most
        ``ranked // 4`` (:data:`_PHRASE_SHARE`): the index knows which items hold the
        words, not where, so each such item is read to see whether they are next to each
        other, and a phrase of common words may take reading tens of thousands before
        ``ranked + 1`` are found."""
        terms = parse_query(query)
        expression = _tsquery(terms)
        if expression is None or limit <= 0:
            return SearchResult([], 0, capped=False)
        ranked = max(1, RANKED if ranked is None else ranked)
        if any(t.phrase and len(_term_words(t)) > 1 for t in terms):
            ranked = max(1, ranked // _PHRASE_SHARE)
        where, params = self._filters(expression, user, since, kinds)
        params.update(head=_HEAD_ROWS * (ranked + 1), ranked=ranked, limit=limit)
        with self._lock, self._errors():
            rows = self._conn.execute(
                _SEARCH.format(where=where),  # pyright: ignore[reportArgumentType]
                params,
                prepare=False,  # a plan for these words, never a generic one (see _SEARCH)
            ).fetchall()
        hits: list[SearchHit] = []
        found = 0
        for row in rows:
            found = int(row[12])
            text, spans = parse_snippet(_snippet(str(row[5]), terms).replace(JOINER, ""))
            seq = None if row[3] == "title" or row[2] is None else int(row[2])
            hits.append(
                SearchHit(
                    thread_id=str(row[0]),
                    item_id=None if row[1] is None else str(row[1]),
                    seq=seq,
                    kind=str(row[3]),
                    created_at=None if row[4] is None else int(row[4]),
                    snippet=text,
                    spans=tuple(spans),
                    rank=float(row[6]),
                    thread_title=None if row[7] is None else str(row[7]),
                    user=None if row[8] is None else str(row[8]),
                    gone=row[9] is not None,
                    after_id=None if row[10] is None else str(row[10]),
                    after_seq=None if row[11] is None else int(row[11]),
                )
            )
        capped = found > ranked
        among = f"the first {ranked:,} in storage order" if capped else ""
        return SearchResult(hits, min(found, ranked), capped=capped, among=among)

    def types(self) -> list[str]:
        with self._lock:
            kinds = {
                str(r[0])
                for r in self._rows("SELECT DISTINCT type FROM items WHERE type IS NOT NULL")
            }
            if self._row("SELECT 1 FROM threads WHERE title != '' LIMIT 1"):
                kinds.add("title")
        return sorted(kinds)

    def failures(self) -> list[Failure]:
        rows = self._rows(
            "SELECT thread_id, error, runs, first_failed_at, last_failed_at FROM failures"
            " ORDER BY last_failed_at DESC, thread_id"
        )
        return [Failure(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def unreadable(self) -> list[bytes]:
        return [bytes(r[0]) for r in self._rows("SELECT raw FROM unreadable ORDER BY pk")]

    # -- what a run reads ------------------------------------------------------------------------

    def known(self, thread_ids: Sequence[str]) -> dict[str, Known]:
        rows = self._rows(
            "SELECT id, raw, items_after, item_count, gone_at FROM threads WHERE id = ANY(%s)",
            (list(thread_ids),),
        )
        return {str(r[0]): Known(bytes(r[1]), r[2], int(r[3]), r[4] is not None) for r in rows}

    def present_ids(self, user: str | None = None) -> set[str]:
        if user is None:
            rows = self._rows("SELECT id FROM threads WHERE gone_at IS NULL")
        else:
            rows = self._rows(
                'SELECT id FROM threads WHERE gone_at IS NULL AND "user" = %s', (user,)
            )
        return {str(r[0]) for r in rows}

    def total_changes(self) -> int:
        return self._changes

    # -- writes (a run) ------------------------------------------------------------------------

    def _x(self, cur: psycopg.Cursor[Any], sql: str, params: Sequence[object] = ()) -> Any:
        """Run a statement that changes rows, counted (:meth:`total_changes`)."""
        cur.execute(sql, params)  # pyright: ignore[reportArgumentType, reportCallIssue]
        self._changes += max(0, cur.rowcount)
        return cur

    def save_thread(
        self,
        thread: ThreadRecord,
        items: Sequence[ItemRecord],
        *,
        items_after: str | None,
        replace_items: bool = False,
        now: int | None = None,
    ) -> SaveStats:
        when = now_or(now)
        stats = SaveStats()
        with self._write() as cur:
            row = cur.execute(
                "SELECT pk, raw, item_count, title FROM threads WHERE id = %s", (thread.id,)
            ).fetchone()
            fields = (
                thread.created_at,
                thread.user,
                thread.title,
                thread.status,
                thread.raw,
                thread.readable,
            )
            if row is None:
                stats.new = True
                made = self._x(
                    cur,
                    'INSERT INTO threads (id, created_at, "user", title, status, raw, readable,'
                    " item_count, items_after, first_seen, changed_at, gone_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, 0, NULL, %s, %s, NULL) RETURNING pk",
                    (thread.id, *fields, when, when),
                ).fetchone()
                assert made is not None
                pk, count, old_title = int(made[0]), 0, None
            else:
                pk, old_raw, count, old_title = int(row[0]), bytes(row[1]), int(row[2]), row[3]
                if old_raw != thread.raw:
                    stats.changed = True
                    self._x(
                        cur,
                        'UPDATE threads SET created_at = %s, "user" = %s, title = %s,'
                        " status = %s, raw = %s, readable = %s, changed_at = %s WHERE pk = %s",
                        (*fields, when, pk),
                    )
            if stats.new or old_title != thread.title:
                if not stats.new:
                    self._x(cur, "DELETE FROM search WHERE key = %s", (-pk,))
                if thread.title:
                    body = index_form(thread.title)
                    self._x(
                        cur,
                        "INSERT INTO search (key, thread_id, item_id, type, created_at, body,"
                        " words) VALUES (%s, %s, NULL, 'title', %s, %s, %s::tsvector)",
                        (-pk, thread.id, thread.created_at, body, _vector(body)),
                    )
            if replace_items and count:
                self._x(
                    cur,
                    "DELETE FROM search WHERE key IN (SELECT pk FROM items WHERE thread_id = %s)",
                    (thread.id,),
                )
                self._x(cur, "DELETE FROM items WHERE thread_id = %s", (thread.id,))
                count = 0
            stats.items = self._insert_items(cur, thread.id, count, items)
            count += stats.items
            done = cur.execute(  # one round trip for both, each one's rows counted
                "WITH f AS (DELETE FROM failures WHERE thread_id = %s RETURNING 1),"
                " t AS (UPDATE threads SET item_count = %s, items_after = %s, gone_at = NULL"
                " WHERE pk = %s AND (item_count IS DISTINCT FROM %s"
                " OR items_after IS DISTINCT FROM %s OR gone_at IS NOT NULL) RETURNING 1)"
                " SELECT (SELECT count(*) FROM f) + (SELECT count(*) FROM t)",
                (thread.id, count, items_after, pk, count, items_after),
            ).fetchone()
            self._changes += int(done[0]) if done else 0
            if self._summed:
                fresh = count == stats.items == len(items)  # all it holds: just written
                self._summaries.note(
                    pk,
                    thread.id,
                    (thread.created_at, thread.user, thread.status, thread.raw),
                    items if fresh else None,
                    new=stats.new,
                )
                if self._batch is None:
                    self._summaries.flush(cur)
        return stats

    def _insert_items(
        self, cur: psycopg.Cursor[Any], thread_id: str, first_seq: int, items: Sequence[ItemRecord]
    ) -> int:
        """Append ``items`` from ``seq`` ``first_seq`` in one statement (the items, and
        their search rows keyed by the items' new ``pk``); an item whose id the thread
        holds already, or that came twice, is not written again."""
        if not items:
            return 0
        ids = [i.id for i in items if i.id is not None]
        held: set[str] = set()
        if ids and first_seq:
            held = {
                str(r[0])
                for r in cur.execute(
                    "SELECT id FROM items WHERE thread_id = %s AND id = ANY(%s)", (thread_id, ids)
                ).fetchall()
            }
        fresh: list[ItemRecord] = []
        for item in items:
            if item.id is not None:
                if item.id in held:
                    continue
                held.add(item.id)
            fresh.append(item)
        if not fresh:
            return 0
        bodies: list[str | None] = []
        vectors: list[str | None] = []
        for item in fresh:
            # PostgreSQL's text holds no NUL (an item that is not JSON may have one): the
            # searched body has a space there (the item's raw bytes are kept as they are)
            text = item_text(item.raw).replace("\x00", " ")
            body = index_form(text) if text else None
            bodies.append(body)
            vectors.append(None if body is None else _vector(body))
        # %b: the arrays sent in binary (no quoting of each element; the raw JSON as the
        # bytes it is, not hex).
        cur.execute(
            "WITH u AS (SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[],"
            " %b::bytea[], %b::text[], %b::text[]) WITH ORDINALITY"
            " AS u(id, created_at, type, raw, body, words, n)),"
            " made AS (INSERT INTO items (thread_id, seq, id, created_at, type, raw)"
            " SELECT %s, %s + n - 1, u.id, u.created_at, u.type, u.raw FROM u ORDER BY n"
            " RETURNING pk, seq)"
            " INSERT INTO search (key, thread_id, item_id, type, created_at, body, words)"
            " SELECT made.pk, %s, u.id, u.type, u.created_at, u.body, u.words::tsvector"
            " FROM made JOIN u ON made.seq = %s + u.n - 1 WHERE u.body IS NOT NULL",
            (
                [i.id for i in fresh],
                [i.created_at for i in fresh],
                [i.type for i in fresh],
                [i.raw for i in fresh],
                bodies,
                vectors,
                thread_id,
                first_seq,
                thread_id,
                first_seq,
            ),
        )
        self._changes += len(fresh) + max(0, cur.rowcount)  # the items, their search rows
        return len(fresh)

    def save_unreadable(self, raw: bytes, error: str, now: int | None = None) -> bool:
        with self._write() as cur:
            self._x(
                cur,
                "INSERT INTO unreadable (raw, error, first_seen) VALUES (%s, %s, %s)"
                " ON CONFLICT (raw) DO NOTHING",
                (raw, error, now_or(now)),
            )
            return cur.rowcount > 0

    def mark_gone(self, thread_ids: Iterable[str], now: int | None = None) -> int:
        ids = list(thread_ids)
        if not ids:
            return 0
        with self._write() as cur:
            self._x(
                cur,
                "UPDATE threads SET gone_at = %s WHERE id = ANY(%s) AND gone_at IS NULL",
                (now_or(now), ids),
            )
            return cur.rowcount

    def prune(self, user: str | None = None) -> int:
        scope = "gone_at IS NOT NULL" + (' AND "user" = %s' if user is not None else "")
        params: tuple[str, ...] = () if user is None else (user,)
        with self._write() as cur:
            if self._summed:
                self._summaries.forget(cur, scope, params)
            self._x(
                cur,
                "DELETE FROM search WHERE key IN (SELECT items.pk FROM items JOIN threads"  # noqa: S608
                f" ON threads.id = items.thread_id WHERE threads.{scope})",
                params,
            )
            self._x(
                cur,
                f"DELETE FROM search WHERE key IN (SELECT -pk FROM threads WHERE {scope})",  # noqa: S608
                params,
            )
            self._x(
                cur,
                f"DELETE FROM items WHERE thread_id IN (SELECT id FROM threads WHERE {scope})",  # noqa: S608
                params,
            )
            self._x(cur, f"DELETE FROM threads WHERE {scope}", params)  # noqa: S608
            return cur.rowcount

    def record_failure(self, thread_id: str, error: str, now: int | None = None) -> None:
        when = now_or(now)
        with self._write() as cur:
            self._x(
                cur,
                "INSERT INTO failures VALUES (%s, %s, 1, %s, %s) ON CONFLICT (thread_id)"
                " DO UPDATE SET error = excluded.error, runs = failures.runs + 1,"
                " last_failed_at = excluded.last_failed_at",
                (thread_id, error, when, when),
            )

    def forget_failures(self, keep: set[str]) -> int:
        with self._write() as cur:
            rows = cur.execute("SELECT thread_id FROM failures").fetchall()
            stale = [str(r[0]) for r in rows if str(r[0]) not in keep]
            if stale:
                self._x(cur, "DELETE FROM failures WHERE thread_id = ANY(%s)", (stale,))
        return len(stale)

    def record_run(self, run: RunRecord) -> None:
        values = (
            run.started_at,
            run.finished_at,
            run.user,
            run.listing_complete,
            run.interrupted,
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
        with self._write() as cur:
            self._x(
                cur,
                f"INSERT INTO runs ({_PG_RUN_COLUMNS})"  # noqa: S608
                f" VALUES ({', '.join(['%s'] * len(values))})",
                values,
            )


register_engine("postgresql", PostgresMirror.open_url)
