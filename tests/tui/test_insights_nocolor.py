"""NO_COLOR on the insights screen's lists: the row enter would open is told apart by more
than colour (NO_COLOR strips colour, and Textual drops ``text-style: reverse`` from an
OptionList's rows, so a reverse-only rule left the cursor invisible)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.style import Style

from chatkit_tui.tui.insights.screen import EntryList
from tests.tui.test_insights import mirror, mirror_app, open_insights

__all__ = ["mirror"]


def attributes(style: Style | None) -> Style:
    """What is left of a segment's style once colour is gone (as NO_COLOR shows it)."""
    return (style or Style()).without_color


@pytest.mark.parametrize("no_color", [False, True])
async def test_the_highlighted_row_is_seen_without_colour(
    mirror: Path, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        assert app.no_color is no_color
        listed = screen.query_one("#list-unanswered", EntryList)
        listed.focus()
        await pilot.press("home", "down")
        await pilot.pause()
        assert listed.highlighted == 1
        plain = {attributes(s.style) for s in listed.render_line(0) if s.text.strip()}
        marked = {attributes(s.style) for s in listed.render_line(1) if s.text.strip()}
        assert marked and marked.isdisjoint(plain), (plain, marked)
