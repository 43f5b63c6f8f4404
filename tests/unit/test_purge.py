"""The purge's core: rules and their parsing, finding matches on the real local server,
the re-check before each delete, the archive from the listed copy, the report.

Expected sets are read from the server's store (or with plain httpx), never through the
code under test.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.models import ClosedStatus, Thread
from chatkit_tui.core.bulk import Outcome
from chatkit_tui.core.purge import (
    Candidate,
    Purge,
    PurgeReport,
    RequestIds,
    RuleError,
    Rules,
    candidate,
    find_matches,
    parse_age,
    parse_cutoff,
    parse_date,
    read_report,
)
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.store import Store
from tests.fixtures.scripted import Reply, ScriptedServer

MakeServer = Callable[..., BackgroundServer]
DAY = 86_400


def every_thread(store: Store, user: str | None = None) -> list[Thread]:
    out: list[Thread] = []
    after: str | None = None
    while True:
        page = store.list_threads(limit=100, order="asc", after=after, user=user)
        out.extend(page.data)
        if not page.has_more:
            return out
        after = page.last_id


def set_status(store: Store, thread_id: str, status: str) -> None:
    """Change a thread's status as a ChatKit server would (the local one has no endpoint)."""
    with store._lock:
        store._db.execute("UPDATE threads SET status = ? WHERE id = ?", (status, thread_id))
        store._db.commit()


class Counting:
    """A client whose requests are counted by method and kind (threads list / retrieve /
    items / delete)."""

    def __init__(self, server_url: str) -> None:
        self.seen: list[tuple[str, str]] = []

        async def count(request: httpx.Request) -> None:
            path = request.url.path
            kind = (
                "list"
                if path.endswith("/chatkit/threads")
                else "items"
                if path.endswith("/items")
                else "thread"
            )
            self.seen.append((request.method, kind))

        self.http = httpx.AsyncClient(event_hooks={"request": [count]}, trust_env=False)
        self.client = AsyncChatKit(
            api_key="test-key", base_url=server_url, http_client=self.http, max_retries=0
        )

    def count(self, method: str, kind: str) -> int:
        return self.seen.count((method, kind))

    async def close(self) -> None:
        await self.client.close()
        await self.http.aclose()


# --- ages, dates, rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90d", 90 * DAY),
        ("12h", 12 * 3600),
        ("2w", 14 * DAY),
        ("30min", 1800),
        ("45s", 45),
        (" 3 days ", 3 * DAY),
        ("0d", 0),
    ],
)
def test_ages(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("6m", "minutes or months"),
        ("1y", "give days (365d)"),
        ("3mo", "give days"),
        ("90", "has no unit: write 90d"),
        ("ninety days", "expected an age like 90d"),
        ("3 fortnights", "unknown unit 'fortnights'"),
        ("99999999d", "more than a hundred years"),
        ("-5d", "'-5d': an age is positive, like 90d"),
        (" -1h", "'-1h': an age is positive"),
    ],
)
def test_ages_that_cannot_be_used_say_why(text: str, says: str) -> None:
    with pytest.raises(RuleError, match=r".*") as raised:
        parse_age(text)
    assert says in str(raised.value)


def test_dates() -> None:
    midnight = parse_date("2026-01-31")
    assert midnight == 1_769_817_600  # 2026-01-31T00:00:00Z
    assert parse_date("2026-01-31T12:00:00Z") == midnight + 12 * 3600
    assert parse_date("2026-01-31T12:00:00") == midnight + 12 * 3600  # no zone: UTC
    assert parse_date("2026-01-31T14:00:00+02:00") == midnight + 12 * 3600
    for bad in ("31/01/2026", "2026-02-30", "yesterday", ""):
        with pytest.raises(RuleError, match="expected a date like 2026-01-31"):
            parse_date(bad)


def test_one_box_takes_an_age_or_a_date() -> None:
    now = 1_800_000_000.7
    assert parse_cutoff("2d", now) == (1_800_000_000 - 2 * DAY, "2d")
    assert parse_cutoff("2026-01-31", now) == (1_769_817_600, None)
    with pytest.raises(RuleError):
        parse_cutoff("soon", now)
    # neither an age nor a date: the message names both forms the box takes
    with pytest.raises(RuleError, match=r"an age like 90d.* or a date like 2026-01-31"):
        parse_cutoff("yesterday", now)
    with pytest.raises(RuleError, match="has no unit"):
        parse_cutoff("30", now)  # an age's own message when it is one, half written


def test_rules_need_one_rule_and_fix_the_cutoff_when_made() -> None:
    with pytest.raises(RuleError, match="at least one rule"):
        Rules.make(now=time.time())
    with pytest.raises(RuleError, match="not both"):
        Rules.make(now=time.time(), older_than="2d", before="2026-01-01")
    with pytest.raises(RuleError, match="1 to 512"):
        Rules.make(now=time.time(), user="")
    rules = Rules.make(now=1_800_000_000.9, user="u_1", older_than="90d", status="closed")
    assert rules.started == 1_800_000_000 and rules.before == 1_800_000_000 - 90 * DAY
    assert rules.order == "asc" and rules.rereads
    text = rules.describe()
    assert text.startswith("threads of user 'u_1', created before 2026-")
    assert "(older than 90d), with status closed" in text
    assert Rules.make(now=1.0, user="u").order == "desc"


def test_rules_that_cannot_leave_a_thread_out_say_so() -> None:
    now = 1_800_000_000.0
    assert Rules.make(now=now, older_than="0d").everything
    assert Rules.make(now=now, before="2999-01-01").everything
    assert not Rules.make(now=now, older_than="1s").everything  # the last second's are left
    assert not Rules.make(now=now, older_than="0d", status="closed").everything
    assert not Rules.make(now=now, older_than="0d", user="u").everything
    assert not Rules.make(now=now, status="closed").everything
    assert Rules.make(now=now, status="closed").whole_deployment
    assert not Rules.make(now=now, user="u", status="closed").whole_deployment


def _thread(**kw: Any) -> Thread:
    fields: dict[str, Any] = {"id": "cthr_1", "created_at": 1000, "user": "u_1", **kw}
    return Thread(**fields)


class Unreadable:
    """Stands in for the client's UnreadableThread: attributes, but not a Thread."""

    def __init__(self, **kw: Any) -> None:
        self.id = kw.get("id")
        self.user = kw.get("user")
        self.created_at = kw.get("created_at")
        self.title = None
        self.error = "Object missing required field `id`"
        self.status = type("S", (), {"type": "unreadable"})()


def test_judging_one_record() -> None:
    rules = Rules(started=5000, user="u_1", before=2000)
    assert rules.judge(candidate(_thread())) == ("match", None)
    assert rules.judge(candidate(_thread(user="u_2")))[0] == "other"
    assert rules.judge(candidate(_thread(created_at=2000)))[0] == "newer"  # not before
    assert Rules(started=5000, user="u_1").judge(candidate(_thread(created_at=6000))) == (
        "other",
        "created after the purge started",
    )
    status_rule = Rules(started=5000, status="closed")
    assert status_rule.judge(candidate(_thread()))[0] == "other"  # active by default
    # what did not decode: judged on what could be read
    verdict, why = rules.judge(candidate(Unreadable(id="cthr_x", user="u_1", created_at=None)))
    assert verdict == "skip" and why is not None
    assert "its creation time could not be read (Object missing required field `id`)" in why
    assert rules.judge(candidate(Unreadable(id="cthr_x", user="u_2")))[0] == "other"
    verdict, why = status_rule.judge(candidate(Unreadable(id="cthr_x", created_at=10)))
    assert verdict == "skip" and "its status could not be read" in (why or "")
    readable = Unreadable(id="cthr_x", user="u_1", created_at=10)
    assert rules.judge(candidate(readable)) == ("match", None)  # all that the rules need


def test_still_matches_says_why_not() -> None:
    rules = Rules(started=5000, status="closed")
    assert rules.still_matches(_thread(status=ClosedStatus())) is None
    why = rules.still_matches(_thread())
    assert why == "not deleted: it no longer matches: its status is active"


# --- finding on the local server ------------------------------------------------------------------


async def test_the_user_rule_is_the_servers_filter_and_finds_every_page(
    make_server: MakeServer,
) -> None:
    server = make_server(seed=400)
    store = server.store
    user = max({t.user for t in every_thread(store)}, key=lambda u: store.count_threads(user=u))
    expected = {t.id for t in every_thread(store, user)}
    assert len(expected) > 0
    counting = Counting(server.base_url)
    try:
        found = await find_matches(
            counting.client, Rules(started=int(time.time()), user=user), page_size=10
        )
    finally:
        await counting.close()
    assert {c.thread_id for c in found.matches} == expected
    assert found.scanned == len(expected)  # the server filtered: no other user's thread read
    assert found.pages == len(expected) // 10 + 1 and not found.incomplete


async def test_an_age_pages_oldest_first_and_stops_at_the_first_newer_thread(
    make_server: MakeServer,
) -> None:
    now = int(time.time())
    server = make_server(seed=300, seed_time=now - 3600)  # one every ~6 h back from an hour ago
    threads = every_thread(server.store)
    rules = Rules.make(now=now, older_than="30d")
    assert rules.before is not None
    expected = [t.id for t in threads if t.created_at < rules.before]
    assert 0 < len(expected) < len(threads)
    counting = Counting(server.base_url)
    try:
        found = await find_matches(counting.client, rules, page_size=20)
    finally:
        await counting.close()
    assert [c.thread_id for c in found.matches] == expected  # oldest first
    assert found.pages == len(expected) // 20 + 1  # the page holding the first newer one
    assert counting.count("GET", "list") == found.pages


async def test_the_listing_counts_the_threads_the_rules_leave_out(
    scripted_server: ScriptedServer,
) -> None:
    started = int(time.time())
    made_later = {**_thread_json(4), "created_at": started + 60}  # left out by the run
    closed = {**_thread_json(5), "status": {"type": "closed"}}
    page = {
        "object": "list",
        "data": [_thread_json(1), _thread_json(2), made_later, closed],
        "first_id": "cthr_1",
        "last_id": "cthr_5",
        "has_more": False,
    }
    scripted_server.add(Reply(200, page), Reply(200, {**page, "data": page["data"][:3]}))
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url) as client:
        found = await find_matches(client, Rules(started=started, status="active"))
        assert [c.thread_id for c in found.matches] == ["cthr_1", "cthr_2"]
        assert found.left_out == 1 and not found.matched_all  # the closed one
        found = await find_matches(client, Rules(started=started, status="active"))
        assert found.left_out == 0 and found.matched_all  # made after the start: no proof
        assert found.everything_note() == (
            "this rule matches every thread scanned (3): pass --all to delete them all"
        )


async def test_status_is_checked_here_and_rules_combine(make_server: MakeServer) -> None:
    now = int(time.time())
    server = make_server(seed=300, seed_time=now - 3600)
    rules = Rules.make(now=now, older_than="20d", status="closed")
    expected = {
        t.id
        for t in every_thread(server.store)
        if rules.before is not None and t.created_at < rules.before and t.status.type == "closed"
    }
    assert expected
    async with AsyncChatKit(api_key="k", base_url=server.base_url) as client:
        found = await find_matches(client, rules)
    assert {c.thread_id for c in found.matches} == expected


async def test_threads_created_after_the_run_started_never_match(
    local_server: BackgroundServer,
) -> None:
    store = local_server.store
    user = every_thread(store)[0].user
    later = int(time.time()) + 120
    store.insert_thread_rows([("cthr_later", later, user, "made after", "active", None)])
    rules = Rules.make(now=time.time(), user=user)
    async with AsyncChatKit(api_key="k", base_url=local_server.base_url) as client:
        found = await find_matches(client, rules)
    ids = {c.thread_id for c in found.matches}
    assert "cthr_later" not in ids and ids == {t.id for t in every_thread(store, user)} - {
        "cthr_later"
    }


async def test_a_rate_limited_listing_waits_and_finishes(make_server: MakeServer) -> None:
    server = make_server(seed=120, faults=Faults(rate_limit=3, rate_window_s=0.5))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async with AsyncChatKit(api_key="k", base_url=server.base_url, max_retries=0) as client:
        found = await find_matches(
            client, Rules(started=int(time.time()), status="active"), page_size=10, sleep=sleep
        )
    assert waits, "the server never said 429"
    assert {c.thread_id for c in found.matches} == {
        t.id for t in every_thread(server.store) if t.status.type == "active"
    }


def _thread_json(i: int, user: str = "u_1") -> dict[str, Any]:
    return {
        "id": f"cthr_{i}",
        "object": "chatkit.thread",
        "created_at": 1000 + i,
        "user": user,
        "title": f"t{i}",
        "status": {"type": "active"},
    }


def _requires_tolerant_pages() -> None:
    models = importlib.import_module("chatkit_tui.client.models")
    if not hasattr(models, "UnreadableThread"):
        pytest.skip("this client decodes a thread page all or nothing")


async def test_a_record_that_does_not_decode_is_skipped_not_deleted(
    scripted_server: ScriptedServer,
) -> None:
    _requires_tolerant_pages()
    bad = _thread_json(2)
    del bad["created_at"]
    bad["created_at"] = "not a time"
    page = {
        "object": "list",
        "data": [_thread_json(1), bad, _thread_json(3, user="u_2"), _thread_json(4)],
        "first_id": "cthr_1",
        "last_id": "cthr_4",
        "has_more": False,
    }
    scripted_server.add(Reply(200, page))
    rules = Rules(started=int(time.time()), user="u_1")
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url) as client:
        found = await find_matches(client, rules)
    assert [c.thread_id for c in found.matches] == ["cthr_1", "cthr_4"]
    [skipped] = found.skipped
    assert skipped.candidate.thread_id == "cthr_2"
    assert "its creation time could not be read" in skipped.reason
    assert skipped.reason.endswith("not deleted")


async def test_a_server_that_repeats_its_cursor_is_reported_incomplete(
    scripted_server: ScriptedServer,
) -> None:
    page = {
        "object": "list",
        "data": [_thread_json(1)],
        "first_id": "cthr_1",
        "last_id": "cthr_1",
        "has_more": True,
    }
    scripted_server.add(Reply(200, page), Reply(200, page))
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url) as client:
        found = await find_matches(client, Rules(started=int(time.time()), user="u_1"))
    assert [c.thread_id for c in found.matches] == ["cthr_1"]
    assert found.incomplete is not None and "repeated a page cursor" in found.incomplete
    assert len(scripted_server.requests) == 2


# --- deleting ---------------------------------------------------------------------------------


async def test_a_purge_reads_each_thread_once_and_archives_the_listed_copy(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    user = every_thread(store)[0].user
    mine = {t.id for t in every_thread(store, user)}
    others = {t.id for t in every_thread(store)} - mine
    counting = Counting(local_server.base_url)
    report = PurgeReport(tmp_path / "report.jsonl")
    try:
        purge = Purge(
            counting.client, Rules.make(now=time.time(), user=user), archive_dir=tmp_path / "a"
        )
        await purge.find()
        summary = await purge.delete(report)
    finally:
        report.close()
        await counting.close()
    assert len(summary.deleted) == len(mine)
    assert counting.count("GET", "thread") == 0  # no retrieve: the listing had the thread
    assert counting.count("GET", "items") == len(mine)  # none of these has 100 items
    assert counting.count("DELETE", "thread") == len(mine)
    assert not any(store.thread_exists(i) for i in mine)
    assert all(store.thread_exists(i) for i in others)
    for result in summary.deleted:
        assert result.archive is not None
        document = json.loads(result.archive.read_text())
        assert document["thread_from"] == "list"
        assert document["thread"]["id"] == result.thread_id and document["thread"]["user"] == user


async def test_a_status_rule_rereads_and_skips_a_thread_that_changed(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    closed = [t.id for t in every_thread(store) if t.status.type == "closed"]
    assert len(closed) >= 2
    counting = Counting(local_server.base_url)
    report = PurgeReport(tmp_path / "report.jsonl")
    try:
        purge = Purge(
            counting.client,
            Rules.make(now=time.time(), status="closed"),
            archive_dir=tmp_path / "a",
        )
        found = await purge.find()
        assert {c.thread_id for c in found.matches} == set(closed)
        set_status(store, closed[0], "active")  # reopened between the listing and the delete
        summary = await purge.delete(report)
    finally:
        report.close()
        await counting.close()
    [skipped] = summary.skipped
    assert skipped.thread_id == closed[0] and skipped.archive is None
    assert skipped.reason == "not deleted: it no longer matches: its status is active"
    assert store.thread_exists(closed[0])
    assert not any(store.thread_exists(i) for i in closed[1:])
    assert counting.count("GET", "thread") == len(closed)  # each read again
    lines = {r["id"]: r for r in read_report(tmp_path / "report.jsonl") if r["record"] == "thread"}
    assert lines[closed[0]]["outcome"] == "skipped"
    assert lines[closed[1]]["thread_from"] == "retrieve"


async def test_request_ids_of_deletes_land_in_the_report_and_never_the_key(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    user = every_thread(local_server.store)[0].user
    ids = RequestIds(secret="test-key-123456")
    http = httpx.AsyncClient(event_hooks={"response": [ids]}, trust_env=False)
    report = PurgeReport(tmp_path / "r.jsonl")
    async with (
        http,
        AsyncChatKit(
            api_key="test-key-123456", base_url=local_server.base_url, http_client=http
        ) as client,
    ):
        purge = Purge(
            client,
            Rules.make(now=time.time(), user=user),
            archive_dir=tmp_path / "a",
            request_ids=ids,
        )
        await purge.find()
        await purge.delete(report)
    report.close()
    lines = [r for r in read_report(tmp_path / "r.jsonl") if r["record"] == "thread"]
    assert lines and all(str(r["request_id"]).startswith("req_") for r in lines)
    assert len({r["request_id"] for r in lines}) == len(lines)  # each its own DELETE's


# --- the report -------------------------------------------------------------------------------


def test_a_report_is_private_appended_whole_lines_and_never_overwritten(tmp_path: Path) -> None:
    started = 1_800_000_000.0
    first = PurgeReport.create(started=started)
    second = PurgeReport.create(started=started)  # the same second: a new name, not the same file
    assert first.path != second.path and second.path.name.endswith("-2.jsonl")
    assert first.path.parent.name == "purges" and "chatkit-tui" in str(first.path)
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.path.parent.stat().st_mode) == 0o700
    c = Candidate(None, "cthr_\x1b[31m", "u\u202e", 10, "t\n", "active")
    first.thread(c, "deleted", request_id="req_1")
    first.close()
    first.close()  # idempotent
    second.close()
    [line] = first.path.read_text().splitlines()
    assert "\x1b" not in line and "\u202e" not in line  # escaped in the JSON
    record = json.loads(line)
    assert record["id"] == "cthr_\x1b[31m" and record["outcome"] == "deleted"
    assert set(record) >= {
        "id",
        "user",
        "created_at",
        "title",
        "outcome",
        "archive",
        "request_id",
        "time",
    }
    again = PurgeReport.create(first.path, started=started)  # a path given: appended to
    again.thread(c, "already gone")
    again.close()
    assert [json.loads(x)["outcome"] for x in first.path.read_text().splitlines()] == [
        "deleted",
        "already gone",
    ]


def test_read_report_leaves_out_a_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"record": "run"}\n{"record": "thread", "id": "a"}\n{"record": "thr')
    assert [r["record"] for r in read_report(path)] == ["run", "thread"]


async def test_a_cancelled_purge_reports_every_thread_it_had_not_finished(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(seed=40, faults=Faults(latency_ms=200))
    user = max(
        {t.user for t in every_thread(server.store)},
        key=lambda u: server.store.count_threads(user=u),
    )
    report = PurgeReport(tmp_path / "r.jsonl")
    async with AsyncChatKit(api_key="k", base_url=server.base_url) as client:
        purge = Purge(
            client,
            Rules.make(now=time.time(), user=user),
            archive_dir=tmp_path / "a",
            concurrency=1,
        )
        found = await purge.find()
        assert len(found.matches) >= 3
        task = asyncio.ensure_future(purge.delete(report))
        await asyncio.sleep(0.5)  # one thread done (two round trips of 0.2 s), one in flight
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    report.close()
    records = read_report(tmp_path / "r.jsonl")
    lines = [r for r in records if r["record"] == "thread"]
    assert sorted(r["id"] for r in lines) == sorted(c.thread_id for c in found.matches)
    outcomes = [r["outcome"] for r in lines]
    assert "deleted" in outcomes and "interrupted" in outcomes
    assert records[-1]["record"] == "end" and records[-1]["how"] == "interrupted"
    for r in lines:  # what the report says deleted is gone
        if r["outcome"] == "deleted":
            assert not server.store.thread_exists(r["id"])
    assert Outcome.DELETED.value == "deleted"


# --- deleting while finding (--yes) -----------------------------------------------------------


async def test_find_and_delete_starts_deleting_before_the_listing_ends(
    make_server: MakeServer, tmp_path: Path
) -> None:
    now = int(time.time())
    server = make_server(seed=350, seed_time=now - 3600, faults=Faults(latency_ms=20))
    rules = Rules.make(now=now, older_than="2d")
    expected = {t.id for t in every_thread(server.store) if t.created_at < (rules.before or 0)}
    assert len(expected) > 200  # three pages of matches
    counting = Counting(server.base_url)
    report = PurgeReport(tmp_path / "r.jsonl")
    try:
        purge = Purge(counting.client, rules, archive_dir=tmp_path / "a")
        summary = await purge.find_and_delete(report)
    finally:
        report.close()
        await counting.close()
    assert {r.thread_id for r in summary.deleted} == expected
    assert {c.thread_id for c in purge.found.matches} == expected
    lists = [i for i, seen in enumerate(counting.seen) if seen == ("GET", "list")]
    first_read = counting.seen.index(("GET", "items"))
    assert first_read < lists[-1]  # overlapped: archiving began before the last page
    records = read_report(tmp_path / "r.jsonl")
    assert sorted(r["id"] for r in records if r["record"] == "thread") == sorted(expected)
    assert records[-1]["how"] == "complete" and records[-1]["matched"] == len(expected)


async def test_stopped_while_holding_every_match_is_stopped_not_refused(
    make_server: MakeServer, tmp_path: Path
) -> None:
    """Told to stop before a thread left out was read: what was found is reported "not
    attempted" and the run ends "stopped" (run it again), not "refused"."""
    now = int(time.time())
    server = make_server(seed=250, seed_time=now - 3600)
    everyone = {t.id for t in every_thread(server.store)}
    report = PurgeReport(tmp_path / "r.jsonl")
    async with AsyncChatKit(api_key="k", base_url=server.base_url) as client:
        purge = Purge(client, Rules.make(now=now, older_than="30min"), archive_dir=tmp_path)
        summary = await purge.find_and_delete(report, on_page=lambda _: purge.stop())
    report.close()
    assert summary.stopped and len(summary.not_attempted) == 100  # the first page's
    assert {t.id for t in every_thread(server.store)} == everyone
    records = read_report(tmp_path / "r.jsonl")
    assert records[-1]["how"] == "stopped"
    assert {r["outcome"] for r in records if r["record"] == "thread"} == {"not attempted"}


async def test_a_listing_that_fails_midway_stops_the_deletes_and_is_recorded(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    first = {
        "object": "list",
        "data": [_thread_json(1), _thread_json(2)],
        "first_id": "cthr_1",
        "last_id": "cthr_2",
        "has_more": True,
    }
    items = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}

    def handler(request: Any) -> Reply:
        if request.path.endswith("/chatkit/threads"):
            if "after" in request.query:
                return Reply(503, {"error": {"message": "listing broke"}})
            return Reply(200, first)
        if request.method == "DELETE":
            thread_id = request.path.rsplit("/", 1)[1]
            return Reply(
                200, {"id": thread_id, "object": "chatkit.thread.deleted", "deleted": True}
            )
        return Reply(200, items)

    scripted_server.handler = handler
    report = PurgeReport(tmp_path / "r.jsonl")
    async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url, max_retries=0) as c:
        purge = Purge(c, Rules(started=int(time.time()), user="u_1"), archive_dir=tmp_path / "a")
        with pytest.raises(Exception, match="listing broke"):
            await purge.find_and_delete(report)
    report.close()
    records = read_report(tmp_path / "r.jsonl")
    lines = {r["id"]: r["outcome"] for r in records if r["record"] == "thread"}
    assert set(lines) == {"cthr_1", "cthr_2"}  # what was found got an outcome
    assert set(lines.values()) <= {"deleted", "not attempted"}
    end = records[-1]
    assert end["record"] == "end" and end["how"] == "failed" and "listing broke" in end["error"]


async def test_an_open_ended_runner_waits_for_more_until_closed(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    from chatkit_tui.core.bulk import BulkDelete

    ids = [t.id for t in local_server.store.list_threads(limit=4, order="desc").data]
    async with AsyncChatKit(api_key="k", base_url=local_server.base_url) as client:
        runner = BulkDelete(client, ids[:1], archive_dir=tmp_path, open_ended=True)
        run = asyncio.ensure_future(runner.run())
        await asyncio.sleep(0.3)
        assert not run.done() and len(runner.summary.results) == 1  # done, but still open
        runner.add([*ids[1:], ids[0]])  # each thread once
        runner.close()
        summary = await asyncio.wait_for(run, 10)
        with pytest.raises(RuntimeError, match="open-ended"):
            runner.add(["cthr_more"])
    assert sorted(r.thread_id for r in summary.deleted) == sorted(ids)


def test_a_since_that_is_neither_names_both_forms_on_the_command_line(tmp_path: Path) -> None:
    """``search``/``migrate``/``insights --since`` take a date or an age: a word that is
    neither is refused (exit 2) with both forms named, not as a bad age only."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatkit_tui",
            "insights",
            "--db",
            str(tmp_path / "m.sqlite3"),
            "--since",
            "yesterday",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert "or a date like 2026-01-31" in run.stderr and "'yesterday'" in run.stderr
