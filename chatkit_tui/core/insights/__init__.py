"""Insights: a whole deployment at a glance, from its mirror. Textual-free.

- :mod:`.model`: the figures, one msgspec Struct per section, and :class:`Filters`;
- :mod:`.sections`: one function per section (``activity(mirror, filters)`` ...), each a
  few SQL queries over the summaries, and :func:`gather` for all of them;
- :mod:`.summaries`: the summary tables, kept current by ``mirror`` in the transaction
  of each thread it writes, built in place for a file made before them;
- :mod:`.opening`: ``open_for_insights(path)``, the mirror open read-only with its
  summaries built first when it needs them and can be written (not imported here: the
  mirror's store imports this package).
"""

from chatkit_tui.core.insights.model import (
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
    ThreadRef,
    TimeToAnswer,
    ToolCount,
    ToolMix,
    UserActivity,
    WentWrong,
)
from chatkit_tui.core.insights.sections import (
    active_users,
    activity,
    gather,
    hours,
    item_mix,
    overview,
    statuses,
    time_to_answer,
    tool_mix,
    went_wrong,
)
from chatkit_tui.core.insights.summaries import SummariesMissing

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
    "SummariesMissing",
    "ThreadList",
    "ThreadRef",
    "TimeToAnswer",
    "ToolCount",
    "ToolMix",
    "UserActivity",
    "WentWrong",
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
