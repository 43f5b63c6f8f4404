"""Local copies of threads, written before a thread is deleted.

Textual-free. :func:`archive_thread` fetches the thread's metadata and every item
(all pages, oldest first) and writes them as one JSON document in the user data
directory (``platformdirs.user_data_dir("chatkit-tui")/archive``), so a mistaken
delete loses nothing. The file is written to a temporary name and renamed into
place: a file that exists is complete. If anything fails, the caller must not
delete the thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.client.models import Thread, ThreadItem

APP_NAME = "chatkit-tui"
ITEMS_PAGE_SIZE = 100  # the API's largest page


def default_archive_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "archive"


async def fetch_thread(client: AsyncChatKit, thread_id: str) -> tuple[Thread, list[ThreadItem]]:
    """The thread and all its items in reading order, through an AsyncChatKit client.

    The thread and the first page of items are asked for at once (one round trip, not
    two: a bulk delete archives every thread through here). The client's own error is
    raised (a 404 stays a NotFoundError), and the other request is cancelled.
    """

    async def all_items() -> list[ThreadItem]:
        pages = client.threads.list_items(thread_id, limit=ITEMS_PAGE_SIZE, order="asc")
        return [item async for item in pages]

    thread = asyncio.ensure_future(client.threads.retrieve(thread_id))
    # an error of the thread request is read here if the items' error is the one raised
    thread.add_done_callback(lambda task: task.cancelled() or task.exception())
    try:
        items = await all_items()
    except BaseException:
        thread.cancel()
        raise
    return await thread, items


async def archive_thread(
    client: AsyncChatKit, thread_id: str, directory: Path | str | None = None
) -> Path:
    """Save ``thread_id`` (metadata and every item) as JSON; return the file's path.

    Raises the client's errors (``ChatKitError``) when the thread or its items
    cannot be read, and ``OSError`` when the file cannot be written.
    """
    from chatkit_tui.export import thread_document  # not at the app's start-up

    thread, items = await fetch_thread(client, thread_id)
    document: dict[str, Any] = {
        "archived_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **thread_document(thread, items),
    }
    target_dir = Path(directory) if directory is not None else default_archive_dir()
    # JSON encoding and fsync off the event loop: a bulk delete writes many of these
    return await asyncio.to_thread(write_archive, target_dir, thread.id, document)


def write_archive(directory: Path, thread_id: str, document: dict[str, Any]) -> Path:
    """Write ``document`` atomically as ``<id>-<UTC time>.json`` (private to the user)."""
    from chatkit_tui.export import safe_filename

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"{safe_filename(thread_id)}-{stamp}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    fd, tmp_name = tempfile.mkstemp(prefix=".archive-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
