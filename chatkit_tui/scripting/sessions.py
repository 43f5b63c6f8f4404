"""``chatkit-tui sessions create|cancel``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, cast

from chatkit_tui.client.models import ChatSession
from chatkit_tui.core.session_params import (
    SessionFields,
    SessionParamsError,
    build_session_body,
    create_kwargs,
)
from chatkit_tui.core.text import escaped
from chatkit_tui.core.times import short_time
from chatkit_tui.scripting.common import (
    EXIT_DECLINED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    confirm,
    err,
    json_line,
    out,
    parser_kw,
    refuse_if_read_only,
    require,
    where_acted,
)

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.resources import Sessions

_FLAG = {
    "user": "--user",
    "workflow": "--workflow",
    "state": "--state",
    "expires_after": "--expires-after",
    "rpm": "--rpm",
    "max_files": "--max-files",
    "max_file_size": "--max-file-size",
    "recent_threads": "--recent-threads",
    "file_upload": "--no-file-upload",
    "history": "--no-history",
}


def fields_from_args(args: argparse.Namespace) -> SessionFields:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return SessionFields(
        user=args.user,
        workflow=args.workflow,
        version=text(args.version),
        state=list(args.state or []),
        tracing=args.tracing,
        expires_after=text(args.expires_after),
        rpm=text(args.rpm),
        titling=args.titling,
        file_upload=args.file_upload,
        max_files=text(args.max_files),
        max_file_size=text(args.max_file_size),
        history=args.history,
        recent_threads=text(args.recent_threads),
    )


def mask(secret: str) -> str:
    return secret[:6] + "…" + f" ({len(secret)} characters; --show-secret or --json to see it)"


def print_session(session: ChatSession, *, show_secret: bool) -> None:
    workflow = session.workflow
    config = session.chatkit_configuration
    rows: list[tuple[str, str]] = [
        ("id", session.id),
        ("status", session.status),
        ("user", session.user),
        ("expires", f"{short_time(session.expires_at)} UTC ({session.expires_at})"),
        ("secret", session.client_secret if show_secret else mask(session.client_secret)),
        ("workflow", workflow.id + (f" (version {workflow.version})" if workflow.version else "")),
        ("tracing", "on" if workflow.tracing.enabled else "off"),
        ("rpm", str(session.rate_limits.max_requests_per_1_minute)),
        ("titling", "on" if config.automatic_thread_titling.enabled else "off"),
    ]
    upload = config.file_upload
    rows.append(
        (
            "uploads",
            "off"
            if not upload.enabled
            else f"on (max files {upload.max_files}, max size {upload.max_file_size} MB)",
        )
    )
    history = config.history
    rows.append(
        (
            "history",
            "off"
            if not history.enabled
            else f"on (recent threads {history.recent_threads or 'unlimited'})",
        )
    )
    for key, value in sorted((workflow.state_variables or {}).items()):
        rows.append((f"state.{key}", repr(value) if not isinstance(value, str) else value))
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        out(f"{name + ':':<{width}}{escaped(value)}")


def refuse_in_read_only(args: argparse.Namespace) -> None:
    """Read-only mode creates and cancels no sessions (as in the app)."""
    refuse_if_read_only(args, args.config_resolved, "create or cancel sessions")


def confirm_cancel(args: argparse.Namespace) -> int | None:
    """Runs before the client starts: not in read-only mode, and asked as the app asks
    (its client secret stops working at once): None to go on, or the exit code."""
    refuse_in_read_only(args)
    question = (
        f"Cancel session {escaped(args.session_id)} on {where_acted(args)}? "
        "Its client secret stops working."
    )
    if args.yes or confirm(question, refusing="cancel a session"):
        return None
    err("nothing cancelled")
    return EXIT_DECLINED


def _sessions(client: Deployment) -> Sessions:
    """The deployment's sessions (hosted ChatKit's): exit 2 where it has none."""
    require(client, "sessions", "mint or cancel ChatKit sessions")
    return cast("AsyncChatKit", client).sessions


async def create_session(args: argparse.Namespace, client: Deployment) -> int:
    try:
        body = build_session_body(fields_from_args(args))
    except SessionParamsError as exc:
        problems = "; ".join(f"{_FLAG.get(k, k)} {v}" for k, v in exc.errors.items())
        raise ScriptError(problems, EXIT_USAGE) from None
    session = await _sessions(client).create(**create_kwargs(body))
    if args.json:
        out(json_line(session))
    else:
        print_session(session, show_secret=args.show_secret)
    return EXIT_OK


async def cancel_session(args: argparse.Namespace, client: Deployment) -> int:
    session = await _sessions(client).cancel(args.session_id)
    if args.json:
        out(json_line(session))
    else:
        out(f"{escaped(session.id)}: {escaped(session.status)}")
    return EXIT_OK


def add_sessions_parser(sub: Any) -> None:
    sessions = sub.add_parser(
        "sessions",
        help="create or cancel ChatKit sessions",
        description=(
            "ChatKit sessions: create one for an end user and a workflow (its client secret "
            "is what a ChatKit front end needs), or cancel one (its secret stops working)."
        ),
        **parser_kw("sessions"),
    )
    actions = sessions.add_subparsers(dest="action", metavar="ACTION")

    p = actions.add_parser(
        "create",
        help="create a session for a user and workflow",
        description=(
            "Create a ChatKit session. Every value is checked before the request. "
            "--state takes key=value (true/false and numbers are typed; quote to keep a "
            "string: flag='\"true\"'). The client secret is masked unless --show-secret or --json."
        ),
        **parser_kw("sessions create"),
    )
    p.add_argument("--user", required=True, metavar="USER", help="the end user the session is for")
    p.add_argument("--workflow", required=True, metavar="ID", help="workflow id (wf_...)")
    p.add_argument(
        "--version", metavar="VERSION", help="workflow version (default: latest deployed)"
    )
    p.add_argument(
        "--state", action="append", metavar="KEY=VALUE", help="a state variable (repeatable)"
    )
    p.add_argument(
        "--tracing",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="workflow tracing (default: the server's, on)",
    )
    p.add_argument("--expires-after", metavar="SECONDS", help="1-600 (default 600)")
    p.add_argument("--rpm", metavar="N", help="max requests per minute (default 10)")
    p.add_argument(
        "--titling",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="automatic thread titling",
    )
    p.add_argument(
        "--file-upload", action=argparse.BooleanOptionalAction, default=None, help="file uploads"
    )
    p.add_argument("--max-files", metavar="N", help="max files per session (>= 1)")
    p.add_argument("--max-file-size", metavar="MB", help="max file size in MB (1-512)")
    p.add_argument(
        "--history", action=argparse.BooleanOptionalAction, default=None, help="chat history"
    )
    p.add_argument("--recent-threads", metavar="N", help="recent threads in history (>= 1)")
    p.add_argument("--show-secret", action="store_true", help="print the client secret")
    p.add_argument("--json", action="store_true", help="the session as JSON (with the secret)")
    p.set_defaults(handler=create_session, before=refuse_in_read_only)

    p = actions.add_parser(
        "cancel",
        help="cancel a session",
        description=(
            "Cancel a session by id: its client secret stops working at once. Asks for "
            "confirmation unless --yes; without a terminal and without --yes it refuses."
        ),
        **parser_kw("sessions cancel"),
    )
    p.add_argument("session_id", metavar="ID")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="the session as JSON")
    p.set_defaults(handler=cancel_session, before=confirm_cancel)
    sessions.set_defaults(handler=None, subparser=sessions)
