"""Snapshot tests: the look of the main views at fixed sizes, on seeded data, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.screens.confirm import ConfirmDeleteScreen
from chatkit_tui.tui.screens.help import HelpScreen
from tests.tui.helpers import (
    HOSTILE_TITLE,
    every_item_type,
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

        from chatkit_tui.tui.screens.bulk import ConfirmBulkDeleteScreen

        await settle(pilot)
        await pilot.press("space", "j", "space", "space", "space", "space", "space", "space")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmBulkDeleteScreen))
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press("5", "enter")  # 7 are marked: the dialog says so and stays
        await pilot.pause(0.1)

    assert snap_compare(make_app(local_server), terminal_size=(80, 24), run_before=open_bulk_dialog)
