"""The chatkit-python sample deployment (tests/fixtures/chatkit_python.py) over real HTTP.

What the wire looks like (openai-chatkit 1.6.5 behind Starlette and uvicorn), as these
tests see it. ``threads.list`` with ``{"limit": 2}`` as the admin::

    {"data": [{"title": "Blender arrived with a cracked jar", "id": "thr_4fef3015",
               "created_at": "2026-11-20T12:00:00Z", "status": {"type": "active"},
               "allowed_image_domains": ["files.example.com"], "metadata": {},
               "items": {"data": [], "has_more": false}},
              {"title": "Charged twice for order #5120", "id": "thr_9822ac8e",
               "created_at": "2026-11-18T10:20:41Z",
               "status": {"type": "closed", "reason": "Refund issued"}, "metadata": {},
               "items": {"data": [], "has_more": false}}],
     "has_more": true, "after": "thr_9822ac8e"}

- Timestamps are ISO 8601: ``...Z`` where the store holds aware UTC datetimes, naive
  with microseconds (``2026-11-12T05:22:45.250000``) where it holds what the SDK's own
  ``datetime.now()`` makes (every thread and item a live server creates).
- ``type`` is unprefixed (``user_message``, ``end_of_turn``); a status is an object,
  ``{"type": "locked", "reason": "..."}``, ``reason`` absent when None. Every ``None``
  is left out (``title``, ``after``, ``output``, ``image``...). No ``user`` anywhere;
  ``metadata`` is always ``{}`` for a thread and absent from attachments, whatever
  the store holds. A thread in a list carries an empty ``items`` page.
- The last page has no ``after`` key. A page's ``after`` is the last *stored* record:
  after hidden-context filtering it can name an item that is not in ``data``, and
  ``data`` can be shorter than ``limit`` (or empty) with ``has_more`` true.
- ``threads.delete`` answers ``{}``, also for a thread that does not exist or is not
  the caller's (nothing is deleted then).
- An exception inside the server: ``500``, ``text/plain``, ``Internal Server Error``
  (with debug: the traceback, as HTML when ``Accept`` has ``text/html``), and uvicorn
  closes the connection after it: a client must not reuse that connection.
- Auth refusals are the operator's: ``401 {"detail": "Not authenticated"}`` with
  ``WWW-Authenticate: Bearer``, ``403 {"detail": "User dave is disabled"}``.

``items.list`` of the long thread, ``{"thread_id": LONG_THREAD, "limit": 2, "order": "asc"}``::

    {"data": [{"id": "msg_beb64e11", "thread_id": "thr_5da5ce17",
               "created_at": "2026-11-14T07:02:34Z", "type": "user_message",
               "content": [{"type": "input_text", "text": "Long thread message 001 of 250"}],
               "attachments": [], "inference_options": {}},
              {"id": "msg_b7caa789", "thread_id": "thr_5da5ce17",
               "created_at": "2026-11-14T07:03:04Z", "type": "assistant_message",
               "content": [{"annotations": [], "text": "Long thread message 002 of 250",
                            "type": "output_text"}]}],
     "has_more": true, "after": "msg_b7caa789"}

and its ``threads.get_by_id`` has 19 items, ``"has_more": true`` and
``"after": "shcx_0520c480"``, a hidden item. Items of other types, from the kitchen sink::

    {"id": "msg_e66fc513", "thread_id": "thr_4fef3015",
     "created_at": "2026-11-20T12:03:58Z", "type": "end_of_turn"}
    {"id": "tc_76c847f9", "thread_id": "thr_4fef3015", "created_at": "2026-11-20T12:02:33Z",
     "type": "client_tool_call", "status": "pending", "call_id": "call_3e39e0dd",
     "name": "open_return_form", "arguments": {"order_id": "4411", "reason": "damaged"}}
    {"id": "tsk_81806b29", "thread_id": "thr_4fef3015", "created_at": "2026-11-20T12:01:25Z",
     "type": "task", "task": {"status_indicator": "complete", "type": "custom",
     "title": "Checked order #4411", "icon": "check",
     "content": "Delivered on 18 November by UPS."}}
"""

from __future__ import annotations

import asyncio
import functools
import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.chatkit_python import *  # noqa: F403  (fixtures)
from tests.fixtures.chatkit_python import (
    ADMIN_TOKEN,
    AUDITOR_TOKEN,
    CANCEL_THREAD,
    DAVE_THREAD,
    HIDDEN_TYPES,
    ITEM_TYPES,
    KITCHEN_SINK_THREAD,
    LONG_THREAD,
    LONG_THREAD_HIDDEN,
    LONG_THREAD_VISIBLE,
    ODD_THREAD,
    REFUND_THREAD,
    SMALL_SEED,
    USER_TOKENS,
    VISIBLE_TYPES,
    ChatKitPythonSample,
    Ctx,
    SampleStore,
    Seen,
    seed,
)

MakeSample = Callable[..., ChatKitPythonSample]
ADMIN = Ctx(user=None)


def post(
    sample: ChatKitPythonSample,
    op: str,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> httpx.Response:
    """One POST, on a connection of its own: uvicorn closes the connection a 500 went out
    on, and a client reusing it at once can see a reset."""
    return _http().post(
        sample.url,
        json={"type": op, "params": params},
        headers=sample.admin_headers if headers is None else headers,
    )


@functools.cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=10, headers={"Connection": "close"})


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def walk(
    sample: ChatKitPythonSample,
    op: str,
    headers: dict[str, str] | None = None,
    *,
    after: str | None = None,
    max_pages: int = 1000,
    **params: Any,
) -> list[dict[str, Any]]:
    """The pages of a list from ``after``, following each page's ``after``: their bodies."""
    pages: list[dict[str, Any]] = []
    while len(pages) < max_pages:
        body = ok(post(sample, op, headers, **params, **({"after": after} if after else {})))
        pages.append(body)
        if not body["has_more"]:
            assert "after" not in body
            break
        after = body["after"]
    return pages


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- threads.list -------------------------------------------------------------------------


def test_threads_list_pages_newest_first_through_every_thread(
    chatkit_python: ChatKitPythonSample,
):
    pages = walk(chatkit_python, "threads.list", limit=7)
    assert [len(page["data"]) for page in pages] == [7, 7, 7, 7, 2]
    for page in pages[:-1]:
        assert page["has_more"] is True and page["after"] == page["data"][-1]["id"]
    ids = [thread["id"] for page in pages for thread in page["data"]]
    assert ids == chatkit_python.store.stored_thread_ids()
    assert len(ids) == SMALL_SEED == len(set(ids))
    assert ids[:4] == [KITCHEN_SINK_THREAD, REFUND_THREAD, CANCEL_THREAD, LONG_THREAD]
    stamps = [thread["created_at"] for page in pages for thread in page["data"]]
    assert stamps[0] == "2026-11-20T12:00:00Z"
    assert stamps[-1] == "2026-09-21T12:00:00Z"  # 60 days before the newest


def test_threads_list_ascending_default_limit_and_after(chatkit_python: ChatKitPythonSample):
    newest_first = chatkit_python.store.stored_thread_ids()
    first = ok(post(chatkit_python, "threads.list"))  # no limit: the server's 20
    assert len(first["data"]) == 20 and first["has_more"] and first["after"] == newest_first[19]
    ascending = ok(post(chatkit_python, "threads.list", order="asc", limit=5))
    assert [t["id"] for t in ascending["data"]] == newest_first[::-1][:5]
    following = ok(
        post(chatkit_python, "threads.list", order="asc", limit=5, after=ascending["after"])
    )
    assert [t["id"] for t in following["data"]] == newest_first[::-1][5:10]
    everything = ok(post(chatkit_python, "threads.list", limit=1000))
    assert len(everything["data"]) == SMALL_SEED and everything == {
        "data": everything["data"],
        "has_more": False,
    }


def test_thread_wire_shape(chatkit_python: ChatKitPythonSample):
    body = ok(post(chatkit_python, "threads.list", limit=3))
    assert body == {
        "data": [
            {
                "title": "Blender arrived with a cracked jar",
                "id": KITCHEN_SINK_THREAD,
                "created_at": "2026-11-20T12:00:00Z",
                "status": {"type": "active"},
                "allowed_image_domains": ["files.example.com"],
                "metadata": {},
                "items": {"data": [], "has_more": False},
            },
            {
                "title": "Charged twice for order #5120",
                "id": REFUND_THREAD,
                "created_at": "2026-11-18T10:20:41Z",
                "status": {"type": "closed", "reason": "Refund issued"},
                "metadata": {},
                "items": {"data": [], "has_more": False},
            },
            {
                "title": "Cancelling my annual plan",
                "id": CANCEL_THREAD,
                "created_at": "2026-11-16T08:41:22Z",
                "status": {"type": "locked", "reason": "Escalated to billing"},
                "metadata": {},
                "items": {"data": [], "has_more": False},
            },
        ],
        "has_more": True,
        "after": CANCEL_THREAD,
    }
    # the store holds metadata and an owner; neither is sent
    assert _run(chatkit_python.store.load_thread(REFUND_THREAD, ADMIN)).metadata
    everything = ok(post(chatkit_python, "threads.list", limit=100))["data"]
    assert all(t["metadata"] == {} and "user" not in t for t in everything)
    statuses = {json.dumps(t["status"], sort_keys=True) for t in everything}
    assert {'{"type": "closed"}', '{"type": "locked"}'} <= statuses
    untitled = [t for t in everything if "title" not in t]
    assert DAVE_THREAD in {t["id"] for t in untitled} and len(untitled) >= 4
    odd = next(t for t in everything if t["id"] == ODD_THREAD)
    assert odd["created_at"] == "2026-11-12T05:22:45.250000"  # naive, as datetime.now()
    assert odd["title"] == "Why does my invoice say [red]OVERDUE[/red]? [@click=app.quit]"
    assert "配送について 📦" in {t.get("title") for t in everything}


# --- threads.get_by_id and items.list -----------------------------------------------------


def test_get_by_id_gives_the_first_page_without_hidden_context(
    chatkit_python: ChatKitPythonSample,
):
    thread = ok(post(chatkit_python, "threads.get_by_id", thread_id=KITCHEN_SINK_THREAD))
    assert thread["id"] == KITCHEN_SINK_THREAD and thread["metadata"] == {}
    served = [item["type"] for item in thread["items"]["data"]]
    stored = [item.type for item in chatkit_python.store.stored_items(KITCHEN_SINK_THREAD)]
    assert served == [t for t in stored if t not in HIDDEN_TYPES]
    assert len(stored) == 14 and len(served) == 12
    assert {"hidden_context_item", "sdk_hidden_context"} <= set(stored)
    assert thread["items"] == {"data": thread["items"]["data"], "has_more": False}

    # the long thread: the first page of 20 stored items holds 19 visible ones, and its
    # `after` names the hidden item the client never sees
    long = ok(post(chatkit_python, "threads.get_by_id", thread_id=LONG_THREAD))
    stored_long = chatkit_python.store.stored_items(LONG_THREAD)
    assert len(long["items"]["data"]) == 19 and long["items"]["has_more"] is True
    assert long["items"]["after"] == stored_long[19].id
    assert stored_long[19].type in HIDDEN_TYPES
    assert long["items"]["after"] not in {item["id"] for item in long["items"]["data"]}


def _texts(pages: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for page in pages:
        for item in page["data"]:
            assert item["type"] in ("user_message", "assistant_message"), item
            (part,) = item["content"]
            texts.append(part["text"])
    return texts


def test_items_list_pages_over_the_long_thread(chatkit_python: ChatKitPythonSample):
    expected = [f"Long thread message {n:03d} of 250" for n in range(1, 251)]
    assert LONG_THREAD_VISIBLE == 250
    assert len(chatkit_python.store.stored_items(LONG_THREAD)) == 250 + LONG_THREAD_HIDDEN

    ascending = walk(chatkit_python, "items.list", thread_id=LONG_THREAD, limit=20, order="asc")
    assert _texts(ascending) == expected
    assert len(ascending) == 13  # 255 stored items, 20 a page
    assert [len(page["data"]) for page in ascending] == [19, 20, 20, 20, 20, 18, 20, 20, 20,
                                                          19, 20, 20, 14]  # fmt: skip

    descending = walk(chatkit_python, "items.list", thread_id=LONG_THREAD, limit=50)
    assert _texts(descending) == expected[::-1]  # the default order is desc

    # one stored item a page: each hidden one is a page of nothing that has more
    stored = chatkit_python.store.stored_items(LONG_THREAD)
    assert [i for i, item in enumerate(stored) if item.type in HIDDEN_TYPES] == [
        19, 101, 102, 183, 254
    ]  # fmt: skip
    # one stored item a page: a hidden one is a page of nothing, which has more
    singles = walk(
        chatkit_python, "items.list", thread_id=LONG_THREAD, limit=1, order="asc",
        after=stored[98].id, max_pages=6,
    )  # fmt: skip
    assert [len(page["data"]) for page in singles] == [1, 1, 0, 0, 1, 1]
    assert all(page["has_more"] for page in singles)
    assert [page["after"] for page in singles] == [item.id for item in stored[99:105]]
    # the last stored item is hidden: the last page is empty
    end = walk(
        chatkit_python, "items.list", thread_id=LONG_THREAD, limit=1, order="asc",
        after=stored[252].id,
    )  # fmt: skip
    assert end == [
        {"data": [end[0]["data"][0]], "has_more": True, "after": stored[253].id},
        {"data": [], "has_more": False},
    ]
    assert end[0]["data"][0]["content"][0]["text"] == "Long thread message 250 of 250"


def test_every_item_type_is_stored_and_the_nine_visible_ones_are_served(
    chatkit_python: ChatKitPythonSample,
):
    store = chatkit_python.store
    stored = Counter(
        item.type for tid in store.stored_thread_ids() for item in store.stored_items(tid)
    )
    assert set(stored) == set(ITEM_TYPES) and len(ITEM_TYPES) == 11
    served: Counter[str] = Counter()
    for thread_id in store.stored_thread_ids():
        pages = walk(chatkit_python, "items.list", thread_id=thread_id, limit=100)
        served.update(item["type"] for page in pages for item in page["data"])
        first = ok(post(chatkit_python, "threads.get_by_id", thread_id=thread_id))
        assert not {item["type"] for item in first["items"]["data"]} & HIDDEN_TYPES
    assert set(served) == set(VISIBLE_TYPES) and len(VISIBLE_TYPES) == 9
    assert {t: stored[t] for t in VISIBLE_TYPES} == dict(served)


def test_item_wire_shapes(chatkit_python: ChatKitPythonSample):
    sink = ok(post(chatkit_python, "threads.get_by_id", thread_id=KITCHEN_SINK_THREAD))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in sink["items"]["data"]:
        by_type.setdefault(item["type"], []).append(item)
        assert set(item) >= {"id", "thread_id", "created_at", "type"}
        assert item["thread_id"] == KITCHEN_SINK_THREAD
        assert item["created_at"].startswith("2026-11-20T12:0") and item["created_at"][-1] == "Z"
    (end,) = by_type["end_of_turn"]
    assert end == {
        "id": end["id"],
        "thread_id": KITCHEN_SINK_THREAD,
        "created_at": "2026-11-20T12:03:58Z",
        "type": "end_of_turn",
    }
    completed, pending = by_type["client_tool_call"]
    assert completed["status"] == "completed" and completed["output"]["carrier"] == "UPS"
    assert pending["status"] == "pending" and "output" not in pending
    assert pending["arguments"] == {"order_id": "4411", "reason": "damaged"}
    user = by_type["user_message"][0]
    assert [part["type"] for part in user["content"]] == ["input_text", "input_tag"]
    (photo,) = user["attachments"]
    assert photo["type"] == "image" and "metadata" not in photo  # the store has metadata
    assert user["quoted_text"] == "Your order #4411 has been delivered."
    annotations = by_type["assistant_message"][0]["content"][0]["annotations"]
    assert [a["source"]["type"] for a in annotations] == ["url", "file", "entity"]
    assert by_type["widget"][0]["widget"]["type"] == "Card"
    assert {w["workflow"]["type"] for w in by_type["workflow"]} == {"reasoning", "custom"}
    assert by_type["task"][0]["task"]["type"] == "custom"
    assert by_type["structured_input"][0]["status"] == "answered"
    assert by_type["generated_image"][0]["image"]["url"].endswith(".png")

    odd = ok(post(chatkit_python, "items.list", thread_id=ODD_THREAD, order="asc"))["data"]
    assert [item["type"] for item in odd] == [
        "user_message", "widget", "structured_input", "generated_image", "client_tool_call"
    ]  # fmt: skip
    assert odd[0]["created_at"] == "2026-11-12T05:23:02.250000"
    assert "\x1b[31mOVERDUE" in odd[0]["content"][0]["text"]
    assert odd[1]["widget"]["type"] == "ListView"
    assert odd[3] == {
        "id": odd[3]["id"],
        "thread_id": ODD_THREAD,
        "created_at": "2026-11-12T05:23:53.250000",
        "type": "generated_image",
    }  # an image still being generated: no "image"


def test_the_documented_search_texts_are_where_the_docstring_says(
    chatkit_python: ChatKitPythonSample,
):
    def containing(text: str, headers: dict[str, str] | None = None) -> set[str]:
        found: set[str] = set()
        for page in walk(chatkit_python, "threads.list", headers, limit=100):
            for thread in page["data"]:
                items = walk(
                    chatkit_python, "items.list", headers, thread_id=thread["id"], limit=100
                )
                served = json.dumps([thread.get("title"), items], ensure_ascii=False)
                if text in served.lower():
                    found.add(thread["id"])
        return found

    assert containing("refund") == {REFUND_THREAD, CANCEL_THREAD}
    assert containing("refund", chatkit_python.user_headers("alice")) == {REFUND_THREAD}
    assert containing("refund", chatkit_python.user_headers("bob")) == {CANCEL_THREAD}
    assert containing("charged twice") == {REFUND_THREAD}
    assert containing("cracked jar") == {KITCHEN_SINK_THREAD}


# --- threads.delete -----------------------------------------------------------------------


def test_threads_delete_answers_empty_object_and_the_thread_is_gone(
    chatkit_python: ChatKitPythonSample,
):
    response = post(chatkit_python, "threads.delete", thread_id=REFUND_THREAD)
    assert response.status_code == 200 and response.content == b"{}"
    assert post(chatkit_python, "threads.get_by_id", thread_id=REFUND_THREAD).status_code == 500
    listed = ok(post(chatkit_python, "threads.list", limit=100))["data"]
    assert REFUND_THREAD not in {t["id"] for t in listed} and len(listed) == SMALL_SEED - 1
    gone = ok(post(chatkit_python, "items.list", thread_id=REFUND_THREAD))
    assert gone == {"data": [], "has_more": False}  # the items went with it
    assert chatkit_python.store.stored_items(REFUND_THREAD) == []
    # deleting it again, or a thread that never was: {} as well
    assert post(chatkit_python, "threads.delete", thread_id=REFUND_THREAD).content == b"{}"
    assert post(chatkit_python, "threads.delete", thread_id="thr_nothing").content == b"{}"


def test_a_user_deleting_anothers_thread_gets_an_empty_object_and_nothing_happens(
    chatkit_python: ChatKitPythonSample,
):
    alice = chatkit_python.user_headers("alice")
    response = post(chatkit_python, "threads.delete", alice, thread_id=CANCEL_THREAD)  # bob's
    assert response.status_code == 200 and response.content == b"{}"
    assert CANCEL_THREAD in chatkit_python.store.stored_thread_ids("bob")
    mine = post(chatkit_python, "threads.delete", alice, thread_id=REFUND_THREAD)
    assert mine.content == b"{}" and REFUND_THREAD not in chatkit_python.store.stored_thread_ids()


# --- who sees what ------------------------------------------------------------------------


def test_a_user_sees_only_their_threads_and_the_admin_sees_all(
    chatkit_python: ChatKitPythonSample,
):
    store = chatkit_python.store
    by_owner = Counter(store.owner_of(tid) for tid in store.stored_thread_ids())
    assert set(by_owner) == {"alice", "bob", "carol", "dave"} and sum(by_owner.values()) == 30
    for user in ("alice", "bob", "carol"):
        pages = walk(chatkit_python, "threads.list", chatkit_python.user_headers(user), limit=4)
        ids = [t["id"] for page in pages for t in page["data"]]
        assert ids == store.stored_thread_ids(user) and len(ids) == by_owner[user]
        as_admin = walk(
            chatkit_python, "threads.list", chatkit_python.impersonation_headers(user), limit=4
        )
        assert [t["id"] for page in as_admin for t in page["data"]] == ids
    alice = chatkit_python.user_headers("alice")
    assert ok(post(chatkit_python, "threads.get_by_id", alice, thread_id=REFUND_THREAD))
    # bob's thread, to alice: not found (a 500), and an empty page of items
    assert (
        post(chatkit_python, "threads.get_by_id", alice, thread_id=CANCEL_THREAD).status_code == 500
    )
    empty = ok(post(chatkit_python, "items.list", alice, thread_id=CANCEL_THREAD))
    assert empty == {"data": [], "has_more": False}
    # a cursor naming bob's thread is unknown to alice
    listed = post(chatkit_python, "threads.list", alice, after=CANCEL_THREAD)
    assert listed.status_code == 500


def test_refusals_401_and_403(chatkit_python: ChatKitPythonSample):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {ADMIN_TOKEN}"},
                    {"Authorization": "Bearer"}):  # fmt: skip
        response = post(chatkit_python, "threads.list", headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert set(response.json()) == {"detail"}
    disabled = post(
        chatkit_python, "threads.list", {"Authorization": f"Bearer {USER_TOKENS['dave']}"}
    )
    assert disabled.status_code == 403 and disabled.json() == {"detail": "User dave is disabled"}
    auditor = chatkit_python.auditor_headers
    assert auditor == {"Authorization": f"Bearer {AUDITOR_TOKEN}"}
    assert len(ok(post(chatkit_python, "threads.list", auditor, limit=100))["data"]) == SMALL_SEED
    assert ok(post(chatkit_python, "items.list", auditor, thread_id=LONG_THREAD))["has_more"]
    refused = post(chatkit_python, "threads.delete", auditor, thread_id=REFUND_THREAD)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This token is read-only: threads.delete is not allowed"}
    assert REFUND_THREAD in chatkit_python.store.stored_thread_ids()
    alice_as_bob = {**chatkit_python.user_headers("alice"), "X-User": "bob"}
    assert post(chatkit_python, "threads.list", alice_as_bob).status_code == 403
    nobody = chatkit_python.impersonation_headers("mallory")
    assert post(chatkit_python, "threads.list", nobody).status_code == 403
    assert chatkit_python.admin_headers == {"Authorization": f"Bearer {ADMIN_TOKEN}"}


# --- errors as the operator's framework gives them ----------------------------------------


def test_unknown_thread_is_a_plain_500(chatkit_python: ChatKitPythonSample):
    response = post(chatkit_python, "threads.get_by_id", thread_id="thr_missing")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Internal Server Error"
    broken = _http().post(
        chatkit_python.url, content=b"not json", headers=chatkit_python.admin_headers
    )
    assert broken.status_code == 500 and broken.text == "Internal Server Error"
    wrong = post(chatkit_python, "threads.get_by_id")  # no thread_id: a ValidationError
    assert wrong.status_code == 500


def test_debug_mode_answers_the_traceback(make_chatkit_python: MakeSample):
    sample = make_chatkit_python(debug=True)
    body = {"type": "threads.get_by_id", "params": {"thread_id": "thr_missing"}}
    html = _http().post(
        sample.url, json=body, headers={**sample.admin_headers, "Accept": "text/html"}
    )
    assert html.status_code == 500 and html.headers["content-type"].startswith("text/html")
    assert "<html>" in html.text and "NotFoundError" in html.text
    assert "Thread thr_missing not found" in html.text
    plain = _http().post(sample.url, json=body, headers=sample.admin_headers)  # Accept: */*
    assert plain.status_code == 500 and plain.headers["content-type"].startswith("text/plain")
    assert "Traceback" in plain.text and "chatkit.store.NotFoundError" in plain.text


def _raw_exchange(sock: socket.socket, host: str, path: str, body: bytes) -> bytes:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, rest = received.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(rest) < length:
        rest += sock.recv(65536)
    return head


def test_after_a_500_the_server_closes_the_connection(chatkit_python: ChatKitPythonSample):
    good = json.dumps({"type": "threads.list", "params": {"limit": 1}}).encode()
    bad = json.dumps({"type": "threads.get_by_id", "params": {"thread_id": "thr_x"}}).encode()
    host = f"127.0.0.1:{chatkit_python.port}"
    with socket.create_connection(("127.0.0.1", chatkit_python.port), timeout=5) as sock:
        assert _raw_exchange(sock, host, chatkit_python.path, good).startswith(b"HTTP/1.1 200")
        assert _raw_exchange(sock, host, chatkit_python.path, good).startswith(b"HTTP/1.1 200")
        assert _raw_exchange(sock, host, chatkit_python.path, bad).startswith(b"HTTP/1.1 500")
        assert sock.recv(1) == b""  # closed: a keep-alive client must not send on it


# --- a cursor naming a deleted record -----------------------------------------------------


def test_a_cursor_naming_a_deleted_record_is_a_500(chatkit_python: ChatKitPythonSample):
    first = ok(post(chatkit_python, "threads.list", limit=3))
    assert first["after"] == CANCEL_THREAD
    assert post(chatkit_python, "threads.delete", thread_id=CANCEL_THREAD).content == b"{}"
    response = post(chatkit_python, "threads.list", limit=3, after=CANCEL_THREAD)
    assert response.status_code == 500 and response.text == "Internal Server Error"

    page = ok(post(chatkit_python, "items.list", thread_id=LONG_THREAD, limit=10, order="asc"))
    store = chatkit_python.store
    _run(store.delete_thread_item(LONG_THREAD, page["after"], ADMIN))  # as retry_after_item does
    response = post(
        chatkit_python,
        "items.list",
        thread_id=LONG_THREAD,
        limit=10,
        order="asc",
        after=page["after"],
    )
    assert response.status_code == 500


def test_restart_mode_answers_the_first_page_again(make_chatkit_python: MakeSample):
    sample = make_chatkit_python(unknown_cursor="restart")
    first = ok(post(sample, "threads.list", limit=3))
    assert ok(post(sample, "threads.delete", thread_id=first["after"])) == {}
    again = ok(post(sample, "threads.list", limit=3, after=first["after"]))
    assert [t["id"] for t in again["data"]] == [
        *[t["id"] for t in first["data"]][:2],
        LONG_THREAD,
    ]

    page = ok(post(sample, "items.list", thread_id=LONG_THREAD, limit=10, order="asc"))
    _run(sample.store.delete_thread_item(LONG_THREAD, page["after"], ADMIN))
    restarted = ok(post(sample, "items.list", thread_id=LONG_THREAD, limit=10, order="asc",
                        after=page["after"]))  # fmt: skip
    assert restarted["data"][0] == page["data"][0]


# --- counters, latency, path, streaming ---------------------------------------------------


def test_requests_are_counted_by_type_with_who_and_status(chatkit_python: ChatKitPythonSample):
    ok(post(chatkit_python, "threads.list", limit=2))
    ok(post(chatkit_python, "threads.list", chatkit_python.user_headers("bob"), limit=2))
    ok(post(chatkit_python, "items.list", thread_id=LONG_THREAD))
    post(chatkit_python, "threads.delete", {}, thread_id=LONG_THREAD)
    post(chatkit_python, "threads.get_by_id", thread_id="thr_missing")
    _http().post(chatkit_python.url, content=b"[1, 2]", headers=chatkit_python.admin_headers)
    assert chatkit_python.requests == Counter(
        {"threads.list": 2, "items.list": 1, "threads.delete": 1, "threads.get_by_id": 1,
         "<invalid>": 1}
    )  # fmt: skip
    assert chatkit_python.log == [
        Seen("threads.list", {"limit": 2}, "admin", 200),
        Seen("threads.list", {"limit": 2}, "bob", 200),
        Seen("items.list", {"thread_id": LONG_THREAD}, "admin", 200),
        Seen("threads.delete", {"thread_id": LONG_THREAD}, None, 401),
        Seen("threads.get_by_id", {"thread_id": "thr_missing"}, "admin", 500),
        Seen("<invalid>", None, "admin", 500),
    ]


def test_latency_knob_delays_every_answer(make_chatkit_python: MakeSample):
    sample = make_chatkit_python(latency_ms=200, threads=3)
    started = time.perf_counter()
    ok(post(sample, "threads.list"))
    assert time.perf_counter() - started >= 0.2
    sample.latency_ms = 0
    started = time.perf_counter()
    ok(post(sample, "threads.list"))
    assert time.perf_counter() - started < 0.2


def test_the_endpoint_path_is_configurable(make_chatkit_python: MakeSample):
    sample = make_chatkit_python(path="/api/chatkit", threads=2)
    assert sample.url == f"http://127.0.0.1:{sample.port}/api/chatkit"
    assert len(ok(post(sample, "threads.list"))["data"]) == 2
    elsewhere = _http().post(f"{sample.base_url}/chatkit", json={}, headers=sample.admin_headers)
    assert elsewhere.status_code == 404
    assert _http().get(sample.url, headers=sample.admin_headers).status_code == 405


def test_a_streaming_request_ends_with_an_error_event_instead_of_hanging(
    chatkit_python: ChatKitPythonSample,
):
    user_input: dict[str, Any] = {
        "content": [{"type": "input_text", "text": "Hello?"}],
        "attachments": [],
        "inference_options": {},
    }
    alice = chatkit_python.user_headers("alice")
    response = post(chatkit_python, "threads.create", alice, input=user_input)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    assert [e["type"] for e in events] == [
        "thread.created", "thread.item.done", "stream_options", "error"
    ]  # fmt: skip
    assert (
        events[-1]["message"] == "This sample server has no agent: it serves stored threads only."
    )
    created = events[0]["thread"]["id"]
    assert created in chatkit_python.store.stored_thread_ids("alice")  # stored, as any server does
    assert "Z" not in events[0]["thread"]["created_at"]  # the SDK's own datetime.now(): naive
    refused = post(
        chatkit_python, "threads.create", chatkit_python.auditor_headers, input=user_input
    )
    assert refused.status_code == 403


def test_threads_update_renames_through_save_thread(chatkit_python: ChatKitPythonSample):
    alice = chatkit_python.user_headers("alice")
    renamed = ok(
        post(chatkit_python, "threads.update", alice, thread_id=REFUND_THREAD, title="Sorted")
    )
    assert renamed["title"] == "Sorted" and renamed["items"] == {"data": [], "has_more": False}
    thread = ok(post(chatkit_python, "threads.get_by_id", thread_id=REFUND_THREAD))
    assert thread["title"] == "Sorted" and len(thread["items"]["data"]) == 5  # items kept
    assert chatkit_python.store.owner_of(REFUND_THREAD) == "alice"
    bob = chatkit_python.user_headers("bob")
    assert (
        post(chatkit_python, "threads.update", bob, thread_id=REFUND_THREAD, title="x").status_code
        == 500
    )


# --- the store, in process ----------------------------------------------------------------


def test_store_methods_scope_by_user():
    from chatkit.store import NotFoundError
    from chatkit.types import (
        AssistantMessageContent,
        AssistantMessageItem,
        FileAttachment,
        UserMessageItem,
    )

    store = SampleStore()
    seed(store, 8)
    alice, bob, admin = Ctx("alice"), Ctx("bob"), Ctx(None)

    async def scenario() -> None:
        item = await store.load_item(REFUND_THREAD, store.stored_items(REFUND_THREAD)[1].id, alice)
        assert item.type == "assistant_message"
        with pytest.raises(NotFoundError):
            await store.load_item(REFUND_THREAD, item.id, bob)
        with pytest.raises(NotFoundError):
            await store.load_thread(REFUND_THREAD, bob)
        changed = AssistantMessageItem(
            id=item.id, thread_id=REFUND_THREAD, created_at=item.created_at,
            content=[AssistantMessageContent(text="Edited")],
        )  # fmt: skip
        await store.save_item(REFUND_THREAD, changed, alice)  # an update
        assert store.stored_items(REFUND_THREAD)[1] == changed
        added = changed.model_copy(update={"id": "msg_added", "created_at": item.created_at})
        await store.save_item(REFUND_THREAD, added, alice)  # an insert
        assert len(store.stored_items(REFUND_THREAD)) == 6
        with pytest.raises(NotFoundError):
            await store.add_thread_item(REFUND_THREAD, added.model_copy(update={"id": "m2"}), bob)
        loaded = await store.load_thread(REFUND_THREAD, alice)
        loaded.title = "Changed only in the copy"
        assert (await store.load_thread(REFUND_THREAD, admin)).title != loaded.title
        attachment = FileAttachment(id="atc_x", name="a.txt", mime_type="text/plain")
        await store.save_attachment(attachment, bob)
        assert await store.load_attachment("atc_x", admin) == attachment
        with pytest.raises(NotFoundError):
            await store.load_attachment("atc_x", alice)
        await store.delete_attachment("atc_x", alice)  # not hers: kept
        assert await store.load_attachment("atc_x", bob) == attachment
        await store.delete_attachment("atc_x", bob)
        with pytest.raises(NotFoundError):
            await store.load_attachment("atc_x", bob)
        # the seeded attachments are stored too, and their owners' alone
        first = store.stored_items(REFUND_THREAD)[0]
        assert isinstance(first, UserMessageItem)
        statement = first.attachments[0]
        assert (await store.load_attachment(statement.id, alice)).name == "bank-statement.pdf"
        await store.delete_thread_item(REFUND_THREAD, "msg_added", alice)
        assert len(store.stored_items(REFUND_THREAD)) == 5

    _run(scenario())


def test_seeding_ten_thousand_threads_is_cheap():
    store = SampleStore()
    started = time.perf_counter()
    ids = seed(store, 10_000, items_per_thread=2)
    elapsed = time.perf_counter() - started
    assert store.count_threads() == 10_000 == len(set(ids))
    assert ids == store.stored_thread_ids()
    assert len(store.stored_items(ids[-1])) == 2 and len(store.stored_items(LONG_THREAD)) == 255
    assert elapsed < 15, f"seeding 10,000 threads took {elapsed:.1f}s"  # ~1.5 s here


# --- python -m tests.fixtures.chatkit_python ----------------------------------------------


def test_the_sample_runs_in_the_foreground_and_prints_what_to_pass():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.chatkit_python", "--port", "0", "--threads", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        output = "\n".join(lines)
        assert "Ctrl-C stops it" in output, (output, process.poll())
        url = lines[0].rsplit(" ", 1)[1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/chatkit")
        admin_line = (
            f"chatkit-tui --chatkit-url {url} --header 'Authorization: Bearer {ADMIN_TOKEN}'"
        )
        assert admin_line in output
        assert f"--header 'Authorization: Bearer {USER_TOKENS['alice']}'" in output
        assert f"--header 'Authorization: Bearer {ADMIN_TOKEN}' --header 'X-User: bob'" in output
        body = {"type": "threads.list", "params": {"limit": 10}}
        listed = _http().post(url, json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert listed.status_code == 200 and len(listed.json()["data"]) == 5
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
