"""The deployment interface over the operator's own chatkit-python Store, in process.

Every record is what chatkit-python's server would send for it, serialized as it does
(``model_dump_json(by_alias=True, exclude_none=True)``) but with nothing left out:
``metadata`` stays in each thread's JSON and hidden-context items in the pages. The bytes
are decoded by the client's chatkit-python dialect (as the ``chatkit_python`` backend's
pages are), so one decoder serves both and each record keeps its raw JSON.

A thread read by id is ``load_thread`` plus the first page of ``load_thread_items``
(20, oldest first), as chatkit-python's ``threads.get_by_id`` answers. What the
operator's Store raises is worded, never a traceback: its ``NotFoundError`` is a
:class:`StoreNotFound` (exit 3), anything else a :class:`StoreFailed` naming the call
(exit 1); a Store that cannot be loaded is :class:`~chatkit_tui.backends.CannotOpen`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from chatkit_tui.backends import CannotOpen
from chatkit_tui.backends.store import STORE
from chatkit_tui.backends.store.loader import (
    LoadedStore,
    StoreLoadError,
    load_store,
    parse_spec,
    said,
)
from chatkit_tui.client.decoding import decode_item_page, decode_thread, decode_thread_page
from chatkit_tui.client.errors import APIError, NotFoundError
from chatkit_tui.client.models import Thread, ThreadDeleted
from chatkit_tui.client.pages import AsyncPager, Params

if TYPE_CHECKING:
    from types import TracebackType

    from chatkit_tui.client.models import AnyThread, ItemPage, Order, ThreadItem, ThreadPage

__all__ = ["FIRST_ITEMS", "StoreDeployment", "StoreFailed", "StoreNotFound", "record_json"]

FIRST_ITEMS = 20  # chatkit-python's DEFAULT_PAGE_SIZE: the items a thread read by id holds
_DEFAULT_LIMIT = 20
T = TypeVar("T")
_encoder = msgspec.json.Encoder()


class StoreNotFound(NotFoundError):
    """The operator's Store raised its ``NotFoundError`` (exit 3)."""

    title = "Not found"

    def __str__(self) -> str:
        return self.message


class StoreFailed(APIError):
    """The operator's Store raised something else (exit 1): what, in which call."""


def record_json(model: Any) -> bytes:
    """A chatkit-python model as its server serializes it, keeping ``metadata``."""
    text: str = model.model_dump_json(by_alias=True, exclude_none=True)
    return text.encode("utf-8")


def _page_json(records: Sequence[bytes], has_more: bool, after: str | None) -> bytes:
    envelope = _encoder.encode({"has_more": has_more, "after": after})
    return b'{"data":[' + b",".join(records) + b"]," + envelope[1:]


def _page_bytes(page: Any) -> bytes:
    data: list[Any] = list(page.data)
    has_more = bool(page.has_more)
    after: str | None = page.after
    if has_more and after is None and data:  # a Store that forgot its cursor: its last id
        after = data[-1].id
    return _page_json([record_json(record) for record in data], has_more, after)


class StoreThreads:
    """``deployment.threads`` over ``load_threads``, ``load_thread`` (+ its first items),
    ``load_thread_items`` and ``delete_thread``."""

    def __init__(self, deployment: StoreDeployment) -> None:
        self._d = deployment

    async def retrieve(self, thread_id: str) -> AnyThread:
        loaded = await self._d.loaded()
        context = await self._d.context(None)
        meta = await self._d.call(
            "load_thread", thread_id, loaded.store.load_thread(thread_id, context)
        )
        items = await self._d.call(
            "load_thread_items",
            thread_id,
            loaded.store.load_thread_items(thread_id, None, FIRST_ITEMS, "asc", context),
        )
        body = await self._d.call("serializing", thread_id, _thread_with_items(meta, items))
        return decode_thread(body)

    async def delete(self, thread_id: str) -> ThreadDeleted:
        loaded = await self._d.loaded()
        context = await self._d.context(None)
        await self._d.call(
            "delete_thread", thread_id, loaded.store.delete_thread(thread_id, context)
        )
        return ThreadDeleted(id=thread_id, deleted=True)

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ThreadPage, AnyThread]:
        if before is not None:
            raise ValueError(STORE.missing("page backwards (no before cursor)"))

        async def fetch(query: Params) -> ThreadPage:
            loaded = await self._d.loaded()
            context = await self._d.context(user)
            cursor = query.get("after")
            page = await self._d.call(
                "load_threads",
                None,
                loaded.store.load_threads(
                    int(query["limit"]),
                    None if cursor is None else str(cursor),
                    str(query["order"]),
                    context,
                ),
            )
            body = await self._d.call("serializing", None, _serialized(page))
            decoded = decode_thread_page(body, dialect="chatkit-python")
            if user is not None:  # read in user's context: each of them is user's
                for thread in decoded.data:
                    if isinstance(thread, Thread):
                        thread.user = user
            return decoded

        return AsyncPager(fetch, _params(limit, order, after))

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ItemPage, ThreadItem]:
        if before is not None:
            raise ValueError(STORE.missing("page backwards (no before cursor)"))

        async def fetch(query: Params) -> ItemPage:
            loaded = await self._d.loaded()
            context = await self._d.context(None)
            cursor = query.get("after")
            page = await self._d.call(
                "load_thread_items",
                thread_id,
                loaded.store.load_thread_items(
                    thread_id,
                    None if cursor is None else str(cursor),
                    int(query["limit"]),
                    str(query["order"]),
                    context,
                ),
            )
            body = await self._d.call("serializing", thread_id, _serialized(page))
            return decode_item_page(body, dialect="chatkit-python")

        return AsyncPager(fetch, _params(limit, order, after))


def _params(limit: int | None, order: Order | None, after: str | None) -> Params:
    params: Params = {"limit": limit or _DEFAULT_LIMIT, "order": order or "desc"}
    if after is not None:
        params["after"] = after
    return params


async def _serialized(page: Any) -> bytes:
    return _page_bytes(page)


async def _thread_with_items(meta: Any, items: Any) -> bytes:
    """``threads.get_by_id``'s answer: the thread's JSON with ``items``, its first page."""
    thread = record_json(meta)
    return thread[:-1] + b',"items":' + _page_bytes(items) + b"}"


class StoreDeployment:
    """The operator's Store named by ``spec`` (``MODULE:FACTORY``), loaded on first use
    (:meth:`__aenter__` or the first call): its module imported, its factory called."""

    capabilities = STORE
    organization: str | None = None
    project: str | None = None

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.base_url = spec  # the top bar's and a mirror's name for it
        self.threads = StoreThreads(self)
        self._loaded: LoadedStore | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def open(cls, spec: str) -> StoreDeployment:
        """A deployment over ``spec``: the spec checked now, the Store loaded on first use."""
        try:
            parse_spec(spec)
        except StoreLoadError as exc:
            raise CannotOpen(str(exc)) from None
        return cls(spec.strip())

    async def loaded(self) -> LoadedStore:
        async with self._lock:
            if self._loaded is None:
                try:
                    self._loaded = await load_store(self.spec)
                except StoreLoadError as exc:
                    raise CannotOpen(str(exc)) from None
            return self._loaded

    async def context(self, user: str | None) -> Any:
        loaded = await self.loaded()
        try:
            return await loaded.context(user)
        except StoreLoadError as exc:  # the operator's context_for raised
            raise CannotOpen(str(exc)) from None
        except Exception as exc:  # an async context_for raised as it was awaited
            who = "the whole deployment" if user is None else f"user {user!r}"
            raise CannotOpen(
                f"--store {self.spec!r}: context_for({user!r}) ({who}) raised {said(exc)}"
            ) from None

    async def call(self, what: str, thread_id: str | None, awaitable: Awaitable[T]) -> T:
        """``awaitable`` (a call of the operator's Store), its failures worded."""
        from chatkit.store import NotFoundError as StoreNotFoundError

        of = "" if thread_id is None else f" of thread {thread_id!r}"
        try:
            return await awaitable
        except StoreNotFoundError as exc:
            raise StoreNotFound(
                f"not found in the Store ({self.spec}): {what}{of} raised {said(exc)}",
                status_code=404,
                type="not_found",
            ) from None
        except Exception as exc:
            raise StoreFailed(
                f"the Store ({self.spec}) failed: {what}{of} raised {said(exc)}"
            ) from None

    def __repr__(self) -> str:
        return f"StoreDeployment({self.spec!r})"

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StoreDeployment:
        await self.loaded()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
