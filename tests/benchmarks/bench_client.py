"""Whole-call cost: ``AsyncChatKit`` vs the official ``openai`` SDK, same server.

Run: ``python tests/benchmarks/bench_client.py`` (``--quick`` for a short run).

A tiny uvicorn app in a *separate process* answers every request with fixed
bytes (a 100-thread page, one thread, a 100-item page of all six types), so the
server costs the same for both and does not share our GIL. Each contender
makes the same sequential calls over a kept-alive loopback connection:

- ``threads.list(limit=100)`` awaited for one page,
- ``threads.retrieve(id)``,
- ``threads.list_items(id, limit=100)`` awaited for one page,

with ``client.beta.chatkit.threads`` for the SDK (its default, non-strict
parsing). Rounds interleave the contenders; the best round counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import openai  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from tests.fixtures import samples  # noqa: E402

SERVER = r"""
import sys, uvicorn
bodies = {
    "/v1/chatkit/threads": open(sys.argv[2], "rb").read(),
    "/v1/chatkit/threads/cthr_0001": open(sys.argv[3], "rb").read(),
    "/v1/chatkit/threads/cthr_0001/items": open(sys.argv[4], "rb").read(),
}
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = bodies.get(scope["path"], b'{"error": {"message": "no such path"}}')
    status = 200 if scope["path"] in bodies else 404
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the benchmark server exited")
        try:
            httpx.get(url, timeout=0.5, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the benchmark server did not start")


async def best_times(
    contenders: list[Callable[[], Awaitable[Any]]], *, iterations: int, rounds: int
) -> list[float]:
    best = [float("inf")] * len(contenders)
    for _ in range(rounds):
        for i, call in enumerate(contenders):
            start = time.perf_counter()
            for _ in range(iterations):
                await call()
            best[i] = min(best[i], (time.perf_counter() - start) / iterations)
    return best


async def run(base_url: str, iterations: int, rounds: int) -> None:
    ours = AsyncChatKit(api_key="sk-bench-not-a-key", base_url=base_url, max_retries=0)
    sdk = AsyncOpenAI(api_key="sk-bench-not-a-key", base_url=base_url, max_retries=0)
    threads = sdk.beta.chatkit.threads
    cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = [
        (
            "threads.list (100)",
            lambda: ours.threads.list(limit=100),
            lambda: threads.list(limit=100),
        ),  # type: ignore[return-value]
        (
            "threads.retrieve",
            lambda: ours.threads.retrieve("cthr_0001"),
            lambda: threads.retrieve("cthr_0001"),
        ),
        (
            "list_items (100, 6 types)",
            lambda: ours.threads.list_items("cthr_0001", limit=100),  # type: ignore[return-value]
            lambda: threads.list_items("cthr_0001", limit=100),  # type: ignore[return-value]
        ),
    ]
    for _, mine, theirs in cases:  # warm up, and check both decode the same thing
        a, b = await mine(), await theirs()
        assert getattr(a, "id", None) == getattr(b, "id", None)
    header = f"{'call':<28}{'ours':>10}{'SDK':>10}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, mine, theirs in cases:
        t_ours, t_sdk = await best_times([mine, theirs], iterations=iterations, rounds=rounds)
        print(f"{name:<28}{t_ours * 1e6:>8.0f}us{t_sdk * 1e6:>8.0f}us{t_sdk / t_ours:>7.1f}x")
    await ours.close()
    await sdk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    iterations, rounds = (20, 2) if args.quick else (100, 7)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, data in (
            ("threads.json", samples.thread_page(100)),
            ("thread.json", samples.thread(1)),
            ("items.json", samples.item_page(100)),
        ):
            path = Path(tmp) / name
            path.write_text(json.dumps(data))
            files.append(str(path))
        port = free_port()
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), *files])
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            wait_ready(base_url + "/chatkit/threads", process)
            print(
                f"python {platform.python_version()}, openai {openai.__version__}, "
                f"httpx {httpx.__version__}; best of {rounds} x {iterations} sequential calls"
            )
            asyncio.run(run(base_url, iterations, rounds))
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
