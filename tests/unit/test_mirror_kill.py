"""``chatkit-tui mirror`` killed for real (SIGKILL, and Ctrl-C) at random moments against a
local server with latency: every thread the mirror holds is whole after each kill, and after
one last run the mirror, served by ``serve --db``, equals the origin as JSON. On both
engines: a file, and a PostgreSQL database (the ``mirror_target`` fixture)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit_tui.core.mirror import Mirror
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.seed import seed
from chatkit_tui.server.store import Store
from tests.fixtures.server import BETA_HEADERS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def everything(base_url: str) -> list[tuple[Any, list[Any]]]:
    """Every thread and its items, as JSON, through the API."""
    out: list[tuple[Any, list[Any]]] = []
    with httpx.Client(base_url=base_url, headers=BETA_HEADERS, timeout=30) as client:
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
            page = client.get("/chatkit/threads", params=params).json()
            for thread in page["data"]:
                items: list[Any] = []
                item_after: str | None = None
                while True:
                    p: dict[str, Any] = {"limit": 100, "order": "asc"}
                    if item_after:
                        p["after"] = item_after
                    item_page = client.get(f"/chatkit/threads/{thread['id']}/items", params=p)
                    body = item_page.json()
                    items.extend(body["data"])
                    if not body["has_more"]:
                        break
                    item_after = body["last_id"]
                out.append((thread, items))
            if not page["has_more"]:
                return out
            after = page["last_id"]


def start_mirror(base_url: str, db: str | Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "chatkit_tui", "mirror", "--base-url", base_url),
            *("--db", str(db), "--concurrency", "2", "--json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENAI_API_KEY": "sk-test"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the run has started once it says so
    assert json.loads(first)["event"] == "start", first
    return process


def assert_whole(db: str | Path, origin: dict[str, tuple[Any, list[Any]]]) -> int:
    """Every thread the mirror holds has exactly the origin's items; how many it holds."""
    with Mirror.open(db, read_only=True) as mirror:
        held = list(mirror.iter_threads())
        for thread in held:
            expected_thread, expected_items = origin[thread.id]
            assert json.loads(thread.raw) == expected_thread
            items = [json.loads(i.raw) for i in mirror.all_items(thread.id)]
            assert items == expected_items, thread.id
            assert thread.item_count == len(items)
        return len(held)


@pytest.fixture
def origin() -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    """One origin's data behind two servers: with 40 ms of latency (what the mirror reads)
    and without (what the test reads to compare)."""
    store = Store()
    seed(store, 80)
    with (
        BackgroundServer(store=store, faults=Faults(latency_ms=40)) as slow,
        BackgroundServer(store=store) as fast,
    ):
        yield slow, fast
    store.close()


def test_sigkill_at_random_moments_then_a_last_run_gives_the_origin(
    mirror_target: str, origin: tuple[BackgroundServer, BackgroundServer]
):
    db = mirror_target
    rng = random.Random(20261201)
    slow, fast = origin
    expected = everything(fast.base_url)
    by_id = {thread["id"]: (thread, items) for thread, items in expected}
    held: list[int] = []
    killed_mid_run = 0
    for _ in range(4):
        process = start_mirror(slow.base_url, db)
        time.sleep(rng.uniform(0.2, 1.5))
        if process.poll() is None:
            killed_mid_run += 1
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        held.append(assert_whole(db, by_id))
    assert killed_mid_run >= 3, held
    assert held == sorted(held)  # what was committed stays
    final = start_mirror(slow.base_url, db)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["complete"] and summary["new"] == 80 - held[-1]
    with BackgroundServer(db=db) as served:
        assert everything(served.base_url) == expected


def test_ctrl_c_stops_with_130_and_keeps_what_was_done(
    mirror_target: str, origin: tuple[BackgroundServer, BackgroundServer]
):
    db = mirror_target
    slow, fast = origin
    by_id = {t["id"]: (t, items) for t, items in everything(fast.base_url)}
    process = start_mirror(slow.base_url, db)
    time.sleep(0.8)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted:" in err and "run it again to carry on" in err
    assert err.count("interrupted") == 1, err  # the informative line, not a second one
    assert "Traceback" not in err
    assert assert_whole(db, by_id) < 80
    with Mirror.open(db, read_only=True) as mirror:
        last = mirror.info().last_run
        assert last is not None and last.interrupted
