"""Bytes from the API -> the Structs of :mod:`chatkit_tui.client.models`, and back.

Pages decode in one pass when every item is one of the six known types; otherwise item
by item, each failure kept as an :class:`~chatkit_tui.client.models.UnknownItem` with its
raw JSON. :func:`encode` and :func:`to_builtins` write an UnknownItem back as that JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Raw, Struct

from chatkit_tui.client.models import (
    ItemPage,
    KnownItem,
    Thread,
    ThreadItem,
    ThreadPage,
    UnknownItem,
)


class _StrictItemPage(Struct, gc=False):
    data: list[KnownItem]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


class _LenientItemPage(Struct, gc=False):
    data: list[Raw]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


class _ItemHead(Struct, gc=False):
    type: Any = None
    id: Any = None
    thread_id: Any = None
    created_at: Any = None


_thread_page_decoder = msgspec.json.Decoder(ThreadPage)
_thread_decoder = msgspec.json.Decoder(Thread)
_item_page_decoder = msgspec.json.Decoder(_StrictItemPage)
_lenient_item_page_decoder = msgspec.json.Decoder(_LenientItemPage)
_item_decoder = msgspec.json.Decoder(KnownItem)
_item_head_decoder = msgspec.json.Decoder(_ItemHead)


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, UnknownItem):
        return Raw(obj.raw)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def decode_item(raw: bytes | Raw) -> ThreadItem:
    """Decode one thread item; anything that is not a valid known item is UnknownItem."""
    data = bytes(raw)
    try:
        return _item_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        try:
            head = _item_head_decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            head = _ItemHead()
        return UnknownItem(
            raw=data,
            error=str(exc),
            type=head.type if isinstance(head.type, str) else None,
            id=head.id if isinstance(head.id, str) else None,
            thread_id=head.thread_id if isinstance(head.thread_id, str) else None,
            created_at=head.created_at if type(head.created_at) is int else None,
        )


def decode_item_page(data: bytes) -> ItemPage:
    """Decode a ThreadItemListResource.

    The fast path decodes the whole page at once; if any item fails (unknown
    type, bad fields) the page is decoded item by item and the failures are
    kept as :class:`UnknownItem`. A page whose envelope itself is malformed
    raises ``msgspec.ValidationError`` / ``msgspec.DecodeError``.
    """
    page: _StrictItemPage | _LenientItemPage
    try:
        page = _item_page_decoder.decode(data)
        items: list[ThreadItem] = list(page.data)
    except msgspec.ValidationError:
        page = _lenient_item_page_decoder.decode(data)
        items = [decode_item(raw) for raw in page.data]
    return ItemPage(
        data=items,
        has_more=page.has_more,
        first_id=page.first_id,
        last_id=page.last_id,
        object=page.object,
    )


def decode_thread_page(data: bytes) -> ThreadPage:
    return _thread_page_decoder.decode(data)


def decode_thread(data: bytes) -> Thread:
    return _thread_decoder.decode(data)


def encode(obj: Any) -> bytes:
    """Encode Structs (or plain data) as JSON; an UnknownItem is written as its raw JSON."""
    return _encoder.encode(obj)


def to_builtins(obj: Any) -> Any:
    """Plain Python data for Structs; an UnknownItem becomes its decoded raw JSON."""
    return msgspec.json.decode(_encoder.encode(obj))
