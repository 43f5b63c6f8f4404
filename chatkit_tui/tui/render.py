"""Text, times and threads -> what the list and the headers show. Pure functions, no widgets.

Everything that comes from the API goes through :func:`clean` (terminal control
characters made visible) and into ``rich.text.Text`` objects built directly, so
it is never parsed as Textual or Rich markup. Thread items: :mod:`.render_items`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text

from chatkit_tui.client.models import Thread

Clock = Callable[[], float]

# C0 (except tab and newline), DEL and C1: never sent to the terminal as they are
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\n"
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 "control pictures": ESC -> "␛"
    if code == 0x7F:
        return "\u2421"  # ␡
    if code > 0xFF:  # bidi controls: they reorder what follows (spoofing), so name them
        return f"<U+{code:04X}>"
    return f"\\x{code:02x}"  # C1 has no pictures


def clean(text: str) -> str:
    """``text`` with every terminal control character (not tab or newline) made visible.

    Bidirectional controls (U+202E etc.) are shown as ``<U+202E>`` too.
    """
    return _CONTROL.sub(_picture, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """:func:`clean` and newlines/tabs folded to spaces, for single-line cells."""
    return clean(" ".join(text.split()))


def literal(text: str, style: str = "") -> Text:
    """API text as a Rich Text, shown exactly (never markup)."""
    return Text(clean(text), style=style)


# --- time ---------------------------------------------------------------------------------------


def absolute_time(timestamp: int) -> str:
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{timestamp} (not a valid time)"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def relative_short(timestamp: int, now: float) -> str:
    """Compact age for list cells: now, 42s, 5m, 3h, 2d, 6w, 4mo, 2y."""
    delta = int(now - timestamp)
    if delta < -60:
        return "soon"
    if delta < 5:
        return "now"
    if delta < 60:
        return f"{delta}s"
    if delta < 3600:
        return f"{delta // 60}m"
    if delta < 86400:
        return f"{delta // 3600}h"
    days = delta // 86400
    if days < 7:
        return f"{days}d"
    if days < 56:
        return f"{days // 7}w"
    if days < 365:
        return f"{days // 30}mo"
    return f"{days // 365}y"


def relative_long(timestamp: int, now: float) -> str:
    short = relative_short(timestamp, now)
    if short in ("now", "soon"):
        return "just now" if short == "now" else "in the future"
    number = int("".join(ch for ch in short if ch.isdigit()))
    unit = short.lstrip("0123456789")
    names = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
    names |= {"mo": "month", "y": "year"}
    name = names[unit]
    return f"{number} {name}{'' if number == 1 else 's'} ago"


# --- threads --------------------------------------------------------------------------------------


def plural(count: int, word: str = "thread") -> str:
    """``1 thread``, ``1,200 threads``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


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
    from rich.cells import cell_len, set_cell_size

    room = width - 1
    if cell_len(text) > room:
        text = set_cell_size(text, room - 1) + "…"
    return set_cell_size(text, width)


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
