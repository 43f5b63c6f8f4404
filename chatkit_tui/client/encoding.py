"""Models -> JSON, writing what was decoded back as the bytes it arrived as.

Wherever an object has raw JSON (a decoded :class:`~chatkit_tui.client.models.Thread`,
thread item or page, an ``UnknownItem`` / ``UnreadableThread`` / ``UnknownStatus`` /
``Unknown*`` piece) :func:`encode` writes those bytes, never the Struct's fields: what
no schema names survives, and a decoded record that was changed afterwards is still
written as it came (build a new one, e.g. with ``msgspec.structs.replace``, to write the
change). Pages, lists, tuples and dicts built in code are looked into for decoded
records; anything else built in code is encoded from its fields (an ``Unknown*`` in it
as its raw JSON). Re-exported by :mod:`chatkit_tui.client.decoding`.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from msgspec import Raw

from chatkit_tui.client.base import kept_raw, raw_enc_hook
from chatkit_tui.client.models import ItemPage, ThreadPage

__all__ = ["encode", "raw_json", "to_builtins"]


_encoder = msgspec.json.Encoder(enc_hook=raw_enc_hook)


def _prepared(obj: object) -> object:
    """``obj`` with every decoded record it holds replaced by its raw JSON."""
    kept = kept_raw(obj)
    if kept is not None:
        return Raw(kept)
    if isinstance(obj, ThreadPage | ItemPage):
        return msgspec.structs.replace(obj, data=[_prepared(x) for x in obj.data])
    if isinstance(obj, list | tuple):
        return [_prepared(x) for x in cast("list[object] | tuple[object, ...]", obj)]
    if isinstance(obj, dict):
        return {k: _prepared(v) for k, v in cast("dict[object, object]", obj).items()}
    return obj


def encode(obj: Any) -> bytes:
    """JSON bytes of Structs or plain data; decoded records as their raw JSON."""
    kept = kept_raw(obj)
    if kept is not None:
        return kept
    return _encoder.encode(_prepared(obj))


def raw_json(obj: Any) -> bytes:
    """The JSON a decoded thread, item or unknown piece arrived as, byte for byte.

    For an object built in code, its encoding: the same bytes as :func:`encode`.
    """
    return encode(obj)


def to_builtins(obj: Any) -> Any:
    """Plain Python data (dicts, lists, ...) of what :func:`encode` writes."""
    return msgspec.json.decode(encode(obj))
