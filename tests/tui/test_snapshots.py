"""Snapshot tests: the look of the main views at fixed sizes, on seeded data, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.sessions.screen import SessionScreen
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from tests.fixtures.odd import UNREADABLE, serve_odd_deployment
from tests.fixtures.scripted import ScriptedServer
from tests.tui.helpers import (
    HOSTILE_TITLE,
    every_item_type,
    fixed_now,
    insert_raw_items,
    insert_thread,
    loaded,
    make_app,
    thread_list,
    view_done,
    wait_for,
)

SnapCompare = Callable[..., bool]
ALL_TYPES = "cthr_zz_every_item_type"


def app_with_every_item_type(server: BackgroundServer) -> ChatKitApp:
    insert_thread(
        server,
        ALL_TYPES,
        title=HOSTILE_TITLE,
        user="user_snapshot",
        created_at=1_763_000_000,
        status="locked",
        reason="Suspected abuse",
    )
    insert_raw_items(server, ALL_TYPES, every_item_type(ALL_TYPES))
    return make_app(server)


async def settle(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, ChatKitApp)
    tl = await loaded(pilot, app)
    await wait_for(pilot, lambda: not tl.fetching)
    current = tl.current
    assert current is not None
    await view_done(pilot, app, current.id)
    await pilot.pause(0.05)


def test_main_80x24(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(local_server), terminal_size=(80, 24), run_before=settle)


def test_main_120x40(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(local_server), terminal_size=(120, 40), run_before=settle)


def test_every_item_type(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    async def open_thread(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, ChatKitApp)
        assert thread_list(app).current is not None
        await pilot.press("enter")
        await pilot.pause(0.1)

    app = app_with_every_item_type(local_server)
    assert snap_compare(app, terminal_size=(100, 90), run_before=open_thread)


def test_delete_dialog(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    async def open_dialog(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmDeleteScreen))
        await pilot.pause(0.1)

    assert snap_compare(make_app(local_server), terminal_size=(80, 24), run_before=open_dialog)


def test_help_screen(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause(0.1)

    assert snap_compare(make_app(local_server), terminal_size=(100, 50), run_before=open_help)


def test_bulk_delete_dialog(local_server: BackgroundServer, snap_compare: SnapCompare) -> None:
    async def open_bulk_dialog(pilot: Pilot[Any]) -> None:
        from textual.widgets import Input

        from chatkit_tui.tui.threads.bulk import ConfirmBulkDeleteScreen

        await settle(pilot)
        await pilot.press("space", "j", "space", "space", "space", "space", "space", "space")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmBulkDeleteScreen))
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press("5", "enter")  # 7 are marked: the dialog says so and stays
        await pilot.pause(0.1)

    assert snap_compare(make_app(local_server), terminal_size=(80, 24), run_before=open_bulk_dialog)


# --- the session panel (s) -----------------------------------------------------------------------


class _FixedSecrets:
    """Stands in for the server's ``secrets`` module: the same session id and secret every run."""

    @staticmethod
    def token_hex(n: int) -> str:
        return "5e55" * (n // 2)

    @staticmethod
    def token_urlsafe(n: int) -> str:
        return "Sn4psh0t-" + "x" * 28 + "Qk7Z"


def session_panel_app(server: BackgroundServer, monkeypatch: pytest.MonkeyPatch) -> ChatKitApp:
    monkeypatch.setattr("chatkit_tui.server.sessions.secrets", _FixedSecrets)
    server.store.clock = fixed_now  # expires_at and the countdown from the same fixed clock
    return make_app(server)


async def open_sessions(pilot: Pilot[Any]) -> SessionScreen:
    await settle(pilot)
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SessionScreen))
    screen = pilot.app.screen
    assert isinstance(screen, SessionScreen)
    for widget in screen.query(Input):
        widget.cursor_blink = False
    screen.query_one(TextArea).cursor_blink = False
    return screen


def test_session_form(
    local_server: BackgroundServer, snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def form_with_a_mistake(pilot: Pilot[Any]) -> None:
        screen = await open_sessions(pilot)
        await pilot.press(*"user_42", "tab", *"wf_support", "tab", "tab")
        await pilot.press(*"plan = pro", "enter", *"seats = 12", "tab", "tab", *"900")
        await pilot.press("ctrl+s")  # expires after 900 > 600: shown under the field
        await wait_for(pilot, lambda: screen.form.query_one("#error-expires_after").display)
        await pilot.pause(0.1)

    app = session_panel_app(local_server, monkeypatch)
    assert snap_compare(app, terminal_size=(80, 24), run_before=form_with_a_mistake)


def test_session_created(
    local_server: BackgroundServer, snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def created(pilot: Pilot[Any]) -> None:
        screen = await open_sessions(pilot)
        app = pilot.app
        assert isinstance(app, ChatKitApp)
        await pilot.press(*"user_42", "tab", *"wf_support", "tab", *"3", "tab")
        await pilot.press(*'plan = "pro"', "enter", *"seats = 12", "enter", *"vip = true")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: len(app.context.session_book) == 1 and not screen.showing_form
        )
        app.clear_notifications()
        await pilot.pause(0.1)

    app = session_panel_app(local_server, monkeypatch)
    assert snap_compare(app, terminal_size=(120, 34), run_before=created)


def test_chatkit_python_items_and_unknown_pieces(
    scripted_server: ScriptedServer, snap_compare: SnapCompare
) -> None:
    """Workflow, generated image, structured input, hidden context, end of turn, and the
    pieces nobody knows (a part, an annotation, an attachment, a task) shown raw in place."""
    serve_odd_deployment(scripted_server)

    async def open_thread(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause(0.1)

    app = make_app(scripted_server)
    assert snap_compare(app, terminal_size=(100, 150), run_before=open_thread)


def test_unreadable_rows(scripted_server: ScriptedServer, snap_compare: SnapCompare) -> None:
    """An unknown status and two threads that do not decode, among the others; the view
    shows the one selected as it was sent."""
    serve_odd_deployment(scripted_server)

    async def select_unreadable(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, ChatKitApp)
        await pilot.press("j", "j")
        await view_done(pilot, app, UNREADABLE)
        await pilot.pause(0.1)

    app = make_app(scripted_server)
    assert snap_compare(app, terminal_size=(120, 30), run_before=select_unreadable)


# --- the insights screen (i), over a mirror made by the real mirror code --------------------------


async def _made_mirror(server: BackgroundServer, path: Path) -> None:
    from tests.tui.test_search import make_mirror

    await make_mirror(server, path)


def test_insights_80x24(
    local_server: BackgroundServer, tmp_path: Path, snap_compare: SnapCompare
) -> None:
    import asyncio

    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.core.charts.insights import SECTIONS
    from chatkit_tui.tui.insights.screen import InsightsScreen

    path = tmp_path / "mirror.sqlite3"
    asyncio.run(_made_mirror(local_server, path))
    app = ChatKitApp(
        MirrorDeployment.open(path),
        endpoint_label="mirror of test",
        read_only=True,
        now=fixed_now,
        mirror_path=path,
    )

    async def open_insights(pilot: Pilot[Any]) -> None:
        await loaded(pilot, pilot.app)  # pyright: ignore[reportArgumentType]
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, InsightsScreen))
        screen = pilot.app.screen
        assert isinstance(screen, InsightsScreen)
        await wait_for(pilot, lambda: screen.done == len(SECTIONS), what="every section")
        # the last sections' layout can land after ``done`` on a busy machine (the
        # scrollbar's thumb was seen one step off): wait for two equal frames
        before = None
        for _ in range(40):
            await pilot.pause(0.05)
            frame = pilot.app.export_screenshot()
            if frame == before:
                break
            before = frame

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_insights)
