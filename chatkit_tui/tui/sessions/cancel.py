"""The cancel-session dialog."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from chatkit_tui.client.models import ChatSession
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.dialogs.confirm import BUTTON_KEYS, ConfirmScreen


class ConfirmCancelSessionScreen(ConfirmScreen):
    """Cancel a ChatKit session? Names its id, user and workflow."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "refuse", "Keep session", id="cancel_session.keep"),
        Binding("y", "confirm", "Cancel session", id="cancel_session.confirm"),
        *BUTTON_KEYS,
    ]

    def __init__(self, session: ChatSession) -> None:
        super().__init__(
            "Cancel this session?",
            [
                ("id", one_line(session.id)),
                ("user", one_line(session.user)),
                ("workflow", one_line(session.workflow.id)),
            ],
            "Its client secret stops working at once; this cannot be undone.",
            refuse="Keep (n)",
            confirm="Cancel session (y)",
        )
        self.session = session
