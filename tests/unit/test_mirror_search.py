"""Search over a mirror: the text each item type gives, the query never read as FTS5 syntax,
words, phrases and prefixes, snippets, filters; markup, escape sequences and non-Latin
text in the data and in the query."""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any

import pytest

from chatkit_tui.core.mirror import Mirror, MirrorUrl, Origin
from chatkit_tui.core.mirror.extract import item_text
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord
from chatkit_tui.core.mirror.search import (
    Term,
    index_form,
    match_expression,
    parse_query,
    parse_snippet,
)

T0 = 1_762_000_000


def raw(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def item(kind: str, n: int, thread: str = "cthr_1", **fields: Any) -> dict[str, Any]:
    return {
        "id": f"cthi_{thread}_{n}",
        "object": "chatkit.thread_item",
        "created_at": T0 + n,
        "thread_id": thread,
        "type": kind,
        **fields,
    }


def user_message(n: int, text: str, thread: str = "cthr_1", **more: Any) -> dict[str, Any]:
    content = [{"type": "input_text", "text": text}]
    return item("chatkit.user_message", n, thread, content=content, attachments=[], **more)


def add_thread(
    mirror: Mirror,
    thread_id: str,
    items: list[dict[str, Any]],
    *,
    title: str | None = None,
    user: str = "u_1",
    created_at: int = T0,
) -> None:
    thread = {
        "id": thread_id,
        "object": "chatkit.thread",
        "created_at": created_at,
        "title": title,
        "status": {"type": "active"},
        "user": user,
    }
    records = [
        ItemRecord(
            raw(i), i.get("id"), i.get("created_at"), str(i["type"]).removeprefix("chatkit.")
        )
        for i in items
    ]
    record = ThreadRecord(thread_id, raw(thread), created_at, user, title, "active", True)
    mirror.save_thread(record, records, items_after=records[-1].id if records else None)


@pytest.fixture
def mirror(mirror_target: str) -> Mirror:
    m = Mirror.open(mirror_target, create=True, origin=Origin("http://origin/v1"))
    yield m
    m.close()


# --- what each item type gives to the index ---------------------------------------------------


def test_every_item_type_in_both_spellings_gives_its_text():
    for prefix in ("chatkit.", ""):
        cases: list[tuple[dict[str, Any], list[str], list[str]]] = [
            (
                item(
                    prefix + "user_message",
                    1,
                    content=[
                        {"type": "input_text", "text": "my card was charged twice"},
                        {"type": "quoted_text", "text": "the quoted part"},
                        {"type": "input_tag", "id": "t", "text": "tag text", "data": {}},
                    ],
                    attachments=[{"id": "a", "name": "receipt.pdf", "mime_type": "x"}],
                    quoted_text="python quote",
                ),
                ["charged twice", "quoted part", "tag text", "receipt.pdf", "python quote"],
                ["input_text", "mime_type"],
            ),
            (
                item(
                    prefix + "assistant_message",
                    2,
                    content=[{"type": "output_text", "text": "Refunded.", "annotations": []}],
                ),
                ["Refunded."],
                ["output_text"],
            ),
            (
                item(
                    prefix + "client_tool_call",
                    3,
                    status="completed",
                    call_id="c",
                    name="lookup_order",
                    arguments='{"order_id": "4411"}',
                    output='{"state": "shipped"}',
                ),
                ["lookup_order", "order_id", "4411", "shipped"],
                ["completed"],
            ),
            (  # chatkit-python: arguments and output as JSON values
                item(
                    prefix + "client_tool_call",
                    4,
                    status="pending",
                    call_id="c",
                    name="n",
                    arguments={"city": "Paris"},
                    output={"temp": 21},
                ),
                ["Paris", "city", "21"],
                ["pending"],
            ),
            (
                item(
                    prefix + "widget",
                    5,
                    widget=json.dumps(
                        {
                            "type": "Card",
                            "children": [{"type": "Text", "value": "Your plan renews"}],
                        }
                    ),
                ),
                ["Your plan renews"],
                ["Card", "children"],
            ),
            (  # chatkit-python: the widget as an object, with copy_text
                item(
                    prefix + "widget",
                    6,
                    widget={
                        "type": "Card",
                        "children": [{"type": "Title", "value": "Order summary"}],
                    },
                    copy_text="copy me",
                ),
                ["Order summary", "copy me"],
                ["Title"],
            ),
            (
                item(
                    prefix + "task",
                    7,
                    task_type="thought",
                    heading="Checking policy",
                    summary="within 30 days",
                ),
                ["Checking policy", "within 30 days"],
                ["thought"],
            ),
            (  # chatkit-python's task
                item(
                    prefix + "task",
                    8,
                    task={
                        "type": "custom",
                        "title": "Searching docs",
                        "content": "found 3",
                        "status_indicator": "complete",
                    },
                ),
                ["Searching docs", "found 3"],
                ["complete", "custom"],
            ),
            (
                item(
                    prefix + "task_group",
                    9,
                    tasks=[{"type": "custom", "heading": "Step one", "summary": "done it"}],
                ),
                ["Step one", "done it"],
                [],
            ),
            (
                item(
                    prefix + "workflow",
                    10,
                    workflow={
                        "type": "reasoning",
                        "tasks": [
                            {"type": "thought", "title": "Thinking", "content": "deep thoughts"}
                        ],
                        "summary": {"title": "Thought for 3s"},
                    },
                ),
                ["Thinking", "deep thoughts", "Thought for 3s"],
                ["reasoning"],
            ),
            (
                item(
                    prefix + "structured_input",
                    11,
                    status="pending",
                    inputs=[
                        {
                            "type": "multiple_choice",
                            "id": "q",
                            "question": "Which plan?",
                            "options": [{"value": "pro", "label": "Pro plan"}],
                        }
                    ],
                ),
                ["Which plan?", "Pro plan"],
                [],
            ),
            (
                item(prefix + "hidden_context_item", 12, content="internal note"),
                ["internal note"],
                [],
            ),
            (item(prefix + "sdk_hidden_context", 13, content="sdk note"), ["sdk note"], []),
            (
                item(prefix + "generated_image", 14, image={"id": "i", "url": "https://x/img.png"}),
                [],
                ["img.png"],
            ),
            (item(prefix + "end_of_turn", 15), [], []),
        ]
        for doc, wanted, unwanted in cases:
            text = item_text(raw(doc))
            for word in wanted:
                assert word in text, (doc["type"], word, text)
            for word in unwanted:
                assert word not in text, (doc["type"], word, text)
            assert doc["id"] not in text  # the envelope is not content


def test_an_unknown_type_gives_its_string_values_and_not_json_gives_its_text():
    doc = item("chatkit.survey", 1, question="How did we do?", answers=["great", {"note": "fast"}])
    text = item_text(raw(doc))
    assert {"How did we do?", "great", "fast"} <= set(text.split("\n"))
    assert "chatkit.survey" not in text and "cthr_1" not in text
    assert item_text(b"{not json at all") == "{not json at all"
    assert item_text(b'["a", {"b": "c"}]') == "a\nc"


# --- the query ------------------------------------------------------------------------------


def test_queries_split_into_words_phrases_and_prefixes():
    assert parse_query('refund "order status" pay* "card end"*') == [
        Term("refund"),
        Term("order status", phrase=True),
        Term("pay", prefix=True),
        Term("card end", phrase=True, prefix=True),
    ]
    assert parse_query('  "unbalanced phrase') == [Term("unbalanced phrase", phrase=True)]
    assert parse_query('*** "" " "') == []
    assert match_expression("!!! ---") is None
    assert match_expression("") is None


HOSTILE = [
    "AND OR NOT",
    "NEAR(a b)",
    "title: x",
    "body:refund",
    "^start",
    "-refund",
    "+x",
    'a"b',
    '"a""b"',
    "(((",
    ")",
    "*",
    'refund*"',
    "{col1 col2}: x",
    "x NEAR/3 y",
    "'single'",
    '\\"',
    "\x00\x1b[31m\x07",
    "\ufdd0marked\ufdd1",
    "\u2060",
    "[bold]x[/]",
    "[@click=app.quit]",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_nothing_the_user_types_is_fts_syntax_or_an_error(mirror: Mirror, query: str):
    add_thread(mirror, "cthr_1", [user_message(1, "AND OR NOT near a b title x body refund start")])
    mirror.search(query)  # never raises


def test_random_queries_never_raise(mirror: Mirror):
    add_thread(mirror, "cthr_1", [user_message(1, "some text to find")])
    rng = random.Random(7)
    alphabet = "ab \"*()-+^:{}\\'.,;NEAR AND OR NOT\x1b[]\u2060\ufdd0東京é"
    for _ in range(500):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        mirror.search(query)


def test_fts_operators_in_the_query_are_words(mirror: Mirror):
    add_thread(mirror, "cthr_1", [user_message(1, "cats NOT dogs")])
    add_thread(mirror, "cthr_2", [user_message(1, "cats only", "cthr_2")])
    assert {h.thread_id for h in mirror.search("cats NOT dogs")} == {"cthr_1"}
    assert {h.thread_id for h in mirror.search("cats OR nothing")} == set()


# --- searching --------------------------------------------------------------------------------


def test_words_must_all_be_in_one_item_phrases_in_order_prefixes_complete(mirror: Mirror):
    add_thread(
        mirror,
        "cthr_1",
        [
            user_message(1, "I want a refund for my order"),
            user_message(2, "the order shipped late"),
        ],
        title="Billing trouble",
    )
    hits = mirror.search("refund order")
    assert [(h.item_id, h.seq) for h in hits] == [("cthi_cthr_1_1", 0)]
    assert [h.seq for h in mirror.search('"order shipped"')] == [1]
    assert mirror.search('"shipped order"') == []
    assert [h.seq for h in mirror.search("ship*")] == [1]
    assert mirror.search("ship") == []
    title = mirror.search("billing")
    assert [(h.kind, h.item_id, h.seq) for h in title] == [("title", None, None)]
    assert title[0].thread_title == "Billing trouble"


def test_case_and_accents_are_folded(mirror: Mirror):
    add_thread(mirror, "cthr_1", [user_message(1, "Crème BRÛLÉE au Café")])
    assert len(mirror.search("creme brulee")) == 1
    assert len(mirror.search("CAFÉ")) == 1


def test_snippets_mark_the_match_and_keep_the_text(mirror: Mirror):
    words = " ".join(f"w{i}" for i in range(60))
    add_thread(mirror, "cthr_1", [user_message(1, f"{words} the needle here {words}")])
    [hit] = mirror.search("needle")
    assert "…" in hit.snippet and len(hit.snippet) < 200
    [(start, end)] = hit.spans
    assert hit.snippet[start:end] == "needle"
    [phrase] = mirror.search('"needle here"')
    assert [phrase.snippet[s:e] for s, e in phrase.spans] == ["needle here"]


def test_parse_snippet_drops_the_joiners_and_merges_a_phrase():
    text, spans = parse_snippet("a \ufdd0東\ufdd1\u2060\ufdd0京\ufdd1\u2060都")
    assert text == "a 東京都"
    assert spans == [(2, 4)]


def test_markup_and_escape_sequences_in_the_data_are_found_as_text(mirror: Mirror):
    add_thread(
        mirror,
        "cthr_1",
        [
            user_message(1, "[bold]not bold[/bold] and [@click=app.quit]quit[/]"),
            user_message(2, "an \x1b[31mangry\x1b[0m word and a bell\x07 and \x1b]0;title\x07 osc"),
            user_message(3, "bidi \u202eevil\u202c text"),
        ],
    )
    [markup] = mirror.search("bold")
    assert markup.seq == 0 and "[bold]" in markup.snippet  # the snippet is the text as it is
    [escape] = mirror.search("angry")
    assert escape.seq == 1
    assert "\x1b" not in escape.snippet  # the index keeps what a terminal shows
    assert mirror.search("31m") == []
    [bidi] = mirror.search("evil")
    assert bidi.seq == 2 and "\u202e" in bidi.snippet
    # escape sequences and markup in the query are taken the same way
    assert [h.seq for h in mirror.search("\x1b[1mangry\x1b[0m")] == [1]
    assert [h.seq for h in mirror.search("[@click=app.quit]quit")] == [0]


def test_non_latin_text_is_found_by_words_and_cjk_inside_runs(mirror: Mirror):
    add_thread(
        mirror,
        "cthr_1",
        [
            user_message(1, "東京都の天気は晴れです"),
            user_message(2, "Привет, мир! Заказ номер 42"),
            user_message(3, "مرحبا بالعالم"),
            user_message(4, "서울에서 배송 문의"),
            user_message(5, "Γειά σου κόσμε"),  # noqa: RUF001
            user_message(6, "สวัสดีครับ ขอบคุณ"),
            user_message(7, "emoji 🎉 party"),
        ],
        title="日本語のタイトル",
    )

    def seqs(query: str) -> list[int | None]:
        return sorted((h.seq for h in mirror.search(query)), key=lambda s: -1 if s is None else s)

    assert seqs("東京") == [0]
    assert seqs("天気") == [0]
    assert seqs("京都") == [0]  # CJK matches inside a run
    assert seqs("天京") == []  # but in order
    assert seqs("晴*") == [0]
    assert seqs("мир") == [1]
    assert seqs("ЗАКАЗ") == [1]  # noqa: RUF001
    assert seqs("мир заказ") == [1]
    assert seqs("بالعالم") == [2]
    assert seqs("배송") == [3]
    assert seqs("ΚΌΣΜΕ") == [4]  # case folded beyond Latin (accents: Latin only)
    assert seqs("สวัสดี*") == [5]
    assert seqs("party") == [6]
    assert seqs("タイトル") == [None]
    [hit] = mirror.search("天気")
    assert hit.snippet == "東京都の天気は晴れです"
    assert [hit.snippet[s:e] for s, e in hit.spans] == ["天気"]


def test_filters_by_user_time_and_type(mirror: Mirror):
    add_thread(
        mirror,
        "cthr_a",
        [user_message(1, "shared word", "cthr_a")],
        user="alice",
        title="shared word",
    )
    add_thread(
        mirror,
        "cthr_b",
        [
            user_message(1, "shared word", "cthr_b"),
            item(
                "assistant_message",
                500,
                "cthr_b",
                content=[{"type": "output_text", "text": "shared word", "annotations": []}],
            ),
        ],
        user="bob",
    )
    assert {h.thread_id for h in mirror.search("shared", user="alice")} == {"cthr_a"}
    assert {h.kind for h in mirror.search("shared", kinds=["title"])} == {"title"}
    assert {h.kind for h in mirror.search("shared", kinds=["chatkit.assistant_message"])} == {
        "assistant_message"
    }
    assert [h.created_at for h in mirror.search("shared", since=T0 + 100)] == [T0 + 500]
    assert len(mirror.search("shared", limit=2)) == 2
    assert mirror.search("shared", limit=0) == []


def test_titles_are_reindexed_when_they_change_and_hits_say_gone(mirror: Mirror):
    add_thread(mirror, "cthr_1", [user_message(1, "body")], title="old name")
    add_thread(mirror, "cthr_1", [], title="new name")
    assert mirror.search("old") == []
    assert [h.kind for h in mirror.search("new")] == ["title"]
    mirror.mark_gone(["cthr_1"])
    assert all(h.gone for h in mirror.search("body")) and mirror.search("body")
    assert mirror.prune() == 1
    assert mirror.search("body") == [] and mirror.search("new") == []


def test_the_index_form_of_cjk_and_marks():
    assert index_form("ab東京cd") == "ab\u2060東\u2060\u2060京\u2060cd"
    assert index_form("x\ufdd0y") == "x y"
    assert index_form("\x1b[1;31mred\x1b[0m \x9b2Jz \x1b]8;;http://x\x1b\\link") == "red z link"


def _search_keys(mirror: Mirror) -> list[tuple[int, int | None]]:
    """The search rows' keys (an item's pk, minus a thread's) and their items' seq, read
    from each engine's own tables."""
    if isinstance(mirror.path, MirrorUrl):
        import psycopg

        with psycopg.connect(mirror.path.url) as conn:
            return conn.execute(
                "SELECT search.key, items.seq FROM search LEFT JOIN items"
                " ON items.pk = search.key ORDER BY search.key"
            ).fetchall()
    db = sqlite3.connect(mirror.path)
    try:
        return db.execute(
            "SELECT search.rowid, items.seq FROM search LEFT JOIN items"
            " ON items.pk = search.rowid ORDER BY search.rowid"
        ).fetchall()
    finally:
        db.close()


def test_the_fts_table_uses_the_rowids_the_server_and_prune_rely_on(mirror: Mirror):
    add_thread(mirror, "cthr_1", [user_message(1, "alpha"), user_message(2, "beta")], title="t")
    rows = _search_keys(mirror)
    assert [seq for rowid, seq in rows if rowid > 0] == [0, 1]
    assert len([rowid for rowid, _ in rows if rowid < 0]) == 1


def test_an_item_hit_names_the_nearest_earlier_item_with_an_id(mirror: Mirror):
    """The cursor that opens the thread at the hit in one request (``after=after_id``):
    items without an id are stepped over; the first item and a title have none."""
    items = [user_message(n, f"message {n}") for n in range(6)]
    items[0]["content"] = [{"type": "input_text", "text": "firstword"}]
    for n in (3, 4):
        del items[n]["id"]
    items[5]["content"] = [{"type": "input_text", "text": "lastword"}]
    add_thread(mirror, "cthr_1", items, title="titleword")
    [last] = mirror.search("lastword")
    assert (last.seq, last.after_id, last.after_seq) == (5, "cthi_cthr_1_2", 2)
    [first] = mirror.search("firstword")
    assert (first.seq, first.after_id, first.after_seq) == (0, None, None)
    [title] = mirror.search("titleword")
    assert (title.kind, title.after_id, title.after_seq) == ("title", None, None)


# --- a bounded ranking: the first page costs the same however many items match --------------


def many(mirror: Mirror, count: int, *, word: str = "common") -> None:
    """``count`` items in ten threads, each holding ``word``; item ``n`` holds it ``1 + n % 4``
    times (so their ranks differ), and the newest (last written) ones hold ``latest`` too."""
    per = count // 10
    for t in range(10):
        items = [
            user_message(n, " ".join([word] * (1 + n % 4) + ["filler"] * 6), f"cthr_b{t}")
            for n in range(per)
        ]
        add_thread(mirror, f"cthr_b{t}", items, created_at=T0 + t, user=f"u_{t % 2}")


def test_few_matches_are_ranked_whole_and_counted_for_free(mirror: Mirror):
    many(mirror, 40)
    found = mirror.search_page("common", limit=5, ranked=40)
    assert not found.capped and found.ranked == 40 and found.described() == ""
    assert [h.item_id for h in found.hits] == [h.item_id for h in mirror.search("common", limit=5)]
    assert mirror.count_matches("common") == 40
    assert mirror.count_matches("filler comm*") == 40
    assert mirror.count_matches("common", user="u_0") == 20
    assert mirror.count_matches('"filler common"') == 0
    assert mirror.count_matches("!!!") == 0


def test_many_matches_rank_only_the_newest_and_say_so(mirror: Mirror):
    many(mirror, 40)
    whole = mirror.search_page("common", limit=40, ranked=1000)
    found = mirror.search_page("common", limit=3, ranked=8)
    assert found.capped and found.ranked == 8 and len(found.hits) == 3
    # the 8 ranked: the newest (last written) matches in a file, the first stored in a
    # database (the oldest here); the hits are the best of those 8
    threads = ("cthr_b9", "cthr_b8") if mirror.engine == "sqlite" else ("cthr_b0", "cthr_b1")
    ranked = {f"cthi_{t}_{n}" for t in threads for n in range(4)}
    assert {h.item_id for h in found.hits} <= ranked
    best_of_ranked = [h for h in whole.hits if h.item_id in ranked][:3]
    assert [h.rank for h in found.hits] == [h.rank for h in best_of_ranked]
    among = "the newest 8" if mirror.engine == "sqlite" else "the first 8 in storage order"
    assert found.among == among
    assert found.described() == f"best of {among} of more than 8 matches"
    assert found.described(mirror.count_matches("common")).endswith(" of 40 matches")
    # the filters choose the ranked set: eight of user u_1's matches, none of u_0's
    mine = mirror.search_page("common", user="u_1", limit=20, ranked=8)
    assert mine.capped and len(mine.hits) == 8
    assert all(h.user == "u_1" for h in mine.hits)
    # exactly as many matches as may be ranked: every match ranked, not capped
    assert not mirror.search_page("common", ranked=40).capped
    assert mirror.search_page("common", ranked=39).capped
