"""Threads -> what the thread list and the view's header show. Pure functions, no widgets.

Everything that comes from the API goes through :func:`chatkit_tui.core.text.one_line`
(terminal control characters made visible) and into ``rich.text.Text`` objects built
directly, so it is never parsed as Textual or Rich markup. Thread items: :mod:`.render_items`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rich.text import Text

from chatkit_tui.client.models import AnyThread, UnreadableThread
from chatkit_tui.core import text as core_text
from chatkit_tui.core.items import raw_text, thread_metadata
from chatkit_tui.core.text import one_line, visible
from chatkit_tui.core.times import absolute_time, relative_long, relative_short

KNOWN_STATUSES = ("active", "locked", "closed")


def thread_key(thread: AnyThread) -> str:
    """What tells the list's rows apart: the id, or for a record without one (it did not
    decode) a name made from its bytes, which no real id looks like."""
    if thread.id is not None:
        return thread.id
    return "\0unreadable:" + hashlib.sha1(thread.raw, usedforsecurity=False).hexdigest()


def thread_title(thread: AnyThread) -> str:
    if isinstance(thread, UnreadableThread) and not (thread.title and thread.title.strip()):
        return "Unreadable thread"
    return one_line(thread.title) if thread.title and thread.title.strip() else "Untitled"


def shown_id(thread: AnyThread) -> str:
    return one_line(thread.id) if thread.id is not None else "(no id)"


def status_word(thread: AnyThread) -> str:
    """The status's type as sent (an unknown one included), on one line."""
    return one_line(thread.status.type)


def status_detail(thread: AnyThread) -> str:
    reason = thread.status.reason
    word = status_word(thread)
    return f"{word}: {one_line(reason)}" if reason else word


def status_role(thread: AnyThread) -> str:
    """The style of the status cell: a known status's own, else "unknown"."""
    word = thread.status.type
    return word if word in KNOWN_STATUSES else "unknown"


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


def columns_for(width: int, *, users: bool = True) -> Columns:
    """Choose column widths: title first, then id; user/status/age stay compact.

    At 80 columns: title 28, user 16, status 7, age 5, id 22 (the useful part of an id).
    ``users`` false (the deployment's threads name no user): no user column, its room
    shared by the title and the id.
    """
    usable = max(width - 2, 10)  # 2: the cursor/marker gutter
    status, age = 7, 5
    if usable < 40:
        user = 0
        status = 0
        ident = 0
        title = usable - age
        return Columns(title=max(title, 5), user=user, status=status, age=age, id=ident)
    user = (16 if usable >= 70 else 12) if users else 0
    rest = usable - user - status - age
    ident = min(max(rest * 2 // 5, 12), 40)
    title = rest - ident
    return Columns(title=title, user=user, status=status, age=age, id=ident)


def fit(text: str, width: int) -> str:
    """``text`` padded/cut to ``width`` cells (cut with an ellipsis; one space kept after)."""
    if width <= 0:
        return ""
    return core_text.fit(text, width - 1) + " "


def thread_cells(thread: AnyThread, now: float, cols: Columns) -> list[tuple[str, str]]:
    """The cells of one row as (text, role) pairs; role names the style to use."""
    status = status_word(thread)
    age = relative_short(thread.created_at, now) if thread.created_at is not None else "?"
    if isinstance(thread, UnreadableThread):
        title_role = "unknown"
    else:
        title_role = "title" if thread.title else "untitled"
    return [
        (fit(thread_title(thread), cols.title), title_role),
        (fit(one_line(thread.user or ""), cols.user), "user"),
        (fit("" if status == "active" else status, cols.status), status_role(thread)),
        (fit(age, cols.age), "age"),
        (fit(shown_id(thread), cols.id), "id"),
    ]


def header_cells(cols: Columns) -> list[str]:
    return [
        fit("Title", cols.title),
        fit("User", cols.user),
        fit("Status", cols.status),
        fit("Age", cols.age),
        fit("ID", cols.id),
    ]


def thread_matches(thread: AnyThread, needle: str) -> bool:
    """The ``/`` filter: ``needle`` (lower case) in the title, user or id."""
    return (
        (thread.id is not None and needle in thread.id.lower())
        or (thread.user is not None and needle in thread.user.lower())
        or (thread.title is not None and needle in thread.title.lower())
    )


def thread_header(thread: AnyThread, now: float, *, users: bool = True) -> Text:
    """The thread view's header: title, id, user (``users``: the deployment's threads name
    one), status and reason, created; for a record that did not decode, why, and its JSON
    as it came."""
    text = Text()
    text.append(thread_title(thread), style="bold")
    text.append("\n")
    created = "unknown"
    if thread.created_at is not None:
        ago = relative_long(thread.created_at, now)
        created = f"{absolute_time(thread.created_at)} ({ago})"
    rows = [("id", shown_id(thread))]
    if users:
        rows.append(("user", one_line(thread.user) if thread.user is not None else "(unknown)"))
    rows += [("status", status_detail(thread)), ("created", created)]
    if (metadata := thread_metadata(thread.raw)) is not None:
        rows.append(("metadata", one_line(metadata)))
    for i, (label, value) in enumerate(rows):
        text.append(f"{label:>8}  ", style="dim")
        text.append(value, style="bold" if label == "status" and value != "active" else "")
        if i < len(rows) - 1:
            text.append("\n")
    if isinstance(thread, UnreadableThread):
        text.append("\n\n")
        text.append("⚠ This thread did not decode; it is shown as the server sent it.", "italic")
        text.append(f"\n{one_line(thread.error)}\n", style="dim")
        text.append(visible(raw_text(thread.raw)))
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
