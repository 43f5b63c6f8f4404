"""``chatkit-tui mirror`` (copy a deployment into a local file) and ``chatkit-tui search``
(full text over that file, no API key needed).

Output: on a terminal, ``mirror`` draws a progress line on stderr and prints a summary;
``--json`` prints JSON lines instead (``thread`` events for what changed, ``progress`` about
once a second, a ``summary`` last). ``search`` prints a table of hits (API text escaped,
matches in bold on a terminal) or, with ``--json``, one object per hit with its snippet as
it is. Exit codes as every command's, and 8 when a mirror run left something undone
(threads that failed, a listing cut short): run it again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chatkit_tui.core.text import cell_len, escaped, fit, plural
from chatkit_tui.core.times import short_time
from chatkit_tui.scripting.common import (
    EXIT_API_ERROR,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    concurrency,
    err,
    out,
    parser_kw,
    resolve_config,
    whole_number,
)
from chatkit_tui.scripting.threads import _user  # the API's bounds on a user, checked once

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.core.mirror import Mirror, SearchHit, SyncProgress, SyncSummary, ThreadOutcome

PROGRESS_EVERY = 0.1  # seconds between redraws of the progress line
JSON_PROGRESS_EVERY = 1.0


def _json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _duration(seconds: float) -> str:
    """``0.4s``, ``42s``, ``3m05s``, ``1h02m``."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


# --- mirror -----------------------------------------------------------------------------------


class _ProgressLine:
    """One line on a terminal, redrawn in place at most every :data:`PROGRESS_EVERY` s."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = 0.0
        self._drawn = False

    def update(self, p: SyncProgress, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        width = shutil.get_terminal_size().columns
        known = f"{p.known:,}" + ("" if p.listing_done else "+")
        parts = [f"{p.done:,}/{known} threads", f"{p.items:,} items"]
        if p.rate:
            parts.append(f"{p.rate:,.0f}/s")
        if p.eta is not None:
            parts.append(f"ETA {_duration(p.eta)}")
        elif not p.listing_done:
            parts.append("listing")
        if p.waiting:
            parts.append(f"rate limited: waiting {_duration(p.waiting)}, {p.concurrency} at a time")
        if p.failed:
            parts.append(f"{p.failed:,} failed")
        text = "  ".join(parts)
        room = width - cell_len(text) - 4
        if room >= 10:
            bar = min(room, 40)
            share = p.done / p.known if p.known else 0.0
            filled = round(bar * share) if p.listing_done else min(bar - 1, round(bar * share))
            text = "[" + "#" * filled + "." * (bar - filled) + "]  " + text
        self.stream.write("\r\x1b[K" + fit(text, width - 1).rstrip())
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


def _mirror_path(args: argparse.Namespace, base_url: str, project: str | None) -> Path:
    from chatkit_tui.core.mirror import default_mirror_path

    return Path(args.db).expanduser() if args.db else default_mirror_path(base_url, project)


def _open_for_run(path: Path, client: AsyncChatKit) -> Mirror:
    from chatkit_tui.core.mirror import Mirror, MirrorError, Origin

    origin = Origin(client.base_url, client.organization, client.project)
    try:
        return Mirror.open(path, create=True, origin=origin)
    except MirrorError as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None
    except OSError as exc:
        raise ScriptError(f"cannot open {path}: {exc.strerror or exc}", EXIT_USAGE) from None


async def mirror_command(args: argparse.Namespace, client: AsyncChatKit) -> int:
    from chatkit_tui.core.mirror import MirrorSync

    path = _mirror_path(args, client.base_url, client.project)
    mirror = _open_for_run(path, client)
    json_out: bool = args.json
    line = _ProgressLine(sys.stderr) if not json_out and sys.stderr.isatty() else None
    last_json = [0.0]

    def on_thread(outcome: ThreadOutcome) -> None:
        if json_out and outcome.outcome != "unchanged":
            event: dict[str, Any] = {
                "event": "thread",
                "id": outcome.thread_id,
                "outcome": outcome.outcome,
                "items": outcome.items,
            }
            if outcome.error is not None:
                event["error"] = outcome.error
            out(_json(event))

    def on_progress(p: SyncProgress) -> None:
        if line is not None:
            line.update(p)
        elif json_out and time.monotonic() - last_json[0] >= JSON_PROGRESS_EVERY:
            last_json[0] = time.monotonic()
            out(_json(_progress_event(p)))

    if json_out:
        out(_json({"event": "start", "db": str(path), "origin": str(mirror.origin)}))
    sync = MirrorSync(
        client,
        mirror,
        user=args.user,
        concurrency=args.concurrency,
        prune=args.prune,
        full=args.full,
        on_thread=on_thread,
        on_progress=on_progress,
    )
    with mirror:
        try:
            summary = await sync.run()
        except asyncio.CancelledError:  # Ctrl-C: say what is kept, then stop as usual
            if line is not None:
                line.clear()
            done = sync.summary
            err(
                f"interrupted: {plural(done.new + done.changed + done.grown)} written this run"
                f" to {path} are kept; run it again to carry on"
            )
            raise
        except (sqlite3.Error, OSError) as exc:  # the file, not the API: a full disk, ...
            raise ScriptError(
                f"could not write the mirror {path}: {escaped(str(exc))}; what was"
                " committed before is kept",
                EXIT_API_ERROR,
            ) from None
        finally:
            if line is not None:
                line.clear()
    if json_out:
        out(_json(_summary_event(summary, path)))
    else:
        _print_summary(summary, path)
    return EXIT_OK if summary.complete else EXIT_INCOMPLETE


def _progress_event(p: SyncProgress) -> dict[str, Any]:
    return {
        "event": "progress",
        "done": p.done,
        "known": p.known,
        "listing_done": p.listing_done,
        "items": p.items,
        "rate": round(p.rate, 1),
        "eta": None if p.eta is None else round(p.eta, 1),
        "concurrency": p.concurrency,
        "waiting": round(p.waiting, 1),
        "requests": p.requests,
    }


def _summary_event(s: SyncSummary, path: Path) -> dict[str, Any]:
    return {
        "event": "summary",
        "db": str(path),
        "complete": s.complete,
        "threads": s.threads,
        "new": s.new,
        "changed": s.changed,
        "grown": s.grown,
        "unchanged": s.unchanged,
        "items": s.items,
        "gone": s.gone,
        "vanished": s.vanished,
        "pruned": s.pruned,
        "unreadable": s.unreadable,
        "failed": [{"id": f.thread_id, "error": f.error} for f in s.failed],
        "listing_complete": s.listing_complete,
        "listing_error": s.listing_error,
        "requests": s.requests,
        "rate_limited": s.rate_limited,
        "lowest_concurrency": s.lowest_concurrency,
        "seconds": round(s.elapsed, 3),
    }


def _print_summary(s: SyncSummary, path: Path) -> None:
    parts = [f"new {s.new:,}", f"changed {s.changed:,}", f"new items in {s.grown:,}"]
    parts.append(f"unchanged {s.unchanged:,}")
    out(f"mirrored {plural(s.threads)} ({', '.join(parts)}) into {path}")
    more = [f"{plural(s.items, 'item')} written", f"gone {s.gone:,}", f"failed {len(s.failed):,}"]
    if s.pruned:
        more.append(f"pruned {s.pruned:,}")
    if s.unreadable:
        more.append(f"unreadable records kept raw {s.unreadable:,}")
    more.append(f"{s.requests:,} requests in {_duration(s.elapsed)}")
    if s.rate_limited:
        more.append(f"rate limited {s.rate_limited:,}x (down to {s.lowest_concurrency} at a time)")
    out(", ".join(more))
    for failure in s.failed:
        err(f"failed: {escaped(failure.thread_id)}: {escaped(failure.error or '')}")
    if s.failed:
        err(f"{plural(len(s.failed))} failed; they are tried again next run")
    if not s.listing_complete:
        why = f": {escaped(s.listing_error)}" if s.listing_error else ""
        err(f"the thread list was not read to its end{why}; no thread was marked gone")


# --- search -------------------------------------------------------------------------------------


def since_arg(text: str) -> int:
    """argparse type: a date (``2026-11-01``, midnight UTC), a date-time (no zone: UTC) or
    an age (``12h``, ``7d``, ``2w``), read as ``threads purge`` reads them. Epoch seconds."""
    from chatkit_tui.core.purge import RuleError, parse_cutoff

    try:
        return parse_cutoff(text, time.time())[0]
    except RuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bold_allowed() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _snippet_cell(hit: SearchHit, room: int | None, bold: bool) -> str:
    """The snippet on one line: white space folded, every piece escaped, cut to ``room``
    columns, the matches in bold when ``bold``."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in hit.spans:
        pieces.append((hit.snippet[at:start], False))
        pieces.append((hit.snippet[start:end], True))
        at = end
    pieces.append((hit.snippet[at:], False))
    cells: list[tuple[str, bool]] = []
    used = 0
    for text, marked in pieces:
        shown = escaped(re.sub(r"\s+", " ", text))
        if room is not None and used + cell_len(shown) > room:
            shown = fit(shown, max(0, room - used)).rstrip()
            cells.append((shown, marked))
            break
        cells.append((shown, marked))
        used += cell_len(shown)
    if not bold:
        return "".join(text for text, _ in cells).strip()
    return "".join(f"\x1b[1m{t}\x1b[22m" if m and t else t for t, m in cells).strip()


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "thread_id": hit.thread_id,
        "item_id": hit.item_id,
        "seq": hit.seq,
        "type": hit.kind,
        "created_at": hit.created_at,
        "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.spans],
        "rank": hit.rank,
        "thread_title": hit.thread_title,
        "user": hit.user,
        "gone": hit.gone,
    }


def _open_for_search(args: argparse.Namespace) -> Mirror:
    from chatkit_tui.client.client import DEFAULT_BASE_URL
    from chatkit_tui.core.mirror import Mirror, MirrorError, default_mirror_dir

    if args.db:
        path = Path(args.db).expanduser()
    else:
        config = resolve_config(args)
        path = _mirror_path(args, config.base_url or DEFAULT_BASE_URL, config.project)
    try:
        return Mirror.open(path, read_only=True)
    except FileNotFoundError:
        others = sorted(p.name for p in default_mirror_dir().glob("*.sqlite3"))
        hint = (
            f"; mirrors in {default_mirror_dir()}: {', '.join(others)} (pass --db)"
            if others
            else ""
        )
        raise ScriptError(
            f"no mirror at {path}: run chatkit-tui mirror first{hint}", EXIT_USAGE
        ) from None
    except MirrorError as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None


def search_command(args: argparse.Namespace) -> int:
    from chatkit_tui.core.mirror.search import match_expression

    query = " ".join(args.query)
    if match_expression(query) is None:
        raise ScriptError(
            f"nothing to search for in {escaped(query)!r}: no letters or digits", EXIT_USAGE
        )
    with _open_for_search(args) as mirror:
        try:
            hits = mirror.search(
                query, user=args.user, since=args.since, kinds=args.type, limit=args.limit
            )
        except sqlite3.Error as exc:  # a file locked, damaged or cut short
            raise ScriptError(
                f"the mirror {mirror.path} could not be read: {exc}", EXIT_API_ERROR
            ) from None
    if args.json:
        for hit in hits:
            out(_json(_hit_json(hit)))
        return EXIT_OK
    if not hits:
        err("no matches")
        return EXIT_OK
    rows = [
        [
            escaped(hit.thread_id) + (" (gone)" if hit.gone else ""),
            escaped(hit.item_id or "-"),
            escaped(hit.kind),
            short_time(hit.created_at),
        ]
        for hit in hits
    ]
    widths = [max(len(h), *(cell_len(r[i]) for r in rows)) for i, h in enumerate(_HEADS[:-1])]
    bold = _bold_allowed()
    room: int | None = None
    if sys.stdout.isatty():
        room = max(20, shutil.get_terminal_size().columns - sum(widths) - 2 * len(widths))
    out("  ".join(fit(h, w) for h, w in zip(_HEADS, widths, strict=False)) + "  " + _HEADS[-1])
    for row, hit in zip(rows, hits, strict=True):
        cells = [fit(cell, width) for cell, width in zip(row, widths, strict=True)]
        out("  ".join([*cells, _snippet_cell(hit, room, bold)]))
    return EXIT_OK


_HEADS = ("THREAD", "ITEM", "TYPE", "CREATED", "SNIPPET")


def run_search(args: argparse.Namespace) -> int:
    """``chatkit-tui search``: no client, no key; errors to stderr with their exit code."""
    try:
        return search_command(args)
    except ScriptError as exc:
        err(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


# --- parsers --------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add_mirror_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "mirror",
        help="copy every thread and item into a local SQLite file (resumable, incremental)",
        description=(
            "Copy every thread and every item of the deployment into a SQLite file, each as "
            "the exact JSON the API sent, with a full-text index (see 'search'). Run it again "
            "to carry on after an interruption or to pick up what changed: new threads, new "
            "items, status and title changes; threads deleted upstream are marked gone and "
            "kept (--prune deletes them). A thread that keeps failing is reported and tried "
            "again next run."
        ),
        **parser_kw("mirror"),
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help="the mirror file (default: one per endpoint in the user data directory's mirrors/)",
    )
    p.add_argument("--user", type=_user, metavar="USER", help="only the threads of this user")
    p.add_argument(
        "--concurrency",
        type=concurrency,
        default=8,
        metavar="N",
        help="requests in flight (default 8; halved while the API rate-limits)",
    )
    p.add_argument(
        "--prune", action="store_true", help="delete the threads marked gone from the mirror"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="read every thread's items from the first (finds items edited in place)",
    )
    p.add_argument("--json", action="store_true", help="JSON lines instead of a progress bar")
    p.set_defaults(handler=mirror_command)

    p = sub.add_parser(
        "search",
        help="full-text search of a mirror (no API key needed)",
        description=(
            "Search the titles and item text of a mirror: words (all must be in the same "
            'item), "quoted phrases", and prefixes (refund*). Best matches first, each with '
            "a snippet. Nothing in the query is taken as search syntax beyond that."
        ),
        **parser_kw("search"),
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help="what to look for")
    p.add_argument("--db", metavar="PATH", help="the mirror file (default: the endpoint's)")
    p.add_argument("--user", type=_user, metavar="USER", help="only the threads of this user")
    p.add_argument(
        "--since",
        type=since_arg,
        metavar="DATE|AGE",
        help="only what was created since: 2026-11-01, a date-time, or an age (7d, 12h)",
    )
    p.add_argument(
        "--type",
        action="append",
        metavar="TYPE",
        help="only this type: title, user_message, assistant_message, client_tool_call, "
        "widget, task, ... (repeat for several)",
    )
    p.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="at most N hits (default 20)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    p.set_defaults(runner=run_search)
