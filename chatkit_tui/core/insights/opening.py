"""Opening a mirror for insights: read-only, with its summaries built first when the file
was made before them and can be written here. Textual-free.

Not imported by the package's ``__init__`` (the mirror's store imports
:mod:`.summaries`; this imports the mirror).
"""

from __future__ import annotations

from pathlib import Path

from chatkit_tui.core.insights.sections import missing_message
from chatkit_tui.core.insights.summaries import SummariesMissing, has_summaries
from chatkit_tui.core.mirror import Mirror, MirrorReadOnlyError
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
from chatkit_tui.core.mirror.url import MirrorUrl, is_mirror_url, redact

__all__ = ["open_for_insights"]


def open_for_insights(path: str | Path | MirrorUrl, *, build: bool = True) -> SqliteMirror:
    """The mirror at ``path`` open read-only, its summaries built. A file of an older
    layout (no summaries) is opened writable once so that its layout upgrade builds them
    (what the next ``mirror`` run would do; a minute or so per million threads), then
    read-only again. :class:`SummariesMissing` when it cannot be written here (a
    read-only file, directory or medium) and :class:`MirrorBusyError` while a run holds it
    (that run builds them); with ``build`` False (``--read-only``) nothing is written:
    :class:`SummariesMissing` for such a file. ``FileNotFoundError``, :class:`MirrorError` and
    :class:`MirrorDamaged` as :meth:`Mirror.open` raises them."""
    if isinstance(path, MirrorUrl) or (isinstance(path, str) and is_mirror_url(path)):
        shown = str(path) if isinstance(path, MirrorUrl) else redact(path)  # no password
        raise SummariesMissing(
            f"insights reads a mirror file (SQLite); the mirror at {shown} is in PostgreSQL, "
            "where its summary tables are not kept yet: mirror the deployment to a file "
            "too (chatkit-tui mirror --db FILE), then chatkit-tui insights --db FILE"
        )
    mirror = Mirror.open(path, read_only=True)
    if not isinstance(mirror, SqliteMirror):  # pragma: no cover - a URL is refused above
        mirror.close()
        raise SummariesMissing(f"insights reads a mirror file (SQLite), not {path}")
    with mirror.reading() as db:
        ready = has_summaries(db)
    if ready:
        return mirror
    mirror.close()
    if not build:
        raise SummariesMissing(missing_message(path))
    try:
        Mirror.open(path).close()  # the layout upgrade builds them (one transaction)
    except MirrorReadOnlyError:
        raise SummariesMissing(missing_message(path)) from None
    reopened = Mirror.open(path, read_only=True)
    assert isinstance(reopened, SqliteMirror)
    return reopened
