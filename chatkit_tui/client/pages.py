"""Cursor pagination over the ChatKit list endpoints.

``await pager`` fetches the first page; ``async for item in pager`` walks every
item across pages; ``pager.pages()`` yields the pages themselves. The next page
is requested with ``after=<last_id>`` (and never with ``before``). The walk
stops when ``has_more`` is false, ``last_id`` is empty, or the cursor does not
advance (a server that repeats a cursor must not make us loop forever).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

__all__ = ["AsyncPager", "CursorPage", "Params"]

Params = dict[str, str | int]
ItemT_co = TypeVar("ItemT_co", covariant=True)


class CursorPage(Protocol[ItemT_co]):
    @property
    def data(self) -> Sequence[ItemT_co]: ...
    @property
    def has_more(self) -> bool: ...
    @property
    def last_id(self) -> str | None: ...


PageT = TypeVar("PageT", bound=CursorPage[Any])
Item = TypeVar("Item")


class AsyncPager(Generic[PageT, Item]):
    """A list call: awaitable for one page, async-iterable over all items."""

    __slots__ = ("_fetch", "_params")

    def __init__(self, fetch: Callable[[Params], Awaitable[PageT]], params: Params) -> None:
        self._fetch = fetch
        self._params = params

    @property
    def params(self) -> Params:
        """The query parameters of the first page (a copy)."""
        return dict(self._params)

    def __await__(self) -> Generator[object, None, PageT]:
        return self._fetch(dict(self._params)).__await__()

    async def pages(self) -> AsyncIterator[PageT]:
        params = dict(self._params)
        seen: set[str] = set()
        after = params.get("after")
        if isinstance(after, str):
            seen.add(after)
        while True:
            page = await self._fetch(params)
            yield page
            cursor = page.last_id
            if not page.has_more or not cursor or cursor in seen:
                return
            seen.add(cursor)
            params = {k: v for k, v in params.items() if k != "before"}
            params["after"] = cursor

    async def __aiter__(self) -> AsyncIterator[Item]:
        async for page in self.pages():
            for item in page.data:
                yield cast(Item, item)  # PageT holds Items by construction

    def __repr__(self) -> str:
        return f"{type(self).__name__}(params={self._params!r})"
