"""The thread list: a virtualised list on Textual's Line API.

Only the visible lines are rendered (``render_line``), so appending a page costs the same
at 100k rows as at none: the threads are a Python list, the ``/`` filter a list of indices.
The widget never does I/O: it asks for more with :class:`NearEnd`; the screen calls
:meth:`add_threads`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from chatkit_tui.client.models import AnyThread
from chatkit_tui.tui.threads import render
from chatkit_tui.tui.threads import thread_list_messages as messages

if TYPE_CHECKING:
    from chatkit_tui.tui.threads.rows import MirrorRows
from chatkit_tui.tui.threads.render import (
    Columns,
    columns_for,
    fit,
    thread_cells,
    thread_key,
    thread_matches,
)

_ROLES = ("title", "untitled", "user", "locked", "closed", "active", "unknown", "age", "id")


class ThreadList(ScrollView, can_focus=True):
    """Threads, one per line, with a cursor; a loading row at the end while more exist."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="threads.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="threads.up"),
        Binding("g,home", "first", "First", show=False, id="threads.first"),
        Binding("G,end", "last", "Last", show=False, id="threads.last"),
        Binding("pagedown", "page_down", "Page down", show=False, id="threads.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="threads.page_up"),
        Binding("enter", "open", "Open", id="threads.open"),
        Binding("space", "toggle_mark", "Mark", show=False, id="threads.mark"),
    ]

    COMPONENT_CLASSES = {
        "thread-list--cursor",
        "thread-list--loading",
        *(f"thread-list--{role}" for role in _ROLES),
    }

    Highlighted = messages.Highlighted
    Opened = messages.Opened
    NearEnd = messages.NearEnd
    MarksChanged = messages.MarksChanged
    ColumnsChanged = messages.ColumnsChanged
    ReadFailed = messages.ReadFailed

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        users: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._now = now
        self._threads: list[AnyThread] = []
        self._source: MirrorRows | None = None  # over a mirror: rows read on demand
        self._failure_told = False  # ReadFailed posted for this source
        self._rows: list[int] | None = None  # indices into _threads when the / filter is on
        self._needle = ""
        self._cursor = 0
        self._ahead = 0  # downward moves past the last loaded row, made good as pages arrive
        self._asked_for_more = False
        self.has_more = False
        self.fetching = False
        self.stopped: str | None = None  # why paging stopped early (error, repeated cursor)
        self.marked: set[str] = set()
        self._users = users  # threads name their user: the user column is shown
        self._columns: Columns = columns_for(0, users=users)
        self._styles: dict[str, Style] = {}

    # --- data ------------------------------------------------------------------------------

    @property
    def threads(self) -> Sequence[AnyThread]:
        """Every loaded thread (filter or not); over a mirror, every listed one (read on
        demand: iterate :meth:`loaded` instead where all would be too many)."""
        return self._source if self._source is not None else self._threads

    def loaded(self) -> Iterator[AnyThread]:
        """The threads in memory: all of them online, the cached windows over a mirror."""
        return self._source.cached() if self._source is not None else iter(self._threads)

    @property
    def source(self) -> MirrorRows | None:
        return self._source

    def set_source(self, rows: MirrorRows) -> None:
        """Show ``rows`` (a mirror's listed threads, read on demand) instead of pages."""
        self.clear()
        self._source = rows
        self._failure_told = False
        self.has_more = self.fetching = False
        self.stopped = None
        self._update_size()
        self.refresh()
        if self.row_count:
            self.post_message(self.Highlighted(self, self.current))

    @property
    def row_count(self) -> int:
        """Rows shown (after the / filter)."""
        if self._source is not None:
            return len(self._source)
        return len(self._threads) if self._rows is None else len(self._rows)

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def current(self) -> AnyThread | None:
        return self.thread_at(self._cursor)

    @property
    def filter_text(self) -> str:
        return self._needle

    def thread_at(self, row: int) -> AnyThread | None:
        if not 0 <= row < self.row_count:
            return None
        if self._source is not None:
            try:
                return self._source[row]
            except IndexError:  # the file changed under us, or the window is damaged
                self._tell_failure()
                return None
        return self._threads[row if self._rows is None else self._rows[row]]

    def _tell_failure(self) -> None:
        source = self._source
        if source is not None and source.failure is not None and not self._failure_told:
            self._failure_told = True
            self.post_message(self.ReadFailed(self, source.failure))

    def row_of(self, thread_id: str) -> int | None:
        """The row showing ``thread_id``, or None (not loaded, or hidden by the filter)."""
        if self._source is not None:
            found = self._source.position(thread_id)
            self._tell_failure()
            return found
        for index, thread in enumerate(self._threads):
            if thread_key(thread) == thread_id:
                if self._rows is None:
                    return index
                try:
                    return self._rows.index(index)
                except ValueError:
                    return None
        return None

    def set_paging(self, *, has_more: bool, fetching: bool, stopped: str | None = None) -> None:
        changed = (has_more, fetching, stopped) != (self.has_more, self.fetching, self.stopped)
        self.has_more, self.fetching, self.stopped = has_more, fetching, stopped
        if not fetching:
            self._asked_for_more = False
        if not has_more or stopped:
            self._ahead = 0
        if changed:
            self._update_size()
            self.refresh_lines(self.row_count, 1)
        self._check_near_end()

    def clear(self) -> None:
        if self.marked:
            self.unmark_all()  # a reloaded list is another list: marks do not carry over
        self._threads = []
        self._source = None
        self._rows = [] if self._needle else None
        self._cursor = self._ahead = 0
        self._asked_for_more = False
        self.scroll_to(y=0, animate=False, immediate=True)
        self._update_size()
        self.refresh()
        self.post_message(self.Highlighted(self, None))

    def add_threads(self, threads: Iterable[AnyThread]) -> None:
        """Append a page. Costs O(page): nothing already loaded is touched."""
        was_empty = self.row_count == 0
        start = len(self._threads)
        self._threads.extend(threads)
        if self._rows is not None:
            needle = self._needle
            self._rows.extend(
                i
                for i in range(start, len(self._threads))
                if thread_matches(self._threads[i], needle)
            )
        self._update_size()
        self.refresh()
        if was_empty and self.row_count:
            self.post_message(self.Highlighted(self, self.current))
        if self._ahead:
            self._move_down(0)  # keys pressed while this page was on its way

    def remove_thread(self, thread_id: str) -> int | None:
        """Remove ``thread_id``; return its index among loaded threads (to put it back)."""
        index = next((i for i, t in enumerate(self._threads) if thread_key(t) == thread_id), None)
        if index is None:
            return None
        current = self.current
        del self._threads[index]
        if thread_id in self.marked:
            self.marked.discard(thread_id)
            self.post_message(self.MarksChanged(self, len(self.marked)))
        self._reindex()
        if current is not None and thread_key(current) == thread_id:
            self._cursor = min(self._cursor, max(self.row_count - 1, 0))
        elif current is not None:
            self._cursor = self.row_of(thread_key(current)) or 0
        self._update_size()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))
        return index

    def insert_thread(self, index: int, thread: AnyThread) -> None:
        """Put a thread back where it was (a delete that failed)."""
        current = self.current
        self._threads.insert(min(index, len(self._threads)), thread)
        self._reindex()
        if current is not None:
            self._cursor = self.row_of(thread_key(current)) or 0
        self._update_size()
        self.refresh()

    # --- marks (bulk work) ------------------------------------------------------------------

    @property
    def marked_threads(self) -> list[AnyThread]:
        """The marked threads, in list order (hidden by the / filter or not)."""
        if self._source is not None:
            found = (self._source.thread(key) for key in sorted(self.marked))
            return [t for t in found if t is not None]
        return [t for t in self._threads if thread_key(t) in self.marked]

    def action_toggle_mark(self) -> None:
        """space: mark or unmark the thread under the cursor, then move down (as mc does)."""
        thread = self.current
        if thread is None:
            return
        if thread.id is None:  # a record without an id: nothing to delete it by
            self.notify("This thread has no id (it did not decode): it cannot be marked.")
            self.move_cursor(self._cursor + 1)
            return
        if thread.id in self.marked:
            self.marked.discard(thread.id)
        else:
            self.marked.add(thread.id)
        self.refresh_lines(self._cursor, 1)
        self.post_message(self.MarksChanged(self, len(self.marked)))
        self.move_cursor(self._cursor + 1)

    def mark(self, thread_ids: Iterable[str]) -> None:
        """Mark these ids, loaded or not (a row loaded later shows its mark)."""
        before = len(self.marked)
        self.marked.update(thread_ids)
        if len(self.marked) != before:
            self.refresh()
            self.post_message(self.MarksChanged(self, len(self.marked)))

    def unmark(self, thread_ids: Iterable[str]) -> None:
        before = len(self.marked)
        self.marked.difference_update(thread_ids)
        if len(self.marked) != before:
            self.refresh()
            self.post_message(self.MarksChanged(self, len(self.marked)))

    def unmark_all(self) -> None:
        self.unmark(list(self.marked))

    def set_filter(self, text: str) -> None:
        """Show only loaded threads whose title, user or id contains ``text`` (any case)."""
        needle = text.strip().lower()
        if needle == self._needle:
            return
        current = self.current
        self._needle = needle
        self._reindex()
        row = self.row_of(thread_key(current)) if current is not None else None
        self._cursor = row if row is not None else 0
        self._update_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))
        self._check_near_end()

    def _reindex(self) -> None:
        if self._source is not None:  # over a mirror the filter is the query's
            if self._source.needle != self._needle:
                self._source = self._source.narrowed(self._needle)
                self._failure_told = False
            self._rows = None
            return
        if not self._needle:
            self._rows = None
            return
        needle = self._needle
        self._rows = [i for i, t in enumerate(self._threads) if thread_matches(t, needle)]

    # --- cursor ----------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        self._ahead = 0
        count = self.row_count
        row = max(0, min(row, count - 1)) if count else 0
        old = self._cursor
        self._cursor = row
        if old != row:
            self.refresh_lines(old, 1)
            self.refresh_lines(row, 1)
            self.post_message(self.Highlighted(self, self.current))
        self._scroll_cursor_into_view()
        self._check_near_end()

    def select_thread(self, thread_id: str) -> bool:
        row = self.row_of(thread_id)
        if row is not None:
            self.move_cursor(row)
        return row is not None

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max((self.scrollable_content_region.height or 1) - 1, 1)

    def _move_down(self, rows: int) -> None:
        """Down ``rows``; past the last loaded row while a page is on its way, the rest is made
        good when it lands (a burst over a slow link is not cut short). Other moves drop it."""
        target = self._cursor + self._ahead + rows
        self.move_cursor(target)  # stops on the last loaded row
        if target > self._cursor and self.has_more and not self.stopped and self._rows is None:
            self._ahead = target - self._cursor

    def on_blur(self) -> None:  # the user went elsewhere (the thread view, a dialog)
        self._ahead = 0

    def action_cursor_down(self) -> None:
        self._move_down(1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_page_down(self) -> None:
        self._move_down(self._page())

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page())

    def action_open(self) -> None:
        thread = self.current
        if thread is not None:
            self.post_message(self.Opened(self, thread))

    async def _on_click(self, event: events.Click) -> None:
        row = round(self.scroll_y) + event.y
        if 0 <= row < self.row_count:
            if row == self._cursor and event.chain >= 2:
                self.action_open()
            self.move_cursor(row)

    # --- paging trigger ----------------------------------------------------------------------

    def _threshold(self) -> int:
        return max(3 * (self.scrollable_content_region.height or 1), 50)

    def _check_near_end(self) -> None:
        if not self.has_more or self.fetching or self._asked_for_more or self.stopped:
            return
        if self._rows is not None:
            return  # the / filter searches loaded rows: it does not page through the server
        threshold = self._threshold()
        near_by_cursor = self.row_count - 1 - self._cursor <= threshold
        near_by_scroll = self.max_scroll_y - self.scroll_y <= threshold
        if near_by_cursor or near_by_scroll:
            self._asked_for_more = True
            self.post_message(self.NearEnd(self))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_near_end()

    # --- rendering ---------------------------------------------------------------------------

    def _extra_rows(self) -> int:
        return 1 if (self.has_more or self.fetching or self.stopped) else 0

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        self.virtual_size = Size(width, self.row_count + self._extra_rows())

    def on_resize(self) -> None:
        columns = columns_for(self.scrollable_content_region.width, users=self._users)
        if columns != self._columns:
            self._columns = columns
            self.post_message(self.ColumnsChanged(self, columns))
        self._update_size()
        self._scroll_cursor_into_view()
        self._check_near_end()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def _style(self, role: str) -> Style:
        style = self._styles.get(role)
        if style is None:
            style = self._styles[role] = self.get_component_rich_style(f"thread-list--{role}")
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        base = self.rich_style
        if row < self.row_count:
            thread = self.thread_at(row)
            if thread is None:  # over a mirror: a window that could not be read
                text = "  ⚠ this row cannot be read from the mirror"
                strip = Strip([Segment(fit(text, width), base + self._style("loading"))])
            else:
                strip = self._render_row(thread, row == self._cursor, base)
        elif row == self.row_count and self._extra_rows():
            filtered = self._rows is not None
            text = render.paging_row(self.stopped, self.fetching, self.has_more, filtered=filtered)
            strip = Strip([Segment(fit(text, width), base + self._style("loading"))])
        else:
            strip = Strip.blank(width, base)
        return strip.crop_extend(0, width, base)

    def _render_row(self, thread: AnyThread, is_cursor: bool, base: Style) -> Strip:
        width = self.scrollable_content_region.width
        marker = "● " if thread_key(thread) in self.marked else ("▶ " if is_cursor else "  ")
        segments = [Segment(marker, base)]
        for text, role in thread_cells(thread, self._now(), self._columns):
            if text:
                segments.append(Segment(text, base + self._style(role)))
        strip = Strip(segments)
        if is_cursor:
            cursor = self._style("cursor")
            strip = Strip(
                [Segment(t, (s or base) + cursor, c) for t, s, c in strip]
                + [Segment(" " * max(0, width - strip.cell_length), base + cursor)]
            )
        return strip
