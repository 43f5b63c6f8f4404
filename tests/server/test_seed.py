"""The demo data: deterministic, varied, and hostile where a UI needs it to be."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import chatkit_tui.server.seed as seed_module
from chatkit_tui.client.models import Thread
from chatkit_tui.server.seed import BIG_THREADS, seed
from chatkit_tui.server.store import Store


def _everything(store: Store) -> tuple[list[Thread], list[bytes]]:
    threads: list[Thread] = []
    page = store.list_threads(limit=100, order="asc")
    while True:
        threads.extend(page.data)
        if not page.has_more:
            break
        page = store.list_threads(limit=100, order="asc", after=page.last_id)
    items: list[bytes] = []
    for thread in threads:
        item_page = store.list_items(thread.id, limit=100, order="asc")
        while item_page is not None:
            items.extend(item_page.data)
            if not item_page.has_more:
                break
            item_page = store.list_items(thread.id, limit=100, order="asc",
                                         after=item_page.last_id)  # fmt: skip
    return threads, items


def test_same_seed_same_data_other_seed_other_data():
    with Store() as a, Store() as b, Store() as c:
        seed(a, 50, rng_seed=4)
        seed(b, 50, rng_seed=4)
        seed(c, 50, rng_seed=5)
        data_a, data_b, data_c = _everything(a), _everything(b), _everything(c)
    assert data_a == data_b
    assert data_a[0] != data_c[0] and data_a[1] != data_c[1]
    assert len(data_a[0]) == 50


def test_zero_threads_is_an_empty_store():
    with Store() as store:
        seed(store, 0)
        assert store.count_threads() == 0 and store.count_items() == 0


def test_threads_are_varied():
    with Store() as store:
        seed(store, 400)
        threads, _ = _everything(store)
    users = Counter(t.user for t in threads)
    assert len(users) >= 15
    assert max(users.values()) >= 3 * min(users.values())  # some users own many threads
    assert any("@" in u for u in users) and any(u.startswith("user_") for u in users)
    statuses = Counter(t.status.type for t in threads)
    assert set(statuses) == {"active", "locked", "closed"}
    assert statuses["active"] > statuses["locked"]
    reasons = [t.status.reason for t in threads if t.status.type != "active"]
    assert any(reasons) and None in reasons
    titles = [t.title for t in threads]
    assert None in titles and len(set(titles)) > 150
    created = Counter(t.created_at for t in threads)
    assert max(created.values()) >= 2  # equal timestamps exist, ordered by id


def test_hostile_titles_are_near_the_top():
    with Store() as store:
        seed(store, 20)
        titles = [t.title or "" for t in store.list_threads(limit=10).data]
    joined = "\n".join(titles)
    assert "[bold]x[/]" in joined
    assert "[@click=app.quit]" in joined
    assert "\x1b[31m" in joined


def test_big_and_empty_threads():
    with Store() as store:
        seed(store, 60)
        counts = dict(store.thread_ids_by_item_count(3))
        assert sorted(counts.values(), reverse=True)[:2] == sorted(BIG_THREADS.values(),
                                                                   reverse=True)  # fmt: skip
        empty = [t for t in store.list_threads(limit=60).data if store.count_items(t.id) == 0]
        assert empty
    with Store() as small:
        seed(small, 20)  # small seeds stay small: no thread of thousands
        assert small.thread_ids_by_item_count(1)[0][1] < 100


def test_items_only_for_the_newest_threads_when_huge(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(seed_module, "ITEM_THREADS_MAX", 30)
    with Store() as store:
        seed(store, 100)
        threads = store.list_threads(limit=100).data
        with_items = [i for i, t in enumerate(threads) if store.count_items(t.id)]
    assert with_items and max(with_items) < 30


def test_store_expands_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with Store("~/nested/dir/db.sqlite3") as store:
        seed(store, 2)
    assert (tmp_path / "nested" / "dir" / "db.sqlite3").exists()


def test_base_time_moves_the_timestamps_and_nothing_else():
    with Store() as fixed, Store() as recent:
        seed(fixed, 40)
        seed(recent, 40, base_time=seed_module.BASE_TIME + 86_400)
        a, a_items = _everything(fixed)
        b, b_items = _everything(recent)
    assert [t.id for t in a] == [t.id for t in b]
    assert [t.title for t in a] == [t.title for t in b]
    assert max(t.created_at for t in a) == seed_module.BASE_TIME
    assert max(t.created_at for t in b) == seed_module.BASE_TIME + 86_400
    assert [t.created_at + 86_400 for t in a] == [t.created_at for t in b]
    assert len(a_items) == len(b_items)


def test_background_server_seeds_up_to_seed_time():
    from chatkit_tui.server.run import BackgroundServer

    with BackgroundServer(seed=5, seed_time=2_000_000_000) as server:
        newest = server.store.list_threads(limit=1, order="desc").data[0]
    assert newest.created_at == 2_000_000_000
