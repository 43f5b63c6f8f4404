"""The messages of :class:`~chatkit_tui.tui.threads.thread_list.ThreadList` (nested there).

Kept in their own module so the widget's file stays readable; ``namespace="thread_list"``
keeps the handler names (``on_thread_list_highlighted``) as if they were defined inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from chatkit_tui.client.models import AnyThread
from chatkit_tui.tui.threads.render import Columns

if TYPE_CHECKING:
    from chatkit_tui.tui.threads.thread_list import ThreadList


class _ListMessage(Message, namespace="thread_list"):
    """A message from a ThreadList; ``control`` is the list, for ``@on(..., "#threads")``."""

    def __init__(self, thread_list: ThreadList) -> None:
        self.thread_list = thread_list
        super().__init__()

    @property
    def control(self) -> ThreadList:
        return self.thread_list


class Highlighted(_ListMessage, namespace="thread_list"):
    """The cursor moved to ``thread`` (None when the list is empty)."""

    def __init__(self, thread_list: ThreadList, thread: AnyThread | None) -> None:
        self.thread = thread
        super().__init__(thread_list)


class Opened(_ListMessage, namespace="thread_list"):
    """enter (or a double click) on ``thread``: show it in the thread view."""

    def __init__(self, thread_list: ThreadList, thread: AnyThread) -> None:
        self.thread = thread
        super().__init__(thread_list)


class NearEnd(_ListMessage, namespace="thread_list"):
    """The cursor or the scroll position is close to the end: time for the next page."""


class MarksChanged(_ListMessage, namespace="thread_list"):
    """Threads were marked or unmarked (``space``); ``count`` are marked now."""

    def __init__(self, thread_list: ThreadList, count: int) -> None:
        self.count = count
        super().__init__(thread_list)


class ColumnsChanged(_ListMessage, namespace="thread_list"):
    """The column widths changed (a resize): the header above should follow."""

    def __init__(self, thread_list: ThreadList, columns: Columns) -> None:
        self.columns = columns
        super().__init__(thread_list)


class ReadFailed(_ListMessage, namespace="thread_list"):
    """Rows could not be read from the mirror (it is damaged): ``reason`` says so and how
    to repair it. Posted once per source."""

    def __init__(self, thread_list: ThreadList, reason: str) -> None:
        self.reason = reason
        super().__init__(thread_list)
