"""The delete confirmation: a typed modal that names what will be deleted."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatkit_tui.client.models import Thread
from chatkit_tui.tui.render import one_line, thread_title


class ConfirmDeleteScreen(ModalScreen[bool]):
    """``True`` to delete, ``False`` to keep. Focus starts on Cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Delete", id="confirm.delete"),
        Binding("left,h", "app.focus_previous", "Previous button", show=False),
        Binding("right,l", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, thread: Thread) -> None:
        super().__init__()
        self.thread = thread

    def compose(self) -> ComposeResult:
        thread = self.thread
        body = Text(end="")
        body.append("Delete this thread?\n\n", style="bold")
        for label, value in (
            ("title", thread_title(thread)),
            ("id", one_line(thread.id)),
            ("user", one_line(thread.user)),
        ):
            body.append(f"{label:>6}  ", style="dim")
            body.append(value + "\n", style="bold")
        body.append(
            "\nIt is archived first (thread and every item, as JSON in your data "
            "directory), then deleted on the server.",
            style="italic",
        )
        with Vertical(id="confirm-dialog"):
            yield Static(body, id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel (n)", id="cancel", variant="primary")
                yield Button("Delete (y)", id="delete", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#delete")
    def action_confirm(self) -> None:
        self.dismiss(True)
