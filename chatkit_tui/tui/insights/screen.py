"""The insights screen (i): a whole deployment at a glance, in charts, from its mirror.

Each section (:data:`chatkit_tui.core.charts.insights.SECTIONS`) is computed in a thread
worker, one after another, and posted as it is done (:class:`SectionComputed`): the
first chart is on screen before the rest are computed. ``n`` shows every chart's figures
as a table instead, and back. The since/until/user boxes at the top filter every figure
(enter applies). A "went wrong" list opens its thread on enter; the most active users
filter the main thread list by the user chosen. Every word from the API (titles, user
ids, tool names, widget types) is drawn literally (:mod:`chatkit_tui.core.charts.draw`),
never as markup.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from chatkit_tui.core.mirror.url import MirrorUrl
from textual.worker import Worker, WorkerState

from chatkit_tui.core.charts.draw import Figure, Listing
from chatkit_tui.core.charts.insights import SECTIONS
from chatkit_tui.core.insights import Filters
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.base import ChatKitScreen, describe_error

HINT = "n numbers · f filter · enter opens · esc back"


@dataclass
class SectionComputed(Message):
    """A section's figures, or why it has none (``error``)."""

    generation: int
    key: str
    figures: list[Figure]
    error: str | None = None


def parse_moment(text: str, now: float, *, until: bool = False) -> int | None:
    """What ``insights --since`` / ``--until`` read: a date (UTC), a date-time, or an age
    (``7d``: that long before now), as epoch seconds; an until-date counts through that
    day. Empty: None. Anything else raises ValueError, worded."""
    from chatkit_tui.core.purge import RuleError, parse_cutoff

    text = text.strip()
    if not text:
        return None
    try:
        moment, age = parse_cutoff(text, now)
    except RuleError as exc:
        raise ValueError(f"{one_line(text)!r}: {exc}") from None
    if until and age is None and len(text) == 10:
        moment += 86_400  # a bare date: through the end of that day
    return moment


class FigureView(Widget, can_focus=True):
    """One chart (or its table of figures), drawn at the widget's width."""

    def __init__(self, title: str, *, focusable: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, classes="insight")
        self.can_focus = focusable
        self.title = title
        self.figure: Figure | None = None
        self.numbers = False
        self.error: str | None = None
        self._drawn: tuple[tuple[int, bool], Text] | None = None

    def fail(self, error: str) -> None:
        self.error = error
        self.refresh(layout=True)

    def set_numbers(self, numbers: bool) -> None:
        self.numbers = numbers
        self.refresh(layout=True)

    def drawing(self, width: int) -> Text:
        if self.figure is not None:
            # drawn once a width: layout asks for the height, then the lines, on every pass
            key = (width, self.numbers)
            if self._drawn is None or self._drawn[0] != key:
                self._drawn = (key, self.figure.render(width, numbers=self.numbers))
            return self._drawn[1]
        text = Text(self.title, style="bold", end="")
        if self.error is not None:
            text.append(f"\n{one_line(self.error)}", style="bold")
        else:
            text.append("\ncomputing…", style="dim")
        return text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # measured here: Textual caches a height by width alone, and a figure that
        # arrives (or turns into its table) changes it at the same width
        drawing = self.drawing(width)
        return len(drawing.wrap(Console(width=width), width))

    def render(self) -> RenderResult:
        return self.drawing(self.content_size.width or 80)


class EntryList(OptionList):
    """A list of threads or users: enter chooses one (:class:`InsightsScreen` acts)."""

    def __init__(self, figure: Figure, *, width: int, id: str | None = None) -> None:
        chart = figure.chart
        assert isinstance(chart, Listing)
        lines = chart.draw(max(40, width)).split("\n")
        # the options are given here, not added in on_mount: an OptionList is not yet
        # "mounted" in its own on_mount, so options added there ask for no new layout, and
        # on a busy machine the list kept the height of no options (seen in CI)
        rows = lines[1 : 1 + len(chart.entries)]
        super().__init__(
            *[Option(row, id=str(i)) for i, row in enumerate(rows)], id=id, classes="insight-list"
        )
        self.figure = figure
        self.lines = lines
        """The list as one table: its heading, then a line an entry (columns aligned)."""

    @property
    def listing(self) -> Listing:
        chart = self.figure.chart
        assert isinstance(chart, Listing)
        return chart

    def heading(self) -> Text:
        """The table's heading line, for the title above the list."""
        return self.lines[0]


class InsightsScreen(ChatKitScreen):
    """Charts of the mirror at ``path``. Closes with :attr:`choice` set when enter chose a
    thread (to open) or a user (to filter the list by: only if ``users_filter``)."""

    AUTO_FOCUS = ""  # not the since box: the first chart, when it comes

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="insights.close"),
        Binding("n", "numbers", "Numbers", id="insights.numbers"),
        Binding("f", "filters", "Filter", id="insights.filters"),
        Binding("r", "refresh", "Refresh", id="insights.refresh"),
    ]

    def __init__(
        self,
        path: Path | MirrorUrl,
        *,
        what: str,
        users_filter: bool,
    ) -> None:
        super().__init__(id="insights")
        self.path = path
        self.what = what  # which mirror of what, for the top bar
        self.users_filter = users_filter
        self.filters = Filters()
        self.generation = 0
        self.numbers = False
        self.done = 0
        self.choice: tuple[str, str] | None = None
        """What enter chose: ("thread", id) or ("user", id); the main screen acts on it."""

    def compose(self) -> ComposeResult:
        top = self.top_bar("Insights")
        top.append(f"  {one_line(self.what)}", style="dim")
        yield Static(top, id="insights-topbar")
        with Horizontal(id="insights-filters"):
            yield Input(placeholder="since 2026-11-01 or 7d", id="insights-since", compact=True)
            yield Input(placeholder="until (a day counts)", id="insights-until", compact=True)
            if self.ctx.offer.users:
                yield Input(placeholder="user id", id="insights-user", compact=True)
        yield VerticalScroll(id="insights-body")
        yield Static("", id="insights-status")
        yield Footer(compact=True)

    @property
    def body(self) -> VerticalScroll:
        return self.query_one("#insights-body", VerticalScroll)

    async def on_mount(self) -> None:
        await self.recompute()

    # --- computing -------------------------------------------------------------------------

    async def recompute(self) -> None:
        """Every section computed again, over the current filters; placeholders until then."""
        self.generation += 1
        self.done = 0
        body = self.body
        await body.remove_children()
        await body.mount_all(
            [
                Vertical(FigureView(section.title, focusable=False), id=f"section-{section.key}")
                for section in SECTIONS
            ]
        )
        body.scroll_home(animate=False)
        # no focus until the first chart comes (a placeholder taking it would hand it on
        # to a filter box when it is replaced); keys still reach the screen
        self.set_focus(None)
        self._update_status()
        self.compute(self.generation, self.filters)

    @work(thread=True, exclusive=True, group="insights", exit_on_error=False)
    def compute(self, generation: int, filters: Filters) -> None:
        from chatkit_tui.core.errors import WordedError
        from chatkit_tui.core.insights import SummariesMissing
        from chatkit_tui.core.insights.opening import open_for_insights

        def failed(keys: list[str], why: str) -> None:
            for key in keys:
                self.post_message(SectionComputed(generation, key, [], why))

        keys = [section.key for section in SECTIONS]
        try:
            # a mirror made before insights gets its summaries built, as `insights` does,
            # unless nothing may be written (read-only mode, --mirror): then what to run
            mirror = open_for_insights(self.path, build=not self.ctx.read_only)
        except WordedError as exc:  # not a mirror, damaged, busy, summaries missing
            failed(keys, str(exc))
            return
        except (OSError, sqlite3.Error) as exc:
            failed(keys, f"the mirror cannot be read: {exc}")
            return
        with mirror:
            for i, section in enumerate(SECTIONS):
                if generation != self.generation:
                    return  # the filters changed: a new worker computes them
                try:
                    figures = section.figures(mirror, filters)
                except SummariesMissing as exc:  # no section can be: said once for all
                    failed(keys[i:], str(exc))
                    return
                except WordedError as exc:  # a damaged page: what is damaged, how to repair
                    failed([section.key], str(exc))
                except (OSError, sqlite3.Error) as exc:
                    failed([section.key], f"could not be computed: {exc}")
                else:
                    self.post_message(SectionComputed(generation, section.key, figures))

    async def on_section_computed(self, message: SectionComputed) -> None:
        if message.generation != self.generation:
            return  # figures for filters since changed
        box = self.query_one(f"#section-{message.key}", Vertical)
        placeholder = box.query_one(FigureView)
        if message.error is not None:
            placeholder.fail(message.error)
            self.done += 1
            self._update_status(message.error)
            return
        widgets: list[Widget] = []
        for figure in message.figures:
            if isinstance(figure.chart, Listing):
                title = Text(figure.title, style="bold", end="")
                if figure.note:
                    title.append(f"  {figure.note}", style="dim")
                if figure.chart.entries:
                    entries = EntryList(figure, width=self.size.width - 6, id=f"list-{figure.key}")
                    title.append("\n")
                    title.append_text(entries.heading())
                    widgets.append(Static(title, classes="insight-title"))
                    widgets.append(entries)
                else:
                    widgets.append(Static(title, classes="insight-title"))
                    widgets.append(Static(Text("(none)", style="dim"), classes="insight-none"))
            else:
                view = FigureView(figure.title, id=f"figure-{figure.key}")
                view.figure = figure
                view.numbers = self.numbers
                widgets.append(view)
        await box.remove_children()
        await box.mount_all(widgets)
        self.done += 1  # counted once its charts are mounted: `done` means on screen
        if self.focused is None or self.focused is self.body:
            self._focus_first()  # the first chart; not away from a filter box being typed in
        self._update_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure no section caught: said where the sections not yet computed are."""
        worker: Worker[object] = event.worker  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        reason = describe_error(worker.error)
        for view in self.body.query(FigureView):
            if view.figure is None and view.error is None:
                view.fail(reason)
        self.done = len(SECTIONS)
        self._update_status(reason)
        self.host.notify(reason, title="Insights", severity="error", timeout=10)

    def _focus_first(self) -> None:
        for widget in self.body.query("FigureView, EntryList"):
            if widget.can_focus:
                widget.focus()
                return

    def _update_status(self, error: str | None = None) -> None:
        text = Text(end="")
        total = len(SECTIONS)
        if self.done < total:
            text.append(f" computing {self.done + 1} of {total}…", style="bold")
        else:
            text.append(f" {total} sections")
        shown = self._filters_said()
        if shown:
            text.append(f" · {shown}", style="bold")
        if self.numbers:
            text.append(" · numbers", style="bold")
        if error:
            text.append(f" · {one_line(error)}", style="bold")
        text.append(f" · {HINT}", style="dim")
        self.query_one("#insights-status", Static).update(text)

    def _filters_said(self) -> str:
        said: list[str] = []
        for name, box in (("since", "#insights-since"), ("until", "#insights-until")):
            value = self.query_one(box, Input).value.strip()
            if value and getattr(self.filters, name) is not None:
                said.append(f"{name} {one_line(value)}")
        if self.filters.user is not None:
            said.append(f"user {one_line(self.filters.user)}")
        return " · ".join(said)

    # --- keys ------------------------------------------------------------------------------

    def action_close(self) -> None:
        if isinstance(self.focused, Input):  # out of the filter boxes, to the charts
            self._focus_first()
            return
        self.dismiss()

    def action_numbers(self) -> None:
        self.numbers = not self.numbers
        for view in self.query(FigureView):
            view.set_numbers(self.numbers)
        self._update_status()

    def action_filters(self) -> None:
        self.query_one("#insights-since", Input).focus()

    async def action_refresh(self) -> None:
        await self.recompute()

    @on(Input.Submitted)
    async def apply_filters(self) -> None:
        try:
            now = self.ctx.now()
            since = parse_moment(self.query_one("#insights-since", Input).value, now)
            until = parse_moment(self.query_one("#insights-until", Input).value, now, until=True)
        except ValueError as exc:
            self.host.notify(str(exc), title="Insights filter", severity="warning")
            return
        if since is not None and until is not None and until <= since:
            self.host.notify(
                "until is before since: no day is in between",
                title="Insights filter",
                severity="warning",
            )
            return
        user: str | None = None
        boxes = self.query("#insights-user")
        if boxes:
            user = boxes.first(Input).value.strip() or None
        self.filters = Filters(since=since, until=until, user=user)
        await self.recompute()

    @on(OptionList.OptionSelected, ".insight-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        entries = event.option_list
        assert isinstance(entries, EntryList)
        entry = entries.listing.entries[int(event.option.id or 0)]
        if entries.listing.kind == "thread" or self.users_filter:
            self.choice = (entries.listing.kind, entry.target)
            self.dismiss()
        else:
            self.host.notify(
                "This deployment cannot filter threads by user.",
                title="Insights",
                severity="warning",
            )
