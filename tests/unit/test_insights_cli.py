"""The ``insights`` command's words. ``insights --db postgresql://...`` (and ``--mirror
URL``): the URL is read as a URL, not as a file path, so a server that is not there is
"cannot open the mirror" (exit 2) with the password redacted; it was "no mirror at
postgresql:/user:PASSWORD@...", the password printed and the URL mangled into a path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.server.run import BackgroundServer
from tests.unit.test_insights import KEY, mirror_run

SECRET = "s3cret-Pw-91"
URL = f"postgresql://support:{SECRET}@127.0.0.1:1/team"


def seeded_mirror(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seed: int = 20,
) -> Path:
    """A mirror file of a local server seeded with ``seed`` threads (its key set)."""
    for name, value in KEY.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "m.sqlite3"
    with BackgroundServer(seed=seed) as server:
        mirror_run(capsys, server.base_url, path)
    return path


def most_active_user(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    """The first of the mirror's most active users, as ``insights --json`` lists them."""
    assert main(["insights", "--db", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["active_users"][0]["user"]


@pytest.mark.parametrize("flag", ["--db", "--mirror"])
def test_a_postgresql_url_that_cannot_be_reached_is_worded_and_its_password_never_shown(
    tmp_path: Path, flag: str
) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "insights", flag, URL],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 5, run.stderr  # nothing listening: a network error
    assert SECRET not in run.stdout + run.stderr
    assert "postgresql://support:***@127.0.0.1:1/team" in run.stderr
    assert "cannot open the mirror" in run.stderr and "Connection refused" in run.stderr


def test_one_user_is_one_user_not_one_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--user U`` always leaves one user: the summary says "1 user" (it said "1 users")."""
    path = seeded_mirror(tmp_path, capsys, monkeypatch)
    user = most_active_user(capsys, path)
    assert main(["insights", "--db", str(path), "--user", user]) == 0
    second = capsys.readouterr().out.split("\n")[1]
    assert re.match(r"\d[\d,]* threads?, 1 user, [\d,]+ items?\b", second), second
    assert "note:" not in capsys.readouterr().err  # a user with threads: no note


def test_a_user_with_no_threads_is_said_and_one_outside_the_dates_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--user`` that matches nothing printed zeros alone, read as a user who did nothing
    (a mistyped id, say): a note says the mirror has no thread of that user, or that the
    user's threads are outside the dates given. The exit is still 0: zeros are a fact."""
    path = seeded_mirror(tmp_path, capsys, monkeypatch)
    user = most_active_user(capsys, path)
    assert main(["insights", "--db", str(path), "--user", user.upper() + "X"]) == 0
    out, err = capsys.readouterr()
    assert out.split("\n")[1].startswith("0 threads")
    assert f"no thread of user {user.upper()}X" in err and "matched exactly" in err
    argv = ["insights", "--db", str(path), "--user", user, "--since", "2099-01-01", "--json"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["threads"] == 0
    assert re.search(rf"user {re.escape(user)} has \d+ threads? in the mirror, none in these", err)


def test_dates_at_the_calendars_edge_are_said_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--until 9999-12-31`` ends in year 10000 and ``--since 0001-01-01T00:00+05:00``
    starts in year 0: the heading said them with a traceback (exit 1). Year 1 is written
    in four digits (strftime gave ``1-01-02``)."""
    path = seeded_mirror(tmp_path, capsys, monkeypatch, seed=5)
    cases = {
        ("--until", "9999-12-31"): "before the end of 9999",
        ("--since", "0001-01-01T00:00+05:00"): "since the start of year 1",
        ("--until", "0001-01-01"): "before 0001-01-02 00:00:00 UTC",
    }
    for flags, said in cases.items():
        assert main(["insights", "--db", str(path), *flags]) == 0, flags
        out, err = capsys.readouterr()
        assert said in out.split("\n")[0] and "Traceback" not in err, (flags, out, err)
    svg = tmp_path / "x.svg"
    assert main(["insights", "--db", str(path), "--until", "9999-12-31", "--svg", str(svg)]) == 0
    assert svg.read_text().startswith("<svg")


def test_reading_a_mirror_needs_no_key_so_a_bad_one_does_not_stop_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``insights`` and ``search`` read the profile's mirror and send no key: a key that
    cannot be sent (a tab in it) stopped them, while ``--mirror`` ran. It stops the
    commands that send it."""
    from chatkit_tui.core.mirror import default_mirror_path

    for name, value in KEY.items():
        monkeypatch.setenv(name, value)
    with BackgroundServer(seed=5) as server:
        mirror_run(capsys, server.base_url, default_mirror_path(server.base_url, None))
        config = tmp_path / "config.toml"
        config.write_text(f'[profiles.tab]\nbase_url = "{server.base_url}"\napi_key = "sk-a\\tb"\n')
        config.chmod(0o600)
        monkeypatch.setenv("CHATKIT_TUI_CONFIG", str(config))
        for argv in (["insights"], ["search", "anything"], ["--mirror", "threads", "list"]):
            code = (
                main(["--profile", "tab", *argv])
                if argv[0] == "--mirror"
                else main([argv[0], "--profile", "tab", *argv[1:]])
            )
            err = capsys.readouterr().err
            assert code in (0, 1) and "api_key" not in err, (argv, code, err)
        assert main(["--profile", "tab", "threads", "list"]) == 2
        assert "api_key holds a tab (character 5)" in capsys.readouterr().err


def test_search_for_a_user_with_no_threads_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``search --user`` that matches no thread said only "no matches", as if the user
    had never written the words; as ``insights --user`` does, it says there is no thread
    of that user. A user with threads but no match gets no such note."""
    path = seeded_mirror(tmp_path, capsys, monkeypatch)
    user = most_active_user(capsys, path)
    main(["search", "--db", str(path), "--user", "NOBODY-x", "hello"])
    err = capsys.readouterr().err
    assert "no matches" in err and "no thread of user NOBODY-x" in err
    main(["search", "--db", str(path), "--user", user, "zzqqxxnotaword"])
    err = capsys.readouterr().err
    assert "no matches" in err and "no thread of user" not in err
