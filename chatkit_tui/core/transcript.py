"""A thread as a Markdown transcript that API text cannot restructure.

Textual-free. Plain text is escaped, assistant Markdown is contained (headings demoted,
fences closed, raw HTML blocks neutralised), fenced blocks use a fence longer than any
backtick run inside them, and every control character, bidirectional ones included, is
made visible by :func:`chatkit_tui.core.text.visible`, as on the screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from msgspec import UnsetType

from chatkit_tui.client.models import (
    AnyThread,
    AssistantMessageItem,
    ClientToolCallItem,
    FileAnnotation,
    InputTag,
    QuotedText,
    SourceAnnotation,
    TaskGroupItem,
    TaskItem,
    ThreadItem,
    UnknownItem,
    UnknownPiece,
    UnreadableThread,
    UrlAnnotation,
    UserMessageItem,
    WidgetItem,
)
from chatkit_tui.core.items import (
    Block,
    Described,
    describe,
    is_chatkit_python_item,
    raw_text,
    task_blocks,
    unknown_piece,
)
from chatkit_tui.core.text import visible
from chatkit_tui.core.times import absolute_time

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!&])")
_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


# --- Markdown helpers ---------------------------------------------------------------------------


def escape_inline(text: str) -> str:
    """Plain text on one line, safe inside a paragraph or heading."""
    return _INLINE_SPECIAL.sub(r"\\\1", visible(" ".join(text.split())))


def escape_text(text: str) -> str:
    """Plain multi-line text as Markdown that renders literally, line breaks kept."""
    out: list[str] = []
    for line in visible(text).split("\n"):
        line = _INLINE_SPECIAL.sub(r"\\\1", line.rstrip())
        # what would start a block (list, quote, setext underline, heading) is escaped
        line = _BLOCK_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), line, count=1)
        # indentation would make a code block: keep it visible as no-break spaces
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)].expandtabs(4)
        line = "\u00a0" * len(indent) + stripped
        out.append(line)
    while out and not out[-1]:
        out.pop()
    # blank lines separate paragraphs; other lines end with a hard break
    rendered: list[str] = []
    for i, line in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else ""
        rendered.append(line + ("\\" if line and nxt else ""))
    return "\n".join(rendered)


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def code_span(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    text = " ".join(visible(text).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(content: str, info: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run in ``content``."""
    content = visible(content).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{content}\n{fence}"


def pretty_json(text: str | None) -> tuple[str, str]:
    """(content, info string): pretty JSON when ``text`` parses, else the raw text."""
    if text is None:
        return "null", "json"
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
    except (ValueError, RecursionError):
        return text, "text"


_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
_HTML_START = re.compile(r"^( {0,3})<")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")


def contain_markdown(text: str) -> str:
    """Assistant Markdown, kept as Markdown but unable to break the transcript around it.

    Headings are demoted below the transcript's own (at least level 4), lines that would
    open a raw-HTML block are escaped, setext underlines are escaped, and a code fence left
    open is closed at the end.
    """
    out: list[str] = []
    fence: str | None = None
    for line in visible(text).split("\n"):
        match = _FENCE_LINE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
            else:
                line = _ATX.sub(lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + 3), line)
                line = _HTML_START.sub(r"\1\\<", line)
                if _SETEXT.match(line):
                    line = "\\" + line.lstrip()
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            if not line.strip().strip(fence[0]):
                fence = None
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    if fence is not None:
        out.append(fence)
    return "\n".join(out)


def autolink(url: str) -> str:
    if re.fullmatch(r"https?://[^\s<>\x00-\x1f\x7f]+", url):
        return f"<{url}>"
    return escape_inline(url)


def quote_block(markdown: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in markdown.split("\n"))


# --- Markdown transcript --------------------------------------------------------------------------


def _status(thread: AnyThread) -> str:
    status = thread.status.type
    reason = thread.status.reason
    return f"{status} ({reason})" if reason else status


def to_markdown(thread: AnyThread, items: Sequence[ThreadItem]) -> str:
    title = thread.title or (
        "Unreadable thread" if isinstance(thread, UnreadableThread) else "Untitled"
    )
    lines = [
        f"# {escape_inline(title)}",
        "",
        f"- Thread: {code_span(thread.id) if thread.id is not None else '(no id)'}",
        f"- User: {escape_inline(thread.user) if thread.user is not None else '(unknown)'}",
        f"- Status: {escape_inline(_status(thread))}",
        f"- Created: {absolute_time(thread.created_at)}",
        f"- Items: {len(items)}",
        "",
    ]
    if isinstance(thread, UnreadableThread):
        lines += [
            f"_This thread did not decode ({escape_inline(thread.error)}); as sent:_",
            "",
            fenced(raw_text(thread.raw), "json"),
            "",
        ]
    for number, item in enumerate(items, start=1):
        lines.append(_item_markdown(number, item))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _heading(number: int, label: str, item: ThreadItem) -> str:
    item_id = f" · {code_span(item.id)}" if item.id else ""
    return f"## {number}. {label} · {absolute_time(item.created_at)}{item_id}\n"


def _item_markdown(number: int, item: ThreadItem) -> str:
    if isinstance(item, UserMessageItem):
        return _user_markdown(number, item)
    if isinstance(item, AssistantMessageItem):
        return _assistant_markdown(number, item)
    if isinstance(item, WidgetItem):
        content, info = pretty_json(item.widget_json)
        return _heading(number, "Widget", item) + "\n" + fenced(content, info)
    if isinstance(item, ClientToolCallItem):
        return _tool_call_markdown(number, item)
    if isinstance(item, TaskItem):
        if item.task is not None and not isinstance(item.task, UnsetType):
            return _heading(number, "Task", item) + "\n" + _blocks(task_blocks(item.task))
        body = _task_lines(item.task_type, item.heading, item.summary)
        return _heading(number, "Task", item) + "\n" + fenced(body, "text")
    if isinstance(item, TaskGroupItem):
        parts = [_task_lines(t.type, t.heading, t.summary) for t in item.tasks]
        body = "\n\n".join(parts) if parts else "(no tasks)"
        count = len(item.tasks)
        label = f"Task group ({count} task{'' if count == 1 else 's'})"
        return _heading(number, label, item) + "\n" + fenced(body, "text")
    if isinstance(item, UnknownItem):
        return _unknown_markdown(number, item)
    assert is_chatkit_python_item(item)
    return _described_markdown(number, item, describe(item))


def _described_markdown(number: int, item: ThreadItem, described: Described) -> str:
    label = described.label.capitalize()
    extra = "".join(f" · {escape_inline(fact)}" for fact in described.extra)
    heading = _heading(number, label + extra, item)
    if described.rule:
        return heading.rstrip("\n")
    note = "_Hidden context: stored in the thread, not shown to the end user._\n\n"
    body = _blocks(described.blocks) if described.blocks else "_(empty)_"
    return heading + "\n" + (note if described.hidden else "") + body


def _blocks(blocks: Sequence[Block]) -> str:
    """Described blocks as Markdown that renders literally."""
    out: list[str] = []
    for b in blocks:
        match b.kind:
            case "raw":
                out.append(f"_{escape_inline(b.label or 'raw JSON')}:_\n\n{fenced(b.text, 'json')}")
            case "json":
                content, info = pretty_json(b.text)
                label = f"{escape_inline(b.label)}:\n\n" if b.label else ""
                out.append(label + fenced(content, info))
            case "url":
                out.append((f"{escape_inline(b.label)}: " if b.label else "") + autolink(b.text))
            case "note":
                out.append(f"_{escape_inline(b.text)}_")
            case "line":
                out.append(escape_inline(b.text))
            case "text":
                out.append(escape_text(b.text))
    return "\n\n".join(out)


def _user_markdown(number: int, item: UserMessageItem) -> str:
    parts = [_heading(number, "User", item)]
    if isinstance(item.quoted_text, str) and item.quoted_text:  # chatkit-python's: what it answers
        parts.append(quote_block(escape_text(item.quoted_text)) + "\n")
    for content in item.content:
        if isinstance(content, QuotedText):
            parts.append(quote_block(escape_text(content.text)) + "\n")
        elif isinstance(content, InputTag):
            parts.append(f"Tag {code_span(content.text)} (id {code_span(content.id)})\n")
        elif isinstance(content, UnknownPiece):
            parts.append(_blocks([unknown_piece(content, "content part")]) + "\n")
        else:
            parts.append(escape_text(content.text) + "\n")
    if item.attachments:
        parts.append("Attachments:\n")
        for att in item.attachments:
            if isinstance(att, UnknownPiece):
                parts.append("\n" + _blocks([unknown_piece(att, "attachment")]) + "\n")
                continue
            line = f"- {escape_inline(att.name)} ({escape_inline(att.mime_type)}, "
            line += f"{escape_inline(att.type)}, id {code_span(att.id)})"
            if att.preview_url:
                line += f" — preview: {autolink(att.preview_url)}"
            parts.append(line)
        parts.append("")
    options = item.inference_options
    if options is not None and (options.model or options.tool_choice):
        bits: list[str] = []
        if options.model:
            bits.append(f"model {code_span(options.model)}")
        if options.tool_choice:
            bits.append(f"tool choice {code_span(options.tool_choice.id)}")
        parts.append("_Inference options: " + ", ".join(bits) + "_\n")
    return "\n".join(parts).rstrip("\n")


def _assistant_markdown(number: int, item: AssistantMessageItem) -> str:
    parts = [_heading(number, "Assistant", item)]
    references: list[str] = []
    for content in item.content:
        if isinstance(content, UnknownPiece):
            parts.append(_blocks([unknown_piece(content, "content part")]) + "\n")
            continue
        parts.append(contain_markdown(content.text) + "\n")
        for annotation in content.annotations:
            if isinstance(annotation, FileAnnotation):
                references.append(f"file {escape_inline(annotation.source.filename)}")
            elif isinstance(annotation, UrlAnnotation):
                references.append(autolink(annotation.source.url))
            elif isinstance(annotation, SourceAnnotation) and not isinstance(
                annotation.source, UnknownPiece
            ):
                source = annotation.source
                where = getattr(source, "url", None) or getattr(source, "filename", None)
                ref = f"{escape_inline(source.type)} {escape_inline(source.title)}"
                references.append(ref + (f" — {autolink(where)}" if isinstance(where, str) else ""))
            else:
                piece = (
                    annotation.source if isinstance(annotation, SourceAnnotation) else annotation
                )
                assert isinstance(piece, UnknownPiece)
                references.append(
                    f"{escape_inline(piece.type or 'unknown')} (not known; raw in the JSON export)"
                )
    if references:
        parts.append("References:\n")
        parts.extend(f"{i}. {ref}" for i, ref in enumerate(references, start=1))
    return "\n".join(parts).rstrip("\n")


def _tool_call_markdown(number: int, item: ClientToolCallItem) -> str:
    args, args_info = pretty_json(item.arguments_json)
    parts = [
        _heading(number, f"Tool call {code_span(item.name)}", item),
        f"- Status: {escape_inline(item.status)}",
        f"- Call id: {code_span(item.call_id)}",
        "",
        "Arguments:",
        "",
        fenced(args, args_info),
    ]
    if item.output_json is not None:
        output, output_info = pretty_json(item.output_json)
        parts += ["", "Output:", "", fenced(output, output_info)]
    return "\n".join(parts)


def _task_lines(kind: str, heading: str | None, summary: str | None) -> str:
    lines = [f"kind: {kind}"]
    if heading:
        lines.append(f"heading: {heading}")
    if summary:
        lines.append("summary: " + summary.replace("\n", "\n  "))
    return "\n".join(lines)


def _unknown_markdown(number: int, item: UnknownItem) -> str:
    kind = code_span(item.type) if item.type else "without a type"
    try:
        raw = json.dumps(json.loads(item.raw), indent=2, ensure_ascii=False)
        info = "json"
    except (ValueError, RecursionError):
        raw, info = item.raw.decode("utf-8", "replace"), "text"
    return "\n".join(
        [
            _heading(number, "Unknown item", item),
            f"_An item of type {kind} that this version does not know; shown raw._",
            "",
            fenced(raw, info),
        ]
    )
