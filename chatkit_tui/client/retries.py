"""When to retry a request and how long to wait: pure functions, tested directly.

The rules follow the official OpenAI SDKs, with a longer ceiling on what the
server may ask for:

- retried: connection errors, timeouts, 408, 409, 429 and every 5xx;
  ``x-should-retry: true`` / ``false`` overrides that for any status;
- the wait is ``retry-after-ms`` (milliseconds) or ``Retry-After`` (seconds or an
  HTTP date) when the server sends one between 0 and ``max_retry_after``
  (120 s); otherwise exponential backoff from 0.5 s doubling up to 8 s, times a
  jitter factor in (0.75, 1].
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "should_retry_status",
]

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff parameters; ``sleep`` and ``random`` are injectable for tests."""

    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)


def should_retry_status(status_code: int, headers: Mapping[str, str]) -> bool:
    """Whether an error response is worth another attempt."""
    should = headers.get("x-should-retry", "").strip().lower()
    if should == "true":
        return True
    if should == "false":
        return False
    return status_code in RETRYABLE_STATUSES or status_code >= 500


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, or None when it does not say (or says nonsense)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return when.timestamp() - (time.time() if now is None else now)


def backoff_delay(retries_done: int, policy: RetryPolicy, *, jitter: float) -> float:
    """Exponential backoff: ``initial * 2**retries_done`` capped at ``max``, times ``jitter``.

    ``jitter`` is a number in [0, 1); the factor applied is ``1 - 0.25 * jitter``.
    """
    base = min(policy.initial_delay * (2.0**retries_done), policy.max_delay)
    return base * (1.0 - 0.25 * jitter)


def retry_delay(
    retries_done: int,
    headers: Mapping[str, str] | None,
    policy: RetryPolicy,
    *,
    now: float | None = None,
) -> float:
    """Seconds to wait before retry number ``retries_done + 1``."""
    if headers is not None:
        asked = parse_retry_after(headers, now=now)
        if asked is not None and 0 <= asked <= policy.max_retry_after:
            return asked
    return backoff_delay(retries_done, policy, jitter=policy.random())
