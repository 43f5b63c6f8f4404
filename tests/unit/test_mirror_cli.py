"""``chatkit-tui mirror`` and ``chatkit-tui search`` as a user runs them, in-process via
main([...]) against the local server over real HTTP."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.mirror import Mirror, default_mirror_path
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
from chatkit_tui.core.mirror.sync import SyncProgress
from chatkit_tui.scripting.mirror import _ProgressLine, since_arg
from chatkit_tui.server.run import BackgroundServer

HOSTILE = "an \x1b[31mangry\x1b[0m [bold]reply[/bold] \u202eevil 東京都"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


@pytest.fixture
def origin() -> BackgroundServer:
    with BackgroundServer(seed=20) as server:
        item = {
            "id": "cthi_hostile",
            "object": "chatkit.thread_item",
            "created_at": 1_800_000_000,
            "thread_id": "cthr_hostile",
            "type": "chatkit.user_message",
            "content": [{"type": "input_text", "text": HOSTILE}],
            "attachments": [],
        }
        server.store.insert_thread_rows(
            [("cthr_hostile", 1_800_000_000, "u_host", "[red]Title[/red]", "active", None)]
        )
        server.store.insert_item_rows(
            [("cthi_hostile", "cthr_hostile", 1_800_000_000, "X", json.dumps(item).encode())]
        )
        yield server


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_mirror_prints_json_lines_and_a_summary_then_search_finds(
    origin: BackgroundServer, capsys: pytest.CaptureFixture[str]
):
    assert main(["mirror", "--base-url", origin.base_url, "--json"]) == 0
    events = lines(capsys.readouterr().out)
    assert events[0]["event"] == "start" and events[0]["origin"] == origin.base_url
    path = Path(events[0]["db"])
    assert path == default_mirror_path(origin.base_url)
    threads = [e for e in events if e["event"] == "thread"]
    assert len(threads) == 21 and {e["outcome"] for e in threads} == {"new"}
    summary = events[-1]
    assert summary["event"] == "summary" and summary["complete"]
    assert (summary["threads"], summary["new"], summary["failed"]) == (21, 21, [])

    assert main(["mirror", "--base-url", origin.base_url]) == 0
    out = capsys.readouterr().out
    assert "mirrored 21 threads (new 0, changed 0, new items in 0, unchanged 21)" in out
    assert "0 items written" in out and "22 requests" in out

    assert main(["search", "--base-url", origin.base_url, "angry", "--json"]) == 0
    [hit] = lines(capsys.readouterr().out)
    assert hit["thread_id"] == "cthr_hostile" and hit["item_id"] == "cthi_hostile"
    assert hit["snippet"] == "an angry [bold]reply[/bold] \u202eevil 東京都"  # raw in JSON
    assert [hit["snippet"][s:e] for s, e in hit["highlights"]] == ["angry"]
    assert main(["search", "--db", str(path), "title", "--user", "u_host", "--json"]) == 0
    [title] = lines(capsys.readouterr().out)
    assert title["item_id"] is None and title["type"] == "title"


def test_search_tables_escape_what_the_api_sent(
    origin: BackgroundServer, capsys: pytest.CaptureFixture[str]
):
    assert main(["mirror", "--base-url", origin.base_url, "--json"]) == 0
    capsys.readouterr()
    assert main(["search", "--base-url", origin.base_url, "東京"]) == 0
    out = capsys.readouterr().out
    head, row = out.splitlines()
    assert head.split() == ["THREAD", "ITEM", "TYPE", "CREATED", "SNIPPET"]
    assert "cthr_hostile" in row and "user_message" in row
    assert "\x1b" not in out and "\u202e" not in out
    assert "[bold]reply[/bold]" in row and "\\u202eevil" in row and "東京都" in row
    assert main(["search", "--base-url", origin.base_url, "no-such-word-anywhere"]) == 0
    assert "no matches" in capsys.readouterr().err


def test_search_filters_and_its_errors(
    origin: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    db = str(tmp_path / "m.sqlite3")
    assert main(["mirror", "--base-url", origin.base_url, "--db", db, "--json"]) == 0
    capsys.readouterr()
    for argv, expected in (
        (["--user", "u_host"], {"cthr_hostile"}),
        (["--user", "nobody"], set()),
        (["--type", "assistant_message"], set()),
        (["--type", "chatkit.user_message"], {"cthr_hostile"}),
        (["--since", "2027-01-01"], {"cthr_hostile"}),
        (["--since", "2030-01-01"], set()),
    ):
        assert main(["search", "--db", db, "angry", "--json", *argv]) == 0
        assert {h["thread_id"] for h in lines(capsys.readouterr().out)} == expected, argv

    assert main(["search", "--db", db, "!!!"]) == 2
    assert "nothing to search for" in capsys.readouterr().err
    assert main(["search", "--db", str(tmp_path / "none.sqlite3"), "x"]) == 2
    assert "no mirror at" in capsys.readouterr().err
    assert main(["search", "--base-url", "http://elsewhere/v1", "x"]) == 2
    err = capsys.readouterr().err
    assert "run chatkit-tui mirror first" in err
    with pytest.raises(SystemExit) as info:
        main(["search", "--db", db, "x", "--since", "last tuesday"])
    assert info.value.code == 2


def test_a_thread_that_fails_exits_8_and_is_named(
    origin: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    store = origin.store
    real = store.list_items

    def failing(thread_id: str, **kwargs: Any) -> Any:
        if thread_id == "cthr_hostile":
            raise RuntimeError("boom")
        return real(thread_id, **kwargs)

    store.list_items = failing  # type: ignore[method-assign]
    db = str(tmp_path / "m.sqlite3")
    assert main(["mirror", "--base-url", origin.base_url, "--db", db]) == 8
    captured = capsys.readouterr()
    assert "failed 1" in captured.out
    assert "failed: cthr_hostile: 500" in captured.err and "tried again next run" in captured.err
    store.list_items = real  # type: ignore[method-assign]
    assert main(["mirror", "--base-url", origin.base_url, "--db", db]) == 0


def test_mirror_usage_errors(
    origin: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    db = str(tmp_path / "m.sqlite3")
    assert main(["mirror", "--base-url", origin.base_url, "--db", db]) == 0
    capsys.readouterr()
    with BackgroundServer(seed=2) as other:
        assert main(["mirror", "--base-url", other.base_url, "--db", db]) == 2
    assert f"is a mirror of {origin.base_url}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["mirror", "--concurrency", "0"])
    assert info.value.code == 2
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["mirror", "--base-url", origin.base_url, "--db", db]) == 4
    server_db = tmp_path / "server.sqlite3"
    from chatkit_tui.server.store import Store

    Store(server_db).close()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert main(["mirror", "--base-url", origin.base_url, "--db", str(server_db)]) == 2
    assert "not a chatkit-tui mirror" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "incomplete"), [(["mirror"], True), (["search"], False)])
def test_help_names_the_exit_codes(
    command: list[str], incomplete: bool, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: chatkit-tui {command[0]}")
    assert ("  8    incomplete" in text) is incomplete  # search reads a file: no run to finish
    assert "--profile NAME" in text
    if command == ["mirror"]:
        assert "--wait" in text and "exit 10" in text


def test_the_progress_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "160")
    stream = io.StringIO()
    line = _ProgressLine(stream)
    progress = SyncProgress(
        known=2000, done=500, listing_done=True, items=10_000, new=500, changed=0, failed=2,
        requests=520, elapsed=10.0, rate=50.0, concurrency=4, waiting=3.0,
    )  # fmt: skip
    line.update(progress, force=True)
    text = stream.getvalue()
    assert text.startswith("\r\x1b[K[")
    for part in (
        "500/2,000 threads",
        "10,000 items",
        "50/s",
        "ETA 30s",
        "waiting 3.0s",
        "2 failed",
    ):
        assert part in text, text
    line.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    listing = SyncProgress(
        known=300, done=10, listing_done=False, items=0, new=0, changed=0, failed=0,
        requests=4, elapsed=1.0, rate=0.0, concurrency=8, waiting=0.0,
    )  # fmt: skip
    assert listing.eta is None
    line.update(listing, force=True)
    assert "10/300+ threads" in stream.getvalue() and "listing" in stream.getvalue()


def test_since_takes_dates_times_and_ages_as_purge_does():
    import argparse
    import time

    assert since_arg("2026-11-01") == 1793491200
    assert since_arg("2026-11-01T12:00:00+02:00") == 1793491200 + 10 * 3600
    assert abs(since_arg("7d") - (time.time() - 7 * 86400)) < 5
    assert abs(since_arg("12h") - (time.time() - 12 * 3600)) < 5
    with pytest.raises(argparse.ArgumentTypeError, match="minutes or months"):
        since_arg("30m")


def test_the_mirror_file_is_private_and_readable_while_it_is_written(
    origin: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    db = tmp_path / "deep" / "m.sqlite3"
    assert main(["mirror", "--base-url", origin.base_url, "--db", str(db)]) == 0
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    assert oct(db.parent.stat().st_mode & 0o777) == "0o700"
    with Mirror.open(db, read_only=True) as mirror:
        assert mirror.info().threads == 21


def test_a_mirror_that_cannot_be_written_is_one_line_not_a_traceback(
    origin: BackgroundServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    import sqlite3

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteMirror, "save_thread", full_disk)  # the file's engine
    db = tmp_path / "m.sqlite3"
    assert main(["mirror", "--base-url", origin.base_url, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"could not write the mirror {db}: database or disk is full" in err
    assert "Traceback" not in err


def test_search_says_when_the_hits_are_the_best_of_the_newest_and_counts_them_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from chatkit_tui.core.mirror import Origin
    from chatkit_tui.core.mirror.engines import sqlite as engine
    from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord

    db = tmp_path / "m.sqlite3"
    at = 1_800_000_000
    with Mirror.open(db, create=True, origin=Origin("http://origin/v1")) as mirror:
        for t in range(6):
            items: list[ItemRecord] = []
            for n in range(5):
                text = "refund " * (1 + n)
                doc = {"id": f"cthi_{t}_{n}", "object": "chatkit.thread_item", "created_at": at,
                       "thread_id": f"cthr_{t}", "type": "chatkit.user_message",
                       "attachments": [],
                       "content": [{"type": "input_text", "text": text}]}  # fmt: skip
                items.append(
                    ItemRecord(json.dumps(doc).encode(), f"cthi_{t}_{n}", at, "user_message")
                )
            thread = json.dumps({"id": f"cthr_{t}", "object": "chatkit.thread", "created_at": at})
            record = ThreadRecord(f"cthr_{t}", thread.encode(), at, None, None, "active", True)
            mirror.save_thread(record, items, items_after=items[-1].id)
    monkeypatch.setattr(engine, "RANKED", 10)

    assert main(["search", "--db", str(db), "refund", "--limit", "3"]) == 0
    ran = capsys.readouterr()
    assert len(ran.out.splitlines()) == 4  # the heading and three hits, all of the newest 10
    assert all(line.split()[0] in {"cthr_4", "cthr_5"} for line in ran.out.splitlines()[1:])
    assert ran.err.strip() == "chatkit-tui: best of the newest 10 of 30 matches"

    assert main(["search", "--db", str(db), "refund", "--json", "--limit", "2"]) == 0
    hits = lines(capsys.readouterr().out)
    assert [(h["ranked"], h["ranked_all"], h["matches"]) for h in hits] == [(10, False, 30)] * 2

    monkeypatch.setattr(engine, "RANKED", 30)  # every match may be ranked: said as before
    assert main(["search", "--db", str(db), "refund", "--limit", "3"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["search", "--db", str(db), "refund", "--json", "--limit", "1"]) == 0
    assert [
        (h["ranked"], h["ranked_all"], h["matches"]) for h in lines(capsys.readouterr().out)
    ] == [(30, True, 30)]
