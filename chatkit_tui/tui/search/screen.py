"""The search screen: full text over a mirror of the deployment, hits as you type.

The query goes to :meth:`chatkit_tui.core.mirror.Mirror.search` in a thread worker (SQLite
is blocking; a new query cancels the one before). A query that matches more than
:data:`~chatkit_tui.core.mirror.search.RANKED` items shows the best of those ranked at once,
says so ("best of the newest 1,000 of … (counting)"), then counts every match and says how
many. Each hit names its thread, the item's
type and a snippet with the matches highlighted; the text is the API's, so it is made
visible (:func:`chatkit_tui.core.text.visible`) piece by piece and styled by ranges, never
parsed as markup. Enter dismisses with the hit; the main screen opens its thread at the
matching item.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from chatkit_tui.core.text import one_line, visible
from chatkit_tui.core.times import short_time

if TYPE_CHECKING:
    from chatkit_tui.core.mirror import SearchHit, SearchResult
    from chatkit_tui.core.mirror.url import MirrorTarget

DEBOUNCE = 0.2
LIMIT = 50


def hit_text(hit: SearchHit) -> Text:
    """Two lines: the thread (title, type, when) and the snippet with its matches marked."""
    text = Text(end="")
    text.append(one_line(hit.thread_title or "Untitled"), style="bold")
    kind = "title" if hit.kind == "title" else hit.kind.replace("_", " ")
    text.append(f"  {kind}", style="dim")
    text.append(f"  {short_time(hit.created_at)}", style="dim")
    text.append(f"  {one_line(hit.thread_id)}", style="dim")
    if hit.gone:
        text.append("  deleted upstream", style="italic")
    text.append("\n  ")
    at = 0
    for start, end in hit.spans:
        text.append(_piece(hit.snippet[at:start]))
        text.append(_piece(hit.snippet[start:end]), style="bold reverse")
        at = end
    text.append(_piece(hit.snippet[at:]))
    return text


def _piece(text: str) -> str:
    """A piece of a snippet on one line (white space folded, its ends kept), controls
    made visible."""
    return visible(re.sub(r"\s+", " ", text))


@dataclass
class HitsFound(Message):
    query: str
    hits: list[SearchHit]
    error: str | None = None
    found: SearchResult | None = None
    """How they were ranked (None: nothing searched, or an error)."""


@dataclass
class MatchesCounted(Message):
    """Every match of a query whose hits were the best of a subset, counted."""

    query: str
    count: int


class SearchScreen(ModalScreen["SearchHit | None"]):
    """Dismisses with the hit chosen, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="search.close"),
        Binding("down", "to_hits", "Hits", show=False, id="search.hits"),
    ]

    def __init__(self, mirror: MirrorTarget, *, what: str, online: bool) -> None:
        super().__init__()
        self.mirror = mirror
        self.what = what  # which mirror of what, for the title
        self.online = online
        self.hits: list[SearchHit] = []
        self.found: SearchResult | None = None
        """How the hits shown were ranked, when of a subset (for the count's line)."""
        self._debounce: Timer | None = None
        self._latest = ""
        """The query as last typed (a worker whose query it no longer is counts nothing)."""

    def compose(self) -> ComposeResult:
        title = Text("Search every conversation", style="bold", end="")
        title.append(f"  {one_line(self.what)}", style="dim")
        if self.online:
            title.append("  (hits open live)", style="dim")
        with Vertical(id="search-dialog"):
            yield Static(title, id="search-title")
            yield Input(
                placeholder='words, "a phrase", pre* — enter goes to the hits', id="search-input"
            )
            yield OptionList(id="search-hits")
            yield Static(
                Text("type to search · enter opens · escape closes", style="dim"),
                id="search-status",
            )

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        query = self._latest = event.value
        self._debounce = self.set_timer(DEBOUNCE, lambda: self.run_search(query))

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        self.action_to_hits()

    def action_to_hits(self) -> None:
        hits = self.query_one("#search-hits", OptionList)
        if hits.option_count:
            hits.focus()
            if hits.highlighted is None:
                hits.highlighted = 0

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def run_search(self, query: str) -> None:
        from chatkit_tui.core.mirror import Mirror, MirrorDamaged, MirrorError
        from chatkit_tui.core.mirror.search import match_expression

        if match_expression(query) is None:
            self.post_message(HitsFound(query, []))
            return
        try:
            with Mirror.open(self.mirror, read_only=True) as mirror:
                found = mirror.search_page(query, limit=LIMIT)
                self.post_message(HitsFound(query, found.hits, found=found))
                if not found.capped or query != self._latest:
                    return  # every match was ranked, or the query has changed since
                count = mirror.count_matches(query)
        except MirrorDamaged as exc:  # what is damaged, how to repair it
            self.post_message(HitsFound(query, [], str(exc)))
            return
        except (OSError, MirrorError, sqlite3.Error) as exc:  # locked, gone
            self.post_message(HitsFound(query, [], f"the mirror could not be read: {exc}"))
            return
        self.post_message(MatchesCounted(query, count))

    def on_hits_found(self, message: HitsFound) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # an answer to a query since changed
        self.hits = message.hits
        self.found = message.found
        hits = self.query_one("#search-hits", OptionList)
        hits.clear_options()
        hits.add_options([Option(hit_text(hit), id=str(i)) for i, hit in enumerate(self.hits)])
        status = self.query_one("#search-status", Static)
        if message.error:
            status.update(Text(one_line(message.error), style="bold"))
        elif not message.query.strip():
            status.update(Text("type to search · enter opens · escape closes", style="dim"))
        elif not self.hits:
            status.update(Text("no matches", style="dim"))
        elif message.found is not None and message.found.capped:
            among = message.found.among  # "the newest 1,000"
            status.update(
                Text(f"best of {among} of … matches (counting) · enter opens", style="dim")
            )
        else:
            more = "+" if len(self.hits) == LIMIT else ""
            count = f"{len(self.hits):,}{more} hit{'' if len(self.hits) == 1 else 's'}"
            status.update(Text(f"{count}, best first · enter opens", style="dim"))

    def on_matches_counted(self, message: MatchesCounted) -> None:
        if message.query != self.query_one("#search-input", Input).value or self.found is None:
            return
        status = self.query_one("#search-status", Static)
        status.update(Text(f"{self.found.described(message.count)} · enter opens", style="dim"))

    @on(OptionList.OptionSelected, "#search-hits")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self.hits[index])

    def action_close(self) -> None:
        self.dismiss(None)
