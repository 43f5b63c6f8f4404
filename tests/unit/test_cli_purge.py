"""``chatkit-tui threads purge`` against the local server over real HTTP: in-process via
main([...]) and as a real process that is interrupted (SIGINT, SIGKILL) and run again.

What should be on the server, and what is, is read from the server's store or with plain
httpx, never through the code under test.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.purge import read_report
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.store import Store
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.fixtures.server import deleted_by_someone_else, fail_deletes

MakeServer = Callable[..., BackgroundServer]
KEY = "sk-test-purge-key-0123456789"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def ids_on(store: Store, user: str | None = None) -> set[str]:
    out: set[str] = set()
    after: str | None = None
    while True:
        page = store.list_threads(limit=100, order="asc", after=after, user=user)
        out.update(t.id for t in page.data)
        if not page.has_more:
            return out
        after = page.last_id


def busiest_user(store: Store) -> str:
    users = {t.user for t in store.list_threads(limit=100).data}
    return max(sorted(users), key=lambda u: store.count_threads(user=u))


def purge(server: BackgroundServer, tmp_path: Path, *argv: str) -> int:
    return main(
        [
            "--base-url",
            server.base_url,
            "threads",
            "purge",
            "--archive-dir",
            str(tmp_path / "archive"),
            *argv,
        ]
    )


def thread_lines(path: Path) -> list[dict[str, Any]]:
    return [r for r in read_report(path) if r["record"] == "thread"]


def report_path(out: str) -> Path:
    [line] = [x for x in out.splitlines() if x.startswith("report: ")]
    return Path(line.removeprefix("report: "))


# --- what a purge deletes -----------------------------------------------------------------------


def test_purge_user_leaves_no_thread_of_the_user_and_every_other_thread(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(seed=300)
    store = server.store
    user = busiest_user(store)
    mine, everyone = ids_on(store, user), ids_on(store)
    assert len(mine) > 5
    assert purge(server, tmp_path, "--user", user, "--yes") == 0
    out = capsys.readouterr().out
    assert ids_on(store, user) == set() and ids_on(store) == everyone - mine
    assert f"{len(mine)} threads matched: threads of user '{user}'" in out
    assert f"deleted {len(mine)} in " in out
    path = report_path(out)  # the default: the user data directory's purges/
    assert path.parent == Path(os.environ["XDG_DATA_HOME"]) / "chatkit-tui" / "purges"
    lines = thread_lines(path)
    assert sorted(r["id"] for r in lines) == sorted(mine)  # one line per thread
    for r in lines:
        assert r["outcome"] == "deleted" and r["user"] == user
        assert r["request_id"].startswith("req_") and r["thread_from"] == "list"
        assert Path(r["archive"]).exists() and r["time"].endswith("Z")
        assert isinstance(r["created_at"], int) and "title" in r
    records = read_report(path)
    assert records[0]["record"] == "run" and records[0]["rules"]["user"] == user
    assert records[-1] == {**records[-1], "record": "end", "how": "complete"}
    assert records[-1]["counts"] == {"deleted": len(mine)}
    assert KEY not in path.read_text() and KEY not in out


def test_older_than_deletes_what_the_seeded_ages_say(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = int(time.time())
    server = make_server(seed=200, seed_time=now - 3600)  # ~6 h apart, back from an hour ago
    store = server.store
    everything = store.list_threads(limit=100, order="desc").data
    everything += store.list_threads(limit=100, order="desc", after=everything[-1].id).data
    cutoff = now - 10 * 86_400
    old = {t.id for t in everything if t.created_at < cutoff - 5}
    young = {t.id for t in everything if t.created_at >= cutoff + 5}
    assert old and young
    assert purge(server, tmp_path, "--older-than", "10d", "--yes") == 0
    left = ids_on(store)
    assert not old & left and young <= left  # (a thread within 5 s of the cutoff: either)
    out = capsys.readouterr().out
    assert "(older than 10d)" in out
    oldest = min(t.created_at for t in everything if t.id in old)
    assert f"created {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(oldest))} UTC to " in out


def test_the_report_holds_the_counts_found_where_the_readme_says(
    make_server: MakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run line holds the counts when everything was found before the first delete
    (asked, a dry run); with --yes they are null there. The end line holds them always."""
    server = make_server(seed=200)
    store = server.store
    users = sorted({t.user for t in store.list_threads(limit=100).data})
    first, second = sorted(users, key=lambda u: -store.count_threads(user=u))[:2]
    counts = {u: len(ids_on(store, u)) for u in (first, second)}
    dry, yes, asked = tmp_path / "dry.jsonl", tmp_path / "yes.jsonl", tmp_path / "asked.jsonl"
    assert purge(server, tmp_path, "--user", first, "--dry-run", "--report", str(dry)) == 0
    assert purge(server, tmp_path, "--user", first, "--yes", "--report", str(yes)) == 0
    monkeypatch.setattr(sys, "stdin", FakeTerminal(f"{counts[second]}\n"))
    assert purge(server, tmp_path, "--user", second, "--report", str(asked)) == 0
    capsys.readouterr()
    for path, user, run_has_them in (
        (dry, first, True),
        (yes, first, False),
        (asked, second, True),
    ):
        records = read_report(path)
        run, end = records[0], records[-1]
        assert run["record"] == "run" and end["record"] == "end"
        found = {"matched": counts[user], "scanned": counts[user], "incomplete": None}
        assert {k: end[k] for k in found} == found and end["skipped_unreadable"] == 0, path
        if run_has_them:
            assert {k: run[k] for k in found} == found and run["skipped"] == 0, path
        else:
            assert [run[k] for k in ("matched", "skipped", "scanned")] == [None] * 3
    assert read_report(yes)[-1]["counts"] == {"deleted": counts[first]}


def test_the_dry_run_reports_exactly_what_the_real_run_deletes(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = int(time.time())
    server = make_server(seed=300, seed_time=now - 3600)
    store = server.store
    before = ids_on(store)
    args = ("--older-than", "20d", "--status", "closed")
    assert purge(server, tmp_path, *args, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run: nothing deleted; a real run would delete" in out
    assert ids_on(store) == before and not (tmp_path / "archive").exists()
    dry = thread_lines(report_path(out))
    assert dry and {r["outcome"] for r in dry} == {"would delete"}
    assert purge(server, tmp_path, *args, "--yes") == 0
    real = thread_lines(report_path(capsys.readouterr().out))
    assert {r["id"] for r in real if r["outcome"] == "deleted"} == {r["id"] for r in dry}
    assert ids_on(store) == before - {r["id"] for r in dry}
    assert {r["thread_from"] for r in real} == {"retrieve"}  # a status can change: re-read


@pytest.mark.parametrize("rule", ["user", "everything"])
def test_dry_run_with_yes_deletes_nothing_and_reports_would_delete(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str
) -> None:
    """--yes only skips the question: --dry-run still wins, and is never refused."""
    store = local_server.store
    everyone = ids_on(store)
    user = busiest_user(store)
    argv, expected = (
        (["--user", user], ids_on(store, user))
        if rule == "user"
        else (["--older-than", "0d"], everyone)
    )
    assert purge(local_server, tmp_path, *argv, "--dry-run", "--yes") == 0
    out = capsys.readouterr().out
    assert ids_on(store) == everyone and not (tmp_path / "archive").exists()
    assert f"dry run: nothing deleted; a real run would delete {len(expected)} threads" in out
    lines = thread_lines(report_path(out))
    assert sorted(r["id"] for r in lines) == sorted(expected)
    assert {r["outcome"] for r in lines} == {"would delete"}
    records = read_report(report_path(out))
    assert records[0]["dry_run"] is True and records[-1]["how"] == "dry run"


def test_a_thread_created_after_the_run_started_is_never_deleted(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    store = local_server.store
    user = busiest_user(store)
    store.insert_thread_rows([("cthr_new", int(time.time()) + 60, user, "new", "active", None)])
    assert purge(local_server, tmp_path, "--user", user, "--yes") == 0
    assert ids_on(store, user) == {"cthr_new"}


def test_a_rate_limited_server_is_waited_for_and_the_purge_finishes(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12 requests a second; the purge needs 1 page + 2 per thread (items, DELETE)
    server = make_server(seed=120, faults=Faults(rate_limit=12, rate_window_s=1.0))
    user = busiest_user(server.store)
    mine = ids_on(server.store, user)
    assert len(mine) >= 6
    code = purge(server, tmp_path, "--user", user, "--yes", "--concurrency", "8")
    out = capsys.readouterr().out
    assert code == 0, out
    assert ids_on(server.store, user) == set()
    lines = thread_lines(report_path(out))
    assert sorted(r["id"] for r in lines) == sorted(mine)
    assert {r["outcome"] for r in lines} == {"deleted"}


def test_failures_are_reported_with_reasons_and_the_exit_code(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = local_server.store
    user = busiest_user(store)
    mine = sorted(ids_on(store, user))
    broken = set(mine[:2])
    fail_deletes(local_server, broken)
    assert purge(local_server, tmp_path, "--user", user, "--yes") == 1
    captured = capsys.readouterr()
    assert captured.err.count("archived but not deleted: 500") == 2
    assert "request id req_" in captured.err
    lines = {r["id"]: r for r in thread_lines(report_path(captured.out))}
    assert {i for i, r in lines.items() if r["outcome"] == "failed"} == broken
    assert all(lines[i]["request_id"].startswith("req_") for i in broken)
    assert ids_on(store, user) == broken


def test_a_thread_deleted_by_someone_else_just_before_its_delete_is_already_gone(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every read succeeded, the DELETE itself was answered 404: "already gone", with the
    archive written first, and the run succeeds."""
    store = local_server.store
    user = busiest_user(store)
    mine = sorted(ids_on(store, user))
    vanished = set(mine[:2])
    deleted_by_someone_else(local_server, vanished)
    assert purge(local_server, tmp_path, "--user", user, "--yes") == 0
    out = capsys.readouterr().out
    assert f"deleted {len(mine) - 2}, already gone 2 in " in out
    lines = {r["id"]: r for r in thread_lines(report_path(out))}
    assert {i for i, r in lines.items() if r["outcome"] == "already gone"} == vanished
    for thread_id in vanished:
        archive = lines[thread_id]["archive"]
        assert archive is not None and Path(archive).parent == tmp_path / "archive"
        assert json.loads(Path(archive).read_text())["thread"]["id"] == thread_id
        assert lines[thread_id]["reason"] is None
    assert ids_on(store, user) == set()


# --- asking, refusing -----------------------------------------------------------------------------


def test_without_a_terminal_or_yes_it_asks_nobody_and_deletes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with socket.socket() as sock:  # nothing listens: a request would be exit 5
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    code = main(["--base-url", base, "threads", "purge", "--user", "u"])
    assert code == 2
    assert "stdin is not a terminal; pass --yes" in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "code"), [("3\n", 7), ("\n", 7), ("{count}\n", 0)])
def test_the_count_must_be_typed(
    local_server: BackgroundServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    code: int,
) -> None:
    store = local_server.store
    user = busiest_user(store)
    mine = ids_on(store, user)
    monkeypatch.setattr(sys, "stdin", FakeTerminal(typed.format(count=len(mine))))
    assert purge(local_server, tmp_path, "--user", user) == code
    captured = capsys.readouterr()
    assert (
        f"Type {len(mine)} to archive and delete the {len(mine)} threads "
        f"from {local_server.base_url}, anything else"
    ) in captured.err
    if code == 7:
        assert "nothing deleted" in captured.err and ids_on(store, user) == mine
    else:
        assert ids_on(store, user) == set()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "give at least one rule"),
        (["--older-than", "6m"], "m could be minutes or months"),
        (["--before", "31/01/2026"], "expected a date like 2026-01-31"),
        (["--older-than", "2d", "--before", "2026-01-01"], "not allowed with argument"),
        (["--status", "open"], "invalid choice: 'open'"),
        (["--user", "u", "--concurrency", "0"], "expected 1 to 64, got 0"),
    ],
)
def test_rules_that_cannot_be_used_exit_2_with_a_reason(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code: int | str | None
    try:
        code = main(["--base-url", "http://127.0.0.1:9/v1", "threads", "purge", *argv])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_read_only_refuses_but_a_dry_run_still_works(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = local_server.store
    user = busiest_user(store)
    mine = ids_on(store, user)
    assert purge(local_server, tmp_path, "--user", user, "--yes", "--read-only") == 2
    assert "refusing to purge threads" in capsys.readouterr().err
    assert (
        main(
            [
                "--read-only",
                "--base-url",
                local_server.base_url,
                "threads",
                "purge",
                "--user",
                user,
                "--yes",
            ]
        )
        == 2
    )  # the app's flag, before the subcommand
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.audit]\nbase_url = "{local_server.base_url}"\nread_only = true\n')
    argv = ["--config", str(config), "--profile", "audit", "threads", "purge", "--user", user]
    assert main([*argv, "--yes"]) == 2
    assert "profile 'audit' is read-only" in capsys.readouterr().err
    assert main([*argv, "--dry-run"]) == 0
    assert ids_on(store, user) == mine


def test_a_read_only_profile_refuses_every_command_that_deletes_or_cancels(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = sorted(ids_on(local_server.store))[0]
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.audit]\nbase_url = "{local_server.base_url}"\nread_only = true\n')
    common = ["--config", str(config), "--profile", "audit"]
    assert main([*common, "threads", "delete", thread_id, "--yes"]) == 2
    assert main([*common, "sessions", "cancel", "cksess_1"]) == 2
    assert main([*common, "sessions", "create", "--user", "u", "--workflow", "wf_1"]) == 2
    assert (
        main(
            [
                "--read-only",
                "--base-url",
                local_server.base_url,
                "threads",
                "delete",
                thread_id,
                "--yes",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("refusing to") == 4 and "is read-only" in err
    assert local_server.store.thread_exists(thread_id) and local_server.store.count_sessions() == 0
    assert main([*common, "threads", "show", thread_id]) == 0  # reading is fine


def test_api_text_is_escaped(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = local_server.store
    store.insert_thread_rows(
        [("cthr_\x1b[2Jx", 1000, "u\x1b]0;pwned\x07", "\x1b[31mred\u202e", "active", None)]
    )
    assert purge(local_server, tmp_path, "--user", "u\x1b]0;pwned\x07", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "cthr_\\x1b[2Jx" in out and "\\x1b[31mred\\u202e" in out


def test_nothing_matches_is_said_and_recorded(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "mine.jsonl"
    code = purge(local_server, tmp_path, "--user", "nobody", "--yes", "--report", str(report))
    assert code == 0
    out = capsys.readouterr().out
    assert "No threads of user 'nobody' (0 read)." in out and f"report: {report}" in out
    records = read_report(report)
    assert [r["record"] for r in records] == ["run", "end"]


# --- interrupted for real, then run again ---------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "PYTHONPATH": str(REPO),
        "NO_PROXY": "127.0.0.1",
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


def _start_purge(server: BackgroundServer, tmp_path: Path, report: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chatkit_tui",
            "--base-url",
            server.base_url,
            "threads",
            "purge",
            "--older-than",
            "5d",
            "--yes",
            "--concurrency",
            "2",
            "--archive-dir",
            str(tmp_path / "archive"),
            "--report",
            str(report),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_lines(report: Path, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the purge ended before it could be interrupted"
        if report.exists() and len(thread_lines(report)) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the purge did not get going")


@pytest.fixture
def slow_server(make_server: MakeServer) -> Iterator[tuple[BackgroundServer, set[str], set[str]]]:
    now = int(time.time())
    server = make_server(seed=100, seed_time=now - 3600, faults=Faults(latency_ms=60))
    cutoff = now - 5 * 86_400
    threads = [t for t in server.store.list_threads(limit=100, order="asc").data]
    old = {t.id for t in threads if t.created_at < cutoff - 60}
    young = {t.id for t in threads if t.created_at > cutoff + 60}
    assert len(old) > 20 and young
    yield server, old, young


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_an_interrupted_purge_run_again_finishes_the_job(
    slow_server: tuple[BackgroundServer, set[str], set[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    server, old, young = slow_server
    first = tmp_path / "first.jsonl"
    proc = _start_purge(server, tmp_path, first)
    try:
        _wait_for_lines(first, 4, proc)
        proc.send_signal(getattr(signal, how))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = ids_on(server.store)
    assert young <= left and old & left, "interrupted: some old threads must be left"
    records = read_report(first)
    done_first = {r["id"] for r in records if r.get("outcome") in ("deleted", "already gone")}
    assert done_first and not done_first & left
    if how == "SIGINT":  # stopped gracefully: in-flight ones finished, the rest reported
        assert proc.returncode == 130, err
        assert b"run the same command again to finish" in err
        assert records[-1]["record"] == "end" and records[-1]["how"] == "stopped"
        lines = [r for r in records if r["record"] == "thread"]
        assert sorted(r["id"] for r in lines) == sorted(old)  # every match, once
        assert {r["outcome"] for r in lines} <= {"deleted", "not attempted"}
        assert {r["id"] for r in lines if r["outcome"] == "not attempted"} == old & left
    else:  # killed: a partial report, no end line
        assert proc.returncode == -signal.SIGKILL
        assert records[-1]["record"] == "thread"

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    second = tmp_path / "second.jsonl"
    code = main(
        [
            "--base-url",
            server.base_url,
            "threads",
            "purge",
            "--older-than",
            "5d",
            "--yes",
            "--archive-dir",
            str(tmp_path / "archive"),
            "--report",
            str(second),
        ]
    )
    assert code == 0, capsys.readouterr()
    left = ids_on(server.store)
    assert not old & left and young <= left  # every match gone, every other thread stays
    done_second = {r["id"] for r in thread_lines(second) if r["outcome"] == "deleted"}
    assert not done_first & done_second  # nothing deleted twice
    archived = {p.name.rsplit("-", 1)[0] for p in (tmp_path / "archive").iterdir()}
    for thread_id in old:  # accounted for: a report says deleted, or (killed in flight)
        assert thread_id in done_first | done_second or (  # its archive was written first
            how == "SIGKILL" and thread_id in archived
        ), thread_id


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_it_asks_and_draws_progress(
    slow_server: tuple[BackgroundServer, set[str], set[str]], tmp_path: Path
) -> None:
    import pty

    server, old, young = slow_server
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
            if b"to cancel: " in seen and not typed.is_set():
                typed.set()
                os.write(master, f"{len(old)}\n".encode())

    typed = threading.Event()
    reader = threading.Thread(target=drain, daemon=True)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chatkit_tui",
                "--base-url",
                server.base_url,
                "threads",
                "purge",
                "--older-than",
                "5d",
                "--archive-dir",
                str(tmp_path / "archive"),
            ],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=_env(tmp_path),
        )
        reader.start()
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(slave)
        time.sleep(0.1)
        os.close(master)
    assert proc.returncode == 0, bytes(seen)
    text = bytes(seen).decode("utf-8", "replace")
    assert f"Type {len(old)} to archive and delete the {len(old)} threads" in text
    assert "[########################]" in text  # the bar, at the end full
    assert f"deleted {len(old)} in " in out.decode()
    assert young <= ids_on(server.store) and not old & ids_on(server.store)


def test_with_yes_a_listing_error_after_deletes_began_says_where_the_report_is(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(seed=300, seed_time=int(time.time()) - 3600)
    store = server.store
    real_list = store.list_threads
    calls = 0

    def list_threads(**kw: Any) -> Any:  # the second page on: 500s (the retries too)
        nonlocal calls
        calls += kw.get("order") == "asc"  # (not the look at the newest thread, first)
        if calls >= 2:
            raise RuntimeError("index on fire")
        return real_list(**kw)

    store.list_threads = list_threads  # type: ignore[method-assign]
    report = tmp_path / "r.jsonl"
    code = purge(server, tmp_path, "--older-than", "1d", "--yes", "--report", str(report))
    captured = capsys.readouterr()
    assert code == 1 and "500" in captured.err and f"report: {report}" in captured.err
    records = read_report(report)
    assert records[-1]["how"] == "failed" and "500" in records[-1]["error"]
    lines = [r for r in records if r["record"] == "thread"]
    assert len(lines) == 100  # the first page's matches, each with its outcome
    assert "deleted" in {r["outcome"] for r in lines}  # (the newest thread is left out)
    for r in lines:
        assert r["outcome"] in ("deleted", "not attempted")
        assert store.thread_exists(r["id"]) == (r["outcome"] == "not attempted")


def test_purge_yes_never_deletes_the_thread_its_next_list_request_starts_after(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    """With --yes the deletes run while the list is still read: the thread a page ends
    on is the next request's cursor, and a server may refuse a cursor naming a deleted
    thread. That thread waits until the next page has come."""
    threads = [
        {
            "id": f"cthr_{n:03}",
            "object": "chatkit.thread",
            "created_at": 1000 - n,
            "user": "u_gone",
            "title": f"t{n}",
            "status": {"type": "active"},
        }
        for n in range(250)
    ]
    deleted: set[str] = set()
    refused: list[str] = []
    tried: set[str] = set()

    def handler(request: Recorded) -> Reply:
        path = request.path
        if path.endswith("/chatkit/threads"):
            after = request.query.get("after", [None])[0]
            if after is not None and after not in tried:  # each next page fails once: the
                tried.add(after)  # client retries it 0.5 s later, the deletes running on
                return Reply(503, {"error": {"message": "try again"}})
            if after is not None and after in deleted:
                refused.append(after)
                return Reply(400, {"error": {"message": f"cursor {after} not found"}})
            ids = [t["id"] for t in threads]
            start = ids.index(after) + 1 if after else 0
            limit = int(request.query.get("limit", ["20"])[0])
            chunk = threads[start : start + limit]
            more = start + limit < len(threads)
            body = {
                "object": "list",
                "data": chunk,
                "has_more": more,
                "first_id": chunk[0]["id"],
                "last_id": chunk[-1]["id"],
            }
            return Reply(body=body)
        if path.endswith("/items"):
            return Reply(body={"object": "list", "data": [], "has_more": False})
        thread_id = path.rsplit("/", 1)[-1]
        if request.method == "DELETE":
            deleted.add(thread_id)
            return Reply(
                body={"id": thread_id, "object": "chatkit.thread.deleted", "deleted": True}
            )
        return Reply(body=next(t for t in threads if t["id"] == thread_id))

    scripted_server.handler = handler
    base = ["--base-url", scripted_server.base_url]
    code = main(
        [
            *base,
            "threads",
            "purge",
            "--user",
            "u_gone",
            "--yes",
            "--report",
            str(tmp_path / "r.jsonl"),
            "--archive-dir",
            str(tmp_path),
        ]
    )
    assert refused == []
    assert code == 0 and len(deleted) == 250


def _deployment(threads: list[dict[str, Any]], page: int) -> Callable[[Recorded], Reply]:
    """A handler serving ``threads`` (pages of ``page``, whatever the limit asked), their
    items (none) and DELETEs (which delete nothing: the server's recorded requests say
    what was deleted)."""

    def handler(request: Recorded) -> Reply:
        path = request.path
        if path.endswith("/chatkit/threads"):
            after = request.query.get("after", [None])[0]
            ids = [t["id"] for t in threads]
            start = ids.index(after) + 1 if after else 0
            chunk = threads[start : start + page]
            body = {
                "object": "list",
                "data": chunk,
                "has_more": start + page < len(threads),
                "first_id": chunk[0]["id"] if chunk else None,
                "last_id": chunk[-1]["id"] if chunk else None,
            }
            return Reply(body=body)
        if path.endswith("/items"):
            return Reply(body={"object": "list", "data": [], "has_more": False})
        thread_id = path.rsplit("/", 1)[-1]
        if request.method == "DELETE":
            return Reply(
                body={"id": thread_id, "object": "chatkit.thread.deleted", "deleted": True}
            )
        return Reply(body=next(t for t in threads if t["id"] == thread_id))

    return handler


def _names(request: Recorded, thread_id: str) -> bool:
    """Whether ``request`` reads or deletes ``thread_id`` (a list request's cursor aside)."""
    return f"/chatkit/threads/{thread_id}" in request.path


def test_purge_yes_holds_the_cursor_thread_until_the_next_page_is_answered(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    """The server holds the next list request until the page's other DELETEs have come (and
    then a little longer, for a request about the cursor thread to show itself): the thread
    the request starts after must not be read or deleted before that page is answered."""
    threads = [
        {
            "id": f"cthr_{n}",
            "object": "chatkit.thread",
            "created_at": 1000 - n,
            "user": "u_gone",
            "title": f"t{n}",
            "status": {"type": "active"},
        }
        for n in range(8)
    ]
    serve = _deployment(threads, page=4)
    cursor, others = "cthr_3", {"cthr_0", "cthr_1", "cthr_2"}
    early: list[Recorded] = []

    def deleted(requests: list[Recorded]) -> set[str]:
        return {r.path.rsplit("/", 1)[-1] for r in requests if r.method == "DELETE"}

    def handler(request: Recorded) -> Reply:
        if request.path.endswith("/chatkit/threads") and request.query.get("after") == [cursor]:
            assert scripted_server.wait_until(lambda seen: others <= deleted(seen), 30)
            scripted_server.wait_until(lambda seen: any(_names(r, cursor) for r in seen), 0.5)
            early.extend(r for r in scripted_server.requests if _names(r, cursor))
        return serve(request)

    scripted_server.handler = handler
    code = main(
        [
            "--base-url",
            scripted_server.base_url,
            "threads",
            "purge",
            "--user",
            "u_gone",
            "--yes",
            "--report",
            str(tmp_path / "r.jsonl"),
            "--archive-dir",
            str(tmp_path / "archive"),
        ]
    )
    assert early == [], "the cursor thread was read or deleted before the next page came"
    assert code == 0 and deleted(scripted_server.requests) == {t["id"] for t in threads}


# --- every thread of the deployment: --all ----------------------------------------------------


def _closed_base_url() -> str:
    with socket.socket() as sock:  # nothing listens: a request would be exit 5
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def _all_closed(store: Store) -> None:
    with store._lock:
        store._db.execute("UPDATE threads SET status = 'closed'")
        store._db.commit()


@pytest.mark.parametrize(
    "argv",
    [
        ["--older-than", "0d", "--yes"],
        ["--older-than", "0s"],  # asked: refused before anyone is
        ["--before", "2999-01-01", "--yes"],
    ],
)
def test_an_age_that_leaves_no_thread_out_is_refused_before_anything_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTerminal("1\n"))
    code = main(["--base-url", _closed_base_url(), "threads", "purge", *argv])
    assert code == 2
    err = capsys.readouterr().err
    assert f"refusing to purge: {argv[0]} {argv[1]} matches every thread there is" in err
    assert "pass --all to delete them all" in err and "Type" not in err


def test_with_all_an_age_that_leaves_no_thread_out_deletes_every_thread(
    local_server: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = local_server.store
    everyone = ids_on(store)
    assert purge(local_server, tmp_path, "--older-than", "0d", "--dry-run") == 0  # never refused
    captured = capsys.readouterr()
    assert ids_on(store) == everyone and not (tmp_path / "archive").exists()
    assert f"a real run would delete {len(everyone)} threads" in captured.out
    assert f"this rule matches every thread scanned ({len(everyone)})" in captured.err
    assert purge(local_server, tmp_path, "--older-than", "0d", "--yes", "--all") == 0
    assert ids_on(store) == set()
    assert f"deleted {len(everyone)} in " in capsys.readouterr().out


@pytest.mark.parametrize("rule", ["age", "status"])
def test_with_yes_rules_that_matched_every_thread_read_delete_nothing_without_all(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str
) -> None:
    """Deleting while finding: nothing is deleted until a thread the rules leave out has
    been read, and a listing that left none out is refused at its end."""
    server = make_server(seed=250, seed_time=int(time.time()) - 3600)  # newest: an hour ago
    store = server.store
    if rule == "age":
        argv = ["--older-than", "30min"]  # every thread (read oldest first, three pages)
    else:
        _all_closed(store)
        argv = ["--status", "closed"]  # every thread (newest first)
    everyone = ids_on(store)
    report = tmp_path / "r.jsonl"
    assert purge(server, tmp_path, *argv, "--yes", "--report", str(report)) == 2
    captured = capsys.readouterr()
    note = f"this rule matches every thread scanned ({len(everyone)}): pass --all"
    assert f"refusing to purge: {note}" in captured.err and "nothing deleted" in captured.err
    assert f"{len(everyone)} threads match: " in captured.out
    assert f"report: {report}" in captured.out
    assert ids_on(store) == everyone and not (tmp_path / "archive").exists()
    records = read_report(report)
    lines = [r for r in records if r["record"] == "thread"]
    assert sorted(r["id"] for r in lines) == sorted(everyone)
    assert {r["outcome"] for r in lines} == {"not attempted"} and note in lines[0]["reason"]
    end = records[-1]
    assert end["record"] == "end" and end["how"] == "refused" and note in end["error"]
    assert end["counts"] == {"not attempted": len(everyone)}

    assert purge(server, tmp_path, *argv, "--yes", "--all") == 0
    assert ids_on(store) == set()


def test_with_yes_one_thread_left_out_anywhere_lets_the_held_matches_be_deleted(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(seed=150)
    store = server.store
    _all_closed(store)
    every = ids_on(store)
    oldest = store.list_threads(limit=1, order="asc").data[0].id  # the last one read
    with store._lock:
        store._db.execute("UPDATE threads SET status = 'active' WHERE id = ?", (oldest,))
        store._db.commit()
    assert purge(server, tmp_path, "--status", "closed", "--yes") == 0
    assert ids_on(store) == {oldest}
    assert f"deleted {len(every) - 1} in " in capsys.readouterr().out


def test_asked_rules_that_matched_every_thread_read_are_refused_without_all(
    make_server: MakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server(seed=120, seed_time=int(time.time()) - 3600)
    store = server.store
    everyone = ids_on(store)
    monkeypatch.setattr(sys, "stdin", FakeTerminal(f"{len(everyone)}\n"))
    assert purge(server, tmp_path, "--older-than", "30min") == 2
    captured = capsys.readouterr()
    assert f"{len(everyone)} threads match: " in captured.out  # shown, then refused
    assert (
        f"refusing to purge: this rule matches every thread scanned ({len(everyone)}): "
        "pass --all to delete them all; nothing deleted"
    ) in captured.err
    assert "Type" not in captured.err and ids_on(store) == everyone
    monkeypatch.setattr(sys, "stdin", FakeTerminal(f"{len(everyone)}\n"))
    assert purge(server, tmp_path, "--older-than", "30min", "--all") == 0
    assert f"Type {len(everyone)} to archive" in capsys.readouterr().err
    assert ids_on(store) == set()


def test_a_user_s_every_thread_needs_no_all(local_server: BackgroundServer, tmp_path: Path) -> None:
    """With --user every thread read is the user's: matching them all is an erasure."""
    store = local_server.store
    user = busiest_user(store)
    others = ids_on(store) - ids_on(store, user)
    assert purge(local_server, tmp_path, "--user", user, "--older-than", "0d", "--yes") == 0
    assert ids_on(store) == others


def test_one_match_is_said_in_the_singular(capsys: pytest.CaptureFixture[str]) -> None:
    """ "1 thread matches", not "1 thread match" (and "2 threads match")."""
    from chatkit_tui.core.purge import Candidate, Found, Rules
    from chatkit_tui.scripting.purge import show_matches

    one = Candidate(object(), "cthr_1", "u_1", 1_700_000_000, "A title", "active")
    show_matches(Rules(started=1_800_000_000, user="u_1"), Found(matches=[one], scanned=3))
    assert "1 thread matches: " in capsys.readouterr().out
    show_matches(Rules(started=1_800_000_000, user="u_1"), Found(matches=[one, one], scanned=3))
    assert "2 threads match: " in capsys.readouterr().out
