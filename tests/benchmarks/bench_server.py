"""Benchmark the local ChatKit server: page cost at 1k vs 100k threads, and throughput.

Run: ``.venv/bin/python tests/benchmarks/bench_server.py [--small 1000] [--large 100000]
[--requests 300] [--seconds 3] [--concurrency 1,8,32]``

Two ``chatkit-tui serve --quiet --db :memory:`` processes are started, one per
size, so the server does not share a GIL with the measuring client. Latency
requests alternate between the two servers so that machine noise hits both
alike. Printed: median and p95 per case for both sizes side by side with the
ratio large/small (keyset paging: ~1 expected), the same for the store alone
(in process, no HTTP), then requests per second under N concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chatkit_tui.server.seed import seed  # noqa: E402
from chatkit_tui.server.store import Store  # noqa: E402

HEADERS = {"OpenAI-Beta": "chatkit_beta=v1"}


class Served:
    def __init__(self, n: int) -> None:
        self.n = n
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatkit_tui", "serve", "--quiet", "--port", "0",
             "--db", ":memory:", "--seed", str(n)],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "NO_PROXY": "127.0.0.1"},
        )  # fmt: skip
        self.base_url = self._wait_for_url()
        self.start_s = time.perf_counter() - started

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            text = Path(self.log.name).read_text()
            match = re.search(r"ChatKit API on (http://\S+/v1)", text)
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {text}")
            time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        os.unlink(self.log.name)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cases(client: httpx.Client, n: int) -> dict[str, dict[str, Any]]:
    """Query parameters for each case, found through the API itself."""
    oldest = client.get("/chatkit/threads", params={"limit": 100, "order": "asc"}).json()
    near_end = oldest["data"][min(150, len(oldest["data"]) - 1)]["id"]
    users: dict[str, int] = {}
    page: dict[str, Any] = {"has_more": True, "last_id": None}
    for _ in range(20):  # the busiest user among the newest 2,000 threads
        params: dict[str, Any] = {"limit": 100}
        if page["last_id"]:
            params["after"] = page["last_id"]
        page = client.get("/chatkit/threads", params=params).json()
        for thread in page["data"]:
            users[thread["user"]] = users.get(thread["user"], 0) + 1
        if not page["has_more"]:
            break
    user = max(users, key=lambda u: users[u])
    user_oldest = client.get(
        "/chatkit/threads", params={"limit": 100, "order": "asc", "user": user}
    ).json()["data"]
    user_near_end = user_oldest[min(50, len(user_oldest) - 1)]["id"]
    return {
        "first page": {"limit": 100},
        "deep page (after a cursor near the end)": {"limit": 100, "after": near_end},
        "user filter, first page": {"limit": 100, "user": user},
        "user filter, deep page": {"limit": 100, "user": user, "after": user_near_end},
        "asc first page (oldest)": {"limit": 100, "order": "asc"},
    }


def _time(call: Callable[[], object], repeat: int) -> list[float]:
    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def http_latency(small: Served, large: Served, repeat: int) -> None:
    clients = [httpx.Client(base_url=s.base_url, headers=HEADERS) for s in (small, large)]
    cases = [_cases(c, s.n) for c, s in zip(clients, (small, large), strict=True)]
    print(f"\nList-page latency over HTTP (loopback, limit=100, {repeat} requests each, ms)")
    print(f"{'case':42} {f'{small.n // 1000}k median/p95':>18} "
          f"{f'{large.n // 1000}k median/p95':>18} {'ratio':>7}")  # fmt: skip
    for name in cases[0]:
        samples: list[list[float]] = [[], []]
        for _ in range(repeat):  # alternate, so noise hits both sizes alike
            for i, client in enumerate(clients):
                started = time.perf_counter()
                response = client.get("/chatkit/threads", params=cases[i][name])
                samples[i].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and response.json()["data"]
        med = [statistics.median(s) for s in samples]
        p95 = [_pct(s, 0.95) for s in samples]
        rows = [len(c.get("/chatkit/threads", params=cases[i][name]).json()["data"])
                for i, c in enumerate(clients)]  # fmt: skip
        print(f"{name:42} {med[0]:8.2f} /{p95[0]:7.2f}  {med[1]:8.2f} /{p95[1]:7.2f}"
              f"  {med[1] / med[0]:6.2f}   rows {rows[0]}/{rows[1]}")  # fmt: skip
    for client in clients:
        client.close()


def store_latency(n_small: int, n_large: int, repeat: int) -> None:
    stores: list[Store] = []
    for n in (n_small, n_large):
        store = Store()
        seed(store, n)
        stores.append(store)
    print(f"\nThe store alone (in process, no HTTP; {repeat} calls each, ms)")
    print(f"{'case':42} {f'{n_small // 1000}k median':>12} "
          f"{f'{n_large // 1000}k median':>12} {'ratio':>7}")  # fmt: skip
    keys: list[dict[str, Any]] = []
    for store in stores:
        oldest = store.list_threads(limit=100, order="asc").data
        newest = store.list_threads(limit=100).data
        user = max({t.user for t in newest}, key=store.count_threads)
        keys.append({
            "near_end": oldest[min(150, len(oldest) - 1)].id,
            "user": user,
            "big": store.thread_ids_by_item_count(1)[0][0],
        })  # fmt: skip
    cases: dict[str, Callable[[Store, dict[str, Any]], object]] = {
        "first page": lambda s, k: s.list_threads(limit=100),
        "deep page": lambda s, k: s.list_threads(limit=100, after=k["near_end"]),
        "user filter": lambda s, k: s.list_threads(limit=100, user=k["user"]),
        "items, biggest thread, first page": lambda s, k: s.list_items(k["big"], limit=100),
        "items, biggest thread, oldest page": lambda s, k: s.list_items(
            k["big"], limit=100, order="asc"
        ),
    }
    for name, case in cases.items():
        med = [statistics.median(_time(lambda s=s, k=k, case=case: case(s, k), repeat))
               for s, k in zip(stores, keys, strict=True)]  # fmt: skip
        print(f"{name:42} {med[0]:12.3f} {med[1]:12.3f} {med[1] / med[0]:7.2f}")
    for store in stores:
        store.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _rps(base_url: str, concurrency: int, seconds: float) -> tuple[float, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, headers=HEADERS, limits=limits) as client:
        await client.get("/chatkit/threads")
        deadline = time.perf_counter() + seconds

        async def worker() -> int:
            done = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get("/chatkit/threads", params={"limit": 20})
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
                done += 1
            return done

        started = time.perf_counter()
        counts = await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, statistics.median(latencies) * 1000


def throughput(small: Served, large: Served, levels: list[int], seconds: float) -> None:
    rounds = 3
    print(f"\nRequests per second, GET /chatkit/threads?limit=20: median of {rounds} runs of"
          f" {seconds:g} s per size, the sizes alternating; 'cpu' is the server process's"
          " CPU time per request, which machine load does not inflate")  # fmt: skip
    head = f"{'clients':>8}"
    for served in (small, large):
        head += f" {f'{served.n // 1000}k req/s':>11} {'median ms':>10} {'cpu ms':>7}"
    print(head + f" {'ratio':>7}")
    for level in levels:
        runs: list[list[tuple[float, float, float]]] = [[], []]
        for _ in range(rounds):
            for i, served in enumerate((small, large)):
                cpu_before = _cpu_seconds(served.process.pid)
                started = time.perf_counter()
                rps, latency = asyncio.run(_rps(served.base_url, level, seconds))
                requests = rps * (time.perf_counter() - started)
                cpu_after = _cpu_seconds(served.process.pid)
                cpu = (cpu_after - cpu_before) * 1000 / requests if cpu_after and cpu_before else 0
                runs[i].append((rps, latency, cpu))
        line = f"{level:8d}"
        rps_median: list[float] = []
        for run in runs:
            rps_median.append(statistics.median(r for r, _, _ in run))
            line += f" {rps_median[-1]:11.0f} {statistics.median(x for _, x, _ in run):10.2f}"
            line += f" {statistics.median(c for _, _, c in run):7.3f}"
        print(line + f" {rps_median[1] / rps_median[0]:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs (load average {load}), "
          f"client and server in separate processes")  # fmt: skip
    small, large = Served(args.small), Served(args.large)
    try:
        print(f"started + seeded: {small.n} threads in {small.start_s:.1f} s, "
              f"{large.n} threads in {large.start_s:.1f} s")  # fmt: skip
        http_latency(small, large, args.requests)
        throughput(small, large, [int(x) for x in args.concurrency.split(",")], args.seconds)
    finally:
        small.stop()
        large.stop()
    store_latency(args.small, args.large, args.requests)


if __name__ == "__main__":
    main()
