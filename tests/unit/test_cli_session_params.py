"""Session fields -> request body: typing of state values, limits from the spec, all errors."""

from __future__ import annotations

import msgspec
import pytest

from chatkit_tui.client.decoding import encode
from chatkit_tui.core.session_params import (
    SessionFields,
    SessionParamsError,
    build_session_body,
    create_kwargs,
    parse_state_value,
    parse_state_variables,
)


def body_json(fields: SessionFields) -> object:
    return msgspec.json.decode(encode(build_session_body(fields)))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        (" 42 ", 42),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("hello world", "hello world"),
        ('"true"', "true"),
        ("'7'", "7"),
        ("True", "True"),
        ("nan", "nan"),
        ("", ""),
    ],
)
def test_state_values_are_typed(text: str, value: object) -> None:
    parsed = parse_state_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_minimal_body_sends_only_what_was_set() -> None:
    assert body_json(SessionFields(user=" alice ", workflow="wf_1")) == {
        "workflow": {"id": "wf_1"},
        "user": "alice",
    }


def test_full_body() -> None:
    fields = SessionFields(
        user="alice",
        workflow="wf_1",
        version="3",
        state="plan = pro\n# comment\n\nseats = 5\nbeta = true\n",
        tracing=False,
        expires_after="120",
        rpm="30",
        titling=True,
        file_upload=True,
        max_files="4",
        max_file_size="20",
        history=True,
        recent_threads="10",
    )
    assert body_json(fields) == {
        "workflow": {
            "id": "wf_1",
            "version": "3",
            "state_variables": {"plan": "pro", "seats": 5, "beta": True},
            "tracing": {"enabled": False},
        },
        "user": "alice",
        "expires_after": {"seconds": 120, "anchor": "created_at"},
        "rate_limits": {"max_requests_per_1_minute": 30},
        "chatkit_configuration": {
            "automatic_thread_titling": {"enabled": True},
            "file_upload": {"enabled": True, "max_file_size": 20, "max_files": 4},
            "history": {"enabled": True, "recent_threads": 10},
        },
    }


def test_every_invalid_field_is_reported_at_once() -> None:
    fields = SessionFields(
        user="  ",
        workflow="",
        state="novalue\n= 3\nx=1\nx=2",
        expires_after="601",
        rpm="ten",
        max_files="0",
        max_file_size="513",
        recent_threads="-1",
    )
    with pytest.raises(SessionParamsError) as info:
        build_session_body(fields)
    errors = info.value.errors
    assert errors["user"] == "is required"
    assert errors["workflow"].startswith("is required")
    assert errors["state"] == (
        "line 1: expected key = value, got 'novalue'; line 2: the key is empty; "
        "line 4: 'x' is given twice"
    )
    assert errors["expires_after"] == "must be between 1 and 600, got 601"
    assert errors["rpm"] == "must be a whole number, got 'ten'"
    assert errors["max_files"] == "must be at least 1, got 0"
    assert errors["max_file_size"] == "must be between 1 and 512, got 513"
    assert errors["recent_threads"] == "must be at least 1, got -1"


def test_contradictions_are_errors() -> None:
    with pytest.raises(SessionParamsError) as info:
        build_session_body(
            SessionFields(
                user="u",
                workflow="w",
                file_upload=False,
                max_files="2",
                history=False,
                recent_threads="3",
            )
        )
    assert set(info.value.errors) == {"file_upload", "history"}


def test_workflow_with_spaces() -> None:
    with pytest.raises(SessionParamsError, match="workflow: must not contain spaces"):
        build_session_body(SessionFields(user="u", workflow="wf 1"))


def test_state_limits() -> None:
    with pytest.raises(ValueError, match="at most 64 variables, got 65"):
        parse_state_variables([f"k{i}=1" for i in range(65)])
    with pytest.raises(ValueError, match="key longer than 64"):
        parse_state_variables(["k" * 65 + "=1"])
    assert parse_state_variables(["a = b = c"]) == {"a": "b = c"}


def test_create_kwargs_leave_out_what_was_not_set() -> None:
    body = build_session_body(SessionFields(user="u", workflow="w", rpm="5"))
    kwargs = create_kwargs(body)
    assert set(kwargs) == {"user", "workflow", "rate_limits"}
