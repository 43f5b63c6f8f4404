"""The mirror: every thread and item of a deployment in a local SQLite file or a
PostgreSQL database, searchable.

Textual-free. What the app and the CLI use:

- :class:`Mirror` (:mod:`.store`, the interface; the engines in :mod:`.engines`): open a
  file or a ``postgresql://`` URL (``Mirror.open(target, read_only=True)``),
  list threads keyset-paged (``threads()``), read a thread's items (``items()``), search
  (``search()`` -> :class:`SearchHit`), metadata (``info()``: origin, counts, last run).
  A read that meets a damaged page raises :class:`MirrorDamaged`.
- :func:`~.check.check` (:mod:`.check`): what is damaged, by thread; :func:`~.repair.repair`
  (:mod:`.repair`): keep what is whole, so that a ``--full`` run re-fetches the rest.
- :class:`MirrorSync` (:mod:`.sync`): one run from a client into a mirror.
- :func:`default_mirror_path`: where a deployment's mirror lives by default.

One writer at a time: a writable ``Mirror.open`` raises :class:`MirrorBusyError` while
another holds the file, :class:`MirrorReadOnlyError` for a read-only file or directory
(:mod:`.writer_lock`).
"""

from chatkit_tui.core.mirror.engines import postgres as postgres  # registers the engine
from chatkit_tui.core.mirror.engines import sqlite as sqlite  # registers the engine
from chatkit_tui.core.mirror.search import SearchHit, SearchResult
from chatkit_tui.core.mirror.store import (
    Failure,
    LayoutUpgrade,
    Mirror,
    MirrorBusyError,
    MirrorDamaged,
    MirrorError,
    MirrorInfo,
    MirrorItem,
    MirrorLoginRefused,
    MirrorOfAnother,
    MirrorPage,
    MirrorReadOnlyError,
    MirrorThread,
    MirrorUnreachable,
    Origin,
    RunRecord,
    default_mirror_dir,
    default_mirror_path,
)
from chatkit_tui.core.mirror.sync import MirrorSync, SyncProgress, SyncSummary, ThreadOutcome
from chatkit_tui.core.mirror.url import (
    MirrorTarget,
    MirrorUrl,
    is_mirror_url,
    mirror_target,
    redact,
)

__all__ = [
    "Failure",
    "LayoutUpgrade",
    "Mirror",
    "MirrorBusyError",
    "MirrorDamaged",
    "MirrorError",
    "MirrorInfo",
    "MirrorItem",
    "MirrorLoginRefused",
    "MirrorOfAnother",
    "MirrorPage",
    "MirrorReadOnlyError",
    "MirrorSync",
    "MirrorTarget",
    "MirrorThread",
    "MirrorUnreachable",
    "MirrorUrl",
    "Origin",
    "RunRecord",
    "SearchHit",
    "SearchResult",
    "SyncProgress",
    "SyncSummary",
    "ThreadOutcome",
    "default_mirror_dir",
    "default_mirror_path",
    "is_mirror_url",
    "mirror_target",
    "redact",
]
