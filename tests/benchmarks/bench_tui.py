"""Benchmarks of the app, side by side in one run: ``python tests/benchmarks/bench_tui.py``.

1. Peak memory (VmHWM, peak RSS) of a process with 100k threads loaded vs an empty list.
   Goal: under 150 MB.
2. Process start to first rows painted (on a pseudo-terminal, against the local server)
   vs a bare Textual app painting one line. Goal: at most 1.5x.
3. CPU cost of appending a 100-thread page and of a cursor move with 0, 10k and 100k
   threads loaded: our Line-API ThreadList vs Textual's DataTable. Goal: append at 100k
   within 1.5x of append at 0; a cursor move under 10 ms.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGE = 100
SIZES = (0, 10_000, 100_000)
RUNS = 5


# --- 1. start to first rows ------------------------------------------------------------------

BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare-app-ready")
Bare().run()
"""


def time_to_paint(argv: list[str], marker: bytes, env: dict[str, str], limit: float = 30) -> float:
    """Seconds from fork to ``marker`` appearing in the terminal output."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    output = b""
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < limit:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
                if marker in output:
                    elapsed = time.perf_counter() - start
                    break
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return elapsed


def bench_startup() -> tuple[float, float]:
    from chatkit_tui.server.run import BackgroundServer

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
        PYTHONPATH=str(ROOT),
        OPENAI_API_KEY="bench",
        NO_PROXY="127.0.0.1",
    )
    with BackgroundServer(db=":memory:", seed=300) as server:
        first = server.store.list_threads(limit=1, order="desc").data[0]
        marker = (first.title or "Untitled")[:12].encode()
        ours = [
            time_to_paint(
                [sys.executable, "-m", "chatkit_tui", "--base-url", server.base_url], marker, env
            )
            for _ in range(RUNS)
        ]
    bare = [
        time_to_paint([sys.executable, "-c", BARE_APP], b"bare-app-ready", env) for _ in range(RUNS)
    ]
    return statistics.median(ours), statistics.median(bare)


# --- 2. append and cursor cost -----------------------------------------------------------------


def make_threads(count: int, start: int = 0):  # type: ignore[no-untyped-def]
    """Threads decoded from JSON pages, as the client produces them."""
    import msgspec

    from chatkit_tui.client.models import Thread, decode_thread_page

    threads: list[Thread] = []
    for base in range(start, start + count, PAGE):
        data = [
            {
                "id": f"cthr_{i:024x}",
                "object": "chatkit.thread",
                "created_at": 1_762_000_000 - i,
                "user": f"user_{i % 997}",
                "title": f"Thread number {i} about billing and exports",
                "status": {"type": "active"},
            }
            for i in range(base, min(base + PAGE, start + count))
        ]
        page = decode_thread_page(msgspec.json.encode({"data": data, "has_more": True}))
        threads.extend(page.data)
    return threads


async def bench_widget(kind: str, preload: int) -> tuple[float, float]:
    """(append ms, cursor move ms): median CPU time including the screen update."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from chatkit_tui.tui.widgets.thread_list import ThreadList

    threads = make_threads(preload + PAGE * 12)
    loaded, pages = threads[:preload], threads[preload:]

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            if kind == "ThreadList":
                yield ThreadList(now=lambda: 1_762_100_000.0, id="list")
            else:
                table: DataTable[str] = DataTable(id="list")
                table.add_columns("Title", "User", "Status", "Age", "ID")
                yield table

    def rows(chunk):  # type: ignore[no-untyped-def]
        return [(t.title or "", t.user, "", "1d", t.id) for t in chunk]

    app = Bench()
    appends: list[float] = []
    moves: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one("#list")
        widget.focus()
        if preload:
            if isinstance(widget, ThreadList):
                widget.add_threads(loaded)
            else:
                widget.add_rows(rows(loaded))  # type: ignore[attr-defined]
        await pilot.pause()
        for i in range(10):
            chunk = pages[i * PAGE : (i + 1) * PAGE]
            t0 = time.process_time()
            if isinstance(widget, ThreadList):
                widget.add_threads(chunk)
            else:
                widget.add_rows(rows(chunk))  # type: ignore[attr-defined]
            await pilot.pause()
            appends.append(time.process_time() - t0)
        # cursor moves at the end of the loaded rows
        await pilot.press("end")
        await pilot.pause()
        for _ in range(10):
            t0 = time.process_time()
            await pilot.press("up")
            moves.append(time.process_time() - t0)
    return statistics.median(appends) * 1000, statistics.median(moves) * 1000


# --- 3. memory ------------------------------------------------------------------------------

MEMORY_CHILD = """
import asyncio, sys
sys.path.insert(0, {root!r})
from tests.benchmarks.bench_tui import make_threads
from textual.app import App
from chatkit_tui.tui.widgets.thread_list import ThreadList

class M(App):
    def compose(self):
        yield ThreadList(id="list")

async def main():
    app = M()
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one(ThreadList)
        if {count}:
            for start in range(0, {count}, 10_000):
                widget.add_threads(make_threads(10_000, start))
                await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
    # VmHWM (peak RSS of this process image; ru_maxrss would include the parent's at fork)
    status = open("/proc/self/status").read()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))

asyncio.run(main())
"""


def peak_rss_mb(count: int) -> float:
    code = MEMORY_CHILD.format(root=str(ROOT), count=count)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


# --- report -----------------------------------------------------------------------------------


def main() -> int:
    print("chatkit-tui benchmarks (medians)\n")
    loaded_mb = peak_rss_mb(100_000)
    empty_mb = peak_rss_mb(0)
    print("1. peak memory (VmHWM)")
    print(
        f"   100,000 threads loaded {loaded_mb:6.1f} MB   empty list {empty_mb:6.1f} MB"
        f"   ratio {loaded_mb / empty_mb:.2f}x   (goal < 150 MB)"
    )
    print()
    ours, bare = bench_startup()
    print("2. process start -> first rows painted (pty, local server, 120x40)")
    print(
        f"   chatkit-tui {ours * 1000:7.0f} ms   bare Textual app {bare * 1000:7.0f} ms"
        f"   ratio {ours / bare:.2f}x   (goal <= 1.5x)\n"
    )

    print("3. CPU per operation incl. screen update (ms)")
    print(
        f"   {'loaded':>8}  {'ThreadList append':>18} {'cursor':>8}  "
        f"{'DataTable append':>17} {'cursor':>8}"
    )
    results: dict[str, dict[int, tuple[float, float]]] = {"ThreadList": {}, "DataTable": {}}
    for size in SIZES:
        for kind in results:
            results[kind][size] = asyncio.run(bench_widget(kind, size))
        ta, tc = results["ThreadList"][size]
        da, dc = results["DataTable"][size]
        print(f"   {size:>8,}  {ta:>18.2f} {tc:>8.2f}  {da:>17.2f} {dc:>8.2f}")
    for kind in results:
        a0, a_max = results[kind][0][0], results[kind][SIZES[-1]][0]
        print(
            f"   {kind}: append at {SIZES[-1]:,} / at 0 = {a_max / a0:.2f}x   "
            f"worst cursor move {max(c for _, c in results[kind].values()):.2f} ms"
        )
    print("   goal: ThreadList append ratio <= 1.5x, cursor move < 10 ms\n")

    return 0


if __name__ == "__main__":
    sys.exit(main())
