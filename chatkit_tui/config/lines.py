"""Find the line of a key in TOML text, so config errors can name it.

``tomllib`` keeps no positions, so this scans the text: table headers, ``key = value``
lines (dotted and quoted keys), inline tables, and skips multi-line strings. It is a
locator for error messages, not a parser: the text has already been parsed by tomllib.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_INLINE_KEY = re.compile(rf"(?:\{{|,)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _parse_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Parse a (dotted, maybe quoted) key at ``text[pos:]``; return parts and end index."""
    parts: list[str] = []
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos >= n:
            return None
        ch = text[pos]
        if ch == '"':
            end = pos + 1
            buf: list[str] = []
            while end < n and text[end] != '"':
                if text[end] == "\\" and end + 1 < n:
                    buf.append(text[end + 1])
                    end += 2
                    continue
                buf.append(text[end])
                end += 1
            if end >= n:
                return None
            parts.append("".join(buf))
            pos = end + 1
        elif ch == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                return None
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if match is None:
                return None
            parts.append(match.group())
            pos = match.end()
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def _opens_multiline(value: str) -> str | None:
    """The delimiter of a multi-line string left open at the end of ``value``, if any."""
    for delim in ('"""', "'''"):
        start = value.find(delim)
        if start >= 0 and value.find(delim, start + 3) < 0:
            return delim
    return None


def key_lines(text: str) -> list[tuple[tuple[str, ...], int]]:
    """Every key path defined in ``text`` with its 1-based line number, in order."""
    found: list[tuple[tuple[str, ...], int]] = []
    table: list[str] = []
    open_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None:
            if open_string in line:
                open_string = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            inner = stripped[2:] if stripped.startswith("[[") else stripped[1:]
            parsed = _parse_key(inner, 0)
            if parsed is not None:
                table = parsed[0]
                found.append((tuple(table), number))
            continue
        parsed = _parse_key(stripped, 0)
        if parsed is None:
            continue
        key, end = parsed
        if end >= len(stripped) or stripped[end] != "=":
            continue
        full = (*table, *key)
        found.append((full, number))
        value = stripped[end + 1 :].strip()
        if value.startswith("{"):
            for match in _INLINE_KEY.finditer(value):
                inner_key = _parse_key(match.group(1), 0)
                if inner_key is not None:
                    found.append(((*full, *inner_key[0]), number))
        open_string = _opens_multiline(value)
    return found


def find_line(text: str, key_path: list[str]) -> int | None:
    """The line defining ``key_path``, or the closest enclosing key or table that exists."""
    target = tuple(key_path)
    best: tuple[int, int] | None = None  # (matched length, line)
    for path, number in key_lines(text):
        if len(path) > len(target) or target[: len(path)] != path:
            continue
        if best is None or len(path) > best[0]:
            best = (len(path), number)
    return best[1] if best is not None else None
