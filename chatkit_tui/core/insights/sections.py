"""The figures, one function per section of the insights screen, each a few SQL queries
over the mirror's summary tables (:mod:`.summaries`), never a read of every item.

Textual-free. Each takes an open :class:`~chatkit_tui.core.mirror.Mirror` (read-only is
enough) and :class:`~.model.Filters`, returns one small Struct (:mod:`.model`), and is
safe to call from a worker thread (the mirror's connection is used under its lock). A
screen calls them one by one, drawing each section as it comes; :func:`gather` calls them
all. A damaged page raises :class:`~chatkit_tui.core.mirror.MirrorDamaged`; a file whose
summaries are not built raises :class:`~.summaries.SummariesMissing` (see
:func:`~.opening.open_for_insights`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from chatkit_tui.core.insights.model import (
    ActiveUsers,
    Activity,
    BusiestHours,
    Filters,
    Insights,
    ItemMix,
    Overview,
    Spread,
    Statuses,
    ThreadList,
    ThreadRef,
    TimeToAnswer,
    ToolCount,
    ToolMix,
    UserActivity,
    WentWrong,
)
from chatkit_tui.core.insights.summaries import (
    DAY,
    INT_KINDS,
    SummariesMissing,
    SummaryReader,
)

__all__ = [
    "ALL",
    "LIST_LIMIT",
    "USERS_LIMIT",
    "WEEKS_AFTER_DAYS",
    "Readable",
    "active_users",
    "activity",
    "gather",
    "hours",
    "item_mix",
    "overview",
    "statuses",
    "time_to_answer",
    "tool_mix",
    "went_wrong",
]

WEEKS_AFTER_DAYS = 92
"""Over a span of more days than this, :class:`Activity` says draw weeks."""
LIST_LIMIT = 50
"""How many threads each "went wrong" list holds by default (its ``total`` counts all)."""
USERS_LIMIT = 20
ALL = Filters()
"""No filter: every thread."""


class Readable(Protocol):
    """What the sections read through: an open :class:`~chatkit_tui.core.mirror.Mirror`
    of either engine (its ``summary_reader()`` gives a :class:`SummaryReader` under its
    lock, and raises a damaged page as :class:`~chatkit_tui.core.mirror.MirrorDamaged`)."""

    @property
    def path(self) -> Any: ...

    def summary_reader(self) -> AbstractContextManager[SummaryReader]: ...


# --- which rows a filter reads -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where the selected threads' totals are: whole UTC days ``[lo, hi)`` of ``ins_day``
    (None: none; a bound None: open), and the threads of ``ins_thread t`` matching each
    ``(where, params)`` in ``parts`` (the partial days at the ends of a range, or every
    thread of a user). The parts and the days never overlap."""

    days: tuple[int | None, int | None] | None
    parts: tuple[tuple[str, tuple[object, ...]], ...]
    user: str | None
    bounded: bool
    span: tuple[int | None, int | None] = (None, None)
    """The filter's ``[since, until)`` (with a user: the user's threads in it)."""


def _scope(f: Filters) -> _Scope:
    bounded = f.since is not None or f.until is not None
    if f.user is not None:
        where, params = _thread_where(f)
        return _Scope(None, ((where, params),), f.user, bounded, (f.since, f.until))
    lo = None if f.since is None else -(-f.since // DAY)
    hi = None if f.until is None else f.until // DAY
    span = "t.created_at >= ? AND t.created_at < ?"
    if lo is not None and hi is not None and lo >= hi:  # no whole day between the bounds
        assert f.since is not None and f.until is not None
        inside = ((span, (f.since, f.until)),) if f.since < f.until else ()
        return _Scope(None, inside, None, bounded)
    parts: list[tuple[str, tuple[object, ...]]] = []
    if f.since is not None and lo is not None and f.since < lo * DAY:
        parts.append((span, (f.since, lo * DAY)))
    if f.until is not None and hi is not None and hi * DAY < f.until:
        parts.append((span, (hi * DAY, f.until)))
    return _Scope((lo, hi), tuple(parts), None, bounded)


def _thread_where(f: Filters) -> tuple[str, tuple[object, ...]]:
    """The filter over ``ins_thread t`` as it is."""
    where = ["true"]
    params: list[object] = []
    if f.user is not None:
        where.append('t."user" = ?')
        params.append(f.user)
    if f.since is not None:
        where.append("t.created_at >= ?")
        params.append(f.since)
    if f.until is not None:
        where.append("t.created_at < ?")
        params.append(f.until)
    return " AND ".join(where), tuple(params)


def _day_where(scope: _Scope) -> tuple[str, tuple[object, ...]]:
    assert scope.days is not None
    lo, hi = scope.days
    where = ""
    params: list[object] = []
    if lo is not None:
        where += " AND day >= ?"
        params.append(lo)
    if hi is not None:
        where += " AND day < ?"
        params.append(hi)
    return where, tuple(params)


# what each kind of ins_day is over the thread rows: (key, count, extra condition)
_COLUMN_KINDS: dict[str, tuple[str, str, str]] = {
    "threads": ("''", "count(*)", ""),
    "items": ("''", "sum(t.items)", ""),
    "size": ("t.items", "count(*)", ""),
    "hour": ("(t.created_at - t.day * 86400) / 3600", "count(*)", ""),
    "status": ("t.status", "count(*)", ""),
    "reason:locked": ("t.reason", "count(*)", " AND t.status = 'locked'"),
    "reason:closed": ("t.reason", "count(*)", " AND t.status = 'closed'"),
    "unanswered": ("''", "count(*)", " AND {}"),
    "pending": ("''", "count(*)", " AND {}"),
    "unfinished": ("''", "count(*)", " AND {}"),
}


def _keyed(db: SummaryReader, kind: str, rows: Any) -> Iterator[tuple[int, Any, int]]:
    """``(day, key, n)`` rows, the keys of :data:`INT_KINDS` numbers on either engine."""
    if db.dialect.text_keys and kind in INT_KINDS:
        for day, key, n in rows:
            yield day, int(key), n
    else:
        yield from rows


def _by_day(
    db: SummaryReader, scope: _Scope, kind: str, *, days: bool = True
) -> Iterator[tuple[int, Any, int]]:
    """``(day, key, n)`` of one kind over the selected threads (a day and key may come
    twice: sum them). ``days`` False: the thread rows' part not grouped by day (day 0),
    a smaller GROUP BY (what :func:`_totals` needs)."""
    t_day, t_group = ("t.day", "t.day, ") if days else ("0", "")
    if scope.days is not None:
        where, params = _day_where(scope)
        yield from _keyed(
            db,
            kind,
            db.execute(
                f"SELECT day, key, n FROM ins_day WHERE kind = ?{where}",  # noqa: S608
                (kind, *params),
            ),
        )
    for part, params in scope.parts:
        if kind in _COLUMN_KINDS:
            key, count, extra = _COLUMN_KINDS[kind]
            extra = extra.format(db.dialect.flag(f"t.{kind}"))
            sql = (
                f"SELECT {t_day}, {key} AS k, {count} FROM ins_thread AS t"  # noqa: S608
                f" WHERE {part}{extra} GROUP BY {t_group}k"
            )
            yield from db.execute(sql, params)
        elif scope.user is not None and (db.dialect.exact_kv_user or scope.user != ""):
            # the user's rows: one range of the table's key
            since, until = scope.span
            span = "" if since is None else " AND created_at >= ?"
            span += "" if until is None else " AND created_at < ?"
            bounds = tuple(b for b in (since, until) if b is not None)
            day, group = ("created_at / 86400", "1, ") if days else ("0", "")
            rows = db.execute(
                f"SELECT {day}, key, sum(n) FROM ins_thread_kv"  # noqa: S608
                f' WHERE "user" = ? AND kind = ?{span} GROUP BY {group}key',
                (scope.user, kind, *bounds),
            )
            yield from _keyed(db, kind, rows)
        else:
            rows = db.execute(
                f"SELECT {t_day}, kv.key, sum(kv.n) FROM ins_thread AS t"  # noqa: S608
                f' JOIN ins_thread_kv AS kv ON kv."user" = coalesce(t."user", {db.dialect.no_user})'
                f" AND kv.pk = t.pk AND kv.kind = ? WHERE {part}"
                f" GROUP BY {t_group}kv.key",
                (kind, *params),
            )
            yield from _keyed(db, kind, rows)


def _totals(db: SummaryReader, scope: _Scope, kind: str) -> Counter[Any]:
    """``{key: n}`` of one kind over the selected threads."""
    out: Counter[Any] = Counter()
    if scope.days is not None:
        where, params = _day_where(scope)
        numbers = db.dialect.text_keys and kind in INT_KINDS
        for key, n in db.execute(
            f"SELECT key, sum(n) FROM ins_day WHERE kind = ?{where} GROUP BY key",  # noqa: S608
            (kind, *params),
        ):
            out[int(key) if numbers else key] += int(n)
    rest = _Scope(None, scope.parts, scope.user, scope.bounded, scope.span)
    for _day, key, n in _by_day(db, rest, kind, days=False):
        out[key] += int(n or 0)
    return +out


def _day_name(day: int) -> str:
    return datetime.fromtimestamp(day * DAY, UTC).date().isoformat()


def _week_name(week: int) -> str:
    """Weeks from Monday: week ``w`` starts on day ``7 w - 3`` (day 0 was a Thursday)."""
    return _day_name(week * 7 - 3)


def _spread(hist: Counter[Any]) -> Spread:
    """Nearest-rank median and p95 of the values counted in ``hist``."""
    total = sum(hist.values())
    if total <= 0:
        return Spread()
    keys = sorted(hist)

    def rank(percent: int) -> int:
        need = max(1, -(-percent * total // 100))
        seen = 0
        for key in keys:
            seen += hist[key]
            if seen >= need:
                return int(key)
        return int(keys[-1])

    return Spread(count=total, median=rank(50), p95=rank(95))


class _Read:
    """The connection of one section's reads; refuses a file without summaries."""

    def __init__(self, mirror: Readable) -> None:
        self._mirror = mirror
        self._context = mirror.summary_reader()

    def __enter__(self) -> SummaryReader:
        db = self._context.__enter__()
        try:
            ready = db.has_summaries()
        except BaseException as exc:
            self._context.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if not ready:
            self._context.__exit__(None, None, None)
            raise SummariesMissing(missing_message(self._mirror.path))
        return db

    def __exit__(self, *exc: Any) -> bool | None:
        return self._context.__exit__(*exc)


def missing_message(path: object) -> str:
    """What to say of a mirror made before insights that could not be given them here."""
    return (
        f"{path} was made before insights (or before this version's layout of them): its"
        " summaries are not built, and they could not be built here (the mirror cannot be"
        " written here, or --read-only was given). One"
        f" `chatkit-tui mirror --db {path}` builds them (so does chatkit-tui insights where"
        " it can write the mirror)."
    )


# --- the sections ---------------------------------------------------------------------------------


def _users(db: SummaryReader, scope: _Scope, threads: int, span: Filters) -> int:
    if scope.user is not None:
        return 1 if threads else 0
    if not scope.bounded or _covers_all(db, span):
        return int(db.execute("SELECT count(*) FROM ins_user WHERE threads > 0").fetchone()[0])
    picks, params = _user_picks(scope, '"user"', 't."user"')
    if not picks:
        return 0
    sql = db.dialect.count_distinct("", '"user"', " UNION ALL ".join(picks))
    return int(db.execute(sql, params).fetchone()[0])


def _known_users(db: SummaryReader) -> int:
    return int(db.execute("SELECT count(*) FROM ins_user").fetchone()[0])


def _covers_all(db: SummaryReader, f: Filters) -> bool:
    """The range holds every thread of the file (a year asked of a year's mirror): its
    users' figures are those of no range, read from ``ins_user`` alone."""
    # two queries: each of min() and max() alone is one seek into the index by time
    first = db.execute("SELECT min(created_at) FROM ins_thread").fetchone()[0]
    if first is None:
        return True
    last = db.execute("SELECT max(created_at) FROM ins_thread").fetchone()[0]
    return (f.since is None or f.since <= int(first)) and (f.until is None or f.until > int(last))


_SEEK_COST = 8
"""A seek per user into the index by user costs about this many of the range's ``(day,
user)`` rows read in order (measured on 1,000,000 threads, warm: 30 days, 1.6 threads a
user, read faster by rows; a year, 20 a user, by seeks). Only the top users are found by
seeks (a few users' ranges); the distinct users of a range are not: a seek for each of
50,000 users into a cold index took 3-4.5 s, the range's rows 0.2-0.4 s."""


def _long_range(db: SummaryReader, threads: int) -> bool:
    """A range of so many threads (``threads``) that walking the top users' ranges
    (:func:`_top_users_walked`) reads less than every ``(day, user)`` row of it."""
    return threads > _SEEK_COST * _known_users(db)


def _user_span(f: Filters) -> tuple[tuple[str, str], tuple[object, ...]]:
    """A range's conditions on a user's ``ins_user u`` row (its last day not before the
    range) and on their threads ``t`` (in it), and their parameters."""
    on_user = on_thread = ""
    params: list[object] = []
    if f.since is not None:
        on_user = " AND u.last_day >= ?"
        params.append(f.since // DAY)
    if f.since is not None:
        on_thread += " AND t.created_at >= ?"
        params.append(f.since)
    if f.until is not None:
        on_thread += " AND t.created_at < ?"
        params.append(f.until)
    return (on_user, on_thread), tuple(params)


def _user_picks(
    scope: _Scope, day_cols: str, thread_cols: str, *, counted: bool = False
) -> tuple[list[str], list[object]]:
    """SELECTs of the selected (day, user) rows: whole days from ``ins_day_user`` (or,
    ``counted``, their count a day from ``ins_day_users``: ``day, sum(users)``), the
    partial days from ``ins_thread``."""
    picks: list[str] = []
    params: list[object] = []
    if scope.days is not None:
        where, day_params = _day_where(scope)
        source = (
            "day, sum(users) FROM ins_day_users" if counted else f"{day_cols} FROM ins_day_user"
        )
        picks.append(f"SELECT {source} WHERE true{where}")
        params.extend(day_params)
    for part, part_params in scope.parts:
        picks.append(
            f"SELECT {thread_cols} FROM ins_thread AS t"  # noqa: S608
            f' WHERE t."user" IS NOT NULL AND {part}'
        )
        params.extend(part_params)
    return picks, params


def overview(mirror: Readable, filters: Filters = ALL) -> Overview:
    """Threads selected, distinct users among them (a thread with no user is no user),
    the items in them, the first and last UTC day one of them was created."""
    scope = _scope(filters)
    with _Read(mirror) as db:
        threads = sum(_totals(db, scope, "threads").values())
        items = sum(_totals(db, scope, "items").values())
        days: list[int] = []
        if scope.days is not None:
            where, params = _day_where(scope)
            row = db.execute(
                f"SELECT min(day), max(day) FROM ins_day WHERE kind = 'threads'{where}",  # noqa: S608
                params,
            ).fetchone()
            days.extend(int(d) for d in row if d is not None)
        for part, params in scope.parts:
            row = db.execute(
                f"SELECT min(t.day), max(t.day) FROM ins_thread AS t WHERE {part}",  # noqa: S608
                params,
            ).fetchone()
            days.extend(int(d) for d in row if d is not None)
        users = _users(db, scope, threads, filters)
    return Overview(
        threads=threads,
        users=users,
        items=items,
        first_day=_day_name(min(days)) if days else None,
        last_day=_day_name(max(days)) if days else None,
    )


def activity(mirror: Readable, filters: Filters = ALL) -> Activity:
    """Threads started, and distinct users who started one, per UTC day and per week
    (from Monday); ``granularity`` ``week`` when the days span more than
    :data:`WEEKS_AFTER_DAYS`."""
    scope = _scope(filters)
    per_day: Counter[int] = Counter()
    users_day: Counter[int] = Counter()
    users_week: Counter[int] = Counter()
    with _Read(mirror) as db:
        for day, _key, n in _by_day(db, scope, "threads"):
            per_day[int(day)] += int(n)
        if scope.user is not None:
            users_day.update(dict.fromkeys(per_day, 1))
            users_week.update(dict.fromkeys({(d + 3) // 7 for d in per_day}, 1))
        else:
            counted = db.has_user_counts()  # a row a day, not every (day, user) row
            picks, params = _user_picks(
                scope, "day, count(*)", 't.day, count(DISTINCT t."user")', counted=counted
            )
            for pick, part in zip(picks, _split(params, scope), strict=True):
                for day, n in db.execute(f"{pick} GROUP BY 1", part):
                    users_day[int(day)] += int(n)
            users_week = _users_per_week(db, scope, counted=counted)
    per_week: Counter[int] = Counter()
    for day, n in per_day.items():
        per_week[(day + 3) // 7] += n
    span = (max(per_day) - min(per_day) + 1) if per_day else 0
    return Activity(
        threads_per_day={_day_name(d): per_day[d] for d in sorted(per_day) if per_day[d]},
        users_per_day={_day_name(d): users_day[d] for d in sorted(users_day) if users_day[d]},
        threads_per_week={_week_name(w): per_week[w] for w in sorted(per_week) if per_week[w]},
        users_per_week={_week_name(w): users_week[w] for w in sorted(users_week) if users_week[w]},
        granularity="week" if span > WEEKS_AFTER_DAYS else "day",
    )


def _users_per_week(db: SummaryReader, scope: _Scope, *, counted: bool = False) -> Counter[int]:
    """Distinct users per week (from Monday: week ``(day + 3) // 7``) over the selected
    threads with no user filter: the weeks wholly inside the day range from
    ``ins_week_user`` (``counted``: their counts in ``ins_week_users``), the days of the
    weeks cut by its ends (and the partial days) by ``UNION`` of their ``(week, user)``
    rows."""
    out: Counter[int] = Counter()
    picks: list[str] = []
    params: list[object] = []
    edges: list[tuple[int | None, int | None]] = []
    if scope.days is not None:
        lo, hi = scope.days
        first = None if lo is None else -(-(lo + 3) // 7)  # the first whole week
        stop = None if hi is None else (hi + 3) // 7  # after the last whole week
        if first is not None and stop is not None and first >= stop:
            edges.append((lo, hi))
        else:
            where, week_params = "", list[object]()
            if first is not None:
                where += " AND week >= ?"
                week_params.append(first)
                edges.append((lo, first * 7 - 3))
            if stop is not None:
                where += " AND week < ?"
                week_params.append(stop)
                edges.append((stop * 7 - 3, hi))
            source = "sum(users) FROM ins_week_users" if counted else "count(*) FROM ins_week_user"
            for week, n in db.execute(
                f"SELECT week, {source} WHERE true{where} GROUP BY week",
                week_params,
            ):
                out[int(week)] += int(n)
    for start, end in edges:
        if start is not None and end is not None and start < end:
            picks.append(
                'SELECT (day + 3) / 7 AS w, "user" FROM ins_day_user WHERE day >= ? AND day < ?'
            )
            params.extend((start, end))
    for part, part_params in scope.parts:
        picks.append(
            'SELECT (t.day + 3) / 7 AS w, t."user" FROM ins_thread AS t'  # noqa: S608
            f' WHERE t."user" IS NOT NULL AND {part}'
        )
        params.extend(part_params)
    if picks:
        # distinct users by week over (w, user) rows: a user on several days once
        sql = db.dialect.count_distinct("w", '"user"', " UNION ALL ".join(picks))
        for week, n in db.execute(sql, params):
            out[int(week)] += int(n)
    return out


def _split(params: Sequence[object], scope: _Scope) -> list[tuple[object, ...]]:
    """``params`` of :func:`_user_picks` cut back into each pick's own."""
    out: list[tuple[object, ...]] = []
    at = 0
    sizes: list[int] = []
    if scope.days is not None:
        sizes.append(len(_day_where(scope)[1]))
    sizes.extend(len(p) for _w, p in scope.parts)
    for size in sizes:
        out.append(tuple(params[at : at + size]))
        at += size
    return out


def hours(mirror: Readable, filters: Filters = ALL) -> BusiestHours:
    """Threads started by UTC weekday (Monday=0) and hour: ``grid[weekday][hour]``."""
    scope = _scope(filters)
    grid = [[0] * 24 for _ in range(7)]
    with _Read(mirror) as db:
        for day, hour, n in _by_day(db, scope, "hour"):
            if 0 <= int(hour) < 24:
                grid[(int(day) + 3) % 7][int(hour)] += int(n)
    return BusiestHours(grid=grid)


def statuses(mirror: Readable, filters: Filters = ALL) -> Statuses:
    """Threads by status type (unknown ones under their own names, none as ``(none)``);
    reasons given for locked and closed threads (``""``: none given)."""
    scope = _scope(filters)
    with _Read(mirror) as db:
        counts = _totals(db, scope, "status")
        reasons = {s: _totals(db, scope, f"reason:{s}") for s in ("locked", "closed")}
    return Statuses(
        counts={str(k): counts[k] for k in sorted(counts, key=str)},
        reasons={s: {str(k): r[k] for k in sorted(r, key=str)} for s, r in reasons.items() if r},
    )


def item_mix(mirror: Readable, filters: Filters = ALL) -> ItemMix:
    """Items by bare type; the threads by how many items they hold (0 included), and the
    median and p95 of that."""
    scope = _scope(filters)
    with _Read(mirror) as db:
        types = _totals(db, scope, "type")
        sizes = _totals(db, scope, "size")
    return ItemMix(
        item_types={str(k): types[k] for k in sorted(types, key=str)},
        items_per_thread={int(k): sizes[k] for k in sorted(sizes, key=int)},
        per_thread=_spread(sizes),
    )


def time_to_answer(mirror: Readable, filters: Filters = ALL) -> TimeToAnswer:
    """Seconds from a user message to the first assistant message after it (see
    :class:`~.model.TimeToAnswer`): overall, and per UTC day the thread started."""
    scope = _scope(filters)
    overall: Counter[int] = Counter()
    daily: defaultdict[int, Counter[int]] = defaultdict(Counter[int])
    with _Read(mirror) as db:
        for day, seconds, n in _by_day(db, scope, "tta"):
            overall[seconds] += n
            daily[day][seconds] += n
    return TimeToAnswer(
        overall=_spread(overall),
        per_day={_day_name(d): _spread(daily[d]) for d in sorted(daily) if +daily[d]},
    )


_FLAGS = {"unanswered": "unanswered", "pending_tools": "pending", "unfinished": "unfinished"}


def went_wrong(mirror: Readable, filters: Filters = ALL, limit: int = LIST_LIMIT) -> WentWrong:
    """Threads whose last user message has no answer, holding client tool calls not
    completed, holding tasks / workflows left unfinished (see :class:`~.model.WentWrong`):
    each its total and its newest ``limit`` threads."""
    scope = _scope(filters)
    where, params = _thread_where(filters)
    lists: dict[str, ThreadList] = {}
    # a user's threads newest first from the index that holds the flags: not every
    # flagged thread of the file looked up for its user
    with _Read(mirror) as db:
        by_user = "" if filters.user is None else db.dialect.by_user
        for name, flag in _FLAGS.items():
            total = sum(_totals(db, scope, flag).values())
            rows = db.execute(
                'SELECT th.id, th.title, th."user", th.created_at FROM ins_thread AS t'  # noqa: S608
                f"{by_user} JOIN threads AS th ON th.pk = t.pk"
                f" WHERE {db.dialect.flag('t.' + flag)} AND {where}"
                " ORDER BY t.created_at DESC, t.pk DESC LIMIT ?",
                (*params, max(0, limit)),
            ).fetchall()
            refs = [
                ThreadRef(id=str(r[0]), title=r[1], user=r[2], created_at=int(r[3])) for r in rows
            ]
            lists[name] = ThreadList(total=total, threads=refs)
    return WentWrong(**lists)


def tool_mix(mirror: Readable, filters: Filters = ALL) -> ToolMix:
    """Client tool calls by name (``completed`` / not), widget items by root component
    type, user-message attachments by MIME type."""
    scope = _scope(filters)
    with _Read(mirror) as db:
        done = _totals(db, scope, "tool_done")
        open_ = _totals(db, scope, "tool_open")
        widgets = _totals(db, scope, "widget")
        mimes = _totals(db, scope, "mime")
    names = sorted(set(done) | set(open_), key=str)
    return ToolMix(
        tool_calls={str(n): ToolCount(completed=done[n], pending=open_[n]) for n in names},
        widgets={str(k): widgets[k] for k in sorted(widgets, key=str)},
        attachments={str(k): mimes[k] for k in sorted(mimes, key=str)},
    )


def active_users(mirror: Readable, filters: Filters = ALL, limit: int = USERS_LIMIT) -> ActiveUsers:
    """The ``limit`` users who started the most selected threads (ties by user id), with
    the items in those threads and the last day they started one."""
    scope = _scope(filters)
    with _Read(mirror) as db:
        if scope.user is not None:
            where, params = _thread_where(filters)
            sql = (
                'SELECT t."user", count(*), sum(t.items), max(t.day) FROM ins_thread AS t'  # noqa: S608
                f' WHERE {where} GROUP BY t."user"'
            )
            rows = db.execute(sql, params).fetchall()
        elif not scope.bounded or _covers_all(db, filters):
            rows = db.execute(
                'SELECT "user", threads, items, last_day FROM ins_user WHERE threads > 0'  # noqa: S608
                f' ORDER BY threads DESC, "user"{db.dialect.collate} LIMIT ?',
                (max(0, limit),),
            ).fetchall()
        else:
            threads = sum(_totals(db, scope, "threads").values())
            walked = (
                _top_users_walked(db, filters, max(0, limit)) if _long_range(db, threads) else None
            )
            picks, params = _user_picks(
                scope, '"user", threads, items, day', 't."user", 1, t.items, t.day'
            )
            rows = walked or []
            if walked is None and picks:
                sql = (
                    'SELECT "user", sum(threads), sum(items), max(day)'  # noqa: S608
                    f' FROM ({" UNION ALL ".join(picks)}) AS s GROUP BY "user"'
                    f' ORDER BY 2 DESC, "user"{db.dialect.collate} LIMIT ?'
                )
                rows = db.execute(sql, (*params, max(0, limit))).fetchall()
    return ActiveUsers(
        users=[
            UserActivity(
                user=str(r[0]),
                threads=int(r[1]),
                items=int(r[2] or 0),
                last_day=_day_name(int(r[3])),
            )
            for r in rows
            if r[1]
        ]
    )


_WALK_USERS = 500
"""How many users :func:`_top_users_walked` reads before it gives up."""


def _top_users_walked(
    db: SummaryReader, filters: Filters, limit: int
) -> list[tuple[Any, ...]] | None:
    """The ``limit`` users with the most threads in a range, found by walking the users
    from the most threads of all down, each one's threads in the range one range of the
    index by user, until no user left can reach the ``limit``-th count (their threads of
    all times are fewer): a long range's top users after a few of them, not every
    ``(day, user)`` row of it. None when that takes more than :data:`_WALK_USERS` users (a
    short range, where the day rows are few)."""
    (on_user, on_thread), params = _user_span(filters)
    user_params, thread_params = params[: 1 if on_user else 0], params[1 if on_user else 0 :]
    found: list[tuple[Any, ...]] = []
    counts: list[int] = []  # the best ``limit`` counts so far, highest first
    users = db.execute(  # all read first: one cursor may serve a reader's every query
        'SELECT u."user", u.threads FROM ins_user AS u WHERE u.threads > 0'  # noqa: S608
        f'{on_user} ORDER BY u.threads DESC, u."user"{db.dialect.collate} LIMIT ?',
        (*user_params, _WALK_USERS + 1),
    ).fetchall()
    sql = (
        "SELECT count(*), sum(t.items), max(t.day) FROM ins_thread AS t"  # noqa: S608
        f'{db.dialect.by_user} WHERE t."user" = ?{on_thread}'
    )
    walked = 0
    for user, total in users:
        if limit == 0 or (len(counts) >= limit and int(total) < counts[limit - 1]):
            break
        walked += 1
        if walked > _WALK_USERS:
            return None
        n, items, last = db.execute(sql, (user, *thread_params)).fetchone()
        if not n:
            continue
        found.append((user, int(n), int(items or 0), int(last)))
        counts.append(int(n))
        counts.sort(reverse=True)
        del counts[limit:]
    found.sort(key=lambda r: (-r[1], r[0]))
    return found[:limit]


def gather(mirror: Readable, filters: Filters = ALL) -> Insights:
    """Every section (what ``insights --json`` prints)."""
    return Insights(
        filters=filters,
        overview=overview(mirror, filters),
        activity=activity(mirror, filters),
        hours=hours(mirror, filters),
        statuses=statuses(mirror, filters),
        items=item_mix(mirror, filters),
        time_to_answer=time_to_answer(mirror, filters),
        went_wrong=went_wrong(mirror, filters),
        tools=tool_mix(mirror, filters),
        active_users=active_users(mirror, filters),
    )
