"""The thread view: a header and the thread's items in reading order, page by page.

No I/O here: the screen loads pages and pushes them in with :meth:`ThreadView.add_items`;
the view asks for the next page with :class:`ThreadView.NeedMore` when scrolled near
its end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from chatkit_tui.client.models import AnyThread, ThreadItem
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.threads.render import thread_header
from chatkit_tui.tui.threads.render_items import item_kind, render_item


class ItemView(Static):
    """One thread item; its CSS class names its type (``-user``, ``-assistant``, ...)."""

    def __init__(self, item: ThreadItem) -> None:
        super().__init__(render_item(item), classes=f"item -{item_kind(item)}")
        self.item = item


class ThreadView(VerticalScroll, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="view.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="view.up"),
        Binding("g", "scroll_home", "Top", show=False, id="view.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="view.bottom"),
    ]

    class NeedMore(Message):
        """Scrolled near the end of the loaded items while the thread has more."""

        def __init__(self, view: ThreadView, thread_id: str, after: str | None) -> None:
            self.view = view
            self.thread_id = thread_id
            self.after = after
            super().__init__()

        @property
        def control(self) -> ThreadView:
            return self.view

    def __init__(self, *, now: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.thread: AnyThread | None = None
        self.item_ids: set[str] = set()
        self.item_count = 0
        self.last_id: str | None = None
        self.has_more = False
        self.fetching = False
        self.stopped: str | None = None
        self._seek: tuple[str, str | None, int | None] | None = None  # thread, item id, seq

    def compose(self):  # type: ignore[override]
        yield Static(Text("Select a thread to read it.", style="dim"), id="view-header")
        yield Static("", id="view-status")

    # One line a key, at once: Textual's own scroll_down animates and defers the scroll to
    # after the next refresh, so keys arriving in a burst each started from the same line
    # (ten j moved three lines). scroll_target_y + 1 without deferring counts every key.
    def action_scroll_down(self) -> None:
        self.scroll_to(y=self.scroll_target_y + 1, animate=False, immediate=True)

    def action_scroll_up(self) -> None:
        self.scroll_to(y=self.scroll_target_y - 1, animate=False, immediate=True)

    @property
    def thread_id(self) -> str | None:
        return self.thread.id if self.thread is not None else None

    def show_thread(self, thread: AnyThread | None) -> None:
        """Start over with ``thread``'s header; items follow with :meth:`add_items`."""
        if self._seek is not None and (thread is None or thread.id != self._seek[0]):
            self._seek = None
        self.thread = thread
        self.item_ids = set()
        self.item_count = 0
        self.last_id = None
        listable = thread is not None and thread.id is not None  # no id: no items to list
        self.has_more = listable
        self.fetching = listable
        self.stopped = None
        self.query(ItemView).remove()
        header = self.query_one("#view-header", Static)
        if thread is None:
            header.update(Text("No thread selected.", style="dim"))
        else:
            header.update(thread_header(thread, self._now()))
        self.scroll_home(animate=False)
        self._update_status()

    def update_thread(self, thread: AnyThread) -> None:
        """New metadata for the thread shown (e.g. after jumping to it by id)."""
        if self.thread is not None and thread.id == self.thread.id:
            self.thread = thread
            self.query_one("#view-header", Static).update(thread_header(thread, self._now()))

    def add_items(
        self,
        items: Iterable[ThreadItem],
        *,
        has_more: bool,
        last_id: str | None,
    ) -> None:
        """Append a page of items (already in reading order)."""
        fresh: list[ItemView] = []
        for item in items:
            key = item.id or f"#{self.item_count + len(fresh)}"
            if key in self.item_ids:
                continue
            self.item_ids.add(key)
            fresh.append(ItemView(item))
        self.item_count += len(fresh)
        self.fetching = False
        self.has_more = has_more
        self.last_id = last_id or self.last_id
        if fresh:
            self.mount_all(fresh, before="#view-status")
        self._update_status()
        self.call_after_refresh(self.check_near_end)
        self._seek_target()

    def seek(self, thread_id: str, item_id: str | None, seq: int | None) -> None:
        """Once ``thread_id`` is shown, scroll to its item ``item_id`` (or the ``seq``-th
        item, for one without an id), loading pages until it comes."""
        self._seek = (thread_id, item_id, seq)
        if self.thread_id == thread_id and not self.fetching:
            self._seek_target()

    def _seek_target(self) -> None:
        if self._seek is None or self.thread is None or self.thread_id != self._seek[0]:
            return
        _, item_id, seq = self._seek
        if item_id is None and seq is None:  # a title hit: the thread itself
            self._seek = None
            return
        views = list(self.query(ItemView))
        if item_id is not None:
            target = next((v for v in views if v.item.id == item_id), None)
        else:
            target = views[seq] if seq is not None and 0 <= seq < len(views) else None
        if target is not None:
            self._seek = None
            target.add_class("-hit")
            self.call_after_refresh(lambda: self.scroll_to_widget(target, top=True, animate=False))
        elif self.has_more and not self.fetching and not self.stopped and self.thread.id:
            self.fetching = True
            self._update_status()
            self.post_message(self.NeedMore(self, self.thread.id, self.last_id))
        elif not self.has_more:
            self._seek = None  # not in the thread (any more)

    def set_fetching(self, fetching: bool) -> None:
        self.fetching = fetching
        self._update_status()

    def stop(self, reason: str) -> None:
        """Paging stopped (an error, or a server repeating its page)."""
        self.fetching = False
        self.stopped = reason
        self._update_status()

    def _update_status(self) -> None:
        status = self.query_one("#view-status", Static)
        if self.thread is None:
            status.update("")
        elif self.stopped:
            status.update(Text(f"⚠ {one_line(self.stopped)}", style="bold"))
        elif self.fetching:
            status.update(Text("⋯ loading items…", style="dim"))
        elif self.has_more:
            status.update(Text("⋯ more items below", style="dim"))
        elif self.item_count == 0 and self.thread.id is None:
            status.update(Text("Without an id its items cannot be listed.", style="dim"))
        elif self.item_count == 0:
            status.update(Text("This thread has no items.", style="dim"))
        else:
            noun = "item" if self.item_count == 1 else "items"
            status.update(Text(f"— end of thread · {self.item_count} {noun} —", style="dim"))

    def check_near_end(self) -> None:
        if self.thread is None or not self.has_more or self.fetching or self.stopped:
            return
        if self.thread.id is None:
            return
        if self.max_scroll_y - self.scroll_y <= max(self.size.height, 10):
            self.fetching = True
            self._update_status()
            self.post_message(self.NeedMore(self, self.thread.id, self.last_id))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.check_near_end()
