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
  (what chatkit-python sends) into ``int``; a string that is no date-time makes the
  record undecodable (taking strings in the one pass keeps such a record from costing
  the whole page a second pass).
- ``JSONValue`` and :func:`json_text`: a field that is a JSON string in the spec and any
  JSON value in chatkit-python (tool call arguments and output, widgets).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec
from msgspec import Raw, Struct

__all__ = [
    "JSONValue",
    "Model",
    "PageSlices",
    "RawBacked",
    "RecordModel",
    "Timestamp",
    "epoch_seconds",
    "json_text",
    "kept_raw",
]

JSONValue: TypeAlias = str | int | float | bool | dict[str, Any] | list[Any] | None
"""Any JSON value, as msgspec decodes it."""

if TYPE_CHECKING:
    Timestamp: TypeAlias = int
else:  # what the decoders accept; RecordModel users only ever see int (see epoch_seconds)
    Timestamp = int | float | str


def epoch_seconds(value: int | float | str) -> int:
    """Whole epoch seconds of a number or an ISO 8601 date-time (naive ones are UTC).

    ValueError for a string that is no date-time.
    """
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("Expected `int` or an ISO 8601 date-time, got `str`") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return math.floor(when.timestamp())
    try:
        return math.floor(value)
    except (OverflowError, ValueError):  # inf, nan
        raise ValueError(f"Expected a finite number, got {value}") from None


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
