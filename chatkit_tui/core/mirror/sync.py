"""A mirror run: copy what is new or changed upstream into a :class:`~.store.Mirror`.

Textual-free; ``chatkit-tui mirror`` and ``tests/benchmarks/bench_mirror.py`` run
:class:`MirrorSync`. One run:

1. **Lists** every thread (of ``user``, when given), a page of 100 at a time, newest first,
   a little ahead of the work (at most :data:`LOOKAHEAD` threads listed but not done).
2. For each listed thread, **reads its items**: a thread the mirror does not hold, from
   the first; one it holds, from after the last item it holds (``after=items_after``,
   one request when there is nothing new). A thread whose JSON differs from what is held
   is *changed* (status, title, ...); one with new items only has *grown*; one with
   neither is *unchanged* and nothing is written for it. With ``full``, every thread's
   items are read from the first and replace those held when they differ (items edited
   in place).
3. **Commits each thread whole** once all its new items are in: its row, its items, their
   search rows and where the next run starts, in one transaction -- with the other
   threads ready at that moment (up to :data:`COMMIT_BATCH`, :meth:`Mirror.batch`: one
   commit's round trips for many threads in PostgreSQL). Interrupted at any moment, a
   run leaves whole threads only; the next carries on.
4. When the listing ran to its end without an error, marks the threads held (of
   ``user``) that it no longer had as **gone**, keeping their content; with ``prune``,
   deletes those marked gone.

Faults: the client retries 5xx, connection errors, timeouts and 429s; what outlasts its
retries comes here. A 429 feeds the :class:`~chatkit_tui.core.throttle.Throttle` (wait
``Retry-After``, halve the concurrency, grow it back one by one) and the request goes
back to the front of the queue; any other failure of a thread sends it to the back, up to
:data:`MAX_ATTEMPTS` times; then it is recorded in the mirror's ``failures``, reported,
and tried again next run, never fatal. A 404 for a thread's items means it was deleted
since it was listed (gone). Only a 401 (the key) ends the run, raised. A listed record
that did not decode is kept raw (``UnreadableThread`` with an id as a thread, without one
in ``unreadable``); so is an item that did not decode.

All writes go through one writer thread, so SQLite's work overlaps the network's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chatkit_tui.client.decoding import raw_json
from chatkit_tui.client.errors import (
    AuthenticationError,
    BadRequestError,
    ChatKitError,
    NotFoundError,
    RateLimitError,
)
from chatkit_tui.core.errors import describe
from chatkit_tui.core.mirror.extract import bare_type
from chatkit_tui.core.mirror.records import ItemRecord, Known, RunRecord, ThreadRecord
from chatkit_tui.core.mirror.store import Mirror
from chatkit_tui.core.throttle import Throttle

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import AnyThread, ThreadItem

__all__ = [
    "DEFAULT_CONCURRENCY",
    "LOOKAHEAD",
    "MAX_ATTEMPTS",
    "MAX_RATE_LIMITED",
    "MirrorSync",
    "Outcome",
    "SyncProgress",
    "SyncSummary",
    "ThreadOutcome",
    "raw_of",
]

DEFAULT_CONCURRENCY = 8
PAGE_SIZE = 100  # the API's largest page, for threads and items alike
LOOKAHEAD = 1_000
MAX_ATTEMPTS = 3
COMMIT_BATCH = 50  # threads ready to write at most committed together
"""Failures (after the client's own retries) before a thread counts as failed this run."""
MAX_RATE_LIMITED = 8
"""429s (after the client's retries) before a thread, or the listing, gives up this run."""
LIST_RETRY_DELAY = 1.0

Outcome = Literal["new", "changed", "grown", "unchanged", "failed", "gone", "vanished"]
"""What became of a listed thread: ``grown`` = same JSON, new items; ``gone`` = held, and
deleted upstream (its items answered 404); ``vanished`` = deleted before it was ever held."""


def raw_of(obj: object) -> bytes:
    """The exact JSON a listed thread or an item arrived as."""
    return raw_json(obj)


@dataclass(frozen=True, slots=True)
class ThreadOutcome:
    thread_id: str
    outcome: Outcome
    items: int = 0
    """Items written for it."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A snapshot for a progress display."""

    known: int
    """Threads listed so far."""
    done: int
    listing_done: bool
    items: int
    """Items written so far."""
    new: int
    changed: int
    failed: int
    requests: int
    elapsed: float
    rate: float
    """Threads done per second, over the last few seconds."""
    concurrency: int
    waiting: float
    """Seconds left in a rate-limit backoff."""

    @property
    def eta(self) -> float | None:
        """Seconds to go, once the listing is done (and something is moving)."""
        if not self.listing_done or self.rate <= 0:
            return None
        return (self.known - self.done) / self.rate


@dataclass(slots=True)
class SyncSummary:
    """What a run did. ``listing_complete``: the listing ran to its end (only then are
    threads marked gone)."""

    threads: int = 0
    new: int = 0
    changed: int = 0
    grown: int = 0
    unchanged: int = 0
    items: int = 0
    gone: int = 0
    vanished: int = 0
    pruned: int = 0
    unreadable: int = 0
    """Listed records without an id, newly kept raw."""
    failed: list[ThreadOutcome] = field(default_factory=list[ThreadOutcome])
    listing_complete: bool = False
    listing_error: str | None = None
    interrupted: bool = False
    requests: int = 0
    rate_limited: int = 0
    lowest_concurrency: int = 0
    elapsed: float = 0.0

    @property
    def complete(self) -> bool:
        """Everything listed is mirrored and the listing ran to its end."""
        return self.listing_complete and not self.failed and not self.interrupted


@dataclass(slots=True)
class _ListJob:
    after: str | None
    attempts: int = 0
    rate_limited: int = 0


@dataclass(slots=True)
class _ThreadJob:
    thread: ThreadRecord
    known: Known | None
    attempts: int = 0
    rate_limited: int = 0
    from_start: bool = False


@dataclass(slots=True)
class _Fetched:
    """A thread's items as read: what to write, or why not."""

    job: _ThreadJob
    items: list[ItemRecord] = field(default_factory=list[ItemRecord])
    cursor: str | None = None
    error: BaseException | None = None


@dataclass(slots=True)
class _Listed:
    job: _ListJob
    threads: list[AnyThread] = field(default_factory=list[Any])
    next_after: str | None = None
    error: BaseException | None = None
    cut_short: str | None = None  # has_more without a usable cursor: the listing ends early


def _thread_record(thread: AnyThread, raw: bytes) -> ThreadRecord | None:
    """The fields a mirror keeps of a listed thread; None when it has no id."""
    from chatkit_tui.client.models import Thread

    if isinstance(thread, Thread):
        return ThreadRecord(
            id=thread.id,
            raw=raw,
            created_at=thread.created_at,
            user=thread.user,
            title=thread.title,
            status=thread.status.type,
            readable=True,
        )
    if not thread.id:
        return None
    return ThreadRecord(
        id=thread.id,
        raw=raw,
        created_at=thread.created_at or 0,
        user=thread.user,
        title=thread.title,
        status=thread.status.type,
        readable=False,
    )


def _item_record(item: ThreadItem) -> ItemRecord:
    return ItemRecord(
        raw=raw_of(item), id=item.id, created_at=item.created_at, type=bare_type(item.type)
    )


class MirrorSync:
    """One run into ``mirror`` from ``client``; ``await run()`` returns the summary.

    ``on_thread`` is called with each listed thread's :class:`ThreadOutcome`,
    ``on_progress`` with a :class:`SyncProgress` whenever something changes; both run in
    the event loop and must not block. ``clock`` (monotonic seconds) is for tests.
    """

    def __init__(
        self,
        client: Deployment,
        mirror: Mirror,
        *,
        user: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        prune: bool = False,
        full: bool = False,
        on_thread: Callable[[ThreadOutcome], object] | None = None,
        on_progress: Callable[[SyncProgress], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.mirror = mirror
        self.user = user
        self.prune = prune
        self.full = full
        self.on_thread = on_thread
        self.on_progress = on_progress
        self.clock = clock
        self.throttle = Throttle(concurrency)
        self.summary = SyncSummary(lowest_concurrency=concurrency)
        self._listed_ids: set[str] = set()
        self._seen_cursors: set[str] = set()
        self._pending: deque[_ThreadJob] = deque()
        self._list_job: _ListJob | None = _ListJob(None)
        self._listing_done = False
        self._running: set[asyncio.Future[Any]] = set()
        self._listing_task: asyncio.Future[Any] | None = None
        self._writes: set[asyncio.Future[Any]] = set()
        self._ready: deque[_Fetched] = deque()  # fetched, waiting for the writer
        self._write_error: BaseException | None = None
        self._done = 0
        self._started = 0.0
        self._samples: deque[tuple[float, int]] = deque()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror-writer")

    # --- progress --------------------------------------------------------------------------

    def progress(self) -> SyncProgress:
        now = self.clock()
        samples = self._samples
        samples.append((now, self._done))
        while len(samples) > 2 and now - samples[0][0] > 5.0:
            samples.popleft()
        span = now - samples[0][0]
        rate = (self._done - samples[0][1]) / span if span > 0.5 else 0.0
        s = self.summary
        return SyncProgress(
            known=len(self._listed_ids),
            done=self._done,
            listing_done=self._listing_done,
            items=s.items,
            new=s.new,
            changed=s.changed,
            failed=len(s.failed),
            requests=s.requests,
            elapsed=now - self._started,
            rate=rate,
            concurrency=self.throttle.concurrency,
            waiting=self.throttle.waiting(now),
        )

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    def _outcome(self, outcome: ThreadOutcome) -> None:
        s = self.summary
        self._done += 1
        if outcome.outcome == "failed":
            s.failed.append(outcome)
        else:
            setattr(s, outcome.outcome, getattr(s, outcome.outcome) + 1)
        s.items += outcome.items
        if self.on_thread is not None:
            self.on_thread(outcome)

    # --- the loop --------------------------------------------------------------------------

    async def run(self) -> SyncSummary:
        started_wall = time.time()
        self._started = self.clock()
        s = self.summary
        try:
            await self._loop()
            await self._drain_writes()
            if s.listing_complete:
                await self._write(self._finish_listing)
            if self.prune:
                s.pruned = await self._write(self.mirror.prune, self.user)
        except BaseException:
            s.interrupted = True
            raise
        finally:
            await self._stop()
            s.elapsed = self.clock() - self._started
            s.rate_limited = self.throttle.rate_limited_count
            s.lowest_concurrency = self.throttle.lowest
            self._record_run(started_wall)
            self._writer.shutdown(wait=True)
            self._progress()
        return s

    async def _loop(self) -> None:
        while True:
            self._raise_write_error()
            self._launch_what_can()
            if not self._running and not self._pending and self._list_job is None:
                return
            await self._wait()

    def _launch_what_can(self) -> None:
        throttle = self.throttle
        while throttle.can_start(len(self._running), self.clock()):
            job = self._list_job
            if job is not None and not self._listing_in_flight() and len(self._pending) < LOOKAHEAD:
                self._listing_task = self._start(self._list_page(job))
                continue
            if not self._pending:
                return
            self._start(self._fetch(self._pending.popleft()))

    def _listing_in_flight(self) -> bool:
        return self._listing_task is not None and self._listing_task in self._running

    def _start(self, coro: Any) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        return task

    async def _wait(self) -> None:
        """Until a request finishes or a backoff ends."""
        timeout = self.throttle.waiting(self.clock()) or None
        if not self._running:
            await asyncio.sleep(timeout or 0)
            return
        done, _ = await asyncio.wait(
            self._running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            self._running.discard(task)
            result = task.result()
            if isinstance(result, _Listed):
                self._listed(result)
            else:
                self._fetched(result)
        self._progress()

    async def _stop(self) -> None:
        """Cancel what is in flight (only when the run is being abandoned)."""
        for task in self._running:
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._running.clear()
        if self._writes:  # commits already handed to the writer finish (or never began)
            await asyncio.gather(*self._writes, return_exceptions=True)

    # --- the listing -----------------------------------------------------------------------

    async def _list_page(self, job: _ListJob) -> _Listed:
        result = _Listed(job)
        if job.attempts:  # a failed page (not a 429: the throttle waits those out)
            await asyncio.sleep(LIST_RETRY_DELAY * job.attempts)
        self.summary.requests += 1
        try:
            page = await self.client.threads.list(user=self.user, limit=PAGE_SIZE, after=job.after)
        except AuthenticationError:
            raise
        except ChatKitError as exc:
            result.error = exc
            return result
        result.threads = list(page.data)
        cursor = page.last_id
        if page.has_more and cursor and cursor not in self._seen_cursors:
            self._seen_cursors.add(cursor)
            result.next_after = cursor
        elif page.has_more:  # more, but no cursor to reach it (none, or one seen before)
            result.cut_short = (
                "the server said more threads follow but gave no new cursor to them "
                f"(last_id {cursor!r}); the listing stopped there"
            )
        return result

    def _listed(self, result: _Listed) -> None:
        job = result.job
        s = self.summary
        if result.error is not None:
            error = result.error
            if isinstance(error, RateLimitError):
                job.rate_limited += 1
                self.throttle.rate_limited(error.retry_after, self.clock())
                if job.rate_limited < MAX_RATE_LIMITED:
                    return  # the same job again, once the backoff allows
            else:
                job.attempts += 1
                if job.attempts < MAX_ATTEMPTS:
                    return
            s.listing_error = describe(error)
            self._list_job = None
            self._listing_done = True
            return
        self.throttle.succeeded()
        records: list[ThreadRecord] = []
        for thread in result.threads:
            raw = raw_of(thread)
            record = _thread_record(thread, raw)
            if record is None:
                error = getattr(thread, "error", "no id")
                self._write_soon(self._keep_unreadable, raw, str(error))
                continue
            if record.id in self._listed_ids:
                continue  # listed twice (threads created during the listing shift pages)
            self._listed_ids.add(record.id)
            records.append(record)
        s.threads = len(self._listed_ids)
        known = self.mirror.known([r.id for r in records])
        for record in records:
            self._pending.append(_ThreadJob(record, known.get(record.id)))
        if result.next_after is None:
            self._list_job = None
            self._listing_done = True
            if result.cut_short is not None:
                # not the end of the list: nothing unlisted may be taken for gone
                s.listing_error = result.cut_short
            else:
                s.listing_complete = True
        else:
            self._list_job = _ListJob(result.next_after)

    def _keep_unreadable(self, raw: bytes, error: str) -> None:
        if self.mirror.save_unreadable(raw, error):
            self.summary.unreadable += 1

    def _finish_listing(self) -> None:
        gone = self.mirror.present_ids(self.user) - self._listed_ids
        self.summary.gone += self.mirror.mark_gone(sorted(gone))
        if self.user is None:
            self.mirror.forget_failures(self._listed_ids)

    # --- one thread ------------------------------------------------------------------------

    async def _fetch(self, job: _ThreadJob) -> _Fetched:
        result = _Fetched(job)
        known = job.known
        from_start = job.from_start or self.full or known is None
        if known is not None and known.item_count and known.items_after is None:
            from_start = True  # items held but no cursor to go on from: read them again
        job.from_start = from_start
        after = None if from_start or known is None else known.items_after
        cursor = after
        pages = self.client.threads.list_items(
            job.thread.id, limit=PAGE_SIZE, order="asc", after=after
        )
        try:
            async for page in pages.pages():
                self.summary.requests += 1
                if page.data:
                    result.items.extend(_item_record(item) for item in page.data)
                    cursor = page.last_id or result.items[-1].id
        except AuthenticationError:
            raise
        except ChatKitError as exc:
            self.summary.requests += 1
            result.error = exc
        result.cursor = cursor
        return result

    def _fetched(self, result: _Fetched) -> None:
        job = result.job
        error = result.error
        thread_id = job.thread.id
        if error is None:
            self.throttle.succeeded()
            self._ready.append(result)
            self._write_soon(self._commit_ready)
            return
        if isinstance(error, NotFoundError):
            self.throttle.succeeded()
            if job.known is not None:
                self._write_soon(self._gone, thread_id)
            else:
                self._outcome(ThreadOutcome(thread_id, "vanished"))
            return
        if isinstance(error, BadRequestError) and not job.from_start:
            job.from_start = True  # the item we would go on from is no more: from the first
            self._pending.appendleft(job)
            return
        if isinstance(error, RateLimitError):
            job.rate_limited += 1
            self.throttle.rate_limited(error.retry_after, self.clock())
            if job.rate_limited < MAX_RATE_LIMITED:
                self._pending.appendleft(job)
                return
        else:
            job.attempts += 1
            if job.attempts < MAX_ATTEMPTS:
                self._pending.append(job)
                return
        reason = describe(error)
        self._write_soon(self.mirror.record_failure, thread_id, reason)
        self._outcome(ThreadOutcome(thread_id, "failed", error=reason))

    def _commit_ready(self) -> list[ThreadOutcome]:
        """In the writer thread: the threads ready now (an earlier call may have taken this
        call's), up to :data:`COMMIT_BATCH`, in one transaction."""
        batch: list[_Fetched] = []
        while self._ready and len(batch) < COMMIT_BATCH:
            batch.append(self._ready.popleft())
        if not batch:
            return []
        with self.mirror.batch():
            return [self._commit(result) for result in batch]

    def _commit(self, result: _Fetched) -> ThreadOutcome:
        """In the writer thread: write the thread if anything changed; say what it was."""
        job = result.job
        thread, known, items = job.thread, job.known, result.items
        if known is not None and job.from_start:
            held = [i.raw for i in self.mirror.all_items(thread.id)]
            if held == [i.raw for i in items]:
                items = []  # read again, found the same
                replace = False
            else:
                replace = True
        else:
            replace = False
        if (
            known is not None
            and not items
            and not replace
            and known.raw == thread.raw
            and known.items_after == result.cursor
            and not known.gone
        ):
            return ThreadOutcome(thread.id, "unchanged")
        stats = self.mirror.save_thread(
            thread, items, items_after=result.cursor, replace_items=replace
        )
        if stats.new:
            outcome: Outcome = "new"
        elif stats.changed or replace:  # its JSON, or items read again that differ
            outcome = "changed"
        elif stats.items:  # not when every item read was one held already
            outcome = "grown"
        else:
            outcome = "unchanged"
        return ThreadOutcome(thread.id, outcome, stats.items)

    def _gone(self, thread_id: str) -> ThreadOutcome:
        self.mirror.mark_gone([thread_id])
        return ThreadOutcome(thread_id, "gone")

    # --- the writer --------------------------------------------------------------------------

    def _write_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Hand a write to the writer thread; its ThreadOutcome (if any) is counted when done."""
        future = asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)
        self._writes.add(future)
        future.add_done_callback(self._written)

    def _written(self, future: asyncio.Future[Any]) -> None:
        self._writes.discard(future)
        if future.cancelled():
            return
        if (error := future.exception()) is not None:  # a full disk, a broken file: fatal
            self._write_error = self._write_error or error
            return
        result: object = future.result()
        outcomes: list[object] = list(result) if isinstance(result, list) else [result]  # pyright: ignore[reportUnknownArgumentType]
        counted = False
        for outcome in outcomes:
            if isinstance(outcome, ThreadOutcome):
                self._outcome(outcome)
                counted = True
        if counted:
            self._progress()

    async def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _drain_writes(self) -> None:
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        self._raise_write_error()

    def _raise_write_error(self) -> None:
        """A write that failed ends the run (the next loop turn, or once writes drain)."""
        if self._write_error is not None:
            raise self._write_error

    def _record_run(self, started_wall: float) -> None:
        s = self.summary
        try:
            self.mirror.record_run(
                RunRecord(
                    started_at=started_wall,
                    finished_at=time.time(),
                    user=self.user,
                    listing_complete=s.listing_complete,
                    interrupted=s.interrupted,
                    threads=s.threads,
                    new=s.new,
                    changed=s.changed,
                    grown=s.grown,
                    items=s.items,
                    gone=s.gone,
                    failed=len(s.failed),
                    pruned=s.pruned,
                    requests=s.requests,
                )
            )
        except Exception:  # noqa: S110 - the record is a courtesy; the data is committed
            pass
