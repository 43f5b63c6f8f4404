"""Mirror runs against the local server over real HTTP: a faithful copy, nothing fetched or
written twice, what changed upstream picked up, threads deleted upstream kept as gone,
faults (latency, 500s, rate limits, a thread that keeps failing), records that do not
decode kept raw, and interruption."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chatkit_tui.client import AsyncChatKit, RetryPolicy
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin, SyncSummary
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.store import Store
from tests.fixtures.scripted import Reply, ScriptedServer

FAST = RetryPolicy(initial_delay=0.01, max_delay=0.02)
Snapshot = dict[str, tuple[bytes, list[bytes]]]


def origin_snapshot(store: Store, user: str | None = None) -> Snapshot:
    """Every thread (as the list sends it) and its items, straight from the server's store."""
    out: Snapshot = {}
    after: str | None = None
    while True:
        page = store.thread_page(limit=100, after=after, user=user)
        for body in page.data:
            thread_id = json.loads(body)["id"]
            items: list[bytes] = []
            item_after: str | None = None
            while True:
                item_page = store.list_items(thread_id, limit=100, order="asc", after=item_after)
                assert item_page is not None
                items.extend(item_page.data)
                if not item_page.has_more:
                    break
                item_after = item_page.last_id
            out[thread_id] = (body, items)
        if not page.has_more:
            return out
        after = page.last_id


def mirror_snapshot(mirror: Mirror, *, gone: bool | None = False) -> Snapshot:
    return {
        t.id: (t.raw, [i.raw for i in mirror.all_items(t.id)])
        for t in mirror.iter_threads(gone=gone)
    }


class Counter:
    """Requests as they leave the client (retries included), by path kind; the statuses of
    the responses."""

    def __init__(self) -> None:
        self.lists = 0
        self.items = 0
        self.statuses: list[int] = []

    async def request(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/items"):
            self.items += 1
        else:
            self.lists += 1

    async def response(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)


@pytest.fixture
def open_mirror(mirror_target: str) -> Iterator[Callable[[str], Mirror]]:
    opened: list[Mirror] = []

    def make(origin: str) -> Mirror:
        mirror = Mirror.open(mirror_target, create=True, origin=Origin(origin))
        opened.append(mirror)
        return mirror

    yield make
    for mirror in opened:
        mirror.close()


def run_sync(
    base_url: str, mirror: Mirror, counter: Counter | None = None, **kwargs: Any
) -> SyncSummary:
    async def go() -> SyncSummary:
        hooks: dict[str, list[Any]] = {}
        if counter is not None:
            hooks = {"request": [counter.request], "response": [counter.response]}
        async with (
            httpx.AsyncClient(event_hooks=hooks) as http,
            AsyncChatKit(api_key="k", base_url=base_url, http_client=http, retry_policy=FAST) as c,
        ):
            return await MirrorSync(c, mirror, **kwargs).run()

    return asyncio.run(go())


# --- a faithful copy, and a second run that does nothing it need not ----------------------------


def test_a_run_copies_every_thread_and_item_byte_for_byte(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=60)  # thread 2 has 2,400 items: many item pages
    mirror = open_mirror(server.base_url)
    summary = run_sync(server.base_url, mirror)
    expected = origin_snapshot(server.store)
    assert summary.complete and summary.new == 60 == summary.threads
    assert summary.items == sum(len(items) for _, items in expected.values())
    assert mirror_snapshot(mirror) == expected
    info = mirror.info()
    assert info.threads == 60 and info.items == summary.items and info.gone == 0
    assert info.origin.base_url == server.base_url
    assert info.last_run is not None and info.last_run.new == 60 and info.runs == 1


def test_a_second_run_sends_list_pages_and_one_items_request_per_thread_and_writes_nothing(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=250)
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    counter = Counter()
    before = mirror.total_changes()
    summary = run_sync(server.base_url, mirror, counter)
    assert summary.complete and summary.unchanged == 250
    assert (counter.lists, counter.items) == (3, 250)  # 250 threads: 3 pages of 100
    assert summary.requests == 253
    assert mirror.total_changes() - before == 1  # the run's own record, nothing else


# --- what changed upstream ------------------------------------------------------------------


def test_new_threads_new_items_changes_and_deletions_are_picked_up(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=30)
    store = server.store
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    ids = list(origin_snapshot(store))
    grown, retitled, deleted = ids[3], ids[4], ids[5]
    _, grown_items = origin_snapshot(store)[grown]
    last = json.loads(grown_items[-1]) if grown_items else {"created_at": 1_700_000_000}
    extra = [
        dict(
            id=f"cthi_extra_{n}",
            object="chatkit.thread_item",
            created_at=last["created_at"] + 10 + n,
            thread_id=grown,
            type="chatkit.user_message",
            content=[{"type": "input_text", "text": f"one more {n}"}],
            attachments=[],
        )
        for n in range(3)
    ]
    store.insert_item_rows(
        [
            (i["id"], grown, i["created_at"], "UserMessageItem", json.dumps(i).encode())
            for i in extra
        ]
    )
    with store._lock:
        store._db.execute(
            "UPDATE threads SET title = 'A new title', status = 'closed' WHERE id = ?", (retitled,)
        )
    deleted_before = mirror_snapshot(mirror)[deleted]
    assert store.delete_thread(deleted)
    store.insert_thread_rows([("cthr_brand_new", 1_900_000_000, "u_new", "Fresh", "active", None)])

    summary = run_sync(server.base_url, mirror)
    assert (summary.new, summary.changed, summary.grown, summary.gone) == (1, 1, 1, 1)
    assert summary.items == 3 and summary.unchanged == 27
    assert mirror_snapshot(mirror) == origin_snapshot(store)  # gone threads are not listed
    kept = mirror.thread(deleted)
    assert kept is not None and kept.gone  # deleted upstream: marked, content kept
    assert (kept.raw, [i.raw for i in mirror.all_items(deleted)]) == deleted_before
    retitled_now = mirror.thread(retitled)
    assert retitled_now is not None and retitled_now.title == "A new title"
    assert retitled_now.status == "closed"
    assert [h.thread_id for h in mirror.search("new title")] == [retitled]
    assert [i.seq for i in mirror.all_items(grown)][-3:] == [
        len(grown_items),
        len(grown_items) + 1,
        len(grown_items) + 2,
    ]

    pruned = run_sync(server.base_url, mirror, prune=True)
    assert pruned.pruned == 1 and pruned.gone == 0
    assert mirror.thread(deleted) is None and mirror.all_items(deleted) == []


def test_a_thread_deleted_upstream_comes_back_when_it_is_listed_again(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=10)
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    victim = next(iter(origin_snapshot(server.store)))
    mirror.mark_gone([victim])
    summary = run_sync(server.base_url, mirror)
    thread = mirror.thread(victim)
    assert thread is not None and not thread.gone and summary.gone == 0


def test_with_user_only_that_users_threads_are_mirrored_and_can_be_gone(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=40)
    store = server.store
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    everyone = origin_snapshot(store)
    users = {json.loads(body)["user"] for body, _ in everyone.values()}
    alice, bob = sorted(users)[:2]
    of_bob = next(i for i, (b, _) in everyone.items() if json.loads(b)["user"] == bob)
    of_alice = [i for i, (b, _) in everyone.items() if json.loads(b)["user"] == alice]
    store.delete_thread(of_bob)
    store.delete_thread(of_alice[0])
    summary = run_sync(server.base_url, mirror, user=alice)
    assert summary.threads == len(of_alice) - 1
    assert summary.gone == 1
    bob_thread = mirror.thread(of_bob)
    assert bob_thread is not None and not bob_thread.gone  # outside the run's scope
    alice_thread = mirror.thread(of_alice[0])
    assert alice_thread is not None and alice_thread.gone


def test_an_item_edited_in_place_is_found_by_a_full_run(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=8)
    store = server.store
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    thread_id, (_, items) = next((k, v) for k, v in origin_snapshot(store).items() if v[1])
    first = json.loads(items[0])
    first["content"] = [{"type": "input_text", "text": "edited later"}]
    with store._lock:
        store._db.execute(
            "UPDATE items SET body = ? WHERE id = ?", (json.dumps(first).encode(), first["id"])
        )
    assert run_sync(server.base_url, mirror).unchanged == 8  # only what follows is read
    summary = run_sync(server.base_url, mirror, full=True)
    assert (summary.changed, summary.grown) == (1, 0) and summary.items == len(items)
    assert mirror_snapshot(mirror) == origin_snapshot(store)
    assert [h.thread_id for h in mirror.search("edited later")] == [thread_id]


def test_when_the_item_to_go_on_from_is_gone_the_thread_is_read_again(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=8)
    store = server.store
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    thread_id, (_, items) = next((k, v) for k, v in origin_snapshot(store).items() if len(v[1]) > 1)
    with store._lock:  # the last item goes: the mirror's cursor names nothing now
        store._db.execute("DELETE FROM items WHERE id = ?", (json.loads(items[-1])["id"],))
    summary = run_sync(server.base_url, mirror)
    assert summary.complete
    assert mirror_snapshot(mirror) == origin_snapshot(store)
    assert [i.seq for i in mirror.all_items(thread_id)] == list(range(len(items) - 1))


# --- faults -----------------------------------------------------------------------------------


def test_an_origin_with_latency_errors_and_a_rate_limit_is_mirrored_whole(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    faults = Faults(
        latency_ms=5, jitter_ms=5, error_rate=0.15, rate_limit=40, rate_window_s=0.5, rng_seed=3
    )
    server = make_server(seed=45, faults=faults)
    mirror = open_mirror(server.base_url)
    counter = Counter()
    runs = [run_sync(server.base_url, mirror, counter, concurrency=8)]
    while not runs[-1].complete and len(runs) < 6:
        runs.append(run_sync(server.base_url, mirror, counter, concurrency=8))
    assert runs[-1].complete, [(r.failed, r.listing_error) for r in runs]
    assert mirror_snapshot(mirror) == origin_snapshot(server.store)
    assert sum(r.new for r in runs) == 45
    assert {429, 500} <= set(counter.statuses)  # the faults were there


def test_rate_limits_that_outlast_the_client_halve_the_concurrency(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=30, faults=Faults(rate_limit=10, rate_window_s=0.3))

    async def go() -> SyncSummary:
        async with AsyncChatKit(
            api_key="k", base_url=server.base_url, max_retries=0, retry_policy=FAST
        ) as client:
            return await MirrorSync(client, open_mirror(server.base_url), concurrency=8).run()

    summary = asyncio.run(go())
    assert summary.complete and summary.new == 30
    assert summary.rate_limited > 0 and summary.lowest_concurrency < 8


def test_a_thread_that_keeps_failing_is_recorded_reported_and_retried_next_run(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=12)
    store = server.store
    mirror = open_mirror(server.base_url)
    bad = list(origin_snapshot(store))[2]
    real = store.list_items

    def failing(thread_id: str, **kwargs: Any) -> Any:
        if thread_id == bad:
            raise RuntimeError("disk on fire")  # the server answers 500
        return real(thread_id, **kwargs)

    store.list_items = failing  # type: ignore[method-assign]
    first = run_sync(server.base_url, mirror)
    assert [f.thread_id for f in first.failed] == [bad] and not first.complete
    assert "500" in (first.failed[0].error or "")
    assert first.new == 11 and mirror.thread(bad) is None
    [failure] = mirror.failures()
    assert failure.thread_id == bad and failure.runs == 1

    second = run_sync(server.base_url, mirror)
    assert mirror.failures()[0].runs == 2 and not second.complete

    store.list_items = real  # type: ignore[method-assign]
    third = run_sync(server.base_url, mirror)
    assert third.complete and third.new == 1 and mirror.failures() == []
    assert mirror_snapshot(mirror) == origin_snapshot(store)


def test_a_thread_deleted_between_the_list_and_its_items_is_gone_not_failed(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=6)
    store = server.store
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    victim = list(origin_snapshot(store))[1]
    real = store.list_items

    def vanish(thread_id: str, **kwargs: Any) -> Any:
        if thread_id == victim:
            return None  # the server answers 404, as for a thread deleted just now
        return real(thread_id, **kwargs)

    store.list_items = vanish  # type: ignore[method-assign]
    summary = run_sync(server.base_url, mirror)
    assert summary.gone == 1 and not summary.failed
    thread = mirror.thread(victim)
    assert thread is not None and thread.gone


def test_a_bad_key_ends_the_run(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    from chatkit_tui.client.errors import AuthenticationError

    server = make_server(seed=3, api_key="the-right-key")
    with pytest.raises(AuthenticationError):
        run_sync(server.base_url, open_mirror(server.base_url))


# --- records that do not decode ---------------------------------------------------------------


def test_records_that_do_not_decode_are_kept_raw(
    scripted_server: ScriptedServer, open_mirror: Callable[[str], Mirror]
):
    no_id = b'{"object":"chatkit.thread","title":"no id here","created_at":1}'
    odd_thread = b'{"id":"cthr_odd","created_at":"not a time","title":"odd","weird":[1,2]}'
    fine = (
        b'{"id":"cthr_fine","object":"chatkit.thread","created_at":5,"user":"u",'
        b'"status":{"type":"active"},"title":null,"extra":{"kept":true}}'
    )
    unknown = (
        b'{"id":"cthi_u","type":"chatkit.survey","thread_id":"cthr_fine","created_at":6,'
        b'"question":"Rate us"}'
    )
    broken = (
        b'{"id":"cthi_b","type":"chatkit.user_message","thread_id":"cthr_fine",'
        b'"created_at":7,"content":"not a list"}'
    )

    def page(records: list[bytes], last: bytes) -> bytes:
        data = b",".join(records)
        return b'{"object":"list","data":[%s],"last_id":%s,"has_more":false}' % (data, last)

    def handler(request: Any) -> Reply:
        if request.path.endswith("/chatkit/threads"):
            return Reply(body=page([no_id, odd_thread, fine], b'"cthr_fine"'))
        if "cthr_fine" in request.path and "after" not in request.query:
            return Reply(body=page([unknown, broken], b'"cthi_b"'))
        return Reply(body=page([], b"null"))

    scripted_server.handler = handler
    mirror = open_mirror(scripted_server.base_url)
    summary = run_sync(scripted_server.base_url, mirror)
    assert summary.complete and summary.new == 2 and summary.unreadable == 1
    assert mirror.unreadable() == [no_id]
    odd = mirror.thread("cthr_odd")
    assert odd is not None and odd.raw == odd_thread and not odd.readable
    kept = mirror.thread("cthr_fine")
    assert kept is not None and kept.raw == fine and kept.readable
    assert [i.raw for i in mirror.all_items("cthr_fine")] == [unknown, broken]
    assert [i.type for i in mirror.all_items("cthr_fine")] == ["survey", "user_message"]
    assert [h.item_id for h in mirror.search("rate")] == ["cthi_u"]
    again = run_sync(
        scripted_server.base_url, mirror
    )  # nothing new: the raw record is not kept twice
    assert again.unreadable == 0 and again.unchanged == 2


# --- interruption -------------------------------------------------------------------------------


def test_a_cancelled_run_keeps_whole_threads_and_the_next_one_finishes(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=40, faults=Faults(latency_ms=20))
    mirror = open_mirror(server.base_url)

    async def cancelled() -> None:
        async with AsyncChatKit(api_key="k", base_url=server.base_url) as client:
            task = asyncio.ensure_future(MirrorSync(client, mirror, concurrency=4).run())
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(cancelled())
    partial = mirror_snapshot(mirror)
    expected = origin_snapshot(server.store)
    assert 0 < len(partial) < 40
    for thread_id, content in partial.items():  # every thread held is whole
        assert content == expected[thread_id]
    assert mirror.info().last_run is not None and mirror.info().last_run.interrupted  # type: ignore[union-attr]
    summary = run_sync(server.base_url, mirror)
    assert summary.complete and summary.new == 40 - len(partial)
    assert mirror_snapshot(mirror) == expected


# --- the mirror file ------------------------------------------------------------------------------


def test_a_mirror_refuses_another_origin_and_a_file_that_is_no_mirror(tmp_path: Path):
    from chatkit_tui.core.mirror import MirrorError

    path = tmp_path / "m.sqlite3"
    Mirror.open(path, create=True, origin=Origin("http://a/v1")).close()
    with pytest.raises(MirrorError, match="mirror of http://a/v1"):
        Mirror.open(path, origin=Origin("http://b/v1"))
    Mirror.open(path, origin=Origin("http://a/v1/")).close()  # a trailing slash is the same
    with pytest.raises(FileNotFoundError):
        Mirror.open(tmp_path / "none.sqlite3")
    Store(tmp_path / "server.sqlite3").close()
    with pytest.raises(MirrorError, match="not a chatkit-tui mirror"):
        Mirror.open(tmp_path / "server.sqlite3", create=True, origin=Origin("http://a/v1"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_the_default_path_is_one_file_per_endpoint_in_the_data_directory():
    from chatkit_tui.core.mirror import default_mirror_dir, default_mirror_path

    a = default_mirror_path("https://api.openai.com/v1")
    assert a == default_mirror_dir() / "api.openai.com_v1.sqlite3"
    assert default_mirror_path("https://api.openai.com/v1/") == a
    assert default_mirror_path("https://api.openai.com/v1", "proj_1").name == (
        "api.openai.com_v1-proj_1.sqlite3"
    )
    assert default_mirror_path("http://127.0.0.1:8787/v1").name == "127.0.0.1_8787_v1.sqlite3"
    assert "chatkit-tui" in str(default_mirror_dir())


def test_threads_page_newest_first_by_keyset_and_items_in_order(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=45)
    mirror = open_mirror(server.base_url)
    run_sync(server.base_url, mirror)
    first = mirror.threads(limit=20)
    assert len(first.data) == 20 and first.has_more and first.after == first.data[-1].id
    rest = mirror.threads(limit=100, after=first.after)
    listed = [t.created_at for t in first.data + rest.data]
    assert listed == sorted(listed, reverse=True) and len(listed) == 45 and rest.after is None
    oldest = mirror.threads(order="asc", limit=1).data[0]
    assert oldest.created_at == min(listed)
    with pytest.raises(KeyError):
        mirror.threads(after="cthr_nope")
    big = max(mirror.iter_threads(), key=lambda t: t.item_count)
    page = mirror.items(big.id, limit=1000)
    assert [i.seq for i in page.data] == list(range(1000)) and page.after == 999
    decoded = page.data[0].decoded()
    assert decoded.thread_id == big.id
    assert big.decoded().id == big.id


def test_a_write_that_fails_ends_the_run_with_its_error(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    import sqlite3

    server = make_server(seed=10)
    mirror = open_mirror(server.base_url)

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    mirror.save_thread = full_disk  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        run_sync(server.base_url, mirror)


def test_a_listing_cut_short_marks_nothing_gone_and_prunes_nothing(
    scripted_server: ScriptedServer, open_mirror: Callable[[str], Mirror]
):
    """has_more with no cursor (or one seen before) is not the end of the list: the run is
    incomplete, and no thread it did not reach is taken for deleted upstream."""
    threads = [
        b'{"id":"cthr_%d","object":"chatkit.thread","created_at":%d,"user":"u",'
        b'"status":{"type":"active"},"title":"t"}' % (n, 100 - n)
        for n in range(6)
    ]
    empty = b'{"object":"list","data":[],"last_id":null,"has_more":false}'
    cut = {"on": False}

    def handler(request: Any) -> Reply:
        if request.path.endswith("/chatkit/threads"):
            if cut["on"]:  # the second run: more follows, but no cursor to get there
                body = b'{"object":"list","data":[%s],"last_id":null,"has_more":true}'
                return Reply(body=body % b",".join(threads[:3]))
            body = b'{"object":"list","data":[%s],"last_id":"cthr_5","has_more":false}'
            return Reply(body=body % b",".join(threads))
        return Reply(body=empty)

    scripted_server.handler = handler
    mirror = open_mirror(scripted_server.base_url)
    assert run_sync(scripted_server.base_url, mirror).complete
    cut["on"] = True
    summary = run_sync(scripted_server.base_url, mirror, prune=True)
    assert not summary.complete and not summary.listing_complete
    assert summary.listing_error is not None and "no new cursor" in summary.listing_error
    assert summary.gone == 0 and summary.pruned == 0
    assert mirror.info().threads == 6 and mirror.info().gone == 0


def test_the_last_complete_sync_is_not_moved_by_a_run_that_failed(
    make_server: Callable[..., BackgroundServer], open_mirror: Callable[[str], Mirror]
):
    server = make_server(seed=3)
    mirror = open_mirror(server.base_url)
    assert run_sync(server.base_url, mirror).complete
    good = mirror.info().last_complete_sync
    assert good is not None
    server.stop()  # the next run cannot reach the origin: it lists nothing
    with socket.socket() as hold:  # its port held, not listening (refused), so that no
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past its TIME_WAITs
        hold.bind(("127.0.0.1", int(urlsplit(server.base_url).port or 0)))  # other test's
        assert not run_sync(server.base_url, mirror).complete  # server answers there
    info = mirror.info()
    assert info.last_run is not None and info.last_run.finished_at > good
    assert info.last_complete_sync == good
