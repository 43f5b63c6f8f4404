"""Thread items and threads -> Rich renderables. Pure functions, no widgets.

Everything that comes from the API goes through :func:`clean` (terminal control
characters made visible) and into ``rich.text.Text`` objects built directly, so
it is never parsed as Textual or Rich markup. Assistant answers are Markdown,
parsed with raw HTML turned off so that every character the model wrote is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.text import Text

from chatkit_tui.client.models import (
    AssistantMessageItem,
    ClientToolCallItem,
    FileAnnotation,
    QuotedText,
    TaskGroupItem,
    TaskItem,
    Thread,
    ThreadItem,
    UnknownItem,
    UrlAnnotation,
    UserMessageItem,
    WidgetItem,
)

Clock = Callable[[], float]

# C0 (except tab and newline), DEL and C1: never sent to the terminal as they are
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON = JSONHighlighter()


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


# --- items ----------------------------------------------------------------------------------------


@cache
def _markdown_class() -> type[Any]:
    """Rich Markdown with raw HTML shown as text (Rich's default parser hides it).

    Imported on first use: markdown-it costs ~35 ms at start-up, before the first rows.
    """
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

    parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")

    class LiteralMarkdown(Markdown):
        def __init__(self, markup: str) -> None:
            super().__init__("", code_theme="ansi_dark", hyperlinks=False)
            self.markup = markup
            self.parsed = parser.parse(markup)

    return LiteralMarkdown


def literal_markdown(markup: str) -> RenderableType:
    """``markup`` as Markdown; HTML tags and link targets are shown, nothing is hidden."""
    renderable: RenderableType = _markdown_class()(markup)
    return renderable


def pretty_json(text: str) -> tuple[str, bool]:
    """(indented JSON, True) when ``text`` is JSON, else (``text``, False)."""
    try:
        value: Any = json.loads(text)
    except (ValueError, RecursionError):
        return text, False
    return json.dumps(value, indent=2, ensure_ascii=False), True


def json_block(text: str, *, label: str | None = None) -> Text:
    """JSON text pretty-printed and highlighted; raw (with a note) when not valid JSON."""
    pretty, ok = pretty_json(text)
    out = Text()
    if label:
        out.append(f"{label}:", style="bold")
        if not ok:
            out.append("  (not valid JSON, shown raw)", style="italic dim")
        out.append("\n")
    body = Text(clean(pretty))
    if ok:
        _JSON.highlight(body)
    out.append_text(body)
    return out


def item_heading(label: str, item: ThreadItem, extra: Iterable[str] = ()) -> Text:
    text = Text()
    text.append(f" {label} ", style="bold reverse")
    for part in extra:
        text.append("  ")
        text.append(one_line(part), style="bold")
    if item.created_at is not None:
        text.append(f"  {absolute_time(item.created_at)}", style="dim")
    if item.id:
        text.append(f"  {one_line(item.id)}", style="dim")
    return text


def _quote(text: str) -> Text:
    lines = clean(text).split("\n")
    out = Text()
    for i, line in enumerate(lines):
        out.append("▌ ", style="dim")
        out.append(line, style="italic")
        if i < len(lines) - 1:
            out.append("\n")
    return out


def render_user_message(item: UserMessageItem) -> RenderableType:
    parts: list[RenderableType] = [item_heading("USER", item)]
    for content in item.content:
        if isinstance(content, QuotedText):
            parts.append(_quote(content.text))
        else:
            parts.append(literal(content.text))
    for attachment in item.attachments:
        line = Text()
        line.append("attachment ", style="dim")
        line.append(one_line(attachment.name), style="bold")
        line.append(f"  {one_line(attachment.mime_type)} · {one_line(attachment.type)}", "dim")
        line.append(f"  {one_line(attachment.id)}", style="dim")
        if attachment.preview_url:
            line.append("\n  preview ", style="dim")
            line.append(one_line(attachment.preview_url), style="underline")
        parts.append(line)
    options = item.inference_options
    if options is not None and (options.model or options.tool_choice):
        line = Text()
        line.append("options ", style="dim")
        if options.model:
            line.append(f"model {one_line(options.model)}", style="dim")
        if options.tool_choice:
            sep = " · " if options.model else ""
            line.append(f"{sep}tool choice {one_line(options.tool_choice.id)}", style="dim")
        parts.append(line)
    return Group(*parts)


def render_assistant_message(item: AssistantMessageItem) -> RenderableType:
    parts: list[RenderableType] = [item_heading("ASSISTANT", item)]
    references: list[Text] = []
    for content in item.content:
        parts.append(literal_markdown(clean(content.text)))
        for annotation in content.annotations:
            number = len(references) + 1
            ref = Text()
            ref.append(f"[{number}] ", style="bold")
            if isinstance(annotation, FileAnnotation):
                ref.append("file ", style="dim")
                ref.append(one_line(annotation.source.filename))
            elif isinstance(annotation, UrlAnnotation):  # pyright: ignore[reportUnnecessaryIsInstance]
                ref.append("url ", style="dim")
                ref.append(one_line(annotation.source.url), style="underline")
            references.append(ref)
    if references:
        parts.append(Text("References", style="bold dim"))
        parts.extend(references)
    return Group(*parts)


def render_widget(item: WidgetItem) -> RenderableType:
    return Group(item_heading("WIDGET", item), json_block(item.widget))


def render_tool_call(item: ClientToolCallItem) -> RenderableType:
    heading = item_heading("TOOL CALL", item, [item.name, item.status])
    call = Text()
    call.append("call id ", style="dim")
    call.append(one_line(item.call_id))
    parts: list[RenderableType] = [heading, call, json_block(item.arguments, label="arguments")]
    if item.output is None:
        parts.append(Text("output: (none yet)", style="italic dim"))
    else:
        parts.append(json_block(item.output, label="output"))
    return Group(*parts)


def _task_line(kind: str, heading: str | None, summary: str | None) -> Text:
    line = Text()
    line.append(f"[{one_line(kind)}] ", style="dim")
    line.append(one_line(heading) if heading else "(no heading)", style="bold")
    if summary:
        line.append("\n")
        line.append(clean(summary))
    return line


def render_task(item: TaskItem) -> RenderableType:
    return Group(item_heading("TASK", item), _task_line(item.task_type, item.heading, item.summary))


def render_task_group(item: TaskGroupItem) -> RenderableType:
    count = len(item.tasks)
    parts: list[RenderableType] = [
        item_heading("TASK GROUP", item, [f"{count} task{'' if count == 1 else 's'}"])
    ]
    for task in item.tasks:
        line = Text("• ")
        line.append_text(_task_line(task.type, task.heading, task.summary))
        parts.append(line)
    return Group(*parts)


def render_unknown(item: UnknownItem) -> RenderableType:
    kind = item.type if item.type is not None else "(no type)"
    notice = Text(
        "chatkit-tui does not know this item type (or its fields did not decode); "
        "its raw JSON is shown as received.",
        style="italic",
    )
    detail = Text(f"reason: {one_line(item.error)}", style="dim")
    raw = item.raw.decode("utf-8", errors="replace")
    return Group(item_heading("UNKNOWN", item, [kind]), notice, detail, json_block(raw))


def item_kind(item: ThreadItem) -> str:
    """A short CSS-friendly name of the item's type."""
    match item:
        case UserMessageItem():
            return "user"
        case AssistantMessageItem():
            return "assistant"
        case WidgetItem():
            return "widget"
        case ClientToolCallItem():
            return "tool"
        case TaskItem():
            return "task"
        case TaskGroupItem():
            return "task-group"
        case UnknownItem():
            return "unknown"


def render_item(item: ThreadItem) -> RenderableType:
    """One thread item as a renderable with its own look per type."""
    match item:
        case UserMessageItem():
            return render_user_message(item)
        case AssistantMessageItem():
            return render_assistant_message(item)
        case WidgetItem():
            return render_widget(item)
        case ClientToolCallItem():
            return render_tool_call(item)
        case TaskItem():
            return render_task(item)
        case TaskGroupItem():
            return render_task_group(item)
        case UnknownItem():
            return render_unknown(item)
