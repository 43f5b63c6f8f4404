"""The app on the operator's own chatkit-python Store, read in process (``--store``): what
HTTP hides shown (hidden-context items in the dimmed look the app has for them, each
thread's metadata in the thread view's header, literally), the kind of deployment on top,
a user filter that is that user's view of the Store, and a snapshot of it all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from chatkit_tui.backends.store.deployment import StoreDeployment
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from chatkit_tui.tui.threads.thread_view import ItemView
from tests.fixtures import own_store
from tests.fixtures.chatkit_python import (
    HIDDEN_TYPES,
    ITEM_TYPES,
    KITCHEN_SINK_THREAD,
    LONG_THREAD,
    SEED_END,
    SampleStore,
)
from tests.tui.helpers import (
    deployment_app,
    loaded,
    notifications,
    screen_text,
    settled,
    thread_list,
    view_done,
    wait_for,
)
from tests.tui.test_bulk import confirm_dialog, run_to_summary

SPEC = "tests.fixtures.own_store:make_store"
NOW = SEED_END.timestamp() + 3600
SnapCompare = Callable[..., bool]


@pytest.fixture
def store() -> SampleStore:
    return own_store.fresh()


def app_on_store(**kw: Any) -> ChatKitApp:
    return deployment_app(StoreDeployment.open(SPEC), now=lambda: NOW, **kw)


async def test_hidden_context_is_shown_dimmed_and_metadata_in_the_header(
    store: SampleStore,
) -> None:
    app = app_on_store()
    async with app.run_test(size=(200, 200)) as pilot:
        tl = await settled(pilot, app)
        assert [t.id for t in tl.threads] == store.stored_thread_ids()
        assert f"chatkit-python store · {SPEC}" in screen_text(app).splitlines()[0]
        assert tl.current is not None and tl.current.id == KITCHEN_SINK_THREAD
        await pilot.press("enter")
        view = await view_done(pilot, app, KITCHEN_SINK_THREAD)
        items = list(view.query(ItemView))
        assert {i.item.type for i in items} == {f"chatkit.{t}" for t in ITEM_TYPES}
        hidden = [i for i in items if str(i.item.type).removeprefix("chatkit.") in HIDDEN_TYPES]
        assert len(hidden) == 2 and all(i.has_class("-hidden") for i in hidden)
        assert not any(i.has_class("-hidden") for i in items if i not in hidden)
        text = screen_text(app)
        for seen in ("customer_tier", "The user cancelled the stream"):
            assert seen in text
        assert 'metadata  {"channel": "web", "rank": 0}' in text


async def test_metadata_is_shown_literally(store: SampleStore) -> None:
    row = store._threads[KITCHEN_SINK_THREAD]
    row.meta.metadata = {"note": "[@click=app.quit]quit[/] \x1b[31m"}
    app = app_on_store()
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        await view_done(pilot, app, KITCHEN_SINK_THREAD)
        text = screen_text(app)
        assert "[@click=app.quit]quit[/]" in text  # markup shown, not obeyed
        assert "\x1b" not in text and app.is_running


async def test_the_user_filter_is_that_users_view(store: SampleStore) -> None:
    app = app_on_store()
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", *"alice", "enter")
        alices = store.stored_thread_ids(user="alice")
        await wait_for(
            pilot, lambda: not tl.fetching and [t.id for t in tl.threads] == alices, what="alice's"
        )
        assert all(t.user == "alice" for t in tl.threads)


async def test_delete_archives_what_the_store_had_then_deletes_it(
    store: SampleStore, tmp_path: Path
) -> None:
    had = [i.id for i in store.stored_items(LONG_THREAD)]  # 255: hidden ones too
    archive_dir = tmp_path / "archive"
    app = app_on_store(archive_dir=archive_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        assert tl.select_thread(LONG_THREAD)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any("Deleted" in m for m in notifications(app)), what="the delete"
        )
        assert LONG_THREAD not in {t.id for t in tl.threads}
    assert LONG_THREAD not in store.stored_thread_ids()
    [path] = archive_dir.iterdir()
    archive = json.loads(path.read_text())
    assert archive["thread"]["metadata"] == {"channel": "web", "rank": 3}
    assert [i["id"] for i in archive["items"]] == had


async def test_the_delete_words_say_the_store_not_a_server(
    store: SampleStore, tmp_path: Path
) -> None:
    """A thread of a Store is deleted in the Store (no server is involved): the dialog,
    a thread already gone and the bulk summary say so."""
    app = app_on_store(archive_dir=tmp_path / "archive")
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        assert tl.select_thread(LONG_THREAD)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        assert dialog.warning.endswith("then deleted in the Store."), dialog.warning
        assert "deleted in the Store" in screen_text(app)
        del store._threads[LONG_THREAD]  # pyright: ignore[reportPrivateUsage]  # gone meanwhile
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any("already gone" in m for m in notifications(app)), what="gone"
        )
        said = next(m for m in notifications(app) if "already gone" in m)
        assert "already gone from the Store" in said and "server" not in said, said
        # the bulk delete's summary: a marked thread gone from the Store meanwhile
        assert tl.select_thread(KITCHEN_SINK_THREAD)
        await pilot.press("space")
        del store._threads[KITCHEN_SINK_THREAD]  # pyright: ignore[reportPrivateUsage]
        await confirm_dialog(pilot, app)
        screen = await run_to_summary(pilot, app, "1")
        assert screen.summary is not None and len(screen.summary.gone) == 1
        text = screen_text(app)
        assert "Already gone from the Store: 1" in text and "server" not in text, text


def test_snapshot_of_a_thread_with_hidden_context(
    store: SampleStore, snap_compare: SnapCompare
) -> None:
    async def open_newest(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ChatKitApp)
        await settled(pilot, app)
        await pilot.press("enter")
        await view_done(pilot, app, KITCHEN_SINK_THREAD)
        assert thread_list(app).current is not None
        await pilot.pause(0.05)

    assert snap_compare(app_on_store(), terminal_size=(100, 60), run_before=open_newest)
