"""A thread with every item, from any deployment. Textual-free."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import AnyThread, ThreadItem

ITEMS_PAGE_SIZE = 100  # the API's largest page


async def fetch_thread(client: Deployment, thread_id: str) -> tuple[AnyThread, list[ThreadItem]]:
    """The thread and all its items in reading order (every page, oldest first).

    The thread and the first page of items are asked for at once (one round trip, not
    two: a bulk delete archives every thread through here). The client's own error is
    raised (a 404 stays a NotFoundError), and the other request is cancelled.
    """

    thread = asyncio.ensure_future(client.threads.retrieve(thread_id))
    # an error of the thread request is read here if the items' error is the one raised
    thread.add_done_callback(lambda task: task.cancelled() or task.exception())
    try:
        items = await fetch_items(client, thread_id)
    except BaseException:
        thread.cancel()
        raise
    return await thread, items


async def fetch_items(client: Deployment, thread_id: str) -> list[ThreadItem]:
    """Every item of ``thread_id`` in reading order (every page, oldest first).

    What a caller that holds the thread already (a purge has it from the thread list)
    needs to archive it: one round trip for a thread of up to 100 items.
    """
    pages = client.threads.list_items(thread_id, limit=ITEMS_PAGE_SIZE, order="asc")
    return [item async for item in pages]
