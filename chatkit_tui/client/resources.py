"""``client.threads`` and ``client.sessions``: the six ChatKit operations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import msgspec
from msgspec import UNSET, UnsetType

from chatkit_tui.client.decoding import decode_item_page, decode_thread, decode_thread_page, encode
from chatkit_tui.client.models import (
    AnyThread,
    ChatkitConfigurationParam,
    ChatSession,
    CreateSessionBody,
    ExpiresAfterParam,
    ItemPage,
    Order,
    RateLimitsParam,
    ThreadDeleted,
    ThreadItem,
    ThreadPage,
    WorkflowParam,
)
from chatkit_tui.client.pages import AsyncPager, Params

if TYPE_CHECKING:
    from chatkit_tui.client.client import AsyncChatKit

__all__ = ["Sessions", "Threads"]

P = TypeVar("P", bound=msgspec.Struct)

_thread_deleted_decoder = msgspec.json.Decoder(ThreadDeleted)
_session_decoder = msgspec.json.Decoder(ChatSession)


def _segment(name: str, value: str) -> str:
    """A path segment: ValueError for an empty id, percent-encoded otherwise."""
    if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must be a non-empty string")
    return quote(value, safe="")


def _list_params(
    limit: int | None, order: Order | None, after: str | None, before: str | None
) -> Params:
    if after is not None and before is not None:
        raise ValueError("pass either after or before, not both")
    params: Params = {}
    if limit is not None:
        params["limit"] = limit
    if order is not None:
        params["order"] = order
    if after is not None:
        params["after"] = after
    if before is not None:
        params["before"] = before
    return params


def _param(name: str, value: Any, kind: type[P]) -> P:
    """A request-body Struct from a Struct or a plain mapping; ValueError when invalid."""
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        try:
            return msgspec.convert(value, kind)
        except msgspec.ValidationError as exc:
            raise ValueError(f"invalid {name}: {exc}") from None
    raise TypeError(f"{name} must be a {kind.__name__} or a dict, not {type(value).__name__}")


class Threads:
    """``client.threads``: retrieve, list, delete, list_items."""

    def __init__(self, client: AsyncChatKit) -> None:
        self._client = client

    async def retrieve(self, thread_id: str) -> AnyThread:
        """The thread; an UnreadableThread (raw JSON kept) when the body is no valid thread."""
        path = f"/chatkit/threads/{_segment('thread_id', thread_id)}"
        return await self._client.request("GET", path, decode_thread)

    async def delete(self, thread_id: str) -> ThreadDeleted:
        path = f"/chatkit/threads/{_segment('thread_id', thread_id)}"
        return await self._client.request("DELETE", path, _thread_deleted_decoder.decode)

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ThreadPage, AnyThread]:
        params = _list_params(limit, order, after, before)
        if user is not None:
            params["user"] = user

        async def fetch(query: Params) -> ThreadPage:
            return await self._client.request(
                "GET", "/chatkit/threads", decode_thread_page, params=query
            )

        return AsyncPager(fetch, params)

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ItemPage, ThreadItem]:
        path = f"/chatkit/threads/{_segment('thread_id', thread_id)}/items"
        params = _list_params(limit, order, after, before)

        async def fetch(query: Params) -> ItemPage:
            return await self._client.request("GET", path, decode_item_page, params=query)

        return AsyncPager(fetch, params)


class Sessions:
    """``client.sessions``: create, cancel."""

    def __init__(self, client: AsyncChatKit) -> None:
        self._client = client

    async def create(
        self,
        *,
        user: str,
        workflow: WorkflowParam | Mapping[str, Any],
        chatkit_configuration: ChatkitConfigurationParam | Mapping[str, Any] | None = None,
        expires_after: ExpiresAfterParam | int | Mapping[str, Any] | None = None,
        rate_limits: RateLimitsParam | Mapping[str, Any] | None = None,
    ) -> ChatSession:
        """Mint a session. Only what is given is sent.

        ``expires_after`` may be seconds (``int``), ``ExpiresAfterParam`` or a dict.
        """
        expires: ExpiresAfterParam | UnsetType = UNSET
        if isinstance(expires_after, bool):
            raise TypeError("expires_after must be seconds (int), not bool")
        if isinstance(expires_after, int):
            expires = ExpiresAfterParam(seconds=expires_after)
        elif expires_after is not None:
            expires = _param("expires_after", expires_after, ExpiresAfterParam)
        body = CreateSessionBody(
            user=user,
            workflow=_param("workflow", workflow, WorkflowParam),
            expires_after=expires,
            rate_limits=UNSET
            if rate_limits is None
            else _param("rate_limits", rate_limits, RateLimitsParam),
            chatkit_configuration=UNSET
            if chatkit_configuration is None
            else _param("chatkit_configuration", chatkit_configuration, ChatkitConfigurationParam),
        )
        return await self._client.request(
            "POST", "/chatkit/sessions", _session_decoder.decode, body=encode(body)
        )

    async def cancel(self, session_id: str) -> ChatSession:
        path = f"/chatkit/sessions/{_segment('session_id', session_id)}/cancel"
        return await self._client.request("POST", path, _session_decoder.decode)
