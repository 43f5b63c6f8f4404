"""What the client sends over real HTTP: headers, environment, proxies, paths, bodies."""

from __future__ import annotations

import httpx
import pytest

from chatkit_tui import __version__
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client import models as m
from tests.fixtures import samples
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.unit.client_helpers import KEY, make_client

DELETED = {"id": "cthr_1", "object": "chatkit.thread.deleted", "deleted": True}


async def _every_operation(client: AsyncChatKit, server: ScriptedServer) -> None:
    server.add(
        Reply(body=samples.thread(1)),
        Reply(body=samples.thread_page(2)),
        Reply(body=DELETED),
        Reply(body=samples.item_page(3)),
        Reply(body=samples.session()),
        Reply(body=samples.session("cancelled")),
    )
    await client.threads.retrieve("cthr_1")
    await client.threads.list()
    await client.threads.delete("cthr_1")
    await client.threads.list_items("cthr_1")
    await client.sessions.create(user="u", workflow={"id": "wf"})
    await client.sessions.cancel("cksess_1")


async def test_every_request_carries_auth_beta_and_user_agent(
    scripted_server: ScriptedServer,
) -> None:
    async with make_client(scripted_server, organization="org-1", project="proj-1") as client:
        await _every_operation(client, scripted_server)
    methods = [(r.method, r.path) for r in scripted_server.requests]
    assert methods == [
        ("GET", "/v1/chatkit/threads/cthr_1"),
        ("GET", "/v1/chatkit/threads"),
        ("DELETE", "/v1/chatkit/threads/cthr_1"),
        ("GET", "/v1/chatkit/threads/cthr_1/items"),
        ("POST", "/v1/chatkit/sessions"),
        ("POST", "/v1/chatkit/sessions/cksess_1/cancel"),
    ]
    for request in scripted_server.requests:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.headers["openai-beta"] == "chatkit_beta=v1"
        assert request.headers["openai-organization"] == "org-1"
        assert request.headers["openai-project"] == "proj-1"
        assert request.headers["user-agent"].startswith(f"chatkit-tui/{__version__} ")
        assert request.headers["accept"] == "application/json"


async def test_only_posts_carry_an_idempotency_key(scripted_server: ScriptedServer) -> None:
    async with make_client(scripted_server) as client:
        await _every_operation(client, scripted_server)
    keys = [r.headers.get("idempotency-key") for r in scripted_server.requests]
    assert keys[:4] == [None] * 4
    assert keys[4] and keys[5] and keys[4] != keys[5]
    assert "openai-organization" not in scripted_server.requests[0].headers
    assert "openai-project" not in scripted_server.requests[0].headers


async def test_environment_variables(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.base_url + "/")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    scripted_server.add(Reply(body=samples.thread(1)), Reply(body=samples.thread(1)))
    async with AsyncChatKit() as client:
        assert client.base_url == scripted_server.base_url
        await client.threads.retrieve("cthr_1")
    async with AsyncChatKit(api_key="sk-arg", organization="org-arg", project="p-arg") as client:
        await client.threads.retrieve("cthr_1")
    env, args = scripted_server.requests
    assert env.headers["authorization"] == "Bearer sk-from-env"
    assert (env.headers["openai-organization"], env.headers["openai-project"]) == (
        "org-env",
        "proj-env",
    )
    assert args.headers["authorization"] == "Bearer sk-arg"
    assert (args.headers["openai-organization"], args.headers["openai-project"]) == (
        "org-arg",
        "p-arg",
    )


def test_defaults() -> None:
    client = AsyncChatKit()
    assert client.base_url == "https://api.openai.com/v1"
    assert client.api_key is None
    assert (client.timeout.connect, client.timeout.read) == (5.0, 60.0)
    assert client.max_retries == 2
    assert AsyncChatKit(timeout=3).timeout.read == 3.0


async def test_without_a_key_no_authorization_is_sent(scripted_server: ScriptedServer) -> None:
    scripted_server.add(Reply(body=samples.thread(1)))
    async with make_client(scripted_server, api_key=None) as client:
        await client.threads.retrieve("cthr_1")
    assert "authorization" not in scripted_server.requests[0].headers


async def test_proxy_from_the_environment(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", scripted_server.origin)
    monkeypatch.delenv("NO_PROXY")
    scripted_server.add(Reply(body=samples.thread(1)))
    async with AsyncChatKit(api_key=KEY, base_url="http://chatkit.invalid/v1") as client:
        thread = await client.threads.retrieve("cthr_1")
    assert thread.id == "cthr_0001"
    (request,) = scripted_server.requests  # the proxy got the absolute URL
    assert request.target == "http://chatkit.invalid/v1/chatkit/threads/cthr_1"
    assert request.headers["openai-beta"] == "chatkit_beta=v1"


async def test_ids_are_percent_encoded(scripted_server: ScriptedServer) -> None:
    scripted_server.add(
        Reply(body=samples.thread(1)),
        Reply(body=DELETED),
        Reply(body=samples.item_page(1)),
        Reply(body=samples.session()),
    )
    odd = "a/b c?d#e%f&ü"
    async with make_client(scripted_server) as client:
        await client.threads.retrieve(odd)
        await client.threads.delete(odd)
        await client.threads.list_items(odd)
        await client.sessions.cancel("../x")
    encoded = "a%2Fb%20c%3Fd%23e%25f%26%C3%BC"
    assert [r.target for r in scripted_server.requests] == [
        f"/v1/chatkit/threads/{encoded}",
        f"/v1/chatkit/threads/{encoded}",
        f"/v1/chatkit/threads/{encoded}/items",
        "/v1/chatkit/sessions/..%2Fx/cancel",
    ]


async def test_an_empty_id_is_a_value_error_before_any_request(
    scripted_server: ScriptedServer,
) -> None:
    async with make_client(scripted_server) as client:
        with pytest.raises(ValueError, match="thread_id"):
            await client.threads.retrieve("")
        with pytest.raises(ValueError, match="thread_id"):
            await client.threads.delete("")
        with pytest.raises(ValueError, match="thread_id"):
            client.threads.list_items("")
        with pytest.raises(ValueError, match="session_id"):
            await client.sessions.cancel("")
    assert scripted_server.requests == []


async def test_list_sends_only_the_parameters_given(scripted_server: ScriptedServer) -> None:
    scripted_server.add(*[Reply(body=samples.thread_page(1)) for _ in range(3)])
    async with make_client(scripted_server) as client:
        await client.threads.list()
        await client.threads.list(user="user @1", limit=5, order="asc", after="cthr_9")
        await client.threads.list(before="cthr_3", limit=0)
        with pytest.raises(ValueError, match="not both"):
            client.threads.list(after="a", before="b")
    first, second, third = scripted_server.requests
    assert first.query == {}
    assert second.query == {
        "user": ["user @1"],
        "limit": ["5"],
        "order": ["asc"],
        "after": ["cthr_9"],
    }
    assert third.query == {"limit": ["0"], "before": ["cthr_3"]}


async def test_responses_decode_to_models(scripted_server: ScriptedServer) -> None:
    async with make_client(scripted_server) as client:
        await _every_operation(client, scripted_server)
        scripted_server.add(Reply(body=samples.session("cancelled")), Reply(body=DELETED))
        cancelled = await client.sessions.cancel("cksess_1")
        deleted = await client.threads.delete("cthr_1")
    assert cancelled.status == "cancelled"
    assert deleted == m.ThreadDeleted(id="cthr_1", deleted=True)


async def test_session_create_bodies(scripted_server: ScriptedServer) -> None:
    scripted_server.add(*[Reply(body=samples.session()) for _ in range(4)])
    async with make_client(scripted_server) as client:
        session = await client.sessions.create(user="u", workflow={"id": "wf"})
        await client.sessions.create(user="u", workflow=m.WorkflowParam(id="wf"), expires_after=90)
        await client.sessions.create(
            user="u",
            workflow={"id": "wf", "state_variables": {"plan": "pro", "n": 2}},
            expires_after={"seconds": 30},
            rate_limits={"max_requests_per_1_minute": 7},
            chatkit_configuration={"file_upload": {"enabled": False}},
        )
        await client.sessions.create(
            user="u",
            workflow={"id": "wf"},
            chatkit_configuration=m.ChatkitConfigurationParam(
                history=m.HistoryParam(recent_threads=3)
            ),
            rate_limits=m.RateLimitsParam(),
        )
        with pytest.raises(ValueError, match="invalid workflow"):
            await client.sessions.create(user="u", workflow={"id": 5})
        with pytest.raises(TypeError, match="expires_after"):
            await client.sessions.create(user="u", workflow={"id": "w"}, expires_after=True)
    assert isinstance(session, m.ChatSession)
    assert session.workflow.tracing.enabled is False
    bodies = [r.json() for r in scripted_server.requests]
    assert bodies == [
        {"workflow": {"id": "wf"}, "user": "u"},
        {
            "workflow": {"id": "wf"},
            "user": "u",
            "expires_after": {"seconds": 90, "anchor": "created_at"},
        },
        {
            "workflow": {"id": "wf", "state_variables": {"plan": "pro", "n": 2}},
            "user": "u",
            "expires_after": {"seconds": 30, "anchor": "created_at"},
            "rate_limits": {"max_requests_per_1_minute": 7},
            "chatkit_configuration": {"file_upload": {"enabled": False}},
        },
        {
            "workflow": {"id": "wf"},
            "user": "u",
            "rate_limits": {},
            "chatkit_configuration": {"history": {"recent_threads": 3}},
        },
    ]
    for request in scripted_server.requests:
        assert request.headers["content-type"] == "application/json"


async def test_context_manager_closes_its_own_connections_only(
    scripted_server: ScriptedServer,
) -> None:
    async with make_client(scripted_server) as client:
        pass
    assert client._http.is_closed
    async with httpx.AsyncClient() as mine:
        scripted_server.add(Reply(body=samples.thread(1)))
        async with make_client(scripted_server, http_client=mine) as client:
            await client.threads.retrieve("cthr_1")
        assert not mine.is_closed
