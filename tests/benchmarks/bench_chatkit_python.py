"""The chatkit-python backend, side by side in one run (issue 17):

1. Listing 10,000 threads from a real chatkit-python server (openai-chatkit's own
   ``ChatKitServer`` over the sample store, served by uvicorn in a process of its own):
   ``ChatKitPython.threads.list(limit=100)`` walked to the end, against the floor: the
   same POSTs sent by a bare ``httpx.AsyncClient`` loop and each page decoded by
   ``msgspec.json.decode`` (goal: within 1.3x of the floor). The rounds interleave, so
   a busy machine slows both alike; each figure is the best round.
2. Decoding a page of 100 chatkit-python items (every item type, as its server writes
   them: ``model_dump_json(by_alias=True, exclude_none=True)``): our decoder, exactly
   what the backend runs on a response body (what the app gets), against
   chatkit-python's own models, ``TypeAdapter(Page[ThreadItem]).validate_json`` (goal: at
   least 10x faster). Ours is lazy where theirs is not: each record's ``created_at`` (a
   ``datetime`` as msgspec reads it, made epoch seconds on first read) and its bulky
   fields (messages' ``content`` and ``attachments``, ``widget``, tool calls'
   ``arguments`` and ``output``, ``workflow``, ``inputs``, hidden context's ``content``:
   kept as ``msgspec.Raw``, decoded on first read; see ``chatkit_tui/client/lazy.py``).
   So the same page is also timed decoded *and* every such field of every record read,
   what showing the whole page pays, against theirs (for information).

    .venv/bin/python tests/benchmarks/bench_chatkit_python.py [--threads N] [--rounds R]
        [--decode-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import msgspec  # noqa: E402

from chatkit_tui.backends.chatkit_python.client import ChatKitPython, _item_page  # noqa: E402
from chatkit_tui.client.lazy import read_all  # noqa: E402
from tests.fixtures.chatkit_python import ADMIN_TOKEN  # noqa: E402

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def start_server(threads: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.fixtures.chatkit_python", "--port", "0"),
            *("--threads", str(threads), "--items-per-thread", "1"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    url = first.rsplit(" ", 1)[-1].strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"the sample server did not start: {first!r}")
    return proc, url


async def ours(url: str) -> int:
    async with ChatKitPython(url, HEADERS) as deployment:
        return len([t async for t in deployment.threads.list(limit=100)])


async def floor(url: str) -> int:
    count, after = 0, None
    async with httpx.AsyncClient(headers=HEADERS) as http:
        while True:
            params: dict[str, object] = {"limit": 100}
            if after is not None:
                params["after"] = after
            response = await http.post(url, json={"type": "threads.list", "params": params})
            page = msgspec.json.decode(response.content)
            count += len(page["data"])
            if not page["has_more"]:
                return count
            after = page["after"]


def best(fn: Callable[[], object], rounds: int) -> float:
    times: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def item_page_body() -> bytes:
    """100 items of every type, written by chatkit-python's own serializer."""
    from chatkit.types import Page, ThreadItem
    from pydantic import TypeAdapter

    from tests.fixtures.chatkit_python import KITCHEN_SINK_THREAD, SampleStore, seed

    store = SampleStore()
    seed(store, 1)
    kinds = store.stored_items(KITCHEN_SINK_THREAD)
    items = [kinds[i % len(kinds)] for i in range(100)]
    page = Page[ThreadItem](data=items, has_more=True, after=items[-1].id)
    body = page.model_dump_json(by_alias=True, exclude_none=True).encode()
    TypeAdapter(Page[ThreadItem]).validate_json(body)  # valid by their own models
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decode-only", action="store_true", help="part 2 only (no server)")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    if not args.decode_only:
        list_threads(args.threads, args.rounds)
    decode_items()


def list_threads(threads: int, rounds: int) -> None:
    proc, url = start_server(threads)
    try:
        assert asyncio.run(ours(url)) == asyncio.run(floor(url)) == threads
        t_ours: list[float] = []
        t_floor: list[float] = []
        for _ in range(rounds):  # interleaved
            t_floor.append(best(lambda: asyncio.run(floor(url)), 1))
            t_ours.append(best(lambda: asyncio.run(ours(url)), 1))
    finally:
        proc.terminate()
        proc.wait(10)
    f, o = min(t_floor), min(t_ours)
    requests = -(-threads // 100)
    print(f"\n1. list {threads:,} threads ({requests} POSTs of 100), best of {rounds}")
    print(f"   floor (httpx + msgspec.json.decode)  {f:7.3f} s")
    print(f"   ChatKitPython.threads.list           {o:7.3f} s   {o / f:.2f}x the floor", end="")
    print(" (goal <= 1.3x)")


def read_page(body: bytes) -> None:
    for item in _item_page(body).data:
        read_all(item)


def decode_items() -> None:
    from chatkit.types import Page, ThreadItem
    from pydantic import TypeAdapter

    body = item_page_body()
    adapter = TypeAdapter(Page[ThreadItem])
    n, rounds = 100, 15  # many short rounds: the best of them is steadier on a busy machine
    theirs_t: list[float] = []
    ours_t: list[float] = []
    read_t: list[float] = []
    for _ in range(rounds):  # interleaved
        started = time.perf_counter()
        for _ in range(n):
            adapter.validate_json(body)
        theirs_t.append((time.perf_counter() - started) / n)
        started = time.perf_counter()
        for _ in range(n):
            _item_page(body)
        ours_t.append((time.perf_counter() - started) / n)
        started = time.perf_counter()
        for _ in range(n):
            read_page(body)
        read_t.append((time.perf_counter() - started) / n)
    theirs, mine, read = min(theirs_t), min(ours_t), min(read_t)
    page = _item_page(body)
    assert len(page.data) == 100 and page.last_id is not None
    print(
        f"\n2. decode a page of 100 chatkit-python items ({len(body):,} bytes),"
        f" best of {rounds}x{n}"
    )
    print(f"   chatkit-python TypeAdapter(Page[ThreadItem]).validate_json  {theirs * 1e6:8.0f} us")
    print(
        f"   ours (decode_item_page + the cursor)                         {mine * 1e6:8.0f} us"
        f"   {theirs / mine:.1f}x faster (goal >= 10x)"
    )
    print("   (lazy: created_at; content, attachments, widget, arguments, output, workflow,")
    print("    inputs kept raw: decoded on first read, as the app reads an item to show it)")
    print(
        f"   ours, then every lazy field of every record read              {read * 1e6:8.0f} us"
        f"   {theirs / read:.1f}x faster (information)"
    )


if __name__ == "__main__":
    main()
