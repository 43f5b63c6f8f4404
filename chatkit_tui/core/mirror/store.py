"""The mirror's storage: one interface (:class:`Mirror`), two engines.

Textual-free. Everything that reads or writes a mirror (the run, :mod:`.sync`; search; the
app's list read on demand; ``serve --db``; the script CLI) is written once against
:class:`Mirror`. The SQL of each engine is in its own module:

- :mod:`.engines.sqlite` (:class:`~.engines.sqlite.SqliteMirror`): a file, the embedded
  default; FTS5 search; one writer by ``flock`` (:mod:`.writer_lock`).
- :mod:`.engines.postgres` (:class:`~.engines.postgres.PostgresMirror`): a PostgreSQL
  database named by a ``postgresql://`` URL (:mod:`.url`), for a team sharing one copy;
  full-text search with ``tsvector``; one writer by an advisory lock.

Both hold the same records (the raw JSON the API sent, byte for byte) in a versioned
layout that the next writable open upgrades in place. ``Mirror.open(target, ...)`` picks
the engine from the target: a :class:`~pathlib.Path` (or a string that is not a URL) is a
file, a ``postgresql://`` URL a database.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import urlsplit

from chatkit_tui.core.errors import WordedError
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
from chatkit_tui.core.mirror.search import SearchHit, SearchResult
from chatkit_tui.core.mirror.url import MirrorTarget, MirrorUrl, mirror_target

if TYPE_CHECKING:
    from chatkit_tui.core.insights.summaries import SummaryReader
from chatkit_tui.core.mirror.writer_lock import MirrorBusyError, MirrorReadOnlyError
from chatkit_tui.core.paths import data_dir, safe_filename
from chatkit_tui.mirrorfile import damaged_message

__all__ = [
    "Failure",
    "ItemRecord",
    "Known",
    "LayoutUpgrade",
    "Mirror",
    "MirrorBusyError",
    "MirrorDamaged",
    "MirrorError",
    "MirrorInfo",
    "MirrorItem",
    "MirrorLoginRefused",
    "MirrorOfAnother",
    "MirrorPage",
    "MirrorReadOnlyError",
    "MirrorThread",
    "MirrorUnreachable",
    "Origin",
    "RunRecord",
    "SaveStats",
    "ThreadRecord",
    "default_mirror_dir",
    "default_mirror_path",
    "register_engine",
]


class MirrorError(WordedError):
    """The file is not a mirror, is of another deployment, or cannot be opened."""


class MirrorOfAnother(MirrorError):
    """The mirror copies another deployment than the one it was opened for (a writer
    never mixes two deployments in one mirror)."""


class MirrorLoginRefused(MirrorError):
    """The database refused the login (a wrong or missing password, a role or rule that
    may not connect) or a permission: the README's exit 4."""


class MirrorUnreachable(MirrorError):
    """The database could not be reached (nothing listening, an unknown host, a timeout):
    the README's exit 5."""


class MirrorDamaged(MirrorError):
    """A page of the file could not be read: SQLite found it damaged. The message says so
    in the words every reader uses (:func:`chatkit_tui.mirrorfile.damaged_message`): how
    to see what is damaged (``mirror --check``) and how to repair it (``mirror --full``)."""

    def __init__(self, path: Path, cause: BaseException | None = None) -> None:
        super().__init__(damaged_message(path, cause))
        self.path = path
        self.detail = " ".join(str(cause).split()) if cause is not None else ""
        """What SQLite said (``database disk image is malformed``)."""


# --- where mirrors live ---------------------------------------------------------------------


def default_mirror_dir() -> Path:
    """``<user data dir>/chatkit-tui/mirrors``."""
    return data_dir() / "mirrors"


def default_mirror_path(base_url: str, project: str | None = None) -> Path:
    """One file per endpoint (and project, when one is named): ``api.openai.com_v1.sqlite3``."""
    parts = urlsplit(base_url.rstrip("/"))
    name = (parts.netloc + parts.path) if parts.netloc else base_url
    if project:
        name += f"-{project}"
    return default_mirror_dir() / f"{safe_filename(name.replace('/', '_'))}.sqlite3"


@dataclass(slots=True)
class SaveStats:
    """What one :meth:`Mirror.save_thread` did."""

    new: bool = False
    changed: bool = False
    items: int = 0
    """Items written (one the thread holds already, by its id, is not written again)."""


# --- the engines ------------------------------------------------------------------------------

Opener = Callable[..., "Mirror"]
_ENGINES: dict[str, Opener] = {}


def register_engine(kind: Literal["file", "postgresql"], opener: Opener) -> None:
    """An engine's module registers how it opens a target (the package imports both)."""
    _ENGINES[kind] = opener


class Mirror(ABC):
    """An open mirror: reads for the app and the CLI, writes for a run (:mod:`.sync`).

    Usable from a run's writer thread and the event loop alike (each engine guards its
    connection). ``Mirror.open(target, read_only=True)`` for readers; a run opens it
    writable with ``create=True`` and its ``origin``.
    """

    read_only: bool
    copy: bool = False
    """A file opened as a read-only copy (read-only media, see
    :func:`chatkit_tui.mirrorfile.connect_read_only`)."""
    upgrade: LayoutUpgrade | None = None
    """What a writable open did to a mirror of an older layout."""
    engine: Literal["sqlite", "postgresql"]

    @property
    @abstractmethod
    def path(self) -> MirrorTarget:
        """The file, or the database's URL (shown without its password)."""

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        target: str | MirrorTarget,
        *,
        create: bool = False,
        origin: Origin | None = None,
        read_only: bool = False,
    ) -> Mirror:
        """Open a mirror. ``create``: make it if there is none. ``origin``: refuse
        (:class:`MirrorError`) a mirror of another deployment, and record it in a new one.
        ``FileNotFoundError`` when there is none and not ``create``; :class:`MirrorError`
        when the target is something else.

        Writable: :class:`MirrorReadOnlyError` for a read-only file or directory, and
        :class:`MirrorBusyError` (naming the holder) while another writer holds the mirror,
        both before anything is written; an older layout is upgraded (:attr:`upgrade`)."""
        named = target if isinstance(target, MirrorUrl) else mirror_target(target)
        kind = "postgresql" if isinstance(named, MirrorUrl) else "file"
        return _ENGINES[kind](named, create=create, origin=origin, read_only=read_only)

    @property
    @abstractmethod
    def created(self) -> bool:
        """This (writable) open made the mirror."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def discard_if_empty(self) -> bool:
        """Close; and when this open made the mirror and it holds no thread, no failure and
        no unreadable record, take it away again: True then."""

    @abstractmethod
    def quick_check(self) -> str | None:
        """None when the storage is sound as far as a quick look tells, else what it found
        (what a run does before it writes anything)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- metadata ------------------------------------------------------------------------------

    @property
    @abstractmethod
    def origin(self) -> Origin: ...

    @abstractmethod
    def info(self) -> MirrorInfo:
        """The origin, counts, and the last run (its time, what it did)."""

    # -- reads ---------------------------------------------------------------------------------

    @abstractmethod
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

    @abstractmethod
    def count_listed(self, *, user: str | None = None, needle: str = "") -> int:
        """How many threads the app lists (not gone), of ``user``, containing ``needle``
        (lower case) in their title, user or id."""

    @abstractmethod
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

    @abstractmethod
    def listed_position(
        self,
        thread_id: str,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        needle: str = "",
    ) -> int | None:
        """Where ``thread_id`` stands among the listed threads (None: not among them)."""

    def iter_threads(
        self,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        gone: bool | None = None,
    ) -> Iterator[MirrorThread]:
        """Every thread :meth:`threads` lists, page after page."""
        after: str | None = None
        while True:
            page = self.threads(user=user, order=order, after=after, limit=500, gone=gone)
            yield from page.data
            if page.after is None:
                return
            after = page.after

    @abstractmethod
    def thread(self, thread_id: str) -> MirrorThread | None: ...

    @abstractmethod
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

    @abstractmethod
    def item_seq(self, thread_id: str, item_id: str) -> int | None:
        """The place (``seq``) of the item ``item_id`` in its thread; None if not held."""

    def all_items(self, thread_id: str) -> list[MirrorItem]:
        out: list[MirrorItem] = []
        after: int | None = None
        while True:
            page = self.items(thread_id, after=after, limit=1000)
            out.extend(page.data)
            if page.after is None:
                return out
            after = page.after

    def search(
        self,
        query: str,
        *,
        user: str | None = None,
        since: int | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """The best ``limit`` hits for ``query`` (the language: :mod:`.search`). ``kinds``
        limits them to those types (``"title"`` or item types, either spelling); ``since``
        to items (and threads, for titles) created at or after that epoch second; ``user``
        to that user's threads. The hits of :meth:`search_page`."""
        return self.search_page(query, user=user, since=since, kinds=kinds, limit=limit).hits

    @abstractmethod
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
        """:meth:`search`'s hits and how they were ranked: of at most ``ranked`` matches
        (default :data:`.search.RANKED`; the module's doc says which), so that a query
        that matches most items costs what one that matches a few thousand does."""

    @abstractmethod
    def count_matches(
        self,
        query: str,
        *,
        user: str | None = None,
        since: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> int:
        """How many items and titles match ``query`` with these filters (every one read:
        ask for it apart from, and after, the first page of hits)."""

    @abstractmethod
    def types(self) -> list[str]:
        """What ``search(kinds=...)`` can be given: the item types held (without their
        ``chatkit.`` prefix) and ``title`` when a thread has one."""

    @abstractmethod
    def failures(self) -> list[Failure]: ...

    @abstractmethod
    def unreadable(self) -> list[bytes]:
        """Listed records that had no id, as they came."""

    @abstractmethod
    def summary_reader(self) -> AbstractContextManager[SummaryReader]:
        """Insights' summary tables to read (:mod:`chatkit_tui.core.insights.sections`),
        under the mirror's lock; ``has_summaries()`` False when they are not built."""

    # -- what a run reads ------------------------------------------------------------------------

    @abstractmethod
    def known(self, thread_ids: Sequence[str]) -> dict[str, Known]:
        """What the mirror holds of these threads (those it has)."""

    @abstractmethod
    def present_ids(self, user: str | None = None) -> set[str]:
        """Threads not marked gone (of ``user``, when given)."""

    @abstractmethod
    def total_changes(self) -> int:
        """Rows changed through this connection since it was opened."""

    # -- writes (a run) ------------------------------------------------------------------------

    def batch(self) -> AbstractContextManager[object]:
        """Several :meth:`save_thread` calls in one transaction: all of them are committed
        or none is (each thread stays whole or absent), for an engine whose commits cost
        round trips (PostgreSQL). The default: each call its own transaction."""
        return nullcontext()

    @abstractmethod
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
        search rows and its title's, ``items_after``, its failure cleared. An item whose id
        the thread holds already is not written again."""

    @abstractmethod
    def save_unreadable(self, raw: bytes, error: str, now: int | None = None) -> bool:
        """Keep a listed record that had no id; False if it was kept already."""

    @abstractmethod
    def mark_gone(self, thread_ids: Iterable[str], now: int | None = None) -> int:
        """Mark threads deleted upstream (their content stays); how many were marked."""

    @abstractmethod
    def prune(self, user: str | None = None) -> int:
        """Delete the threads marked gone (of ``user``), their items and search rows."""

    @abstractmethod
    def record_failure(self, thread_id: str, error: str, now: int | None = None) -> None: ...

    @abstractmethod
    def forget_failures(self, keep: set[str]) -> int:
        """Drop failures of threads not in ``keep`` (no longer listed, nor held)."""

    @abstractmethod
    def record_run(self, run: RunRecord) -> None: ...


# --- rows as records (both engines read the same columns) --------------------------------------

THREAD_COLUMNS = (
    "id, created_at, user, title, status, raw, readable, item_count, items_after,"
    " first_seen, changed_at, gone_at"
)
RUN_COLUMNS = (
    "started_at, finished_at, user, listing_complete, interrupted, threads, new, changed,"
    " grown, items, gone, failed, pruned, requests"
)


def now_or(now: int | None) -> int:
    return int(time.time()) if now is None else now


def origin_from_meta(meta: dict[str, str | None]) -> Origin:
    kind = meta.get("origin_kind") or "hosted"  # mirrors made before it was recorded: hosted
    return Origin(meta.get("base_url") or "", meta.get("organization"), meta.get("project"), kind)


def same_origin(mine: Origin, origin: Origin) -> Origin | None:
    """None when ``origin`` is the mirror's; else it as compared (trailing slash dropped)."""
    given = Origin(origin.base_url.rstrip("/"), origin.organization, origin.project, origin.kind)
    return None if mine == given else given


def thread_from_row(row: Sequence[object]) -> MirrorThread:
    def opt_int(value: object) -> int | None:
        return None if value is None else int(value)  # type: ignore[call-overload]

    def opt_str(value: object) -> str | None:
        return None if value is None else str(value)

    return MirrorThread(
        id=str(row[0]),
        created_at=int(row[1]),  # type: ignore[call-overload]
        user=opt_str(row[2]),
        title=opt_str(row[3]),
        status=opt_str(row[4]),
        raw=bytes(row[5]),  # type: ignore[arg-type]
        readable=bool(row[6]),
        item_count=int(row[7]),  # type: ignore[call-overload]
        items_after=opt_str(row[8]),
        first_seen=int(row[9]),  # type: ignore[call-overload]
        changed_at=int(row[10]),  # type: ignore[call-overload]
        gone_at=opt_int(row[11]),
    )


def run_from_row(row: Sequence[object]) -> RunRecord:
    ints = [int(v) for v in row[3:]]  # type: ignore[call-overload]
    return RunRecord(
        float(row[0]),  # type: ignore[arg-type]
        float(row[1]),  # type: ignore[arg-type]
        None if row[2] is None else str(row[2]),
        bool(ints[0]),
        bool(ints[1]),
        *ints[2:],
    )
