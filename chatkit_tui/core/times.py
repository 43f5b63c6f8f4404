"""Times for people: absolute (UTC) and relative. Textual-free, pure functions."""

from __future__ import annotations

from datetime import UTC, datetime


def _utc(timestamp: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def absolute_time(timestamp: int | None) -> str:
    """``2026-11-30 14:05:09 UTC``; a value that is no time is said to be one."""
    if timestamp is None:
        return "unknown time"
    moment = _utc(timestamp)
    if moment is None:
        return f"{timestamp} (not a valid time)"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def short_time(timestamp: int | None) -> str:
    """``2026-11-30 14:05`` (UTC) for table cells; ``-`` when there is none."""
    if timestamp is None:
        return "-"
    moment = _utc(timestamp)
    return str(timestamp) if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def relative_short(timestamp: int, now: float) -> str:
    """Compact age for list cells: now, 42s, 5m, 3h, 2d, 6w, 4mo, 2y."""
    delta = int(now - timestamp)
    if delta < -60:
        return "soon"
    if delta < 5:
        return "now"
    if delta < 60:
        return f"{delta}s"
    if delta < 3600:
        return f"{delta // 60}m"
    if delta < 86400:
        return f"{delta // 3600}h"
    days = delta // 86400
    if days < 7:
        return f"{days}d"
    if days < 56:
        return f"{days // 7}w"
    if days < 365:
        return f"{days // 30}mo"
    return f"{days // 365}y"


def relative_long(timestamp: int, now: float) -> str:
    short = relative_short(timestamp, now)
    if short in ("now", "soon"):
        return "just now" if short == "now" else "in the future"
    number = int("".join(ch for ch in short if ch.isdigit()))
    unit = short.lstrip("0123456789")
    names = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
    names |= {"mo": "month", "y": "year"}
    name = names[unit]
    return f"{number} {name}{'' if number == 1 else 's'} ago"
