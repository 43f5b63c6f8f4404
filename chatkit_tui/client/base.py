"""What the response models share: their Struct bases, keeping raw JSON, times and JSON text.

- :class:`Model`: the base of every response Struct (unknown fields are ignored).
- :class:`RecordModel`: the base of a thread, of every known thread item and of the
  list pages. A decoded one keeps the exact bytes it arrived as, outside its fields (in
  a slot the decoders set), readable as ``.raw``; a JSON key ``"raw"`` from the server
  is an unknown field like any other and is ignored. A record of a page cuts its bytes
  out of the page's body only when first asked for (:class:`PageSlices`).
- :class:`RawBacked`: the base of the non-Struct stand-ins for what did not decode
  (``UnknownItem``, ``UnreadableThread``, ``UnknownStatus``, ``UnknownPart``, ...):
  they are their raw JSON, and encoding writes them back as it.
- ``Timestamp``: ``created_at`` is epoch seconds (``int``) for type checkers; the
  one-pass decoders also accept a number with a fraction or any string, and right after
  decoding :func:`epoch_seconds` turns a number or an ISO 8601 / RFC 3339 date-time
  into ``int``; a string that is no date-time makes the record undecodable (taking
  strings in the one pass keeps such a record from costing the whole page a second
  pass). A page of chatkit-python's, whose times are all RFC 3339 date-times, is
  decoded with ``ParsedTimestamp`` instead: msgspec parses them as it reads, and
  :func:`datetimes_seconds` makes the page's seconds in one go; either way a record
  gets the same seconds. A thread item's is ``ItemTimestamp``: an int, or an RFC 3339
  date-time that msgspec parses as it reads and that is made epoch seconds when first
  read (:mod:`chatkit_tui.client.lazy`); anything else there (a fraction, another
  string) sends the item the tolerant way, which reads it as ``Timestamp`` does.
- ``JSONValue`` and :func:`json_text`: a field that is a JSON string in the spec and any
  JSON value in chatkit-python (tool call arguments and output, widgets).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from itertools import repeat
from operator import sub
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec
from msgspec import Raw, Struct

__all__ = [
    "TOO_DEEP",
    "ItemTimestamp",
    "JSONValue",
    "Model",
    "PageSlices",
    "ParsedTimestamp",
    "RawBacked",
    "RecordModel",
    "Timestamp",
    "datetime_seconds",
    "datetimes_seconds",
    "epoch_seconds",
    "json_text",
    "kept_raw",
]

JSONValue: TypeAlias = str | int | float | bool | dict[str, Any] | list[Any] | None
"""Any JSON value, as msgspec decodes it."""

if TYPE_CHECKING:
    Timestamp: TypeAlias = int
    ParsedTimestamp: TypeAlias = int
    ItemTimestamp: TypeAlias = int
else:  # what the decoders accept; RecordModel users only ever see int (see epoch_seconds)
    Timestamp = int | float | str
    ParsedTimestamp = int | float | datetime
    ItemTimestamp = int | datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # naive date-times are UTC
TOO_DEEP = "nested too deeply to decode (kept as sent)"
"""Why a record (or a field) nested past what the decoder follows is kept as sent."""
_NO_TIME = "Expected `int` or an ISO 8601 date-time, got `str`"


def epoch_seconds(value: int | float | str | datetime) -> int:
    """Whole epoch seconds of a number or a date-time (naive ones are UTC).

    A string is read as msgspec reads an RFC 3339 date-time (``T``, ``t`` or a space
    between date and time, ``Z`` or ``z``, a fraction rounded to the microsecond), and
    what msgspec does not take as any ISO 8601 date-time ``datetime.fromisoformat``
    takes: so a record gets the same seconds whether its page was decoded with
    ``Timestamp`` or ``ParsedTimestamp``. The fraction of a second is then dropped
    (floored exactly: no float in between).

    ValueError for a string that is no date-time, or a number that is not finite.
    """
    if type(value) is int:
        return value
    if isinstance(value, datetime):
        return datetime_seconds(value)
    if isinstance(value, str):
        return datetime_seconds(_date_time(value))
    try:
        return math.floor(value)
    except (OverflowError, ValueError):  # inf, nan
        raise ValueError(f"Expected a finite number, got {value}") from None


def datetime_seconds(when: datetime) -> int:
    """Whole epoch seconds of ``when`` (naive: UTC), floored exactly."""
    since = when - (_NAIVE_EPOCH if when.tzinfo is None else _EPOCH)
    return since.days * 86400 + since.seconds  # a timedelta's seconds and microseconds are >= 0


def datetimes_seconds(values: list[Any]) -> list[int] | None:
    """:func:`datetime_seconds` of every one of ``values`` in one go; None unless they
    are all aware date-times or all naive ones (a page's usually are)."""
    for epoch in (_EPOCH, _NAIVE_EPOCH):
        try:
            return [since.days * 86400 + since.seconds for since in map(sub, values, repeat(epoch))]
        except TypeError:  # naive among aware ones, or the other way round, or no datetime
            continue
    return None


def _date_time(text: str) -> datetime:
    """``text`` read as msgspec reads it where it takes it, else as fromisoformat does.

    They differ on little: msgspec takes a lower case ``z`` (fromisoformat does not), and
    rounds a fraction past six digits (fromisoformat cuts it); so msgspec is asked only
    about such a text. Whatever msgspec takes is laid out as RFC 3339 says:
    ``YYYY-MM-DD?HH:MM:SS``, a fraction right after (at [19]), then the offset.
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
        ask = len(text) >= 19 and text[4] == "-" and text[13] == ":"
    else:
        ask = len(text) > 26 and text[19] == "." and text[26].isdigit()
    if ask:
        try:
            return msgspec.convert(text, datetime)
        except msgspec.ValidationError:
            pass
    if when is None:
        raise ValueError(_NO_TIME)
    return when


def json_text(value: JSONValue) -> str:
    """A JSON string field's text as is; any other JSON value as compact JSON text."""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


class Model(Struct, kw_only=True, gc=False):
    """Base of every response model: unknown fields are ignored."""


class RawBacked:
    """Base of what stands in for JSON that did not decode: it *is* its raw JSON.

    Equal (and hashed) by class and raw bytes; encoding writes it back as ``raw``.
    """

    __slots__ = ("raw",)

    raw: bytes

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawBacked) and type(other) is type(self) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)


def raw_enc_hook(obj: Any) -> Any:
    """msgspec's ``enc_hook``: a record kept raw (an ``Unknown*``) is written as its bytes."""
    if isinstance(obj, RawBacked):
        return Raw(obj.raw)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_field_encoder = msgspec.json.Encoder(enc_hook=raw_enc_hook)


class _RawData(Struct, gc=False):
    data: list[Raw]


_raw_data_decoder = msgspec.json.Decoder(_RawData)


class PageSlices:
    """The body of one list page, cut into the raw JSON of its ``data`` elements on demand.

    The one-pass page decoders do not cut the elements out (that would be a second
    pass over every page); a record of the page points here and asks for its bytes
    when someone reads them.
    """

    __slots__ = ("_body", "_slices")

    def __init__(self, body: bytes, slices: list[Raw] | None = None) -> None:
        self._body = body
        self._slices = slices

    def element(self, index: int) -> bytes:
        if self._slices is None:
            self._slices = _raw_data_decoder.decode(self._body).data
        return bytes(self._slices[index])


# What a decoded record holds in ``_raw``: its bytes, or where on its page to find them.
_Kept: TypeAlias = bytes | tuple[PageSlices, int]


class _RawSlot:
    """A slot for the raw JSON: not a msgspec field, so not decoded, encoded or compared."""

    __slots__ = ("_raw",)

    _raw: _Kept  # unset for an object built in code


class RecordModel(Model, _RawSlot, kw_only=True, gc=False):
    """Base of a thread, a thread item, a page: keeps the raw JSON it was decoded from.

    ``raw`` is that JSON exactly as it arrived (for an object built in code, its
    encoding). The bytes live in a slot outside the fields: they take no part in ``==``,
    ``repr`` or a plain ``msgspec.json.encode``, and a JSON key ``"raw"`` is ignored like
    any other unknown key.
    """

    @property
    def raw(self) -> bytes:
        kept = self.kept_raw()
        return _field_encoder.encode(self) if kept is None else kept

    def kept_raw(self) -> bytes | None:
        """The raw JSON this was decoded from; None for an object built in code."""
        kept: _Kept | None = getattr(self, "_raw", None)
        if kept is None or isinstance(kept, bytes):
            return kept
        source, index = kept
        self._raw = data = source.element(index)
        return data


def kept_raw(obj: object) -> bytes | None:
    """The raw JSON ``obj`` was decoded from, if it is a decoded record or a stand-in."""
    if isinstance(obj, RecordModel):
        return obj.kept_raw()
    if isinstance(obj, RawBacked):
        return obj.raw
    return None
