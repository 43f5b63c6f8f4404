"""Helpers shared by the client tests."""

from __future__ import annotations

from typing import Any

from chatkit_tui.client import AsyncChatKit, RetryPolicy
from tests.fixtures.scripted import ScriptedServer

KEY = "sk-test-0123456789abcdefSECRET"


class Sleeps:
    """An injected ``sleep`` that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_client(
    server: ScriptedServer, sleeps: Sleeps | None = None, **kwargs: Any
) -> AsyncChatKit:
    """A client on the scripted server; jitter 0 so the backoff is exact."""
    kwargs.setdefault("api_key", KEY)
    policy = RetryPolicy(sleep=sleeps or Sleeps(), random=lambda: 0.0)
    return AsyncChatKit(base_url=server.base_url, retry_policy=policy, **kwargs)
