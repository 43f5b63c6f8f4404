"""Local copies of threads, written before a thread is deleted.

Textual-free. :func:`archive_thread` fetches the thread's metadata and every item (all
pages, oldest first) and writes them as one JSON document in the user data directory
(``<user data dir>/chatkit-tui/archive``), so a mistaken delete loses nothing. Each
object is written as the JSON the server sent (see :func:`thread_document`). The
file is written to a temporary name, flushed to disk and renamed into place: a file that
exists is complete. If anything fails, the caller must not delete the thread.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatkit_tui.client.decoding import to_builtins
from chatkit_tui.core.fetch import fetch_thread
from chatkit_tui.core.paths import atomic_write, default_archive_dir, safe_filename

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.client.models import Thread, ThreadItem


def thread_document(thread: Thread, items: Iterable[ThreadItem]) -> dict[str, Any]:
    """The archive (and export) document: the thread and every item as the JSON the server
    sent, as plain data."""
    return {"thread": to_builtins(thread), "items": [to_builtins(item) for item in items]}


async def archive_thread(
    client: AsyncChatKit, thread_id: str, directory: Path | str | None = None
) -> Path:
    """Save ``thread_id`` (metadata and every item) as JSON; return the file's path.

    Raises the client's errors (``ChatKitError``) when the thread or its items
    cannot be read, and ``OSError`` when the file cannot be written.
    """
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
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"{safe_filename(thread_id)}-{stamp}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return atomic_write(path, text, private=True)
