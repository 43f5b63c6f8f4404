"""The app on a real chatkit-python deployment (openai-chatkit's own ChatKitServer over a
Store, served by uvicorn on loopback, tests/fixtures/chatkit_python.py): what it lists and
shows, what it cannot do left out of the footer, the help and the palette (and its keys
doing nothing), delete end to end, every item type of the kitchen-sink thread, the
operator's auth deciding whose threads are seen."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from textual.command import CommandPalette
from textual.pilot import Pilot

from chatkit_tui.backends.chatkit_python.client import ChatKitPython
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.mark_by_rule import MarkByRuleScreen
from chatkit_tui.tui.threads.thread_view import ItemView
from tests.fixtures.chatkit_python import (
    HIDDEN_TYPES,
    KITCHEN_SINK_THREAD,
    REFUND_THREAD,
    SEED_END,
    VISIBLE_TYPES,
    ChatKitPythonSample,
)
from tests.tui.helpers import (
    active_keys,
    deployment_app,
    loaded,
    notifications,
    screen_text,
    settled,
    thread_list,
    view_done,
    wait_for,
)

NOW = SEED_END.timestamp() + 3600  # an hour after the newest thread
SnapCompare = Callable[..., bool]

# the look each visible item type of the sample has: ItemView's CSS class, its heading,
# and a line of what it shows
LOOKS = {
    "user_message": ("user", "USER", "My blender arrived with a cracked jar"),
    "assistant_message": ("assistant", "ASSISTANT", "Here is your return label"),
    "client_tool_call": ("tool", "TOOL CALL get_order_status", '"carrier": "UPS"'),
    "widget": ("widget", "WIDGET", '"type": "Card"'),
    "generated_image": ("image", "GENERATED IMAGE", "generated/return-label-4411.png"),
    "structured_input": ("input", "STRUCTURED INPUT", "How would you like us to fix this?"),
    "workflow": ("workflow", "WORKFLOW reasoning", "[web_search] Searching the help center"),
    "task": ("task", "TASK", "[custom] Checked order #4411"),
    "end_of_turn": ("end-of-turn", "END OF TURN", "— end of thread · 12 items —"),
}


def now() -> float:
    return NOW


def app_on(sample: ChatKitPythonSample, headers: dict[str, str] | None = None, **kw: Any):
    deployment = ChatKitPython(sample.url, sample.admin_headers if headers is None else headers)
    return deployment_app(deployment, now=now, **kw)


def sent(sample: ChatKitPythonSample, kind: str, params: dict[str, object]) -> Any:
    """What the server answers ``kind`` (parsed), asked for outside the app."""
    response = httpx.post(
        sample.url, json={"type": kind, "params": params}, headers=sample.admin_headers
    )
    response.raise_for_status()
    return response.json()


async def test_lists_the_deployments_threads_and_says_what_it_is(
    chatkit_python: ChatKitPythonSample,
) -> None:
    app = app_on(chatkit_python)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        assert [t.id for t in tl.threads] == chatkit_python.store.stored_thread_ids()
        text = screen_text(app)
        top = text.splitlines()[0]
        assert f"chatkit-python · {chatkit_python.url}" in top
        assert "READ-ONLY" not in top  # it deletes: not a copy
        titles = [t.title for t in tl.threads[:5] if t.title]
        assert titles and all(title[:20] in text for title in titles)
        # threads there name no user: no user column (its header) and no user line
        header = text.splitlines()[1]
        assert "Title" in header and "User" not in header
        assert "    user  " not in text


async def test_what_it_cannot_do_is_not_offered_and_its_keys_do_nothing(
    chatkit_python: ChatKitPythonSample,
) -> None:
    app = app_on(chatkit_python)
    async with app.run_test(size=(120, 80)) as pilot:
        await settled(pilot, app)
        await view_done(pilot, app, KITCHEN_SINK_THREAD)  # its items read: nothing in flight
        keys = active_keys(app)
        assert "s" not in keys and "u" not in keys
        assert keys["d"] == "main.delete" and keys["D"] == "main.bulk_delete"
        await wait_for(pilot, lambda: "d Delete" in screen_text(app), what="the footer")
        assert "u User" not in screen_text(app)
        asked = sum(chatkit_python.requests.values())
        for key in ("s", "u"):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen), key
        assert notifications(app) == []  # nothing tried, nothing to say
        assert sum(chatkit_python.requests.values()) == asked

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "app.quit" in screen_text(app), what="the help")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(screen_text(app).split())
        for gone in ("main.sessions", "main.user_filter", "sessions.", "user_filter.cancel"):
            assert gone not in help_text, gone
        assert "Session panel" not in help_text and "User filter dialog" not in help_text
        assert "set the user filter" not in help_text and "session panel" not in help_text
        assert "main.delete" in help_text and "main.mark_by_rule" in help_text
        assert "A chatkit-python deployment cannot create or cancel" in help_text  # wrapped:
        assert "sessions or filter threads by user: those keys are left out" in help_text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_for(pilot, lambda: "Refresh threads" in screen_text(app), what="the hits")
        palette = screen_text(app)
        assert "Refresh threads" in palette and "Mark threads older than" in palette
        assert "Sessions…" not in palette and "Set user filter" not in palette
        assert "within the user filter" not in palette


async def test_mark_by_rule_offers_age_and_status_only(
    chatkit_python: ChatKitPythonSample,
) -> None:
    app = app_on(chatkit_python)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MarkByRuleScreen))
        text = screen_text(app)
        assert "these threads name no user" in text and "u sets" not in text
        await pilot.press("enter")  # nothing typed: what to type, no user filter named
        await pilot.pause(0.1)
        assert "a status (closed)" in screen_text(app)
        assert "user filter (u)" not in screen_text(app)
        await pilot.press(*"closed", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        closed = {t.id for t in tl.threads if t.status.type == "closed"}
        await wait_for(pilot, lambda: tl.marked == closed, what="the closed threads marked")
        assert REFUND_THREAD in closed


async def test_delete_archives_the_thread_as_sent_then_deletes_it(
    chatkit_python: ChatKitPythonSample, tmp_path: Path
) -> None:
    store = chatkit_python.store
    thread_sent = sent(chatkit_python, "threads.get_by_id", {"thread_id": REFUND_THREAD})
    items_sent = sent(
        chatkit_python, "items.list", {"thread_id": REFUND_THREAD, "limit": 1000, "order": "asc"}
    )
    assert not items_sent["has_more"] and items_sent["data"]
    archive_dir = tmp_path / "archive"
    app = app_on(chatkit_python, archive_dir=archive_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        assert tl.select_thread(REFUND_THREAD)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        assert "user" not in [label for label, _ in dialog.fields]  # none to name
        assert dialog.warning.endswith("then deleted on the server.")  # its server's
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any("Deleted" in m for m in notifications(app)), what="the delete"
        )
        assert REFUND_THREAD not in {t.id for t in tl.threads}
    assert REFUND_THREAD not in store.stored_thread_ids()
    assert chatkit_python.requests["threads.delete"] == 1
    [path] = archive_dir.iterdir()
    archive = json.loads(path.read_text())
    assert archive["thread"] == thread_sent
    assert archive["items"] == items_sent["data"]


async def test_the_kitchen_sink_shows_every_visible_item_type_with_its_look(
    chatkit_python: ChatKitPythonSample,
) -> None:
    app = app_on(chatkit_python)
    async with app.run_test(size=(200, 200)) as pilot:  # wide: no line of it wraps
        tl = await loaded(pilot, app)
        assert tl.current is not None and tl.current.id == KITCHEN_SINK_THREAD  # the newest
        await pilot.press("enter")
        view = await view_done(pilot, app, KITCHEN_SINK_THREAD)
        items = list(view.query(ItemView))
        types = {item.item.type for item in items}
        assert types == {f"chatkit.{t}" for t in VISIBLE_TYPES}  # nine, hidden ones not sent
        assert len(VISIBLE_TYPES) == 9
        assert not any(i.has_class("-unknown") or i.has_class("-hidden") for i in items)
        text = screen_text(app)
        assert set(LOOKS) == set(VISIBLE_TYPES)
        for kind, (look, heading, line) in LOOKS.items():
            assert any(i.has_class(f"-{look}") for i in items), kind
            assert f"{heading}" in text and line in text, kind
        assert "UNKNOWN" not in text and "does not know this item type" not in text
        for hidden in ("customer_tier", "The user cancelled the stream"):  # hidden context
            assert hidden not in text
        assert not {f"chatkit.{t}" for t in HIDDEN_TYPES} & types


async def test_the_operators_auth_decides_whose_threads_are_listed(
    chatkit_python: ChatKitPythonSample,
) -> None:
    app = app_on(chatkit_python, chatkit_python.user_headers("alice"))
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await settled(pilot, app)
        alices = chatkit_python.store.stored_thread_ids(user="alice")
        assert [t.id for t in tl.threads] == alices
        assert len(alices) < chatkit_python.store.count_threads()


def test_snapshot_of_the_list(
    chatkit_python: ChatKitPythonSample, snap_compare: SnapCompare
) -> None:
    """The list at 100x30 (one pane): no user column, the kind of deployment on top. The
    label stands in for the address (its port changes every run); the first test checks
    the one the app makes."""

    async def open_newest(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ChatKitApp)
        await settled(pilot, app)
        await view_done(pilot, app, KITCHEN_SINK_THREAD)
        assert thread_list(app).current is not None
        await pilot.pause(0.05)

    app = app_on(
        chatkit_python, endpoint_label="chatkit-python · https://support.example.com/chatkit"
    )
    assert snap_compare(app, terminal_size=(100, 30), run_before=open_newest)
