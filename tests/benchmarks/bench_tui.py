"""Benchmarks of the app, side by side in one run: ``python tests/benchmarks/bench_tui.py``
(or name sections: ``... bench_tui.py startup``).

1. Peak memory (VmHWM, peak RSS) of a process with 100k threads loaded vs an empty list.
   Goal: under 150 MB.
2. Process start to first rows painted (on a pseudo-terminal, against the local server)
   vs a bare Textual app painting one line, in turns, wall and CPU time. Goal: at most
   1.5x. Beside them the floor of the stack: the bare app after importing httpx and
   fetching the first page. Then the same with 300 ms of server latency: how much of it
   reaches the user.
3. CPU cost of appending a 100-thread page and of a cursor move with 0, 10k and 100k
   threads loaded: our Line-API ThreadList vs Textual's DataTable. Goal: append at 100k
   within 1.5x of append at 0; a cursor move under 10 ms.
4. What keeping keys in order costs: a burst of down keys through the app with
   ``key_order`` and with Textual's own dispatch.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGE = 100
SIZES = (0, 10_000, 100_000)
RUNS = 5
STARTUP_RUNS = 11
LATENCY_MS = 300


# --- 1. start to first rows ------------------------------------------------------------------

BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare-app-ready")
Bare().run()
"""

# The least any app on this stack pays before its first row: the bare app, after importing
# httpx and fetching the same first page with a default AsyncClient (one GET). No msgspec,
# no decoding, no screen of its own: if this alone is over the goal, no app built on
# Textual + httpx can meet it on this machine.
FLOOR_APP = (
    """
import asyncio, httpx
async def first_page(url):
    async with httpx.AsyncClient() as client:
        response = await client.get(
            url + "/chatkit/threads",
            params={"limit": 100, "order": "desc"},
            headers={"Authorization": "Bearer bench", "OpenAI-Beta": "chatkit_beta=v1"},
        )
        response.raise_for_status()
asyncio.run(first_page(BASE_URL))
"""
    + BARE_APP
)


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by every thread of ``pid`` (Linux schedstat; NaN elsewhere)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return total / 1e9


def time_to_paint(
    argv: list[str], marker: bytes, env: dict[str, str], limit: float = 30
) -> tuple[float, float]:
    """(wall, CPU) seconds from fork to ``marker`` appearing in the terminal output.

    The CPU time is the child's own, read at that moment: on a shared machine it
    moves much less than the wall time when other processes take the cores.
    """
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    output = b""
    elapsed = cpu = float("nan")
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
                    cpu = cpu_seconds(pid)
                    break
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return elapsed, cpu


Timings = list[tuple[float, float]]


def bench_startup(latency_ms: float = 0) -> dict[str, Timings]:
    """{"ours", "bare", "floor"}: STARTUP_RUNS runs of each, in turns, after a warm-up of each.

    All run under the same conditions: the local server is up in this process for
    all, each run is one round (ours, bare, floor) so load on a shared machine hits
    them alike, and the warm-ups (.pyc files, page cache) are not counted. No user
    config is read (XDG_CONFIG_HOME is an empty directory).
    """
    from chatkit_tui.server.faults import Faults
    from chatkit_tui.server.run import BackgroundServer

    # PYTHONDONTWRITEBYTECODE (set on the build machines) would make every run compile our
    # modules from source, which no installed copy does: the warm-up writes .pyc files
    dropped = ("NO_COLOR", "CHATKIT_TUI_CONFIG", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
        PYTHONPATH=str(ROOT),
        OPENAI_API_KEY="bench",
        NO_PROXY="127.0.0.1",
    )
    faults = Faults(latency_ms=latency_ms) if latency_ms else None
    with (
        tempfile.TemporaryDirectory() as config_home,
        BackgroundServer(db=":memory:", seed=300, faults=faults) as server,
    ):
        env["XDG_CONFIG_HOME"] = config_home
        first = server.store.list_threads(limit=1, order="desc").data[0]
        marker = (first.title or "Untitled")[:12].encode()
        programs = {
            "ours": ([sys.executable, "-m", "chatkit_tui", "--base-url", server.base_url], marker),
            "bare": ([sys.executable, "-c", BARE_APP], b"bare-app-ready"),
            "floor": (
                [sys.executable, "-c", FLOOR_APP.replace("BASE_URL", repr(server.base_url))],
                b"bare-app-ready",
            ),
        }
        timings: dict[str, Timings] = {name: [] for name in programs}
        for run in range(STARTUP_RUNS + 1):
            for name, (argv, wanted) in programs.items():
                timing = time_to_paint(argv, wanted, env)
                if run:  # the first round is the warm-up
                    timings[name].append(timing)
    return timings


def median_ms(timings: Timings, which: int) -> float:
    return statistics.median(t[which] for t in timings) * 1000


# --- 2. append and cursor cost -----------------------------------------------------------------


def make_threads(count: int, start: int = 0):  # type: ignore[no-untyped-def]
    """Threads decoded from JSON pages, as the client produces them."""
    import msgspec

    from chatkit_tui.client.decoding import decode_thread_page
    from chatkit_tui.client.models import Thread

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

    from chatkit_tui.tui.threads.thread_list import ThreadList

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
from chatkit_tui.tui.threads.thread_list import ThreadList

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


def report_memory() -> None:
    loaded_mb = peak_rss_mb(100_000)
    empty_mb = peak_rss_mb(0)
    print("1. peak memory (VmHWM)")
    print(
        f"   100,000 threads loaded {loaded_mb:6.1f} MB   empty list {empty_mb:6.1f} MB"
        f"   ratio {loaded_mb / empty_mb:.2f}x   (goal < 150 MB)"
    )
    print()


def report_startup() -> None:
    timings = bench_startup()
    o, b, f = (median_ms(timings[name], 0) for name in ("ours", "bare", "floor"))
    oc, bc, fc = (median_ms(timings[name], 1) for name in ("ours", "bare", "floor"))
    print(
        "2. process start -> first rows painted (pty, local server, 120x40; "
        f"medians of {STARTUP_RUNS} runs each, taken in turns after a warm-up)"
    )
    print(
        f"   wall: chatkit-tui {o:5.0f} ms   bare Textual app {b:5.0f} ms"
        f"   ratio {o / b:.2f}x   (goal <= 1.5x)"
    )
    print(
        f"   CPU:  chatkit-tui {oc:5.0f} ms   bare Textual app {bc:5.0f} ms   ratio {oc / bc:.2f}x"
    )
    print(
        f"   floor (bare app + import httpx + one GET of the first page): wall {f:5.0f} ms "
        f"= {f / b:.2f}x bare, CPU {fc:5.0f} ms = {fc / bc:.2f}x bare; "
        f"chatkit-tui = {o / f:.2f}x the floor (wall), {oc / fc:.2f}x (CPU)"
    )
    slow = bench_startup(LATENCY_MS)
    s, sb = median_ms(slow["ours"], 0), median_ms(slow["bare"], 0)
    print(
        f"   with {LATENCY_MS:.0f} ms server latency: chatkit-tui {s:5.0f} ms "
        f"(bare {sb:.0f} ms, ratio {s / sb:.2f}x): the latency adds {s - o:+.0f} ms "
        "to first rows\n"
    )


def report_widgets() -> None:
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


# --- 4. a burst of keys ---------------------------------------------------------------------

BURST = 99  # the rows of one page after the first: no paging during the burst
BURST_RUNS = 5


async def bench_burst(ordered: bool) -> float:
    """Seconds from posting BURST down keys at once (as a terminal delivers a burst) to the
    cursor reaching the last of them, on the real app and local server; ``ordered=False``
    lets Textual hand the keys on as it reads them (App.on_event), as before key_order."""
    from textual import events
    from textual.app import App

    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.server.run import BackgroundServer
    from chatkit_tui.tui.app import ChatKitApp
    from chatkit_tui.tui.threads.thread_list import ThreadList

    class Plain(ChatKitApp):
        CSS_PATH = str(Path(sys.modules[ChatKitApp.__module__].__file__ or "").parent / "app.tcss")

        async def on_event(self, event: events.Event) -> None:
            await App.on_event(self, event)

    with BackgroundServer(db=":memory:", seed=BURST + 1) as server:
        client = AsyncChatKit(api_key="bench", base_url=server.base_url)
        app = (ChatKitApp if ordered else Plain)(client, thread_page_size=BURST + 1)
        async with client, app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            tl = app.main_screen.query_one("#threads", ThreadList)
            while len(tl.threads) < BURST + 1 or tl.fetching:
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            t0 = time.perf_counter()
            for _ in range(BURST):
                app.post_message(events.Key("down", None))
            while tl.cursor < BURST:  # noqa: ASYNC110 (a poll, 1 ms apart, is the measure)
                await asyncio.sleep(0.001)
            return time.perf_counter() - t0


def report_keys() -> None:
    print(
        f"4. a burst of {BURST} down keys posted at once, to the cursor on the last "
        f"(median of {BURST_RUNS}, in turns)"
    )
    ordered: list[float] = []
    plain: list[float] = []
    for _ in range(BURST_RUNS):
        ordered.append(asyncio.run(bench_burst(True)))
        plain.append(asyncio.run(bench_burst(False)))
    o, p = statistics.median(ordered) * 1000, statistics.median(plain) * 1000
    print(
        f"   keys in order (key_order): {o:6.0f} ms = {o / BURST:.2f} ms a key   "
        f"Textual's dispatch: {p:6.0f} ms = {p / BURST:.2f} ms a key   ratio {o / p:.2f}x\n"
    )


SECTIONS = {
    "memory": report_memory,
    "startup": report_startup,
    "widgets": report_widgets,
    "keys": report_keys,
}


def main(argv: list[str]) -> int:
    """``bench_tui.py [memory] [startup] [widgets] [keys]``: the sections named, or all."""
    unknown = [name for name in argv if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    print("chatkit-tui benchmarks (medians)\n")
    for name in argv or SECTIONS:
        SECTIONS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
