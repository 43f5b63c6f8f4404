"""Threads -> what the thread list and the view's header show. Pure functions, no widgets.

Everything that comes from the API goes through :func:`chatkit_tui.core.text.one_line`
(terminal control characters made visible) and into ``rich.text.Text`` objects built
directly, so it is never parsed as Textual or Rich markup. Thread items: :mod:`.render_items`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from chatkit_tui.client.models import Thread
from chatkit_tui.core import text as core_text
from chatkit_tui.core.text import one_line
from chatkit_tui.core.times import absolute_time, relative_long, relative_short


def thread_title(thread: Thread) -> str:
    return one_line(thread.title) if thread.title and thread.title.strip() else "Untitled"


def status_word(thread: Thread) -> str:
    return thread.status.type


def status_detail(thread: Thread) -> str:
    reason = thread.status.reason
    word = thread.status.type
    return f"{word}: {one_line(reason)}" if reason else word


@dataclass(frozen=True)
class Columns:
    """Cell widths of the thread list for a given width (0 = column hidden)."""

    title: int
    user: int
    status: int
    age: int
    id: int

    @property
    def total(self) -> int:
        return 2 + self.title + self.user + self.status + self.age + self.id


def columns_for(width: int) -> Columns:
    """Choose column widths: title first, then id; user/status/age stay compact.

    At 80 columns: title 28, user 16, status 7, age 5, id 22 (the useful part of an id).
    """
    usable = max(width - 2, 10)  # 2: the cursor/marker gutter
    status, age = 7, 5
    if usable < 40:
        user = 0
        status = 0
        ident = 0
        title = usable - age
        return Columns(title=max(title, 5), user=user, status=status, age=age, id=ident)
    user = 16 if usable >= 70 else 12
    rest = usable - user - status - age
    ident = min(max(rest * 2 // 5, 12), 40)
    title = rest - ident
    return Columns(title=title, user=user, status=status, age=age, id=ident)


def fit(text: str, width: int) -> str:
    """``text`` padded/cut to ``width`` cells (cut with an ellipsis; one space kept after)."""
    if width <= 0:
        return ""
    return core_text.fit(text, width - 1) + " "


def thread_cells(thread: Thread, now: float, cols: Columns) -> list[tuple[str, str]]:
    """The cells of one row as (text, role) pairs; role names the style to use."""
    status = status_word(thread)
    return [
        (fit(thread_title(thread), cols.title), "title" if thread.title else "untitled"),
        (fit(one_line(thread.user), cols.user), "user"),
        (fit("" if status == "active" else status, cols.status), status),
        (fit(relative_short(thread.created_at, now), cols.age), "age"),
        (fit(one_line(thread.id), cols.id), "id"),
    ]


def header_cells(cols: Columns) -> list[str]:
    return [
        fit("Title", cols.title),
        fit("User", cols.user),
        fit("Status", cols.status),
        fit("Age", cols.age),
        fit("ID", cols.id),
    ]


def thread_matches(thread: Thread, needle: str) -> bool:
    """The ``/`` filter: ``needle`` (lower case) in the title, user or id."""
    return (
        needle in thread.id.lower()
        or needle in thread.user.lower()
        or (thread.title is not None and needle in thread.title.lower())
    )


def thread_header(thread: Thread, now: float) -> Text:
    """The thread view's header: title, id, user, status and reason, created."""
    text = Text()
    text.append(thread_title(thread), style="bold")
    text.append("\n")
    rows = [
        ("id", one_line(thread.id)),
        ("user", one_line(thread.user)),
        ("status", status_detail(thread)),
        (
            "created",
            f"{absolute_time(thread.created_at)} ({relative_long(thread.created_at, now)})",
        ),
    ]
    for i, (label, value) in enumerate(rows):
        text.append(f"{label:>8}  ", style="dim")
        text.append(value, style="bold" if label == "status" and value != "active" else "")
        if i < len(rows) - 1:
            text.append("\n")
    return text


def paging_row(stopped: str | None, fetching: bool, has_more: bool, *, filtered: bool) -> str:
    """The thread list's last row while it pages: why it stopped, or that more is coming."""
    if stopped:
        return f"  ⚠ {stopped}"
    if has_more and filtered and not fetching:
        return "  ⋯ more threads on the server: the / filter searches loaded ones"
    if has_more or fetching:
        return "  ⋯ loading more threads…"
    return ""
