"""The record of a migration: JSON lines, like the purge's (:class:`~.purge.PurgeReport`).

Lines: ``{"record": "run", ...}`` first (the source, the Store, the mode), then one
``{"record": "thread", "id", "user", "items", "outcome", "reason", "approximations",
"kept_items", "writes"}`` per thread as its outcome is known (``approximations``: one
``{"item", "what"}`` for each thing not carried over exactly), and ``{"record": "end",
...}`` with the counts when the run ends (a report without it is of a run that was
killed). Private to the user (0600), appended to when it exists, fsynced when closed.
"""

from __future__ import annotations

from pathlib import Path

from chatkit_tui.core.paths import JsonLinesReport, data_dir

__all__ = ["MigrateReport", "default_migrate_dir"]


def default_migrate_dir() -> Path:
    """Where ``migrate`` writes its reports when ``--report`` is not given."""
    return data_dir() / "migrations"


class MigrateReport(JsonLinesReport):
    prefix = "migrate"

    @classmethod
    def directory(cls) -> Path:
        return default_migrate_dir()
