"""Messages posted by the workers (past tense: what happened), handled by the screen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from chatkit_tui.client.models import AnyThread, ItemPage, ThreadPage
from chatkit_tui.core.item_window import ItemsAround


@dataclass
class ThreadsLoaded(Message):
    """A page of threads arrived for list generation ``generation`` (after cursor ``after``)."""

    generation: int
    after: str | None
    page: ThreadPage


@dataclass
class ItemsLoaded(Message):
    """A page of items arrived for ``thread_id`` (after cursor ``after``)."""

    thread_id: str
    after: str | None
    page: ItemPage


@dataclass
class ItemsAroundLoaded(Message):
    """The page of ``thread_id``'s items read around a position (a search hit)."""

    thread_id: str
    around: ItemsAround


@dataclass
class EarlierItemsLoaded(Message):
    """A page of the items before cursor ``before`` of ``thread_id`` (scrolling up)."""

    thread_id: str
    before: str
    page: ItemPage


@dataclass
class ThreadFetched(Message):
    """One thread retrieved by id (the palette's "jump to thread")."""

    thread: AnyThread


@dataclass
class ThreadArchived(Message):
    """The thread was saved locally; its row goes and the DELETE is under way."""

    thread: AnyThread
    path: Path | None


@dataclass
class ThreadDeleted(Message):
    """The server deleted the thread (or it was already gone: ``already_gone``)."""

    thread: AnyThread
    path: Path | None
    already_gone: bool = False


@dataclass
class DeleteFailed(Message):
    """The DELETE failed (the row comes back) or archiving failed (nothing was deleted)."""

    thread: AnyThread
    reason: str
    archived: bool
