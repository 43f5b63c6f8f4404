"""The script CLI on a self-hosted deployment (a real chatkit-python server on loopback),
as an operator would use it: list, show, items, export, an archived delete, a mirror of it
(searched, browsed with --mirror, served with serve --db), a purge by age and status, and
what such a deployment cannot do refused with the reason. Header values never printed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chatkit_tui.cli import main
from tests.fixtures.chatkit_python import (
    ADMIN_TOKEN,
    KITCHEN_SINK_THREAD,
    LONG_THREAD,
    LONG_THREAD_VISIBLE,
    REFUND_THREAD,
    ChatKitPythonSample,
)


def flags(sample: ChatKitPythonSample) -> list[str]:
    return ["--chatkit-url", sample.url, "--header", f"Authorization: Bearer {ADMIN_TOKEN}"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert ADMIN_TOKEN not in out + err
    return code, out, err


def test_list_show_items_export_as_sent(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys, "threads", "list", "--json", "--limit", "100", *flags(chatkit_python)
    )
    assert code == 0
    listed = [json.loads(line) for line in out.splitlines()]
    assert [t["id"] for t in listed] == chatkit_python.store.stored_thread_ids()
    assert all("user" not in t and isinstance(t["created_at"], str) for t in listed)
    code, out, _ = run(capsys, *flags(chatkit_python), "threads", "list")  # flags first
    assert code == 0 and "Charged twice" in out
    code, out, _ = run(capsys, "threads", "show", REFUND_THREAD, *flags(chatkit_python))
    assert code == 0 and "Refund issued" in out
    code, out, _ = run(capsys, "threads", "items", KITCHEN_SINK_THREAD, *flags(chatkit_python))
    assert code == 0 and "Your order #4411 has been delivered. My blender" in out  # quoted first
    code, out, _ = run(capsys, "threads", "items", LONG_THREAD, "--json", *flags(chatkit_python))
    assert code == 0 and len(out.splitlines()) == LONG_THREAD_VISIBLE
    code, out, err = run(
        capsys,
        "threads",
        "export",
        KITCHEN_SINK_THREAD,
        "--dir",
        str(tmp_path),
        *flags(chatkit_python),
    )
    assert code == 0, err
    exported = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert exported["thread"]["id"] == KITCHEN_SINK_THREAD
    kinds = {item["type"] for item in exported["items"]}
    assert "widget" in kinds and "hidden_context_item" not in kinds


def test_an_archived_delete_and_refusals_with_reasons(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "threads", "delete", LONG_THREAD, "--yes", "--archive-dir", str(tmp_path),
        *flags(chatkit_python),
    )  # fmt: skip
    assert code == 0, err
    archive = json.loads(next(tmp_path.rglob("*.json")).read_text())
    assert len(archive["items"]) == LONG_THREAD_VISIBLE
    # the archive names the deployment it came from (never a header value)
    assert archive["deployment"] == {"kind": "chatkit-python", "where": chatkit_python.url}
    assert LONG_THREAD not in chatkit_python.store.stored_thread_ids()
    for argv, why in [
        (["threads", "list", "--user", "alice"], "cannot filter threads by user"),
        (["sessions", "cancel", "cksess_1", "--yes"], "has no ChatKit sessions"),
        (["threads", "purge", "--user", "alice", "--dry-run"], "cannot purge by user"),
        (["mirror", "--user", "alice", "--db", str(tmp_path / "m.sqlite3")], "one user's"),
    ]:
        before = sum(chatkit_python.requests.values())
        code, _, err = run(capsys, *argv, *flags(chatkit_python))
        assert code == 2 and why in err, (argv, err)
        assert sum(chatkit_python.requests.values()) == before, argv  # nothing was sent


def test_purge_by_age_and_status(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    listed = httpx.post(
        chatkit_python.url,
        json={"type": "threads.list", "params": {"limit": 100}},
        headers=chatkit_python.admin_headers,
    ).json()["data"]
    wanted = {
        t["id"]
        for t in listed
        if t["status"]["type"] == "closed" and t["created_at"] < "2026-11-01"
    }
    assert wanted and len(wanted) < len(listed)
    report = tmp_path / "report.jsonl"
    code, _, err = run(
        capsys, "threads", "purge", "--before", "2026-11-01", "--status", "closed", "--yes",
        "--report", str(report), "--archive-dir", str(tmp_path / "archive"),
        *flags(chatkit_python),
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    deleted = [r["id"] for r in lines if r.get("record") == "thread" and r["outcome"] == "deleted"]
    assert deleted, lines
    remaining = set(chatkit_python.store.stored_thread_ids())
    assert not set(deleted) & remaining
    assert lines[0]["endpoint"] == chatkit_python.url
    assert set(deleted) == wanted  # every closed thread before the date, and no other


def test_mirror_search_browse_and_serve_it(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "ck.sqlite3"
    code, out, err = run(capsys, "mirror", "--db", str(db), *flags(chatkit_python))
    assert code == 0, err
    assert "mirrored 30 threads" in out
    code, out, _ = run(capsys, "search", "charged", "twice", "--db", str(db), "--json")
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {h["thread_id"] for h in hits} == {REFUND_THREAD}
    code, out, err = run(capsys, "--mirror", str(db), "threads", "list", "--json")
    assert code == 0 and len(out.splitlines()) == 30
    assert "chatkit-python deployment" in err  # what the mirror copies
    # its threads name no user: the copy cannot filter by one either (not an empty list)
    code, out, err = run(capsys, "--mirror", str(db), "threads", "list", "--user", "alice")
    assert code == 2 and "cannot filter threads by user" in err and not out
    # incremental: nothing new, nothing written
    code, out, _ = run(capsys, "mirror", "--db", str(db), *flags(chatkit_python))
    assert code == 0 and "unchanged 30" in out
    served = subprocess.Popen(
        [sys.executable, "-m", "chatkit_tui", "serve", "--db", str(db), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        banner = served.stdout.readline()
        base = banner.split()[3]
        deadline = time.monotonic() + 10
        while True:
            try:
                page = httpx.get(
                    f"{base}/chatkit/threads", params={"limit": 100},
                    headers={"Authorization": "Bearer x", "OpenAI-Beta": "chatkit_beta=v1"},
                ).json()  # fmt: skip
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert len(page["data"]) == 30
    finally:
        served.terminate()
        served.wait(10)


@pytest.mark.parametrize(
    "argv",
    [
        ("--header", "{auth}", "threads", "list", "--header", "X-Extra: 1"),
        ("--header={auth}", "threads", "--header", "X-Extra: 1", "list"),
        ("threads", "--header", "{auth}", "list", "--header=X-Extra: 1"),
    ],
    ids=["before-and-after", "before-and-between", "between-and-after"],
)
def test_headers_before_and_after_the_command_are_all_sent(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    """argparse keeps only the command's own repeats of a flag: the admin's Authorization
    given on one side and another header on the other must both be sent (a lost one is
    a 401 here, exit 4)."""
    auth = f"Authorization: Bearer {ADMIN_TOKEN}"
    words = [w.replace("{auth}", auth) for w in argv]
    code, out, err = run(capsys, *words, "--chatkit-url", chatkit_python.url, "--json")
    assert code == 0, err
    assert {json.loads(line)["id"] for line in out.splitlines()}


def test_a_rejected_header_says_to_check_the_headers_not_an_openai_key(
    chatkit_python: ChatKitPythonSample, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 401 from the operator's own auth: the advice is about the headers sent, never
    "set OPENAI_API_KEY" (which this mode does not use); the bad token is never shown."""
    token = "Bearer not-a-token-5e1f"
    code, out, err = run(
        capsys, "threads", "list", "--chatkit-url", chatkit_python.url,
        "--header", f"Authorization: {token}",
    )  # fmt: skip
    assert code == 4 and not out
    assert "401" in err and "--header" in err and "no OpenAI key is used" in err
    assert "OPENAI_API_KEY" not in err and "not-a-token-5e1f" not in err
