"""Thread items over HTTP: paging through big threads, every item type, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import all_pages, api, assert_error

ITEM_TYPES = {
    "chatkit.user_message",
    "chatkit.assistant_message",
    "chatkit.widget",
    "chatkit.client_tool_call",
    "chatkit.task",
    "chatkit.task_group",
}


def _biggest(server: BackgroundServer) -> tuple[str, int]:
    return server.store.thread_ids_by_item_count(1)[0]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_paging_through_a_thread_with_thousands_of_items(
    seeded_server: BackgroundServer, order: str
):
    thread_id, count = _biggest(seeded_server)
    assert count >= 2000
    with api(seeded_server) as client:
        pages = all_pages(client, f"/chatkit/threads/{thread_id}/items", limit=100, order=order)
    items = [i for p in pages for i in p["data"]]
    assert len(items) == count == len({i["id"] for i in items})
    keys = [(i["created_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=order == "desc")
    assert all(i["thread_id"] == thread_id and i["object"] == "chatkit.thread_item" for i in items)
    assert [p["has_more"] for p in pages] == [True] * (len(pages) - 1) + [False]


def test_items_default_limit_order_and_before(seeded_server: BackgroundServer):
    thread_id, _ = _biggest(seeded_server)
    path = f"/chatkit/threads/{thread_id}/items"
    with api(seeded_server) as client:
        page = client.get(path).json()
        assert len(page["data"]) == 20 and page["has_more"] is True
        newest = [(i["created_at"], i["id"]) for i in page["data"]]
        assert newest == sorted(newest, reverse=True)
        older = client.get(path, params={"after": page["last_id"], "limit": 5}).json()
        back = client.get(path, params={"before": older["first_id"], "limit": 3}).json()
        assert [i["id"] for i in back["data"]] == [i["id"] for i in page["data"][-3:]]
        assert back["has_more"] is True
        zero = client.get(path, params={"limit": 0}).json()
        assert zero == {
            "object": "list", "data": [], "first_id": None, "last_id": None, "has_more": True,
        }  # fmt: skip


def test_thread_without_items(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        for page in all_pages(client, "/chatkit/threads", limit=100):
            for thread in page["data"]:
                items = client.get(f"/chatkit/threads/{thread['id']}/items", params={"limit": 1})
                if not items.json()["data"]:
                    assert items.json() == {
                        "object": "list", "data": [], "first_id": None, "last_id": None,
                        "has_more": False,
                    }  # fmt: skip
                    return
    pytest.fail("the seed has no thread without items")


def test_items_of_unknown_thread_is_404(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        assert_error(client.get("/chatkit/threads/cthr_nope/items"), 404, param="thread_id",
                     code="not_found")  # fmt: skip


def test_seeded_items_cover_every_type_and_variant(seeded_server: BackgroundServer):
    seen: dict[str, list[dict[str, Any]]] = {t: [] for t in ITEM_TYPES}
    with api(seeded_server) as client:
        threads = client.get("/chatkit/threads", params={"limit": 30}).json()["data"]
        for thread in threads:
            for page in all_pages(client, f"/chatkit/threads/{thread['id']}/items", limit=100):
                for item in page["data"]:
                    seen[item["type"]].append(item)
    assert all(seen.values()), {k: len(v) for k, v in seen.items()}
    users = seen["chatkit.user_message"]
    assert any(c["type"] == "quoted_text" for u in users for c in u["content"])  # type: ignore[union-attr]
    assert any(u["attachments"] for u in users)
    assert any(u["inference_options"] for u in users)
    assert any(u["inference_options"] is None for u in users)
    answers = seen["chatkit.assistant_message"]
    texts: list[dict[str, Any]] = [c for a in answers for c in a["content"]]
    assert any("```" in c["text"] for c in texts)
    notes: set[str] = {n["type"] for c in texts for n in c["annotations"]}
    assert notes == {"file", "url"}
    calls = seen["chatkit.client_tool_call"]
    assert {c["status"] for c in calls} == {"in_progress", "completed"}
    assert all(c["output"] is None for c in calls if c["status"] == "in_progress")
    outputs = [c["output"] for c in calls if c["output"] is not None]
    assert any(_is_json(o) for o in outputs) and any(not _is_json(o) for o in outputs)
    assert all(_is_json(c["arguments"]) for c in calls)
    assert {t["task_type"] for t in seen["chatkit.task"]} == {"custom", "thought"}
    assert all(t["tasks"] for t in seen["chatkit.task_group"])
    for widget in seen["chatkit.widget"]:
        payload = json.loads(widget["widget"])  # type: ignore[arg-type]
        assert payload["type"] in {"Card", "ListView"} and payload["children"]


def _is_json(text: object) -> bool:
    try:
        json.loads(str(text))
    except ValueError:
        return False
    return True
