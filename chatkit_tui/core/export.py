"""Export a thread and its items as JSON and as a readable Markdown transcript.

Textual-free. JSON is ``{"thread": ..., "items": [...]}`` with every object written back
as the JSON the server sent (:func:`chatkit_tui.core.archive.document_bytes`, the same
writer as the archive's): nothing is written from a decoded Struct. The transcript is
:mod:`.transcript`. Both files are written atomically
(:func:`chatkit_tui.core.paths.atomic_write`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_tui.core.archive import document_bytes
from chatkit_tui.core.fetch import fetch_thread
from chatkit_tui.core.paths import atomic_write, default_export_dir, safe_filename
from chatkit_tui.core.transcript import to_markdown

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import AnyThread, ThreadItem


@dataclass(frozen=True)
class ExportPaths:
    json: Path
    markdown: Path


def to_json(thread: AnyThread, items: Iterable[ThreadItem]) -> str:
    """``{"thread": ..., "items": [...]}``: the records as the server sent them, indented."""
    return document_bytes(thread, items).decode("utf-8")


def export_thread(
    thread: AnyThread,
    items: Sequence[ThreadItem],
    directory: Path | None = None,
    *,
    thread_id: str | None = None,
) -> ExportPaths:
    """Write ``<thread_id>.json`` and ``<thread_id>.md``; return where they went.

    ``thread_id`` names the files when the thread's own record has no id to give (it did
    not decode)."""
    target = directory if directory is not None else default_export_dir()
    stem = safe_filename(thread.id or thread_id or "thread")
    paths = ExportPaths(json=target / f"{stem}.json", markdown=target / f"{stem}.md")
    atomic_write(paths.json, to_json(thread, items))
    atomic_write(paths.markdown, to_markdown(thread, items))
    return paths


async def export_thread_by_id(
    client: Deployment, thread_id: str, directory: Path | None = None
) -> ExportPaths:
    thread, items = await fetch_thread(client, thread_id)
    return export_thread(thread, items, directory, thread_id=thread_id)
