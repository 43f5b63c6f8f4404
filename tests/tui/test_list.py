"""Pilot tests of the thread list against the local server over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from tests.tui.helpers import (
    burst,
    insert_thread,
    loaded,
    make_app,
    screen_text,
    settled,
    thread_list,
    wait_for,
)


async def test_first_page_then_pages_until_has_more_is_false(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(seed=95)
    app = make_app(server, thread_page_size=20)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        first = len(tl.threads)
        assert first >= 20  # the first page at once (more may follow to fill the look-ahead)
        assert "threads" in screen_text(app)
        await pilot.press("G")
        await wait_for(pilot, lambda: not tl.has_more and not tl.fetching, what="last page")
        ids = [t.id for t in tl.threads]
        assert len(ids) == len(set(ids)) == server.store.count_threads()
        assert "95 threads" in screen_text(app)
        assert " · more" not in screen_text(app)


async def test_next_page_is_fetched_before_the_cursor_reaches_the_end(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(seed=300)
    app = make_app(server, thread_page_size=30)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await settled(pilot, app)
        # the look-ahead (3 screens or 50 rows) is already satisfied without moving
        assert len(tl.threads) - tl.cursor > 50
        count = len(tl.threads)
        assert count < 300
        for _ in range(60):
            await pilot.press("j")
        await wait_for(pilot, lambda: len(tl.threads) > count, what="the next page")
        await settled(pilot, app)
        # the cursor never reached the last loaded row while pages came in
        assert tl.cursor < len(tl.threads) - 1


async def test_pagedown_and_mouse_wheel_scroll_also_load_more(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(seed=200)
    app = make_app(server, thread_page_size=60)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        before = len(tl.threads)
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for(pilot, lambda: len(tl.threads) > before and not tl.fetching)
        # the wheel scrolls without moving the cursor: scroll_y alone must trigger
        before = len(tl.threads)
        cursor = tl.cursor
        tl.scroll_to(y=tl.max_scroll_y, animate=False, immediate=True)
        await wait_for(pilot, lambda: len(tl.threads) > before and not tl.fetching)
        assert tl.cursor == cursor


async def test_user_filter_is_server_side(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        user = tl.threads[0].user
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", *user, "enter")
        await wait_for(pilot, lambda: not tl.fetching and all(t.user == user for t in tl.threads))
        assert len(tl.threads) == local_server.store.count_threads(user=user)
        assert f"user {user}" in screen_text(app)
        # an empty user clears the filter
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", "enter")
        await wait_for(pilot, lambda: not tl.fetching and len(tl.threads) == 30)


async def test_o_flips_the_order(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        newest_first = [t.created_at for t in tl.threads]
        assert newest_first == sorted(newest_first, reverse=True)
        await pilot.press("o")
        await wait_for(pilot, lambda: not tl.fetching and len(tl.threads) == 30)
        oldest_first = [t.created_at for t in tl.threads]
        assert oldest_first == sorted(oldest_first)
        assert "oldest first" in screen_text(app)


async def test_slash_filters_loaded_rows_as_you_type(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        target = tl.threads[7]
        needle = target.id[-6:]
        await pilot.press("slash", *needle[:3])
        partial = tl.row_count
        await pilot.press(*needle[3:])
        assert tl.row_count <= partial
        assert tl.row_count == 1 and tl.current is not None and tl.current.id == target.id
        await pilot.press("enter")
        assert tl.has_focus and tl.row_count == 1
        await pilot.press("slash", "escape")  # escape in the box clears the filter
        assert tl.row_count == 30


async def test_r_refreshes_and_keeps_the_selection(local_server: BackgroundServer) -> None:
    app = make_app(local_server, thread_page_size=10)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        await wait_for(pilot, lambda: not tl.has_more)
        for _ in range(17):
            await pilot.press("j")
        selected = tl.current
        assert selected is not None
        newest = tl.threads[0]
        local_server.store.delete_thread(newest.id)  # the world changed meanwhile
        await pilot.press("r")
        await wait_for(pilot, lambda: not tl.fetching and tl.current is not None)
        await wait_for(pilot, lambda: tl.current is not None and tl.current.id == selected.id)
        assert newest.id not in {t.id for t in tl.threads}


async def test_a_server_repeating_its_page_stops_paging_with_a_warning(
    local_server: BackgroundServer,
) -> None:
    store = local_server.store
    real = store.list_threads

    def ignore_cursor(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        kwargs.pop("after", None)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    store.list_threads = ignore_cursor  # type: ignore[method-assign]
    app = make_app(local_server, thread_page_size=10)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = thread_list(app)
        await wait_for(pilot, lambda: tl.stopped is not None, what="paging to stop")
        assert len(tl.threads) == 10  # the repeated page added nothing
        await pilot.press("G")
        await pilot.pause(0.2)
        assert len(tl.threads) == 10 and not tl.fetching
        assert "repeated a page" in screen_text(app)


async def test_slash_from_the_thread_view_at_80x24_shows_the_find_box(
    local_server: BackgroundServer,
) -> None:
    """Narrow layout: ``/`` in the thread view used to open a find box hidden with the list,
    so what was typed changed the list (and the open thread) out of sight."""
    from textual.widgets import Input

    app = make_app(local_server)
    async with app.run_test(size=(80, 24)) as pilot:
        tl = await loaded(pilot, app)
        target = tl.threads[4]
        await pilot.press("enter")
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.has_focus, what="the thread view")
        needle = target.id[-6:]
        await pilot.press("slash", *needle)
        find = app.main_screen.query_one("#find", Input)
        await wait_for(pilot, lambda: tl.filter_text == needle, what="the filter")
        await pilot.pause()
        assert find.has_focus and find.value == needle
        text = screen_text(app)
        assert needle in text and "1 shown" in text
        assert not view.has_focus and tl.row_count == 1
        await pilot.press("enter")
        assert tl.has_focus and tl.current is not None and tl.current.id == target.id


async def test_keys_after_enter_in_a_burst_scroll_the_thread_it_opened(
    local_server: BackgroundServer,
) -> None:
    """enter then j at once: the j is for the thread view enter opened, not the list."""
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await settled(pilot, app)
        first = tl.current
        burst(app, "enter", "j", "j", "j")
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.has_focus and view.thread_id is not None)
        await pilot.pause(0.2)
        assert tl.cursor == 0 and first is not None and view.thread_id == first.id


async def test_keys_typed_ahead_of_the_filter_box_land_in_it(
    local_server: BackgroundServer,
) -> None:
    """A burst ("/refund" pasted or sent by tmux) must not lose keys or run bindings."""
    from textual import events
    from textual.widgets import Input

    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        needle = tl.threads[5].id[-8:]
        for char in "/" + needle:
            app.post_message(events.Key("slash" if char == "/" else char, char))
        await wait_for(pilot, lambda: app.main_screen.query_one("#find", Input).value == needle)
        # the box's Changed message applies the filter a moment after the value is set
        await wait_for(pilot, lambda: tl.filter_text == needle, what="the filter")
        assert tl.row_count == 1 and not tl.fetching


async def test_the_slash_filter_does_not_page_through_the_server(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(seed=300)
    app = make_app(server, thread_page_size=30)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await settled(pilot, app)
        count = len(tl.threads)
        await pilot.press("slash", *"zzz-no-match")
        await pilot.pause(0.4)
        assert tl.row_count == 0 and len(tl.threads) == count and tl.has_more
        assert "the / filter searches loaded ones" in screen_text(app)
        await pilot.press("escape")  # clear: paging resumes as the cursor needs it
        await pilot.press("G")
        await wait_for(pilot, lambda: len(tl.threads) > count)


async def test_paging_down_at_100ms_latency_never_waits_at_the_end(
    make_server: Callable[..., BackgroundServer],
) -> None:
    from chatkit_tui.server.faults import Faults

    server = make_server(seed=600, faults=Faults(latency_ms=100))
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        waits = 0
        for _ in range(20):  # PageDown held: ~25 rows every 100 ms
            await pilot.press("pagedown")
            await pilot.pause(0.1)
            if tl.has_more and tl.cursor >= len(tl.threads) - 1:
                waits += 1
        assert tl.cursor > 400  # it went far
        assert waits == 0  # and never sat on the last loaded row waiting for a page


def slow_app(make_server: Callable[..., BackgroundServer]) -> ChatKitApp:
    """An app on 500 threads served a second late: a burst of keys outruns every page."""
    from chatkit_tui.server.faults import Faults

    return make_app(make_server(seed=500, faults=Faults(latency_ms=1000)))


async def test_down_keys_pressed_past_the_loaded_rows_are_made_good_when_the_page_arrives(
    make_server: Callable[..., BackgroundServer],
) -> None:
    """A burst of keys (a held key over a slow SSH link) is not cut short at a page end."""
    app = slow_app(make_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await settled(pilot, app)
        count = len(tl.threads)
        burst(app, "end", *["down"] * 30, "pagedown")
        await wait_for(pilot, lambda: tl.cursor == count - 1, what="the burst")
        await pilot.pause(0.1)
        # the next page is still most of a second away: the cursor waits on the last loaded row
        assert tl.fetching and tl.cursor == count - 1 and len(tl.threads) == count
        target = count - 1 + 30 + tl.scrollable_content_region.height - 1
        await wait_for(pilot, lambda: len(tl.threads) > count, what="the next page")
        assert tl.cursor == target
        assert tl.current is tl.threads[target]


async def test_moving_up_or_leaving_the_list_drops_the_keys_pressed_past_its_end(
    make_server: Callable[..., BackgroundServer],
) -> None:
    app = slow_app(make_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await settled(pilot, app)
        count = len(tl.threads)
        burst(app, "end", "down", "down", "up")  # up: the user stopped and went back
        await wait_for(pilot, lambda: tl.cursor == count - 2, what="the burst")
        assert tl.fetching and len(tl.threads) == count
        await wait_for(pilot, lambda: len(tl.threads) > count, what="the next page")
        await pilot.pause()
        assert tl.cursor == count - 2
        count = len(tl.threads)
        burst(app, "end", "down", "down", "enter")  # into the thread view: stay on that thread
        await wait_for(pilot, lambda: not tl.has_focus, what="the thread view")
        opened = tl.current
        assert tl.fetching and opened is tl.threads[count - 1]
        await wait_for(pilot, lambda: len(tl.threads) > count, what="the page after")
        await pilot.pause()
        assert tl.current is opened


async def test_a_hostile_title_is_literal_in_the_list_widgets_own_lines(
    local_server: BackgroundServer,
) -> None:
    """The list's rendered lines, not the whole screen (the view's header shows the title
    too): the markup is text, and no segment carries an action (a click would run it)."""
    title = "[@click=app.quit]Q[/] \x1b[1m[b]y"  # fits the title column at 100 columns (one pane)
    insert_thread(local_server, "cthr_zz_hostile", title=title, created_at=1_790_000_000)
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.current is not None and tl.current.id == "cthr_zz_hostile"
        strip = tl.render_line(0)  # the first line on screen: the newest thread, this one
        text = "".join(segment.text for segment in strip)
        assert "[@click=app.quit]Q[/] ␛[1m[b]y" in text
        metas = [segment.style.meta for segment in strip if segment.style is not None]
        assert not any("@click" in meta for meta in metas), metas
