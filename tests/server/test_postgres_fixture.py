"""The throwaway PostgreSQL cluster is a real server that wants its password."""

from __future__ import annotations

import psycopg
import pytest

from tests.fixtures.postgres import PASSWORD, Cluster


def test_a_database_of_its_own_answers_sql(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (41), (1)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (42,)
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None and int(version[0]) >= 150000


def test_tcp_without_the_password_is_refused(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(pg_cluster.url(password=False), connect_timeout=10).close()
    assert PASSWORD not in str(caught.value)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg_cluster.url().replace(PASSWORD, "wrong"), connect_timeout=10).close()


def test_each_test_gets_a_fresh_database(pg_cluster: Cluster) -> None:
    first, second = pg_cluster.create_database(), pg_cluster.create_database()
    try:
        assert first != second
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE only_here (x int)")
        with psycopg.connect(second) as conn:
            row = conn.execute("SELECT to_regclass('only_here')").fetchone()
        assert row == (None,)
    finally:
        pg_cluster.drop_database(first)
        pg_cluster.drop_database(second)
