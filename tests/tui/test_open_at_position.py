"""A search hit deep in a long thread opens at once: the view reads the page around the item
by position (one request after the cursor of the item before it), not every page from the
top; pages before it load as the view scrolls up, ``g`` reads from the top. Over a mirror of
one 2,400-item thread served on loopback with latency, as ``--mirror`` serves it."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.item_window import ItemPosition, items_around
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.search.screen import SearchScreen
from chatkit_tui.tui.threads.thread_view import ItemView, ThreadView
from tests.fixtures.mirror_file import DEEP_WORD, long_item_id, long_thread_mirror
from tests.tui.helpers import burst, fixed_now, notifications, screen_text, wait_for
from tests.tui.test_render import plain

HIT = 1693  # the seq of the hit: item #1,694
LATENCY_MS = 100.0


def _app(server: BackgroundServer, path: Path) -> ChatKitApp:
    client = AsyncChatKit(api_key="mirror", base_url=server.base_url, max_retries=0)
    return ChatKitApp(
        client, endpoint_label="mirror of test", read_only=True, now=fixed_now, mirror_path=path
    )


def _shown_ids(view: ThreadView) -> list[str | None]:
    return [v.item.id for v in view.query(ItemView)]


def _hit_view(view: ThreadView) -> ItemView | None:
    return next((v for v in view.query(ItemView) if v.item.id == long_item_id(HIT)), None)


def _on_screen(view: ThreadView, widget: ItemView) -> bool:
    return view.region.contains_region(widget.region) if widget.region.height else False


async def _choose_hit(app: ChatKitApp, pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    tl = app.main_screen.thread_list
    await wait_for(pilot, lambda: tl.row_count == 1, what="the list")
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), what="search screen")
    screen = app.screen
    assert isinstance(screen, SearchScreen)
    screen.query_one(Input).value = DEEP_WORD
    hits = screen.query_one(OptionList)
    await wait_for(pilot, lambda: hits.option_count == 1, what="the hit")
    [hit] = screen.hits
    assert (hit.seq, hit.item_id) == (HIT, long_item_id(HIT))
    assert (hit.after_id, hit.after_seq) == (long_item_id(HIT - 1), HIT - 1)
    await pilot.press("down")  # to the hits; enter opens the highlighted one


@pytest.fixture
def without_earlier_garbage() -> Iterator[None]:
    """What the tests before this one left for the collector (a whole suite's apps) is not
    scanned while this one is timed: it is the app's time that is measured."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("without_earlier_garbage")
async def test_a_hit_deep_in_a_long_thread_opens_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "long.sqlite3"
    long_thread_mirror(path, items=2400, hit=HIT)
    faults = Faults(latency_ms=LATENCY_MS)
    with BackgroundServer(db=path, api_key="mirror", faults=faults) as served:
        app = _app(served, path)
        async with app.run_test(size=(120, 40)) as pilot:
            await _choose_hit(app, pilot)
            view = app.main_screen.view
            status = view.query_one("#view-status", Static)
            # the list's cursor is on the thread: its first pages were read from the top
            await wait_for(pilot, lambda: view.thread_id is not None and not view.fetching)
            await pilot.pause(LATENCY_MS / 1000 + 0.1)
            before = served.served["list_items"]
            said: list[str] = []
            started = time.monotonic()
            burst(app, "enter")  # posted, not waited for: the wait itself is watched

            def shown() -> bool:
                said.append(plain(status.render()))  # pyright: ignore[reportArgumentType]
                hit = _hit_view(view)
                return hit is not None and "-hit" in hit.classes and _on_screen(view, hit)

            await wait_for(pilot, shown, limit=5, what="the hit on screen")
            took = time.monotonic() - started
            assert took < 1.0, f"the hit took {took:.2f}s to show"
            # while the one request was on its way, the view said where it was going
            assert any("reading items around #1,694" in s for s in said), said
            assert DEEP_WORD in screen_text(app)
            await pilot.pause(0.05)  # scrolled to the top of the view (the page above is slower)
            hit = _hit_view(view)
            assert hit is not None and hit.region.y == view.region.y
            # a page on either side follows on its own; nothing is read from the top
            await wait_for(pilot, lambda: view.item_count == 20 + 2 * 50, what="both pages")
            await pilot.pause(0.3)
            assert served.served["list_items"] - before == 3
            ids = _shown_ids(view)
            assert ids == [long_item_id(s) for s in range(HIT - 50, HIT + 70)]
            assert hit.region.y == view.region.y  # the page put in above moved nothing
            assert "1,643 earlier items above" in plain(
                view.query_one("#view-earlier", Static).render()  # pyright: ignore[reportArgumentType]
            )


async def test_scrolling_up_reads_earlier_pages_and_g_reads_from_the_top(tmp_path: Path) -> None:
    """The hit's thread is not the one shown (a newer one is first in the list): the hit
    jumps to it and reads the items around it all the same."""
    path = tmp_path / "long.sqlite3"
    long_thread_mirror(path, items=400, hit=300, newer=True)
    with BackgroundServer(db=path, api_key="mirror") as served:
        app = _app(served, path)
        async with app.run_test(size=(120, 40)) as pilot:
            tl = app.main_screen.thread_list
            await wait_for(pilot, lambda: tl.row_count == 2, what="the list")
            view = app.main_screen.view
            await wait_for(pilot, lambda: view.thread_id == "cthr_newer", what="the newer one")
            await pilot.press("ctrl+f")
            await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            screen.query_one(Input).value = DEEP_WORD
            await wait_for(pilot, lambda: screen.query_one(OptionList).option_count == 1)
            await pilot.press("down", "enter")
            target = long_item_id(300)
            await wait_for(pilot, lambda: any(i == target for i in _shown_ids(view)))
            await wait_for(pilot, lambda: view.item_count == 120 and not view.fetching_earlier)
            assert view.first_seq == 250 and view.has_earlier
            # up, line by line, past the top of what is loaded: the page before comes
            view.scroll_to(y=0, animate=False, immediate=True)
            await pilot.press("k")
            await wait_for(pilot, lambda: view.first_seq == 200, what="the page before")
            ids = _shown_ids(view)
            assert ids == [long_item_id(s) for s in range(200, 370)]  # in order, none twice
            assert view.scroll_y > 0  # kept in place: the new page is above the screen
            # g: the thread's first item, read from the top (the window starts over)
            await pilot.press("g")
            await wait_for(
                pilot,
                lambda: _shown_ids(view)[:1] == [long_item_id(0)] and not view.has_earlier,
                what="the top",
            )
            assert view.scroll_y == 0 and view.first_seq == 0
            assert not view.query_one("#view-earlier", Static).display


async def test_without_a_before_cursor_nothing_is_asked_above_and_g_reads_from_the_top(
    tmp_path: Path,
) -> None:
    """A deployment that cannot page backwards (a mirror file read in process): the window
    around the hit opens as ever, scrolling above it asks for nothing (no error either),
    the line above says g, and g reads the thread from its first item."""
    from chatkit_tui.backends.mirror.deployment import MirrorDeployment

    path = tmp_path / "long.sqlite3"
    long_thread_mirror(path, items=400, hit=300, newer=True)
    deployment = MirrorDeployment.open(path)
    assert not deployment.capabilities.before_cursor
    app = ChatKitApp(deployment, now=fixed_now, mirror_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = app.main_screen.thread_list
        await wait_for(pilot, lambda: tl.row_count == 2, what="the list")
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.thread_id == "cthr_newer", what="the newer one")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one(Input).value = DEEP_WORD
        await wait_for(pilot, lambda: screen.query_one(OptionList).option_count == 1)
        await pilot.press("down", "enter")
        target = long_item_id(300)
        await wait_for(pilot, lambda: any(i == target for i in _shown_ids(view)))
        await wait_for(pilot, lambda: view.item_count == 70 and not view.fetching)
        assert view.first_seq == 300 and view.has_earlier  # the page before: not read
        view.scroll_to(y=0, animate=False, immediate=True)
        await pilot.press("k")
        await pilot.pause(0.2)
        assert view.first_seq == 300 and not view.fetching_earlier
        assert notifications(app) == []
        assert "g: from the first" in plain(view.query_one("#view-earlier", Static).render())  # pyright: ignore[reportArgumentType]
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: _shown_ids(view)[:1] == [long_item_id(0)] and not view.has_earlier,
            what="the top",
        )
        assert view.first_seq == 0


async def test_a_cursor_the_live_thread_no_longer_has_falls_back_to_the_top(
    local_server: BackgroundServer,
) -> None:
    """Online a hit opens live: if the item before it is not there any more (a 400 for its
    cursor), the thread is read from its first page instead of failing."""
    thread_id = local_server.store.thread_ids_by_item_count(1)[0][0]
    async with AsyncChatKit(api_key="k", base_url=local_server.base_url, max_retries=0) as client:
        at = ItemPosition(5, "cthi_none", after_id="cthi_not_there", after_seq=4)
        around = await items_around(client, thread_id, at, limit=10)
        assert (around.first_seq, around.cursor) == (0, None)
        first = await client.threads.list_items(thread_id, limit=10, order="asc")
        assert [i.id for i in around.page.data] == [i.id for i in first.data]
