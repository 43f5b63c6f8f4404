"""Export a thread and its items as JSON and as a readable Markdown transcript.

Textual-free. JSON is ``{"thread": ..., "items": [...]}`` with every object written back
as the JSON the server sent (:func:`chatkit_tui.core.archive.document_bytes`, the same
writer as the archive's): nothing is written from a decoded Struct. The transcript is
:mod:`.transcript`. Both files are written atomically
(:func:`chatkit_tui.core.paths.atomic_write`).
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from chatkit_tui.core.archive import document_bytes
from chatkit_tui.core.fetch import fetch_thread
from chatkit_tui.core.paths import atomic_write, default_export_dir, safe_filename
from chatkit_tui.core.transcript import to_markdown

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import AnyThread, ThreadItem


class ExportExists(FileExistsError):
    """A file the export would write is there, and it was told not to replace it."""


Existing = Literal["overwrite", "refuse", "new name"]
"""What :func:`export_thread` does when a file it would write exists."""


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
    existing: Existing = "overwrite",
) -> ExportPaths:
    """Write ``<thread_id>.json`` and ``<thread_id>.md``; return where they went.

    ``thread_id`` names the files when the thread's own record has no id to give (it did
    not decode). ``existing``, when either file is there already: ``"overwrite"`` it,
    ``"refuse"`` (FileExistsError naming the file, before anything is written), or take a
    ``"new name"`` for both (``<id>-2.json`` and ``<id>-2.md``, then ``-3``, ...). (Looked
    at just before writing: a file made meanwhile by someone else can still be replaced.)"""
    target = directory if directory is not None else default_export_dir()
    stem = safe_filename(thread.id or thread_id or "thread")
    paths = _named(target, stem)
    if existing == "new name":
        n = 2
        while taken := _taken(paths):
            if n > 10_000:
                raise FileExistsError(errno.EEXIST, "too many exports of this thread", str(taken))
            paths, n = _named(target, f"{stem}-{n}"), n + 1
    elif existing == "refuse" and (taken := _taken(paths)) is not None:
        raise ExportExists(errno.EEXIST, "the file exists", str(taken))
    atomic_write(paths.json, to_json(thread, items))
    atomic_write(paths.markdown, to_markdown(thread, items))
    return paths


def _named(directory: Path, stem: str) -> ExportPaths:
    return ExportPaths(json=directory / f"{stem}.json", markdown=directory / f"{stem}.md")


def _taken(paths: ExportPaths) -> Path | None:
    """The first of the two files that exists (a dangling link counts), else None."""
    return next((p for p in (paths.json, paths.markdown) if p.exists() or p.is_symlink()), None)


async def export_thread_by_id(
    client: Deployment,
    thread_id: str,
    directory: Path | None = None,
    *,
    existing: Existing = "overwrite",
) -> ExportPaths:
    thread, items = await fetch_thread(client, thread_id)
    return export_thread(thread, items, directory, thread_id=thread_id, existing=existing)
