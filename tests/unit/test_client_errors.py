"""Error mapping, retries, timeouts and secrecy of the key, over real HTTP."""

from __future__ import annotations

import email.utils
import logging
import socket
import time

import httpx
import pytest

from chatkit_tui.client import AsyncChatKit, RetryPolicy
from chatkit_tui.client import errors as e
from tests.fixtures import samples
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.unit.client_helpers import KEY, Sleeps, make_client

ERROR_BODY = {
    "error": {
        "message": "No thread with id 'cthr_x'.",
        "type": "invalid_request_error",
        "param": "thread_id",
        "code": "thread_not_found",
    }
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequestError),
        (401, e.AuthenticationError),
        (403, e.PermissionDeniedError),
        (404, e.NotFoundError),
        (409, e.ConflictError),
        (422, e.UnprocessableEntityError),
        (429, e.RateLimitError),
        (500, e.InternalServerError),
        (503, e.InternalServerError),
        (418, e.APIStatusError),
    ],
)
async def test_status_families_map_to_exception_classes(
    scripted_server: ScriptedServer, status: int, cls: type[e.APIStatusError]
) -> None:
    scripted_server.add(Reply(status, ERROR_BODY, headers={"x-request-id": "req_abc"}))
    async with make_client(scripted_server, max_retries=0) as client:
        with pytest.raises(cls) as caught:
            await client.threads.retrieve("cthr_x")
    err = caught.value
    assert type(err) is cls
    assert isinstance(err, e.APIError) and isinstance(err, e.ChatKitError)
    assert err.status_code == status
    assert err.request_id == "req_abc"
    assert err.message == "No thread with id 'cthr_x'."
    assert (err.type, err.code, err.param) == (
        "invalid_request_error",
        "thread_not_found",
        "thread_id",
    )
    assert err.body == ERROR_BODY
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"{status} ")
    assert "No thread with id 'cthr_x'." in text
    assert "req_abc" in text


async def test_a_non_json_error_body_is_kept_as_text(scripted_server: ScriptedServer) -> None:
    html = "<html><body>502 Bad Gateway\nnginx</body></html>"
    scripted_server.add(Reply(502, html, headers={"Content-Type": "text/html"}))
    async with make_client(scripted_server, max_retries=0) as client:
        with pytest.raises(e.InternalServerError) as caught:
            await client.threads.list()
    assert caught.value.body == html
    assert caught.value.request_id is None
    assert str(caught.value) == (
        '502 Server error: an HTML page (not the API\'s JSON): "502 Bad Gateway nginx"'
    )


async def test_describe_words_any_failure_on_one_line(scripted_server: ScriptedServer) -> None:
    scripted_server.add(Reply(404, ERROR_BODY, headers={"x-request-id": "req_9"}))
    async with make_client(scripted_server, max_retries=0) as client:
        with pytest.raises(e.NotFoundError) as caught:
            await client.threads.retrieve("cthr_x")
    assert e.describe(caught.value) == str(caught.value)
    assert "req_9" in e.describe(caught.value)
    disk = OSError(28, "No space left on device")
    assert e.describe(disk) == "OSError: [Errno 28] No space left on device"
    assert e.describe(ValueError("bad\n  value")) == "unexpected ValueError: bad value"


async def test_empty_and_problem_json_bodies(scripted_server: ScriptedServer) -> None:
    problem = {"type": "about:blank", "title": "Invalid request", "detail": "limit must be <= 100"}
    scripted_server.add(Reply(404, b""), Reply(422, problem))
    async with make_client(scripted_server, max_retries=0) as client:
        with pytest.raises(e.NotFoundError) as missing:
            await client.threads.retrieve("x")
        with pytest.raises(e.UnprocessableEntityError) as invalid:
            await client.threads.list()
    assert str(missing.value) == "404 Not found: Not Found"
    assert missing.value.body is None
    assert invalid.value.message == "Invalid request: limit must be <= 100"


async def test_retries_5xx_with_exponential_backoff(scripted_server: ScriptedServer) -> None:
    sleeps = Sleeps()
    scripted_server.add(Reply(503), Reply(500), Reply(body=samples.thread(1)))
    async with make_client(scripted_server, sleeps) as client:
        thread = await client.threads.retrieve("cthr_1")
    assert thread.id == "cthr_0001"
    assert len(scripted_server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 504])
async def test_retryable_statuses_give_up_after_max_retries(
    scripted_server: ScriptedServer, status: int
) -> None:
    sleeps = Sleeps()
    scripted_server.add(*[Reply(status, ERROR_BODY) for _ in range(4)])
    async with make_client(scripted_server, sleeps, max_retries=3) as client:
        with pytest.raises(e.APIStatusError) as caught:
            await client.threads.list()
    assert caught.value.status_code == status
    assert len(scripted_server.requests) == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_client_errors_are_not_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.add(Reply(400, ERROR_BODY), Reply(404, ERROR_BODY))
    async with make_client(scripted_server) as client:
        with pytest.raises(e.BadRequestError):
            await client.threads.list()
        with pytest.raises(e.NotFoundError):
            await client.threads.delete("x")
    assert len(scripted_server.requests) == 2


async def test_x_should_retry_is_honoured(scripted_server: ScriptedServer) -> None:
    scripted_server.add(
        Reply(400, headers={"x-should-retry": "true"}),
        Reply(body=samples.thread(1)),
        Reply(503, headers={"x-should-retry": "false"}),
    )
    async with make_client(scripted_server) as client:
        await client.threads.retrieve("a")
        with pytest.raises(e.InternalServerError):
            await client.threads.retrieve("a")
    assert len(scripted_server.requests) == 3


async def test_retry_after_headers_set_the_wait(scripted_server: ScriptedServer) -> None:
    sleeps = Sleeps()
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    scripted_server.add(
        Reply(429, headers={"retry-after-ms": "250"}),
        Reply(429, headers={"retry-after": "3"}),
        Reply(body=samples.thread(1)),
        Reply(429, headers={"retry-after": date}),
        Reply(429, headers={"retry-after": "600"}),  # too long: normal backoff instead
        Reply(body=samples.thread(1)),
    )
    async with make_client(scripted_server, sleeps) as client:
        await client.threads.retrieve("a")
        await client.threads.retrieve("a")
    assert sleeps.delays[:2] == [0.25, 3.0]
    assert 27 < sleeps.delays[2] <= 30
    assert sleeps.delays[3] == 1.0


async def test_max_retries_zero_sends_once(scripted_server: ScriptedServer) -> None:
    scripted_server.add(Reply(503), Reply(503))
    async with make_client(scripted_server, max_retries=0) as client:
        with pytest.raises(e.InternalServerError):
            await client.threads.list()
    assert len(scripted_server.requests) == 1


async def test_idempotency_key_is_stable_across_retries_of_one_call(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.add(
        Reply(500),
        Reply(502),
        Reply(body=samples.session()),
        Reply(503),
        Reply(body=samples.session()),
    )
    async with make_client(scripted_server) as client:
        await client.sessions.create(user="u", workflow={"id": "wf"})
        await client.sessions.cancel("cksess_1")
    keys = [r.headers["idempotency-key"] for r in scripted_server.requests]
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] == keys[4]
    assert keys[0] != keys[3]
    assert [r.json() for r in scripted_server.requests[:3]] == [
        {"workflow": {"id": "wf"}, "user": "u"}
    ] * 3


async def test_dropped_connections_are_retried(scripted_server: ScriptedServer) -> None:
    sleeps = Sleeps()
    scripted_server.add(Reply(drop=True), Reply(body=samples.thread(1)))
    async with make_client(scripted_server, sleeps) as client:
        assert (await client.threads.retrieve("a")).id == "cthr_0001"
    assert sleeps.delays == [0.5]
    scripted_server.add(*[Reply(drop=True) for _ in range(3)])
    async with make_client(scripted_server, sleeps) as client:
        with pytest.raises(e.APIConnectionError) as caught:
            await client.threads.retrieve("a")
    assert not isinstance(caught.value, e.APITimeoutError)
    assert "GET /chatkit/threads/a" in str(caught.value)
    assert len(scripted_server.requests) == 5


async def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    policy = RetryPolicy(sleep=sleeps)
    async with AsyncChatKit(
        api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", retry_policy=policy
    ) as client:
        with pytest.raises(e.APIConnectionError) as caught:
            await client.threads.list()
    assert len(sleeps.delays) == 2
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert KEY not in str(caught.value)


async def test_timeouts_are_retried_then_raised(scripted_server: ScriptedServer) -> None:
    sleeps = Sleeps()
    scripted_server.add(Reply(delay=1.0, body=samples.thread(1)), Reply(body=samples.thread(1)))
    async with make_client(scripted_server, sleeps, timeout=0.25) as client:
        assert (await client.threads.retrieve("a")).id == "cthr_0001"
    assert sleeps.delays == [0.5]
    scripted_server.add(Reply(delay=1.0), Reply(delay=1.0))
    async with make_client(scripted_server, sleeps, timeout=0.25, max_retries=1) as client:
        with pytest.raises(e.APITimeoutError) as caught:
            await client.threads.list()
    assert isinstance(caught.value, e.APIConnectionError)
    assert "timed out" in str(caught.value)
    assert len(scripted_server.requests) == 4


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"oops", "body is not JSON"),
        (b"<html>oops</html>", 'body is an HTML page (not the API\'s JSON): "oops"'),
        (b'{"data": "nope"}', "$.data"),
        (b'{"object": "list"}', "data"),
    ],
)
async def test_a_malformed_success_body_is_a_validation_error(
    scripted_server: ScriptedServer, body: bytes, expected: str
) -> None:
    scripted_server.add(Reply(200, body, headers={"x-request-id": "req_9"}))
    async with make_client(scripted_server) as client:
        with pytest.raises(e.APIResponseValidationError) as caught:
            await client.threads.list()
    err = caught.value
    assert (err.status_code, err.request_id) == (200, "req_9")
    assert str(err).startswith("Malformed response to GET /chatkit/threads: status 200")
    assert expected in str(err)
    assert "req_9" in str(err)
    assert len(scripted_server.requests) == 1  # not retried


async def test_the_api_key_never_appears_in_errors_reprs_or_logs(
    scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": KEY}}
    scripted_server.add(
        Reply(503, echo),
        Reply(401, echo),
        Reply(200, f'["{KEY}"]'),  # not a thread at all (an object would be kept raw)
    )
    async with make_client(scripted_server) as client:
        with pytest.raises(e.AuthenticationError) as auth:
            await client.threads.retrieve("a")
        with pytest.raises(e.APIResponseValidationError) as bad:
            await client.threads.retrieve("a")
        texts = [repr(client), str(auth.value), repr(auth.value), str(auth.value.body)]
        texts += [auth.value.message, str(auth.value.code), str(bad.value), repr(bad.value)]
    assert "Incorrect API key provided: ***." in str(auth.value)
    assert "api_key=<set>" in repr(client)
    assert len(scripted_server.requests) == 3
    for text in [*texts, caplog.text]:
        assert KEY not in text
    assert "retry 1 of 2" in caplog.text  # DEBUG logs of httpx/httpcore included


async def test_a_request_id_echoing_the_key_is_redacted(scripted_server: ScriptedServer) -> None:
    scripted_server.add(Reply(404, b"", headers={"x-request-id": f"req_{KEY}"}))
    async with make_client(scripted_server) as client:
        with pytest.raises(e.NotFoundError) as caught:
            await client.threads.retrieve("a")
    assert caught.value.request_id == "req_***"
    assert KEY not in str(caught.value)


async def test_http_client_errors_do_not_leak_the_key() -> None:
    async with AsyncChatKit(api_key=KEY, base_url="ftp://nowhere.invalid/v1") as client:
        with pytest.raises(e.APIConnectionError) as caught:
            await client.threads.list()
    assert KEY not in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.UnsupportedProtocol)


def test_redaction_of_short_keys_leaves_text_alone() -> None:
    assert e.redact("workflow", "k") == "workflow"
    assert e.redact(f"key {KEY}!", KEY) == "key ***!"
    assert e.redact("x", None) == "x"


def test_prism_validation_details_are_in_the_message() -> None:
    body = b'{"title": "Invalid request", "validation": [{"message": "limit must be <= 100"}]}'
    err = e.make_status_error(422, body, request_id=None)
    assert str(err) == "422 Unprocessable entity: Invalid request (limit must be <= 100)"
