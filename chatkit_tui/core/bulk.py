"""Bulk delete: archive then delete many threads, a few at a time, gently with rate limits.

Textual-free: the app's bulk delete screen and ``tests/benchmarks/bench_bulk.py`` both run
:class:`BulkDelete`. Each thread goes through the same operation as a single delete,
:func:`chatkit_tui.core.delete.archive_then_delete`: archived first, *not* deleted if that
fails, and a 404 counted apart, as "already gone", not as a failure.

Concurrency is bounded (``concurrency``, default :data:`DEFAULT_CONCURRENCY`). The client
already retries a 429 after the server's ``Retry-After``; a 429 that outlasts those retries
makes the runner back off: nothing new starts until the server's wait (or an exponential
backoff) has passed, the concurrency is halved, and the thread goes back to the front of the
queue (archived threads are not archived twice). Steady successes raise the concurrency again
one step at a time (:class:`chatkit_tui.core.throttle.Throttle`, which the mirror shares).
:meth:`BulkDelete.stop` stops launching: requests in flight finish, so
nothing is left half done; the threads not attempted are reported as such.

The purge (:mod:`chatkit_tui.core.purge`) runs it too, with ``listed`` (the threads as the
thread list sent them: each is archived from that copy, so only its items are read) and
``still_wanted`` (a last check of each thread before it is archived; a thread that fails it
is :attr:`Outcome.SKIPPED`): see :func:`chatkit_tui.core.delete.archive_then_delete`. A
purge told not to ask (``--yes``) starts deleting while it is still finding: the runner is
made ``open_ended``, given threads with :meth:`BulkDelete.add` as they are found, and ends
once :meth:`BulkDelete.close` says there are no more and the last has finished.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_tui.client.errors import RateLimitError
from chatkit_tui.core.delete import DeleteResult, Outcome, archive_then_delete
from chatkit_tui.core.errors import describe
from chatkit_tui.core.throttle import FIRST_BACKOFF, MAX_BACKOFF, Throttle

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FIRST_BACKOFF",  # the throttle's, still importable from here
    "MAX_BACKOFF",
    "MAX_RATE_LIMITED",
    "BulkDelete",
    "BulkProgress",
    "BulkResult",
    "BulkSummary",
    "Outcome",
]

DEFAULT_CONCURRENCY = 8
MAX_RATE_LIMITED = 5
"""A thread rate limited this many times (after the client's own retries) counts as failed."""


BulkResult = DeleteResult  # one thread's outcome, as every delete reports it


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """A snapshot for a progress display."""

    total: int
    finished: int
    in_flight: int
    concurrency: int
    waiting: float
    """Seconds left in a rate-limit backoff (0 when not backing off)."""
    rate_limited: int
    stopping: bool


@dataclass(slots=True)
class BulkSummary:
    results: list[BulkResult] = field(default_factory=list[BulkResult])
    elapsed: float = 0.0
    archive_seconds: float = 0.0
    """Time spent archiving, summed over threads (divide by the concurrency for wall time)."""
    delete_seconds: float = 0.0
    """Time spent in DELETE requests, summed over threads."""
    rate_limited: int = 0
    """429s that outlasted the client's retries (each one made the runner back off)."""
    lowest_concurrency: int = 0
    stopped: bool = False
    """stop() left threads not attempted."""

    def of(self, outcome: Outcome) -> list[BulkResult]:
        return [r for r in self.results if r.outcome is outcome]

    @property
    def deleted(self) -> list[BulkResult]:
        return self.of(Outcome.DELETED)

    @property
    def gone(self) -> list[BulkResult]:
        return self.of(Outcome.GONE)

    @property
    def failed(self) -> list[BulkResult]:
        return self.of(Outcome.FAILED)

    @property
    def not_attempted(self) -> list[BulkResult]:
        return self.of(Outcome.NOT_ATTEMPTED)

    @property
    def skipped(self) -> list[BulkResult]:
        return self.of(Outcome.SKIPPED)

    def line(self) -> str:
        """One line: 'deleted 10, already gone 1, failed 2, skipped 1, not attempted 3'."""
        parts = [f"deleted {len(self.deleted):,}"]
        for label, results in (
            ("already gone", self.gone),
            ("failed", self.failed),
            ("skipped", self.skipped),
            ("not attempted", self.not_attempted),
        ):
            if results:
                parts.append(f"{label} {len(results):,}")
        return ", ".join(parts)


@dataclass(slots=True)
class _RateLimited:
    thread_id: str
    error: RateLimitError


class BulkDelete:
    """Archive and delete ``thread_ids``; ``await run()`` returns the :class:`BulkSummary`.

    ``on_result`` is called with each thread's :class:`BulkResult` as it is known;
    ``on_progress`` with a :class:`BulkProgress` whenever something changes. Both run in
    the caller's event loop and must not block. ``may_delete``: asked just before each
    ``DELETE`` (see :func:`~chatkit_tui.core.delete.archive_then_delete`).
    """

    def __init__(
        self,
        client: Deployment,
        thread_ids: Sequence[str],
        *,
        archive_dir: Path | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_result: Callable[[BulkResult], object] | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
        listed: Mapping[str, object] | None = None,
        still_wanted: Callable[[object], str | None] | None = None,
        open_ended: bool = False,
        may_delete: Callable[[], str | None] | None = None,
    ) -> None:
        self._throttle = Throttle(concurrency)  # ValueError below 1
        self.client = client
        self.thread_ids = list(dict.fromkeys(thread_ids))  # each thread once
        self.archive_dir = archive_dir
        self.max_concurrency = concurrency
        self.on_result = on_result
        self.on_progress = on_progress
        self.listed: dict[str, object] = dict(listed or {})
        self.still_wanted = still_wanted
        self.may_delete = may_delete
        self._open = open_ended
        self._known = set(self.thread_ids)
        self.summary = BulkSummary(lowest_concurrency=concurrency)
        self._archived: dict[str, Path] = {}
        self._limited: dict[str, int] = {}
        self._pending: deque[str] = deque(self.thread_ids)
        self._running: set[asyncio.Task[BulkResult | _RateLimited]] = set()
        self._stopping = False
        self._wake = asyncio.Event()

    # --- control -------------------------------------------------------------------------

    def add(self, thread_ids: Iterable[str], listed: Mapping[str, object] | None = None) -> None:
        """More threads for an ``open_ended`` run (each once; ``listed`` as in the constructor)."""
        if not self._open:
            raise RuntimeError("add() on a run that is not open-ended, or after close()")
        self.listed.update(listed or {})
        for thread_id in thread_ids:
            if thread_id not in self._known:
                self._known.add(thread_id)
                self.thread_ids.append(thread_id)
                self._pending.append(thread_id)
        self._wake.set()

    def close(self) -> None:
        """No more threads will be added: run() returns once those given are done."""
        self._open = False
        self._wake.set()

    def stop(self) -> None:
        """Start nothing new; requests in flight finish. The rest are 'not attempted'."""
        self._stopping = True
        self._wake.set()
        self._progress()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def concurrency(self) -> int:
        """Requests allowed in flight now (halved by rate limits, grown back after)."""
        return self._throttle.concurrency

    def progress(self) -> BulkProgress:
        waiting = self._throttle.waiting(time.monotonic())
        return BulkProgress(
            total=len(self.thread_ids),
            finished=len(self.summary.results),
            in_flight=len(self._running),
            concurrency=self.concurrency,
            waiting=waiting,
            rate_limited=self.summary.rate_limited,
            stopping=self._stopping,
        )

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    # --- the loop ------------------------------------------------------------------------

    async def run(self) -> BulkSummary:
        started = time.perf_counter()
        try:
            while self._pending or self._running or self._open:
                if self._stopping and not self._running:
                    break
                if self._can_launch():
                    self._launch(self._pending.popleft())
                    continue
                await self._wait()
        finally:
            for task in self._running:  # only on cancellation: the caller went away
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            self._running.clear()
        for thread_id in self._pending:
            self._record(
                BulkResult(thread_id, Outcome.NOT_ATTEMPTED, self._archived.get(thread_id))
            )
        self._pending.clear()
        # stopped means something was left undone: an escape after the last thread had
        # started changes nothing
        self.summary.stopped = self._stopping and bool(self.summary.not_attempted)
        self.summary.elapsed = time.perf_counter() - started
        self._progress()
        return self.summary

    def _can_launch(self) -> bool:
        return (
            not self._stopping
            and bool(self._pending)
            and self._throttle.can_start(len(self._running), time.monotonic())
        )

    def _launch(self, thread_id: str) -> None:
        task = asyncio.ensure_future(self._one(thread_id))
        self._running.add(task)
        self._progress()

    async def _wait(self) -> None:
        """Until a request finishes, a backoff ends, or stop() is called."""
        timeout: float | None = None
        if self._pending and not self._stopping and len(self._running) < self.concurrency:
            timeout = self._throttle.waiting(time.monotonic())
        self._wake.clear()
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            done, _ = await asyncio.wait(
                {*self._running, waker}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waker.cancel()
        for task in [t for t in self._running if t in done]:
            self._running.discard(task)
            result = task.result()
            if isinstance(result, _RateLimited):
                self._rate_limited(result)
            else:
                self._finished(result)
        self._progress()

    # --- outcomes ------------------------------------------------------------------------

    def _record(self, result: BulkResult) -> None:
        self.summary.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def _finished(self, result: BulkResult) -> None:
        self._record(result)
        if result.outcome is not Outcome.FAILED:
            self._throttle.succeeded()

    def _rate_limited(self, limited: _RateLimited) -> None:
        summary = self.summary
        summary.rate_limited += 1
        count = self._limited[limited.thread_id] = self._limited.get(limited.thread_id, 0) + 1
        self._throttle.rate_limited(limited.error.retry_after, time.monotonic())
        summary.lowest_concurrency = min(summary.lowest_concurrency, self._throttle.lowest)
        if count >= MAX_RATE_LIMITED:
            reason = f"rate limited {count} times: {describe(limited.error)}"
            path = self._archived.get(limited.thread_id)
            if path is not None:
                reason = f"archived to {path}, not deleted: {reason}"
            self._record(BulkResult(limited.thread_id, Outcome.FAILED, path, reason))
        else:
            self._pending.appendleft(limited.thread_id)

    async def _one(self, thread_id: str) -> BulkResult | _RateLimited:
        summary = self.summary
        started = time.perf_counter()
        archived = self._archived.get(thread_id)
        deleting_since: list[float] = [started] if archived is not None else []

        def note_archived(path: Path) -> None:
            self._archived[thread_id] = path  # a retry after a 429 does not archive again
            now = time.perf_counter()
            summary.archive_seconds += now - started
            deleting_since.append(now)

        result = await archive_then_delete(
            self.client,
            thread_id,
            archive_dir=self.archive_dir,
            archived=archived,
            on_archived=note_archived,
            listed=self.listed.get(thread_id),
            still_wanted=self.still_wanted,
            may_delete=self.may_delete,
        )
        if deleting_since:
            summary.delete_seconds += time.perf_counter() - deleting_since[0]
        else:
            summary.archive_seconds += time.perf_counter() - started
        if isinstance(result.error, RateLimitError):
            return _RateLimited(thread_id, result.error)
        return result
