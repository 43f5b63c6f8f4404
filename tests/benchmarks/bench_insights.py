"""Insights over a mirror of 1,000,000 threads and 5,000,000 items: each section's time,
all of them, peak RSS; unfiltered, filtered by a user, by a date range. And what keeping
the summaries costs a mirror run that adds 1,000 threads.

Run: ``python tests/benchmarks/bench_insights.py`` (``--threads``, ``--db PATH``; the
mirror is kept at ``/tmp/insights-bench/mirror.sqlite3`` and reused when it is there).

``--engine postgresql`` (with ``--url postgresql://...`` of an empty database, or of one
this made before, reused; the password from ``PGPASSWORD`` or ``~/.pgpass`` if not in
the URL): the same measurements over a PostgreSQL mirror holding the file's rows, copied
by COPY (``bench_search.copy_into``), then made layout 1 (no summaries) and upgraded in
place by a writable open (``Mirror.open``: what the next ``mirror`` run does), timed. The
URL reaches the measuring subprocesses through the environment, not their arguments.

The file: made by :meth:`chatkit_tui.core.mirror.Mirror.open` (the mirror's own schema),
its ``threads`` and ``items`` rows written in large transactions in that layout (a
thread-per-transaction run through ``save_thread`` would take an hour at this size; the
full-text rows are left out, search is not measured here), then the summaries built by
:func:`chatkit_tui.core.insights.summaries.install` -- what the first writable open of a
layout-2 file runs -- and timed. The data (fixed seed): 365 days, 50,000 users of
Zipf-like activity, 0 to 10 items a thread (5 on average): user and assistant messages,
client tool calls (20 names, some pending), widgets, tasks, attachments; 90 % of threads
active, the rest locked or closed with reasons.

Each measurement runs in a fresh subprocess (its peak RSS: ``VmHWM``, or ``ru_maxrss``
where there is no /proc): open the
file read-only, call each section once in the screen's order, time each. Goals (issue
19): the first chart (``activity``) under 1 s, all sections under 2 s, peak RSS under
200 MB; the cases: unfiltered, a user of the top 1 %, the most active user, 30 days, the
whole year as a range, its last 300 days.

The run: a local server seeded with 1,000 threads (on loopback as it is, and at 50 ms
latency as a real API answers); ``mirror`` into a new file, three
times with the summaries kept and three times without (``summaries.refresh_thread``
replaced by a no-op), the medians of wall time and of process CPU compared (goal: under
5 %); and, not moved by other work on a shared machine, the share of each run's own CPU
spent inside ``refresh_thread`` and in writing a batch's totals (``PendingTotals.flush``;
its thread's CPU time), and the wall time spent there over the run's wall time. Before a
flush is timed, a savepoint of the benchmark's own makes FTS5 write the batch's pending
search rows (which it does at the first statement of the transaction that fires a
trigger, the user counts', else at the commit): search's work, kept out of the hook's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from chatkit_tui.core.insights import summaries  # noqa: E402
from chatkit_tui.core.mirror import Mirror, Origin  # noqa: E402

DEFAULT_DB = Path("/tmp/insights-bench/mirror.sqlite3")
START = 1_767_225_600  # 2026-01-01
DAYS = 365
USERS = 50_000
TOOLS = [f"tool_{n:02d}" for n in range(20)]
WIDGETS = ["Card", "ListView", "Form", "Chart"]
MIMES = ["image/png", "application/pdf", "text/csv", "image/jpeg"]


def build(path: Path, threads: int, seed: int = 19) -> dict[str, float]:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with (
        Mirror.open(path, create=True, origin=Origin("http://bench/v1")) as mirror,
        mirror.reading() as db,
    ):
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")
        db.execute("BEGIN")
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(USERS)]
        users = rng.choices(range(USERS), weights=weights, k=threads)
        thread_rows: list[tuple[object, ...]] = []
        item_rows: list[tuple[object, ...]] = []
        total_items = 0
        for t in range(threads):
            thread_id = f"cthr_{t:024x}"
            created = START + rng.randrange(DAYS * 86_400)
            user = f"user_{users[t]:05d}"
            roll = rng.random()
            if roll < 0.9:
                status: dict[str, object] = {"type": "active"}
            elif roll < 0.95:
                status = {"type": "closed", "reason": rng.choice(["resolved", "spam", ""])}
            else:
                status = {"type": "locked", "reason": "under review"}
            doc = {"id": thread_id, "object": "chatkit.thread", "created_at": created,
                   "title": f"thread {t}", "status": status, "user": user}  # fmt: skip
            count = rng.randrange(11)
            at = created
            for n in range(count):
                at += rng.randrange(1, 120)
                item_id = f"cthi_{t:016x}{n:08x}"
                item: dict[str, object] = {"id": item_id, "object": "chatkit.thread_item",
                                           "created_at": at, "thread_id": thread_id}  # fmt: skip
                if n % 2 == 0:
                    kind = "user_message"
                    item["content"] = [{"type": "input_text", "text": "a question"}]
                    if rng.random() < 0.05:
                        item["attachments"] = [{"id": "f", "name": "f", "type": "file",
                                                "mime_type": rng.choice(MIMES)}]  # fmt: skip
                else:
                    kind = rng.choices(
                        ["assistant_message", "client_tool_call", "widget", "task"],
                        weights=[80, 10, 5, 5],
                    )[0]
                    if kind == "assistant_message":
                        item["content"] = [{"type": "output_text", "text": "an answer"}]
                    elif kind == "client_tool_call":
                        name = rng.choice(TOOLS)
                        done = rng.random() < 0.9
                        item.update(name=name, call_id="c", arguments="{}",
                                    status="completed" if done else "pending")  # fmt: skip
                    elif kind == "widget":
                        item["widget"] = json.dumps({"type": rng.choice(WIDGETS), "children": []})
                    else:
                        state = rng.choice(["complete", "loading"])
                        item["task"] = {"type": "custom", "title": "step",
                                        "status_indicator": state}  # fmt: skip
                item["type"] = f"chatkit.{kind}"
                item_rows.append(
                    (
                        thread_id,
                        n,
                        item_id,
                        at,
                        kind,
                        json.dumps(item, separators=(",", ":")).encode(),
                    )
                )
            total_items += count
            raw = json.dumps(doc, separators=(",", ":")).encode()
            thread_rows.append(
                (
                    thread_id,
                    created,
                    user,
                    doc["title"],
                    status["type"],
                    raw,
                    count,
                    created,
                    created,
                )
            )
            if len(thread_rows) >= 20_000:
                _flush(db, thread_rows, item_rows)
        _flush(db, thread_rows, item_rows)
        db.execute("COMMIT")
        rows_done = time.perf_counter()
        db.execute("BEGIN")
        summaries.install(db)
        db.execute("COMMIT")
        built = time.perf_counter()
        db.execute("BEGIN")  # what the next writable open does: install drops the counts
        summaries.keep_user_counts(db)
        db.execute("COMMIT")
        counted = time.perf_counter()
        db.execute("ANALYZE")
    return {
        "threads": threads,
        "items": total_items,
        "rows_s": round(rows_done - started, 1),
        "summaries_s": round(built - rows_done, 1),
        "user_counts_s": round(counted - built, 1),
        "file_mb": round(path.stat().st_size / 1e6),
    }


def _flush(db: object, threads: list[tuple[object, ...]], items: list[tuple[object, ...]]) -> None:
    import sqlite3

    assert isinstance(db, sqlite3.Connection)
    db.executemany(
        "INSERT INTO threads (id, created_at, user, title, status, raw, readable, item_count,"
        " items_after, first_seen, changed_at, gone_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, NULL, ?, ?,"
        " NULL)",
        threads,
    )
    db.executemany(
        "INSERT INTO items (thread_id, seq, id, created_at, type, raw) VALUES (?, ?, ?, ?, ?, ?)",
        items,
    )
    threads.clear()
    items.clear()


SECTIONS = [
    "activity",
    "overview",
    "hours",
    "statuses",
    "item_mix",
    "time_to_answer",
    "went_wrong",
    "tool_mix",
    "active_users",
]


def measure_child(path: str, filters: dict[str, object]) -> None:
    """In the subprocess: each section once, in the screen's order; JSON to stdout."""
    from chatkit_tui.core import insights

    if path == "env":  # a PostgreSQL URL, kept out of the process list
        path = os.environ["BENCH_MIRROR_URL"]
    chosen = insights.Filters(**filters)  # type: ignore[arg-type]
    started = time.perf_counter()
    mirror = Mirror.open(path, read_only=True)
    opened = time.perf_counter() - started
    times: dict[str, float] = {}
    for name in SECTIONS:
        at = time.perf_counter()
        getattr(insights, name)(mirror, chosen)
        times[name] = round(time.perf_counter() - at, 3)
    total = time.perf_counter() - started
    rss = _peak_rss_mb()
    print(json.dumps({"open_s": round(opened, 3), "sections": times,
                      "first_chart_s": round(opened + times["activity"], 3),
                      "all_s": round(total, 3), "peak_rss_mb": round(rss, 1)}))  # fmt: skip


def _peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (Linux; reset by exec, where ``ru_maxrss`` keeps
    the parent's peak from before the fork), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path | str, filters: dict[str, object]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if isinstance(path, str):  # a URL
        env["BENCH_MIRROR_URL"] = path
        path = "env"
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), json.dumps(filters)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(out.stdout)


def pick_users(path: Path | str) -> tuple[str, str]:
    """A user of the top 1 % (what filtering by a person looks like), and the most
    active user."""
    with Mirror.open(path, read_only=True) as mirror, mirror.summary_reader() as db:
        count = int(db.execute("SELECT count(*) FROM ins_user").fetchone()[0])
        order = f'ORDER BY threads DESC, "user"{db.dialect.collate}'
        row = db.execute(
            f'SELECT "user" FROM ins_user {order} LIMIT 1 OFFSET ?',
            (count // 100,),
        ).fetchone()
        top = db.execute(f'SELECT "user" FROM ins_user {order} LIMIT 1').fetchone()
    return str(row[0]), str(top[0])


def into_postgresql(path: Path, url: str) -> dict[str, object]:
    """The file's threads and items copied into the empty database ``url`` (COPY), the
    database made layout 1, then upgraded in place (timed): the summaries built."""
    import psycopg

    from chatkit_tui.core.mirror.engines import postgres_summaries
    from tests.benchmarks.bench_search import copy_into

    copied = copy_into(path, url)
    with psycopg.connect(url, autocommit=True) as conn:
        for name in postgres_summaries.TABLES:
            conn.execute(f"DROP TABLE {name}")  # pyright: ignore[reportArgumentType, reportCallIssue]
        conn.execute("DELETE FROM meta WHERE key = %s", (postgres_summaries.MARK,))
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    started = time.perf_counter()
    Mirror.open(url).close()  # layout 1 to 2: the summaries built from the rows
    upgraded = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum soon would: index-only scans
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {
        "copy_s": round(copied, 1),
        "upgrade_s": round(upgraded, 1),
        "database_mb": round(int(size[0]) / 1e6) if size else None,
    }


def _has_mirror(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return False
        mark = conn.execute("SELECT value FROM meta WHERE key = 'ins_summaries'").fetchone()
    return mark is not None


_RUN = """
import sys, time
from chatkit_tui.core.insights import summaries
spent = [0.0, 0.0]  # CPU (its thread's), wall
real = summaries.refresh_thread
def fts_first(db):
    # A statement that fires a trigger opens a statement journal, and FTS5 writes the
    # transaction's pending search rows at that savepoint instead of at the commit: its
    # work, not the summaries'. A savepoint of our own first takes it out of the timing.
    if db.in_transaction:
        db.execute("SAVEPOINT bench_fts")
        db.execute("RELEASE bench_fts")
def timed(db, thread_id, held=None, **kw):  # a batch's new thread: no SQL here
    at, wall = time.thread_time(), time.perf_counter()  # CPU: other threads left out
    real(db, thread_id, held, **kw)
    spent[0] += time.thread_time() - at
    spent[1] += time.perf_counter() - wall
summaries.refresh_thread = timed if {mode!r} == "with" else (lambda db, t, h=None, **kw: None)
flush = getattr(summaries, "PendingTotals", None)
if flush is not None:  # a batch's totals, written once before its commit: counted too
    real_flush = flush.flush
    def timed_flush(self, db):
        fts_first(db)
        at, wall = time.thread_time(), time.perf_counter()
        real_flush(self, db)
        spent[0] += time.thread_time() - at
        spent[1] += time.perf_counter() - wall
    flush.flush = timed_flush
from chatkit_tui.cli import main
t, cpu = time.perf_counter(), time.process_time()
rc = main(["mirror", "--base-url", {url!r}, "--db", {db!r}])
wall, cpu = time.perf_counter() - t, time.process_time() - cpu
print("TIME", wall, spent[0], cpu, spent[1], file=sys.stderr)
sys.exit(rc)
"""
"""One run in a subprocess: ``with`` the summaries (the time spent keeping them summed),
or ``without`` (``refresh_thread`` a no-op)."""


def run_cost(threads: int = 1000, repeats: int = 3, latency_ms: float = 0) -> dict[str, object]:
    """``mirror`` of a seeded local server into a new file, with and without the summaries."""
    from chatkit_tui.server.run import BackgroundServer

    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENAI_API_KEY": "sk-bench"}
    results: dict[str, list[float]] = {"with": [], "without": []}
    shares: list[float] = []
    wall_shares: list[float] = []
    cpus: dict[str, list[float]] = {"with": [], "without": []}
    from chatkit_tui.server.faults import Faults

    faults = Faults(latency_ms=latency_ms) if latency_ms else None
    with (
        BackgroundServer(seed=threads, faults=faults) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for n in range(repeats):
            for mode in ("with", "without"):
                db = Path(tmp) / f"{mode}{n}.sqlite3"
                code = _RUN.format(mode=mode, url=server.base_url, db=str(db))
                run = subprocess.run(
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                assert run.returncode == 0, run.stderr
                seconds, inside, cpu, inside_wall = (
                    float(v) for v in run.stderr.rsplit("TIME", 1)[1].split()[:4]
                )
                results[mode].append(seconds)
                cpus[mode].append(cpu)
                if mode == "with":
                    shares.append(inside / cpu)
                    wall_shares.append(inside_wall / seconds)
    with_s = statistics.median(results["with"])
    without_s = statistics.median(results["without"])
    return {
        "threads": threads,
        "latency_ms": latency_ms,
        "with_s": round(with_s, 3),
        "without_s": round(without_s, 3),
        "overhead_pct": round(100 * (with_s - without_s) / without_s, 1),
        "cpu_with_s": round(statistics.median(cpus["with"]), 3),
        "cpu_without_s": round(statistics.median(cpus["without"]), 3),
        "refresh_cpu_share_pct": round(100 * statistics.median(shares), 2),
        # the upkeep's own wall time (in refresh_thread and the flush) over the run's
        "refresh_wall_share_pct": round(100 * statistics.median(wall_shares), 2),
        "runs": results,
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        measure_child(sys.argv[2], json.loads(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--threads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--skip-run", action="store_true", help="leave out the mirror run")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="with --engine postgresql: the database (else a new cluster)")
    parser.add_argument("--run-only", action="store_true", help="only the mirror run")
    parser.add_argument(
        "--counts",
        action="store_true",
        help="only the activity chart with the kept user counts against counting the rows",
    )
    args = parser.parse_args()
    report: dict[str, object] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    if args.run_only:
        report["run"] = run_cost()
        print("run", json.dumps(report["run"]), flush=True)
        report["run_50ms"] = run_cost(latency_ms=50)
        print("run at 50 ms", json.dumps(report["run_50ms"]), flush=True)
        return 0
    if not args.db.exists():
        report["build"] = build(args.db, args.threads)
        print(json.dumps(report["build"]), flush=True)
    if args.counts:
        compare_counts(args.db, report)
        return 0
    if args.engine == "postgresql":
        from tests.fixtures.postgres import Cluster

        with contextlib.ExitStack() as stack:
            url = args.url
            if url is None:
                url = stack.enter_context(Cluster()).create_database()
            if not _has_mirror(url):
                report["copy"] = into_postgresql(args.db, url)
                print("into postgresql", json.dumps(report["copy"]), flush=True)
            measure_all(url, report)
        return 0
    measure_all(args.db, report)
    if not args.skip_run:
        report["run"] = run_cost()
        print("run", json.dumps(report["run"]), flush=True)
        report["run_50ms"] = run_cost(latency_ms=50)
        print("run at 50 ms", json.dumps(report["run_50ms"]), flush=True)
    return 0


def _user_counts(path: Path, keep: bool) -> None:
    """The file's distinct users per day and week kept (triggers and counts), or taken
    away as in a file made before them (the sections then count them from the rows)."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        if keep:
            summaries.keep_user_counts(db)
        else:
            for name in summaries.COUNT_TRIGGERS:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute("COMMIT")
    finally:
        db.close()


def compare_counts(path: Path, report: dict[str, object], rounds: int = 3) -> None:
    """The cases the counts serve (no user filter), with and without them, alternated in
    one run (each measurement a fresh process; the file warm: each case read once first)."""
    month: dict[str, object] = {"since": START + 90 * 86_400, "until": START + 120 * 86_400}
    year: dict[str, object] = {"since": START, "until": START + DAYS * 86_400}
    cases: list[tuple[str, dict[str, object]]] = [("all", {}), ("30 days", month), ("a year", year)]
    for _, filters in cases:
        measure(path, filters)  # warm the pages both read
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for _ in range(rounds):
            for keep in (True, False):
                _user_counts(path, keep)
                for label, filters in cases:
                    got = measure(path, filters)
                    mine = results.setdefault(label, {"counted": [], "scanned": []})
                    key = "counted" if keep else "scanned"
                    mine[key].append(float(got["sections"]["activity"]))  # type: ignore[index]
    finally:
        _user_counts(path, True)
    for label, got in results.items():
        counted, scanned = statistics.median(got["counted"]), statistics.median(got["scanned"])
        line = {
            "activity_counted_s": counted,
            "activity_scanned_s": scanned,
            "ratio": round(scanned / counted, 1) if counted else None,
            "runs": got,
        }
        report[f"counts {label}"] = line
        print(f"user counts, {label}:", json.dumps(line), flush=True)


def measure_all(path: Path | str, report: dict[str, object]) -> None:
    """Each case measured in a subprocess of its own; printed as it comes."""
    user, top = pick_users(path)
    month: dict[str, object] = {"since": START + 90 * 86_400, "until": START + 120 * 86_400}
    year: dict[str, object] = {"since": START, "until": START + DAYS * 86_400}
    cases: list[tuple[str, dict[str, object]]] = [
        ("all", {}),
        ("user", {"user": user}),
        ("most active user", {"user": top}),
        ("30 days", month),
        ("a year", year),
        ("300 days", {"since": START + 65 * 86_400, "until": START + DAYS * 86_400}),
    ]
    for label, filters in cases:
        result = measure(path, filters)
        report[label] = result
        print(label, json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
