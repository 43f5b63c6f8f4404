"""``chatkit-tui insights`` against brute force: every figure computed again here, in plain
Python over the mirror's raw rows (each thread's JSON, each item's JSON, in order), and
compared with ``insights --json`` -- over the local server's seed mirrored with the real
``mirror`` code, with odd records added (an unknown item type, both spellings of a type,
an assistant answer before any question, several questions in a row, a thread with no
items, a pending tool call, an unfinished task group and workflow, an item row that is
not JSON, a thread with no user), over the odd deployment (unknown statuses, threads that
do not decode), filtered by user and by dates, after incremental and ``--full`` runs, a
thread deleted upstream (gone: still counted) and ``--prune`` (no longer), and on a file
of the old layout.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import stat
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.mirror import Mirror
from chatkit_tui.core.mirror.engines.sqlite import SCHEMA_VERSION
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures import read_only
from tests.fixtures.damage import damage_pages
from tests.fixtures.mirror_file import as_version_2, as_version_3
from tests.fixtures.odd import serve_odd_deployment
from tests.fixtures.scripted import ScriptedServer

KEY = {"OPENAI_API_KEY": "sk-test-insights"}

# --- brute force ---------------------------------------------------------------------------------


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _rank(values: list[int], percent: int) -> int | None:
    """Nearest rank: the smallest value with at least ``percent`` % of them at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent * len(ordered) / 100)) - 1]


def _doc(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _field(doc: Any, key: str) -> Any:
    return cast("dict[str, Any]", doc).get(key) if isinstance(doc, dict) else None


def _loading(tasks: Any) -> bool:
    listed = cast("list[Any]", tasks) if isinstance(tasks, list) else []
    return any(_field(t, "status_indicator") == "loading" for t in listed)


def _is_url(path: Path | str) -> bool:
    return str(path).startswith("postgresql://")


def raw_rows(
    path: Path | str,
) -> tuple[list[Any], dict[str, list[tuple[str | None, int | None, bytes]]]]:
    """Every thread row and every item of a mirror of either engine, as stored."""
    threads_sql = 'SELECT pk, id, created_at, "user", status, raw, title FROM threads'
    items_sql = "SELECT thread_id, type, created_at, raw FROM items ORDER BY thread_id, seq"
    if _is_url(path):
        import psycopg

        with psycopg.connect(str(path)) as conn:
            threads = conn.execute(threads_sql).fetchall()
            rows = conn.execute(items_sql).fetchall()
    else:
        con = sqlite3.connect(path)
        try:
            threads = con.execute(threads_sql).fetchall()
            rows = con.execute(items_sql).fetchall()
        finally:
            con.close()
    items: dict[str, list[tuple[str | None, int | None, bytes]]] = defaultdict(list)
    for thread_id, kind, at, raw in rows:
        items[thread_id].append((kind, at, bytes(raw)))
    return threads, items


def brute(
    path: Path | str, since: int | None = None, until: int | None = None, user: str | None = None
) -> dict[str, Any]:
    """Every figure of ``insights --json`` from the raw rows, one thread at a time."""
    threads, items = raw_rows(path)
    chosen = [
        t
        for t in threads
        if (since is None or t[2] >= since)
        and (until is None or t[2] < until)
        and (user is None or t[3] == user)
    ]
    per_day: Counter[str] = Counter()
    users_day: dict[str, set[str]] = defaultdict(set)
    per_week: Counter[str] = Counter()
    users_week: dict[str, set[str]] = defaultdict(set)
    grid = [[0] * 24 for _ in range(7)]
    statuses: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    types: Counter[str] = Counter()
    sizes: list[int] = []
    answers: list[int] = []
    answers_day: dict[str, list[int]] = defaultdict(list)
    wrong: dict[str, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    tools: dict[str, Counter[str]] = defaultdict(Counter)
    widgets: Counter[str] = Counter()
    mimes: Counter[str] = Counter()
    by_user: dict[str, list[int]] = {}
    for pk, thread_id, created, who, status, raw, title in chosen:
        day = _day(created)
        name = day.isoformat()
        week = (day - timedelta(days=day.weekday())).isoformat()
        per_day[name] += 1
        per_week[week] += 1
        when = datetime.fromtimestamp(created, UTC)
        grid[when.weekday()][when.hour] += 1
        state = status or "(none)"
        statuses[state] += 1
        if state in ("locked", "closed"):
            reason = _field(_field(_doc(bytes(raw)), "status"), "reason")
            reasons[state][reason if isinstance(reason, str) else ""] += 1
        mine = items.get(thread_id, [])
        kinds = [(k or "(none)").removeprefix("chatkit.") for k, _a, _r in mine]
        sizes.append(len(mine))
        types.update(kinds)
        for n, kind in enumerate(kinds):  # an answer: the first assistant message after the
            if kind != "assistant_message":  # last of a run of user messages
                continue
            before = [i for i in range(n) if kinds[i] == "user_message"]
            if not before or "assistant_message" in kinds[before[-1] + 1 : n]:
                continue
            asked, answered = mine[before[-1]][1], mine[n][1]
            if asked is not None and answered is not None:
                answers.append(answered - asked)
                answers_day[name].append(answered - asked)
        ref = {"id": thread_id, "title": title, "user": who, "created_at": created}
        last_question = max((i for i, k in enumerate(kinds) if k == "user_message"), default=None)
        if last_question is not None and "assistant_message" not in kinds[last_question + 1 :]:
            wrong["unanswered"].append((created, pk, ref))
        docs = [_doc(r) for _k, _a, r in mine]
        pending = unfinished = False
        for kind, doc in zip(kinds, docs, strict=True):
            if kind == "client_tool_call":
                tool = _field(doc, "name")
                done = _field(doc, "status") == "completed"
                tools[tool if isinstance(tool, str) else "(unreadable)"][
                    "completed" if done else "pending"
                ] += 1
                pending = pending or not done
            elif kind == "widget":
                widget = _field(doc, "widget")
                if isinstance(widget, str):
                    widget = _doc(widget.encode())
                shape = _field(widget, "type")
                widgets[shape if isinstance(shape, str) else "(unreadable)"] += 1
            elif kind == "user_message":
                for file in cast("list[Any]", _field(doc, "attachments") or []):
                    mime = _field(file, "mime_type")
                    mimes[mime if isinstance(mime, str) and mime else "(none)"] += 1
            elif kind == "task":
                unfinished = unfinished or _loading([_field(doc, "task")])
            elif kind == "task_group":
                unfinished = unfinished or _loading(_field(doc, "tasks"))
            elif kind == "workflow":
                flow = _field(doc, "workflow")
                if isinstance(flow, dict):
                    unfinished = unfinished or _field(flow, "summary") is None
                    unfinished = unfinished or _loading(_field(flow, "tasks"))
        if pending:
            wrong["pending"].append((created, pk, ref))
        if unfinished:
            wrong["unfinished"].append((created, pk, ref))
        if who:  # "" is no user (a chatkit-python thread's)
            users_day[name].add(who)
            users_week[week].add(who)
            tally = by_user.setdefault(who, [0, 0, 0])
            tally[0] += 1
            tally[1] += len(mine)
            tally[2] = max(tally[2], day.toordinal())

    def listed(kind: str) -> list[dict[str, Any]]:
        return [r for _c, _p, r in sorted(wrong[kind], key=lambda w: (-w[0], -w[1]))][:50]

    days = sorted(per_day)
    span = (date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days + 1 if days else 0
    ranked = sorted(by_user.items(), key=lambda kv: (-kv[1][0], kv[0]))[:20]
    return {
        "filters": {"since": since, "until": until, "user": user},
        "threads": len(chosen),
        "users": len({t[3] for t in chosen if t[3] is not None}),
        "items": sum(sizes),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "threads_per_day": dict(per_day),
        "users_per_day": {d: len(u) for d, u in users_day.items()},
        "threads_per_week": dict(per_week),
        "users_per_week": {w: len(u) for w, u in users_week.items()},
        "granularity": "week" if span > 92 else "day",
        "busiest_hours": grid,
        "statuses": dict(statuses),
        "status_reasons": {s: dict(r) for s, r in reasons.items()},
        "item_types": dict(types),
        "items_per_thread": {
            "median": _rank(sizes, 50),
            "p95": _rank(sizes, 95),
            "threads": len(sizes),
            "histogram": {str(k): v for k, v in Counter(sizes).items()},
        },
        "time_to_answer_s": {
            "median": _rank(answers, 50),
            "p95": _rank(answers, 95),
            "answers": len(answers),
            "per_day": {
                d: {"median": _rank(v, 50), "p95": _rank(v, 95), "answers": len(v)}
                for d, v in answers_day.items()
            },
        },
        "unanswered": len(wrong["unanswered"]),
        "unanswered_threads": listed("unanswered"),
        "pending_tool_calls": {"count": len(wrong["pending"]), "threads": listed("pending")},
        "unfinished_tasks": {"count": len(wrong["unfinished"]), "threads": listed("unfinished")},
        "tool_calls": {
            n: {"completed": c["completed"], "pending": c["pending"]} for n, c in tools.items()
        },
        "widgets": dict(widgets),
        "attachments": dict(mimes),
        "active_users": [
            {
                "user": u,
                "threads": t[0],
                "items": t[1],
                "last_day": date.fromordinal(t[2]).isoformat(),
            }
            for u, t in ranked
        ],
    }


# --- running it ---------------------------------------------------------------------------------


def insights(capsys: pytest.CaptureFixture[str], path: Path | str, *flags: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["insights", "--db", str(path), "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


def mirror_run(
    capsys: pytest.CaptureFixture[str], base_url: str, path: Path | str, *flags: str
) -> None:
    assert main(["mirror", "--base-url", base_url, "--db", str(path), *flags]) == 0
    capsys.readouterr()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEY.items():
        monkeypatch.setenv(name, value)


def _item(
    thread_id: str, n: int, at: int, kind: str, **body: Any
) -> tuple[str, str, int, str, bytes]:
    item_id = f"{thread_id}_i{n}"
    doc: dict[str, Any] = {
        "id": item_id,
        "object": "chatkit.thread_item",
        "created_at": at,
        "thread_id": thread_id,
        "type": kind,
        **body,
    }
    return (item_id, thread_id, at, "UnknownItem", json.dumps(doc).encode())


ODD_AT = 1_761_400_000  # 2025-10-25 13:46:40 UTC, inside the seed's days


def add_odd_threads(server: BackgroundServer) -> None:
    """Threads the seed does not have, in the local server's store."""
    store = server.store
    store.insert_thread_rows(
        [
            ("cthr_t_empty", ODD_AT, "u_odd", "No items", "active", None),
            ("cthr_t_order", ODD_AT + 60, "u_odd", "Odd order", "closed", "spam"),
            ("cthr_t_flows", ODD_AT + 86_400 * 2 + 7, "u_flow", "Flows", "locked", None),
        ]
    )
    order = "cthr_t_order"
    flows = "cthr_t_flows"
    store.insert_item_rows(
        [
            _item(order, 0, ODD_AT + 61, "chatkit.assistant_message", content=[]),  # no question
            _item(order, 1, ODD_AT + 62, "chatkit.user_message", content=[], attachments=[]),
            _item(
                order,
                2,
                ODD_AT + 65,
                "user_message",
                content=[],  # unprefixed, a run of two
                attachments=[{"id": "f", "name": "f", "type": "file", "mime_type": ""}],
            ),
            _item(order, 3, ODD_AT + 72, "chatkit.mystery_item", what="unknown"),
            _item(order, 4, ODD_AT + 80, "chatkit.assistant_message", content=[]),  # 15 s
            _item(order, 5, ODD_AT + 81, "chatkit.assistant_message", content=[]),  # no question
            _item(
                order,
                6,
                ODD_AT + 90,
                "chatkit.client_tool_call",
                name="lookup",
                call_id="c",
                arguments="{}",
                status="pending",
            ),
            _item(order, 7, ODD_AT + 95, "chatkit.widget", widget="{not json"),
            _item(
                flows,
                0,
                ODD_AT + 86_400 * 2 + 10,
                "chatkit.user_message",
                content=[],
                attachments=[],
            ),
            _item(
                flows,
                1,
                ODD_AT + 86_400 * 2 + 11,
                "chatkit.task_group",
                tasks=[{"type": "custom", "status_indicator": "loading"}],
            ),
            _item(
                flows,
                2,
                ODD_AT + 86_400 * 2 + 12,
                "workflow",
                workflow={"type": "custom", "tasks": [], "summary": None},
            ),
            _item(
                flows,
                3,
                ODD_AT + 86_400 * 2 + 13,
                "chatkit.client_tool_call",
                name="lookup",
                call_id="d",
                arguments={},
                status="completed",
            ),
        ]
    )


def add_garbled(path: Path | str) -> None:
    """A thread written by the mirror's own store code whose items are not all JSON: a
    row of bytes, an item with no type, a thread with no user (upstream it does not
    exist: the next run marks it gone)."""
    with Mirror.open(path) as mirror:
        raw = b'{"id":"cthr_t_garbled","created_at":1761500000,"status":{"type":"active"}}'
        mirror.save_thread(
            ThreadRecord("cthr_t_garbled", raw, 1_761_500_000, None, None, "active", True),
            [
                ItemRecord(b"\xff\x00 not json {", "cthr_t_garbled_i0", 1_761_500_001, "widget"),
                ItemRecord(b'{"id": 3}', None, None, None),
                ItemRecord(b"[]", "cthr_t_garbled_i2", 1_761_500_003, "client_tool_call"),
            ],
            items_after=None,
        )


def _filters(path: Path | str) -> list[tuple[list[str], dict[str, Any]]]:
    """Flag sets to compare, and what brute force takes for them."""
    counts = Counter(t[3] for t in raw_rows(path)[0] if t[3] is not None)
    user = min(counts, key=lambda u: (-counts[u], u))
    since = ODD_AT + 30  # not at midnight: partial days at both ends
    until = since + 3 * 86_400 + 5 * 3600
    iso = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    iso_until = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    day = datetime.fromtimestamp(until, UTC).date()
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return [
        ([], {}),
        (["--user", user], {"user": user}),
        (["--user", "u_odd"], {"user": "u_odd"}),
        (["--since", iso, "--until", iso_until], {"since": since, "until": until}),
        (["--since", iso], {"since": since}),
        (["--until", day.isoformat()], {"until": midnight + 86_400}),  # through that day
        (
            ["--since", iso, "--until", iso_until, "--user", user],
            {"since": since, "until": until, "user": user},
        ),
        (["--user", "nobody at all"], {"user": "nobody at all"}),
    ]


def assert_matches(capsys: pytest.CaptureFixture[str], path: Path | str) -> None:
    for flags, kw in _filters(path):
        got = insights(capsys, path, *flags)
        want = brute(path, **kw)
        assert got.keys() == want.keys(), flags
        for key in want:
            assert got[key] == want[key], (flags, key)


# --- the tests ---------------------------------------------------------------------------------


def test_every_figure_matches_brute_force_on_a_seeded_deployment_with_odd_records(
    mirror_target: str, capsys: pytest.CaptureFixture[str]
):
    path = mirror_target
    with BackgroundServer(seed=30) as server:
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, path)
    add_garbled(path)
    assert_matches(capsys, path)
    everything = brute(path)
    # the odd records are in it, as the issue counts them
    assert everything["item_types"]["mystery_item"] == 1
    assert everything["item_types"]["(none)"] == 1
    assert everything["tool_calls"]["lookup"] == {"completed": 1, "pending": 1}
    assert everything["widgets"]["(unreadable)"] >= 2
    assert everything["status_reasons"]["closed"]["spam"] == 1
    assert everything["items_per_thread"]["histogram"]["0"] >= 1
    assert everything["unfinished_tasks"]["count"] >= 1
    assert everything["attachments"]["(none)"] == 1
    order = brute(path, user="u_odd")
    assert order["time_to_answer_s"]["answers"] == 1 and order["time_to_answer_s"]["median"] == 15


def test_the_odd_deployment_unknown_statuses_and_threads_that_do_not_decode(
    mirror_target: str, capsys: pytest.CaptureFixture[str], scripted_server: ScriptedServer
):
    serve_odd_deployment(scripted_server)
    path = mirror_target
    assert main(["mirror", "--base-url", scripted_server.base_url, "--db", str(path)]) == 0
    got = insights(capsys, path)
    assert got == brute(path)
    assert got["statuses"]["archived"] == 1  # an unknown status under its own name
    assert got["status_reasons"]["locked"] == {"review": 1}


def test_runs_that_add_change_delete_and_prune_keep_the_figures_right(
    mirror_target: str, capsys: pytest.CaptureFixture[str]
):
    path = mirror_target
    with BackgroundServer(seed=25) as server:
        mirror_run(capsys, server.base_url, path)
        before = insights(capsys, path)
        store = server.store
        add_odd_threads(server)  # new threads
        con = store._db  # pyright: ignore[reportPrivateUsage]
        with store._lock:  # pyright: ignore[reportPrivateUsage]
            ids = [
                r[0]
                for r in con.execute(
                    "SELECT id FROM threads WHERE id NOT LIKE 'cthr_t_%'"
                    " ORDER BY created_at LIMIT 3"
                )
            ]
            con.execute(
                "UPDATE threads SET status = 'locked', status_reason = 'abuse' WHERE id = ?",
                (ids[0],),
            )
        store.insert_item_rows(  # a thread grows
            [_item(ids[1], 900, 1_761_990_000, "chatkit.user_message", content=[], attachments=[])]
        )
        assert store.delete_thread(ids[2])  # deleted upstream: marked gone, still counted
        mirror_run(capsys, server.base_url, path)
        after = insights(capsys, path)
        assert after != before and after["threads"] == before["threads"] + 3
        assert after["status_reasons"]["locked"]["abuse"] == 1
        assert_matches(capsys, path)
        mirror_run(capsys, server.base_url, path, "--full")
        assert insights(capsys, path) == after
        assert_matches(capsys, path)
        mirror_run(capsys, server.base_url, path, "--prune")  # the gone thread leaves the file
        pruned = insights(capsys, path)
        assert pruned["threads"] == after["threads"] - 1
        assert pruned == brute(path)


_COUNTED = (("ins_day_users", "day", "ins_day_user"), ("ins_week_users", "week", "ins_week_user"))


def _sql(path: Path | str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows, on either engine, committed."""
    out: list[list[tuple[Any, ...]]] = []
    if _is_url(path):
        import psycopg

        with psycopg.connect(str(path), autocommit=True) as conn:
            for sql in statements:
                cur = conn.execute(sql)  # pyright: ignore[reportArgumentType, reportCallIssue]
                out.append(cur.fetchall() if cur.description else [])
        return out
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            out.append(con.execute(sql).fetchall())
    finally:
        con.close()
    return out


def _counts_kept(path: Path | str) -> bool:
    """The user counts are there and equal to counting the (day, user) rows again."""
    names = "'ins_day_users_in', 'ins_day_users_out', 'ins_week_users_in', 'ins_week_users_out'"
    if _is_url(path):
        names += ", 'ins_day_users_cut', 'ins_week_users_cut'"
        triggers = f"SELECT count(*) FROM pg_trigger WHERE tgname IN ({names})"
    else:
        triggers = (
            f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})"
        )
    [[(found,)]] = _sql(path, triggers)
    if found == 0:
        return False
    assert found == names.count(",") + 1
    for counts, column, rows in _COUNTED:
        kept, again = _sql(
            path,
            f"SELECT {column}, users FROM {counts} ORDER BY 1",
            f"SELECT {column}, count(*) FROM {rows} GROUP BY 1 ORDER BY 1",
        )
        assert kept == again and kept, counts
    return True


def _drop_counts(path: Path | str) -> None:
    """The triggers gone, the counts left as they were (and so stale once the rows change):
    what an older chatkit-tui leaves that drops and builds ``ins_day_user`` again."""
    statements: list[str] = []
    for counts, _, rows in _COUNTED:
        for end in ("in", "out", "cut"):
            if _is_url(path):
                statements.append(f"DROP TRIGGER IF EXISTS {counts}_{end} ON {rows}")
            elif end != "cut":
                statements.append(f"DROP TRIGGER {counts}_{end}")
    _sql(path, *statements)


def _forge_counts(path: Path | str) -> tuple[str, int]:
    """Add 100 to the newest day's count (past the triggers): the day, and what the
    counts now say of it."""
    [[(day, users)]] = _sql(path, "SELECT day, users FROM ins_day_users ORDER BY day DESC LIMIT 1")
    _sql(path, f"UPDATE ins_day_users SET users = users + 100 WHERE day = {int(day)}")
    return date.fromordinal(date(1970, 1, 1).toordinal() + int(day)).isoformat(), users + 100


def test_the_users_a_day_and_a_week_are_kept_counted_and_read_alike_without_them(
    mirror_target: str, capsys: pytest.CaptureFixture[str]
):
    """The activity chart reads distinct users per day and week from counts that triggers
    keep (a row a day, not a scan of every (day, user) row): equal to counting again
    after runs that add, change and prune; a mirror without them (made before) reads the
    same figures by the scan, and its next writable open counts them."""
    path = mirror_target
    with BackgroundServer(seed=25) as server:
        mirror_run(capsys, server.base_url, path)
        assert _counts_kept(path)
        add_odd_threads(server)
        assert server.store.delete_thread(all_ids(path)[0])
        mirror_run(capsys, server.base_url, path, "--prune")
        assert _counts_kept(path)
        counted = insights(capsys, path)
        assert counted == brute(path) and counted["users_per_week"]
        day, forged = _forge_counts(path)  # the chart reads the counts, not the rows
        assert insights(capsys, path)["users_per_day"][day] == forged
        _drop_counts(path)
        assert not _counts_kept(path)
        assert main(["insights", "--db", str(path), "--read-only", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == counted  # by the scan
        assert not _counts_kept(path)  # a read-only open makes nothing
        assert_matches(capsys, path)  # every filter, by the scan
        mirror_run(capsys, server.base_url, path)  # the writable open counts them
        assert _counts_kept(path)
        assert insights(capsys, path) == counted
        assert_matches(capsys, path)
        if _is_url(path):
            # a trigger that no longer fires here (disabled, or on replicas only): the
            # counts are not read (the scan is), and the next
            # writable open makes the triggers again
            _sql(path, "ALTER TABLE ins_day_user ENABLE REPLICA TRIGGER ins_day_users_in")
            _forge_counts(path)
            assert main(["insights", "--db", str(path), "--read-only", "--json"]) == 0
            assert json.loads(capsys.readouterr().out) == counted
            # functions of another version (the first ones ran as the caller): made again
            _sql(
                path,
                "UPDATE meta SET value = '0' WHERE key = 'ins_user_counts'",
                "ALTER FUNCTION ins_day_users_in() SECURITY INVOKER",
            )
            mirror_run(capsys, server.base_url, path)
            assert _counts_kept(path) and insights(capsys, path) == counted
            [[(definers, versions)]] = _sql(
                path,
                "SELECT count(*) FILTER (WHERE prosecdef), (SELECT value FROM meta"
                " WHERE key = 'ins_user_counts') FROM pg_proc WHERE proname LIKE 'ins_%_users_%'",
            )
            assert (definers, versions) == (6, "1")
    if _is_url(path):  # TRUNCATE fires no row's trigger: its own empties the counts
        _sql(
            path,
            "TRUNCATE ins_day_user",
            'INSERT INTO ins_day_user SELECT day, "user", count(*), sum(items) FROM ins_thread'
            ' WHERE "user" IS NOT NULL GROUP BY 1, 2',
        )
        assert _counts_kept(path)


def all_ids(path: Path | str) -> list[str]:
    [rows] = _sql(path, "SELECT id FROM threads ORDER BY created_at DESC, id")
    return [str(r[0]) for r in rows]


def test_a_mirror_of_the_old_layout_gets_its_summaries_on_first_use_or_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=12) as server:
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, path)
    expected = brute(path)
    as_version_2(path)
    # --read-only writes nothing: it says what to run
    assert main(["insights", "--db", str(path), "--read-only"]) == 2
    message = capsys.readouterr().err
    assert "made before insights" in message and f"chatkit-tui mirror --db {path}" in message
    # writable: built in place, then the figures
    assert insights(capsys, path) == expected
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    con.close()


def test_a_layout_3_file_gets_its_summaries_keyed_by_user_on_first_writable_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=12) as server:
        mirror_run(capsys, server.base_url, path)
        expected = brute(path)
        as_version_3(path)
        # read-only it cannot be changed: it says what to run
        assert main(["insights", "--db", str(path), "--read-only"]) == 2
        said = capsys.readouterr().err
        assert "before this version's layout" in said and f"chatkit-tui mirror --db {path}" in said
        # the next run upgrades it in place, then keeps the new layout current
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, path)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 4
        columns = [r[1] for r in con.execute("PRAGMA table_info(ins_thread_kv)")]
        assert columns == ["user", "pk", "kind", "key", "created_at", "n"]
        indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert not {"ins_day_user_by_user", "ins_user_by_threads"} & indexes
    finally:
        con.close()
    after = brute(path)
    assert after["threads"] > expected["threads"]
    assert main(["insights", "--db", str(path), "--read-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == after
    assert_matches(capsys, path)  # every filter, the user's too


def test_an_old_layout_file_it_cannot_write_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """On a file and directory it may not write (root too: the reader runs without the
    capabilities that override file modes), insights builds nothing and says what to run."""
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "m.sqlite3"
    with BackgroundServer(seed=4) as server:
        mirror_run(capsys, server.base_url, path)
    as_version_2(path)
    for leftover in directory.glob("m.sqlite3-*"):  # no WAL left behind to replay
        leftover.unlink()
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.chmod(directory, 0o555)
    try:
        assert read_only.write_denied(directory, path) == {"directory", "file"}
        done = read_only.run([sys.executable, "-m", "chatkit_tui", "insights", "--db", str(path)])
        assert done.returncode == 2, done.stderr
        assert "made before insights" in done.stderr and not done.stdout
    finally:
        os.chmod(directory, 0o755)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2  # nothing was built
    con.close()


def test_an_old_layout_file_is_upgraded_by_the_next_mirror_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=10) as server:
        mirror_run(capsys, server.base_url, path)
        as_version_2(path)
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, path)
    assert main(["insights", "--db", str(path), "--read-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == brute(path)


def test_bad_dates_and_files_are_worded_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=3) as server:
        mirror_run(capsys, server.base_url, path)
    for flags in (["--since", "2026-13-01"], ["--until", "yesterday"], ["--since", "-3d"]):
        with pytest.raises(SystemExit) as exit_:
            main(["insights", "--db", str(path), *flags])
        assert exit_.value.code == 2
        said = capsys.readouterr().err
        assert f"error: argument {flags[0]}: " in said and "Traceback" not in said
    assert (
        main(["insights", "--db", str(path), "--since", "2026-11-02", "--until", "2026-11-01"]) == 2
    )
    assert "is not before --until" in capsys.readouterr().err
    assert main(["insights", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert "no mirror at" in capsys.readouterr().err
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    assert main(["insights", "--db", str(other)]) == 2
    assert "is not a chatkit-tui mirror" in capsys.readouterr().err
    assert main(["insights", "--mirror", str(path), "--demo"]) == 2
    assert "--demo does not go with insights" in capsys.readouterr().err
    assert main(["insights", "--mirror", str(path), "--json"]) == 0  # --mirror PATH is --db
    assert json.loads(capsys.readouterr().out)["threads"] == 3


def test_the_text_summary_shows_api_text_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=2) as server:
        server.store.insert_thread_rows(
            [
                (
                    "cthr_t_evil",
                    ODD_AT,
                    "u\x1b[31mred",
                    "\x1b]0;owned\x07 title\u202e",
                    "active",
                    None,
                )
            ]
        )
        server.store.insert_item_rows(
            [
                _item(
                    "cthr_t_evil",
                    0,
                    ODD_AT + 1,
                    "chatkit.client_tool_call",
                    name="t\x1b[2J",
                    call_id="c",
                    arguments="{}",
                    status="pending",
                )
            ]
        )
        mirror_run(capsys, server.base_url, path)
    assert main(["insights", "--db", str(path)]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "u\\x1b[31mred" in text and "t\\x1b[2J" in text and "\\u202e" in text
    pending = text.split("client tool calls pending: ", 1)[1].split("tasks or workflows", 1)[0]
    assert "cthr_t_evil" in pending  # listed, its user escaped


def test_a_damaged_summary_page_is_the_damaged_mirror_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=20) as server:
        mirror_run(capsys, server.base_url, path)
    con = sqlite3.connect(path)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ins_day'").fetchone()[0]
    con.close()
    damage_pages(path, [root])  # the day totals every section reads (one page here)
    assert main(["insights", "--db", str(path)]) == 9
    message = capsys.readouterr().err
    assert "damaged" in message and "mirror --check" in message
