"""The local ChatKit API as a small raw ASGI application.

Routes (all under ``/v1``, like the real service)::

    GET    /v1/chatkit/threads                      list threads
    GET    /v1/chatkit/threads/{thread_id}          retrieve a thread
    DELETE /v1/chatkit/threads/{thread_id}          delete a thread, its items, attachments
    GET    /v1/chatkit/threads/{thread_id}/items    list a thread's items
    POST   /v1/chatkit/sessions                     create a session
    POST   /v1/chatkit/sessions/{session_id}/cancel cancel a session

Every response, errors included, carries ``x-request-id``; errors have OpenAI's
shape ``{"error": {"message", "type", "param", "code"}}``. The order of checks
is: injected faults, route (404/405), API key (401), ``OpenAI-Beta`` header
(400), parameters (400), then the store. Raw ASGI rather than a framework:
six routes do not need one, and it keeps the per-request cost small.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import msgspec

from chatkit_tui.client.models import ThreadDeleted
from chatkit_tui.server.faults import FaultInjector, Faults
from chatkit_tui.server.keyset import Page
from chatkit_tui.server.mirror import MirrorDamagedError
from chatkit_tui.server.params import RequestError, decode_session_body, parse_list_params
from chatkit_tui.server.sessions import resolve_session
from chatkit_tui.server.source import ThreadSource
from chatkit_tui.server.store import CursorNotFoundError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("chatkit_tui.server")

API_PREFIX = "/v1"
BETA_HEADER = "chatkit_beta=v1"
MAX_BODY_BYTES = 16 * 1024 * 1024

_error_encoder = msgspec.json.Encoder()


def _error_body(
    message: str, type: str, param: str | None = None, code: str | None = None
) -> bytes:
    return _error_encoder.encode(
        {"error": {"message": message, "type": type, "param": param, "code": code}}
    )


class _Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


class ChatKitServerApp:
    """ASGI callable serving the six ChatKit endpoints from a :class:`Store` (or a mirror)."""

    def __init__(
        self,
        store: ThreadSource,
        *,
        api_key: str | None = None,
        faults: Faults | None = None,
        require_beta_header: bool = True,
    ) -> None:
        self.store = store
        self._api_key = api_key.encode() if api_key else None
        self.faults = FaultInjector(faults) if faults is not None and faults.active else None
        self.require_beta_header = require_beta_header
        self.served: Counter[str] = Counter()
        """Requests routed, by endpoint (``list_items``, ``retrieve_thread``, ...): what
        tests and benchmarks count a client's requests by."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not part of the API
            return
        started = time.perf_counter()
        request_id = f"req_{secrets.token_hex(16)}"
        method: str = scope["method"]
        path: str = scope["path"]
        try:
            response = await self._respond(scope, receive, method, path)
        except RequestError as exc:
            if isinstance(exc, MirrorDamagedError):
                log.error("%s %s (request %s): %s", method, path, request_id, exc.message)
            response = _Response(
                exc.status, _error_body(exc.message, exc.type, exc.param, exc.code), exc.headers
            )
        except Exception:
            log.exception("unhandled error in %s %s (request %s)", method, path, request_id)
            response = _Response(
                500,
                _error_body(
                    "The server had an error while processing your request.", "server_error"
                ),
            )
        elapsed_ms = max(0, round((time.perf_counter() - started) * 1000))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(response.body)).encode()),
            (b"x-request-id", request_id.encode()),
            (b"openai-processing-ms", str(elapsed_ms).encode()),
        ]
        headers.extend((k.encode(), v.encode()) for k, v in response.headers.items())
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _respond(self, scope: Scope, receive: Receive, method: str, path: str) -> _Response:
        if self.faults is not None:
            decision = self.faults.decide()
            if decision.delay_s > 0:
                await asyncio.sleep(decision.delay_s)
            if decision.status == 429:
                wait = decision.retry_after_s
                f = self.faults.faults
                per = "min" if f.rate_window_s == 60 else f"{f.rate_window_s:g}s"
                raise RequestError(
                    429,
                    "Rate limit reached for requests (local server --rate-limit"
                    f" {f.rate_limit}/{per}). Please try again in {wait:.3f}s.",
                    type="requests",
                    code="rate_limit_exceeded",
                    headers={
                        "retry-after": str(math.ceil(wait)),
                        "retry-after-ms": str(math.ceil(wait * 1000)),
                    },
                )
            if decision.status == 500:
                raise RequestError(
                    500,
                    "The server had an error while processing your request (injected by"
                    " --error-rate).",
                    type="server_error",
                )
        handler, arg = self._route(method, path)
        self.served[handler.__name__.lstrip("_")] += 1
        self._check_headers(scope)
        if method == "POST":
            body = await _read_body(receive)
            return handler(scope, arg, body)
        return handler(scope, arg, b"")

    # -- routing -------------------------------------------------------------------

    def _route(
        self, method: str, path: str
    ) -> tuple[Callable[[Scope, str, bytes], _Response], str]:
        parts = path[len(API_PREFIX) + 1 :].split("/") if path.startswith(API_PREFIX + "/") else []
        routes: dict[str, Callable[[Scope, str, bytes], _Response]] = {}
        arg = ""
        if parts[:1] == ["chatkit"] and all(parts):
            rest = parts[1:]
            if rest == ["threads"]:
                routes = {"GET": self._list_threads}
            elif len(rest) == 2 and rest[0] == "threads":
                routes = {"GET": self._retrieve_thread, "DELETE": self._delete_thread}
                arg = rest[1]
            elif len(rest) == 3 and rest[0] == "threads" and rest[2] == "items":
                routes = {"GET": self._list_items}
                arg = rest[1]
            elif rest == ["sessions"]:
                routes = {"POST": self._create_session}
            elif len(rest) == 3 and rest[0] == "sessions" and rest[2] == "cancel":
                routes = {"POST": self._cancel_session}
                arg = rest[1]
        if not routes:
            raise RequestError(404, f"Invalid URL ({method} {path})")
        handler = routes.get(method)
        if handler is None:
            allowed = ", ".join(sorted(routes))
            raise RequestError(
                405,
                f"Method {method} is not allowed for {path}; allowed: {allowed}.",
                headers={"allow": allowed},
            )
        return handler, arg

    def _check_headers(self, scope: Scope) -> None:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        authorization = beta = b""
        for name, value in headers:
            if name == b"authorization":
                authorization = value
            elif name == b"openai-beta":
                beta = value
        if self._api_key is not None:
            scheme, _, token = authorization.partition(b" ")
            if not authorization or scheme.lower() != b"bearer":
                raise RequestError(
                    401,
                    "You didn't provide an API key. You need to provide your API key in an"
                    " Authorization header using Bearer auth"
                    " (i.e. Authorization: Bearer YOUR_KEY).",
                )
            if not hmac.compare_digest(token.strip(), self._api_key):
                raise RequestError(
                    401, "Incorrect API key provided.", code="invalid_api_key"
                )  # never echo the key, not even masked
        if self.require_beta_header:
            values = {v.strip() for v in beta.decode("latin-1").split(",")}
            if BETA_HEADER not in values:
                raise RequestError(
                    400,
                    "The ChatKit API is in beta: send the header 'OpenAI-Beta: chatkit_beta=v1'.",
                    param="OpenAI-Beta",
                    code="missing_beta_header",
                )

    # -- threads -------------------------------------------------------------------

    def _list_threads(self, scope: Scope, _: str, __: bytes) -> _Response:
        limit, order, after, before, user = parse_list_params(_query(scope), with_user=True)
        try:
            page = self.store.thread_page(
                limit=limit, order=order, after=after, before=before, user=user
            )
        except CursorNotFoundError as exc:
            raise _cursor_error(exc, "thread") from None
        return _Response(200, _list_body(page))

    def _retrieve_thread(self, _: Scope, thread_id: str, __: bytes) -> _Response:
        thread = self.store.thread_json(thread_id)
        if thread is None:
            raise _not_found("thread", thread_id)
        return _Response(200, thread)

    def _delete_thread(self, _: Scope, thread_id: str, __: bytes) -> _Response:
        if not self.store.delete_thread(thread_id):
            raise _not_found("thread", thread_id)
        return _Response(200, msgspec.json.encode(ThreadDeleted(id=thread_id, deleted=True)))

    def _list_items(self, scope: Scope, thread_id: str, _: bytes) -> _Response:
        limit, order, after, before, _user = parse_list_params(_query(scope), with_user=False)
        try:
            page = self.store.list_items(
                thread_id, limit=limit, order=order, after=after, before=before
            )
        except CursorNotFoundError as exc:
            raise _cursor_error(exc, "item") from None
        if page is None:
            raise _not_found("thread", thread_id)
        return _Response(200, _list_body(page))

    # -- sessions ------------------------------------------------------------------

    def _create_session(self, _: Scope, __: str, body: bytes) -> _Response:
        request = decode_session_body(body)
        now = int(self.store.clock())
        session = resolve_session(request, now)
        self.store.insert_session(session, now)
        return _Response(200, msgspec.json.encode(session))

    def _cancel_session(self, _: Scope, session_id: str, __: bytes) -> _Response:
        session = self.store.cancel_session(session_id)
        if session is None:
            raise _not_found("session", session_id, param="session_id")
        return _Response(200, msgspec.json.encode(session))


def create_app(
    store: ThreadSource,
    *,
    api_key: str | None = None,
    faults: Faults | None = None,
    require_beta_header: bool = True,
) -> ChatKitServerApp:
    """The ASGI app serving ``store``; ``api_key`` None accepts any (or no) key."""
    return ChatKitServerApp(
        store, api_key=api_key, faults=faults, require_beta_header=require_beta_header
    )


def _list_body(page: Page[bytes]) -> bytes:
    """A list resource around objects that are JSON already."""
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(page.data),
            b'],"first_id":',
            msgspec.json.encode(page.first_id),
            b',"last_id":',
            msgspec.json.encode(page.last_id),
            b',"has_more":',
            b"true" if page.has_more else b"false",
            b"}",
        )
    )


def _query(scope: Scope) -> dict[str, list[str]]:
    raw: bytes = scope.get("query_string", b"")
    try:
        text = raw.decode("ascii")
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise RequestError(400, "The query string is not valid UTF-8 percent-encoding.") from None


def _not_found(kind: str, ident: str, *, param: str | None = None) -> RequestError:
    shown = ident if len(ident) <= 100 else ident[:100] + "..."
    return RequestError(
        404,
        f"No {kind} found with id '{shown}'.",
        param=param or f"{kind}_id",
        code="not_found",
    )


def _cursor_error(exc: CursorNotFoundError, kind: str) -> RequestError:
    shown = exc.value if len(exc.value) <= 100 else exc.value[:100] + "..."
    return RequestError(
        400,
        f"Invalid '{exc.param}': no {kind} with id '{shown}' in this list.",
        param=exc.param,
        code="invalid_cursor",
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestError(
                413, f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB."
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
