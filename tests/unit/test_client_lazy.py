"""A chatkit-python page's fields decoded on first read (chatkit_tui/client/lazy.py).

Real bytes, as chatkit-python's own serializer writes them: until read, a record's
``created_at`` and bulky fields stay as msgspec read them (a ``datetime``, ``Raw``);
read, they are what the eager decode gives; malformed, they are read the tolerant way
(an ``Unknown*`` in place, never an exception); every record keeps its raw bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

import msgspec
import pytest

from chatkit_tui.client import decoding as d
from chatkit_tui.client import models as m
from chatkit_tui.client.lazy import LAZY_FIELDS, read_all
from chatkit_tui.client.parts import (
    InputText,
    UnknownAttachment,
    UnknownInput,
    UnknownPart,
    UnknownTask,
)

pytestmark = pytest.mark.filterwarnings("ignore:Direct usage of named widget:DeprecationWarning")

ISO = "2024-05-01T10:00:00Z"
ISO_EPOCH = 1_714_557_600


def _names(item: Any) -> tuple[str, ...]:
    return item.__struct_fields__


def _slots(item: Any) -> dict[str, Any]:
    """The fields as stored (no attribute read, so nothing decoded)."""
    return dict(zip(_names(item), msgspec.structs.astuple(item), strict=True))


def _elements(body: bytes) -> list[bytes]:
    class _Data(msgspec.Struct):
        data: list[msgspec.Raw]

    return [bytes(e) for e in msgspec.json.decode(body, type=_Data).data]


@pytest.fixture(scope="module")
def body() -> bytes:
    from tests.benchmarks.bench_chatkit_python import item_page_body

    return item_page_body()  # 100 items of every type, by chatkit-python's serializer


def test_fields_stay_as_read_until_first_read(body: bytes) -> None:
    page = d.decode_item_page(body, dialect="chatkit-python")
    seen: set[tuple[type, str]] = set()
    for item in page.data:
        assert type(item) in m.KNOWN_ITEM_CLASSES
        stored = _slots(item)
        assert isinstance(stored["created_at"], datetime)
        for name in LAZY_FIELDS.get(type(item), ()):
            assert isinstance(stored[name], msgspec.Raw), (type(item).__name__, name)
            seen.add((type(item), name))
        read_all(item)
        stored = _slots(item)
        assert type(stored["created_at"]) is int
        for name in LAZY_FIELDS.get(type(item), ()):
            assert not isinstance(stored[name], msgspec.Raw)
    assert seen == {(cls, name) for cls, names in LAZY_FIELDS.items() for name in names}


def test_read_fields_are_what_the_eager_decode_gives(body: bytes) -> None:
    lazy = d.decode_item_page(body, dialect="chatkit-python").data
    eager = d.decode_item_page(body).data  # the API's reader: every field decoded as it reads
    assert len(lazy) == len(eager) == 100
    for a, b in zip(lazy, eager, strict=True):
        assert a == b  # reads a's lazy fields
        for name in _names(a):
            assert getattr(a, name) == getattr(b, name)
    first = lazy[0]
    assert isinstance(first, m.UserMessageItem)
    assert isinstance(first.content[0], InputText) and first.content is first.content  # kept


def test_raw_bytes_are_kept_read_or_not(body: bytes) -> None:
    elements = _elements(body)
    page = d.decode_item_page(body, dialect="chatkit-python")
    assert [item.raw for item in page.data[:50]] == elements[:50]  # unread
    for item in page.data:
        read_all(item)
    assert [item.raw for item in page.data] == elements
    assert d.encode(page) == body


def _ck(kind: str, i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"ck_{i}", "thread_id": "cthr_1", "created_at": ISO, "type": kind, **fields}


BAD = [
    _ck("user_message", 0, content=[{"type": "input_text", "text": "Hi"}, {"type": "weird"}]),
    _ck("user_message", 1, content=5, attachments=[{"type": "file", "id": "f"}]),
    _ck("assistant_message", 2, content={"text": "not a list"}),
    _ck("workflow", 3, workflow={"tasks": 3}),
    _ck("widget", 4, widget=42),
    _ck("client_tool_call", 5, status="pending", call_id="c", name="n", arguments=[1, 2]),
    _ck("structured_input", 6, status="pending", inputs="why"),
    _ck("end_of_turn", 7),
]


def test_malformed_lazy_fields_are_read_tolerantly() -> None:
    body = json.dumps({"data": BAD, "has_more": False}).encode()
    items = d.decode_item_page(body, dialect="chatkit-python").data
    assert [type(i) for i in items] == [
        m.UserMessageItem,
        m.UserMessageItem,
        m.AssistantMessageItem,
        m.WorkflowItem,
        m.WidgetItem,
        m.ClientToolCallItem,
        m.StructuredInputItem,
        m.EndOfTurnItem,
    ]
    assert [i.created_at for i in items] == [ISO_EPOCH] * 8
    assert [i.raw for i in items] == _elements(body)
    one, two, three = _as(m.UserMessageItem, items[0]), _as(m.UserMessageItem, items[1]), items[2]
    # a bad piece: an Unknown* in its place, as the tolerant reader leaves it
    assert isinstance(one.content[0], InputText)
    assert isinstance(one.content[1], UnknownPart) and one.content[1].type == "weird"
    assert one.content == _as(m.UserMessageItem, d.decode_item(json.dumps(BAD[0]).encode())).content
    # a list that is no list: one Unknown* holding it, with why
    (part,) = two.content
    assert isinstance(part, UnknownPart) and part.raw == b"5" and "array" in part.error
    (attachment,) = two.attachments
    assert isinstance(attachment, UnknownAttachment) and attachment.id == "f"
    (text,) = _as(m.AssistantMessageItem, three).content
    assert isinstance(text, UnknownPart) and text.raw == b'{"text": "not a list"}'
    # a workflow that is none: one with an UnknownTask holding it
    workflow = _as(m.WorkflowItem, items[3]).workflow
    (task,) = workflow.tasks
    assert isinstance(task, UnknownTask) and task.raw == b'{"tasks": 3}'
    assert "`type`" in task.error and workflow.type == ""
    # free JSON that is neither text nor an object: its JSON text
    widget = _as(m.WidgetItem, items[4])
    assert widget.widget == "42" and widget.widget_json == "42"
    assert _as(m.ClientToolCallItem, items[5]).arguments_json == "[1, 2]"
    (entry,) = _as(m.StructuredInputItem, items[6]).inputs
    assert isinstance(entry, UnknownInput) and entry.raw == b'"why"'


T = TypeVar("T")


def _as(cls: type[T], item: object) -> T:
    assert isinstance(item, cls)
    return item


def test_an_items_created_at_reads_as_seconds_whatever_it_was_sent_as() -> None:
    """An item's created_at is kept as msgspec read it (an int, or an RFC 3339 date-time
    made seconds on first read); a fraction or another date-time text takes the
    tolerant way and reads the same; a text that is no time makes an UnknownItem."""
    sent: list[object] = [
        ISO_EPOCH,
        ISO,
        ISO_EPOCH + 0.75,
        "2024-05-01T12:00:00+02:00",
        "20240501T100000Z",  # only datetime.fromisoformat takes it
        "2024-05-01 10:00:00.999999",  # naive: UTC
        "yesterday",
    ]
    dialects: tuple[d.Dialect, ...] = ("api", "chatkit-python")
    for dialect in dialects:
        page = {"data": [_ck("end_of_turn", i, created_at=c) for i, c in enumerate(sent)]}
        body = json.dumps(page).encode()
        items = d.decode_item_page(body, dialect=dialect).data
        assert [i.created_at for i in items[:-1]] == [ISO_EPOCH] * 6, dialect
        assert isinstance(items[-1], m.UnknownItem) and items[-1].created_at is None
        assert [i.raw for i in items] == _elements(body)
