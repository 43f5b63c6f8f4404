"""A mirror on read-only media is browsed, searched, served and checked.

A backup volume: the mirror's directory cannot be written (SQLite cannot make the
``-shm`` file that WAL mode shares), or only its file cannot, or the whole filesystem is
read-only; or the copy was taken while a run had changes in its ``-wal`` and no ``-shm``
came with it. Every reader here is a real subprocess that cannot write there, root
included (:mod:`tests.fixtures.read_only`), and each case first proves that it cannot:
``search``, ``mirror --check``, ``serve --db`` and the app (``--mirror``, under Pilot)
then read the copy as they read the original.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures import read_only
from tests.fixtures.server import BETA_HEADERS
from tests.server.helpers import api

WORD = "refund"
THREADS = 20


@pytest.fixture(scope="module")
def origin() -> Iterator[BackgroundServer]:
    with BackgroundServer(seed=THREADS) as server:
        yield server


@pytest.fixture(scope="module")
def original(origin: BackgroundServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror of the origin, closed (its WAL checkpointed into the file)."""
    path = tmp_path_factory.mktemp("original") / "mirror.sqlite3"
    asyncio.run(_sync(origin, path, keep_open_then=None))
    return path


async def _sync(origin: BackgroundServer, path: Path, keep_open_then: Path | None) -> None:
    """Mirror ``origin`` into ``path``; with ``keep_open_then``, copy the file and its WAL
    there while the run's connection still holds them (a copy taken mid-use, no -shm)."""
    async with AsyncChatKit(api_key="k", base_url=origin.base_url) as client:
        with Mirror.open(path, create=True, origin=Origin(origin.base_url)) as mirror:
            assert (await MirrorSync(client, mirror).run()).complete
            if keep_open_then is not None:
                shutil.copyfile(path, keep_open_then)
                shutil.copyfile(f"{path}-wal", f"{keep_open_then}-wal")


@dataclass
class Media:
    path: Path
    mount: Path | None  # a read-only filesystem: the mount point
    copy: bool  # read as a read-only copy (no shared WAL index possible)
    denied: set[str]  # what the reader must not be able to write
    reference: Path  # a writable mirror of the same rows, to compare with


CASES = ["directory", "file", "filesystem", "wal"]


@pytest.fixture(params=CASES)
def media(
    request: pytest.FixtureRequest, original: Path, origin: BackgroundServer, tmp_path: Path
) -> Iterator[Media]:
    case: str = request.param
    if case == "filesystem" and not read_only.read_only_mounts():
        pytest.skip("this machine allows no private mount namespace (unshare -m / -rm)")
    place = tmp_path / "media"
    place.mkdir()
    path = place / "mirror.sqlite3"
    reference = original
    if case == "wal":
        reference = tmp_path / "live.sqlite3"  # the copy's rows, numbered as the copy's are
        asyncio.run(_sync(origin, reference, keep_open_then=path))
        assert Path(f"{path}-wal").stat().st_size > 0 and not Path(f"{path}-shm").exists()
    else:
        shutil.copyfile(original, path)
    modes = {"directory": (0o555, 0o444), "file": (0o755, 0o444), "filesystem": (0o755, 0o644)}
    dir_mode, file_mode = modes.get(case, (0o555, 0o444))
    for f in place.iterdir():
        f.chmod(file_mode)
    place.chmod(dir_mode)
    both = {"directory", "file"}
    yield Media(
        path=path,
        mount=place if case == "filesystem" else None,
        copy=case != "file",
        denied={"file"} if case == "file" else both,
        reference=reference,
    )
    place.chmod(0o755)


def test_the_reader_really_cannot_write_there(media: Media):
    assert read_only.write_denied(media.path.parent, media.path, read_only_mount=media.mount) == (
        media.denied
    )


def test_search_reads_a_read_only_copy(media: Media, capsys: pytest.CaptureFixture[str]):
    assert main(["search", "--db", str(media.reference), WORD, "--json"]) == 0
    expected = capsys.readouterr().out
    assert expected.count("\n") >= 2
    result = read_only.run(
        [sys.executable, "-m", "chatkit_tui", "search", "--db", str(media.path), WORD, "--json"],
        read_only_mount=media.mount,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert result.stderr == ""  # nothing alarming


def test_check_works_on_a_read_only_copy(media: Media):
    result = read_only.run(
        [sys.executable, "-m", "chatkit_tui", "mirror", "--check", "--db", str(media.path)],
        read_only_mount=media.mount,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("no damage found") and f"{THREADS} threads" in result.stdout


def test_serve_serves_a_read_only_copy_as_the_original(media: Media, original: Path):
    server = read_only.popen(
        [sys.executable, "-m", "chatkit_tui", "serve", "--db", str(media.path), "--port", "0",
         "--quiet"],
        read_only_mount=media.mount,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert banner.startswith("ChatKit API on http://127.0.0.1:"), server.communicate()
        kind = "read-only copy" if media.copy else "read-only,"
        assert f"{media.path}, {kind}" in banner and f"{THREADS} threads" in banner
        headers = {**BETA_HEADERS, "Authorization": "Bearer any"}
        with (
            BackgroundServer(db=original) as reference,
            httpx.Client(base_url=banner.split()[3], headers=headers, timeout=10) as copy,
            api(reference) as real,
        ):
            for path in ("/chatkit/threads?limit=100", "/chatkit/threads?order=asc&limit=7"):
                assert copy.get(path).content == real.get(path).content
            first = real.get("/chatkit/threads").json()["data"][0]["id"]
            items = f"/chatkit/threads/{first}/items?limit=100"
            assert copy.get(items).content == real.get(items).content
    finally:
        server.terminate()
        server.communicate(timeout=10)


APP_PROBE = """
import asyncio, json, sys

async def main(path):
    from pathlib import Path
    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.core.local import LocalError, mirror_label
    from chatkit_tui.tui.app import ChatKitApp
    from chatkit_tui.tui.threads.thread_list import ThreadList

    try:
        label = mirror_label(Path(path))
    except LocalError as exc:
        print(json.dumps({"exit": exc.code}))
        return
    # the mirror read in process, as chatkit-tui --mirror PATH does
    async with MirrorDeployment.open(path) as client:
        app = ChatKitApp(client, endpoint_label=label, read_only=True, mirror_path=Path(path))
        async with app.run_test(size=(120, 40)) as pilot:
            tl = app.main_screen.query_one("#threads", ThreadList)
            view = app.main_screen.view
            for _ in range(500):
                if tl.row_count and view.item_count:
                    break
                await pilot.pause(0.02)
            print(json.dumps({
                "label": label,
                "rows": tl.row_count,
                "items": view.item_count,
                "notes": [n.message for n in app._notifications],
            }))

asyncio.run(main(sys.argv[1]))
"""


def test_the_app_browses_a_read_only_copy(media: Media):
    result = read_only.run(
        [sys.executable, "-c", APP_PROBE, str(media.path)], read_only_mount=media.mount
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["rows"] == THREADS and shown["items"] > 0, shown
    assert shown["notes"] == []
    assert ("read-only copy" in shown["label"]) == media.copy, shown["label"]
