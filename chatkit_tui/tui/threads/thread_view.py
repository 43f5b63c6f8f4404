"""The thread view: a header and the thread's items in reading order, page by page.

No I/O here: the screen loads pages and pushes them in with :meth:`ThreadView.add_items`;
the view asks for the next page with :class:`ThreadView.NeedMore` when scrolled near
its end. Opened at a position (a search hit deep in a long thread, :meth:`ThreadView.seek`)
it holds a window of the thread: the page read around that item
(:meth:`ThreadView.open_window`), pages before it asked for with
:class:`ThreadView.NeedEarlier` when scrolled near its top and put in above
(:meth:`ThreadView.prepend_items`) without moving what is on screen. On a deployment
that cannot page backwards (``backwards=False``: no ``before`` cursor) nothing is asked
for above a window: ``g`` reads the thread from its first item instead.
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
from chatkit_tui.core.item_window import ItemPosition
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
        Binding("g", "top", "Top", show=False, id="view.top"),
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

    class NeedEarlier(Message):
        """Scrolled near the top of a window that does not begin at the thread's first item."""

        def __init__(self, view: ThreadView, thread_id: str, before: str) -> None:
            self.view = view
            self.thread_id = thread_id
            self.before = before
            super().__init__()

        @property
        def control(self) -> ThreadView:
            return self.view

    class NeedTop(Message):
        """``g`` in a window that does not begin at the first item: read from the top."""

        def __init__(self, view: ThreadView, thread: AnyThread) -> None:
            self.view = view
            self.thread = thread
            super().__init__()

        @property
        def control(self) -> ThreadView:
            return self.view

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        users: bool = True,
        backwards: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._now = now
        self._users = users  # the header names the thread's user
        self._backwards = backwards  # the items above a window can be read (before=)
        self.thread: AnyThread | None = None
        self.item_ids: set[str] = set()
        self.item_count = 0
        self.last_id: str | None = None
        self.has_more = False
        self.fetching = False
        self.stopped: str | None = None
        # a window (opened at a position): the items before the first shown
        self.first_id: str | None = None  # the cursor of the first item shown
        self.first_seq: int | None = 0  # its position in the thread (None: not known)
        self.has_earlier = False
        self.fetching_earlier = False
        self._anonymous = 0  # keys for items without an id
        self._seek: tuple[str, ItemPosition | None] | None = None  # thread, where (None: top)

    def compose(self):  # type: ignore[override]
        yield Static(Text("Select a thread to read it.", style="dim"), id="view-header")
        earlier = Static("", id="view-earlier")
        earlier.display = False  # shown only in a window that begins past the first item
        yield earlier
        yield Static("", id="view-status")

    # One line a key, at once: Textual's own scroll_down animates and defers the scroll to
    # after the next refresh, so keys arriving in a burst each started from the same line
    # (ten j moved three lines). scroll_target_y + 1 without deferring counts every key.
    def action_scroll_down(self) -> None:
        self.scroll_to(y=self.scroll_target_y + 1, animate=False, immediate=True)

    def action_scroll_up(self) -> None:
        self.scroll_to(y=self.scroll_target_y - 1, animate=False, immediate=True)
        self.check_near_top()  # at the top already the scroll moves nothing

    def action_top(self) -> None:
        """The thread's first item: at once when it is loaded, else read from the top."""
        if self.has_earlier and self.thread is not None and not self.stopped:
            self.post_message(self.NeedTop(self, self.thread))
            return
        self.scroll_home(animate=False)

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
        self.first_id = None
        self.first_seq = 0
        self.has_earlier = False
        self.fetching_earlier = False
        self.query(ItemView).remove()
        header = self.query_one("#view-header", Static)
        if thread is None:
            header.update(Text("No thread selected.", style="dim"))
        else:
            header.update(thread_header(thread, self._now(), users=self._users))
        self.scroll_home(animate=False)
        self._update_status()

    def update_thread(self, thread: AnyThread) -> None:
        """New metadata for the thread shown (e.g. after jumping to it by id)."""
        if self.thread is not None and thread.id == self.thread.id:
            self.thread = thread
            header = thread_header(thread, self._now(), users=self._users)
            self.query_one("#view-header", Static).update(header)

    def _fresh(self, items: Iterable[ThreadItem]) -> list[ItemView]:
        """Views of the items not shown yet (a page repeated in part adds nothing twice)."""
        fresh: list[ItemView] = []
        for item in items:
            if item.id is None:
                self._anonymous += 1
                key = f"~{self._anonymous}"
            else:
                key = item.id
            if key in self.item_ids:
                continue
            self.item_ids.add(key)
            fresh.append(ItemView(item))
        return fresh

    def add_items(
        self,
        items: Iterable[ThreadItem],
        *,
        has_more: bool,
        last_id: str | None,
    ) -> None:
        """Append a page of items (already in reading order)."""
        fresh = self._fresh(items)
        self.item_count += len(fresh)
        self.fetching = False
        self.has_more = has_more
        self.last_id = last_id or self.last_id
        if fresh:
            self.mount_all(fresh, before="#view-status")
        self._update_status()
        self.call_after_refresh(self.check_near_end)
        self._seek_target()

    def open_window(
        self,
        items: list[ThreadItem],
        *,
        first_seq: int,
        first_id: str | None,
        has_more: bool,
        last_id: str | None,
    ) -> None:
        """The first page shown, read at a position: it begins with item ``first_seq``
        (``first_id`` its cursor); the items before it are read as the view scrolls up."""
        self.first_seq = first_seq
        self.first_id = first_id
        self.has_earlier = first_seq > 0 and bool(items) and first_id is not None
        self.add_items(items, has_more=has_more, last_id=last_id)

    async def prepend_items(
        self, items: list[ThreadItem], *, has_earlier: bool, first_id: str | None
    ) -> None:
        """Put a page of the items before the first shown above it (reading order), the
        lines on screen staying where they are."""
        self.fetching_earlier = False
        fresh = self._fresh(items)
        if self.first_seq is not None:
            self.first_seq = max(0, self.first_seq - len(fresh))
        self.has_earlier = (
            has_earlier and bool(fresh) and first_id is not None and self.first_seq != 0
        )
        self.first_id = first_id or self.first_id
        self.item_count += len(fresh)
        self._update_status()
        if fresh:
            shown = next(iter(self.query(ItemView)), None)
            was = shown.virtual_region.y if shown is not None else 0
            await self.mount_all(fresh, after="#view-earlier")
            self.call_after_refresh(self._keep_in_place, fresh[-1], shown, was)
        else:
            self._seek_target()

    def _keep_in_place(
        self, last: ItemView, shown: ItemView | None, was: int, tries: int = 20
    ) -> None:
        """Scroll by what was put in above ``shown`` (at ``was`` before), so it stays put;
        once the layout holds the new items (``last`` of them placed), or tried enough."""
        if shown is not None:
            if not last.virtual_region.height and tries > 0:  # not laid out yet
                self.call_after_refresh(self._keep_in_place, last, shown, was, tries - 1)
                return
            moved = shown.virtual_region.y - was
            if moved:
                self.scroll_to(y=self.scroll_y + moved, animate=False, immediate=True)
        self._seek_target()
        self.check_near_top()

    def seek(self, thread_id: str, at: ItemPosition | None) -> bool:
        """Once ``thread_id`` is shown, scroll to its item at ``at`` (None: the thread
        itself, a title's hit); pages are loaded until it comes. The screen reads the
        items around it first (:meth:`seek_position`). True when the thread is shown
        already and this needs no new window: scrolled to it, or paging on to it."""
        self._seek = (thread_id, at)
        if self.thread_id != thread_id or self.fetching:
            return False
        if at is not None and at.after_id is not None and self._target(at) is None:
            return False  # not this far: a window read around it beats paging there
        self._seek_target()
        return True

    def seek_position(self, thread_id: str) -> ItemPosition | None:
        """Where the view is to open ``thread_id``, if a seek is pending for it."""
        if self._seek is None or self._seek[0] != thread_id:
            return None
        return self._seek[1]

    def _target(self, at: ItemPosition) -> ItemView | None:
        views = list(self.query(ItemView))
        if at.item_id is not None:
            return next((v for v in views if v.item.id == at.item_id), None)
        if self.first_seq is not None and 0 <= at.seq - self.first_seq < len(views):
            return views[at.seq - self.first_seq]
        return None

    def _seek_target(self) -> None:
        if self._seek is None or self.thread is None or self.thread_id != self._seek[0]:
            return
        at = self._seek[1]
        if at is None:  # a title hit: the thread itself
            self._seek = None
            return
        target = self._target(at)
        if target is not None:
            self._seek = None
            target.add_class("-hit")

            def show() -> None:
                self.scroll_to_widget(target, top=True, animate=False, immediate=True)
                self.check_near_top()  # the items just above it, to read on at once

            self.call_after_refresh(show)
            self._update_status()
        elif self.first_seq is not None and at.seq < self.first_seq and self.has_earlier:
            if not self._backwards:
                self._seek = None  # above the window, and nothing reads backwards: g does
                self._update_status()
            elif not self.fetching_earlier and not self.stopped and self.thread.id:
                self._ask_earlier(self.thread.id)
        elif self.has_more and not self.fetching and not self.stopped and self.thread.id:
            self.fetching = True
            self._update_status()
            self.post_message(self.NeedMore(self, self.thread.id, self.last_id))
        elif not self.has_more and not self.fetching:
            self._seek = None  # not in the thread (any more)
            self._update_status()

    def set_fetching(self, fetching: bool) -> None:
        self.fetching = fetching
        self._update_status()

    def stop(self, reason: str) -> None:
        """Paging stopped (an error, or a server repeating its page)."""
        self.fetching = False
        self.stopped = reason
        self._update_status()

    def _seeking(self) -> ItemPosition | None:
        if self._seek is not None and self._seek[0] == self.thread_id:
            return self._seek[1]
        return None

    def _update_status(self) -> None:
        self._update_earlier()
        status = self.query_one("#view-status", Static)
        at = self._seeking()
        if self.thread is None:
            status.update("")
        elif self.stopped:
            status.update(Text(f"⚠ {one_line(self.stopped)}", style="bold"))
        elif self.fetching and at is not None and self.item_count == 0:
            # the first request of a thread opened at a hit: it reads the page around it
            status.update(Text(f"⋯ reading items around #{at.number:,}…", style="dim"))
        elif self.fetching and at is not None:
            status.update(Text(f"⋯ loading items, on the way to #{at.number:,}…", style="dim"))
        elif self.fetching:
            status.update(Text("⋯ loading items…", style="dim"))
        elif self.has_more:
            status.update(Text("⋯ more items below", style="dim"))
        elif self.item_count == 0 and self.thread.id is None:
            status.update(Text("Without an id its items cannot be listed.", style="dim"))
        elif self.item_count == 0:
            status.update(Text("This thread has no items.", style="dim"))
        else:
            total = self.item_count + (self.first_seq or 0)
            noun = "item" if total == 1 else "items"
            if self.first_seq is None and self.has_earlier:
                words = f"{self.item_count} {noun} shown, earlier ones above"
            else:
                words = f"{total} {noun}"
            status.update(Text(f"— end of thread · {words} —", style="dim"))

    def _update_earlier(self) -> None:
        """The line above the items of a window: what is before it, and how to get there."""
        earlier = self.query_one("#view-earlier", Static)
        if self.thread is None or not (self.has_earlier or self.fetching_earlier):
            earlier.update("")
            earlier.display = False
            return
        earlier.display = True
        if self.fetching_earlier:
            earlier.update(Text("⋯ loading earlier items…", style="dim"))
            return
        count = f"{self.first_seq:,} earlier items" if self.first_seq else "earlier items"
        earlier.update(Text(f"⋯ {count} above · g: from the first", style="dim"))

    def _ask_earlier(self, thread_id: str) -> None:
        assert self.first_id is not None
        self.fetching_earlier = True
        self._update_earlier()
        self.post_message(self.NeedEarlier(self, thread_id, self.first_id))

    def stop_earlier(self, reason: str) -> None:
        """Reading the items above failed: say so there; scrolling up tries again."""
        self.fetching_earlier = False
        earlier = self.query_one("#view-earlier", Static)
        earlier.display = True
        earlier.update(Text(f"⚠ {one_line(reason)} (scroll up to try again)", style="bold"))

    def check_near_top(self) -> None:
        if self.thread is None or self.thread.id is None or not self.has_earlier:
            return
        if not self._backwards:  # g reads from the first item instead
            return
        if self.fetching_earlier or self.stopped or self.first_id is None:
            return
        if self.scroll_y <= max(self.size.height, 10):
            self._ask_earlier(self.thread.id)

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
        if new_value < old_value:  # up: the reader is going back
            self.check_near_top()
