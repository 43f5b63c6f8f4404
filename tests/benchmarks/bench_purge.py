"""Purge of 1,000 threads against the local server with 50 ms latency, 8 at a time.

Run: ``python tests/benchmarks/bench_purge.py`` (``--threads``, ``--latency-ms``,
``--concurrency``, ``--no-compare``). Each run starts ``chatkit-tui serve`` in a *separate
process* (so the server does not share our GIL) with ``--latency``, seeded with
``threads + 20`` threads (the newest a day ago, about 6 h apart); then runs what
``threads purge --before <the creation time of the 1,001st oldest> --yes`` runs,
:meth:`chatkit_tui.core.purge.Purge.find_and_delete`: find (oldest first, stopping at the
cutoff) and, as each page arrives, archive and delete its matches with the bulk runner, the
report written as it goes, the request ids kept by the same httpx hook.

The goal's ideal is one read and one delete per thread, ``threads x 2 x latency /
concurrency``: it assumes each thread's items fit one page (100). The oldest 1,000 do (29
items at most); the seed gives two of the newest 20 threads 2,400 and 1,100 items (24 and
11 pages, read one after another), which is why they are left out of the measured purge.

Printed, measured side by side in one run: the wall time of the whole purge (finding
included) against that ideal, as a ratio (goal: <= 1.15); the requests sent and the ideal
for those; the client's CPU time per thread. Then, each on a fresh server: the same
threads through the app's bulk delete (ids only: each thread retrieved again with its first
page of items), and a purge of every seeded thread, the two long ones included (they
finish last: oldest first, they are the newest).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from chatkit_tui.core.bulk import BulkDelete  # noqa: E402
from chatkit_tui.core.purge import Purge, PurgeReport, RequestIds, Rules, read_report  # noqa: E402
from tests.benchmarks.local_server import BETA, process_cpu, start_server  # noqa: E402

GOAL = 1.15


def serve(threads: int, latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    return start_server("--db", ":memory:", "--seed", str(threads), "--latency", str(latency_ms))


class Counter:
    def __init__(self) -> None:
        self.by_kind: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> None:
        path = request.url.path
        kind = (
            "list"
            if path.endswith("/chatkit/threads")
            else "items"
            if path.endswith("/items")
            else f"{request.method} thread"
        )
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def _client(base_url: str, concurrency: int, counter: Counter, ids: RequestIds | None) -> Any:
    limits = httpx.Limits(max_connections=max(100, 2 * concurrency))
    hooks: dict[str, list[Any]] = {"request": [counter]}
    if ids is not None:
        hooks["response"] = [ids]
    http = httpx.AsyncClient(event_hooks=hooks, limits=limits, trust_env=False)
    return http, AsyncChatKit(api_key="bench", base_url=base_url, http_client=http)


def cutoff_after(base_url: str, count: int) -> int:
    """The creation time of the ``count + 1``-th oldest thread (plain httpx): a ``--before``
    that matches the oldest ``count`` (fewer if two share that second)."""
    times: list[int] = []
    after: str | None = None
    while len(times) <= count:
        params: dict[str, str | int] = {"limit": 100, "order": "asc"}
        if after:
            params["after"] = after
        page = httpx.get(
            f"{base_url}/chatkit/threads", params=params, headers=BETA, trust_env=False
        ).json()
        times.extend(t["created_at"] for t in page["data"])
        if not page["has_more"]:
            break
        after = page["last_id"]
    return times[count] if len(times) > count else times[-1] + 1


async def purge_run(
    base_url: str, concurrency: int, server_pid: int, before: int, *, allow_all: bool = False
) -> dict[str, Any]:
    counter, ids = Counter(), RequestIds("bench")
    http, client = _client(base_url, concurrency, counter, ids)
    async with http, client:
        with tempfile.TemporaryDirectory() as tmp:
            rules = Rules(started=int(time.time()), before=before)
            purge = Purge(
                client,
                rules,
                archive_dir=Path(tmp) / "a",
                concurrency=concurrency,
                request_ids=ids,
                allow_all=allow_all,  # (every thread: refused without it, as without --all)
            )
            report = PurgeReport(Path(tmp) / "report.jsonl")
            started, cpu = time.perf_counter(), time.process_time()
            server_cpu = process_cpu(server_pid)
            pages: list[float] = []
            report.run(rules, None, dry_run=False, endpoint=base_url, archive_dir=Path(tmp))
            summary = await purge.find_and_delete(
                report, on_page=lambda _: pages.append(time.perf_counter())
            )
            found = purge.found
            report.close()
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu
            server_cpu = process_cpu(server_pid) - server_cpu
            lines = sum(1 for r in read_report(report.path) if r["record"] == "thread")
            archives = len(os.listdir(Path(tmp) / "a"))
        left = len([t async for t in client.threads.list(limit=100)])
    return {
        "threads": len(found.matches),
        "wall": wall,
        "pages": len(pages),
        "listed_by": pages[-1] - started,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "requests": counter.by_kind,
        "total": counter.total,
        "outcome": summary.line(),
        "lines": lines,
        "archives": archives,
        "left": left,
        "lowest": summary.lowest_concurrency,
    }


async def bulk_run(base_url: str, concurrency: int, before: int) -> dict[str, Any]:
    counter = Counter()
    http, client = _client(base_url, concurrency, counter, None)
    async with http, client:
        listed = [t async for t in client.threads.list(limit=100, order="asc")]
        ids = [t.id for t in listed if t.created_at < before]
        counter.by_kind.clear()
        with tempfile.TemporaryDirectory() as tmp:
            started, cpu = time.perf_counter(), time.process_time()
            summary = await BulkDelete(
                client, ids, archive_dir=Path(tmp), concurrency=concurrency
            ).run()
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu
    return {
        "threads": len(ids),
        "wall": wall,
        "cpu": cpu,
        "requests": counter.by_kind,
        "total": counter.total,
        "outcome": summary.line(),
    }


def _fmt(kinds: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-compare", action="store_true", help="skip the bulk-delete run")
    args = parser.parse_args()
    latency, c = args.latency_ms / 1000, args.concurrency
    print(
        f"purge · {args.threads} threads · server latency {args.latency_ms} ms · concurrency {c}"
        f" · Python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs"
    )
    seeded = args.threads + 20
    process, base_url = serve(seeded, args.latency_ms)
    try:
        before = cutoff_after(base_url, args.threads)
        r = asyncio.run(purge_run(base_url, c, process.pid, before))
    finally:
        process.terminate()
        process.wait(10)
    n = r["threads"]
    ideal = n * 2 * latency / c
    ideal_sent = r["total"] * latency / c
    ratio = r["wall"] / ideal
    print(
        f"\npurge of the oldest {n} of {seeded} (threads purge --before ... --yes):"
        f" {r['outcome']} in {r['wall']:.2f} s"
    )
    print(
        f"  finding ({r['pages']} pages, oldest first) overlapped the deletes: listed by"
        f" {r['listed_by']:.2f} s"
    )
    print(
        f"  ideal, one read + one delete per thread = {n} x 2 x {latency * 1000:.0f} ms / {c}"
        f" = {ideal:.2f} s  ->  ratio {ratio:.3f} (goal <= {GOAL}: "
        f"{'met' if ratio <= GOAL else 'NOT met'})"
    )
    print(
        f"  requests sent {r['total']} ({_fmt(r['requests'])}); ideal for those"
        f" {ideal_sent:.2f} s  ->  ratio {r['wall'] / ideal_sent:.3f}"
    )
    print(
        f"  client CPU {r['cpu']:.2f} s = {r['cpu'] / n * 1000:.2f} ms per thread;"
        f" server CPU {r['server_cpu']:.2f} s = {r['server_cpu'] / n * 1000:.2f} ms per thread"
    )
    print(
        f"  report lines {r['lines']}, archive files {r['archives']}, threads left {r['left']},"
        f" lowest concurrency {r['lowest']}"
    )
    if args.no_compare:
        return 0
    process, base_url = serve(seeded, args.latency_ms)
    try:
        b = asyncio.run(bulk_run(base_url, c, before))
    finally:
        process.terminate()
        process.wait(10)
    print(
        f"\nthe same threads through the app's bulk delete (ids: each retrieved again):"
        f" {b['outcome']} in {b['wall']:.2f} s"
    )
    print(
        f"  requests sent {b['total']} ({_fmt(b['requests'])}); client CPU"
        f" {b['cpu'] / b['threads'] * 1000:.2f} ms per thread"
    )
    print(
        f"  purge / bulk delete: wall {r['wall'] / b['wall']:.2f}x,"
        f" requests {r['total'] / b['total']:.2f}x,"
        f" CPU per thread {(r['cpu'] / n) / (b['cpu'] / b['threads']):.2f}x"
    )
    process, base_url = serve(seeded, args.latency_ms)
    try:
        a = asyncio.run(purge_run(base_url, c, process.pid, int(time.time()), allow_all=True))
    finally:
        process.terminate()
        process.wait(10)
    ideal_a = a["threads"] * 2 * latency / c
    print(
        f"\npurge of all {a['threads']} seeded, with the 2,400- and 1,100-item threads:"
        f" {a['outcome']} in {a['wall']:.2f} s; requests {a['total']} ({_fmt(a['requests'])})"
    )
    print(
        f"  ideal one read + one delete per thread {ideal_a:.2f} s -> ratio"
        f" {a['wall'] / ideal_a:.3f}; ideal for the requests sent"
        f" {a['total'] * latency / c:.2f} s -> ratio {a['wall'] / (a['total'] * latency / c):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
