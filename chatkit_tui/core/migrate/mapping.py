"""Hosted ChatKit records -> chatkit-python's models: pure, no I/O.

:func:`convert` takes a hosted thread and its items as the JSON they came as (the raw
bytes the client and the mirror keep) and gives chatkit-python's ``ThreadMetadata`` and
thread items, each **validated by chatkit-python's own pydantic models**, with a
:class:`Note` for everything that was not carried over exactly. The README's
"Migrating to a self-hosted Store" has the whole mapping as a table; in short:

- the thread keeps its id, title, creation time (unix seconds -> an aware UTC
  ``datetime``) and status with its reason; ``metadata["hosted_user"]`` is the hosted
  ``user``, if it has one (chatkit-python threads have none: the Store knows the owner
  through the context the thread is saved under);
- ``chatkit.X`` items become chatkit-python's ``X`` items: the user message's
  ``quoted_text`` part becomes its ``quoted_text``, ``inference_options`` null becomes
  the default options, attachments become file / image attachments with all their
  fields (a Store's ``thread_id``, ``metadata``, ``upload_descriptor``); assistant
  annotations (the hosted ``file`` / ``url`` ones) become ``annotation``\\ s with a
  ``FileSource`` / ``URLSource`` titled by the file name / the URL; a widget's JSON
  string becomes its widget tree; a tool call's JSON strings become its ``arguments``
  object and ``output`` value (``in_progress`` becomes ``pending``); a task becomes a
  ``TaskItem`` of a ``CustomTask`` / ``ThoughtTask`` (heading -> title, summary ->
  content); a ``task_group`` becomes a ``WorkflowItem`` (``type: custom``) of those
  tasks. Records already in chatkit-python's shape (a mirror of a deployment that sends
  them) pass as they are.
- what has no counterpart, or does not validate in any form, becomes a
  ``HiddenContextItem`` whose string content names what it was and carries the original
  JSON (:data:`UNCONVERTED_PREFIX`): never dropped. With chatkit-python's default
  ``ThreadItemConverter`` the operator's model sees it as hidden context; the user does
  not.

Nothing is dropped in silence, by construction: once a record is validated, every source
field with a value is looked for in what the model dumps (:func:`_unplaced`), and one
not there is noted. Every record approximated with a loss (a :class:`Note` that is
``lossy``: something of the original is not in what was written) has its original JSON
kept in the thread's ``metadata["hosted_originals"][id]`` (the item's, or the thread's
id); filling in what chatkit-python requires and the original lacks (an annotation's
title) is noted, not kept. :func:`unaccounted` checks a Store against the source the same
way (``--verify``).

The thread's fingerprint (:attr:`Converted.fingerprint`) is a hash of the mapping's
version and the source records' bytes: the same source always converts the same way, so
a Store holding a thread marked with it holds what this run would write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

import msgspec

__all__ = [
    "HOSTED_USER",
    "MAPPING_VERSION",
    "MIGRATED",
    "ORIGINALS",
    "OURS",
    "UNCONVERTED_PREFIX",
    "Converted",
    "Note",
    "convert",
    "fingerprint",
    "unaccounted",
    "why",
]

MAPPING_VERSION = "2"
"""Bumped whenever a record would convert differently: every thread is then rewritten."""

HOSTED_USER = "hosted_user"
"""``thread.metadata`` key: the hosted thread's ``user``."""
ORIGINALS = "hosted_originals"
"""``thread.metadata`` key: ``{item_id: original JSON}`` of each approximated item."""
HOSTED_EXTRA = "hosted_thread_fields"
"""``thread.metadata`` key: thread fields the hosted API sent that ThreadMetadata lacks."""
MIGRATED = "chatkit_tui_migrated"
"""``thread.metadata`` key, written last: the fingerprint of the source it was made from."""
OURS = frozenset({HOSTED_USER, ORIGINALS, HOSTED_EXTRA, MIGRATED})
"""The metadata keys a migration writes: an update writes them anew (the Store's own stay)."""

_loads = msgspec.json.Decoder().decode  # json.loads' values, several times faster

UNCONVERTED_PREFIX = "chatkit-tui migrate: a hosted item with no chatkit-python counterpart"

_THREAD_FIELDS = frozenset({"id", "object", "created_at", "title", "status", "user"})
_ITEM_COMMON = frozenset({"id", "object", "created_at", "thread_id", "type"})


@dataclass(frozen=True)
class Note:
    """Something not carried over exactly: the item (None: the thread) and what was done."""

    item_id: str | None
    what: str
    lossy: bool = True
    """Something of the original is not in what was written (its JSON is kept in the
    thread's metadata); False: only something chatkit-python requires was filled in."""

    def as_json(self) -> dict[str, Any]:
        return {"item": self.item_id, "what": self.what, "lossy": self.lossy}


@dataclass
class Converted:
    """One thread converted: chatkit-python's models, ready to be saved."""

    thread: Any  # chatkit.types.ThreadMetadata (chatkit is an optional extra)
    items: list[Any]  # chatkit.types.ThreadItem, in the source's order
    user: str | None
    fingerprint: str
    notes: list[Note] = field(default_factory=list[Note])
    thread_raw: bytes = b""
    """The source records (what :func:`unaccounted` checks the Store against)."""
    item_raws: Sequence[bytes] = ()

    @property
    def approximated(self) -> list[Note]:
        return self.notes


def why(exc: BaseException) -> str:
    """An exception in a line for a report: its type and its message's first line (at
    most 300 characters)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def fingerprint(thread_raw: bytes, item_raws: Sequence[bytes]) -> str:
    """The hash of the mapping version and the source records (their exact bytes)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"chatkit-tui-migrate/{MAPPING_VERSION}\0".encode())
    for raw in (thread_raw, *item_raws):
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.hexdigest()


# --- chatkit-python's models, imported once -------------------------------------------------


@dataclass(frozen=True)
class _Models:
    thread: Any
    item: Any  # TypeAdapter(ThreadItem)
    hidden: Any  # HiddenContextItem


@cache
def _models() -> _Models:
    from pydantic import TypeAdapter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from chatkit.types import HiddenContextItem, ThreadItem, ThreadMetadata

    return _Models(thread=ThreadMetadata, item=TypeAdapter(ThreadItem), hidden=HiddenContextItem)


def _validate_item(data: dict[str, Any]) -> Any:
    if data.get("type") != "widget":
        return _models().item.validate_python(data)
    with warnings.catch_warnings():
        # chatkit-python 1.6.5 warns when its named widget classes are built
        warnings.simplefilter("ignore", DeprecationWarning)
        return _models().item.validate_python(data)


# --- small pieces ---------------------------------------------------------------------------


def _time(value: Any) -> datetime | str:
    """A hosted time (unix seconds) as an aware UTC datetime; an ISO 8601 string (what
    chatkit-python sends) is left for pydantic to read as it reads its own."""
    if isinstance(value, bool):
        raise ValueError(f"created_at is not a time: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return value
    raise ValueError(f"created_at is not a time: {value!r}")


def _obj(value: Any) -> dict[str, Any] | None:
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    return cast(list[Any], value) if isinstance(value, list) else []


def _type(value: dict[str, Any]) -> str:
    kind = value.get("type")
    return kind.removeprefix("chatkit.") if isinstance(kind, str) else ""


class _Notes:
    def __init__(self, item_id: str | None) -> None:
        self.item_id = item_id
        self.notes: list[Note] = []
        self.dropped: set[str] = set()
        """Source paths (``attachments[1]``, ``status.reason``) a note accounts for."""

    def add(self, what: str, *, lossy: bool = True, dropped: str | None = None) -> None:
        self.notes.append(Note(self.item_id, what, lossy))
        if dropped is not None:
            self.dropped.add(dropped)


# --- the thread -----------------------------------------------------------------------------


def _status(raw: Any, notes: _Notes) -> dict[str, Any]:
    if isinstance(raw, str):  # a bare string: some servers send one
        raw = {"type": raw}
    status = _obj(raw)
    if status is None:
        if raw is not None:
            what = f"thread status {json.dumps(raw)} is not a status: saved as active"
            notes.add(what, dropped="status")
        return {"type": "active"}
    kind = status.get("type")
    reason = status.get("reason")
    if kind == "active":
        if reason is not None:
            what = "an active status has no reason in chatkit-python: the reason was dropped"
            notes.add(what, dropped="status.reason")
        return {"type": "active"}
    if kind in ("locked", "closed"):
        if reason is not None and not isinstance(reason, str):
            notes.add(f"status reason {json.dumps(reason)} is not text: kept as its JSON")
            reason = json.dumps(reason)
        return {"type": kind, "reason": reason}
    what = f"thread status {json.dumps(kind)} is not active, locked or closed: saved as active"
    notes.add(what, dropped="status")
    return {"type": "active"}


# --- items ----------------------------------------------------------------------------------


def _attachment(raw: Any, path: str, notes: _Notes) -> dict[str, Any] | None:
    """An attachment with all its fields (chatkit-python's: ``id``, ``name``, ``mime_type``,
    ``upload_descriptor``, ``thread_id``, ``metadata``, an image's ``preview_url``); a field
    its model has no place for is found by :func:`_unplaced` and noted."""
    att = _obj(raw)
    if att is None or not all(isinstance(att.get(k), str) for k in ("id", "name", "mime_type")):
        what = f"an attachment without id, name or mime_type was left out: {json.dumps(raw)}"
        notes.add(what, dropped=path)
        return None
    base = {k: v for k, v in att.items() if k not in ("type", "preview_url")}
    preview = att.get("preview_url")
    kind = att.get("type", "file")
    if kind == "image" and isinstance(preview, str) and preview:
        return {**base, "type": "image", "preview_url": preview}
    if kind == "image":
        what = f"image attachment {att['id']} has no preview_url: saved as a file attachment"
        notes.add(what, dropped=f"{path}.preview_url")
    elif kind != "file":
        notes.add(f"attachment {att['id']} of type {json.dumps(kind)}: saved as a file attachment")
    if kind != "image" and isinstance(preview, str) and preview:
        what = f"file attachment {att['id']}: its preview_url has no place in chatkit-python"
        notes.add(what, dropped=f"{path}.preview_url")
    return {**base, "type": "file"}


def _user_message(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    quoted: list[str] = []
    if isinstance(item.get("quoted_text"), str):
        quoted.append(item["quoted_text"])
    for i, part in enumerate(_list(item.get("content"))):
        piece = _obj(part)
        kind = _type(piece) if piece is not None else ""
        if piece is not None and kind == "input_text" and isinstance(piece.get("text"), str):
            content.append({"type": "input_text", "text": piece["text"]})
        elif piece is not None and kind == "quoted_text" and isinstance(piece.get("text"), str):
            quoted.append(piece["text"])
        elif piece is not None and kind == "input_tag":
            content.append(piece)
        else:
            text = piece.get("text") if piece is not None else None
            if isinstance(text, str):
                content.append({"type": "input_text", "text": text})
                notes.add(f"a content part of type {json.dumps(kind)}: kept as its text")
            else:
                what = f"a content part with no text was left out: {json.dumps(part)}"
                notes.add(what, dropped=f"content[{i}]")
    if len(quoted) > 1:
        notes.add(f"{len(quoted)} quoted texts joined into the one quoted_text")
    attachments = [
        a
        for i, raw in enumerate(_list(item.get("attachments")))
        if (a := _attachment(raw, f"attachments[{i}]", notes)) is not None
    ]
    options = _obj(item.get("inference_options")) or {}
    return {
        "type": "user_message",
        "content": content,
        "attachments": attachments,
        "quoted_text": "\n\n".join(quoted) if quoted else None,
        "inference_options": {
            "tool_choice": options.get("tool_choice"),
            "model": options.get("model"),
        },
    }


def _annotation(raw: Any, path: str, notes: _Notes) -> dict[str, Any] | None:
    ann = _obj(raw)
    kind = _type(ann) if ann is not None else ""
    source = _obj(ann.get("source")) if ann is not None else None
    if ann is not None and kind == "annotation":
        return ann
    if source is not None and kind == "file" and isinstance(source.get("filename"), str):
        name = source["filename"]
        notes.add(
            f"file annotation {json.dumps(name)}: its source titled by the file name", lossy=False
        )
        return {"type": "annotation", "source": {"type": "file", "filename": name, "title": name}}
    if source is not None and kind == "url" and isinstance(source.get("url"), str):
        url = source["url"]
        notes.add(f"url annotation {json.dumps(url)}: its source titled by the URL", lossy=False)
        return {"type": "annotation", "source": {"type": "url", "url": url, "title": url}}
    what = f"an annotation chatkit-python cannot hold was left out: {json.dumps(raw)}"
    notes.add(what, dropped=path)
    return None


def _assistant_message(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for i, part in enumerate(_list(item.get("content"))):
        piece = _obj(part)
        text = piece.get("text") if piece is not None else None
        if piece is None or not isinstance(text, str):
            what = f"an output part with no text was left out: {json.dumps(part)}"
            notes.add(what, dropped=f"content[{i}]")
            continue
        if _type(piece) != "output_text":
            notes.add(f"an output part of type {json.dumps(_type(piece))}: kept as output text")
        annotations = [
            a
            for j, raw in enumerate(_list(piece.get("annotations")))
            if (a := _annotation(raw, f"content[{i}].annotations[{j}]", notes)) is not None
        ]
        content.append({"type": "output_text", "text": text, "annotations": annotations})
    return {"type": "assistant_message", "content": content}


def _json_value(text: Any, what: str, notes: _Notes) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return _loads(text)
    except ValueError:
        notes.add(f"{what} is not JSON: kept as the text it was")
        return text


def _widget(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    widget = item.get("widget")
    if isinstance(widget, str):
        widget = _loads(widget)  # not JSON: ValueError, and the item is unconverted
    out: dict[str, Any] = {"type": "widget", "widget": widget}
    if "copy_text" in item:
        out["copy_text"] = item["copy_text"]
    return out


def _tool_call(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    arguments = _json_value(item.get("arguments"), "the tool call's arguments", notes)
    if not isinstance(arguments, dict):
        notes.add("the tool call's arguments are not a JSON object: kept under 'arguments'")
        arguments = {"arguments": arguments}
    status = item.get("status")
    if status == "in_progress":
        notes.add("tool call status in_progress saved as pending (chatkit-python's only other)")
        status = "pending"
    elif status not in ("pending", "completed"):
        notes.add(f"tool call status {json.dumps(status)} saved as pending")
        status = "pending"
    output = item.get("output")
    if isinstance(output, str):
        try:
            output = _loads(output)  # the spec: JSON-encoded output
        except ValueError:
            pass  # a plain string is an output too
    return {
        "type": "client_tool_call",
        "status": status,
        "call_id": item.get("call_id"),
        "name": item.get("name"),
        "arguments": arguments,
        "output": output,
    }


def _task(kind: Any, heading: Any, summary: Any, notes: _Notes) -> dict[str, Any]:
    """A hosted task (task_type, heading, summary) as chatkit-python's task."""
    if kind == "thought":
        if summary is None:
            notes.add("a thought task without a summary: its content is empty", lossy=False)
        return {"type": "thought", "title": heading, "content": summary or ""}
    if kind != "custom":
        notes.add(f"task type {json.dumps(kind)} is not custom or thought: saved as custom")
    return {"type": "custom", "title": heading, "content": summary}


def _own_task(item: dict[str, Any]) -> bool:
    """A task item in chatkit-python's shape (its ``task`` object), not the hosted one."""
    return _obj(item.get("task")) is not None and not item.get("task_type")


def _task_item(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    if _own_task(item):
        return {"type": "task", "task": item["task"]}
    task = _task(item.get("task_type"), item.get("heading"), item.get("summary"), notes)
    return {"type": "task", "task": task}


def _task_group(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    for i, raw in enumerate(_list(item.get("tasks"))):
        task = _obj(raw)
        if task is None:
            what = f"a grouped task that is not an object was left out: {json.dumps(raw)}"
            notes.add(what, dropped=f"tasks[{i}]")
            continue
        tasks.append(_task(task.get("type"), task.get("heading"), task.get("summary"), notes))
    return {"type": "workflow", "workflow": {"type": "custom", "tasks": tasks, "expanded": False}}


def _same(item: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    """chatkit-python's own item types: as they are (the prefix and the time aside)."""
    return {k: v for k, v in item.items() if k not in _ITEM_COMMON} | {"type": _type(item)}


_CONVERTERS: dict[str, Callable[[dict[str, Any], _Notes], dict[str, Any]]] = {
    "user_message": _user_message,
    "assistant_message": _assistant_message,
    "widget": _widget,
    "client_tool_call": _tool_call,
    "task": _task_item,
    "task_group": _task_group,
    "generated_image": _same,
    "structured_input": _same,
    "workflow": _same,
    "hidden_context_item": _same,
    "sdk_hidden_context": _same,
    "end_of_turn": _same,
}


def _unconverted(
    item: dict[str, Any] | None, raw: bytes, thread_id: str, why: str, notes: _Notes, n: int
) -> Any:
    """The closest faithful form of an item chatkit-python has no model for: hidden context
    carrying the original JSON (the model sees it, the user does not)."""
    original = raw.decode("utf-8", "replace")
    kind = item.get("type") if item is not None else None
    item_id = item.get("id") if item is not None else None
    if not isinstance(item_id, str) or not item_id:
        item_id = f"cktui_{hashlib.blake2b(raw, digest_size=8).hexdigest()}"
        notes.item_id = item_id
    created: Any = item.get("created_at") if item is not None else None
    try:
        when = _time(created)
    except ValueError:
        when = datetime.fromtimestamp(0, UTC)
        notes.add(f"no readable created_at: dated 1970-01-01 (item {n} of the thread)")
    notes.add(f"type {json.dumps(kind)} saved as hidden context with its original JSON: {why}")
    content = f"{UNCONVERTED_PREFIX} (type {json.dumps(kind)}), its original JSON:\n{original}"
    return _models().hidden.model_validate(
        {"id": item_id, "thread_id": thread_id, "created_at": when, "content": content}
    )


def _item(raw: bytes, thread_id: str, n: int) -> tuple[Any, list[Note], bool]:
    """One item: chatkit-python's model, its notes, and whether its original is kept."""
    try:
        item = _obj(_loads(raw))
    except ValueError:
        item = None
    notes = _Notes(item.get("id") if item is not None and isinstance(item.get("id"), str) else None)
    if item is None:
        return _unconverted(None, raw, thread_id, "not a JSON object", notes, n), notes.notes, True
    kind = _type(item)
    converter = _CONVERTERS.get(kind)
    if converter is None:
        why = "no chatkit-python item of this type"
        return _unconverted(item, raw, thread_id, why, notes, n), notes.notes, True
    try:
        body = converter(item, notes)
        if item.get("thread_id") not in (None, thread_id):
            notes.add(f"thread_id {json.dumps(item.get('thread_id'))} is not its thread's")
        model = _validate_item(
            {
                **body,
                "id": item.get("id"),
                "thread_id": thread_id,
                "created_at": _time(item.get("created_at")),
            }
        )
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        why = _short(exc)
        notes.notes.clear()
        return _unconverted(item, raw, thread_id, why, notes, n), notes.notes, True
    _audit(item, model, notes)
    return model, notes.notes, any(n.lossy for n in notes.notes)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()
    return " ".join(line.strip() for line in text[:3])[:300]


def _is_page(value: Any) -> bool:
    """``threads.get_by_id``'s ``items`` (a page of the thread's items, migrated as items)."""
    page = _obj(value)
    return page is not None and isinstance(page.get("data"), list)


def _thread_extra(thread: dict[str, Any]) -> dict[str, Any]:
    """The thread's fields ThreadMetadata has no place for (kept in its metadata)."""
    return {
        k: v
        for k, v in thread.items()
        if k not in _THREAD_FIELDS
        and k not in ("metadata", "allowed_image_domains")
        and not (k == "items" and _is_page(v))
    }


def convert(
    thread_raw: bytes, item_raws: Sequence[bytes], *, hashed: str | None = None
) -> Converted:
    """A hosted thread and its items (oldest first), as chatkit-python's models.
    ``hashed``: their :func:`fingerprint`, when the caller has it already (it is not
    computed again).

    ValueError when the thread itself cannot be read (no id, no creation time): a thread
    is not guessed at; its items are never dropped (:func:`_unconverted`).
    """
    thread = _obj(_loads(thread_raw))
    if thread is None or not isinstance(thread.get("id"), str) or not thread["id"]:
        raise ValueError("the thread is not a JSON object with an id")
    thread_id: str = thread["id"]
    notes = _Notes(None)
    user = thread.get("user")
    if user is not None and not isinstance(user, str):
        notes.add(f"user {json.dumps(user)} is not text: saved as its JSON")
        user = json.dumps(user)
    title = thread.get("title")
    if title is not None and not isinstance(title, str):
        notes.add(f"title {json.dumps(title)} is not text: saved as its JSON")
        title = json.dumps(title)
    metadata: dict[str, Any] = {}
    if isinstance(thread.get("metadata"), dict):  # chatkit-python's own, from a Store
        metadata.update(cast(dict[str, Any], thread["metadata"]))
    if user:
        metadata[HOSTED_USER] = user
    extra = _thread_extra(thread)
    if extra:
        metadata[HOSTED_EXTRA] = extra
    items: list[Any] = []
    originals: dict[str, Any] = {}
    item_notes: list[Note] = []
    for n, raw in enumerate(item_raws):
        model, its_notes, keep = _item(raw, thread_id, n)
        items.append(model)
        item_notes.extend(its_notes)
        if keep:
            originals[model.id] = _original(raw)
    data: dict[str, Any] = {
        "id": thread_id,
        "title": title,
        "created_at": _time(thread.get("created_at")),
        "status": _status(thread.get("status"), notes),
        "metadata": metadata,
    }
    if isinstance(thread.get("allowed_image_domains"), list):
        data["allowed_image_domains"] = thread["allowed_image_domains"]
    model = _models().thread.model_validate(data)
    lost = _unplaced(_thread_view(thread, extra), model.model_dump(mode="json"), notes.dropped)
    if lost:
        notes.add(
            f"thread fields chatkit-python's ThreadMetadata has no place for: {', '.join(lost)}"
        )
    if any(n.lossy for n in notes.notes):
        originals = {thread_id: _thread_original(thread), **originals}
    if originals:
        model = model.model_copy(update={"metadata": {**model.metadata, ORIGINALS: originals}})
    return Converted(
        thread=model,
        items=items,
        user=user or None,
        fingerprint=hashed if hashed is not None else fingerprint(thread_raw, item_raws),
        notes=[*notes.notes, *item_notes],
        thread_raw=thread_raw,
        item_raws=item_raws,
    )


def _original(raw: bytes) -> Any:
    try:
        return _loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _thread_original(thread: dict[str, Any]) -> dict[str, Any]:
    """The thread's JSON, its page of items aside (each item is a record of its own)."""
    return {k: v for k, v in thread.items() if not (k == "items" and _is_page(v))}


# --- what reached the model -----------------------------------------------------------------
#
# Nothing dropped in silence, by construction: once a record is validated, every field of
# the source that has a value (not null, not an empty list or object) must have one under
# its name, or under the name the mapping gives it (:func:`_item_view`,
# :func:`_thread_view`), in what chatkit-python's model dumps, recursively; lists are
# paired element by element in order, once the elements a note accounts for (dropped,
# or moved as the quoted parts are) are taken out. Values are not compared: converting
# a value (a unix time, a JSON string parsed, in_progress as pending) is the mapping's
# business and noted there; a field with no place to go is what this finds. The same
# accounting checks the Store against the source in --verify (:func:`unaccounted`).

_Entry = tuple[str, tuple[str, ...], Any]
"""A source field: its name (as notes say it), where the model's dump has it, its value."""

_TASK_NAMES = {"heading": "title", "summary": "content"}
"""A hosted task's fields under chatkit-python's names (``type`` stays ``type``)."""


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_empty(v) for v in cast(dict[str, Any], value).values())
    if isinstance(value, list):
        return all(_empty(v) for v in cast(list[Any], value))
    return False


def _unplaced(entries: Iterable[_Entry], dump: Any, accounted: AbstractSet[str]) -> list[str]:
    """The paths of the source fields with a value that ``dump`` has no value for."""
    found: list[str] = []
    for name, where, value in entries:
        out = dump
        for key in where:
            holder = _obj(out)
            out = holder.get(key) if holder is not None else None
        _walk(value, out, name, accounted, found)
    return found


def _walk(src: Any, out: Any, path: str, accounted: AbstractSet[str], found: list[str]) -> None:
    if src is None or src == out or (accounted and path in accounted):
        return  # nothing to carry, carried as it was (the common case: one C-level compare)
    if isinstance(src, dict):
        if isinstance(out, dict):
            have = cast(dict[str, Any], out)
            for key, value in cast(dict[str, Any], src).items():
                _walk(value, have.get(key), f"{path}.{key}", accounted, found)
        elif _absent(out) and not _empty(src):
            found.append(path)
    elif isinstance(src, list):
        if isinstance(out, list):
            have_list = cast(list[Any], out)
            kept = [
                (i, v)
                for i, v in enumerate(cast(list[Any], src))
                if not (accounted and f"{path}[{i}]" in accounted)
            ]
            for n, (i, value) in enumerate(kept):
                there = have_list[n] if n < len(have_list) else None
                _walk(value, there, f"{path}[{i}]", accounted, found)
        elif _absent(out) and not _empty(src):
            found.append(path)
    elif _absent(out):
        found.append(path)
    # else a value converted to another type (a dict kept as its JSON text...): in place


def _absent(out: Any) -> bool:
    return out is None or (isinstance(out, dict | list) and _empty(out))


def _item_view(item: dict[str, Any]) -> tuple[list[_Entry], set[str]]:
    """The item's fields where chatkit-python's model has them, and the paths moved into
    another field (a hosted quoted_text part: the item's quoted_text)."""
    kind = _type(item)
    fields = {k: v for k, v in item.items() if k not in _ITEM_COMMON}
    moved: set[str] = set()
    renamed: list[_Entry] = []
    if kind == "user_message":
        quoted: list[Any] = [fields.pop("quoted_text")] if "quoted_text" in fields else []
        for i, part in enumerate(_list(fields.get("content"))):
            piece = _obj(part)
            if piece is not None and _type(piece) == "quoted_text":
                quoted.append(piece.get("text"))
                moved.add(f"content[{i}]")
        renamed.append(("quoted_text", ("quoted_text",), quoted))
    elif kind in ("widget", "client_tool_call"):
        for name in ("widget", "arguments", "output"):  # JSON text the mapping parses
            if isinstance(fields.get(name), str):
                with contextlib.suppress(ValueError):  # not JSON: kept as the text
                    fields[name] = _loads(fields[name])
    elif kind == "task" and not _own_task(item):
        for name, to in (("task_type", "type"), *_TASK_NAMES.items()):
            if name in fields:
                renamed.append((name, ("task", to), fields.pop(name)))
    elif kind == "task_group":
        tasks = [
            {_TASK_NAMES.get(k, k): v for k, v in task.items()}
            if (task := _obj(raw)) is not None
            else raw
            for raw in _list(fields.pop("tasks", None))
        ]
        renamed.append(("tasks", ("workflow", "tasks"), tasks))
    return [*((k, (k,), v) for k, v in fields.items()), *renamed], moved


def _audit(item: dict[str, Any], model: Any, notes: _Notes) -> None:
    """Every field of ``item`` that did not reach ``model`` (and no note accounts for):
    noted, lossy (so the original is kept)."""
    entries, moved = _item_view(item)
    lost = _unplaced(entries, model.model_dump(mode="json"), notes.dropped | moved)
    if lost:
        notes.add(f"fields chatkit-python's {_type(item)} has no place for: {', '.join(lost)}")


def _thread_view(thread: dict[str, Any], extra: dict[str, Any]) -> list[_Entry]:
    """The thread's fields where ThreadMetadata has them: the user in its metadata's
    hosted_user, fields it lacks in its metadata's hosted_thread_fields."""
    entries: list[_Entry] = []
    for key, value in thread.items():
        if key in ("id", "object", "created_at") or key in extra:
            continue
        if key == "items" and _is_page(value):
            continue
        where = ("metadata", HOSTED_USER) if key == "user" else (key,)
        entries.append((key, where, value))
    entries.extend((k, ("metadata", HOSTED_EXTRA, k), v) for k, v in extra.items())
    return entries


def unaccounted(c: Converted, stored: Any, items: Mapping[str, Any]) -> list[str]:
    """What the source has that the Store holds neither in place nor as a kept original
    (``metadata["hosted_originals"]``): ``--verify``'s comparison with the source itself,
    through the accounting the conversion makes, so that a mapping that loses a field
    cannot verify clean. ``stored``: the Store's thread; ``items``: its items by id (an
    item missing is said elsewhere)."""
    originals = _obj(stored.metadata.get(ORIGINALS)) or {}
    problems: list[str] = []
    thread = _obj(_loads(c.thread_raw)) or {}
    lost = _unplaced(
        _thread_view(thread, _thread_extra(thread)), stored.model_dump(mode="json"), frozenset()
    )
    if lost and originals.get(c.thread.id) != _thread_original(thread):
        problems.append(
            f"the Store lacks the thread's {', '.join(lost[:3])} and keeps no original of it"
        )
    short: list[tuple[str, list[str]]] = []
    for raw, model in zip(c.item_raws, c.items, strict=True):
        have = items.get(model.id)
        if have is None:
            continue
        try:
            item = _obj(_loads(raw))
        except ValueError:
            item = None
        if item is None:
            lost = ["the record"]
        else:
            entries, moved = _item_view(item)
            lost = _unplaced(entries, have.model_dump(mode="json"), moved)
        if lost and originals.get(model.id) != _original(raw):
            short.append((model.id, lost))
    if short:
        first, lost = short[0]
        problems.append(
            f"{len(short)} items lack fields of the source and keep no original of them "
            f"(first {first}: {', '.join(lost[:3])})"
        )
    return problems
