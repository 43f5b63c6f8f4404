"""``chatkit-tui mirror`` (copy a deployment into a local file) and ``chatkit-tui search``
(full text over that file, no API key needed).

Output: on a terminal, ``mirror`` draws a progress line on stderr and prints a summary;
``--json`` prints JSON lines instead (``thread`` events for what changed, ``progress`` about
once a second, a ``summary`` last). ``search`` prints a table of hits (API text escaped,
matches in bold on a terminal) or, with ``--json``, one object per hit with its snippet as
it is. Exit codes as every command's, and 8 when a mirror run left something undone
(threads that failed, a listing cut short): run it again.

One writer per mirror: a second ``mirror`` on a file being written is refused (exit 10,
naming the holder) or, with ``--wait``, waits for it. A read-only file or directory is
refused (exit 2) before anything is touched; a new file is not left behind when nothing
could be written into it (the first request failed).

A damaged file (:class:`~chatkit_tui.core.mirror.MirrorDamaged`) is exit 9 wherever it is
met, with what to run: ``mirror --check`` says what is damaged (no key, no network, a
read-only copy will do); a run does not write into a damaged file: an incremental one
stops before it begins, a ``--full`` one repairs it first (:mod:`chatkit_tui.core.mirror.repair`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from chatkit_tui.core.text import cell_len, escaped, fit, plural
from chatkit_tui.core.times import short_time
from chatkit_tui.scripting.common import (
    EXIT_API_ERROR,
    EXIT_BUSY,
    EXIT_DAMAGED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    concurrency,
    err,
    mirror_exit,
    note_if_not_of,
    out,
    parser_kw,
    require,
    resolve_config,
    run_command,
)
from chatkit_tui.scripting.threads import _user  # the API's bounds on a user, checked once

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.core.mirror import (
        Mirror,
        SearchHit,
        SearchResult,
        SyncProgress,
        SyncSummary,
        ThreadOutcome,
    )
    from chatkit_tui.core.mirror.check import CheckReport
    from chatkit_tui.core.mirror.url import MirrorTarget

PROGRESS_EVERY = 0.1  # seconds between redraws of the progress line
JSON_PROGRESS_EVERY = 1.0
WAIT_POLL = 0.2  # seconds between tries for a mirror another writer holds (--wait)


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


ProgressLine = _ProgressLine
"""The progress line, also ``migrate``'s."""


def _mirror_path(args: argparse.Namespace, base_url: str, project: str | None) -> MirrorTarget:
    """``--db`` (a file or a ``postgresql://`` URL), else the profile's ``mirror``, else
    the endpoint's default file; a URL with the profile's ``mirror_password_command``."""
    from chatkit_tui.backends import backend_options
    from chatkit_tui.config.resolve import ConfigError, load_config
    from chatkit_tui.core.mirror import default_mirror_path, mirror_target

    try:
        config = load_config(args, options=backend_options(), key=False)
    except ConfigError as exc:
        raise ScriptError(f"config: {exc}", EXIT_USAGE) from None
    named = args.db or config.mirror
    if not named:
        return default_mirror_path(base_url, project)
    try:
        return mirror_target(named, password_command=config.mirror_password_command)
    except ValueError as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None


async def _open_for_run(path: MirrorTarget, client: Deployment, *, wait: bool) -> Mirror:
    """The mirror, open for writing: refused (exit 10) while another writer holds it, or
    with ``wait`` tried again every :data:`WAIT_POLL` s, saying for whom it waits."""
    from chatkit_tui.core.mirror import (
        Mirror,
        MirrorBusyError,
        MirrorDamaged,
        MirrorError,
        MirrorOfAnother,
        MirrorReadOnlyError,
        Origin,
    )

    kind = client.capabilities.kind
    origin = Origin(client.base_url, client.organization, client.project, kind)
    said: str | None = None
    while True:
        try:
            return Mirror.open(path, create=True, origin=origin)
        except MirrorBusyError as exc:
            if not wait:
                raise ScriptError(
                    f"{exc}; one writer at a time (--wait waits for it to finish)", EXIT_BUSY
                ) from None
            who = str(exc.holder) if exc.holder is not None else "another writer"
            if who != said:  # once, and again if another comes first
                err(f"waiting for {who}, which is writing the mirror {path} (Ctrl-C to stop)")
                said = who
        except MirrorDamaged as exc:  # not even what it is a mirror of: nothing to repair it as
            raise ScriptError(
                f"the mirror is damaged: {path} ({exc.detail}); not even the deployment it"
                " copies can be read, so it cannot be repaired: move it aside (chatkit-tui"
                " mirror --check --db shows what it still holds) and run chatkit-tui mirror"
                " to make a new one",
                EXIT_DAMAGED,
            ) from None
        except MirrorOfAnother as exc:  # what to do then: another mirror, named
            raise ScriptError(
                f"{exc}; a mirror copies one deployment: give this one its own with --db PATH"
                " (a new file, or a postgresql:// URL)",
                mirror_exit(exc),
            ) from None
        except (MirrorError, MirrorReadOnlyError) as exc:
            raise ScriptError(str(exc), mirror_exit(exc)) from None
        except OSError as exc:
            raise ScriptError(f"cannot open {path}: {exc.strerror or exc}", EXIT_USAGE) from None
        await asyncio.sleep(WAIT_POLL)


def _close(mirror: Mirror, summary: SyncSummary) -> bool:
    """Close the file after a run; whether it is kept (a file this run made and could
    write nothing into, the listing not read, is removed)."""
    if summary.listing_complete:  # an empty deployment's mirror is a mirror
        mirror.close()
        return True
    return not mirror.discard_if_empty()


async def mirror_command(args: argparse.Namespace, client: Deployment) -> int:
    if args.user is not None:
        require(client, "user_filter", "mirror one user's threads (--user)")
    path = _mirror_path(args, client.base_url, client.project)
    try:
        mirror = await _open_for_run(path, client, wait=args.wait)
    except asyncio.CancelledError:  # Ctrl-C while waiting for another writer
        err(f"interrupted while waiting for the mirror {path}; nothing was written")
        return EXIT_INTERRUPTED
    try:
        return await _run(args, client, mirror, path)
    finally:
        mirror.close()  # and its writer lock with it (closed already when all went well)


async def _run(
    args: argparse.Namespace, client: Deployment, mirror: Mirror, path: MirrorTarget
) -> int:
    from chatkit_tui.core.mirror import MirrorDamaged, MirrorSync
    from chatkit_tui.core.mirror.engines.postgres import MirrorDatabaseError
    from chatkit_tui.mirrorfile import damaged_message, is_damage

    json_out: bool = args.json
    line = _ProgressLine(sys.stderr) if not json_out and sys.stderr.isatty() else None
    last_json = [0.0]
    upgrade = mirror.upgrade
    removed = 0 if upgrade is None else upgrade.duplicates_removed
    if upgrade is not None and removed and not json_out:
        err(
            f"repaired {path}: removed {plural(removed, 'duplicate item row')} in"
            f" {plural(upgrade.threads_repaired)} (copies written by two runs at once);"
            f" it is now of layout version {upgrade.to_version}"
        )
    _mend_before_run(mirror, args.full, json_out)  # the caller closes it

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
        start = {"event": "start", "db": str(path), "origin": str(mirror.origin)}
        out(_json({**start, "duplicates_removed": removed}))
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
    kept = True
    try:
        try:
            summary = await sync.run()
        finally:
            if line is not None:
                line.clear()
            kept = _close(mirror, sync.summary)
    except asyncio.CancelledError:  # Ctrl-C: say what is kept; the one message (exit 130)
        done = sync.summary
        if kept:
            err(
                f"interrupted: {plural(done.new + done.changed + done.grown)} written this run"
                f" to {path} are kept; run it again to carry on"
            )
        else:
            err(f"interrupted before anything was written: no mirror was left at {path}")
        return EXIT_INTERRUPTED
    except MirrorDamaged as exc:  # a read of what it holds met a damaged page
        raise ScriptError(str(exc), EXIT_DAMAGED) from None
    except MirrorDatabaseError as exc:  # the database refused a write, or went away
        raise ScriptError(
            f"could not write {exc}; what was committed before is kept",
            mirror_exit(exc, EXIT_API_ERROR),  # a privilege missing: 4
        ) from None
    except (sqlite3.Error, OSError) as exc:  # the file, not the API: a full disk, ...
        if is_damage(exc):  # a write met a damaged page
            raise ScriptError(damaged_message(str(path), exc), EXIT_DAMAGED) from None
        raise ScriptError(
            f"could not write the mirror {path}: {escaped(str(exc))}; what was"
            " committed before is kept",
            EXIT_API_ERROR,
        ) from None
    if json_out:
        out(_json(_summary_event(summary, path, duplicates_removed=removed, kept=kept)))
    else:
        _print_summary(summary, path)
        if not kept:
            err(f"nothing could be written: no mirror was left at {path}")
    return EXIT_OK if summary.complete else EXIT_INCOMPLETE


def _mend_before_run(mirror: Mirror, full: bool, json_out: bool) -> None:
    """A run does not write into a damaged file. An incremental run checks every page
    first (SQLite's quick_check, one read of the file) and stops with exit 9; a ``--full``
    run checks everything (:func:`~chatkit_tui.core.mirror.check.check`) and, when
    anything is damaged, repairs the file so that the run re-fetches what was."""
    from chatkit_tui.core.mirror import MirrorDamaged
    from chatkit_tui.core.mirror.check import check
    from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror
    from chatkit_tui.core.mirror.repair import repair
    from chatkit_tui.mirrorfile import damaged_message

    if not full or not isinstance(mirror, SqliteMirror):  # a database checks its own pages
        problem = mirror.quick_check()
        if problem is not None:
            raise ScriptError(damaged_message(str(mirror.path), problem), EXIT_DAMAGED)
        return
    report = check(mirror)
    if report.clean:
        return
    try:
        repaired = repair(mirror)
    except MirrorDamaged as exc:
        raise ScriptError(
            f"{exc}; it cannot be repaired: not even its origin can be read", EXIT_DAMAGED
        ) from None
    except (sqlite3.Error, OSError) as exc:
        raise ScriptError(
            f"the mirror {mirror.path} is damaged and could not be repaired: {escaped(str(exc))};"
            " it is as it was",
            EXIT_DAMAGED,
        ) from None
    damaged = sorted(report.damaged_ids() | set(repaired.dropped))
    if json_out:
        out(
            _json(
                {
                    "event": "repaired",
                    "db": str(mirror.path),
                    "damaged": damaged,
                    "kept": repaired.kept,
                    "kept_damaged_file": str(repaired.backup),
                }
            )
        )
        return
    if damaged:
        what = f"{plural(len(damaged))} could not be read whole and are fetched again by this run"
    else:
        what = "it was rebuilt from what it holds, every thread whole"
    err(f"the mirror was damaged: {what}; the damaged file is kept as {repaired.backup}")


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


def _summary_event(
    s: SyncSummary, path: MirrorTarget, *, duplicates_removed: int, kept: bool
) -> dict[str, Any]:
    return {
        "event": "summary",
        "db": str(path),
        "kept": kept,
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
        "duplicates_removed": duplicates_removed,
    }


def _print_summary(s: SyncSummary, path: MirrorTarget) -> None:
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


# --- mirror --check -------------------------------------------------------------------------------


def check_command(args: argparse.Namespace) -> int:
    """``mirror --check``: what is damaged, by thread (no key, no network; only reads)."""
    from chatkit_tui.core.mirror.check import check
    from chatkit_tui.core.mirror.engines.sqlite import SqliteMirror

    for flag, given in (("--full", args.full), ("--prune", args.prune), ("--user", args.user)):
        if given:
            raise ScriptError(
                f"--check reads the whole file and changes nothing: it does not go with {flag}",
                EXIT_USAGE,
            )
    with _open_to_read(args) as mirror:
        if not isinstance(mirror, SqliteMirror):
            raise ScriptError(
                f"--check reads a mirror file page by page; {mirror.path} is a PostgreSQL"
                " database, whose pages its server checks (its tables are read as any reader"
                " reads them)",
                EXIT_USAGE,
            )
        report = check(mirror)
    if args.json:
        out(_json(_report_json(report)))
    else:
        _print_report(report)
    return EXIT_OK if report.clean else EXIT_DAMAGED


def _report_json(r: CheckReport) -> dict[str, Any]:
    return {
        "db": str(r.path),
        "clean": r.clean,
        "threads": r.threads,
        "items": r.items,
        "sqlite": r.sqlite,
        "tables": r.tables,
        "search_index": r.search_index,
        "damaged": [{"id": d.id, "reason": d.reason} for d in r.damaged],
        "unread": r.unread,
        "notes": r.notes,
    }


def _print_report(r: CheckReport) -> None:
    import shlex

    read = f"{plural(r.threads)} and {plural(r.items, 'item')} read"
    for note in r.notes:
        err(f"note: {escaped(note)}")
    if r.clean:
        out(f"no damage found in {r.path} ({read}, the search index checked)")
        return
    out(f"the mirror is damaged: {r.path}")
    for finding in r.sqlite:
        out(f"  SQLite: {escaped(finding)}")
    if r.tables:
        out(f"  damaged tables (or their indexes): {', '.join(r.tables)}")
    if r.search_index is not None:
        out(f"  the search index: {escaped(r.search_index)}")
    for what in r.unread:
        out(f"  {what}")
    if r.damaged:
        out(f"  {plural(len(r.damaged))} damaged:")
        for thread in r.damaged:
            out(f"    {escaped(thread.id)}  {escaped(thread.reason)}")
    out(read)
    where = shlex.quote(str(r.path))
    out(
        f"chatkit-tui mirror --full --db {where} repairs it: it keeps the damaged file beside"
        " it, keeps what is whole and re-fetches the rest"
    )


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


def _hit_json(hit: SearchHit, found: SearchResult, matches: int) -> dict[str, Any]:
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
        "ranked": found.ranked,
        "ranked_all": not found.capped,
        "matches": matches,
    }


def _open_to_read(args: argparse.Namespace) -> Mirror:
    """The mirror of ``--db`` (or of the profile's endpoint) opened read-only."""
    from chatkit_tui.client.client import DEFAULT_BASE_URL
    from chatkit_tui.core.mirror import Mirror, MirrorDamaged, MirrorError, default_mirror_dir

    base, project = DEFAULT_BASE_URL, None
    config = None
    if not args.db:
        from chatkit_tui.backends import origin

        config = resolve_config(args, key=False)  # a mirror is read: no key needed
        where, project = origin(config)  # the chosen backend's, else the API's
        base = where or DEFAULT_BASE_URL
    path = _mirror_path(args, base, project)
    try:
        mirror = Mirror.open(path, read_only=True)
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
    except MirrorDamaged as exc:
        raise ScriptError(str(exc), EXIT_DAMAGED) from None
    except MirrorError as exc:
        raise ScriptError(str(exc), mirror_exit(exc)) from None
    with contextlib.suppress(MirrorError):  # its origin unreadable: the reads that follow say
        note_if_not_of(mirror, args, config)
    return mirror


def _as_typed(text: str) -> str:
    """What the user typed, quoted: as it is, unless it holds characters a terminal would
    act on (then escaped, backslashes doubled so that nothing reads alike)."""
    unsafe = escaped(text) != text.replace("\\", "\\\\")
    return f"'{escaped(text) if unsafe else text}'"


def search_command(args: argparse.Namespace) -> int:
    from chatkit_tui.core.mirror import MirrorDamaged, MirrorError
    from chatkit_tui.core.mirror.search import match_expression

    query = " ".join(args.query)
    if match_expression(query) is None:
        raise ScriptError(
            f"nothing to search for in {_as_typed(query)}: no letters or digits", EXIT_USAGE
        )
    with _open_to_read(args) as mirror:
        try:
            found = mirror.search_page(
                query, user=args.user, since=args.since, kinds=args.type, limit=args.limit
            )
            hits = found.hits
            if not hits and args.type:
                _check_types(mirror, args.type)
            if args.json:  # every hit says how it was ranked: the count first
                matches = _matches(mirror, found, query, args)
                for hit in hits:
                    out(_json(_hit_json(hit, found, matches)))
                return EXIT_OK
            if hits:
                _print_hits(hits)
            else:
                err("no matches")
                if args.user is not None and not mirror.threads(user=args.user, limit=1).data:
                    err(  # a mistyped id reads like a user who never wrote it
                        f"note: the mirror has no thread of user {escaped(args.user)} (a user"
                        " is matched exactly, case and all)"
                    )
            if found.capped:  # the hits are out; the count of every match comes after them
                sys.stdout.flush()
                err(found.described(_matches(mirror, found, query, args)))
        except MirrorDamaged as exc:
            raise ScriptError(str(exc), EXIT_DAMAGED) from None
        except sqlite3.Error as exc:  # a file locked or cut short
            raise ScriptError(
                f"the mirror {mirror.path} could not be read: {exc}", EXIT_API_ERROR
            ) from None
        except MirrorError as exc:  # a database that went away
            raise ScriptError(str(exc), mirror_exit(exc, EXIT_API_ERROR)) from None
    return EXIT_OK


def _matches(mirror: Mirror, found: SearchResult, query: str, args: argparse.Namespace) -> int:
    """How many match in all: the ranked ones when every match was ranked, else counted."""
    if not found.capped:
        return found.ranked
    return mirror.count_matches(query, user=args.user, since=args.since, kinds=args.type)


def _print_hits(hits: list[SearchHit]) -> None:
    """The table of hits: thread, item, type, when, the snippet (cut to the terminal)."""
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


_HEADS = ("THREAD", "ITEM", "TYPE", "CREATED", "SNIPPET")


def _check_types(mirror: Mirror, wanted: list[str]) -> None:
    """No hits with --type: a type the mirror holds no item of is a mistake (exit 2) that
    names the types it holds, not "no matches"."""
    held = mirror.types()
    missing = [t for t in dict.fromkeys(wanted) if t.removeprefix("chatkit.") not in held]
    if not missing:
        return
    named = ", ".join(_as_typed(t) for t in missing)
    noun = "type" if len(missing) == 1 else "types"
    holds = ", ".join(escaped(t) for t in held) or "nothing"
    raise ScriptError(f"no item of {noun} {named} in the mirror; it holds: {holds}", EXIT_USAGE)


def _run_mirror(args: argparse.Namespace) -> int:
    """``chatkit-tui mirror``: a run over a client, or ``--check`` over the file alone."""
    if args.check:
        return _run_offline(check_command, args)
    return run_command(args, mirror_command)


def run_search(args: argparse.Namespace) -> int:
    """``chatkit-tui search``: no client, no key; errors to stderr with their exit code."""
    return _run_offline(search_command, args)


def _run_offline(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """A command over the file alone: errors to stderr with their exit code."""
    try:
        return command(args)
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
    """argparse type: a whole number of 1 or more, one message for every other input."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def add_mirror_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "mirror",
        help="copy every thread and item into a SQLite file or a PostgreSQL database "
        "(resumable, incremental)",
        description=(
            "Copy every thread and every item of the deployment into a SQLite file (or a "
            "PostgreSQL database: --db postgresql://...), each as "
            "the exact JSON the API sent, with a full-text index (see 'search'). Run it again "
            "to carry on after an interruption or to pick up what changed: new threads, new "
            "items, status and title changes; threads deleted upstream are marked gone and "
            "kept (--prune deletes them). A thread that keeps failing is reported and tried "
            "again next run. One writer per file: while another run writes it, a second is "
            "refused (exit 10, naming it: host, pid, since when) or waits (--wait); readers "
            "(search, serve --db, the app) are never held up. A file of an older layout is "
            "upgraded by the next run, which says how many duplicate items it removed."
        ),
        **parser_kw("mirror"),
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help="the mirror file, or a postgresql:// URL (default: a profile's mirror, else one "
        "file per endpoint in the user data directory's mirrors/)",
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
        help="read every thread's items from the first (finds items edited in place; "
        "repairs a damaged file, keeping it beside)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="check the file for damage instead (no key, no network; exit 9 when damaged, "
        "naming the threads; --full repairs)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="when another run is writing the file, wait for it to finish (instead of exit 10)",
    )
    p.add_argument("--json", action="store_true", help="JSON lines instead of a progress bar")
    p.set_defaults(handler=mirror_command, runner=_run_mirror)

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
