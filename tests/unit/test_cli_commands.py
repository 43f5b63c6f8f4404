"""Every script command against the local server over real HTTP, in-process via main([...]).

Expected data is read from the server with plain httpx (not through our client), so a
bug in the client or the CLI cannot hide itself.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import errors
from chatkit_tui.config import default_config_path
from chatkit_tui.scripting.common import describe_error
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.mirror_file import fill_mirror
from tests.fixtures.scripted import Reply, ScriptedServer
from tests.fixtures.server import deleted_by_someone_else

HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "chatkit_beta=v1"}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def api(server: BackgroundServer, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, server.base_url + path, headers=HEADERS, timeout=10, **kw)


def all_threads(server: BackgroundServer, **params: str) -> list[dict[str, Any]]:
    """Every thread, following cursors, straight from the server."""
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {"limit": "100", **params, **({"after": after} if after else {})}
        page = api(server, "GET", "/chatkit/threads", params=query).json()
        out.extend(page["data"])
        if not page["has_more"] or not page["last_id"]:
            return out
        after = page["last_id"]


def all_items(server: BackgroundServer, thread_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {"limit": "100", "order": "asc", **({"after": after} if after else {})}
        page = api(server, "GET", f"/chatkit/threads/{thread_id}/items", params=query).json()
        out.extend(page["data"])
        if not page["has_more"] or not page["last_id"]:
            return out
        after = page["last_id"]


def run(server: BackgroundServer, *argv: str) -> int:
    return main(["--base-url", server.base_url, *argv])


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


class FakeTerminal(io.StringIO):
    """A stdin that says it is a terminal and holds the user's answer."""

    def isatty(self) -> bool:
        return True


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- threads list ---------------------------------------------------------------------------


def test_threads_list_json_streams_every_page(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = all_threads(local_server)
    assert len(expected) > 1
    assert run(local_server, "threads", "list", "--json") == 0
    printed = json_lines(capsys.readouterr().out)
    assert [t["id"] for t in printed] == [t["id"] for t in expected]
    assert printed[0]["user"] == expected[0]["user"]


def test_threads_list_limit_crosses_pages(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = all_threads(local_server, order="asc")
    limit = min(len(expected), 3)
    assert (
        run(local_server, "threads", "list", "--json", "--order", "asc", "--limit", str(limit)) == 0
    )
    assert [t["id"] for t in json_lines(capsys.readouterr().out)] == [
        t["id"] for t in expected[:limit]
    ]


def test_threads_list_user_filter(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    user = all_threads(local_server)[0]["user"]
    expected = all_threads(local_server, user=user)
    assert run(local_server, "threads", "list", "--user", user, "--json") == 0
    printed = json_lines(capsys.readouterr().out)
    assert [t["id"] for t in printed] == [t["id"] for t in expected]
    assert {t["user"] for t in printed} == {user}


def test_threads_list_table(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = all_threads(local_server)
    assert run(local_server, "threads", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "CREATED", "USER", "STATUS", "TITLE"]
    assert len(lines) == len(expected) + 1
    # columns are aligned: every row's created time starts where the header's does
    column = lines[0].index("CREATED")
    for line, thread in zip(lines[1:], expected, strict=True):
        assert line.startswith(thread["id"])
        assert line[column : column + 4].isdigit()


# --- threads show / items -------------------------------------------------------------------------


def test_threads_show(local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]) -> None:
    thread = all_threads(local_server)[0]
    assert run(local_server, "threads", "show", thread["id"], "--json") == 0
    assert (
        json.loads(capsys.readouterr().out)
        == api(local_server, "GET", f"/chatkit/threads/{thread['id']}").json()
    )
    assert run(local_server, "threads", "show", thread["id"]) == 0
    text = capsys.readouterr().out
    assert f"id:      {thread['id']}" in text
    assert f"user:    {thread['user']}" in text


def test_threads_items_all_pages_in_reading_order(
    seeded_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # the seed's sixth-newest thread has 1,100 items: eleven pages of 100
    thread_id = all_threads(seeded_server)[5]["id"]
    expected = all_items(seeded_server, thread_id)
    assert len(expected) > 1000
    assert run(seeded_server, "threads", "items", thread_id, "--json") == 0
    printed = json_lines(capsys.readouterr().out)
    assert [i["id"] for i in printed] == [i["id"] for i in expected]
    assert [i["type"] for i in printed] == [i["type"] for i in expected]
    assert run(seeded_server, "threads", "items", thread_id) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "CREATED", "TYPE", "CONTENT"]
    assert len(lines) == len(expected) + 1


def test_items_of_every_type_print_safely(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # the newest seeded thread shows every item type, unknown ones and escape-laden text
    thread_id = all_threads(local_server)[0]["id"]
    expected = all_items(local_server, thread_id)
    assert run(local_server, "threads", "items", thread_id) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == len(expected) + 1
    assert not any(ch in out for ch in "\x1b\x07\x9b\r")
    types = {i["type"] for i in expected}
    for kind in ("user_message", "assistant_message", "widget", "client_tool_call"):
        assert f"chatkit.{kind}" in types and f"  {kind}  " in out
    assert run(local_server, "threads", "items", thread_id, "--json") == 0
    assert json_lines(capsys.readouterr().out) == expected


def test_table_output_escapes_terminal_controls(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    threads = all_threads(local_server)
    hostile = [t for t in threads if "\x1b" in (t["title"] or "") + t["user"]]
    assert hostile, "the seed has titles with terminal escapes"
    assert run(local_server, "threads", "list") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\\x1b" in out
    assert run(local_server, "threads", "show", hostile[0]["id"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_not_found_exits_3_with_request_id(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(local_server, "threads", "show", "cthr_missing") == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("chatkit-tui: error: ")
    assert "404" in captured.err
    assert "req" in captured.err.lower()


# --- threads delete ---------------------------------------------------------------------------


def test_delete_with_yes_archives_then_deletes(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    thread = all_threads(local_server)[0]
    items = all_items(local_server, thread["id"])
    archive_dir = tmp_path / "archive"
    code = run(
        local_server, "threads", "delete", thread["id"], "--yes", "--archive-dir", str(archive_dir)
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"deleted {thread['id']} (archived to {archive_dir}")
    archived = Path(out.split("archived to ", 1)[1].rstrip(")\n"))
    saved = json.loads(archived.read_text())
    assert saved["thread"]["id"] == thread["id"]
    assert [i["id"] for i in saved["items"]] == [i["id"] for i in items]
    assert api(local_server, "GET", f"/chatkit/threads/{thread['id']}").status_code == 404


def test_delete_asks_and_declines(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [t["id"] for t in all_threads(local_server)[:2]]
    monkeypatch.setattr(sys, "stdin", FakeTerminal("n\n"))
    assert run(local_server, "threads", "delete", *ids) == 7
    err = capsys.readouterr().err
    assert f"Delete 2 threads from {local_server.base_url}? [y/N] " in err
    assert "nothing deleted" in err
    for thread_id in ids:
        assert api(local_server, "GET", f"/chatkit/threads/{thread_id}").status_code == 200


def test_delete_prompt_names_the_default_profile_and_its_deployment(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A default_profile acts without being typed: the question says which one, where."""
    config = default_config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        'default_profile = "prod"\n[profiles.prod]\n'
        f'base_url = "{local_server.base_url}"\napi_key_env = "PROD_KEY"\n'
        'project = "proj_live"\n'
    )
    monkeypatch.setenv("PROD_KEY", "sk-prod")
    thread_id = all_threads(local_server)[0]["id"]
    monkeypatch.setattr(sys, "stdin", FakeTerminal("n\n"))
    assert main(["threads", "delete", thread_id]) == 7
    err = capsys.readouterr().err
    assert (
        f"Delete 1 thread from {local_server.base_url} (proj_live), profile 'prod'? [y/N] "
    ) in err
    assert api(local_server, "GET", f"/chatkit/threads/{thread_id}").status_code == 200


def test_a_mirror_path_of_another_deployment_than_the_profile_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--profile prod --mirror PATH`` reads PATH whatever prod is: when PATH copies
    another deployment, the line that says what is read names both."""
    path = tmp_path / "staging.db"
    fill_mirror(path, 3, origin="http://staging.invalid/v1")
    config = default_config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[profiles.prod]\nbase_url = "http://prod.invalid/v1"\napi_key_env = "PROD_KEY"\n'
        'organization = "org_live"\n[profiles.staging]\n'
        'base_url = "http://staging.invalid/v1/"\napi_key_env = "PROD_KEY"\n'
    )
    monkeypatch.setenv("PROD_KEY", "sk-prod")
    assert main(["--profile", "prod", "--mirror", str(path), "threads", "list", "--json"]) == 0
    err = capsys.readouterr().err
    assert (
        "reading the mirror NOT of profile 'prod': of http://staging.invalid/v1, not of "
        "http://prod.invalid/v1 (organization org_live) · "
    ) in err
    # search and insights over the same file say so too
    for argv in (["insights", "--db", str(path)], ["search", "--db", str(path), "hello"]):
        main(["--profile", "prod", *argv])
        assert f"note: {path} is a mirror NOT of profile 'prod': of " in capsys.readouterr().err
    # the profile of the mirror's own deployment (a trailing slash aside), or none: no word
    for argv in (["--profile", "staging"], []):
        assert main([*argv, "--mirror", str(path), "threads", "list", "--json"]) == 0
        err = capsys.readouterr().err
        assert "reading the mirror of http://staging.invalid/v1" in err and "NOT" not in err


def test_a_default_mirror_of_another_organization_says_so_wherever_it_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default mirror is named by endpoint and project, not organization: one made for
    org_a is what a run for the same endpoint without it reads. Every reader says so."""
    from chatkit_tui.core.mirror import Mirror, Origin, default_mirror_path

    base = "http://shared.invalid/v1"
    path = default_mirror_path(base, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    Mirror.open(path, create=True, origin=Origin(base, "org_a")).close()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-orgs")
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    said = (
        f"NOT of the deployment named: of {base} (organization org_a),"
        f" not of {base} (no organization)"
    )
    for argv in (["threads", "list", "--mirror"], ["insights"], ["search", "hello"]):
        main(argv)
        err = capsys.readouterr().err
        assert said in err, (argv, err)
    monkeypatch.setenv("OPENAI_ORG_ID", "org_a")  # its own organization: no word
    for argv in (["threads", "list", "--mirror"], ["insights"], ["search", "hello"]):
        main(argv)
        assert "NOT of" not in capsys.readouterr().err, argv


def test_two_origins_that_differ_only_in_organization_read_apart() -> None:
    """It read "a mirror of URL, not of URL (organization org_b)": the side with none says
    so, and only beside the same endpoint (elsewhere the URLs tell them apart)."""
    from chatkit_tui.core.mirror import Origin

    a, b = Origin("http://x/v1"), Origin("http://x/v1", "org_b", "proj_1")
    assert a.against(b) == "http://x/v1 (no organization, no project)"
    assert b.against(a) == "http://x/v1 (organization org_b, project proj_1)"
    assert a.against(Origin("http://y/v1", "org_b")) == str(a) == "http://x/v1"


def test_mirroring_into_another_deployments_mirror_is_refused_and_says_what_to_do(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A writer never mixes two deployments in one mirror: refused before a request, the
    file as it was (one of an older layout too: refused before its upgrade, which wrote
    it first), and the message names the way out (a mirror of its own, --db)."""
    from tests.fixtures.mirror_file import as_version_2, fill_mirror

    path = tmp_path / "other.sqlite3"
    fill_mirror(path, 3, origin="http://other.invalid/v1")
    as_version_2(path)
    before = path.read_bytes()
    code = run(local_server, "mirror", "--db", str(path))
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"is a mirror of http://other.invalid/v1, not of {local_server.base_url}" in err
    assert "give this one its own with --db PATH" in err
    assert path.read_bytes() == before


def test_delete_asks_and_confirms(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thread_id = all_threads(local_server)[0]["id"]
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    assert run(local_server, "threads", "delete", thread_id, "--json") == 0
    captured = capsys.readouterr()
    assert f"Delete 1 thread from {local_server.base_url}? [y/N] " in captured.err
    line = json.loads(captured.out)
    assert line["id"] == thread_id and line["deleted"] is True
    assert Path(line["archive"]).is_file()
    assert str(line["archive"]).startswith(os.environ["XDG_DATA_HOME"])
    assert api(local_server, "GET", f"/chatkit/threads/{thread_id}").status_code == 404


def test_delete_without_terminal_or_yes_refuses(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thread_id = all_threads(local_server)[0]["id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert run(local_server, "threads", "delete", thread_id) == 2
    assert "stdin is not a terminal; pass --yes" in capsys.readouterr().err
    assert api(local_server, "GET", f"/chatkit/threads/{thread_id}").status_code == 200


def test_delete_reports_a_missing_thread_as_already_gone(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 404 is "already gone", as in the app: the thread is not there, which was asked."""
    thread_id = all_threads(local_server)[0]["id"]
    assert run(local_server, "threads", "delete", "--yes", "cthr_gone", thread_id) == 0
    captured = capsys.readouterr()
    assert "already gone cthr_gone (nothing to archive)" in captured.out
    assert f"deleted {thread_id}" in captured.out
    assert captured.err == ""
    assert run(local_server, "threads", "delete", "--yes", "--json", thread_id) == 0
    line = json.loads(capsys.readouterr().out)
    assert line == {"id": thread_id, "outcome": "already gone", "deleted": True, "archive": None}


def test_a_404_to_the_delete_itself_is_already_gone_with_its_archive(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Read and archived, then deleted by someone else before our DELETE: the 404 is
    "already gone" (exit 0), and the archive written first is named."""
    first, second = (t["id"] for t in all_threads(local_server)[:2])
    deleted_by_someone_else(local_server, {first, second})
    archive = tmp_path / "archive"
    assert (
        run(local_server, "threads", "delete", "--yes", "--archive-dir", str(archive), first) == 0
    )
    captured = capsys.readouterr()
    [path] = archive.iterdir()
    assert captured.out == f"already gone {first} (archived to {path})\n" and captured.err == ""
    assert json.loads(path.read_text())["thread"]["id"] == first
    argv = ["threads", "delete", "--yes", "--json", "--archive-dir", str(archive), second]
    assert run(local_server, *argv) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["outcome"] == "already gone" and line["deleted"] is True
    assert line["archive"] is not None and Path(line["archive"]).parent == archive
    assert json.loads(Path(line["archive"]).read_text())["thread"]["id"] == second
    assert api(local_server, "GET", f"/chatkit/threads/{second}").status_code == 404


# --- threads export ------------------------------------------------------------------------------


def test_threads_export(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    thread = all_threads(local_server)[0]
    assert run(local_server, "threads", "export", thread["id"], "--dir", str(tmp_path)) == 0
    json_path, md_path = (Path(p) for p in capsys.readouterr().out.splitlines())
    assert json_path.parent == tmp_path and md_path.suffix == ".md"
    saved = json.loads(json_path.read_text())
    assert saved["thread"]["id"] == thread["id"]
    assert len(saved["items"]) == len(all_items(local_server, thread["id"]))
    assert md_path.read_text().startswith("# ")


def test_threads_export_to_an_unusable_directory_is_an_error_not_a_traceback(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    thread = all_threads(local_server)[0]
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    code = run(local_server, "threads", "export", thread["id"], "--dir", str(a_file))
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.startswith("chatkit-tui: error: could not write the export to ")
    assert str(a_file) in captured.err
    assert a_file.read_text() == "x"


def test_threads_export_never_overwrites_without_force_and_makes_a_missing_dir(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    thread = all_threads(local_server)[0]
    where = tmp_path / "new" / "folder"  # missing: made
    assert run(local_server, "threads", "export", thread["id"], "--dir", str(where)) == 0
    json_path, md_path = (Path(p) for p in capsys.readouterr().out.splitlines())
    json_path.write_text("my notes")  # an earlier export the user edited
    code = run(local_server, "threads", "export", thread["id"], "--dir", str(where))
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert f"{json_path} exists" in captured.err and "--force" in captured.err
    assert json_path.read_text() == "my notes"
    assert run(local_server, "threads", "export", thread["id"], "--dir", str(where), "--force") == 0
    assert json.loads(json_path.read_text())["thread"]["id"] == thread["id"]
    assert md_path.exists()


def test_a_bad_base_url_in_the_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "notaurl")
    assert main(["threads", "list"]) == 2
    assert "$OPENAI_BASE_URL must start with http:// or https://" in capsys.readouterr().err


# --- sessions ------------------------------------------------------------------------------------


def test_sessions_create_and_cancel(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "sessions", "create", "--user", "alice", "--workflow", "wf_demo", "--version", "2",
        "--state", "plan=pro", "--state", "seats=5", "--state", "beta=true",
        "--no-tracing", "--expires-after", "120", "--rpm", "30", "--json",
    ]  # fmt: skip
    assert run(local_server, *argv) == 0
    session = json.loads(capsys.readouterr().out)
    assert session["user"] == "alice"
    assert session["workflow"]["id"] == "wf_demo"
    assert session["workflow"]["version"] == "2"
    assert session["workflow"]["state_variables"] == {"plan": "pro", "seats": 5, "beta": True}
    assert session["workflow"]["tracing"] == {"enabled": False}
    assert session["rate_limits"]["max_requests_per_1_minute"] == 30
    assert session["status"] == "active"
    assert session["client_secret"]

    assert run(local_server, "sessions", "cancel", session["id"], "--yes") == 0
    assert capsys.readouterr().out == f"{session['id']}: cancelled\n"


def test_sessions_create_masks_the_secret(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(local_server, "sessions", "create", "--user", "bob", "--workflow", "wf_1") == 0
    text = capsys.readouterr().out
    lines = dict(line.split(":", 1) for line in text.splitlines())
    assert lines["user"].strip() == "bob"
    assert "--show-secret" in lines["secret"]
    assert (
        run(
            local_server,
            "sessions",
            "create",
            "--user",
            "bob",
            "--workflow",
            "wf_1",
            "--show-secret",
        )
        == 0
    )
    secret_line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("secret:"))
    assert "--show-secret" not in secret_line


def test_sessions_create_invalid_fields_send_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # the base URL points at a closed port: a request would be exit 5, validation is exit 2
    base = f"http://127.0.0.1:{closed_port()}/v1"
    argv = ["--base-url", base, "sessions", "create", "--user", "u", "--workflow", "w"]
    assert main([*argv, "--expires-after", "900", "--rpm", "0", "--state", "x"]) == 2
    err = capsys.readouterr().err
    assert "--expires-after must be between 1 and 600, got 900" in err
    assert "--rpm must be at least 1, got 0" in err
    assert "--state value 1: expected key=value, got 'x'" in err


def _session(server: BackgroundServer, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(server, "sessions", "create", "--user", "u", "--workflow", "wf_1", "--json") == 0
    session_id: str = json.loads(capsys.readouterr().out)["id"]
    return session_id


def _status(server: BackgroundServer, session_id: str) -> str:
    session = server.store.get_session(session_id)
    assert session is not None
    return session.status


def test_sessions_cancel_asks_and_declines(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the app asks before it cancels (the client secret stops working at once)."""
    session_id = _session(local_server, capsys)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("n\n"))
    assert run(local_server, "sessions", "cancel", session_id) == 7
    captured = capsys.readouterr()
    assert (
        f"Cancel session {session_id} on {local_server.base_url}? "
        "Its client secret stops working. [y/N] "
    ) in captured.err
    assert "nothing cancelled" in captured.err and captured.out == ""
    assert _status(local_server, session_id) == "active"


def test_sessions_cancel_asks_and_confirms(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = _session(local_server, capsys)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    assert run(local_server, "sessions", "cancel", session_id) == 0
    assert capsys.readouterr().out == f"{session_id}: cancelled\n"
    assert _status(local_server, session_id) == "cancelled"


def test_sessions_cancel_without_terminal_or_yes_refuses(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = _session(local_server, capsys)
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert run(local_server, "sessions", "cancel", session_id) == 2
    assert capsys.readouterr().err == (
        "chatkit-tui: error: refusing to cancel a session without confirmation: stdin is not "
        "a terminal; pass --yes to cancel a session from a script\n"
    )
    assert _status(local_server, session_id) == "active"


def test_sessions_cancel_unknown_exits_3(
    local_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(local_server, "sessions", "cancel", "cksess_missing", "--yes") == 3
    assert "404" in capsys.readouterr().err


# --- failures -------------------------------------------------------------------------------------


def test_network_error_exits_5(capsys: pytest.CaptureFixture[str]) -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    assert main(["--base-url", base, "threads", "list"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("chatkit-tui: error: ")
    assert "sk-test" not in err


def test_wrong_key_exits_4_without_showing_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123")
    with BackgroundServer(seed=2, api_key="sk-right") as server:
        assert main(["--base-url", server.base_url, "threads", "list"]) == 4
    err = capsys.readouterr().err
    assert "401" in err
    assert "OPENAI_API_KEY" in err
    assert "sk-wrong-key-123" not in err


def test_a_wrong_key_from_a_profile_names_where_it_came_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 401 said "set OPENAI_API_KEY ..." whatever sent the key: with a profile's key it
    names that key's source (the variable and the profile), never the key."""
    monkeypatch.setenv("WRONG_KEY", "sk-wrong-from-env-9")
    with BackgroundServer(seed=2, api_key="sk-right") as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[profiles.wrong]\nbase_url = "{server.base_url}"\napi_key_env = "WRONG_KEY"\n'
        )
        monkeypatch.setenv("CHATKIT_TUI_CONFIG", str(config))
        assert main(["--profile", "wrong", "threads", "list"]) == 4
    err = capsys.readouterr().err
    assert "the server refused the key from $WRONG_KEY (profile 'wrong')" in err, err
    assert "sk-wrong-from-env-9" not in err


def test_no_key_anywhere_exits_4(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["threads", "list"]) == 4
    assert "no API key" in capsys.readouterr().err


def test_profile_from_config_file(
    local_server: BackgroundServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("LOCAL_KEY", "sk-from-profile")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.local]\nbase_url = "{local_server.base_url}"\napi_key_env = "LOCAL_KEY"\n'
    )
    assert main(["--config", str(config), "--profile", "local", "threads", "list", "--json"]) == 0
    assert len(json_lines(capsys.readouterr().out)) == len(all_threads(local_server))


# --- a real process ------------------------------------------------------------------------------


def test_subprocess_threads_list_json(local_server: BackgroundServer) -> None:
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": local_server.base_url,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "threads", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == [
        t["id"] for t in all_threads(local_server)
    ]
    assert done.stderr == ""


def test_subprocess_broken_pipe_is_quiet(make_server: Any) -> None:
    # 2,000 threads are far more than a pipe buffer holds, so closing the reader early
    # makes the writer hit EPIPE mid-stream, as with `| head -1`
    server: BackgroundServer = make_server(seed=2000)
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    cmd = [sys.executable, "-m", "chatkit_tui", "--base-url", server.base_url]
    proc = subprocess.Popen(
        [*cmd, "threads", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert json.loads(first)["id"]
    assert stderr == ""


def test_server_error_exits_1_with_status(
    make_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    server: BackgroundServer = make_server(seed=3, faults=Faults(error_rate=1.0))
    assert main(["--base-url", server.base_url, "threads", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chatkit-tui: error: 500")
    assert err.count("\n") == 1


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """Python's own http.server on loopback, serving an empty directory: every path is its
    HTML 404 page (what a base URL pointing at a web server gets)."""
    handler = functools.partial(_QuietFiles, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_an_html_error_page_is_summed_up_not_printed_whole(
    web_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--base-url", web_server, "threads", "show", "cthr_x"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "chatkit-tui: error: 404 Not found: an HTML page (not the API's JSON) titled "
        '"Error response": "Error code: 404 Message: File not found. Error code explanation: '
        '404 - Nothing matches the given UR…"\n'
    )


def test_an_html_error_page_s_text_is_escaped(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Bad \x1b[31mgateway</title><script>x()</script>"
        "</head><body><p>The upstream &lt;api&gt; \u202e is down</p></body></html>"
    )
    scripted_server.add(Reply(404, page, headers={"Content-Type": "text/html"}))
    code = main(["--base-url", scripted_server.base_url, "threads", "list"])
    err = capsys.readouterr().err
    assert code == 3
    assert err == (
        "chatkit-tui: error: 404 Not found: an HTML page (not the API's JSON) titled "
        '"Bad \\x1b[31mgateway": "The upstream <api> \\u202e is down"\n'
    )


def test_ctrl_c_exits_130() -> None:
    """Ctrl-C while the command waits on a slow server: one line, exit code 130.

    The server is a loopback socket that reads the request and never answers, so the
    signal is sent once the request has arrived (a fixed 1 s sleep could send it, on a
    loaded machine, while the command was still importing: a traceback, exit -2).
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(30)
        port = listener.getsockname()[1]
        env = {
            **os.environ,
            "OPENAI_API_KEY": "sk-test",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "NO_PROXY": "127.0.0.1",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chatkit_tui",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "threads",
                "list",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            # as from a terminal: a test run started in the background (`pytest &` in a
            # script) ignores SIGINT, and its children would inherit that
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(30)
                request = b""
                while b"\r\n\r\n" not in request:  # the whole request is in: it waits now
                    chunk = connection.recv(65536)
                    assert chunk, "the client closed the connection"
                    request += chunk
                assert request.startswith(b"GET /v1/chatkit/threads")
                proc.send_signal(signal.SIGINT)
                _, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130
    assert stderr.decode() == "chatkit-tui: interrupted\n"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFoundError("gone", status_code=404, request_id="req_1"), 3),
        (errors.AuthenticationError("bad key", status_code=401), 4),
        (errors.PermissionDeniedError("no", status_code=403), 4),
        (errors.RateLimitError("slow down", status_code=429), 6),
        (errors.InternalServerError("boom", status_code=500), 1),
        (errors.ConflictError("conflict", status_code=409), 1),
        (errors.APIConnectionError(), 5),
        (errors.APITimeoutError(), 5),
        (errors.APIResponseValidationError("bad body", status_code=200, request_id="r"), 1),
    ],
)
def test_every_error_class_has_its_exit_code(error: Exception, code: int) -> None:
    assert describe_error(error)[1] == code


def test_error_message_keeps_the_request_id_and_escapes_controls() -> None:
    error = errors.APIResponseValidationError("bad\x1b[2J body", status_code=200, request_id="r9")
    message, _ = describe_error(error)
    assert message == "bad\\x1b[2J body (request id r9)"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize(("answer", "code"), [(b"y\n", 0), (b"\n", 7)])
def test_subprocess_prompt_on_a_real_terminal(
    local_server: BackgroundServer, answer: bytes, code: int
) -> None:
    import pty

    thread_id = all_threads(local_server)[0]["id"]
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    cmd = [sys.executable, "-m", "chatkit_tui", "--base-url", local_server.base_url]
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*cmd, "threads", "delete", thread_id],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.write(master, answer)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == code, err
    assert err.decode().startswith(f"Delete 1 thread from {local_server.base_url}? [y/N] ")
    status = api(local_server, "GET", f"/chatkit/threads/{thread_id}").status_code
    if code == 0:
        assert out.decode().startswith(f"deleted {thread_id} (archived to ")
        assert status == 404
    else:
        assert out == b""
        assert status == 200
