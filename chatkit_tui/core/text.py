"""Text from the API made safe for people: one list of characters never passed on as
they are, and the two ways of showing them.

Textual-free. Unsafe: the C0 controls except tab and newline, DEL, the C1 controls, and
the bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9: they reorder what follows, a
way to spoof a title). :func:`visible` is for a screen or a document (the app, the
Markdown transcript): control pictures (ESC -> ``␛``), ``\\x9b`` for C1, ``<U+202E>``
for bidi. :func:`escaped` is for the script CLI's tables and messages: backslash escapes
(``\\x1b``, ``\\n``) with backslashes doubled, so the text ``\\x1b`` and a real escape
never print alike. The Markdown transcript, the app and the CLI all call these two.
"""

from __future__ import annotations

import re

from rich import cells  # column widths as the app's own rendering counts them

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# what visible() replaces: a lone CR included (a CRLF pair is folded to LF first)
_UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
# what escaped() replaces: every control, newline and tab too, and the backslash
_UNSAFE_ON_A_LINE = re.compile(f"[\\\\\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 "control pictures": ESC -> "␛"
    if code == 0x7F:
        return "\u2421"  # ␡
    if code > 0xFF:  # bidi controls: named, so that the reader sees they are there
        return f"<U+{code:04X}>"
    return f"\\x{code:02x}"  # C1 has no pictures


def visible(text: str) -> str:
    """``text`` with every unsafe character shown as a visible symbol; tabs and newlines
    kept (CRLF becomes LF)."""
    return _UNSAFE.sub(_picture, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """:func:`visible`, with runs of white space (newlines, tabs) folded to one space."""
    return visible(" ".join(text.split()))


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escaped(text: str) -> str:
    """``text`` on one line for a terminal or a pipe: unsafe characters, newlines and tabs
    as backslash escapes, backslashes doubled."""
    return _UNSAFE_ON_A_LINE.sub(_escape, text)


def plural(count: int, word: str = "thread") -> str:
    """``1 thread``, ``1,200 threads``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def cell_len(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters take two)."""
    return cells.cell_len(text)


def fit(text: str, width: int) -> str:
    """``text`` padded, or cut with an ellipsis, to exactly ``width`` columns."""
    if width <= 0:
        return ""
    used = cells.cell_len(text)
    if used <= width:
        return text + " " * (width - used)
    kept: list[str] = []
    used = 0
    for ch in text:
        size = cells.get_character_cell_size(ch)
        if used + size > width - 1:
            break
        kept.append(ch)
        used += size
    return "".join(kept) + "…" + " " * (width - used - 1)
