"""A report that cannot be written (the disk full) stops the run that writes it: ``threads
purge`` deletes no thread after the line that failed, ``migrate`` writes no thread to the
Store after it; each says why (the report's path, the OS's reason), names what was done
that the report lacks, and exits non-zero with no traceback.

The disk is really full: a 8 KiB tmpfs mounted for the test (root only: skipped otherwise),
or ``/dev/full`` (every write fails with ENOSPC). The server is the local one over real
HTTP; what was deleted is read from its store, not through the code under test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.purge import read_report
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.store import Store

MakeServer = Callable[..., BackgroundServer]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-report-failure-0123456789")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on an 8 KiB tmpfs: a few report lines fit, then writes fail (ENOSPC)."""
    where = tmp_path / "tiny"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=False)


def ids_on(store: Store) -> set[str]:
    out: set[str] = set()
    after: str | None = None
    while True:
        page = store.list_threads(limit=100, order="asc", after=after)
        out.update(t.id for t in page.data)
        if not page.has_more:
            return out
        after = page.last_id


def purge(server: BackgroundServer, tmp_path: Path, report: Path, *argv: str) -> int:
    return main(
        [
            "--base-url",
            server.base_url,
            "threads",
            "purge",
            "--older-than",
            "1d",
            "--yes",
            "--archive-dir",
            str(tmp_path / "archive"),
            "--report",
            str(report),
            *argv,
        ]
    )


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_purge_whose_report_fills_the_disk_deletes_nothing_after_the_failed_line(
    make_server: MakeServer,
    tmp_path: Path,
    full_disk: Path,
    capsys: pytest.CaptureFixture[str],
    concurrency: int,
) -> None:
    server = make_server(seed=300, seed_time=int(time.time()) - 3600)
    before = ids_on(server.store)
    report = full_disk / "purge.jsonl"
    code = purge(server, tmp_path, report, "--concurrency", str(concurrency))
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    assert f"could not write the report to {report}: " in captured.err
    assert "No space left on device" in captured.err
    assert "the purge stopped" in captured.err
    # the report named once, as cut short (not again as if whole)
    said = captured.out + captured.err
    assert said.count(str(report)) == 2 and f"report (cut short): {report}" in captured.out

    deleted = before - ids_on(server.store)
    lines = [r for r in read_report(report) if r["record"] == "thread"]
    assert lines  # some lines fit before the disk filled up
    recorded = {r["id"] for r in lines if r["outcome"] == "deleted"}
    assert recorded <= deleted
    unrecorded = deleted - recorded
    # each thread deleted that the report lacks is named, with its archive
    named = set(
        re.findall(r"deleted, not in the report: (\S+) \(archived to ([^)]+)\)", captured.err)
    )
    assert {thread_id for thread_id, _ in named} == unrecorded
    for _, archive in named:
        assert Path(archive).is_file()
    if concurrency == 1:
        # the thread whose line failed had been deleted (its line records the outcome),
        # and none was deleted after it
        assert len(unrecorded) == 1
    else:  # at most the DELETEs already sent when the line failed
        assert 1 <= len(unrecorded) <= concurrency
    assert len(deleted) < len(before) - 100  # it stopped: most of the matches are still there


def test_a_purge_abandoned_by_a_second_ctrl_c_whose_interrupted_lines_do_not_fit_says_so(
    make_server: MakeServer, tmp_path: Path, full_disk: Path
) -> None:
    """Ctrl-C twice: the threads found without an outcome get an 'interrupted' line each;
    when those do not fit on the disk the run still ends as interrupted (130), and says
    the report is cut short instead of pointing at it as whole."""
    server = make_server(seed=300, seed_time=int(time.time()) - 3600, faults=Faults(latency_ms=400))
    report = full_disk / "purge.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatkit_tui", "--base-url", server.base_url, "threads",
         "purge", "--older-than", "1d", "--yes", "--concurrency", "1",
         "--archive-dir", str(tmp_path / "archive"), "--report", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1",
             "XDG_DATA_HOME": str(tmp_path / "data")},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while (
            not [r for r in read_report(report) if r["record"] == "thread"]
            if report.exists()
            else True
        ):
            assert proc.poll() is None, "the purge ended before it could be interrupted"
            assert time.monotonic() < deadline, "the purge did not get going"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)  # a DELETE or its archive read is in flight (400 ms each)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    said = out.decode() + err.decode()
    assert proc.returncode == 130, said
    assert "Traceback" not in said
    assert f"could not write the report to {report}: No space left on device" in said
    assert f"report (cut short): {report}" in said and f"report: {report}" not in said
    assert "the report lacks their outcome" in said


def test_a_report_that_cannot_take_its_first_line_means_nothing_is_deleted(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not os.access("/dev/full", os.W_OK):
        pytest.skip("no /dev/full here")
    server = make_server(seed=50, seed_time=int(time.time()) - 3600)
    before = ids_on(server.store)
    code = purge(server, tmp_path, Path("/dev/full"))
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "nothing deleted: could not write the report to /dev/full: " in captured.err
    assert "No space left on device" in captured.err
    assert ids_on(server.store) == before


def test_a_migration_whose_report_fills_the_disk_writes_nothing_after_the_failed_line(
    make_server: MakeServer,
    tmp_path: Path,
    full_disk: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fixtures.stores.sqlite_store import ENV, SQLiteStore

    store_path = tmp_path / "store.sqlite3"
    monkeypatch.setenv(ENV, str(store_path))
    server = make_server(seed=60)
    report = full_disk / "migrate.jsonl"
    code = main(
        [
            "--base-url",
            server.base_url,
            "migrate",
            "--to-store",
            "tests.fixtures.stores.sqlite_store:make_store",
            "--report",
            str(report),
        ]
    )
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"could not write the report to {report}: No space left on device" in captured.err
    assert "the migration stopped" in captured.err
    lines = [r for r in read_report(report) if r["record"] == "thread"]
    assert lines
    stored = {
        row[1].split("/", 1)[1]
        for row in SQLiteStore(str(store_path)).rows()
        if row[0] == "threads"
    }
    recorded = {r["id"] for r in lines}
    # the Store holds the threads on record and the one whose line failed (named), no more
    missing = re.findall(r"written to the Store, not in the report: (\S+)", captured.err)
    assert len(missing) == 1 and stored == recorded | set(missing)
    assert len(stored) < 60


def test_a_report_whose_folders_are_missing_is_written_there(
    make_server: MakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(seed=20, seed_time=int(time.time()) - 3600)
    report = tmp_path / "not" / "yet" / "purge.jsonl"
    assert purge(server, tmp_path, report, "--dry-run") == 0
    assert f"report: {report}" in capsys.readouterr().out
    assert read_report(report)[-1]["how"] == "dry run"
