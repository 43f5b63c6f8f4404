"""The search screen (ctrl+f) over a real mirror: hits as you type, API text literal, enter
opens the thread at the matching item (pages loaded until it comes), in --mirror mode
(offline, the mirror served read-only) and online (hits open live)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin, default_mirror_path
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.search.screen import SearchScreen
from chatkit_tui.tui.threads.thread_view import ItemView
from tests.tui.helpers import (
    fixed_now,
    insert_raw_items,
    insert_thread,
    loaded,
    make_app,
    notifications,
    wait_for,
)
from tests.tui.test_render import plain

NEEDLE = "zanzibarquux"
DEEP = "cthr_zz_deep"


def deep_thread(server: BackgroundServer) -> None:
    """A thread of 80 items whose 71st alone holds the word: past the view's first page."""
    insert_thread(server, DEEP, title="[b]Deep[/b] \x1b[31m thread", created_at=1_790_000_000)
    items = [
        {
            "id": f"cthi_deep_{n:03}",
            "type": "chatkit.user_message",
            "created_at": 1_790_000_000 + n,
            "content": [{"type": "input_text", "text": f"message {n}"}],
            "attachments": [],
        }
        for n in range(80)
    ]
    items[70]["content"] = [{"type": "input_text", "text": f"[bold]the {NEEDLE}[/] \x1b[2J"}]
    insert_raw_items(server, DEEP, items)


async def make_mirror(server: BackgroundServer, path: Path) -> None:
    mirror = Mirror.open(path, create=True, origin=Origin(server.base_url))
    with mirror:
        async with AsyncChatKit(api_key="k", base_url=server.base_url, max_retries=0) as client:
            summary = await MirrorSync(client, mirror).run()
    assert summary.complete


async def search(app: ChatKitApp, pilot: object, words: str) -> SearchScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), what="search screen")
    screen = app.screen
    assert isinstance(screen, SearchScreen)
    screen.query_one(Input).value = words
    hits = screen.query_one(OptionList)
    await wait_for(pilot, lambda: hits.option_count > 0, what="hits")
    return screen


async def test_offline_the_hit_opens_its_thread_at_the_item(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    deep_thread(local_server)
    path = tmp_path / "mirror.sqlite3"
    await make_mirror(local_server, path)
    with BackgroundServer(db=path) as served:
        client = AsyncChatKit(api_key="mirror", base_url=served.base_url, max_retries=0)
        app = ChatKitApp(
            client, endpoint_label="mirror of test", read_only=True, now=fixed_now,
            mirror_path=path,
        )  # fmt: skip
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot, app)
            screen = await search(app, pilot, NEEDLE)
            [hit] = screen.hits
            assert (hit.thread_id, hit.item_id) == (DEEP, "cthi_deep_070")
            status = str(screen.query_one("#search-status").render())
            assert status.startswith("1 hit, best first"), status
            shown = plain(screen.query_one(OptionList).get_option_at_index(0).prompt)
            assert "[bold]the" in shown and "\x1b" not in shown and "␛[31m" in shown, repr(shown)
            assert "[b]Deep[/b]" in shown
            await pilot.press("enter", "enter")
            view = app.main_screen.view
            await wait_for(pilot, lambda: view.thread_id == DEEP, what="the thread opened")

            def target_shown() -> bool:
                views = [v for v in view.query(ItemView) if v.item.id == "cthi_deep_070"]
                return bool(views) and "-hit" in views[0].classes and view.scroll_y > 0

            await wait_for(pilot, target_shown, what="scrolled to the matching item")
            assert view.item_count > 50  # more than the first page: read around the item


async def test_online_a_mirror_of_the_endpoint_is_searched_and_hits_open_live(
    local_server: BackgroundServer,
) -> None:
    deep_thread(local_server)
    await make_mirror(local_server, default_mirror_path(local_server.base_url))
    app = make_app(local_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        screen = await search(app, pilot, f'"the {NEEDLE}"')
        assert len(screen.hits) == 1
        await pilot.press("down", "enter")
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.thread_id == DEEP, what="opened live")


async def test_without_a_mirror_the_key_says_how_to_make_one(
    local_server: BackgroundServer,
) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: any("chatkit-tui mirror" in m for m in notifications(app)))
        assert not isinstance(app.screen, SearchScreen)


def test_mirror_flag_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chatkit_tui.cli import main

    assert main(["--mirror", str(tmp_path / "none.sqlite3")]) == 2
    assert "no mirror at" in capsys.readouterr().err
    not_a_mirror = tmp_path / "x.sqlite3"
    not_a_mirror.write_bytes(b"not sqlite at all" * 100)
    assert main(["--mirror", str(not_a_mirror)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["--mirror", "--demo"]) == 2
    assert "cannot go together" in capsys.readouterr().err


async def test_the_mirror_is_read_in_process_with_no_port_open(
    local_server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--mirror reads the file in this process: no server on loopback that another local
    user could ask for the conversations (it once served the file with a run-only key)."""
    import socket

    from chatkit_tui.cli import main

    path = tmp_path / "mirror.sqlite3"
    await make_mirror(local_server, path)
    bound: list[object] = []
    real_bind = socket.socket.bind

    def bind(self: socket.socket, address: object) -> None:
        bound.append(address)
        real_bind(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "bind", bind)
    code = await asyncio.to_thread(main, ["--mirror", str(path), "threads", "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(out.splitlines()) == 30 and "mirror of" in err and "synced" in err
    assert bound == []


async def test_many_matches_show_the_best_of_the_newest_then_the_count(
    local_server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word in more items than are ranked: the hits come at once, the line says they are
    the best of the newest N, then how many match in all once they are counted."""
    from chatkit_tui.core.mirror.engines import sqlite as engine

    deep_thread(local_server)  # "message" in 79 items
    path = default_mirror_path(local_server.base_url)
    await make_mirror(local_server, path)
    with Mirror.open(path, read_only=True) as mirror:
        total = mirror.count_matches("message")
    assert total >= 79
    monkeypatch.setattr(engine, "RANKED", 10)
    app = make_app(local_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        screen = await search(app, pilot, "message")
        assert len(screen.hits) == 10  # the ranked ten, best first
        status = screen.query_one("#search-status")
        want = f"best of the newest 10 of {total:,} matches · enter opens"
        await wait_for(pilot, lambda: str(status.render()) == want, what="the count")
