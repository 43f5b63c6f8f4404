"""Pilot tests of the thread view: reading order, paging, every item type, literal text."""

from __future__ import annotations

import itertools
import time
from typing import Any

from textual import events

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.threads.main import DEBOUNCE
from chatkit_tui.tui.threads.thread_view import ItemView
from tests.tui.helpers import (
    HOSTILE_TITLE,
    burst,
    every_item_type,
    insert_raw_items,
    insert_thread,
    loaded,
    make_app,
    notifications,
    screen_text,
    thread_list,
    thread_view,
    view_done,
    wait_for,
)


async def test_every_item_type_and_hostile_text_shown_literally(
    local_server: BackgroundServer,
) -> None:
    insert_thread(local_server, "cthr_zz_all", title=HOSTILE_TITLE, created_at=1_770_000_000)
    insert_raw_items(local_server, "cthr_zz_all", every_item_type("cthr_zz_all"))
    app = make_app(local_server)
    async with app.run_test(size=(130, 60)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.current is not None and tl.current.id == "cthr_zz_all"  # newest first
        await pilot.press("enter")
        view = await view_done(pilot, app, "cthr_zz_all")
        kinds = [next(c for c in w.classes if c.startswith("-")) for w in view.query(ItemView)]
        assert kinds == [
            "-user",
            "-assistant",
            "-widget",
            "-tool",
            "-task",
            "-task-group",
            "-unknown",
        ]
        text = screen_text(app)
        assert app.is_running  # the [@click=app.quit] title did not quit the app
        assert "[@click=app.quit]Click[/]" in text
        assert "␛[31mred␛[0m" in text and "\x1b" not in text
        assert "[bold]not bold[/]" in text and "␛[2J␇" in text
        assert "the quoted part" in text and "report.pdf" in text
        assert "https://files.example/report.png" in text and "gpt-4.1" in text
        assert "Answer" in text and "<b>html</b>" in text and "[red]markup[/red]" in text
        assert "(https://example.com)" in text
        assert "[1] file notes.txt" in text and "[2] url https://ref.example" in text
        assert '"type": "Card"' in text  # pretty JSON
        assert "get_weather" in text and "call_42" in text and "not valid JSON" in text
        view.scroll_end(animate=False)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "Thinking" in text and "Step one" in text
        assert "UNKNOWN" in text and "chatkit.hologram" in text and '"color": "[blue]"' in text


async def test_items_load_page_by_page_in_reading_order(local_server: BackgroundServer) -> None:
    items = [
        {
            "id": f"cthi_{i:03d}",
            "type": "chatkit.task",
            "task_type": "custom",
            "heading": f"step {i}",
            "created_at": 1_762_000_000 + i,
        }
        for i in range(45)
    ]
    insert_thread(local_server, "cthr_zz_long", title="Long", created_at=1_770_000_000)
    insert_raw_items(local_server, "cthr_zz_long", items)  # type: ignore[arg-type]
    app = make_app(local_server, item_page_size=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        view = thread_view(app)
        await wait_for(pilot, lambda: view.item_count >= 10 and not view.fetching)
        assert view.item_count < 45  # not everything at once
        while view.has_more:
            view.scroll_end(animate=False)
            await pilot.pause(0.05)
        await wait_for(pilot, lambda: view.item_count == 45)
        ids = [w.item.id for w in view.query(ItemView)]
        assert ids == [f"cthi_{i:03d}" for i in range(45)]


async def test_selection_moves_are_debounced_and_cancel_loads(
    local_server: BackgroundServer,
) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        view = thread_view(app)
        await wait_for(pilot, lambda: view.thread_id == tl.threads[0].id)
        screen = app.main_screen
        requested: list[str] = []
        real = screen.load_items

        def spy(thread_id: str, after: str | None):  # type: ignore[no-untyped-def]
            requested.append(thread_id)
            return real(thread_id, after)

        screen.load_items = spy  # type: ignore[method-assign]
        assert 0.1 <= DEBOUNCE <= 0.3  # "about 150 ms"
        debounce_started: list[float] = []  # when each move (re)started the debounce timer
        real_set_timer = screen.set_timer

        def spy_timer(delay: float, *args: Any, **kwargs: Any) -> Any:
            if delay == DEBOUNCE:
                debounce_started.append(time.monotonic())
            return real_set_timer(delay, *args, **kwargs)

        screen.set_timer = spy_timer  # type: ignore[method-assign]
        for row in range(1, 9):  # a held key: a move every few tens of ms
            app.post_message(events.Key("j", "j"))
            await wait_for(pilot, lambda row=row: tl.cursor == row, what=f"move {row}")
        target = tl.threads[8].id
        await view_done(pilot, app, target)
        assert len(debounce_started) == 8
        # one request, for where the cursor stopped: not one per row passed. A loaded
        # machine can space two moves further apart than the debounce (pilot.press, which
        # waits for idle after each key, did): each such pause rightly allows one more.
        pauses = sum(b - a > 0.9 * DEBOUNCE for a, b in itertools.pairwise(debounce_started))
        assert requested[-1] == target, requested
        assert len(requested) <= 1 + pauses, (requested, pauses)
        assert target in screen_text(app)


async def test_narrow_80x24_switches_panes(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(80, 24)) as pilot:
        tl = await loaded(pilot, app)
        view = thread_view(app)
        assert app.screen.has_class("-narrow")
        assert tl.display and not view.display
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.has_focus, what="view focus")
        assert view.display
        list_pane = app.screen.query_one("#list-pane")
        assert not list_pane.display
        await pilot.press("escape")
        await wait_for(pilot, lambda: tl.has_focus, what="list focus")
        assert list_pane.display and tl.has_focus and not view.display


async def test_y_copies_the_thread_id(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("j", "y")
        assert tl.current is not None
        assert app.clipboard == tl.threads[1].id == tl.current.id


async def test_unauthorised_says_how_to_set_the_key(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(seed=5, api_key="the-right-key")
    app = make_app(server, api_key="a-wrong-key")
    async with app.run_test(size=(100, 30)) as pilot:
        tl = thread_list(app)
        await wait_for(pilot, lambda: tl.stopped is not None and bool(notifications(app)))
        messages = notifications(app)
        assert any("401" in m and "OPENAI_API_KEY" in m and "request id" in m for m in messages)
        assert not any("a-wrong-key" in m for m in messages)
        assert app.is_running


async def test_n_keys_in_a_burst_scroll_n_lines(local_server: BackgroundServer) -> None:
    """Ten j typed at once (a held key over SSH) scroll ten lines, then k five back."""
    insert_thread(local_server, "cthr_zz_long", title="long", created_at=1_790_000_000)
    text = {"type": "input_text", "text": "a line"}
    items = [
        {
            "id": f"cthi_{i:03}",
            "type": "chatkit.user_message",
            "created_at": 1_790_000_000 + i,
            "content": [text],
            "attachments": [],
        }
        for i in range(40)
    ]
    insert_raw_items(local_server, "cthr_zz_long", items)
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        view = await view_done(pilot, app, "cthr_zz_long")
        assert view.has_focus and view.max_scroll_y > 20
        burst(app, *["j"] * 10)
        await wait_for(pilot, lambda: view.scroll_y >= 10, limit=2, what="ten lines down")
        await pilot.pause(0.2)
        assert view.scroll_y == 10
        burst(app, *["k"] * 5)
        await wait_for(pilot, lambda: view.scroll_y <= 5, limit=2, what="five lines up")
        await pilot.pause(0.2)
        assert view.scroll_y == 5
