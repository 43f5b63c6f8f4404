"""Export (e, the palette) and the config file's keys (remaps, conflicts) and theme, in the app."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from textual.pilot import Pilot

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.config import load_config
from chatkit_tui.core.export import safe_filename
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui import run
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.fixtures.server import BETA_HEADERS
from tests.tui.helpers import fixed_now, loaded, make_app, notifications, screen_text, wait_for


def server_json(server: BackgroundServer, path: str) -> object:
    response = httpx.get(server.base_url + path, headers=BETA_HEADERS, trust_env=False)
    response.raise_for_status()
    return response.json()


async def exported(pilot: Pilot[None], app: ChatKitApp) -> str:
    await wait_for(pilot, lambda: any("written to" in m for m in notifications(app)), what="export")
    return next(m for m in notifications(app) if "written to" in m)


async def test_e_exports_json_and_markdown_and_shows_the_paths_even_read_only(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    thread_id, count = local_server.store.thread_ids_by_item_count(1)[0]
    app = make_app(local_server, read_only=True)
    app.context.export_dir = tmp_path / "exports"
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.select_thread(thread_id)
        await pilot.press("e")
        message = await exported(pilot, app)
    json_path = tmp_path / "exports" / f"{safe_filename(thread_id)}.json"
    md_path = json_path.with_suffix(".md")
    assert str(json_path) in message and str(md_path) in message
    document = json.loads(json_path.read_text())
    assert document["thread"] == server_json(local_server, f"/chatkit/threads/{thread_id}")
    items = server_json(local_server, f"/chatkit/threads/{thread_id}/items?limit=100&order=asc")
    assert isinstance(items, dict)
    assert document["items"] == items["data"] and len(document["items"]) == count
    markdown = md_path.read_text()
    assert f"- Items: {count}" in markdown
    assert all(f"`{item['id']}`" in markdown for item in document["items"])


async def test_e_again_keeps_the_earlier_export_and_writes_a_new_name(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    thread_id, _ = local_server.store.thread_ids_by_item_count(1)[0]
    exports = tmp_path / "exports"
    exports.mkdir()
    first = exports / f"{safe_filename(thread_id)}.md"
    first.write_text("my edited transcript")  # an earlier export, edited since
    app = make_app(local_server)
    app.context.export_dir = exports
    async with app.run_test(size=(100, 30)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.select_thread(thread_id)
        await pilot.press("e")
        message = await exported(pilot, app)
    assert first.read_text() == "my edited transcript"
    assert not (exports / f"{safe_filename(thread_id)}.json").exists()  # the pair moves on
    json_path = exports / f"{safe_filename(thread_id)}-2.json"
    assert str(json_path) in message and str(json_path.with_suffix(".md")) in message
    assert json.loads(json_path.read_text())["thread"]["id"] == thread_id


async def test_export_from_the_palette(local_server: BackgroundServer, tmp_path: Path) -> None:
    app = make_app(local_server)
    app.context.export_dir = tmp_path / "exports"
    async with app.run_test(size=(120, 30)) as pilot:
        tl = await loaded(pilot, app)
        current = tl.current
        assert current is not None
        await pilot.press("ctrl+p")
        await pilot.press(*"export thread")
        await wait_for(pilot, lambda: "thread as JSON and Markdown" in screen_text(app))
        await pilot.press("enter")
        message = await exported(pilot, app)
    assert str(tmp_path / "exports" / f"{safe_filename(current.id)}.md") in message


async def test_export_failure_is_a_notification(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    app = make_app(local_server)
    app.context.export_dir = not_a_dir
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: any("Could not export" in m for m in notifications(app)))
        assert app.is_running


def app_from_config(server: BackgroundServer, config_text: str, tmp_path: Path) -> ChatKitApp:
    path = tmp_path / "config.toml"
    path.write_text(config_text)
    path.chmod(0o600)
    args = argparse.Namespace(config=str(path), profile=None, base_url=None, demo=True)
    config = load_config(args, env={})
    client = AsyncChatKit(api_key="k", base_url=server.base_url, max_retries=0)
    app = ChatKitApp(client, now=fixed_now, keymap=dict(config.keys), theme=config.theme)
    app.context.export_dir = tmp_path / "exports"
    return app


async def test_config_keys_and_theme_reach_the_app(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    text = 'theme = "nord"\n[keys]\nmain.export = "x"\n'
    app = app_from_config(local_server, text, tmp_path)
    async with app.run_test(size=(120, 60)) as pilot:
        await loaded(pilot, app)
        assert app.theme == "nord"
        await pilot.press("x")  # the remapped export
        await exported(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = re.search(r"\s(\S+)Export\s*main\.export", screen_text(app))
        assert shown is not None and shown.group(1) == "x"


class _NotStarted:
    """Stands in for the app class: records what the app would have been given."""

    made: ClassVar[list[dict[str, object]]] = []
    return_code = 0

    def __init__(self, client: AsyncChatKit, **kw: object) -> None:
        _NotStarted.made.append(kw)

    async def run_async(self) -> None:
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '[keys]\nmain.export = "x"\n"main.nope" = "z"\n',
            3,
            "keys.main.nope: no binding has this id",
        ),
        (
            '[keys.main]\ndelte = "z"\n',
            2,
            "keys.main.delte: no binding has this id; did you mean 'main.delete'?",
        ),
        (
            'default_profile = "p"\ntheme = "gruvbx"\n[profiles.p]\n',
            2,
            "theme 'gruvbx' is not a theme; did you mean 'gruvbox'?",
        ),
    ],
    ids=["binding id", "dotted binding id", "theme"],
)
def test_an_unknown_binding_id_or_theme_is_refused_before_the_app_starts(
    text: str,
    line: int,
    message: str,
    scripted_server: ScriptedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As the README says of the config file: an unknown key or a bad value is an error
    naming the file and the line (exit 2), and nothing is asked of the API."""
    path = tmp_path / "config.toml"
    path.write_text(text)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setattr(run, "_app_class", lambda: _NotStarted)
    _NotStarted.made.clear()
    assert main(["--config", str(path), "--base-url", scripted_server.base_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chatkit-tui: error: config: {path}, line {line}: {message}")
    assert len(err.splitlines()) == 1
    assert _NotStarted.made == [] and scripted_server.requests == []


def test_known_binding_ids_and_theme_reach_the_app_through_the_command_line(
    scripted_server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[keys]\n"main.export" = "x"\n[keys.main]\ndelete = "X"\n')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setattr(run, "_app_class", lambda: _NotStarted)
    _NotStarted.made.clear()
    scripted_server.add(Reply(200, {"object": "list", "data": [], "has_more": False}))
    assert main(["--config", str(path), "--base-url", scripted_server.base_url]) == 0
    [given] = _NotStarted.made
    assert given["theme"] == "nord"
    assert given["keymap"] == {"main.export": "x", "main.delete": "X"}


async def test_a_remap_that_collides_is_kept_and_warned_about(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    app = app_from_config(local_server, '[keys]\n"main.delete" = "j"\n', tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await loaded(pilot, app)
        [warning] = [m for m in notifications(app) if "config [keys]" in m]
        assert "j is bound to threads.down and main.delete in the thread list" in warning
        assert "threads.down wins, so main.delete cannot be reached there" in warning
        assert "view.down wins" in warning
        await pilot.press("j")  # what the warning says: the list's binding wins
        await wait_for(pilot, lambda: tl.cursor == 1, what="the cursor to move")
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "Key conflicts from the config file's [keys]" in text
        assert re.search(r"main\.delete\s+! j → threads\.down, view\.down", text)


async def test_a_remap_onto_a_free_key_gives_no_conflict_warning(
    local_server: BackgroundServer, tmp_path: Path
) -> None:
    app = app_from_config(local_server, '[keys]\n"main.delete" = "x"\n', tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        assert not [m for m in notifications(app) if "config [keys]" in m]
        await pilot.press("escape", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Key conflicts" not in screen_text(app)
