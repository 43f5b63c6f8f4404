"""Mirror 10,000 threads x 20 items from the local server at 50 ms latency, 8 at a time.

Run: ``python tests/benchmarks/bench_mirror.py`` (``--threads``, ``--items``, ``--latency-
ms``, ``--concurrency``, ``--engine postgresql`` to mirror into a database of a throwaway
PostgreSQL cluster, tests/fixtures/postgres.py, instead of a file). The origin's data is
written straight into a server database file, which ``chatkit-tui serve --latency`` then
serves from a *separate process*
(so the server does not share our GIL). :class:`chatkit_tui.core.mirror.MirrorSync` -- what
``chatkit-tui mirror`` runs -- then mirrors it into a fresh file, twice:

1. the first run: every thread listed (a page of 100) and every thread's items read (one
   page of up to 100); its wall time against the ideal, ``requests x latency /
   concurrency`` (every request back to back in every slot), as a ratio (goal: <= 1.3);
2. a second run with nothing new: the requests it sends (should be the list pages plus
   one items request per thread) and the rows it writes (should be none but the run's
   own record), and its wall time against the same ideal.

Requests are counted as they leave (an httpx event hook: retries would count). The CPU
time of this process (the client: HTTP, decoding, and the mirror's writer thread) is
divided by the requests for the CPU cost of one request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin  # noqa: E402
from chatkit_tui.server.store import Store  # noqa: E402
from tests.benchmarks.local_server import process_cpu, start_server  # noqa: E402

WORDS = (
    "refund order invoice shipping account password billing plan upgrade cancel subscription"
    " delivery tracking address card payment charge receipt support ticket issue error login"
    " reset email phone update status late missing damaged return exchange warranty policy"
    " customer agent thanks please help question answer price discount coupon trial export"
).split()


def make_origin(path: Path, threads: int, items: int, rng: random.Random) -> None:
    """``threads`` threads of ``items`` items each (user and assistant turns)."""
    with Store(path) as store:
        base = 1_790_000_000
        thread_rows = []
        item_rows: list[tuple[str, str, int, str, bytes]] = []
        for t in range(threads):
            thread_id = f"cthr_{t:024x}"
            created = base + t * 60
            user = f"user_{rng.randrange(500):03d}"
            title = " ".join(rng.choices(WORDS, k=4)).capitalize()
            thread_rows.append((thread_id, created, user, title, "active", None))
            for n in range(items):
                at = created + n
                text = " ".join(rng.choices(WORDS, k=rng.randrange(12, 40)))
                if n % 2 == 0:
                    body: dict[str, Any] = {
                        "type": "chatkit.user_message",
                        "content": [{"type": "input_text", "text": text}],
                        "attachments": [],
                        "inference_options": None,
                    }
                else:
                    body = {
                        "type": "chatkit.assistant_message",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    }
                item_id = f"cthi_{t:016x}{n:08x}"
                doc = {
                    "id": item_id,
                    "object": "chatkit.thread_item",
                    "created_at": at,
                    "thread_id": thread_id,
                    **body,
                }
                item_rows.append((item_id, thread_id, at, "X", json.dumps(doc).encode()))
            if len(item_rows) >= 50_000:
                store.insert_item_rows(item_rows)
                item_rows = []
        store.insert_thread_rows(thread_rows)
        store.insert_item_rows(item_rows)


async def one_run(
    base_url: str, mirror: Mirror, concurrency: int, server_pid: int
) -> dict[str, Any]:
    counts = {"list": 0, "items": 0}

    async def count(request: httpx.Request) -> None:
        counts["items" if request.url.path.endswith("/items") else "list"] += 1

    http = httpx.AsyncClient(event_hooks={"request": [count]}, trust_env=False)
    async with http, AsyncChatKit(api_key="bench", base_url=base_url, http_client=http) as client:
        changes = mirror.total_changes()
        started, cpu, server_cpu = time.perf_counter(), time.process_time(), process_cpu(server_pid)
        summary = await MirrorSync(client, mirror, concurrency=concurrency).run()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = process_cpu(server_pid) - server_cpu
    return {
        "summary": summary,
        "wall": wall,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "list": counts["list"],
        "items": counts["items"],
        "requests": counts["list"] + counts["items"],
        "changes": mirror.total_changes() - changes,
    }


def report(name: str, r: dict[str, Any], latency: float, concurrency: int) -> float:
    s = r["summary"]
    ideal = r["requests"] * latency / concurrency
    ratio = r["wall"] / ideal
    print(f"\n{name}: {r['wall']:.2f} s, {s.threads:,} threads, {s.items:,} items written")
    print(
        f"  outcome: new {s.new:,}, changed {s.changed:,}, grown {s.grown:,},"
        f" unchanged {s.unchanged:,}, failed {len(s.failed)}, complete {s.complete}"
    )
    print(
        f"  requests {r['requests']:,} ({r['list']:,} list pages + {r['items']:,} items requests);"
        f" rows written {r['changes']:,}"
    )
    print(
        f"  ideal = requests x {latency * 1000:.0f} ms / {concurrency} = {ideal:.2f} s"
        f"  ->  ratio {ratio:.3f}"
    )
    print(
        f"  CPU: client {r['cpu']:.2f} s = {r['cpu'] / r['requests'] * 1000:.2f} ms a request;"
        f" server {r['server_cpu']:.2f} s"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(
        f"mirror · {args.threads:,} threads x {args.items} items · server latency"
        f" {args.latency_ms} ms · concurrency {args.concurrency} · Python"
        f" {platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs"
        f" · into {args.engine}"
    )
    cluster = None
    if args.engine == "postgresql":
        from tests.fixtures.postgres import Cluster

        cluster = Cluster().start()
    with tempfile.TemporaryDirectory() as tmp:
        origin_db = Path(tmp) / "origin.sqlite3"
        started = time.perf_counter()
        make_origin(origin_db, args.threads, args.items, random.Random(1))
        print(f"origin written in {time.perf_counter() - started:.1f} s")
        process, base_url = start_server("--db", str(origin_db), "--latency", str(args.latency_ms))
        target: str = str(Path(tmp) / "mirror.sqlite3")
        if cluster is not None:
            target = cluster.create_database()
        try:
            with Mirror.open(target, create=True, origin=Origin(base_url)) as mirror:
                first = asyncio.run(one_run(base_url, mirror, args.concurrency, process.pid))
                r1 = report("first run", first, latency, args.concurrency)
                second = asyncio.run(one_run(base_url, mirror, args.concurrency, process.pid))
                r2 = report("second run, nothing new", second, latency, args.concurrency)
            size = _size(target)
        finally:
            process.terminate()
            process.wait(10)
            if cluster is not None:
                cluster.stop()
    pages = -(-args.threads // 100)
    expected = pages + args.threads
    print(
        f"\nfirst run {r1:.3f}x the ideal (goal <= 1.3); second run {r2:.3f}x, sent"
        f" {second['requests']:,} requests (list pages + one per thread = {expected:,}),"
        f" wrote {second['changes']} row(s) (the run's record); mirror {size / 1e6:.0f} MB"
        f" ({args.engine})"
    )
    return 0


def _size(target: str) -> int:
    if not target.startswith("postgresql://"):
        return Path(target).stat().st_size
    import psycopg

    with psycopg.connect(target) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    sys.exit(main())
