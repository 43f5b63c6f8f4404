"""Conformance with a peer: the official openai SDK pointed at the local server.

The SDK lists every thread with its auto-pagination, retrieves, lists items,
deletes, creates and cancels sessions; its pydantic models validate every raw
response strictly.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.beta.chatkit import (
    ChatKitThread,
    ChatKitThreadItemList,
    ChatSession,
    ThreadDeleteResponse,
)

from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _client(server: BackgroundServer, **kwargs: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-local", base_url=server.base_url, **kwargs)


def _strict(model: type[Any], raw: Any) -> Any:
    return model.model_validate(raw, strict=True)


async def test_auto_pagination_lists_every_thread(seeded_server: BackgroundServer):
    expected = seeded_server.store.count_threads()
    async with _client(seeded_server) as client:
        ids = [t.id async for t in client.beta.chatkit.threads.list(limit=7)]
        assert len(ids) == expected == len(set(ids))
        asc = [t.id async for t in client.beta.chatkit.threads.list(limit=50, order="asc")]
        assert asc == ids[::-1]
        first = (await client.beta.chatkit.threads.list(limit=3)).data[0]
        mine = [t async for t in client.beta.chatkit.threads.list(user=first.user, limit=2)]
        assert mine and all(t.user == first.user for t in mine)
        assert len(mine) == seeded_server.store.count_threads(first.user)


async def test_raw_thread_pages_validate_strictly(seeded_server: BackgroundServer):
    async with _client(seeded_server) as client:
        after: str | None = None
        count = 0
        while True:
            kwargs: dict[str, Any] = {"limit": 100}
            if after:
                kwargs["after"] = after
            raw = await client.beta.chatkit.threads.with_raw_response.list(**kwargs)
            body = raw.http_response.json()
            for thread in body["data"]:
                _strict(ChatKitThread, thread)
                count += 1
            if not body["has_more"]:
                break
            after = body["last_id"]
        assert count == seeded_server.store.count_threads()


async def test_retrieve_and_list_items_validate_strictly(seeded_server: BackgroundServer):
    async with _client(seeded_server) as client:
        threads = (await client.beta.chatkit.threads.list(limit=30)).data
        types: set[str] = set()
        for thread in threads:
            raw = await client.beta.chatkit.threads.with_raw_response.retrieve(thread.id)
            assert _strict(ChatKitThread, raw.http_response.json()) == thread
            raw_items = await client.beta.chatkit.threads.with_raw_response.list_items(
                thread.id, limit=100, order="asc"
            )
            page = _strict(ChatKitThreadItemList, raw_items.http_response.json())
            types.update(item.type for item in page.data)
        assert len(types) == 6
        biggest, count = seeded_server.store.thread_ids_by_item_count(1)[0]
        items = [i async for i in client.beta.chatkit.threads.list_items(biggest, limit=100)]
        assert len(items) == count


async def test_delete_and_errors(local_server: BackgroundServer):
    async with _client(local_server, max_retries=0) as client:
        thread = (await client.beta.chatkit.threads.list(limit=1)).data[0]
        raw = await client.beta.chatkit.threads.with_raw_response.delete(thread.id)
        deleted = _strict(ThreadDeleteResponse, raw.http_response.json())
        assert deleted.id == thread.id and deleted.deleted is True
        with pytest.raises(openai.NotFoundError) as info:
            await client.beta.chatkit.threads.delete(thread.id)
        assert info.value.request_id and info.value.request_id.startswith("req_")
        assert info.value.code == "not_found"
        with pytest.raises(openai.NotFoundError):
            await client.beta.chatkit.threads.retrieve(thread.id)
        with pytest.raises(openai.BadRequestError) as bad:
            await client.beta.chatkit.threads.list(limit=101)
        assert bad.value.param == "limit"


async def test_sessions_create_and_cancel(local_server: BackgroundServer):
    async with _client(local_server) as client:
        raw = await client.beta.chatkit.sessions.with_raw_response.create(
            user="user_1", workflow={"id": "wf_1"}
        )
        session = _strict(ChatSession, raw.http_response.json())
        assert session.status == "active" and session.workflow.tracing.enabled is True
        full = await client.beta.chatkit.sessions.create(
            user="user_2",
            workflow={"id": "wf_2", "version": "3", "state_variables": {"n": 1, "s": "x"},
                      "tracing": {"enabled": False}},
            expires_after={"anchor": "created_at", "seconds": 120},
            rate_limits={"max_requests_per_1_minute": 30},
            chatkit_configuration={"file_upload": {"enabled": True, "max_files": 2},
                                   "history": {"recent_threads": 4},
                                   "automatic_thread_titling": {"enabled": False}},
        )  # fmt: skip
        assert full.workflow.state_variables == {"n": 1, "s": "x"}
        assert full.max_requests_per_1_minute == 30
        assert full.chatkit_configuration.file_upload.max_files == 2
        assert full.chatkit_configuration.history.recent_threads == 4
        raw_cancel = await client.beta.chatkit.sessions.with_raw_response.cancel(session.id)
        cancelled = _strict(ChatSession, raw_cancel.http_response.json())
        assert cancelled.status == "cancelled" and cancelled.id == session.id
        with pytest.raises(openai.NotFoundError):
            await client.beta.chatkit.sessions.cancel("cksess_unknown")
        with pytest.raises(openai.BadRequestError) as bad:
            await client.beta.chatkit.sessions.create(user="", workflow={"id": "wf"})
        assert bad.value.param == "user"


async def test_sdk_authenticates_against_a_keyed_server(make_server: Any):
    server: BackgroundServer = make_server(seed=3, api_key="sk-right")
    async with openai.AsyncOpenAI(api_key="sk-wrong", base_url=server.base_url) as client:
        with pytest.raises(openai.AuthenticationError) as info:
            await client.beta.chatkit.threads.list()
        assert "sk-wrong" not in str(info.value)
    async with openai.AsyncOpenAI(api_key="sk-right", base_url=server.base_url) as client:
        assert len((await client.beta.chatkit.threads.list()).data) == 3
    with api(server, key="sk-right") as http:
        assert http.get("/chatkit/threads").status_code == 200


def test_strict_validation_is_strict():
    """Guard: the SDK models in strict mode do reject wrong types and values."""
    good = {"id": "cthr_1", "object": "chatkit.thread", "created_at": 1, "title": None,
            "status": {"type": "active"}, "user": "u"}  # fmt: skip
    _strict(ChatKitThread, good)
    for bad in ({**good, "created_at": "1"}, {**good, "status": {"type": "paused"}},
                {**good, "object": "thread"}):  # fmt: skip
        with pytest.raises(ValueError):
            _strict(ChatKitThread, bad)
