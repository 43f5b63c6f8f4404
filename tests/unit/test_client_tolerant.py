"""Read everything the server sends, keep all of it: real bytes through the decoders.

Raw JSON kept byte for byte and written back; unknown statuses, parts, annotations,
sources and attachments kept in place; both spellings of every item type; chatkit-python's
item types and shapes; one bad record in a page costs only that record.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest

from chatkit_tui.client import decoding as d
from chatkit_tui.client import models as m
from tests.fixtures import samples

JSON = dict[str, Any]


def _id(element: Any) -> str | None:
    found = element.get("id") if isinstance(element, dict) else None
    return found if isinstance(found, str) else None


def _page(*data: Any, **envelope: Any) -> JSON:
    return {
        "object": "list",
        "data": list(data),
        "first_id": _id(data[0]) if data else None,
        "last_id": _id(data[-1]) if data else None,
        "has_more": False,
        **envelope,
    }


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


# chatkit-python's (openai/chatkit-python, chatkit/types.py) item shapes, unprefixed as
# it writes them, with date-time created_at; and each known type's spec-shaped sample.
ISO = "2024-05-01T10:00:00Z"
ISO_EPOCH = 1_714_557_600


def _ck(kind: str, i: int = 0, **fields: Any) -> JSON:
    return {"id": f"ck_{i}", "thread_id": "cthr_1", "created_at": ISO, "type": kind, **fields}


CHATKIT_PYTHON: dict[str, tuple[JSON, type]] = {
    "user_message": (
        _ck(
            "user_message",
            content=[
                {"type": "input_text", "text": "Hi"},
                {"type": "input_tag", "id": "tag1", "text": "@order", "data": {"n": 1}},
            ],
            attachments=[
                {"type": "file", "id": "f1", "name": "a.pdf", "mime_type": "application/pdf"},
                {
                    "type": "image",
                    "id": "i1",
                    "name": "a.png",
                    "mime_type": "image/png",
                    "preview_url": "https://x.example/a.png",
                    "thread_id": "cthr_1",
                    "metadata": {"k": "v"},
                },
            ],
            quoted_text="earlier words",
            inference_options={"tool_choice": None, "model": "gpt-5"},
        ),
        m.UserMessageItem,
    ),
    "assistant_message": (
        _ck(
            "assistant_message",
            content=[
                {
                    "type": "output_text",
                    "text": "See [1] and [2] and [3].",
                    "annotations": [
                        {
                            "type": "annotation",
                            "source": {"type": "url", "title": "Doc", "url": "https://d.example"},
                            "index": 4,
                        },
                        {
                            "type": "annotation",
                            "source": {"type": "file", "title": "F", "filename": "f.md"},
                        },
                        {
                            "type": "annotation",
                            "source": {"type": "entity", "title": "E", "id": "ent_1"},
                        },
                    ],
                }
            ],
        ),
        m.AssistantMessageItem,
    ),
    "client_tool_call": (
        _ck(
            "client_tool_call",
            status="pending",
            call_id="call_1",
            name="lookup",
            arguments={"order": 7, "deep": {"x": [1, 2]}},
            output={"state": "shipped"},
        ),
        m.ClientToolCallItem,
    ),
    "widget": (
        _ck("widget", widget={"type": "Card", "children": []}, copy_text="a card"),
        m.WidgetItem,
    ),
    "generated_image": (
        _ck("generated_image", image={"id": "img_1", "url": "https://i.example/1.png"}),
        m.GeneratedImageItem,
    ),
    "structured_input": (
        _ck(
            "structured_input",
            status="answered",
            inputs=[
                {
                    "type": "multiple_choice",
                    "id": "q1",
                    "question": "Which?",
                    "options": [{"value": "a"}, {"value": "b"}],
                    "multiple": True,
                    "answer": {"values": ["a", "b"], "skipped": False},
                },
                {"type": "freeform", "id": "q2", "question": "Why?", "description": "Say"},
            ],
        ),
        m.StructuredInputItem,
    ),
    "workflow": (
        _ck(
            "workflow",
            workflow={
                "type": "reasoning",
                "tasks": [
                    {"type": "custom", "title": "Step", "icon": "bolt", "content": "did it"},
                    {
                        "type": "web_search",
                        "title_query": "refunds",
                        "queries": ["refund policy"],
                        "sources": [{"type": "url", "title": "P", "url": "https://p.example"}],
                    },
                    {"type": "thought", "content": "hmm", "status_indicator": "complete"},
                    {"type": "file", "sources": [{"type": "file", "title": "F", "filename": "f"}]},
                    {"type": "image", "title": "pic"},
                ],
                "summary": {"title": "Worked", "icon": "check"},
                "expanded": True,
            },
        ),
        m.WorkflowItem,
    ),
    "task": (
        _ck("task", task={"type": "thought", "title": "Thinking", "content": "about refunds"}),
        m.TaskItem,
    ),
    "hidden_context_item": (
        _ck("hidden_context_item", content={"memo": ["vip"]}),
        m.HiddenContextItem,
    ),
    "sdk_hidden_context": (
        _ck("sdk_hidden_context", content="previous_response_id=resp_1"),
        m.SDKHiddenContextItem,
    ),
    "end_of_turn": (_ck("end_of_turn"), m.EndOfTurnItem),
}

SPEC_SAMPLES: dict[str, tuple[JSON, type]] = {
    "user_message": (samples.user_message(), m.UserMessageItem),
    "assistant_message": (samples.assistant_message(), m.AssistantMessageItem),
    "widget": (samples.widget(), m.WidgetItem),
    "client_tool_call": (samples.client_tool_call(), m.ClientToolCallItem),
    "task": (samples.task(), m.TaskItem),
    "task_group": (samples.task_group(), m.TaskGroupItem),
}


# --- raw bytes ---------------------------------------------------------------------------


def test_every_record_keeps_the_exact_bytes_it_arrived_as() -> None:
    threads = samples.thread_page(5)
    body = _dumps(threads)
    page = d.decode_thread_page(body)
    assert page.raw == body
    for thread, sent in zip(page.data, threads["data"], strict=True):
        assert isinstance(thread, m.Thread)
        assert thread.raw == _dumps(sent)  # the very slice of the page
    items = samples.item_page(12)
    item_page = d.decode_item_page(_dumps(items))
    for item, sent in zip(item_page.data, items["data"], strict=True):
        assert item.raw == _dumps(sent)
        assert d.raw_json(item) == _dumps(sent)
    retrieved = b'{ "id" : "cthr_1", "created_at": 1, "user": "u" }'  # odd spacing kept
    assert d.decode_thread(retrieved).raw == retrieved
    single = b'{"type":"chatkit.end_of_turn","id":"e","thread_id":"t","created_at":1}'
    assert d.decode_item(single).raw == single


def test_a_json_key_named_raw_is_just_an_unknown_field() -> None:
    body = b'{"id": "cthr_1", "created_at": 1, "user": "u", "raw": "not the bytes"}'
    thread = d.decode_thread(body)
    assert isinstance(thread, m.Thread)
    assert thread.raw == body
    item = d.decode_item(_dumps(samples.task() | {"raw": 5}))
    assert isinstance(item, m.TaskItem)
    assert json.loads(item.raw)["raw"] == 5


def test_models_built_in_code_encode_from_their_fields() -> None:
    thread = m.Thread(id="t", created_at=3, user="u")
    assert thread.kept_raw() is None
    assert json.loads(thread.raw) == {
        "id": "t",
        "created_at": 3,
        "user": "u",
        "status": {"type": "active"},
        "title": None,
        "object": "chatkit.thread",
    }
    assert d.encode(thread) == thread.raw
    # an unknown piece inside a model built in code is written as its raw JSON
    part = m.UnknownPart(raw=b'{"type":"input_audio","x":1}', error="?", type="input_audio")
    item = m.UserMessageItem(id="i", created_at=1, thread_id="t", content=[part])
    assert json.loads(d.encode(item))["content"] == [{"type": "input_audio", "x": 1}]
    # the chatkit-python-only fields are UNSET: not written
    assert "quoted_text" not in json.loads(d.encode(item))


def test_raw_takes_no_part_in_equality_and_a_decoded_record_is_written_as_it_came() -> None:
    spaced = b'{"id": "t", "created_at": 3, "user": "u"}'
    tight = b'{"id":"t","created_at":3,"user":"u","extra":1}'
    first, second = d.decode_thread(spaced), d.decode_thread(tight)
    assert first == second == m.Thread(id="t", created_at=3, user="u")
    assert isinstance(first, m.Thread)
    first.title = "changed"
    assert d.encode(first) == spaced  # raw wins: build a new one to write a change
    changed = msgspec.structs.replace(first, title="changed")
    assert json.loads(d.encode(changed))["title"] == "changed"


# --- unnamed fields survive at every level ------------------------------------------------


def _everything_unnamed() -> tuple[JSON, JSON]:
    thread = samples.thread(1) | {
        "metadata": {"tier": "gold", "nested": {"a": [1, 2.5, None]}},
        "allowed_image_domains": ["img.example"],
        "status": {"type": "locked", "reason": "r", "since": 17},
    }
    item = samples.user_message(2) | {"brand_new": {"x": 1}}
    item["content"][0]["style"] = "bold"
    item["attachments"][0]["checksum"] = "abc"
    item["inference_options"]["temperature"] = 0.2
    item["inference_options"]["tool_choice"]["why"] = "asked"
    return thread, item


def test_unnamed_fields_round_trip_through_raw_encode_and_to_builtins() -> None:
    thread_json, item_json = _everything_unnamed()
    assistant = samples.assistant_message(3)
    assistant["content"][0]["annotations"][0]["source"]["page"] = 9
    assistant["content"][0]["annotations"][1]["quote"] = "..."
    threads = _page(thread_json, next_cursor="zzz")
    items = _page(item_json, assistant, cursor_hint={"k": 1})
    thread_page = d.decode_thread_page(_dumps(threads))
    item_page = d.decode_item_page(_dumps(items))
    (thread,) = thread_page.data
    assert isinstance(thread, m.Thread)
    assert type(thread.status) is m.LockedStatus
    assert [type(i) for i in item_page.data] == [m.UserMessageItem, m.AssistantMessageItem]
    for decoded, sent in ((thread, thread_json), (thread_page, threads), (item_page, items)):
        assert json.loads(decoded.raw) == sent
        assert json.loads(d.encode(decoded)) == sent
        assert d.to_builtins(decoded) == sent
    for decoded, sent in zip(item_page.data, items["data"], strict=True):
        assert d.to_builtins(decoded) == sent
    # lists and dicts of records are looked into
    assert d.to_builtins({"t": thread, "items": (item_page.data[0],)}) == {
        "t": thread_json,
        "items": [item_json],
    }
    retrieved = d.decode_thread(_dumps(thread_json))
    assert d.to_builtins(retrieved) == thread_json


def test_a_page_built_in_code_writes_its_decoded_records_raw() -> None:
    thread_json, _ = _everything_unnamed()
    thread = d.decode_thread(_dumps(thread_json))
    page = m.ThreadPage(data=[thread], has_more=False)
    assert d.to_builtins(page) == {
        "data": [thread_json],
        "has_more": False,
        "first_id": None,
        "last_id": None,
        "object": "list",
    }


# --- statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        ({"type": "archived", "reason": "x", "extra": 1}, "archived", "x"),
        ({"type": "paused"}, "paused", None),
        ({"type": "archived", "reason": 5}, "archived", None),
        ({"type": "locked", "reason": ["not", "a", "string"]}, "locked", None),
        ("frozen", "frozen", None),
        ({"reason": "no type"}, "unknown", "no type"),
        (None, "unknown", None),
    ],
)
def test_an_unknown_status_is_kept_not_a_failure(status: Any, kind: str, reason: Any) -> None:
    sent = samples.thread(4, status=status) if status is not None else samples.thread(4)
    sent["status"] = status
    for thread in (
        d.decode_thread(_dumps(sent)),
        d.decode_thread_page(_dumps(_page(samples.thread(1), sent))).data[1],
    ):
        assert isinstance(thread, m.Thread)
        assert isinstance(thread.status, m.UnknownStatus)
        assert (thread.status.type, thread.status.reason) == (kind, reason)
        assert json.loads(thread.status.raw) == status
        assert d.to_builtins(thread) == sent


# --- pieces inside known items ------------------------------------------------------------------


def test_unknown_parts_stay_in_place_inside_a_known_user_message() -> None:
    sent = samples.user_message(5)
    audio = {"type": "input_audio", "url": "https://a.example/x.wav", "text": "transcript"}
    image = {"type": "input_image", "image_url": "https://i.example"}
    broken = {"type": "input_text", "text": 42}
    sent["content"] = [sent["content"][0], audio, broken, image, "bare", sent["content"][1]]
    bad_attachment = {"type": "image", "id": "att_x"}  # no name, no mime_type
    sent["attachments"].insert(1, bad_attachment)
    item = d.decode_item(_dumps(sent))
    assert isinstance(item, m.UserMessageItem)
    kinds = [type(c).__name__ for c in item.content]
    assert kinds == [
        "InputText",
        "UnknownPart",
        "UnknownPart",
        "UnknownPart",
        "UnknownPart",
        "QuotedText",
    ]
    first, audio_part, broken_part, image_part, bare, _ = item.content
    assert isinstance(audio_part, m.UnknownPart)
    assert (audio_part.type, audio_part.text) == ("input_audio", "transcript")
    assert json.loads(audio_part.raw) == audio
    assert "input_audio" in audio_part.error
    assert isinstance(broken_part, m.UnknownPart)
    assert broken_part.type == "input_text" and "`$.text`" in broken_part.error
    assert isinstance(image_part, m.UnknownPart) and image_part.text == ""
    assert isinstance(bare, m.UnknownPart) and bare.type is None and bare.raw == b'"bare"'
    assert [type(a) for a in item.attachments] == [m.Attachment, m.UnknownAttachment, m.Attachment]
    unknown_attachment = item.attachments[1]
    assert isinstance(unknown_attachment, m.UnknownAttachment)
    assert unknown_attachment.type == "image" and "name" in unknown_attachment.error
    assert (unknown_attachment.id, unknown_attachment.name) == ("att_x", "")
    assert first == m.InputText(text="Hello, I need help with order 5.")
    # and all of it is written back as it came
    assert d.to_builtins(item) == sent
    assert " ".join(c.text for c in item.content).startswith("Hello")


def test_unknown_annotations_and_sources_stay_in_place() -> None:
    sent = samples.assistant_message(6)
    annotations = sent["content"][0]["annotations"]
    annotations += [
        {"type": "citation", "start": 1, "end": 4},
        {"type": "file", "source": {"type": "file"}},  # a spec annotation missing filename
        {"type": "annotation", "source": {"type": "hologram", "title": "H"}, "index": 2},
        {"type": "annotation", "source": {"type": "url", "title": "ok", "url": "https://o.x"}},
    ]
    sent["content"].append({"type": "refusal", "refusal": "no"})
    for item in (
        d.decode_item(_dumps(sent)),
        d.decode_item_page(_dumps(_page(samples.task(1), sent))).data[1],
    ):
        assert isinstance(item, m.AssistantMessageItem)
        text, refusal = item.content
        assert isinstance(text, m.OutputText)
        assert isinstance(refusal, m.UnknownPart) and refusal.type == "refusal"
        assert refusal.annotations == ()
        kinds = [type(a).__name__ for a in text.annotations]
        assert kinds == [
            "FileAnnotation",
            "UrlAnnotation",
            "UnknownAnnotation",
            "UnknownAnnotation",
            "SourceAnnotation",
            "SourceAnnotation",
        ]
        citation, missing = text.annotations[2], text.annotations[3]
        assert isinstance(citation, m.UnknownAnnotation) and citation.type == "citation"
        assert isinstance(missing, m.UnknownAnnotation) and "filename" in missing.error
        odd_source, good_source = text.annotations[4], text.annotations[5]
        assert isinstance(odd_source, m.SourceAnnotation) and odd_source.index == 2
        assert isinstance(odd_source.source, m.UnknownSource)
        assert odd_source.source.type == "hologram"
        assert json.loads(odd_source.source.raw) == {"type": "hologram", "title": "H"}
        assert isinstance(good_source, m.SourceAnnotation)
        assert good_source.source == m.UrlSource(title="ok", url="https://o.x")
        assert d.to_builtins(item) == sent


def test_unknown_workflow_tasks_sources_and_inputs_stay_in_place() -> None:
    workflow, _ = CHATKIT_PYTHON["workflow"]
    workflow = copy.deepcopy(workflow)
    tasks = workflow["workflow"]["tasks"]
    tasks[1]["sources"].append({"type": "video", "title": "V"})
    tasks.append({"type": "calendar", "title": "later"})
    item = d.decode_item(_dumps(workflow))
    assert isinstance(item, m.WorkflowItem)
    search = item.workflow.tasks[1]
    assert isinstance(search, m.SearchTask)
    assert [type(s) for s in search.sources] == [m.UrlSource, m.UnknownSource]
    assert isinstance(item.workflow.tasks[-1], m.UnknownTask)
    assert item.workflow.tasks[-1].type == "calendar"
    assert d.to_builtins(item) == workflow
    structured, _ = CHATKIT_PYTHON["structured_input"]
    structured = copy.deepcopy(structured)
    structured["inputs"].append({"type": "slider", "id": "q3", "min": 0})
    asked = d.decode_item(_dumps(structured))
    assert isinstance(asked, m.StructuredInputItem)
    assert [type(i) for i in asked.inputs] == [
        m.MultipleChoiceInput,
        m.FreeformInput,
        m.UnknownInput,
    ]


def test_only_a_bad_field_of_the_item_itself_makes_it_unknown() -> None:
    for bad in (
        samples.user_message() | {"content": {"not": "a list"}},
        samples.user_message() | {"inference_options": {"tool_choice": {"id": 5}}},
        samples.widget() | {"widget": 12},
        samples.client_tool_call() | {"arguments": [1, 2]},
        {k: v for k, v in samples.task().items() if k != "thread_id"},
        samples.task() | {"created_at": "last tuesday"},
    ):
        item = d.decode_item(_dumps(bad))
        assert isinstance(item, m.UnknownItem), bad
        assert item.type == bad["type"]
        assert item.error
        assert json.loads(item.raw) == bad
    unknown = d.decode_item(_dumps(samples.user_message() | {"content": "text"}))
    assert isinstance(unknown, m.UnknownItem)
    assert "`$.content`" in unknown.error


# --- both spellings ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted({*CHATKIT_PYTHON, *SPEC_SAMPLES}))
def test_both_spellings_decode_to_the_same_class(kind: str) -> None:
    sent, cls = SPEC_SAMPLES.get(kind) or CHATKIT_PYTHON[kind]
    spellings = []
    for spelled in (f"chatkit.{kind}", kind):
        one = copy.deepcopy(sent) | {"type": spelled}
        spellings.append(one)
        single = d.decode_item(_dumps(one))
        assert type(single) is cls
        assert single.type == f"chatkit.{kind}"
        assert single.raw == _dumps(one)  # the spelling sent is kept
    page = d.decode_item_page(_dumps(_page(*spellings)))
    assert [type(i) for i in page.data] == [cls, cls]
    assert [i.type for i in page.data] == [f"chatkit.{kind}"] * 2
    assert page.data[0] == page.data[1]
    assert [d.to_builtins(i) for i in page.data] == spellings


def test_a_page_in_the_documentation_spelling_decodes_in_one_pass() -> None:
    sent = samples.item_page(12)
    for item in sent["data"]:
        item["type"] = item["type"].removeprefix("chatkit.")
    page = d.decode_item_page(_dumps(sent))
    assert [type(i).__name__ for i in page.data[:6]] == [
        "UserMessageItem",
        "AssistantMessageItem",
        "WidgetItem",
        "ClientToolCallItem",
        "TaskItem",
        "TaskGroupItem",
    ]
    assert all(type(i).__name__.startswith("_Bare") is False for i in page.data)
    assert d.to_builtins(page) == sent


# --- chatkit-python's types and shapes ----------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CHATKIT_PYTHON))
def test_chatkit_python_shapes_decode(kind: str) -> None:
    sent, cls = CHATKIT_PYTHON[kind]
    decoded = [
        d.decode_item(_dumps(sent)),
        d.decode_item_page(_dumps(_page(sent))).data[0],
        # as chatkit-python's own page: another decoder (variants of the classes), one result
        d.decode_item_page(_dumps(_page(sent)), dialect="chatkit-python").data[0],
        d.decode_item_page(
            _dumps(_page(sent | {"type": f"chatkit.{kind}"})), dialect="chatkit-python"
        ).data[0],
    ]
    for item in decoded:
        assert type(item) is cls, getattr(item, "error", None)
        assert item.created_at == ISO_EPOCH
        assert item == decoded[0]
    assert [d.to_builtins(i) for i in decoded[:3]] == [sent] * 3


def test_chatkit_python_fields_are_typed() -> None:
    def decoded(kind: str) -> Any:
        return d.decode_item(_dumps(CHATKIT_PYTHON[kind][0]))

    user = decoded("user_message")
    assert user.quoted_text == "earlier words"
    assert user.content[1] == m.InputTag(id="tag1", text="@order", data={"n": 1})
    assert [a.type for a in user.attachments] == ["file", "image"]
    assert user.inference_options == m.InferenceOptions(model="gpt-5")
    call = decoded("client_tool_call")
    assert call.status == "pending"
    assert call.arguments == {"order": 7, "deep": {"x": [1, 2]}}
    assert json.loads(call.arguments_json) == call.arguments
    assert call.output == {"state": "shipped"}
    assert json.loads(call.output_json) == {"state": "shipped"}
    widget = decoded("widget")
    assert json.loads(widget.widget_json) == {"type": "Card", "children": []}
    assert widget.copy_text == "a card"
    image = decoded("generated_image")
    assert image.image == m.GeneratedImage(id="img_1", url="https://i.example/1.png")
    workflow = decoded("workflow").workflow
    assert workflow.type == "reasoning" and workflow.expanded is True
    assert [t.type for t in workflow.tasks] == ["custom", "web_search", "thought", "file", "image"]
    assert workflow.tasks[2].status_indicator == "complete"
    assert workflow.summary == m.WorkflowSummary(title="Worked", icon="check")
    assert decoded("hidden_context_item").content == {"memo": ["vip"]}
    assert decoded("sdk_hidden_context").content == "previous_response_id=resp_1"
    asked = decoded("structured_input")
    assert asked.status == "answered"
    assert asked.inputs[0].answer == m.StructuredInputAnswer(values=["a", "b"])


def test_the_spec_shapes_keep_their_text_accessors() -> None:
    widget = d.decode_item(_dumps(samples.widget(3)))
    assert isinstance(widget, m.WidgetItem)
    assert widget.widget_json == samples.widget(3)["widget"]
    call = d.decode_item(_dumps(samples.client_tool_call(3)))
    assert isinstance(call, m.ClientToolCallItem)
    assert call.arguments_json == call.arguments == '{"order": 3}'
    assert call.output_json == '{"state": "shipped"}'
    pending = d.decode_item(_dumps(samples.client_tool_call(3) | {"output": None}))
    assert isinstance(pending, m.ClientToolCallItem) and pending.output_json is None


def test_a_chatkit_python_task_fills_the_spec_task_fields() -> None:
    task = d.decode_item(_dumps(CHATKIT_PYTHON["task"][0]))
    assert isinstance(task, m.TaskItem)
    assert task.task == m.ThoughtTask(title="Thinking", content="about refunds")
    assert (task.task_type, task.heading, task.summary) == ("thought", "Thinking", "about refunds")
    spec = d.decode_item(_dumps(samples.task()))
    assert isinstance(spec, m.TaskItem)
    assert spec.task is msgspec.UNSET
    assert (spec.task_type, spec.heading) == ("thought", "Checking the order")
    odd = d.decode_item(_dumps(_ck("task", task={"type": "poll", "title": "?"})))
    assert isinstance(odd, m.TaskItem) and isinstance(odd.task, m.UnknownTask)
    assert odd.task_type == "poll"


@pytest.mark.parametrize(
    ("created_at", "epoch"),
    [
        (1_700_000_000, 1_700_000_000),
        (1_700_000_000.75, 1_700_000_000),
        ("2024-05-01T10:00:00Z", ISO_EPOCH),
        ("2024-05-01T12:00:00+02:00", ISO_EPOCH),
        ("2024-05-01T10:00:00.999999", ISO_EPOCH),  # naive: UTC
        ("2024-05-01T10:00:00.5+00:00", ISO_EPOCH),
        ("2024-05-01t10:00:00z", ISO_EPOCH),  # RFC 3339 allows lower case
        ("2024-05-01 10:00:00Z", ISO_EPOCH),
        ("2024-05-01T09:59:59.9999996Z", ISO_EPOCH),  # rounded to the microsecond first
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799),  # floored exactly, no float
        ("1969-12-31T23:59:59.5Z", -1),
        # ISO 8601 but not RFC 3339: read on the per-element way, to the same seconds
        ("2024-05-01T10:00Z", ISO_EPOCH),
        ("2024-05-01T12:00:00+02", ISO_EPOCH),
        ("20240501T100000Z", ISO_EPOCH),
        ("2024-05-01", ISO_EPOCH - 10 * 3600),
        ("9999-12-31T23:59:59.9999999Z", 253_402_300_799),  # RFC 3339 would round past 9999
    ],
)
def test_created_at_is_epoch_seconds_whatever_way_it_came(created_at: Any, epoch: int) -> None:
    thread = samples.thread(1) | {"created_at": created_at}
    item = samples.task(1) | {"created_at": created_at}
    decoded = [
        d.decode_thread(_dumps(thread)),
        d.decode_thread_page(_dumps(_page(thread))).data[0],
        d.decode_thread_page(_dumps(_page(thread, after="x")), dialect="chatkit-python").data[0],
        d.decode_item(_dumps(item)),
        d.decode_item(_dumps(item | {"type": "task"})),
        d.decode_item_page(_dumps(_page(item))).data[0],
        d.decode_item_page(_dumps(_page(item | {"type": "task"})), dialect="chatkit-python").data[
            0
        ],
        # the slow path too: an unknown part sends the item there
        d.decode_item(_dumps(samples.user_message() | {"created_at": created_at, "content": [{}]})),
    ]
    for record in decoded:
        assert not isinstance(record, m.UnknownItem | m.UnreadableThread)
        assert type(record.created_at) is int
        assert record.created_at == epoch
    assert d.to_builtins(decoded[0]) == thread


def test_every_record_of_a_page_gets_its_own_seconds_whatever_the_others_are() -> None:
    """A page's times are made seconds for the whole page at once when they are all
    alike; pages where they are not (and records whose time is no time) still give each
    record its own."""
    times = [
        1_700_000_000,
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00",  # naive among aware ones: UTC
        1_700_000_000.5,
        "2024-05-01T12:00:00+02:00",
        "2024-05-01",  # no RFC 3339: read on its own
        "yesterday",
        "2024-05-01T10:00:01.25Z",
    ]
    expected = [1_700_000_000, ISO_EPOCH, ISO_EPOCH, 1_700_000_000, ISO_EPOCH]
    expected += [ISO_EPOCH - 10 * 3600, None, ISO_EPOCH + 1]
    kinds = ("task", "chatkit.end_of_turn", "widget")
    sent = [
        CHATKIT_PYTHON[kinds[i % 3].removeprefix("chatkit.")][0]
        | {"id": f"i{i}", "type": kinds[i % 3]}
        | {"created_at": t}
        for i, t in enumerate(times)
    ]
    for order in (sent, sent[::-1]):
        for dialect in ("api", "chatkit-python"):
            page = d.decode_item_page(_dumps(_page(*order)), dialect=dialect)
            got = [None if isinstance(i, m.UnknownItem) else i.created_at for i in page.data]
            assert got == (expected if order is sent else expected[::-1])
            assert [i.raw for i in page.data] == [_dumps(x) for x in order]
            classes = [m.TaskItem, m.EndOfTurnItem, m.WidgetItem] * 3
            classes = [
                m.UnknownItem if t == "yesterday" else classes[i] for i, t in enumerate(times)
            ]
            assert [type(i) for i in page.data] == (classes if order is sent else classes[::-1])
    for alike, seconds in (
        (["2024-05-01T10:00:00Z", "2024-05-01T11:00:00.5+01:00"], [ISO_EPOCH, ISO_EPOCH]),
        (["2024-05-01T10:00:00", "1969-12-31T23:59:59.5"], [ISO_EPOCH, -1]),  # naive: UTC
        ([1, 2], [1, 2]),
        ([1.5, "2024-05-01T10:00:00Z"], [1, ISO_EPOCH]),
    ):
        records = [samples.thread(i) | {"created_at": t} for i, t in enumerate(alike)]
        items = [_ck("end_of_turn", i, created_at=t) for i, t in enumerate(alike)]
        for dialect in ("api", "chatkit-python"):
            threads = d.decode_thread_page(_dumps(_page(*records)), dialect=dialect).data
            assert [(type(t), t.created_at) for t in threads] == [(m.Thread, s) for s in seconds]
            assert all(type(t.created_at) is int for t in threads)
            page = d.decode_item_page(_dumps(_page(*items)), dialect=dialect)
            assert [(type(i), i.created_at) for i in page.data] == [
                (m.EndOfTurnItem, s) for s in seconds
            ]
            assert [i.raw for i in page.data] == [_dumps(x) for x in items]


def test_a_chatkit_python_page_gives_its_after_cursor_as_last_id() -> None:
    """chatkit-python's envelope has no last_id: with ``dialect="chatkit-python"`` the next cursor
    is its ``after`` while ``has_more``, read in the same pass, whichever way the page
    decodes (one pass, around an odd record, record by record when one is too deep)."""
    deep = b'{"a":' * 1500 + b"1" + b"}" * 1500  # past what the decoder recurses into
    clean = [_dumps(_ck("end_of_turn", 1)), _dumps(_ck("end_of_turn", 2))]
    odd = [clean[0], _dumps(_ck("end_of_turn", 2, created_at="yesterday"))]
    too_deep = [
        clean[0],
        _dumps(_ck("hidden_context_item", 2))[:-1] + b', "content": ' + deep + b"}",
    ]
    threads = [_dumps(samples.thread(1) | {"created_at": ISO}), _dumps(samples.thread(2))]
    odd_threads = [threads[0], b'{"id": 2}']
    deep_threads = [threads[0], threads[1][:-1] + b', "metadata": ' + deep + b"}"]

    def envelope(data: list[bytes], more: bool) -> bytes:
        return b'{"data": [%s], "has_more": %s, "after": "ck_2"}' % (
            b", ".join(data),
            b"true" if more else b"false",
        )

    for more, cursor in ((True, "ck_2"), (False, None)):
        for data in (clean, odd, too_deep):
            page = d.decode_item_page(envelope(data, more), dialect="chatkit-python")
            assert (page.last_id, page.has_more, len(page.data)) == (cursor, more, 2)
            assert [i.raw for i in page.data] == data
            assert page.raw == envelope(data, more)
            # a page of the API's envelope: an "after" is an unknown key, ignored
            assert d.decode_item_page(envelope(data, more)).last_id is None
        for data in (threads, odd_threads, deep_threads):
            page = d.decode_thread_page(envelope(data, more), dialect="chatkit-python")
            assert (page.last_id, page.has_more, len(page.data)) == (cursor, more, 2)
            assert [t.raw for t in page.data] == data
            assert type(page.data[0]) is m.Thread and page.data[0].created_at == ISO_EPOCH
            assert d.decode_thread_page(envelope(data, more)).last_id is None
    assert d.decode_item_page(b'{"data": [], "last_id": "x", "after": 5}').last_id == "x"
    for decode in (d.decode_item_page, d.decode_thread_page):
        with pytest.raises(msgspec.ValidationError):  # a malformed envelope still raises
            decode(b'{"data": [], "has_more": true, "after": 5}', dialect="chatkit-python")


def test_a_chatkit_python_thread_decodes() -> None:
    # chatkit-python's ThreadMetadata: no user, no object, a date-time, metadata
    sent = {
        "id": "thr_1",
        "title": None,
        "created_at": "2024-05-01T10:00:00Z",
        "status": {"type": "closed", "reason": "done"},
        "allowed_image_domains": None,
        "metadata": {"customer": {"tier": 2}},
    }
    thread = d.decode_thread_page(_dumps(_page(sent))).data[0]
    assert isinstance(thread, m.Thread)
    assert (thread.id, thread.user, thread.created_at) == ("thr_1", "", ISO_EPOCH)
    assert thread.status == m.ClosedStatus(reason="done")
    assert d.to_builtins(thread) == sent


# --- a bad thread in a page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"created_at": 1, "user": "u", "title": "no id"}, "`id`"),
        (samples.thread(9) | {"created_at": "yesterday", "title": "when?"}, "created_at"),
        (samples.thread(9) | {"id": 99}, "`$.id`"),
        (samples.thread(9) | {"title": ["x"]}, "`$.title`"),
        (samples.thread(9) | {"user": None}, "`$.user`"),
    ],
)
def test_one_undecodable_thread_does_not_cost_the_page(bad: JSON, error: str) -> None:
    sent = samples.thread_page(5)
    sent["data"][2] = bad
    sent["has_more"] = True
    page = d.decode_thread_page(_dumps(sent))
    assert (page.first_id, page.last_id, page.has_more) == ("cthr_0000", "cthr_0004", True)
    kinds = [type(t) for t in page.data]
    assert kinds == [m.Thread, m.Thread, m.UnreadableThread, m.Thread, m.Thread]
    assert [t.id for t in page.data] == [
        "cthr_0000",
        "cthr_0001",
        bad["id"] if isinstance(bad.get("id"), str) else None,
        "cthr_0003",
        "cthr_0004",
    ]
    unreadable = page.data[2]
    assert isinstance(unreadable, m.UnreadableThread)
    assert error in unreadable.error
    assert unreadable.raw == _dumps(bad)
    assert unreadable.status.type == "unreadable"
    assert unreadable.status.reason == unreadable.error
    assert unreadable.object == "chatkit.thread"
    assert d.to_builtins(page) == sent
    assert [d.to_builtins(t) for t in page.data] == sent["data"]


def test_an_unreadable_thread_keeps_what_could_be_read() -> None:
    bad = {"id": "cthr_7", "user": "ann", "title": "T", "created_at": "2024-05-01T10:00:00Z"}
    bad["status"] = {"type": "locked", "reason": "r"}
    bad["object"] = 5  # the only bad field
    thread = d.decode_thread(_dumps(bad))
    assert isinstance(thread, m.UnreadableThread)
    assert (thread.id, thread.user, thread.title, thread.created_at) == (
        "cthr_7",
        "ann",
        "T",
        ISO_EPOCH,
    )
    assert "`$.object`" in thread.error
    assert json.loads(thread.status.raw) == bad["status"]
    element = d.decode_thread_page(_dumps(_page(1, 2))).data[0]  # not even an object
    assert isinstance(element, m.UnreadableThread)
    assert element.raw == b"1" and element.id is None and element.status.type == "unreadable"


def test_a_retrieved_body_that_is_no_thread() -> None:
    body = b'{"id": "cthr_1", "title": 3, "secret_sauce": true}'
    thread = d.decode_thread(body)
    assert isinstance(thread, m.UnreadableThread)
    assert thread.raw == body
    assert d.to_builtins(thread) == json.loads(body)
    for not_an_object in (b"[1, 2]", b'"cthr_1"', b"null"):
        with pytest.raises(msgspec.ValidationError):
            d.decode_thread(not_an_object)
    with pytest.raises(msgspec.DecodeError):
        d.decode_thread(b"<html>")


def test_many_odd_records_anywhere_in_a_page_keep_their_places() -> None:
    good = [samples.ITEM_BUILDERS[i % 6](i) for i in range(10)]
    odd = {
        0: {"type": "chatkit.hologram", "id": "h0"},
        3: samples.task(3) | {"created_at": "never"},
        4: "not an object",
        7: samples.user_message(7) | {"content": [{"type": "input_audio"}]},
        9: samples.widget(9) | {"type": "widget", "created_at": "2024-05-01T10:00:00Z"},
    }
    sent = [odd.get(i, item) for i, item in enumerate(good)]
    page = d.decode_item_page(_dumps(_page(*sent[1:], first_id="x") | {"data": sent}))
    kinds = [type(i).__name__ for i in page.data]
    assert kinds == [
        "UnknownItem",
        "AssistantMessageItem",
        "WidgetItem",
        "UnknownItem",
        "UnknownItem",
        "TaskGroupItem",
        "UserMessageItem",
        "UserMessageItem",
        "WidgetItem",
        "WidgetItem",
    ]
    assert page.first_id == "x"
    assert [i.raw for i in page.data] == [_dumps(x) for x in sent]
    assert d.to_builtins(page)["data"] == sent
    user = page.data[7]
    assert isinstance(user, m.UserMessageItem) and isinstance(user.content[0], m.UnknownPart)
    bad_time = page.data[3]
    assert isinstance(bad_time, m.UnknownItem)
    assert (bad_time.type, bad_time.id, bad_time.created_at) == ("chatkit.task", "cthi_0003", None)
    assert page.data[9].created_at == ISO_EPOCH
    threads = [samples.thread(i) for i in range(6)]
    threads[0] = {"id": 0}
    threads[5] = threads[4] | {"status": {"type": "paused"}}
    thread_page = d.decode_thread_page(_dumps(_page(*threads)))
    assert [type(t) for t in thread_page.data] == [m.UnreadableThread, *[m.Thread] * 5]
    last = thread_page.data[5]
    assert isinstance(last, m.Thread) and isinstance(last.status, m.UnknownStatus)
    assert d.to_builtins(thread_page)["data"] == threads


def test_a_malformed_envelope_still_raises() -> None:
    for decode in (d.decode_thread_page, d.decode_item_page):
        with pytest.raises(msgspec.DecodeError):
            decode(b"<html>not json</html>")
        with pytest.raises(msgspec.DecodeError):
            decode(b'{"data": [{"id": "a"}')  # truncated
        for body in (b"[]", b'"list"', b'{"data": {"a": 1}}', b'{"has_more": false}'):
            with pytest.raises(msgspec.ValidationError):
                decode(body)
        with pytest.raises(msgspec.ValidationError):
            decode(b'{"data": [{"id": 1}], "last_id": 7}')  # bad envelope, bad element
