"""``chatkit-tui serve``: flags, the default database, clear errors, a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chatkit_tui.cli import main
from chatkit_tui.server.run import default_db_path
from tests.fixtures.server import BETA_HEADERS


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process, base_url, _ = _start_with_banner(*args, env=env)
    return process, base_url


def _start_with_banner(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str, str]:
    """The process, its base URL and its banner line (``ChatKit API on ...``)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chatkit_tui", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"ChatKit API on (http://\S+/v1)", line)
        if match:
            return process, match.group(1), line
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"serve did not start: {process.communicate()}")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err
    return err


def test_serve_runs_with_key_seed_and_file_db(tmp_path: Path):
    db = tmp_path / "served.sqlite3"
    process, base_url = _start("--db", str(db), "--seed", "12", "--api-key", "sk-serve")
    try:
        headers = {**BETA_HEADERS, "Authorization": "Bearer sk-serve"}
        response = httpx.get(f"{base_url}/chatkit/threads", params={"limit": 100}, headers=headers)
        assert response.status_code == 200 and len(response.json()["data"]) == 12
        assert httpx.get(f"{base_url}/chatkit/threads", headers=BETA_HEADERS).status_code == 401
    finally:
        err = _stop(process)
    assert "sk-serve" not in err
    assert db.exists()


def test_serve_takes_the_key_from_the_environment(tmp_path: Path):
    process, base_url = _start(
        "--db", ":memory:", "--seed", "2", env={"CHATKIT_SERVE_API_KEY": "sk-from-env"}
    )
    try:
        url = f"{base_url}/chatkit/threads"
        assert httpx.get(url, headers=BETA_HEADERS).status_code == 401
        headers = {**BETA_HEADERS, "Authorization": "Bearer sk-from-env"}
        assert httpx.get(url, headers=headers).status_code == 200
    finally:
        err = _stop(process)
    assert "sk-from-env" not in err


def _try_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for _ in range(5):
        line = process.stdout.readline()
        if line.startswith("Try:"):
            return line
    raise AssertionError("no 'Try:' line")


def test_serve_suggests_a_command_that_works(tmp_path: Path):
    """The printed ``Try:`` command used to leave out the key, so it failed with "no API key"."""
    process, base_url = _start("--db", ":memory:", "--seed", "2")
    try:
        words = _try_line(process).split()
        assert words[0] == "Try:" and words[-1] == "chatkit-tui"
        env = dict(word.split("=", 1) for word in words[1:-1])
        assert env["OPENAI_BASE_URL"] == base_url
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        done = subprocess.run(
            [sys.executable, "-m", "chatkit_tui", "threads", "list", "--json"],
            env={**clean, **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == 2
    finally:
        _stop(process)


def test_serve_with_a_key_names_it_without_showing_it(tmp_path: Path):
    process, base_url = _start("--db", ":memory:", "--api-key", "sk-hidden")
    try:
        line = _try_line(process)
        # serving (not still starting) before it is stopped
        assert httpx.get(f"{base_url}/chatkit/threads", headers=BETA_HEADERS).status_code == 401
    finally:
        _stop(process)
    assert "OPENAI_API_KEY=<the --api-key value>" in line and "sk-hidden" not in line


def test_serve_defaults_to_the_user_data_directory(tmp_path: Path):
    data = Path(os.environ["XDG_DATA_HOME"])
    process, base_url = _start("--seed", "3", "--latency", "1:1", "--rate-limit", "1000/min")
    try:
        response = httpx.get(f"{base_url}/chatkit/threads", headers=BETA_HEADERS)
        assert response.status_code == 200 and len(response.json()["data"]) == 3
    finally:
        _stop(process)
    assert (data / "chatkit-tui" / "server.sqlite3").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--latency", "soon"], "--latency expects MS or MS:JITTER"),
        (["--error-rate", "2"], "--error-rate expects a fraction"),
        (["--rate-limit", "0/min"], "--rate-limit expects N/min"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
    ],
)
def test_bad_flags_are_clear_errors(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["serve", "--db", ":memory:", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chatkit-tui serve: error: ") and message in err
    assert "Traceback" not in err


def test_unusable_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["serve", "--db", str(tmp_path)]) == 2  # a directory
    assert "cannot open the database" in capsys.readouterr().err


def test_port_in_use_is_a_clear_error_and_makes_or_seeds_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The port is taken before the database is opened: a `serve` that cannot listen
    leaves no new file behind, the default first-run one included, and seeds nothing."""
    named = tmp_path / "named.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--db", ":memory:", "--port", str(port)]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
        assert main(["serve", "--db", str(named), "--seed", "5", "--port", str(port)]) == 2
        assert main(["serve", "--port", str(port)]) == 2  # a first run: the default file
        err = capsys.readouterr().err
    assert err.count(f"cannot listen on 127.0.0.1:{port}") == 2 and "Seeded" not in err
    assert not named.exists()
    assert not default_db_path().exists()


def _count_threads(base_url: str) -> int:
    count, after = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 100, **({"after": after} if after else {})}
        page = httpx.get(f"{base_url}/chatkit/threads", params=params, headers=BETA_HEADERS)
        body = page.json()
        count += len(body["data"])
        if not body["has_more"]:
            return count
        after = body["last_id"]


def test_a_first_serve_seeds_a_new_default_database_as_the_demo_does():
    """``chatkit-tui serve`` with no flags used to start empty: a new user saw no threads.
    A new default database (made by this run) gets the demo's threads and says so; once it
    exists it is never seeded again, nor is it when emptied (the user emptied it)."""
    from chatkit_tui.core.local import DEMO_THREADS

    db = Path(os.environ["XDG_DATA_HOME"]) / "chatkit-tui" / "server.sqlite3"
    assert not db.exists()
    process, base_url, banner = _start_with_banner()
    try:
        assert _count_threads(base_url) == DEMO_THREADS
    finally:
        err = _stop(process)
    assert f"({'database: ' + str(db)}, {DEMO_THREADS} threads)" in banner, banner
    assert f"Seeded {DEMO_THREADS} threads" in err and "a new database" in err, err
    assert db.exists()
    with sqlite3.connect(db) as conn:  # the user deletes every thread
        conn.execute("DELETE FROM threads")
    conn.close()
    process, base_url, banner = _start_with_banner()
    try:
        assert _count_threads(base_url) == 0
    finally:
        err = _stop(process)
    assert "0 threads: pass --seed N for N demo threads" in banner, banner
    assert "Seeded" not in err


def test_a_new_default_database_with_seed_0_or_a_named_one_starts_empty(tmp_path: Path):
    process, base_url, banner = _start_with_banner("--seed", "0")
    try:
        assert _count_threads(base_url) == 0
    finally:
        err = _stop(process)
    assert "0 threads: pass --seed N" in banner and "Seeded" not in err
    named = tmp_path / "mine.sqlite3"
    process, base_url, banner = _start_with_banner("--db", str(named))
    try:
        assert _count_threads(base_url) == 0
    finally:
        err = _stop(process)
    assert "0 threads: pass --seed N" in banner and "Seeded" not in err


def test_the_faults_are_said_in_words():
    process, base_url, _ = _start_with_banner(
        "--db", ":memory:", "--latency", "40:10", "--error-rate", "5%", "--rate-limit", "600/min"
    )
    try:  # serving (not still starting) before it is stopped
        assert httpx.get(f"{base_url}/chatkit/threads", headers=BETA_HEADERS).status_code in {
            200,
            500,
        }
    finally:
        err = _stop(process)
    assert (
        "Faults: adds 40 ms latency to every response (plus up to 10 ms at random),"
        " answers 5% of requests with 500,"
        " answers 429 (with Retry-After) past 600 requests a minute"
    ) in err, err
    assert "Faults(" not in err and "latency_ms" not in err
