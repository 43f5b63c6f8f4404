"""A ChatKit session -> what the session panel shows. Pure functions, no widgets.

Every string from the API goes through :func:`~chatkit_tui.tui.render.clean` /
:func:`~chatkit_tui.tui.render.one_line` into ``rich.text.Text`` built directly (never
markup). The client secret is a credential: it is masked unless ``revealed``.
"""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from chatkit_tui.client.models import ChatSession, StateValue
from chatkit_tui.core.text import one_line
from chatkit_tui.core.times import absolute_time

MASK = "\u2022" * 8  # ••••••••
SHOWN_TAIL = 4
_MIN_FOR_TAIL = 16  # shorter secrets are masked entirely (4 of 8 characters is half a secret)


def mask_secret(secret: str) -> str:
    """``••••••••`` and the last 4 characters (enough to tell two secrets apart)."""
    if len(secret) < _MIN_FOR_TAIL:
        return MASK
    return MASK + one_line(secret[-SHOWN_TAIL:])


def remaining(expires_at: int, now: float) -> int:
    """Whole seconds until ``expires_at`` (0 once it has passed)."""
    return max(0, int(expires_at - now + 0.999))  # round up: "0:01" until the very end


def countdown(expires_at: int, now: float) -> str:
    """``9:58`` / ``1:02:03`` / ``2d 3:04:05`` left, or ``expired``."""
    left = remaining(expires_at, now)
    if left <= 0:
        return "expired"
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours or days else f"{minutes}:{seconds:02d}"
    return f"{days}d {clock}" if days else clock


def effective_status(session: ChatSession, now: float) -> str:
    """The server's status, or ``expired`` when an active session's time has run out here."""
    status = one_line(session.status)
    if status == "active" and remaining(session.expires_at, now) <= 0:
        return "expired"
    return status


def _on_off(enabled: bool) -> str:
    return "on" if enabled else "off"


def state_literal(value: StateValue) -> str:
    """A state variable as typed: ``true``, ``3``, ``0.5``, ``"text"`` (JSON, so types show)."""
    return one_line(json.dumps(value, ensure_ascii=False))


_STATUS_STYLE = {"active": "bold green", "cancelled": "bold red", "expired": "bold yellow"}


def session_option(session: ChatSession, now: float, *, pending: bool = False) -> Text:
    """One line of the list of created sessions: status, time left, user, id."""
    status = effective_status(session, now)
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{status:<9} ", style=_STATUS_STYLE.get(status, "bold"))
    left = countdown(session.expires_at, now) if status == "active" else ""
    text.append(f"{('…' if pending else left):>7}  ", style="dim")
    text.append(one_line(session.user), style="")
    text.append("  ")
    text.append(one_line(session.id), style="dim")
    return text


Rows = list[tuple[str, Text]]


def _status_row(session: ChatSession, now: float, pending: bool) -> Text:
    status = one_line(session.status)
    shown = Text(status, style=_STATUS_STYLE.get(status, "bold"))
    local = effective_status(session, now)
    if local != status:
        shown.append(f" (server said {status}; {local} by now)", style="dim")
        shown.stylize(_STATUS_STYLE.get(local, "bold"), 0, len(status))
    if pending:
        shown.append("  cancelling…", style="italic")
    return shown


def _expiry_row(session: ChatSession, now: float) -> Text:
    expiry = Text(absolute_time(session.expires_at))
    left = countdown(session.expires_at, now)
    if session.status == "cancelled":
        expiry.append("  (cancelled: no countdown)", style="dim")
    elif left == "expired":
        expiry.append("  expired", style="bold yellow")
    else:
        expiry.append("  in ")
        expiry.append(left, style="bold")
    return expiry


def _secret_row(secret: str, revealed: bool) -> Text:
    if revealed:
        return Text(one_line(secret), style="bold").append("  (v hides)", style="dim")
    shown = Text(mask_secret(secret))
    return shown.append("  (v reveals, y copies)", style="dim")


def session_sections(
    session: ChatSession, now: float, *, revealed: bool = False, pending: bool = False
) -> list[tuple[str, Rows]]:
    """Every field of ``session`` as (section title, [(label, value)]) for the detail view."""
    main: Rows = [
        ("status", _status_row(session, now, pending)),
        ("user", Text(one_line(session.user))),
        ("expires", _expiry_row(session, now)),
        ("client secret", _secret_row(session.client_secret, revealed)),
    ]
    per_minute = session.rate_limits.max_requests_per_1_minute
    limits: Rows = [("per minute", Text(f"{per_minute} requests"))]
    if session.max_requests_per_1_minute != per_minute:
        top = f"{session.max_requests_per_1_minute} requests per minute"
        limits.append(("top-level", Text(top)))

    workflow = session.workflow
    version = (
        Text("latest (not pinned)", style="dim")
        if workflow.version is None
        else Text(one_line(workflow.version))
    )
    flow: Rows = [
        ("id", Text(one_line(workflow.id))),
        ("version", version),
        ("tracing", Text(_on_off(workflow.tracing.enabled))),
    ]
    variables = workflow.state_variables or {}
    if not variables:
        flow.append(("state", Text("none", style="dim")))
    for i, (key, value) in enumerate(variables.items()):
        line = Text().append(one_line(key), style="bold").append(" = " + state_literal(value))
        flow.append(("state" if i == 0 else "", line))

    config = session.chatkit_configuration
    upload = config.file_upload
    files = Text(_on_off(upload.enabled)).append(
        f"  max files {_or_default(upload.max_files)}, "
        f"max size {_or_default(upload.max_file_size, ' MB')}",
        style="" if upload.enabled else "dim",
    )
    history = config.history
    recent = "all" if history.recent_threads is None else str(history.recent_threads)
    past = Text(_on_off(history.enabled)).append(
        f"  recent threads {recent}", style="" if history.enabled else "dim"
    )
    resolved: Rows = [
        ("auto titling", Text(_on_off(config.automatic_thread_titling.enabled))),
        ("file upload", files),
        ("history", past),
    ]
    return [
        ("", main),
        ("Rate limits", limits),
        ("Workflow", flow),
        ("ChatKit configuration (as resolved by the server)", resolved),
    ]


def session_detail(
    session: ChatSession, now: float, *, revealed: bool = False, pending: bool = False
) -> Group:
    """The detail view: a title, then a two-column grid per section (values wrap in place)."""
    parts: list[RenderableType] = [Text(f"Session {one_line(session.id)}", style="bold")]
    for title, rows in session_sections(session, now, revealed=revealed, pending=pending):
        if title:
            parts.append(Text(f"\n{title}", style="bold underline"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", style="dim", no_wrap=True, width=13)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(Text(label), value)
        parts.append(grid)
    return Group(*parts)


def _or_default(value: int | None, unit: str = "") -> str:
    return "server default" if value is None else f"{value}{unit}"
