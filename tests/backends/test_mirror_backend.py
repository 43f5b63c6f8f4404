"""The mirror read in process answers what ``serve --db`` of the same file answers over
HTTP, record for record and byte for byte: one way to read a mirror, the same result."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatkit_tui.backends.mirror import MIRROR
from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.errors import NotFoundError, PermissionDeniedError
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
from chatkit_tui.server.run import BackgroundServer


@pytest.fixture(scope="module")
def mirror_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    path = tmp_path_factory.mktemp("mirror") / "m.sqlite3"
    with BackgroundServer(seed=40) as server:

        async def run() -> None:
            async with AsyncChatKit(api_key="k", base_url=server.base_url) as client:
                origin = Origin(client.base_url)
                with Mirror.open(path, create=True, origin=origin) as mirror:
                    summary = await MirrorSync(client, mirror).run()
                    assert summary.complete and summary.threads == 40

        asyncio.run(run())
    return path


async def _walk(deployment: object) -> dict[str, tuple[bytes, list[bytes]]]:
    out: dict[str, tuple[bytes, list[bytes]]] = {}
    async for thread in deployment.threads.list(limit=7, order="asc"):  # type: ignore[attr-defined]
        items = [i.raw async for i in deployment.threads.list_items(thread.id, limit=9)]  # type: ignore[attr-defined]
        asc = deployment.threads.list_items(thread.id, limit=9, order="asc")  # type: ignore[attr-defined]
        items += [i.raw async for i in asc]
        out[thread.id] = (thread.raw, items)
    return out


async def test_in_process_reads_equal_the_served_mirror_byte_for_byte(mirror_path: Path) -> None:
    with BackgroundServer(db=mirror_path, api_key="served-key-1234") as served:
        async with AsyncChatKit(api_key="served-key-1234", base_url=served.base_url) as http:
            over_http = await _walk(http)
            first_http = await http.threads.retrieve(next(iter(over_http)))
    async with MirrorDeployment.open(mirror_path) as local:
        in_process = await _walk(local)
        first_local = await local.threads.retrieve(next(iter(in_process)))
        assert local.base_url.startswith("http://127.0.0.1:")  # the origin it copies
    assert len(in_process) == 40
    assert sum(len(items) for _, items in in_process.values()) > 100
    assert in_process == over_http
    assert first_local.raw == first_http.raw


async def test_paging_order_user_and_cursors(mirror_path: Path) -> None:
    async with MirrorDeployment.open(mirror_path) as local:
        newest = await local.threads.list(limit=5)
        oldest = await local.threads.list(limit=5, order="asc")
        assert newest.has_more and len(newest.data) == 5
        assert [t.created_at for t in newest.data] == sorted(
            (t.created_at for t in newest.data), reverse=True
        )
        assert newest.data[0].id != oldest.data[0].id
        user = newest.data[0].user
        mine = [t async for t in local.threads.list(user=user, limit=3)]
        assert mine and all(t.user == user for t in mine)
        # the next page after an item's id starts right after it, as after its ~seq: cursor
        thread = next(t for t in oldest.data if t.id)
        items = [i async for i in local.threads.list_items(thread.id, order="asc")]
        assert len(items) >= 3
        by_id = await local.threads.list_items(thread.id, after=items[0].id, limit=1, order="asc")
        by_seq = await local.threads.list_items(thread.id, after="~seq:0", limit=1, order="asc")
        assert by_id.data[0].raw == by_seq.data[0].raw == items[1].raw
        newest_first = [i async for i in local.threads.list_items(thread.id, limit=2)]
        assert newest_first == items[::-1]


async def test_a_copy_refuses_to_delete_and_says_what_is_missing(mirror_path: Path) -> None:
    assert MIRROR.read_only_copy and not MIRROR.delete and not MIRROR.sessions
    async with MirrorDeployment.open(mirror_path) as local:
        some = (await local.threads.list(limit=1)).data[0]
        with pytest.raises(PermissionDeniedError, match="it is a copy"):
            await local.threads.delete(some.id)
        assert (await local.threads.retrieve(some.id)).id == some.id  # still there
        with pytest.raises(NotFoundError, match="no thread 'cthr_nope'"):
            await local.threads.retrieve("cthr_nope")
        with pytest.raises(NotFoundError):
            await local.threads.list_items("cthr_nope")
        with pytest.raises(NotFoundError, match="names no item"):
            await local.threads.list_items(some.id, after="citem_nope")
