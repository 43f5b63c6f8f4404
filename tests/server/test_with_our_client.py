"""Our own client against our own server (the pairing `chatkit-tui --demo` uses)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
)
from chatkit_tui.client.models import UnknownItem
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer

MakeServer = Callable[..., BackgroundServer]


async def test_every_thread_and_item_decodes(seeded_server: BackgroundServer):
    async with AsyncChatKit(api_key="sk-local", base_url=seeded_server.base_url) as client:
        threads = [t async for t in client.threads.list(limit=100)]
        assert len(threads) == seeded_server.store.count_threads()
        assert await client.threads.retrieve(threads[0].id) == threads[0]
        for thread in threads[:25]:
            items = [i async for i in client.threads.list_items(thread.id, limit=100)]
            assert not [i for i in items if isinstance(i, UnknownItem)]
            assert len(items) == seeded_server.store.count_items(thread.id)


async def test_delete_sessions_and_errors(local_server: BackgroundServer):
    async with AsyncChatKit(
        api_key="sk-local", base_url=local_server.base_url, max_retries=0
    ) as client:
        thread = (await client.threads.list(limit=1)).data[0]
        deleted = await client.threads.delete(thread.id)
        assert deleted.deleted and deleted.id == thread.id
        with pytest.raises(NotFoundError) as info:
            await client.threads.delete(thread.id)
        assert info.value.request_id and info.value.request_id.startswith("req_")
        with pytest.raises(BadRequestError):
            await client.threads.list(user="x" * 513)
        session = await client.sessions.create(user="u", workflow={"id": "wf"}, expires_after=60)
        assert session.status == "active"
        assert (await client.sessions.cancel(session.id)).status == "cancelled"


async def test_auth_and_rate_limit_errors(make_server: MakeServer):
    keyed = make_server(seed=2, api_key="sk-right")
    async with AsyncChatKit(api_key="sk-wrong", base_url=keyed.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.threads.list()
        assert "sk-wrong" not in str(info.value)
    limited = make_server(seed=2, faults=Faults(rate_limit=1))
    async with AsyncChatKit(api_key="k", base_url=limited.base_url, max_retries=0) as client:
        await client.threads.list()
        with pytest.raises(RateLimitError):
            await client.threads.list()
