"""Validate the fields of a new ChatKit session and build the request body.

Shared by ``chatkit-tui sessions create`` and the app's session form, so both say the
same thing about the same mistake. Text fields arrive as strings (as typed); every problem
is collected, keyed by field name, and raised together as :class:`SessionParamsError`
before any request is made. Limits are the spec's (CreateChatSessionBody and friends).
Never imports Textual.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from chatkit_tui.client.models import (
    AutomaticThreadTitlingParam,
    ChatkitConfigurationParam,
    CreateSessionBody,
    ExpiresAfterParam,
    FileUploadParam,
    HistoryParam,
    RateLimitsParam,
    StateValue,
    WorkflowParam,
    WorkflowTracingParam,
)

MAX_EXPIRES_AFTER = 600
MAX_FILE_SIZE_MB = 512
MAX_STATE_VARIABLES = 64
MAX_STATE_KEY = 64
MAX_STATE_STRING = 10_485_760

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


class SessionParamsError(ValueError):
    """Every invalid field at once: ``errors`` maps field name -> message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in errors.items()))


@dataclass
class SessionFields:
    """The form as typed. Strings for text fields ("" = not set), None for switches not set."""

    user: str = ""
    workflow: str = ""
    version: str = ""
    state: str | Iterable[str] = ""  # "key = value" lines (a string) or items
    tracing: bool | None = None
    expires_after: str = ""
    rpm: str = ""
    titling: bool | None = None
    file_upload: bool | None = None
    max_files: str = ""
    max_file_size: str = ""
    history: bool | None = None
    recent_threads: str = ""


def parse_state_value(text: str) -> StateValue:
    """``true``/``false`` -> bool, whole numbers -> int, decimals -> float, else a string.

    Quote a value to keep it a string: ``flag = "true"`` sends the string ``true``.
    """
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    return value


def parse_state_variables(lines: str | Iterable[str]) -> dict[str, StateValue]:
    """``key = value`` lines (blank lines and ``#`` comments skipped) -> state variables.

    ``lines`` is the form's text (errors name lines) or the ``--state`` values (errors
    name the value: the third ``--state`` is "value 3").
    """
    # a form's text box numbers lines; repeated --state flags (a list) number values
    where, syntax = ("line", "key = value") if isinstance(lines, str) else ("value", "key=value")
    items = lines.splitlines() if isinstance(lines, str) else list(lines)
    result: dict[str, StateValue] = {}
    problems: list[str] = []
    for number, line in enumerate(items, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep:
            problems.append(f"{where} {number}: expected {syntax}, got {line.strip()!r}")
        elif not key:
            problems.append(f"{where} {number}: the key is empty")
        elif len(key) > MAX_STATE_KEY:
            problems.append(f"{where} {number}: key longer than {MAX_STATE_KEY} characters")
        elif key in result:
            problems.append(f"{where} {number}: {key!r} is given twice")
        else:
            parsed = parse_state_value(value)
            if isinstance(parsed, str) and len(parsed) > MAX_STATE_STRING:
                problems.append(f"{where} {number}: value of {key!r} is longer than 10 MiB")
            result[key] = parsed
    if len(result) > MAX_STATE_VARIABLES:
        problems.append(f"at most {MAX_STATE_VARIABLES} variables, got {len(result)}")
    if problems:
        raise ValueError("; ".join(problems))
    return result


def _int_field(
    errors: dict[str, str], name: str, text: str, low: int, high: int | None = None
) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not _INT.fullmatch(value):
        errors[name] = f"must be a whole number, got {value!r}"
        return None
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        errors[name] = f"must be {bound}, got {number}"
        return None
    return number


def build_session_body(fields: SessionFields) -> CreateSessionBody:
    """Validate every field; raise :class:`SessionParamsError` listing all problems."""
    errors: dict[str, str] = {}
    user = fields.user.strip()
    workflow = fields.workflow.strip()
    if not user:
        errors["user"] = "is required"
    if not workflow:
        errors["workflow"] = "is required (a workflow id, e.g. wf_...)"
    elif any(ch.isspace() for ch in workflow):
        errors["workflow"] = "must not contain spaces"
    state: dict[str, StateValue] = {}
    try:
        state = parse_state_variables(fields.state)
    except ValueError as exc:
        errors["state"] = str(exc)
    expires = _int_field(errors, "expires_after", fields.expires_after, 1, MAX_EXPIRES_AFTER)
    rpm = _int_field(errors, "rpm", fields.rpm, 1)
    max_files = _int_field(errors, "max_files", fields.max_files, 1)
    max_size = _int_field(errors, "max_file_size", fields.max_file_size, 1, MAX_FILE_SIZE_MB)
    recent = _int_field(errors, "recent_threads", fields.recent_threads, 1)
    if fields.file_upload is False and (max_files is not None or max_size is not None):
        errors["file_upload"] = "max files / max file size need file upload on"
    if fields.history is False and recent is not None:
        errors["history"] = "recent threads needs history on"
    if errors:
        raise SessionParamsError(errors)

    workflow_param = WorkflowParam(id=workflow)
    if fields.version.strip():
        workflow_param.version = fields.version.strip()
    if state:
        workflow_param.state_variables = state
    if fields.tracing is not None:
        workflow_param.tracing = WorkflowTracingParam(enabled=fields.tracing)
    body = CreateSessionBody(workflow=workflow_param, user=user)
    if expires is not None:
        body.expires_after = ExpiresAfterParam(seconds=expires)
    if rpm is not None:
        body.rate_limits = RateLimitsParam(max_requests_per_1_minute=rpm)

    config = ChatkitConfigurationParam()
    if fields.titling is not None:
        config.automatic_thread_titling = AutomaticThreadTitlingParam(enabled=fields.titling)
    if fields.file_upload is not None or max_files is not None or max_size is not None:
        upload = FileUploadParam()
        if fields.file_upload is not None:
            upload.enabled = fields.file_upload
        if max_files is not None:
            upload.max_files = max_files
        if max_size is not None:
            upload.max_file_size = max_size
        config.file_upload = upload
    if fields.history is not None or recent is not None:
        history = HistoryParam()
        if fields.history is not None:
            history.enabled = fields.history
        if recent is not None:
            history.recent_threads = recent
        config.history = history
    if config != ChatkitConfigurationParam():
        body.chatkit_configuration = config
    return body


def create_kwargs(body: CreateSessionBody) -> dict[str, Any]:
    """Keyword arguments for ``client.sessions.create`` (what was not set is left out)."""
    kwargs: dict[str, Any] = {"user": body.user, "workflow": body.workflow}
    for name in ("expires_after", "rate_limits", "chatkit_configuration"):
        value = getattr(body, name)
        if value is not UNSET:
            kwargs[name] = value
    return kwargs
