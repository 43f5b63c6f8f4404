"""The chatkit-python protocol: one POST endpoint of the operator's own server.

``{"type": "threads.list", "params": {...}}`` and its three siblings are answered with
JSON (the other request types stream and run the operator's agent: never sent). A page
is ``{"data": [...], "has_more": bool, "after": "<id>"}``; records carry ISO 8601 times,
unprefixed item types and no ``user``. The client's decoder reads such a page in its
chatkit-python dialect (the times parsed as it reads, ``after`` in the same pass, as
``last_id``); each record keeps its raw JSON. Who sees what is the operator's auth: the headers
given (``--header``) are sent with every request and are secrets, redacted from every
message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from chatkit_tui.backends.chatkit_python import CHATKIT_PYTHON
from chatkit_tui.client.client import USER_AGENT, AsyncChatKit
from chatkit_tui.client.decoding import decode_item_page, decode_thread, decode_thread_page
from chatkit_tui.client.models import ThreadDeleted
from chatkit_tui.client.pages import AsyncPager, Params
from chatkit_tui.client.resources import _list_params

if TYPE_CHECKING:
    from chatkit_tui.client.models import AnyThread, ItemPage, Order, ThreadItem, ThreadPage
    from chatkit_tui.client.retries import RetryPolicy

__all__ = ["ChatKitPython", "header_secrets"]


def header_secrets(headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every header value, and each word of it (the token of ``Bearer <token>``)."""
    out: set[str] = set()
    for value in headers.values():
        out.add(value)
        out.update(value.split())
    return tuple(out)


def _thread_page(body: bytes) -> ThreadPage:
    return decode_thread_page(body, dialect="chatkit-python")  # last_id: its after


def _item_page(body: bytes) -> ItemPage:
    return decode_item_page(body, dialect="chatkit-python")


def _deleted(thread_id: str) -> Any:
    def decode(body: bytes) -> ThreadDeleted:
        msgspec.json.decode(body)  # {} as sent; anything but JSON is a malformed response
        return ThreadDeleted(id=thread_id, deleted=True)

    return decode


_encoder = msgspec.json.Encoder()


class ChatKitPythonThreads:
    """``deployment.threads`` over the four read-and-delete requests."""

    def __init__(self, client: ChatKitPython) -> None:
        self._client = client

    async def _post(self, kind: str, params: Mapping[str, Any], decode: Any) -> Any:
        body = _encoder.encode({"type": kind, "params": params})
        return await self._client.request("POST", "", decode, body=body, what=kind)

    async def retrieve(self, thread_id: str) -> AnyThread:
        return await self._post("threads.get_by_id", {"thread_id": thread_id}, decode_thread)

    async def delete(self, thread_id: str) -> ThreadDeleted:
        return await self._post("threads.delete", {"thread_id": thread_id}, _deleted(thread_id))

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ThreadPage, AnyThread]:
        _refuse(user=user, before=before)

        async def fetch(query: Params) -> ThreadPage:
            return await self._post("threads.list", query, _thread_page)

        return AsyncPager(fetch, _list_params(limit, order, after, None))

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ItemPage, ThreadItem]:
        _refuse(before=before)

        async def fetch(query: Params) -> ItemPage:
            return await self._post("items.list", {"thread_id": thread_id, **query}, _item_page)

        return AsyncPager(fetch, _list_params(limit, order, after, None))


def _refuse(*, user: str | None = None, before: str | None = None) -> None:
    if user is not None:
        raise ValueError(CHATKIT_PYTHON.missing("filter threads by user"))
    if before is not None:
        raise ValueError(CHATKIT_PYTHON.missing("page backwards (no before cursor)"))


class ChatKitPython(AsyncChatKit):
    """A chatkit-python deployment at ``url`` (the operator's endpoint, e.g.
    ``https://support.example.com/chatkit``), with the operator's ``headers``.

    The hosted client's transport (retries, backoff, error types, redaction) serves
    it as is; the OpenAI headers (key, beta, organization, project) are never sent.
    """

    capabilities = CHATKIT_PYTHON
    send_idempotency_keys = False
    auth_hint = (
        "the chatkit-python server's own auth refused the headers sent: check --header "
        "(or the profile's headers, header_env, header_command); no OpenAI key is used"
    )

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {} if max_retries is None else {"max_retries": max_retries}
        super().__init__(
            api_key="",  # never the OpenAI key: it is not the operator's to see
            base_url=url,
            organization="",
            project="",
            timeout=timeout,
            http_client=http_client,
            retry_policy=retry_policy,
            **kwargs,
        )
        self.organization = None
        self.project = None
        self._operator_headers = dict(headers or {})
        self._secrets = header_secrets(self._operator_headers)
        self.threads = ChatKitPythonThreads(self)  # type: ignore[assignment]

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def __repr__(self) -> str:
        names = ", ".join(sorted(self._operator_headers)) or "none"
        return f"ChatKitPython(url={self.base_url!r}, headers=<{names}: values hidden>)"

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": USER_AGENT, **self._operator_headers}
