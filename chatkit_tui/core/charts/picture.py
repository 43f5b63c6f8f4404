"""``insights --svg FILE``: the insights screen's charts as one self-contained SVG, for a
person to send to someone else.

Textual-free: the figures are drawn by the code that draws them on the screen
(:func:`chatkit_tui.core.charts.insights.all_figures`), printed on a recording Rich
console as tall as they are, and exported as an SVG (the terminal's look, its font named,
no file or network reference; it opens in any browser). Every piece of API text in it
is what the screen shows: made visible, never markup.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from chatkit_tui.core.charts.draw import Listing
from chatkit_tui.core.charts.insights import all_figures
from chatkit_tui.core.text import one_line

if TYPE_CHECKING:
    from chatkit_tui.core.insights import Insights

WIDTH = 100
"""Columns of the picture: wide enough for a day a column over three months."""
LISTED = 10
"""Rows of each list in the picture (the screen scrolls through all it holds)."""
_REMOTE_FONT = re.compile(r',\s*url\("[^"]*"\)\s*format\("[^"]*"\)')
"""Rich names a web font by URL beside the local one: left out, so that the file refers
to nothing outside it (a viewer without Fira Code falls back to its monospace font)."""


def insights_svg(insights: Insights, *, what: str, scope: str, width: int = WIDTH) -> str:
    """Every chart of ``insights``, under a line that says what they are of (``what``:
    the mirror; ``scope``: the filters), as an SVG document."""
    console = Console(
        width=width,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        highlight=False,
        emoji=False,
        markup=False,
    )
    head = Text(" chatkit-tui insights ", style="bold reverse", end="")
    head.append(f"  {one_line(what)}")
    head.append(f"  {one_line(scope)}", style="dim")
    console.print(head, overflow="ellipsis", no_wrap=True)
    console.print()
    for figure in all_figures(insights):
        chart = figure.chart
        if isinstance(chart, Listing) and len(chart.entries) > LISTED:
            more = chart.more + len(chart.entries) - LISTED
            figure = replace(
                figure, chart=replace(chart, entries=chart.entries[:LISTED], more=more)
            )
        console.print(figure.drawn())
        console.print()
    svg = console.export_svg(title=f"chatkit-tui insights · {one_line(what)}")
    # leading spaces kept by every renderer, not only by browsers (rsvg-convert drops them)
    svg = svg.replace(
        '<svg class="rich-terminal"', '<svg xml:space="preserve" class="rich-terminal"', 1
    )
    return _REMOTE_FONT.sub("", svg)
