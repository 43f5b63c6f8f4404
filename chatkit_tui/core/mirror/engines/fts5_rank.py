"""bm25 over an FTS5 search's candidates, without ``bm25()``'s pass over every match.

Textual-free, used by :mod:`.sqlite`. FTS5's ``bm25()`` weighs each phrase of a query by
how rare it is (its idf), and counts that, once per query, by running the phrase over the
whole table: for a common word a pass over its every row, for a phrase the positions of
its words in every row that holds them all (a phrase with a common word: 40-60 ms on a
quiet machine at 1,000,000 items however few rows it matches), for a prefix the lists of
every word it begins merged again. The ranking of a search's at most
:data:`~chatkit_tui.core.mirror.search.RANKED` candidates need not pay that:

- **tf**, how often each phrase is in a candidate, is read from FTS5's own ``highlight()``
  of it (FTS5 marks the instances; so a phrase, a prefix and the folding of case and
  accents are matched exactly as the MATCH did), each marked span told to its phrase by
  its words (:func:`fold_words`).
- **the row's length** in words from the table's ``search_docsize`` (what ``bm25()``
  reads), the average from its totals (``search_data`` row 1).
- **idf**: with one phrase it cannot change the order (every score is multiplied by it),
  so it is 1. With more, each phrase's share of rows is counted among the newest
  :data:`WINDOW` rows (all of them in a smaller mirror: then exact) and taken for the
  table's: a bounded count, where ``bm25()`` counts over every row.

The score is then ``bm25()``'s own formula (k1 1.2, b 0.75), negative: lower is better.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from chatkit_tui.core.mirror.search import MARK_END, MARK_START, Term

__all__ = ["K1", "WINDOW", "Phrase", "bm25", "fold_words", "idf", "term_counts", "varints"]

K1 = 1.2
B = 0.75
WINDOW = 50_000
"""How many of the newest rows a phrase's share of rows is counted in (for its idf)."""


def fold_words(text: str) -> list[str]:
    """The words of ``text`` as unicode61 (``remove_diacritics 2``) makes them, as near as
    Python can: runs of letters, numbers, marks and private-use characters, in lower case,
    accents taken off."""
    decomposed = unicodedata.normalize("NFD", text)
    words: list[str] = []
    word: list[str] = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn":  # a combining accent: removed, not a separator
            continue
        if category[0] in "LNM" or category == "Co":
            word.append(ch)
        elif word:
            words.append("".join(word).lower())
            word = []
    if word:
        words.append("".join(word).lower())
    return words


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of a query as FTS5 sees it: its words (folded), a prefix when the last
    one is."""

    words: tuple[str, ...]
    prefix: bool

    @staticmethod
    def of(term: Term) -> Phrase:
        return Phrase(tuple(fold_words(term.text)), term.prefix)

    def count_in(self, words: Sequence[str]) -> int:
        """How many times the phrase is in ``words`` (overlapping ones each counted)."""
        n = len(self.words)
        if n == 0:
            return 0
        head, last = self.words[:-1], self.words[-1]
        found = 0
        for i in range(len(words) - n + 1):
            word = words[i + n - 1]
            if (word == last or (self.prefix and word.startswith(last))) and (
                n == 1 or tuple(words[i : i + n - 1]) == head
            ):
                found += 1
        return found


def term_counts(marked: str, phrases: Sequence[Phrase]) -> list[int]:
    """How many times each phrase is in a row, from its ``highlight()`` (spans between
    ``MARK_START`` and ``MARK_END``). With one phrase every span is one of it; with more,
    a span's words say which (two that overlap share one span: each is counted)."""
    if len(phrases) == 1:
        return [marked.count(MARK_START)]
    counts = [0] * len(phrases)
    for chunk in marked.split(MARK_START)[1:]:
        words = fold_words(chunk.split(MARK_END, 1)[0])
        for i, phrase in enumerate(phrases):
            counts[i] += phrase.count_in(words)
    return counts


def bm25(counts: Sequence[int], length: float, idfs: Sequence[float], average: float) -> float:
    """FTS5's ``bm25()`` of a row (negative: lower is better) from each phrase's count in
    it, its length in words, the phrases' idf, the table's average length."""
    norm = K1 * (1 - B + B * length / average) if average > 0 else K1
    return -sum(w * (f * (K1 + 1)) / (f + norm) for f, w in zip(counts, idfs, strict=True))


def idf(hits: float, rows: int) -> float:
    """bm25's idf of a phrase in ``hits`` of ``rows`` rows (at least 1e-6, as FTS5's)."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5)) if rows > 0 else 0.0
    return value if value > 0 else 1e-6


def varints(blob: bytes) -> list[int]:
    """The SQLite varints in ``blob`` (FTS5's ``docsize`` and totals records)."""
    if not blob or max(blob) < 0x80:  # each a byte (what a row's sizes nearly always are)
        return list(blob)
    out: list[int] = []
    i, n = 0, len(blob)
    while i < n:
        value = 0
        for k in range(9):
            if i >= n:
                break
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        out.append(value)
    return out
