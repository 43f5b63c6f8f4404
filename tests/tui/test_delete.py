"""Deletes: confirm dialog, archive first, row back on failure, 404 as already gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.keys import order
from chatkit_tui.tui.threads.bulk import ConfirmBulkDeleteScreen
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from tests.tui.helpers import burst, loaded, make_app, notifications, screen_text, wait_for


def archived(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "archive"
    return sorted(folder.iterdir()) if folder.exists() else []


async def _open_dialog(pilot, app) -> ConfirmDeleteScreen:  # type: ignore[no-untyped-def]
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen), what="dialog")
    return app.screen


@pytest.mark.parametrize("settle_limit", [order.SETTLE_LIMIT, 0.0], ids=["held", "passed-on"])
async def test_a_y_typed_before_the_dialog_was_shown_does_not_delete(
    local_server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settle_limit: float,
) -> None:
    """d and y in one burst (bunched up by a slow link): the dialog must be read first.
    ``passed-on``: on a loaded machine the ``d`` outlasts SETTLE_LIMIT and the ``y`` is
    passed on to the list; the dialog is on top by the time the ``y`` comes back up to the
    bindings. It deleted the thread unasked (CI, once); SETTLE_LIMIT 0 makes that happen
    every time."""
    monkeypatch.setattr(order, "SETTLE_LIMIT", settle_limit)
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        thread = tl.current
        assert thread is not None
        burst(app, "d", "y", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen), what="dialog")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmDeleteScreen)  # still asking
        assert local_server.store.get_thread(thread.id) is not None and not archived(tmp_path)
        await pilot.press("y")  # read, then answered
        await wait_for(pilot, lambda: local_server.store.get_thread(thread.id) is None)


async def test_delete_cancelled_by_escape_or_n(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        thread = tl.current
        assert thread is not None
        dialog = await _open_dialog(pilot, app)
        text = screen_text(app)
        assert thread.id in text and thread.user in text and "Delete this thread?" in text
        assert isinstance(dialog.focused, Button) and str(dialog.focused.label) == "Cancel (n)"
        await pilot.press("escape")
        await pilot.pause()
        await _open_dialog(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        await _open_dialog(pilot, app)
        await pilot.press("enter")  # enter presses the focused button: Cancel
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        assert local_server.store.thread_exists(thread.id)
        assert len(tl.threads) == 30 and archived(tmp_path) == []


async def test_delete_confirmed_archives_every_item_then_deletes(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    thread_id, count = store.thread_ids_by_item_count(1)[0]
    app = make_app(local_server, archive_dir=tmp_path / "archive", item_page_size=5)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.select_thread(thread_id)
        await _open_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: not store.thread_exists(thread_id), what="server delete")
        await wait_for(pilot, lambda: any("Deleted" in m for m in notifications(app)))
        assert thread_id not in {t.id for t in tl.threads}
        files = archived(tmp_path)
        assert len(files) == 1
        archive = json.loads(files[0].read_text())
        assert archive["thread"]["id"] == thread_id
        assert len(archive["items"]) == count > 5  # every page, not just the first
        assert [i["created_at"] for i in archive["items"]] == sorted(
            i["created_at"] for i in archive["items"]
        )
        assert str(files[0]) in " ".join(notifications(app))


async def test_delete_button_confirms(local_server: BackgroundServer, tmp_path: Path) -> None:
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        thread = tl.current
        assert thread is not None
        dialog = await _open_dialog(pilot, app)
        dialog.query_one("#confirm", Button).press()
        await wait_for(pilot, lambda: not local_server.store.thread_exists(thread.id))


async def test_delete_failing_puts_the_row_back_with_an_error(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store

    def broken(thread_id: str) -> bool:
        raise RuntimeError("disk on fire")

    store.delete_thread = broken  # type: ignore[method-assign]  (the server answers 500)
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        for _ in range(3):
            await pilot.press("j")
        thread = tl.current
        assert thread is not None
        await _open_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Delete failed" in m for m in notifications(app)))
        message = next(m for m in notifications(app) if "Delete failed" in m)
        assert "500" in message and "request id req_" in message
        assert [t.id for t in tl.threads].index(thread.id) == 3  # back where it was
        assert store.thread_exists(thread.id)
        assert len(archived(tmp_path)) == 1  # the archive was still written


async def test_archive_failure_means_no_delete(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    app = make_app(local_server, archive_dir=not_a_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        thread = tl.current
        assert thread is not None
        await _open_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("could not be archived" in m for m in notifications(app)))
        assert local_server.store.thread_exists(thread.id)
        assert thread.id in {t.id for t in tl.threads}


async def test_already_deleted_thread_is_said_to_be_gone(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        thread = tl.current
        assert thread is not None
        local_server.store.delete_thread(thread.id)  # someone else deleted it
        await _open_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("already gone" in m for m in notifications(app)))
        assert thread.id not in {t.id for t in tl.threads}


async def footer_line(pilot: Pilot[None], app: ChatKitApp) -> str:
    """The footer as the user sees it once the screen has settled: its bindings are drawn
    (Refresh is always there) and a little later nothing has changed."""
    await wait_for(pilot, lambda: "Refresh" in screen_text(app).splitlines()[-1], what="footer")
    await pilot.pause(0.3)  # a footer that recomposes late (bindings changed) has done so
    return screen_text(app).splitlines()[-1]


def available_actions(app: ChatKitApp) -> set[str]:
    """Actions the focused chain offers now (check_action False removes a binding)."""
    return {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}


async def test_read_only_removes_delete(local_server: BackgroundServer, tmp_path: Path) -> None:
    app = make_app(local_server, archive_dir=tmp_path / "archive", read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        footer = await footer_line(pilot, app)
        assert "READ-ONLY" in screen_text(app)
        assert "Delete" not in footer and "Refresh" in footer
        assert "delete" not in available_actions(app) and "refresh" in available_actions(app)
        await pilot.press("d", "delete")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        assert len(tl.threads) == 30
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        help_text = screen_text(app)
        assert "Read-only mode" in help_text and "main.refresh" in help_text
        assert "main.delete" not in help_text


async def test_read_only_removes_bulk_delete(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    """Marks still work read-only (they feed export); D, deleting them, is not available."""
    app = make_app(local_server, archive_dir=tmp_path / "archive", read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("space", "space")
        await wait_for(pilot, lambda: len(tl.marked) == 2, what="two marks")
        await footer_line(pilot, app)
        assert "bulk_delete" not in available_actions(app)
        assert "toggle_mark" in available_actions(app)  # marking stays
        await pilot.press("D")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmBulkDeleteScreen)
        assert not (tmp_path / "archive").exists()


async def test_reading_a_thread_the_list_moving_underneath_does_not_swap_it(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    """80x24 (one pane at a time): o, r and d while reading act on the thread being read.

    The list's cursor moved under the hidden view (o showed the oldest thread instead, and a
    second d targeted a thread the user had not looked at)."""
    from tests.tui.helpers import main_screen, thread_view, view_done

    app = make_app(local_server, archive_dir=tmp_path / "archive")
    async with app.run_test(size=(80, 24)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("j", "j", "enter")
        reading = tl.current
        assert reading is not None
        view = await view_done(pilot, app, reading.id)
        assert view.has_focus
        await pilot.press("o")  # the list reloads oldest first, its cursor on another thread
        await wait_for(pilot, lambda: main_screen(app).order == "asc" and not tl.fetching)
        await pilot.pause(0.4)  # past the debounce: nothing may swap the view now
        assert tl.current is not None and tl.current.id != reading.id
        assert thread_view(app).thread_id == reading.id
        dialog = await _open_dialog(pilot, app)
        assert dialog.thread.id == reading.id  # d deletes the thread on screen
        await pilot.press("y")
        await wait_for(pilot, lambda: not local_server.store.thread_exists(reading.id))
        # the thread read is gone: back to the list, and the view follows its cursor
        await wait_for(pilot, lambda: tl.has_focus, what="back in the list")
        current = tl.current
        assert current is not None
        await view_done(pilot, app, current.id)
        assert len(archived(tmp_path)) == 1
