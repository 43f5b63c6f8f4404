"""The insights screen over a mirror of 1,000,000 threads and 5,000,000 items: how long
after ``i`` the first chart is on screen and every section is, peak RSS; unfiltered,
filtered by a user (of the top 1 %, as bench_insights.py picks; the most active one), by
a 30-day range.

Run: ``python tests/benchmarks/bench_insights_screen.py`` (``--db PATH``; the file is
bench_insights.py's, ``/tmp/insights-bench/mirror.sqlite3``, built by it when missing).
``--cold``: before each measurement the file's pages are dropped from the page cache
(``posix_fadvise(DONTNEED)`` on the file and its ``-wal``; no root needed), as after the
file sat unread for a while; each case is then measured cold, then warm.

The app runs headless (``App.run_test``) over the file read-only, as ``--mirror`` opens
it. A section counts when its charts are mounted (the screen's ``done``); the first chart
is the first section after the headline (threads per day). Each measurement in a fresh
process, its peak RSS its own (``VmHWM``). Goals (issue 19): the first chart under 1 s,
all under 2 s, peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def measure_child(path: str, user: str | None, days: bool) -> None:
    """One measurement, printed as a JSON line (runs in its own process)."""
    from textual.widgets import Input

    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.core.charts.insights import SECTIONS
    from chatkit_tui.tui.app import ChatKitApp
    from chatkit_tui.tui.insights.screen import FigureView, InsightsScreen, SectionComputed

    mounted: list[float] = []
    handler = InsightsScreen.on_section_computed

    async def timed(self: InsightsScreen, message: SectionComputed) -> None:
        await handler(self, message)
        mounted.append(time.perf_counter())

    InsightsScreen.on_section_computed = timed  # type: ignore[method-assign]

    async def run() -> dict[str, object]:
        mirror = Path(path)
        deployment = MirrorDeployment.open(mirror)
        app = ChatKitApp(deployment, read_only=True, mirror_path=mirror, endpoint_label="bench")
        async with app.run_test(size=(120, 50)) as pilot:
            await pilot.pause(0.5)
            started = time.perf_counter()
            await pilot.press("i")
            screen = app.screen
            assert isinstance(screen, InsightsScreen)
            while screen.done < len(SECTIONS):
                await pilot.pause(0.002)
            if user is not None or days:
                mounted.clear()
                if user is not None:
                    screen.query_one("#insights-user", Input).value = user
                if days:  # 30 days of the benchmark's year
                    screen.query_one("#insights-since", Input).value = "2026-06-01"
                    screen.query_one("#insights-until", Input).value = "2026-06-30"
                started = time.perf_counter()
                await screen.apply_filters()
                while screen.done < len(SECTIONS):
                    await pilot.pause(0.002)
            errors = [v.error for v in screen.query(FigureView) if v.error]
        # mounted[0] is the headline (overview), mounted[1] the first chart
        return {
            "first_chart_s": mounted[1] - started,
            "all_s": mounted[-1] - started,
            "errors": errors,
        }

    result = asyncio.run(run())
    print(json.dumps({**result, "peak_rss_mb": round(_peak_rss_mb(), 1)}))


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def evict(path: Path) -> None:
    """Drop ``path``'s pages (and its WAL's) from the page cache: the next read is from disk."""
    for name in (path, path.with_name(path.name + "-wal")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)  # dirty pages are not dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def measure(
    path: Path, *, user: str | None = None, days: bool = False, cold: bool = False
) -> dict[str, object]:
    if cold:
        evict(path)
    args = [sys.executable, __file__, "--child", str(path)]
    if user is not None:
        args += ["--user", user]
    if days:
        args.append("--days")
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--child", default=None)
    parser.add_argument("--user", default=None)
    parser.add_argument("--days", action="store_true")
    parser.add_argument("--cold", action="store_true", help="each case cold, then warm")
    args = parser.parse_args()
    if args.child is not None:
        measure_child(args.child, args.user, args.days)
        return 0
    from chatkit_tui.core.mirror import Mirror
    from tests.benchmarks.bench_insights import DEFAULT_DB, build, pick_users

    path = args.db or DEFAULT_DB
    if not path.exists():
        build(path, 1_000_000)
    user = pick_users(path)[0]
    with Mirror.open(path, read_only=True) as mirror, mirror.reading() as db:
        top = str(
            db.execute("SELECT user FROM ins_user ORDER BY threads DESC LIMIT 1").fetchone()[0]
        )
    cases: list[tuple[str, dict[str, Any]]] = [
        ("unfiltered", {}),
        (f"a user of the top 1 % ({user})", {"user": user}),
        (f"the most active user ({top})", {"user": top}),
        ("30 days", {"days": True}),
    ]
    for name, case in cases:
        if args.cold:
            print(f"{name}, cold: {json.dumps(measure(path, cold=True, **case))}", flush=True)
        print(f"{name}: {json.dumps(measure(path, **case))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
