"""Exceptions raised by the ChatKit client.

Every ``str(error)`` is one line a person can read: what failed, the HTTP status
and the ``x-request-id`` when known. No message, repr or attribute ever holds the
API key: the client redacts it from anything the server sends back before it is
stored here (see :func:`redact`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any, cast

import msgspec

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatKitError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "describe",
    "html_summary",
    "make_status_error",
    "redact",
]

_MAX_MESSAGE = 500
REDACTED = "***"


_MIN_SECRET = 8  # shorter "keys" (tests, local servers) would mangle ordinary words


def redact(text: str, secret: str | Sequence[str] | None) -> str:
    """``text`` with every occurrence of ``secret`` (or of each of several, the longest
    first) replaced by ``***``."""
    if not secret:
        return text
    for one in (secret,) if isinstance(secret, str) else sorted(secret, key=len, reverse=True):
        if one and len(one) >= _MIN_SECRET and one in text:
            text = text.replace(one, REDACTED)
    return text


def _one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat


# --- an HTML page where JSON was expected (a proxy's 502, a web server's 404) ---------------

HTML_EXCERPT = 100  # characters of the page's visible text kept in a message
_HTML_READ = 65_536  # characters of a page read for its title and text
_HTML_START = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title)[\s>/]", re.I | re.S
)


class _PageText(HTMLParser):
    """A page's ``<title>`` and the text a browser would show (no tags, scripts, styles or
    head); character references decoded."""

    _HIDDEN = frozenset(("head", "script", "style", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        self._in_title = False
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "body":
            self._hidden = 0  # a head left open ends where the body starts
        elif tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.text.append(data)


def html_summary(text: str, content_type: str = "") -> str | None:
    """For a body that is an HTML page (by its content type or its first tag): one line
    naming it, its title and the start of its visible text (tags stripped, at most
    :data:`HTML_EXCERPT` characters), instead of the markup. None for anything else.
    The text is the server's: the caller makes it safe, as every message."""
    if "html" not in content_type.lower() and not _HTML_START.match(text):
        return None
    page = _PageText()
    try:
        page.feed(text[:_HTML_READ])
        page.close()
    except (AssertionError, ValueError):  # markup too broken to read: say what it was
        pass
    title = " ".join("".join(page.title).split())
    visible = " ".join("".join(page.text).split())
    if title and visible.startswith(title):  # the page's heading repeats its title
        visible = visible[len(title) :].lstrip(" :-")
    summary = "an HTML page (not the API's JSON)"
    if title:
        summary += f' titled "{_one_line(title, HTML_EXCERPT)}"'
    return f'{summary}: "{_one_line(visible, HTML_EXCERPT)}"' if visible else summary


class ChatKitError(Exception):
    """Base of every exception raised by the client."""


class APIError(ChatKitError):
    """A request failed: an error status, no connection, or a response we cannot use."""

    message: str
    request_id: str | None

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before an answer."""

    def __init__(self, message: str = "Connection error.") -> None:
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""

    def __init__(self, message: str = "Request timed out.") -> None:
        super().__init__(message)


class APIResponseValidationError(APIError):
    """A successful status came with a body that is not what the contract says."""

    status_code: int

    def __init__(self, message: str, *, status_code: int, request_id: str | None) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code


class APIStatusError(APIError):
    """The server answered with an error status (4xx / 5xx).

    ``message``, ``type``, ``code`` and ``param`` come from the
    ``{"error": {...}}`` object when the body has one; ``body`` is the decoded
    JSON body, or its text when it is not JSON (``None`` when empty).
    ``retry_after`` is the wait in seconds the server asked for (``Retry-After``), if any.
    """

    title = "API error"
    retry_after: float | None = None
    auth_hint: str | None = None
    """What to do about a 401 from this kind of deployment (None: the API key's advice)."""
    status_code: int
    type: str | None
    code: str | None
    param: str | None
    body: object

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.type = type
        self.code = code
        self.param = param
        self.body = body

    def __str__(self) -> str:
        parts = [f"{self.status_code} {self.title}: {self.message}"]
        details = [f"{k} {v}" for k, v in (("type", self.type), ("code", self.code)) if v]
        if self.param:
            details.append(f"param {self.param}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )


class BadRequestError(APIStatusError):
    title = "Bad request"


class AuthenticationError(APIStatusError):
    title = "Authentication failed"


class PermissionDeniedError(APIStatusError):
    title = "Permission denied"


class NotFoundError(APIStatusError):
    title = "Not found"


class ConflictError(APIStatusError):
    title = "Conflict"


class UnprocessableEntityError(APIStatusError):
    title = "Unprocessable entity"


class RateLimitError(APIStatusError):
    title = "Rate limited"


class InternalServerError(APIStatusError):
    title = "Server error"


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _validation_details(validation: Any) -> str:
    """Prism-style ``validation: [{"message": ...}]`` as `` (a; b)``."""
    if not isinstance(validation, list):
        return ""
    entries = cast(list[Any], validation)
    found = [cast(dict[str, Any], v).get("message") for v in entries if isinstance(v, dict)]
    messages = [m for m in found if isinstance(m, str)]
    return f" ({'; '.join(messages)})" if messages else ""


def make_status_error(
    status_code: int,
    content: bytes,
    *,
    request_id: str | None,
    reason: str = "",
    secret: str | Sequence[str] | None = None,
    content_type: str = "",
) -> APIStatusError:
    """The exception for an error response; ``secret`` is redacted from everything kept.
    An HTML page (a proxy's, a web server's) is summed up by :func:`html_summary`."""
    text = redact(content.decode("utf-8", errors="replace"), secret)
    body: object = None
    message = ""
    type_ = code = param = None
    if text.strip():
        try:
            body = cast(object, msgspec.json.decode(text))
        except msgspec.DecodeError:
            body = text
            message = html_summary(text, content_type) or _one_line(text)
    if isinstance(body, dict):
        fields = cast(dict[str, Any], body)
        error = fields.get("error")
        if isinstance(error, dict):
            err = cast(dict[str, Any], error)
            message = _str_or_none(err.get("message")) or ""
            type_ = _str_or_none(err.get("type"))
            code = _str_or_none(err.get("code"))
            param = _str_or_none(err.get("param"))
        elif isinstance(error, str):
            message = error
        else:  # e.g. application/problem+json: {"title": ..., "detail": ...}
            found: list[Any] = [fields.get(k) for k in ("message", "title", "detail")]
            message = ": ".join(v for v in found if isinstance(v, str) and v)
            message += _validation_details(fields.get("validation"))
        message = _one_line(message) if message else _one_line(text)
    if not message:  # the reason phrase is the server's too: redacted like the body
        message = redact(reason, secret) or "no details in the response"
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    return cls(
        message,
        status_code=status_code,
        request_id=request_id,
        type=type_,
        code=code,
        param=param,
        body=cast(object, body),
    )


def describe(exc: BaseException) -> str:
    """One line for any failure: the client's own message (status, request id), an OS
    error with its type, anything else marked unexpected. Whitespace is folded; the
    caller makes it safe for where it goes (a terminal cell, a script's stderr)."""
    if isinstance(exc, ChatKitError):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"unexpected {type(exc).__name__}: {exc}"
    return " ".join(text.split())
