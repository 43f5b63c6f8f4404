"""Nothing lost: against a deployment that sends what the spec does not say (fields no
schema names at every level, unknown statuses, parts and annotations, both spellings,
chatkit-python's shapes, threads that do not decode), the archive, the export and the
CLI's --json write exactly what was sent, compared as JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client import models as m
from chatkit_tui.core.archive import archive_thread
from chatkit_tui.core.delete import Outcome, archive_then_delete
from chatkit_tui.core.export import ExportPaths, export_thread_by_id
from tests.fixtures.odd import RICH, THREADS, UNREADABLE, rich_items, serve_odd_deployment
from tests.fixtures.scripted import Reply, ScriptedServer


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def client(server: ScriptedServer) -> AsyncChatKit:
    return AsyncChatKit(api_key="sk-test", base_url=server.base_url, max_retries=0)


async def test_one_odd_thread_hides_none_of_the_others(scripted_server: ScriptedServer) -> None:
    serve_odd_deployment(scripted_server)
    async with client(scripted_server) as c:
        threads = [t async for t in c.threads.list(limit=3)]  # two pages
    assert len(threads) == len(THREADS)
    assert [t.id for t in threads] == [t.get("id") for t in THREADS]
    kinds = [type(t).__name__ for t in threads]
    assert kinds == ["Thread", "Thread", "UnreadableThread", "UnreadableThread", "Thread"]
    assert threads[1].status.type == "archived" and threads[1].status.reason == "older than a year"
    assert [json.loads(t.raw) for t in threads] == THREADS


async def test_the_archive_equals_what_was_sent(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    serve_odd_deployment(scripted_server)
    async with client(scripted_server) as c:
        path = await archive_thread(c, RICH, directory=tmp_path)
        unreadable = await archive_thread(c, UNREADABLE, directory=tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["thread"] == THREADS[0]
    assert document["items"] == rich_items()  # every page of items, every unnamed field
    assert json.loads(unreadable.read_text(encoding="utf-8"))["thread"] == THREADS[2]


async def test_every_odd_item_decodes_to_something_that_keeps_it(
    scripted_server: ScriptedServer,
) -> None:
    serve_odd_deployment(scripted_server)
    async with client(scripted_server) as c:
        items = [i async for i in c.threads.list_items(RICH, limit=4)]
    kinds = [type(i).__name__ for i in items]
    assert kinds == [
        "UserMessageItem",
        "AssistantMessageItem",
        "WidgetItem",
        "ClientToolCallItem",
        "WorkflowItem",
        "GeneratedImageItem",
        "StructuredInputItem",
        "HiddenContextItem",
        "SDKHiddenContextItem",
        "EndOfTurnItem",
        "UnknownItem",
    ]
    user, answer = items[0], items[1]
    assert isinstance(user, m.UserMessageItem) and isinstance(answer, m.AssistantMessageItem)
    assert [type(p).__name__ for p in user.content] == ["InputText", "UnknownPart", "InputTag"]
    assert [type(a).__name__ for a in user.attachments] == ["Attachment", "UnknownAttachment"]
    assert [type(p).__name__ for p in answer.content] == ["OutputText", "UnknownPart"]
    first = answer.content[0]
    assert isinstance(first, m.OutputText)
    assert [type(a).__name__ for a in first.annotations] == [
        "UrlAnnotation",
        "SourceAnnotation",
        "SourceAnnotation",
        "UnknownAnnotation",
    ]


def test_the_export_and_the_clis_json_equal_what_was_sent(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_odd_deployment(scripted_server)

    async def export() -> ExportPaths:
        async with client(scripted_server) as c:
            return await export_thread_by_id(c, RICH, tmp_path)

    paths = asyncio.run(export())
    exported = json.loads(paths.json.read_text(encoding="utf-8"))
    assert exported == {"thread": THREADS[0], "items": rich_items()}
    markdown = paths.markdown.read_text(encoding="utf-8")
    for label in ("Workflow", "Generated image", "Structured input", "Hidden context"):
        assert label in markdown
    assert "\u202e" not in markdown
    base = ["--base-url", scripted_server.base_url]
    assert main([*base, "threads", "items", RICH, "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == rich_items()
    assert main([*base, "threads", "list", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == THREADS
    assert main([*base, "threads", "items", RICH]) == 0  # the table has a row for each
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 1 + len(rich_items())


async def test_an_unreadable_thread_with_an_id_is_archived_raw_then_deleted(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    deployment = serve_odd_deployment(scripted_server)
    async with client(scripted_server) as c:
        result = await archive_then_delete(c, UNREADABLE, archive_dir=tmp_path)
    assert result.outcome is Outcome.DELETED and deployment.deleted == [UNREADABLE]
    assert result.archive is not None
    assert json.loads(result.archive.read_text(encoding="utf-8"))["thread"] == THREADS[2]


def test_json_lines_stay_one_record_a_line_when_the_server_indents(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json writes each record as it came, its white space aside: an indented response
    still gives one record a line, with the values (1e400, escapes) untouched."""
    thread = {"id": "cthr_i", "object": "chatkit.thread", "created_at": 1, "user": "u",
              "title": "caf\u00e9", "status": {"type": "active"}}  # fmt: skip
    text = json.dumps({"object": "list", "data": [thread], "has_more": False}, indent=2)
    text = text.replace('"created_at": 1', '"created_at": 1, "big": 1e400')
    scripted_server.handler = lambda _: Reply(body=text.encode())
    assert main(["--base-url", scripted_server.base_url, "threads", "list", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and '"big":1e400' in lines[0]
    assert json.loads(lines[0].replace("1e400", "0"))["title"] == "caf\u00e9"


def test_an_export_writes_numbers_python_cannot_hold_as_they_came(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """1e400 overflows a float: the export (like the archive) writes the record's own bytes."""
    body = (
        b'{"id":"cthr_n","object":"chatkit.thread","created_at":1,"user":"u","title":"n",'
        b'"status":{"type":"active"},"metadata":{"n":1e400,"s":"\\u00e9"}}'
    )
    empty = b'{"object":"list","data":[],"has_more":false,"first_id":null,"last_id":null}'
    scripted_server.handler = lambda r: Reply(body=empty if r.path.endswith("/items") else body)
    base = ["--base-url", scripted_server.base_url]
    assert main([*base, "threads", "export", "cthr_n", "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "cthr_n.json").read_text(encoding="utf-8")
    assert '"n": 1e400' in text and '"s": "\\u00e9"' in text


DEEP = b'{"a":' * 1500 + b"1" + b"}" * 1500  # past what msgspec (or json) will recurse into


def test_a_record_nested_too_deeply_hides_nothing(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The decoder gives up past ~1,000 levels, for the whole page: each record is then
    decoded alone, the deep one kept raw; archive, export and --json still work."""
    deep_thread = b'{"id":"cthr_deep","object":"chatkit.thread","created_at":2,"user":"u",'
    deep_thread += b'"status":{"type":"active"},"metadata":' + DEEP + b"}"
    plain = b'{"id":"cthr_plain","object":"chatkit.thread","created_at":1,"user":"u"}'
    deep_item = b'{"id":"cthi_deep","type":"chatkit.widget","thread_id":"cthr_deep",'
    deep_item += b'"created_at":3,"widget":' + DEEP + b"}"
    end = b'{"id":"cthi_end","type":"end_of_turn","thread_id":"cthr_deep","created_at":4}'

    def page(*records: bytes) -> bytes:
        return b'{"object":"list","data":[%s],"has_more":false}' % b",".join(records)

    def handler(request: Any) -> Reply:
        if request.path.endswith("/items"):
            return Reply(body=page(deep_item, end))
        if request.path.endswith("/threads"):
            return Reply(body=page(deep_thread, plain))
        if request.method == "DELETE":
            return Reply(
                body={"id": "cthr_deep", "object": "chatkit.thread.deleted", "deleted": True}
            )
        return Reply(body=deep_thread)

    scripted_server.handler = handler
    base = ["--base-url", scripted_server.base_url]
    assert main([*base, "threads", "list", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and '"id":"cthr_plain"' in lines[1]
    assert main([*base, "threads", "items", "cthr_deep"]) == 0
    table = capsys.readouterr().out
    assert "cthi_deep" in table and "cthi_end" in table
    assert main([*base, "threads", "export", "cthr_deep", "--dir", str(tmp_path)]) == 0
    exported = (tmp_path / "cthr_deep.json").read_bytes()
    assert DEEP in exported and b"cthi_end" in exported
    assert (
        main([*base, "threads", "delete", "--yes", "cthr_deep", "--archive-dir", str(tmp_path)])
        == 0
    )
    (archive,) = tmp_path.glob("cthr_deep-*.json")
    assert DEEP in archive.read_bytes()
