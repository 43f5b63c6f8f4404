"""Full-text search over a mirror: the text as indexed, the user's query made safe, the hits.

Textual-free. The index is one SQLite FTS5 table (``search``, tokenizer ``unicode61
remove_diacritics 2``: case and accents folded, any script's letters and digits are word
characters) with a row per item (rowid = the item's ``pk``) and a row per titled thread
(rowid = minus the thread's ``pk``); see :mod:`chatkit_tui.core.mirror.store`.

**What is indexed** (:func:`index_form`) is the item's text (:mod:`.extract`) as a terminal
would show it: escape sequences (``ESC [ 31 m``, OSC titles, ...) removed, so that
``\\x1b[31mred\\x1b[0m`` is found by ``red``; Han, kana and Hangul characters each made a
word of its own (with an invisible U+2060 WORD JOINER around each: unicode61 would take a
whole run of CJK text, which has no spaces, for one word), so that ``東京`` is found inside
``東京都の天気`` as the phrase "東 京". Scripts without spaces that this does not cover (Thai,
Lao, Khmer, ...) are found by whole runs and prefixes only.

**The query** (:func:`match_expression`) is never passed to FTS5 as syntax: it is split
into words (white space), ``"quoted phrases"`` and prefixes (a word or phrase ending in
``*``), each made the same way as the indexed text and then quoted as an FTS5 string, so
``AND``, ``NEAR(``, ``col:``, ``^``, ``-`` and unbalanced quotes are just text. Every word
and phrase must be in the same item (or title). A query with no letters or digits matches
nothing.

**Hits** (:meth:`~.store.Mirror.search`, each engine's SQL) come best first (FTS5's
bm25 rank; ``ts_rank`` on PostgreSQL), each with a snippet of the matched text around
the match (FTS5 ``snippet()``), as plain text plus the spans to highlight; the U+2060
joiners are taken out of it again. An item's hit also names the
nearest earlier item that has an id (``after_id``): the cursor that opens the thread at the
hit in one request, on the hosted API as on a served mirror.

**A bounded ranking** (:meth:`~.store.Mirror.search_page`): ranking every match costs time
in proportion to how many there are (a common word is in most items), and a screen that
searches as you type is judged by its slowest keystroke. So at most :data:`RANKED` matches
are ranked: when a query (with its filters) matches more, the best hits are those of the
first :data:`RANKED` matches the engine finds in an order it can read without ranking
(SQLite: the newest, the last the mirror wrote, items before titles; PostgreSQL: the
table's storage order, about the oldest written first), and the result says so
(:attr:`SearchResult.capped`). A query with fewer matches is ranked whole, exactly as
before. How many match in all is counted apart (:meth:`~.store.Mirror.count_matches`),
when it is wanted: the count costs what the whole ranking did, less the ranking.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ELLIPSIS",
    "JOINER",
    "MARK_END",
    "MARK_START",
    "RANKED",
    "SNIPPET_TOKENS",
    "SearchHit",
    "SearchResult",
    "Term",
    "index_form",
    "match_expression",
    "match_parts",
    "parse_query",
    "parse_snippet",
]

SNIPPET_TOKENS = 16
"""How many words a snippet holds around the match (FTS5 allows up to 64)."""

MARK_START = "\ufdd0"  # noncharacters: removed from the indexed text, so never ambiguous
MARK_END = "\ufdd1"
JOINER = "\u2060"  # WORD JOINER: a separator to unicode61 (category Cf), invisible anyway
ELLIPSIS = "…"

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the same with the one-byte C1 introducer
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[ -/]*[0-~]"  # the other two- and three-byte escapes
)
_CJK = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u31ff"  # Bopomofo, Hangul compatibility Jamo, Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7ff"  # Hangul syllables, Jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
    "]"
)
_WORD_CATEGORY = re.compile("[LNM]|Co")
_NOT_OURS = re.compile(f"[{MARK_START}{MARK_END}]")


def index_form(text: str) -> str:
    """``text`` as the index holds it (and as a query's words are made before quoting)."""
    text = _ESCAPES.sub("", text)
    text = _NOT_OURS.sub(" ", text)
    return _CJK.sub(f"{JOINER}\\g<0>{JOINER}", text)


# --- the query ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One part of a query: a word, or a ``"phrase"`` (words next to each other); a prefix
    when it ended in ``*`` (its last word is a prefix)."""

    text: str
    phrase: bool = False
    prefix: bool = False


def parse_query(query: str) -> list[Term]:
    """The terms of what the user typed: words, ``"phrases"``, ``prefix*`` (never an error:
    an unbalanced quote runs to the end)."""
    terms: list[Term] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            text, i = query[i + 1 : end], end + 1
            prefix = i < n and query[i] == "*"
            while i < n and query[i] == "*":
                i += 1
            terms.append(Term(text, phrase=True, prefix=prefix))
            continue
        start = i
        while i < n and not query[i].isspace() and query[i] != '"':
            i += 1
        word = query[start:i]
        stripped = word.rstrip("*")
        terms.append(Term(stripped, prefix=len(stripped) < len(word)))
    return [t for t in terms if t.text.strip()]


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _has_word(text: str) -> bool:
    """Whether unicode61 finds a word in ``text``: it takes letters, numbers, marks and
    private-use characters for word characters, everything else for separators."""
    return any(
        unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Co" for ch in text
    )


def match_parts(query: str) -> list[tuple[str, Term]]:
    """Each term of ``query`` that has a word: its FTS5 expression (a quoted string, `` *``
    after a prefix) and the term with its text in :func:`index_form` (FTS5's phrases, in
    order)."""
    parts: list[tuple[str, Term]] = []
    for term in parse_query(query):
        text = index_form(term.text)
        if _has_word(text):
            expression = _fts_string(text) + (" *" if term.prefix else "")
            parts.append((expression, Term(text, term.phrase, term.prefix)))
    return parts


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH expression for ``query``; None when it has nothing to look for."""
    parts = match_parts(query)
    return " ".join(expression for expression, _ in parts) if parts else None


RANKED = 1_000
"""At most this many matches are ranked for one search (see the module's doc)."""


# --- snippets ------------------------------------------------------------------------------


def parse_snippet(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """A snippet with FTS5's start/end marks -> its plain text and the spans to highlight
    (start and end offsets in characters); the word joiners of :func:`index_form` dropped."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for ch in marked:
        if ch == MARK_START:
            start = length
        elif ch == MARK_END:
            if start is not None and length > start:
                if spans and spans[-1][1] == start:  # adjacent words of a phrase: one span
                    start = spans.pop()[0]
                spans.append((start, length))
            start = None
        elif ch != JOINER:
            out.append(ch)
            length += 1
    return "".join(out), spans


# --- what a search finds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match: an item (``item_id`` may be None for an item without one: ``seq`` says
    which) or a thread's title (``kind == "title"``, ``item_id`` and ``seq`` None)."""

    thread_id: str
    item_id: str | None
    seq: int | None
    kind: str
    """``"title"``, or the item's type without its prefix (``"user_message"``, ...)."""
    created_at: int | None
    snippet: str
    spans: tuple[tuple[int, int], ...]
    """Where in ``snippet`` the query matched: (start, end) character offsets."""
    rank: float
    """bm25 (SQLite: FTS5's, or its formula over the candidates, see
    :mod:`~.engines.fts5_rank`; PostgreSQL: minus ``ts_rank``): lower is better."""
    thread_title: str | None
    user: str | None
    gone: bool
    """The thread was deleted upstream (the mirror keeps it)."""
    after_id: str | None = None
    """The id of the nearest item before this one that has an id (None for a title, the
    first item, or when no earlier item has one): asked for with ``after=after_id``, the
    thread's items begin at (or a few id-less items before) this one, in one request."""
    after_seq: int | None = None
    """Where the ``after_id`` item is (its ``seq``)."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits and how they were ranked."""

    hits: list[SearchHit]
    ranked: int
    """How many matches were ranked to choose ``hits`` (all of them unless ``capped``)."""
    capped: bool
    """More than ``ranked`` match: ``hits`` are the best of the ``ranked`` that :attr:`among`
    names, not of every match (:meth:`~.store.Mirror.count_matches` counts them all)."""
    among: str = ""
    """Which matches were ranked when ``capped``, in words: ``"the newest 1,000"``."""

    def described(self, total: int | None = None) -> str:
        """When ``capped``, the ranking in words for people: ``"best of the newest 1,000 of
        67,012 matches"`` (``total`` None: not counted yet, ``"of more than 1,000"``);
        else ``""``."""
        if not self.capped:
            return ""
        of = f"{total:,}" if total is not None else f"more than {self.ranked:,}"
        return f"best of {self.among} of {of} matches"
