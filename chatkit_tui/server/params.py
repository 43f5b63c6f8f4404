"""Validation of query parameters and request bodies, with OpenAI-shaped errors.

Request bodies are decoded by msgspec into strict Structs that forbid unknown
fields (the real API answers ``Unknown parameter`` for those) and carry the
spec's bounds, so a bad body is rejected before anything is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from chatkit_tui.server.store import Order


class RequestError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}


# --- query parameters -------------------------------------------------------------

MAX_USER_LENGTH = 512
_DIGITS = re.compile(r"[0-9]{1,6}")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise RequestError(
            400, f"'{name}' was given {len(values)} times; give it once.", param=name,
            code="invalid_value",
        )  # fmt: skip
    return values[0]


def parse_list_params(
    query: dict[str, list[str]], *, with_user: bool
) -> tuple[int, Order, str | None, str | None, str | None]:
    """(limit, order, after, before, user) from a list request's query string."""
    limit = 20
    raw_limit = _one(query, "limit")
    if raw_limit is not None:
        if not _DIGITS.fullmatch(raw_limit):
            raise RequestError(
                400,
                f"Invalid 'limit': expected an integer from 0 to 100, got {raw_limit[:50]!r}.",
                param="limit",
                code="invalid_type",
            )
        limit = int(raw_limit)
        if limit > 100:
            raise RequestError(
                400,
                f"Invalid 'limit': expected a value <= 100, got {limit}.",
                param="limit",
                code="integer_above_max_value",
            )
    order: Order = "desc"
    raw_order = _one(query, "order")
    if raw_order is not None:
        if raw_order not in ("asc", "desc"):
            raise RequestError(
                400,
                f"Invalid 'order': expected 'asc' or 'desc', got {raw_order[:50]!r}.",
                param="order",
                code="invalid_value",
            )
        order = "asc" if raw_order == "asc" else "desc"
    after = _one(query, "after")
    before = _one(query, "before")
    for name, value in (("after", after), ("before", before)):
        if value == "":
            raise RequestError(
                400, f"Invalid '{name}': expected an id, got an empty string.", param=name,
                code="empty_string",
            )  # fmt: skip
    user = _one(query, "user") if with_user else None
    if user is not None:
        if not user:
            raise RequestError(
                400, "Invalid 'user': expected a string of 1 to 512 characters, got ''.",
                param="user", code="empty_string",
            )  # fmt: skip
        if len(user) > MAX_USER_LENGTH:
            raise RequestError(
                400,
                f"Invalid 'user': string too long. Expected at most {MAX_USER_LENGTH} characters,"
                f" got {len(user)}.",
                param="user",
                code="string_above_max_length",
            )
    return limit, order, after, before, user


# --- session body -------------------------------------------------------------------

StateValue = Annotated[str, Meta(max_length=10_485_760)] | int | float | bool
StateKey = Annotated[str, Meta(max_length=64)]


class _In(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class TracingIn(_In):
    enabled: bool | UnsetType = UNSET


class WorkflowIn(_In):
    id: str
    version: str | UnsetType = UNSET
    state_variables: Annotated[dict[StateKey, StateValue], Meta(max_length=64)] | UnsetType = UNSET
    tracing: TracingIn | UnsetType = UNSET


class ExpiresAfterIn(_In):
    anchor: Literal["created_at"]
    seconds: Annotated[int, Meta(ge=1, le=600)]


class RateLimitsIn(_In):
    max_requests_per_1_minute: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class TitlingIn(_In):
    enabled: bool | UnsetType = UNSET


class FileUploadIn(_In):
    enabled: bool | UnsetType = UNSET
    max_file_size: Annotated[int, Meta(ge=1, le=512)] | UnsetType = UNSET
    max_files: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class HistoryIn(_In):
    enabled: bool | UnsetType = UNSET
    recent_threads: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class ChatkitConfigurationIn(_In):
    automatic_thread_titling: TitlingIn | UnsetType = UNSET
    file_upload: FileUploadIn | UnsetType = UNSET
    history: HistoryIn | UnsetType = UNSET


class CreateSessionIn(_In):
    workflow: WorkflowIn
    user: Annotated[str, Meta(min_length=1)]
    expires_after: ExpiresAfterIn | UnsetType = UNSET
    rate_limits: RateLimitsIn | UnsetType = UNSET
    chatkit_configuration: ChatkitConfigurationIn | UnsetType = UNSET


_session_decoder = msgspec.json.Decoder(CreateSessionIn)
_AT = re.compile(r" - at `(?:key` in `)?\$(.*)`$")
_FIELD = re.compile(r"`([^`]*)`")


def _param_path(where: str) -> str | None:
    """``.workflow.state_variables[...]`` -> ``workflow.state_variables[...]``."""
    path = where[1:] if where.startswith(".") else where
    return path or None


def decode_session_body(body: bytes) -> CreateSessionIn:
    if not body.strip():
        raise RequestError(
            400,
            "The request body is empty: POST /chatkit/sessions expects a JSON object with"
            " 'user' and 'workflow'.",
            code="invalid_json",
        )
    try:
        return _session_decoder.decode(body)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: first
        raise validation_error(str(exc)) from None
    except msgspec.DecodeError:
        raise RequestError(
            400,
            "We could not parse the JSON body of your request. The ChatKit API expects a JSON"
            " payload, but what was sent was not valid JSON.",
            code="invalid_json",
        ) from None


def validation_error(text: str) -> RequestError:
    """A msgspec ValidationError message -> RequestError naming the parameter."""
    match = _AT.search(text)
    where = _param_path(match.group(1)) if match else None
    detail = text[: match.start()] if match else text
    if detail.startswith(("Object missing required field", "Object contains unknown field")):
        field = _FIELD.search(detail)
        name = field.group(1) if field else "?"
        param = f"{where}.{name}" if where else name
        if detail.startswith("Object missing"):
            return RequestError(
                400,
                f"Missing required parameter: '{param}'.",
                param=param,
                code="missing_required_parameter",
            )
        return RequestError(
            400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter"
        )
    if where is None:
        return RequestError(400, f"Invalid request body: {detail}.", code="invalid_type")
    code = "invalid_type" if detail.startswith("Expected `") and ", got `" in detail else None
    return RequestError(
        400, f"Invalid '{where}': {detail}.", param=where, code=code or "invalid_value"
    )
