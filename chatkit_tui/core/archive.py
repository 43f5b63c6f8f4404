"""Local copies of threads, written before a thread is deleted.

Textual-free. :func:`archive_thread` fetches the thread's metadata and every item (all
pages, oldest first) and writes them as one JSON document in the user data directory
(``<user data dir>/chatkit-tui/archive``), so a mistaken delete loses nothing. Each
object is written as the JSON the server sent (see :func:`document_bytes`). The
file is written to a temporary name, flushed to disk and renamed into place: a file that
exists is complete. If anything fails, the caller must not delete the thread.

A caller that holds the thread already, as the thread list sent it (a purge), passes it
as ``listed``: then only the items are fetched, and the document's ``thread_from`` says
``"list"`` (the thread's JSON is the list page's copy, byte for byte) instead of
``"retrieve"`` (a ``GET`` of the thread itself, made at once with the first page of items).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import msgspec

from chatkit_tui.client.decoding import encode
from chatkit_tui.core.fetch import fetch_items, fetch_thread
from chatkit_tui.core.paths import atomic_write, default_archive_dir, safe_filename

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import ThreadItem

ThreadFrom = Literal["retrieve", "list"]
"""Where an archive's thread JSON came from: its own GET, or the thread list's page."""


async def read_for_archive(
    client: Deployment, thread_id: str, listed: object | None = None
) -> tuple[object, list[ThreadItem], ThreadFrom]:
    """The thread, its items and where the thread came from: ``listed`` when given (only
    the items are fetched), else a fresh ``GET`` of the thread. Raises the client's errors."""
    if listed is not None:
        return listed, await fetch_items(client, thread_id), "list"
    thread, items = await fetch_thread(client, thread_id)
    return thread, items, "retrieve"


def deployment_of(client: Deployment) -> dict[str, str]:
    """Which deployment a record came from, for an archive's head: its kind and where it
    is (an endpoint, a Store's spec; any ``user:password@`` of a URL left out), and its
    organization and project when it has them. Never a key or a header value."""
    where = client.base_url
    parts = urlsplit(where)
    if parts.scheme and "@" in parts.netloc:
        where = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    named = {"kind": client.capabilities.kind, "where": where}
    for field in ("organization", "project"):
        value = getattr(client, field, None)
        if isinstance(value, str) and value:
            named[field] = value
    return named


async def save_archive(
    thread_id: str,
    thread: object,
    items: Iterable[ThreadItem],
    directory: Path | str | None = None,
    *,
    thread_from: ThreadFrom = "retrieve",
    deployment: dict[str, str] | None = None,
) -> Path:
    """Write the archive of ``thread_id``; return its path. ``OSError`` if it cannot be.
    ``deployment``: :func:`deployment_of` the client it was read from."""
    data = archive_bytes(thread, items, thread_from=thread_from, deployment=deployment)
    target_dir = Path(directory) if directory is not None else default_archive_dir()
    # the file's writes and fsync off the event loop (a bulk delete writes many of these);
    # the JSON is made here, in C and in microseconds: a worker thread running Python would
    # hold the GIL against the loop (and wait for it), costing ms per thread at 8 at a time
    return await asyncio.to_thread(write_archive, target_dir, thread_id, data)


def document_bytes(
    thread: object, items: Iterable[ThreadItem], head: dict[str, Any] | None = None
) -> bytes:
    """``{**head, "thread": ..., "items": [...]}`` as indented JSON, each record written as
    its own bytes (the JSON the server sent: numbers and escapes as they came), indented
    by msgspec. The one writer of the archive and the export alike."""
    document: dict[str, Any] = {
        **(head or {}),
        "thread": msgspec.Raw(encode(thread)),
        "items": [msgspec.Raw(encode(item)) for item in items],
    }
    compact = msgspec.json.encode(document)
    try:
        return msgspec.json.format(compact, indent=2) + b"\n"
    except RecursionError:  # a record nested too deeply to indent: written as it came
        return compact + b"\n"


def archive_bytes(
    thread: object,
    items: Iterable[ThreadItem],
    *,
    thread_from: ThreadFrom,
    deployment: dict[str, str] | None = None,
) -> bytes:
    """The archive document: ``archived_at``, ``thread_from``, ``deployment`` (which one it
    was read from, when known), then the thread and every item (:func:`document_bytes`)."""
    head: dict[str, Any] = {
        "archived_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "thread_from": thread_from,
    }
    if deployment is not None:
        head["deployment"] = deployment
    return document_bytes(thread, items, head)


async def archive_thread(
    client: Deployment,
    thread_id: str,
    directory: Path | str | None = None,
    *,
    listed: object | None = None,
) -> Path:
    """Save ``thread_id`` (metadata and every item) as JSON; return the file's path.

    Raises the client's errors (``ChatKitError``) when the thread or its items
    cannot be read, and ``OSError`` when the file cannot be written.
    """
    thread, items, thread_from = await read_for_archive(client, thread_id, listed)
    return await save_archive(
        thread_id, thread, items, directory, thread_from=thread_from,
        deployment=deployment_of(client),
    )  # fmt: skip


def write_archive(directory: Path, thread_id: str, data: bytes) -> Path:
    """Write ``data`` atomically as ``<id>-<UTC time>.json`` (private to the user)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"{safe_filename(thread_id)}-{stamp}.json"
    return atomic_write(path, data, private=True)
