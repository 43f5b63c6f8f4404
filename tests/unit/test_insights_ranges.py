"""A date range's top users read two ways (which one a range takes depends on its size):
walked from the most active down, each one's range of the index by user, or summed over
every ``(day, user)`` row of the range; and a range around every thread read as no range.
Each way must give the brute-force figures, at every filter the other insights tests
compare.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.insights import Filters, sections
from chatkit_tui.core.insights.summaries import SqliteReader, SummaryReader
from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
from chatkit_tui.server.run import BackgroundServer
from tests.unit.test_insights import (
    KEY,
    add_odd_threads,
    assert_matches,
    brute,
    insights,
    mirror_run,
)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ranges") / "m.sqlite3"
    with BackgroundServer(seed=120) as server:
        add_odd_threads(server)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in KEY.items():
                patch.setenv(name, value)
            assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


@pytest.mark.parametrize("long", [True, False], ids=["long range", "short range"])
@pytest.mark.parametrize("walk", [True, False], ids=["walked", "summed"])
def test_both_ways_of_a_range_give_the_brute_force_figures(
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    long: bool,
    walk: bool,
):
    users_seen: list[int] = []

    def known_users(db: object) -> int:
        users_seen.append(1)
        return -1 if long else 10**12

    monkeypatch.setattr(sections, "_known_users", known_users)
    monkeypatch.setattr(sections, "_WALK_USERS", 10**9 if walk else 0)
    assert_matches(capsys, seeded)
    assert users_seen  # the choice was made (a range was asked for)


def test_a_range_around_every_thread_reads_the_users_of_no_range_and_matches_brute_force(
    seeded: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    covered: list[bool] = []
    real = sections._covers_all  # pyright: ignore[reportPrivateUsage]

    def covers_all(db: SummaryReader, f: Filters) -> bool:
        covered.append(real(db, f))
        return covered[-1]

    monkeypatch.setattr(sections, "_covers_all", covers_all)
    since, until = 946_684_800, 4_102_531_200  # 2000-01-01, through 2100-01-01
    got = insights(capsys, seeded, "--since", "2000-01-01", "--until", "2100-01-01")
    assert got == brute(seeded, since=since, until=until)
    unfiltered = brute(seeded)
    assert {k: v for k, v in got.items() if k != "filters"} == {
        k: v for k, v in unfiltered.items() if k != "filters"
    }
    assert covered and all(covered)
    # a range that leaves threads out is not taken for all of them
    assert not real_covers(seeded, since=since, until=_last_thread(seeded))


def real_covers(path: Path, since: int, until: int) -> bool:
    with SqliteMirror.open_file(path, read_only=True) as mirror, mirror.reading() as db:
        return sections._covers_all(SqliteReader(db), Filters(since=since, until=until))  # pyright: ignore[reportPrivateUsage]


def _last_thread(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT max(created_at) FROM threads").fetchone()[0])
    finally:
        db.close()


def test_the_walk_of_a_long_ranges_top_users_matches_brute_force_on_both_engines(
    mirror_target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """The walk's SQL is shared: on PostgreSQL too (its cursor, its collation, no index
    hint) a long range's top users are the brute-force ones."""
    with BackgroundServer(seed=60) as server:
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, mirror_target)
    walked: list[object] = []
    real = sections._top_users_walked  # pyright: ignore[reportPrivateUsage]

    def walk(*args: Any, **kwargs: Any) -> Any:
        walked.append(result := real(*args, **kwargs))
        return result

    def no_users(db: object) -> int:  # every range long: the walk is taken
        return -1

    monkeypatch.setattr(sections, "_known_users", no_users)
    monkeypatch.setattr(sections, "_top_users_walked", walk)
    assert_matches(capsys, mirror_target)
    assert walked and all(w is not None for w in walked)
