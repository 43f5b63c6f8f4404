"""The cancel-session confirmation: a typed modal naming the session. Focus starts on Keep."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chatkit_tui.client.models import ChatSession
from chatkit_tui.tui.render import one_line


class ConfirmCancelSessionScreen(ModalScreen[bool]):
    """``True`` to cancel the session, ``False`` to keep it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "keep", "Keep session", id="cancel_session.keep"),
        Binding("y", "confirm", "Cancel session", id="cancel_session.confirm"),
        Binding("left,h", "app.focus_previous", "Previous button", show=False),
        Binding("right,l", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, session: ChatSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        session = self.session
        body = Text(end="")
        body.append("Cancel this session?\n\n", style="bold")
        for label, value in (
            ("id", one_line(session.id)),
            ("user", one_line(session.user)),
            ("workflow", one_line(session.workflow.id)),
        ):
            body.append(f"{label:>8}  ", style="dim")
            body.append(value + "\n", style="bold")
        body.append(
            "\nIts client secret stops working at once; this cannot be undone.", style="italic"
        )
        with Vertical(id="cancel-session-dialog"):
            yield Static(body, id="cancel-session-body")
            with Horizontal(id="cancel-session-buttons"):
                yield Button("Keep (n)", id="keep", variant="primary")
                yield Button("Cancel session (y)", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)
