"""ChatKitApp: composes the screens, holds the context they read, global bindings.
Kept small on purpose: each feature lives in its folder (threads/, sessions/, dialogs/,
keys/)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.notifications import SeverityLevel

from chatkit_tui.client.deployment import HOSTED
from chatkit_tui.tui.context import AppContext
from chatkit_tui.tui.keys.labels import key_label
from chatkit_tui.tui.keys.order import OrderedKeysApp
from chatkit_tui.tui.keys.registry import APP_BINDINGS
from chatkit_tui.tui.threads.commands import ThreadCommands
from chatkit_tui.tui.threads.main import MainScreen

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import ThreadPage
    from chatkit_tui.core.mirror.url import MirrorTarget


def deployment_label(deployment: Deployment) -> str:
    """The top bar's words when none are given: the hosted API's address as ever, another
    kind of deployment named with its kind (``chatkit-python · https://...``)."""
    if deployment.capabilities.kind == HOSTED.kind:
        return deployment.base_url
    from chatkit_tui.backends import describe

    return describe(deployment)


class ChatKitApp(OrderedKeysApp):
    """The operator's view of a ChatKit deployment."""

    TITLE = "chatkit-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {ThreadCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self,
        client: Deployment,
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
        mirror_path: MirrorTarget | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__(ansi_color=ansi_color)
        self._notes = tuple(notes)
        self.context = AppContext(
            client=client,
            endpoint_label=endpoint_label or deployment_label(client),
            # a copy (a mirror) changes nothing on the deployment: read-only, and says so
            read_only=read_only or client.capabilities.read_only_copy,
            now=now,
            archive_dir=archive_dir,
            export_dir=export_dir,
            keymap=dict(keymap or {}),
            thread_page_size=thread_page_size,
            item_page_size=item_page_size,
            first_page=first_page,
            mirror_path=mirror_path,
            project=client.project,
        )
        self._theme_name = theme

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is literal text: what it says often comes from the API, so
        it is never parsed as markup (``markup`` is accepted, and ignored)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        # an unknown theme or binding id in the config file was refused before the app
        # started (chatkit_tui.tui.run.check_app_names)
        if self._theme_name:
            self.theme = self._theme_name
        if self.context.keymap:
            self._apply_keymap()
        self.push_screen(MainScreen())
        for note in self._notes:  # e.g. $OPENAI_API_KEY set but not used (the profile's own)
            self.notify(note, title="Note", severity="warning", timeout=15)

    def _apply_keymap(self) -> None:
        from chatkit_tui.tui.keys.conflicts import conflict_warning

        keymap = self.context.keymap
        self.set_keymap(dict(keymap))
        warning = conflict_warning(keymap, partial(key_label, self))
        if warning:
            self.notify(warning, title="Key binding conflict", severity="warning", timeout=15)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    def action_help(self) -> None:
        # not needed for the first frame: the registry imports every screen
        from chatkit_tui.tui.dialogs.help import HelpScreen
        from chatkit_tui.tui.keys.conflicts import app_contexts, key_conflicts, lost_keys
        from chatkit_tui.tui.keys.registry import help_sections

        if isinstance(self.screen, HelpScreen):
            return
        ctx = self.context
        keymap, read_only = ctx.keymap, ctx.read_only
        label = partial(key_label, self)
        conflicts = key_conflicts(app_contexts(), keymap) if keymap else []
        self.push_screen(
            HelpScreen(
                help_sections(
                    keymap,
                    read_only=read_only,
                    capabilities=ctx.capabilities,
                    screen=type(self.screen),  # its own keys first
                ),
                read_only=read_only,
                offer=ctx.offer,
                conflicts=[conflict.message(label) for conflict in conflicts],
                lost=lost_keys(keymap, label),
            )
        )
