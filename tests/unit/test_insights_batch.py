"""The SQLite mirror's batches: the threads a run has ready at once in one transaction, and
the insights day and user totals of its new threads summed in memory and written once per
transaction (``summaries.PendingTotals``). The totals must come out exactly as the
per-thread ones: checked against the summaries built from scratch (``summaries.install``)
after batches that mix new and changed threads, and after a real run killed mid-way and
run again.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatkit_tui.core.insights import summaries
from chatkit_tui.core.mirror import Origin
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer

REPO = Path(__file__).resolve().parents[2]
_TOTALS = ("ins_day", "ins_day_user", "ins_week_user", "ins_user")
_ROWS = {
    "ins_day": "kind, day, key, n",
    "ins_day_user": "day, user, threads, items",
    "ins_week_user": "week, user, threads",
    "ins_user": "user, threads, items, last_day",
    "ins_thread": "*",
    "ins_thread_kv": "*",
    "ins_day_users": "day, users",  # kept by triggers: equal to counting again
    "ins_week_users": "week, users",
}
DAY0 = 1_764_547_200  # 2025-12-01
ORIGIN = Origin("http://origin/v1")


def _thread(
    n: int, *, user: str | None = "u1", status: str = "active", day: int = 0
) -> ThreadRecord:
    created = DAY0 + day * 86_400 + n * 60
    owner = "null" if user is None else f'"{user}"'
    raw = (
        f'{{"id": "t{n}", "created_at": {created}, "user": {owner},'
        f' "status": {{"type": "{status}"}}}}'
    ).encode()
    return ThreadRecord(
        id=f"t{n}",
        raw=raw,
        created_at=created,
        user=user,
        title=f"thread {n}",
        status=status,
        readable=True,
    )


def _items(n: int, count: int, day: int = 0) -> list[ItemRecord]:
    at = DAY0 + day * 86_400 + n * 60
    out: list[ItemRecord] = []
    for i in range(count):
        kind = "chatkit.user_message" if i % 2 == 0 else "chatkit.assistant_message"
        raw = f'{{"id": "i{n}_{i}", "type": "{kind}", "content": []}}'.encode()
        out.append(ItemRecord(raw=raw, id=f"i{n}_{i}", created_at=at + i, type=kind))
    return out


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {
            name: sorted(db.execute(f"SELECT {cols} FROM {name}"), key=repr)
            for name, cols in _ROWS.items()
        }
    finally:
        db.close()


def _rebuilt(path: Path, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    """The summaries of a copy of the file built from scratch, thread by thread."""
    copy = tmp / "rebuilt.sqlite3"
    src = sqlite3.connect(path)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
    try:
        dst.isolation_level = None
        dst.execute("BEGIN")
        summaries.install(dst)
        assert summaries.keep_user_counts(dst)  # install drops them: counted again here
        dst.execute("COMMIT")
    finally:
        dst.close()
    return _tables(copy)


def test_a_batch_commits_its_threads_together_or_not_at_all(tmp_path: Path):
    path = tmp_path / "m.sqlite3"
    with SqliteMirror.open_file(path, create=True, origin=ORIGIN) as mirror:
        mirror.save_thread(_thread(1), _items(1, 2), items_after=None)
        with pytest.raises(RuntimeError), mirror.batch():
            mirror.save_thread(_thread(2), _items(2, 3), items_after=None)
            mirror.save_thread(_thread(3, user="u2"), _items(3, 1), items_after=None)
            raise RuntimeError("the run stopped mid-batch")
        with mirror.reading() as db:
            held = [r[0] for r in db.execute("SELECT id FROM threads ORDER BY id")]
    assert held == ["t1"]  # neither thread of the batch, nor its totals
    assert _tables(path) == _rebuilt(path, tmp_path)


def test_a_batch_writes_each_day_total_once_and_they_equal_the_per_thread_ones(tmp_path: Path):
    path = tmp_path / "m.sqlite3"
    with SqliteMirror.open_file(path, create=True, origin=ORIGIN) as mirror:
        mirror.save_thread(_thread(1), _items(1, 2), items_after=None)  # held before
        mirror.save_thread(_thread(2, user="u3", day=2), _items(2, 1, 2), items_after=None)
        upserts: list[str] = []

        def traced(sql: str) -> None:
            if sql.startswith("INSERT INTO ins_day "):
                upserts.append(sql)

        with mirror.reading() as db:
            db.set_trace_callback(traced)
        try:
            with mirror.batch():
                for n in range(10, 30):  # 20 new threads over 2 days, 3 users, one with none
                    user = None if n == 13 else f"u{n % 3}"
                    mirror.save_thread(
                        _thread(n, user=user, day=n % 2), _items(n, n % 4, n % 2), items_after=None
                    )
                # a thread held already, changed in the batch: the waiting totals go first
                mirror.save_thread(_thread(1, status="locked"), _items(1, 1), items_after=None)
                # a thread of the batch, grown in it
                mirror.save_thread(
                    _thread(10, user="u1", day=0), _items(10, 3)[1:], items_after=None
                )
                # the only thread of u3, moved to u4 (u3's rows go)
                mirror.save_thread(_thread(2, user="u4", day=2), [], items_after=None)
                for n in range(30, 40):  # more new threads after the flush
                    mirror.save_thread(
                        _thread(n, user="u1", day=1), _items(n, 2, 1), items_after=None
                    )
        finally:
            with mirror.reading() as db:
                db.set_trace_callback(None)
    got = _tables(path)
    assert got == _rebuilt(path, tmp_path)
    assert not [r for r in got["ins_user"] if r[0] == "u3"]
    # per thread, 20 + 10 new threads would write one row each of at least threads, size,
    # hour, status, type: > 150; once a (kind, day, key) per flush, far fewer
    assert 0 < len(upserts) < 60, len(upserts)


def _count(path: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM threads").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_a_run_killed_mid_way_and_run_again_keeps_the_totals_exact(tmp_path: Path):
    path = tmp_path / "m.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENAI_API_KEY": "sk-test-batch"}
    with BackgroundServer(seed=150, faults=Faults(latency_ms=15)) as server:
        command = [sys.executable, "-m", "chatkit_tui", "mirror", "--base-url", server.base_url]
        proc = subprocess.Popen(
            [*command, "--db", str(path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while _count(path) < 20:
                assert proc.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline, "the run did not get going"
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        killed = _count(path)
        assert 20 <= killed < 150
        shutil.copy(path, tmp_path / "killed.sqlite3")
        if Path(f"{path}-wal").exists():
            shutil.copy(f"{path}-wal", tmp_path / "killed.sqlite3-wal")
        # what the killed run committed: whole threads, their totals exact
        assert _tables(tmp_path / "killed.sqlite3") == _rebuilt(
            tmp_path / "killed.sqlite3", tmp_path
        )
        again = subprocess.run(
            [*command, "--db", str(path)], env=env, capture_output=True, check=False, timeout=90
        )
        assert again.returncode == 0, again.stderr
    assert _count(path) == 150
    assert _tables(path) == _rebuilt(path, tmp_path)


def test_a_batch_of_many_threads_writes_the_same_rows_and_types_as_thread_by_thread(
    tmp_path: Path,
):
    """A batch's rows go many to a statement (64, 32, 16, then executemany): 150 new
    threads in one batch, every statement size used, come out as the summaries built
    thread by thread, values and SQL types alike (a thread of no user: a BLOB user)."""
    path = tmp_path / "m.sqlite3"
    with SqliteMirror.open_file(path, create=True, origin=ORIGIN) as mirror, mirror.batch():
        for n in range(150):
            user = None if n % 17 == 0 else f"u{n % 7}"
            mirror.save_thread(
                _thread(n, user=user, day=n % 5), _items(n, n % 6, n % 5), items_after=None
            )
    assert _tables(path) == _rebuilt(path, tmp_path)
    db = sqlite3.connect(path)
    try:
        typed = sorted(
            db.execute(
                "SELECT typeof(user), typeof(pk), typeof(kind), typeof(key), typeof(n), count(*)"
                " FROM ins_thread_kv GROUP BY 1, 2, 3, 4, 5"
            )
        )
        no_user = db.execute("SELECT count(*) FROM ins_thread WHERE user IS NULL").fetchone()[0]
        day_types = set(db.execute("SELECT typeof(day), typeof(key), typeof(n) FROM ins_day"))
    finally:
        db.close()
    assert no_user == 9
    assert ("blob", "integer", "text", "text", "integer") in [t[:5] for t in typed]
    assert {t[0] for t in typed} == {"blob", "text"} and {t[1] for t in typed} == {"integer"}
    assert day_types <= {("integer", "text", "integer"), ("integer", "integer", "integer")}
