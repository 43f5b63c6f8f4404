"""The same hostile strings through all three outputs for people: the app's list and
header, the script CLI's table, the Markdown transcript. None lets a control character
(C0, C1, bidirectional) through as it is, and none reads markup."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.text import Text

from chatkit_tui.cli import main
from chatkit_tui.client.models import Thread
from chatkit_tui.core.transcript import to_markdown
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.threads import render
from tests.tui.helpers import insert_thread

HOSTILE = [
    "[@click=app.quit]Click[/] [bold]x[/bold]",  # Textual / Rich markup with an action
    "esc \x1b[31mred\x1b[0m bell\x07 nul\x00",  # C0 controls, an ANSI sequence
    "csi \x9b2J del\x7f",  # C1 and DEL
    "rtl \u202eolleh\u202c \u2066iso\u2069 \u200fmark \u061calm",  # bidirectional controls
]

_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def plain(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def assert_safe(shown: str, where: str) -> None:
    raw = [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in _RAW.findall(shown)]
    assert raw == [], f"{where} passed on {raw}"


def thread(title: str) -> Thread:
    return Thread(id="cthr_hostile", created_at=1_762_000_000, user=title, title=title)


@pytest.mark.parametrize("text", HOSTILE)
def test_the_app_shows_it_literally(text: str) -> None:
    t = thread(text)
    header = render.thread_header(t, 1_762_000_100)
    assert isinstance(header, Text)
    shown = plain(header) + "".join(
        cell for cell, _ in render.thread_cells(t, 1_762_000_100, render.columns_for(200))
    )
    assert_safe(shown, "the app")
    if "[bold]" in text:
        assert "[bold]x[/bold]" in shown and "[@click=app.quit]" in shown  # not read as markup
    if "\u202e" in text:
        assert "<U+202E>" in shown


@pytest.mark.parametrize("text", HOSTILE)
def test_the_markdown_transcript_shows_it_visibly(text: str) -> None:
    md = to_markdown(thread(text), [])
    assert_safe(md, "the transcript")
    html = MarkdownIt("commonmark").render(md)  # what a reader of the transcript sees
    if "\u202e" in text:
        assert "&lt;U+202E&gt;" in html and "&lt;U+2066&gt;" in html
    if "\x9b" in text:
        assert "\\x9b" in html
    if "[bold]" in text:
        assert "[bold]x[/bold]" in html


@pytest.mark.parametrize("text", HOSTILE)
def test_the_cli_escapes_it(
    text: str, local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    insert_thread(local_server, "cthr_hostile", title=text, user=text[:64])
    base = ["--base-url", local_server.base_url]
    assert main([*base, "threads", "list", "--user", text[:64]]) == 0
    assert main([*base, "threads", "show", "cthr_hostile"]) == 0
    shown = capsys.readouterr().out
    assert_safe(shown, "the CLI")
    if "\u202e" in text:
        assert "\\u202e" in shown


def test_the_demo_right_to_left_thread_exports_visibly(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The issue's case: a raw U+202E reached the .md while the app and CLI showed it."""
    title = "Right-to-left \u202eevil.exe\u202c check"
    insert_thread(local_server, "cthr_rtl", title=title)
    base = ["--base-url", local_server.base_url]
    assert main([*base, "threads", "export", "cthr_rtl", "--dir", str(tmp_path)]) == 0
    md = (tmp_path / "cthr_rtl.md").read_text(encoding="utf-8")
    assert "\u202e" not in md
    assert "&lt;U+202E&gt;evil.exe&lt;U+202C&gt;" in MarkdownIt("commonmark").render(md)
