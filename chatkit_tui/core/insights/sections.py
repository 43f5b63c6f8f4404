"""The figures, one function per section of the insights screen, each a few SQL queries
over the mirror's summary tables (:mod:`.summaries`), never a read of every item.

Textual-free. Each takes an open :class:`~chatkit_tui.core.mirror.Mirror` (read-only is
enough) and :class:`~.model.Filters`, returns one small Struct (:mod:`.model`), and is
safe to call from a worker thread (the mirror's connection is used under its lock). A
screen calls them one by one, drawing each section as it comes; :func:`gather` calls them
all. A damaged page raises :class:`~chatkit_tui.core.mirror.MirrorDamaged`; a file whose
summaries are not built raises :class:`~.summaries.SummariesMissing` (see
:func:`~.summaries.ensure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatkit_tui.core.insights.model import (
    ActiveUsers,
    Activity,
    BusiestHours,
    Filters,
    Insights,
    ItemMix,
    Overview,
    Statuses,
    TimeToAnswer,
    ToolMix,
    WentWrong,
)

if TYPE_CHECKING:
    from chatkit_tui.core.mirror import Mirror

__all__ = [
    "ALL",
    "LIST_LIMIT",
    "USERS_LIMIT",
    "WEEKS_AFTER_DAYS",
    "active_users",
    "activity",
    "gather",
    "hours",
    "item_mix",
    "overview",
    "statuses",
    "time_to_answer",
    "tool_mix",
    "went_wrong",
]

WEEKS_AFTER_DAYS = 92
"""Over a span of more days than this, :class:`Activity` says draw weeks."""
LIST_LIMIT = 50
"""How many threads each "went wrong" list holds by default (its ``total`` counts all)."""
USERS_LIMIT = 20
ALL = Filters()
"""No filter: every thread."""


def overview(mirror: Mirror, filters: Filters = ALL) -> Overview:
    """Threads selected, distinct users among them, their items, first and last day."""
    raise NotImplementedError("STUB (interface commit): overview")


def activity(mirror: Mirror, filters: Filters = ALL) -> Activity:
    """Threads started and distinct users starting one, per UTC day and per week."""
    raise NotImplementedError("STUB (interface commit): activity")


def hours(mirror: Mirror, filters: Filters = ALL) -> BusiestHours:
    """Threads started by weekday and hour (UTC), 7 x 24."""
    raise NotImplementedError("STUB (interface commit): hours")


def statuses(mirror: Mirror, filters: Filters = ALL) -> Statuses:
    """Threads by status type; reasons of locked and closed threads."""
    raise NotImplementedError("STUB (interface commit): statuses")


def item_mix(mirror: Mirror, filters: Filters = ALL) -> ItemMix:
    """Items by bare type; the histogram of items per thread, its median and p95."""
    raise NotImplementedError("STUB (interface commit): item_mix")


def time_to_answer(mirror: Mirror, filters: Filters = ALL) -> TimeToAnswer:
    """Seconds from a user message to the first assistant message after it: overall and
    per day the thread started."""
    raise NotImplementedError("STUB (interface commit): time_to_answer")


def went_wrong(mirror: Mirror, filters: Filters = ALL, limit: int = LIST_LIMIT) -> WentWrong:
    """Threads unanswered, with client tool calls pending, with tasks/workflows left
    unfinished: each a total and the newest ``limit`` of them."""
    raise NotImplementedError("STUB (interface commit): went_wrong")


def tool_mix(mirror: Mirror, filters: Filters = ALL) -> ToolMix:
    """Client tool calls by name (completed / pending), widgets by type, attachments by
    MIME type."""
    raise NotImplementedError("STUB (interface commit): tool_mix")


def active_users(mirror: Mirror, filters: Filters = ALL, limit: int = USERS_LIMIT) -> ActiveUsers:
    """The ``limit`` users who started the most selected threads."""
    raise NotImplementedError("STUB (interface commit): active_users")


def gather(mirror: Mirror, filters: Filters = ALL) -> Insights:
    """Every section (what ``insights --json`` prints)."""
    return Insights(
        filters=filters,
        overview=overview(mirror, filters),
        activity=activity(mirror, filters),
        hours=hours(mirror, filters),
        statuses=statuses(mirror, filters),
        items=item_mix(mirror, filters),
        time_to_answer=time_to_answer(mirror, filters),
        went_wrong=went_wrong(mirror, filters),
        tools=tool_mix(mirror, filters),
        active_users=active_users(mirror, filters),
    )
