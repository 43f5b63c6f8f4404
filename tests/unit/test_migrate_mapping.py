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
    unaccounted,
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


# --- nothing dropped in silence (a tester's chatkit-python Store lost attachment fields) ------

STORE_MESSAGE = {  # a user message as a chatkit-python Store holds it (a mirror of one)
    "id": "msg_d9ae169b",
    "thread_id": "cthr_1",
    "created_at": "2026-11-20T12:00:17Z",
    "type": "user_message",
    "content": [{"type": "input_text", "text": "My blender arrived with a cracked jar."}],
    "attachments": [
        {
            "id": "atc_ace252bf",
            "name": "cracked-jar.jpg",
            "mime_type": "image/jpeg",
            "thread_id": "cthr_1",
            "metadata": {"storage_key": "s3://uploads/cracked-jar.jpg"},
            "upload_descriptor": {"url": "https://up.example.com/x", "method": "PUT"},
            "type": "image",
            "preview_url": "https://files.example.com/atc_ace252bf/preview.jpg",
        },
        {
            "id": "atc_2",
            "name": "r.pdf",
            "mime_type": "application/pdf",
            "thread_id": "cthr_1",
            "metadata": {"k": 1},
            "type": "file",
        },
    ],
    "quoted_text": None,
    "inference_options": {"tool_choice": None, "model": None},
}


def test_attachments_keep_every_field_chatkit_python_has():
    c = convert(thread(), [raw(STORE_MESSAGE)])
    photo, pdf = c.items[0].attachments
    assert photo.thread_id == "cthr_1" and pdf.thread_id == "cthr_1"
    assert photo.metadata == {"storage_key": "s3://uploads/cracked-jar.jpg"}
    assert pdf.metadata == {"k": 1}
    assert str(photo.upload_descriptor.url) == "https://up.example.com/x"
    assert c.notes == [] and ORIGINALS not in c.thread.metadata


def test_a_field_with_no_place_anywhere_in_the_record_is_noted_and_its_original_kept():
    """The check is by construction: whatever the mapping or chatkit-python's models do not
    carry (pydantic ignores a field it has no place for) is compared out of the dump."""
    message = json.loads(json.dumps(STORE_MESSAGE))
    message["attachments"][0]["checksum"] = "sha256:ab"
    message["content"][0]["lang"] = "en"
    message["surprise"] = True
    cited = item(
        "assistant_message",
        2,
        content=[
            {
                "type": "output_text",
                "text": "See",
                "annotations": [
                    {"type": "url", "index": 3, "source": {"type": "url", "url": "https://x"}}
                ],
            }
        ],
    )
    c = convert(thread(), [raw(message), cited])
    lossy = [n for n in c.notes if n.lossy]
    assert [(n.item_id, n.what) for n in lossy] == [
        (
            "msg_d9ae169b",
            "fields chatkit-python's user_message has no place for: "
            "content[0].lang, attachments[0].checksum, surprise",
        ),
        ("cthi_2", "fields chatkit-python's assistant_message has no place for: "
         "content[0].annotations[0].index"),
    ]  # fmt: skip
    assert c.thread.metadata[ORIGINALS]["msg_d9ae169b"] == message
    assert c.thread.metadata[ORIGINALS]["cthi_2"] == json.loads(cited)


def test_renames_and_conversions_are_not_losses():
    """Hosted fields that reach chatkit-python under another name or type: not noted."""
    c = convert(
        thread(),
        [
            item("user_message", 1, content=[{"type": "quoted_text", "text": "q"},
                 {"type": "input_text", "text": "a"}], attachments=[], inference_options=None),
            item("task", 2, task_type="custom", heading="Search", summary="3 results"),
            item("task_group", 3, tasks=[{"type": "thought", "heading": "T", "summary": "s"}]),
            item("client_tool_call", 4, status="completed", call_id="c", name="n",
                 arguments='{"a": {"b": 1}}', output='{"x": 1}'),
            item("widget", 5, widget=json.dumps({"type": "Card", "children": []})),
        ],
    )  # fmt: skip
    assert c.notes == []


def test_a_dropped_element_is_noted_once_and_the_rest_still_checked():
    c = convert(
        thread(),
        [
            item("user_message", 1, content=[{"type": "input_image"},
                 {"type": "input_text", "text": "a", "extra": 1}], attachments=[]),
        ],
    )  # fmt: skip
    assert [n.what for n in c.notes] == [
        'a content part with no text was left out: {"type": "input_image"}',
        "fields chatkit-python's user_message has no place for: content[1].extra",
    ]


def test_thread_from_a_chatkit_python_deployment_gets_no_junk_metadata():
    """threads.get_by_id sends the thread with a page of its ``items``: not a thread field;
    a thread with no user gets no ``hosted_user``."""
    body = json.loads(thread(user=None, metadata={"channel": "web"}))
    del body["user"]
    body["items"] = {"data": [], "has_more": False}
    c = convert(raw(body), [])
    assert c.thread.metadata == {"channel": "web"} and c.notes == []
    assert HOSTED_USER not in convert(thread(user=""), []).thread.metadata
    extra = convert(thread(region="eu"), []).thread.metadata
    assert extra["hosted_thread_fields"] == {"region": "eu"}


def test_a_thread_field_with_no_place_is_noted_and_the_thread_original_kept():
    source = thread(status={"type": "locked", "reason": "r", "by": "admin"})
    c = convert(source, [])
    assert [(n.item_id, n.what) for n in c.notes] == [
        (None, "thread fields chatkit-python's ThreadMetadata has no place for: status.by")
    ]
    assert c.thread.metadata[ORIGINALS]["cthr_1"] == json.loads(source)


def test_unaccounted_finds_what_the_store_lacks_unless_its_original_is_kept():
    """--verify's comparison with the source: a Store item without a field the source had
    is named, unless the thread keeps the item's original."""
    c = convert(thread(), [raw(STORE_MESSAGE)])
    stored = c.items[0]
    assert unaccounted(c, c.thread, {stored.id: stored}) == []
    lossy = stored.model_copy(
        update={
            "attachments": [a.model_copy(update={"metadata": None}) for a in stored.attachments]
        }
    )
    assert unaccounted(c, c.thread, {stored.id: lossy}) == [
        "1 items lack fields of the source and keep no original of them (first msg_d9ae169b: "
        "attachments[0].metadata, attachments[1].metadata)"
    ]
    metadata = {**c.thread.metadata, ORIGINALS: {stored.id: STORE_MESSAGE}}
    assert (
        unaccounted(c, c.thread.model_copy(update={"metadata": metadata}), {stored.id: lossy}) == []
    )
    del metadata[HOSTED_USER]  # the thread's user: in its metadata, or its original
    assert unaccounted(c, c.thread.model_copy(update={"metadata": metadata}), {}) == [
        "the Store lacks the thread's user and keeps no original of it"
    ]
