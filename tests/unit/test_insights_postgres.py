"""The PostgreSQL layout's upgrade from version 1 (no summaries) to 2 (insights' summary
tables), on a real cluster: a layout-1 database (what the code of layout 1 made: the
tables of ``_SCHEMA`` alone) gets the same figures as a fresh layout-2 one once a writable
open builds them; a read-only open says what to run; a newer layout is refused; a build
killed for real (SIGKILL) resumes where it stopped and ends with the same figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import psycopg
import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.mirror.engines import postgres as engine
from chatkit_tui.core.mirror.engines import postgres_summaries
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.postgres import PASSWORD, Cluster
from tests.unit.test_insights import (
    add_odd_threads,
    assert_matches,
    brute,
    insights,
    mirror_run,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

V1_TABLES = {"meta", "threads", "items", "search", "failures", "unreadable", "runs", "writer"}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {str(r[0]) for r in rows}


def _meta(url: str, key: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
    return None if row is None else str(row[0])


def as_layout_1(url: str) -> None:
    """Make a layout-2 mirror what layout 1's code left: its summary tables and their
    mark gone, the version 1 (layout 2 is layout 1 plus those tables, nothing else)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for name in postgres_summaries.TABLES:
            conn.execute(f"DROP TABLE {name}")  # pyright: ignore[reportArgumentType, reportCallIssue]
        conn.execute("DELETE FROM meta WHERE key = %s", (postgres_summaries.MARK,))
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert _tables(url) == V1_TABLES
    # the tables are those of layout 1's DDL, kept as the upgrade's starting point
    assert {
        line.split()[2] for line in engine._SCHEMA.splitlines() if line.startswith("CREATE TABLE")
    } == V1_TABLES


def same_lists(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures with each list of threads in one order (by time, then id)."""
    out = dict(figures)

    def ordered(threads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(threads, key=lambda t: (t["created_at"], t["id"]))

    out["unanswered_threads"] = ordered(out["unanswered_threads"])
    for key in ("pending_tool_calls", "unfinished_tasks"):
        out[key] = {**out[key], "threads": ordered(out[key]["threads"])}
    return out


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-insights")


def test_a_layout_1_database_gets_the_figures_of_a_fresh_layout_2_one(
    pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]
):
    fresh = pg_cluster.create_database()
    old = pg_cluster.create_database()
    try:
        with BackgroundServer(seed=20) as server:
            add_odd_threads(server)
            mirror_run(capsys, server.base_url, fresh)
            mirror_run(capsys, server.base_url, old)
        expected = insights(capsys, fresh)
        assert expected == brute(fresh)
        as_layout_1(old)
        # read-only: nothing is built, it says what to run (and shows no password)
        assert main(["insights", "--db", old, "--read-only"]) == 2
        said = capsys.readouterr().err
        assert "made before insights" in said and "chatkit-tui mirror --db postgresql://" in said
        assert PASSWORD not in said
        assert _meta(old, "schema_version") == "1" and _tables(old) == V1_TABLES
        # a mirror of layout 1 is still read (the list, search) read-only
        assert main(["search", "--db", old, "--json", "hello"]) in (0, 3)
        capsys.readouterr()
        # the first writable open (insights can write here) builds them in place
        upgraded = insights(capsys, old)
        assert upgraded == brute(old)
        # the fresh one's figures too (threads created the same second are listed by their
        # row number, which two runs give out in the order their fetches finish)
        assert same_lists(upgraded) == same_lists(expected)
        assert _meta(old, "schema_version") == "2"
        assert _meta(old, postgres_summaries.PROGRESS) is None
        assert_matches(capsys, old)  # every filter, as on the fresh one
    finally:
        pg_cluster.drop_database(fresh)
        pg_cluster.drop_database(old)


def test_a_mirror_run_upgrades_layout_1_and_keeps_it_current(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    with BackgroundServer(seed=12) as server:
        mirror_run(capsys, server.base_url, pg_url)
        as_layout_1(pg_url)
        add_odd_threads(server)  # the run that upgrades writes new threads too
        mirror_run(capsys, server.base_url, pg_url)
    assert _meta(pg_url, "schema_version") == "2"
    assert main(["insights", "--db", pg_url, "--read-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == brute(pg_url)


def test_a_newer_layout_is_refused_with_a_clear_message(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    with BackgroundServer(seed=3) as server:
        mirror_run(capsys, server.base_url, pg_url)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        assert main(["insights", "--db", pg_url]) == 2
        said = capsys.readouterr().err
        assert "layout version 3" in said and "reads versions up to 2" in said
        assert PASSWORD not in said
        assert main(["mirror", "--base-url", server.base_url, "--db", pg_url]) == 2
        assert "layout version 3" in capsys.readouterr().err


_SLOW_BUILD = """
import sys, time
from chatkit_tui.core.mirror import Mirror
from chatkit_tui.core.mirror.engines import postgres_summaries as s
s.BUILD_BATCH = 4
items_of = s._items_of
def slow(cur, ids):
    time.sleep(0.15)
    return items_of(cur, ids)
s._items_of = slow
Mirror.open(sys.argv[1]).close()
print("built")
"""


def _progress(url: str) -> tuple[str | None, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT value FROM meta WHERE key = %s", (postgres_summaries.PROGRESS,)
        ).fetchone()
        made = conn.execute("SELECT to_regclass('ins_thread') IS NOT NULL").fetchone()
        rows = None
        if made and made[0]:
            rows = conn.execute("SELECT count(*) FROM ins_thread").fetchone()
    return (None if row is None else str(row[0])), (0 if rows is None else int(rows[0]))


def test_a_build_killed_for_real_resumes_and_gives_the_same_figures(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    with BackgroundServer(seed=30) as server:
        add_odd_threads(server)
        mirror_run(capsys, server.base_url, pg_url)
    expected = insights(capsys, pg_url)
    with psycopg.connect(pg_url) as conn:
        counted = conn.execute("SELECT count(*) FROM threads").fetchone()
    assert counted is not None
    total = int(counted[0])
    assert total > 12
    as_layout_1(pg_url)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BUILD, pg_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            after, done = _progress(pg_url)
            if after is not None and done >= 8:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)  # mid-build, between or inside a batch
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    after, done = _progress(pg_url)
    assert after is not None and 0 < done < total  # some batches committed, not all
    assert _meta(pg_url, "schema_version") == "1"  # no summaries yet for a reader
    assert main(["insights", "--db", pg_url, "--read-only"]) == 2
    capsys.readouterr()
    # the next writable open resumes the build (the threads done are not summed again)
    got: dict[str, Any] = insights(capsys, pg_url)
    assert got == expected == brute(pg_url)
    assert _meta(pg_url, "schema_version") == "2"
    assert _progress(pg_url) == (None, total)


def test_a_teammates_role_granted_before_the_user_counts_writes_and_keeps_them(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    """The counts' triggers run as their owner: a role granted the mirror's tables before
    the counts existed (none on them) writes the mirror, and they stay exact. On a
    database without them, such a role (which may not make them) runs without them, and
    the chart counts the rows."""
    from psycopg import sql

    from tests.unit.test_insights import _counts_kept, _drop_counts

    role = f"writer_{os.getpid()}_{int(time.time() * 1000) % 100_000}"
    secret = "writer-Secret-77"
    where = pg_url.partition("@")[2]
    as_role = f"postgresql://{role}:{secret}@{where}"
    with BackgroundServer(seed=12) as server:
        mirror_run(capsys, server.base_url, pg_url)  # the owner's run: counts made
        assert _counts_kept(pg_url)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            ident = sql.Identifier(role)
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(secret))
            )
            conn.execute(
                sql.SQL(
                    "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA"
                    " public TO {}"
                ).format(ident)
            )
            conn.execute(
                sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident)
            )
            conn.execute(
                sql.SQL("REVOKE ALL ON ins_day_users, ins_week_users FROM {}").format(ident)
            )
        try:
            # default privileges that give every new function to the role: the owner's
            # next open that makes the functions again takes EXECUTE back from it too
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO {}").format(
                        sql.Identifier(role)
                    )
                )
                conn.execute("DROP FUNCTION ins_day_users_in() CASCADE")  # its trigger too
            mirror_run(capsys, server.base_url, pg_url)
            assert _counts_kept(pg_url)
            add_odd_threads(server)
            mirror_run(capsys, server.base_url, as_role)
            assert _counts_kept(pg_url)
            assert insights(capsys, as_role) == brute(pg_url)
            # the owner's functions are the triggers' alone: the role may not call them
            # from a trigger of its own, with rows of its making
            with psycopg.connect(as_role, autocommit=True) as conn:
                conn.execute("CREATE TEMP TABLE forged (day integer)")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(
                        "CREATE TRIGGER forged AFTER INSERT ON forged REFERENCING NEW TABLE"
                        " AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.ins_day_users_in()"
                    )
            gone = server.store.list_threads(limit=1, order="desc").data[0].id
            assert server.store.delete_thread(gone)
            mirror_run(capsys, server.base_url, as_role, "--prune")  # rows out, as the role
            assert _counts_kept(pg_url)
            _drop_counts(pg_url)  # a database of before them
            mirror_run(capsys, server.base_url, as_role)  # may not make them: goes on
            assert not _counts_kept(pg_url)
            assert insights(capsys, as_role) == brute(pg_url)  # by the scan
            mirror_run(capsys, server.base_url, pg_url)  # the owner's next run makes them
            assert _counts_kept(pg_url)
        finally:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
