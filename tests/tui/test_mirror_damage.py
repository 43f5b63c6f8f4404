"""The app over a damaged mirror (``--mirror``) says so, in the words that say how to
repair it, and goes on: a thread whose items are on a damaged page shows "the mirror is
damaged" (the mirror read in process, as ``--mirror`` does: never "500 Server
error"); rows of the list on a damaged page read as unreadable, with a
notification and a mark in the status line, not a crash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from tests.fixtures.damage import damage_pages, page_of
from tests.fixtures.mirror_file import fill_mirror
from tests.tui.helpers import fixed_now, notifications, thread_list, wait_for


async def make_mirror(origin: BackgroundServer, path: Path) -> None:
    async with AsyncChatKit(api_key="k", base_url=origin.base_url) as client:
        with Mirror.open(path, create=True, origin=Origin(origin.base_url)) as mirror:
            assert (await MirrorSync(client, mirror).run()).complete


def app_over(path: Path) -> ChatKitApp:
    """The app as ``--mirror PATH`` opens it: the file read in process."""
    client = MirrorDeployment.open(path)
    return ChatKitApp(
        client, endpoint_label="mirror", read_only=True, now=fixed_now, mirror_path=path
    )


def line(app: ChatKitApp, y: int) -> str:
    return "".join(segment.text for segment in thread_list(app).render_line(y))


async def test_a_thread_on_a_damaged_page_says_the_mirror_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "mirror.sqlite3"
    with BackgroundServer(seed=20) as origin:
        await make_mirror(origin, path)
    db = sqlite3.connect(path)
    thread_id, pk = db.execute(
        "SELECT thread_id, pk FROM items WHERE seq = 0 ORDER BY pk LIMIT 1 OFFSET 5"
    ).fetchone()
    db.close()
    damage_pages(path, [page_of(path, "items", pk)])  # its first items: the view's first page
    app = app_over(path)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = thread_list(app)
        await wait_for(pilot, lambda: tl.row_count == 20, what="the rows")
        app.main_screen.jump_to(thread_id)
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.stopped is not None, what="the view to stop")
        assert view.stopped is not None
        assert view.stopped.startswith(f"the mirror is damaged: {path}")
        assert f"chatkit-tui mirror --full --db {path}" in view.stopped
        shown = " ".join(notifications(app))
        assert "the mirror is damaged" in shown
        assert "500" not in view.stopped + shown and "Server error" not in shown


async def test_rows_on_a_damaged_page_read_as_unreadable_and_the_app_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mirror.sqlite3"
    fill_mirror(path, 2_000)
    db = sqlite3.connect(path)
    [newest] = db.execute("SELECT pk FROM threads ORDER BY created_at DESC LIMIT 1").fetchone()
    db.close()
    damage_pages(path, [page_of(path, "threads", newest)])  # the first screen's rows
    app = app_over(path)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = thread_list(app)
        await wait_for(pilot, lambda: tl.row_count == 2_000, what="the count")
        await wait_for(
            pilot,
            lambda: "the mirror is damaged" in " ".join(notifications(app)),
            what="the notification",
        )
        assert "cannot be read from the mirror" in line(app, 0)
        status = str(app.main_screen.query_one("#list-status").render())
        assert "the mirror is damaged" in status
        await pilot.press("end")  # the far end reads from other, whole pages
        await wait_for(pilot, lambda: tl.current is not None, what="a readable row")
        assert tl.current is not None and tl.current.id == "cthr_m0000000"
        assert sum("the mirror is damaged" in n for n in notifications(app)) == 1
