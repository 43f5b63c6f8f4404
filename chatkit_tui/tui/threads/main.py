"""The main screen: thread list + thread view, their workers and the delete flow.

Data flows one way: the client (in workers) -> messages (ThreadsLoaded, ItemsLoaded,
ThreadDeleted, ...) -> the widgets. Widgets never do I/O.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from chatkit_tui.client.models import AnyThread
from chatkit_tui.core.item_window import ItemPosition, items_around, items_before
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.base import describe_error
from chatkit_tui.tui.threads.mark_by_rule import MarkByRuleFlow
from chatkit_tui.tui.threads.messages import (
    EarlierItemsLoaded,
    ItemsAroundLoaded,
    ItemsLoaded,
    ThreadFetched,
    ThreadsLoaded,
)
from chatkit_tui.tui.threads.render import header_cells, thread_key
from chatkit_tui.tui.threads.thread_list import ThreadList
from chatkit_tui.tui.threads.thread_view import ThreadView
from chatkit_tui.tui.threads.user_filter import UserFilterScreen

if TYPE_CHECKING:
    from chatkit_tui.core.mirror import Mirror, SearchHit
    from chatkit_tui.core.mirror.url import MirrorTarget
    from chatkit_tui.tui.insights.screen import InsightsScreen

DEBOUNCE = 0.15
INSIGHTS_SCREEN = "insights"
"""The name the insights screen is installed under while it may be gone back to."""
AROUND_PAGE = 20
"""Items read around a search hit at first: a screenful and more, few enough to be on
screen soonest (mounting them is most of the time); the pages on either side follow."""


class MainScreen(MarkByRuleFlow):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="main.back"),
        Binding("tab,shift+tab", "switch_pane", "Switch pane", show=False, id="main.switch_pane"),
        Binding("d,delete", "delete", "Delete", id="main.delete"),
        Binding("u", "user_filter", "User", id="main.user_filter"),
        Binding("M", "mark_by_rule", "Mark by rule", show=False, id="main.mark_by_rule"),
        Binding("o", "flip_order", "Order", show=False, id="main.flip_order"),
        Binding("slash", "find", "Find", id="main.find"),
        Binding("r", "refresh", "Refresh", id="main.refresh"),
        Binding("y", "copy_id", "Copy id", show=False, id="main.copy_id"),
        Binding("D", "bulk_delete", "Delete marked", show=False, id="main.bulk_delete"),
        Binding("e", "export", "Export", show=False, id="main.export"),
        Binding("s", "sessions", "Sessions", show=False, id="main.sessions"),
        Binding("ctrl+f", "search", "Search all", show=False, id="main.search"),
        Binding("i", "insights", "Insights", show=False, id="main.insights"),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.user: str | None = None
        self.order: Literal["asc", "desc"] = "desc"
        self.generation = 0
        self.next_after: str | None = None
        self.seen: set[str] = set()
        self.restore: tuple[str, int] | None = None  # (thread id, rows to search) after refresh
        self._debounce: Timer | None = None
        self._removed: dict[str, int] = {}
        self._mirror: Mirror | None = None  # over a mirror (--mirror): the rows' file
        self._damaged = False  # rows of that file could not be read (ThreadList.ReadFailed)
        self._insights: InsightsScreen | None = None
        """The insights screen a thread was opened from (enter on a "went wrong" row), kept
        installed (not torn down when it closed) while the thread view shows that thread:
        esc goes back to it as it was, its cursor and figures kept."""

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        ctx = self.ctx
        users = ctx.offer.users  # threads that name no user: no user column, no user line
        find = "filter loaded threads: title, user or id" if users else "filter loaded threads"
        yield Static(self.top_bar("chatkit-tui"), id="topbar")
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield Static("", id="list-header")
                yield ThreadList(now=ctx.now, users=users, id="threads")
                yield Input(placeholder=find, id="find")
                yield Static("", id="list-status")
            backwards = ctx.capabilities.before_cursor  # else g reads from the top
            yield ThreadView(now=ctx.now, users=users, backwards=backwards, id="view")
        yield Footer(compact=True)

    @property
    def view(self) -> ThreadView:
        return self.query_one("#view", ThreadView)

    def on_mount(self) -> None:
        self.thread_list.focus()
        self.reload()

    @on(ThreadList.MarksChanged, "#threads")
    def marks_changed(self) -> None:
        self._update_status()

    @on(ThreadList.ColumnsChanged, "#threads")
    def columns_changed(self, message: ThreadList.ColumnsChanged) -> None:
        cells = header_cells(message.columns)
        self.query_one("#list-header", Static).update(Text("  " + "".join(cells), end=""))

    def _update_status(self) -> None:
        tl = self.thread_list
        count = len(tl.threads)
        text = Text(f" {count:,} thread{'' if count == 1 else 's'}", end="")
        if tl.fetching:
            text.append(" · loading…")
        elif tl.stopped:
            text.append(" · stopped", style="bold")
        elif tl.has_more:
            text.append(" · more")
        text.append(f" · {'newest' if self.order == 'desc' else 'oldest'} first", style="dim")
        if self.user is not None:
            text.append(" · user ", style="dim")
            text.append(one_line(self.user), style="bold")
        if tl.filter_text:
            text.append(f" · /{one_line(tl.filter_text)}: {tl.row_count:,} shown", style="bold")
        if self.marking is not None:
            read, matched = self.marking
            text.append(f" · marking: {read:,} read, {matched:,} match…", style="bold")
            text.append(" (esc stops)", style="dim")
        if self._damaged:
            text.append(" · the mirror is damaged", style="bold")
        if tl.marked:
            text.append(f" · {len(tl.marked):,} marked", style="bold")
            if self.offers("main.bulk_delete"):
                text.append(" (D deletes, esc unmarks)", style="dim")
        self.query_one("#list-status", Static).update(text)

    # --- thread pages ------------------------------------------------------------------------

    def reload(self, *, keep: str | None = None) -> None:
        """Start the list over from the first page; ``keep`` re-selects that thread if found."""
        if self.ctx.mirror_path is not None:
            self._reload_from_mirror(self.ctx.mirror_path, keep)
            return
        tl = self.thread_list
        self.restore = (keep, tl.cursor + 2 * self.ctx.thread_page_size) if keep else None
        self.generation += 1
        self.next_after = None
        self.seen = set()
        tl.clear()
        tl.set_paging(has_more=True, fetching=True)
        self._update_status()
        self.load_threads(self.generation, None)

    def _reload_from_mirror(self, path: MirrorTarget, keep: str | None) -> None:
        """Over a mirror the list reads its rows from the file on demand (flat memory at a
        million threads; End is one query); the user filter and the order are the query's."""
        from chatkit_tui.core.mirror import Mirror, MirrorDamaged, MirrorError
        from chatkit_tui.tui.threads.rows import MirrorRows

        tl = self.thread_list
        self.generation += 1
        self.seen = set()
        try:
            if self._mirror is None:
                self._mirror = Mirror.open(path, read_only=True)
            rows = MirrorRows(self._mirror, user=self.user, order=self.order, needle=tl.filter_text)
        except (OSError, MirrorError, sqlite3.Error) as exc:
            why = (
                str(exc) if isinstance(exc, MirrorDamaged) else f"the mirror cannot be read: {exc}"
            )
            tl.clear()
            tl.set_paging(has_more=False, fetching=False, stopped=one_line(why))
            self._update_status()
            self.host.notify(one_line(str(exc)), title="Mirror", severity="error")
            return
        tl.set_source(rows)
        if keep is not None:
            tl.select_thread(keep)
        self._update_status()

    @on(ThreadList.ReadFailed, "#threads")
    def rows_unreadable(self, message: ThreadList.ReadFailed) -> None:
        """Over a mirror, rows could not be read: it is damaged (said once, and in the
        status line while it is shown)."""
        self._damaged = True
        self._update_status()
        self.host.notify(one_line(message.reason), title="Mirror", severity="error", timeout=30)

    def on_unmount(self) -> None:
        if self._mirror is not None:
            self._mirror.close()
            self._mirror = None

    @work(exclusive=True, group="threads", exit_on_error=False)
    async def load_threads(self, generation: int, after: str | None) -> None:
        ctx = self.ctx
        prefetched, ctx.first_page = ctx.first_page, None
        if prefetched is not None and after is None and self.user is None and self.order == "desc":
            page = await prefetched
            self.post_message(ThreadsLoaded(generation, after, page))
            return
        page = await self.ctx.client.threads.list(
            limit=self.ctx.thread_page_size, order=self.order, after=after, user=self.user
        )
        self.post_message(ThreadsLoaded(generation, after, page))

    @on(ThreadList.NearEnd)
    def more_threads(self) -> None:
        tl = self.thread_list
        if tl.fetching or not tl.has_more or tl.stopped:
            return
        tl.set_paging(has_more=True, fetching=True)
        self._update_status()
        self.load_threads(self.generation, self.next_after)

    def on_threads_loaded(self, message: ThreadsLoaded) -> None:
        if message.generation != self.generation:
            return  # a page for a list that has since been reset
        tl = self.thread_list
        page = message.page
        fresh = [t for t in page.data if thread_key(t) not in self.seen]
        self.seen.update(thread_key(t) for t in fresh)
        stopped: str | None = None
        if page.has_more and (not page.last_id or page.last_id == message.after or not fresh):
            stopped = (
                "the server repeated a page (its cursor did not advance); "
                "stopped loading — press r to retry"
            )
            self.host.notify(stopped, title="Paging stopped", severity="warning")
        self.next_after = page.last_id
        tl.add_threads(fresh)
        if self.restore is not None:
            self._try_restore(page.has_more and stopped is None)
        tl.set_paging(has_more=page.has_more, fetching=False, stopped=stopped)
        self._update_status()

    def _try_restore(self, more: bool) -> None:
        assert self.restore is not None
        thread_id, budget = self.restore
        if self.thread_list.select_thread(thread_id):
            self.restore = None
        elif not more or len(self.thread_list.threads) >= budget:
            self.restore = None

    # --- thread view -------------------------------------------------------------------------

    @on(ThreadList.Highlighted, "#threads")
    def highlighted(self, message: ThreadList.Highlighted) -> None:
        if self.view.has_focus and self.view.thread is not None:
            # the user is reading a thread: a reload, a flipped order or a delete moves the
            # list's cursor but does not swap the thread out from under them (escape does)
            return
        self._open_soon(message.thread)

    def _open_soon(self, thread: AnyThread | None) -> None:
        """Show ``thread`` in the view after the debounce (a held key sends one request)."""
        self.workers.cancel_group(self, "items")  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, lambda: self.open_in_view(thread))

    def open_in_view(self, thread: AnyThread | None) -> None:
        self.workers.cancel_group(self, "items")  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        self.workers.cancel_group(self, "earlier")  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        self.view.show_thread(thread)
        if thread is None or thread.id is None:  # no id: nothing to list items by
            return
        at = self.view.seek_position(thread.id)
        if at is not None and at.after_id is not None:  # a hit deep in the thread
            self.load_items_around(thread.id, at)
        else:
            self.load_items(thread.id, None)

    @work(exclusive=True, group="items", exit_on_error=False)
    async def load_items_around(self, thread_id: str, at: ItemPosition) -> None:
        around = await items_around(self.ctx.client, thread_id, at, limit=AROUND_PAGE)
        self.post_message(ItemsAroundLoaded(thread_id, around))

    def on_items_around_loaded(self, message: ItemsAroundLoaded) -> None:
        view = self.view
        if message.thread_id != view.thread_id:
            return
        around = message.around
        page = around.page
        repeated = page.has_more and (not page.last_id or page.last_id == around.cursor)
        view.open_window(
            page.data,
            first_seq=around.first_seq,
            first_id=page.first_id,
            has_more=page.has_more and not repeated,
            last_id=page.last_id,
        )
        if repeated:
            view.stop("the server repeated a page of items (its cursor did not advance)")

    @on(ThreadView.NeedEarlier)
    def earlier_items(self, message: ThreadView.NeedEarlier) -> None:
        self.load_earlier_items(message.thread_id, message.before)

    @work(exclusive=True, group="earlier", exit_on_error=False)
    async def load_earlier_items(self, thread_id: str, before: str) -> None:
        page = await items_before(self.ctx.client, thread_id, before, limit=self.ctx.item_page_size)
        self.post_message(EarlierItemsLoaded(thread_id, before, page))

    async def on_earlier_items_loaded(self, message: EarlierItemsLoaded) -> None:
        view = self.view
        if message.thread_id != view.thread_id or message.before != view.first_id:
            return
        page = message.page
        repeated = not page.first_id or page.first_id == message.before
        await view.prepend_items(
            page.data, has_earlier=page.has_more and not repeated, first_id=page.first_id
        )

    @on(ThreadView.NeedTop)
    def from_the_top(self, message: ThreadView.NeedTop) -> None:
        self.open_in_view(message.thread)

    @work(exclusive=True, group="items", exit_on_error=False)
    async def load_items(self, thread_id: str, after: str | None) -> None:
        page = await self.ctx.client.threads.list_items(
            thread_id, limit=self.ctx.item_page_size, order="asc", after=after
        )
        self.post_message(ItemsLoaded(thread_id, after, page))

    @on(ThreadView.NeedMore)
    def more_items(self, message: ThreadView.NeedMore) -> None:
        self.load_items(message.thread_id, message.after)

    def on_items_loaded(self, message: ItemsLoaded) -> None:
        view = self.view
        if message.thread_id != view.thread_id or message.after != view.last_id:
            return  # a page for a view since started over
        page = message.page
        repeated = page.has_more and (not page.last_id or page.last_id == message.after)
        view.add_items(page.data, has_more=page.has_more and not repeated, last_id=page.last_id)
        if repeated:
            view.stop("the server repeated a page of items (its cursor did not advance)")

    @on(ThreadList.Opened, "#threads")
    def opened(self, message: ThreadList.Opened) -> None:
        if self.view.thread_id != message.thread.id:
            if self._debounce is not None:
                self._debounce.stop()
            self.open_in_view(message.thread)
        self._focus(self.view)

    def action_switch_pane(self) -> None:
        """tab: from the list into the thread view (opening the thread), and back (to the
        list: tab switches panes, it does not go back to insights)."""
        if self.view.has_focus:
            self._back_to_list()
        else:
            self.thread_list.action_open()

    def action_back(self) -> None:
        if self.query_one("#find", Input).has_focus:
            self._close_find(clear=True)
            return
        if self.thread_list.has_focus and self.clear_marks():
            return
        insights, self._insights = self._insights, None  # kept installed: pushed again
        self._back_to_list()
        if insights is not None:  # the thread was opened from insights: back there
            insights.choice = None
            self.host.push_screen(insights, lambda _: self.insight_chosen(insights))

    def _back_to_list(self) -> None:
        self._focus(self.thread_list)
        self._follow_list()

    def _follow_list(self) -> None:
        """Back in the list: the view shows the cursor's thread again (it may have moved)."""
        current = self.thread_list.current
        if (current.id if current else None) != self.view.thread_id:
            self._open_soon(current)

    def thread_gone(self, thread_id: str) -> None:
        if self.view.thread_id == thread_id and self.view.has_focus:
            self.action_back()  # the thread being read was deleted: back to the list

    def _focus(self, widget: ThreadList | ThreadView) -> None:
        """Show the pane of ``widget`` (narrow layout: one pane at a time) and focus it."""
        if widget is not self.view:
            self._forget_insights()  # out of the thread: esc no longer leads back to them
        self.set_class(widget is self.view, "-viewing")
        self._focus_now(widget)

    def _focus_now(self, widget: Widget) -> None:
        """Focus at once (not after queued keys): apply the CSS so ``widget`` is shown first.

        ``Widget.focus()`` waits for the message queue, so keys typed right after ``/`` or
        enter (a paste, a fast typist, tmux send-keys) would still go to the old widget.
        """
        if widget is not self.view:
            self._forget_insights()
        self.host.refresh_css(animate=False)
        self.set_focus(widget)

    def jump_to(self, thread_id: str) -> None:
        """Select ``thread_id`` if loaded, else fetch it and show it in the view."""
        self._forget_insights()  # another thread (the palette, a search hit): not theirs
        if self.thread_list.select_thread(thread_id):
            self.thread_list.action_open()
            return
        self.fetch_thread(thread_id)

    @work(exclusive=True, group="fetch", exit_on_error=False)
    async def fetch_thread(self, thread_id: str) -> None:
        thread = await self.ctx.client.threads.retrieve(thread_id)
        self.post_message(ThreadFetched(thread))

    def on_thread_fetched(self, message: ThreadFetched) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.open_in_view(message.thread)
        self._focus(self.view)

    # --- filters -----------------------------------------------------------------------------

    def action_user_filter(self) -> None:
        if not self.offers("main.user_filter"):
            return

        def apply(user: str | None) -> None:
            if user is None:
                return
            self.set_user(user or None)

        self.host.push_screen(UserFilterScreen(self.user), apply)

    def set_user(self, user: str | None) -> None:
        self.user = user
        self.reload()

    def action_flip_order(self) -> None:
        self.order = "asc" if self.order == "desc" else "desc"
        self.reload()

    def action_refresh(self) -> None:
        current = self.thread_list.current
        self.reload(keep=current.id if current else None)

    def action_find(self) -> None:
        find = self.query_one("#find", Input)
        find.add_class("-active")
        self.set_class(False, "-viewing")  # narrow layout: the box is in the list's pane
        self._focus_now(find)

    @on(Input.Changed, "#find")
    def find_changed(self, event: Input.Changed) -> None:
        self.thread_list.set_filter(event.value)
        self._update_status()

    @on(Input.Submitted, "#find")
    def find_submitted(self) -> None:
        self._close_find(clear=False)

    def _close_find(self, *, clear: bool) -> None:
        find = self.query_one("#find", Input)
        if clear:
            find.value = ""
            self.thread_list.set_filter("")
        if not find.value:
            find.remove_class("-active")
        self._focus_now(self.thread_list)
        self._update_status()

    def action_copy_id(self) -> None:
        thread = self.selected_thread
        if thread is None:
            return
        if thread.id is None:
            self.host.notify("This thread has no id (it did not decode).", title="Thread id")
            return
        self.host.copy_to_clipboard(thread.id)
        self.host.notify(f"Copied {one_line(thread.id)}", title="Thread id")

    # --- search (a mirror of the deployment) -----------------------------------------------

    def mirror_to_search(self) -> MirrorTarget | None:
        """The mirror this app browses, or online the mirror of its endpoint if one exists."""
        ctx = self.ctx
        if ctx.mirror_path is not None:
            return ctx.mirror_path
        from chatkit_tui.core.mirror import default_mirror_path

        path = default_mirror_path(ctx.client.base_url, ctx.project)
        return path if path.exists() else None

    def action_search(self) -> None:
        path = self.mirror_to_search()
        if path is None:
            self.host.notify(
                "There is no mirror of this endpoint to search: make one with "
                "chatkit-tui mirror (the API cannot search what was said).",
                title="Search",
                severity="warning",
                timeout=10,
            )
            return
        from chatkit_tui.tui.search.screen import SearchScreen

        online = self.ctx.mirror_path is None
        what = f"mirror of {self.ctx.client.base_url}" if online else self.ctx.endpoint_label
        self.host.push_screen(SearchScreen(path, what=what, online=online), self.open_hit)

    def open_hit(self, hit: SearchHit | None) -> None:
        """Open the hit's thread (live, when online) at the item that matched."""
        if hit is None:
            return
        self._forget_insights()  # a hit opened from the thread view: esc goes to the list
        at = None
        if hit.seq is not None:
            at = ItemPosition(hit.seq, hit.item_id, hit.after_id, hit.after_seq)
        view = self.view
        if view.seek(hit.thread_id, at):
            pass  # shown already: scrolled to the item, or paging on to it
        elif view.thread is not None and view.thread_id == hit.thread_id:
            self.open_in_view(view.thread)  # shown, not that far: read around the item
        else:
            self.jump_to(hit.thread_id)
        self._focus(view)

    # --- insights (charts of the mirror) -----------------------------------------------------

    def action_insights(self) -> None:
        path = self.mirror_to_search()
        if path is None:
            self.host.notify(
                "There is no mirror of this endpoint to chart: make one with "
                "chatkit-tui mirror (insights are computed from it, not from the API).",
                title="Insights",
                severity="warning",
                timeout=10,
            )
            return
        from chatkit_tui.tui.insights.screen import InsightsScreen

        self._forget_insights()
        online = self.ctx.mirror_path is None
        what = f"mirror of {self.ctx.client.base_url}" if online else ""
        screen = InsightsScreen(path, what=what, users_filter=self.offers("main.user_filter"))
        # installed: closing it does not tear it down, so that esc from a thread opened
        # from it can go back to it as it was (uninstalled by _forget_insights)
        self.host.install_screen(screen, name=INSIGHTS_SCREEN)  # pyright: ignore[reportUnknownMemberType]
        self.host.push_screen(screen, lambda _: self.insight_chosen(screen))

    def insight_chosen(self, screen: InsightsScreen) -> None:
        """The insights screen closed: enter on a thread opens it (live, online), esc in its
        view goes back to the screen; a user filters the list; esc closed it."""
        choice = screen.choice
        if choice is not None and choice[0] == "thread":
            self.jump_to(choice[1])
            self._focus(self.view)
            self._insights = screen
            return
        self._insights = screen
        self._forget_insights()
        if choice is not None:
            self.set_user(choice[1])
            self._focus(self.thread_list)

    def _forget_insights(self) -> None:
        """esc in the thread view no longer goes back to the insights screen: it goes."""
        screen, self._insights = self._insights, None
        if screen is None or screen in self.host.screen_stack:
            return
        self.host.uninstall_screen(screen)  # pyright: ignore[reportUnknownMemberType]
        screen.remove()

    def action_sessions(self) -> None:
        if not self.offers("main.sessions"):
            return
        from chatkit_tui.tui.sessions.screen import open_session_panel

        open_session_panel(self.host)

    # --- failures ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[object] = event.worker  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        if event.state != WorkerState.ERROR or worker.error is None:
            return

        reason = describe_error(worker.error)
        if worker.group == "threads":
            self.thread_list.set_paging(
                has_more=self.thread_list.has_more,
                fetching=False,
                stopped=f"{reason} — press r to retry",
            )
            self._update_status()
            title = "Could not load threads"
        elif worker.group == "items":
            self.view.stop(f"{reason}")
            title = "Could not load items"
        elif worker.group == "earlier":
            self.view.stop_earlier(reason)
            title = "Could not load earlier items"
        elif worker.group == "fetch":
            title = "Could not open thread"
        else:
            title = "Error"
        self.host.notify(reason, title=title, severity="error", timeout=10)
