"""The end of every command's ``--help``: the exit codes that command can return, then an
example or two. One table (:data:`EXITS`) says which codes each command returns, so the
help of ``search`` (no network) does not list a network error, and only the commands that
ask for a confirmation list 7.

A new command adds a row to :data:`EXITS` and to :data:`EXAMPLES`.
"""

from __future__ import annotations

from collections.abc import Iterable

# what each exit code means (the numbers are chatkit_tui.scripting.common's EXIT_*)
MEANINGS: dict[int, str] = {
    0: "success",
    1: "API error (4xx/5xx not listed below, or a malformed response)",
    2: "usage or configuration error (bad flags, bad config file, a flag refused\n"
    "       here, no confirmation possible, refused in read-only mode)",
    3: "not found (404)",
    4: "authentication or permission error (401/403, or no API key)",
    5: "network error or timeout",
    6: "rate limited (429 after retries)",
    7: "declined at the confirmation prompt (nothing done)",
    8: "incomplete: a mirror run left threads to do (they are tried again next run)",
    9: "the mirror is damaged (mirror --check says where; mirror --full repairs it)",
    10: "another mirror run holds the file (who, since when; --wait waits for it)",
    11: "migrate --verify: the Store differs from the source (the report says how)",
    130: "interrupted (Ctrl-C)",
}

# a mirror in PostgreSQL that cannot be opened: the login, or the network
_PG_LOGIN = "the mirror's database refused the login or a permission (PostgreSQL)"
_PG_NETWORK = "the mirror's database could not be reached (PostgreSQL)"

# for a command, a code's meaning said more exactly than MEANINGS does
SPECIFIC: dict[str, dict[int, str]] = {
    "threads purge": {
        1: "API error (4xx/5xx not listed below, or a malformed response), or a\n"
        "       thread it could not read (skipped), or a report it could not write\n"
        "       (the purge stops there)",
        7: "declined, or the count typed wrong (nothing deleted)",
    },
    "threads delete": {7: "declined at the confirmation prompt (nothing deleted)"},
    "sessions cancel": {7: "declined at the confirmation prompt (nothing cancelled)"},
    "search": {1: "the mirror file could not be read", 4: _PG_LOGIN, 5: _PG_NETWORK},
    "insights": {
        1: "the mirror could not be read (a file locked or cut short, PostgreSQL failed)",
        4: _PG_LOGIN,
        5: _PG_NETWORK,
        2: "usage error (bad flags or dates, a flag refused here, no mirror there,\n"
        "       one made before insights that cannot be written here, or the\n"
        "       --svg file cannot be written)",
        10: "a mirror run holds a mirror made before insights (it builds the summaries)",
    },
    "mirror": {1: "the mirror file could not be written (what was committed is kept)"},
    "migrate": {
        2: "usage or configuration error (bad flags, a flag refused here, the Store\n"
        "       cannot be loaded or the report written, refused in read-only mode)",
        8: "incomplete: threads failed (each in the report; a run again retries them),\n"
        "       or the conversion worker process died (a run again resumes)",
    },
    "serve": {
        0: "stopped (Ctrl-C)",
        2: "usage error (bad flags, a flag refused here, the database cannot be\n"
        "       opened, the port is taken)",
        4: _PG_LOGIN,
        5: _PG_NETWORK,
    },
}

_API = (0, 1, 2, 3, 4, 5, 6, 130)  # a command that reads the API
_READS = (0, 1, 2, 3, 4, 5, 6, 9, 130)  # ... or a mirror (--mirror), which may be damaged

# the codes each command can return (a group, ``threads``: those of its actions)
EXITS: dict[str, tuple[int, ...]] = {
    "": tuple(MEANINGS),  # chatkit-tui --help: every command's
    "threads list": _READS,
    "threads show": _READS,
    "threads items": _READS,
    "threads export": _READS,
    # a 404 is "already gone" (success); 3 cannot come
    "threads delete": (0, 1, 2, 4, 5, 6, 7, 130),
    "threads purge": (0, 1, 2, 3, 4, 5, 6, 7, 130),
    "sessions create": _API,
    "sessions cancel": (0, 1, 2, 3, 4, 5, 6, 7, 130),
    # only a rejected key stops a run; any other failure leaves it incomplete (8)
    # (4 and 5 also: a mirror in PostgreSQL that refused the login or was not reached)
    "mirror": (0, 1, 2, 4, 5, 8, 9, 10, 130),
    "search": (0, 1, 2, 4, 5, 9, 130),  # no API: 4 and 5 are a mirror in PostgreSQL's
    "insights": (0, 1, 2, 4, 5, 9, 10, 130),  # 10: a run holds an old file it would build
    "serve": (0, 2, 4, 5, 9),  # 9: serving a damaged mirror
    "migrate": (0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 130),
}

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("chatkit-tui --demo", "chatkit-tui --profile prod --read-only"),
    "threads": ("chatkit-tui threads list --user u_42", "chatkit-tui threads show cthr_123"),
    "threads list": (
        "chatkit-tui threads list --user u_42 --limit 20",
        "chatkit-tui threads list --json --mirror | jq -r .id",
    ),
    "threads show": ("chatkit-tui threads show cthr_123 --json",),
    "threads items": ("chatkit-tui threads items cthr_123 --mirror ~/backup.sqlite3",),
    "threads export": ("chatkit-tui threads export cthr_123 --dir ~/exports",),
    "threads delete": (
        "chatkit-tui threads delete cthr_123 cthr_456",
        "chatkit-tui threads delete cthr_123 --yes --json",
    ),
    "threads purge": (
        "chatkit-tui threads purge --user u_42 --dry-run",
        "chatkit-tui threads purge --older-than 90d --status closed --yes",
    ),
    "sessions": (
        "chatkit-tui sessions create --user u_42 --workflow wf_123",
        "chatkit-tui sessions cancel cksess_123",
    ),
    "sessions create": (
        "chatkit-tui sessions create --user u_42 --workflow wf_123 --state plan=pro",
    ),
    "sessions cancel": (
        "chatkit-tui sessions cancel cksess_123",
        "chatkit-tui sessions cancel cksess_123 --yes --json",
    ),
    "mirror": ("chatkit-tui mirror", "chatkit-tui mirror --db ~/backup.sqlite3 --concurrency 4"),
    "search": (
        'chatkit-tui search refund "charged twice" --since 7d',
        "chatkit-tui search invoice --mirror ~/backup.sqlite3 --json",
    ),
    "migrate": (
        "chatkit-tui migrate --to-store mystore:make_store --from-mirror ~/m.sqlite3 --dry-run",
        "chatkit-tui migrate --to-store mystore:make_store --from-mirror ~/m.sqlite3 --verify",
    ),
    "insights": (
        "chatkit-tui insights --since 30d",
        "chatkit-tui insights --db ~/backup.sqlite3 --user u_42 --json | jq .time_to_answer_s",
        "chatkit-tui insights --since 2026-11-01 --until 2026-11-30",
        "chatkit-tui insights --since 30d --svg insights.svg",
    ),
    "serve": (
        "chatkit-tui serve --db :memory: --seed 300",
        "chatkit-tui serve --db ~/backup.sqlite3 --port 8788",
    ),
}


def codes_of(command: str) -> tuple[int, ...]:
    """The codes ``command`` can return; a group's are those of its actions."""
    if command in EXITS:
        return EXITS[command]
    actions = [codes for name, codes in EXITS.items() if name.startswith(f"{command} ")]
    return tuple(sorted({code for codes in actions for code in codes}))


def exit_codes(command: str, codes: Iterable[int]) -> str:
    specific = SPECIFIC.get(command, {})
    heading = "exit codes:" if command else "exit codes (each command's --help lists its own):"
    lines = [heading]
    lines += [f"  {code:<4} {specific.get(code, MEANINGS[code])}" for code in codes]
    return "\n".join(lines)


def epilog(command: str) -> str:
    """``command``'s exit codes (from :data:`EXITS`) and its examples (``""``: the top)."""
    examples = "\n".join(f"  {line}" for line in EXAMPLES[command])
    return f"{exit_codes(command, codes_of(command))}\n\nexamples:\n{examples}"
