"""ChatKitApp: the screens, global bindings and the error wording. Kept small on purpose."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from chatkit_tui.tui.commands import ThreadCommands
from chatkit_tui.tui.key_order import OrderedKeysApp
from chatkit_tui.tui.render import one_line
from chatkit_tui.tui.screens.main import MainScreen
from chatkit_tui.tui.session_book import SessionBook

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.client.models import ThreadPage


def describe_error(exc: BaseException) -> str:
    """One line for a notification: the client's wording (status, request id), a hint for
    a 401, control characters made visible."""
    from chatkit_tui.client.errors import AuthenticationError, describe

    text = one_line(describe(exc))
    if isinstance(exc, AuthenticationError):
        text += (
            " — set OPENAI_API_KEY to a valid API key "
            "(or a profile's key in the config file), or try chatkit-tui --demo"
        )
    return text


class ChatKitApp(OrderedKeysApp):
    """The operator's view of a ChatKit deployment."""

    TITLE = "chatkit-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {ThreadCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.command_palette"),
    ]

    def __init__(
        self,
        client: AsyncChatKit,
        *,
        endpoint_label: str = "",
        read_only: bool = False,
        now: Callable[[], float] = time.time,
        archive_dir: Path | None = None,
        export_dir: Path | None = None,
        keymap: Mapping[str, str] | None = None,
        theme: str | None = None,
        ansi_color: bool | None = None,
        thread_page_size: int = 100,
        item_page_size: int = 50,
        first_page: asyncio.Future[ThreadPage] | None = None,
    ) -> None:
        super().__init__(ansi_color=ansi_color)
        self.client = client
        self.endpoint_label = endpoint_label or client.base_url
        self.read_only = read_only
        self.now = now
        self.archive_dir = archive_dir
        self.export_dir = export_dir
        self.keymap_overrides: dict[str, str] = dict(keymap or {})
        self._theme_name = theme
        self.thread_page_size = thread_page_size
        self.item_page_size = item_page_size
        # the first page, requested before the app started (see run.py): saves a round trip
        self.first_page = first_page
        self.session_book = SessionBook()  # sessions created in this run (the API cannot list)

    def on_mount(self) -> None:
        if self._theme_name:
            if self._theme_name in self.available_themes:
                self.theme = self._theme_name
            else:
                self.notify(
                    f"unknown theme {self._theme_name!r}; using {self.theme!r}",
                    severity="warning",
                    markup=False,
                )
        if self.keymap_overrides:
            from chatkit_tui.tui.screens.help import all_binding_ids

            unknown = sorted(set(self.keymap_overrides) - all_binding_ids())
            if unknown:
                names = ", ".join(repr(name) for name in unknown)
                self.notify(
                    f"config [keys]: no binding has the id {names}; ignored. "
                    "The help screen (?) lists every binding id.",
                    title="Unknown key binding",
                    severity="warning",
                    markup=False,
                    timeout=10,
                )
            self.set_keymap(self.keymap_overrides)
            self._warn_key_conflicts()
        self.push_screen(MainScreen())

    def _warn_key_conflicts(self) -> None:
        from chatkit_tui.tui.key_conflicts import conflict_warning

        warning = conflict_warning(self.keymap_overrides)
        if warning:
            self.notify(
                warning, title="Key binding conflict", severity="warning", markup=False, timeout=15
            )

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    def action_help(self) -> None:
        from chatkit_tui.tui.screens.help import HelpScreen  # not needed for the first frame

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
