"""Decoding a list page: our msgspec models vs the official openai SDK, same bytes.

Run: ``python tests/benchmarks/bench_decode.py`` (add ``--quick`` for a short run).

Inputs, built once: a 100-thread ``ThreadListResource`` page and a 100-item
``ThreadItemListResource`` page mixing all six item types (user messages with
both content parts, two attachments and inference options; assistant messages
with file and url annotations; widgets; client tool calls; tasks; task groups).

What is timed, per page, from the response bytes to the page object:

- ours: ``decode_thread_page(body)`` / ``decode_item_page(body)``, what
  ``AsyncChatKit`` calls on ``response.content``.
- the SDK: exactly the path its ``client.beta.chatkit.threads.list()`` /
  ``list_items()`` take once the response has arrived:
  ``AsyncAPIClient._process_response(cast_to=AsyncConversationCursorPage[T], ...)``,
  which builds an ``AsyncAPIResponse`` and awaits ``.parse()``:
  ``response.json()`` (``json.loads``), then ``_process_response_data`` ->
  ``construct_type`` (the default, ``_strict_response_validation=False``), then
  the paginator's ``post_parser`` (``_set_private_attributes``). ``T`` is
  ``ChatKitThread`` for threads and the ``Data`` union from
  ``openai.types.beta.chatkit.chatkit_thread_item_list`` for items, as in
  ``openai/resources/beta/chatkit/threads.py``.
- for reference, the SDK's strict mode (``_strict_response_validation=True``,
  pydantic ``validate_type``), which is the SDK's only *validating* path.

Each timing is the best of several rounds of many iterations, on one event
loop, with the garbage collector left on for both (as in the app); the rounds
of the contenders interleave, so a busy machine slows them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402  (the SDK's HTTP library)
import msgspec  # noqa: E402
import openai  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402
from openai._models import FinalRequestOptions  # noqa: E402
from openai.pagination import AsyncConversationCursorPage  # noqa: E402
from openai.types.beta.chatkit.chatkit_thread import ChatKitThread  # noqa: E402
from openai.types.beta.chatkit.chatkit_thread_item_list import Data  # noqa: E402

from chatkit_tui.client import decoding as d  # noqa: E402
from tests.fixtures import samples  # noqa: E402

THREADS_URL = "https://api.openai.com/v1/chatkit/threads"
ITEMS_URL = THREADS_URL + "/cthr_0001/items"


def sdk_parser(
    client: AsyncOpenAI, page_cls: Any, model: Any, url: str, body: bytes
) -> Callable[[], Awaitable[Any]]:
    """The SDK's response -> page path for one list call (see the module docstring)."""
    response = httpx2.Response(
        200,
        content=body,
        headers={"content-type": "application/json", "x-request-id": "req_bench"},
        request=httpx2.Request("GET", url),
    )
    options = FinalRequestOptions.construct(method="get", url=url)  # pyright: ignore[reportUnknownMemberType]

    def post_parser(page: Any) -> Any:  # AsyncPaginator._get_page's _parser
        page._set_private_attributes(model=model, options=options, client=client)
        return page

    options.post_parser = post_parser

    async def parse() -> Any:
        return await client._process_response(
            cast_to=page_cls, options=options, response=response, stream=False, stream_cls=None
        )

    return parse


async def _one_round(call: Callable[[], Any], iterations: int) -> float:
    start = time.perf_counter()
    if asyncio.iscoroutinefunction(call):
        for _ in range(iterations):
            await call()
    else:
        for _ in range(iterations):
            call()
    return (time.perf_counter() - start) / iterations


async def best_times(
    calls: list[Callable[[], Any]], *, iterations: int, rounds: int
) -> list[float]:
    """Best seconds per call for each of ``calls``; rounds interleave the calls so
    that load from other processes falls on every contender alike."""
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            best[i] = min(best[i], await _one_round(call, iterations))
    return best


def check_same_content(ours: Any, sdk: Any) -> None:
    """Both sides decoded the same data (so the race is fair)."""
    assert len(ours.data) == len(sdk.data) == 100
    assert [x.id for x in ours.data] == [x.id for x in sdk.data]
    assert ours.last_id == sdk.last_id and ours.has_more == sdk.has_more


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    iterations, rounds = (50, 3) if args.quick else (200, 15)

    threads_body = json.dumps(samples.thread_page(100)).encode()
    items_body = json.dumps(samples.item_page(100)).encode()
    item_types = {item["type"] for item in json.loads(items_body)["data"]}
    assert len(item_types) == 6, item_types

    client = AsyncOpenAI(api_key="sk-bench-not-a-key")
    strict_client = AsyncOpenAI(api_key="sk-bench-not-a-key", _strict_response_validation=True)
    assert not client._strict_response_validation
    cases = [
        (
            "threads page (100)",
            threads_body,
            lambda: d.decode_thread_page(threads_body),
            AsyncConversationCursorPage[ChatKitThread],
            ChatKitThread,
            THREADS_URL,
        ),
        (
            "items page (100, 6 types)",
            items_body,
            lambda: d.decode_item_page(items_body),
            AsyncConversationCursorPage[Data],  # pyright: ignore[reportInvalidTypeArguments]
            cast(Any, Data),
            ITEMS_URL,
        ),
    ]
    print(
        f"python {platform.python_version()}, msgspec {msgspec.__version__}, "
        f"openai {openai.__version__}; best of {rounds} x {iterations} iterations"
    )
    header = (
        f"{'page':<26}{'bytes':>8}{'ours':>11}{'SDK':>11}{'ratio':>8}{'SDK strict':>12}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    for name, body, ours, page_cls, model, url in cases:
        loose = sdk_parser(client, page_cls, model, url, body)
        strict = sdk_parser(strict_client, page_cls, model, url, body)
        check_same_content(ours(), await loose())
        check_same_content(ours(), await strict())
        t_ours, t_sdk, t_strict = await best_times(
            [ours, loose, strict], iterations=iterations, rounds=rounds
        )
        ratios.append(t_sdk / t_ours)
        print(
            f"{name:<26}{len(body):>8}{t_ours * 1e6:>9.0f}us{t_sdk * 1e6:>9.0f}us"
            f"{t_sdk / t_ours:>7.1f}x{t_strict * 1e6:>10.0f}us{t_strict / t_ours:>7.1f}x"
        )
    await client.close()
    await strict_client.close()
    goal = 20.0
    verdict = "met" if min(ratios) >= goal else "MISSED"
    print(f"goal: ours >= {goal:.0f}x faster than the SDK's default path -> {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
