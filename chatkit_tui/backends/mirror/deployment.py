"""A mirror file read in process: the deployment interface over
:class:`~chatkit_tui.core.mirror.Mirror`, with no server on loopback.

Pages are the records' own JSON, as the origin sent them, decoded by the client's decoder
(each keeping its raw bytes), so the app, export and ``--json`` read a mirror as they read
the deployment. A copy cannot act on the deployment: it has no deletes and no sessions.
Threads marked gone (deleted upstream) are not listed, but a thread read by its id is
served even when gone. Item cursors are ``~seq:N`` (the item's place in its thread), or
an item's id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from chatkit_tui.backends.mirror import MIRROR
from chatkit_tui.client.decoding import decode_item_page, decode_thread, decode_thread_page
from chatkit_tui.client.errors import NotFoundError, PermissionDeniedError
from chatkit_tui.client.pages import AsyncPager, Params
from chatkit_tui.core.mirror import Mirror

_encoder = msgspec.json.Encoder()

if TYPE_CHECKING:
    from types import TracebackType

    from chatkit_tui.client.deployment import Capabilities
    from chatkit_tui.client.models import (
        AnyThread,
        ItemPage,
        Order,
        ThreadDeleted,
        ThreadItem,
        ThreadPage,
    )

__all__ = ["SEQ_CURSOR", "MirrorDeployment"]

SEQ_CURSOR = "~seq:"
_MAX_PAGE = 100


def _page_bytes(
    records: Sequence[bytes], has_more: bool, first: str | None, last: str | None
) -> bytes:
    """A list page of the records' own JSON, as the origin's API would send it."""
    envelope = _encoder.encode({"first_id": first, "last_id": last, "has_more": has_more})
    return b'{"object":"list","data":[' + b",".join(records) + b"]," + envelope[1:]


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(what, status_code=404, type="not_found")


class MirrorThreads:
    def __init__(self, deployment: MirrorDeployment) -> None:
        self._d = deployment

    async def retrieve(self, thread_id: str) -> AnyThread:
        thread = await self._d.run(self._d.mirror.thread, thread_id)
        if thread is None:
            raise _not_found(f"no thread {thread_id!r} in the mirror {self._d.mirror.path}")
        return decode_thread(thread.raw)

    async def delete(self, thread_id: str) -> ThreadDeleted:
        raise PermissionDeniedError(
            MIRROR.missing("delete a thread: it is a copy; delete on the deployment itself"),
            status_code=403,
        )

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ThreadPage, AnyThread]:
        if before is not None:
            raise ValueError(MIRROR.missing("page backwards (no before cursor)"))

        async def fetch(query: Params) -> ThreadPage:
            return await self._d.run(self._thread_page, query)

        params: Params = {"limit": min(limit or 20, _MAX_PAGE), "order": order or "desc"}
        if after is not None:
            params["after"] = after
        if user is not None:
            params["user"] = user
        return AsyncPager(fetch, params)

    def _thread_page(self, query: Params) -> ThreadPage:
        after = query.get("after")
        user = query.get("user")
        try:
            page = self._d.mirror.threads(
                user=None if user is None else str(user),
                order="asc" if query.get("order") == "asc" else "desc",
                after=None if after is None else str(after),
                limit=int(query["limit"]),
                gone=False,
            )
        except KeyError:
            raise _not_found(f"the cursor {after!r} names no thread in the mirror") from None
        records = [t.raw for t in page.data]
        first = page.data[0].id if page.data else None
        last = page.data[-1].id if page.data else None
        return decode_thread_page(_page_bytes(records, page.has_more, first, last))

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ItemPage, ThreadItem]:
        if before is not None:
            raise ValueError(MIRROR.missing("page backwards (no before cursor)"))

        async def fetch(query: Params) -> ItemPage:
            return await self._d.run(self._item_page, thread_id, query)

        params: Params = {"limit": min(limit or 20, _MAX_PAGE), "order": order or "desc"}
        if after is not None:
            params["after"] = after
        return AsyncPager(fetch, params)

    def _item_page(self, thread_id: str, query: Params) -> ItemPage:
        mirror = self._d.mirror
        if mirror.thread(thread_id) is None:
            raise _not_found(f"no thread {thread_id!r} in the mirror {mirror.path}")
        after = query.get("after")
        seq: int | None = None
        if after is not None:
            seq = self._seq_of(thread_id, str(after))
        order = "asc" if query.get("order") == "asc" else "desc"
        page = mirror.items(thread_id, after=seq, limit=int(query["limit"]), order=order)
        records = [item.raw for item in page.data]
        first = _cursor(page.data[0]) if page.data else None
        last = _cursor(page.data[-1]) if page.data else None
        return decode_item_page(_page_bytes(records, page.has_more, first, last))

    def _seq_of(self, thread_id: str, cursor: str) -> int:
        rest = cursor.removeprefix(SEQ_CURSOR)
        if rest != cursor and rest.isdigit():
            return int(rest)
        seq = self._d.mirror.item_seq(thread_id, cursor)
        if seq is None:
            raise _not_found(f"the cursor {cursor!r} names no item of thread {thread_id!r}")
        return seq


def _cursor(item: Any) -> str:
    return f"{SEQ_CURSOR}{item.seq}"


class MirrorDeployment:
    """The deployment interface over an open mirror (which it closes). Reads run on a
    worker thread, so a large page never stalls the event loop."""

    capabilities: Capabilities = MIRROR

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        origin = mirror.origin
        if origin.kind != "hosted":  # a self-hosted deployment's threads name no user
            self.capabilities = msgspec.structs.replace(MIRROR, user_filter=False, users=False)
        self.base_url = origin.base_url
        self.organization = origin.organization
        self.project = origin.project
        self.threads = MirrorThreads(self)

    @classmethod
    def open(cls, path: Any) -> MirrorDeployment:
        return cls(Mirror.open(path, read_only=True))

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    def __repr__(self) -> str:
        return f"MirrorDeployment({str(self.mirror.path)!r})"

    async def close(self) -> None:
        self.mirror.close()

    async def __aenter__(self) -> MirrorDeployment:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
