"""Helpers for the session panel's Pilot tests: a settable clock shared by app and server,
opening the panel, filling the form, reading what the detail view shows."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static, TextArea

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.models import ChatSession, WorkflowParam
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.sessions.form import SessionForm
from chatkit_tui.tui.sessions.screen import SessionScreen
from tests.tui.helpers import FIXED_NOW, loaded, wait_for


class Clock:
    def __init__(self, t: float = FIXED_NOW) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def session_app(
    server: BackgroundServer, clock: Clock | None = None, *, read_only: bool = False
) -> ChatKitApp:
    clock = clock or Clock()
    server.store.clock = clock  # the server stamps expires_at with the same time
    client = AsyncChatKit(api_key="test-key", base_url=server.base_url, max_retries=0)
    return ChatKitApp(client, endpoint_label="local test server", read_only=read_only, now=clock)


async def open_panel(pilot: Pilot[None], app: ChatKitApp) -> SessionScreen:
    await loaded(pilot, app)
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="session panel")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SessionScreen)
    return screen


def fill(form: SessionForm, **values: str | bool) -> None:
    for name, value in values.items():
        widget = form.control(name)
        if isinstance(widget, Checkbox):
            assert isinstance(value, bool)
            widget.value = value
        elif isinstance(widget, TextArea):
            assert isinstance(value, str)
            widget.text = value
        else:
            assert isinstance(widget, Input) and isinstance(value, str)
            widget.value = value


def detail_text(screen: SessionScreen) -> str:
    """The detail view as rendered (on a wide console: no wrapping to undo)."""
    content = screen.detail.query_one("#session-detail-body", Static).content
    console = Console(width=300, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def error_of(form: SessionForm, name: str) -> str:
    error = form.query_one(f"#error-{name}", Static)
    if not error.display:
        return ""
    content = error.content
    return content.plain if isinstance(content, Text) else str(content)


def form_status(form: SessionForm) -> str:
    content = form.query_one("#form-status", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def create(
    pilot: Pilot[None], app: ChatKitApp, screen: SessionScreen, **values: str | bool
) -> ChatSession:
    """Fill the form (user and workflow by default), ctrl+s, wait for the session."""
    before = len(app.context.session_book)
    fill(screen.form, **({"user": "user_1", "workflow": "wf_1"} | values))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: len(app.context.session_book) > before, what="created session")
    await pilot.pause()
    return app.context.session_book.sessions[-1]


async def session_elsewhere(server: BackgroundServer) -> ChatSession:
    """A session created on ``server`` directly (not through the app)."""
    async with AsyncChatKit(api_key="k", base_url=server.base_url, max_retries=0) as client:
        return await client.sessions.create(user="user_x", workflow=WorkflowParam(id="wf_x"))
