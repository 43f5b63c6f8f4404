"""The server fixtures start real servers that answer over loopback."""

from __future__ import annotations

import httpx

from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.server import BETA_HEADERS, LOCAL_SEED, SHARED_SEED


def test_local_server_serves_its_seeded_threads(local_server: BackgroundServer) -> None:
    assert local_server.base_url.startswith("http://127.0.0.1:")
    assert local_server.base_url.endswith("/v1")
    response = httpx.get(
        f"{local_server.base_url}/chatkit/threads", params={"limit": 100}, headers=BETA_HEADERS
    )
    assert response.status_code == 200
    assert len(response.json()["data"]) == LOCAL_SEED == local_server.store.count_threads()


def test_seeded_server_has_big_threads(seeded_server: BackgroundServer) -> None:
    assert seeded_server.store.count_threads() == SHARED_SEED
    (_, most), *_ = seeded_server.store.thread_ids_by_item_count(1)
    assert most >= 1000


def test_stop_frees_the_port_and_closes_the_store() -> None:
    server = BackgroundServer(seed=3).start()
    url = server.base_url
    assert server.running
    server.stop()
    assert not server.running
    try:
        httpx.get(f"{url}/chatkit/threads", headers=BETA_HEADERS, timeout=1)
    except httpx.ConnectError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the server still answers after stop()")
