"""Fields of a thread item decoded on first read (chatkit-python's pages).

A page of chatkit-python's items is decoded in one pass with the bulky fields of each
record kept as ``msgspec.Raw`` (the JSON as sent, not yet read) and ``created_at`` as
msgspec parses it (a ``datetime``); reading the field decodes it then, keeps the result
in its place, and gives what an eager decode would have given. The fields:
``created_at`` (made epoch seconds), user messages' ``content`` and ``attachments``,
assistant messages' ``content``, widgets' ``widget``, client tool calls' ``arguments``
and ``output``, workflows' ``workflow``, structured inputs' ``inputs``, hidden context's
``content``. Decoding the page reads none of them; showing an item reads its own.

A field that the strict decode rejects when read is read the tolerant way
(:func:`chatkit_tui.client.tolerant.lazy_field`): a bad piece of a list stands in its
place as an ``Unknown*``, a list that is no list is one ``Unknown*`` holding it, a
workflow that is no workflow one with an ``UnknownTask`` holding it, a widget or
arguments that are neither text nor an object their JSON text. Reading never raises.

Here, on the canonical classes, each such field's attribute is a descriptor over the
Struct's own slot: constructors work on the slot as before, an item's ``==`` reads the
lazy fields of both first, and a plain ``msgspec.json.encode`` of an unread record writes
the slot (the ``Raw`` as sent, ``created_at`` as a date-time; ``encode`` writes a record's
raw bytes anyway). Only :mod:`chatkit_tui.client.decoding` puts a
``Raw`` or a ``datetime`` in a slot, and it imports this module first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from msgspec import Raw

from chatkit_tui.client.base import JSONValue, datetime_seconds
from chatkit_tui.client.models import (
    AssistantMessageItem,
    ClientToolCallItem,
    HiddenContextItem,
    StructuredInputItem,
    UserMessageItem,
    WidgetItem,
    WorkflowItem,
    _Item,  # pyright: ignore[reportPrivateUsage]
)

__all__ = ["LAZY_FIELDS", "read_all"]


class _LazyField:
    """A field's attribute: the slot's value, a ``Raw`` there decoded (and kept) first."""

    __slots__ = ("_decode", "_name", "_owner", "_slot")

    def __init__(self, slot: Any, owner: type, name: str, kind: Any) -> None:
        self._slot = slot
        self._owner = owner
        self._name = name
        self._decode = msgspec.json.Decoder(kind).decode

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj)
        if value.__class__ is Raw:
            try:
                value = self._decode(bytes(value))  # a copy decodes faster than the Raw
            except (msgspec.ValidationError, RecursionError) as exc:
                from chatkit_tui.client import tolerant  # the slow path, on first need

                value = tolerant.lazy_field(self._owner, self._name, value, exc)
            self._slot.__set__(obj, value)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        self._slot.__set__(obj, value)


class _LazyTime:
    """``created_at``: epoch seconds, a ``datetime`` in the slot made them first."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj)
        if value.__class__ is datetime:
            value = datetime_seconds(value)
            self._slot.__set__(obj, value)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        self._slot.__set__(obj, value)


def _field_type(owner: type, name: str) -> Any:
    for info in msgspec.structs.fields(owner):  # pyright: ignore[reportArgumentType]
        if info.name == name:
            return info.type
    raise LookupError(name)


LAZY_FIELDS: dict[type, tuple[str, ...]] = {
    UserMessageItem: ("content", "attachments"),
    AssistantMessageItem: ("content",),
    WidgetItem: ("widget",),
    ClientToolCallItem: ("arguments", "output"),
    WorkflowItem: ("workflow",),
    StructuredInputItem: ("inputs",),
    HiddenContextItem: ("content",),
}
"""The fields a chatkit-python page keeps as ``Raw`` until read, by item class."""

_FREE_FORM = {(ClientToolCallItem, "output"), (HiddenContextItem, "content")}  # any JSON


def _install() -> None:
    for owner, names in LAZY_FIELDS.items():
        for name in names:
            slot = _declared_slot(owner, name)
            kind = JSONValue if (owner, name) in _FREE_FORM else _field_type(owner, name)
            setattr(owner, name, _LazyField(slot, owner, name, kind))
    setattr(_Item, "created_at", _LazyTime(_declared_slot(_Item, "created_at")))  # noqa: B010


def _declared_slot(owner: type, name: str) -> Any:
    for cls in owner.__mro__:
        slot = cls.__dict__.get(name)
        if slot is not None:
            if isinstance(slot, _LazyField | _LazyTime):
                return slot._slot  # pyright: ignore[reportPrivateUsage]
            return slot
    raise LookupError(name)


_install()


def read_all(item: object) -> None:
    """Read every lazily decoded field of ``item`` (so that nothing is left to decode)."""
    getattr(item, "created_at", None)
    for name in LAZY_FIELDS.get(type(item), ()):
        getattr(item, name)


_struct_eq: Callable[[Any, object], Any] = _Item.__eq__


def _eq(self: object, other: object) -> Any:
    """An item's ``==``: the Struct's, once both have read their lazy fields."""
    if self.__class__ is other.__class__:
        read_all(self)
        read_all(other)
    return _struct_eq(self, other)


def _ne(self: object, other: object) -> Any:
    equal = _eq(self, other)
    return equal if equal is NotImplemented else not equal


setattr(_Item, "__eq__", _eq)  # noqa: B010
setattr(_Item, "__ne__", _ne)  # noqa: B010
