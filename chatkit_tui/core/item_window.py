"""A thread's items read around a position: the page that holds item N, in one request,
however deep in the thread it is. Textual-free.

What is asked for is a position (:class:`ItemPosition`: the item's ``seq``, its index from
0 in the thread's order, as a mirror's search hit knows it), so any backend can answer:
a reader of a mirror file reads by ``seq``; over the API (hosted, or a mirror served on
loopback) :func:`items_around` asks for the page ``after`` the nearest earlier item that
has an id, the one cursor form both understand. The pages before it are asked for with
``before`` (the API's previous page), the pages after with ``after``, as ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatkit_tui.client.errors import BadRequestError

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import ItemPage


@dataclass(frozen=True, slots=True)
class ItemPosition:
    """Item ``seq`` of a thread (from 0), its id when it has one, and the nearest item
    before it that has an id (``after_id``, at ``after_seq``): the cursor of a page that
    begins at it. No ``after_id``: the page from the top holds it or leads to it."""

    seq: int
    item_id: str | None = None
    after_id: str | None = None
    after_seq: int | None = None

    @property
    def number(self) -> int:
        """The item's number as people count (the first is 1)."""
        return self.seq + 1


@dataclass(frozen=True, slots=True)
class ItemsAround:
    """The page read for a position and where it begins in the thread."""

    page: ItemPage
    first_seq: int
    """The position of ``page.data[0]`` (the item after the cursor's)."""
    cursor: str | None
    """The ``after`` cursor asked with (None: the thread's first page)."""


async def items_around(
    client: Deployment, thread_id: str, at: ItemPosition, *, limit: int
) -> ItemsAround:
    """The page of ``thread_id``'s items (oldest first) that begins just after the nearest
    earlier item with an id, so it holds item ``at.seq`` unless more than ``limit`` items
    without ids come between. One request. A cursor the server does not know (a live
    thread that is no longer as the mirror saw it: a 400) falls back to the first page."""
    if at.after_id is not None and at.after_seq is not None:
        try:
            page = await client.threads.list_items(
                thread_id, limit=limit, order="asc", after=at.after_id
            )
        except BadRequestError:
            pass
        else:
            return ItemsAround(page, at.after_seq + 1, at.after_id)
    page = await client.threads.list_items(thread_id, limit=limit, order="asc")
    return ItemsAround(page, 0, None)


async def items_before(client: Deployment, thread_id: str, before: str, *, limit: int) -> ItemPage:
    """The ``limit`` items just before the item whose cursor is ``before``, oldest first
    (the API's previous page; its ``has_more`` says whether more precede them)."""
    return await client.threads.list_items(thread_id, limit=limit, order="asc", before=before)
