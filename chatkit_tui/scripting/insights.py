"""``chatkit-tui insights``: a whole deployment at a glance, from its mirror.

No key, no network: the figures of :mod:`chatkit_tui.core.insights` over the mirror
file (``--db PATH``, ``--mirror PATH``, or the endpoint's), filtered by ``--since`` /
``--until`` (what ``search --since`` and ``threads purge --before`` read) and
``--user``. Without ``--json``: a summary for people, every piece of API text escaped;
with it: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from chatkit_tui.core.text import cell_len, escaped, fit, plural
from chatkit_tui.scripting.common import (
    EXIT_API_ERROR,
    EXIT_BUSY,
    EXIT_DAMAGED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    err,
    mirror_exit,
    note_if_not_of,
    out,
    parser_kw,
)

__all__ = ["add_insights_parser", "insights_json", "run_insights"]

_ROWS = 14
"""Rows of a per-day (per-week) table printed; --json has them all."""
_LISTED = 10
"""Threads of each "went wrong" list printed."""


def _until_arg(text: str) -> int:
    """argparse type: like ``--since``; a bare date means through the end of that day."""
    from chatkit_tui.scripting.mirror import since_arg

    value = since_arg(text)
    stripped = text.strip()
    return value + 86_400 if len(stripped) == 10 and stripped[4] == "-" else value


def _user(text: str) -> str:
    if not 1 <= len(text) <= 512:
        raise argparse.ArgumentTypeError("a user is 1 to 512 characters")
    return text


def add_insights_parser(sub: Any) -> None:
    p = sub.add_parser(
        "insights",
        help="a whole deployment at a glance from its mirror: use, users, failures, answer times",
        description=(
            "Figures over a mirror (chatkit-tui mirror makes one): threads and users per day "
            "(per week over long ranges), the busiest hours, statuses with their reasons, item "
            "types, items per thread, time to answer (from a user message to the first "
            "assistant message after it; of several user messages in a row the last counts), "
            "conversations that went wrong (unanswered, client tool calls pending, tasks and "
            "workflows unfinished), tool calls by name, widgets, attachments, the most active "
            "users. Days are UTC. Threads deleted upstream (gone) are counted until "
            "mirror --prune removes them. No key, no network. A mirror made before insights "
            "gets its summaries built once, in place, when it can be written."
        ),
        **parser_kw("insights"),
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help="the mirror file, or a postgresql:// URL (default: a profile's mirror, else the"
        " endpoint's file)",
    )
    p.add_argument(
        "--since",
        type=_since_arg,
        metavar="DATE|AGE",
        help="only threads created since: 2026-11-01, a date-time (UTC unless it says), or an "
        "age (7d, 12h)",
    )
    p.add_argument(
        "--until",
        type=_until_arg,
        metavar="DATE|AGE",
        help="only threads created before: a date counts through that day (2026-11-30), a "
        "date-time up to it, an age up to that long ago",
    )
    p.add_argument("--user", type=_user, metavar="USER", help="only the threads of this user")
    p.add_argument("--json", action="store_true", help="one JSON object with every figure")
    p.add_argument(
        "--svg",
        metavar="PATH",
        help="also draw every chart, as the app's insights screen does, in one SVG picture"
        " (self-contained: opens in a browser) instead of the text summary; its folders are"
        " made if missing, a file there is not overwritten without --force",
    )
    p.add_argument("--force", action="store_true", help="--svg may overwrite its file")
    p.set_defaults(runner=run_insights)


def _since_arg(text: str) -> int:
    from chatkit_tui.scripting.mirror import since_arg

    return since_arg(text)


def run_insights(args: argparse.Namespace) -> int:
    """``chatkit-tui insights``: errors to stderr with their exit code."""
    from chatkit_tui.scripting.mirror import _run_offline  # pyright: ignore[reportPrivateUsage]

    return _run_offline(insights_command, args)


def insights_command(args: argparse.Namespace) -> int:
    from chatkit_tui.core.insights import Filters, SummariesMissing, gather
    from chatkit_tui.core.mirror import MirrorBusyError, MirrorDamaged, MirrorError

    if args.since is not None and args.until is not None and args.since >= args.until:
        raise ScriptError(
            f"--since ({_moment(args.since)}) is not before --until (before"
            f" {_moment(args.until)}):"
            " no thread can be in between",
            EXIT_USAGE,
        )
    filters = Filters(since=args.since, until=args.until, user=args.user)
    path, config = _path(args)
    try:
        mirror = _open(path, build=not getattr(args, "read_only", False))
        try:
            note_if_not_of(mirror, args, config)
            figures = gather(mirror, filters)
            if filters.user is not None and not figures.overview.threads:
                _note_no_threads_of(mirror, filters)
        finally:
            mirror.close()
    except SummariesMissing as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None
    except MirrorBusyError as exc:
        raise ScriptError(
            f"{exc}; the mirror was made before insights and that run builds its summaries:"
            " try again when it is done",
            EXIT_BUSY,
        ) from None
    except MirrorDamaged as exc:
        raise ScriptError(str(exc), EXIT_DAMAGED) from None
    except MirrorError as exc:  # PostgreSQL failed a read (said without the password)
        raise ScriptError(str(exc), mirror_exit(exc, EXIT_API_ERROR)) from None
    except sqlite3.Error as exc:  # a file locked or cut short
        raise ScriptError(f"the mirror {path} could not be read: {exc}", EXIT_API_ERROR) from None
    if args.svg:
        _write_svg(args.svg, path, figures, force=args.force)
    if args.json:
        out(json.dumps(insights_json(figures), ensure_ascii=False, separators=(",", ":")))
    elif not args.svg:
        _print(path, figures)
    return EXIT_OK


def _note_no_threads_of(mirror: Any, filters: Any) -> None:
    """``--user`` found nothing: said, as zeros alone read like a user who did nothing
    (a mistyped id, say); whether the user has threads outside the dates given."""
    from chatkit_tui.core.insights import Filters, gather

    user = escaped(filters.user)
    dated = filters.since is not None or filters.until is not None
    anywhere = gather(mirror, Filters(user=filters.user)).overview.threads if dated else 0
    if anywhere:
        err(f"note: user {user} has {plural(anywhere)} in the mirror, none in these dates")
    else:
        err(
            f"note: the mirror has no thread of user {user} (a user is matched exactly, case"
            " and all; the most active users are listed without --user)"
        )


def _write_svg(file: str, path: Any, figures: Any, *, force: bool = False) -> None:
    """The charts as a picture (:mod:`chatkit_tui.core.charts.picture`), written whole or
    not at all; the file named on stderr (stdout stays the JSON's)."""
    from pathlib import Path

    from chatkit_tui.core.charts.picture import insights_svg
    from chatkit_tui.core.paths import atomic_write

    target = Path(file).expanduser()
    if not force and (target.exists() or target.is_symlink()):
        raise ScriptError(f"{target} exists: nothing written (--force overwrites it)", EXIT_USAGE)
    svg = insights_svg(figures, what=f"mirror {path}", scope=_scope(figures.filters))
    try:
        atomic_write(target, svg)
    except OSError as exc:
        raise ScriptError(f"cannot write {target}: {exc.strerror or exc}", EXIT_USAGE) from None
    err(f"insights picture written to {target}")


def _path(args: argparse.Namespace) -> tuple[Any, Any]:
    """The mirror to read, and the configuration that named it (None: ``--db``)."""
    from chatkit_tui.client.client import DEFAULT_BASE_URL
    from chatkit_tui.scripting.mirror import _mirror_path  # pyright: ignore[reportPrivateUsage]

    if args.db:  # a file or a postgresql:// URL (with the profile's password command)
        return _mirror_path(args, DEFAULT_BASE_URL, None), None
    from chatkit_tui.backends import origin
    from chatkit_tui.scripting.common import resolve_config

    config = resolve_config(args, key=False)  # a mirror is read: no key needed
    base, project = origin(config)  # the chosen backend's, else the API's
    return _mirror_path(args, base or DEFAULT_BASE_URL, project), config


def _open(path: Any, *, build: bool) -> Any:
    """The mirror, summaries built; the worded errors of ``search`` for a missing file or
    one that is not a mirror."""
    from chatkit_tui.core.insights.opening import open_for_insights
    from chatkit_tui.core.mirror import MirrorDamaged, MirrorError, default_mirror_dir

    try:
        return open_for_insights(path, build=build)
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
    except MirrorDamaged:
        raise
    except MirrorError as exc:
        raise ScriptError(str(exc), mirror_exit(exc)) from None


def _scope(filters: Any) -> str:
    """Which threads: ``since ..., before ..., of user ...`` or ``every thread``."""
    scope: list[str] = []
    if filters.since is not None:
        scope.append(f"since {_moment(filters.since)}")
    if filters.until is not None:
        scope.append(f"before {_moment(filters.until)}")
    if filters.user is not None:
        scope.append(f"of user {escaped(filters.user)}")
    return ", ".join(scope) or "every thread"


def _moment(epoch: int) -> str:
    """``epoch`` as a UTC date-time, the year in four digits (strftime gives ``1`` for
    year 1); one past the calendar (``--until 9999-12-31`` ends in year 10000, and a
    zone can put year 1 in year 0) as the calendar's edge, not a traceback."""
    try:
        moment = datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, ValueError, OSError):
        return "the end of 9999" if epoch > 0 else "the start of year 1"
    return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S} UTC"


# --- JSON ---------------------------------------------------------------------------------------


def insights_json(figures: Any) -> dict[str, Any]:
    """Every figure as one JSON object: the issue's keys at the top (``threads``, ``users``,
    ``threads_per_day``, ``statuses``, ``item_types``, ``items_per_thread`` and
    ``time_to_answer_s`` as ``{"median", "p95", ...}``, ``unanswered`` (a count),
    ``tool_calls``), then the rest."""
    import msgspec

    from chatkit_tui.core.insights import Insights

    assert isinstance(figures, Insights)
    f = figures
    wrong = f.went_wrong

    def listed(threads: Any) -> dict[str, Any]:
        return {"count": threads.total, "threads": msgspec.to_builtins(threads.threads)}

    return {
        "filters": msgspec.to_builtins(f.filters),
        "threads": f.overview.threads,
        "users": f.overview.users,
        "items": f.overview.items,
        "first_day": f.overview.first_day,
        "last_day": f.overview.last_day,
        "threads_per_day": f.activity.threads_per_day,
        "users_per_day": f.activity.users_per_day,
        "threads_per_week": f.activity.threads_per_week,
        "users_per_week": f.activity.users_per_week,
        "granularity": f.activity.granularity,
        "busiest_hours": f.hours.grid,
        "statuses": f.statuses.counts,
        "status_reasons": f.statuses.reasons,
        "item_types": f.items.item_types,
        "items_per_thread": {
            "median": f.items.per_thread.median,
            "p95": f.items.per_thread.p95,
            "threads": f.items.per_thread.count,
            "histogram": {str(k): v for k, v in f.items.items_per_thread.items()},
        },
        "time_to_answer_s": {
            "median": f.time_to_answer.overall.median,
            "p95": f.time_to_answer.overall.p95,
            "answers": f.time_to_answer.overall.count,
            "per_day": {
                day: {"median": s.median, "p95": s.p95, "answers": s.count}
                for day, s in f.time_to_answer.per_day.items()
            },
        },
        "unanswered": wrong.unanswered.total,
        "unanswered_threads": msgspec.to_builtins(wrong.unanswered.threads),
        "pending_tool_calls": listed(wrong.pending_tools),
        "unfinished_tasks": listed(wrong.unfinished),
        "tool_calls": {
            name: {"completed": c.completed, "pending": c.pending}
            for name, c in f.tools.tool_calls.items()
        },
        "widgets": f.tools.widgets,
        "attachments": f.tools.attachments,
        "active_users": msgspec.to_builtins(f.active_users.users),
    }


# --- text ---------------------------------------------------------------------------------------


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _secs(value: int | None) -> str:
    if value is None:
        return "-"
    sign, value = ("-", -value) if value < 0 else ("", value)
    if value < 120:
        return f"{sign}{value}s"
    if value < 7200:
        return f"{sign}{value // 60}m{value % 60:02d}s"
    return f"{sign}{value // 3600}h{value % 3600 // 60:02d}m"


_NUMERIC = frozenset({"COUNT", "THREADS", "USERS", "ITEMS", "CALLS", "COMPLETED", "PENDING"})


def _table(heads: list[str], rows: list[list[str]], indent: str = "  ") -> None:
    """Counts right-aligned (the columns headed :data:`_NUMERIC`), text left-aligned; a
    column at most 60 wide."""
    widths = [
        min(60, max(cell_len(h), *(cell_len(r[i]) for r in rows))) for i, h in enumerate(heads)
    ]
    out(indent + "  ".join(fit(h, w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for row in rows:
        cells = [
            " " * (w - cell_len(c)) + c if h in _NUMERIC else fit(c, w)
            for c, w, h in zip(row, widths, heads, strict=True)
        ]
        out(indent + "  ".join(cells).rstrip())


def _counts(title: str, counts: dict[str, int], head: str) -> None:
    out(f"{title}:")
    if not counts:
        out("  none")
        return
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    _table([head, "COUNT"], [[escaped(k), _n(v)] for k, v in ranked])


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _print(path: Any, f: Any) -> None:
    from chatkit_tui.core.insights import Insights

    assert isinstance(f, Insights)
    out(f"insights of {path} ({_scope(f.filters)}; days in UTC)")
    o = f.overview
    span = f", {o.first_day} to {o.last_day}" if o.first_day else ""
    out(f"{plural(o.threads)}, {plural(o.users, 'user')}, {plural(o.items, 'item')}{span}")
    out()
    a = f.activity
    weekly = a.granularity == "week"
    per = a.threads_per_week if weekly else a.threads_per_day
    users = a.users_per_week if weekly else a.users_per_day
    keys = sorted(per)
    label = "week of" if weekly else "day"
    shown = keys[-_ROWS:]
    more = (
        f" (the last {len(shown)} of {len(keys)}; --json has all)" if len(keys) > len(shown) else ""
    )
    out(f"threads started and users per {'week' if weekly else 'day'}{more}:")
    if keys:
        _table(
            [label.upper(), "THREADS", "USERS"],
            [[k, _n(per[k]), _n(users.get(k, 0))] for k in shown],
        )
    else:
        out("  none")
    out()
    slots = sorted(
        ((n, d, h) for d, row in enumerate(f.hours.grid) for h, n in enumerate(row) if n),
        key=lambda s: (-s[0], s[1], s[2]),
    )[:5]
    out(
        "busiest hours (UTC): "
        + (", ".join(f"{_DAYS[d]} {h:02d}h {_n(n)}" for n, d, h in slots) or "none")
    )
    out(
        "  by weekday: "
        + ", ".join(f"{_DAYS[d]} {_n(sum(row))}" for d, row in enumerate(f.hours.grid))
    )
    out()
    out("statuses:")
    rows: list[list[str]] = []
    for status, count in sorted(f.statuses.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append([escaped(status), _n(count)])
        for reason, n in sorted(
            f.statuses.reasons.get(status, {}).items(), key=lambda kv: (-kv[1], kv[0])
        ):
            rows.append([f"  {escaped(reason) if reason else '(no reason given)'}", _n(n)])
    if rows:
        _table(["STATUS", "THREADS"], rows)
    else:
        out("  none")
    out()
    _counts("item types", f.items.item_types, "TYPE")
    p = f.items.per_thread
    out(f"items per thread: median {_n(p.median)}, p95 {_n(p.p95)} (over {_n(p.count)} threads)")
    t = f.time_to_answer.overall
    out(
        f"time to answer: median {_secs(t.median)}, p95 {_secs(t.p95)} (over {_n(t.count)} answers)"
    )
    out()
    w = f.went_wrong
    for title, listed in (
        ("unanswered (the last user message has no answer)", w.unanswered),
        ("client tool calls pending", w.pending_tools),
        ("tasks or workflows unfinished", w.unfinished),
    ):
        out(f"{title}: {plural(listed.total)}")
        if listed.threads:
            _table(
                ["THREAD", "USER", "CREATED", "TITLE"],
                [
                    [
                        escaped(r.id),
                        escaped(r.user or "-"),
                        _moment(r.created_at)[:16],
                        escaped(r.title or ""),
                    ]
                    for r in listed.threads[:_LISTED]
                ],
                indent="    ",
            )
    out()
    out("client tool calls:")
    if f.tools.tool_calls:
        ranked = sorted(
            f.tools.tool_calls.items(), key=lambda kv: (-(kv[1].completed + kv[1].pending), kv[0])
        )
        _table(
            ["NAME", "CALLS", "COMPLETED", "PENDING"],
            [
                [escaped(k), _n(c.completed + c.pending), _n(c.completed), _n(c.pending)]
                for k, c in ranked
            ],
        )
    else:
        out("  none")
    _counts("widgets", f.tools.widgets, "TYPE")
    _counts("attachments", f.tools.attachments, "MIME TYPE")
    out()
    out("most active users:")
    if f.active_users.users:
        _table(
            ["USER", "THREADS", "ITEMS", "LAST DAY"],
            [
                [escaped(u.user), _n(u.threads), _n(u.items), u.last_day]
                for u in f.active_users.users
            ],
        )
    else:
        out("  none")
