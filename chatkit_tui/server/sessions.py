"""Sessions: a create request resolved into the full session resource."""

from __future__ import annotations

import secrets
from typing import Any

from msgspec import UNSET

from chatkit_tui.client.models import (
    ChatkitWorkflow,
    ChatkitWorkflowTracing,
    ChatSession,
    ChatSessionAutomaticThreadTitling,
    ChatSessionChatkitConfiguration,
    ChatSessionFileUpload,
    ChatSessionHistory,
    ChatSessionRateLimits,
)
from chatkit_tui.server.params import CreateSessionIn

# The spec's documented defaults.
DEFAULT_EXPIRES_AFTER_S = 600
DEFAULT_RATE_LIMIT = 10
DEFAULT_MAX_FILE_SIZE_MB = 512
DEFAULT_MAX_FILES = 10


def resolve_session(request: CreateSessionIn, now: int) -> ChatSession:
    """The session resource with every default filled in and a fresh client secret."""
    wf = request.workflow
    expires_after = request.expires_after
    seconds = DEFAULT_EXPIRES_AFTER_S if expires_after is UNSET else expires_after.seconds
    limits = request.rate_limits
    per_minute = DEFAULT_RATE_LIMIT
    if limits is not UNSET and limits.max_requests_per_1_minute is not UNSET:
        per_minute = limits.max_requests_per_1_minute
    config = request.chatkit_configuration
    titling = upload = history = None
    if config is not UNSET:
        titling = (
            None if config.automatic_thread_titling is UNSET else config.automatic_thread_titling
        )
        upload = None if config.file_upload is UNSET else config.file_upload
        history = None if config.history is UNSET else config.history

    def pick(value: Any, default: Any) -> Any:
        return default if value is UNSET else value

    return ChatSession(
        id=f"cksess_{secrets.token_hex(16)}",
        expires_at=now + seconds,
        client_secret=f"ek_{secrets.token_urlsafe(32)}",
        workflow=ChatkitWorkflow(
            id=wf.id,
            version=None if wf.version is UNSET else wf.version,
            state_variables=None if wf.state_variables is UNSET else wf.state_variables,
            tracing=ChatkitWorkflowTracing(
                enabled=True if wf.tracing is UNSET else pick(wf.tracing.enabled, True)
            ),
        ),
        user=request.user,
        rate_limits=ChatSessionRateLimits(max_requests_per_1_minute=per_minute),
        max_requests_per_1_minute=per_minute,
        status="active",
        chatkit_configuration=ChatSessionChatkitConfiguration(
            automatic_thread_titling=ChatSessionAutomaticThreadTitling(
                enabled=True if titling is None else pick(titling.enabled, True)
            ),
            file_upload=ChatSessionFileUpload(
                enabled=False if upload is None else pick(upload.enabled, False),
                max_file_size=DEFAULT_MAX_FILE_SIZE_MB
                if upload is None
                else pick(upload.max_file_size, DEFAULT_MAX_FILE_SIZE_MB),
                max_files=DEFAULT_MAX_FILES
                if upload is None
                else pick(upload.max_files, DEFAULT_MAX_FILES),
            ),
            history=ChatSessionHistory(
                enabled=True if history is None else pick(history.enabled, True),
                recent_threads=None if history is None else pick(history.recent_threads, None),
            ),
        ),
    )
