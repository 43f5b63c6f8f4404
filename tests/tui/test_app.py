"""Keys, help, command palette, keymap, and how the app starts (no key, --demo, NO_COLOR)."""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.binding import Binding

from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.run import run_app
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.thread_list import ThreadList
from chatkit_tui.tui.threads.thread_view import ThreadView
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.tui.helpers import (
    HOSTILE_TITLE,
    insert_thread,
    loaded,
    make_app,
    notifications,
    run_command,
    screen_text,
    settled,
    thread_list,
    thread_view,
    view_done,
    wait_for,
)


def all_binding_ids() -> set[str]:
    ids: set[str] = set()
    for cls in (ChatKitApp, MainScreen, ThreadList, ThreadView, ConfirmDeleteScreen):
        ids.update(b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id)
    return ids


def test_every_binding_has_an_id() -> None:
    for cls in (ChatKitApp, MainScreen, ThreadList, ThreadView, ConfirmDeleteScreen):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.show or binding.key not in ("left,h", "right,l"):
                assert binding.id, f"{cls.__name__}: {binding.key} has no id"


async def test_help_lists_every_binding(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 60)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        missing = [i for i in sorted(all_binding_ids()) if i not in text]
        assert missing == []
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_keymap_remaps_a_binding_by_id(local_server: BackgroundServer) -> None:
    app = make_app(local_server, keymap={"main.delete": "x", "threads.down": "ctrl+n"})
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("ctrl+n")
        assert tl.cursor == 1
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "^n" in screen_text(app)  # as the footer names it (get_key_display)


async def test_palette_jumps_to_a_thread_by_id(seeded_server: BackgroundServer) -> None:
    app = make_app(seeded_server, thread_page_size=5)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        loaded_ids = {t.id for t in tl.threads}
        await wait_for(pilot, lambda: not tl.fetching)
        page = seeded_server.store.list_threads(limit=100, order="asc")
        target = next(t for t in page.data if t.id not in loaded_ids)  # not loaded yet
        await run_command(pilot, app, target.id, f"Jump to thread {target.id}")
        await view_done(pilot, app, target.id)
        assert target.id in screen_text(app)


async def test_palette_flips_order(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        await run_command(pilot, app, "flip order", "Flip order")
        await wait_for(pilot, lambda: app.main_screen.order == "asc" and not tl.fetching)
        await wait_for(pilot, lambda: len(tl.threads) == 30)
        assert tl.threads[0].created_at <= tl.threads[-1].created_at


async def test_escape_returns_from_the_view_and_tab_enters_it(
    local_server: BackgroundServer,
) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("tab")
        view = thread_view(app)
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: view.has_focus, what=f"view focus, focused={app.focused}")
        await pilot.press("escape")
        await wait_for(pilot, lambda: thread_list(app).has_focus)
        assert tl.has_focus


async def test_read_only_badge_stays_on_screen_with_a_long_endpoint_at_80x24(
    local_server: BackgroundServer,
) -> None:
    """The demo's label is 77 characters: READ-ONLY after it was cut off at 80 columns.
    What does not fit is cut with an ellipsis, so the cut shows."""
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.tui.sessions.screen import SessionScreen

    label = f"demo · local server {local_server.url} · 300 seeded threads"
    client = AsyncChatKit(api_key="test-key", base_url=local_server.base_url, max_retries=0)
    app = ChatKitApp(client, endpoint_label=label, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert "READ-ONLY" in screen_text(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="sessions")
        await pilot.pause()
        top = screen_text(app).splitlines()[0]
        assert "READ-ONLY" in top and top.rstrip().endswith("…")
        assert f"local server {local_server.url}"[:20] in top


def test_no_api_key_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(demo=False, read_only=False, base_url=None)
    assert run_app(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "OPENAI_API_KEY" in err and "--demo" in err


_SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def _colour_params(data: bytes) -> list[bytes]:
    found: list[bytes] = []
    for match in _SGR.finditer(data):
        params = match.group(1).replace(b":", b";").split(b";")
        i = 0
        while i < len(params):
            p = params[i]
            n = int(p) if p.isdigit() else 0
            if n in (38, 48, 58):
                found.append(match.group(0))
                break
            if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                found.append(match.group(0))
                break
            i += 1
    return found


def _run_in_pty(env: dict[str, str], args: list[str], until: bytes, limit: float = 20) -> bytes:
    """Run chatkit-tui on a pseudo-terminal until ``until`` is painted; return its output."""
    env = {**env, "COLUMNS": "100", "LINES": "30"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover  (child)
        os.execve(sys.executable, [sys.executable, "-m", "chatkit_tui", *args], env)
    output = b""
    deadline = time.monotonic() + limit
    try:
        while until not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
        os.write(fd, b"q")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return output


@pytest.mark.parametrize("no_color", [True, False])
def test_no_color_sends_no_colour_at_all(no_color: bool, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "OPENAI_API_KEY")}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="30", COLORTERM="truecolor")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    if no_color:
        env["NO_COLOR"] = "1"
    output = _run_in_pty(env, ["--demo"], until=b"threads")
    assert b"threads" in output, output[-2000:]
    colours = _colour_params(output)
    if no_color:
        assert colours == []
    else:
        assert colours  # the check can see colour when there is some


def test_demo_without_key_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(TERM="xterm-256color")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    output = _run_in_pty(env, ["--demo", "--read-only"], until=b"READ-ONLY")
    assert b"READ-ONLY" in output and b"demo" in output
    done = subprocess.run(
        [sys.executable, "-m", "chatkit_tui"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "OPENAI_API_KEY" in done.stderr


def palette_prompts(app: ChatKitApp) -> list[str]:
    from textual.command import CommandList

    commands = app.screen.query_one(CommandList)
    prompts = (str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count))
    return [prompt.split("\n")[0] for prompt in prompts]  # without the help line


async def test_palette_offers_loaded_threads_for_a_partial_id(
    local_server: BackgroundServer,
) -> None:
    for n in (1, 2):
        insert_thread(local_server, f"cthr_qa_part_{n}", title=HOSTILE_TITLE)
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot, app)
        await pilot.press("ctrl+p", *"qa_part")  # a substring of two loaded ids
        await wait_for(pilot, lambda: "Jump to thread qa_part" in palette_prompts(app)[-1:])
        heads = [p.split(" — ")[0] for p in palette_prompts(app)]
        assert sorted(heads[:2]) == ["Open thread cthr_qa_part_1", "Open thread cthr_qa_part_2"]
        assert heads[2] == "Jump to thread qa_part"  # the raw jump comes after them
        for _ in "qa_part":
            await pilot.press("backspace")
        await pilot.press(*"cthr_qa_pa")  # a prefix
        await wait_for(pilot, lambda: "Jump to thread cthr_qa_pa" in palette_prompts(app)[-1:])
        prompts = palette_prompts(app)
        assert [p.split(" — ")[0] for p in prompts].index("Jump to thread cthr_qa_pa") == 2
        assert "[@click=app.quit]Click[/] ␛[31mred" in prompts[0]  # literally, no markup
        first = prompts[0].split(" — ")[0].removeprefix("Open thread ")
        await pilot.press("enter")
        await view_done(pilot, app, first)
        current = thread_list(app).current
        assert current is not None and current.id == first


async def test_palette_jumps_to_an_id_that_is_not_loaded(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await settled(pilot, app)
        insert_thread(local_server, "cthr_qa_old", title="an old one")  # after the list loaded
        assert "cthr_qa_old" not in {t.id for t in tl.threads}
        await run_command(pilot, app, "cthr_qa_old", "Jump to thread cthr_qa_old")
        await view_done(pilot, app, "cthr_qa_old")
        assert "an old one" in screen_text(app)


# a reverse proxy's error page: what arrives when the API behind it is down
PROXY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title>\r\n<style>body{color:red}</style></head>\r\n"
    "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<script>alert(1)</script>\r\n"
    "<hr><center>nginx &amp; friends \x1b[31m</center>\r\n</body>\r\n</html>\r\n"
)


async def test_an_html_error_page_is_summed_up_in_the_notice(
    scripted_server: ScriptedServer,
) -> None:
    """The page's status, title and the start of its text; not its markup, styles or
    scripts (the same words as the CLI's: the client's message)."""
    scripted_server.handler = lambda request: Reply(
        502, PROXY_PAGE, headers={"Content-Type": "text/html"}
    )
    app = make_app(scripted_server)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: any("502" in m for m in notifications(app)), what="notice")
        [notice] = [m for m in notifications(app) if "502" in m]
        assert notice == (
            '502 Server error: an HTML page (not the API\'s JSON) titled "502 Bad Gateway": '
            '"nginx & friends ␛[31m"'
        )
