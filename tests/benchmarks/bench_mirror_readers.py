"""Four readers searching and paging while a sync writes: the readers' waits, the sync's cost.

Run: ``python tests/benchmarks/bench_mirror_readers.py`` (``--threads``, ``--items``,
``--latency-ms``, ``--readers``, ``--pause-ms``, ``--engine sqlite|postgresql``). The origin is
bench_mirror.py's (served by ``chatkit-tui serve --latency`` in a process of its own). A
mirror is made of the first half of it (what the readers read from the start), then:

1. alone: the second half mirrored into a copy with no reader (its wall time);
2. with readers: the same into another copy while ``--readers`` reader processes each
   open the mirror read-only and, in a loop, search a word (limit 20) and read a window
   of 50 rows of the app's list at a random position (what a page of the app costs);
   each operation's time is recorded. A reader models a person browsing: after each
   operation it pauses ``--pause-ms`` (default 1000: 0.5-1.5x that, at random) before the
   next, as a person reads a page before asking for another. ``--pause-ms 0`` is the
   worst case instead: every reader in a tight loop, each taking a core's share from the
   sync (on 2 cores, four such readers are a load no team of people makes).

Printed: the sync's time with readers against alone (goal: <= 1.2x), and the readers'
slowest operation, p99 and median (goal: no page waits more than 100 ms), and the median
and slowest of each kind (a search, a page of the list).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from chatkit_tui.core.mirror import Mirror, Origin  # noqa: E402
from tests.benchmarks.bench_mirror import WORDS, make_origin, one_run  # noqa: E402
from tests.benchmarks.local_server import start_server  # noqa: E402


def reader(target: str, stop: Any, out: Any, seed: int, pause: float) -> None:
    rng = random.Random(seed)
    times: list[tuple[str, float]] = []

    def think() -> None:  # a person reading what came back (stop ends it early)
        if pause > 0:
            stop.wait(pause * rng.uniform(0.5, 1.5))

    with Mirror.open(target, read_only=True) as mirror:
        while not stop.is_set():
            started = time.perf_counter()
            mirror.search(rng.choice(WORDS), limit=20)
            times.append(("search", time.perf_counter() - started))
            think()
            started = time.perf_counter()
            total = mirror.count_listed()
            mirror.listed_window(rng.randrange(max(1, total)), 50, total=total)
            times.append(("page", time.perf_counter() - started))
            think()
    out.put(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--threads", type=int, default=4_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--pause-ms", type=int, default=1000, help="a reader's think time")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    cluster = None
    if args.engine == "postgresql":
        from tests.fixtures.postgres import Cluster

        cluster = Cluster().start()
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            half, whole = tmp / "half.sqlite3", tmp / "whole.sqlite3"
            make_origin(half, args.threads // 2, args.items, random.Random(1))
            make_origin(whole, args.threads, args.items, random.Random(1))
            server, url = start_server("--db", str(whole), "--latency", str(args.latency_ms))
            try:
                for mode in ("alone", "readers"):
                    target = str(tmp / f"{mode}.sqlite3")
                    if cluster is not None:
                        target = cluster.create_database()
                    first, first_url = start_server("--db", str(half))  # the first half, fast
                    try:
                        with Mirror.open(target, create=True, origin=Origin(first_url)) as m:
                            asyncio.run(one_run(first_url, m, args.concurrency, first.pid))
                    finally:
                        first.terminate()
                        first.wait(10)
                    _rebase(target, url)
                    stop = multiprocessing.Event()
                    out: Any = multiprocessing.Queue()  # pyright: ignore[reportUnknownVariableType]
                    count = args.readers if mode == "readers" else 0
                    readers = [
                        multiprocessing.Process(
                            target=reader, args=(target, stop, out, n, args.pause_ms / 1000)
                        )
                        for n in range(count)
                    ]
                    for r in readers:
                        r.start()
                    time.sleep(1.0)
                    with Mirror.open(target, origin=Origin(url)) as mirror:
                        run = asyncio.run(one_run(url, mirror, args.concurrency, server.pid))
                    stop.set()
                    times: list[tuple[str, float]] = []
                    for _ in readers:
                        got: list[tuple[str, float]] = out.get(timeout=60)
                        times += got
                    for r in readers:
                        r.join(30)
                    results[mode] = {"wall": run["wall"], "times": times}
                    print(f"{mode}: {run['wall']:.2f} s, {run['summary'].new:,} new threads")
            finally:
                server.terminate()
                server.wait(10)
    finally:
        if cluster is not None:
            cluster.stop()
    alone, busy = results["alone"]["wall"], results["readers"]["wall"]
    ops: list[tuple[str, float]] = results["readers"]["times"]
    times_ms = sorted(t * 1000 for _, t in ops)
    p99 = times_ms[min(len(times_ms) - 1, int(0.99 * len(times_ms)))] if times_ms else 0.0
    by_kind = {kind: sorted(t * 1000 for k, t in ops if k == kind) for kind in ("search", "page")}
    print(
        json.dumps(
            {
                "engine": args.engine,
                "readers": args.readers,
                "pause_ms": args.pause_ms,
                "sync_alone_s": round(alone, 2),
                "sync_with_readers_s": round(busy, 2),
                "ratio": round(busy / alone, 3),
                "reader_ops": len(times_ms),
                "reader_median_ms": round(statistics.median(times_ms), 2) if times_ms else None,
                "reader_p99_ms": round(p99, 2),
                "reader_max_ms": round(times_ms[-1], 2) if times_ms else None,
                **{
                    f"{kind}_{what}_ms": round(fn(ms), 2) if ms else None
                    for kind, ms in by_kind.items()
                    for what, fn in (("median", statistics.median), ("max", max))
                },
            }
        )
    )
    return 0


def _rebase(target: str, base_url: str) -> None:
    """Point the copy's recorded origin at the server now serving the whole origin (the
    same data under another port)."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = 'base_url'", (base_url,))
        return
    import sqlite3

    db = sqlite3.connect(target)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'base_url'", (base_url,))
    db.close()


if __name__ == "__main__":
    sys.exit(main())
