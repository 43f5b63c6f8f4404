"""The hosted -> chatkit-python mapping (pure): each hosted item type becomes chatkit-python's
item of the same meaning, validated by chatkit-python's models; what has no counterpart is
kept as hidden context with its original JSON and noted, never dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chatkit.types import (
    AssistantMessageItem,
    ClientToolCallItem,
    ClosedStatus,
    CustomTask,
    FileAttachment,
    HiddenContextItem,
    ImageAttachment,
    LockedStatus,
    TaskItem,
    ThoughtTask,
    UserMessageItem,
    WidgetItem,
    WorkflowItem,
)

from chatkit_tui.core.migrate.mapping import (
    HOSTED_USER,
    ORIGINALS,
    UNCONVERTED_PREFIX,
    convert,
    fingerprint,
)

T0 = 1_764_000_000


def raw(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def thread(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "id": "cthr_1",
        "object": "chatkit.thread",
        "created_at": T0,
        "title": "Order 4411",
        "status": {"type": "active"},
        "user": "u_42",
    }
    return raw({**base, **fields})


def item(kind: str, n: int = 1, **fields: Any) -> bytes:
    base = {
        "id": f"cthi_{n}",
        "object": "chatkit.thread_item",
        "created_at": T0 + n,
        "thread_id": "cthr_1",
        "type": f"chatkit.{kind}",
    }
    return raw({**base, **fields})


def one(kind: str, **fields: Any) -> tuple[Any, list[str]]:
    c = convert(thread(), [item(kind, **fields)])
    return c.items[0], [n.what for n in c.notes]


def test_thread_keeps_id_title_time_status_and_the_hosted_user_in_metadata():
    c = convert(thread(status={"type": "locked", "reason": "Escalated"}), [])
    assert c.thread.id == "cthr_1" and c.thread.title == "Order 4411"
    assert c.thread.created_at == datetime.fromtimestamp(T0, UTC)
    assert c.thread.status == LockedStatus(reason="Escalated")
    assert c.thread.metadata[HOSTED_USER] == "u_42" and c.user == "u_42"
    assert c.notes == []
    closed = convert(thread(status={"type": "closed", "reason": None}), []).thread.status
    assert closed == ClosedStatus(reason=None)


def test_user_message_with_quoted_text_attachments_and_null_inference_options():
    it, notes = one(
        "user_message",
        content=[
            {"type": "quoted_text", "text": "Your order shipped"},
            {"type": "input_text", "text": "Where is it?"},
        ],
        attachments=[
            {
                "type": "image",
                "id": "a1",
                "name": "p.png",
                "mime_type": "image/png",
                "preview_url": "https://files.example.com/p.png",
            },
            {
                "type": "file",
                "id": "a2",
                "name": "r.pdf",
                "mime_type": "application/pdf",
                "preview_url": None,
            },
        ],
        inference_options=None,
    )
    assert isinstance(it, UserMessageItem)
    assert [p.text for p in it.content] == ["Where is it?"]
    assert it.quoted_text == "Your order shipped"
    assert isinstance(it.attachments[0], ImageAttachment)
    assert str(it.attachments[0].preview_url) == "https://files.example.com/p.png"
    assert isinstance(it.attachments[1], FileAttachment)
    assert it.inference_options.model is None and notes == []


def test_assistant_annotations_become_sources_titled_and_noted():
    it, notes = one(
        "assistant_message",
        content=[
            {
                "type": "output_text",
                "text": "See",
                "annotations": [
                    {"type": "file", "source": {"type": "file", "filename": "r.pdf"}},
                    {"type": "url", "source": {"type": "url", "url": "https://x.example/a"}},
                ],
            }
        ],
    )
    assert isinstance(it, AssistantMessageItem)
    sources = [a.source for a in it.content[0].annotations]
    assert sources[0].type == "file" and sources[0].title == "r.pdf"
    assert sources[1].type == "url" and sources[1].title == "https://x.example/a"
    assert len(notes) == 2


def test_widget_string_becomes_its_tree():
    widget = {"type": "Card", "children": [{"type": "Text", "value": "Delivered"}]}
    it, notes = one("widget", widget=json.dumps(widget))
    assert isinstance(it, WidgetItem)
    assert (
        it.widget.model_dump(exclude_none=True, exclude_defaults=True)["children"][0]["value"]
        == "Delivered"
    )
    assert notes == []


def test_client_tool_call_json_strings_and_in_progress():
    it, notes = one(
        "client_tool_call",
        status="completed",
        call_id="call_1",
        name="lookup",
        arguments='{"order": 4411}',
        output='{"found": true}',
    )
    assert isinstance(it, ClientToolCallItem)
    assert it.arguments == {"order": 4411} and it.output == {"found": True}
    assert it.status == "completed" and it.call_id == "call_1" and notes == []
    pending, notes = one(
        "client_tool_call",
        status="in_progress",
        call_id="c",
        name="n",
        arguments="{}",
        output=None,
    )
    assert pending.status == "pending" and notes and "in_progress" in notes[0]


def test_task_and_task_group_become_task_and_workflow():
    it, _ = one("task", task_type="thought", heading="Checking", summary="Looked it up")
    assert isinstance(it, TaskItem) and isinstance(it.task, ThoughtTask)
    assert it.task.title == "Checking" and it.task.content == "Looked it up"
    group, notes = one(
        "task_group",
        tasks=[
            {"type": "custom", "heading": "Search", "summary": "3 results"},
            {"type": "thought", "heading": "Think", "summary": "ok"},
        ],
    )
    assert isinstance(group, WorkflowItem) and group.workflow.type == "custom"
    assert isinstance(group.workflow.tasks[0], CustomTask)
    assert group.workflow.tasks[0].title == "Search"
    assert group.workflow.tasks[0].content == "3 results"
    assert notes == []


def test_an_unknown_item_is_hidden_context_with_its_original_json_and_noted():
    source = item("mystery", 7, payload={"x": 1})
    c = convert(thread(), [source])
    hidden = c.items[0]
    assert isinstance(hidden, HiddenContextItem) and hidden.id == "cthi_7"
    assert hidden.content.startswith(UNCONVERTED_PREFIX)
    assert json.loads(hidden.content.split("\n", 1)[1]) == json.loads(source)
    assert c.thread.metadata[ORIGINALS]["cthi_7"] == json.loads(source)
    assert c.notes[0].item_id == "cthi_7" and "mystery" in c.notes[0].what


def test_a_known_type_that_does_not_validate_is_kept_not_dropped():
    bad = item("widget", 3, widget="not json {")
    c = convert(thread(), [item("user_message", 1, content=[], attachments=[]), bad])
    assert len(c.items) == 2 and isinstance(c.items[1], HiddenContextItem)
    assert c.thread.metadata[ORIGINALS]["cthi_3"]["widget"] == "not json {"


def test_unprefixed_and_chatkit_python_shapes_pass():
    tool = raw(
        {
            "id": "tc_1",
            "thread_id": "cthr_1",
            "created_at": "2026-06-02T06:13:00Z",
            "type": "client_tool_call",
            "status": "pending",
            "call_id": "c",
            "name": "n",
            "arguments": {"a": 1},
            "output": None,
        }
    )
    end = raw(
        {
            "id": "e1",
            "thread_id": "cthr_1",
            "created_at": "2026-06-02T06:14:00Z",
            "type": "end_of_turn",
        }
    )
    c = convert(thread(), [tool, end])
    assert [i.type for i in c.items] == ["client_tool_call", "end_of_turn"] and c.notes == []


def test_fingerprint_changes_with_any_byte_of_the_source():
    a = fingerprint(thread(), [item("end_of_turn")])
    assert a == fingerprint(thread(), [item("end_of_turn")])
    assert a != fingerprint(thread(title="other"), [item("end_of_turn")])
    assert a != fingerprint(thread(), [item("end_of_turn", 2)])


def test_originals_are_kept_for_what_was_lost_not_for_what_was_filled_in():
    cited = item(
        "assistant_message",
        1,
        content=[
            {
                "type": "output_text",
                "text": "See",
                "annotations": [{"type": "url", "source": {"type": "url", "url": "https://x"}}],
            }
        ],
    )
    running = item(
        "client_tool_call", 2, status="in_progress", call_id="c", name="n", arguments="{}",
        output=None,
    )  # fmt: skip
    c = convert(thread(), [cited, running])
    assert [n.lossy for n in c.notes] == [False, True]
    assert list(c.thread.metadata[ORIGINALS]) == ["cthi_2"]


def test_a_fingerprint_the_caller_has_is_used_not_computed_again():
    items = [item("user_message", 1, content=[{"type": "input_text", "text": "hi"}])]
    hashed = fingerprint(thread(), items)
    plain = convert(thread(), items)
    given = convert(thread(), items, hashed=hashed)
    assert given.fingerprint == plain.fingerprint == hashed
    assert given.thread == plain.thread and given.items == plain.items
    assert convert(thread(), items, hashed="f" * 32).fingerprint == "f" * 32  # not recomputed
