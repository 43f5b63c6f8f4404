"""``chatkit-tui migrate --to-store MODULE:FACTORY``: hosted threads into a chatkit-python Store.

The source is the deployment the global flags name (the hosted API, ``--demo``) or a
mirror (``--from-mirror PATH``, or ``--mirror [PATH]``: read in process); the target is
the operator's own Store, loaded by :func:`chatkit_tui.backends.store.loader.load_store`.
What is written, and how a run killed at any moment is resumed:
:mod:`chatkit_tui.core.migrate.run`; the mapping: :mod:`chatkit_tui.core.migrate.mapping`.

Output: a progress line on stderr on a terminal; the result on stdout, or with ``--json``
the report's lines (run, one per thread, end) on stdout. The report (JSON lines) goes to
``--report PATH`` or the user data directory's ``migrations/``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from chatkit_tui.core.paths import ReportWriteError
from chatkit_tui.core.text import escaped, plural
from chatkit_tui.scripting.common import (
    EXIT_AUTH,
    EXIT_DIFFERS,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ScriptError,
    describe_error,
    err,
    out,
    parser_kw,
    refuse_if_read_only,
)
from chatkit_tui.scripting.mirror import ProgressLine, since_arg
from chatkit_tui.scripting.threads import _user  # pyright: ignore[reportPrivateUsage]

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.config import Config
    from chatkit_tui.core.migrate.run import Migration, Summary, ThreadResult
    from chatkit_tui.core.migrate.source import Source

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
NO_KEY = (
    "no API key: migrate reads a hosted deployment: set OPENAI_API_KEY, or choose a profile "
    "with --profile / default_profile in the config file; or migrate from a mirror of it: "
    "--from-mirror PATH (--demo to try it)"
)
DEMO_ANEW = (
    "the demo is seeded anew for each run (the same threads, dated from now): a second "
    "migrate --demo updates every thread and --verify finds each one differing; to see a "
    "second run write nothing, migrate a mirror (--from-mirror PATH)"
)
SHOWN = 10  # failures, differences and approximations listed at the end; the rest: the report


def add_migrate_parser(sub: Any) -> None:
    p = sub.add_parser(
        "migrate",
        help="copy hosted threads into a self-hosted chatkit-python Store",
        description=(
            "Copy every thread of a hosted deployment (live, or from a mirror) into your own "
            "chatkit-python Store, each under the request context of its hosted user, each "
            "item converted to chatkit-python's item of the same meaning and validated by "
            "chatkit-python's own models before it is written. What has no counterpart is "
            "kept as hidden context with its original JSON, and reported item by item. "
            "Idempotent and resumable: a second run writes nothing; a run killed at any "
            "moment, run again, finishes the job; a thread changed upstream is updated."
        ),
        **parser_kw("migrate"),
    )
    p.add_argument(
        "--to-store",
        required=True,
        metavar="MODULE:FACTORY",
        help="your Store: FACTORY() in MODULE (imported from the current directory) returns "
        "(store, context_for); context_for(user) is that user's request context",
    )
    p.add_argument(
        "--from-mirror",
        metavar="PATH",
        help="read the threads from this mirror file (chatkit-tui mirror) instead of the "
        "deployment; --mirror [PATH] does the same",
    )
    p.add_argument("--user", type=_user, metavar="USER", help="only this user's threads")
    p.add_argument(
        "--since",
        type=since_arg,
        metavar="DATE|AGE",
        help="only threads created since: 2026-01-31 (midnight UTC), 2026-01-31T12:00:00Z, "
        "or an age (7d, 12h, 2w)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="convert and validate everything, say what would be written, write nothing "
        "through the Store (its factory still runs)",
    )
    mode.add_argument(
        "--verify",
        action="store_true",
        help="write nothing: read every thread back through the Store and compare it with "
        f"the source (exit {EXIT_DIFFERS} if any differs)",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the report to this file (appended to if it exists; default: a new "
        "migrations/migrate-<UTC time>.jsonl in the user data directory)",
    )
    p.add_argument("--json", action="store_true", help="the report's lines on stdout")
    p.set_defaults(handler=migrate, before=before_migrate, subparser=p)


def before_migrate(args: argparse.Namespace) -> int | None:
    """Flags checked before anything is read or written: where the source is, the
    report's path, read-only."""
    config: Config = args.config_resolved
    if not (args.dry_run or args.verify):
        refuse_if_read_only(args, config, "write the Store (--dry-run and --verify write nothing)")
    report: Path | None = args.report
    if report is not None and report.is_dir():
        raise ScriptError(
            f"--report {escaped(str(report))} is a directory: name the file to write, "
            f"e.g. --report {escaped(str(report / 'migrate.jsonl'))}",
            EXIT_USAGE,
        )
    demo = bool(getattr(args, "demo", False))
    mirror: str | None = getattr(args, "mirror", None)
    if args.from_mirror is not None:
        if mirror and mirror != args.from_mirror:
            raise ScriptError("--mirror and --from-mirror name two mirrors: give one", EXIT_USAGE)
        if demo:
            raise ScriptError("--demo and --from-mirror name two sources: give one", EXIT_USAGE)
        if getattr(args, "base_url", None):
            raise ScriptError(
                "--from-mirror and --base-url name two sources: the file is the source",
                EXIT_USAGE,
            )
        args.mirror = args.from_mirror
    if getattr(args, "mirror", None) is None and not demo and not config.api_key:
        raise ScriptError(NO_KEY, EXIT_AUTH)  # connect's own words name flags refused here
    if demo:
        err(DEMO_ANEW)
    return None


# --- the terminal ----------------------------------------------------------------------------


class Progress:
    """``mirror``'s progress line on stderr (a bar, threads done of the total, items, rate,
    ETA), only on a terminal. The total: the source's count when it has one (a mirror),
    else the threads read so far with a ``+`` (the hosted API says no total)."""

    def __init__(self, stream: TextIO, migration: Migration) -> None:
        self.migration = migration
        self.on = stream.isatty()
        self._line = ProgressLine(stream)

    def update(self, summary: Summary, started: float, *, force: bool = False) -> None:
        if not self.on:
            return
        from chatkit_tui.core.mirror.sync import SyncProgress

        m = self.migration
        elapsed = time.monotonic() - started
        total = m.total if m.total is not None else max(m.read, summary.threads)
        progress = SyncProgress(
            known=total,
            done=summary.threads,
            listing_done=m.total is not None or m.read_all,
            items=summary.items,
            new=summary.count("new"),
            changed=summary.count("updated"),
            failed=summary.count("failed"),
            requests=0,
            elapsed=elapsed,
            rate=summary.threads / elapsed if elapsed > 0 else 0.0,
            concurrency=1,
            waiting=0.0,
        )
        self._line.update(progress, force=force)

    def clear(self) -> None:
        self._line.clear()


# --- the command -----------------------------------------------------------------------------


def _mode(args: argparse.Namespace) -> Literal["write", "dry-run", "verify"]:
    return "verify" if args.verify else "dry-run" if args.dry_run else "write"


async def migrate(args: argparse.Namespace, client: Deployment) -> int:
    import json

    from chatkit_tui.backends.store.loader import StoreLoadError, load_store
    from chatkit_tui.core.migrate.report import MigrateReport
    from chatkit_tui.core.migrate.run import Migration, Summary, WorkerDied

    try:
        target = await load_store(args.to_store)
    except StoreLoadError as exc:
        raise ScriptError(str(exc).replace("--store", "--to-store", 1), EXIT_USAGE) from None
    mode = _mode(args)
    started = time.time()
    try:
        report = MigrateReport.create(args.report, started=started)
    except OSError as exc:
        message, _ = describe_error(exc)
        where = args.report or "the user data directory's migrations/"
        raise ScriptError(
            f"nothing written: could not write the report to {escaped(str(where))}: {message}",
            EXIT_USAGE,
        ) from None
    source = args.mirror if getattr(args, "mirror", None) else client.base_url
    if getattr(args, "demo", False):
        source = f"demo, seeded anew for this run: {source}"
    run_line: dict[str, Any] = {
        "record": "run",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "mode": mode,
        "source": str(source),
        "store": args.to_store,
        "user": args.user,
        "since": args.since,
    }
    migration = Migration(_source(client, args), target, mode=mode)
    progress = Progress(sys.stderr, migration)
    summary_so_far = Summary()
    clock = time.monotonic()
    results: list[ThreadResult] = []
    unrecorded: list[ThreadResult] = []

    def on_thread(result: ThreadResult) -> None:
        line = result.as_json()
        summary_so_far.add(result)
        try:
            report.write(line)
        except ReportWriteError:  # raised on: the run stops before the next thread
            unrecorded.append(result)
            raise
        if args.json:
            out(json.dumps(line, ensure_ascii=False))
        elif result.outcome in ("failed", "differs") or result.notes:
            results.append(result)
        progress.update(summary_so_far, clock)

    try:
        report.write(run_line)
    except ReportWriteError as exc:
        report.close()
        raise ScriptError(f"nothing written: {escaped(str(exc))}", EXIT_USAGE) from None
    if args.json:
        out(json.dumps(run_line, ensure_ascii=False))
    try:
        summary = await _with_signals(migration, migration.run(on_thread), progress)
    except ReportWriteError as exc:
        progress.clear()
        report.close()
        return _report_failed(exc, unrecorded, summary_so_far)
    except Exception as exc:  # the source failed (a network error, say): the threads done stay
        progress.clear()
        report.write({**summary_so_far.as_json(), "error": f"{type(exc).__name__}: {exc}"})
        report.close()
        err(f"report: {report.path}")
        if isinstance(exc, WorkerDied):
            raise ScriptError(str(exc), EXIT_INCOMPLETE) from None
        raise
    finally:
        progress.clear()
    if summary is None:  # abandoned by a second Ctrl-C
        try:
            report.close()
        except ReportWriteError as exc:  # its last lines may not be on the disk
            err(f"error: {escaped(str(exc))}")
        short = " (cut short)" if report.failure is not None else ""
        err(f"interrupted: the thread under way was abandoned; report{short}: {report.path}")
        return EXIT_INTERRUPTED
    end = summary.as_json()
    try:
        report.write(end)
        report.close()
    except ReportWriteError as exc:
        report.close()
        return _report_failed(exc, [], summary)
    if args.json:
        out(json.dumps(end, ensure_ascii=False))
    else:
        _show(mode, summary, results, args.to_store)
        out(f"report: {report.path}")
    return _code(mode, summary)


def _report_failed(exc: ReportWriteError, unrecorded: list[ThreadResult], s: Summary) -> int:
    """The run stopped at the line that failed (no thread was written after it): say why,
    and name the thread the report lacks (its outcome had happened: written, or not)."""
    err(f"error: {escaped(str(exc))}: the migration stopped (no thread was written after that)")
    for result in unrecorded:
        if result.outcome in ("new", "updated"):
            err(f"error: written to the Store, not in the report: {escaped(result.thread_id)}")
    out(f"{plural(s.threads, 'thread')} done; report (cut short): {exc.path}")
    err("run the same command again once the report can be written: it carries on")
    return EXIT_USAGE


def _source(client: Deployment, args: argparse.Namespace) -> Source:
    """A mirror is read straight from its file (its records' bytes, no decoding); any
    other deployment through its interface."""
    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.core.migrate.source import DeploymentSource, MirrorSource

    if isinstance(client, MirrorDeployment):
        return MirrorSource(client.mirror, user=args.user, since=args.since)
    return DeploymentSource(client, user=args.user, since=args.since)


def _show(mode: str, s: Summary, results: list[ThreadResult], store: str) -> None:
    failed = [r for r in results if r.outcome in ("failed", "differs")]
    for r in failed[:SHOWN]:
        err(f"{r.outcome}: {escaped(r.thread_id)}: {escaped(r.reason or '')}")
    if len(failed) > SHOWN:
        err(f"… and {len(failed) - SHOWN:,} more: see the report")
    tally: Counter[str] = Counter()
    for r in results:
        for note in r.notes:
            tally[_QUOTED.sub("…", note.what)] += 1
    for what, count in tally.most_common(SHOWN):
        out(f"  approximated {count:,}x: {escaped(what)}")
    if len(tally) > SHOWN:
        out(f"  … and {len(tally) - SHOWN:,} more kinds of approximation: see the report")
    n = s.count
    counts = (
        f"{n('new'):,} new, {n('updated'):,} updated, {n('unchanged'):,} unchanged, "
        f"{n('failed'):,} failed"
    )
    items = f"{plural(s.items, 'item')}"
    where = escaped(store)
    if mode == "verify":
        out(
            f"verified {plural(s.threads)} ({items}) against {where}: {n('verified'):,} agree, "
            f"{n('differs'):,} differ, {n('failed'):,} could not be read in {s.elapsed:.1f} s"
        )
        return
    if mode == "dry-run":
        out(f"dry run, nothing written: {plural(s.threads)} ({items}) would be {counts}")
    else:
        out(f"{plural(s.threads)} ({items}) into {where}: {counts} in {s.elapsed:.1f} s")
        if s.threads and s.writes == 0 and not n("failed"):
            out("nothing written: the Store already holds every thread as the source has it")
    if s.approximated_items:
        out(f"{plural(s.approximated_items, 'item')} approximated: each is in the report")
    if s.stopped:
        err("interrupted: run the same command again to finish")


def _code(mode: str, s: Summary) -> int:
    if s.stopped:
        return EXIT_INTERRUPTED
    if s.count("failed"):
        return EXIT_INCOMPLETE
    if mode == "verify" and s.count("differs"):
        return EXIT_DIFFERS
    return EXIT_OK


async def _with_signals(
    migration: Migration, work: Awaitable[Summary], progress: Progress
) -> Summary | None:
    """Ctrl-C / SIGTERM once: finish the thread under way, start no other; twice: abandon
    it (a thread is marked migrated only once whole, so the next run redoes it)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)
    interrupts = 0

    def interrupted() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            migration.stop()
            progress.clear()
            err("stopping after the thread under way (Ctrl-C again abandons it)")
        elif task is not None:
            task.cancel()

    installed: list[signal.Signals] = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, interrupted)
            installed.append(sig)
        except (ValueError, RuntimeError, NotImplementedError):
            pass
    try:
        return await work
    except asyncio.CancelledError:
        if interrupts < 2 or task is None:
            raise
        task.uncancel()
        return None
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
