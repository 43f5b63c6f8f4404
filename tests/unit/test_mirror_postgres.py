"""The mirror in PostgreSQL, on a real server (tests/fixtures/postgres.py): ``mirror --db
postgresql://...`` and ``search --db``, one writer by an advisory lock (exit 10 naming the
holder from any connection, ``--wait``, a writer killed with SIGKILL frees it), the
password from the URL, ``PGPASSWORD``, ``~/.pgpass`` or a profile's command and never in
any output, a profile naming the mirror. The engine-agnostic behaviour (sync, search) runs
on both engines in test_mirror_sync.py and test_mirror_search.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.mirror import (
    Mirror,
    MirrorBusyError,
    MirrorError,
    MirrorOfAnother,
    MirrorUrl,
    Origin,
)
from chatkit_tui.core.mirror.records import ItemRecord, ThreadRecord
from chatkit_tui.core.mirror.url import redact
from tests.fixtures.postgres import PASSWORD, Cluster
from tests.unit.test_mirror_kill import assert_whole
from tests.unit.test_mirror_writer import Origin40, finish, holding, mirror_process


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


@pytest.fixture
def origin() -> object:
    from chatkit_tui.server.run import BackgroundServer

    with BackgroundServer(seed=40) as server:
        origin = Origin40(server)
        try:
            yield origin
        finally:
            origin.gate.set()


def no_password(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert PASSWORD.replace("-", "%2D") not in text


def bare(url: str) -> str:
    """The URL without its password (what is shown)."""
    return url.replace(f":{PASSWORD}@", ":***@")


# --- one writer -----------------------------------------------------------------------------


def test_a_second_run_on_the_same_database_is_refused_with_exit_10_naming_the_first(
    pg_url: str, origin: Origin40, capsys: pytest.CaptureFixture[str]
):
    first = holding(origin, pg_url)  # type: ignore[arg-type]
    second = mirror_process(origin.base_url, pg_url)  # type: ignore[arg-type]
    out, err = second.communicate(timeout=30)
    assert second.returncode == 10, err
    assert f"pid {first.pid} on {socket.gethostname()}, since " in err and " UTC)" in err
    assert "--wait" in err and out == "" and "Traceback" not in err
    assert bare(pg_url) in err
    no_password(out, err)
    assert first.poll() is None  # refused at once, while the first still writes
    with pytest.raises(MirrorBusyError) as info:  # any writable open, from any connection
        Mirror.open(pg_url, origin=Origin(origin.base_url))
    assert info.value.holder is not None and info.value.holder.pid == first.pid
    with Mirror.open(pg_url, read_only=True) as reader:  # readers are not held up
        assert reader.info().origin.base_url == origin.base_url
    assert main(["search", "--db", pg_url, "anything", "--json"]) == 0
    origin.gate.set()
    out, err = finish(first)
    no_password(out, err)
    assert bare(pg_url) in out  # the start event names it, without the password
    assert assert_whole(pg_url, origin.by_id()) == 40  # type: ignore[arg-type]
    with psycopg.connect(pg_url) as conn:  # the holder let go: its row went with it
        assert conn.execute("SELECT count(*) FROM writer").fetchone() == (0,)
    out, err = capsys.readouterr()
    no_password(out, err)


def test_wait_waits_for_the_holder_and_then_runs(pg_url: str, origin: Origin40):
    first = holding(origin, pg_url)  # type: ignore[arg-type]
    waiting = mirror_process(origin.base_url, pg_url, "--wait")  # type: ignore[arg-type]
    assert waiting.stderr is not None
    said = waiting.stderr.readline()
    assert f"waiting for pid {first.pid} on {socket.gethostname()}, since " in said
    assert f"which is writing the mirror {bare(pg_url)}" in said
    no_password(said)
    time.sleep(0.5)
    assert first.poll() is None and waiting.poll() is None
    origin.gate.set()
    finish(first)
    out, _ = finish(waiting)
    summary = json.loads(out.splitlines()[-1])
    assert summary["complete"] and (summary["new"], summary["unchanged"]) == (0, 40)


def test_a_writer_killed_with_sigkill_frees_the_database(pg_url: str, origin: Origin40):
    killed = holding(origin, pg_url)  # type: ignore[arg-type]
    time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    with psycopg.connect(pg_url) as conn:  # its row stays, naming it; the lock went with it
        row = conn.execute("SELECT pid FROM writer").fetchone()
        assert row == (killed.pid,)
    origin.gate.set()
    deadline = time.monotonic() + 10  # the server notices the closed socket at once
    while True:
        process = mirror_process(origin.base_url, pg_url)  # type: ignore[arg-type]
        out, err = process.communicate(timeout=60)
        if process.returncode != 10 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert process.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["complete"]
    assert assert_whole(pg_url, origin.by_id()) == 40  # type: ignore[arg-type]


def test_in_one_process_a_second_writable_open_is_refused_until_the_first_closes(
    pg_url: str,
):
    origin = Origin("http://x/v1")
    mirror = Mirror.open(pg_url, create=True, origin=origin)
    with pytest.raises(MirrorBusyError, match=rf"pid {os.getpid()} on .* UTC"):
        Mirror.open(pg_url, origin=origin)
    with Mirror.open(pg_url, read_only=True) as reader:
        assert reader.info().threads == 0
    mirror.close()
    Mirror.open(pg_url, origin=origin).close()


def test_a_read_only_open_cannot_write_and_an_empty_database_is_no_mirror(pg_url: str):
    with pytest.raises(FileNotFoundError, match=r"no mirror in postgresql://chatkit:\*\*\*@"):
        Mirror.open(pg_url, read_only=True)
    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    with Mirror.open(pg_url, read_only=True) as reader:
        with pytest.raises(MirrorError, match="read-only"):
            reader.mark_gone(["cthr_x"])
    with psycopg.connect(pg_url) as conn:
        holder = conn.execute("SELECT host, pid, since FROM writer").fetchall()
    with pytest.raises(MirrorOfAnother, match="is a mirror of http://x/v1, not of http://y/v1"):
        Mirror.open(pg_url, origin=Origin("http://y/v1"))
    with psycopg.connect(pg_url) as conn:  # refused before it wrote itself in as the writer
        assert conn.execute("SELECT host, pid, since FROM writer").fetchall() == holder


def test_check_is_the_files_and_says_so_for_a_database(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    assert main(["mirror", "--check", "--db", pg_url]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL database, whose pages its server checks" in err
    no_password(err)


def test_a_database_of_other_tables_is_refused_and_left_as_it_is(pg_url: str):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE meta (key text, value text)")
        conn.execute("INSERT INTO meta VALUES ('mine', 'x')")
    with pytest.raises(MirrorError, match="not a chatkit-tui mirror"):
        Mirror.open(pg_url, create=True, origin=Origin("http://x/v1"))
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT * FROM meta").fetchall() == [("mine", "x")]


def test_a_mirror_that_made_nothing_is_taken_away_again(pg_url: str):
    mirror = Mirror.open(pg_url, create=True, origin=Origin("http://x/v1"))
    assert mirror.created and mirror.discard_if_empty()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('threads')").fetchone() == (None,)


# --- the password: where it comes from, and never shown -------------------------------------


def test_the_password_comes_from_pgpassword_pgpass_or_a_profile_command(
    pg_cluster: Cluster,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    url = pg_url.replace(f":{PASSWORD}@", "@")
    assert PASSWORD not in url
    with pytest.raises(MirrorError) as refused:  # none anywhere: refused, and said so
        Mirror.open(url, read_only=True)
    assert "password" in str(refused.value)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    Mirror.open(url, read_only=True).close()
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:chatkit:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    Mirror.open(url, read_only=True).close()
    monkeypatch.delenv("PGPASSFILE")
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.team]\nmirror = "{url}"\nmirror_password_command = "cat {secret}"\n'
    )
    monkeypatch.setenv("CHATKIT_TUI_CONFIG", str(config))
    assert main(["search", "--profile", "team", "anything"]) == 0
    out, err = capsys.readouterr()
    no_password(out, err)


def test_a_wrong_password_and_a_bad_url_are_refused_without_showing_it(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    wrong = pg_url.replace(PASSWORD, PASSWORD + "-wrong")
    assert main(["search", "--db", wrong, "anything"]) == 4  # the login refused
    err = capsys.readouterr().err
    assert "password authentication failed" in err and "Traceback" not in err
    no_password(err)
    # libpq's own message echoes a URL it cannot read, password and all
    bad = pg_url.replace("@127.0.0.1:", "@[::1:")
    assert main(["search", "--db", bad, "anything"]) == 2
    err = capsys.readouterr().err
    assert "IPv6 host address" in err and "***" in err and "Traceback" not in err
    no_password(err)
    bad = pg_url.replace(f":{PASSWORD}@", f":{PASSWORD}%@")
    assert main(["search", "--db", bad, "anything"]) == 2
    err = capsys.readouterr().err
    assert "percent-encoded" in err and "Traceback" not in err
    no_password(err)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``chatkit-tui ARGV`` in a process of its own, stdin not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "chatkit_tui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_connection_failures_exit_as_the_table_says_worded_and_redacted(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    """A wrong password is 4, nothing listening or an unknown host 5 (the README's table),
    for every command that opens a mirror in PostgreSQL, the app's --mirror and serve --db;
    each says why in words, without the password."""
    wrong = pg_url.replace(PASSWORD, PASSWORD + "-wrong")
    base, _, _ = pg_url.partition("@")
    database = pg_url.rsplit("/", 1)[1]
    nobody = f"{base}@127.0.0.1:{_closed_port()}/{database}"
    unknown = f"{base}@no-such-host.invalid:5432/{database}"
    cases = [
        (wrong, 4, "the database refused the login", "password authentication failed"),
        (nobody, 5, "the database cannot be reached", "Connection refused"),
        (unknown, 5, "the database cannot be reached", "no-such-host.invalid"),
    ]
    for url, code, said, detail in cases:
        for argv in (
            ["search", "--db", url, "anything"],
            ["insights", "--db", url],
            ["mirror", "--db", url, "--base-url", "http://127.0.0.1:9/v1"],
            ["threads", "list", "--mirror", url],
        ):
            assert main(argv) == code, (argv, capsys.readouterr().err)
            err = capsys.readouterr().err
            assert said in err and detail in err and "Traceback" not in err, (argv, err)
            assert bare(url) in err or "***" in err, err
            no_password(err)
        for argv in (["--mirror", url], ["serve", "--db", url, "--port", "0"]):
            done = _cli(*argv)
            assert done.returncode == code, (argv, done.stderr)
            assert said in done.stderr and detail in done.stderr, (argv, done.stderr)
            assert "Traceback" not in done.stderr, done.stderr
            no_password(done.stdout, done.stderr)


def test_a_role_without_the_privilege_to_read_the_mirror_is_a_permission_error(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    """A role that may log in but not read the mirror's tables: exit 4, as a 403 is."""
    from psycopg import sql

    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    role = f"reader_{os.getpid()}_{int(time.time() * 1000) % 100_000}"
    secret = "reader-Secret-51"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(secret)
            )
        )
    try:
        where = pg_url.partition("@")[2]
        url = f"postgresql://{role}:{secret}@{where}"
        for argv in (["search", "--db", url, "anything"], ["insights", "--db", url]):
            assert main(argv) == 4, (argv, capsys.readouterr().err)
            err = capsys.readouterr().err
            assert "permission denied" in err and secret not in err, err
        done = _cli("serve", "--db", url, "--port", "0")
        assert done.returncode == 4 and "permission denied" in done.stderr, done.stderr
        assert secret not in done.stdout + done.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_pgpass_that_others_can_read_is_named_when_no_password_came(
    pg_cluster: Cluster,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """libpq skips a password file with group or world access (mode 644): the login then
    fails for want of a password, and the message says which file and what to do."""
    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    url = pg_url.replace(f":{PASSWORD}@", "@")
    home = tmp_path / "home-pgpass"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    pgpass = home / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:chatkit:{PASSWORD}\n")
    for path, named in ((pgpass, None), (tmp_path / "elsewhere.pgpass", "PGPASSFILE")):
        if named is not None:
            path.write_text(pgpass.read_text())
            monkeypatch.setenv(named, str(path))
        path.chmod(0o644)
        assert main(["search", "--db", url, "anything"]) == 4
        err = capsys.readouterr().err
        assert "no password supplied" in err, err
        assert f"the password file {path} was not read" in err, err
        assert "permissions should be u=rw (0600) or less" in err and "0644" in err, err
        no_password(err)
        for argv in (["--mirror", url], ["serve", "--db", url, "--port", "0"]):
            done = _cli(*argv)  # the app and serve say it too
            assert done.returncode == 4, (argv, done.stderr)
            assert f"the password file {path} was not read" in done.stderr, done.stderr
        path.chmod(0o600)  # as libpq wants it: read, the login goes through
        assert main(["search", "--db", url, "anything"]) == 0, capsys.readouterr().err
        capsys.readouterr()
    # a private file, or a password given another way: no word about the file
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none-here"))
    assert main(["search", "--db", url, "anything"]) == 4
    assert "password file" not in capsys.readouterr().err


def test_a_url_is_shown_without_its_password_everywhere():
    url = MirrorUrl(f"postgresql://chatkit:{PASSWORD}@db.example:5432/team?password={PASSWORD}")
    for shown in (str(url), repr(url), url.shown, f"{url}"):
        no_password(shown)
    assert str(url).startswith("postgresql://chatkit:***@db.example:5432/team")
    assert url.password == PASSWORD
    said = f'connection to "postgresql://chatkit:{PASSWORD}@h/db" failed: password={PASSWORD} x'
    no_password(redact(said))
    no_password(redact(f"it said {PASSWORD} and %2D", PASSWORD))


def test_a_socket_url_keeps_its_slashes_and_a_capital_scheme_connects(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    """``postgresql:///db`` (no host: a local socket) was shown ``postgresql:/db``; and
    ``POSTGRESQL://`` was taken for a URL but libpq read it as a keyword string
    ("missing '=' ... in connection info string"), the URL repeated."""
    socket_url = MirrorUrl("postgresql:///team?host=/run/postgresql&password=s3cret")
    assert socket_url.shown == "postgresql:///team?host=/run/postgresql&password=***"
    assert str(MirrorUrl("postgresql:///team")) == "postgresql:///team"
    shouted = "POSTGRESQL" + pg_url[len("postgresql") :]
    assert pg_url.startswith("postgresql://")
    Mirror.open(pg_url, create=True, origin=Origin("http://x/v1")).close()
    assert main(["search", "--db", shouted, "anything"]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert "connection info string" not in err and "no matches" in (out + err).lower()
    # serve too (it read the string as given: libpq's error repeated it, password and all,
    # and the redaction knew only the lower case)
    shouting = "POSTGRESQL://bob:hunter2@127.0.0.1:1/team"
    assert main(["serve", "--port", "0", "--db", shouting]) == 5
    err = capsys.readouterr().err
    assert "hunter2" not in err and "connection info string" not in err, err
    assert "postgresql://bob:***@127.0.0.1:1/team" in err, err


def test_a_query_passphrase_is_hidden_wherever_a_url_is_shown():
    """``sslpassword`` (the client key's passphrase) is a secret as ``password`` is: shown
    as *** by the URL, by redact, and by a profile's repr."""
    from chatkit_tui.config.file import ProfileFile

    url = "postgresql://u@h/team?sslpassword=p4ss-ph&sslmode=verify-full&PASSWORD=x9"
    for shown in (MirrorUrl(url).shown, redact(url), repr(ProfileFile(mirror=url))):
        assert "p4ss-ph" not in shown and "x9" not in shown, shown
        assert "sslmode=verify-full" in shown, shown


def test_the_postgresql_extra_is_named_when_psycopg_is_missing(tmp_path: Path):
    """A Python without psycopg: the message says what to install (a URL, no traceback)."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "psycopg.py").write_text("raise ImportError('no psycopg here')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "search", "--db", "postgresql://u@h/d", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'chatkit-tui[postgresql]'" in done.stderr
    assert "Traceback" not in done.stderr


# --- every reader: the commands, serve --db, the app's top bar ---------------------------------


def test_commands_serve_and_the_label_read_a_database_without_showing_its_password(
    pg_url: str, capsys: pytest.CaptureFixture[str]
):
    from chatkit_tui.core.local import mirror_label
    from chatkit_tui.server.run import BackgroundServer
    from tests.fixtures.server import BETA_HEADERS

    with BackgroundServer(seed=12) as origin:
        assert main(["mirror", "--base-url", origin.base_url, "--db", pg_url]) == 0
        out, err = capsys.readouterr()
        assert f"into {bare(pg_url)}" in out
        no_password(out, err)
        assert main(["threads", "list", "--mirror", pg_url, "--json"]) == 0
        out, err = capsys.readouterr()
        assert len(out.splitlines()) == 12 and f"mirror of {origin.base_url}" in err
        no_password(out, err)
        label = mirror_label(MirrorUrl(pg_url))  # what the app's top bar shows
        assert label.startswith(f"mirror of {origin.base_url} · synced ") and "12 threads" in label
        no_password(label)

        server = subprocess.Popen(
            [sys.executable, "-m", "chatkit_tui", "serve", "--db", pg_url, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            banner = server.stdout.readline()
            assert banner.startswith("ChatKit API on http://127.0.0.1:"), server.communicate()
            assert f"mirror of {origin.base_url}: {bare(pg_url)}, read-only" in banner
            assert "12 threads" in banner
            no_password(banner)
            import httpx

            headers = {**BETA_HEADERS, "Authorization": "Bearer any"}
            with (
                httpx.Client(base_url=banner.split()[3], headers=headers, timeout=10) as served,
                httpx.Client(base_url=origin.base_url, headers=headers, timeout=10) as real,
            ):
                for path in ("/chatkit/threads?limit=100", "/chatkit/threads?order=asc&limit=5"):
                    assert served.get(path).content == real.get(path).content
                first = real.get("/chatkit/threads").json()["data"][0]["id"]
                items = f"/chatkit/threads/{first}/items?limit=100"
                assert served.get(items).content == real.get(items).content
                assert served.delete(f"/chatkit/threads/{first}").status_code == 403
        finally:
            server.terminate()
            _, err = server.communicate(timeout=10)
        no_password(err)
    wrong = pg_url.replace(PASSWORD, "nope")
    done = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "serve", "--db", wrong, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4 and "password authentication failed" in done.stderr
    no_password(done.stdout, done.stderr)


def test_a_profile_names_its_mirror_and_never_shows_its_password(tmp_path: Path):
    from chatkit_tui.config.file import ConfigError, read_config_file
    from chatkit_tui.config.resolve import resolve

    config = tmp_path / "config.toml"
    url = f"postgresql://chatkit:{PASSWORD}@db.example/team"
    config.write_text(f'[profiles.team]\nmirror = "{url}"\n')
    file = read_config_file(config, required=True)
    no_password(repr(file.profiles["team"]))
    resolved = resolve(file, env={}, profile_flag="team", resolve_key=False)
    assert resolved.mirror == url
    no_password(repr(resolved), str(resolved))
    config.write_text('[profiles.team]\nmirror_password_command = "pass show db"\n')
    with pytest.raises(ConfigError, match="mirror_password_command is for the mirror"):
        read_config_file(config, required=True)
    # a password in the URL and a command: the URL's won and the command never ran, unsaid
    config.write_text(
        f'[profiles.team]\nmirror = "{url}"\nmirror_password_command = "pass show db"\n'
    )
    with pytest.raises(ConfigError, match="carries a password and mirror_password_command") as info:
        read_config_file(config, required=True)
    assert info.value.line == 3
    no_password(str(info.value))
    config.write_text(  # without one in the URL, the command gives it: fine
        '[profiles.team]\nmirror = "postgresql://chatkit@db.example/team"\n'
        'mirror_password_command = "pass show db"\n'
    )
    read_config_file(config, required=True)


# --- the write path -------------------------------------------------------------------------


def _thread(n: int) -> tuple[ThreadRecord, list[ItemRecord]]:
    tid = f"cthr_batch{n}"
    items = [
        ItemRecord(
            json.dumps(
                {"id": f"cthi_{n}_{k}", "type": "chatkit.user_message", "thread_id": tid,
                 "content": [{"type": "input_text", "text": f"refund n{n}x part {k}"}]}
            ).encode(),
            f"cthi_{n}_{k}", 1_790_000_000 + k, "user_message",
        )
        for k in range(3)
    ]  # fmt: skip
    raw = json.dumps({"id": tid, "title": f"Batch {n}"}).encode()
    return ThreadRecord(tid, raw, 1_790_000_000, "u", f"Batch {n}", "active", True), items


def test_a_batch_commits_its_threads_together_or_none_of_them(pg_url: str):
    def held(url: str) -> set[str]:
        with psycopg.connect(url) as conn:
            return {str(r[0]) for r in conn.execute("SELECT id FROM threads").fetchall()}

    with Mirror.open(pg_url, create=True, origin=Origin("http://127.0.0.1:1")) as mirror:
        with pytest.raises(RuntimeError), mirror.batch():
            for n in (1, 2):
                mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
            raise RuntimeError("killed between two threads' writes")
        assert held(pg_url) == set()  # neither thread: the batch was one transaction
        before = mirror.total_changes()
        with mirror.batch():
            for n in (1, 2):
                mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
            assert held(pg_url) == set()  # not before the batch commits
        assert held(pg_url) == {"cthr_batch1", "cthr_batch2"}
        assert [h.thread_id for h in mirror.search("n2x")] == ["cthr_batch2"] * 3
        # each thread: its row, its title's search row, 3 items, their 3 search rows, and
        # its row updated (item count, where the next run goes on)
        assert mirror.total_changes() - before == 2 * (1 + 1 + 3 + 3 + 1)


def test_a_words_positions_are_merged_by_postgresql_up_to_256(pg_url: str):
    """The tsvector text names a word once per time it occurs; PostgreSQL's input merges
    its positions and keeps the first 256 (what the index held when they were merged here)."""
    from chatkit_tui.core.mirror.engines.postgres import _vector

    def positions(start: int, step: int) -> str:
        return ",".join(str(n) for n in range(start, start + 256 * step, step))

    cases = {
        "refund the order the refund": "'order':3 'refund':1,5 'the':2,4",
        " ".join(["help"] * 300 + ["me"]): f"'help':{positions(1, 1)} 'me':301",
        "a b " * 9000: f"'a':{positions(1, 2)} 'b':{positions(2, 2)}",
    }
    with psycopg.connect(pg_url) as conn:
        for body, expected in cases.items():
            made = conn.execute("SELECT %s::tsvector::text", (_vector(body),)).fetchone()
            assert made == (expected,)


class _Counted:
    """The mirror's connection, each statement it is asked to run counted (and run)."""

    def __init__(self, conn: psycopg.Connection[object]) -> None:
        self.conn = conn
        self.statements: list[str] = []

    def execute(self, query: object, *args: object, **kwargs: object) -> object:
        self.statements.append(str(query))
        return self.conn.execute(query, *args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def test_a_search_is_one_statement_in_a_session_that_never_jits(pg_url: str):
    with Mirror.open(pg_url, create=True, origin=Origin("http://127.0.0.1:1")) as mirror:
        for n in range(12):
            mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
    with Mirror.open(pg_url, read_only=True) as reader:
        # JIT would compile a dear plan (a count of a common word) for tens of ms; a
        # sequential scan starts at the table's first page (the first matches in order)
        assert reader._one("SHOW jit") == "off"  # type: ignore[attr-defined]
        assert reader._one("SHOW synchronize_seqscans") == "off"  # type: ignore[attr-defined]
        counted = _Counted(reader._conn)  # type: ignore[attr-defined]
        reader._conn = counted  # type: ignore[attr-defined]
        found = reader.search_page("refund part", limit=20, ranked=30)
        # the matches, their ranking, the best joined to their threads and the item
        # before each: one round trip, however many hits (it was 2 + one a hit)
        assert len(counted.statements) == 1
        assert len(found.hits) == 20 and found.capped and found.ranked == 30
        for hit in found.hits:
            n, k = hit.item_id.split("_")[1:] if hit.item_id else ("", "")
            assert hit.thread_title == f"Batch {n}" and hit.seq == int(k)
            expected = None if k == "0" else f"cthi_{n}_{int(k) - 1}"
            assert (hit.after_id, hit.after_seq) == (expected, None if k == "0" else int(k) - 1)


def test_the_tables_first_pages_and_the_whole_index_find_the_same_first_matches(pg_url: str):
    """A search looks for its first matches in the table's first pages, then (too few
    there) in the whole index: either way the first ``ranked`` in storage order."""
    with Mirror.open(pg_url, create=True, origin=Origin("http://127.0.0.1:1")) as mirror:
        for n in range(60):
            mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ANALYZE search")  # the pages a search looks at first: about 5 x 25 rows
        pages = conn.execute("SELECT relpages FROM pg_class WHERE relname = 'search'").fetchone()
        assert pages is not None and pages[0] > 3

        def first(words: str, count: int) -> set[str]:
            rows = conn.execute(
                "SELECT item_id FROM search WHERE words @@ %s::tsquery ORDER BY ctid LIMIT %s",
                (words, count),
            ).fetchall()
            return {str(r[0]) for r in rows}

        with Mirror.open(pg_url, read_only=True) as reader:
            for query, words, ranked in (
                ("refund", "refund", 4),
                ("n57x", "n57x", 4),
                ('"part 2"', "part <-> 2", 16),  # a phrase ranks a quarter: 4
            ):
                found = reader.search_page(query, limit=50, ranked=ranked)
                assert {h.item_id for h in found.hits} == first(words, 4), query
            assert reader.search_page("n57x", ranked=4).capped is False  # 3 items hold it
            late = reader.search_page("n5*", limit=50, ranked=4)  # only threads 5, 50-59
            assert late.capped and {h.item_id for h in late.hits} == first("n5:*", 4)


def test_a_phrase_ranks_a_quarter_as_many_and_says_so(pg_url: str):
    """Each item holding a phrase's words is read to see whether they are next to each
    other: a phrase ranks the first quarter as many matches (a phrase of common words
    read tens of thousands of items to find 1,001), and the result says how many."""
    with Mirror.open(pg_url, create=True, origin=Origin("http://127.0.0.1:1")) as mirror:
        for n in range(20):
            mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
    with Mirror.open(pg_url, read_only=True) as reader:
        found = reader.search_page('"refund n1x"', limit=50, ranked=16)  # 3 items, 4 ranked
        assert not found.capped and found.ranked == 3 and len(found.hits) == 3
        found = reader.search_page('"part 1"', limit=50, ranked=8)  # 20 items: 2 ranked
        assert found.capped and found.ranked == 2 and len(found.hits) == 2
        assert {h.item_id for h in found.hits} == {"cthi_0_1", "cthi_1_1"}  # the first two
        assert found.described() == "best of the first 2 in storage order of more than 2 matches"
        assert reader.count_matches('"part 1"') == 20
        words = reader.search_page("part 1", limit=50, ranked=8)  # not a phrase: 8 ranked
        assert words.capped and words.ranked == 8
        assert reader.search_page('"part"', ranked=8).ranked == 8  # a phrase of one word


def test_a_search_of_a_mirror_of_millions_of_rows_sizes_its_first_pages_without_overflow(
    pg_url: str,
):
    """How many first pages a search reads comes from the table's statistics: for a table
    of 10,000,000 rows (as ANALYZE would leave them) it is still a number, not an error."""
    with Mirror.open(pg_url, create=True, origin=Origin("http://127.0.0.1:1")) as mirror:
        for n in range(3):
            mirror.save_thread(*_thread(n), items_after=f"cthi_{n}_2")
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the cluster's superuser
        conn.execute(
            "UPDATE pg_class SET relpages = 800000, reltuples = 10000000 WHERE relname = 'search'"
        )
    with Mirror.open(pg_url, read_only=True) as reader:
        found = reader.search_page("refund", limit=5)
        assert len(found.hits) == 5 and found.ranked == 9 and not found.capped


@pytest.mark.parametrize(
    "command",
    [
        ["search", "--db"],
        ["insights", "--db"],
        ["mirror", "--db"],
        ["--mirror"],
        ["serve", "--port", "0", "--db"],
    ],
)
def test_a_libpq_keyword_string_is_refused_without_repeating_it(
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """``host=... password=...`` is libpq's other spelling; taken for a file name it came
    back in "no mirror at ..." (and serve's banner), password and all, and mirror and
    serve made a file of that name. It is refused, not repeated, and nothing is made."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-keywords")
    keywords = "host=127.0.0.1 dbname=mirror user=ops password='hunter2 x'"
    argv = [*command, keywords]
    if command[0] == "search":
        argv.append("anything")
    if command[0] == "--mirror":
        argv += ["threads", "list"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "keyword string" in err and "postgresql://USER@HOST" in err
    assert "hunter2" not in err and "Traceback" not in err
    assert list(here.iterdir()) == []  # no file of that name
    # serve reads no profile: its message does not offer a profile's password command
    assert ("mirror_password_command" in err) is (command[0] != "serve")


def test_a_path_with_a_space_and_an_equals_sign_is_still_a_path(tmp_path: Path):
    from chatkit_tui.core.mirror import mirror_target

    path = str(tmp_path / "mirror user=alice.db")
    assert mirror_target(path) == Path(path)


def test_a_keyword_string_is_told_at_once_and_its_escaped_password_redacted_whole():
    """libpq reads a string once, left to right; so does the test (no backtracking over
    the ways ``a= b= c=`` splits: such a string took minutes to be told from a path)."""
    from chatkit_tui.mirrorfile import is_keyword_string, redact

    started = time.perf_counter()
    assert not is_keyword_string("host=" + " a=  " * 40 + "é é")
    assert not is_keyword_string("host= " + "a= " * 60 + " my mirror.db")
    assert time.perf_counter() - started < 0.5
    assert is_keyword_string("sslrootcert=/etc/ca.pem host=db")  # any of libpq's keywords
    assert is_keyword_string("host=db password=a\\ b")
    assert redact("host=db password=a\\ b user=x") == "host=db password=*** user=x"
