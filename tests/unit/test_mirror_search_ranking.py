"""The SQLite mirror's ranking without FTS5's ``bm25()`` pass over every match
(:mod:`chatkit_tui.core.mirror.engines.fts5_rank`): a phrase (and any query whose words
are common) is ranked over its candidates alone, in the order and with the scores that
``bm25()`` gives them; the pieces it is made of."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.core.mirror import Mirror, Origin
from chatkit_tui.core.mirror.engines import fts5_rank
from chatkit_tui.core.mirror.engines import sqlite as engine
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord
from chatkit_tui.core.mirror.search import JOINER, MARK_END, MARK_START, Term, match_expression

T0 = 1_762_000_000

# item n of thread t: "red fox" 1 + (n % 3) times, among words that make lengths differ;
# every item holds "filler" (a word in every row), some "red" and "fox" apart as well
TEXTS = [
    " ".join(
        ["red fox"] * (1 + n % 3)
        + ["filler"] * (n % 5)
        + (["fox red", "fox"] if n % 4 == 0 else [])
        + (["Rëd FOX"] if n % 7 == 0 else [])
    )
    for n in range(30)
]


def add_thread(mirror: Mirror, t: int, texts: list[str]) -> None:
    thread_id = f"cthr_{t}"
    items: list[ItemRecord] = []
    for n, text in enumerate(texts):
        item_id = f"cthi_{t}_{n}"
        doc: dict[str, Any] = {
            "id": item_id,
            "object": "chatkit.thread_item",
            "created_at": T0 + n,
            "thread_id": thread_id,
            "type": "chatkit.user_message",
            "content": [{"type": "input_text", "text": text}],
        }
        items.append(ItemRecord(json.dumps(doc).encode(), item_id, T0 + n, "user_message"))
    thread = {"id": thread_id, "object": "chatkit.thread", "created_at": T0 + t, "title": None}
    record = ThreadRecord(
        thread_id, json.dumps(thread).encode(), T0 + t, "u_1", None, "active", True
    )
    mirror.save_thread(record, items, items_after=items[-1].id)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[SqliteMirror]:
    m = Mirror.open(tmp_path / "mirror.sqlite3", create=True, origin=Origin("http://origin/v1"))
    assert isinstance(m, SqliteMirror)
    for t in range(4):
        add_thread(m, t, TEXTS + [f"filler other words {t} {n}" for n in range(10)])
    yield m
    m.close()


def bm25_of(mirror: SqliteMirror, query: str) -> dict[str, float]:
    """FTS5's own bm25() of every match, by item id (what the ranking used to read)."""
    with mirror.reading() as db:
        rows = db.execute(
            "SELECT item_id, rank FROM search WHERE search MATCH ? ORDER BY rank",
            (match_expression(query),),
        ).fetchall()
    return {str(r[0]): float(r[1]) for r in rows}


def statements(mirror: SqliteMirror, query: str, **kwargs: Any) -> tuple[Any, list[str]]:
    seen: list[str] = []
    with mirror.reading() as db:
        db.set_trace_callback(seen.append)
    try:
        result = mirror.search_page(query, **kwargs)
    finally:
        with mirror.reading() as db:
            db.set_trace_callback(None)
    return result, seen


def test_a_phrase_is_ranked_over_its_candidates_as_bm25_orders_them(mirror: SqliteMirror):
    exact = bm25_of(mirror, '"red fox"')
    found, seen = statements(mirror, '"red fox"', limit=200)
    # no statement asked FTS5 for bm25(): it would first run the phrase over every row
    assert not [s for s in seen if "rank" in s or "bm25" in s]
    assert len(found.hits) == len(exact) == 120 and not found.capped
    # bm25's order: the hits' own bm25 scores never get better down the list, and the
    # best hits are bm25's best (its idf, one number for the one phrase, left out)
    ours = [exact[str(h.item_id)] for h in found.hits]
    assert ours == sorted(exact.values())
    ratios = {round(exact[str(h.item_id)] / h.rank, 9) for h in found.hits}
    assert len(ratios) == 1
    # more "red fox" in an item of one length ranks it higher: 3 times before once
    three, once = TEXTS.index("red fox red fox red fox"), TEXTS.index("red fox")
    order = [h.item_id for h in found.hits]
    assert order.index(f"cthi_3_{three}") < order.index(f"cthi_3_{once}")


def test_words_and_a_phrase_together_score_as_bm25(
    mirror: SqliteMirror, monkeypatch: pytest.MonkeyPatch
):
    # a query of more than one phrase weighs each by its idf, counted (every row: a mirror
    # this small is all inside the window) as bm25() counts it
    monkeypatch.setattr(engine, "EXACT", 0)  # words too: as if each were in many rows
    for query in ('filler "red fox"', "rëd fox filler", "fil* fox", "other 3"):
        exact = bm25_of(mirror, query)
        found, seen = statements(mirror, query, limit=500)
        assert not [s for s in seen if "rank" in s]
        assert found.hits and len(found.hits) == len(exact)
        for hit in found.hits:
            assert math.isclose(hit.rank, exact[str(hit.item_id)], rel_tol=1e-9), query


def test_common_words_leave_bm25_and_rare_ones_keep_it(
    mirror: SqliteMirror, monkeypatch: pytest.MonkeyPatch
):
    _, seen = statements(mirror, "filler")
    assert any("search.rank" in s for s in seen)  # in few rows: bm25() costs little
    monkeypatch.setattr(engine, "EXACT", 10)  # as if in more rows than bm25() is cheap for
    exact = bm25_of(mirror, "filler fox")
    found, seen = statements(mirror, "filler fox", limit=500)
    assert not [s for s in seen if "rank" in s]
    assert found.hits
    assert all(math.isclose(h.rank, exact[str(h.item_id)], rel_tol=1e-9) for h in found.hits)
    assert [h.rank for h in found.hits] == sorted(h.rank for h in found.hits)


def test_past_the_window_a_part_is_counted_in_the_newest_rows_only(
    mirror: SqliteMirror, monkeypatch: pytest.MonkeyPatch
):
    # a mirror larger than the window: each part's rarity is counted among the newest rows
    # (a bounded count), not over every row, and the order is still bm25's here (the newest
    # 40 rows hold the words as densely as the rest)
    monkeypatch.setattr(fts5_rank, "WINDOW", 40)
    exact = bm25_of(mirror, 'filler "red fox"')
    found, seen = statements(mirror, 'filler "red fox"', limit=500)
    counts = [s for s in seen if s.startswith("SELECT count(*) FROM search WHERE")]
    assert len(counts) == 2 and all("rowid >" in s for s in counts)
    assert [exact[str(h.item_id)] for h in found.hits] == sorted(exact.values())


def test_a_phrase_with_many_matches_ranks_the_newest_and_snippets_them(mirror: SqliteMirror):
    whole = mirror.search_page('"red fox"', limit=200)
    found = mirror.search_page('"red fox"', limit=3, ranked=8)
    assert found.capped and found.ranked == 8 and found.among == "the newest 8"
    newest = {f"cthi_3_{n}" for n in range(22, 30)}  # the last written 8 matches
    assert {h.item_id for h in found.hits} <= newest
    best = [h for h in whole.hits if h.item_id in newest][:3]
    assert [h.rank for h in found.hits] == [h.rank for h in best]
    for hit in found.hits:
        assert "red fox" in hit.snippet.lower() and hit.spans and hit.thread_id == "cthr_3"
    # a prefix's hits (snippets read in one pass over the range, not one lookup each)
    prefixed = mirror.search_page('"red fo"*', limit=3, ranked=8)
    assert [h.item_id for h in prefixed.hits] == [h.item_id for h in found.hits]
    assert all(h.snippet == g.snippet for h, g in zip(prefixed.hits, found.hits, strict=True))


def test_with_filters_the_candidates_are_the_filtered_matches(mirror: SqliteMirror):
    found = mirror.search_page('"red fox"', since=T0 + 25, limit=50)
    assert found.hits and all((h.created_at or 0) >= T0 + 25 for h in found.hits)
    assert len(found.hits) == 4 * 5  # items 25-29 of each thread
    assert mirror.search_page('"red fox"', user="u_2").hits == []


# --- the pieces ---------------------------------------------------------------------------------


def test_fold_words_folds_as_unicode61_does():
    assert fts5_rank.fold_words("Rëd  FOX-trot, ÉCOLE") == ["red", "fox", "trot", "ecole"]
    assert fts5_rank.fold_words(f"{JOINER}東{JOINER}{JOINER}京{JOINER}都") == ["東", "京", "都"]
    assert fts5_rank.fold_words("!!! ...") == []


def test_a_phrase_counts_itself_and_its_prefix_in_words():
    phrase = fts5_rank.Phrase.of(Term("red fox"))
    assert phrase.count_in(["red", "fox", "red", "fox", "fox"]) == 2
    assert phrase.count_in(["fox", "red"]) == 0
    prefix = fts5_rank.Phrase.of(Term("red fo", phrase=True, prefix=True))
    assert prefix.count_in(["red", "fox", "red", "fog", "red"]) == 2
    assert fts5_rank.Phrase.of(Term("a a")).count_in(["a", "a", "a"]) == 2


def test_term_counts_read_highlight_spans():
    s, e = MARK_START, MARK_END
    red, fox = fts5_rank.Phrase.of(Term("red")), fts5_rank.Phrase.of(Term("fox"))
    marked = f"a {s}Red{e} and {s}FOX{e} and {s}red{e}."
    assert fts5_rank.term_counts(marked, [red]) == [3]  # one phrase: every span is one
    assert fts5_rank.term_counts(marked, [red, fox]) == [2, 1]
    both = fts5_rank.Phrase.of(Term("red fox"))
    assert fts5_rank.term_counts(f"{s}red fox{e} {s}fox{e}", [both, fox]) == [1, 2]


def test_varints_and_bm25_as_sqlite_writes_and_scores():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    db.execute("INSERT INTO t (body) VALUES (?)", (" ".join(["w"] * 300 + ["x"] * 2),))
    db.execute("INSERT INTO t (body) VALUES ('x y')")
    (size,) = db.execute("SELECT sz FROM t_docsize WHERE id = 1").fetchone()
    assert fts5_rank.varints(size) == [302]  # 302 takes two bytes
    assert fts5_rank.varints(bytes([0x81, 0x80, 0x00, 0x05])) == [1 << 14, 5]
    rank = db.execute("SELECT rank FROM t WHERE t MATCH 'x' AND rowid = 2").fetchone()[0]
    idf = fts5_rank.idf(2, 2)
    assert math.isclose(fts5_rank.bm25([1], 2, [idf], (302 + 2) / 2), rank, rel_tol=1e-9)
    db.close()
