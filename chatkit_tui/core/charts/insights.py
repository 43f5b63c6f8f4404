"""The insights figures drawn: each section of :mod:`chatkit_tui.core.insights` (its
Struct) as the charts the screen shows and ``insights --svg`` writes, in one order.

Textual-free. :data:`SECTIONS` pairs each section's function (a few SQL queries over the
mirror) with its drawing, so that the screen computes and draws them one at a time, the
first chart on screen before the rest are computed; :func:`all_figures` draws every
section of an :class:`~chatkit_tui.core.insights.Insights` (the picture).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import chatkit_tui.core.insights.sections as queries
from chatkit_tui.core.charts.draw import (
    Bars,
    Columns,
    Entry,
    Facts,
    Figure,
    Heatmap,
    Listing,
    number,
)
from chatkit_tui.core.insights import (
    ActiveUsers,
    Activity,
    BusiestHours,
    Filters,
    Insights,
    ItemMix,
    Overview,
    Spread,
    Statuses,
    ThreadList,
    TimeToAnswer,
    ToolMix,
    WentWrong,
)
from chatkit_tui.core.times import short_time

if TYPE_CHECKING:
    from chatkit_tui.core.insights.sections import Readable

T = TypeVar("T")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
UNTITLED = "Untitled"


def _span(counts: dict[str, int], step: int) -> list[tuple[str, float]]:
    """Every day (``step`` 1) or week (7) from the first to the last of ``counts``, the
    ones it does not name at zero: a chart of only the busy days would hide the quiet."""
    if not counts:
        return []
    try:
        days = sorted(date.fromisoformat(day) for day in counts)
    except ValueError:  # not dates: drawn as they come
        return [(key, counts[key]) for key in sorted(counts)]
    points: list[tuple[str, float]] = []
    day = days[0]
    while day <= days[-1] and len(points) < 100_000:
        key = day.isoformat()
        points.append((key, counts.get(key, 0)))
        day += timedelta(days=step)
    return points


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{number(value)} s"
    if value < 7200:
        return f"{number(round(value / 60, 1))} min"
    return f"{number(round(value / 3600, 1))} h"


def _spread(spread: Spread, unit: Callable[[float | None], str] = lambda v: number(v or 0)) -> str:
    if not spread.count:
        return "none"
    return f"median {unit(spread.median)} · p95 {unit(spread.p95)}"


def overview_figures(overview: Overview) -> list[Figure]:
    days = "-"
    if overview.first_day is not None:
        days = overview.first_day
        if overview.last_day is not None and overview.last_day != overview.first_day:
            days = f"{overview.first_day} to {overview.last_day}"
    facts = Facts(
        [
            ("thread" if overview.threads == 1 else "threads", overview.threads),
            ("user" if overview.users == 1 else "users", overview.users),
            ("item" if overview.items == 1 else "items", overview.items),
            ("from", days),
        ]
    )
    return [Figure("overview", "Overview", facts)]


def activity_figures(activity: Activity) -> list[Figure]:
    weekly = activity.granularity == "week"
    unit = "week" if weekly else "day"
    threads = activity.threads_per_week if weekly else activity.threads_per_day
    users = activity.users_per_week if weekly else activity.users_per_day
    step = 7 if weekly else 1
    return [
        Figure(
            "threads_per_day",
            f"Threads started per {unit}",
            Columns(_span(threads, step), unit=unit, value="threads"),
            note=f"{sum(threads.values()):,} in all" + (" · weeks from Monday" if weekly else ""),
        ),
        Figure(
            "users_per_day",
            f"Users per {unit}",
            Columns(_span(users, step), unit=unit, join="max", value="users"),
            note="distinct users starting a thread",
        ),
    ]


def hours_figures(hours: BusiestHours) -> list[Figure]:
    rows = [(WEEKDAYS[i], [float(v) for v in row]) for i, row in enumerate(hours.grid[:7])]
    heat = Heatmap(rows, [str(h) for h in range(24)])
    return [Figure("hours", "Busiest hours", heat, note="threads started, UTC")]


def status_figures(statuses: Statuses) -> list[Figure]:
    rows: list[tuple[str, Sequence[float]]] = []
    for status, count in sorted(statuses.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append((status, [count]))
        reasons = statuses.reasons.get(status, {})
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append((f"└ {reason or '(no reason given)'}", [n]))
    chart = Bars(rows, label="status (reasons under it)")
    return [Figure("statuses", "Statuses", chart)]


def _size_bucket(items: int) -> tuple[int, str]:
    """Items per thread grouped 0, 1, 2, 3-4, 5-8, 9-16, ... (one bar a power of two)."""
    if items <= 2:
        return items, str(items)
    top = 4
    while items > top:
        top *= 2
    return top, f"{top // 2 + 1}-{top}"


def item_figures(mix: ItemMix) -> list[Figure]:
    types = sorted(mix.item_types.items(), key=lambda kv: (-kv[1], kv[0]))
    buckets: dict[int, tuple[str, int]] = {}
    for items, threads in mix.items_per_thread.items():
        key, label = _size_bucket(items)
        buckets[key] = (label, buckets.get(key, (label, 0))[1] + threads)
    # every bucket from the smallest to the largest, the empty ones too: it is a histogram
    keys = [0, 1, 2]
    while buckets and keys[-1] < max(buckets):
        keys.append(keys[-1] * 2 if keys[-1] > 2 else 4)
    low = min(buckets, default=0)
    histogram = [
        (buckets[k][0] if k in buckets else _size_bucket(k)[1], [float(buckets.get(k, ("", 0))[1])])
        for k in keys
        if k >= low and k <= max(buckets, default=-1)
    ]
    return [
        Figure(
            "item_types",
            "Item types",
            Bars([(kind, [n]) for kind, n in types], label="type"),
            note=f"{sum(mix.item_types.values()):,} items",
        ),
        Figure(
            "items_per_thread",
            "Items per thread",
            Bars(histogram, label="items"),
            note=_spread(mix.per_thread),
        ),
    ]


def answer_figures(answers: TimeToAnswer) -> list[Figure]:
    days = sorted(answers.per_day.items())
    chart = Columns(
        [(day, float(spread.median or 0)) for day, spread in days],
        value="median s",
        details=[
            ("p95 s", [float(spread.p95 or 0) for _, spread in days]),
            ("answers", [float(spread.count) for _, spread in days]),
        ],
        join="max",
    )
    note = _spread(answers.overall, _seconds)
    if answers.overall.count:
        note += f" · {answers.overall.count:,} answers"
    return [Figure("time_to_answer", "Time to answer (median seconds per day)", chart, note=note)]


def _threads(key: str, title: str, found: ThreadList) -> Figure:
    entries = [
        Entry(
            ref.id,
            ref.title or UNTITLED,
            [ref.user or "-", short_time(ref.created_at)],
        )
        for ref in found.threads
    ]
    listing = Listing("thread", ["thread", "user", "started"], entries, found.total - len(entries))
    return Figure(key, title, listing, note=f"{found.total:,}")


def went_wrong_figures(wrong: WentWrong) -> list[Figure]:
    return [
        _threads("unanswered", "Unanswered: the last user message has no reply", wrong.unanswered),
        _threads("pending_tools", "Client tool calls still pending", wrong.pending_tools),
        _threads("unfinished", "Tasks and workflows left unfinished", wrong.unfinished),
    ]


def tool_figures(mix: ToolMix) -> list[Figure]:
    tools = sorted(
        mix.tool_calls.items(), key=lambda kv: (-(kv[1].completed + kv[1].pending), kv[0])
    )
    widgets = sorted(mix.widgets.items(), key=lambda kv: (-kv[1], kv[0]))
    attachments = sorted(mix.attachments.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        Figure(
            "tool_calls",
            "Client tool calls by name",
            Bars(
                [(name, [c.completed, c.pending]) for name, c in tools],
                parts=("completed", "pending"),
                label="tool",
            ),
        ),
        Figure("widgets", "Widgets by type", Bars([(k, [n]) for k, n in widgets], label="type")),
        Figure(
            "attachments",
            "Attachments by MIME type",
            Bars([(k, [n]) for k, n in attachments], label="MIME type"),
        ),
    ]


def user_figures(active: ActiveUsers) -> list[Figure]:
    entries = [
        Entry(user.user, user.user, [user.threads, user.items, user.last_day])
        for user in active.users
    ]
    listing = Listing("user", ["user", "threads", "items", "last"], entries)
    return [Figure("active_users", "Most active users", listing)]


@dataclass(frozen=True)
class Section(Generic[T]):
    """One section: its Struct computed over a mirror (a few queries), read out of an
    :class:`Insights`, and drawn as figures."""

    key: str
    title: str  # said while it is computed
    compute: Callable[[Readable, Filters], T]
    of: Callable[[Insights], T]
    draw: Callable[[T], list[Figure]]

    def figures(self, mirror: Readable, filters: Filters) -> list[Figure]:
        return self.draw(self.compute(mirror, filters))


SECTIONS: tuple[Section[Any], ...] = (
    Section("overview", "Overview", queries.overview, lambda i: i.overview, overview_figures),
    Section("activity", "Activity", queries.activity, lambda i: i.activity, activity_figures),
    Section("hours", "Busiest hours", queries.hours, lambda i: i.hours, hours_figures),
    Section("statuses", "Statuses", queries.statuses, lambda i: i.statuses, status_figures),
    Section("items", "Items", queries.item_mix, lambda i: i.items, item_figures),
    Section(
        "time_to_answer",
        "Time to answer",
        queries.time_to_answer,
        lambda i: i.time_to_answer,
        answer_figures,
    ),
    Section(
        "went_wrong",
        "Conversations that went wrong",
        queries.went_wrong,
        lambda i: i.went_wrong,
        went_wrong_figures,
    ),
    Section(
        "tools", "Tools, widgets, attachments", queries.tool_mix, lambda i: i.tools, tool_figures
    ),
    Section(
        "active_users",
        "Most active users",
        queries.active_users,
        lambda i: i.active_users,
        user_figures,
    ),
)
"""In the screen's order: the quick headline first, the lists last."""


def all_figures(insights: Insights) -> list[Figure]:
    """Every section's figures, in the screen's order (for the picture)."""
    return [figure for section in SECTIONS for figure in section.draw(section.of(insights))]
