"""Threads over HTTP: listing, keyset paging, the user filter, retrieve, delete."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from chatkit_tui.client.models import (
    ActiveStatus,
    AssistantMessageItem,
    Attachment,
    ClosedStatus,
    InputText,
    LockedStatus,
    OutputText,
    Thread,
    ThreadStatus,
    UserMessageItem,
)
from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import REQUEST_ID, all_pages, api, assert_error

MakeServer = Callable[..., BackgroundServer]


def _threads(n: int, *, seed: int = 1) -> list[Thread]:
    """Threads with many equal timestamps (ties are broken by id) and three users."""
    rng = random.Random(seed)
    threads: list[Thread] = []
    for i in range(n):
        statuses: list[ThreadStatus] = [
            ActiveStatus(), LockedStatus(reason="spam"), ClosedStatus(reason=None),
        ]  # fmt: skip
        threads.append(
            Thread(
                id=f"cthr_{rng.getrandbits(40):010x}",
                created_at=1_700_000_000 + rng.randrange(0, n // 3 + 1),
                user=f"user_{i % 3}",
                title=None if i % 7 == 0 else f"Thread {i}",
                status=statuses[i % 3],
            )
        )
    return threads


def _sorted_ids(threads: list[Thread], *, desc: bool = True) -> list[str]:
    return [t.id for t in sorted(threads, key=lambda t: (t.created_at, t.id), reverse=desc)]


@pytest.fixture(scope="module")
def crafted() -> Iterator[tuple[BackgroundServer, list[Thread]]]:
    """95 hand-made threads (read-only use)."""
    with BackgroundServer() as server:
        threads = _threads(95)
        server.store.insert_threads(threads)
        yield server, threads


def test_default_page_is_twenty_newest_first(crafted: tuple[BackgroundServer, list[Thread]]):
    server, threads = crafted
    with api(server) as client:
        response = client.get("/chatkit/threads")
    assert response.status_code == 200
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"])
    page = response.json()
    assert page["object"] == "list"
    ids = [t["id"] for t in page["data"]]
    assert ids == _sorted_ids(threads)[:20]
    assert page["first_id"] == ids[0] and page["last_id"] == ids[-1]
    assert page["has_more"] is True


def test_thread_fields_round_trip(crafted: tuple[BackgroundServer, list[Thread]]):
    server, threads = crafted
    by_id = {t.id: t for t in threads}
    with api(server) as client:
        data = client.get("/chatkit/threads", params={"limit": 100}).json()["data"]
    assert len(data) == 95
    for item in data:
        thread = by_id[item["id"]]
        assert item["object"] == "chatkit.thread"
        assert item["created_at"] == thread.created_at
        assert item["user"] == thread.user
        assert item["title"] == thread.title
        expected: dict[str, str | None] = {"type": thread.status.type}
        if thread.status.type != "active":
            expected["reason"] = thread.status.reason
        assert item["status"] == expected


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 7, 20, 95, 100])
def test_after_walks_every_thread_once_in_order(
    crafted: tuple[BackgroundServer, list[Thread]], order: str, limit: int
):
    server, threads = crafted
    with api(server) as client:
        pages = all_pages(client, "/chatkit/threads", limit=limit, order=order)
    ids = [t["id"] for p in pages for t in p["data"]]
    assert ids == _sorted_ids(threads, desc=order == "desc")
    assert len(pages) == -(-95 // limit)
    for page in pages[:-1]:
        assert page["has_more"] is True and len(page["data"]) == limit
    assert pages[-1]["has_more"] is False
    for page in pages:
        assert page["first_id"] == page["data"][0]["id"]
        assert page["last_id"] == page["data"][-1]["id"]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_before_returns_the_page_just_before_the_cursor(
    crafted: tuple[BackgroundServer, list[Thread]], order: str
):
    server, threads = crafted
    ordered = _sorted_ids(threads, desc=order == "desc")
    with api(server) as client:
        page = client.get(
            "/chatkit/threads", params={"before": ordered[50], "limit": 10, "order": order}
        ).json()
        assert [t["id"] for t in page["data"]] == ordered[40:50]
        assert page["has_more"] is True  # rows 0-39 precede the page
        page = client.get(
            "/chatkit/threads", params={"before": ordered[5], "limit": 10, "order": order}
        ).json()
        assert [t["id"] for t in page["data"]] == ordered[:5]
        assert page["has_more"] is False
        first = client.get("/chatkit/threads", params={"before": ordered[0], "order": order})
        assert first.json() == {
            "object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False,
        } or first.json()["data"] == []  # fmt: skip


def test_after_and_before_bound_a_range(crafted: tuple[BackgroundServer, list[Thread]]):
    server, threads = crafted
    ordered = _sorted_ids(threads)
    with api(server) as client:
        page = client.get(
            "/chatkit/threads", params={"after": ordered[10], "before": ordered[20], "limit": 5}
        ).json()
        assert [t["id"] for t in page["data"]] == ordered[11:16]
        assert page["has_more"] is True
        page = client.get(
            "/chatkit/threads", params={"after": ordered[10], "before": ordered[20], "limit": 9}
        ).json()
        assert [t["id"] for t in page["data"]] == ordered[11:20]
        assert page["has_more"] is False


def test_limit_zero_is_an_empty_page_saying_whether_rows_exist(
    crafted: tuple[BackgroundServer, list[Thread]], make_server: MakeServer
):
    server, threads = crafted
    ordered = _sorted_ids(threads)
    with api(server) as client:
        page = client.get("/chatkit/threads", params={"limit": 0}).json()
        assert page == {
            "data": [], "has_more": True, "first_id": None, "last_id": None, "object": "list",
        }  # fmt: skip
        page = client.get("/chatkit/threads", params={"limit": 0, "after": ordered[-1]}).json()
        assert page["data"] == [] and page["has_more"] is False
    with api(make_server(seed=0)) as client:
        page = client.get("/chatkit/threads").json()
        assert page["data"] == [] and page["has_more"] is False and page["last_id"] is None


def test_user_filter(crafted: tuple[BackgroundServer, list[Thread]]):
    server, threads = crafted
    mine = [t for t in threads if t.user == "user_1"]
    with api(server) as client:
        pages = all_pages(client, "/chatkit/threads", user="user_1", limit=6)
        ids = [t["id"] for p in pages for t in p["data"]]
        assert ids == _sorted_ids(mine)
        nobody = client.get("/chatkit/threads", params={"user": "nobody"}).json()
        assert nobody["data"] == [] and nobody["has_more"] is False
        # a cursor from another user's thread still positions the page
        other = next(t for t in sorted(threads, key=lambda t: (t.created_at, t.id), reverse=True)
                     if t.user == "user_2")  # fmt: skip
        page = client.get("/chatkit/threads", params={"user": "user_1", "after": other.id})
        expected = [t for t in _sorted_ids(mine) if (next(x for x in mine if x.id == t).created_at,
                    t) < (other.created_at, other.id)]  # fmt: skip
        assert [t["id"] for t in page.json()["data"]] == expected[:20]


def test_user_filter_accepts_any_characters(make_server: MakeServer):
    server = make_server(seed=0)
    odd = "ünïcødé user / with ?&= and spaces " + "x" * 470
    assert len(odd) <= 512
    server.store.insert_threads([Thread(id="cthr_odd", created_at=1, user=odd)])
    with api(server) as client:
        page = client.get("/chatkit/threads", params={"user": odd}).json()
    assert [t["user"] for t in page["data"]] == [odd]


def test_retrieve(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        listed = client.get("/chatkit/threads", params={"limit": 5}).json()["data"]
        for thread in listed:
            response = client.get(f"/chatkit/threads/{thread['id']}")
            assert response.status_code == 200
            assert response.json() == thread


def test_retrieve_unknown_is_404(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        error = assert_error(client.get("/chatkit/threads/cthr_nope"), 404, code="not_found")
    assert "cthr_nope" in error["message"]


def _add_thread_with_items(server: BackgroundServer, thread_id: str) -> None:
    server.store.insert_threads([Thread(id=thread_id, created_at=5, user="u")])
    server.store.insert_items(
        [
            UserMessageItem(
                id=f"{thread_id}_i1", created_at=6, thread_id=thread_id,
                content=[InputText(text="hi")],
                attachments=[Attachment(id=f"{thread_id}_f", name="a.png", mime_type="image/png",
                                        type="image")],
            ),
            AssistantMessageItem(
                id=f"{thread_id}_i2", created_at=7, thread_id=thread_id,
                content=[OutputText(text="hello")],
            ),
        ]
    )  # fmt: skip


def test_delete_removes_thread_items_and_attachments(local_server: BackgroundServer):
    store = local_server.store
    _add_thread_with_items(local_server, "cthr_doomed")
    _add_thread_with_items(local_server, "cthr_kept")
    before = store.count_threads()
    with api(local_server) as client:
        response = client.delete("/chatkit/threads/cthr_doomed")
        assert response.status_code == 200
        assert REQUEST_ID.fullmatch(response.headers["x-request-id"])
        assert response.json() == {
            "id": "cthr_doomed", "deleted": True, "object": "chatkit.thread.deleted",
        }  # fmt: skip
        assert_error(client.delete("/chatkit/threads/cthr_doomed"), 404, code="not_found")
        assert_error(client.get("/chatkit/threads/cthr_doomed"), 404)
        assert_error(client.get("/chatkit/threads/cthr_doomed/items"), 404)
    assert store.count_threads() == before - 1
    assert store.count_items("cthr_doomed") == 0 and store.count_attachments("cthr_doomed") == 0
    assert store.count_items("cthr_kept") == 2 and store.count_attachments("cthr_kept") == 1


def test_a_cursor_naming_a_deleted_thread_keeps_working(make_server: MakeServer):
    server = make_server()
    threads = _threads(40)
    server.store.insert_threads(threads)
    ordered = _sorted_ids(threads)
    with api(server) as client:
        first = client.get("/chatkit/threads", params={"limit": 10}).json()
        assert client.delete(f"/chatkit/threads/{first['last_id']}").status_code == 200
        nxt = client.get("/chatkit/threads", params={"limit": 10, "after": first["last_id"]})
        assert [t["id"] for t in nxt.json()["data"]] == ordered[10:20]


def test_unknown_cursor_is_400_naming_the_parameter(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        for name in ("after", "before"):
            response = client.get("/chatkit/threads", params={name: "cthr_never"})
            error = assert_error(response, 400, param=name, code="invalid_cursor")
            assert "cthr_never" in error["message"]
