"""The insights screen (i) over a real mirror of the local server, made by the real
``mirror`` code: every section drawn, its numbers one key away, filters, enter on a
"went wrong" thread opens it, enter on a user filters the main list, the same figures
with and without colour, online over the endpoint's default mirror file."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.core.charts.insights import SECTIONS
from chatkit_tui.core.insights import gather
from chatkit_tui.core.mirror import Mirror, default_mirror_path
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.insights.screen import EntryList, FigureView, InsightsScreen
from chatkit_tui.tui.threads.main import MainScreen
from tests.fixtures.mirror_file import as_version_2
from tests.fixtures.server import LOCAL_SEED
from tests.tui.helpers import (
    HOSTILE_TITLE,
    fixed_now,
    insert_raw_items,
    insert_thread,
    loaded,
    make_app,
    notifications,
    run_command,
    screen_text,
    thread_list,
    wait_for,
)
from tests.tui.test_search import make_mirror

HOSTILE_ID = "cthr_zz_hostile_unanswered"


def hostile_unanswered(server: BackgroundServer) -> None:
    """The newest thread: its title markup and an escape, its one user message unanswered."""
    insert_thread(server, HOSTILE_ID, title=HOSTILE_TITLE, created_at=1_790_000_000)
    message = {
        "id": "cthi_zz_hostile_1",
        "type": "chatkit.user_message",
        "created_at": 1_790_000_001,
        "content": [{"type": "input_text", "text": "anyone there?"}],
        "attachments": [],
    }
    insert_raw_items(server, HOSTILE_ID, [message])


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One mirror of a seeded local server for the module (the tests only read it)."""
    path = tmp_path_factory.mktemp("insights") / "mirror.sqlite3"
    with BackgroundServer(seed=LOCAL_SEED) as server:
        hostile_unanswered(server)
        asyncio.run(make_mirror(server, path))
    yield path


def mirror_app(path: Path) -> ChatKitApp:
    return ChatKitApp(
        MirrorDeployment.open(path),
        endpoint_label="mirror of test",
        read_only=True,
        now=fixed_now,
        mirror_path=path,
    )


def computed(screen: InsightsScreen) -> bool:
    return screen.done == len(SECTIONS)


async def open_insights(pilot: Pilot[None], app: ChatKitApp) -> InsightsScreen:
    await loaded(pilot, app)
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(app.screen, InsightsScreen), what="insights")
    screen = app.screen
    assert isinstance(screen, InsightsScreen)
    await wait_for(pilot, lambda: computed(screen), what="every section")
    await pilot.pause()
    return screen


def figure_text(screen: InsightsScreen, key: str) -> str:
    view = screen.query_one(f"#figure-{key}", FigureView)
    return str(view.drawing(76))


async def test_every_section_is_drawn_with_the_mirrors_figures(mirror: Path) -> None:
    with Mirror.open(mirror, read_only=True) as m:
        expected = gather(m)
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        overview = figure_text(screen, "overview")
        assert f"{expected.overview.threads:,} threads" in overview
        assert f"{expected.overview.users:,} users" in overview
        statuses = figure_text(screen, "statuses")
        for status, count in expected.statuses.counts.items():
            assert re.search(rf"^{status} +█+[▏▎▍▌▋▊▉]? +{count:,}$", statuses, re.M), statuses
        tools = figure_text(screen, "tool_calls")
        assert tools.rstrip().endswith("█ completed  ░ pending")
        for name, count in expected.tools.tool_calls.items():
            assert f"{count.completed:,} / {count.pending:,}" in tools and name in tools
        hours = figure_text(screen, "hours")
        assert hours.split("\n")[2].startswith("Mon ") and "· 0" in hours
        assert "█" in figure_text(screen, "threads_per_day")
        assert not [v for v in screen.query(FigureView) if v.figure is None], "a placeholder left"
        unanswered = screen.query_one("#list-unanswered", EntryList)
        # the newest unanswered thread first, its title literal: markup and escape shown
        first = str(unanswered.get_option_at_index(0).prompt)
        assert "[bold]" in HOSTILE_TITLE and HOSTILE_TITLE.split("\x1b")[0] in first
        assert "\x1b" not in first and "␛" in first
        assert f"{expected.went_wrong.unanswered.total:,}" in screen_text(app)
        # a list has its rows before it is mounted: rows added in its own on_mount asked
        # for no layout, and a busy CI machine drew the list with no height
        unmounted = EntryList(unanswered.figure, width=80)
        assert unmounted.option_count == unanswered.option_count > 0


async def test_the_palette_opens_insights_and_help_lists_its_keys(mirror: Path) -> None:
    from chatkit_tui.tui.keys.registry import help_sections

    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, app)
        await run_command(pilot, app, "insights", "Insights…")
        await wait_for(pilot, lambda: isinstance(app.screen, InsightsScreen), what="insights")
        ctx = app.context
        tables = dict(help_sections({}, read_only=True, capabilities=ctx.capabilities))
        ids = {binding_id for _, _, binding_id in tables["Insights (i)"]}
        assert ids == {"insights.close", "insights.numbers", "insights.filters", "insights.refresh"}
        assert "main.insights" in {binding_id for _, _, binding_id in tables["Main screen"]}


async def test_help_on_insights_lists_the_insights_keys_first(mirror: Path) -> None:
    """? on the insights screen: its own table first, then the rest as on the main screen."""
    from chatkit_tui.tui.dialogs.help import HelpScreen

    app = mirror_app(mirror)
    async with app.run_test(size=(100, 60)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        on_main = app.screen
        assert isinstance(on_main, HelpScreen)
        main_titles = [title for title, _ in on_main.sections]
        assert main_titles[:2] == ["Everywhere", "Main screen"]  # as it was
        await pilot.press("escape")
        await open_insights(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        titles = [title for title, _ in help_screen.sections]
        assert titles[0] == "Insights (i)"
        assert sorted(titles) == sorted(main_titles)  # the same tables, reordered
        assert titles[1:] == [t for t in main_titles if t != "Insights (i)"]
        text = screen_text(app)
        assert text.index("insights.close") < text.index("main.back"), text
    # the session panel, where ? works too, the same way
    from chatkit_tui.tui.keys.registry import help_sections
    from chatkit_tui.tui.sessions.screen import SessionScreen

    panel = [title for title, _ in help_sections({}, read_only=False, screen=SessionScreen)]
    assert panel[0] == "Session panel (s)" and panel[1:3] == ["Everywhere", "Main screen"]


async def test_n_shows_each_charts_numbers_and_back(mirror: Path) -> None:
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        bars = figure_text(screen, "statuses")
        assert "█" in bars
        await pilot.press("n")
        numbers = figure_text(screen, "statuses")
        assert "█" not in numbers and numbers.split("\n")[1].split()[-1] == "count"
        assert figure_text(screen, "hours").split("\n")[1].split() == ["day", "hour", "count"]
        assert "numbers" in str(screen.query_one("#insights-status").render())
        await pilot.press("n")
        assert figure_text(screen, "statuses") == bars


async def test_enter_on_a_went_wrong_thread_opens_it(mirror: Path) -> None:
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        unanswered = screen.query_one("#list-unanswered", EntryList)
        assert unanswered.listing.entries[0].target == HOSTILE_ID  # newest first
        second = unanswered.listing.entries[1].target  # not the thread the view shows
        view = app.main_screen.view
        assert view.thread_id != second
        unanswered.focus()
        await pilot.press("home", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="back on main")
        await wait_for(pilot, lambda: view.thread_id == second, what="the thread opened")
        assert view.has_focus


async def test_esc_from_a_thread_opened_from_insights_goes_back_to_insights(mirror: Path) -> None:
    """Insights -> enter on a went-wrong row -> the thread -> esc: the same insights screen,
    its list's cursor and focus where they were, nothing computed again; esc from there
    goes back to the thread list, as from insights opened with i."""
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        generation = screen.generation
        unanswered = screen.query_one("#list-unanswered", EntryList)
        second = unanswered.listing.entries[1].target
        unanswered.focus()
        await pilot.press("home", "down", "enter")
        main = app.main_screen
        view = main.view
        await wait_for(pilot, lambda: view.thread_id == second, what="the thread opened")
        assert isinstance(app.screen, MainScreen) and view.has_focus
        await pilot.press("j")  # reading it
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on insights")
        await pilot.pause()
        assert screen.generation == generation  # the same figures, not computed again
        assert screen.focused is unanswered and unanswered.highlighted == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="back on main")
        assert main.thread_list.has_focus
        # a thread opened from the list is not tied to insights: esc goes to the list
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.has_focus, what="the thread view")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and main.thread_list.has_focus


async def test_enter_on_a_user_filters_the_thread_list(mirror: Path) -> None:
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        users = screen.query_one("#list-active_users", EntryList)
        top = users.listing.entries[0]
        users.focus()
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="back on main")
        assert app.main_screen.user == top.target
        tl = thread_list(app)
        count = top.cells[0]
        await wait_for(pilot, lambda: tl.row_count == count, what="the user's threads")
        shown = [tl.thread_at(row) for row in range(min(5, tl.row_count))]
        assert all(t is not None and t.user == top.target for t in shown)


async def test_filters_narrow_every_figure_and_bad_dates_are_refused(mirror: Path) -> None:
    with Mirror.open(mirror, read_only=True) as m:
        everyone = gather(m)
    top = everyone.active_users.users[0]
    app = mirror_app(mirror)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        await pilot.press("f", *"yesterday", "enter")
        assert any("'yesterday': expected an age like 90d" in n for n in notifications(app))
        generation = screen.generation
        user = screen.query_one("#insights-user", Input)
        screen.query_one("#insights-since", Input).value = ""
        user.value = top.user
        user.focus()
        await pilot.press("enter")
        assert screen.generation == generation + 1
        await wait_for(pilot, lambda: computed(screen), what="recomputed")
        assert screen.filters.user == top.user
        assert f"{top.threads:,} threads" in figure_text(screen, "overview")
        assert "  1 user  " in figure_text(screen, "overview")
        assert f"user {top.user}" in str(screen.query_one("#insights-status").render())
        # a day range: until the day before the first thread leaves nothing
        user.value = ""
        first = everyone.overview.first_day
        assert first is not None
        until = screen.query_one("#insights-until", Input)
        until.value = "2000-01-01"
        until.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: computed(screen), what="recomputed")
        assert figure_text(screen, "overview").split("\n")[1].startswith("0 threads")


async def test_the_figures_say_the_same_without_colour(
    mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: the screen's text is the same as in colour (nothing is carried by colour
    alone), the parts and levels are told apart by characters and legends, and the
    focused chart is marked by a character."""
    texts: dict[bool, str] = {}
    for no_color in (False, True):
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        app = mirror_app(mirror)
        async with app.run_test(size=(100, 200)) as pilot:
            await open_insights(pilot, app)
            assert app.no_color is no_color
            texts[no_color] = screen_text(app)
    assert texts[True] == texts[False]
    text = texts[True]
    assert "█ completed  ░ pending" in text  # a stacked bar's parts, by fill
    assert re.search(r"^· 0  [░▒▓█] 1", text, re.M)  # the heatmap's shades, by range
    assert re.search(r"^[▌▊█]Overview$", text, re.M)  # the focus: a thick left edge


async def test_online_the_endpoints_mirror_is_charted(
    local_server: BackgroundServer,
) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("i")  # no mirror of this endpoint yet: how to make one
        await wait_for(pilot, lambda: bool(notifications(app)), what="the hint")
        assert "chatkit-tui mirror" in notifications(app)[-1]
        assert isinstance(app.screen, MainScreen)
        await make_mirror(local_server, default_mirror_path(local_server.base_url))
        screen = await open_insights(pilot, app)
        assert "mirror of " + local_server.base_url in screen_text(app)
        unanswered = screen.query_one("#list-unanswered", EntryList)
        target = unanswered.listing.entries[1].target  # not the thread the view shows
        assert app.main_screen.view.thread_id != target
        unanswered.focus()
        await pilot.press("home", "down", "enter")
        view = app.main_screen.view
        await wait_for(pilot, lambda: view.thread_id == target, what="opened live")


async def test_a_mirror_made_before_insights_says_what_to_run(mirror: Path, tmp_path: Path) -> None:
    """--mirror writes nothing: a file without the summaries is not upgraded from the
    screen; each section says so, once for all, with the command that builds them."""
    old = tmp_path / "old.sqlite3"
    shutil.copyfile(mirror, old)
    as_version_2(old)
    before = old.read_bytes()
    app = mirror_app(old)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        views = list(screen.query(FigureView))
        assert len(views) == len(SECTIONS) and all(v.figure is None for v in views)
        said = str(views[0].drawing(200))
        assert "was made before insights" in said and f"chatkit-tui mirror --db {old}" in said
    assert old.read_bytes() == before


async def test_the_screen_charts_a_mirror_in_postgresql(pg_url: str) -> None:
    """``--mirror postgresql://...``: every section drawn from the database's summaries,
    the same figures as on a file, API text literal, the password nowhere on screen."""
    from chatkit_tui.core.mirror.url import MirrorUrl
    from tests.fixtures.postgres import PASSWORD

    url = MirrorUrl(pg_url)
    with BackgroundServer(seed=LOCAL_SEED) as server:
        hostile_unanswered(server)
        await make_mirror(server, url)  # pyright: ignore[reportArgumentType]
    with Mirror.open(url, read_only=True) as m:
        expected = gather(m)
    app = ChatKitApp(
        MirrorDeployment.open(url),
        endpoint_label="mirror of test",
        read_only=True,
        now=fixed_now,
        mirror_path=url,
    )
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_insights(pilot, app)
        assert not [v for v in screen.query(FigureView) if v.figure is None], "a placeholder left"
        overview = figure_text(screen, "overview")
        assert f"{expected.overview.threads:,} threads" in overview
        assert f"{expected.overview.users:,} users" in overview
        statuses = figure_text(screen, "statuses")
        for status, count in expected.statuses.counts.items():
            assert re.search(rf"^{status} +█+[▏▎▍▌▋▊▉]? +{count:,}$", statuses, re.M), statuses
        first = str(screen.query_one("#list-unanswered", EntryList).get_option_at_index(0).prompt)
        assert HOSTILE_TITLE.split("\x1b")[0] in first and "\x1b" not in first
        assert PASSWORD not in screen_text(app)
