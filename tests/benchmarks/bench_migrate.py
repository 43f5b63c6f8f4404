"""``migrate`` of a mirror into a real Store, against that Store's own write floor.

Run: ``python tests/benchmarks/bench_migrate.py --mirror /tmp/migrate-bench/mirror.sqlite3
[--store sqlite|postgres|both] [--threads N] [--workers 0|1|both]``. ``--store postgres``
starts a throwaway PostgreSQL cluster (tests/fixtures/postgres.py). A mirror that is not
there is built first, once (10,000 threads x 20 items, ~2 min): the origin written as
``bench_mirror`` writes it (user and assistant messages, seeded), served by ``chatkit-tui
serve`` in a process of its own, and mirrored by :class:`~chatkit_tui.core.mirror.MirrorSync`
(what ``chatkit-tui mirror`` runs).

For each Store, measured in one process, each on a fresh database:

- **floor**: the same chatkit-python models the migration writes (converted beforehand,
  not timed), saved by a bare loop of ``save_thread`` + ``add_thread_item`` under each
  thread's user context: the Store's own cost of holding them;
- **first run**: :class:`~chatkit_tui.core.migrate.run.Migration` over the mirror read in
  process (what ``chatkit-tui migrate --from-mirror`` runs), every thread new; goal
  ``first / floor <= 1.2``; ``--workers both`` (the default) runs it converting in a
  worker process (as a real run does, ``workers=None``: a few hundred threads or more) and
  in process (``workers=0``), alternated, against the same floor;
- **bound** (``--bound``): the design's own floor, the worker's results all there: each
  thread's models built from the bytes the worker sends, then a run's writes (the mark's
  second ``save_thread`` too), no reading and no worker beside it;
- **second run** over the migrated Store: no writes; goal ``second / first < 0.10``.

Where the time goes: the Store's methods are timed (a wrapper adds each call's wall time
to its method's total); reading the mirror and converting are measured on their own, in
a pass that writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
warnings.simplefilter("ignore", DeprecationWarning)

from chatkit_tui.core.migrate.mapping import Converted, convert  # noqa: E402
from chatkit_tui.core.migrate.run import Migration, Summary  # noqa: E402
from chatkit_tui.core.migrate.source import MirrorSource  # noqa: E402
from chatkit_tui.core.mirror import Mirror  # noqa: E402
from tests.fixtures.stores import Ctx  # noqa: E402

WORKERS = {1: "converting in a worker process", 0: "converting in process"}

METHODS = (
    "load_threads",
    "load_thread",
    "save_thread",
    "add_thread_item",
    "save_item",
    "load_thread_items",
)


class Timed:
    """The Store, each of :data:`METHODS` timed (wall time and calls, by method)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        for name in METHODS:
            setattr(self, name, self._timed(name, getattr(store, name)))

    def _timed(self, name: str, method: Any) -> Any:
        async def call(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return call

    def line(self) -> str:
        return ", ".join(
            f"{n} {self.calls[n]:,}x {self.seconds[n]:.2f} s" for n in METHODS if self.calls[n]
        )


class Target:
    def __init__(self, store: Any) -> None:
        self.store = store

    async def context(self, user: str | None) -> Ctx:
        return Ctx(user)


@contextlib.contextmanager
def sqlite_stores() -> Iterator[Any]:
    from tests.fixtures.stores.sqlite_store import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="bench-migrate-") as tmp:
        n = 0

        def fresh() -> Any:
            nonlocal n
            n += 1
            return SQLiteStore(os.path.join(tmp, f"store{n}.sqlite3"))

        yield fresh


@contextlib.contextmanager
def postgres_stores() -> Iterator[Any]:
    from tests.fixtures.postgres import Cluster
    from tests.fixtures.stores.postgres_store import PostgresStore

    with Cluster() as cluster:
        yield lambda: PostgresStore(cluster.create_database())


async def read_and_convert(mirror: Path, limit: int | None) -> tuple[list[Converted], float, float]:
    """Every thread of the mirror converted; the seconds spent reading and converting."""
    read = conv = 0.0
    out: list[Converted] = []
    with Mirror.open(mirror, read_only=True) as m:
        started = time.perf_counter()
        async for page in MirrorSource(m).pages():
            t = time.perf_counter()
            read += t - started
            out.extend(convert(thread.raw, raws) for thread, raws in page if raws is not None)
            started = time.perf_counter()
            conv += started - t
            if limit is not None and len(out) >= limit:
                break
    return out[:limit], read, conv


async def worker_blobs(mirror: Path, limit: int | None) -> list[tuple[bytes, bytes, Any]]:
    """Every thread as the worker process sends it (``convert_page``, run here, not
    timed), with its source records: what the writing process gets."""
    from chatkit_tui.core.migrate.run import prepare_page
    from chatkit_tui.core.migrate.worker import convert_page

    out: list[tuple[bytes, bytes, Any]] = []
    with Mirror.open(mirror, read_only=True) as m:
        async for page in MirrorSource(m).pages():
            work = [p for p in prepare_page(page) if isinstance(p, tuple)]
            sent = convert_page([(t.raw, raws, fp) for t, raws, fp in work])
            out.extend((blob, t.raw, raws) for blob, (t, raws, _) in zip(sent, work, strict=True))
            if limit is not None and len(out) >= limit:
                break
    return out[:limit]


async def bound(blobs: list[tuple[bytes, bytes, Any]], store: Timed) -> float:
    """What the writing process cannot do without, the worker's results all there: each
    thread's models built from the worker's bytes (``loads``), then the writes of a run,
    the mark's second ``save_thread`` included. The design's own floor: no reading, no
    worker beside it, no pipeline."""
    from chatkit_tui.core.migrate.mapping import MIGRATED
    from chatkit_tui.core.migrate.worker import loads

    started = time.perf_counter()
    for blob, raw, raws in blobs:
        c = loads(blob, raw, raws)
        assert not isinstance(c, str | None)
        context = Ctx(c.user)
        await store.save_thread(c.thread, context)
        for item in c.items:
            await store.add_thread_item(c.thread.id, item, context)
        marked = {**c.thread.metadata, MIGRATED: c.fingerprint}
        await store.save_thread(c.thread.model_copy(update={"metadata": marked}), context)
    return time.perf_counter() - started


async def floor(converted: list[Converted], store: Timed) -> float:
    started = time.perf_counter()
    for c in converted:
        context = Ctx(c.user)
        await store.save_thread(c.thread, context)
        for item in c.items:
            await store.add_thread_item(c.thread.id, item, context)
    return time.perf_counter() - started


class _Limited:
    """The mirror's threads, cut at ``limit``."""

    def __init__(self, source: MirrorSource, limit: int | None) -> None:
        self._source = source
        self._limit = limit

    async def count(self) -> int:
        total = await self._source.count()
        return total if self._limit is None else min(total, self._limit)

    async def pages(self) -> Any:
        left = self._limit
        async for page in self._source.pages():
            if left is None:
                yield page
                continue
            yield page[:left]
            left -= len(page[:left])
            if left <= 0:
                return


async def migrate(
    mirror: Path, store: Timed, limit: int | None, workers: int | None = None
) -> tuple[Summary, float]:
    with Mirror.open(mirror, read_only=True) as m:
        started = time.perf_counter()
        source = _Limited(MirrorSource(m), limit)
        # the worker as a real run has it (started when it pays; pages converted here
        # while it starts): workers=None
        migration = Migration(source, Target(store), workers=None if workers == 1 else workers)
        summary = await migration.run(lambda r: None)
        return summary, time.perf_counter() - started


def build_mirror(path: Path, threads: int, items: int) -> None:
    """A mirror of ``threads`` x ``items`` at ``path``, as ``chatkit-tui mirror`` makes one."""
    import random

    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.core.mirror import MirrorSync, Origin
    from tests.benchmarks.bench_mirror import make_origin
    from tests.benchmarks.local_server import start_server

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")  # in place only once whole
    for stale in path.parent.glob(building.name + "*"):
        stale.unlink()
    with tempfile.TemporaryDirectory(prefix="bench-migrate-origin-") as tmp:
        origin = Path(tmp) / "origin.sqlite3"
        make_origin(origin, threads, items, random.Random(1))
        process, base_url = start_server("--db", str(origin))
        try:

            async def run() -> None:
                async with AsyncChatKit(api_key="bench", base_url=base_url) as client:
                    with Mirror.open(str(building), create=True, origin=Origin(base_url)) as m:
                        summary = await MirrorSync(client, m, concurrency=8).run()
                        assert summary.complete and summary.threads == threads, summary

            asyncio.run(run())
        finally:
            process.terminate()
            process.wait(10)
    os.replace(building, path)
    print(f"built {path} ({threads:,} x {items}) in {time.perf_counter() - started:.0f} s")


def bench(
    kind: str,
    stores: Any,
    mirror: Path,
    limit: int | None,
    repeat: int,
    workers: list[int],
    with_bound: bool = False,
) -> None:
    asyncio.run(read_and_convert(mirror, 50))  # warm: chatkit's models, the mirror's pages
    converted, read, conv = asyncio.run(read_and_convert(mirror, limit))
    threads = len(converted)
    items = sum(len(c.items) for c in converted)
    print(f"\n{kind}: {threads:,} threads, {items:,} items")
    print(f"  reading the mirror {read:.2f} s, converting + validating {conv:.2f} s (no writes)")
    blobs = asyncio.run(worker_blobs(mirror, limit)) if with_bound else []
    with stores() as fresh:
        floors: list[float] = []
        firsts: dict[int, list[float]] = {w: [] for w in workers}
        target: Timed | None = None
        for n in range(repeat):  # alternated, each on a fresh database: the machine is shared
            os.sync()  # the last database's writeback not in this one's time
            bare = Timed(fresh())
            floors.append(asyncio.run(floor(converted, bare)))
            print(
                f"  floor #{n + 1} (bare save_thread/add_thread_item): {floors[-1]:.2f} s"
                f"  [{bare.line()}]"
            )
            if with_bound:
                os.sync()
                limit_store = Timed(fresh())
                bounded = asyncio.run(bound(blobs, limit_store))
                print(
                    f"  bound #{n + 1} (the worker's bytes all there: loads + a run's writes):"
                    f" {bounded:.2f} s = {bounded / floors[-1]:.2f}x this floor"
                    f"  [{limit_store.line()}]"
                )
            for w in workers:
                os.sync()
                target = Timed(fresh())
                first, first_s = asyncio.run(migrate(mirror, target, limit, w))
                assert first.count("new") == threads, first.counts
                firsts[w].append(first_s)
                stored = sum(target.seconds.values())
                print(
                    f"  first run #{n + 1}, {WORKERS[w]}: {first_s:.2f} s = "
                    f"{first_s / floors[-1]:.2f}x this floor, of which the Store {stored:.2f} s, "
                    f"the rest {first_s - stored:.2f} s  [{target.line()}]"
                )
        best_floor = min(floors)
        for w in workers:
            best_first = min(firsts[w])
            print(
                f"  first run ({WORKERS[w]}) / floor, best of {repeat} each: {best_first:.2f} / "
                f"{best_floor:.2f} s = {best_first / best_floor:.2f}x (goal <= 1.2); medians "
                f"{sorted(firsts[w])[len(firsts[w]) // 2]:.2f} / "
                f"{sorted(floors)[len(floors) // 2]:.2f} s"
            )
        best_first = min(min(f) for f in firsts.values())
        assert target is not None
        again = Timed(target._store)
        second, second_s = asyncio.run(migrate(mirror, again, limit))
        assert second.count("unchanged") == threads and second.writes == 0, second.counts
        print(
            f"  second run: {second_s:.2f} s = {100 * second_s / best_first:.1f}% of the best "
            f"first run (goal < 10%), {second.writes} writes  [{again.line()}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/tmp/migrate-bench/mirror.sqlite3"))
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--threads", type=int, default=None, help="only the newest N")
    parser.add_argument("--repeat", type=int, default=2, help="floor and first run, alternated")
    parser.add_argument(
        "--workers",
        choices=("0", "1", "both"),
        default="both",
        help="first runs converting in a worker process (1), in process (0), or each",
    )
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also time the design's own floor: the worker's results all there, built and"
        " written as a run writes them",
    )
    args = parser.parse_args()
    workers = [1, 0] if args.workers == "both" else [int(args.workers)]
    if not args.mirror.exists():
        build_mirror(args.mirror, 10_000, 20)
    with Mirror.open(args.mirror, read_only=True) as m:
        print(f"mirror {args.mirror}: {m.count_listed():,} threads")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    if args.store in ("sqlite", "both"):
        bench(
            "SQLite Store",
            sqlite_stores,
            args.mirror,
            args.threads,
            args.repeat,
            workers,
            args.bound,
        )
    if args.store in ("postgres", "both"):
        bench(
            "PostgreSQL Store (the guide's)",
            postgres_stores,
            args.mirror,
            args.threads,
            args.repeat,
            workers,
            args.bound,
        )


if __name__ == "__main__":
    main()
