"""Opening a search hit deep in a long thread: item #1,694 of 2,400, paging from the top vs
reading by position, side by side.

The app over a mirror (``--mirror``: the file served on loopback in process, as the app
serves it) of one thread of 2,400 items; the search hit at item 1,694 is chosen and the
time runs from ``enter`` to the item on screen. "From the top" is the same hit without the
cursor of the item before it: the view then pages from the first item until the hit comes
(what it did before it read by position, and still does when no earlier item has an id).
Each at no added latency (``--mirror`` itself) and at 50 ms a request (a link like the
hosted API's, where a hit opens live); the requests are counted at the server. Every
opening runs in a fresh process (one that paged 1,700 items in has garbage to collect
that slows the next), the two ways interleaved so that both see the same noise.

    .venv/bin/python tests/benchmarks/bench_open_hit.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from textual.widgets import Input, OptionList  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from chatkit_tui.server.faults import Faults  # noqa: E402
from chatkit_tui.server.run import BackgroundServer  # noqa: E402
from chatkit_tui.tui.app import ChatKitApp  # noqa: E402
from chatkit_tui.tui.search.screen import SearchScreen  # noqa: E402
from chatkit_tui.tui.threads.thread_view import ItemView  # noqa: E402
from tests.fixtures.mirror_file import (  # noqa: E402
    DEEP_WORD,
    LONG_THREAD,
    long_item_id,
    long_thread_mirror,
)

ITEMS = 2400
HIT = 1693  # item #1,694


async def wait(predicate: object, limit: float = 120.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.005)


async def open_once(path: Path, latency_ms: float, *, by_position: bool) -> tuple[float, int]:
    """Seconds from enter to the hit on screen, and the item requests it took."""
    faults = Faults(latency_ms=latency_ms) if latency_ms else None
    with BackgroundServer(db=path, api_key="bench", faults=faults) as served:
        client = AsyncChatKit(api_key="bench", base_url=served.base_url, max_retries=0)
        app = ChatKitApp(client, read_only=True, mirror_path=path)
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.main_screen.view
            await wait(lambda: app.main_screen.thread_list.row_count == 1)
            await wait(lambda: view.thread_id is not None and not view.fetching)
            await pilot.pause(0.2 + latency_ms / 1000)  # the list's own first pages
            await pilot.press("ctrl+f")
            await wait(lambda: isinstance(app.screen, SearchScreen))
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            screen.query_one(Input).value = DEEP_WORD
            await wait(lambda: screen.query_one(OptionList).option_count == 1)
            if not by_position:
                screen.hits[0] = dataclasses.replace(screen.hits[0], after_id=None, after_seq=None)
            await pilot.press("down")
            before = served.served["list_items"]
            started = time.perf_counter()
            await pilot.press("enter")

            def shown() -> bool:
                if view.seek_position(LONG_THREAD) is not None:
                    return False  # cheap: the item has not come yet (a query of 1,700 is not)
                hit = next(
                    (v for v in view.query(ItemView) if v.item.id == long_item_id(HIT)), None
                )
                return (
                    hit is not None
                    and "-hit" in hit.classes
                    and bool(hit.region.height)
                    and view.region.contains_region(hit.region)
                )

            await wait(shown)
            took = time.perf_counter() - started
            return took, served.served["list_items"] - before


def measure(path: Path, latency_ms: float, *, by_position: bool) -> tuple[float, int]:
    mode = "position" if by_position else "top"
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(latency_ms), mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    seconds, requests = json.loads(done.stdout.strip().splitlines()[-1])
    return float(seconds), int(requests)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("PATH", "LATENCY", "MODE"))
    args = parser.parse_args()
    if args.child:
        path, latency, mode = args.child
        result = asyncio.run(open_once(Path(path), float(latency), by_position=mode == "position"))
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.sqlite3"
        long_thread_mirror(path, items=ITEMS, hit=HIT)
        print(f"one thread of {ITEMS:,} items; the hit is item #{HIT + 1:,}; {args.runs} runs each")
        print(f"\n{'latency':>9}{'from the top':>24}{'by position':>24}{'ratio':>10}   goal")
        for latency in (0.0, 50.0):
            results: dict[bool, list[tuple[float, int]]] = {False: [], True: []}
            for _ in range(args.runs):
                for by_position in (False, True):  # interleaved: the same noise for both
                    results[by_position].append(measure(path, latency, by_position=by_position))
            cells: list[str] = []
            medians: list[float] = []
            for by_position in (False, True):
                seconds = statistics.median(t for t, _ in results[by_position])
                requests = max(n for _, n in results[by_position])
                medians.append(seconds)
                cells.append(f"{seconds:.3f} s, {requests} req")
            ratio = medians[0] / medians[1]
            goal = "met" if medians[1] < 1 else "NOT met"
            print(f"{latency:>6.0f} ms{cells[0]:>24}{cells[1]:>24}{ratio:>9.1f}x   < 1 s: {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
