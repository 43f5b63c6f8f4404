"""Opening a mirror for insights: read-only, with its summaries built first when it was
made before them and can be written here. Either engine (a file, or a ``postgresql://``
URL). Textual-free.

Not imported by the package's ``__init__`` (the mirror's store imports
:mod:`.summaries`; this imports the mirror).
"""

from __future__ import annotations

from pathlib import Path

from chatkit_tui.core.insights.sections import missing_message
from chatkit_tui.core.insights.summaries import SummariesMissing
from chatkit_tui.core.mirror import Mirror, MirrorReadOnlyError
from chatkit_tui.core.mirror.url import MirrorUrl, is_mirror_url

__all__ = ["open_for_insights"]


def open_for_insights(path: str | Path | MirrorUrl, *, build: bool = True) -> Mirror:
    """The mirror at ``path`` open read-only, its summaries built. A mirror of an older
    layout (no summaries) is opened writable once so that its layout upgrade builds them
    (what the next ``mirror`` run would do; a minute or so per million threads), then
    read-only again. :class:`SummariesMissing` when it cannot be written here (a
    read-only file, directory or medium) and :class:`MirrorBusyError` while a run holds it
    (that run builds them); with ``build`` False (``--read-only``) nothing is written:
    :class:`SummariesMissing` for such a mirror. ``FileNotFoundError``, :class:`MirrorError`
    and :class:`MirrorDamaged` as :meth:`Mirror.open` raises them. A URL's password is
    never in a message (:class:`MirrorUrl` shows itself redacted)."""
    if isinstance(path, str) and is_mirror_url(path):
        path = MirrorUrl(path)
    mirror = Mirror.open(path, read_only=True)
    try:
        with mirror.summary_reader() as db:
            ready = db.has_summaries()
    except BaseException:
        mirror.close()
        raise
    if ready:
        return mirror
    mirror.close()
    if not build:
        raise SummariesMissing(missing_message(path))
    try:
        Mirror.open(path).close()  # the layout upgrade builds them
    except MirrorReadOnlyError:
        raise SummariesMissing(missing_message(path)) from None
    return Mirror.open(path, read_only=True)
