"""Make the README screenshots: ``python screenshots/make.py`` (from the repository root).

Runs the app headless on the local server (seeded demo data, a fixed clock), saves each
view as SVG, then converts it to PNG with ``rsvg-convert`` (Debian: librsvg2-bin, and
fonts-firacode so the columns stay aligned). Without rsvg-convert only SVGs are written.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from chatkit_tui.client import AsyncChatKit  # noqa: E402
from chatkit_tui.server.run import BackgroundServer  # noqa: E402
from chatkit_tui.tui.app import ChatKitApp  # noqa: E402
from chatkit_tui.tui.threads.thread_list import ThreadList  # noqa: E402
from chatkit_tui.tui.threads.thread_view import ThreadView  # noqa: E402

OUT = ROOT / "screenshots"
NOW = 1_762_000_000 + 30 * 86400  # the seed's threads are about a month old

SERVER: list[BackgroundServer] = []

Script = Callable[[Pilot[None], ChatKitApp], Awaitable[None]]


async def wait(pilot: Pilot[None], ready: Callable[[], bool], limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


async def settled(pilot: Pilot[None], app: ChatKitApp) -> None:
    tl = app.main_screen.query_one("#threads", ThreadList)
    view = app.main_screen.query_one("#view", ThreadView)
    await wait(pilot, lambda: bool(tl.threads) and not tl.fetching)
    await wait(pilot, lambda: view.thread_id is not None and not view.fetching)
    await pilot.pause(0.1)


async def open_rich_thread(pilot: Pilot[None], app: ChatKitApp) -> None:
    await settled(pilot, app)
    tl = app.main_screen.query_one("#threads", ThreadList)
    view = app.main_screen.query_one("#view", ThreadView)
    store = SERVER[0].store
    richest = next(t for t in tl.threads if 5 <= store.count_items(t.id) <= 12)
    tl.select_thread(richest.id)
    await pilot.press("enter")
    await wait(pilot, lambda: view.thread_id == richest.id and not view.fetching)
    await pilot.pause(0.2)


async def press(pilot: Pilot[None], app: ChatKitApp, *keys: str) -> None:
    await settled(pilot, app)
    await pilot.press(*keys)
    await pilot.pause(0.3)


async def bulk_dialog(pilot: Pilot[None], app: ChatKitApp) -> None:
    from textual.widgets import Input

    await settled(pilot, app)
    await pilot.press("space", "j", "space", "space", "space", "space", "space", "space")
    await pilot.press("D")
    await pilot.pause(0.3)
    app.screen.query_one(Input).cursor_blink = False
    await pilot.press("7")
    await pilot.pause(0.2)


async def session_panel(pilot: Pilot[None], app: ChatKitApp, *, create: bool) -> None:
    """The session panel (s): the form filled in (one mistake), or the created session."""
    from chatkit_tui.tui.sessions.screen import SessionScreen

    await settled(pilot, app)
    await pilot.press("s")
    await wait(pilot, lambda: isinstance(app.screen, SessionScreen))
    screen = app.screen
    assert isinstance(screen, SessionScreen)
    await pilot.press(*"user_42", "tab", *"wf_support", "tab", *"3", "tab")
    await pilot.press(*'plan = "pro"', "enter", *"seats = 12", "enter", *"vip = true")
    if create:
        await pilot.press("tab", "tab", *"300", "ctrl+s")
        await wait(pilot, lambda: len(app.context.session_book) == 1 and not screen.showing_form)
        app.clear_notifications()
    else:
        await pilot.press("tab", "tab", *"900", "ctrl+s")  # expires after: at most 600
    await pilot.pause(0.3)


async def cancel_dialog(pilot: Pilot[None], app: ChatKitApp) -> None:
    await session_panel(pilot, app, create=True)
    await pilot.press("c")
    await pilot.pause(0.3)


VIEWS: list[tuple[str, tuple[int, int], Script]] = [
    ("main-120x40", (120, 40), settled),
    ("main-80x24", (80, 24), settled),
    ("thread-view-100x40", (100, 40), open_rich_thread),
    ("delete-dialog-80x24", (80, 24), lambda p, a: press(p, a, "d")),
    ("help-100x44", (100, 44), lambda p, a: press(p, a, "question_mark")),
    ("bulk-delete-dialog-80x24", (80, 24), bulk_dialog),
    ("session-form-80x24", (80, 24), lambda p, a: session_panel(p, a, create=False)),
    ("session-created-120x34", (120, 34), lambda p, a: session_panel(p, a, create=True)),
    ("session-cancel-dialog-80x24", (80, 24), cancel_dialog),
]


async def odd_items(pilot: Pilot[None], app: ChatKitApp) -> None:
    """chatkit-python's item types and pieces nobody knows (tests/fixtures/odd.py)."""
    await settled(pilot, app)
    await pilot.press("enter")
    await pilot.pause(0.3)


async def unreadable_rows(pilot: Pilot[None], app: ChatKitApp) -> None:
    from tests.fixtures.odd import UNREADABLE

    await settled(pilot, app)
    view = app.main_screen.query_one("#view", ThreadView)
    await pilot.press("j", "j")
    await wait(pilot, lambda: view.thread_id == UNREADABLE and not view.fetching)
    await pilot.pause(0.3)


# against a deployment that sends what the spec does not say (a scripted server)
ODD_VIEWS: list[tuple[str, tuple[int, int], Script]] = [
    ("chatkit-python-items-100x104", (100, 104), odd_items),
    ("unreadable-rows-120x30", (120, 30), unreadable_rows),
]


class _Served(Protocol):
    @property
    def base_url(self) -> str: ...


async def shoot(server: _Served, name: str, size: tuple[int, int], script: Script) -> Path:
    async with AsyncChatKit(api_key="demo", base_url=server.base_url) as client:
        app = ChatKitApp(client, endpoint_label="demo · local server", now=lambda: NOW)
        async with app.run_test(size=size) as pilot:
            await script(pilot, app)
            svg = app.export_screenshot(title="chatkit-tui")
    path = OUT / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


def to_png(svg: Path) -> Path | None:
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    # rsvg-convert drops leading no-break spaces of <text> runs unless told to keep them
    fixed = svg.read_text(encoding="utf-8").replace(
        '<svg class="rich-terminal"', '<svg xml:space="preserve" class="rich-terminal"', 1
    )
    png = svg.with_suffix(".png")
    subprocess.run([tool, "-f", "png", "-o", str(png)], input=fixed.encode(), check=True)  # noqa: S603
    return png


# the insights screen (i) over a mirror of the demo server, made by the real mirror code
INSIGHTS_VIEWS: list[tuple[str, tuple[int, int]]] = [
    ("insights-80x24", (80, 24)),
    ("insights-120x60", (120, 60)),
]


async def shoot_insights(server: BackgroundServer, name: str, size: tuple[int, int]) -> Path:
    import tempfile

    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
    from chatkit_tui.tui.insights.screen import InsightsScreen

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mirror.sqlite3"
        with Mirror.open(path, create=True, origin=Origin(server.base_url)) as mirror:
            async with AsyncChatKit(api_key="demo", base_url=server.base_url) as client:
                await MirrorSync(client, mirror).run()
        app = ChatKitApp(
            MirrorDeployment.open(path),
            endpoint_label="mirror of demo · local server",
            read_only=True,
            now=lambda: NOW,
            mirror_path=path,
        )
        async with app.run_test(size=size) as pilot:
            await settled(pilot, app)
            await pilot.press("i")
            await wait(pilot, lambda: isinstance(app.screen, InsightsScreen))
            screen = app.screen
            assert isinstance(screen, InsightsScreen)
            await wait(pilot, lambda: screen.done == len(list(screen.query("#insights-body > *"))))
            await pilot.pause(0.3)
            svg = app.export_screenshot(title="chatkit-tui")
    out = OUT / f"{name}.svg"
    out.write_text(svg, encoding="utf-8")
    return out


class _FixedSecrets:
    """Session ids and client secrets that are the same on every run (stable images)."""

    made = 0

    @classmethod
    def token_hex(cls, n: int) -> str:
        cls.made += 1  # one per session: ids must differ within a run
        return f"{cls.made:04x}" + "5e55" * (n // 2 - 2)

    @staticmethod
    def token_urlsafe(n: int) -> str:
        return "Scr33nsh0t-" + "x" * 26 + "Qk7Z"


def main() -> int:
    import chatkit_tui.server.sessions

    chatkit_tui.server.sessions.secrets = _FixedSecrets  # type: ignore[assignment]
    with BackgroundServer(db=":memory:", seed=300) as server:
        SERVER.append(server)
        server.store.clock = lambda: NOW  # sessions expire (and count down) on the app's clock
        for name, size, script in VIEWS:
            svg = asyncio.run(shoot(server, name, size, script))
            png = to_png(svg)
            print(svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert)")
        for name, size in INSIGHTS_VIEWS:
            svg = asyncio.run(shoot_insights(server, name, size))
            png = to_png(svg)
            print(svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert)")
    from tests.fixtures.odd import serve_odd_deployment
    from tests.fixtures.scripted import ScriptedServer

    odd = ScriptedServer()
    odd.start()
    try:
        serve_odd_deployment(odd)
        for name, size, script in ODD_VIEWS:
            svg = asyncio.run(shoot(odd, name, size, script))
            png = to_png(svg)
            print(svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert)")
    finally:
        odd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
