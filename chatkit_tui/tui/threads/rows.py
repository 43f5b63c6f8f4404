"""The thread list's rows read on demand from a mirror file: a million threads browse with
flat memory.

Online the list holds the pages it has loaded. Over a mirror (``--mirror``) it holds a
:class:`MirrorRows` instead: the count of the listed threads, and a bounded cache of
windows read by position from the file (:meth:`chatkit_tui.core.mirror.Mirror.listed_window`,
over an index, the far half read from the other end), so the first rows, ``End`` and a
jump anywhere each cost one small query. The ``/`` filter, the user filter and the order
are the query's, over every thread the file holds.

A window that cannot be read (a damaged page: :class:`~chatkit_tui.core.mirror.MirrorDamaged`)
is no rows: its rows read as missing (``IndexError``, like a file changed under us), and
:attr:`MirrorRows.failure` says why, for the list to show.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Literal, overload

from chatkit_tui.client.models import AnyThread
from chatkit_tui.core.mirror import Mirror, MirrorDamaged

WINDOW = 100  # rows read at once
WINDOWS_KEPT = 32  # at most this many windows in memory (3,200 threads)


class MirrorRows(Sequence[AnyThread]):
    """A read-only sequence of the listed threads of a mirror, in one order and filter."""

    def __init__(
        self,
        mirror: Mirror,
        *,
        user: str | None = None,
        order: Literal["asc", "desc"] = "desc",
        needle: str = "",
    ) -> None:
        self.mirror = mirror
        self.user = user
        self.order: Literal["asc", "desc"] = order
        self.needle = needle
        self.total = mirror.count_listed(user=user, needle=needle)
        self._windows: OrderedDict[int, list[AnyThread]] = OrderedDict()
        self.failure: str | None = None
        """Why a window could not be read (the mirror is damaged), once one could not."""

    def narrowed(self, needle: str) -> MirrorRows:
        """The same rows with the ``/`` filter ``needle`` (lower case)."""
        return MirrorRows(self.mirror, user=self.user, order=self.order, needle=needle)

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> AnyThread: ...
    @overload
    def __getitem__(self, index: slice) -> list[AnyThread]: ...
    def __getitem__(self, index: int | slice) -> AnyThread | list[AnyThread]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.total))]
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        start = index - index % WINDOW
        window = self._windows.get(start)
        if window is None:
            try:
                found = self.mirror.listed_window(
                    start,
                    WINDOW,
                    user=self.user,
                    order=self.order,
                    needle=self.needle,
                    total=self.total,
                )
            except MirrorDamaged as exc:
                self.failure = str(exc)
                raise IndexError(index) from None
            window = [t.decoded() for t in found]
            self._windows[start] = window
            while len(self._windows) > WINDOWS_KEPT:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(start)
        offset = index - start
        if offset >= len(window):  # the file changed under us (a run is writing it)
            raise IndexError(index)
        return window[offset]

    def __iter__(self) -> Iterator[AnyThread]:
        for index in range(self.total):
            yield self[index]

    def cached(self) -> Iterator[AnyThread]:
        """The rows in memory now (what a search of "loaded" threads can look at)."""
        for window in self._windows.values():
            yield from window

    @property
    def windows_held(self) -> int:
        return len(self._windows)

    def position(self, thread_id: str) -> int | None:
        try:
            return self.mirror.listed_position(
                thread_id, user=self.user, order=self.order, needle=self.needle
            )
        except MirrorDamaged as exc:
            self.failure = str(exc)
            return None

    def thread(self, thread_id: str) -> AnyThread | None:
        try:
            found = self.mirror.thread(thread_id)
        except MirrorDamaged as exc:
            self.failure = str(exc)
            return None
        return found.decoded() if found is not None else None
