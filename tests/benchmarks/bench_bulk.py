"""Bulk delete of 1,000 threads against the local server with 50 ms latency.

Run: ``python tests/benchmarks/bench_bulk.py`` (``--threads``, ``--latency-ms``,
``--concurrency 8 16``). Each run starts ``chatkit-tui serve`` in a *separate process*
(so the server does not share our GIL), seeded with the threads, with ``--latency``; then
runs :class:`chatkit_tui.core.bulk.BulkDelete` -- the runner the app's ``D`` uses -- on every
thread: archive (retrieve and the first page of items at once, then any further pages,
written to a temporary directory), then DELETE.

Printed: the wall time against the issue's ideal, ``threads x latency / concurrency``
(one request per thread), as a ratio; and since archiving is part of the path, the ideal
for the requests actually sent (counted with an httpx event hook) and the time spent
archiving and deleting (summed over threads, divided by the concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from chatkit_tui.core.bulk import BulkDelete  # noqa: E402
from tests.benchmarks.local_server import process_cpu, start_server  # noqa: E402


async def one_run(
    base_url: str, concurrency: int, latency: float, server_pid: int
) -> dict[str, float | str]:
    requests = 0

    async def count(_: httpx.Request) -> None:
        nonlocal requests
        requests += 1

    limits = httpx.Limits(max_connections=max(100, 2 * concurrency))
    http = httpx.AsyncClient(event_hooks={"request": [count]}, limits=limits, trust_env=False)
    async with http, AsyncChatKit(api_key="bench", base_url=base_url, http_client=http) as client:
        ids = [t.id async for t in client.threads.list(limit=100, order="desc")]
        requests = 0
        with tempfile.TemporaryDirectory() as archive:
            runner = BulkDelete(client, ids, archive_dir=Path(archive), concurrency=concurrency)
            started, cpu = time.perf_counter(), time.process_time()
            server_cpu = process_cpu(server_pid)
            summary = await runner.run()
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu
            server_cpu = process_cpu(server_pid) - server_cpu
            archives = len(os.listdir(archive))
        left = [t async for t in client.threads.list(limit=100)]
    n = len(ids)
    ideal = n * latency / concurrency
    ideal_all = requests * latency / concurrency
    return {
        "threads": n,
        "wall": wall,
        "ideal": ideal,
        "ratio": wall / ideal,
        "requests": requests,
        "ideal_all": ideal_all,
        "ratio_all": wall / ideal_all,
        "archive": summary.archive_seconds / concurrency,
        "delete": summary.delete_seconds / concurrency,
        "outcome": summary.line(),
        "archives": archives,
        "left": len(left),
        "lowest": summary.lowest_concurrency,
        "cpu": cpu,
        "server_cpu": server_cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(
        f"bulk delete · {args.threads} threads · server latency {args.latency_ms} ms · "
        f"Python {platform.python_version()} · {platform.machine()}"
    )
    for concurrency in args.concurrency:
        process, base_url = start_server(
            "--db", ":memory:", "--seed", str(args.threads), "--latency", str(args.latency_ms)
        )
        try:
            r = asyncio.run(one_run(base_url, concurrency, latency, process.pid))
        finally:
            process.terminate()
            process.wait(10)
        print(
            f"\nconcurrency {concurrency}: {r['outcome']} in {r['wall']:.2f} s"
            f" (CPU: client {r['cpu']:.2f} s, server {r['server_cpu']:.2f} s)"
        )
        print(
            f"  ideal (threads x latency / concurrency) = {r['threads']} x {latency * 1000:.0f}"
            f" ms / {concurrency} = {r['ideal']:.2f} s  ->  ratio {r['ratio']:.2f}"
        )
        print(
            f"  requests sent {r['requests']} (retrieve + item pages + DELETE per thread);"
            f" ideal for those one after another {r['ideal_all']:.2f} s  ->  ratio"
            f" {r['ratio_all']:.2f} (below 1: a thread's retrieve and first item page overlap)"
        )
        print(
            f"  archiving {r['archive']:.2f} s, deleting {r['delete']:.2f} s"
            " (summed per thread / concurrency)"
        )
        print(
            f"  archive files {r['archives']}, threads left on the server {r['left']},"
            f" lowest concurrency {r['lowest']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
