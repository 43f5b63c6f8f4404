"""Marks and bulk delete in the app: typed confirmation, archives, failures, 429s, stop."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.threads.bulk import BulkDeleteScreen, ConfirmBulkDeleteScreen
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.thread_list import ThreadList
from tests.fixtures.server import fail_deletes
from tests.tui.helpers import burst, loaded, make_app, notifications, screen_text, wait_for

MakeServer = Callable[..., BackgroundServer]


def status_line(app: ChatKitApp) -> str:
    return str(app.main_screen.query_one("#list-status", Static).render())


def archived(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "archive"
    return sorted(folder.iterdir()) if folder.exists() else []


async def mark(pilot: Pilot[None], tl: ThreadList, count: int) -> list[str]:
    """Mark ``count`` threads from the cursor down; return their ids."""
    ids: list[str] = []
    for _ in range(count):
        current = tl.current
        assert current is not None
        ids.append(current.id)
        await pilot.press("space")
    await wait_for(pilot, lambda: len(tl.marked) == count, what="marks")
    return ids


async def confirm_dialog(pilot: Pilot[None], app: ChatKitApp) -> ConfirmBulkDeleteScreen:
    await pilot.press("D")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmBulkDeleteScreen), what="dialog")
    screen = app.screen
    assert isinstance(screen, ConfirmBulkDeleteScreen)
    return screen


async def run_to_summary(pilot: Pilot[None], app: ChatKitApp, typed: str) -> BulkDeleteScreen:
    await pilot.press(*typed, "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, BulkDeleteScreen), what="progress")
    screen = app.screen
    assert isinstance(screen, BulkDeleteScreen)
    await wait_for(pilot, lambda: screen.summary is not None, limit=15, what="summary")
    await pilot.pause()
    return screen


async def test_space_marks_and_the_status_line_counts_escape_unmarks(
    local_server: BackgroundServer,
) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 3)
        assert tl.cursor == 3  # the cursor moves down after each mark
        assert tl.marked == set(ids)
        assert "3 marked" in status_line(app)
        assert screen_text(app).count("●") == 3
        await pilot.press("k", "space")  # unmark the third
        await wait_for(pilot, lambda: len(tl.marked) == 2)
        assert "2 marked" in status_line(app) and ids[2] not in tl.marked
        await pilot.press("escape")
        await wait_for(pilot, lambda: not tl.marked)
        assert "marked" not in status_line(app)
        assert any("Unmarked 2 threads" in m for m in notifications(app))


async def test_bulk_delete_confirmed_archives_and_deletes_the_marked_threads(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("j")
        ids = await mark(pilot, tl, 4)
        dialog = await confirm_dialog(pilot, app)
        assert isinstance(dialog.focused, Input)  # focus starts in the input
        text = screen_text(app)
        assert "Delete 4 threads?" in text and "Type 4 to confirm" in text
        screen = await run_to_summary(pilot, app, "4")
        assert screen.query_one("#bulk-progress", ProgressBar).percentage == 1
        assert "deleted 4" in screen_text(app)
        assert not any(store.thread_exists(i) for i in ids)
        files = archived(tmp_path)
        assert len(files) == 4
        assert {json.loads(f.read_text())["thread"]["id"] for f in files} == set(ids)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="closed")
        assert not tl.marked and len(tl.threads) == 26
        assert not set(ids) & {t.id for t in tl.threads}
        assert any("deleted 4" in m for m in notifications(app))


async def test_wrong_number_deletes_nothing_and_escape_cancels(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 3)
        await confirm_dialog(pilot, app)
        await pilot.press("4", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmBulkDeleteScreen)  # still asking
        assert "You typed 4: type 3 to delete, or escape to cancel." in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert any("Nothing was deleted" in m for m in notifications(app))
        assert all(local_server.store.thread_exists(i) for i in ids)
        assert tl.marked == set(ids) and len(tl.threads) == 30 and archived(tmp_path) == []


async def test_a_count_typed_before_the_dialog_was_shown_deletes_nothing(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    """D, the number and enter in one burst: the dialog must be read before it is answered."""
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 3)
        burst(app, "D", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmBulkDeleteScreen))
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, ConfirmBulkDeleteScreen)  # still asking, the box empty
        assert screen.query_one("#bulk-count", Input).value == ""
        assert all(local_server.store.thread_exists(i) for i in ids) and archived(tmp_path) == []


async def test_failures_stay_marked_and_the_summary_gives_reasons(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(110, 40)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 6)
        gone, broken = ids[0], set(ids[1:3])
        store.delete_thread(gone)  # someone else deleted it: 404
        fail_deletes(local_server, broken)
        await confirm_dialog(pilot, app)
        await run_to_summary(pilot, app, "6")
        text = screen_text(app)
        assert "deleted 3, already gone 1, failed 2" in text
        assert "Failed (still marked): 2" in text and "500 Server error" in text
        assert "Already gone from the server: 1" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert tl.marked == broken
        assert {t.id for t in tl.threads} & set(ids) == broken
        assert all(store.thread_exists(i) for i in broken)
        assert "2 marked" in status_line(app)
        assert any("failed 2" in m and "stay marked" in m for m in notifications(app))


async def test_rate_limited_server_is_waited_for_not_hammered(
    make_server: MakeServer, tmp_path: Path
) -> None:
    # 14 requests a second: 6 threads need 18 (retrieve, items, delete) after the list page,
    # 16 of them at once. (A 0.5 s window was once spread out and never reached by a run
    # slowed by other work; with 2 s a thread could be limited 5 times and fail.)
    server = make_server(seed=30, faults=Faults(rate_limit=14, rate_window_s=1.0))
    app = make_app(server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(110, 40)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 6)
        await confirm_dialog(pilot, app)
        screen = await run_to_summary(pilot, app, "6")
        assert screen.summary is not None and screen.summary.rate_limited >= 1
        text = screen_text(app)
        assert "deleted 6" in text and "rate limited" in text and "backed off" in text
        assert not any(server.store.thread_exists(i) for i in ids)
        assert len(archived(tmp_path)) == 6


async def test_escape_stops_launching_new_deletes(make_server: MakeServer, tmp_path: Path) -> None:
    # a thread takes two round trips (read for the archive, DELETE): at 1 s each, the 4
    # threads waiting for a free slot wait 2 s, long enough for q and escape on a busy CI
    server = make_server(seed=30, faults=Faults(latency_ms=1000))
    app = make_app(server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(110, 40)) as pilot:
        tl = await loaded(pilot, app)
        ids = await mark(pilot, tl, 12)  # 8 start at once; the rest wait for a free slot
        await confirm_dialog(pilot, app)
        await pilot.press("1", "2", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkDeleteScreen))
        screen = app.screen
        assert isinstance(screen, BulkDeleteScreen)
        await pilot.press("q")  # does not quit in the middle
        assert app.is_running and any("bulk delete is running" in m for m in notifications(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.summary is not None, limit=15, what="summary")
        summary = screen.summary
        assert summary is not None and summary.stopped
        done = {r.thread_id for r in (*summary.deleted, *summary.failed)}
        skipped = {r.thread_id for r in summary.not_attempted}
        assert skipped and done | skipped == set(ids)
        assert not any(server.store.thread_exists(i) for i in done)  # in flight: finished
        assert all(server.store.thread_exists(i) for i in skipped)
        assert len(archived(tmp_path)) == len(done)  # nothing half done
        assert "Bulk delete stopped" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert tl.marked == skipped


async def test_read_only_has_no_bulk_delete(local_server: BackgroundServer) -> None:
    app = make_app(local_server, read_only=True)
    async with app.run_test(size=(100, 40)) as pilot:
        tl = await loaded(pilot, app)
        await mark(pilot, tl, 2)
        assert "D deletes" not in status_line(app)
        await pilot.press("D")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "main.bulk_delete" not in text and "main.export" in text


async def test_help_lists_the_new_bindings(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 80)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        for binding_id in (
            "threads.mark",
            "main.bulk_delete",
            "main.export",
            "bulk_confirm.cancel",
            "bulk.stop",
            "bulk.close",
            "bulk.quit_guard",
        ):
            assert binding_id in text, binding_id


async def test_palette_offers_delete_marked_and_unmark_all(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        await mark(pilot, tl, 2)
        await pilot.press("ctrl+p", *"marked")
        await wait_for(pilot, lambda: "2 marked thread(s)" in screen_text(app), what="palette")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmBulkDeleteScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("ctrl+p", *"unmark all")
        await wait_for(
            pilot, lambda: "threads" in screen_text(app) and "Unmark" in screen_text(app)
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: not tl.marked, what="unmarked")
