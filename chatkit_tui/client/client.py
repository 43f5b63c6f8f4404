"""The transport of the ChatKit client: auth, headers, retries, errors.

``AsyncChatKit`` mirrors the official SDK's ``client.beta.chatkit``: the
resources live in :mod:`chatkit_tui.client.resources`. Everything here is
Textual-free.
"""

from __future__ import annotations

import logging
import os
import platform
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import msgspec

from chatkit_tui import __version__
from chatkit_tui.client.deployment import HOSTED, Capabilities
from chatkit_tui.client.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    html_summary,
    make_status_error,
    redact,
)
from chatkit_tui.client.resources import Sessions, Threads
from chatkit_tui.client.retries import (
    RetryPolicy,
    parse_retry_after,
    retry_delay,
    should_retry_status,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "AsyncChatKit"]

log = logging.getLogger("chatkit_tui.client")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
BETA_HEADER = "chatkit_beta=v1"
USER_AGENT = (
    f"chatkit-tui/{__version__} (python {platform.python_version()}; httpx {httpx.__version__})"
)

T = TypeVar("T")


def _request_id(headers: httpx.Headers, secret: str | Sequence[str] | None) -> str | None:
    value = headers.get("x-request-id")
    return None if value is None else redact(value, secret)


class AsyncChatKit:
    """Typed async client for the six ChatKit beta endpoints.

    ``api_key``, ``base_url``, ``organization`` and ``project`` default to
    ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID`` and
    ``OPENAI_PROJECT_ID``. Without any key no ``Authorization`` header is sent
    (a local server may not need one; OpenAI answers 401, raised as
    :class:`~chatkit_tui.client.errors.AuthenticationError`).

    ``timeout`` is seconds or an ``httpx.Timeout`` (default: connect 5 s, read
    60 s). ``http_client`` may be your own ``httpx.AsyncClient`` (it is not
    closed by :meth:`close`). ``retry_policy`` tunes the backoff (tests use it to
    avoid real sleeps).
    """

    threads: Threads
    sessions: Sessions
    capabilities: Capabilities = HOSTED
    send_idempotency_keys = True  # OpenAI's API dedupes a retried POST by it
    auth_hint: str | None = None  # a 401: the API key's advice (core.errors.KEY_HINT)

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("OPENAI_API_KEY") or None
        if base_url is None:
            base_url = os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        if organization is None:
            organization = os.environ.get("OPENAI_ORG_ID") or None
        if project is None:
            project = os.environ.get("OPENAI_PROJECT_ID") or None
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if "@" in urlsplit(base_url).netloc:  # the message must not repeat the password
            raise ValueError(
                "base_url must not hold a user name or password: httpx would send them as "
                "Basic auth in place of the API key, and the URL appears in error messages"
            )
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        # "" is "none, and do not read the environment" (the config has read it already)
        self.organization = organization or None
        self.project = project or None
        self.max_retries = max_retries
        if timeout is None:
            self.timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            self.timeout = timeout
        else:
            self.timeout = httpx.Timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy()
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout, trust_env=True)
        self.threads = Threads(self)
        self.sessions = Sessions(self)

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def secrets(self) -> tuple[str, ...]:
        """What is sent that must never be shown: redacted from every message and error."""
        return (self._api_key,) if self._api_key else ()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return (
            f"AsyncChatKit(base_url={self.base_url!r}, organization={self.organization!r}, "
            f"project={self.project!r}, api_key=<{key}>, max_retries={self.max_retries})"
        )

    # --- lifecycle ---------------------------------------------------------------

    async def close(self) -> None:
        """Close the connections (only those of a client we created ourselves)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncChatKit:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- requests ------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "OpenAI-Beta": BETA_HEADER,
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    async def request(
        self,
        method: str,
        path: str,
        decode: Callable[[bytes], T],
        *,
        params: Mapping[str, str | int] | None = None,
        body: bytes | None = None,
        what: str | None = None,
    ) -> T:
        """Send one API call with retries; ``decode`` turns a 2xx body into a model.
        ``what`` names the call in messages (default: the method and path)."""
        headers = self._headers()
        if body is not None:
            headers["Content-Type"] = "application/json"
        if method == "POST" and self.send_idempotency_keys:
            headers["Idempotency-Key"] = f"chatkit-tui-retry-{uuid.uuid4()}"
        url = self.base_url + path
        what = what or f"{method} {path}"
        secrets = self.secrets
        retries_done = 0
        while True:
            retry_headers: httpx.Headers | None = None
            cause: Exception | None = None
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    content=body,
                    headers=headers,
                    timeout=self.timeout,
                )
            except httpx.TimeoutException as exc:
                cause = exc
                failure: APIError = APITimeoutError(
                    f"Request timed out: {what} at {self.base_url} ({type(exc).__name__})."
                )
            except httpx.UnsupportedProtocol as exc:
                raise APIConnectionError(
                    f"Cannot connect: {what}: {redact(str(exc), secrets)}"
                ) from exc
            except httpx.TransportError as exc:
                cause = exc
                detail = redact(str(exc), secrets) or type(exc).__name__
                failure = APIConnectionError(
                    f"Connection error: {what} at {self.base_url}: {detail}"
                )
            else:
                if response.status_code < 300:
                    return self._decode(response, decode, what)
                retry_headers = response.headers
                failure = make_status_error(
                    response.status_code,
                    response.content,
                    request_id=_request_id(response.headers, secrets),
                    reason=response.reason_phrase,
                    secret=secrets,
                    content_type=response.headers.get("content-type", ""),
                )
                failure.retry_after = parse_retry_after(response.headers)
                failure.auth_hint = self.auth_hint
                if not should_retry_status(response.status_code, response.headers):
                    raise failure
            if retries_done >= self.max_retries:
                raise failure from cause
            delay = retry_delay(retries_done, retry_headers, self.retry_policy)
            retries_done += 1
            log.info("%s; retry %d of %d in %.2f s", failure, retries_done, self.max_retries, delay)
            await self.retry_policy.sleep(delay)

    def _decode(self, response: httpx.Response, decode: Callable[[bytes], T], what: str) -> T:
        request_id = _request_id(response.headers, self.secrets)
        try:
            return decode(response.content)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
            where = f" (request id {request_id})" if request_id else ""
            if isinstance(exc, RecursionError):
                kind = "nested too deeply to read"
            elif isinstance(exc, msgspec.ValidationError):
                kind = "not as the spec says"
            else:
                kind = "not JSON"
            detail = f"{kind}: {redact(str(exc), self.secrets)}"
            if kind == "not JSON":  # a web page where the API was expected?
                text = redact(response.content.decode("utf-8", errors="replace"), self.secrets)
                detail = html_summary(text, response.headers.get("content-type", "")) or detail
            raise APIResponseValidationError(
                f"Malformed response to {what}: status {response.status_code} but the body is "
                f"{detail}{where}",
                status_code=response.status_code,
                request_id=request_id,
            ) from None
