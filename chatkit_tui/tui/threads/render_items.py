"""Thread items -> Rich renderables, one look per item type. Pure functions, no widgets.

API text goes through :func:`~chatkit_tui.core.text.visible` into ``rich.text.Text``
objects built directly (never markup). Assistant answers are Markdown parsed with raw
HTML turned off, so every character the model wrote is shown. chatkit-python's own item
types are described once in :mod:`chatkit_tui.core.items` and styled here; a piece that
did not decode (a content part, annotation, attachment) stays in place, shown raw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from msgspec import UnsetType
from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.text import Text

from chatkit_tui.client.models import (
    AssistantMessageItem,
    ClientToolCallItem,
    EndOfTurnItem,
    FileAnnotation,
    GeneratedImageItem,
    HiddenContextItem,
    InputTag,
    QuotedText,
    SDKHiddenContextItem,
    SourceAnnotation,
    StructuredInputItem,
    TaskGroupItem,
    TaskItem,
    ThreadItem,
    UnknownItem,
    UnknownPiece,
    UrlAnnotation,
    UserMessageItem,
    WidgetItem,
    WorkflowItem,
)
from chatkit_tui.core.items import (
    Block,
    ChatkitPythonItem,
    Described,
    describe,
    task_blocks,
    unknown_piece,
)
from chatkit_tui.core.text import one_line, visible
from chatkit_tui.core.times import absolute_time
from chatkit_tui.tui.text import literal

_JSON = JSONHighlighter()

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
    body = Text(visible(pretty))
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
    lines = visible(text).split("\n")
    out = Text()
    for i, line in enumerate(lines):
        out.append("▌ ", style="dim")
        out.append(line, style="italic")
        if i < len(lines) - 1:
            out.append("\n")
    return out


def block(b: Block) -> Text:
    """One described block, styled: API text literal, our notes italic."""
    out = Text()
    match b.kind:
        case "raw":
            out.append(f"⚠ {b.label or 'raw JSON'}", style="italic")
            out.append("\n")
            out.append_text(json_block(b.text))
        case "json":
            out.append_text(json_block(b.text, label=b.label))
        case "url":
            if b.label:
                out.append(f"{b.label} ", style="dim")
            out.append(one_line(b.text), style="underline")
        case "note":
            out.append(b.text, style="italic dim")
        case "line":
            out.append(one_line(b.text))
        case "text":
            out.append(visible(b.text))
    return out


def render_described(item: ChatkitPythonItem, described: Described) -> RenderableType:
    if described.rule:
        return item_heading(described.label, item)
    parts: list[RenderableType] = [item_heading(described.label, item, described.extra)]
    for b in described.blocks:
        shown = block(b)
        if described.hidden:  # all of it dimmed, as its border
            shown = shown.copy()
            shown.spans = []  # no JSON highlighting: the item's muted italic look throughout
        parts.append(shown)
    if not described.blocks:
        parts.append(Text("(empty)", style="italic dim"))
    return Group(*parts)


def render_user_message(item: UserMessageItem) -> RenderableType:
    parts: list[RenderableType] = [item_heading("USER", item)]
    if isinstance(item.quoted_text, str) and item.quoted_text:  # chatkit-python's: what it answers
        parts.append(_quote(item.quoted_text))
    for content in item.content:
        if isinstance(content, QuotedText):
            parts.append(_quote(content.text))
        elif isinstance(content, InputTag):
            tag = Text()
            tag.append(f"#{one_line(content.text)}", style="bold")
            tag.append(f"  tag {one_line(content.id)}", style="dim")
            parts.append(tag)
        elif isinstance(content, UnknownPiece):
            parts.append(block(unknown_piece(content, "content part")))
        else:
            parts.append(literal(content.text))
    for attachment in item.attachments:
        if isinstance(attachment, UnknownPiece):
            parts.append(block(unknown_piece(attachment, "attachment")))
            continue
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
        if isinstance(content, UnknownPiece):
            parts.append(block(unknown_piece(content, "content part")))
            continue
        parts.append(literal_markdown(visible(content.text)))
        for annotation in content.annotations:
            number = len(references) + 1
            ref = Text()
            ref.append(f"[{number}] ", style="bold")
            if isinstance(annotation, FileAnnotation):
                ref.append("file ", style="dim")
                ref.append(one_line(annotation.source.filename))
            elif isinstance(annotation, UrlAnnotation):
                ref.append("url ", style="dim")
                ref.append(one_line(annotation.source.url), style="underline")
            elif isinstance(annotation, SourceAnnotation):
                source = annotation.source
                if isinstance(source, UnknownPiece):
                    ref.append_text(block(unknown_piece(source, "source")))
                else:
                    ref.append(f"{source.type} ", style="dim")
                    ref.append(one_line(source.title), style="bold")
                    where = getattr(source, "url", None) or getattr(source, "filename", None)
                    if isinstance(where, str):
                        ref.append(f"  {one_line(where)}", style="underline")
            else:
                ref.append_text(block(unknown_piece(annotation, "annotation")))
            references.append(ref)
    if references:
        parts.append(Text("References", style="bold dim"))
        parts.extend(references)
    return Group(*parts)


def render_widget(item: WidgetItem) -> RenderableType:
    return Group(item_heading("WIDGET", item), json_block(item.widget_json))


def render_tool_call(item: ClientToolCallItem) -> RenderableType:
    heading = item_heading("TOOL CALL", item, [item.name, item.status])
    call = Text()
    call.append("call id ", style="dim")
    call.append(one_line(item.call_id))
    args = json_block(item.arguments_json, label="arguments")
    parts: list[RenderableType] = [heading, call, args]
    output = item.output_json
    if output is None:
        parts.append(Text("output: (none yet)", style="italic dim"))
    else:
        parts.append(json_block(output, label="output"))
    return Group(*parts)


def _task_line(kind: str, heading: str | None, summary: str | None) -> Text:
    line = Text()
    line.append(f"[{one_line(kind)}] ", style="dim")
    line.append(one_line(heading) if heading else "(no heading)", style="bold")
    if summary:
        line.append("\n")
        line.append(visible(summary))
    return line


def render_task(item: TaskItem) -> RenderableType:
    task = item.task
    if task is not None and not isinstance(task, UnsetType):  # chatkit-python's shape
        return Group(item_heading("TASK", item), *(block(b) for b in task_blocks(task)))
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
        case WorkflowItem():
            return "workflow"
        case GeneratedImageItem():
            return "image"
        case StructuredInputItem():
            return "input"
        case HiddenContextItem() | SDKHiddenContextItem():
            return "hidden"
        case EndOfTurnItem():
            return "end-of-turn"
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
        case (
            WorkflowItem()
            | GeneratedImageItem()
            | StructuredInputItem()
            | HiddenContextItem()
            | SDKHiddenContextItem()
            | EndOfTurnItem()
        ):
            return render_described(item, describe(item))
        case UnknownItem():
            return render_unknown(item)
