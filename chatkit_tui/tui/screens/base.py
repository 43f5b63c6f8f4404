"""What the app's full screens share: the typed app and the top bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.screen import Screen

from chatkit_tui.tui.render import one_line

if TYPE_CHECKING:
    from chatkit_tui.tui.app import ChatKitApp


class ChatKitScreen(Screen[None]):
    """A full screen of :class:`ChatKitApp`."""

    @property
    def chatkit(self) -> ChatKitApp:
        from chatkit_tui.tui.app import ChatKitApp

        app: object = self.app  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        assert isinstance(app, ChatKitApp)
        return app

    def top_bar(self, title: str) -> Text:
        """The title, READ-ONLY when it is, and the endpoint (shown literally).

        READ-ONLY comes before the endpoint: a long endpoint is what gets cut off at 80
        columns, never the mode.
        """
        app = self.chatkit
        text = Text(end="")
        text.append(f" {title} ", style="bold reverse")
        if app.read_only:
            text.append("  ")
            text.append(" READ-ONLY ", style="bold reverse")
        text.append(f"  {one_line(app.endpoint_label)}")
        return text
