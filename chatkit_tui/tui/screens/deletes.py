"""The delete flow of the main screen: confirm, archive, remove the row, DELETE, undo on failure.

A base class of :class:`~chatkit_tui.tui.screens.main.MainScreen`, split out to keep each
file readable. Workers post past-tense messages (ThreadArchived, ThreadDeleted,
DeleteFailed); the handlers here update the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from chatkit_tui.archive import archive_thread
from chatkit_tui.client.models import Thread
from chatkit_tui.tui.messages import DeleteFailed, ThreadArchived, ThreadDeleted
from chatkit_tui.tui.render import one_line, thread_title
from chatkit_tui.tui.screens.base import ChatKitScreen
from chatkit_tui.tui.screens.confirm import ConfirmDeleteScreen
from chatkit_tui.tui.widgets.thread_list import ThreadList
from chatkit_tui.tui.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    pass


class DeleteFlow(ChatKitScreen):
    """Deletes for a screen with a ``#threads`` list (the binding lives on the subclass)."""

    seen: set[str]
    _removed: dict[str, int]

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one("#threads", ThreadList)

    def _update_status(self) -> None:
        """Refresh the status line (the subclass knows what it shows)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete" and self.chatkit.read_only:
            return False
        return True

    @property
    def selected_thread(self) -> Thread | None:
        """The thread the user is looking at: the open one while the thread view has the
        focus (the list may have moved under it), else the list's cursor row."""
        view = self.query_one("#view", ThreadView)
        return view.thread if view.has_focus else self.thread_list.current

    def thread_gone(self, thread_id: str) -> None:
        """``thread_id`` was deleted (or found gone); the subclass updates what shows it."""

    def action_delete(self) -> None:
        if self.chatkit.read_only:
            return
        thread = self.selected_thread
        if thread is None:
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.delete_thread(thread)

        self.chatkit.push_screen(ConfirmDeleteScreen(thread), decided)

    @work(group="delete", exit_on_error=False)
    async def delete_thread(self, thread: Thread) -> None:
        from chatkit_tui.client.errors import NotFoundError
        from chatkit_tui.tui.app import describe_error

        client = self.chatkit.client
        try:
            path = await archive_thread(client, thread.id, directory=self.chatkit.archive_dir)
        except NotFoundError:
            self.post_message(ThreadArchived(thread, None))
            self.post_message(ThreadDeleted(thread, None, already_gone=True))
            return
        except Exception as exc:
            self.post_message(DeleteFailed(thread, describe_error(exc), archived=False))
            return
        self.post_message(ThreadArchived(thread, path))
        try:
            await client.threads.delete(thread.id)
        except NotFoundError:
            self.post_message(ThreadDeleted(thread, path, already_gone=True))
        except Exception as exc:
            self.post_message(DeleteFailed(thread, describe_error(exc), archived=True))
        else:
            self.post_message(ThreadDeleted(thread, path))

    def on_thread_archived(self, message: ThreadArchived) -> None:
        index = self.thread_list.remove_thread(message.thread.id)
        if index is not None:
            self._removed[message.thread.id] = index
        self._update_status()

    def on_thread_deleted(self, message: ThreadDeleted) -> None:
        self._removed.pop(message.thread.id, None)
        self.seen.discard(message.thread.id)
        title = thread_title(message.thread)
        if message.already_gone:
            text = f"“{title}” ({one_line(message.thread.id)}) was already gone from the server."
        else:
            text = f"Deleted “{title}” ({one_line(message.thread.id)})."
        where = f"Archived to {message.path}" if message.path else "Nothing to archive."
        self.chatkit.notify(f"{text}\n{where}", title="Thread deleted", markup=False)
        self.thread_gone(message.thread.id)

    def on_delete_failed(self, message: DeleteFailed) -> None:
        thread = message.thread
        index = self._removed.pop(thread.id, None)
        if index is not None:
            self.thread_list.insert_thread(index, thread)
            self._update_status()
        what = (
            "Delete failed; the thread is back in the list"
            if message.archived
            else ("Not deleted: the thread could not be archived first")
        )
        self.chatkit.notify(
            f"{what}: {message.reason}", title="Delete failed", severity="error", markup=False
        )
