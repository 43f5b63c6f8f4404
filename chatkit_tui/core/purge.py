"""Retention and erasure: delete by rule across the whole deployment, with a dry run and an
audit record. Textual-free; ``chatkit-tui threads purge`` (:mod:`chatkit_tui.scripting.purge`)
and the app's mark-by-rule (:mod:`chatkit_tui.tui.threads.mark_by_rule`) share it.

- :class:`Rules`: a user, created before a cutoff, a status, combined with AND.
  :meth:`Rules.make` fixes the cutoff of an age (``90d``) when the run starts, and nothing
  created after the run started ever matches. :func:`parse_age` and :func:`parse_date`
  read ``90d`` / ``2026-01-31`` and say what is wrong with what they cannot read.
- :func:`find_matches`: pages the server. The user filter is the server's; with a cutoff
  the pages go oldest first and stop at the first thread not older than it (the rest are
  newer still), without one newest first (a thread created while paging lands ahead of
  the cursor, unseen); the status is checked here. A record that did not decode (not a
  ``Thread``) is judged on what could be read of it, and one whose id, creation time or a
  field a rule needs could not be read is :class:`Skipped`: never deleted.
- :meth:`Rules.still_matches`: the last look at each thread before it is archived and
  deleted. User and creation time do not change once a thread exists, so the thread as
  listed is looked at; a status can, so with a status rule each thread is read again
  (with its first page of items, at once) and that fresh copy is looked at and archived.
- :class:`Purge`: finds, then deletes with the bulk runner (each thread archived first,
  by the one archive-then-delete operation), writing the :class:`PurgeReport`: JSON lines,
  one per thread, each appended as soon as its outcome is known, so an interrupted run
  leaves a truthful partial record; a run that ends (or is stopped) also writes a line for
  every thread it did not get to.
- Everything: a run over the whole deployment (no user filter) whose rules match every
  thread it read would delete them all. :attr:`Rules.everything` says so of rules that
  cannot leave any thread out (a cutoff at or after the start, nothing else), before
  anything is read; :attr:`Found.matched_all` of a listing that left none out. Unless told
  (``allow_all``), :meth:`Purge.find_and_delete` deletes nothing until a thread the rules
  leave out has been seen, and when none was it deletes nothing and raises
  :class:`EverythingMatched`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from chatkit_tui.client.errors import RateLimitError, redact
from chatkit_tui.client.models import AnyThread, Thread, UnreadableThread
from chatkit_tui.core.bulk import (
    DEFAULT_CONCURRENCY,
    MAX_RATE_LIMITED,
    BulkDelete,
    BulkProgress,
    BulkResult,
    BulkSummary,
    Outcome,
)
from chatkit_tui.core.errors import describe
from chatkit_tui.core.paths import JsonLinesReport, ReportWriteError, default_purge_dir
from chatkit_tui.core.throttle import backoff_delay
from chatkit_tui.core.times import absolute_time

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.client.deployment import Deployment

__all__ = [
    "STATUSES",
    "Candidate",
    "EverythingMatched",
    "Found",
    "Purge",
    "PurgeReport",
    "ReportFailed",
    "RequestIds",
    "RuleError",
    "Rules",
    "Skipped",
    "candidate",
    "find_matches",
    "parse_age",
    "parse_cutoff",
    "parse_date",
]

STATUSES = ("active", "locked", "closed")
PAGE_SIZE = 100  # the API's largest page

WOULD_DELETE = "would delete"
INTERRUPTED = "interrupted"


class RuleError(ValueError):
    """A rule that cannot be used, worded for the user."""


class EverythingMatched(RuleError):
    """A run over the whole deployment matched every thread it read, and was not told that
    this is meant (``allow_all``, ``--all``): nothing was deleted."""

    def __init__(self, found: Found) -> None:
        self.found = found
        super().__init__(found.everything_note())


class ReportFailed(Exception):
    """The report could not be written (``error``): the purge stopped there. No ``DELETE``
    was sent after the line that failed; those already sent then (at most the concurrency)
    finished. ``unrecorded``: the outcomes the report lacks, the one whose line failed
    first (it had happened: a line is written once its thread's outcome is known);
    ``summary``: every outcome."""

    def __init__(
        self, error: ReportWriteError, summary: BulkSummary, unrecorded: list[BulkResult]
    ) -> None:
        self.error = error
        self.summary = summary
        self.unrecorded = unrecorded
        super().__init__(str(error))


# --- ages and dates -----------------------------------------------------------------------

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86_400),
}
_VAGUE = {
    **dict.fromkeys(("m",), "m could be minutes or months: write 30min, or days (180d)"),
    **dict.fromkeys(
        ("mo", "mon", "month", "months", "y", "yr", "yrs", "year", "years"),
        "months and years differ in length: give days (365d) or a date (--before)",
    ),
}
_AGE = re.compile(r"\s*(\d+)\s*([A-Za-z]*)\s*")
_MAX_AGE_DAYS = 100 * 366


def parse_age(text: str) -> int:
    """``90d``, ``12h``, ``2w``, ``30min``, ``45s`` -> seconds. RuleError otherwise."""
    if text.strip().startswith("-"):
        raise RuleError(f"{text.strip()!r}: an age is positive, like 90d (that long ago)")
    match = _AGE.fullmatch(text)
    if match is None:
        raise RuleError(
            f"expected an age like 90d, 12h or 2w (a number and a unit: s, min, h, d, w), "
            f"got {text!r}"
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    if not unit:
        raise RuleError(
            f"{text.strip()!r} has no unit: write {number}d for days, {number}h "
            f"for hours, {number}w for weeks"
        )
    if unit in _VAGUE:
        raise RuleError(f"{text.strip()!r}: {_VAGUE[unit]}")
    if unit not in _UNITS:
        raise RuleError(f"{text.strip()!r}: unknown unit {unit!r}; use s, min, h, d or w")
    seconds = number * _UNITS[unit]
    if seconds > _MAX_AGE_DAYS * 86_400:
        raise RuleError(f"{text.strip()!r} is more than a hundred years")
    return seconds


def parse_date(text: str) -> int:
    """``2026-01-31`` (midnight UTC) or an ISO 8601 date-time (no zone: UTC) -> epoch seconds."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise RuleError(
            f"expected a date like 2026-01-31 or a date-time like 2026-01-31T12:00:00Z, "
            f"got {text!r}"
        ) from None
    return int(moment.timestamp())


def parse_cutoff(text: str, now: float) -> tuple[int, str | None]:
    """An age (``90d``: before ``now`` minus it) or a date: the cutoff, and the age's text
    (None for a date). For the app's one box that takes either."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", value):
        return parse_date(value), None
    if _AGE.fullmatch(value) is None and not value.startswith("-"):
        # neither form: say both (parse_age's own message names ages only)
        raise RuleError(
            f"expected an age like 90d, 12h or 2w, or a date like 2026-01-31 "
            f"(or 2026-01-31T12:00:00Z), got {text!r}"
        )
    return int(now) - parse_age(value), value


# --- what a listed record is --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A listed thread as the purge reads it: what the rules look at, and the record itself
    (the ``Thread``, or what stood in for one that did not decode), which the archive keeps."""

    record: object
    thread_id: str | None
    user: str | None
    created_at: int | None
    title: str | None
    status: str | None
    error: str | None = None
    """Why the record did not decode (None for a Thread)."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def candidate(record: object) -> Candidate:
    """The facts of a listed record. A ``Thread`` has them all; of anything else (an
    ``UnreadableThread``) only what could be read, the rest None."""
    if isinstance(record, Thread):
        return Candidate(
            record,
            record.id,
            record.user,
            record.created_at,
            record.title,
            record.status.type,
        )
    created = getattr(record, "created_at", None)
    status = _text(getattr(getattr(record, "status", None), "type", None))
    return Candidate(
        record,
        _text(getattr(record, "id", None)),
        _text(getattr(record, "user", None)),
        created if isinstance(created, int) and not isinstance(created, bool) else None,
        _text(getattr(record, "title", None)),
        None if status == "unreadable" else status,
        _text(getattr(record, "error", None)) or "it did not decode",
    )


# --- the rules ------------------------------------------------------------------------------

Verdict = Literal["match", "other", "newer", "skip"]


@dataclass(frozen=True, slots=True)
class Rules:
    """Which threads to delete: every rule given must hold (AND); at least one is given.

    ``before``: created strictly before this (epoch seconds). ``started``: when the run
    started; a thread created after it never matches. ``age``: the text the cutoff came
    from (``90d``), for people.
    """

    started: int
    user: str | None = None
    before: int | None = None
    status: str | None = None
    age: str | None = None

    def __post_init__(self) -> None:
        if self.user is None and self.before is None and self.status is None:
            raise RuleError("give at least one rule: --user, --older-than / --before or --status")
        if self.status is not None and self.status not in STATUSES:
            raise RuleError(f"a status is one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.user is not None and not 1 <= len(self.user) <= 512:
            raise RuleError("a user is 1 to 512 characters")

    @classmethod
    def make(
        cls,
        *,
        now: float,
        user: str | None = None,
        older_than: str | None = None,
        before: str | None = None,
        status: str | None = None,
    ) -> Rules:
        """The rules of a run starting at ``now``; RuleError for one that cannot be used."""
        if older_than is not None and before is not None:
            raise RuleError("give --older-than or --before, not both")
        started = int(now)
        cutoff: int | None = None
        if older_than is not None:
            cutoff = started - parse_age(older_than)
        elif before is not None:
            cutoff = parse_date(before)
        return cls(started, user, cutoff, status, older_than.strip() if older_than else None)

    @property
    def order(self) -> Literal["asc", "desc"]:
        """Oldest first with a cutoff (stop at the first newer thread), else newest first."""
        return "asc" if self.before is not None else "desc"

    @property
    def whole_deployment(self) -> bool:
        """Whether the run reads every thread of the deployment (no user filter): then rules
        that match every thread read would delete them all. (With a user, every thread read
        is that user's: matching them all is what an erasure does.)"""
        return self.user is None

    @property
    def everything(self) -> bool:
        """Whether the rules cannot leave out any thread that existed when the run started:
        no user, no status, and a cutoff at or after the start (``0d``, a date to come)."""
        return (
            self.user is None
            and self.status is None
            and self.before is not None
            and self.before >= self.started
        )

    def leaves_out(self, c: Candidate, verdict: Verdict | None = None) -> bool:
        """Whether the rules leave out ``c`` (``verdict``: :meth:`judge`'s, if known), a
        thread that existed when the run started (one created after it is left out by the
        run, not by a rule: it proves nothing)."""
        if c.created_at is not None and c.created_at > self.started:
            return False
        return (verdict or self.judge(c)[0]) in ("other", "newer")

    @property
    def rereads(self) -> bool:
        """Whether each thread is read again before it is archived: a status can change."""
        return self.status is not None

    def describe(self) -> str:
        """``threads of user 'u_42', created before 2026-08-26 14:05:09 UTC (older than
        90d), with status closed`` (the user as given: escape it to print it)."""
        parts: list[str] = []
        if self.user is not None:
            parts.append(f"of user '{self.user}'")
        if self.before is not None:
            when = f"created before {absolute_time(self.before)}"
            parts.append(f"{when} (older than {self.age})" if self.age else when)
        if self.status is not None:
            parts.append(f"with status {self.status}")
        return "threads " + ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "created_before": self.before,
            "older_than": self.age,
            "status": self.status,
            "started": self.started,
        }

    def judge(self, c: Candidate) -> tuple[Verdict, str | None]:
        """``match``; ``other`` (with why not); ``newer``: created at or after the cutoff,
        so (oldest first) every thread after it too; ``skip``: it may match, but what a rule
        needs could not be read (with why)."""
        if self.before is not None and c.created_at is not None and c.created_at >= self.before:
            return "newer", f"created {absolute_time(c.created_at)}, not before the cutoff"
        if self.user is not None and c.user is not None and c.user != self.user:
            return "other", f"it belongs to user {c.user!r}"
        if c.created_at is not None and c.created_at > self.started:
            return "other", "created after the purge started"
        if self.status is not None and c.status is not None and c.status != self.status:
            return "other", f"its status is {c.status}"
        missing = [
            name
            for name, needed, value in (
                ("id", True, c.thread_id),
                ("creation time", True, c.created_at),
                ("user", self.user is not None, c.user),
                ("status", self.status is not None, c.status),
            )
            if needed and value is None
        ]
        if missing:
            why = f"its {' and '.join(missing)} could not be read ({c.error})"
            return "skip", f"{why}: not deleted"
        return "match", None

    def still_matches(self, record: object) -> str | None:
        """None when ``record`` (the thread about to be archived) still matches, else why it
        is not deleted. The bulk runner's ``still_wanted``."""
        verdict, why = self.judge(candidate(record))
        if verdict == "match":
            return None
        if verdict == "skip":
            return why
        return f"not deleted: it no longer matches: {why}"


# --- finding --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skipped:
    candidate: Candidate
    reason: str


@dataclass(slots=True)
class Found:
    """What a listing found: the matches in listing order, the skipped, how much it read."""

    matches: list[Candidate] = field(default_factory=list[Candidate])
    skipped: list[Skipped] = field(default_factory=list[Skipped])
    scanned: int = 0
    pages: int = 0
    incomplete: str | None = None
    """Why the listing stopped before the end (the server repeated a cursor), if it did."""
    left_out: int = 0
    """Threads read that the rules left out (of those that existed when the run started)."""

    @property
    def matched_all(self) -> bool:
        """Whether something matched and the rules left out no thread read."""
        return bool(self.matches) and not self.left_out

    def everything_note(self) -> str:
        """What :attr:`matched_all` means, and how to say it is meant."""
        return (
            f"this rule matches every thread scanned ({self.scanned:,}): pass --all to "
            "delete them all"
        )

    def date_range(self) -> tuple[int, int] | None:
        """(oldest, newest) creation time of the matches; None when there are none."""
        times = [c.created_at for c in self.matches if c.created_at is not None]
        return (min(times), max(times)) if times else None

    @property
    def threads(self) -> list[AnyThread]:
        """The matches as the client decoded them (each has an id: a match must)."""
        return [c.record for c in self.matches if isinstance(c.record, Thread | UnreadableThread)]


async def find_matches(
    client: Deployment,
    rules: Rules,
    *,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[Found], object] | None = None,
    keep_going: Callable[[], bool] | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> Found:
    """Every thread ``rules`` match, paging the server (see the module's doc).

    A 429 that outlasts the client's retries is waited out (its ``Retry-After``, else a
    doubling backoff) up to :data:`MAX_RATE_LIMITED` times in a row, then raised. Other
    client errors are raised. ``on_page`` is called after each page; ``keep_going`` before
    each: False ends the listing there (``incomplete`` says so).
    """
    found = Found()
    seen_ids: set[str] = set()
    cursors: set[str] = set()
    after: str | None = None
    limited = 0
    while True:
        if keep_going is not None and not keep_going():
            found.incomplete = "the purge was stopped before the end of the thread list"
            return found
        try:
            page = await client.threads.list(
                user=rules.user, limit=page_size, order=rules.order, after=after
            )
        except RateLimitError as exc:
            limited += 1
            if limited > MAX_RATE_LIMITED:
                raise
            await sleep(backoff_delay(exc.retry_after, limited - 1))
            continue
        limited = 0
        found.pages += 1
        stop = False
        for record in page.data:
            found.scanned += 1
            c = candidate(record)
            if c.thread_id is not None:
                if c.thread_id in seen_ids:
                    continue  # a server that repeats a thread across pages
                seen_ids.add(c.thread_id)
            verdict, why = rules.judge(c)
            if rules.leaves_out(c, verdict):
                found.left_out += 1
            if verdict == "newer":
                stop = True
                break
            if verdict == "match":
                found.matches.append(c)
            elif verdict == "skip":
                found.skipped.append(Skipped(c, why or "not deleted"))
        if on_page is not None:
            on_page(found)
        cursor = page.last_id
        if stop or not page.has_more:
            return found
        if not cursor or cursor in cursors or cursor == after:
            found.incomplete = (
                "the deployment's thread list stopped advancing (it repeated a page cursor), so "
                "threads after that point were not looked at"
            )
            return found
        cursors.add(cursor)
        after = cursor


# --- request ids ----------------------------------------------------------------------------

_THREAD_PATH = re.compile(r"/chatkit/threads/([^/?]+)(/items)?$")


class RequestIds:
    """An httpx response hook that keeps, per thread, the ``x-request-id`` of its last
    ``DELETE`` and of its last read, for the report (the client returns models, not
    headers). ``secret``: the API key, never kept (a server could echo it)."""

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret
        self._ids: dict[tuple[str, str], str] = {}

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        value = response.headers.get("x-request-id")
        if value is None:
            return
        path = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
        match = _THREAD_PATH.search(path)
        if match is None:
            return
        kind = "DELETE" if request.method == "DELETE" else "read"
        self._ids[(unquote(match.group(1)), kind)] = redact(value, self._secret)

    def of(self, thread_id: str) -> str | None:
        """The thread's DELETE's request id, else its last read's (a 404 there: gone)."""
        return self._ids.get((thread_id, "DELETE")) or self._ids.get((thread_id, "read"))


# --- the report -----------------------------------------------------------------------------


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class PurgeReport(JsonLinesReport):
    """The audit record of a purge: JSON lines, appended one whole line per ``write``.

    Lines: ``{"record": "run", ...}`` first (the rules, the endpoint, dry run or not), then
    ``{"record": "thread", "id", "user", "created_at", "title", "status", "outcome",
    "reason", "archive", "thread_from", "request_id", "time"}`` for each thread as its
    outcome is known, and ``{"record": "end", ...}`` with the counts when the run ends (a
    report without it is of a run that was killed). The file is private to the user
    (0600); :meth:`close` flushes it to disk (fsync). A new report never overwrites an old
    one; a ``path`` given that exists is appended to (each run has its own ``run`` line).
    """

    prefix = "purge"

    def __init__(self, path: Path, *, new: bool = False) -> None:
        super().__init__(path, new=new)
        self.reported: set[str] = set()
        """Thread ids that have a line."""

    @classmethod
    def directory(cls) -> Path:
        return default_purge_dir()

    def run(
        self,
        rules: Rules,
        found: Found | None,
        *,
        dry_run: bool,
        endpoint: str,
        archive_dir: Path,
    ) -> None:
        """The first line. ``found`` None: deleting starts while finding (the counts are
        then in the end line only)."""
        self.write(
            {
                "record": "run",
                "started": datetime.fromtimestamp(rules.started, UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z"),
                "dry_run": dry_run,
                "endpoint": endpoint,
                "rules": rules.as_json(),
                "matched": len(found.matches) if found else None,
                "skipped": len(found.skipped) if found else None,
                "scanned": found.scanned if found else None,
                "incomplete": found.incomplete if found else None,
                "archive_dir": str(archive_dir),
                "thread_from": "retrieve" if rules.rereads else "list",
            }
        )

    def thread(
        self,
        c: Candidate,
        outcome: str,
        *,
        reason: str | None = None,
        archive: Path | None = None,
        thread_from: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.write(
            {
                "record": "thread",
                "id": c.thread_id,
                "user": c.user,
                "created_at": c.created_at,
                "title": c.title,
                "status": c.status,
                "outcome": outcome,
                "reason": reason,
                "archive": str(archive) if archive is not None else None,
                "thread_from": thread_from,
                "request_id": request_id,
                "time": _utc_now(),
            }
        )
        if c.thread_id is not None:
            self.reported.add(c.thread_id)

    def end(
        self,
        how: str,
        counts: dict[str, int],
        elapsed: float,
        found: Found,
        *,
        error: str | None = None,
    ) -> None:
        self.write(
            {
                "record": "end",
                "finished": _utc_now(),
                "how": how,
                "error": error,
                "matched": len(found.matches),
                "skipped_unreadable": len(found.skipped),
                "scanned": found.scanned,
                "incomplete": found.incomplete,
                "counts": counts,
                "seconds": round(elapsed, 3),
            }
        )
        try:  # the new file's directory entry too
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


def read_report(path: Path) -> list[dict[str, Any]]:
    """Every line of a report, parsed (a last line cut short by a kill is left out)."""
    records: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


# --- the run ----------------------------------------------------------------------------------


def _counts(results: Iterable[BulkResult], skipped: int) -> dict[str, int]:
    counts: dict[str, int] = {o.value: 0 for o in Outcome}
    for result in results:
        counts[result.outcome.value] += 1
    counts[Outcome.SKIPPED.value] += skipped
    return {k: v for k, v in counts.items() if v}


class Purge:
    """One purge: :meth:`find`, then (confirmed) :meth:`delete` or :meth:`dry_run`; or,
    with nobody to ask, :meth:`find_and_delete`, which deletes while it is still finding.

    ``request_ids``: the :class:`RequestIds` hook installed on the client's httpx client,
    if any (the report's ``request_id`` of a thread that did not fail comes from it).
    ``allow_all``: rules that match every thread of the deployment read are meant
    (``--all``); without it :meth:`find_and_delete` refuses them (see the module's doc).
    """

    def __init__(
        self,
        client: Deployment,
        rules: Rules,
        *,
        archive_dir: Path | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        request_ids: RequestIds | None = None,
        allow_all: bool = False,
    ) -> None:
        self.client = client
        self.rules = rules
        self.allow_all = allow_all
        self.archive_dir = archive_dir
        self.concurrency = concurrency
        self.request_ids = request_ids
        self.found = Found()
        self.runner: BulkDelete | None = None
        self._stopped = False
        self.unrecorded: list[BulkResult] = []
        """Outcomes whose line could not be written (see :class:`ReportFailed`)."""

    async def find(self, on_page: Callable[[Found], object] | None = None) -> Found:
        self.found = await find_matches(self.client, self.rules, on_page=on_page)
        return self.found

    def dry_run(self, report: PurgeReport) -> None:
        """Report what a real run would delete (and skip), deleting nothing."""
        for c in self.found.matches:
            report.thread(c, WOULD_DELETE)
        for s in self.found.skipped:
            report.thread(s.candidate, Outcome.SKIPPED.value, reason=s.reason)
        report.end("dry run", {WOULD_DELETE: len(self.found.matches)}, 0.0, self.found)

    def stop(self) -> None:
        """Find no more, start no more threads; those in flight finish (the rest of those
        found: 'not attempted')."""
        self._stopped = True
        if self.runner is not None:
            self.runner.stop()

    async def delete(
        self,
        report: PurgeReport,
        *,
        on_result: Callable[[BulkResult], object] | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> BulkSummary:
        """Archive then delete every match of :meth:`find` with the bulk runner, reporting
        each thread (see :meth:`_run`)."""
        runner = self._runner(report, on_result, on_progress)
        for s in self.found.skipped:
            report.thread(s.candidate, Outcome.SKIPPED.value, reason=s.reason)
        runner.add_found(self.found.matches)
        runner.close()
        return await self._run(report, runner, runner.run())

    async def find_and_delete(
        self,
        report: PurgeReport,
        *,
        on_page: Callable[[Found], object] | None = None,
        on_result: Callable[[BulkResult], object] | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> BulkSummary:
        """Find and delete at once: each page's matches go to the runner as the page
        arrives, so the listing's round trips overlap the deletes (no one is asked, so
        nothing needs the whole list first). A listing that fails stops the deletes (those
        in flight finish) and raises once they have.

        Over the whole deployment, unless ``allow_all``, nothing goes to the runner until a
        thread the rules leave out has been read (the newest thread is looked at first when
        the pages go oldest first: an age leaves it out, and then the first page may go at
        once). A listing that left out none deletes nothing: every match is reported "not
        attempted" and :class:`EverythingMatched` is raised."""
        runner = self._runner(report, on_result, on_progress)
        fed = skipped = 0
        latest: list[Found] = []  # the listing so far, once a page has come
        guarded = not self.allow_all and self.rules.whole_deployment
        left_out_seen = False  # the newest thread, looked at first, is one left out

        def feed(found: Found, *, hold_last: bool) -> None:
            # The last match so far may be the page's last thread: the cursor of the next
            # list request. Deleting it before that request is sent could leave the server
            # a cursor that names no thread, so it waits until the next page has come.
            nonlocal fed
            upto = len(found.matches) - 1 if hold_last else len(found.matches)
            if upto > fed:
                runner.add_found(found.matches[fed:upto])
                fed = upto

        def page(found: Found) -> None:
            nonlocal skipped
            self.found = found
            latest[:] = [found]
            for s in found.skipped[skipped:]:
                report.thread(s.candidate, Outcome.SKIPPED.value, reason=s.reason)
            skipped = len(found.skipped)
            if not guarded or left_out_seen or found.left_out:
                feed(found, hold_last=True)
            if on_page is not None:
                on_page(found)

        async def finding_then_running() -> BulkSummary:
            nonlocal left_out_seen
            run = asyncio.ensure_future(runner.run())
            try:
                if guarded and self.rules.order == "asc":
                    left_out_seen = await self._newest_left_out()
                self.found = await find_matches(
                    self.client, self.rules, on_page=page, keep_going=lambda: not self._stopped
                )
            except asyncio.CancelledError:  # abandoned: so are the requests in flight
                run.cancel()
                await asyncio.wait([run])
                raise
            except BaseException:
                for found in latest:
                    feed(found, hold_last=False)  # reported, as not attempted
                runner.stop()
                runner.close()
                await run  # the requests in flight finish; then the listing's error goes on
                raise
            if guarded and not left_out_seen and self.found.matched_all and not self._stopped:
                reason = f"not deleted: {self.found.everything_note()}"
                for c in self.found.matches:
                    report.thread(c, Outcome.NOT_ATTEMPTED.value, reason=reason)
                runner.close()
                await run  # (it was given nothing)
                raise EverythingMatched(self.found)
            feed(self.found, hold_last=False)  # the listing is over: no cursor to keep
            runner.close()
            return await run

        return await self._run(report, runner, finding_then_running())

    async def _newest_left_out(self) -> bool:
        """Whether the deployment's newest thread is one the rules leave out. Any failure:
        False (the listing that follows meets it again, and says so)."""
        try:
            page = await self.client.threads.list(limit=1, order="desc")
        except Exception:
            return False
        return any(self.rules.leaves_out(candidate(record)) for record in page.data)

    # --- shared ---------------------------------------------------------------------------

    def _runner(
        self,
        report: PurgeReport,
        on_result: Callable[[BulkResult], object] | None,
        on_progress: Callable[[BulkProgress], object] | None,
    ) -> _PurgeRunner:
        """An open-ended bulk runner whose results go to ``report``; the caller adds the
        matches (:meth:`_PurgeRunner.add_found`) and closes it."""
        thread_from = "retrieve" if self.rules.rereads else "list"

        def may_delete() -> str | None:
            if report.failure is None:
                return None
            return f"not deleted: the report could not be written ({report.failure.reason})"

        def record(result: BulkResult) -> None:
            error_id = getattr(result.error, "request_id", None)
            request_id = error_id if isinstance(error_id, str) else None
            if request_id is None and self.request_ids is not None:
                request_id = self.request_ids.of(result.thread_id)
            try:
                report.thread(
                    runner.found[result.thread_id],
                    result.outcome.value,
                    reason=result.reason,
                    archive=result.archive,
                    thread_from=thread_from if result.archive is not None else None,
                    request_id=request_id,
                )
            except ReportWriteError:  # what is done next could not be recorded: stop
                self.unrecorded.append(result)
                self.stop()
            if on_result is not None:
                on_result(result)

        self.runner = runner = _PurgeRunner(
            self.client,
            [],
            archive_dir=self.archive_dir,
            concurrency=self.concurrency,
            on_result=record,
            on_progress=on_progress,
            still_wanted=self.rules.still_matches,
            open_ended=True,
            rereads=self.rules.rereads,
            may_delete=may_delete,
        )
        if self._stopped:
            runner.stop()
        return runner

    async def _run(
        self, report: PurgeReport, runner: _PurgeRunner, work: Awaitable[BulkSummary]
    ) -> BulkSummary:
        """``work``, then the report's end line. Cancelled (a second Ctrl-C), every thread
        found without a line yet gets one ("interrupted": its outcome is not known) before
        the cancellation goes on. A report that could not be written: :class:`ReportFailed`
        (whatever else failed with it)."""
        try:
            return await self._run_and_end(report, runner, work)
        except Exception as exc:
            if report.failure is None:
                raise
            raise ReportFailed(report.failure, runner.summary, self.unrecorded) from exc

    async def _run_and_end(
        self, report: PurgeReport, runner: _PurgeRunner, work: Awaitable[BulkSummary]
    ) -> BulkSummary:
        started = asyncio.get_running_loop().time()
        try:
            summary = await work
        except asyncio.CancelledError:
            if report.failure is not None:
                raise  # nothing more can be recorded
            try:
                for thread_id, c in runner.found.items():
                    if thread_id not in report.reported:
                        report.thread(
                            c,
                            INTERRUPTED,
                            reason="the run was interrupted before this thread's outcome "
                            "was known (it may have been archived or deleted); run the "
                            "purge again",
                        )
                counts = _counts(runner.summary.results, len(self.found.skipped))
                counts[INTERRUPTED] = len(runner.found) - len(runner.summary.results)
                elapsed = asyncio.get_running_loop().time() - started
                report.end(INTERRUPTED, counts, elapsed, self.found)
            except ReportWriteError:
                pass  # the cancellation goes on; report.failure says the record is short
            raise
        except EverythingMatched as exc:  # nothing deleted (find_and_delete)
            counts = _counts(runner.summary.results, len(self.found.skipped))
            counts[Outcome.NOT_ATTEMPTED.value] = len(self.found.matches)
            elapsed = asyncio.get_running_loop().time() - started
            report.end("refused", counts, elapsed, self.found, error=str(exc))
            raise
        except Exception as exc:  # the listing failed (find_and_delete): record why
            if report.failure is not None:
                raise
            counts = _counts(runner.summary.results, len(self.found.skipped))
            elapsed = asyncio.get_running_loop().time() - started
            report.end("failed", counts, elapsed, self.found, error=describe(exc))
            raise
        # stopped: threads were left (not attempted), or the listing was cut short by stop()
        stopped = summary.stopped or (self._stopped and self.found.incomplete is not None)
        counts = _counts(summary.results, len(self.found.skipped))
        report.end("stopped" if stopped else "complete", counts, summary.elapsed, self.found)
        return summary


class _PurgeRunner(BulkDelete):
    """The bulk runner fed with :class:`Candidate` matches (by id, for the report)."""

    def __init__(self, *args: Any, rereads: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rereads = rereads
        self.found: dict[str, Candidate] = {}

    def add_found(self, matches: Iterable[Candidate]) -> None:
        new = [c for c in matches if c.thread_id is not None and c.thread_id not in self.found]
        self.found.update((c.thread_id, c) for c in new if c.thread_id is not None)
        ids = [c.thread_id for c in new if c.thread_id is not None]
        listed = {} if self.rereads else {i: self.found[i].record for i in ids}
        self.add(ids, listed)
