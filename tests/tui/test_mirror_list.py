"""Over a mirror the thread list reads its rows from the file on demand: every thread is
a row at once, End is the last thread of the file, memory stays bounded while paging
through, and the order, the user filter and / are queries over the whole file."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import mirror_target
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.threads.rows import WINDOWS_KEPT
from chatkit_tui.tui.threads.user_filter import UserFilterScreen
from tests.fixtures.mirror_file import fill_mirror
from tests.tui.helpers import fixed_now, thread_list, wait_for

COUNT = 5_000


@pytest.fixture
def mirror(mirror_target: str) -> str:
    """A file, or a PostgreSQL database: the list reads either on demand."""
    fill_mirror(mirror_target, COUNT)
    return mirror_target


def line(app: ChatKitApp, y: int) -> str:
    return "".join(segment.text for segment in thread_list(app).render_line(y))


async def test_every_thread_is_a_row_and_end_is_the_last_of_the_file(mirror: str) -> None:
    with BackgroundServer(db=mirror, api_key="k") as served:
        client = AsyncChatKit(api_key="k", base_url=served.base_url, max_retries=0)
        app = ChatKitApp(client, read_only=True, now=fixed_now, mirror_path=mirror_target(mirror))
        async with app.run_test(size=(100, 30)) as pilot:
            tl = thread_list(app)
            await wait_for(pilot, lambda: tl.row_count == COUNT, what="the rows")
            assert tl.source is not None and not tl.has_more
            assert "Thread number 4999" in line(app, 0)  # newest first
            await pilot.press("end")
            assert tl.cursor == COUNT - 1
            assert tl.current is not None and tl.current.id == "cthr_m0000000"
            await pilot.press("home")
            for _ in range(60):  # page through 60 pages: the cache stays bounded
                await pilot.press("pagedown")
            assert tl.cursor > 1_000 and tl.source.windows_held <= WINDOWS_KEPT
            assert len(tl._threads) == 0  # nothing accumulates beside the file's rows

            await pilot.press("o")  # oldest first: a query, not a re-sort in memory
            await wait_for(pilot, lambda: "Thread number 0 " in line(app, 0), what="asc")

            await pilot.press("slash")
            app.screen.query_one("#find", Input).value = "number 123"
            await wait_for(pilot, lambda: tl.row_count == 11, what="the / filter")  # 123, 1230-9
            await pilot.press("escape")

            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, UserFilterScreen))
            await pilot.press(*"user_3", "enter")
            await wait_for(pilot, lambda: tl.row_count == 714, what="one user's threads")
            shown = [tl.thread_at(row) for row in range(5)]
            assert all(t is not None and t.user == "user_3" for t in shown)


async def test_a_thread_is_found_by_id_wherever_it_is(mirror: str) -> None:
    with BackgroundServer(db=mirror, api_key="k") as served:
        client = AsyncChatKit(api_key="k", base_url=served.base_url, max_retries=0)
        app = ChatKitApp(client, read_only=True, now=fixed_now, mirror_path=mirror_target(mirror))
        async with app.run_test(size=(100, 30)) as pilot:
            tl = thread_list(app)
            await wait_for(pilot, lambda: tl.row_count == COUNT, what="the rows")
            assert tl.select_thread("cthr_m0000042")
            assert tl.cursor == COUNT - 1 - 42
            assert tl.current is not None and tl.current.id == "cthr_m0000042"
