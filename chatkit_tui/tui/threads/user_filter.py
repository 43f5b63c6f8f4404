"""A small modal asking for the server-side user filter."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

MAX_USER = 512  # the API's limit for the user parameter


class UserFilterScreen(ModalScreen[str | None]):
    """Dismisses with the user to filter by ("" clears the filter), or None to cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="user_filter.cancel")
    ]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="user-dialog"):
            yield Static(Text("Show only threads of user", style="bold"))
            yield Input(
                value=self.current,
                placeholder="user id (empty: every user)",
                max_length=MAX_USER,
                id="user-input",
            )
            yield Static(Text("enter apply · escape cancel", style="dim"), id="user-hint")

    @on(Input.Submitted)
    def apply(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
