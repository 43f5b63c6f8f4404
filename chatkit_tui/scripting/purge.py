"""``chatkit-tui threads purge``: delete every thread a rule matches (retention, erasure).

The rules, the finding, the re-check and the report are :mod:`chatkit_tui.core.purge`;
this is the command line around them:

- before the client starts (:func:`before_purge`): refuse in read-only mode (a dry run is
  allowed: it deletes nothing), fix the run's start and so the cutoff, refuse when
  nobody can confirm (no terminal, no ``--yes``: exit 2, before anything is read), and
  refuse rules that cannot leave any thread out (``--older-than 0d``) without ``--all``;
- find the matches, show how many, the first few and their dates, and ask for the count
  to be typed (``--yes`` skips it; a wrong count deletes nothing: exit 7); rules that
  matched every thread of the deployment read are refused (exit 2) without ``--all``, with
  ``--yes`` too (:meth:`chatkit_tui.core.purge.Purge.find_and_delete` deletes nothing until
  it has read a thread they leave out);
- archive and delete with the bulk runner (a progress bar on a terminal), writing the
  report as it goes; Ctrl-C (or SIGTERM) once stops launching (requests in flight
  finish, the rest are reported "not attempted": exit 130), twice abandons them.

Output: the matches and the result on stdout; the prompt, the progress bar, warnings and
errors on stderr. API text is escaped; the report's path is printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chatkit_tui.core.bulk import DEFAULT_CONCURRENCY, BulkProgress, BulkSummary
from chatkit_tui.core.paths import ReportWriteError, default_archive_dir
from chatkit_tui.core.purge import (
    STATUSES,
    Candidate,
    EverythingMatched,
    Found,
    Purge,
    PurgeReport,
    ReportFailed,
    RequestIds,
    RuleError,
    Rules,
    parse_age,
    parse_date,
)
from chatkit_tui.core.text import escaped, plural
from chatkit_tui.core.times import absolute_time, short_time
from chatkit_tui.scripting.common import (
    EXIT_API_ERROR,
    EXIT_DECLINED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    concurrency,
    describe_error,
    err,
    exit_code,
    format_row,
    out,
    refuse_if_read_only,
    require,
    where_acted,
)

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.config import Config

SHOWN = 5  # matches listed before the prompt; the rest are counted
FAILURES_SHOWN = 10
USER_WIDTH = 24


# --- arguments ------------------------------------------------------------------------------------


def _age(text: str) -> str:
    try:
        parse_age(text)
    except RuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _date(text: str) -> str:
    try:
        parse_date(text)
    except RuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_purge_parser(actions: Any, kw: dict[str, Any]) -> None:
    """``threads purge``, added to the ``threads`` actions by :mod:`.threads`."""
    p = actions.add_parser(
        "purge",
        help="delete every thread a rule matches (retention, erasure), with a report",
        description=(
            "Delete every thread that matches all the rules given (at least one): a user, "
            "an age or a date, a status. Shows how many match, the first few and their "
            "dates, and asks you to type the count (--yes skips it; without a terminal and "
            "without --yes nothing is deleted and it exits 2). Each thread is archived "
            "before it is deleted, as every delete is. A report (JSON lines, one per thread: "
            "the audit record of the run) is written to the user data directory's purges/ "
            "or --report. Run again after an interruption, it finishes the job; a thread "
            "created after the run started, or that no longer matches, is never deleted."
        ),
        **kw,
    )
    rules = p.add_argument_group("rules (combined with AND)")
    rules.add_argument(
        "--user",
        metavar="USER",
        help="threads of this user (the deployment's own filter: a Store's context_for(USER))",
    )
    when = rules.add_mutually_exclusive_group()
    when.add_argument(
        "--older-than",
        type=_age,
        metavar="AGE",
        help="created more than AGE before the run started: 90d, 12h, 2w, 30min",
    )
    when.add_argument(
        "--before",
        type=_date,
        dest="before_date",  # args.before is the command's before-hook (run_script)
        metavar="DATE",
        help="created before DATE: 2026-01-31 (midnight UTC) or 2026-01-31T12:00:00Z",
    )
    rules.add_argument("--status", choices=STATUSES, help="threads with this status")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="report the threads a real run would delete, and delete none",
    )
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for the count")
    p.add_argument(
        "--all",
        action="store_true",
        help="the rules may match every thread of the deployment: delete them all (without "
        "it, such a purge is refused)",
    )
    p.add_argument(
        "--concurrency",
        type=concurrency,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"threads archived and deleted at a time (default {DEFAULT_CONCURRENCY})",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the report here (appended to if it exists; default: a new "
        "purges/purge-<UTC time>.jsonl in the user data directory)",
    )
    p.add_argument(
        "--archive-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where archives go (default: the user data directory's archive/)",
    )
    p.set_defaults(handler=purge_threads, before=before_purge)


# --- before the client starts ---------------------------------------------------------------------


def before_purge(args: argparse.Namespace) -> int | None:
    """Read-only, the rules and who confirms: checked before any request is made."""
    config: Config = args.config_resolved
    if not args.dry_run:
        refuse_if_read_only(args, config, "purge threads (--dry-run shows what it would delete)")
    try:
        args.rules = Rules.make(
            now=time.time(),
            user=args.user,
            older_than=args.older_than,
            before=args.before_date,
            status=args.status,
        )
    except RuleError as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None
    rules: Rules = args.rules
    if rules.everything and not (args.all or args.dry_run):
        given = f"--older-than {rules.age}" if rules.age else f"--before {args.before_date}"
        raise ScriptError(
            f"refusing to purge: {escaped(given)} matches every thread there is (each was "
            "created before the run started): pass --all to delete them all (--dry-run "
            "lists them)",
            EXIT_USAGE,
        )
    if not (args.yes or args.dry_run) and not sys.stdin.isatty():
        raise ScriptError(
            "refusing to purge without confirmation: stdin is not a terminal; pass --yes to "
            "purge from a script (or --dry-run to see what would be deleted)",
            EXIT_USAGE,
        )
    args.request_ids = ids = RequestIds(config.api_key)
    args.event_hooks = {"response": [ids]}
    return None


# --- the terminal: progress and the prompt --------------------------------------------------------


class Progress:
    """A one-line progress display on stderr, redrawn at most every 0.1 s; nothing when
    stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.on = stream.isatty()
        self._drawn = 0.0
        self._shown = False

    def _draw(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.on or (not force and now - self._drawn < 0.1):
            return
        self._drawn = now
        width = shutil.get_terminal_size().columns
        self.stream.write("\r" + text[: max(width - 1, 10)] + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def found(self, found: Found) -> None:
        self._draw(f"looking: {found.scanned:,} threads read, {len(found.matches):,} match")

    def deleting(self, p: BulkProgress) -> None:
        width = 24
        done = width * p.finished // p.total if p.total else width
        bar = "#" * done + "." * (width - done)
        text = f"[{bar}] {p.finished:,}/{p.total:,} · {p.concurrency} at a time"
        if p.rate_limited:
            text += f" · rate limited {p.rate_limited}x"
            if p.waiting > 0:
                text += f", waiting {p.waiting:.0f} s"
        if p.stopping:
            text += " · stopping"
        self._draw(text, force=p.finished == p.total or p.stopping)


def ask_count(count: int, where: str) -> bool:
    """Ask for ``count`` to be typed on the terminal, naming the deployment (``where``).
    Ctrl-C here raises KeyboardInterrupt at once (asyncio's own handler would wait for
    the line to be read)."""
    noun = "thread" if count == 1 else "threads"
    prompt = (
        f"Type {count} to archive and delete the {count:,} {noun} from {where}, "
        "anything else to cancel: "
    )
    print(prompt, end="", file=sys.stderr, flush=True)
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        previous = None
    try:
        answer = sys.stdin.readline()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return answer.strip().replace(",", "").replace("_", "") == str(count)


# --- what is shown --------------------------------------------------------------------------------


def _row(c: Candidate) -> list[str]:
    return [
        escaped(c.thread_id or "-"),
        short_time(c.created_at),
        escaped(c.user or "-"),
        escaped(c.status or "-"),
        escaped(c.title or ""),
    ]


def show_matches(rules: Rules, found: Found, *, listed_as: str = "match") -> None:
    matches = found.matches
    what = escaped(rules.describe())
    if not matches:
        out(f"No {what} ({found.scanned:,} read).")
    else:
        verb = "matches" if listed_as == "match" and len(matches) == 1 else listed_as
        out(f"{plural(len(matches))} {verb}: {what}")
        span = found.date_range()
        if span is not None:
            out(f"  created {absolute_time(span[0])} to {absolute_time(span[1])}")
        rows = [_row(c) for c in matches[:SHOWN]]
        widths = [
            max([len("ID"), *(len(r[0]) for r in rows)]),
            len("2026-01-01 00:00"),
            min(USER_WIDTH, max([len("USER"), *(len(r[2]) for r in rows)])),
            max([len("STATUS"), *(len(r[3]) for r in rows)]),
        ]
        out(format_row(["ID", "CREATED", "USER", "STATUS", "TITLE"], widths))
        for row in rows:  # (not indented: format_row fits the last cell to the terminal)
            out(format_row(row, widths))
        if len(matches) > SHOWN:
            out(f"  … and {len(matches) - SHOWN:,} more (every one is in the report)")
    if found.skipped:
        out(
            f"{plural(len(found.skipped))} may match but could not be read: "
            "skipped, never deleted (each is in the report, with why)"
        )
    if found.incomplete:
        err(f"warning: {found.incomplete}")


def _failure_code(summary: BulkSummary) -> int | None:
    codes = {exit_code(r.error) if r.error is not None else EXIT_API_ERROR for r in summary.failed}
    if not codes:
        return None
    return codes.pop() if len(codes) == 1 else EXIT_API_ERROR


def show_result(summary: BulkSummary, found: Found, report: PurgeReport) -> int:
    """The outcome, the first failures, the report; returns the exit code."""
    for result in summary.failed[:FAILURES_SHOWN]:
        if result.error is not None:
            message, _ = describe_error(result.error)
            what = "archived but not deleted" if result.archive else "not deleted"
            err(f"error: {escaped(result.thread_id)}: {what}: {message}")
        else:
            err(f"error: {escaped(result.thread_id)}: {escaped(result.reason or 'failed')}")
    if len(summary.failed) > FAILURES_SHOWN:
        err(f"… and {len(summary.failed) - FAILURES_SHOWN:,} more failures: see the report")
    line = summary.line()
    if found.skipped:
        line += f", skipped as unreadable {len(found.skipped):,}"
    out(f"{line} in {summary.elapsed:.1f} s")
    out(f"report: {report.path}")
    if summary.stopped:
        err(
            f"interrupted: {plural(len(summary.not_attempted))} not attempted; "
            "run the same command again to finish"
        )
        return EXIT_INTERRUPTED
    code = _failure_code(summary)
    if code is not None:
        return code
    return EXIT_API_ERROR if found.skipped or found.incomplete else EXIT_OK


# --- the command ----------------------------------------------------------------------------------


def _open_report(args: argparse.Namespace, rules: Rules) -> PurgeReport:
    try:
        return PurgeReport.create(args.report, started=rules.started)
    except OSError as exc:
        message, _ = describe_error(exc)
        where = args.report or "the user data directory's purges/"
        raise ScriptError(
            f"nothing deleted: could not write the report to {escaped(str(where))}: {message}",
            EXIT_API_ERROR,
        ) from None


async def purge_threads(args: argparse.Namespace, client: Deployment) -> int:
    """The purge; a report that could not be written stops it (see :func:`_report_failed`)."""
    try:
        return await _purge_threads(args, client)
    except ReportFailed as exc:
        return _report_failed(exc)
    except ReportWriteError as exc:  # before any thread was deleted
        raise ScriptError(f"nothing deleted: {escaped(str(exc))}", EXIT_API_ERROR) from None


def _report_failed(exc: ReportFailed) -> int:
    """The run stopped at the line that failed: say why, name each thread deleted that the
    report lacks (the one whose line failed, and those whose DELETE was already sent)."""
    err(f"error: {escaped(str(exc))}: the purge stopped (no DELETE was sent after that)")
    for result in exc.unrecorded:
        if result.outcome.value == "deleted":
            where = f" (archived to {escaped(str(result.archive))})" if result.archive else ""
            err(f"error: deleted, not in the report: {escaped(result.thread_id)}{where}")
    out(f"{exc.summary.line()}; report (cut short): {exc.error.path}")
    err("run the same command again once the report can be written: it finishes the job")
    return EXIT_API_ERROR


async def _purge_threads(args: argparse.Namespace, client: Deployment) -> int:
    rules: Rules = args.rules
    require(client, "delete", "delete threads")
    if rules.user is not None:
        require(client, "user_filter", "purge by user (--user): its threads name no user")
    progress = Progress(sys.stderr)
    purge = Purge(
        client,
        rules,
        archive_dir=args.archive_dir,
        concurrency=args.concurrency,
        request_ids=args.request_ids,
        allow_all=args.all,
    )
    archive_dir = args.archive_dir or default_archive_dir()
    endpoint = client.base_url
    if args.yes and not args.dry_run:
        return await _purge_without_asking(args, purge, progress, archive_dir, endpoint)

    try:
        found = await purge.find(on_page=progress.found)
    finally:
        progress.clear()
    show_matches(rules, found)
    everything = rules.whole_deployment and found.matched_all and not args.all
    if args.dry_run or not found.matches:
        report = _open_report(args, rules)
        try:
            report.run(
                rules, found, dry_run=args.dry_run, endpoint=endpoint, archive_dir=archive_dir
            )
            if args.dry_run:
                purge.dry_run(report)
            else:  # nothing to delete: the record says so (and names what was skipped)
                await purge.delete(report)
        finally:
            report.close()
        if args.dry_run:
            out(f"dry run: nothing deleted; a real run would delete {plural(len(found.matches))}")
            if everything:
                err(f"warning: {found.everything_note()} (a real run without it is refused)")
        out(f"report: {report.path}")
        if args.dry_run:
            return EXIT_OK
        return EXIT_API_ERROR if found.skipped or found.incomplete else EXIT_OK

    if everything:  # asked or not, every thread of the deployment needs --all
        err(f"refusing to purge: {found.everything_note()}; nothing deleted")
        return EXIT_USAGE
    print(f"Each is archived first (to {archive_dir}), then deleted.", file=sys.stderr)
    if not ask_count(len(found.matches), where_acted(args)):
        err("nothing deleted")
        return EXIT_DECLINED
    report = _open_report(args, rules)
    try:
        report.run(rules, found, dry_run=False, endpoint=endpoint, archive_dir=archive_dir)
        work = purge.delete(report, on_progress=progress.deleting)
        summary = await _with_signals(purge, work, progress)
    finally:
        progress.clear()
        report.close()
    return _finished(summary, purge.found, report)


async def _purge_without_asking(
    args: argparse.Namespace, purge: Purge, progress: Progress, archive_dir: Path, endpoint: str
) -> int:
    """--yes: nobody is asked, so nothing needs the whole list first: each page's matches
    are deleted while the next page is read (the listing's round trips hide behind the
    deletes). What matched is shown at the end. Over the whole deployment without --all,
    deleting waits for a thread the rules leave out, and a listing with none is refused."""
    rules = purge.rules
    err(f"purging {escaped(rules.describe())} (--yes: each deleted once found, archived first)")
    report = _open_report(args, rules)
    try:
        report.run(rules, None, dry_run=False, endpoint=endpoint, archive_dir=archive_dir)
        work = purge.find_and_delete(report, on_progress=progress.deleting)
        summary = await _with_signals(purge, work, progress)
    except EverythingMatched as exc:
        progress.clear()
        report.close()
        show_matches(rules, exc.found)
        err(f"refusing to purge: {exc}; nothing deleted")
        out(f"report: {report.path}")
        return EXIT_USAGE
    except ReportFailed:  # its own words name the report (cut short)
        progress.clear()
        report.close()
        raise
    except BaseException:
        progress.clear()
        report.close()
        err(f"report: {report.path}")  # what was done before the failure
        raise
    progress.clear()
    report.close()
    show_matches(rules, purge.found, listed_as="matched")
    return _finished(summary, purge.found, report)


def _finished(summary: BulkSummary | None, found: Found, report: PurgeReport) -> int:
    if summary is None:
        if report.failure is not None:  # the interrupted lines could not be written either
            err(f"error: {escaped(str(report.failure))}")
            out(f"report (cut short): {report.path}")
            err(
                "interrupted: threads in flight were abandoned, and the report lacks "
                "their outcome (unknown); run the same command again once the report "
                "can be written"
            )
            return EXIT_INTERRUPTED
        out(f"report: {report.path}")
        err(
            "interrupted: threads in flight were abandoned (their outcome is unknown: "
            "'interrupted' in the report); run the same command again to finish"
        )
        return EXIT_INTERRUPTED
    return show_result(summary, found, report)


async def _with_signals(
    purge: Purge, work: Awaitable[BulkSummary], progress: Progress
) -> BulkSummary | None:
    """Run ``work`` (the deletes) with Ctrl-C / SIGTERM handled: the first stops finding
    and launching, the second abandons what is in flight. None when abandoned."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)
    interrupts = 0
    note = "stopping: requests in flight finish (Ctrl-C again abandons them)"

    def interrupted() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            purge.stop()
            progress.clear()
            err(note)
        elif task is not None:
            task.cancel()

    installed: list[signal.Signals] = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, interrupted)
            installed.append(sig)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
            pass
    try:
        return await work
    except asyncio.CancelledError:
        if interrupts < 2 or task is None:
            raise  # cancelled by someone else: not ours to swallow
        task.uncancel()
        return None
    finally:
        for sig in installed:  # SIGINT goes back to raising KeyboardInterrupt
            loop.remove_signal_handler(sig)
