"""Many clients at once on a file database in WAL mode; deletes while others list."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx

from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.server import BETA_HEADERS

MakeServer = Callable[..., BackgroundServer]


def _async_client(server: BackgroundServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, headers=BETA_HEADERS, timeout=30)


async def test_listing_while_deleting_loses_nothing(make_server: MakeServer, tmp_path: Path):
    db = tmp_path / "chatkit.sqlite3"
    server = make_server(db=db, seed=300)
    store = server.store
    all_ids = [t.id for t in store.list_threads(limit=100).data]
    page = store.list_threads(limit=100, after=all_ids[-1])
    while page.data:
        all_ids.extend(t.id for t in page.data)
        page = store.list_threads(limit=100, after=page.data[-1].id)
    assert len(all_ids) == 300
    doomed = set(all_ids[::3])
    survivors = [i for i in all_ids if i not in doomed]

    async def walk(client: httpx.AsyncClient, limit: int) -> list[str]:
        ids: list[str] = []
        params: dict[str, str | int] = {"limit": limit}
        while True:
            response = await client.get("/chatkit/threads", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            ids.extend(t["id"] for t in body["data"])
            if not body["has_more"]:
                return ids
            params["after"] = body["last_id"]

    async def delete(client: httpx.AsyncClient, thread_id: str) -> int:
        return (await client.delete(f"/chatkit/threads/{thread_id}")).status_code

    async with _async_client(server) as client:
        walkers = [walk(client, limit) for limit in (3, 7, 10, 25) * 2]
        deleters = [delete(client, thread_id) for thread_id in doomed]
        results = await asyncio.gather(*walkers, *deleters)
    walks: list[list[str]] = results[: len(walkers)]  # type: ignore[assignment]
    statuses = results[len(walkers) :]
    assert statuses == [200] * len(doomed)
    for ids in walks:
        assert len(ids) == len(set(ids))  # no thread twice in one walk
        assert set(survivors) <= set(ids)  # no surviving thread skipped
        assert [i for i in all_ids if i in set(ids)] == ids  # still in order
    assert store.count_threads() == len(survivors)
    with sqlite3.connect(db) as other:  # another connection sees the committed state
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT count(*) FROM threads").fetchone()[0] == len(survivors)
        placeholders = ",".join("?" * len(doomed))
        orphans = other.execute(
            f"SELECT count(*) FROM items WHERE thread_id IN ({placeholders})", list(doomed)
        ).fetchone()[0]
        assert orphans == 0


async def test_concurrent_session_creation_and_cancel(local_server: BackgroundServer):
    body = {"user": "u", "workflow": {"id": "wf"}}
    async with _async_client(local_server) as client:
        created = await asyncio.gather(
            *(client.post("/chatkit/sessions", json=body) for _ in range(30))
        )
        ids = [r.json()["id"] for r in created]
        assert len(set(ids)) == 30
        cancelled = await asyncio.gather(
            *(client.post(f"/chatkit/sessions/{i}/cancel") for i in ids for _ in range(2))
        )
    assert {r.json()["status"] for r in cancelled} == {"cancelled"}
    for session_id in ids:
        session = local_server.store.get_session(session_id)
        assert session is not None and session.status == "cancelled"


async def test_double_delete_race_has_one_winner(local_server: BackgroundServer):
    thread_id = local_server.store.list_threads(limit=1).data[0].id
    async with _async_client(local_server) as client:
        responses = await asyncio.gather(
            *(client.delete(f"/chatkit/threads/{thread_id}") for _ in range(10))
        )
    assert sorted(r.status_code for r in responses) == [200] + [404] * 9


def test_threads_survive_a_restart_on_a_file_database(tmp_path: Path):
    db = tmp_path / "persist.sqlite3"
    with BackgroundServer(db=db, seed=12) as server:
        first = [t.id for t in server.store.list_threads(limit=100).data]
        assert server.store.delete_thread(first[0])
    with BackgroundServer(db=db, seed=12) as server:  # seed is skipped: not empty
        again = [t.id for t in server.store.list_threads(limit=100).data]
    assert again == first[1:]
