"""How many requests to keep in flight, and when to start none: the rules a bulk delete and a
mirror run share for an API that rate-limits them.

Textual-free, pure (the caller passes the time). The client already retries a 429 after the
server's ``Retry-After``; a 429 that outlasts those retries is reported here
(:meth:`Throttle.rate_limited`): nothing new may start until the server's wait (or an
exponential backoff, 1 s doubling to 60 s, when it names none) has passed, and the
concurrency is halved (multiplicative decrease). More 429s of the same burst (arriving
while that wait runs) neither halve it again nor extend the wait. Each success counts
towards raising the concurrency by one again, after twice the current concurrency of them
in a row (additive increase), up to the concurrency asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FIRST_BACKOFF", "MAX_BACKOFF", "Throttle", "backoff_delay"]

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 120.0  # as the client's own cap on Retry-After


def backoff_delay(retry_after: float | None, backoffs: int) -> float:
    """How long to wait after the ``backoffs``-th 429 in a row that outlasted the client's
    retries: what the server asked (``Retry-After``), at most :data:`MAX_BACKOFF`; without
    an answer, 1 s doubling to that. A long ask is waited out as far as the cap, never
    replaced by the short default."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, MAX_BACKOFF)
    return min(FIRST_BACKOFF * 2**backoffs, MAX_BACKOFF)


@dataclass(slots=True)
class Throttle:
    """The adaptive concurrency of one run; ``concurrency`` is the current limit."""

    max_concurrency: int
    concurrency: int = 0
    lowest: int = 0
    """The lowest concurrency reached."""
    not_before: float = 0.0
    """No new request before this time (the caller's clock)."""
    rate_limited_count: int = 0
    """429s reported (each one outlasted the client's retries)."""
    _backoffs: int = field(default=0, repr=False)
    _good_since_cut: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = self.concurrency or self.max_concurrency
        self.lowest = self.lowest or self.concurrency

    def can_start(self, in_flight: int, now: float) -> bool:
        """Whether one more request may start now."""
        return in_flight < self.concurrency and now >= self.not_before

    def waiting(self, now: float) -> float:
        """Seconds left in a backoff (0 when none)."""
        return max(0.0, self.not_before - now)

    def succeeded(self) -> None:
        self._good_since_cut += 1
        if self.concurrency < self.max_concurrency and self._good_since_cut >= 2 * self.concurrency:
            self.concurrency += 1
            self._good_since_cut = 0

    def rate_limited(self, retry_after: float | None, now: float) -> None:
        """A 429 that outlasted the client's retries, asking to wait ``retry_after`` s."""
        self.rate_limited_count += 1
        if now < self.not_before:  # one more 429 of the burst already backed off from
            return
        delay = backoff_delay(retry_after, self._backoffs)
        self._backoffs += 1
        self.not_before = now + delay
        self.concurrency = max(1, self.concurrency // 2)
        self.lowest = min(self.lowest, self.concurrency)
        self._good_since_cut = 0
