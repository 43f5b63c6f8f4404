"""One writer per mirror, and a file that cannot hold an item twice: real
``python -m chatkit_tui mirror`` processes on one file against one local server (a second
is refused with exit 10 naming the first, ``--wait`` waits, a writer killed with SIGKILL
holds nothing), a version-1 file holding items twice repaired by the next run, and the
mirror command's refusals: a read-only file or directory (exit 2, nothing touched), no
file left behind when nothing could be written."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import http.server
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorBusyError, MirrorSync, Origin
from chatkit_tui.core.mirror.engines.sqlite import SCHEMA_VERSION
from chatkit_tui.core.mirror.writer_lock import lock_path
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.mirror_file import as_version_1, write_items_twice
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.unit.test_mirror_kill import assert_whole, everything

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock, SIGKILL")
MIRROR = (sys.executable, "-m", "chatkit_tui", "mirror")


def env() -> dict[str, str]:
    """The test's environment (isolated by tests/conftest.py), with a key."""
    return {**os.environ, "OPENAI_API_KEY": "sk-test"}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


class Origin40:
    """The local server with 40 threads, whose items requests wait while :attr:`gate` is
    shut: a run that has started holds the file for as long as the test wants."""

    def __init__(self, server: BackgroundServer) -> None:
        self.server = server
        self.base_url = server.base_url
        self.gate = threading.Event()
        self.gate.set()
        self.expected = everything(server.base_url)
        store = server.store
        real = store.list_items

        def gated(*args: Any, **kwargs: Any) -> Any:
            self.gate.wait(30)
            return real(*args, **kwargs)

        store.list_items = gated  # type: ignore[method-assign]

    def by_id(self) -> dict[str, tuple[Any, list[Any]]]:
        return {thread["id"]: (thread, items) for thread, items in self.expected}

    def items(self) -> int:
        return sum(len(items) for _, items in self.expected)


@pytest.fixture
def origin() -> Iterator[Origin40]:
    with BackgroundServer(seed=40) as server:
        origin = Origin40(server)
        try:
            yield origin
        finally:
            origin.gate.set()


def mirror_process(base_url: str, db: Path, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(*MIRROR, "--base-url", base_url),
            *("--db", str(db), "--json", *flags),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )


def holding(origin: Origin40, db: Path) -> subprocess.Popen[str]:
    """A run that holds the file (it has said ``start``, which it says once it does) and
    waits for its first items until the gate opens."""
    origin.gate.clear()
    process = mirror_process(origin.base_url, db)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert json.loads(first)["event"] == "start", first
    return process


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out, err


def item_rows(db: Path) -> tuple[int, int]:
    """Item rows with an id, and distinct (thread, id) among them."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT thread_id || ' ' || id) FROM items"
            " WHERE id IS NOT NULL"
        )
        total, distinct = rows.fetchone()
        return int(total), int(distinct)
    finally:
        con.close()


# --- one writer ---------------------------------------------------------------------------------


def test_a_second_run_on_the_same_file_is_refused_with_exit_10_naming_the_first(
    tmp_path: Path, origin: Origin40
):
    db = tmp_path / "mirror.sqlite3"
    first = holding(origin, db)
    second = mirror_process(origin.base_url, db)
    out, err = second.communicate(timeout=30)
    assert second.returncode == 10, err
    assert f"pid {first.pid} on {socket.gethostname()}, since " in err and " UTC)" in err
    assert "--wait" in err and out == "" and "Traceback" not in err
    assert first.poll() is None  # refused at once, while the first still writes
    # anything else that opens it for writing is refused too; readers are not held up
    with pytest.raises(MirrorBusyError) as info:
        Mirror.open(db, origin=Origin(origin.base_url))
    assert info.value.holder is not None and info.value.holder.pid == first.pid
    with Mirror.open(db, read_only=True) as mirror:
        assert mirror.info().origin.base_url == origin.base_url
    assert main(["search", "--db", str(db), "anything", "--json"]) == 0
    origin.gate.set()
    finish(first)
    assert assert_whole(db, origin.by_id()) == 40
    total, distinct = item_rows(db)
    assert total == distinct == origin.items()
    with BackgroundServer(db=db) as served:
        assert everything(served.base_url) == origin.expected
    assert not lock_path(db).exists()  # the holder took its lock file away


def test_wait_waits_for_the_holder_and_then_runs(tmp_path: Path, origin: Origin40):
    db = tmp_path / "mirror.sqlite3"
    first = holding(origin, db)
    waiting = mirror_process(origin.base_url, db, "--wait")
    assert waiting.stderr is not None
    said = waiting.stderr.readline()
    assert f"waiting for pid {first.pid} on {socket.gethostname()}, since " in said
    assert f"which is writing the mirror {db}" in said
    time.sleep(0.5)
    assert first.poll() is None and waiting.poll() is None
    origin.gate.set()
    finish(first)
    out, err = finish(waiting)
    events = [json.loads(line) for line in out.splitlines()]
    summary = events[-1]
    assert summary["complete"] and (summary["new"], summary["unchanged"]) == (0, 40)
    assert "waiting" not in err  # said once
    assert assert_whole(db, origin.by_id()) == 40
    total, distinct = item_rows(db)
    assert total == distinct


def test_ctrl_c_while_waiting_exits_130_with_one_line(tmp_path: Path, origin: Origin40):
    db = tmp_path / "mirror.sqlite3"
    first = holding(origin, db)
    waiting = mirror_process(origin.base_url, db, "--wait")
    assert waiting.stderr is not None
    assert "waiting for" in waiting.stderr.readline()
    waiting.send_signal(signal.SIGINT)
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 130, err
    assert out == ""  # no start: it never held the file
    assert err.count("interrupted") == 1 and "nothing was written" in err, err
    assert "Traceback" not in err
    assert first.poll() is None
    origin.gate.set()
    finish(first)
    assert assert_whole(db, origin.by_id()) == 40


def test_a_writer_killed_with_sigkill_holds_nothing(tmp_path: Path, origin: Origin40):
    db = tmp_path / "mirror.sqlite3"
    killed = holding(origin, db)
    time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    # its lock file stays behind, naming it; the lock itself went with the process
    assert json.loads(lock_path(db).read_bytes())["pid"] == killed.pid
    origin.gate.set()
    out, _ = finish(mirror_process(origin.base_url, db))
    assert json.loads(out.splitlines()[-1])["complete"]
    assert assert_whole(db, origin.by_id()) == 40


def test_in_one_process_a_second_writable_open_is_refused_until_the_first_closes(
    tmp_path: Path,
):
    db = tmp_path / "m.sqlite3"
    origin = Origin("http://x/v1")
    mirror = Mirror.open(db, create=True, origin=origin)
    with pytest.raises(MirrorBusyError, match=rf"pid {os.getpid()} on .* UTC"):
        Mirror.open(db, origin=origin)
    assert oct(lock_path(db).stat().st_mode & 0o777) == "0o600"
    with Mirror.open(db, read_only=True) as reader:
        assert reader.info().threads == 0
    other_name = tmp_path / "link.sqlite3"
    other_name.symlink_to(db)
    with pytest.raises(MirrorBusyError):  # one file under two names is one lock
        Mirror.open(other_name, origin=origin)
    mirror.close()
    assert not lock_path(db).exists()
    Mirror.open(db, origin=origin).close()


# --- no item twice ------------------------------------------------------------------------------


def test_a_version_1_file_holding_items_twice_is_repaired_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    with BackgroundServer(seed=20) as server:
        db, again = tmp_path / "m.sqlite3", tmp_path / "json.sqlite3"
        assert main(["mirror", "--base-url", server.base_url, "--db", str(db)]) == 0
        expected = everything(server.base_url)
        threads = sorted(
            (thread["id"] for thread, items in expected if len(items) > 1), reverse=True
        )[:3]
        as_version_1(db)
        added = write_items_twice(db, threads)
        assert added > 3
        again.write_bytes(db.read_bytes())
        with Mirror.open(db, read_only=True) as mirror:  # readers read version 1
            assert mirror.thread(threads[0]) is not None
        with BackgroundServer(db=db) as served:  # the fault: a thread served with its items twice
            doubled = dict((t["id"], items) for t, items in everything(served.base_url))
        originals = dict((t["id"], items) for t, items in expected)
        assert doubled[threads[0]] == originals[threads[0]] * 2

        run = subprocess.run(
            [*MIRROR, "--base-url", server.base_url, "--db", str(db)],
            capture_output=True,
            text=True,
            env=env(),
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert f"removed {added} duplicate item rows in 3 threads" in run.stderr
        assert "unchanged 20" in run.stdout  # and nothing else was read again

        run = subprocess.run(
            [*MIRROR, "--base-url", server.base_url, "--db", str(again), "--json"],
            capture_output=True,
            text=True,
            env=env(),
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        events = [json.loads(line) for line in run.stdout.splitlines()]
        assert events[0]["event"] == "start" and events[0]["duplicates_removed"] == added
        assert events[-1]["event"] == "summary" and events[-1]["duplicates_removed"] == added

        for path in (db, again):
            con = sqlite3.connect(path)
            try:
                assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
                for thread_id in threads:
                    seqs = [r[0] for r in con.execute(
                        "SELECT seq FROM items WHERE thread_id = ? ORDER BY seq", (thread_id,)
                    )]  # fmt: skip
                    count = con.execute(
                        "SELECT item_count FROM threads WHERE id = ?", (thread_id,)
                    ).fetchone()[0]
                    assert seqs == list(range(len(originals[thread_id]))) and count == len(seqs)
                orphans = con.execute(  # no search row is left without its item
                    "SELECT count(*) FROM search WHERE rowid > 0"
                    " AND rowid NOT IN (SELECT pk FROM items)"
                ).fetchone()[0]
                assert orphans == 0
            finally:
                con.close()
            total, distinct = item_rows(path)
            assert total == distinct
            with BackgroundServer(db=path) as served:
                assert everything(served.base_url) == expected
        # a hit is found once, not once per copy
        capsys.readouterr()
        assert main(["search", "--db", str(db), "the", "--json", "--limit", "1000"]) == 0
        hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        found = [(h["thread_id"], h["item_id"]) for h in hits if h["thread_id"] in threads]
        assert found and len(found) == len(set(found))


def test_a_duplicate_item_row_cannot_be_written_into_a_version_2_file(tmp_path: Path):
    with BackgroundServer(seed=5) as server:
        db = tmp_path / "m.sqlite3"
        assert main(["mirror", "--base-url", server.base_url, "--db", str(db)]) == 0
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        thread_id, item_id, count = con.execute(
            "SELECT thread_id, items.id, item_count FROM items"
            " JOIN threads ON threads.id = thread_id WHERE items.id IS NOT NULL LIMIT 1"
        ).fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            con.execute(
                "INSERT INTO items (thread_id, seq, id, raw) VALUES (?, ?, ?, x'7b7d')",
                (thread_id, count, item_id),
            )
        # items without an id are told apart by their place alone
        for seq in (count, count + 1):
            con.execute(
                "INSERT INTO items (thread_id, seq, id, raw) VALUES (?, ?, NULL, x'7b7d')",
                (thread_id, seq),
            )
    finally:
        con.close()


def test_an_items_page_that_overlaps_what_is_held_writes_nothing_twice(
    scripted_server: ScriptedServer, tmp_path: Path
):
    thread = {"id": "cthr_o", "object": "chatkit.thread", "created_at": 1, "user": "u",
              "title": "t", "status": {"type": "active"}}  # fmt: skip
    item = {"object": "chatkit.thread_item", "type": "chatkit.end_of_turn", "thread_id": "cthr_o"}
    items = [{"id": f"cthi_{n}", **item, "created_at": 10 + n} for n in range(5)]
    held = [3]  # what the origin has so far

    def reply(request: Any) -> Reply:
        if not request.path.endswith("/items"):
            return Reply(body={"object": "list", "data": [thread], "has_more": False,
                               "first_id": "cthr_o", "last_id": "cthr_o"})  # fmt: skip
        after = request.query.get("after", [None])[0]
        data = items[: held[0]]
        if after is not None:  # this origin repeats the item asked to go on from
            data = data[[i["id"] for i in data].index(after) :]
        return Reply(body={"object": "list", "data": data, "has_more": False,
                           "first_id": data[0]["id"], "last_id": data[-1]["id"]})  # fmt: skip

    scripted_server.handler = reply
    db = tmp_path / "m.sqlite3"

    async def run() -> Any:
        async with AsyncChatKit(api_key="k", base_url=scripted_server.base_url) as client:
            with Mirror.open(db, create=True, origin=Origin(scripted_server.base_url)) as m:
                return await MirrorSync(client, m).run()

    first = asyncio.run(run())
    assert first.complete and first.items == 3
    held[0] = 5
    second = asyncio.run(run())  # asks after cthi_2, gets cthi_2 again and two new
    assert second.complete and (second.grown, second.items) == (1, 2)
    third = asyncio.run(run())  # asks after cthi_4, gets cthi_4 alone: nothing new
    assert third.complete and (third.unchanged, third.items) == (1, 0)
    with Mirror.open(db, read_only=True) as mirror:
        assert [json.loads(i.raw) for i in mirror.all_items("cthr_o")] == items
        held_thread = mirror.thread("cthr_o")
        assert held_thread is not None and held_thread.item_count == 5


# --- files that cannot be written, files that would be left empty ---------------------------------


def tree(root: Path) -> dict[str, tuple[int, float, str]]:
    """Every file under ``root``: mode, mtime, content hash."""
    return {
        str(p.relative_to(root)): (
            p.stat().st_mode,
            p.stat().st_mtime,
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "",
        )
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("file", "the file is read-only (permissions r--r--r--, owner "),
        ("directory", "its directory {dir} is read-only (permissions r-xr-xr-x, owner "),
        ("new file", "the directory {dir} is read-only (permissions r-xr-xr-x, owner "),
    ],
)
def test_a_read_only_file_or_directory_is_refused_with_exit_2_and_left_as_it_is(
    case: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Decided from the mode bits, so that it holds for root too (whom the kernel lets
    write anything): a file nobody may write is not written."""
    folder = tmp_path / "mirrors"
    folder.mkdir()
    db = folder / "m.sqlite3"
    with BackgroundServer(seed=3) as server:
        assert main(["mirror", "--base-url", server.base_url, "--db", str(db)]) == 0
        if case == "new file":
            db = folder / "other.sqlite3"
        capsys.readouterr()
        (db if case == "file" else folder).chmod(0o444 if case == "file" else 0o555)
        before = tree(tmp_path)
        try:
            code = main(["mirror", "--base-url", server.base_url, "--db", str(db)])
            after = tree(tmp_path)
        finally:
            folder.chmod(0o700)
            if db.exists():
                db.chmod(0o600)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"cannot write the mirror {db}: {said.format(dir=folder)}" in err
    assert err.count("\n") == 1 and "database" not in err  # one line, not SQLite's words
    assert after == before


def test_no_file_is_left_when_the_first_request_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    from chatkit_tui.client import client as client_module
    from chatkit_tui.client.retries import RetryPolicy
    from chatkit_tui.core.mirror import sync

    # a dead endpoint is retried for seconds; the same retries, quicker
    monkeypatch.setattr(sync, "LIST_RETRY_DELAY", 0.01)
    monkeypatch.setattr(client_module, "RetryPolicy", functools.partial(RetryPolicy, 0.01, 0.02))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # closed again: nothing listens
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    db = tmp_path / "deep" / "er" / "m.sqlite3"
    assert main(["mirror", "--base-url", dead, "--db", str(db)]) == 8
    err = capsys.readouterr().err
    assert "Connection error" in err and f"no mirror was left at {db}" in err
    assert list(tmp_path.iterdir()) == []  # nor the directories made for it

    with BackgroundServer(seed=2, api_key="the-right-key") as server:  # 401: raised
        assert main(["mirror", "--base-url", server.base_url, "--db", str(db)]) == 4
    assert list(tmp_path.iterdir()) == []

    assert main(["mirror", "--base-url", dead, "--db", str(db), "--json"]) == 8
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["kept"] is False and not summary["listing_complete"]
    assert list(tmp_path.iterdir()) == []

    # a file that was there is kept, whatever it holds
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    assert main(["mirror", "--base-url", dead, "--db", str(empty)]) == 8
    assert empty.exists()
    with BackgroundServer(seed=2) as server:
        kept = tmp_path / "kept.sqlite3"
        assert main(["mirror", "--base-url", server.base_url, "--db", str(kept)]) == 0
    capsys.readouterr()
    assert main(["mirror", "--base-url", server.base_url, "--db", str(kept)]) == 8  # gone
    assert "no mirror was left" not in capsys.readouterr().err
    with Mirror.open(kept, read_only=True) as mirror:
        assert mirror.info().threads == 2
    # an empty deployment read to its end is a mirror of it
    with BackgroundServer(seed=0) as server:
        none = tmp_path / "none.sqlite3"
        assert main(["mirror", "--base-url", server.base_url, "--db", str(none)]) == 0
        assert none.exists()


def test_an_endpoint_that_answers_html_leaves_no_file(tmp_path: Path):
    """``python3 -m http.server``'s 404 pages, to a real ``mirror`` process."""
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    try:
        base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        assert httpx.get(base_url + "/chatkit/threads").status_code == 404
        db = tmp_path / "m.sqlite3"
        run = subprocess.run(
            [*MIRROR, "--base-url", base_url, "--db", str(db)],
            capture_output=True,
            text=True,
            env=env(),
            timeout=60,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert run.returncode == 8, run.stderr
    assert f"no mirror was left at {db}" in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []
