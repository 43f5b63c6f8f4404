"""What insights reports: one small msgspec Struct per section of the screen, and the
:class:`Filters` every section takes. Textual-free, plain data (``msgspec.json`` encodes
every one of them as it is).

Conventions every figure follows:

- A **day** is a UTC date ``"YYYY-MM-DD"``; a **week** is named by its Monday
  (``"YYYY-MM-DD"``, UTC). A weekday is Monday=0 .. Sunday=6.
- The threads counted are those the :class:`Filters` select: created (the thread's own
  ``created_at``, as stored) in ``[since, until)``, of ``user`` when given. Every figure
  is over those threads and their items. Threads deleted upstream since they were
  mirrored (marked *gone*, their content kept) are counted: they happened; ``prune``
  takes them out of the file and out of every figure.
- ``median`` and ``p95`` are nearest-rank percentiles (the smallest value with at least
  half, or 95 %, of the values at or below it; one of the values, never an average);
  None when there are no values.
- An item's type is its bare name (``chatkit.user_message`` counts as
  ``user_message``); an item with no string type counts as ``(none)``. A thread with no
  status (an unreadable record) counts as ``(none)``.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "ActiveUsers",
    "Activity",
    "BusiestHours",
    "Filters",
    "Insights",
    "ItemMix",
    "Overview",
    "Spread",
    "Statuses",
    "ThreadList",
    "ThreadRef",
    "TimeToAnswer",
    "ToolCount",
    "ToolMix",
    "UserActivity",
    "WentWrong",
]


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """Which threads the figures are over: created at or after ``since`` and before
    ``until`` (epoch seconds, UTC; None: no bound), of ``user`` (exactly; None: all)."""

    since: int | None = None
    until: int | None = None
    user: str | None = None


class Spread(msgspec.Struct, frozen=True, kw_only=True):
    """How many values, their nearest-rank median and 95th percentile (None when none)."""

    count: int = 0
    median: int | None = None
    p95: int | None = None


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    """The headline numbers: ``threads`` selected, distinct ``users`` among them (threads
    with no user are not a user), their ``items``, the first and last day a selected
    thread was created (None when there is none)."""

    threads: int = 0
    users: int = 0
    items: int = 0
    first_day: str | None = None
    last_day: str | None = None


class Activity(msgspec.Struct, frozen=True, kw_only=True):
    """Threads started and distinct users, per UTC day (``{"YYYY-MM-DD": n}``, only the
    days that have any) and per week (named by its Monday, the same way). ``granularity``
    is what a chart should draw: ``"week"`` when the days span more than
    :data:`~chatkit_tui.core.insights.sections.WEEKS_AFTER_DAYS` days, else ``"day"``.
    A user is counted on each day (week) they started a thread."""

    threads_per_day: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    users_per_day: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    threads_per_week: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    users_per_week: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    granularity: str = "day"


class BusiestHours(msgspec.Struct, frozen=True, kw_only=True):
    """Threads started by weekday (rows, Monday=0) and hour of day (columns, 0-23), UTC:
    ``grid[weekday][hour]``; always 7 rows of 24."""

    grid: list[list[int]] = msgspec.field(default_factory=lambda: [[0] * 24 for _ in range(7)])


class Statuses(msgspec.Struct, frozen=True, kw_only=True):
    """Threads by status type (``{"active": n, "locked": n, "closed": n, ...}``; a status
    no spec names under its own name), and for ``locked`` and ``closed`` threads the
    reasons given (``{"locked": {reason: n}}``; ``""`` when none was given)."""

    counts: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    reasons: dict[str, dict[str, int]] = msgspec.field(default_factory=dict[str, dict[str, int]])


class ItemMix(msgspec.Struct, frozen=True, kw_only=True):
    """Items by bare type (``{type: n}``, unknown types under their own names), and the
    threads' sizes: ``items_per_thread`` is the histogram ``{items in a thread: threads}``
    (a thread with no items counts under 0), ``per_thread`` its count/median/p95."""

    item_types: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    items_per_thread: dict[int, int] = msgspec.field(default_factory=dict[int, int])
    per_thread: Spread = msgspec.field(default_factory=Spread)


class TimeToAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """Seconds from a user message to the first assistant message after it in its thread
    (of several user messages in a row the last one counts; an assistant message with no
    user message before it, or either without a ``created_at``, counts nothing), as
    ``assistant.created_at - user.created_at`` of the stored times. ``overall``, and
    ``per_day`` by the UTC day the thread started."""

    overall: Spread = msgspec.field(default_factory=Spread)
    per_day: dict[str, Spread] = msgspec.field(default_factory=dict[str, Spread])


class ThreadRef(msgspec.Struct, frozen=True, kw_only=True):
    """Enough of a thread to list it and open it: its id, title, user, ``created_at``
    (epoch seconds, as stored)."""

    id: str
    title: str | None
    user: str | None
    created_at: int


class ThreadList(msgspec.Struct, frozen=True, kw_only=True):
    """``total`` threads matched; ``threads``: the newest of them (at most the limit asked
    for), newest first."""

    total: int = 0
    threads: list[ThreadRef] = msgspec.field(default_factory=list[ThreadRef])


class WentWrong(msgspec.Struct, frozen=True, kw_only=True):
    """Conversations that went wrong:

    - ``unanswered``: threads whose last user message has no assistant message after it;
    - ``pending_tools``: threads holding a client tool call whose status is not
      ``completed`` (``pending``, ``in_progress``, anything else);
    - ``unfinished``: threads holding a task, task group (hosted) or workflow
      (chatkit-python) left unfinished: a task in it whose ``status_indicator`` is
      ``loading``, or a workflow with no ``summary`` (chatkit-python sets one when it ends).
    """

    unanswered: ThreadList = msgspec.field(default_factory=ThreadList)
    pending_tools: ThreadList = msgspec.field(default_factory=ThreadList)
    unfinished: ThreadList = msgspec.field(default_factory=ThreadList)


class ToolCount(msgspec.Struct, frozen=True, kw_only=True):
    """Client tool calls of one name: ``completed`` (status ``completed``) and ``pending``
    (any other status)."""

    completed: int = 0
    pending: int = 0


class ToolMix(msgspec.Struct, frozen=True, kw_only=True):
    """Client tool calls by name; widget items by their root component's ``type`` (a
    widget that does not parse: ``(unreadable)``); user-message attachments by
    ``mime_type`` (none given: ``(none)``)."""

    tool_calls: dict[str, ToolCount] = msgspec.field(default_factory=dict[str, ToolCount])
    widgets: dict[str, int] = msgspec.field(default_factory=dict[str, int])
    attachments: dict[str, int] = msgspec.field(default_factory=dict[str, int])


class UserActivity(msgspec.Struct, frozen=True, kw_only=True):
    """One user: threads started, items in them, the last day they started one."""

    user: str
    threads: int
    items: int
    last_day: str


class ActiveUsers(msgspec.Struct, frozen=True, kw_only=True):
    """The users who started the most threads (ties: the user id in order), most first."""

    users: list[UserActivity] = msgspec.field(default_factory=list[UserActivity])


class Insights(msgspec.Struct, frozen=True, kw_only=True):
    """Every section, for ``insights --json`` and the picture (see :func:`gather`)."""

    filters: Filters
    overview: Overview
    activity: Activity
    hours: BusiestHours
    statuses: Statuses
    items: ItemMix
    time_to_answer: TimeToAnswer
    went_wrong: WentWrong
    tools: ToolMix
    active_users: ActiveUsers
