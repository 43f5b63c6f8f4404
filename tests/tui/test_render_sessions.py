"""Unit tests of render_sessions.py: countdown, secret mask, typed state values, literal text."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chatkit_tui.client.models import (
    ChatkitWorkflow,
    ChatSession,
    ChatSessionAutomaticThreadTitling,
    ChatSessionChatkitConfiguration,
    ChatSessionFileUpload,
    ChatSessionHistory,
    ChatSessionRateLimits,
)
from chatkit_tui.tui.sessions.render import (
    MASK,
    countdown,
    effective_status,
    mask_secret,
    session_detail,
    session_option,
    state_literal,
)

NOW = 1_800_000_000


def make_session(**changes: object) -> ChatSession:
    session = ChatSession(
        id="cksess_1",
        expires_at=NOW + 600,
        client_secret="ek_" + "s" * 40 + "TAIL",
        workflow=ChatkitWorkflow(id="wf_1", state_variables={"a": True, "b": 2, "c": "x"}),
        user="user_1",
        rate_limits=ChatSessionRateLimits(max_requests_per_1_minute=10),
        max_requests_per_1_minute=10,
        status="active",
        chatkit_configuration=ChatSessionChatkitConfiguration(
            automatic_thread_titling=ChatSessionAutomaticThreadTitling(enabled=True),
            file_upload=ChatSessionFileUpload(enabled=False),
            history=ChatSessionHistory(enabled=True, recent_threads=None),
        ),
    )
    for name, value in changes.items():
        setattr(session, name, value)
    return session


def plain(renderable: object) -> str:
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (600, "10:00"),
        (599.2, "10:00"),  # rounded up: never "expired" or 0:00 while time is left
        (61, "1:01"),
        (1, "0:01"),
        (0.4, "0:01"),
        (0, "expired"),
        (-5, "expired"),
        (3725, "1:02:05"),
        (2 * 86400 + 3, "2d 0:00:03"),
    ],
)
def test_countdown(left: float, shown: str) -> None:
    assert countdown(NOW, NOW - left) == shown


def test_mask_keeps_the_last_four_only_for_long_secrets() -> None:
    assert mask_secret("ek_" + "s" * 40 + "TAIL") == MASK + "TAIL"
    assert mask_secret("short-secret") == MASK  # too short to show any of it
    assert mask_secret("ek_" + "s" * 20 + "\x1b[2J") == MASK + "␛[2J"


def test_state_values_show_their_types() -> None:
    assert [state_literal(v) for v in (True, 12, 0.5, "true", "a\x07")] == [
        "true",
        "12",
        "0.5",
        '"true"',
        '"a\\u0007"',
    ]


def test_effective_status() -> None:
    session = make_session()
    assert effective_status(session, NOW) == "active"
    assert effective_status(session, NOW + 600) == "expired"
    session.status = "cancelled"
    assert effective_status(session, NOW + 600) == "cancelled"


def test_detail_masks_the_secret_until_revealed_and_shows_text_literally() -> None:
    session = make_session(user="[bold]u[/] \x1b[31m", id="cksess_[@click=app.quit]")
    masked = plain(session_detail(session, NOW))
    assert session.client_secret not in masked and MASK + "TAIL" in masked
    assert "user  [bold]u[/] ␛[31m" in masked
    assert "Session cksess_[@click=app.quit]" in masked
    assert "state  a = true" in masked and 'c = "x"' in masked
    assert "in 10:00" in masked
    revealed = plain(session_detail(session, NOW, revealed=True))
    assert session.client_secret in revealed
    assert "expired" in plain(session_detail(session, NOW + 601))
    option = session_option(session, NOW + 601)
    assert option.plain.startswith("expired")
