"""End to end: the local server's hosted threads -> ``mirror`` -> ``migrate`` into a real
Store (SQLite, and the PostgreSQL guide's on a real PostgreSQL) -> a real chatkit-python
``ChatKitServer`` over that Store -> chatkit-tui's own chatkit-python backend reads every
thread back, each as the same conversation as the hosted one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from chatkit_tui.backends.chatkit_python.client import ChatKitPython
from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.cli import main
from chatkit_tui.client import models as m
from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.chatkit_python import ChatKitPythonSample, SampleStore
from tests.fixtures.stores import postgres_store, sqlite_store

THREADS = 40
UNKNOWN = {
    "id": "cthi_from_the_future",
    "object": "chatkit.thread_item",
    "created_at": 1_800_000_001,
    "thread_id": "cthr_e2e",
    "type": "chatkit.hologram",
    "depth": 3,
}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local server seeded with THREADS threads and one with an item of a type nobody
    knows, mirrored."""
    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=THREADS) as server, pytest.MonkeyPatch.context() as mp:
        server.store.insert_thread_rows(
            [("cthr_e2e", 1_800_000_000, "u_e2e", "Future", "active", None)]
        )
        text = {
            **{k: v for k, v in UNKNOWN.items() if k not in ("depth", "type")},
            **{"id": "cthi_hello", "created_at": 1_800_000_000, "type": "chatkit.user_message"},
            **{"attachments": [], "inference_options": None},
            "content": [{"type": "input_text", "text": "hello"}],
        }
        server.store.insert_item_rows(
            [
                ("cthi_hello", "cthr_e2e", 1_800_000_000, "A", json.dumps(text).encode()),
                ("cthi_from_the_future", "cthr_e2e", 1_800_000_001, "B",
                 json.dumps(UNKNOWN).encode()),
            ]
        )  # fmt: skip
        mp.setenv("OPENAI_API_KEY", "sk-test")
        assert main(["mirror", "--base-url", server.base_url, "--db", str(path)]) == 0
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Any]]:
    if request.param == "sqlite":
        monkeypatch.setenv(sqlite_store.ENV, str(tmp_path / "store.sqlite3"))
        yield "tests.fixtures.stores.sqlite_store:make_store", sqlite_store.make_store
    else:
        url: str = request.getfixturevalue("pg_url")
        monkeypatch.setenv(postgres_store.ENV, url)
        yield "tests.fixtures.stores.postgres_store:make_store", postgres_store.make_store


def _texts(parts: list[Any]) -> list[str]:
    return [p.text for p in parts if isinstance(p, m.InputText | m.OutputText)]


def _source_of(annotation: Any) -> str:
    source = annotation.source
    return getattr(source, "filename", None) or getattr(source, "url", "?")


def conversation(item: Any) -> tuple[Any, ...]:
    """What a reader of the thread sees of an item, read from either side."""
    if isinstance(item, m.UserMessageItem):
        quoted = [p.text for p in item.content if isinstance(p, m.QuotedText)]
        if isinstance(item.quoted_text, str):
            quoted.append(item.quoted_text)
        files = [(a.id, a.name, a.mime_type) for a in item.attachments]
        return ("user", item.id, item.created_at, _texts(item.content), quoted, files)
    if isinstance(item, m.AssistantMessageItem):
        cites = [[_source_of(a) for a in p.annotations] for p in item.content]
        return ("assistant", item.id, item.created_at, _texts(item.content), cites)
    if isinstance(item, m.ClientToolCallItem):
        status = "pending" if item.status == "in_progress" else item.status
        value = item.output  # hosted: JSON text (or plain text); chatkit-python: a value
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        args = json.loads(item.arguments_json)
        return ("tool", item.id, item.created_at, item.name, item.call_id, args, value, status)
    if isinstance(item, m.WidgetItem):
        return ("widget", item.id, item.created_at, json.loads(item.widget_json)["type"])
    if isinstance(item, m.TaskItem):
        # a thought with no summary gets content "" (chatkit-python requires one): noted
        summary = item.summary or None
        return ("task", item.id, item.created_at, item.task_type, item.heading, summary)
    if isinstance(item, m.TaskGroupItem):
        tasks = [(t.type, t.heading, t.summary) for t in item.tasks]
        return ("tasks", item.id, item.created_at, tasks)
    if isinstance(item, m.WorkflowItem):
        tasks = [(t.type, t.title, getattr(t, "content", None)) for t in item.workflow.tasks]
        return ("tasks", item.id, item.created_at, tasks)
    return (getattr(item, "type", "?"), getattr(item, "id", None), item.created_at)


async def everything(deployment: Any) -> dict[str, tuple[Any, list[tuple[Any, ...]]]]:
    out: dict[str, tuple[Any, list[tuple[Any, ...]]]] = {}
    async for thread in deployment.threads.list(limit=100):
        items = [
            conversation(i)
            async for i in deployment.threads.list_items(thread.id, order="asc", limit=100)
        ]
        out[thread.id] = (
            (thread.title, thread.status.type, thread.status.reason, thread.created_at),
            items,
        )
    return out


def test_hosted_threads_read_back_through_a_real_chatkit_python_server_are_the_same(
    mirror: Path, store: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    spec, factory = store
    argv = ["migrate", "--to-store", spec, "--from-mirror", str(mirror)]
    assert main([*argv, "--report", str(tmp_path / "r.jsonl")]) == 0
    assert main([*argv, "--report", str(tmp_path / "v.jsonl"), "--verify"]) == 0
    report = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    future = next(r for r in report if r.get("id") == "cthr_e2e")
    assert [n["item"] for n in future["approximations"]] == ["cthi_from_the_future"]

    async def source() -> dict[str, tuple[Any, list[tuple[Any, ...]]]]:
        async with MirrorDeployment.open(mirror) as d:
            return await everything(d)

    hosted = asyncio.run(source())
    # what the server shows is all but the hidden context the unknown item became
    hosted["cthr_e2e"][1].pop()
    the_store, _ = factory()
    with ChatKitPythonSample(store=cast(SampleStore, the_store)) as sample:  # their server

        async def served() -> dict[str, tuple[Any, list[tuple[Any, ...]]]]:
            async with ChatKitPython(sample.url, sample.admin_headers) as d:
                return await everything(d)

        got = asyncio.run(served())
    for thread_id, (meta, items) in hosted.items():
        assert got[thread_id][0] == meta
        for a, b in zip(got[thread_id][1], items, strict=True):
            assert a == b, thread_id
    assert got == hosted
    assert len(hosted) == THREADS + 1
