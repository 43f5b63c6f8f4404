"""Archive, then delete: the one way a thread is deleted, by the app, the bulk runner, the
purge and the script CLI alike.

Textual-free. The thread (and every item) is archived first
(:mod:`chatkit_tui.core.archive`); if that fails the thread is *not* deleted. A 404, from
the archive's read or from the ``DELETE``, means it is gone already (someone else deleted
it): :attr:`Outcome.GONE`, not a failure. Every run ends in a :class:`DeleteResult` with
one of the :class:`Outcome` words; nothing is raised for an API or disk failure (the error
is kept on the result for its wording and exit code).

Two options serve the purge (:mod:`chatkit_tui.core.purge`): ``listed``, the thread as the
thread list sent it, so that only its items are read (one round trip saved; the archive
keeps the list's copy of the thread and says so), and ``still_wanted``, a last look at the
thread as it is about to be archived: a reason it returns means the thread is neither
archived nor deleted (:attr:`Outcome.SKIPPED`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_tui.client.errors import NotFoundError
from chatkit_tui.core.archive import deployment_of, read_for_archive, save_archive
from chatkit_tui.core.errors import describe

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment


class Outcome(StrEnum):
    DELETED = "deleted"
    GONE = "already gone"
    FAILED = "failed"
    SKIPPED = "skipped"  # still_wanted said no: neither archived nor deleted
    NOT_ATTEMPTED = "not attempted"  # a bulk run stopped before it came to the thread


@dataclass(frozen=True, slots=True)
class DeleteResult:
    thread_id: str
    outcome: Outcome
    archive: Path | None = None
    """Where the thread was archived (None: nothing was archived)."""
    reason: str | None = None
    """Why it failed, or a note ("nothing to archive"); plain text, not yet made safe."""
    error: BaseException | None = field(default=None, compare=False, repr=False)
    """The failure itself (for its wording, exit code or a retry), when there was one."""


async def archive_then_delete(
    client: Deployment,
    thread_id: str,
    *,
    archive_dir: Path | None = None,
    archived: Path | None = None,
    on_archived: Callable[[Path], object] | None = None,
    listed: object | None = None,
    still_wanted: Callable[[object], str | None] | None = None,
    may_delete: Callable[[], str | None] | None = None,
) -> DeleteResult:
    """Archive ``thread_id`` (unless ``archived`` names its archive already), then delete it.

    ``on_archived`` is called with the archive's path once it is written, before the
    ``DELETE`` is sent (the app takes the row out of the list then). ``listed``: the thread
    as listed (only its items are fetched). ``still_wanted``: called with the thread about
    to be archived (``listed``, or the one just read); a reason it returns stops there.
    ``may_delete``: called just before the ``DELETE`` is sent; a reason it returns means
    the thread stays, archived (:attr:`Outcome.NOT_ATTEMPTED`, e.g. the purge's report
    could not be written).
    """
    path = archived
    if path is None:
        try:
            thread, items, thread_from = await read_for_archive(client, thread_id, listed)
        except NotFoundError:
            return DeleteResult(thread_id, Outcome.GONE, None, "nothing to archive")
        except Exception as exc:  # an API or decoding failure: never deleted then
            reason = f"not deleted: it could not be archived first: {describe(exc)}"
            return DeleteResult(thread_id, Outcome.FAILED, None, reason, exc)
        if still_wanted is not None and (why := still_wanted(thread)) is not None:
            return DeleteResult(thread_id, Outcome.SKIPPED, None, why)
        try:
            path = await save_archive(
                thread_id, thread, items, archive_dir, thread_from=thread_from,
                deployment=deployment_of(client),
            )  # fmt: skip
        except Exception as exc:  # a disk failure: never deleted then
            reason = f"not deleted: it could not be archived first: {describe(exc)}"
            return DeleteResult(thread_id, Outcome.FAILED, None, reason, exc)
        if on_archived is not None:
            on_archived(path)
    if may_delete is not None and (why := may_delete()) is not None:
        return DeleteResult(thread_id, Outcome.NOT_ATTEMPTED, path, why)
    try:
        await client.threads.delete(thread_id)
    except NotFoundError:
        return DeleteResult(thread_id, Outcome.GONE, path)
    except Exception as exc:
        reason = f"archived to {path}, but the delete failed: {describe(exc)}"
        return DeleteResult(thread_id, Outcome.FAILED, path, reason, exc)
    return DeleteResult(thread_id, Outcome.DELETED, path)
