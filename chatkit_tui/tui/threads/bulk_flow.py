"""Bulk work of the main screen: marks, delete the marked threads, export a thread.

A base class of :class:`~chatkit_tui.tui.threads.main.MainScreen` (the bindings live
there), split out to keep each file readable. Marking is the list's (``space``); this
class turns marks into a confirmed bulk delete (:mod:`chatkit_tui.tui.threads.bulk`) and
writes exports in a worker that posts :class:`ThreadExported`.

Marks can name threads the list has not loaded (mark by rule,
:mod:`chatkit_tui.tui.threads.mark_by_rule`, marks across every page): the list holds
every marked id, and :attr:`BulkFlow.marked_elsewhere` the threads not loaded, so that
``D`` counts, confirms and deletes them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from chatkit_tui.client.models import AnyThread
from chatkit_tui.core.text import plural
from chatkit_tui.tui.base import describe_error
from chatkit_tui.tui.threads.deletes import DeleteFlow
from chatkit_tui.tui.threads.render import shown_id, thread_title

if TYPE_CHECKING:
    from chatkit_tui.core.bulk import BulkSummary
    from chatkit_tui.core.export import ExportPaths  # these load on first use, not at start-up


@dataclass
class ThreadExported(Message):
    thread: AnyThread
    paths: ExportPaths


@dataclass
class ExportFailed(Message):
    thread: AnyThread
    reason: str


class BulkFlow(DeleteFlow):
    """Marks, bulk delete and export for a screen with a ``#threads`` list."""

    _marked_elsewhere: dict[str, AnyThread] | None = None

    @property
    def marked_elsewhere(self) -> dict[str, AnyThread]:
        """Marked threads that were not loaded in the list when they were marked."""
        if self._marked_elsewhere is None:
            self._marked_elsewhere = {}
        return self._marked_elsewhere

    # --- marks ---------------------------------------------------------------------------

    def mark_threads(self, threads: Iterable[AnyThread]) -> tuple[int, int]:
        """Mark ``threads`` (those with an id), loaded in the list or not; return how many
        were newly marked and how many of those are not loaded."""
        tl = self.thread_list
        loaded = {t.id for t in tl.threads}
        fresh = {t.id: t for t in threads if t.id is not None and t.id not in tl.marked}
        away = {i: t for i, t in fresh.items() if i not in loaded}
        self.marked_elsewhere.update(away)
        tl.mark(fresh)
        return len(fresh), len(away)

    def all_marked(self) -> list[AnyThread]:
        """Every marked thread: the loaded ones in list order, then those not loaded."""
        tl = self.thread_list
        threads = tl.marked_threads
        loaded = {t.id for t in tl.threads}
        elsewhere = self.marked_elsewhere
        for thread_id in [i for i in elsewhere if i not in tl.marked or i in loaded]:
            del elsewhere[thread_id]  # unmarked since, or its page has been loaded
        return [*threads, *elsewhere.values()]

    def clear_marks(self) -> bool:
        """Unmark every thread; False when nothing was marked."""
        tl = self.thread_list
        if not tl.marked:
            return False
        count = len(tl.marked)
        tl.unmark_all()
        self.host.notify(f"Unmarked {plural(count)}.", title="Marks")
        return True

    # --- bulk delete ---------------------------------------------------------------------

    def action_bulk_delete(self) -> None:
        if not self.offers("main.bulk_delete"):
            return
        tl = self.thread_list
        threads = self.all_marked()
        if not threads:
            self.host.notify(
                "No threads are marked: mark them with space, then press D.",
                title="Delete marked",
                severity="warning",
            )
            return
        visible = {id(tl.thread_at(row)) for row in range(tl.row_count)}
        loaded = {id(t) for t in tl.threads}
        hidden = sum(1 for t in threads if id(t) in loaded and id(t) not in visible)
        not_loaded = sum(1 for t in threads if id(t) not in loaded)

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self._start_bulk(threads)
            else:
                self.host.notify("Nothing was deleted.", title="Delete marked", timeout=3)

        from chatkit_tui.tui.threads.bulk import ConfirmBulkDeleteScreen

        dialog = ConfirmBulkDeleteScreen(threads, hidden=hidden, not_loaded=not_loaded)
        self.host.push_screen(dialog, decided)

    def _start_bulk(self, threads: list[AnyThread]) -> None:
        from chatkit_tui.core.bulk import DEFAULT_CONCURRENCY
        from chatkit_tui.tui.threads.bulk import BulkDeleteScreen

        ctx = self.ctx
        screen = BulkDeleteScreen(
            ctx.client, threads, archive_dir=ctx.archive_dir, concurrency=DEFAULT_CONCURRENCY
        )
        self.host.push_screen(screen, self._bulk_done)

    def _bulk_done(self, summary: BulkSummary | None) -> None:
        if summary is None:
            return
        tl = self.thread_list
        gone = [r.thread_id for r in (*summary.deleted, *summary.gone)]
        for thread_id in gone:
            tl.remove_thread(thread_id)  # also unmarks it
            self.seen.discard(thread_id)
        tl.unmark(gone)  # those not loaded in the list
        self.all_marked()  # and forget them
        self._update_status()
        left = len(summary.failed) + len(summary.not_attempted)
        trouble = left > 0
        what = summary.line()
        if trouble:
            what += f". The {plural(left)} not deleted stay marked: D tries them again."
        self.host.notify(
            what,
            title="Bulk delete stopped" if summary.stopped else "Bulk delete",
            severity="warning" if trouble else "information",
            timeout=10 if trouble else 5,
        )

    # --- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        thread = self.selected_thread
        if thread is None:
            self.host.notify("No thread selected to export.", title="Export", severity="warning")
            return
        self.export(thread)

    @work(group="export", exit_on_error=False)
    async def export(self, thread: AnyThread) -> None:
        if thread.id is None:
            self.post_message(ExportFailed(thread, "it has no id (it did not decode)"))
            return
        from chatkit_tui.core.export import export_thread_by_id

        directory = self.ctx.export_dir  # None: the user data directory's exports
        try:
            paths = await export_thread_by_id(
                self.ctx.client, thread.id, directory, existing="new name"
            )
        except Exception as exc:  # client errors, OSError: a notification, never a crash
            self.post_message(ExportFailed(thread, describe_error(exc)))
            return
        self.post_message(ThreadExported(thread, paths))

    def on_thread_exported(self, message: ThreadExported) -> None:
        text = (
            f"“{thread_title(message.thread)}” ({shown_id(message.thread)}) written to\n"
            f"{message.paths.json}\n{message.paths.markdown}"
        )
        self.host.notify(text, title="Exported", timeout=10)

    def on_export_failed(self, message: ExportFailed) -> None:
        self.host.notify(
            f"Could not export “{thread_title(message.thread)}”: {message.reason}",
            title="Export failed",
            severity="error",
            timeout=10,
        )
