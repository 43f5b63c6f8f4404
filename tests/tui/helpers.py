"""Helpers for the app's Pilot tests: an app on a real local server, waiting, screen text."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
from textual import events
from textual.pilot import Pilot

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.deployment import Deployment
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.thread_list import ThreadList
from chatkit_tui.tui.threads.thread_view import ThreadView
from tests.fixtures.scripted import ScriptedServer

# the seed's threads are created around 2025-11-01; "now" is fixed 30 days later
FIXED_NOW = 1_762_000_000 + 30 * 86400


def fixed_now() -> float:
    return FIXED_NOW


def make_app(
    server: BackgroundServer | ScriptedServer,
    *,
    archive_dir: Path | None = None,
    read_only: bool = False,
    api_key: str = "test-key",
    max_retries: int = 0,
    thread_page_size: int = 100,
    item_page_size: int = 50,
    keymap: dict[str, str] | None = None,
    ansi_color: bool | None = None,
) -> ChatKitApp:
    client = AsyncChatKit(api_key=api_key, base_url=server.base_url, max_retries=max_retries)
    return ChatKitApp(
        client,
        endpoint_label="local test server",
        read_only=read_only,
        now=fixed_now,
        archive_dir=archive_dir,
        thread_page_size=thread_page_size,
        item_page_size=item_page_size,
        keymap=keymap,
        ansi_color=ansi_color,
    )


def deployment_app(
    deployment: Deployment,
    *,
    now: Callable[[], float] = fixed_now,
    archive_dir: Path | None = None,
    endpoint_label: str = "",
    read_only: bool = False,
) -> ChatKitApp:
    """The app on any deployment (a chatkit-python server, a mirror file), as run.py
    builds it: the top bar says what it is unless ``endpoint_label`` is given."""
    return ChatKitApp(
        deployment,
        endpoint_label=endpoint_label,
        read_only=read_only,
        now=now,
        archive_dir=archive_dir,
    )


def active_keys(app: ChatKitApp) -> dict[str, str]:
    """Key -> binding id of what the focused screen answers now (what the footer draws
    from: a binding whose ``check_action`` says False is not there)."""
    return {
        key: active.binding.id or active.binding.action
        for key, active in app.screen.active_bindings.items()
    }


def burst(app: ChatKitApp, *keys: str) -> None:
    """Post ``keys`` at once, as a terminal delivers a burst (a paste, a held key over a slow
    link). ``pilot.press`` waits for a screen update after each key: not a burst."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def wait_for(
    pilot: Pilot[None], predicate: Callable[[], bool], limit: float = 5.0, what: str = ""
) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


def main_screen(app: ChatKitApp) -> MainScreen:
    return app.main_screen


def thread_list(app: ChatKitApp) -> ThreadList:
    return app.main_screen.query_one("#threads", ThreadList)


def thread_view(app: ChatKitApp) -> ThreadView:
    return app.main_screen.query_one("#view", ThreadView)


async def loaded(pilot: Pilot[None], app: ChatKitApp) -> ThreadList:
    """Wait for the first page (and the end of loading)."""
    tl = thread_list(app)
    await wait_for(pilot, lambda: len(tl.threads) > 0 and not tl.fetching, what="first page")
    return tl


async def settled(pilot: Pilot[None], app: ChatKitApp) -> ThreadList:
    """Wait until no page is in flight *and* none has been asked for.

    ``not fetching`` alone is also true for a moment between two pages of the look-ahead:
    the list has asked for the next page (``NearEnd`` is queued) but the screen has not
    started it yet. A count taken then changes under the test.
    """
    tl = thread_list(app)
    await wait_for(
        pilot,
        lambda: len(tl.threads) > 0 and not tl.fetching and not tl._asked_for_more,
        what="the list to settle",
    )
    return tl


async def run_command(pilot: Pilot[None], app: ChatKitApp, query: str, expect: str) -> None:
    """ctrl+p, type ``query``, wait until the highlighted hit reads ``expect``, enter."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*query)

    def highlighted() -> str:
        commands = app.screen.query_one(CommandList)
        if commands.highlighted is None:
            return ""
        return str(commands.get_option_at_index(commands.highlighted).prompt)

    await wait_for(pilot, lambda: expect in highlighted(), what=f"the hit {expect!r}")
    await pilot.press("enter")


async def view_done(pilot: Pilot[None], app: ChatKitApp, thread_id: str) -> ThreadView:
    view = thread_view(app)
    await wait_for(
        pilot,
        lambda: view.thread_id == thread_id and not view.fetching and not view.has_more,
        what=f"items of {thread_id}",
    )
    await pilot.pause()
    return view


_TAG = re.compile(r"<[^>]+>")


def screen_text(app: ChatKitApp) -> str:
    """What the terminal shows, as plain text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    lines: list[str] = []
    for match in re.finditer(r"<text [^>]*>(.*?)</text>", svg, re.S):
        lines.append(html.unescape(_TAG.sub("", match.group(1))))
    return "".join(lines).replace("\u00a0", " ")


def notifications(app: ChatKitApp) -> list[str]:
    return [n.message for n in app._notifications]


def insert_thread(
    server: BackgroundServer,
    thread_id: str,
    *,
    title: str | None,
    user: str = "user_test",
    created_at: int = 1_762_000_000,
    status: str = "active",
    reason: str | None = None,
) -> None:
    server.store.insert_thread_rows([(thread_id, created_at, user, title, status, reason)])


def insert_raw_items(
    server: BackgroundServer, thread_id: str, items: list[dict[str, object]]
) -> None:
    rows: list[tuple[str, str, int, str, bytes]] = []
    for i, item in enumerate(items):
        item = {"object": "chatkit.thread_item", "thread_id": thread_id, **item}
        created = int(item.get("created_at", 1_762_000_100 + i))  # type: ignore[arg-type]
        item["created_at"] = created
        rows.append((str(item["id"]), thread_id, created, "raw", msgspec.json.encode(item)))
    server.store.insert_item_rows(rows)


HOSTILE_TITLE = "[@click=app.quit]Click[/] \x1b[31mred\x1b[0m [bold]x[/bold]"


def every_item_type(thread_id: str) -> list[dict[str, object]]:
    return [
        {
            "id": "cthi_user",
            "type": "chatkit.user_message",
            "content": [
                {"type": "quoted_text", "text": "the quoted part"},
                {"type": "input_text", "text": "[bold]not bold[/] \x1b[2J\x07 $(rm -rf)"},
            ],
            "attachments": [
                {
                    "id": "cfile_1",
                    "name": "report.pdf",
                    "mime_type": "application/pdf",
                    "type": "file",
                    "preview_url": "https://files.example/report.png",
                }
            ],
            "inference_options": {"model": "gpt-4.1", "tool_choice": {"id": "lookup"}},
        },
        {
            "id": "cthi_assistant",
            "type": "chatkit.assistant_message",
            "content": [
                {
                    "type": "output_text",
                    "text": "**Answer** with [a link](https://example.com) and <b>html</b> "
                    "[red]markup[/red]",
                    "annotations": [
                        {"type": "file", "source": {"type": "file", "filename": "notes.txt"}},
                        {"type": "url", "source": {"type": "url", "url": "https://ref.example"}},
                    ],
                }
            ],
        },
        {"id": "cthi_widget", "type": "chatkit.widget", "widget": '{"type":"Card","n":1}'},
        {
            "id": "cthi_tool",
            "type": "chatkit.client_tool_call",
            "status": "completed",
            "call_id": "call_42",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
            "output": "not json at all",
        },
        {
            "id": "cthi_task",
            "type": "chatkit.task",
            "task_type": "thought",
            "heading": "Thinking",
            "summary": "about it",
        },
        {
            "id": "cthi_group",
            "type": "chatkit.task_group",
            "tasks": [{"type": "custom", "heading": "Step one", "summary": "done"}],
        },
        {"id": "cthi_new", "type": "chatkit.hologram", "beam": {"color": "[blue]"}},
    ]
