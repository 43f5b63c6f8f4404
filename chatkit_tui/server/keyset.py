"""Keyset pagination over ``(created_at, id)`` for the store's lists.

A cursor is turned into its ``(created_at, id)`` key by the caller; the page
is then one index range scan (``(created_at, id) < (?, ?)`` uses the
``(created_at, id)`` or ``(scope, created_at, id)`` index), so its cost does
not depend on how deep in the list it is. ``limit + 1`` rows are read to know
``has_more`` exactly.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
Order = Literal["asc", "desc"]


@dataclass(slots=True)
class Page(Generic[T]):
    data: list[T]
    first_id: str | None
    last_id: str | None
    has_more: bool


def keyset_page(
    db: sqlite3.Connection,
    table: str,
    columns: str,
    scope: tuple[str, tuple[str, ...]] | None,
    limit: int,
    order: Order,
    after: tuple[object, ...] | None,
    before: tuple[object, ...] | None,
    key: tuple[str, str] = ("created_at", "id"),
    mark: str = "?",
) -> Page[tuple[object, ...]]:
    """Keyset page. ``after``/``before`` are positions in the list's own order, as values
    of the two ``key`` columns (a mirror's items are ordered by ``(seq, pk)``).

    With ``before`` alone the page is the ``limit`` rows just before it (read
    backwards, returned in list order) and ``has_more`` says whether rows
    precede them; otherwise ``has_more`` says whether rows follow the page.
    ``mark``: the driver's placeholder (``?`` for SQLite, ``%s`` for psycopg, which reads
    a mirror in PostgreSQL through the same calls).
    """
    desc = order == "desc"
    # In list order "after X" means "further than X": smaller keys when desc.
    forward_op, backward_op = ("<", ">") if desc else (">", "<")
    where: list[str] = []
    params: list[object] = []
    if scope is not None:
        where.append(scope[0])
        params.extend(scope[1])
    first, second = key
    if after is not None:
        where.append(f"({first}, {second}) {forward_op} ({mark}, {mark})")
        params.extend(after)
    if before is not None:
        where.append(f"({first}, {second}) {backward_op} ({mark}, {mark})")
        params.extend(before)
    backwards = before is not None and after is None
    descending = desc != backwards
    direction = "DESC" if descending else "ASC"
    sql_where = f"WHERE {' AND '.join(where)}" if where else ""
    if limit == 0:
        exists = db.execute(
            f"SELECT 1 FROM {table} {sql_where} LIMIT 1",  # noqa: S608
            params,
        ).fetchone()
        return Page([], None, None, exists is not None)
    rows: list[tuple[object, ...]] = db.execute(
        f"SELECT {columns} FROM {table} {sql_where}"  # noqa: S608
        f" ORDER BY {first} {direction}, {second} {direction} LIMIT {mark}",
        [*params, limit + 1],
    ).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None, False)
    return Page(rows, str(rows[0][0]), str(rows[-1][0]), has_more)
