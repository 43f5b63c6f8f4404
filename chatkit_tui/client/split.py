"""Split a page's ``data`` array into its elements without parsing them: the way in when a
record is nested too deeply for the decoder (msgspec raises ``RecursionError`` past about a
thousand levels, for the whole page). Each element is then decoded on its own, and only the
deep one stays raw: one odd record never hides the others.

A flat scan over the bytes (strings and escapes honoured, depth counted, never recursion).
"""

from __future__ import annotations

_OPEN = {ord("{"), ord("[")}
_CLOSE = {ord("}"), ord("]")}
_QUOTE = ord('"')
_BACKSLASH = ord("\\")
_COMMA = ord(",")
_WHITE = {ord(" "), ord("\t"), ord("\n"), ord("\r")}


class SplitError(ValueError):
    """The page is not a JSON object with a ``data`` array (a malformed envelope)."""


def _string_end(data: bytes, at: int) -> int:
    """The index after the string that opens at ``at``."""
    i = at + 1
    n = len(data)
    while i < n:
        c = data[i]
        if c == _BACKSLASH:
            i += 2
            continue
        if c == _QUOTE:
            return i + 1
        i += 1
    raise SplitError("a string does not end")


def split_page(data: bytes) -> tuple[bytes, list[bytes]]:
    """(the page with ``"data": []``, the bytes of each element of its ``data`` array)."""
    n = len(data)
    i = 0
    while i < n and data[i] in _WHITE:
        i += 1
    if i >= n or data[i] != ord("{"):
        raise SplitError("the page is not a JSON object")
    depth = 0
    key: bytes | None = None
    expect_key = False
    while i < n:
        c = data[i]
        if c == _QUOTE:
            end = _string_end(data, i)
            if depth == 1 and expect_key:
                key = data[i + 1 : end - 1]
                expect_key = False
            i = end
            continue
        if c in _OPEN:
            depth += 1
            if depth == 1:
                expect_key = True
            elif depth == 2 and c == ord("[") and key == b"data":
                return _split_array(data, i)
        elif c in _CLOSE:
            depth -= 1
        elif c == _COMMA and depth == 1:
            expect_key = True
        i += 1
    raise SplitError("the page has no data array")


def _split_array(data: bytes, start: int) -> tuple[bytes, list[bytes]]:
    """Elements of the array opening at ``start``; the page with that array emptied."""
    n = len(data)
    depth = 0
    i = start + 1
    element_start: int | None = None
    elements: list[bytes] = []
    while i < n:
        c = data[i]
        if c == _QUOTE:
            if element_start is None:
                element_start = i
            i = _string_end(data, i)
            continue
        if c in _OPEN:
            if element_start is None:
                element_start = i
            depth += 1
        elif c in _CLOSE:
            if depth == 0:  # the array's own end
                if element_start is not None:
                    elements.append(data[element_start:i].rstrip())
                return data[:start] + b"[]" + data[i + 1 :], elements
            depth -= 1
        elif c == _COMMA and depth == 0:
            if element_start is None:
                raise SplitError("an empty element in the data array")
            elements.append(data[element_start:i].rstrip())
            element_start = None
        elif c not in _WHITE and element_start is None:
            element_start = i
        i += 1
    raise SplitError("the data array does not end")


def shallow_fields(data: bytes) -> dict[str, str | int]:
    """The string and whole-number members of a JSON object's top level (``id``, ``type``,
    ``created_at`` ...), found by the same flat scan: what can be said of a record too
    deep to decode. Anything unexpected ends the scan with what was found so far."""
    import json

    found: dict[str, str | int] = {}
    n = len(data)
    i = 0
    while i < n and data[i] in _WHITE:
        i += 1
    if i >= n or data[i] != ord("{"):
        return found
    i += 1
    depth = 0
    key: str | None = None
    try:
        while i < n:
            c = data[i]
            if c == _QUOTE:
                end = _string_end(data, i)
                if depth == 0:
                    text = json.loads(data[i:end])
                    if key is None:
                        key = text
                    else:
                        found[key] = text
                        key = None
                i = end
                continue
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                if depth == 0:
                    break
                depth -= 1
                if depth == 0:
                    key = None  # that member's value was an object or array
            elif c == _COMMA and depth == 0:
                key = None
            elif depth == 0 and key is not None and (c == ord("-") or 48 <= c <= 57):
                stop = i
                while stop < n and (data[stop] == ord("-") or 48 <= data[stop] <= 57):
                    stop += 1
                if stop < n and data[stop] in (ord("."), ord("e"), ord("E")):
                    key = None  # not a whole number
                else:
                    found[key] = int(data[i:stop])
                    key = None
                i = stop
                continue
            i += 1
    except (SplitError, ValueError):
        pass
    return found
