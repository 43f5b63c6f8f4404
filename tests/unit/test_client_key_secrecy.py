"""The API key never leaks from a failed call, over real HTTP on loopback.

For every failure kind (timeout, connection error, status error, malformed body)
the key, ``Bearer <key>`` and the key's distinctive tail appear nowhere a person
or a log file could see them: not in the error's ``str``/``repr``/``args``, any
attribute, anything on its ``__cause__``/``__context__`` chain (httpx's
``request``/``response`` reprs included), its formatted traceback, nor any log
record emitted on any logger during the call (DEBUG, httpx and httpcore too).
Servers here echo the key back in their bodies wherever they can: the client must
redact it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, cast

import httpx
import pytest

from chatkit_tui.client import AsyncChatKit, RetryPolicy
from chatkit_tui.client import errors as e
from tests.fixtures import samples
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.unit.client_helpers import Sleeps, make_client

KEY = "sk-test-SECRET-7f3a9c1e5b2d4680aa55"
# The tail catches a rendering that drops or masks the prefix only.
NEEDLES = (KEY, f"Bearer {KEY}", KEY.removeprefix("sk-test-"))

Call = Callable[[AsyncChatKit], Awaitable[object]]

# --- the scanner ----------------------------------------------------------------------


def _attributes(err: BaseException) -> Iterator[tuple[str, object]]:
    """Every attribute of ``err``: instance dict, slots, public names, the chain."""
    names: set[str] = set(getattr(err, "__dict__", {}))
    for cls in type(err).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names.update([slots] if isinstance(slots, str) else slots)
    names.update(n for n in dir(err) if not n.startswith("_"))
    names.update(("__cause__", "__context__", "__notes__", "__suppress_context__"))
    for name in sorted(names):
        try:
            value = getattr(err, name)
        except Exception:  # e.g. httpx's `.request` raises RuntimeError when unset
            continue
        if inspect.ismethod(value) or inspect.isbuiltin(value):
            continue
        yield name, value


def _exception_texts(exc: BaseException) -> list[tuple[str, str]]:
    """(where, text) for everything the exception and its chain can render."""
    texts: list[tuple[str, str]] = [
        ("traceback", "".join(traceback.format_exception(exc))),
        ("describe", e.describe(exc)),
    ]
    todo: list[tuple[str, BaseException]] = [("exc", exc)]
    seen: set[int] = set()
    while todo:
        where, err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        texts += [(f"str({where})", str(err)), (f"repr({where})", repr(err))]
        texts.append((f"{where}.args", repr(err.args)))
        for name, value in _attributes(err):
            at = f"{where}.{name}"
            texts += [(at, repr(value)), (f"str({at})", str(value))]
            if isinstance(value, httpx.Request | httpx.Response):
                texts.append((f"{at}.headers", repr(value.headers)))
            if isinstance(value, BaseException):
                todo.append((at, value))
            elif isinstance(value, list | tuple):
                items = cast(list[object], list(cast(Any, value)))
                todo += [
                    (f"{at}[{i}]", v) for i, v in enumerate(items) if isinstance(v, BaseException)
                ]
    return texts


_EVERY_FIELD = logging.Formatter(
    "%(asctime)s %(name)s %(levelname)s %(pathname)s:%(lineno)d %(funcName)s "
    "%(threadName)s %(message)s"
)


def _log_texts(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """(where, text) for every record: fully formatted (exc_info, stack), msg, args."""
    texts: list[tuple[str, str]] = []
    for i, record in enumerate(records):
        where = f"log[{i}] {record.name}"
        texts.append((where, _EVERY_FIELD.format(record)))
        texts.append((f"{where} message", record.getMessage()))
        texts.append((f"{where} msg/args", f"{record.msg!r} {record.args!r}"))
        texts.append((f"{where} vars", repr(vars(record))))
    return texts


def _leaks(texts: list[tuple[str, str]]) -> list[str]:
    """Where the key was found: the assertion names the places, never the text."""
    found = [where for where, text in texts if any(needle in text for needle in NEEDLES)]
    return list(dict.fromkeys(found))


def _assert_no_key(exc: BaseException, records: list[logging.LogRecord]) -> list[str]:
    """Fails with the locations of any leak; returns the locations walked."""
    texts = _exception_texts(exc) + _log_texts(records)
    leaks = _leaks(texts)
    assert not leaks, f"the key leaked into: {', '.join(leaks)}"
    return [where for where, _ in texts]


def _retry_records(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "chatkit_tui.client" and "; retry " in r.getMessage()]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG everywhere, including loggers that do not propagate to root."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "chatkit_tui", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    loggers = logging.Logger.manager.loggerDict.values()
    silent = [lg for lg in loggers if isinstance(lg, logging.Logger) and not lg.propagate]
    for lg in silent:
        lg.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        for lg in silent:
            lg.removeHandler(caplog.handler)


def _sent_the_key(server: ScriptedServer) -> None:
    """The key really was on the wire, so the checks below are not vacuous."""
    assert server.requests
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)


async def _list(client: AsyncChatKit) -> object:
    return await client.threads.list()


async def _create(client: AsyncChatKit) -> object:
    return await client.sessions.create(user="u", workflow={"id": "wf"})


async def _retrieve(client: AsyncChatKit) -> object:
    return await client.threads.retrieve("cthr_1")


# --- the scanner finds what it looks for ----------------------------------------------


def test_the_scanner_finds_the_key_wherever_it_hides() -> None:
    assert _leaks(_exception_texts(e.APITimeoutError(f"timed out; Bearer {KEY}")))
    plain = e.APIConnectionError("Connection error.")
    assert _leaks(_exception_texts(plain)) == []

    def hidden(**attrs: object) -> e.APIError:
        cause = httpx.ConnectError("refused")
        for name, value in attrs.items():
            setattr(cause, name, value)
        err = e.APIConnectionError("Connection error.")
        err.__cause__ = cause
        return err

    assert _leaks(_exception_texts(hidden(headers={"Authorization": f"Bearer {KEY}"})))
    tail_only = hidden(note=f"key ...{KEY.removeprefix('sk-test-')}")
    assert _leaks(_exception_texts(tail_only))
    context = e.APIConnectionError("Connection error.")
    context.__context__ = ValueError(KEY)
    assert _leaks(_exception_texts(context))
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "headers %s", ({"k": KEY},), None)
    assert _leaks(_log_texts([record]))


# --- timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize("call", [_list, _create], ids=["GET", "POST"])
async def test_a_timeout_does_not_leak_the_key(
    scripted_server: ScriptedServer, logs: pytest.LogCaptureFixture, call: Call
) -> None:
    scripted_server.add(Reply(delay=1.0), Reply(delay=1.0))
    async with make_client(scripted_server, api_key=KEY, timeout=0.25, max_retries=1) as client:
        with pytest.raises(e.APITimeoutError) as caught:
            await call(client)
    _sent_the_key(scripted_server)
    assert len(scripted_server.requests) == 2
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    walked = _assert_no_key(caught.value, logs.records)
    assert "exc.__cause__.request" in walked  # httpx's request, the one holding the header
    assert len(_retry_records(logs.records)) == 1
    assert any(r.name.startswith("httpcore") for r in logs.records)  # DEBUG is captured


# --- connection errors -----------------------------------------------------------------


async def test_nothing_listening_does_not_leak_the_key(logs: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = RetryPolicy(sleep=Sleeps(), random=lambda: 0.0)
    async with AsyncChatKit(
        api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", retry_policy=policy
    ) as client:
        with pytest.raises(e.APIConnectionError) as caught:
            await client.threads.list()
    assert not isinstance(caught.value, e.APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    walked = _assert_no_key(caught.value, logs.records)
    assert "exc.__cause__.request" in walked
    assert len(_retry_records(logs.records)) == 2


async def test_a_dropped_connection_does_not_leak_the_key(
    scripted_server: ScriptedServer, logs: pytest.LogCaptureFixture
) -> None:
    scripted_server.add(*[Reply(drop=True) for _ in range(3)])
    async with make_client(scripted_server, api_key=KEY) as client:
        with pytest.raises(e.APIConnectionError) as caught:
            await client.threads.retrieve("cthr_1")
    _sent_the_key(scripted_server)
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    _assert_no_key(caught.value, logs.records)
    assert len(_retry_records(logs.records)) == 2


# --- status errors -----------------------------------------------------------------------

ECHOING_BODIES: dict[str, object] = {
    "error-object": {
        "error": {
            "message": f"Incorrect API key provided: {KEY}. Header: Bearer {KEY}",
            "type": f"invalid_request_error {KEY}",
            "code": KEY,
            "param": f"Bearer {KEY}",
        },
        "echo": {"authorization": f"Bearer {KEY}"},
    },
    "error-string": {"error": f"bad key {KEY}"},
    "problem-json": {
        "title": f"Bad key {KEY}",
        "detail": f"Bearer {KEY}",
        "validation": [{"message": KEY}],
    },
    "text": f"<html>401: the key Bearer {KEY} is wrong\n</html>",
}


@pytest.mark.parametrize("body", ECHOING_BODIES.values(), ids=ECHOING_BODIES.keys())
@pytest.mark.parametrize(
    ("status", "cls", "retried"),
    [
        (400, e.BadRequestError, False),
        (401, e.AuthenticationError, False),
        (404, e.NotFoundError, False),
        (429, e.RateLimitError, True),
        (500, e.InternalServerError, True),
    ],
)
async def test_a_status_error_does_not_leak_the_key(
    scripted_server: ScriptedServer,
    logs: pytest.LogCaptureFixture,
    status: int,
    cls: type[e.APIStatusError],
    retried: bool,
    body: object,
) -> None:
    headers = {"x-request-id": "req_1", "retry-after": "1"} if status == 429 else {}
    scripted_server.add(*[Reply(status, body, headers=headers) for _ in range(3)])
    async with make_client(scripted_server, api_key=KEY) as client:
        with pytest.raises(cls) as caught:
            await client.threads.retrieve("cthr_1")
    _sent_the_key(scripted_server)
    assert caught.value.status_code == status
    _assert_no_key(caught.value, logs.records)
    assert len(scripted_server.requests) == (3 if retried else 1)
    assert len(_retry_records(logs.records)) == (2 if retried else 0)
    assert any(r.name == "httpx" for r in logs.records)  # the logs were captured


async def _raw_server(status_line: str, headers: str) -> asyncio.Server:
    """A loopback server answering every request with a hand-written status line."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 {status_line}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
        writer.write(head.encode())
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


@pytest.mark.parametrize("status", [401, 503])
async def test_the_reason_phrase_and_request_id_are_redacted(
    logs: pytest.LogCaptureFixture, status: int
) -> None:
    """An empty body leaves the reason phrase as the message: it is the server's too.

    httpx (INFO) and httpcore (DEBUG) log the status line and response headers
    verbatim; those third-party lines are left out here, the client's own are not.
    """
    server = await _raw_server(f"{status} Bad key {KEY}", f"x-request-id: req_{KEY}\r\n")
    port = server.sockets[0].getsockname()[1]
    policy = RetryPolicy(sleep=Sleeps(), random=lambda: 0.0)
    try:
        async with AsyncChatKit(
            api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", retry_policy=policy
        ) as client:
            with pytest.raises(e.APIStatusError) as caught:
                await client.threads.list()
    finally:
        server.close()
        await server.wait_closed()
    assert caught.value.status_code == status
    assert caught.value.request_id == "req_***"
    own = [r for r in logs.records if not r.name.startswith(("httpx", "httpcore"))]
    _assert_no_key(caught.value, own)
    assert len(_retry_records(own)) == (2 if status == 503 else 0)


# --- malformed bodies ------------------------------------------------------------------

MALFORMED: dict[str, tuple[Call, bytes]] = {
    "not-json": (_retrieve, f"<html>Bearer {KEY}</html>".encode()),
    "truncated-json": (_retrieve, f'{{"id": "{KEY}'.encode()),
    # not an object: an object that is no thread is kept raw as an UnreadableThread
    "wrong-type": (_retrieve, f'[{{"id": "{KEY}", "object": 5, "created_at": "{KEY}"}}]'.encode()),
    "wrong-shape-list": (_list, f'{{"object": "list", "data": "{KEY}"}}'.encode()),
    "wrong-shape-session": (_create, f'{{"client_secret": 1, "id": "{KEY}"}}'.encode()),
}


@pytest.mark.parametrize(("call", "body"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_body_does_not_leak_the_key(
    scripted_server: ScriptedServer, logs: pytest.LogCaptureFixture, call: Call, body: bytes
) -> None:
    # One 503 first, so a retry line is logged before the malformed answer.
    scripted_server.add(
        Reply(503, {"error": {"message": f"busy, {KEY}"}}),
        Reply(200, body, headers={"x-request-id": "req_9"}),
    )
    async with make_client(scripted_server, api_key=KEY) as client:
        with pytest.raises(e.APIResponseValidationError) as caught:
            await call(client)
    _sent_the_key(scripted_server)
    assert caught.value.status_code == 200
    assert caught.value.request_id == "req_9"
    _assert_no_key(caught.value, logs.records)
    assert len(_retry_records(logs.records)) == 1


async def test_a_success_after_retries_logs_no_key(
    scripted_server: ScriptedServer, logs: pytest.LogCaptureFixture
) -> None:
    scripted_server.add(
        Reply(drop=True),
        Reply(429, {"error": {"message": f"slow down {KEY}"}}),
        Reply(body=samples.thread(1)),
    )
    async with make_client(scripted_server, api_key=KEY) as client:
        await client.threads.retrieve("cthr_1")
    _sent_the_key(scripted_server)
    assert len(_retry_records(logs.records)) == 2
    leaks = _leaks(_log_texts(logs.records))
    assert not leaks, f"the key leaked into: {', '.join(leaks)}"
