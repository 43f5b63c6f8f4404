"""A damaged mirror is found and said, everywhere it is read, and ``mirror --full``
repairs it.

A real mirror of the local server (60 threads, one of 2,400 items), closed, then three
leaf pages of its ``items`` b-tree overwritten with 4 KiB of random bytes each
(:mod:`tests.fixtures.damage`: found by walking the b-tree, so the threads whose rows
were on them are known before anything reads the damaged file). Then: ``mirror --check``
names exactly those threads and exits 9; ``search`` exits 9 with "the mirror is damaged";
``serve --db`` answers their items with a ``mirror_damaged`` 500 that is not retried and
serves the rest; an incremental ``mirror`` writes nothing and exits 9; ``mirror --full``
keeps the damaged file, re-fetches what was damaged, and leaves a file equal to a fresh
mirror, which ``--check`` finds clean.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.errors import make_status_error
from chatkit_tui.core.errors import describe
from chatkit_tui.core.mirror import Mirror, MirrorDamaged, MirrorSync, Origin
from chatkit_tui.core.mirror.extract import item_text
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.damage import damage_pages, leaf_pages, rowids_on, spread
from tests.server.helpers import api, assert_error


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def make_mirror(origin: BackgroundServer, path: Path) -> None:
    async def go() -> None:
        async with AsyncChatKit(api_key="k", base_url=origin.base_url) as client:
            with Mirror.open(path, create=True, origin=Origin(origin.base_url)) as mirror:
                assert (await MirrorSync(client, mirror).run()).complete

    asyncio.run(go())


@pytest.fixture(scope="module")
def origin() -> Iterator[BackgroundServer]:
    with BackgroundServer(seed=60) as server:
        yield server


@pytest.fixture(scope="module")
def clean(origin: BackgroundServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clean") / "mirror.sqlite3"
    make_mirror(origin, path)
    return path


class Damaged:
    """A copy of the clean mirror with three pages of items overwritten."""

    def __init__(self, clean: Path, path: Path) -> None:
        shutil.copyfile(clean, path)
        self.path = path
        self.pages = spread(leaf_pages(path, "items"))
        rowids = [r for page in self.pages for r in rowids_on(path, page)]
        db = sqlite3.connect(clean)
        try:
            marks = ", ".join("?" * len(rowids))
            rows = db.execute(
                f"SELECT thread_id, raw FROM items WHERE pk IN ({marks})",
                rowids,
            ).fetchall()
        finally:
            db.close()
        self.threads = {str(r[0]) for r in rows}
        """The threads with an item on a damaged page."""
        self.texts = [t for r in rows if (t := item_text(bytes(r[1])))]
        assert len(rowids) > 10 and self.threads and self.texts
        damage_pages(path, self.pages)


@pytest.fixture
def damaged(clean: Path, tmp_path: Path) -> Damaged:
    return Damaged(clean, tmp_path / "damaged.sqlite3")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_check_names_exactly_the_damaged_threads_and_exits_9(
    damaged: Damaged, clean: Path, capsys: pytest.CaptureFixture[str]
):
    before = sha(damaged.path)
    assert main(["mirror", "--check", "--db", str(damaged.path)]) == 9
    out = capsys.readouterr().out
    assert out.startswith(f"the mirror is damaged: {damaged.path}\n")
    assert f"{len(damaged.threads)} thread" in out
    for thread_id in damaged.threads:
        assert f"    {thread_id}  its items cannot be read" in out
    assert f"chatkit-tui mirror --full --db {damaged.path} repairs it" in out

    assert main(["mirror", "--check", "--db", str(damaged.path), "--json"]) == 9
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] is False and report["tables"] == ["items"]
    assert {d["id"] for d in report["damaged"]} == damaged.threads
    assert report["search_index"] is None  # its pages were not touched
    assert sha(damaged.path) == before  # a check changes nothing

    assert main(["mirror", "--check", "--db", str(clean)]) == 0
    assert "no damage found" in capsys.readouterr().out
    assert main(["mirror", "--check", "--db", str(clean), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] and report["damaged"] == [] and report["threads"] == 60


def test_check_finds_a_record_whose_json_no_longer_parses(
    clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Damage SQLite cannot see (the b-tree sound, the bytes of one item changed)."""
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(clean, path)
    db = sqlite3.connect(path)
    with db:
        thread_id, seq = db.execute("SELECT thread_id, seq FROM items LIMIT 1 OFFSET 99").fetchone()
        db.execute(
            "UPDATE items SET raw = substr(raw, 1, length(raw) - 2)"
            " WHERE thread_id = ? AND seq = ?",
            (thread_id, seq),
        )
    db.close()
    assert main(["mirror", "--check", "--db", str(path), "--json"]) == 9
    report = json.loads(capsys.readouterr().out)
    assert report["damaged"] == [{"id": thread_id, "reason": f"item {seq}'s JSON does not parse"}]
    assert report["sqlite"] == [] and report["tables"] == []


def test_a_damaged_search_index_is_found_by_its_own_check(
    clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(clean, path)
    db = sqlite3.connect(path)
    with db:  # the index's text changed under it: FTS5's check sees the index disagree
        db.execute("UPDATE search_content SET c0 = 'words that were never indexed' WHERE id = 5")
    db.close()
    assert main(["mirror", "--check", "--db", str(path), "--json"]) == 9
    report = json.loads(capsys.readouterr().out)
    assert report["search_index"].startswith("it does not match the text it holds")
    assert report["damaged"] == []


def test_search_over_a_damaged_page_exits_9_with_what_to_do(
    damaged: Damaged, capsys: pytest.CaptureFixture[str]
):
    word = max(re.findall(r"[A-Za-z]{4,}", " ".join(damaged.texts)), key=len)
    argv = ["search", "--db", str(damaged.path), word, "--limit", "100000"]
    assert main(argv) == 9
    err = capsys.readouterr().err
    assert "the mirror is damaged" in err and "database disk image is malformed" in err
    assert f"chatkit-tui mirror --check --db {damaged.path}" in err
    assert f"chatkit-tui mirror --full --db {damaged.path} re-fetches" in err


def test_serve_answers_a_damaged_thread_with_mirror_damaged_and_serves_the_rest(
    damaged: Damaged, origin: BackgroundServer
):
    bad = sorted(damaged.threads)[0]
    with BackgroundServer(db=damaged.path) as served, api(served) as client, api(origin) as real:
        response = first_failure(client, f"/chatkit/threads/{bad}/items")
        error = assert_error(response, 500, code="mirror_damaged")
        assert error["type"] == "mirror_damaged"
        assert error["message"].startswith(f"the mirror is damaged: {damaged.path}")
        assert response.headers["x-should-retry"] == "false"
        threads = real.get("/chatkit/threads", params={"limit": 100}).json()["data"]
        good = next(t["id"] for t in threads if t["id"] not in damaged.threads)
        path = f"/chatkit/threads/{good}/items"
        assert client.get(path).content == real.get(path).content
        assert client.get("/chatkit/threads").status_code == 200


def first_failure(client: httpx.Client, path: str) -> httpx.Response:
    """The first page of items (100 a time) that is not a 200 (the damaged page's)."""
    params: dict[str, Any] = {"limit": 100, "order": "asc"}
    while True:
        response = client.get(path, params=params)
        if response.status_code != 200:
            return response
        page = response.json()
        assert page["has_more"], "every page was read: no damage met"
        params["after"] = page["last_id"]


def test_the_client_shows_the_served_message_not_server_error(damaged: Damaged):
    bad = sorted(damaged.threads)[0]

    async def go() -> BaseException:
        with BackgroundServer(db=damaged.path) as served:
            async with AsyncChatKit(api_key="k", base_url=served.base_url) as client:
                try:
                    async for _ in client.threads.list_items(bad, limit=100, order="asc"):
                        pass
                except Exception as exc:
                    return exc
        raise AssertionError("no error")

    text = describe(asyncio.run(go()))
    assert text.startswith(f"the mirror is damaged: {damaged.path}")
    assert "500" not in text and "Server error" not in text
    other = make_status_error(500, b'{"error": {"message": "boom"}}', request_id=None)
    assert describe(other).startswith("500 Server error: boom")


def test_serve_command_exits_9_when_what_it_reads_first_is_damaged(
    clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(clean, path)
    damage_pages(path, leaf_pages(path, "meta"))  # the banner names the origin: from meta
    result = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "serve", "--db", str(path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,  # were it to serve, it would not stop
        check=False,
    )
    assert result.returncode == 9, result.stderr
    assert result.stderr.startswith("chatkit-tui serve: error: the mirror is damaged")
    assert "--check" in result.stderr and "Traceback" not in result.stderr


def test_an_incremental_run_writes_nothing_into_a_damaged_file_and_exits_9(
    damaged: Damaged, origin: BackgroundServer, capsys: pytest.CaptureFixture[str]
):
    before = sha(damaged.path)
    assert main(["mirror", "--base-url", origin.base_url, "--db", str(damaged.path)]) == 9
    captured = capsys.readouterr()
    assert "unchanged" not in captured.out and "mirrored" not in captured.out
    assert "the mirror is damaged" in captured.err and "--full" in captured.err
    assert sha(damaged.path) == before


def test_a_read_that_meets_damage_raises_mirror_damaged(damaged: Damaged):
    bad = sorted(damaged.threads)[0]
    with Mirror.open(damaged.path, read_only=True) as mirror:
        assert mirror.thread(bad) is not None  # the threads' pages are whole
        with pytest.raises(MirrorDamaged, match="the mirror is damaged") as info:
            mirror.all_items(bad)
        assert info.value.detail == "database disk image is malformed"


def rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    db = sqlite3.connect(path)
    try:
        threads = db.execute(
            "SELECT id, raw, created_at, user, title, status, readable, item_count, items_after,"
            " gone_at FROM threads ORDER BY id"
        ).fetchall()
        items = db.execute(
            "SELECT thread_id, seq, id, created_at, type, raw FROM items ORDER BY thread_id, seq"
        ).fetchall()
        indexed = int(db.execute("SELECT count(*) FROM search").fetchone()[0])
    finally:
        db.close()
    return threads, items, indexed


def test_a_full_run_repairs_keeping_the_damaged_file_and_equals_a_fresh_mirror(
    damaged: Damaged,
    origin: BackgroundServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    argv = ["mirror", "--base-url", origin.base_url, "--db", str(damaged.path), "--full"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    count = len(damaged.threads)
    assert f"the mirror was damaged: {count} thread" in captured.err
    assert f"new {count}," in captured.out  # what was left out is fetched again
    [kept] = list(tmp_path.glob("damaged.sqlite3.damaged-*"))
    assert oct(kept.stat().st_mode & 0o777) == "0o600"

    assert main(["mirror", "--check", "--db", str(damaged.path)]) == 0
    assert "no damage found" in capsys.readouterr().out
    fresh = tmp_path / "fresh.sqlite3"
    make_mirror(origin, fresh)
    assert rows(damaged.path) == rows(fresh)
    assert main(["search", "--db", str(damaged.path), "the", "--limit", "100000", "--json"]) == 0
    capsys.readouterr()

    assert main(["mirror", "--check", "--db", str(kept), "--json"]) == 9  # as it was
    assert {d["id"] for d in json.loads(capsys.readouterr().out)["damaged"]} == damaged.threads


def test_a_full_run_over_a_damaged_file_says_so_in_json(
    damaged: Damaged, origin: BackgroundServer, capsys: pytest.CaptureFixture[str]
):
    argv = ["mirror", "--base-url", origin.base_url, "--db", str(damaged.path), "--full", "--json"]
    assert main(argv) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [repaired] = [e for e in events if e["event"] == "repaired"]
    assert set(repaired["damaged"]) == damaged.threads
    assert Path(repaired["kept_damaged_file"]).exists()
    assert events[-1]["event"] == "summary" and events[-1]["new"] == len(damaged.threads)


def test_check_is_a_reader_and_refuses_what_would_write(
    clean: Path, capsys: pytest.CaptureFixture[str]
):
    for flag in (["--full"], ["--prune"], ["--user", "u"]):
        assert main(["mirror", "--check", "--db", str(clean), *flag]) == 2
        assert f"does not go with {flag[0]}" in capsys.readouterr().err


def test_a_mirror_whose_origin_cannot_be_read_says_it_cannot_be_repaired(
    clean: Path, origin: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(clean, path)
    damage_pages(path, leaf_pages(path, "meta"))
    before = sha(path)
    assert main(["mirror", "--base-url", origin.base_url, "--db", str(path), "--full"]) == 9
    err = capsys.readouterr().err
    assert "the mirror is damaged" in err and "cannot be repaired: move it aside" in err
    assert sha(path) == before


def test_threads_whose_rows_are_damaged_are_named_and_fetched_again(
    clean: Path, origin: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(clean, path)
    [page] = spread(leaf_pages(path, "threads"), 1)
    db = sqlite3.connect(path)
    marks = ", ".join("?" * len(rowids := rowids_on(path, page)))
    lost = {r[0] for r in db.execute(f"SELECT id FROM threads WHERE pk IN ({marks})", rowids)}
    made = db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()[0]
    db.close()
    damage_pages(path, [page])
    assert main(["mirror", "--check", "--db", str(path), "--json"]) == 9
    report = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in report["damaged"]} == lost
    assert {d["reason"] for d in report["damaged"]} <= {
        "its row cannot be read (its items are held)",
        "its row cannot be read",
    }
    assert report["unread"] and report["unread"][0].startswith("threads: the rows after")

    assert main(["mirror", "--base-url", origin.base_url, "--db", str(path), "--full"]) == 0
    assert f"new {len(lost)}," in capsys.readouterr().out
    assert main(["mirror", "--check", "--db", str(path)]) == 0
    fresh = tmp_path / "fresh.sqlite3"
    make_mirror(origin, fresh)
    assert rows(path) == rows(fresh)
    with Mirror.open(path, read_only=True) as mirror:
        assert mirror.info().created_at == int(made)  # when it was made, kept


def test_a_damaged_file_of_before_the_user_counts_is_still_repaired_by_a_full_run(
    clean: Path, origin: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The first writable open of a file without the user counts makes them by reading
    every (day, user) row; a damaged page among them is left to the run's check and
    repair (which must see the file as it is), not an error at the open."""
    from tests.unit.test_insights import _counts_kept, _drop_counts

    path = tmp_path / "old.sqlite3"
    shutil.copyfile(clean, path)
    _drop_counts(path)  # a file of before them
    db = sqlite3.connect(path)
    try:
        [root] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ins_day_user'")
    finally:
        db.close()
    damage_pages(path, [int(root[0])])  # what counting them reads first
    argv = ["mirror", "--base-url", origin.base_url, "--db", str(path), "--full"]
    assert main(argv) == 0, capsys.readouterr().err
    assert "the mirror was damaged" in capsys.readouterr().err
    assert main(["mirror", "--check", "--db", str(path)]) == 0
    capsys.readouterr()
    assert _counts_kept(path)  # made once the file could be read
