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
- A page of chatkit-python's (``dialect="chatkit-python"``) is decoded the same way,
  with what such a server sends in mind: its envelope's ``after`` is read in the same
  pass (the page's ``last_id`` is it while ``has_more``, else None). Its threads'
  ``created_at`` are parsed by msgspec as it reads (``base.ParsedTimestamp``) and made
  seconds for the whole page at once. Its items' ``created_at`` are parsed so too and
  left as date-times, and their bulky fields (contents, attachments, widgets, tool call
  arguments and output, workflows, inputs, hidden context) as ``Raw``, until first read
  (:mod:`.lazy`). Every record of it decodes as a variant subclass (a twin per spelling
  whose fields are typed so), made the canonical class right after. A string there
  that is no RFC 3339 date-time (not what chatkit-python writes), or an item's number
  with a fraction, sends its record the per-element way: it ends as it would in the API's.
- :func:`decode_thread` (retrieve) keeps the whole body as the thread's raw JSON; a
  body that is a JSON object but no valid thread gives an ``UnreadableThread`` (so that
  it can still be archived), a body that is not an object raises.

:func:`encode`, :func:`to_builtins` and :func:`raw_json` (from
:mod:`chatkit_tui.client.encoding`) write a decoded object back from its raw JSON.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias, TypeVar, Union, cast

import msgspec
from msgspec import Raw, Struct

from chatkit_tui.client.base import (
    TOO_DEEP,
    PageSlices,
    ParsedTimestamp,
    datetimes_seconds,
    epoch_seconds,
)
from chatkit_tui.client.encoding import encode, raw_json, to_builtins
from chatkit_tui.client.lazy import LAZY_FIELDS
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
    "Dialect",
    "decode_item",
    "decode_item_page",
    "decode_thread",
    "decode_thread_page",
    "encode",
    "raw_json",
    "to_builtins",
]

R = TypeVar("R")

Dialect: TypeAlias = Literal["api", "chatkit-python"]
"""Whose page it is: the API's (or a mirror's, or the local server's), or a
chatkit-python server's (see the module doc)."""


def _variant(
    cls: type[Any],
    tag: str | None,
    created_at: Any = None,
    lazy: tuple[str, ...] = (),
    **namespace: Any,
) -> type[Any]:
    """A subclass of ``cls`` that decodes its type spelled ``tag`` (e.g. "user_message")
    and, given ``created_at``, that field typed so; the fields named in ``lazy`` are
    kept as ``Raw`` (decoded on first read: :mod:`.lazy`).

    It exists only during decoding: right after (or as it decodes: :func:`_bare_twin`),
    the object is made a plain ``cls`` (``__class__`` set), so that every spelling and
    dialect gives the same class. A variant adds no
    field (it retypes one), so the layouts are the same; ``cls``'s own
    ``__post_init__`` (TaskItem's) is inherited and runs as it decodes.
    """
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = (
        [] if created_at is None else [("created_at", created_at)]
    )
    fields.extend(_raw_field(info) for info in msgspec.structs.fields(cls) if info.name in lazy)
    config: dict[str, Any] = {} if tag is None else {"tag": tag}
    spelled = "" if tag is None else "Bare" if not tag.startswith("chatkit.") else "Prefixed"
    name = f"_{spelled}{'Parsed' if created_at is not None else ''}{'Lazy' if lazy else ''}"
    name += cls.__name__
    return msgspec.defstruct(
        name, fields, bases=(cls,), kw_only=True, module=__name__, namespace=namespace, **config
    )


def _raw_field(info: msgspec.structs.FieldInfo) -> tuple[str, Any] | tuple[str, Any, Any]:
    """``info``'s field typed ``Raw``, its default the JSON of the field's default."""
    if info.required:
        return (info.name, Raw)
    default = info.default_factory() if info.default is msgspec.NODEFAULT else info.default
    return (info.name, Raw, Raw(msgspec.json.encode(default)))


def _bare_twin(cls: type[KnownItem]) -> type[KnownItem]:
    """The variant of ``cls`` for the API's pages in the bare spelling: it makes itself a
    plain ``cls`` as it decodes (in its ``__post_init__``), so that a page in the
    prefixed spelling, the API's own, pays nothing for it."""
    own_post_init: Callable[[Any], None] | None = getattr(cls, "__post_init__", None)

    def __post_init__(self: Any) -> None:
        self.__class__ = cls
        if own_post_init is not None:
            own_post_init(self)

    tag = str(cls.__struct_config__.tag).removeprefix("chatkit.")
    return _variant(cls, tag, __post_init__=__post_init__)


def _tags(cls: type[KnownItem]) -> tuple[str, str]:
    tag = str(cls.__struct_config__.tag)
    return tag, tag.removeprefix("chatkit.")


# The API's pages: the canonical classes, and a twin of each for the bare spelling.
_BARE_TWINS = tuple(_bare_twin(cls) for cls in KNOWN_ITEM_CLASSES)
# chatkit-python's: a variant for each spelling, the bulky fields kept raw (decoded on
# first read: see .lazy).
_PARSED_ITEMS = tuple(
    _variant(cls, tag, None, LAZY_FIELDS.get(cls, ()))
    for cls in KNOWN_ITEM_CLASSES
    for tag in _tags(cls)
)
_PARSED_THREAD = _variant(Thread, None, ParsedTimestamp)

_CANONICAL: dict[type[Any], type[Any]] = {
    variant: variant.__mro__[1] for variant in (*_PARSED_ITEMS, _PARSED_THREAD)
}
"""The class a record of chatkit-python's ends as: its variant's canonical class."""

if TYPE_CHECKING:
    _AnySpelling = KnownItem
    _ParsedItem = KnownItem
    _ParsedThread = Thread
else:
    _AnySpelling = Union[(*KNOWN_ITEM_CLASSES, *_BARE_TWINS)]
    _ParsedItem = Union[(*_PARSED_ITEMS,)]
    _ParsedThread = _PARSED_THREAD


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


# chatkit-python's envelope, whose next cursor is ``after`` (read only in such a page:
# in the API's an ``after`` is an unknown key like any other).
class _AfterRawPage(_RawPage, gc=False):
    after: str | None = None


class _ParsedItemPage(Struct, gc=False):
    data: list[_ParsedItem]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"
    after: str | None = None


class _ParsedThreadPage(Struct, gc=False):
    data: list[_ParsedThread]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"
    after: str | None = None


_Envelope: TypeAlias = (
    ThreadPage | _OnePassItemPage | _RawPage | _ParsedItemPage | _ParsedThreadPage
)


def _next_cursor(head: _Envelope) -> str | None:
    """The page's ``last_id``: chatkit-python's ``after`` while it has more, else as sent."""
    if isinstance(head, _AfterRawPage | _ParsedItemPage | _ParsedThreadPage):
        return head.after if head.has_more else None
    return head.last_id


_thread_decoder = msgspec.json.Decoder(Thread)
_item_decoder = msgspec.json.Decoder(_AnySpelling)
_raw_page_decoder = msgspec.json.Decoder(_RawPage)
_after_raw_page_decoder = msgspec.json.Decoder(_AfterRawPage)

# Where a one-pass decode failed: "... - at `$.data[37].content[1]`" (a page) or
# "... - at `$[37]...`" (a run of elements).
_AT = " - at `$"
_FAILED_AT = re.compile(r" - at `\$(?:\.data)?\[(\d+)\]")

Slow = Callable[[Raw | bytes, str], R]


def _tolerant_item(data: Raw | bytes, error: str) -> ThreadItem:
    from chatkit_tui.client import tolerant  # the slow path, imported on first need

    return tolerant.item(data, error)


def _tolerant_thread(data: Raw | bytes, error: str) -> AnyThread:
    from chatkit_tui.client import tolerant

    return tolerant.thread(data)


def _finish(record: Thread | KnownItem, kept: bytes) -> None:
    """Right after a one-pass decode of one record of the API's: keep the raw JSON, make
    ``created_at`` epoch seconds.

    ValueError when ``created_at`` is a string but no date-time.
    """
    record._raw = kept
    created: object = record.created_at  # int, float or str (see base.Timestamp)
    if created.__class__ is not int:
        record.created_at = epoch_seconds(cast("float | str", created))


# Runs an iterator for its effects (a ``map(setattr, ...)``), in C.
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend
_created_at = attrgetter("created_at")

Finish = Callable[[list[Any], PageSlices, int, Slow[Any]], list[Any]]


def _finish_run(records: list[Any], source: PageSlices, offset: int, slow: Slow[R]) -> list[Any]:
    """``_finish`` for a run of threads of the API's decoded in one pass, the first being
    element ``offset`` of its page (the hot path: ``_finish`` inlined)."""
    index = offset
    for record in records:
        record._raw = (source, index)
        if record.created_at.__class__ is not int:
            _fix_time(records, index - offset, source, index, slow)
        index += 1
    return records


def _finish_item_run(
    records: list[Any], source: PageSlices, offset: int, slow: Slow[R]
) -> list[Any]:
    """``_finish`` for a run of items of the API's: an item's ``created_at`` is an int or
    a date-time already (``base.ItemTimestamp``: one made seconds when first read)."""
    index = offset
    for record in records:
        record._raw = (source, index)
        index += 1
    return records


def _finish_parsed_run(
    records: list[Any], source: PageSlices, offset: int, slow: Slow[R]
) -> list[Any]:
    """The finish for chatkit-python's threads: every record a variant, made its
    canonical class, every ``created_at`` a date-time (or a number), made seconds for the
    whole run at once when they are all aware or all naive (as a page's are)."""
    index = offset
    for record in records:
        record.__class__ = _CANONICAL[type(record)]
        record._raw = (source, index)
        index += 1
    created = list(map(_created_at, records))
    seconds = datetimes_seconds(created)
    if seconds is not None:
        _consume(map(setattr, records, repeat("created_at"), seconds))
        return records
    for position, value in enumerate(created):  # a mix: one by one
        if value.__class__ is not int:
            _fix_time(records, position, source, offset + position, slow)
    return records


def _finish_lazy_run(
    records: list[Any], source: PageSlices, offset: int, slow: Slow[R]
) -> list[Any]:
    """The finish for chatkit-python's items: every record a variant, made its canonical
    class; its ``created_at`` (an int or a date-time) and its raw fields are left to
    :mod:`.lazy`, read when first asked for."""
    index = offset
    for record in records:
        record.__class__ = _CANONICAL[record.__class__]
        record._raw = (source, index)
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


class _Reader(NamedTuple):
    """How one dialect's page of one kind of record is read."""

    page: msgspec.json.Decoder[Any]  # the whole page, in one pass
    raw_page: msgspec.json.Decoder[Any]  # the envelope, ``data`` as raw elements
    run: msgspec.json.Decoder[list[Any]]  # a run of elements, in one pass
    finish: Finish  # right after a pass, over its records


_ITEM_READERS: dict[Dialect, _Reader] = {
    "api": _Reader(
        msgspec.json.Decoder(_OnePassItemPage),
        _raw_page_decoder,
        msgspec.json.Decoder(list[_AnySpelling]),
        _finish_item_run,
    ),
    "chatkit-python": _Reader(
        msgspec.json.Decoder(_ParsedItemPage),
        _after_raw_page_decoder,
        msgspec.json.Decoder(list[_ParsedItem]),
        _finish_lazy_run,
    ),
}
_THREAD_READERS: dict[Dialect, _Reader] = {
    "api": _Reader(
        msgspec.json.Decoder(ThreadPage),
        _raw_page_decoder,
        msgspec.json.Decoder(list[Thread]),
        _finish_run,
    ),
    "chatkit-python": _Reader(
        msgspec.json.Decoder(_ParsedThreadPage),
        _after_raw_page_decoder,
        msgspec.json.Decoder(list[_ParsedThread]),
        _finish_parsed_run,
    ),
}


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


def _decode_page(data: bytes, reader: _Reader, slow: Slow[R]) -> tuple[list[Any], _Envelope]:
    """A page's records (finished) and its envelope (see the module doc)."""
    try:
        head = reader.page.decode(data)
    except msgspec.ValidationError as exc:
        failed = _failed_at(exc)
        head = reader.raw_page.decode(data)  # raises for a malformed envelope
        if failed is None:  # the envelope decodes now: cannot happen; be safe
            failed = (0, str(exc))
        return _elements(head, data, reader, slow, failed), head
    return reader.finish(head.data, PageSlices(data), 0, slow), head


def _elements(
    page: _RawPage, body: bytes, reader: _Reader, slow: Slow[R], failed: tuple[int, str]
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
                run = reader.run.decode(_array(elements, start, stop))
            except msgspec.ValidationError as exc:
                at = _failed_at(exc)
                if at is None:  # cannot happen for a list; be safe: one by one
                    out.extend(slow(e, str(exc)) for e in elements[start:stop])
                    start = stop
                    continue
                bad = (start + at[0], at[1])
                continue
            out.extend(reader.finish(run, source, start, slow))
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


def decode_item_page(data: bytes, *, dialect: Dialect = "api") -> ItemPage:
    """Decode a ThreadItemListResource (or chatkit-python's page of items); ``data`` may
    hold UnknownItem (see the module doc)."""
    try:
        items, head = _decode_page(data, _ITEM_READERS[dialect], _tolerant_item)
    except RecursionError:  # one record nested too deeply: the others decode on their own
        return _one_by_one(data, _ITEM_READERS[dialect], ItemPage, decode_item)
    page = ItemPage(
        data=items,
        has_more=head.has_more,
        first_id=head.first_id,
        last_id=_next_cursor(head),
        object=head.object,
    )
    page._raw = data
    return page


def decode_thread_page(data: bytes, *, dialect: Dialect = "api") -> ThreadPage:
    """Decode a ThreadListResource (or chatkit-python's page of threads); ``data`` may
    hold UnreadableThread (see the module doc)."""
    try:
        threads, head = _decode_page(data, _THREAD_READERS[dialect], _tolerant_thread)
    except RecursionError:  # one record nested too deeply: the others decode on their own
        return _one_by_one(data, _THREAD_READERS[dialect], ThreadPage, _one_thread)
    if isinstance(head, ThreadPage):  # the API's, decoded in one pass: the page itself
        page = head
    else:
        page = ThreadPage(
            data=threads,
            has_more=head.has_more,
            first_id=head.first_id,
            last_id=_next_cursor(head),
            object=head.object,
        )
    page._raw = data
    return page


P = TypeVar("P", ItemPage, ThreadPage)


def _one_by_one(
    data: bytes, reader: _Reader, page_class: type[P], decode_one: Callable[[bytes], Any]
) -> P:
    """A page decoded element by element after a flat split (see :mod:`.split`)."""
    envelope, elements = _split(data)
    head = reader.raw_page.decode(envelope)
    page = page_class(
        data=[decode_one(element) for element in elements],
        has_more=head.has_more,
        first_id=head.first_id,
        last_id=_next_cursor(head),
        object=head.object,
    )
    page._raw = data
    return page


def _one_thread(data: bytes) -> AnyThread:
    """One listed thread on its own (the slow way: only after a page was too deep)."""
    try:
        return decode_thread_page(b'{"data":[' + data + b"]}").data[0]
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
