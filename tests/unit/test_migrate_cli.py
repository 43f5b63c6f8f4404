"""``chatkit-tui migrate`` as an operator runs it, in process via main([...]): the local
server's hosted threads, mirrored, into a real SQLite chatkit-python Store
(tests/fixtures/stores/sqlite_store.py), each under its user's context; idempotent, a
dry run writes nothing, a thread changed upstream is updated, a half-written one redone,
--verify finds what differs."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.migrate.mapping import HOSTED_USER, MIGRATED
from chatkit_tui.scripting.common import EXIT_AUTH, EXIT_DIFFERS, EXIT_USAGE
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.fixtures.stores import Ctx
from tests.fixtures.stores.sqlite_store import ENV, SQLiteStore

STORE = "tests.fixtures.stores.sqlite_store:make_store"
THREADS = 24


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror of the local server seeded with THREADS threads (made once, read only)."""
    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=THREADS) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite3"
    monkeypatch.setenv(ENV, str(path))
    return path


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def migrate(mirror: Path, report: Path, *extra: str) -> int:
    return main(
        [
            "migrate",
            "--to-store",
            STORE,
            "--from-mirror",
            str(mirror),
            "--report",
            str(report),
            *extra,
        ]
    )


def source_threads(mirror: Path) -> dict[str, Any]:
    db = sqlite3.connect(mirror)
    try:
        return {row[0]: json.loads(row[1]) for row in db.execute("SELECT id, raw FROM threads")}
    finally:
        db.close()


def test_migrates_every_thread_under_its_user_then_a_second_run_writes_nothing(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    report = tmp_path / "r.jsonl"
    assert migrate(mirror, report) == 0
    first = capsys.readouterr().out
    assert f"{THREADS} new, 0 updated, 0 unchanged, 0 failed" in first
    store = SQLiteStore(str(store_path))
    source = source_threads(mirror)
    import asyncio

    for thread_id, raw in source.items():
        stored = asyncio.run(store.load_thread(thread_id, Ctx(raw["user"])))
        assert stored.title == raw["title"] and stored.metadata[HOSTED_USER] == raw["user"]
        assert stored.metadata[MIGRATED]
        other = next(u for u in {t["user"] for t in source.values()} if u != raw["user"])
        with pytest.raises(Exception, match="not found"):
            asyncio.run(store.load_thread(thread_id, Ctx(other)))
    rows = store.rows()
    records = lines(report.read_text())
    assert records[0]["record"] == "run" and records[-1]["record"] == "end"
    threads = [r for r in records if r["record"] == "thread"]
    assert len(threads) == THREADS and {r["outcome"] for r in threads} == {"new"}
    assert sum(r["items"] for r in threads) == len([r for r in rows if r[0] == "items"])

    assert migrate(mirror, tmp_path / "r2.jsonl", "--json") == 0
    second = lines(capsys.readouterr().out)
    assert {r["outcome"] for r in second if r["record"] == "thread"} == {"unchanged"}
    assert second[-1]["writes"] == 0
    assert store.rows() == rows
    assert migrate(mirror, tmp_path / "r3.jsonl") == 0
    assert "nothing written" in capsys.readouterr().out
    assert migrate(mirror, tmp_path / "v.jsonl", "--verify") == 0
    assert f"{THREADS} agree, 0 differ" in capsys.readouterr().out


def test_dry_run_converts_everything_and_writes_nothing(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert migrate(mirror, tmp_path / "r.jsonl", "--dry-run", "--json") == 0
    records = lines(capsys.readouterr().out)
    assert {r["outcome"] for r in records if r["record"] == "thread"} == {"new"}
    assert records[-1]["writes"] == 0
    assert SQLiteStore(str(store_path)).rows() == []


def test_a_dry_run_over_a_migrated_store_says_unchanged_not_new(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A dry run after a real run says what a real run would do: nothing (every thread
    unchanged), not every thread new; the Store's listing shows each one's mark."""
    assert migrate(mirror, tmp_path / "r.jsonl") == 0
    capsys.readouterr()
    rows = SQLiteStore(str(store_path)).rows()
    assert migrate(mirror, tmp_path / "d.jsonl", "--dry-run", "--json") == 0
    records = lines(capsys.readouterr().out)
    assert {r["outcome"] for r in records if r["record"] == "thread"} == {"unchanged"}
    assert records[-1]["writes"] == 0
    assert SQLiteStore(str(store_path)).rows() == rows


def test_a_thread_changed_upstream_is_updated_and_a_half_written_one_redone(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    changed = tmp_path / "changed.sqlite3"
    changed.write_bytes(mirror.read_bytes())
    assert migrate(changed, tmp_path / "r.jsonl") == 0
    db = sqlite3.connect(changed)
    item_id, first_id, item_raw = db.execute(
        "SELECT id, thread_id, raw FROM items WHERE CAST(raw AS TEXT) LIKE '%input_text%' LIMIT 1"
    ).fetchone()
    raw = db.execute("SELECT raw FROM threads WHERE id = ?", (first_id,)).fetchone()[0]
    body = json.loads(raw)
    body["title"] = "Renamed upstream"
    message = json.loads(item_raw)
    message["content"] = [{"type": "input_text", "text": "Edited upstream"}]
    with db:
        db.execute("UPDATE threads SET raw = ? WHERE id = ?", (json.dumps(body).encode(), first_id))
        db.execute("UPDATE items SET raw = ? WHERE id = ?", (json.dumps(message).encode(), item_id))
    db.close()
    # a run killed half-way: a thread saved without its mark, one of its items missing
    store = sqlite3.connect(store_path)
    second_id, data = store.execute(
        "SELECT id, data FROM threads WHERE id != ? ORDER BY id LIMIT 1", (first_id,)
    ).fetchone()
    thread = json.loads(data)
    del thread["thread"]["metadata"][MIGRATED]
    with store:
        store.execute("UPDATE threads SET data = ? WHERE id = ?", (json.dumps(thread), second_id))
        store.execute(
            "DELETE FROM items WHERE id = (SELECT id FROM items WHERE thread_id = ? LIMIT 1)",
            (second_id,),
        )
    store.close()
    capsys.readouterr()
    assert migrate(changed, tmp_path / "v0.jsonl", "--verify", "--json") == EXIT_DIFFERS
    differs = {r["id"]: r for r in lines(capsys.readouterr().out) if r.get("outcome") == "differs"}
    assert set(differs) == {first_id, second_id}
    assert "1 items missing" in differs[second_id]["reason"]
    # each reason says what differs: the source changed since; a run stopped half-way
    assert differs[first_id]["reason"].startswith(
        "marked as migrated from other source records: the source changed since"
    )
    assert differs[second_id]["reason"].startswith(
        "not marked as migrated: a run stopped before it finished this thread"
    )
    assert migrate(changed, tmp_path / "r2.jsonl", "--json") == 0
    records = {r["id"]: r for r in lines(capsys.readouterr().out) if r["record"] == "thread"}
    assert records[first_id]["outcome"] == "updated" and records[second_id]["outcome"] == "updated"
    assert records[second_id]["writes"] == 3  # unmarked save, the missing item, the mark
    assert sum(r["outcome"] == "unchanged" for r in records.values()) == THREADS - 2
    assert migrate(changed, tmp_path / "v.jsonl", "--verify") == 0
    stored = (
        SQLiteStore(str(store_path))
        .conn.execute("SELECT data FROM items WHERE id = ?", (item_id,))
        .fetchone()[0]
    )
    assert "Edited upstream" in stored


def test_flags_that_cannot_act_are_refused_with_the_reason(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = main(["migrate", "--to-store", STORE, "--chatkit-url", "http://127.0.0.1:9/chatkit"])
    assert code == EXIT_USAGE
    assert "--chatkit-url does not go with migrate" in capsys.readouterr().err
    assert migrate(mirror, tmp_path / "r.jsonl", "--read-only") == EXIT_USAGE
    assert (
        "refusing to write the Store (--dry-run and --verify write nothing): --read-only"
        in capsys.readouterr().err
    )
    assert migrate(mirror, tmp_path / "r.jsonl", "--read-only", "--dry-run") == 0
    assert (
        main(
            [
                "migrate",
                "--to-store",
                "nosuchmodule:make",
                "--from-mirror",
                str(mirror),
                "--report",
                str(tmp_path / "r.jsonl"),
            ]
        )
        == EXIT_USAGE
    )
    assert "--to-store 'nosuchmodule:make': no module" in capsys.readouterr().err
    assert SQLiteStore(str(store_path)).rows() == []


def test_a_source_that_fails_mid_listing_keeps_what_was_done_and_says_so(
    scripted_server: ScriptedServer,
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """The hosted API answers the first page of threads, then 403: the two threads read are
    migrated and reported, the report ends with the error, the exit code is the API's."""
    threads = [
        {"id": f"cthr_{n}", "object": "chatkit.thread", "created_at": 1_800_000_000 - n,
         "title": f"T{n}", "status": {"type": "active"}, "user": "u_1"}
        for n in (1, 2)
    ]  # fmt: skip
    page = {"object": "list", "data": threads, "first_id": "cthr_1", "last_id": "cthr_2",
            "has_more": True}  # fmt: skip
    empty = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    denied = {"error": {"message": "no", "type": "invalid_request_error", "param": None,
                        "code": None}}  # fmt: skip

    def answer(request: Recorded) -> Reply:
        if request.path == "/v1/chatkit/threads":
            return Reply(403, denied) if "after" in request.query else Reply(200, page)
        return Reply(200, empty)

    scripted_server.handler = answer
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    report = tmp_path / "r.jsonl"
    code = main(["migrate", "--to-store", STORE, "--base-url", scripted_server.base_url,
                 "--report", str(report)])  # fmt: skip
    assert code == EXIT_AUTH, capsys.readouterr().err
    records = lines(report.read_text())
    assert [r["outcome"] for r in records if r["record"] == "thread"] == ["new", "new"]
    assert records[-1]["record"] == "end" and "403" in records[-1]["error"]
    stored = {row[1] for row in SQLiteStore(str(store_path)).rows() if row[0] == "threads"}
    assert stored == {"u_1/cthr_1", "u_1/cthr_2"}


def _run_on(tmp_path: Path, mirror: Path, store_path: Path, *, terminal: bool) -> bytes:
    """The real command in a child process, its stdout and stderr on a pseudo-terminal (or
    stderr on a pipe): everything the operator would see, in order."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        ENV: str(store_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    command = [
        sys.executable,
        "-m",
        "chatkit_tui",
        "migrate",
        "--to-store",
        STORE,
        "--from-mirror",
        str(mirror),
        "--report",
        str(tmp_path / f"r{terminal}.jsonl"),
    ]
    if not terminal:
        done = subprocess.run(command, env=env, capture_output=True, timeout=100)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr
    master, slave = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    try:
        proc = subprocess.Popen(command, stdout=slave, stderr=slave, env=env)
        reader.start()
        assert proc.wait(timeout=100) == 0, bytes(seen)
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return bytes(seen)


BAR = re.compile(rb"\[[#.]{10,}\]  (\d+)/(\d+) threads  [\d,]+ items")


def test_on_a_terminal_a_bar_of_the_total_then_the_summary(
    mirror: Path, store_path: Path, tmp_path: Path
):
    seen = _run_on(tmp_path, mirror, store_path, terminal=True)
    bars = BAR.findall(seen)
    assert bars, seen
    assert {total for _, total in bars} == {str(THREADS).encode()}  # the mirror's count
    assert b"ETA" in seen
    # the bar is cleared, then the summary and the report's path, each on its own line
    tail = seen[seen.rindex(b"\r\x1b[K") + len(b"\r\x1b[K") :].decode()
    assert not BAR.search(tail.encode())
    summary = [line for line in tail.splitlines() if line.startswith(f"{THREADS} threads (")]
    assert len(summary) == 1 and f"{THREADS} new" in summary[0]
    assert tail.splitlines()[-1].startswith("report: ")


def test_without_a_terminal_no_bar_is_drawn(mirror: Path, store_path: Path, tmp_path: Path):
    seen = _run_on(tmp_path, mirror, store_path, terminal=False)
    assert not BAR.search(seen) and b"\r" not in seen and b"\x1b" not in seen
    assert f"{THREADS} new".encode() in seen


class _Counted(SQLiteStore):
    """The SQLite Store, its reads counted; ``hide``: its listing shows none of its threads
    (a Store whose whole-deployment listing misses some)."""

    def __init__(self, path: str, *, hide: bool = False) -> None:
        super().__init__(path)
        self.hide = hide
        self.loads = 0
        self.listings = 0

    async def load_thread(self, thread_id: str, context: Ctx) -> Any:
        self.loads += 1
        base: Any = super()
        return await base.load_thread(thread_id, context)

    async def load_threads(self, limit: int, after: str | None, order: str, context: Ctx) -> Any:
        self.listings += 1
        base: Any = super()
        page: Any = await base.load_threads(limit, after, order, context)
        return page.model_copy(update={"data": [], "has_more": False}) if self.hide else page


def _migrate_in_process(mirror: Path, store: SQLiteStore) -> Any:
    import asyncio

    from chatkit_tui.core.migrate.run import Migration
    from chatkit_tui.core.migrate.source import MirrorSource
    from chatkit_tui.core.mirror import Mirror

    class Target:
        def __init__(self) -> None:
            self.store = store

        async def context(self, user: str | None) -> Ctx:
            return Ctx(user)

    async def run() -> Any:
        with Mirror.open(mirror, read_only=True) as m:
            return await Migration(MirrorSource(m), Target()).run(lambda r: None)

    return asyncio.run(run())


def test_from_a_mirror_the_store_is_listed_once_not_asked_thread_by_thread(
    mirror: Path, tmp_path: Path
):
    store = _Counted(str(tmp_path / "s.sqlite3"))
    first = _migrate_in_process(mirror, store)
    assert first.count("new") == THREADS and store.loads == 0 and store.listings == 1
    second = _migrate_in_process(mirror, store)
    assert second.count("unchanged") == THREADS and second.writes == 0
    assert store.loads == 0


def test_a_thread_the_stores_listing_misses_is_still_found_and_completed(
    mirror: Path, tmp_path: Path
):
    store = _Counted(str(tmp_path / "s.sqlite3"))
    assert _migrate_in_process(mirror, store).count("new") == THREADS
    rows = store.rows()
    # half-written: one thread unmarked, one of its items gone; then a listing that hides it
    thread_id, data = store.conn.execute("SELECT id, data FROM threads LIMIT 1").fetchone()
    thread = json.loads(data)
    del thread["thread"]["metadata"][MIGRATED]
    store.conn.execute("UPDATE threads SET data = ? WHERE id = ?", (json.dumps(thread), thread_id))
    store.conn.execute(
        "DELETE FROM items WHERE id = (SELECT id FROM items WHERE thread_id = ? LIMIT 1)",
        (thread_id,),
    )
    store.hide = True
    again = _migrate_in_process(mirror, store)
    assert again.count("failed") == 0, again.counts
    # none listed: each written as new; one with items fails at its first (there already), is
    # read, and is updated; the half-written one is completed
    empty = store.conn.execute(
        "SELECT COUNT(*) FROM threads WHERE id NOT IN (SELECT thread_id FROM items)"
    ).fetchone()[0]
    assert again.count("updated") == THREADS - empty and again.count("new") == empty
    assert store.rows() == rows


class _RefusesWidgets(SQLiteStore):
    """The SQLite Store, refusing every widget item as a Store of the operator's might
    (a column too small, a constraint)."""

    async def add_thread_item(self, thread_id: str, item: Any, context: Ctx) -> None:
        if item.type == "widget":
            raise ValueError("value too long for type character varying(2000)")
        base: Any = super()
        await base.add_thread_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: Any, context: Ctx) -> None:
        if item.type == "widget":
            raise ValueError("value too long for type character varying(2000)")
        base: Any = super()
        await base.save_item(thread_id, item, context)


def make_refusing_store() -> tuple[SQLiteStore, Any]:
    """``--to-store tests.unit.test_migrate_cli:make_refusing_store``."""
    import os

    from tests.fixtures.stores.sqlite_store import context_for

    return _RefusesWidgets(os.environ[ENV]), context_for


def test_a_failed_thread_names_the_item_the_store_refused(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The Store raises on one item: the report and the terminal name the call, the item's
    id and its type, not only the exception."""
    widgets: dict[str, str] = {}  # thread -> its first widget item's id
    db = sqlite3.connect(mirror)
    try:
        for thread_id, item_id, raw in db.execute(
            "SELECT thread_id, id, raw FROM items ORDER BY seq"
        ):
            if json.loads(raw)["type"] in ("chatkit.widget", "widget"):
                widgets.setdefault(thread_id, item_id)
    finally:
        db.close()
    assert widgets, "the seed has widgets"
    report = tmp_path / "r.jsonl"
    code = main(
        ["migrate", "--to-store", "tests.unit.test_migrate_cli:make_refusing_store",
         "--from-mirror", str(mirror), "--report", str(report)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 8, err
    failed = {
        r["id"]: r["reason"] for r in lines(report.read_text()) if r.get("outcome") == "failed"
    }
    assert set(failed) == set(widgets), failed
    for thread_id, reason in failed.items():
        item = widgets[thread_id]
        assert f"item {item} (type widget)" in reason, reason
        assert "add_thread_item" in reason or "save_item" in reason, reason
        assert "value too long" in reason, reason
        assert f"failed: {thread_id}: " in err and f"item {item} (type widget)" in err, err


def test_from_the_live_api_the_bar_counts_what_was_read_with_a_plus():
    import io
    import time
    from types import SimpleNamespace

    from chatkit_tui.core.migrate.run import Summary, ThreadResult
    from chatkit_tui.scripting.migrate import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    migration: Any = SimpleNamespace(total=None, read=200, read_all=False)
    summary = Summary()
    for n in range(3):
        summary.add(ThreadResult(f"t{n}", None, 4, "new"))
    Progress(stream, migration).update(summary, time.monotonic() - 1, force=True)
    shown = stream.getvalue()
    assert "3/200+ threads  12 items" in shown and "ETA" not in shown  # no total: no ETA
    migration.read_all = True
    Progress(stream, migration).update(summary, time.monotonic() - 1, force=True)
    assert "3/200 threads" in stream.getvalue()


# --- a chatkit-python Store's mirror (records already in chatkit-python's shape) ------------


@pytest.fixture(scope="module")
def store_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror of the sample chatkit-python Store (``--store``): its records hold what
    the Store holds, attachments' ``thread_id`` and ``metadata`` too."""
    from tests.fixtures import own_store

    own_store.fresh()
    path = tmp_path_factory.mktemp("store-mirror") / "mirror.sqlite3"
    assert (
        main(["mirror", "--db", str(path), "--store", "tests.fixtures.own_store:make_store"]) == 0
    )
    return path


PHOTO_MESSAGE, PHOTO_THREAD = "msg_d9ae169b", "thr_4fef3015"


def stored_item(store_path: Path, item_id: str) -> dict[str, Any]:
    db = sqlite3.connect(store_path)
    try:
        return json.loads(
            db.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()[0]
        )
    finally:
        db.close()


def test_a_chatkit_python_stores_mirror_migrates_with_nothing_lost(
    store_mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    report = tmp_path / "r.jsonl"
    assert migrate(store_mirror, report) == 0
    (photo,) = stored_item(store_path, PHOTO_MESSAGE)["item"]["attachments"]
    assert photo["thread_id"] == PHOTO_THREAD
    assert photo["metadata"] == {"storage_key": "s3://uploads/cracked-jar.jpg"}
    threads = [r for r in lines(report.read_text()) if r["record"] == "thread"]
    assert all(r["approximations"] == [] for r in threads)
    store = SQLiteStore(str(store_path))
    import asyncio

    thread = asyncio.run(store.load_thread(PHOTO_THREAD, Ctx(None)))
    # threads.get_by_id's page of items is no thread field; no user: no hosted_user
    assert set(thread.metadata) == {"channel", "rank", MIGRATED}
    assert migrate(store_mirror, tmp_path / "v.jsonl", "--verify") == 0


def test_verify_compares_with_the_source_so_a_lossy_mapping_cannot_verify_clean(
    store_mirror: Path,
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """A mapping that loses a field without saying so (as one did: attachments' metadata)
    writes the Store and verifies it with the same loss: --verify must still find it."""
    from chatkit_tui.core.migrate import mapping

    keep = mapping._attachment

    def loses_metadata(*args: Any) -> Any:
        out = keep(*args)
        if out is not None:
            out.pop("metadata", None)
        return out

    def says_nothing(*args: Any) -> None:
        return None

    monkeypatch.setattr(mapping, "_attachment", loses_metadata)
    monkeypatch.setattr(mapping, "_audit", says_nothing, raising=False)
    assert migrate(store_mirror, tmp_path / "r.jsonl") == 0
    assert stored_item(store_path, PHOTO_MESSAGE)["item"]["attachments"][0]["metadata"] is None
    capsys.readouterr()
    assert migrate(store_mirror, tmp_path / "v.jsonl", "--verify", "--json") == EXIT_DIFFERS
    differs = {r["id"]: r for r in lines(capsys.readouterr().out) if r.get("outcome") == "differs"}
    assert f"(first {PHOTO_MESSAGE}: attachments[0].metadata)" in differs[PHOTO_THREAD]["reason"]


# --- what a new user runs into ---------------------------------------------------------------


def test_no_api_key_is_worded_for_migrate(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Not connect's words (--chatkit-url, --store: both refused by migrate); before the
    Store's factory runs or the report is made."""
    report = tmp_path / "r.jsonl"
    assert main(["migrate", "--to-store", STORE, "--report", str(report)]) == EXIT_AUTH
    said = capsys.readouterr().err
    assert "no API key: migrate reads a hosted deployment" in said
    assert "--from-mirror PATH" in said and "--chatkit-url" not in said and "--store" not in said
    assert not store_path.exists() and not report.exists()


def test_a_report_that_is_a_directory_is_refused_before_anything_is_done(
    mirror: Path, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert migrate(mirror, tmp_path) == EXIT_USAGE
    said = capsys.readouterr().err
    assert f"--report {tmp_path} is a directory: name the file to write" in said
    assert "IsADirectoryError" not in said and not store_path.exists()


def test_the_demo_says_it_is_seeded_anew_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = main(["migrate", "--demo", "--to-store", "nosuchmodule:make", "--report",
                 str(tmp_path / "r.jsonl")])  # fmt: skip
    assert code == EXIT_USAGE
    said = capsys.readouterr().err
    assert "the demo is seeded anew for each run" in said
    assert said.index("seeded anew") < said.index("nosuchmodule")
