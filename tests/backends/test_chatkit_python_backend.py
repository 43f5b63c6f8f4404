"""The chatkit-python backend against chatkit-python itself (its own ChatKitServer over a
Store, served by uvicorn on loopback): pages, scoping by the operator's auth, every item
type, archive-then-delete, the errors such servers really give, and header secrecy."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from chatkit_tui.backends.chatkit_python import CHATKIT_PYTHON
from chatkit_tui.backends.chatkit_python.client import ChatKitPython
from chatkit_tui.client import RetryPolicy
from chatkit_tui.client.errors import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    PermissionDeniedError,
)
from chatkit_tui.client.models import UnknownItem, UnreadableThread
from chatkit_tui.core.delete import Outcome, archive_then_delete
from tests.fixtures.chatkit_python import (
    CANCEL_THREAD,
    KITCHEN_SINK_THREAD,
    LONG_THREAD,
    LONG_THREAD_VISIBLE,
    REFUND_THREAD,
    USER_TOKENS,
    ChatKitPythonSample,
)
from tests.fixtures.scripted import Reply, ScriptedServer

FAST = RetryPolicy(initial_delay=0.01, max_delay=0.02)


def client(sample: ChatKitPythonSample, headers: dict[str, str] | None = None) -> ChatKitPython:
    return ChatKitPython(
        sample.url, sample.admin_headers if headers is None else headers, retry_policy=FAST
    )


def raw_post(sample: ChatKitPythonSample, kind: str, params: dict[str, object]) -> bytes:
    response = httpx.post(
        sample.url, json={"type": kind, "params": params}, headers=sample.admin_headers
    )
    response.raise_for_status()
    return response.content


async def test_every_thread_across_pages_keeps_the_bytes_sent(
    chatkit_python: ChatKitPythonSample,
) -> None:
    async with client(chatkit_python) as deployment:
        assert deployment.capabilities is CHATKIT_PYTHON
        threads = [t async for t in deployment.threads.list(limit=7)]
        oldest = [t async for t in deployment.threads.list(limit=7, order="asc")]
    assert len(threads) == chatkit_python.store.count_threads() == 30
    assert [t.id for t in threads] == chatkit_python.store.stored_thread_ids()  # newest first
    assert [t.id for t in oldest] == [t.id for t in threads][::-1]
    assert not any(isinstance(t, UnreadableThread) for t in threads)
    # each record is the JSON the server sent for it, byte for byte
    page = json.loads(raw_post(chatkit_python, "threads.list", {"limit": 3}))
    sent = [json.dumps(t, separators=(",", ":"), ensure_ascii=False).encode() for t in page["data"]]
    assert [t.raw for t in threads[:3]] == sent
    refund = next(t for t in threads if t.id == REFUND_THREAD)
    assert refund.status.type == "closed" and refund.status.reason == "Refund issued"
    assert refund.created_at > 1_700_000_000 and refund.user == ""


async def test_the_operators_auth_scopes_what_is_seen(chatkit_python: ChatKitPythonSample) -> None:
    async with client(chatkit_python, chatkit_python.user_headers("alice")) as alice:
        mine = {t.id async for t in alice.threads.list(limit=100)}
    assert REFUND_THREAD in mine and CANCEL_THREAD not in mine
    assert mine == set(chatkit_python.store.stored_thread_ids(user="alice"))
    async with client(chatkit_python) as admin:
        with pytest.raises(ValueError, match="cannot filter threads by user"):
            admin.threads.list(user="alice")


async def test_every_visible_item_type_decodes_and_hidden_context_never_comes(
    chatkit_python: ChatKitPythonSample,
) -> None:
    async with client(chatkit_python) as deployment:
        items = [i async for i in deployment.threads.list_items(KITCHEN_SINK_THREAD, order="asc")]
        thread = await deployment.threads.retrieve(KITCHEN_SINK_THREAD)
    kinds = {type(i).__name__ for i in items}
    assert not any(isinstance(i, UnknownItem) for i in items), kinds
    types = {json.loads(i.raw)["type"] for i in items}
    assert types == {
        "user_message",
        "assistant_message",
        "client_tool_call",
        "widget",
        "generated_image",
        "structured_input",
        "workflow",
        "task",
        "end_of_turn",
    }
    stored = {item.type for item in chatkit_python.store.stored_items(KITCHEN_SINK_THREAD)}
    assert {"hidden_context_item", "sdk_hidden_context"} <= stored
    assert thread.id == KITCHEN_SINK_THREAD and b'"items"' in thread.raw


async def test_a_long_thread_pages_by_the_servers_cursor_past_hidden_items(
    chatkit_python: ChatKitPythonSample,
) -> None:
    async with client(chatkit_python) as deployment:
        pager = deployment.threads.list_items(LONG_THREAD, limit=20, order="asc")
        pages = [page async for page in pager.pages()]
    items = [i for page in pages for i in page.data]
    assert len(items) == LONG_THREAD_VISIBLE
    assert len({i.id for i in items}) == LONG_THREAD_VISIBLE
    # a page cut around hidden items is shorter than asked, yet the walk goes on
    assert any(len(page.data) < 20 and page.has_more for page in pages)


async def test_archive_then_delete_keeps_the_whole_thread_as_sent(
    chatkit_python: ChatKitPythonSample, tmp_path: Path
) -> None:
    async with client(chatkit_python) as deployment:
        result = await archive_then_delete(deployment, LONG_THREAD, archive_dir=tmp_path)
        assert result.outcome is Outcome.DELETED and result.archive is not None
        with pytest.raises(InternalServerError):  # what such a server says of a thread gone
            await deployment.threads.retrieve(LONG_THREAD)
    archive = json.loads(result.archive.read_text())
    assert archive["thread"]["id"] == LONG_THREAD
    assert len(archive["items"]) == LONG_THREAD_VISIBLE
    assert chatkit_python.requests["threads.delete"] == 1
    assert LONG_THREAD not in chatkit_python.store.stored_thread_ids()


async def test_errors_as_operators_servers_give_them(
    make_chatkit_python: object, chatkit_python: ChatKitPythonSample
) -> None:
    async with client(chatkit_python, {"Authorization": "Bearer wrong-token-000000"}) as bad:
        with pytest.raises(AuthenticationError) as caught:
            await bad.threads.list()
    assert "wrong-token" not in str(caught.value) + repr(caught.value)
    dave = {"Authorization": f"Bearer {USER_TOKENS['dave']}"}
    async with client(chatkit_python, dave) as disabled:
        with pytest.raises(PermissionDeniedError, match="disabled"):
            await disabled.threads.list()
    async with client(chatkit_python) as admin:
        with pytest.raises(InternalServerError):
            await admin.threads.retrieve("thr_no_such")
    debug: ChatKitPythonSample = make_chatkit_python(debug=True)  # type: ignore[operator]
    async with client(debug) as admin:
        with pytest.raises(InternalServerError) as caught:
            await admin.threads.retrieve("thr_no_such")
    assert len(str(caught.value)) < 700  # a traceback page is not printed whole


async def test_header_values_never_appear_in_messages_even_when_echoed(
    scripted_server: ScriptedServer,
) -> None:
    secret = "operator-secret-4242-abcd"
    message = f"bad token Bearer {secret} for X-Tenant acme-corp-tenant"
    scripted_server.add(Reply(500, {"error": {"message": message}}))
    headers = {"Authorization": f"Bearer {secret}", "X-Tenant": "acme-corp-tenant"}
    async with ChatKitPython(scripted_server.origin + "/chatkit", headers, max_retries=0) as d:
        with pytest.raises(InternalServerError) as caught:
            await d.threads.list()
        shown = str(caught.value) + repr(caught.value) + repr(d)
    assert secret not in shown and "acme-corp-tenant" not in shown and "***" in shown
    sent = scripted_server.requests[0]
    assert sent.method == "POST" and sent.json() == {"type": "threads.list", "params": {}}
    assert sent.headers["authorization"] == f"Bearer {secret}"
    # none of the hosted API's headers go to the operator's server
    for name in ("openai-beta", "openai-organization", "openai-project", "idempotency-key"):
        assert name not in sent.headers


async def test_the_openai_key_in_the_environment_is_never_sent(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-hosted-key-must-not-leave")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-x")
    scripted_server.add(Reply(200, {"data": [], "has_more": False}))
    async with ChatKitPython(scripted_server.origin + "/chatkit") as d:
        page = await d.threads.list()
    assert page.data == [] and d.organization is None
    assert "authorization" not in scripted_server.requests[0].headers


async def test_a_dead_endpoint_is_a_connection_error() -> None:
    async with ChatKitPython("http://127.0.0.1:9/chatkit", max_retries=0) as d:
        with pytest.raises(APIConnectionError, match=r"threads\.list"):
            await d.threads.list()


async def test_a_cursor_naming_a_deleted_thread_is_the_servers_error_not_a_loop(
    make_chatkit_python: object,
) -> None:
    """A store that raises on an unknown cursor (chatkit-python's SQLite example does): the
    page asked after a thread deleted meanwhile is that server's 500, raised as such."""
    sample: ChatKitPythonSample = make_chatkit_python()  # type: ignore[operator]
    async with client(sample) as deployment:
        first = await deployment.threads.list(limit=5)
        assert first.has_more and first.last_id is not None
        async with client(sample) as other:
            await other.threads.delete(first.last_id)
        with pytest.raises(InternalServerError):
            await deployment.threads.list(limit=5, after=first.last_id)
