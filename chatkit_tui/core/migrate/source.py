"""Where a migration reads: any deployment, or a mirror file directly.

A :class:`Source` gives pages of threads, newest first, each with the raw JSON of its
items oldest first (the bytes the origin sent: what the mapping converts and the
fingerprint hashes), or the reason they could not be read. :class:`DeploymentSource`
reads any deployment through its interface (the hosted API, ``--demo``); for a mirror
:class:`MirrorSource` reads the file's records as they are, a page of threads and all
their items in one step on a worker thread, with no decoding: the bytes are all a
migration needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chatkit_tui.core.migrate.mapping import why

if TYPE_CHECKING:
    from chatkit_tui.core.mirror import Mirror

__all__ = ["DeploymentSource", "MirrorSource", "Source", "SourceThread"]

PAGE = 100

Page = list[tuple["SourceThread", Sequence[bytes] | None]]
"""Threads and their items' raw JSON (None when ``error`` says why they could not be read)."""


@dataclass(frozen=True)
class SourceThread:
    id: str
    user: str | None
    raw: bytes
    error: str | None = None


class Source(Protocol):
    def pages(self) -> AsyncIterator[Page]: ...


class DeploymentSource:
    """Any deployment (:mod:`chatkit_tui.client.deployment`): its threads newest first,
    down to ``since`` (epoch seconds), of ``user`` if given."""

    def __init__(self, deployment: Any, *, user: str | None = None, since: int | None = None):
        self.deployment = deployment
        self.user = user
        self.since = since

    async def pages(self) -> AsyncIterator[Page]:
        """A page of the deployment's thread list at a time, each thread with its items."""
        threads = self.deployment.threads
        listing = threads.list(user=self.user, order="desc", limit=PAGE)
        async for listed in listing.pages():
            page: Page = []
            done = False
            for thread in listed.data:
                created = getattr(thread, "created_at", None)
                if self.since is not None and isinstance(created, int) and created < self.since:
                    done = True
                    break
                page.append(await self._read(thread))
            if page:
                yield page
            if done:
                return

    async def _read(self, thread: Any) -> tuple[SourceThread, Sequence[bytes] | None]:
        thread_id: str = getattr(thread, "id", None) or "?"
        user: str | None = getattr(thread, "user", None) or None
        error = getattr(thread, "error", None)
        if error is not None:  # an UnreadableThread
            return SourceThread(thread_id, user, thread.raw, f"unreadable: {error}"), None
        try:
            pager = self.deployment.threads.list_items(thread_id, order="asc", limit=PAGE)
            raws = [item.raw async for item in pager]
        except Exception as exc:  # nothing of it is written; tried next run
            return SourceThread(thread_id, user, thread.raw, f"reading its items: {why(exc)}"), None
        return SourceThread(thread_id, user, thread.raw), raws


class MirrorSource:
    """A mirror file's threads (not those gone upstream), newest first, read directly."""

    def __init__(self, mirror: Mirror, *, user: str | None = None, since: int | None = None):
        self.mirror = mirror
        self.user = user
        self.since = since

    def _count(self) -> int | None:
        """Through the mirror's own interface (a file or a database alike): the threads
        listed, of the user; with ``since``, unknown (None: the bar counts up instead)."""
        if self.since is not None:
            return None
        return self.mirror.count_listed(user=self.user)

    async def count(self) -> int | None:
        """The threads :meth:`pages` gives (one query: the progress bar's total), or None."""
        return await asyncio.to_thread(self._count)

    def _page(self, after: str | None) -> tuple[Page, str | None]:
        page = self.mirror.threads(
            user=self.user, order="desc", after=after, limit=PAGE, gone=False
        )
        out: Page = []
        for thread in page.data:
            if self.since is not None and thread.created_at < self.since:
                return out, None
            if not thread.readable:
                error = "unreadable: the mirror holds it as sent, and it did not decode"
                out.append((SourceThread(thread.id, thread.user, thread.raw, error), None))
                continue
            raws = [item.raw for item in self.mirror.all_items(thread.id)]
            out.append((SourceThread(thread.id, thread.user or None, thread.raw), raws))
        return out, page.after

    async def pages(self) -> AsyncIterator[Page]:
        after: str | None = None
        while True:
            page, after = await asyncio.to_thread(self._page, after)
            if page:
                yield page
            if after is None:
                return
