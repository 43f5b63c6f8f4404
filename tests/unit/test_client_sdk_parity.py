"""Side by side with the official openai SDK on the same scripted server.

We page like the SDK does (same query strings, same OpenAI-Beta header), and
differ where the issue asks us to: an unknown item type stays unknown.
"""

from __future__ import annotations

import json
from typing import Any

from openai import AsyncOpenAI

from chatkit_tui.client import models as m
from tests.fixtures import samples
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.unit.client_helpers import KEY, make_client


def _serve_pages(server: ScriptedServer) -> None:
    pages: dict[str | None, dict[str, Any]] = {
        None: samples.thread_page(2) | {"has_more": True, "last_id": "cthr_0001"},
        "cthr_0001": samples.thread_page(1) | {"has_more": False},
    }

    def handler(request: Recorded) -> Reply:
        return Reply(body=pages[request.query.get("after", [None])[0]])

    server.handler = handler


def _requests(server: ScriptedServer) -> list[tuple[str, str, dict[str, list[str]], str]]:
    return [(r.method, r.path, r.query, r.headers["openai-beta"]) for r in server.requests]


async def test_paging_sends_what_the_sdk_sends(scripted_server: ScriptedServer) -> None:
    _serve_pages(scripted_server)
    sdk = AsyncOpenAI(api_key=KEY, base_url=scripted_server.base_url, max_retries=0)
    sdk_ids = [t.id async for t in sdk.beta.chatkit.threads.list(limit=2, order="asc", user="u")]
    await sdk.close()
    theirs = _requests(scripted_server)
    scripted_server.requests.clear()
    async with make_client(scripted_server) as client:
        our_ids = [t.id async for t in client.threads.list(limit=2, order="asc", user="u")]
    assert our_ids == sdk_ids == ["cthr_0000", "cthr_0001", "cthr_0000"]
    assert _requests(scripted_server) == theirs
    assert theirs[1][2]["after"] == ["cthr_0001"]


async def test_the_documentations_item_spelling_is_a_user_message_for_both(
    scripted_server: ScriptedServer,
) -> None:
    odd = {
        "id": "cthi_1",
        "object": "chatkit.thread_item",
        "created_at": 1,
        "thread_id": "cthr_1",
        "type": "user_message",  # the documentation's spelling, not the schema's
        "content": [{"type": "input_text", "text": "hi"}],
    }
    page = {"object": "list", "data": [odd], "has_more": False, "last_id": "cthi_1"}
    scripted_server.add(Reply(body=page), Reply(body=page))
    sdk = AsyncOpenAI(api_key=KEY, base_url=scripted_server.base_url, max_retries=0)
    sdk_page = await sdk.beta.chatkit.threads.list_items("cthr_1")
    await sdk.close()
    async with make_client(scripted_server) as client:
        our_page = await client.threads.list_items("cthr_1")
    (sdk_item,) = sdk_page.data
    (our_item,) = our_page.data
    # both take the documentation's spelling for a user message; we keep its bytes too
    assert type(sdk_item).__name__ == "ChatKitThreadUserMessageItem"
    assert isinstance(our_item, m.UserMessageItem)
    assert our_item.type == "chatkit.user_message"
    assert our_item.content == [m.InputText(text="hi")]
    assert json.loads(our_item.raw) == odd
    assert our_item.id == "cthi_1"
