"""``chatkit-tui insights --svg FILE``: every chart of the screen in one self-contained
SVG, over a mirror made by ``mirror`` from the local server (real HTTP), the figures
those of ``--json``, API text escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.charts.insights import all_figures
from chatkit_tui.core.insights import gather
from chatkit_tui.core.mirror import Mirror
from chatkit_tui.server.run import BackgroundServer

HOSTILE = "</text><script>alert(1)</script> [red]x[/red] \x1b[2J"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    path = tmp_path / "mirror.sqlite3"
    with BackgroundServer(seed=20) as server:
        server.store.insert_thread_rows(
            [("cthr_hostile", 1_800_000_000, "u_host", HOSTILE, "active", None)]
        )
        item = {  # a user message with no answer: the thread is listed as unanswered
            "id": "cthi_hostile",
            "object": "chatkit.thread_item",
            "created_at": 1_800_000_001,
            "thread_id": "cthr_hostile",
            "type": "chatkit.user_message",
            "content": [{"type": "input_text", "text": "hello?"}],
            "attachments": [],
        }
        server.store.insert_item_rows(
            [("cthi_hostile", "cthr_hostile", 1_800_000_001, "X", json.dumps(item).encode())]
        )
        assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


def svg_lines(svg: str) -> list[str]:
    """The picture's text, a line per row of the terminal it draws."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text [^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S):
        x, y = float(match.group(1)), float(match.group(2))
        rows.setdefault(y, []).append((x, html.unescape(match.group(3))))
    return [
        "".join(text for _, text in sorted(row)).replace("\xa0", " ").rstrip()
        for _, row in sorted(rows.items())
    ]


def test_svg_holds_every_chart_with_the_figures_of_json(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "out" / "insights.svg"
    assert main(["insights", "--db", str(mirror), "--svg", str(picture), "--json"]) == 0
    captured = capsys.readouterr()
    figures = json.loads(captured.out)  # --json still prints; the picture is named on stderr
    assert f"insights picture written to {picture}" in captured.err
    svg = picture.read_text(encoding="utf-8")
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "https://" not in svg.split("<!--", 1)[1].split("-->", 1)[1]  # nothing fetched
    assert "<script>" not in svg  # API text is text in the picture, never markup
    lines = svg_lines(svg)
    text = "\n".join(lines)
    with Mirror.open(mirror, read_only=True) as m:
        titles = [figure.title for figure in all_figures(gather(m))]
    for title in titles:
        assert title in text, title
    assert f"{figures['threads']:,} threads" in text and f"{figures['users']:,} users" in text
    for status, count in figures["statuses"].items():
        assert re.search(rf"^{status} +█+[▏▎▍▌▋▊▉]? +{count:,}$", text, re.M), status
    for name, count in figures["tool_calls"].items():
        assert re.search(rf"^{name} +[█░]+ +{count['completed']} / {count['pending']}$", text, re.M)
    assert "█ completed  ░ pending" in text and re.search(r"^· 0  [░▒▓█] ", text, re.M)
    shown = next(line for line in lines if "alert(1)" in line)  # the newest unanswered
    assert "[red]x[/red] ␛[2J" in shown


def test_svg_alone_prints_no_summary_and_a_file_that_cannot_be_written_is_said(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "insights.svg"
    assert main(["insights", "--db", str(mirror), "--svg", str(picture)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and picture.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["insights", "--db", str(mirror), "--svg", str(blocker / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {blocker / 'x.svg'}" in err
    assert list(tmp_path.glob("**/*.tmp")) == []


def test_svg_never_overwrites_a_file_without_force_and_makes_missing_folders(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "not" / "yet" / "insights.svg"  # its folders are made
    assert main(["insights", "--db", str(mirror), "--svg", str(picture)]) == 0
    picture.write_text("the user's own picture")
    capsys.readouterr()
    assert main(["insights", "--db", str(mirror), "--svg", str(picture)]) == 2
    err = capsys.readouterr().err
    assert f"{picture} exists" in err and "--force" in err
    assert picture.read_text() == "the user's own picture"
    assert main(["insights", "--db", str(mirror), "--svg", str(picture), "--force"]) == 0
    assert picture.read_text().startswith("<svg")
