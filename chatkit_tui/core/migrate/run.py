"""Copying a deployment's threads into a chatkit-python Store: write, dry run, verify.

The source (:mod:`.source`) is any deployment, or a mirror file read directly; the
target is the operator's own ``chatkit.store.Store`` with the request context of each
thread's hosted user (:class:`Target`). Threads are written one at a time, newest first;
each is converted by :func:`~chatkit_tui.core.migrate.mapping.convert` (validated by
chatkit-python's models) before anything of it is written, the next page of the source
read meanwhile. With many threads to convert, a page's conversions are made in a worker
process on another core (:mod:`.worker`), ahead of the writes; the writes are the same.

How a thread is written, so that a run killed at any moment and run again ends with the
Store one clean run makes (the README's "Resuming" says the same):

1. ``load_thread`` under the user's context. Marked with this source's fingerprint
   (``metadata["chatkit_tui_migrated"]``, :data:`~.mapping.MIGRATED`): **unchanged**,
   nothing is written. When the source knows how many threads it has (a mirror), the
   Store is instead listed once at the start (``load_threads`` under the whole-deployment
   context, paged; given up for a Store much larger than the source): a thread it does
   not list is new without asking, one listed with the mark is unchanged, any other is
   ``load_thread``\\ ed as before. Should a thread the listing missed turn out to be there
   (writing it as new fails), it is read and updated instead.
2. Not there: ``save_thread`` *without* the mark, then ``add_thread_item`` for each item,
   oldest first (the thread before its items: a Store may tie items to their thread by a
   foreign key, as chatkit-python's PostgreSQL guide does).
3. There but unmarked (a run killed half-way) or marked with another fingerprint (changed
   upstream since): ``save_thread`` without the mark first (so a run killed during the
   update is detected too), then each item whose stored form differs is ``save_item``\\ d
   (an upsert). Items the Store has that the source does not are kept, and counted in the
   report: they may be the conversation's continuation on the new deployment.
4. Last, ``save_thread`` with the mark. Only a marked thread counts as migrated.

What a Store cannot give: a reader of the Store may see a thread half-written while a run
is under way (chatkit-python's Store has no transactions); the next run completes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from chatkit_tui.core.migrate.mapping import (
    HOSTED_USER,
    MIGRATED,
    OURS,
    Converted,
    Note,
    convert,
    fingerprint,
    unaccounted,
    why,
)
from chatkit_tui.core.migrate.source import Source, SourceThread
from chatkit_tui.core.migrate.worker import (
    ENV,
    POOL_MIN,
    Conversion,
    convert_page,
    loads,
    start_pool,
)

__all__ = [
    "Migration",
    "Outcome",
    "Summary",
    "Target",
    "ThreadResult",
    "WorkerDied",
]

Outcome = Literal[
    "new",  # written (would be, in a dry run)
    "updated",  # rewritten: changed upstream, or half-written by a run that was killed
    "unchanged",  # already migrated from this very source: nothing written
    "failed",  # not written (the reason says why); tried again next run
    "verified",  # --verify: the Store holds what the source converts to
    "differs",  # --verify: it does not (the reason says how)
]

PAGE = 100
LISTING_PAGE = 500
AHEAD = 2
"""Pages of threads read and converted ahead of the writes."""


LISTING_SLACK = 1000
"""The Store is listed only while it holds at most twice the source's threads and this."""


class WorkerDied(RuntimeError):
    """The conversion worker process ended mid-run: the run stops before the page it was
    converting (every thread written before is whole; a run again resumes)."""


class Target(Protocol):
    """The Store and its request contexts (``chatkit_tui.backends.store.loader.LoadedStore``)."""

    @property
    def store(self) -> Any: ...

    async def context(self, user: str | None) -> Any: ...


@dataclass
class ThreadResult:
    thread_id: str
    user: str | None
    items: int
    outcome: Outcome
    reason: str | None = None
    notes: list[Note] = field(default_factory=list[Note])
    kept: int = 0
    """Items the Store has that the source does not (kept, never deleted)."""
    written: int = 0
    """Writes made (save_thread, add_thread_item, save_item)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "record": "thread",
            "id": self.thread_id,
            "user": self.user,
            "items": self.items,
            "outcome": self.outcome,
            "reason": self.reason,
            "approximations": [n.as_json() for n in self.notes],
            "kept_items": self.kept,
            "writes": self.written,
        }


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict[str, int])
    threads: int = 0
    items: int = 0
    approximated_items: int = 0
    writes: int = 0
    elapsed: float = 0.0
    stopped: bool = False

    def add(self, result: ThreadResult) -> None:
        self.threads += 1
        self.items += result.items
        self.writes += result.written
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        self.approximated_items += len({n.item_id for n in result.notes if n.item_id})

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "record": "end",
            "threads": self.threads,
            "items": self.items,
            "outcomes": dict(sorted(self.counts.items())),
            "approximated_items": self.approximated_items,
            "writes": self.writes,
            "elapsed": round(self.elapsed, 3),
            "stopped": self.stopped,
        }


def _not_found(exc: BaseException) -> bool:
    from chatkit.store import NotFoundError

    return isinstance(exc, NotFoundError)


_T = TypeVar("_T")


class StoreCallFailed(Exception):
    """The Store raised ``cause`` in ``call`` (the method, and the item it was given):
    what a failed thread's reason names, beside the exception."""

    def __init__(self, call: str, cause: Exception) -> None:
        super().__init__(f"{call}: {cause}")
        self.call = call
        self.cause = cause


def _item_named(item: Any) -> str:
    """``item cthi_1 (type widget)``: an item as a failure names it."""
    return f"item {getattr(item, 'id', '?')} (type {getattr(item, 'type', '?')})"


async def _calling(call: str, awaited: Awaitable[_T]) -> _T:
    """``await awaited``; what the Store raises is :class:`StoreCallFailed` naming ``call``."""
    try:
        return await awaited
    except Exception as exc:
        raise StoreCallFailed(call, exc) from exc


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


class Migration:
    """One run over ``source`` (:class:`~chatkit_tui.core.migrate.source.Source`) into
    ``target``.

    ``mode``: ``"write"``, ``"dry-run"`` (convert, validate, read the Store to say what a
    real run would do; write nothing) or ``"verify"`` (read every thread back and compare
    it with what the source converts to; write nothing).
    """

    def __init__(
        self,
        source: Source,
        target: Target,
        *,
        mode: Literal["write", "dry-run", "verify"] = "write",
        workers: int | None = None,
    ) -> None:
        """``workers``: 0, convert in this process; 1, in a worker process however few the
        threads (each page waited for, even while the worker starts); None: the
        environment's ``CHATKIT_TUI_MIGRATE_WORKERS`` (0 or 1), else a
        worker when it pays (a source that knows its count, more than :data:`POOL_MIN`
        threads to convert)."""
        self.source = source
        if workers is None:
            workers = {"0": 0, "1": 1}.get(os.environ.get(ENV, "").strip())
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._worker_up = workers == 1
        """The worker has given back a page: from then on its pages are waited for (before,
        a page it has not converted yet is converted here: a worker takes ~1 s to start).
        Forced on (``workers=1``), every page is waited for."""
        self.target = target
        self.mode = mode
        self._stop = False
        self._failure: Exception | None = None
        self._contexts: dict[str | None, Any] = {}
        self._listed: dict[str, Any] | None = None
        """Every thread the Store holds, by id: its mark (None: none); None: not listed."""
        self.total: int | None = None
        """The source's threads, when it can say before the run."""
        self.read = 0
        """Threads read from the source so far (ahead of those done)."""
        self.read_all = False
        """The source has no more."""

    def stop(self) -> None:
        """Finish the thread under way, start no other."""
        self._stop = True

    # -- the run

    async def run(self, on_thread: Callable[[ThreadResult], None]) -> Summary:
        """Every thread of the source, newest first. The source's next page is read
        meanwhile (a mirror's on a worker thread; the hosted API's requests while the
        Store works), :data:`AHEAD` pages at most."""
        summary = Summary()
        started = time.perf_counter()
        count = getattr(self.source, "count", None)
        if count is not None:
            self.total = await count()
        if self.mode != "verify" and self.total is not None:
            self._listed = await self._list_store(2 * self.total + LISTING_SLACK)
        queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=AHEAD)
        producer = asyncio.create_task(self._produce(queue))
        try:
            while not summary.stopped and (batch := await queue.get()) is not None:
                prepared_page, pending = batch
                conversions = await self._conversions(pending, summary)
                for n, prepared in enumerate(prepared_page):
                    if self._stop:
                        summary.stopped = True
                        break
                    result = await self.one(prepared, conversions.get(n))
                    summary.add(result)
                    on_thread(result)
                    await asyncio.sleep(0)  # let the reader hand over its next page
            if self._failure is not None:
                raise self._failure
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
            if self._pool is not None:  # waits for the page under way, at most
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        summary.elapsed = time.perf_counter() - started
        return summary

    async def _produce(self, queue: asyncio.Queue[Batch | None]) -> None:
        try:
            async for page in self.source.pages():
                left = None if self.total is None else self.total - self.read
                self.read += len(page)
                prepared = prepare_page(page)
                await queue.put((prepared, self._submit(prepared, left)))
        except Exception as exc:  # the source failed: the run ends with it, after what was read
            self._failure = exc
        self.read_all = True
        await queue.put(None)

    def _submit(self, page: list[Prepared], left: int | None) -> Pending | None:
        """The page's threads that will be converted sent to the worker (started on the
        first page that has any, when it pays); None: converted here, if at all."""
        todo = [n for n, p in enumerate(page) if self._converts(p)]
        if not todo:
            return None
        if self._pool is None:
            if self._workers == 0 or (
                self._workers is None and (left is None or len(todo) * left / len(page) <= POOL_MIN)
            ):
                return None
            self._pool = start_pool()
        work: list[tuple[bytes, Sequence[bytes], str]] = []
        for n in todo:
            prepared = page[n]
            assert not isinstance(prepared, ThreadResult)
            thread, raws, fp = prepared
            work.append((thread.raw, raws, fp))
        try:
            future = self._pool.submit(convert_page, work)
        except Exception:  # it cannot start (or is gone): converted here from now on
            self._workers = 0
            return None
        if not self._worker_up:
            future.add_done_callback(self._up)
        return todo, future

    def _up(self, future: Future[list[bytes]]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._worker_up = True

    def _converts(self, prepared: Prepared) -> bool:
        """The test :meth:`one` makes before converting, as far as it can be made ahead:
        a write converts a thread the Store's listing does not show marked with this
        fingerprint (no listing: each is asked as it comes, converted here)."""
        if isinstance(prepared, ThreadResult):
            return False
        if self.mode != "write":
            return True
        return self._listed is not None and self._listed.get(prepared[0].id) != prepared[2]

    async def _conversions(self, pending: Pending | None, summary: Summary) -> dict[int, bytes]:
        if pending is None:
            return {}
        todo, future = pending
        if not self._worker_up and not future.done():
            return {}  # the worker is still starting (~1 s): this page is converted here
        try:
            done = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            raise WorkerDied(
                f"the conversion worker process ended unexpectedly (killed, or out of "
                f"memory?): stopped after {summary.threads} threads, each written whole; "
                f"a run again resumes"
            ) from None
        except Exception:  # not pickled, say: this page converted here, as without a worker
            return {}
        return dict(zip(todo, done, strict=True))

    async def _list_store(self, most: int) -> dict[str, Any] | None:
        """Every thread of the Store under the whole-deployment context, by id, with its
        mark; None when the Store cannot list them, or holds more than ``most``."""
        store = self.target.store
        listed: dict[str, Any] = {}
        after: str | None = None
        try:
            context = await self._context(None)
            while True:
                page = await store.load_threads(LISTING_PAGE, after, "desc", context)
                for thread in page.data:
                    listed[thread.id] = thread.metadata.get(MIGRATED)
                if len(listed) > most:
                    return None
                if not page.has_more or not page.after or page.after == after:
                    return listed
                after = page.after
        except Exception:  # not listable (NotImplementedError, say): asked thread by thread
            return None

    async def one(self, prepared: Prepared, conversion: Conversion | bytes = None) -> ThreadResult:
        """One thread, read (or failed already): written, or checked. A write first asks
        the Store whether it holds the thread marked with this source's fingerprint: then
        nothing is converted or written (a second run costs a read a thread).
        ``conversion``: the thread converted already, or why it could not be; bytes: as
        the worker sent it (:func:`~.worker.loads`); None: converted here."""
        if isinstance(prepared, ThreadResult):
            return prepared
        thread, raws, fp = prepared
        result = ThreadResult(thread.id, thread.user, len(raws), "failed")
        try:
            context = await self._context(thread.user)
            stored = None
            unlisted = self._listed is not None and thread.id not in self._listed
            if self.mode != "verify":
                if self._listed is not None and self._listed.get(thread.id) == fp:
                    marked = True
                    if self.mode == "dry-run":  # converted and checked all the same: the
                        # write it would make is judged against what the Store holds
                        stored = await self._load_thread(thread.id, context)
                else:
                    stored = None if unlisted else await self._load_thread(thread.id, context)
                    marked = stored is not None and stored.metadata.get(MIGRATED) == fp
                if marked and self.mode == "write":  # a dry run converts it all the same
                    result.outcome = "unchanged"
                    return result
            if isinstance(conversion, bytes):
                conversion = loads(conversion, thread.raw, raws)
            if conversion is None:
                try:
                    conversion = convert(thread.raw, raws, hashed=fp)
                except Exception as exc:  # the mapping's own failure, not the Store's
                    conversion = why(exc)
            if isinstance(conversion, str):
                result.reason = f"converting: {conversion}"
                return result
            c = conversion
            result.notes = c.notes
            if c.user != thread.user:  # the record and the list disagree: the record wins
                result.user = c.user
                context = await self._context(c.user)
                stored = (
                    None if self.mode == "verify" else await self._load_thread(c.thread.id, context)
                )
            if self.mode == "verify":
                await self._verify(c, context, result)
            else:
                try:
                    await self._write(c, context, stored, result)
                except Exception:
                    if not unlisted or c.user != thread.user:
                        raise
                    # written as new as the Store's listing did not have it: is it there?
                    stored = await self._load_thread(c.thread.id, context)
                    if stored is None:
                        raise
                    await self._write(c, context, stored, result)
        except StoreCallFailed as exc:  # the operator's Store raised: reported, tried next run
            result.outcome = "failed"
            result.reason = f"the Store raised {why(exc.cause)} in {exc.call}"
        except Exception as exc:  # the Store raised where no call is named (a context)
            result.outcome = "failed"
            result.reason = f"the Store raised {why(exc)}"
        return result

    async def _context(self, user: str | None) -> Any:
        if user not in self._contexts:
            self._contexts[user] = await _calling(
                f"context_for({user!r})", self.target.context(user)
            )
        return self._contexts[user]

    async def _load_thread(self, thread_id: str, context: Any) -> Any | None:
        try:
            return await self.target.store.load_thread(thread_id, context)
        except Exception as exc:
            if _not_found(exc):
                return None
            raise StoreCallFailed(f"load_thread of thread {thread_id}", exc) from exc

    async def _stored_items(self, thread_id: str, context: Any) -> list[Any]:
        store = self.target.store
        items: list[Any] = []
        after: str | None = None
        while True:
            page = await _calling(
                f"load_thread_items of thread {thread_id}",
                store.load_thread_items(thread_id, after, PAGE, "asc", context),
            )
            items.extend(page.data)
            if not page.has_more or not page.after or page.after == after:
                return items
            after = page.after

    async def _write(
        self, c: Converted, context: Any, stored: Any | None, result: ThreadResult
    ) -> None:
        store = self.target.store
        thread = c.thread
        if stored is not None and stored.metadata.get(MIGRATED) == c.fingerprint:
            result.outcome = "unchanged"
            return
        result.outcome = "new" if stored is None else "updated"
        if stored is not None:
            # what the Store's own code keeps in metadata stays (ours is written over)
            kept = {k: v for k, v in stored.metadata.items() if k not in OURS}
            thread = thread.model_copy(update={"metadata": {**kept, **thread.metadata}})
        if self.mode == "dry-run":
            return
        # without the mark
        await _calling(f"save_thread of thread {thread.id}", store.save_thread(thread, context))
        result.written += 1
        if stored is None:
            # the loop the floor is measured by: the call named only when it fails (not an
            # f-string and a coroutine more an item, ~1.5 us of 200,000)
            add, thread_id = store.add_thread_item, thread.id
            for item in c.items:
                try:
                    await add(thread_id, item, context)
                except Exception as exc:
                    raise StoreCallFailed(f"add_thread_item of {_item_named(item)}", exc) from exc
                result.written += 1
        else:
            have = {i.id: i for i in await self._stored_items(thread.id, context)}
            for item in c.items:
                old = have.pop(item.id, None)
                if old is None or _dump(old) != _dump(item):
                    await _calling(
                        f"save_item of {_item_named(item)}",
                        store.save_item(thread.id, item, context),
                    )
                    result.written += 1
            result.kept = len(have)
        marked = {**thread.metadata, MIGRATED: c.fingerprint}
        await _calling(
            f"save_thread of thread {thread.id} (marking it migrated)",
            store.save_thread(thread.model_copy(update={"metadata": marked}), context),
        )
        result.written += 1

    async def _verify(self, c: Converted, context: Any, result: ThreadResult) -> None:
        stored = await self._load_thread(c.thread.id, context)
        if stored is None:
            who = "the whole deployment" if c.user is None else f"user {c.user!r}"
            result.outcome = "differs"
            result.reason = f"not in the Store (under the context of {who})"
            return
        problems: list[str] = []
        mark = stored.metadata.get(MIGRATED)
        if mark is None:
            problems.append("not marked as migrated: a run stopped before it finished this thread")
        elif mark != c.fingerprint:
            problems.append(
                "marked as migrated from other source records: the source changed since "
                "(or chatkit-tui's mapping did); a run updates it"
            )
        for name in ("title", "created_at", "status", "allowed_image_domains"):
            if _dump_field(stored, name) != _dump_field(c.thread, name):
                problems.append(f"its {name} differs")
        if stored.metadata.get(HOSTED_USER) != c.user:
            problems.append("its metadata's hosted_user differs")
        items = await self._stored_items(c.thread.id, context)
        want = {i.id: i for i in c.items}
        have = {i.id: i for i in items}
        missing = [i for i in want if i not in have]
        extra = [i for i in have if i not in want]
        changed = [i for i in want if i in have and _dump(have[i]) != _dump(want[i])]
        if missing:
            problems.append(f"{len(missing)} items missing (first {missing[0]})")
        if changed:
            problems.append(f"{len(changed)} items differ (first {changed[0]})")
        if extra:
            problems.append(f"{len(extra)} items the source does not have (first {extra[0]})")
        if not (missing or extra) and [i.id for i in items] != list(want):
            problems.append("its items are in another order")
        problems.extend(unaccounted(c, stored, have))
        result.kept = len(extra)
        result.outcome = "differs" if problems else "verified"
        result.reason = "; ".join(problems) or None


Prepared = tuple[SourceThread, Sequence[bytes], str] | ThreadResult
"""A thread read, its items' raw JSON and its fingerprint; or why it could not be read."""


Pending = tuple[list[int], Future[list[bytes]]]
"""The indexes of a page's threads sent to the worker, and their conversions to come."""
Batch = tuple[list[Prepared], Pending | None]


def prepare_page(page: Sequence[tuple[SourceThread, Sequence[bytes] | None]]) -> list[Prepared]:
    out: list[Prepared] = []
    for thread, raws in page:
        if thread.error is not None or raws is None:
            out.append(ThreadResult(thread.id, thread.user, 0, "failed", thread.error))
        else:
            out.append((thread, raws, fingerprint(thread.raw, raws)))
    return out


def _dump_field(model: Any, name: str) -> Any:
    value = getattr(model, name, None)
    if value is None:
        return None
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    return value.isoformat() if hasattr(value, "isoformat") else value
