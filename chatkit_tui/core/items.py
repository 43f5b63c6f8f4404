"""What an item of chatkit-python's own types says, as plain blocks, for every output.

Textual-free. The spec's six item types have looks of their own in the app
(:mod:`chatkit_tui.tui.threads.render_items`) and the transcript
(:mod:`chatkit_tui.core.transcript`); the types only chatkit-python's server side makes
(workflow, generated image, structured input, hidden context, end of turn) and the pieces
that did not decode are described here once, as :class:`Block` lists, and each output
styles the blocks its own way. Nothing here is made safe yet: every output does that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, cast

from chatkit_tui.client.base import json_text
from chatkit_tui.client.models import (
    CustomTask,
    EndOfTurnItem,
    FileTask,
    GeneratedImageItem,
    HiddenContextItem,
    MultipleChoiceInput,
    SDKHiddenContextItem,
    SearchTask,
    StructuredInputItem,
    ThoughtTask,
    UnknownPiece,
    UnknownSource,
    WorkflowItem,
    WorkflowTask,
)

BlockKind = Literal["text", "line", "json", "raw", "url", "note"]


@dataclass(frozen=True)
class Block:
    """``text``: prose (line breaks kept); ``line``: one line; ``json``: JSON text;
    ``raw``: a piece's raw JSON with a notice; ``url``: a link; ``note``: ours, not the API's."""

    kind: BlockKind
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Described:
    label: str  # the item's heading, e.g. "WORKFLOW"
    extra: tuple[str, ...] = ()  # short facts beside the heading (API text)
    blocks: tuple[Block, ...] = ()
    hidden: bool = False  # not shown to the end user: outputs dim it
    rule: bool = False  # a marker between turns, not content


ChatkitPythonItem = (
    WorkflowItem
    | GeneratedImageItem
    | StructuredInputItem
    | HiddenContextItem
    | SDKHiddenContextItem
    | EndOfTurnItem
)


def raw_text(raw: bytes) -> str:
    """Raw JSON as text: indented when it parses, else as it came (bytes decoded)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return text


def thread_metadata(raw: bytes) -> str | None:
    """A thread's ``metadata`` (what a chatkit-python Store keeps with it; its HTTP
    protocol never sends it) as compact JSON text, or None when it has none. Untrusted:
    the caller makes it safe."""
    try:
        value: object = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    metadata = cast(dict[str, object], value).get("metadata") if isinstance(value, dict) else None
    if metadata is None or metadata == {}:
        return None
    return json.dumps(metadata, ensure_ascii=False)


def unknown_piece(piece: UnknownPiece, what: str) -> Block:
    """A piece (content part, annotation, attachment, task, input) that did not decode."""
    kind = f"{what} of type {piece.type!r}" if piece.type else f"{what} without a type"
    return Block("raw", raw_text(piece.raw), label=f"{kind}, not known to this version; raw JSON")


def task_blocks(task: WorkflowTask) -> list[Block]:
    """One of chatkit-python's workflow tasks (also a task item's ``task``)."""
    if isinstance(task, UnknownPiece):
        return [unknown_piece(task, "task")]
    title = task.title or "(untitled)"
    blocks = [Block("line", f"[{task.type}] {title}")]
    if isinstance(task, CustomTask | ThoughtTask) and task.content:
        blocks.append(Block("text", task.content))
    if isinstance(task, SearchTask):
        for query in task.queries:
            blocks.append(Block("line", f"query: {query}"))
    if isinstance(task, SearchTask | FileTask):
        for source in task.sources:
            if isinstance(source, UnknownSource):
                blocks.append(unknown_piece(source, "source"))
            else:
                blocks.append(Block("line", f"source: {source.title} — {_source_name(source)}"))
    return blocks


def _source_name(source: object) -> str:
    for name in ("url", "filename", "id"):
        value = getattr(source, name, None)
        if isinstance(value, str):
            return value
    return ""


def describe(item: ChatkitPythonItem) -> Described:
    match item:
        case WorkflowItem():
            workflow = item.workflow
            extra = [workflow.type, f"{len(workflow.tasks)} task(s)"]
            summary = workflow.summary
            if summary is not None:
                if summary.title:
                    extra.append(summary.title)
                if summary.duration is not None:
                    extra.append(f"{summary.duration} s")
            blocks = [b for task in workflow.tasks for b in task_blocks(task)]
            return Described("WORKFLOW", tuple(extra), tuple(blocks))
        case GeneratedImageItem():
            if item.image is None:
                return Described("GENERATED IMAGE", (), (Block("note", "(no image yet)"),))
            return Described(
                "GENERATED IMAGE", (item.image.id,), (Block("url", item.image.url, "image"),)
            )
        case StructuredInputItem():
            return Described("STRUCTURED INPUT", (item.status,), tuple(_input_blocks(item)))
        case HiddenContextItem():
            return Described(
                "HIDDEN CONTEXT",
                ("not shown to the end user",),
                (_content_block(item.content),),
                hidden=True,
            )
        case SDKHiddenContextItem():
            return Described(
                "SDK HIDDEN CONTEXT",
                ("not shown to the end user",),
                (Block("text", item.content),),
                hidden=True,
            )
        case EndOfTurnItem():
            return Described("END OF TURN", rule=True)


def _content_block(content: object) -> Block:
    if isinstance(content, str):
        return Block("text", content)
    return Block("json", json_text(content))  # pyright: ignore[reportArgumentType]


def _input_blocks(item: StructuredInputItem) -> list[Block]:
    blocks: list[Block] = []
    for entry in item.inputs:
        if isinstance(entry, UnknownPiece):
            blocks.append(unknown_piece(entry, "input"))
            continue
        blocks.append(Block("line", f"? {entry.question}"))
        if isinstance(entry, MultipleChoiceInput):
            options = ", ".join(option.value for option in entry.options)
            many = " (several)" if entry.multiple else ""
            blocks.append(Block("line", f"options{many}: {options}"))
        elif entry.description:
            blocks.append(Block("text", entry.description))
        answer = entry.answer
        if answer is None:
            blocks.append(Block("note", "not answered"))
        elif answer.skipped:
            blocks.append(Block("note", "skipped"))
        else:
            blocks.append(Block("line", "answer: " + "; ".join(answer.values)))
    return blocks


def is_chatkit_python_item(item: object) -> bool:
    return isinstance(item, ChatkitPythonItem)


__all__ = [
    "Block",
    "ChatkitPythonItem",
    "Described",
    "describe",
    "is_chatkit_python_item",
    "raw_text",
    "task_blocks",
    "thread_metadata",
    "unknown_piece",
]
