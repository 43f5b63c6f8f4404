"""Search over a mirror of 1,000,000 items: FTS5 (what ``chatkit-tui search`` runs) beside a
``LIKE`` scan of the same text.

Run: ``python tests/benchmarks/bench_search.py`` (``--items``, ``--db PATH`` to keep the
built mirror and reuse it on the next run; ``--engine both``: the same data also built
into a database of a throwaway PostgreSQL cluster, tests/fixtures/postgres.py, and the
same queries timed on both engines side by side, with the median, p95 and the slowest, of
the first page of hits and, apart, of counting every match; ``--pg-url URL``: a database
that holds the same mirror already, e.g. copied from the file by COPY, instead;
``--engine postgresql --pg-url URL``: that database alone, no file needed, the same
queries drawn from its rows).
The mirror is built through :meth:`chatkit_tui.core.mirror.Mirror.save_thread`, as a
mirror run writes it (one
transaction per thread of 20 items). The text: sentences of 8 to 40 words drawn from a
vocabulary of 40,000 made-up words with a Zipf distribution (a few words are in most items,
most words in few), as natural text is.

The queries (fixed seed): single words from four frequency bands (ranks 10-100, 100-1k,
1k-10k, 10k-40k), two-word queries, two-word phrases taken from the text, and 3- and
4-letter prefixes; each run three times, its median kept. Printed: the median over the
queries (goal: under 50 ms) and by kind; the same queries as ``LIKE '%word%'`` scans of the
indexed text (a scan has to read every row to find every match; it cannot rank them),
once each, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from chatkit_tui.core.mirror import Mirror, Origin  # noqa: E402
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord  # noqa: E402
from chatkit_tui.core.mirror.search import RANKED  # noqa: E402

VOCABULARY = 40_000
ITEMS_PER_THREAD = 20
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(rng: random.Random) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choices(SYLLABLES, k=rng.choice((1, 2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def build(path: Path | str, items: int, words: list[str], rng: random.Random) -> float:
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** 1.07 for rank in range(len(words))))
    started = time.perf_counter()
    with Mirror.open(path, create=True, origin=Origin("http://bench/v1")) as mirror:
        for t in range(items // ITEMS_PER_THREAD):
            thread_id = f"cthr_{t:024x}"
            created = 1_790_000_000 + t * 60
            title = " ".join(rng.choices(words, cum_weights=weights, k=4))
            user = f"u_{t % 997}"
            thread = {"id": thread_id, "object": "chatkit.thread", "created_at": created,
                      "title": title, "status": {"type": "active"}, "user": user}  # fmt: skip
            records = []
            for n in range(ITEMS_PER_THREAD):
                text = " ".join(rng.choices(words, cum_weights=weights, k=rng.randrange(8, 41)))
                kind = "user_message" if n % 2 == 0 else "assistant_message"
                part = "input_text" if n % 2 == 0 else "output_text"
                item_id = f"cthi_{t:016x}{n:08x}"
                doc = {"id": item_id, "object": "chatkit.thread_item", "created_at": created + n,
                       "thread_id": thread_id, "type": f"chatkit.{kind}",
                       "content": [{"type": part, "text": text}]}  # fmt: skip
                records.append(ItemRecord(json.dumps(doc).encode(), item_id, created + n, kind))
            record = ThreadRecord(
                thread_id,
                json.dumps(thread).encode(),
                created,
                user,
                title,
                "active",
                True,
            )
            mirror.save_thread(record, records, items_after=records[-1].id)
            if t % 5000 == 4999:
                print(f"  {(t + 1) * ITEMS_PER_THREAD:,} items", flush=True)
    return time.perf_counter() - started


def queries(db: sqlite3.Connection, words: list[str], rng: random.Random) -> list[tuple[str, str]]:
    top = db.execute("SELECT max(id) FROM search_content").fetchone()[0]

    def text_at(rowid: int) -> str:
        row = db.execute("SELECT c0 FROM search_content WHERE id >= ? LIMIT 1", (rowid,))
        return str(row.fetchone()[0])

    return queries_of(int(top), text_at, words, rng)


def queries_of(
    top: int, text_at: Callable[[int], str], words: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """The queries, the phrases taken from the indexed text (``text_at``: the text of the
    first row at or after a key, on either engine: the keys are the same)."""
    out: list[tuple[str, str]] = []
    for low, high in ((10, 100), (100, 1_000), (1_000, 10_000), (10_000, VOCABULARY)):
        out += [(f"word, rank {low}-{high}", rng.choice(words[low:high])) for _ in range(5)]
    out += [("two words", f"{rng.choice(words[100:5000])} {rng.choice(words[100:5000])}")
            for _ in range(10)]  # fmt: skip
    for _ in range(10):
        text = text_at(rng.randrange(1, top)).split()
        at = rng.randrange(len(text) - 1)
        out.append(("phrase", f'"{text[at]} {text[at + 1]}"'))
    prefixes = [w for w in words[100:5000] if len(w) >= 5]
    out += [("prefix", rng.choice(prefixes)[: rng.choice((3, 4))] + "*") for _ in range(10)]
    return out


def like_of(query: str) -> tuple[str, list[str]]:
    """The same question as LIKE conditions on the indexed text."""
    if query.startswith('"'):
        return "c0 LIKE ?", [f"%{query.strip(chr(34))}%"]
    terms = [t.rstrip("*") for t in query.split()]
    return " AND ".join(["c0 LIKE ?"] * len(terms)), [f"%{t}%" for t in terms]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="keep (or reuse) the mirror here")
    parser.add_argument("--like", type=int, default=25, help="queries to time as LIKE scans")
    parser.add_argument("--engine", choices=("sqlite", "both", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=None,
        help="with --engine both: a database that holds the same mirror already (else one is"
        " built in a throwaway cluster); with --engine postgresql (required): the database"
        " searched alone, the same queries drawn from it",
    )
    args = parser.parse_args()
    rng = random.Random(5)
    words = vocabulary(rng)
    if args.engine == "postgresql":
        if not args.pg_url:
            parser.error("--engine postgresql searches an existing database: give --pg-url")
        return postgresql_alone(args.pg_url, words)
    print(
        f"search · {args.items:,} items · Python {platform.python_version()} · SQLite"
        f" {sqlite3.sqlite_version} · {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "mirror.sqlite3"
        fts_path.append(path)
        if not path.exists():
            print(f"building {path} ...")
            seconds = build(path, args.items, words, random.Random(6))
            print(f"built in {seconds:.0f} s ({args.items / seconds:,.0f} items/s)")
        print(f"mirror file {path.stat().st_size / 1e6:,.0f} MB")
        with Mirror.open(path, read_only=True) as mirror:
            held = mirror.info().items
            raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            chosen = queries(raw, words, random.Random(7))
            mirror.search("warm up the page cache")
            raw.execute("SELECT count(*) FROM search_content WHERE c0 LIKE '%zzzz%'").fetchone()
            fts: list[tuple[str, str, float, int]] = []
            for kind, query in chosen:
                times = []
                for _ in range(3):
                    started = time.perf_counter()
                    hits = mirror.search(query, limit=20)
                    times.append(time.perf_counter() - started)
                count = raw.execute(
                    "SELECT count(*) FROM search WHERE search MATCH ?",
                    (_expression(query),),
                ).fetchone()[0]
                fts.append((kind, query, statistics.median(times), count))
                assert hits or count == 0
            if args.engine == "both":
                side_by_side(args.items, words, chosen, fts, args.pg_url)
            like: list[float] = []
            picked = chosen[:: max(1, len(chosen) // args.like)][: args.like]
            for _, query in picked:
                where, params = like_of(query)
                started = time.perf_counter()
                raw.execute(f"SELECT id FROM search_content WHERE {where}", params).fetchall()
                like.append(time.perf_counter() - started)
            raw.close()
    print(f"{held:,} items held\n")
    print(f"{'kind':<22} {'query':<28} {'matches':>9} {'FTS5 ms':>9}")
    for kind, query, seconds, count in fts:
        print(f"{kind:<22} {query:<28} {count:>9,} {seconds * 1000:>9.2f}")
    all_ms = sorted(t * 1000 for _, _, t, _ in fts)
    median = statistics.median(all_ms)
    p90 = all_ms[int(0.9 * (len(all_ms) - 1))]
    print(
        f"\nFTS5, {len(all_ms)} queries: median {median:.2f} ms, p90 {p90:.2f} ms,"
        f" max {all_ms[-1]:.2f} ms"
    )
    by_kind: dict[str, list[float]] = {}
    for kind, _, t, _ in fts:
        by_kind.setdefault(kind.split(",")[0] if kind.startswith("word") else kind, []).append(t)
    for kind, times in by_kind.items():
        print(f"  {kind}: median {statistics.median(times) * 1000:.2f} ms")
    fts_same = [t for (_, q, t, _) in fts if q in {p[1] for p in picked}]
    like_median = statistics.median(like) * 1000
    same_median = statistics.median(fts_same) * 1000
    print(
        f"LIKE scan, the same {len(like)} of those queries: median {like_median:,.0f} ms"
        f" (FTS5 on them: {same_median:.2f} ms) -> FTS5 {like_median / same_median:,.0f}x faster"
    )
    print(f"goal: median under 50 ms -> {'met' if median < 50 else 'NOT met'}")
    return 0


def _summary(times_ms: list[float]) -> str:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    median = statistics.median(ordered)
    return f"median {median:.2f} ms, p95 {p95:.2f} ms, slowest {ordered[-1]:.2f} ms"


def side_by_side(
    items: int,
    words: list[str],
    chosen: list[tuple[str, str]],
    fts: list[tuple[str, str, float, int]],
    pg_url: str | None = None,
) -> None:
    """The same data (the same seeds) in PostgreSQL, the same queries, both engines' times:
    the first page of hits (what the screen shows at once; at most RANKED matches ranked)
    and, apart, the count of every match (what it shows after)."""
    from tests.fixtures.postgres import Cluster

    with contextlib.ExitStack() as stack:
        url = pg_url
        if url is None:
            cluster = stack.enter_context(Cluster())
            url = cluster.create_database()
            print("copying the same mirror into PostgreSQL ...")
            seconds = copy_into(fts_path[0], url)
            print(f"copied in {seconds:.0f} s ({items / seconds:,.0f} items/s)")
        pg: list[tuple[float, float, int]] = []
        with Mirror.open(url, read_only=True) as mirror:
            mirror.search("warm up the buffers")
            for _, query in chosen:
                pg.append(_timed(mirror, query))
        with Mirror.open(fts_path[0], read_only=True) as mirror:
            lite = [_timed(mirror, query) for _, query in chosen]
    print(f"\nfirst page of 20 hits (at most {RANKED:,} matches ranked), and the count apart")
    print(
        f"{'kind':<22} {'query':<28} {'matches':>9} {'SQLite ms':>10} {'PG ms':>9}"
        f" {'count SQLite':>13} {'count PG':>9}"
    )
    for (kind, query, _, count), (p_page, p_count, p_n), (s_page, s_count, _) in zip(
        fts, pg, lite, strict=True
    ):
        differs = "" if p_n == count else f"  (PostgreSQL counts {p_n:,})"
        print(
            f"{kind:<22} {query:<28} {count:>9,} {s_page * 1000:>10.2f} {p_page * 1000:>9.2f}"
            f" {s_count * 1000:>13.2f} {p_count * 1000:>9.2f}{differs}"
        )
    print(f"SQLite (FTS5), first page:         {_summary([t[0] * 1000 for t in lite])}")
    print(f"PostgreSQL (tsvector), first page: {_summary([t[0] * 1000 for t in pg])}")
    print(f"SQLite, the count:                 {_summary([t[1] * 1000 for t in lite])}")
    print(f"PostgreSQL, the count:             {_summary([t[1] * 1000 for t in pg])}")
    print("goal, both: median < 20 ms, p95 < 100 ms, slowest < 200 ms\n")


def postgresql_alone(url: str, words: list[str]) -> int:
    """The same queries (drawn from the database: the same keys and text as the file it
    was copied from) on PostgreSQL alone: the first page and the count of each."""
    import os

    import psycopg

    with psycopg.connect(url) as conn:
        top = int(conn.execute("SELECT max(key) FROM search").fetchone()[0])  # type: ignore[index]

        def text_at(key: int) -> str:
            row = conn.execute(
                "SELECT body FROM search WHERE key >= %s ORDER BY key LIMIT 1", (key,)
            ).fetchone()
            return str(row[0])  # type: ignore[index]

        chosen = queries_of(top, text_at, words, random.Random(7))
    load = os.getloadavg()
    with Mirror.open(url, read_only=True) as mirror:
        held = mirror.info().items
        mirror.search("warm up the buffers")
        timed = [_timed(mirror, query) for _, query in chosen]
    after = os.getloadavg()
    print(f"PostgreSQL alone, {held:,} items ({url.split('@')[-1]})")
    print(f"\nfirst page of 20 hits (at most {RANKED:,} matches ranked), and the count apart")
    print(f"{'kind':<22} {'query':<28} {'matches':>9} {'PG ms':>9} {'count PG':>9}")
    for (kind, query), (page, count, n) in zip(chosen, timed, strict=True):
        print(f"{kind:<22} {query:<28} {n:>9,} {page * 1000:>9.2f} {count * 1000:>9.2f}")
    print(f"PostgreSQL (tsvector), first page: {_summary([t[0] * 1000 for t in timed])}")
    print(f"PostgreSQL, the count:             {_summary([t[1] * 1000 for t in timed])}")
    print("goal: median < 20 ms, p95 < 100 ms, slowest < 200 ms")
    print(f"load average before {load[0]:.2f}, after {after[0]:.2f}")
    return 0


fts_path: list[Path] = []


def copy_into(path: Path, url: str) -> float:
    """The file's rows (threads, items, search rows with the same keys and text) written
    into a new PostgreSQL mirror by COPY, its words made as the engine makes them, the GIN
    index built after; VACUUM ANALYZE, as autovacuum would soon. Seconds taken."""
    import psycopg

    from chatkit_tui.core.mirror.engines.postgres import _vector  # pyright: ignore[reportPrivateUsage]

    started = time.perf_counter()
    with Mirror.open(url, create=True, origin=Origin("http://bench/v1")):
        pass
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    columns = (
        "pk, id, created_at, user, title, status, raw, readable, item_count, items_after,"
        " first_seen, changed_at, gone_at"
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP INDEX search_words")
        pg_columns = columns.replace("user", '"user"')
        with cur.copy(f"COPY threads ({pg_columns}) FROM STDIN") as copy:
            for r in src.execute(f"SELECT {columns} FROM threads"):
                copy.write_row((*r[:7], bool(r[7]), *r[8:]))
        item_columns = "pk, thread_id, seq, id, created_at, type, raw"
        with cur.copy(f"COPY items ({item_columns}) FROM STDIN") as copy:
            for r in src.execute(f"SELECT {item_columns} FROM items"):
                copy.write_row(r)
        with cur.copy(
            "COPY search (key, thread_id, item_id, type, created_at, body, words) FROM STDIN"
        ) as copy:
            for r in src.execute(
                "SELECT rowid, thread_id, item_id, type, created_at, body FROM search"
            ):
                copy.write_row((*r, _vector(str(r[5]))))
        cur.execute("SELECT setval('threads_pk_seq', (SELECT max(pk) FROM threads))")
        cur.execute("SELECT setval('items_pk_seq', (SELECT max(pk) FROM items))")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("CREATE INDEX search_words ON search USING gin (words)")
    src.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _timed(mirror: Mirror, query: str) -> tuple[float, float, int]:
    """The median of three first pages, one count's time, the count."""
    times: list[float] = []
    for _ in range(3):
        started = time.perf_counter()
        mirror.search_page(query, limit=20)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    count = mirror.count_matches(query)
    return statistics.median(times), time.perf_counter() - started, count


def _expression(query: str) -> str:
    from chatkit_tui.core.mirror.search import match_expression

    return match_expression(query) or '""'


if __name__ == "__main__":
    sys.exit(main())
