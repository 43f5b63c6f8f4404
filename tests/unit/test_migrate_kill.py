"""``chatkit-tui migrate`` killed for real (SIGKILL) three times mid-run, each time once the
report shows threads written, then run to the end: ``--verify`` exits 0 and the SQLite
Store holds, row for row, what one clean run writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.stores.sqlite_store import ENV, SQLiteStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

STORE = "tests.fixtures.stores.sqlite_store:make_store"
THREADS = 80


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=THREADS) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


def start(mirror: Path, store: Path, report: Path, *extra: str) -> subprocess.Popen[str]:
    """The command, its output in files beside the report (a pipe nobody reads would fill)."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "chatkit_tui", "migrate", "--to-store", STORE),
            *("--from-mirror", str(mirror), "--report", str(report), "--json", *extra),
        ],
        stdout=report.with_suffix(".out").open("w"),
        stderr=report.with_suffix(".err").open("w"),
        text=True,
        env={**os.environ, ENV: str(store)},
    )


def finished(process: subprocess.Popen[str], report: Path) -> tuple[int, str, str]:
    code = process.wait(timeout=120)
    return code, report.with_suffix(".out").read_text(), report.with_suffix(".err").read_text()


def written(report: Path) -> int:
    """Threads the report says were written (new or updated), over every run in it."""
    if not report.exists():
        return 0
    count = 0
    for line in report.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line cut by the kill
            continue
        count += record.get("outcome") in ("new", "updated")
    return count


def test_killed_three_times_then_finished_equals_one_clean_run(mirror: Path, tmp_path: Path):
    store = tmp_path / "store.sqlite3"
    report = tmp_path / "report.jsonl"
    kills_mid_run = 0
    for round_ in range(3):
        before = written(report)
        process = start(mirror, store, report)
        deadline = time.monotonic() + 60
        target = before + 5 + 9 * round_  # some threads in, never all of them
        while written(report) < target and process.poll() is None:
            assert time.monotonic() < deadline, "the run wrote nothing for a minute"
            time.sleep(0.01)
        if process.poll() is None:
            kills_mid_run += 1
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert kills_mid_run == 3
    code, out, err = finished(start(mirror, store, report), report)
    assert code == 0, err
    end = json.loads(out.splitlines()[-1])
    assert end["threads"] == THREADS and end["outcomes"].get("failed", 0) == 0
    # --verify and the clean run in process: the same command, without a second start-up
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, str(store))
        argv = ["migrate", "--to-store", STORE, "--from-mirror", str(mirror)]
        assert main([*argv, "--report", str(tmp_path / "v.jsonl"), "--verify"]) == 0
        clean = tmp_path / "clean.sqlite3"
        mp.setenv(ENV, str(clean))
        assert main([*argv, "--report", str(tmp_path / "clean.jsonl")]) == 0
    assert SQLiteStore(str(store)).rows() == SQLiteStore(str(clean)).rows()
