"""Bytes from the API -> the Structs of :mod:`chatkit_tui.client.models`, and back.

Everything the server sends is read and kept:

- A page decodes in one msgspec pass when every element is clean (the usual case):
  items in either spelling (``"chatkit.user_message"`` or ``"user_message"``: a bare
  spelling decodes as a twin subclass that turns itself into the canonical class),
  ``created_at`` as a number or a string (made epoch seconds right after). The page
  keeps its body as ``raw``; each record points at the body and cuts its own raw JSON
  out of it when first asked (a second pass over the bytes only then).
- When the one pass fails, msgspec says at which element. The envelope is decoded with
  ``data`` as raw elements; the runs of elements between the odd ones are decoded in
  one pass each, the odd ones through :mod:`chatkit_tui.client.tolerant` (an item
  with ``Unknown*`` pieces, an ``UnknownItem``, a thread with an ``UnknownStatus``, an
  ``UnreadableThread``), each keeping its raw JSON. A record whose ``created_at`` is a
  string but no date-time goes there too. Only a malformed envelope raises
  (``msgspec.DecodeError`` for what is not JSON, ``msgspec.ValidationError`` for JSON
  that is not an object with a ``data`` array and well-typed paging fields).
- :func:`decode_thread` (retrieve) keeps the whole body as the thread's raw JSON; a
  body that is a JSON object but no valid thread gives an ``UnreadableThread`` (so that
  it can still be archived), a body that is not an object raises.

:func:`encode`, :func:`to_builtins` and :func:`raw_json` (from
:mod:`chatkit_tui.client.encoding`) write a decoded object back from its raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast

import msgspec
from msgspec import Raw, Struct

from chatkit_tui.client.base import PageSlices, epoch_seconds
from chatkit_tui.client.encoding import encode, raw_json, to_builtins
from chatkit_tui.client.models import (
    KNOWN_ITEM_CLASSES,
    AnyThread,
    ItemPage,
    KnownItem,
    Thread,
    ThreadItem,
    ThreadPage,
    UnknownItem,
    UnknownStatus,
    UnreadableThread,
)

__all__ = [
    "decode_item",
    "decode_item_page",
    "decode_thread",
    "decode_thread_page",
    "encode",
    "raw_json",
    "to_builtins",
]

R = TypeVar("R")


def _bare_twin(cls: type[KnownItem]) -> type[KnownItem]:
    """A subclass decoding the unprefixed spelling of ``cls``'s type, e.g. "user_message".

    It exists only during decoding: its ``__post_init__`` (which msgspec calls right
    after decoding) makes the object a plain ``cls``, so that both spellings give the
    same class in one pass. The twin adds no fields, so the layouts are the same.
    """
    own_post_init: Callable[[Any], None] | None = cls.__dict__.get("__post_init__")

    def __post_init__(self: Any) -> None:
        self.__class__ = cls
        if own_post_init is not None:
            own_post_init(self)

    tag = str(cls.__struct_config__.tag).removeprefix("chatkit.")
    return msgspec.defstruct(  # pyright: ignore[reportReturnType]
        f"_Bare{cls.__name__}",
        [],
        bases=(cls,),
        tag=tag,
        module=__name__,
        namespace={"__post_init__": __post_init__},
    )


_BARE_TWINS = tuple(_bare_twin(cls) for cls in KNOWN_ITEM_CLASSES)

if TYPE_CHECKING:
    _AnySpelling = KnownItem
else:
    _AnySpelling = Union[(*KNOWN_ITEM_CLASSES, *_BARE_TWINS)]


class _OnePassItemPage(Struct, gc=False):
    data: list[_AnySpelling]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


class _RawPage(Struct, gc=False):
    data: list[Raw]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


_thread_page_decoder = msgspec.json.Decoder(ThreadPage)
_thread_decoder = msgspec.json.Decoder(Thread)
_threads_decoder = msgspec.json.Decoder(list[Thread])
_item_page_decoder = msgspec.json.Decoder(_OnePassItemPage)
_item_decoder = msgspec.json.Decoder(_AnySpelling)
_items_decoder = msgspec.json.Decoder(list[_AnySpelling])
_raw_page_decoder = msgspec.json.Decoder(_RawPage)

# Where a one-pass decode failed: "... - at `$.data[37].content[1]`" (a page) or
# "... - at `$[37]...`" (a run of elements).
_AT = " - at `$"
TOO_DEEP = "nested too deeply to decode (kept as sent)"
_FAILED_AT = re.compile(r" - at `\$(?:\.data)?\[(\d+)\]")

Slow = Callable[[Raw | bytes, str], R]


def _tolerant_item(data: Raw | bytes, error: str) -> ThreadItem:
    from chatkit_tui.client import tolerant  # the slow path, imported on first need

    return tolerant.item(data, error)


def _tolerant_thread(data: Raw | bytes, error: str) -> AnyThread:
    from chatkit_tui.client import tolerant

    return tolerant.thread(data)


def _finish(record: Thread | KnownItem, kept: bytes | tuple[PageSlices, int]) -> None:
    """Right after a one-pass decode: keep the raw JSON, make ``created_at`` epoch seconds.

    ValueError when ``created_at`` is a string but no date-time.
    """
    record._raw = kept
    created: object = record.created_at  # int, float or str (see base.Timestamp)
    if type(created) is not int:
        record.created_at = epoch_seconds(cast("float | str", created))


def _finish_run(records: list[Any], source: PageSlices, offset: int, slow: Slow[R]) -> list[Any]:
    """``_finish`` for a run of records decoded in one pass, the first being element
    ``offset`` of its page (the hot path: ``_finish`` inlined)."""
    index = offset
    for record in records:
        record._raw = (source, index)
        if record.created_at.__class__ is not int:
            _fix_time(records, index - offset, source, index, slow)
        index += 1
    return records


def _fix_time(
    records: list[Any], position: int, source: PageSlices, index: int, slow: Slow[R]
) -> None:
    """Make a record's ``created_at`` epoch seconds; one whose ``created_at`` is no time
    is replaced by what ``slow`` makes of its raw JSON."""
    record = records[position]
    try:
        record.created_at = epoch_seconds(record.created_at)
    except ValueError as exc:
        records[position] = slow(source.element(index), str(exc))


def _array(elements: list[Raw], start: int, stop: int) -> bytes:
    return b"[" + b",".join(elements[start:stop]) + b"]"


def _failed_at(error: msgspec.ValidationError) -> tuple[int, str] | None:
    """The index of the element a one-pass decode failed at, and the error as that
    element's own ("- at `$.content[1]`"); None when the envelope itself failed."""
    message = str(error)
    found = _FAILED_AT.match(message, max(message.rfind(_AT), 0))  # the path comes last
    if found is None:
        return None
    own = message[: found.start()] + _AT + message[found.end() :]
    return int(found.group(1)), own.removesuffix(f"{_AT}`")


def _elements(
    page: _RawPage,
    body: bytes,
    decoder: msgspec.json.Decoder[list[Any]],
    slow: Slow[R],
    failed: tuple[int, str],
) -> list[Any]:
    """The elements of a page whose one-pass decode failed at ``failed``: the runs
    between odd elements in one pass each, the odd ones through ``slow``."""
    elements = page.data
    source = PageSlices(body, elements)
    out: list[Any] = []
    start = 0
    bad: tuple[int, str] | None = failed
    while start < len(elements):
        stop = len(elements) if bad is None else bad[0]
        if start < stop:
            try:
                run = decoder.decode(_array(elements, start, stop))
            except msgspec.ValidationError as exc:
                at = _failed_at(exc)
                if at is None:  # cannot happen for a list; be safe: one by one
                    out.extend(slow(e, str(exc)) for e in elements[start:stop])
                    start = stop
                    continue
                bad = (start + at[0], at[1])
                continue
            out.extend(_finish_run(run, source, start, slow))
        if bad is None:
            break
        out.append(slow(elements[stop], bad[1]))
        start, bad = stop + 1, None
    return out


def decode_item(raw: bytes | Raw) -> ThreadItem:
    """Decode one thread item; what is not a valid known item is an UnknownItem.

    A known item keeps ``raw`` as its raw JSON; a bad piece inside it is an ``Unknown*``
    in its place.
    """
    data = bytes(raw)
    try:
        item = _item_decoder.decode(data)
    except msgspec.ValidationError as exc:
        try:
            return _tolerant_item(data, str(exc))
        except RecursionError:
            return _too_deep_item(data)
    except msgspec.DecodeError as exc:  # not JSON: nothing to read, still kept
        return UnknownItem(raw=data, error=str(exc))
    except RecursionError:  # nested past what the decoder follows: kept raw
        return _too_deep_item(data)
    try:
        _finish(item, data)
    except ValueError as exc:  # a created_at that is no time
        return _tolerant_item(data, str(exc))
    return item


def decode_item_page(data: bytes) -> ItemPage:
    """Decode a ThreadItemListResource; ``data`` may hold UnknownItem (see the module doc)."""
    try:
        return _decode_item_page(data)
    except RecursionError:  # one record nested too deeply: the others decode on their own
        return _one_by_one(data, ItemPage, decode_item)


P = TypeVar("P", ItemPage, ThreadPage)


def _one_by_one(data: bytes, page_class: type[P], decode_one: Callable[[bytes], Any]) -> P:
    """A page decoded element by element after a flat split (see :mod:`.split`)."""
    envelope, elements = _split(data)
    head = _raw_page_decoder.decode(envelope)
    page = page_class(
        data=[decode_one(element) for element in elements],
        has_more=head.has_more,
        first_id=head.first_id,
        last_id=head.last_id,
        object=head.object,
    )
    page._raw = data
    return page


def _decode_item_page(data: bytes) -> ItemPage:
    try:
        page = _item_page_decoder.decode(data)
    except msgspec.ValidationError as exc:
        failed = _failed_at(exc)
        raw_page = _raw_page_decoder.decode(data)  # raises for a malformed envelope
        if failed is None:  # the envelope decodes now: cannot happen; be safe
            failed = (0, str(exc))
        items = _elements(raw_page, data, _items_decoder, _tolerant_item, failed)
        result = ItemPage(
            data=items,
            has_more=raw_page.has_more,
            first_id=raw_page.first_id,
            last_id=raw_page.last_id,
            object=raw_page.object,
        )
    else:
        result = ItemPage(
            data=_finish_run(page.data, PageSlices(data), 0, _tolerant_item),
            has_more=page.has_more,
            first_id=page.first_id,
            last_id=page.last_id,
            object=page.object,
        )
    result._raw = data
    return result


def decode_thread_page(data: bytes) -> ThreadPage:
    """Decode a ThreadListResource; ``data`` may hold UnreadableThread (see the module doc)."""
    try:
        return _decode_thread_page(data)
    except RecursionError:  # one record nested too deeply: the others decode on their own
        return _one_by_one(data, ThreadPage, _one_thread)


def _one_thread(data: bytes) -> AnyThread:
    """One listed thread on its own (the slow way: only after a page was too deep)."""
    try:
        return _decode_thread_page(b'{"data":[' + data + b"]}").data[0]
    except RecursionError:
        return _too_deep_thread(data)


def _too_deep_item(data: bytes) -> ThreadItem:
    from chatkit_tui.client.split import shallow_fields

    head = shallow_fields(data)
    text: dict[str, str | None] = {k: v if isinstance(v, str) else None for k, v in head.items()}
    created = head.get("created_at")
    return UnknownItem(
        raw=data,
        error=TOO_DEEP,
        type=text.get("type"),
        id=text.get("id"),
        thread_id=text.get("thread_id"),
        created_at=created if isinstance(created, int) else None,
    )


def _too_deep_thread(data: bytes) -> AnyThread:
    from chatkit_tui.client.split import shallow_fields

    head = shallow_fields(data)
    status = UnknownStatus(raw=b'{"type":"unreadable"}', type="unreadable", reason=TOO_DEEP)

    def text(name: str) -> str | None:
        value = head.get(name)
        return value if isinstance(value, str) else None

    created = head.get("created_at")
    return UnreadableThread(
        raw=data,
        error=TOO_DEEP,
        status=status,
        id=text("id"),
        user=text("user"),
        title=text("title"),
        created_at=created if isinstance(created, int) else None,
    )


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    from chatkit_tui.client.split import SplitError, split_page

    try:
        return split_page(data)
    except SplitError as exc:
        raise msgspec.DecodeError(f"malformed page: {exc}") from None


def _decode_thread_page(data: bytes) -> ThreadPage:
    try:
        page = _thread_page_decoder.decode(data)
    except msgspec.ValidationError as exc:
        failed = _failed_at(exc)
        raw_page = _raw_page_decoder.decode(data)
        if failed is None:
            failed = (0, str(exc))
        threads = _elements(raw_page, data, _threads_decoder, _tolerant_thread, failed)
        page = ThreadPage(
            data=threads,
            has_more=raw_page.has_more,
            first_id=raw_page.first_id,
            last_id=raw_page.last_id,
            object=raw_page.object,
        )
    else:
        _finish_run(page.data, PageSlices(data), 0, _tolerant_thread)
    page._raw = data
    return page


def decode_thread(data: bytes) -> AnyThread:
    """Decode a ThreadResource (a retrieve's body, kept whole as the thread's raw JSON).

    A JSON object that is no valid thread is an UnreadableThread; JSON that is not an
    object raises ``msgspec.ValidationError``, what is not JSON ``msgspec.DecodeError``.
    """
    try:
        thread = _thread_decoder.decode(data)
    except msgspec.ValidationError:
        try:
            return _tolerant_body(data)
        except RecursionError:
            return _too_deep_thread(data)
    except RecursionError:
        return _too_deep_thread(data)
    try:
        _finish(thread, data)
    except ValueError:  # a created_at that is no time
        return _tolerant_body(data)
    return thread


def _tolerant_body(data: bytes) -> AnyThread:
    from chatkit_tui.client import tolerant

    return tolerant.thread(data, whole_body=True)
