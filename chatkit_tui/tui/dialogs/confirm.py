"""The confirmation dialog: a typed modal that names what is about to go, focus on the safe button.

:class:`ConfirmScreen` is the shape (question, named fields, a warning, two buttons);
each dialog (the thread delete in :mod:`chatkit_tui.tui.threads.deletes`, the session
cancel in :mod:`chatkit_tui.tui.sessions.cancel`) says what it asks about and which keys
answer it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from chatkit_tui.tui.keys.order import ReadFirstDialog

BUTTON_KEYS: list[BindingType] = [
    Binding("left,h", "app.focus_previous", "Previous button", show=False),
    Binding("right,l", "app.focus_next", "Next button", show=False),
]


class ConfirmScreen(ReadFirstDialog):
    """``True`` to go ahead, ``False`` to leave things as they are. Focus starts on the
    safe button; subclasses bind their keys to ``refuse`` and ``confirm``. Keys read
    before the dialog was shown are dropped (see :mod:`chatkit_tui.tui.keys.order`)."""

    def __init__(
        self,
        question: str,
        fields: list[tuple[str, str]],
        warning: str,
        *,
        refuse: str,
        confirm: str,
    ) -> None:
        super().__init__()
        self.question = question
        self.fields = fields  # (label, value): values from the API, shown literally
        self.warning = warning
        self.refuse_label = refuse
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        body = Text(end="")
        body.append(f"{self.question}\n\n", style="bold")
        width = max(6, *(len(label) for label, _ in self.fields))  # labels right-aligned
        for label, value in self.fields:
            body.append(f"{label:>{width}}  ", style="dim")
            body.append(value + "\n", style="bold")
        body.append(f"\n{self.warning}", style="italic")
        with Vertical(classes="confirm-dialog"):
            yield Static(body, classes="confirm-body")
            with Horizontal(classes="confirm-buttons"):
                yield Button(self.refuse_label, id="refuse", variant="primary")
                yield Button(self.confirm_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()

    @on(Button.Pressed, "#refuse")
    def action_refuse(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)
