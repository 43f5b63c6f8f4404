"""``chatkit-tui threads list|show|items|delete|export`` (and ``purge``: :mod:`.purge`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatkit_tui.client.errors import ChatKitError
from chatkit_tui.client.models import (
    AnyThread,
    AssistantMessageItem,
    ClientToolCallItem,
    TaskGroupItem,
    TaskItem,
    ThreadItem,
    UnknownItem,
    UnknownPiece,
    UnreadableThread,
    UserMessageItem,
    WidgetItem,
)
from chatkit_tui.core.items import describe, thread_metadata
from chatkit_tui.core.text import escaped
from chatkit_tui.core.times import short_time
from chatkit_tui.scripting.common import (
    EXIT_API_ERROR,
    EXIT_DECLINED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    confirm,
    describe_error,
    err,
    format_row,
    json_line,
    out,
    parser_kw,
    refuse_if_read_only,
    require,
    where_acted,
    whole_number,
)

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment

PAGE_SIZE = 100
USER_WIDTH = 24
STATUS_WIDTH = 8
MAX_CONTENT = 500


def _status(thread: AnyThread) -> str:
    return escaped(thread.status.type)


# --- list ---------------------------------------------------------------------------------------


async def list_threads(args: argparse.Namespace, client: Deployment) -> int:
    """Stream threads across pages; ``--limit`` is the total to print."""
    remaining: int | None = args.limit
    if remaining == 0:
        return EXIT_OK
    page_size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
    widths: list[int] | None = None
    printed = 0
    if args.user is not None:
        require(client, "user_filter", "filter threads by user (--user)")
    pager = client.threads.list(user=args.user, limit=page_size, order=args.order)
    async for page in pager.pages():
        rows: list[AnyThread] = list(page.data)
        if remaining is not None:
            rows = rows[: remaining - printed]
        if args.json:
            for thread in rows:
                out(json_line(thread))
        else:
            cells = [
                [
                    escaped(t.id or "-"),
                    short_time(t.created_at),
                    escaped(t.user or "-"),
                    _status(t),
                    escaped(t.title or ("(unreadable: see --json)" if t.id is None else "")),
                ]
                for t in rows
            ]
            if widths is None:
                # widths are fixed by the first page so the table streams
                widths = [
                    max([len("ID"), *(len(c[0]) for c in cells)]),
                    len("2026-01-01 00:00"),
                    min(USER_WIDTH, max([len("USER"), *(len(c[2]) for c in cells)])),
                    STATUS_WIDTH,
                ]
                out(format_row(["ID", "CREATED", "USER", "STATUS", "TITLE"], widths))
            for row in cells:
                out(format_row(row, widths))
        sys.stdout.flush()
        printed += len(rows)
        if remaining is not None and printed >= remaining:
            break
    if not args.json and widths is None:
        err("no threads")
    return EXIT_OK


# --- show ---------------------------------------------------------------------------------------


async def show_thread(args: argparse.Namespace, client: Deployment) -> int:
    thread = await client.threads.retrieve(args.thread_id)
    if args.json:
        out(json_line(thread))
        return EXIT_OK
    rows = [
        ("id", thread.id or "-"),
        ("title", thread.title or "(untitled)"),
        ("user", thread.user or "-"),
        ("status", thread.status.type),
    ]
    if thread.status.reason:
        rows.append(("reason", thread.status.reason))
    if thread.created_at is not None:
        rows.append(("created", f"{short_time(thread.created_at)} UTC ({thread.created_at})"))
    if (metadata := thread_metadata(thread.raw)) is not None:
        rows.append(("metadata", metadata))
    for name, value in rows:
        out(f"{name + ':':<9}{' ' if len(name) > 7 else ''}{escaped(value)}")
    if isinstance(thread, UnreadableThread):
        err(f"the thread did not decode ({escaped(thread.error)}); --json prints it as sent")
    return EXIT_OK


# --- items --------------------------------------------------------------------------------------


def _piece_text(piece: object) -> str:
    if isinstance(piece, UnknownPiece):
        return f"(unknown {piece.type or 'piece'}, raw with --json)"
    text = getattr(piece, "text", "")
    return text if isinstance(text, str) else ""


def item_summary(item: ThreadItem) -> str:
    """One line saying what an item holds (untrusted text, escaped by the caller)."""
    if isinstance(item, UserMessageItem):
        text = " ".join(_piece_text(c) for c in item.content)
        if isinstance(item.quoted_text, str) and item.quoted_text:  # chatkit-python's
            text = f"{item.quoted_text} {text}"  # what it answers, first, as hosted's part
        if item.attachments:
            text += f" [+{len(item.attachments)} attachment(s)]"
        return text
    if isinstance(item, AssistantMessageItem):
        return " ".join(_piece_text(c) for c in item.content)
    if isinstance(item, WidgetItem):
        return item.widget_json
    if isinstance(item, ClientToolCallItem):
        return f"{item.name}({item.arguments_json}) {item.status}"
    if isinstance(item, TaskItem):
        return f"{item.task_type}: {item.heading or ''} {item.summary or ''}".strip()
    if isinstance(item, TaskGroupItem):
        return f"{len(item.tasks)} task(s): " + "; ".join(t.heading or t.type for t in item.tasks)
    if isinstance(item, UnknownItem):
        return f"(unknown item type {item.type!r}, shown raw with --json)"
    described = describe(item)
    words = [*described.extra, *(b.text if b.kind != "raw" else "(raw)" for b in described.blocks)]
    return " ".join(words)


def _item_type(item: ThreadItem) -> str:
    return item.type or "?"


async def list_items(args: argparse.Namespace, client: Deployment) -> int:
    pager = client.threads.list_items(args.thread_id, limit=PAGE_SIZE, order="asc")
    widths: list[int] | None = None
    async for page in pager.pages():
        if args.json:
            for item in page.data:
                out(json_line(item))
            sys.stdout.flush()
            continue
        rows = [
            [
                escaped(item.id or "-"),
                short_time(item.created_at),
                escaped(_item_type(item).removeprefix("chatkit.")),
                escaped(item_summary(item))[:MAX_CONTENT],
            ]
            for item in page.data
        ]
        if widths is None and rows:
            # widths are fixed by the first page so the table streams
            widths = [
                max([len("ID"), *(len(r[0]) for r in rows)]),
                len("2026-01-01 00:00"),
                max([len("TYPE"), *(len(r[2]) for r in rows)]),
            ]
            out(format_row(["ID", "CREATED", "TYPE", "CONTENT"], widths))
        for row in rows:
            out(format_row(row, widths or []))
        sys.stdout.flush()
    if not args.json and widths is None:
        err("the thread has no items")
    return EXIT_OK


# --- delete ---------------------------------------------------------------------------------------


def confirm_delete(args: argparse.Namespace) -> int | None:
    """Runs before the client starts: None to go on, or the exit code to stop with."""
    refuse_if_read_only(args, args.config_resolved, "delete threads")
    args.thread_ids = ids = list(dict.fromkeys(args.thread_ids))  # once each, in order
    noun = "thread" if len(ids) == 1 else "threads"
    question = f"Delete {len(ids)} {noun} from {where_acted(args)}?"
    if args.yes or confirm(question, refusing="delete"):
        return None
    err("nothing deleted")
    return EXIT_DECLINED


async def delete_threads(args: argparse.Namespace, client: Deployment) -> int:
    """Archive then delete each thread, as the app does; a 404 is "already gone" (not an
    error: the thread is not there, which is what was asked)."""
    from chatkit_tui.core.delete import Outcome, archive_then_delete

    ids: list[str] = args.thread_ids
    codes: list[int] = []
    for thread_id in ids:
        result = await archive_then_delete(client, thread_id, archive_dir=args.archive_dir)
        archive = str(result.archive) if result.archive is not None else None
        if result.outcome is Outcome.FAILED:
            error = result.error
            if not isinstance(error, ChatKitError | OSError):
                raise error or RuntimeError(result.reason)
            message, code = describe_error(error)
            what = "archived but not deleted" if archive else "not deleted: could not archive"
            if args.json:
                out(
                    json_line(
                        {
                            "id": thread_id,
                            "outcome": result.outcome.value,
                            "deleted": False,
                            "archive": archive,
                            "error": message,
                        }
                    )
                )
            err(f"error: {escaped(thread_id)}: {what}: {message}")
            codes.append(code)
            continue
        if args.json:
            out(
                json_line(
                    {
                        "id": thread_id,
                        "outcome": result.outcome.value,
                        "deleted": True,
                        "archive": archive,
                    }
                )
            )
        elif result.outcome is Outcome.GONE:
            where = f"archived to {archive}" if archive else "nothing to archive"
            out(f"already gone {escaped(thread_id)} ({where})")
        else:
            out(f"deleted {escaped(thread_id)} (archived to {archive})")
    if not codes:
        return EXIT_OK
    if len(ids) > 1:
        err(f"{len(codes)} of {len(ids)} threads not deleted")
    return codes[0] if len(set(codes)) == 1 else EXIT_API_ERROR


# --- export ---------------------------------------------------------------------------------------


async def export_thread(args: argparse.Namespace, client: Deployment) -> int:
    from chatkit_tui.core.export import ExportExists, default_export_dir, export_thread_by_id

    try:
        paths = await export_thread_by_id(
            client, args.thread_id, args.dir, existing="overwrite" if args.force else "refuse"
        )
    except ExportExists as exc:
        raise ScriptError(
            f"{escaped(str(exc.filename))} exists: nothing written (--force overwrites it)",
            EXIT_USAGE,
        ) from None
    except OSError as exc:  # e.g. --dir names a file, or is not writable
        message, code = describe_error(exc)
        directory = args.dir or default_export_dir()
        err(f"error: could not write the export to {escaped(str(directory))}: {message}")
        return code
    if args.json:
        out(json_line({"json": str(paths.json), "markdown": str(paths.markdown)}))
    else:
        out(str(paths.json))
        out(str(paths.markdown))
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------------------


def _user(text: str) -> str:
    if not 1 <= len(text) <= 512:
        raise argparse.ArgumentTypeError("a user is 1 to 512 characters")
    return text


def add_threads_parser(sub: Any) -> None:
    threads = sub.add_parser(
        "threads",
        help="list, show, read, delete, export or purge threads",
        description=(
            "The threads of the deployment (or of a mirror with --mirror, or of the demo "
            "with --demo): list them, show one, read its items, export it, delete some "
            "(each archived first), or purge every thread a rule matches."
        ),
        **parser_kw("threads"),
    )
    actions = threads.add_subparsers(dest="action", metavar="ACTION")

    p = actions.add_parser(
        "list",
        help="list threads, newest first (streams across pages)",
        description="List threads. Streams across pages; --json prints one thread per line.",
        **parser_kw("threads list"),
    )
    p.add_argument("--user", type=_user, metavar="USER", help="only threads of this user")
    p.add_argument(
        "--limit",
        type=whole_number,
        default=None,
        metavar="N",
        help="print at most N (default: all)",
    )
    p.add_argument("--order", choices=("asc", "desc"), default="desc", help="by creation time")
    p.add_argument("--json", action="store_true", help="JSON lines, one thread per line")
    p.set_defaults(handler=list_threads)

    p = actions.add_parser(
        "show", help="show one thread", description="Show one thread.", **parser_kw("threads show")
    )
    p.add_argument("thread_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="the thread as JSON")
    p.set_defaults(handler=show_thread)

    p = actions.add_parser(
        "items",
        help="list a thread's items in reading order",
        description="List every item of a thread, oldest first (all pages).",
        **parser_kw("threads items"),
    )
    p.add_argument("thread_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="JSON lines, one item per line, as sent")
    p.set_defaults(handler=list_items)

    p = actions.add_parser(
        "delete",
        help="delete threads (each archived first)",
        description=(
            "Delete threads. Each thread and all its items are first saved as JSON in the "
            "archive directory; a thread that cannot be archived is not deleted. Asks for "
            "confirmation unless --yes; without a terminal and without --yes it refuses."
        ),
        **parser_kw("threads delete"),
    )
    p.add_argument("thread_ids", metavar="ID", nargs="+")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--archive-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where archives go (default: the user data directory's archive/)",
    )
    p.add_argument("--json", action="store_true", help="one JSON line per thread")
    p.set_defaults(handler=delete_threads, before=confirm_delete)

    p = actions.add_parser(
        "export",
        help="write a thread as JSON and as a Markdown transcript",
        description="Write <ID>.json and <ID>.md and print their paths.",
        **parser_kw("threads export"),
    )
    p.add_argument("thread_id", metavar="ID")
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="output directory, made if missing (default: the user data directory's exports/)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite <ID>.json and <ID>.md if they exist"
    )
    p.add_argument("--json", action="store_true", help="print the paths as JSON")
    p.set_defaults(handler=export_thread)

    from chatkit_tui.scripting.purge import add_purge_parser

    add_purge_parser(actions, parser_kw("threads purge"))
    threads.set_defaults(handler=None, subparser=threads)
