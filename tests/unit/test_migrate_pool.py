"""``migrate`` converting in a worker process (chatkit_tui/core/migrate/worker.py), for
real: the worker is looked for among the run's child processes (/proc), the Store
compared row for row with a run that converts in process, and the run stopped by
Ctrl-C to its process group and by the worker's own death."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.migrate.run import Migration, ThreadResult
from chatkit_tui.core.migrate.source import MirrorSource, Page, SourceThread
from chatkit_tui.core.migrate.worker import ENV as WORKERS
from chatkit_tui.core.mirror import Mirror
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.stores import Ctx
from tests.fixtures.stores.sqlite_store import ENV, SQLiteStore

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="/proc")

STORE = "tests.fixtures.stores.sqlite_store:make_store"
THREADS = 400
"""More than the worker's threshold (POOL_MIN), so that a run left to itself starts it."""


SMALL = 150
"""The runs stopped for real (the worker forced on): two pages, some written before the stop."""


def _mirror(tmp_path_factory: pytest.TempPathFactory, threads: int) -> Path:
    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=threads) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mirror(tmp_path_factory, THREADS)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mirror(tmp_path_factory, SMALL)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # [state, ppid, ...]


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid``: their command lines."""
    out: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is not None and fields[0] != "Z" and int(fields[1]) == pid:
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            out[int(entry)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return out


def workers(pid: int) -> set[int]:
    """The conversion worker(s) among ``pid``'s children (multiprocessing's spawn)."""
    return {p for p, cmd in children(pid).items() if "spawn_main" in cmd}


def gone(pids: set[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Target:
    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    async def context(self, user: str | None) -> Ctx:
        return Ctx(user)


async def _run(source: Any, store: SQLiteStore, **kw: Any) -> tuple[list[Any], Any, set[int]]:
    """The run's report records; and the worker processes seen while it ran."""
    seen: set[int] = set()
    results: list[dict[str, Any]] = []

    def on_thread(result: ThreadResult) -> None:
        results.append(result.as_json())
        if len(results) % 50 == 1:
            seen.update(workers(os.getpid()))

    summary = await Migration(source, Target(store), **kw).run(on_thread)
    end = summary.as_json()
    del end["elapsed"]
    return results, end, seen


def test_a_large_mirror_converts_in_a_worker_and_the_store_is_the_same(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(WORKERS, raising=False)
    runs: dict[str, tuple[list[Any], Any, set[int], SQLiteStore]] = {}
    for name, kw in (("pool", {}), ("in process", {"workers": 0})):
        store = SQLiteStore(str(tmp_path / f"{name}.sqlite3"))
        with Mirror.open(mirror, read_only=True) as m:
            results, end, seen = asyncio.run(_run(MirrorSource(m), store, **kw))
        runs[name] = (results, end, seen, store)
    pool, plain = runs["pool"], runs["in process"]
    assert pool[2], "no worker process while the run converted 400 threads"
    assert not plain[2]
    assert pool[1]["outcomes"] == {"new": THREADS}
    assert (pool[0], pool[1]) == (plain[0], plain[1])  # the report, thread by thread
    assert pool[3].rows() == plain[3].rows()
    assert gone(pool[2]), "the worker outlived the run"
    # the second run converts nothing: it starts no worker
    with Mirror.open(mirror, read_only=True) as m:
        _, end, seen = asyncio.run(_run(MirrorSource(m), pool[3]))
    assert end["outcomes"] == {"unchanged": THREADS} and end["writes"] == 0
    assert not seen and not workers(os.getpid())
    rows = pool[3].rows()
    # --verify converts every thread: in the worker, with the same verdicts
    for mode in ("verify",):
        with Mirror.open(mirror, read_only=True) as m:
            results, end, seen = asyncio.run(_run(MirrorSource(m), pool[3], mode=mode))
        with Mirror.open(mirror, read_only=True) as m:
            results0, end0, _ = asyncio.run(_run(MirrorSource(m), pool[3], mode=mode, workers=0))
        assert seen, mode
        assert (results, end) == (results0, end0)
        assert end["threads"] == THREADS and "failed" not in end["outcomes"]
    assert SQLiteStore(str(tmp_path / "pool.sqlite3")).rows() == rows


class Listed:
    """A source of hand-made records: some the mapping refuses (no id)."""

    def __init__(self, threads: Sequence[tuple[bytes, list[bytes]]]) -> None:
        self.threads = threads

    async def count(self) -> int:
        return len(self.threads)

    async def pages(self) -> Any:
        page: Page = []
        for n, (raw, raws) in enumerate(self.threads):
            page.append((SourceThread(f"t{n}", None, raw), raws))
            if len(page) == 7:
                yield page
                page = []
        if page:
            yield page


def test_a_thread_the_worker_cannot_convert_is_reported_as_in_process(tmp_path: Path):
    item = b'{"id":"i_%s","object":"chatkit.thread_item","type":"chatkit.user_message",'
    item += b'"thread_id":"%s","created_at":1700000000,"content":[]}'
    threads: list[tuple[bytes, list[bytes]]] = []
    for n in range(20):
        if n % 6 == 2:
            threads.append((b'{"title":"no id"}', []))
        elif n % 6 == 4:
            threads.append((b"[1, 2", []))
        else:
            raw = b'{"id":"t%d","object":"chatkit.thread","created_at":1700000000}' % n
            threads.append((raw, [item % (b"t%d" % n, b"t%d" % n)]))
    outs: list[tuple[list[Any], Any]] = []
    for n, kw in enumerate(({"workers": 1}, {"workers": 0})):
        store = SQLiteStore(str(tmp_path / f"s{n}.sqlite3"))
        results, end, seen = asyncio.run(_run(Listed(threads), store, **kw))
        assert bool(seen) == (kw["workers"] == 1)
        outs.append((results, end))
    assert outs[0] == outs[1]
    failed = [r for r in outs[0][0] if r["outcome"] == "failed"]
    assert [r["id"] for r in failed] == ["t2", "t4", "t8", "t10", "t14", "t16"]
    no_id = "converting: ValueError: the thread is not a JSON object with an id"
    assert failed[0]["reason"] == no_id
    assert failed[1]["reason"].startswith("converting: ")
    assert outs[0][1]["outcomes"] == {"failed": 6, "new": 14}


def start(mirror: Path, store: Path, report: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "chatkit_tui", "migrate", "--to-store", STORE),
            *("--from-mirror", str(mirror), "--report", str(report), "--json", *extra),
        ],
        stdout=report.with_suffix(".out").open("w"),
        stderr=report.with_suffix(".err").open("w"),
        text=True,
        env={**os.environ, ENV: str(store), WORKERS: "1"},
        start_new_session=True,  # its own process group, as a terminal's job
    )


def written(report: Path) -> int:
    if not report.exists():
        return 0
    count = 0
    for line in report.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        count += record.get("outcome") in ("new", "updated")
    return count


def wait_for(process: subprocess.Popen[str], report: Path, threads: int) -> set[int]:
    """Until the report shows ``threads`` written (0: until the worker is there): the
    run's workers seen meanwhile."""
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while (written(report) < threads or not seen) and process.poll() is None:
        assert time.monotonic() < deadline, "the run wrote nothing for a minute"
        seen |= workers(process.pid)
        time.sleep(0.01)
    seen |= workers(process.pid)
    assert process.poll() is None, "the run ended before it could be stopped"
    assert seen, "no worker process"
    return seen


def finish_and_verify(mirror: Path, store: Path, tmp_path: Path) -> None:
    report = tmp_path / "last.jsonl"
    process = start(mirror, store, report)
    code = process.wait(timeout=120)
    assert code == 0, report.with_suffix(".err").read_text()
    end = json.loads(report.with_suffix(".out").read_text().splitlines()[-1])
    assert end["threads"] == SMALL and end["outcomes"].get("failed", 0) == 0
    verify = start(mirror, store, tmp_path / "verify.jsonl", "--verify")
    assert verify.wait(timeout=120) == 0


def test_kill_9_leaves_no_worker_and_a_rerun_completes(small: Path, tmp_path: Path):
    mirror = small
    store, report = tmp_path / "store.sqlite3", tmp_path / "report.jsonl"
    process = start(mirror, store, report)
    try:
        seen = wait_for(process, report, 30)
        everyone = set(children(process.pid))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert gone(everyone), f"left behind: {[p for p in everyone if alive(p)]}"
    assert seen <= everyone
    finish_and_verify(mirror, store, tmp_path)


def test_ctrl_c_to_the_process_group_stops_the_run_and_its_worker(small: Path, tmp_path: Path):
    mirror = small
    store, report = tmp_path / "store.sqlite3", tmp_path / "report.jsonl"
    process = start(mirror, store, report)
    try:
        seen = wait_for(process, report, 30)
        os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C: every process of the job
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 130, report.with_suffix(".err").read_text()
    assert "stopping after the thread under way" in report.with_suffix(".err").read_text()
    end = json.loads(report.with_suffix(".out").read_text().splitlines()[-1])
    assert end["stopped"] and 30 <= end["threads"] < SMALL
    assert gone(seen, within=0.5)  # shut down by the run, not orphaned
    finish_and_verify(mirror, store, tmp_path)


def test_a_worker_that_dies_fails_the_run_clearly_and_nothing_is_half_written(
    small: Path, tmp_path: Path
):
    mirror = small
    store, report = tmp_path / "store.sqlite3", tmp_path / "report.jsonl"
    process = start(mirror, store, report)
    try:
        seen = wait_for(process, report, 0)  # killed while it starts, or converts page 1
        for pid in seen:
            os.kill(pid, signal.SIGKILL)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    err = report.with_suffix(".err").read_text()
    assert code == 8, err
    assert "the conversion worker process ended unexpectedly" in err
    assert "Traceback" not in err
    records = [json.loads(line) for line in report.read_text().splitlines()]
    assert "conversion worker" in records[-1]["error"]
    done = [r for r in records if r.get("record") == "thread"]
    assert all(r["outcome"] == "new" for r in done) and len(done) % 100 == 0
    # every thread the report names is whole in the Store, marked; no other is there
    rows = SQLiteStore(str(store)).rows()
    threads = {row[1].split("/", 1)[1]: json.loads(row[2]) for row in rows if row[0] == "threads"}
    assert set(threads) == {r["id"] for r in done}
    assert all("chatkit_tui_migrated" in t["thread"]["metadata"] for t in threads.values())
    finish_and_verify(mirror, store, tmp_path)
