"""Charts drawn as text, for the app's insights screen and the picture ``insights --svg``
writes: one drawing for both, so the screen and the file never disagree.

Textual-free (Rich ``Text`` only). Each chart is readable without colour: quantities are
lengths of block characters with their numbers beside them, kinds are told apart by the
fill (``█`` against ``░``) and named in a legend, the heatmap's levels are shades
(``·░▒▓█``) whose ranges a legend spells out. Every chart has the same figures as a
table one call away (:meth:`Chart.numbers`). Labels often come from the API (tool names,
widget types, user ids): they go in as plain text, made visible (:func:`one_line`),
never parsed as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from chatkit_tui.core.text import cell_len, fit, one_line

EIGHTHS = " ▏▎▍▌▋▊▉█"  # a horizontal bar's last cell, in eighths
RISING = " ▁▂▃▄▅▆▇█"  # a column's top cell, in eighths
FILLS = ("█", "░", "▒")  # the parts of a stacked bar, told apart without colour
SHADES = ("·", "░", "▒", "▓", "█")  # the heatmap: zero, then four ranges
MAX_LABEL = 24


class Chart(Protocol):
    def draw(self, width: int) -> Text:
        """The chart in ``width`` columns."""
        ...

    def numbers(self, width: int) -> Text:
        """The same figures as a table."""
        ...


def number(value: float) -> str:
    """``1,234``; ``0.25``, ``12.5`` for fractions (seconds)."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of ``value`` against ``top`` in at most ``width`` cells, in eighths;
    never empty for a value above zero."""
    if top <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def table(headers: Sequence[str], rows: Sequence[Sequence[str | float]], width: int) -> Text:
    """Rows of text and numbers in aligned columns: text left (cut to fit), numbers right."""
    cells = [[c if isinstance(c, str) else number(c) for c in row] for row in rows]
    ncols = len(headers)
    widths = [cell_len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(one_line(cell)))
    numeric = [bool(rows) and all(not isinstance(r[i], str) for r in rows) for i in range(ncols)]
    # the first column gives way when the table is wider than the space
    rest = sum(widths[1:]) + 2 * (ncols - 1)
    widths[0] = max(4, min(widths[0], width - rest))
    text = Text(end="")

    def line(values: Sequence[str], style: str = "") -> None:
        parts: list[str] = []
        for i, value in enumerate(values):
            value = one_line(value)
            if numeric[i]:
                parts.append(" " * max(0, widths[i] - cell_len(value)) + value)
            else:
                parts.append(fit(value, widths[i]))
        text.append("  ".join(parts).rstrip() + "\n", style=style)

    line(headers, "bold")
    for row in cells:
        line(row)
    if not rows:
        text.append("(none)\n", style="dim")
    text.rstrip()
    return text


@dataclass(frozen=True)
class Bars:
    """Horizontal bars, one a row: a label, the bar, its number. With ``parts`` named, each
    row's value is several (completed, pending): the bar is stacked, one fill a part."""

    rows: Sequence[tuple[str, Sequence[float]]]
    parts: Sequence[str] = ("count",)
    label: str = ""  # the label column's heading in the table

    def draw(self, width: int) -> Text:
        text = Text(end="")
        if not self.rows:
            text.append("(none)", style="dim")
            return text
        label_w = min(MAX_LABEL, max(cell_len(one_line(label)) for label, _ in self.rows))
        label_w = min(label_w, max(6, width // 3))
        numbers = [self._number(values) for _, values in self.rows]
        number_w = max(cell_len(n) for n in numbers)
        bar_w = max(1, width - label_w - number_w - 3)
        top = max(sum(values) for _, values in self.rows)
        for (label, values), shown in zip(self.rows, numbers, strict=True):
            text.append(fit(one_line(label), label_w) + " ")
            bar = self._stack(values, top, bar_w)
            text.append(bar)
            used = len(bar)
            text.append(" " * max(0, bar_w - used + 1 + number_w - cell_len(shown)))
            text.append(shown, style="bold")
            text.append("\n")
        if len(self.parts) > 1:
            legend = "  ".join(
                f"{FILLS[i % len(FILLS)]} {part}" for i, part in enumerate(self.parts)
            )
            text.append(legend, style="dim")
        text.rstrip()
        return text

    def _stack(self, values: Sequence[float], top: float, width: int) -> str:
        """One part: a bar in eighths. Several: whole cells, one fill a part, each part that
        is not zero at least one cell."""
        if len(values) == 1:
            return _bar(values[0], top, width)
        bar = ""
        total = 0.0
        for i, value in enumerate(values):
            total += value
            end = round(total / top * width) if top > 0 else 0
            cells = max(end - len(bar), 1 if value > 0 else 0)
            bar += FILLS[i % len(FILLS)] * cells
        return bar

    def _number(self, values: Sequence[float]) -> str:
        if len(values) == 1:
            return number(values[0])
        return " / ".join(number(v) for v in values)

    def numbers(self, width: int) -> Text:
        headers = [self.label or "", *self.parts]
        if len(self.parts) > 1:
            headers.append("total")
        rows: list[list[str | float]] = []
        for label, values in self.rows:
            row: list[str | float] = [label, *values]
            if len(self.parts) > 1:
                row.append(sum(values))
            rows.append(row)
        return table(headers, rows, width)


@dataclass(frozen=True)
class Columns:
    """A series over time (threads per day): a column a point, the highest labelled on the
    axis, the first and last dates under it. More points than fit are joined in runs
    (summed, or the run's largest: ``join``) and the axis says so."""

    points: Sequence[tuple[str, float]]
    height: int = 6
    unit: str = "day"  # what a point is
    join: str = "sum"  # "sum" (counts add up) or "max" (distinct users do not)
    label: str = ""
    value: str = "count"  # the table's heading of a point's value
    details: Sequence[tuple[str, Sequence[str | float]]] = ()
    """More figures per point for the table (a median's p95 and count), with their headings."""

    def _fitted(self, width: int) -> tuple[list[tuple[str, float]], int]:
        room = max(1, width - 8)
        points = list(self.points)
        run = max(1, math.ceil(len(points) / room))
        if run == 1:
            return points, 1
        joined: list[tuple[str, float]] = []
        for start in range(0, len(points), run):
            chunk = points[start : start + run]
            values = [v for _, v in chunk]
            value = sum(values) if self.join == "sum" else max(values)
            joined.append((chunk[0][0], value))
        return joined, run

    def draw(self, width: int) -> Text:
        text = Text(end="")
        if not self.points:
            text.append("(none)", style="dim")
            return text
        points, run = self._fitted(width)
        top = max(v for _, v in points)
        axis_w = max(cell_len(number(top)), 1)
        room = max(1, width - axis_w - 2)
        step = max(1, min(3, room // len(points)))  # a column and the gap after it
        col = "█" * max(1, step - 1) if step > 1 else "█"
        gap = " " * (step - len(col))
        # each column's height in eighths of a row; never nothing for a value above zero
        heights = [
            max(1, round(value / top * self.height * 8)) if top > 0 and value > 0 else 0
            for _, value in points
        ]
        for level in range(self.height, 0, -1):
            label = number(top) if level == self.height else ("0" if level == 1 else "")
            text.append(label.rjust(axis_w) + " │", style="dim")
            row: list[str] = []  # one append a row: a long series is a thousand cells
            for value in heights:
                filled = value - (level - 1) * 8
                cell = "█" if filled >= 8 else (RISING[filled] if filled > 0 else " ")
                row.append(cell * len(col) + gap)
            text.append("".join(row) + "\n")
        span = len(points) * step
        text.append(" " * axis_w + " └" + "─" * span + "\n", style="dim")
        first, last = one_line(points[0][0]), one_line(self.points[-1][0])
        gap = span - cell_len(first) - cell_len(last)
        under = first + " " * gap + last if gap >= 1 else first
        text.append(" " * (axis_w + 2) + under, style="dim")
        if run > 1:
            how = "totals" if self.join == "sum" else "the highest"
            pad = " " * (axis_w + 2)
            text.append(f"\n{pad}a column is {run} {self.unit}s ({how})", style="dim")
        return text

    def numbers(self, width: int) -> Text:
        headers = [self.label or self.unit, self.value, *(name for name, _ in self.details)]
        rows: list[list[str | float]] = []
        for i, (key, value) in enumerate(self.points):
            rows.append([key, value, *(cells[i] for _, cells in self.details)])
        return table(headers, rows, width)


@dataclass(frozen=True)
class Facts:
    """Headline figures, a name and a value a line."""

    rows: Sequence[tuple[str, str | float]]

    def draw(self, width: int) -> Text:
        text = Text(end="")
        for i, (name, value) in enumerate(self.rows):
            if i:
                text.append("  ·  ", style="dim")
            if isinstance(value, str):  # "from 2026-11-01 to 2026-11-30"
                text.append(f"{name} ")
                text.append(value, style="bold")
            else:  # "412 threads"
                text.append(number(value), style="bold")
                text.append(f" {name}")
        return text

    def numbers(self, width: int) -> Text:
        return table(["", "value"], [[name, value] for name, value in self.rows], width)


@dataclass(frozen=True)
class Heatmap:
    """A grid of counts (day of week by hour): a shade a cell, the ranges in a legend."""

    rows: Sequence[tuple[str, Sequence[float]]]  # (row label, a value per column)
    columns: Sequence[str]  # column labels (hours)
    every: int = 3  # label every n-th column

    def _level(self, value: float, top: float) -> int:
        if value <= 0 or top <= 0:
            return 0
        return min(4, max(1, math.ceil(value / top * 4)))

    def draw(self, width: int) -> Text:
        text = Text(end="")
        if not self.rows or not self.columns:
            text.append("(none)", style="dim")
            return text
        label_w = max(cell_len(one_line(label)) for label, _ in self.rows)
        cell = 2 if label_w + 1 + 2 * len(self.columns) <= width else 1
        top = max((max(values, default=0) for _, values in self.rows), default=0)
        head = " " * (label_w + 1)
        for i, name in enumerate(self.columns):
            if i % self.every == 0:
                piece = one_line(name)[: cell * self.every]
                head += piece.ljust(cell * self.every)
        text.append(head.rstrip() + "\n", style="dim")
        for label, values in self.rows:
            text.append(fit(one_line(label), label_w) + " ")
            for value in values:
                text.append(SHADES[self._level(value, top)] * cell)
            text.append("\n")
        legend = [f"{SHADES[0]} 0"]
        for level in range(1, 5):
            low = math.floor(top * (level - 1) / 4) + 1
            high = math.floor(top * level / 4)
            if high >= low:
                span = number(low) if low == high else f"{number(low)}-{number(high)}"
                legend.append(f"{SHADES[level]} {span}")
        text.append("  ".join(legend), style="dim")
        return text

    def numbers(self, width: int) -> Text:
        # a row of the grid is too wide for 80 columns: one line a non-empty cell instead
        rows: list[list[str | float]] = []
        for label, values in self.rows:
            for name, value in zip(self.columns, values, strict=False):
                if value:
                    rows.append([label, name, value])
        return table(["day", "hour", "count"], rows, width)


@dataclass(frozen=True)
class Entry:
    """One row of a list: what it names (a thread, a user), its words, its figures."""

    target: str  # the thread id or the user id
    label: str  # a title, a user id
    cells: Sequence[str | float] = ()  # the rest of its row (a reason, counts)


@dataclass(frozen=True)
class Listing:
    """A list of threads or users; on the screen each row is chosen with enter (a thread
    opens, a user filters the main list), in a picture it is a table."""

    kind: Literal["thread", "user"]
    headers: Sequence[str]  # the label's heading, then the cells'
    entries: Sequence[Entry]
    more: int = 0  # entries not listed

    def draw(self, width: int) -> Text:
        rows = [[entry.label, *entry.cells] for entry in self.entries]
        text = table(self.headers, rows, width)
        if self.more:
            text.append(f"\n… and {self.more:,} more", style="dim")
        return text

    def numbers(self, width: int) -> Text:
        return self.draw(width)


@dataclass(frozen=True)
class Figure:
    """A titled chart with a line of its headline numbers (median, p95)."""

    key: str
    title: str
    chart: Chart
    note: str = ""
    extra: Sequence[str] = field(default_factory=tuple)  # lines under the chart

    def render(self, width: int, *, numbers: bool = False) -> Text:
        text = Text(end="")
        text.append(self.title, style="bold")
        if self.note:
            text.append(f"  {self.note}", style="dim")
        text.append("\n")
        body = self.chart.numbers(width) if numbers else self.chart.draw(width)
        text.append_text(body)
        for line in self.extra:
            text.append("\n" + one_line(line), style="dim")
        return text

    def drawn(self, *, numbers: bool = False) -> Drawn:
        """The figure as a Rich renderable drawn at the width it is given."""
        return Drawn(self, numbers)


@dataclass(frozen=True)
class Drawn:
    """A figure that draws itself at the width the console offers (a widget's width on
    the screen, the picture's width in a file)."""

    figure: Figure
    numbers: bool = False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.figure.render(options.max_width, numbers=self.numbers)
