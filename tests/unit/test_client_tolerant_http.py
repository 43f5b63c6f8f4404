"""End to end over real HTTP (a scripted loopback server): what the client keeps of odd
responses, and that only a malformed envelope is an error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatkit_tui.client import decoding as d
from chatkit_tui.client import errors as e
from chatkit_tui.client import models as m
from tests.fixtures import samples
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.unit.client_helpers import make_client


def _body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


async def test_thread_pages_with_odd_threads_walk_on(scripted_server: ScriptedServer) -> None:
    first = samples.thread_page(3) | {"has_more": True, "last_id": "cthr_0002"}
    first["data"][1] = {"id": "cthr_0001", "created_at": "yesterday", "metadata": {"k": 1}}
    second = samples.thread_page(2) | {"has_more": False}
    second["data"] = [
        samples.thread(7) | {"status": {"type": "archived", "reason": "old"}},
        samples.thread(8) | {"created_at": "2024-05-01T10:00:00Z", "metadata": {"a": [1]}},
    ]
    bodies = {None: _body(first), "cthr_0002": _body(second)}

    def handler(request: Recorded) -> Reply:
        return Reply(body=bodies[request.query.get("after", [None])[0]])

    scripted_server.handler = handler
    async with make_client(scripted_server) as client:
        threads = [t async for t in client.threads.list(limit=3)]
    assert [type(t).__name__ for t in threads] == [
        "Thread",
        "UnreadableThread",
        "Thread",
        "Thread",
        "Thread",
    ]
    assert [t.id for t in threads] == [
        "cthr_0000",
        "cthr_0001",
        "cthr_0002",
        "cthr_0007",
        "cthr_0008",
    ]
    assert [t.status.type for t in threads] == [
        "active",
        "unreadable",
        "closed",
        "archived",
        "closed",
    ]
    assert threads[4].created_at == 1_714_557_600
    sent = [*first["data"], *second["data"]]
    assert [json.loads(t.raw) for t in threads] == sent
    assert [d.to_builtins(t) for t in threads] == sent
    assert scripted_server.requests[1].query["after"] == ["cthr_0002"]


async def test_retrieving_an_odd_thread_gives_what_can_be_archived(
    scripted_server: ScriptedServer,
) -> None:
    body = b'{"id": "cthr_1", "object": "chatkit.thread", "created_at": "soon", "user": "u"}'
    scripted_server.add(Reply(body=body), Reply(body=b'["not", "a", "thread"]'))
    async with make_client(scripted_server) as client:
        thread = await client.threads.retrieve("cthr_1")
        assert isinstance(thread, m.UnreadableThread)
        assert (thread.id, thread.user, thread.raw) == ("cthr_1", "u", body)
        assert d.to_builtins(thread) == json.loads(body)
        with pytest.raises(e.APIResponseValidationError) as caught:
            await client.threads.retrieve("cthr_1")
    assert "Expected `object`, got `array`" in str(caught.value)


async def test_items_in_every_spelling_and_shape(scripted_server: ScriptedServer) -> None:
    bare = samples.user_message(1) | {"type": "user_message"}
    chatkit_python = samples.client_tool_call(2) | {
        "type": "client_tool_call",
        "arguments": {"order": 2},
        "status": "pending",
        "created_at": "2024-05-01T10:00:00+00:00",
    }
    odd_part = samples.assistant_message(3)
    odd_part["content"][0]["annotations"].append({"type": "quote", "text": "q"})
    hologram = {"type": "chatkit.hologram", "id": "h", "thread_id": "cthr_1", "created_at": 4}
    end = {"type": "end_of_turn", "id": "eot", "thread_id": "cthr_1", "created_at": 5}
    data = [bare, chatkit_python, odd_part, hologram, end]
    page = {"object": "list", "data": data, "has_more": False, "last_id": "eot", "x": 1}
    scripted_server.add(Reply(body=page))
    async with make_client(scripted_server) as client:
        got = await client.threads.list_items("cthr_1")
    assert [type(i).__name__ for i in got.data] == [
        "UserMessageItem",
        "ClientToolCallItem",
        "AssistantMessageItem",
        "UnknownItem",
        "EndOfTurnItem",
    ]
    assert [i.type for i in got.data] == [
        "chatkit.user_message",
        "chatkit.client_tool_call",
        "chatkit.assistant_message",
        "chatkit.hologram",
        "chatkit.end_of_turn",
    ]
    call = got.data[1]
    assert isinstance(call, m.ClientToolCallItem)
    assert (call.status, call.arguments_json, call.created_at) == (
        "pending",
        '{"order":2}',
        1_714_557_600,
    )
    assistant = got.data[2]
    assert isinstance(assistant, m.AssistantMessageItem)
    assert isinstance(assistant.content[0].annotations[-1], m.UnknownAnnotation)
    assert d.to_builtins(got) == page
    assert [d.to_builtins(i) for i in got.data] == data


@pytest.mark.parametrize(
    "body",
    [b"<html>502</html>", b'{"data": {"oops": 1}}', b'["no", "envelope"]'],
)
async def test_a_malformed_envelope_is_still_an_error(
    scripted_server: ScriptedServer, body: bytes
) -> None:
    scripted_server.add(Reply(body=body), Reply(body=body))
    async with make_client(scripted_server) as client:
        with pytest.raises(e.APIResponseValidationError):
            await client.threads.list()
        with pytest.raises(e.APIResponseValidationError):
            await client.threads.list_items("cthr_1")
