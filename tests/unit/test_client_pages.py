"""Cursor pagination against a scripted server: follow after=<last_id>, and stop safely."""

from __future__ import annotations

from typing import Any

from chatkit_tui.client import models as m
from tests.fixtures import samples
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.unit.client_helpers import make_client


def _page(ids: list[str], *, has_more: bool, last_id: Any = "default") -> dict[str, Any]:
    data = [samples.thread(0) | {"id": i} for i in ids]
    return {
        "object": "list",
        "data": data,
        "first_id": ids[0] if ids else None,
        "last_id": (ids[-1] if ids else None) if last_id == "default" else last_id,
        "has_more": has_more,
    }


def _serve(server: ScriptedServer, pages: dict[str | None, dict[str, Any]]) -> None:
    def handler(request: Recorded) -> Reply:
        after = request.query.get("after", [None])[0]
        return Reply(body=pages[after])

    server.handler = handler


async def test_iterating_follows_after_last_id_and_stops_at_has_more_false(
    scripted_server: ScriptedServer,
) -> None:
    _serve(
        scripted_server,
        {
            None: _page(["t1", "t2"], has_more=True),
            "t2": _page(["t3", "t4"], has_more=True),
            "t4": _page(["t5"], has_more=False),
        },
    )
    async with make_client(scripted_server) as client:
        ids = [t.id async for t in client.threads.list(limit=2, order="asc", user="u")]
    assert ids == ["t1", "t2", "t3", "t4", "t5"]
    queries = [r.query for r in scripted_server.requests]
    common = {"limit": ["2"], "order": ["asc"], "user": ["u"]}
    assert queries == [common, common | {"after": ["t2"]}, common | {"after": ["t4"]}]


async def test_await_gives_only_the_first_page(scripted_server: ScriptedServer) -> None:
    _serve(scripted_server, {None: _page(["t1", "t2"], has_more=True)})
    async with make_client(scripted_server) as client:
        page = await client.threads.list(limit=2)
    assert isinstance(page, m.ThreadPage)
    assert [t.id for t in page.data] == ["t1", "t2"]
    assert page.has_more
    assert len(scripted_server.requests) == 1


async def test_before_is_never_sent_with_after(scripted_server: ScriptedServer) -> None:
    _serve(
        scripted_server,
        {None: _page(["t8", "t7"], has_more=True), "t7": _page(["t6"], has_more=False)},
    )
    async with make_client(scripted_server) as client:
        pages = [p async for p in client.threads.list(before="t9").pages()]
    assert [len(p.data) for p in pages] == [2, 1]
    first, second = (r.query for r in scripted_server.requests)
    assert first == {"before": ["t9"]}
    assert second == {"after": ["t7"]}


async def test_stops_when_last_id_is_empty(scripted_server: ScriptedServer) -> None:
    for last_id in (None, ""):
        scripted_server.requests.clear()
        _serve(scripted_server, {None: _page(["t1"], has_more=True, last_id=last_id)})
        async with make_client(scripted_server) as client:
            ids = [t.id async for t in client.threads.list()]
        assert ids == ["t1"]
        assert len(scripted_server.requests) == 1


async def test_a_server_that_repeats_itself_does_not_make_us_loop(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.handler = lambda _request: Reply(body=_page(["t1", "t2"], has_more=True))
    async with make_client(scripted_server) as client:
        ids = [t.id async for t in client.threads.list()]
    assert ids == ["t1", "t2", "t1", "t2"]  # the second page is the repeat; then we stop
    assert len(scripted_server.requests) == 2


async def test_a_cursor_cycle_is_detected(scripted_server: ScriptedServer) -> None:
    _serve(
        scripted_server,
        {
            None: _page(["a"], has_more=True),
            "a": _page(["b"], has_more=True),
            "b": _page(["a"], has_more=True),  # back to a cursor already followed
        },
    )
    async with make_client(scripted_server) as client:
        ids = [t.id async for t in client.threads.list()]
    assert ids == ["a", "b", "a"]
    assert len(scripted_server.requests) == 3


async def test_a_cursor_equal_to_the_starting_after_stops(scripted_server: ScriptedServer) -> None:
    _serve(scripted_server, {"x": _page(["x"], has_more=True)})
    async with make_client(scripted_server) as client:
        ids = [t.id async for t in client.threads.list(after="x")]
    assert ids == ["x"]
    assert len(scripted_server.requests) == 1


async def test_items_iterate_across_pages_with_unknown_items(
    scripted_server: ScriptedServer,
) -> None:
    first = samples.item_page(6) | {"has_more": True, "last_id": "cthi_0005"}
    odd = {"type": "chatkit.brand_new", "id": "cthi_9", "thread_id": "cthr_1", "created_at": 9}
    second = {"object": "list", "data": [odd], "has_more": False, "last_id": "cthi_9"}
    _serve(scripted_server, {None: first, "cthi_0005": second})
    async with make_client(scripted_server) as client:
        items = [i async for i in client.threads.list_items("cthr_1", limit=6)]
    assert [type(i).__name__ for i in items] == [
        "UserMessageItem",
        "AssistantMessageItem",
        "WidgetItem",
        "ClientToolCallItem",
        "TaskItem",
        "TaskGroupItem",
        "UnknownItem",
    ]
    assert scripted_server.requests[1].path == "/v1/chatkit/threads/cthr_1/items"
    assert scripted_server.requests[1].query == {"limit": ["6"], "after": ["cthi_0005"]}
