"""The summary tables insights reads, kept current by ``mirror`` itself (in the same
transaction as each thread it writes). STUB in the interface commit: filled in next."""

from __future__ import annotations

from chatkit_tui.core.mirror import MirrorError

__all__ = ["SummariesMissing"]


class SummariesMissing(MirrorError):
    """The mirror was made before insights and could not be given its summaries here (it
    is open read-only, or another writer holds it): the message says what to run."""
