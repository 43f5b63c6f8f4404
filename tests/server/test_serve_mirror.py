"""``serve --db MIRROR``: a mirror served through the same endpoints answers as the origin
did, byte for byte; threads marked gone are not listed; nothing can be deleted; the openai
SDK reads it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
from chatkit_tui.core.mirror.engines import sqlite as mirror_store
from chatkit_tui.server import mirror as served
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.store import Store
from tests.server.helpers import api, assert_error

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def make_mirror(origin: BackgroundServer, path: Path) -> None:
    async def go() -> None:
        async with AsyncChatKit(api_key="k", base_url=origin.base_url) as client:
            with Mirror.open(path, create=True, origin=Origin(origin.base_url)) as mirror:
                summary = await MirrorSync(client, mirror).run()
                assert summary.complete

    asyncio.run(go())


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    """An origin (60 threads, one with 2,400 items) and its mirror, served."""
    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=60) as origin:
        make_mirror(origin, path)
        with BackgroundServer(db=path) as mirror:
            yield origin, mirror


def get(server: BackgroundServer, path: str, **params: Any) -> httpx.Response:
    with api(server) as client:
        return client.get(path, params=params)


LIST_PARAMS: list[dict[str, Any]] = [
    {},
    {"limit": 100},
    {"limit": 7, "order": "asc"},
    {"limit": 0},
    {"limit": 3, "order": "desc"},
]


@pytest.mark.parametrize("params", LIST_PARAMS, ids=str)
def test_thread_pages_are_the_origins_bytes(
    pair: tuple[BackgroundServer, BackgroundServer], params: dict[str, Any]
):
    origin, mirror = pair
    mine, theirs = (
        get(mirror, "/chatkit/threads", **params),
        get(origin, "/chatkit/threads", **params),
    )
    assert mine.status_code == theirs.status_code == 200
    assert mine.content == theirs.content


def test_every_cursor_user_and_thread_answers_as_the_origin(
    pair: tuple[BackgroundServer, BackgroundServer],
):
    origin, mirror = pair
    threads = get(origin, "/chatkit/threads", limit=100).json()["data"]
    middle = threads[30]["id"]
    for params in (
        {"after": middle, "limit": 5},
        {"before": middle, "limit": 5},
        {"after": middle, "order": "asc"},
        {"user": threads[0]["user"], "limit": 100},
        {"after": "cthr_nope"},
    ):
        mine, theirs = (
            get(mirror, "/chatkit/threads", **params),
            get(origin, "/chatkit/threads", **params),
        )
        assert mine.status_code == theirs.status_code
        if mine.status_code == 200:
            assert mine.content == theirs.content, params
    for thread in threads:
        path = f"/chatkit/threads/{thread['id']}"
        assert get(mirror, path).content == get(origin, path).content


def test_items_page_as_the_origin_both_ways(pair: tuple[BackgroundServer, BackgroundServer]):
    origin, mirror = pair
    [(big, count)] = origin.store.thread_ids_by_item_count(1)
    assert count > 1000
    path = f"/chatkit/threads/{big}/items"
    first = get(origin, path, limit=100, order="asc").json()
    cursor = first["data"][57]["id"]
    for params in (
        {},
        {"limit": 100, "order": "asc"},
        {"limit": 100, "order": "desc"},
        {"limit": 10, "after": cursor, "order": "asc"},
        {"limit": 10, "before": cursor, "order": "asc"},
        {"limit": 10, "after": cursor},
        {"limit": 0},
        {"after": "cthi_nope"},
    ):
        mine, theirs = get(mirror, path, **params), get(origin, path, **params)
        assert mine.status_code == theirs.status_code, params
        assert mine.content == theirs.content, params
    small = get(origin, "/chatkit/threads", limit=1).json()["data"][0]["id"]
    assert (
        get(mirror, f"/chatkit/threads/{small}/items").content
        == get(origin, f"/chatkit/threads/{small}/items").content
    )
    assert_error(get(mirror, "/chatkit/threads/cthr_nope/items"), 404)
    assert_error(get(mirror, "/chatkit/threads/cthr_nope"), 404)


def test_nothing_can_be_deleted_and_sessions_still_work(
    pair: tuple[BackgroundServer, BackgroundServer],
):
    _, mirror = pair
    thread_id = get(mirror, "/chatkit/threads", limit=1).json()["data"][0]["id"]
    with api(mirror) as client:
        error = assert_error(client.delete(f"/chatkit/threads/{thread_id}"), 403)
        assert error["code"] == "read_only_mirror"
        assert client.get(f"/chatkit/threads/{thread_id}").status_code == 200
        session = client.post(
            "/chatkit/sessions", json={"user": "u_1", "workflow": {"id": "wf_1"}}
        ).json()
        assert session["object"] == "chatkit.session"
        cancelled = client.post(f"/chatkit/sessions/{session['id']}/cancel").json()
        assert cancelled["status"] == "cancelled"


def test_the_openai_sdk_reads_a_served_mirror(pair: tuple[BackgroundServer, BackgroundServer]):
    origin, mirror = pair

    async def read(server: BackgroundServer) -> tuple[list[str], list[str]]:
        async with openai.AsyncOpenAI(api_key="x", base_url=server.base_url) as client:
            threads = [t.id async for t in client.beta.chatkit.threads.list(limit=25)]
            items = [i.id async for i in client.beta.chatkit.threads.list_items(threads[2])]
            return threads, items

    assert asyncio.run(read(mirror)) == asyncio.run(read(origin))


def test_threads_marked_gone_are_not_listed_but_are_served_by_id(tmp_path: Path):
    path = tmp_path / "mirror.sqlite3"
    with BackgroundServer(seed=12) as origin:
        make_mirror(origin, path)
        threads = get(origin, "/chatkit/threads", limit=100).json()["data"]
        gone = threads[4]["id"]
        origin.store.delete_thread(gone)
        make_mirror(origin, path)  # the next run marks it gone
        with BackgroundServer(db=path) as mirror:
            listed = get(mirror, "/chatkit/threads", limit=100)
            assert listed.content == get(origin, "/chatkit/threads", limit=100).content
            assert gone not in {t["id"] for t in listed.json()["data"]}
            kept = get(mirror, f"/chatkit/threads/{gone}")
            assert kept.status_code == 200 and json.loads(kept.content) == threads[4]
            assert get(mirror, f"/chatkit/threads/{gone}/items").status_code == 200
            # a client paging when the thread went still gets the next page
            after = get(mirror, "/chatkit/threads", after=gone, limit=100).json()["data"]
            assert [t["id"] for t in after] == [t["id"] for t in threads[5:]]


def test_a_mirror_is_told_from_a_server_database(tmp_path: Path):
    mirror_path = tmp_path / "m.sqlite3"
    Mirror.open(mirror_path, create=True, origin=Origin("http://x/v1")).close()
    Store(tmp_path / "s.sqlite3").close()
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    assert served.is_mirror(mirror_path)
    assert not served.is_mirror(tmp_path / "s.sqlite3")
    assert not served.is_mirror(tmp_path / "junk.sqlite3")
    assert not served.is_mirror(tmp_path / "none.sqlite3")
    assert not served.is_mirror(":memory:")
    # the server reads the layout the core writes: the same markers
    assert served.MIRROR_APPLICATION_ID == mirror_store.APPLICATION_ID
    assert served.MIRROR_SCHEMA_VERSION == mirror_store.SCHEMA_VERSION
    assert served.MIRROR_READABLE_VERSIONS == mirror_store.READABLE_VERSIONS
    from chatkit_tui.core.mirror.engines import postgres

    assert served.MIRROR_PG_SCHEMA_VERSION == postgres.SCHEMA_VERSION  # and the database's
    # and opened directly, a database that is not a mirror is refused, not served
    with pytest.raises(ValueError, match="not a chatkit-tui mirror"):
        served.MirrorSource(tmp_path / "s.sqlite3")


def test_a_mirror_of_layout_version_1_is_served_and_a_later_one_refused(
    pair: tuple[BackgroundServer, BackgroundServer], tmp_path: Path
):
    import sqlite3

    from tests.fixtures.mirror_file import as_version_1

    origin, _ = pair
    path = tmp_path / "v1.sqlite3"
    make_mirror(origin, path)
    as_version_1(path)
    with BackgroundServer(db=path) as mirror:
        for params in LIST_PARAMS:
            assert get(mirror, "/chatkit/threads", **params).content == (
                get(origin, "/chatkit/threads", **params).content
            )
        thread_id = get(origin, "/chatkit/threads", limit=1).json()["data"][0]["id"]
        page = {"limit": 5, "order": "asc"}
        first = get(origin, f"/chatkit/threads/{thread_id}/items", **page).json()
        after = {**page, "after": first["data"][1]["id"]} if len(first["data"]) > 1 else page
        for params in (page, after):
            path_items = f"/chatkit/threads/{thread_id}/items"
            assert get(mirror, path_items, **params).content == (
                get(origin, path_items, **params).content
            )
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 5")
    con.close()
    with pytest.raises(ValueError, match="layout version 5; this server reads versions 1 and 2"):
        served.MirrorSource(path)


def test_serve_refuses_to_seed_a_mirror(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "m.sqlite3"
    Mirror.open(path, create=True, origin=Origin("http://x/v1")).close()
    assert main(["serve", "--db", str(path), "--seed", "5"]) == 2
    assert "is a mirror" in capsys.readouterr().err


def test_an_item_without_an_id_does_not_end_the_served_listing(
    scripted_server: Any, tmp_path: Path
) -> None:
    """A page that ends on an item the origin sent without an id still gives a cursor
    (one of the served mirror's own), so clients page on to the items after it."""
    from tests.fixtures.scripted import Reply

    thread = {"id": "cthr_x", "object": "chatkit.thread", "created_at": 1, "user": "u",
              "title": "t", "status": {"type": "active"}}  # fmt: skip
    items: list[dict[str, Any]] = [
        {
            "id": f"cthi_{n:02}",
            "type": "chatkit.end_of_turn",
            "thread_id": "cthr_x",
            "created_at": 10 + n,
        }
        for n in range(25)
    ]
    del items[19]["id"]
    pages = {
        "threads": {"object": "list", "data": [thread], "has_more": False, "last_id": "cthr_x"},
        "items": {"object": "list", "data": items, "has_more": False, "last_id": "cthi_24"},
    }
    scripted_server.handler = lambda r: Reply(
        body=pages["items"] if r.path.endswith("/items") else pages["threads"]
    )
    path = tmp_path / "mirror.sqlite3"

    async def copy_then_read() -> list[Any]:
        async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url) as client:
            with Mirror.open(path, create=True, origin=Origin(scripted_server.base_url)) as m:
                assert (await MirrorSync(client, m).run()).complete
        with BackgroundServer(db=path) as served_mirror:
            async with AsyncChatKit(api_key="k", base_url=served_mirror.base_url) as client:
                return [i async for i in client.threads.list_items("cthr_x", limit=20, order="asc")]

    got = asyncio.run(copy_then_read())
    assert [json.loads(i.raw) for i in got] == items  # all 25, the id-less one in its place
