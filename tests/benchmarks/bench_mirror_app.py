"""The app on a mirror of 1,000,000 threads (``--mirror``): first rows, End, peak memory.

The mirror is read in process (the mirror backend, as ``--mirror`` does); side by side,
the same 1,000,000 through a loopback server, as ``--mirror`` did before (issue 17: no
worse than that).

Goals (issue 11): first rows under 1 s, ``End`` under 1 s, peak RSS under 200 MB. Side by
side, the same measures on a mirror of 1,000 threads: with rows read on demand the two
should be close (flat in the number of threads). Each size runs in a fresh process (its
peak RSS is its own); the mirror files are written straight into their tables first.

    .venv/bin/python tests/benchmarks/bench_mirror_app.py [--threads N] [--engine postgresql]

With ``--engine postgresql`` the mirrors are databases of a throwaway PostgreSQL cluster
(tests/fixtures/postgres.py), and the side-by-side is the same N threads in a file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

CHILD = r"""
import asyncio, json, resource, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[2])
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp

path, count, mode = sys.argv[1], int(sys.argv[3]), sys.argv[4]

class Nothing:
    def __enter__(self): return self
    def __exit__(self, *_): pass

async def main():
    loopback = mode == "loopback"
    with BackgroundServer(db=path, api_key="bench") if loopback else Nothing() as served:
        if mode == "loopback":  # how --mirror read a file before: a server on loopback
            client = AsyncChatKit(api_key="bench", base_url=served.base_url, max_retries=0)
        else:  # what --mirror does now: the file read in process
            from chatkit_tui.backends.mirror.deployment import MirrorDeployment
            client = MirrorDeployment.open(path)
        from chatkit_tui.core.mirror.url import mirror_target
        app = ChatKitApp(client, read_only=True, mirror_path=mirror_target(path))
        app_start = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            tl = app.main_screen.thread_list
            while not (tl.row_count == count and "Thread number" in
                       "".join(s.text for s in tl.render_line(0))):
                await asyncio.sleep(0.001)
            first = time.perf_counter()
            await pilot.press("end")
            while tl.cursor != count - 1:
                await asyncio.sleep(0.001)
            await pilot.pause()
            end = time.perf_counter() - first
            for _ in range(300):  # wander: page up from the end, jump home and back
                await pilot.press("pageup")
            await pilot.press("home", "end", "home")
            await pilot.pause()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps({
                "first_rows_app": first - app_start,
                "first_rows_process": first - started,
                "end": end,
                "peak_rss_mb": rss,
                "windows_held": tl.source.windows_held,
            }))

asyncio.run(main())
"""


def measure(path: Path | str, count: int, mode: str = "process") -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(REPO), str(count), mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    from tests.fixtures.mirror_file import fill_mirror

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    sizes = [1_000, args.threads]
    cluster = None
    if args.engine == "postgresql":
        from tests.fixtures.postgres import Cluster

        cluster = Cluster().start()
    beside = "over a loopback server (before)" if cluster is None else "from a file (SQLite)"
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[int, dict[str, float]] = {}
        try:
            for count in sizes:
                path: Path | str = Path(tmp) / f"mirror-{count}.sqlite3"
                if cluster is not None:
                    path = cluster.create_database()
                started = time.perf_counter()
                fill_mirror(path, count)
                print(f"mirror of {count:,} threads written in"
                      f" {time.perf_counter() - started:.1f} s ({args.engine})")  # fmt: skip
                results[count] = measure(path, count)
                if count == sizes[-1] and cluster is None:
                    loopback = measure(path, count, "loopback")
                elif count == sizes[-1]:
                    file = Path(tmp) / "beside.sqlite3"
                    fill_mirror(file, count)
                    loopback = measure(file, count)
        finally:
            if cluster is not None:
                cluster.stop()
    small, big = results[sizes[0]], results[sizes[1]]
    print()
    print(f"{'':34}{sizes[0]:>14,}{sizes[1]:>14,}   ratio   goal")
    rows = [
        ("first rows (app start -> rows)", "first_rows_app", "s", "< 1 s"),
        ("first rows (process start)", "first_rows_process", "s", ""),
        ("End (key -> last thread shown)", "end", "s", "< 1 s"),
        ("peak RSS", "peak_rss_mb", "MB", "< 200 MB"),
    ]
    for label, key, unit, goal in rows:
        a, b = small[key], big[key]
        print(f"{label:34}{a:>12.3f}{unit:>2}{b:>12.3f}{unit:>2}{b / a:>8.2f}x   {goal}")
    print(f"\n{sizes[1]:,} threads, side by side: read in process ({args.engine}) / {beside}")
    for label, key, unit, _ in rows:
        a, b = big[key], loopback[key]
        print(f"{label:34}{a:>12.3f}{unit:>2}{b:>12.3f}{unit:>2}{a / b:>8.2f}x")
    met = big["first_rows_app"] < 1 and big["end"] < 1 and big["peak_rss_mb"] < 200
    print(f"\ngoals at {sizes[1]:,} threads: {'met' if met else 'NOT met'}"
          f" (windows in memory at the end: {big['windows_held']:.0f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
