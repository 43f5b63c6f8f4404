"""The bulk delete runner against the real local server: archives, 404s, 500s, 429s, stop."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.errors import RateLimitError
from chatkit_tui.core.bulk import BulkDelete, BulkProgress, BulkResult, Outcome
from chatkit_tui.server.faults import Faults, FaultSpecError
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.fixtures.server import fail_deletes
from tests.unit.test_import_hygiene import probe_imports

MakeServer = Callable[..., BackgroundServer]


def first_ids(server: BackgroundServer, n: int) -> list[str]:
    page = server.store.list_threads(limit=n, order="desc")
    return [t.id for t in page.data]


def client_for(server: BackgroundServer, max_retries: int = 0) -> AsyncChatKit:
    return AsyncChatKit(api_key="test-key", base_url=server.base_url, max_retries=max_retries)


async def test_archives_each_thread_then_deletes_it(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    ids = first_ids(local_server, 10)
    counts = {i: local_server.store.count_items(i) for i in ids}
    seen: list[BulkResult] = []
    async with client_for(local_server) as client:
        runner = BulkDelete(
            client, ids, archive_dir=tmp_path / "archive", concurrency=4, on_result=seen.append
        )
        summary = await runner.run()
    assert [r.outcome for r in summary.results] == [Outcome.DELETED] * 10
    assert sorted(r.thread_id for r in seen) == sorted(ids)
    assert not any(local_server.store.thread_exists(i) for i in ids)
    for result in summary.results:
        assert result.archive is not None and result.archive.parent == tmp_path / "archive"
        document = json.loads(result.archive.read_text())
        assert document["thread"]["id"] == result.thread_id
        assert len(document["items"]) == counts[result.thread_id]
    assert len(list((tmp_path / "archive").iterdir())) == 10
    assert summary.line() == "deleted 10" and not summary.stopped


async def test_concurrency_is_bounded(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(seed=20, faults=Faults(latency_ms=20))
    peaks: list[int] = []

    def progress(p: BulkProgress) -> None:
        peaks.append(p.in_flight)

    async with client_for(server) as client:
        runner = BulkDelete(
            client,
            first_ids(server, 12),
            archive_dir=tmp_path / "archive",
            concurrency=3,
            on_progress=progress,
        )
        summary = await runner.run()
    assert len(summary.deleted) == 12
    assert max(peaks) == 3


async def test_404_is_already_gone_and_500_is_a_failure_with_its_reason(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    ids = first_ids(local_server, 8)
    gone, broken = ids[:2], set(ids[2:4])
    for thread_id in gone:
        store.delete_thread(thread_id)  # someone else deleted these
    fail_deletes(local_server, broken)
    async with client_for(local_server) as client:
        summary = await BulkDelete(client, ids, archive_dir=tmp_path / "archive").run()
    by_id = {r.thread_id: r for r in summary.results}
    assert {i for i, r in by_id.items() if r.outcome is Outcome.GONE} == set(gone)
    assert {i for i, r in by_id.items() if r.outcome is Outcome.FAILED} == broken
    assert len(summary.deleted) == 4
    for thread_id in broken:
        result = by_id[thread_id]
        assert result.reason is not None and "500" in result.reason
        assert "request id req_" in result.reason and "archived" in result.reason
        assert result.archive is not None and result.archive.exists()
        assert store.thread_exists(thread_id)
    assert summary.line() == "deleted 4, already gone 2, failed 2"


async def test_archive_failure_means_that_thread_is_not_deleted(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    ids = first_ids(local_server, 3)
    async with client_for(local_server) as client:
        summary = await BulkDelete(client, ids, archive_dir=not_a_dir).run()
    assert [r.outcome for r in summary.results] == [Outcome.FAILED] * 3
    assert all("could not be archived" in (r.reason or "") for r in summary.results)
    assert all(local_server.store.thread_exists(i) for i in ids)


async def test_persistent_429_backs_off_halves_concurrency_and_finishes(
    make_server: MakeServer, tmp_path: Path
) -> None:
    # 15 requests per 0.4 s; 12 threads need 36 (retrieve, items, delete): 429s on the way
    server = make_server(seed=20, faults=Faults(rate_limit=15, rate_window_s=0.4))
    ids = first_ids(server, 12)
    async with client_for(server, max_retries=0) as client:
        summary = await BulkDelete(
            client, ids, archive_dir=tmp_path / "archive", concurrency=8
        ).run()
    assert len(summary.deleted) == 12, summary.results
    assert summary.rate_limited >= 1
    assert summary.lowest_concurrency < 8
    assert summary.elapsed >= 0.4  # it waited for the window instead of hammering
    assert (
        len(list((tmp_path / "archive").iterdir())) == 12
    )  # a thread retried after a 429 is archived once
    assert not any(server.store.thread_exists(i) for i in ids)


async def test_stop_lets_requests_in_flight_finish_and_starts_nothing_new(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(seed=30, faults=Faults(latency_ms=30))
    ids = first_ids(server, 20)
    runner: BulkDelete | None = None

    def on_result(result: BulkResult) -> None:
        assert runner is not None
        if not runner.stopping:
            runner.stop()

    async with client_for(server) as client:
        runner = BulkDelete(
            client, ids, archive_dir=tmp_path / "archive", concurrency=2, on_result=on_result
        )
        summary = await asyncio.wait_for(runner.run(), 10)
    done = [r.thread_id for r in summary.deleted]
    skipped = [r.thread_id for r in summary.not_attempted]
    assert summary.stopped and 1 <= len(done) <= 2
    assert len(done) + len(skipped) == 20
    assert not any(server.store.thread_exists(i) for i in done)
    assert all(server.store.thread_exists(i) for i in skipped)
    # nothing half done: exactly the deleted threads were archived
    assert len(list((tmp_path / "archive").iterdir())) == len(done)


async def test_a_429_carries_the_servers_retry_after(make_server: MakeServer) -> None:
    server = make_server(faults=Faults(rate_limit=1, rate_window_s=30))
    async with client_for(server) as client:
        await client.threads.list(limit=1)
        with pytest.raises(RateLimitError) as info:
            await client.threads.list(limit=1)
    assert info.value.retry_after is not None and 25 < info.value.retry_after <= 30
    assert "1/30s" in str(info.value)


def test_rate_window_must_be_positive() -> None:
    with pytest.raises(FaultSpecError, match="rate window"):
        Faults(rate_limit=5, rate_window_s=0)


def test_the_runner_never_imports_textual() -> None:
    """bulk.py (with archive and export) runs in the benchmark and scripts without Textual."""
    names = ["chatkit_tui.core.bulk", "chatkit_tui.core.archive", "chatkit_tui.core.export"]
    report = probe_imports(names)
    assert report["imported"] == names and report["textual"] == []


async def test_a_stop_after_the_last_thread_started_is_not_a_stop(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    """Escape pressed once every thread is under way leaves nothing undone: not 'stopped'."""
    ids = [t.id for t in local_server.store.list_threads(limit=3, order="desc").data]
    async with AsyncChatKit(api_key="k", base_url=local_server.base_url) as client:

        def stop_once_all_started(progress: BulkProgress) -> None:
            if progress.in_flight == len(ids) and not bulk.stopping:
                bulk.stop()

        bulk = BulkDelete(
            client, ids, archive_dir=tmp_path, concurrency=8, on_progress=stop_once_all_started
        )
        summary = await bulk.run()
    assert bulk.stopping  # stop() was called
    assert len(summary.deleted) == 3 and not summary.not_attempted
    assert not summary.stopped


async def test_a_429_that_outlasts_retries_waits_what_retry_after_ms_says(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    """The runner's backoff is the server's wait (150 ms here), not its 1 s default."""
    thread = {
        "id": "cthr_a",
        "object": "chatkit.thread",
        "created_at": 1,
        "user": "u",
        "title": None,
        "status": {"type": "active"},
    }
    items = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}
    deletes: list[float] = []

    def handler(request: Recorded) -> Reply:
        if request.method == "DELETE":
            deletes.append(time.monotonic())
            if len(deletes) == 1:
                return Reply(
                    429, {"error": {"message": "slow down"}}, headers={"retry-after-ms": "150"}
                )
            return Reply(200, {"id": "cthr_a", "object": "chatkit.thread.deleted", "deleted": True})
        if request.path.endswith("/items"):
            return Reply(200, items)
        return Reply(200, thread)

    scripted_server.handler = handler
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url, max_retries=0) as c:
        summary = await BulkDelete(c, ["cthr_a"], archive_dir=tmp_path).run()
    assert [r.outcome for r in summary.results] == [Outcome.DELETED]
    assert summary.rate_limited == 1 and len(deletes) == 2
    waited = deletes[1] - deletes[0]
    assert 0.14 <= waited < 0.6, f"the second DELETE came {waited:.3f} s after the 429"


async def test_threads_given_as_listed_are_archived_without_being_read_again(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    """The purge's path: the thread as listed goes into the archive (byte for byte what the
    list sent, fields no schema names included); only its items are asked for."""
    listed_json = (
        b'{"id":"cthr_a","object":"chatkit.thread","created_at":1,"user":"u",'
        b'"title":"as listed","status":{"type":"active"},"metadata":{"kept":true,"n":1.10}}'
    )
    page = b'{"object":"list","data":[' + listed_json + b'],"has_more":false}'
    items = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}

    def handler(request: Recorded) -> Reply:
        if request.method == "DELETE":
            return Reply(200, {"id": "cthr_a", "object": "chatkit.thread.deleted", "deleted": True})
        if request.path.endswith("/items"):
            return Reply(200, items)
        if request.path.endswith("/chatkit/threads"):
            return Reply(200, page)
        return Reply(500, {"error": {"message": "a listed thread must not be read again"}})

    scripted_server.handler = handler
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url, max_retries=0) as c:
        [thread] = (await c.threads.list()).data
        summary = await BulkDelete(
            c, ["cthr_a"], archive_dir=tmp_path, listed={"cthr_a": thread}
        ).run()
    [result] = summary.results
    assert result.outcome is Outcome.DELETED and result.archive is not None
    document = json.loads(result.archive.read_text())
    assert document["thread_from"] == "list" and document["thread"]["title"] == "as listed"
    if "UnreadableThread" in dir(importlib.import_module("chatkit_tui.client.models")):
        assert document["thread"]["metadata"] == {"kept": True, "n": 1.1}  # kept by the client
        assert '"n": 1.10' in result.archive.read_text()  # each token as the server sent it
    paths = [(r.method, r.path) for r in scripted_server.requests]
    assert ("GET", "/v1/chatkit/threads/cthr_a") not in paths


async def test_a_thread_no_longer_wanted_is_neither_archived_nor_deleted(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    ids = first_ids(local_server, 4)
    looked_at: list[str] = []

    def still_wanted(thread: object) -> str | None:
        thread_id = getattr(thread, "id", "")
        looked_at.append(thread_id)
        return "it changed" if thread_id == ids[0] else None

    async with client_for(local_server) as client:
        summary = await BulkDelete(
            client, ids, archive_dir=tmp_path / "archive", still_wanted=still_wanted
        ).run()
    assert sorted(looked_at) == sorted(ids)  # each looked at once, as freshly read
    [skipped] = summary.skipped
    assert (skipped.thread_id, skipped.archive, skipped.reason) == (ids[0], None, "it changed")
    assert local_server.store.thread_exists(ids[0])
    assert not any(local_server.store.thread_exists(i) for i in ids[1:])
    assert len(list((tmp_path / "archive").iterdir())) == 3
    assert summary.line() == "deleted 3, skipped 1"
