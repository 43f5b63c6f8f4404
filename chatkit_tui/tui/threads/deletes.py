"""Deleting one thread: the dialog, then archive, remove the row, DELETE, undo on failure.

:class:`DeleteFlow` is a base class of :class:`~chatkit_tui.tui.threads.main.MainScreen`
(the delete feature, kept apart from paging and viewing). The work is
:func:`chatkit_tui.core.delete.archive_then_delete`, the same operation as the bulk delete
and the CLI's; its worker posts past-tense messages (ThreadArchived, ThreadDeleted,
DeleteFailed) and the handlers here update the list.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from chatkit_tui.client.models import AnyThread
from chatkit_tui.core.delete import Outcome, archive_then_delete
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.base import ChatKitScreen, describe_error
from chatkit_tui.tui.dialogs.confirm import BUTTON_KEYS, ConfirmScreen
from chatkit_tui.tui.threads.messages import DeleteFailed, ThreadArchived, ThreadDeleted
from chatkit_tui.tui.threads.render import shown_id, thread_key, thread_title
from chatkit_tui.tui.threads.thread_list import ThreadList
from chatkit_tui.tui.threads.thread_view import ThreadView


class DeleteFlow(ChatKitScreen):
    """Deletes for a screen with a ``#threads`` list (the binding lives on the subclass)."""

    seen: set[str]
    _removed: dict[str, int]

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one("#threads", ThreadList)

    def _update_status(self) -> None:
        """Refresh the status line (the subclass knows what it shows)."""

    @property
    def selected_thread(self) -> AnyThread | None:
        """The thread the user is looking at: the open one while the thread view has the
        focus (the list may have moved under it), else the list's cursor row."""
        view = self.query_one("#view", ThreadView)
        return view.thread if view.has_focus else self.thread_list.current

    def thread_gone(self, thread_id: str) -> None:
        """``thread_id`` was deleted (or found gone); the subclass updates what shows it."""

    def action_delete(self) -> None:
        if not self.offers("main.delete"):
            return
        thread = self.selected_thread
        if thread is None:
            return
        if thread.id is None:
            self.host.notify(
                "This thread has no id (it did not decode): there is nothing to delete it by.",
                title="Not deleted",
                severity="warning",
            )
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.delete_thread(thread)

        offer = self.ctx.offer
        dialog = ConfirmDeleteScreen(
            thread, users=offer.users, held=offer.capabilities.threads_held
        )
        self.host.push_screen(dialog, decided)

    @work(group="delete", exit_on_error=False)
    async def delete_thread(self, thread: AnyThread) -> None:
        assert thread.id is not None  # action_delete asks only for threads with an id
        result = await archive_then_delete(
            self.ctx.client,
            thread.id,
            archive_dir=self.ctx.archive_dir,
            on_archived=lambda path: self.post_message(ThreadArchived(thread, path)),
        )
        if result.outcome is Outcome.FAILED:
            reason = describe_error(result.error) if result.error else (result.reason or "")
            self.post_message(DeleteFailed(thread, reason, archived=result.archive is not None))
            return
        if result.archive is None:  # gone before it could be archived: its row goes now
            self.post_message(ThreadArchived(thread, None))
        gone = result.outcome is Outcome.GONE
        self.post_message(ThreadDeleted(thread, result.archive, already_gone=gone))

    def on_thread_archived(self, message: ThreadArchived) -> None:
        key = thread_key(message.thread)
        index = self.thread_list.remove_thread(key)
        if index is not None:
            self._removed[key] = index
        self._update_status()

    def on_thread_deleted(self, message: ThreadDeleted) -> None:
        key = thread_key(message.thread)
        self._removed.pop(key, None)
        self.seen.discard(key)
        title = thread_title(message.thread)
        if message.already_gone:
            where = self.ctx.capabilities.threads_from
            text = f"“{title}” ({shown_id(message.thread)}) was already gone {where}."
        else:
            text = f"Deleted “{title}” ({shown_id(message.thread)})."
        where = f"Archived to {message.path}" if message.path else "Nothing to archive."
        self.host.notify(f"{text}\n{where}", title="Thread deleted")
        self.thread_gone(key)

    def on_delete_failed(self, message: DeleteFailed) -> None:
        thread = message.thread
        index = self._removed.pop(thread_key(thread), None)
        if index is not None:
            self.thread_list.insert_thread(index, thread)
            self._update_status()
        what = (
            "Delete failed; the thread is back in the list"
            if message.archived
            else ("Not deleted: the thread could not be archived first")
        )
        self.host.notify(f"{what}: {message.reason}", title="Delete failed", severity="error")


class ConfirmDeleteScreen(ConfirmScreen):
    """Delete a thread? Names its title, id and user."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "refuse", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Delete", id="confirm.delete"),
        *BUTTON_KEYS,
    ]

    def __init__(
        self, thread: AnyThread, *, users: bool = True, held: str = "on the server"
    ) -> None:
        """``held``: where the deployment's threads are (``on the server``, ``in the
        Store``: :attr:`~chatkit_tui.client.deployment.Capabilities.threads_held`)."""
        facts = [("title", thread_title(thread)), ("id", shown_id(thread))]
        if users:  # a deployment whose threads name no user: no user line
            facts.append(
                ("user", one_line(thread.user) if thread.user is not None else "(unknown)")
            )
        super().__init__(
            "Delete this thread?",
            facts,
            "It is archived first (thread and every item, as JSON in your data "
            f"directory), then deleted {held}.",
            refuse="Cancel (n)",
            confirm="Delete (y)",
        )
        self.thread = thread
