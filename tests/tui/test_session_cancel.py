"""The session panel (s): cancel (confirmed, declined, 404, 500), the countdown, reopening
the panel (and from the palette), read-only mode, the help screen.

Real HTTP to the local server; the app's and the server's clocks are the same settable clock.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets import Button

from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.keys.registry import help_sections
from chatkit_tui.tui.sessions.cancel import ConfirmCancelSessionScreen
from chatkit_tui.tui.sessions.form import SessionForm
from chatkit_tui.tui.sessions.screen import SessionScreen
from tests.tui.helpers import FIXED_NOW, loaded, notifications, screen_text, wait_for
from tests.tui.session_helpers import (
    Clock,
    create,
    detail_text,
    open_panel,
    session_app,
    session_elsewhere,
)


async def test_cancel_confirmed_updates_list_detail_and_server(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        first = await create(pilot, app, screen, user="user_a")
        await pilot.press("n")
        second = await create(pilot, app, screen, user="user_b")
        assert screen.session_list.selected_id == second.id
        await pilot.press("up")  # select the first one
        await pilot.pause()
        assert screen.session_list.selected_id == first.id
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
        dialog = app.screen
        assert isinstance(dialog.focused, Button) and str(dialog.focused.label) == "Keep (n)"
        assert first.id in screen_text(app) and "Cancel this session?" in screen_text(app)
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: app.context.session_book.get(first.id).status == "cancelled",  # type: ignore[union-attr]
        )
        await pilot.pause()
        stored = local_server.store.get_session(first.id)
        assert stored is not None and stored.status == "cancelled"
        other = local_server.store.get_session(second.id)
        assert other is not None and other.status == "active"
        assert "status  cancelled" in detail_text(screen)
        row = screen.session_list.get_option(first.id).prompt
        assert isinstance(row, Text) and row.plain.startswith("cancelled")
        assert any("now cancelled" in m for m in notifications(app))


async def test_cancel_declined_keeps_the_session(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen)
        for key in ("escape", "n", "enter"):  # enter presses the focused button: Keep
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause(0.1)
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "active"
        assert app.context.session_book.get(session.id) == session
        assert "status  active" in detail_text(screen)


@pytest.mark.parametrize("kind", ["404", "500"])
async def test_cancel_failures_are_notified_with_status_and_request_id(
    kind: str, local_server: BackgroundServer, make_server: Callable[..., BackgroundServer]
) -> None:
    # a session the app's server does not know (404), or a server that fails every request
    session = await session_elsewhere(make_server() if kind == "404" else local_server)
    target = local_server if kind == "404" else make_server(faults=Faults(error_rate=1.0))
    app = session_app(target)
    app.context.session_book.put(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "main", what="main screen")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert not screen.showing_form and screen.session_list.selected_id == session.id
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any(session.id in m for m in notifications(app)), what="error"
        )
        message = next(m for m in notifications(app) if session.id in m)
        assert kind in message and "request id req_" in message
        assert app.context.session_book.get(session.id) == session  # unchanged, still active
        assert app.screen is screen and not screen.pending
        assert "status  active" in detail_text(screen)


async def test_countdown_ticks_and_ends_in_expired(local_server: BackgroundServer) -> None:
    clock = Clock()
    app = session_app(local_server, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen, expires_after="90")
        assert session.expires_at == FIXED_NOW + 90
        assert "in 1:30" in detail_text(screen)
        clock.t += 25
        await wait_for(pilot, lambda: "in 1:05" in detail_text(screen), what="tick")
        row = screen.session_list.get_option(session.id).prompt
        assert isinstance(row, Text) and "1:05" in row.plain
        clock.t += 65  # exactly at expires_at
        await wait_for(pilot, lambda: "expired" in detail_text(screen), what="expired")
        assert "status  active (server said active; expired by now)" in detail_text(screen)
        await wait_for(
            pilot,
            lambda: str(screen.session_list.get_option(session.id).prompt).startswith("expired"),
        )
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "expired"  # the server agrees


async def test_panel_keeps_sessions_and_form_when_closed_and_reopened(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen, user="user_keep", rpm="12")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionScreen))
        # the command palette opens it too
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Sessions")
        hits = app.screen.query_one(CommandList)

        def first_hit() -> str:
            option = hits.get_option_at_index(0) if hits.option_count else None
            return str(option.prompt) if option is not None else ""

        await wait_for(pilot, lambda: "Sessions…" in first_hit(), what="palette hit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="reopened")
        assert app.screen is screen
        assert screen.session_list.selected_id == session.id
        assert session.id in detail_text(screen)
        await pilot.press("n")
        assert screen.form.control("user").value == "user_keep"  # type: ignore[attr-defined]
        assert screen.form.control("rpm").value == "12"  # type: ignore[attr-defined]


async def test_read_only_hides_create_and_cancel(local_server: BackgroundServer) -> None:
    session = await session_elsewhere(local_server)
    app = session_app(local_server, read_only=True)
    app.context.session_book.put(session)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        assert not screen.query(SessionForm)  # no form at all
        assert session.id in detail_text(screen)
        text = screen_text(app)
        assert "Reveal" in text and "Cancel" not in text and "New" not in text
        for key in ("n", "ctrl+s", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        assert not screen.showing_form
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "active"
        assert screen.check_action("cancel_session", ()) is False
        assert screen.check_action("new", ()) is False
        assert screen.check_action("create", ()) is False
        ids = {row[2] for _, rows in help_sections({}, read_only=True) for row in rows}
        assert "sessions.reveal" in ids and "sessions.copy_secret" in ids
        for hidden in ("sessions.new", "sessions.create", "sessions.cancel", "cancel_session.keep"):
            assert hidden not in ids


async def test_help_lists_the_session_bindings(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 120)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        text = screen_text(app)
        for binding_id in (
            "main.sessions",
            "sessions.close",
            "sessions.new",
            "sessions.create",
            "sessions.cancel",
            "sessions.reveal",
            "sessions.copy_secret",
            "cancel_session.keep",
            "cancel_session.confirm",
        ):
            assert binding_id in text, binding_id
