"""The msgspec models decode every schema variant and tolerate what real servers send."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from chatkit_tui.client import decoding as d
from chatkit_tui.client import models as m
from tests.fixtures import samples


def _item_page(*items: dict[str, Any]) -> bytes:
    return samples.dumps({"object": "list", "data": list(items), "has_more": False})


@pytest.mark.parametrize(
    ("builder", "cls"),
    [
        (samples.user_message, m.UserMessageItem),
        (samples.assistant_message, m.AssistantMessageItem),
        (samples.widget, m.WidgetItem),
        (samples.client_tool_call, m.ClientToolCallItem),
        (samples.task, m.TaskItem),
        (samples.task_group, m.TaskGroupItem),
    ],
)
def test_every_item_type_decodes_to_its_class(builder: Any, cls: type) -> None:
    raw = builder(7, "cthr_x")
    page = d.decode_item_page(_item_page(raw))
    (item,) = page.data
    assert type(item) is cls
    assert (item.id, item.thread_id, item.created_at) == ("cthi_0007", "cthr_x", 1_700_000_107)
    # nothing lost: encoding the model gives back the JSON it came from
    assert json.loads(d.encode(item)) == raw


def test_item_parts_are_typed() -> None:
    user = d.decode_item(samples.dumps(samples.user_message()))
    assert isinstance(user, m.UserMessageItem)
    assert [type(c) for c in user.content] == [m.InputText, m.QuotedText]
    assert [a.type for a in user.attachments] == ["image", "file"]
    assert user.attachments[1].preview_url is None
    assert user.inference_options is not None
    assert user.inference_options.tool_choice == m.ToolChoice(id="lookup_order")
    assistant = d.decode_item(samples.dumps(samples.assistant_message()))
    assert isinstance(assistant, m.AssistantMessageItem)
    file_ann, url_ann = assistant.content[0].annotations
    assert isinstance(file_ann, m.FileAnnotation)
    assert file_ann.source.filename == "refunds.md"
    assert isinstance(url_ann, m.UrlAnnotation)
    assert url_ann.source.url == "https://example.com/p"
    group = d.decode_item(samples.dumps(samples.task_group()))
    assert isinstance(group, m.TaskGroupItem)
    assert group.tasks[1] == m.TaskGroupTask(type="thought", heading=None, summary=None)


@pytest.mark.parametrize(
    ("status", "cls", "reason"),
    [
        ({"type": "active"}, m.ActiveStatus, None),
        ({"type": "locked", "reason": "abuse"}, m.LockedStatus, "abuse"),
        ({"type": "closed", "reason": None}, m.ClosedStatus, None),
        ({"type": "closed"}, m.ClosedStatus, None),  # nullable reason missing
    ],
)
def test_thread_status_union(status: dict[str, Any], cls: type, reason: str | None) -> None:
    thread = d.decode_thread(samples.dumps(samples.thread(1, status=status)))
    assert type(thread.status) is cls
    assert thread.status.reason == reason
    assert thread.status.type == status["type"]


def test_thread_page_decodes() -> None:
    page = d.decode_thread_page(samples.dumps(samples.thread_page(30)))
    assert len(page.data) == 30
    assert page.has_more is True
    assert (page.first_id, page.last_id) == ("cthr_0000", "cthr_0029")
    assert page.data[0].title is None
    assert page.data[1].title == "Thread number 1 about refunds"


def test_missing_nullable_fields_default_to_none() -> None:
    raw = {"id": "cthr_1", "created_at": 1, "user": "u", "status": {"type": "active"}}
    thread = d.decode_thread(samples.dumps(raw))  # no title, no object
    assert thread.title is None
    page = d.decode_thread_page(b'{"data": [], "has_more": false}')
    assert (page.first_id, page.last_id) == (None, None)
    call = samples.client_tool_call()
    del call["output"]
    item = d.decode_item(samples.dumps(call))
    assert isinstance(item, m.ClientToolCallItem)
    assert item.output is None
    session = samples.session()
    del session["workflow"]["version"], session["workflow"]["state_variables"]
    del (
        session["workflow"]["tracing"],
        session["chatkit_configuration"]["history"]["recent_threads"],
    )
    decoded = msgspec.json.decode(samples.dumps(session), type=m.ChatSession)
    assert decoded.workflow.version is None
    assert decoded.workflow.state_variables is None
    assert decoded.chatkit_configuration.history.recent_threads is None


def test_extra_fields_are_ignored() -> None:
    raw = samples.assistant_message() | {"brand_new_field": {"x": [1, 2]}}
    raw["content"][0]["extra"] = True
    raw["content"][0]["annotations"][0]["source"]["page"] = 4
    item = d.decode_item(samples.dumps(raw))
    assert isinstance(item, m.AssistantMessageItem)
    page = samples.thread_page(2) | {"next_cursor": "zzz"}
    assert len(d.decode_thread_page(samples.dumps(page)).data) == 2
    session = samples.session() | {"surprise": 1}
    assert msgspec.json.decode(samples.dumps(session), type=m.ChatSession).id == "cksess_123"


def test_unknown_item_type_keeps_raw_json_and_does_not_break_the_page() -> None:
    # (was "user_message": the unprefixed spelling is now a user message, see
    # test_client_tolerant.py)
    odd = {"id": "x1", "type": "x.brand_new", "thread_id": "t", "created_at": 5, "text": "hi"}
    page = d.decode_item_page(_item_page(samples.task(1), odd, samples.widget(2)))
    first, unknown, last = page.data
    assert isinstance(first, m.TaskItem)
    assert isinstance(last, m.WidgetItem)
    assert isinstance(unknown, m.UnknownItem)
    assert json.loads(unknown.raw) == odd
    assert (unknown.type, unknown.id, unknown.thread_id, unknown.created_at) == (
        "x.brand_new",
        "x1",
        "t",
        5,
    )
    assert "x.brand_new" in unknown.error
    # written back as it came
    assert json.loads(d.encode(page))["data"][1] == odd


def test_known_type_with_bad_fields_is_unknown_not_another_type() -> None:
    bad = samples.user_message() | {"content": "not a list"}
    item = d.decode_item(samples.dumps(bad))
    assert isinstance(item, m.UnknownItem)
    assert item.type == "chatkit.user_message"
    assert "content" in item.error
    weird = d.decode_item(b'{"type": 42, "id": 7}')
    assert isinstance(weird, m.UnknownItem)
    assert (weird.type, weird.id) == (None, None)
    no_type = d.decode_item(b'{"id": "a", "text": "x"}')
    assert isinstance(no_type, m.UnknownItem)


def test_malformed_envelope_raises() -> None:
    with pytest.raises(msgspec.ValidationError):
        d.decode_item_page(b'{"data": {"not": "a list"}}')
    with pytest.raises(msgspec.DecodeError):
        d.decode_item_page(b"<html>")
    # (a bad thread inside a good envelope no longer raises: it is an UnreadableThread)
    for body in (b'{"data": "x"}', b"[1]", b'{"object": "list"}', b'{"data": [], "has_more": 1}'):
        with pytest.raises(msgspec.ValidationError):
            d.decode_thread_page(body)


def test_session_repr_hides_client_secret() -> None:
    session = msgspec.json.decode(samples.dumps(samples.session()), type=m.ChatSession)
    assert session.client_secret == "ek_token_123"
    assert "ek_token_123" not in repr(session)
    assert session.workflow.state_variables == {
        "plan": "pro",
        "seats": 3,
        "beta": True,
        "ratio": 0.5,
    }


def test_request_bodies_omit_unset_fields() -> None:
    body = m.CreateSessionBody(user="u", workflow=m.WorkflowParam(id="wf"))
    assert json.loads(d.encode(body)) == {"workflow": {"id": "wf"}, "user": "u"}
    full = m.CreateSessionBody(
        user="u",
        workflow=m.WorkflowParam(
            id="wf", version="2", state_variables={"a": 1}, tracing=m.WorkflowTracingParam()
        ),
        expires_after=m.ExpiresAfterParam(seconds=60),
        rate_limits=m.RateLimitsParam(max_requests_per_1_minute=5),
        chatkit_configuration=m.ChatkitConfigurationParam(history=m.HistoryParam(enabled=False)),
    )
    assert json.loads(d.encode(full)) == {
        "workflow": {"id": "wf", "version": "2", "state_variables": {"a": 1}, "tracing": {}},
        "user": "u",
        "expires_after": {"seconds": 60, "anchor": "created_at"},
        "rate_limits": {"max_requests_per_1_minute": 5},
        "chatkit_configuration": {"history": {"enabled": False}},
    }


def test_to_builtins_round_trips_unknown_items() -> None:
    odd = {"type": "future.thing", "id": "z"}
    page = d.decode_item_page(_item_page(odd))
    assert d.to_builtins(page)["data"] == [odd]
