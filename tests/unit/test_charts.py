"""Charts drawn as text: lengths proportional to the figures, the figures beside them,
parts and levels told apart by characters (not colour), API text literal."""

from __future__ import annotations

from rich.console import Console

from chatkit_tui.core.charts.draw import (
    Bars,
    Columns,
    Entry,
    Figure,
    Heatmap,
    Listing,
    number,
    table,
)


def lines(text: object) -> list[str]:
    return str(text).split("\n")


def test_bars_are_proportional_and_carry_their_numbers() -> None:
    chart = Bars([("active", [120]), ("locked", [30]), ("closed", [0])])
    active, locked, closed = lines(chart.draw(60))
    assert active.startswith("active ") and active.endswith(" 120")
    assert locked.endswith(" 30") and closed.endswith(" 0")
    assert active.count("█") == 4 * locked.count("█")
    assert "█" not in closed  # nothing drawn for nothing
    assert max(len(line) for line in (active, locked, closed)) <= 60


def test_a_small_value_is_never_an_empty_bar() -> None:
    tiny = lines(Bars([("big", [10_000]), ("tiny", [1])]).draw(40))[1]
    assert tiny.split()[1] in "▏▎▍▌▋▊▉█", tiny


def test_stacked_bars_tell_their_parts_apart_by_fill_and_legend() -> None:
    chart = Bars([("search", [12, 3]), ("lookup", [0, 2])], parts=("completed", "pending"))
    search, lookup, legend = lines(chart.draw(70))
    assert "█" in search and "░" in search and search.endswith("12 / 3")
    assert "█" not in lookup and "░" in lookup  # a pending-only tool: only the pending fill
    assert legend == "█ completed  ░ pending"
    numbers = lines(chart.numbers(70))
    assert numbers[0].split() == ["completed", "pending", "total"]
    assert numbers[1].split() == ["search", "12", "3", "15"]


def test_labels_from_the_api_are_literal_and_controls_visible() -> None:
    chart = Bars([("[b]tool[/b]\x1b[31m", [1])])
    drawn = str(chart.draw(60))
    assert "[b]tool[/b]␛[31m" in drawn and "\x1b" not in drawn
    listing = Listing("user", ["user", "threads"], [Entry("u\x1b", "[@click=app.quit]u\x1b", [3])])
    shown = str(listing.draw(60))
    assert "[@click=app.quit]u␛" in shown and "\x1b" not in shown


def test_columns_have_an_axis_and_dates_and_join_runs_that_do_not_fit() -> None:
    points = [(f"2026-11-{d:02}", d) for d in range(1, 31)]
    drawn = lines(Columns(points, height=5).draw(80))
    assert drawn[0].startswith("30 │") and drawn[4].startswith(" 0 │")
    assert drawn[-1].split() == ["2026-11-01", "2026-11-30"]
    assert drawn[0].rstrip().endswith("█")  # the last day is the highest
    many = [(f"d{n}", 1) for n in range(300)]
    long = lines(Columns(many, height=4).draw(80))
    assert long[-1].strip() == "a column is 5 days (totals)"
    assert long[0].startswith("5 │")  # five days of one each
    peak = lines(Columns(many, height=4, join="max").draw(80))
    assert peak[-1].strip() == "a column is 5 days (the highest)" and peak[0].startswith("1 │")
    assert max(len(line) for line in long) <= 80


def test_heatmap_shades_with_a_legend_of_ranges() -> None:
    rows = [("Mon", [0, 1, 4, 8]), ("Tue", [2, 0, 0, 0])]
    head, mon, tue, legend = lines(Heatmap(rows, ["0", "1", "2", "3"], every=2).draw(40))
    assert head.split() == ["0", "2"]
    assert mon == "Mon ··░░▒▒██" and tue == "Tue ░░······"
    assert legend == "· 0  ░ 1-2  ▒ 3-4  ▓ 5-6  █ 7-8"
    numbers = lines(Heatmap(rows, ["0", "1", "2", "3"]).numbers(40))
    assert numbers[1].split() == ["Mon", "1", "1"] and numbers[-1].split() == ["Tue", "0", "2"]


def test_tables_align_numbers_right_and_cut_long_labels() -> None:
    text = lines(table(["name", "n"], [["a" * 50, 1_234], ["b", 5]], 20))
    assert text[0].startswith("name") and text[1].endswith("1,234") and text[2].endswith("5")
    assert all(len(line) <= 20 for line in text) and "…" in text[1]
    assert number(0.25) == "0.25" and number(12.5) == "12.5" and number(3.0) == "3"


def test_a_figure_draws_at_the_width_it_is_given() -> None:
    figure = Figure("s", "Statuses", Bars([("active", [5])]), note="5 threads")
    for width in (40, 100):
        console = Console(width=width, file=None, record=True, color_system=None)
        with console.capture() as capture:
            console.print(figure.drawn())
        first, bar = capture.get().rstrip("\n").split("\n")
        assert first == "Statuses  5 threads"
        assert len(bar) == width - 1 and bar.endswith(" 5")
