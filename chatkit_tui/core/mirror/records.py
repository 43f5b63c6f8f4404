"""What a mirror holds and reports, as plain records (:mod:`.store` reads and writes
them). Textual-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from chatkit_tui.core.mirror.url import MirrorUrl

if TYPE_CHECKING:
    from chatkit_tui.client.models import AnyThread, ThreadItem

__all__ = [
    "Failure",
    "ItemRecord",
    "Known",
    "LayoutUpgrade",
    "MirrorInfo",
    "MirrorItem",
    "MirrorPage",
    "MirrorThread",
    "Origin",
    "RunRecord",
    "ThreadRecord",
]

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Origin:
    """The deployment a mirror copies."""

    base_url: str
    organization: str | None = None
    project: str | None = None
    kind: str = "hosted"
    """What kind of deployment: ``hosted`` (OpenAI's API), ``chatkit-python`` (the
    operator's own server: its records are chatkit-python's JSON)."""

    def __str__(self) -> str:
        return self._said(None)

    def against(self, other: Origin) -> str:
        """As ``str()``; beside an ``other`` of the same endpoint, "no organization" / "no
        project" where ``other`` has one and this has none, so that two origins which
        differ only there read apart (it was "a mirror of URL, not of URL (organization
        org_b)")."""
        same_place = (self.base_url.rstrip("/"), self.kind) == (
            other.base_url.rstrip("/"),
            other.kind,
        )
        return self._said(other if same_place else None)

    def _said(self, other: Origin | None) -> str:
        named: list[str] = []
        for label, mine, theirs in (
            ("organization", self.organization, other and other.organization),
            ("project", self.project, other and other.project),
        ):
            if mine:
                named.append(f"{label} {mine}")
            elif theirs:
                named.append(f"no {label}")
        where = self.base_url + (f" ({', '.join(named)})" if named else "")
        return where if self.kind == "hosted" else f"{self.kind} deployment {where}"


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """A thread as a run writes it: what the list sent, and the fields read from it."""

    id: str
    raw: bytes
    created_at: int
    user: str | None
    title: str | None
    status: str | None
    readable: bool


@dataclass(frozen=True, slots=True)
class ItemRecord:
    raw: bytes
    id: str | None
    created_at: int | None
    type: str | None
    """Without the ``chatkit.`` prefix."""


@dataclass(frozen=True, slots=True)
class Known:
    """What the mirror holds of a thread, for a run to compare the list with."""

    raw: bytes
    items_after: str | None
    item_count: int
    gone: bool


@dataclass(frozen=True, slots=True)
class MirrorThread:
    """A mirrored thread: the fields to list it by, and its JSON as the origin sent it."""

    id: str
    created_at: int
    user: str | None
    title: str | None
    status: str | None
    raw: bytes
    readable: bool
    item_count: int
    items_after: str | None
    first_seen: int
    changed_at: int
    gone_at: int | None

    @property
    def gone(self) -> bool:
        """Deleted upstream (a full listing no longer had it); its content is kept."""
        return self.gone_at is not None

    def decoded(self) -> AnyThread:
        """The thread as the client decodes it (``Thread``, or ``UnreadableThread``)."""
        from chatkit_tui.client.decoding import decode_thread

        return decode_thread(self.raw)


@dataclass(frozen=True, slots=True)
class MirrorItem:
    thread_id: str
    seq: int
    """Its place in the thread, from 0, in the origin's order."""
    id: str | None
    created_at: int | None
    type: str | None
    raw: bytes

    def decoded(self) -> ThreadItem:
        """The item as the client decodes it (a known item or an ``UnknownItem``)."""
        from chatkit_tui.client.decoding import decode_item

        return decode_item(self.raw)


@dataclass(frozen=True, slots=True)
class MirrorPage(Generic[T, C]):
    """A page of a keyset-paged list; ``after`` is the cursor for the next (None at the end)."""

    data: list[T]
    has_more: bool
    after: C | None


@dataclass(frozen=True, slots=True)
class Failure:
    thread_id: str
    error: str
    runs: int
    """How many runs have failed on it (it is tried again each run)."""
    first_failed_at: int
    last_failed_at: int


@dataclass(slots=True)
class RunRecord:
    """One finished (or interrupted) run, as ``runs`` keeps it."""

    started_at: float
    finished_at: float
    user: str | None = None
    listing_complete: bool = False
    interrupted: bool = False
    threads: int = 0
    new: int = 0
    changed: int = 0
    grown: int = 0
    """Threads whose JSON was the same but that had new items."""
    items: int = 0
    """Items written."""
    gone: int = 0
    failed: int = 0
    pruned: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class MirrorInfo:
    path: Path | MirrorUrl
    """The file, or the database (its URL shown without its password)."""
    origin: Origin
    created_at: int
    version: str
    """The chatkit-tui version that made the file."""
    threads: int
    """Threads held, gone ones included."""
    gone: int
    items: int
    failures: int
    unreadable: int
    last_run: RunRecord | None
    runs: int
    last_complete_sync: float | None = None
    """When the last run that read the whole list and was not interrupted finished: what
    the mirror is known to be a copy of (a failed run since then changes nothing)."""

    @property
    def last_sync(self) -> float | None:
        """When the last run finished (epoch seconds), None before the first; it may have
        failed or been cut short: :attr:`last_complete_sync` is the one to trust."""
        return None if self.last_run is None else self.last_run.finished_at


@dataclass(frozen=True, slots=True)
class LayoutUpgrade:
    """What opening a file of an older layout for writing did to it."""

    from_version: int
    to_version: int
    duplicates_removed: int
    """Item rows removed: second (and later) copies of an item a thread held twice."""
    threads_repaired: int
    """Threads that held such copies (their items numbered again, their count set)."""
