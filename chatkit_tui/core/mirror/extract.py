"""The text of a thread item that search indexes, read from the item's raw JSON.

Textual-free, pure. Read from the JSON, not from the decoded Structs, so that both
spellings of a type (``user_message`` / ``chatkit.user_message``), the spec's and
chatkit-python's shapes (tool call arguments as a string or an object, ...) and an item no
model knows all go through one path. Per type (the bare name):

- user_message: the text of every content part (input text, quoted text, tags),
  chatkit-python's ``quoted_text``, the attachments' names;
- assistant_message: the text of every content part;
- client_tool_call: the tool's name, its arguments and its output (JSON text, keys too:
  ``order_id 4411`` is what an operator looks for);
- widget: the string values of the widget's JSON (not its keys nor its ``type`` / ``id``
  values: ``children``, ``Card``, ``Text`` would match every widget), and ``copy_text``;
- task / task_group / workflow / structured_input / hidden context items: their string
  values (headings, summaries, titles, contents, questions), ``type`` / ``status`` /
  ``id`` values left out;
- generated_image, end_of_turn: nothing;
- any other type: every string value outside the envelope (``id``, ``thread_id``,
  ``object``, ``type``, ``created_at``).

An item that is not JSON at all is indexed as its text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import msgspec

__all__ = ["bare_type", "item_text"]

_ENVELOPE = frozenset({"id", "thread_id", "object", "type", "created_at"})
_STRUCTURAL = frozenset({"type", "id", "key", "status", "status_indicator", "object"})


def bare_type(kind: object) -> str | None:
    """An item type without its ``chatkit.`` prefix (``"user_message"``); None if no string."""
    return kind.removeprefix("chatkit.") if isinstance(kind, str) else None


def _strings(value: Any, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every string in a JSON value, depth first; the values of keys in ``skip`` left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, member in value.items():  # pyright: ignore[reportUnknownVariableType]
            if key not in skip:
                yield from _strings(member, skip)
    elif isinstance(value, list):
        for member in value:  # pyright: ignore[reportUnknownVariableType]
            yield from _strings(member, skip)


def _json_text(value: Any) -> Iterator[str]:
    """A JSON-string field as its text; any other JSON value as compact JSON text."""
    if value is None:
        return
    if isinstance(value, str):
        yield value
    else:
        yield msgspec.json.encode(value).decode()


def _parsed(value: Any) -> Any:
    """A field that is JSON text (a widget in the spec) parsed; anything else as it is."""
    if isinstance(value, str):
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    return value


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    return value if isinstance(value, list) else []  # pyright: ignore[reportUnknownVariableType]


def _member(value: object, key: str) -> str | None:
    """``value[key]`` when ``value`` is an object and that member a string."""
    if isinstance(value, dict):
        member = cast("dict[str, object]", value).get(key)
        if isinstance(member, str):
            return member
    return None


def _text_parts(doc: dict[str, Any]) -> Iterator[str]:
    for part in _list(doc, "content"):
        if (text := _member(part, "text")) is not None:
            yield text


def _user_message(doc: dict[str, Any]) -> Iterator[str]:
    yield from _text_parts(doc)
    quoted = doc.get("quoted_text")
    if isinstance(quoted, str):
        yield quoted
    for attachment in _list(doc, "attachments"):
        if (name := _member(attachment, "name")) is not None:
            yield name


def _tool_call(doc: dict[str, Any]) -> Iterator[str]:
    name = doc.get("name")
    if isinstance(name, str):
        yield name
    yield from _json_text(doc.get("arguments"))
    yield from _json_text(doc.get("output"))


def _widget(doc: dict[str, Any]) -> Iterator[str]:
    yield from _strings(_parsed(doc.get("widget")), _STRUCTURAL)
    copy = doc.get("copy_text")
    if isinstance(copy, str):
        yield copy


def _fields(*keys: str) -> Callable[[dict[str, Any]], Iterator[str]]:
    def extract(doc: dict[str, Any]) -> Iterator[str]:
        for key in keys:
            yield from _strings(doc.get(key), _STRUCTURAL)

    return extract


def _nothing(doc: dict[str, Any]) -> Iterator[str]:
    return iter(())


def _unknown(doc: dict[str, Any]) -> Iterator[str]:
    for key, value in doc.items():
        if key not in _ENVELOPE:
            yield from _strings(value)


_BY_TYPE: dict[str, Callable[[dict[str, Any]], Iterator[str]]] = {
    "user_message": _user_message,
    "assistant_message": _text_parts,
    "client_tool_call": _tool_call,
    "widget": _widget,
    "task": _fields("heading", "summary", "task"),
    "task_group": _fields("tasks"),
    "workflow": _fields("workflow"),
    "structured_input": _fields("inputs"),
    "hidden_context_item": _fields("content"),
    "sdk_hidden_context": _fields("content"),
    "generated_image": _nothing,
    "end_of_turn": _nothing,
}


def item_text(raw: bytes) -> str:
    """What search indexes of an item, from its raw JSON (pieces joined by newlines)."""
    try:
        doc = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested too deeply: as text
        return raw.decode("utf-8", "replace")
    if not isinstance(doc, dict):
        return "\n".join(_strings(doc))
    members: dict[str, Any] = doc  # pyright: ignore[reportUnknownVariableType]
    kind = bare_type(members.get("type"))
    extract = _BY_TYPE.get(kind or "", _unknown)
    return "\n".join(piece for piece in extract(members) if piece)
