"""Faults on demand for testing clients: latency, 500s, rate limiting.

``Faults`` is the configuration (parsed from the ``serve`` flags);
``FaultInjector`` is its runtime state (random source, rate-limit window).
Faults are decided before a request is handled, so an injected 500 or 429
never changes the database.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class FaultSpecError(ValueError):
    """A ``--latency`` / ``--error-rate`` / ``--rate-limit`` value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Faults:
    latency_ms: float = 0.0
    """Every response is delayed by at least this much."""
    jitter_ms: float = 0.0
    """Plus a uniformly random extra delay in ``[0, jitter_ms]``."""
    error_rate: float = 0.0
    """Fraction of requests answered with a 500 (0 to 1)."""
    rate_limit: int | None = None
    """Requests allowed in any sliding 60-second window; past it, 429."""
    rng_seed: int | None = None
    """Seed for the error-rate and jitter dice (None: unpredictable)."""
    rate_window_s: float = 60.0
    """The sliding window of ``rate_limit`` (tests shorten it to see recovery quickly)."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.latency_ms) and self.latency_ms >= 0):
            raise FaultSpecError(f"latency must be >= 0 ms, got {self.latency_ms}")
        if not (math.isfinite(self.jitter_ms) and self.jitter_ms >= 0):
            raise FaultSpecError(f"jitter must be >= 0 ms, got {self.jitter_ms}")
        if not (0.0 <= self.error_rate <= 1.0):
            raise FaultSpecError(f"error rate must be between 0 and 1, got {self.error_rate}")
        if not (math.isfinite(self.rate_window_s) and self.rate_window_s > 0):
            raise FaultSpecError(f"rate window must be > 0 s, got {self.rate_window_s}")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise FaultSpecError(f"rate limit must be at least 1/min, got {self.rate_limit}")

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms or self.jitter_ms or self.error_rate or self.rate_limit is not None
        )

    def describe(self) -> str:
        """In words, for the banner: "adds 40 ms latency to every response (plus up to 10 ms
        at random), answers 5% of requests with 500, answers 429 past 600 requests a minute"."""
        parts: list[str] = []
        if self.latency_ms or self.jitter_ms:
            words = f"adds {self.latency_ms:g} ms latency to every response"
            if self.jitter_ms:
                words += f" (plus up to {self.jitter_ms:g} ms at random)"
            parts.append(words)
        if self.error_rate:
            parts.append(f"answers {self.error_rate * 100:.4g}% of requests with 500")
        if self.rate_limit is not None:
            window = "a minute" if self.rate_window_s == 60 else f"in any {self.rate_window_s:g} s"
            noun = "request" if self.rate_limit == 1 else "requests"
            parts.append(f"answers 429 (with Retry-After) past {self.rate_limit:,} {noun} {window}")
        return ", ".join(parts) if parts else "none"

    @classmethod
    def parse(
        cls,
        latency: str | None = None,
        error_rate: str | None = None,
        rate_limit: str | None = None,
    ) -> Faults:
        """Build from the command-line strings; raises FaultSpecError with a clear message."""
        latency_ms = jitter_ms = 0.0
        if latency is not None:
            latency_ms, jitter_ms = parse_latency(latency)
        rate = parse_error_rate(error_rate) if error_rate is not None else 0.0
        limit = parse_rate_limit(rate_limit) if rate_limit is not None else None
        return cls(latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=rate, rate_limit=limit)


_NUMBER = r"\d+(?:\.\d+)?"


def parse_latency(text: str) -> tuple[float, float]:
    """``"200"`` -> (200, 0); ``"200:50"`` -> (200, 50) milliseconds."""
    match = re.fullmatch(rf"\s*({_NUMBER})\s*(?:ms)?\s*(?::\s*({_NUMBER})\s*(?:ms)?\s*)?", text)
    if match is None:
        raise FaultSpecError(
            f"--latency expects MS or MS:JITTER in milliseconds (e.g. 200 or 200:50), got {text!r}"
        )
    return float(match.group(1)), float(match.group(2) or 0)


def parse_error_rate(text: str) -> float:
    """``"0.1"`` or ``"10%"`` -> 0.1."""
    stripped = text.strip()
    try:
        value = float(stripped[:-1]) / 100 if stripped.endswith("%") else float(stripped)
    except ValueError:
        value = math.nan
    if not (0.0 <= value <= 1.0):
        raise FaultSpecError(
            f"--error-rate expects a fraction from 0 to 1 (e.g. 0.1) or a percentage, got {text!r}"
        )
    return value


def parse_rate_limit(text: str) -> int:
    """``"60/min"`` or ``"60"`` -> 60 requests a minute."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(?:min|minute|m))?\s*", text)
    if match is None or int(match.group(1)) < 1:
        raise FaultSpecError(f"--rate-limit expects N/min with N >= 1 (e.g. 60/min), got {text!r}")
    return int(match.group(1))


@dataclass(frozen=True, slots=True)
class Decision:
    delay_s: float = 0.0
    status: int | None = None
    """None: handle the request; 429 or 500: answer with that fault."""
    retry_after_s: float = 0.0


class FaultInjector:
    """Runtime state of the faults; thread-safe."""

    def __init__(self, faults: Faults, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.faults = faults
        self._rng = random.Random(faults.rng_seed)
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()

    def decide(self) -> Decision:
        f = self.faults
        with self._lock:
            delay = (f.latency_ms + self._rng.uniform(0, f.jitter_ms)) / 1000.0
            if f.rate_limit is not None:
                now = self._clock()
                while self._recent and now - self._recent[0] >= f.rate_window_s:
                    self._recent.popleft()
                if len(self._recent) >= f.rate_limit:
                    wait = f.rate_window_s - (now - self._recent[0])
                    return Decision(delay, 429, max(wait, 0.001))
                self._recent.append(now)
            if f.error_rate and self._rng.random() < f.error_rate:
                return Decision(delay, 500)
        return Decision(delay)

    def remaining(self) -> int | None:
        if self.faults.rate_limit is None:
            return None
        with self._lock:
            return max(0, self.faults.rate_limit - len(self._recent))
