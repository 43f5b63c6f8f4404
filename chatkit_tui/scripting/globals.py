"""The global flags: defined once, accepted before or after any command, never ignored.

``--mirror [PATH]``, ``--demo``, ``--read-only``, ``--profile``, ``--config``,
``--base-url``, ``--chatkit-url`` and ``--header`` mean the same wherever they are
written: ``chatkit-tui --demo threads list``, ``chatkit-tui threads --demo list`` and
``chatkit-tui threads list --demo`` are one command.
:data:`TABLE` says, for the app and every command, what each flag does there: it
:class:`Acts` (how, in words), or it is :class:`Refused` with the reason, which
:func:`refusal` turns into the message of an exit 2 before anything runs. A flag that
cannot act on a command is refused there, so none is silently dropped.

Where each one acts: the endpoint (``--demo``, ``--mirror``, ``--base-url``, the profile)
is opened by :func:`chatkit_tui.scripting.common.open_local` and ``load_config``;
``--read-only`` is refused by the destructive commands themselves
(:func:`chatkit_tui.scripting.common.refuse_if_read_only`, which also reads a profile's
``read_only = true``); ``search --mirror PATH`` is ``search --db PATH``
(:func:`apply`).

It imports none of our modules: the app's start-up parses its flags with it.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Acts:
    """The flag does what it says on this command (``how``, for the reader)."""

    how: str


@dataclass(frozen=True)
class Refused:
    """The flag cannot act on this command: exit 2 with ``why``."""

    why: str


Rule = Acts | Refused


@dataclass(frozen=True)
class Row:
    """What each global flag does on one command (every flag named: none forgotten)."""

    mirror: Rule
    demo: Rule
    read_only: Rule
    profile: Rule
    config: Rule
    base_url: Rule
    chatkit_url: Rule
    header: Rule
    db_is_the_mirror: bool = False
    """The command's own ``--db PATH`` names the mirror it reads (``search``)."""


FLAGS: tuple[str, ...] = tuple(f.name for f in fields(Row) if f.name != "db_is_the_mirror")
OPTION = {flag: "--" + flag.replace("_", "-") for flag in FLAGS}

# --- what acting means -------------------------------------------------------------------

READS_MIRROR = Acts("reads the mirror file instead of the deployment (offline, read-only)")
ON_DEMO = Acts("runs against the demo server (seeded, in memory): nothing real is touched")
CHANGES_NOTHING = Acts("allowed: the command changes nothing")
REFUSES = Acts("refuses the command (exit 2): it deletes, creates or cancels")
REFUSES_BUT_DRY_RUN = Acts("refuses the purge (exit 2); --dry-run still runs")
PROFILE = Acts("the profile: its endpoint, key, project and read_only")
CONFIG = Acts("the config file read (checked, every error with its line)")
ENDPOINT = Acts("the API base URL called")
WHOSE_MIRROR = Acts("the endpoint whose mirror is read (the default mirror's file name)")
SELF_HOSTED = Acts("the self-hosted (chatkit-python) deployment called, with no API key")
HEADERS = Acts("sent with every request to the self-hosted deployment")
NOT_SENT = Acts("allowed: search reads the file, it sends no request")

# --- why a flag is refused ---------------------------------------------------------------

A_COPY = "a mirror is a copy: {} on the deployment itself, without --mirror"
DEMO_LASTS = (
    "the demo server lasts one command, so a mirror of it could never be brought up to "
    "date; mirror a local server: chatkit-tui serve --seed 300, then chatkit-tui "
    "--base-url http://127.0.0.1:8787/v1 mirror"
)
NO_CONFIG = "serve reads no config file (it takes --db, --api-key or $CHATKIT_SERVE_API_KEY)"
LISTENS = "serve listens (--host, --port); it calls no deployment"
NO_SESSIONS = "a self-hosted (chatkit-python) deployment has no ChatKit sessions to {}"

# fmt: off
TABLE: dict[str, Row] = {
    # chatkit-tui with no command: the app
    "": Row(
        mirror=Acts("browses the mirror file, offline, with no delete or cancel keys"),
        demo=Acts("opens the app on the demo server (300 seeded threads, in memory)"),
        read_only=Acts("removes every destructive key binding (delete, cancel)"),
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads list": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads show": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads items": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads export": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads delete": Row(
        mirror=Refused(A_COPY.format("delete")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "threads purge": Row(
        # a dry run too: a mirror may be behind its deployment, so it could only guess
        # what a real run would delete; the report would not name the deployment either
        mirror=Refused(A_COPY.format("purge (--dry-run too)")), demo=ON_DEMO,
        read_only=REFUSES_BUT_DRY_RUN, profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "sessions create": Row(
        mirror=Refused(A_COPY.format("create sessions")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=Refused(NO_SESSIONS.format("create")),
        header=Refused(NO_SESSIONS.format("create")),
    ),
    "sessions cancel": Row(
        mirror=Refused(A_COPY.format("cancel sessions")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=Refused(NO_SESSIONS.format("cancel")),
        header=Refused(NO_SESSIONS.format("cancel")),
    ),
    "mirror": Row(
        mirror=Refused(
            "mirror writes a mirror from the deployment: name its file with --db PATH"
        ),
        demo=Refused(DEMO_LASTS),
        read_only=Acts("allowed: it reads the deployment and writes only the local file"),
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        chatkit_url=SELF_HOSTED, header=HEADERS,
    ),
    "search": Row(
        mirror=Acts("the mirror searched: --mirror PATH is --db PATH; alone, the endpoint's"),
        demo=Refused("search reads a mirror file, never a server: search --db PATH"),
        read_only=CHANGES_NOTHING, profile=WHOSE_MIRROR, config=CONFIG, base_url=WHOSE_MIRROR,
        db_is_the_mirror=True,
        chatkit_url=WHOSE_MIRROR, header=NOT_SENT,
    ),
    "insights": Row(
        mirror=Acts("the mirror read: --mirror PATH is --db PATH; alone, the endpoint's"),
        demo=Refused("insights reads a mirror file, never a server: insights --db PATH"),
        read_only=Acts("writes nothing: a mirror made before insights is not given its summaries"),
        profile=WHOSE_MIRROR, config=CONFIG, base_url=WHOSE_MIRROR,
        db_is_the_mirror=True,
        chatkit_url=WHOSE_MIRROR,
        header=Acts("allowed: insights reads the file, it sends no request"),
    ),
    "serve": Row(
        mirror=Refused("serve a mirror with serve --db PATH (read-only: DELETE answers 403)"),
        demo=Refused("serve --db :memory: --seed 300 serves demo data"),
        read_only=Refused(
            "serve has no read-only mode but a mirror's: serve --db MIRROR (DELETE answers 403)"
        ),
        profile=Refused(NO_CONFIG), config=Refused(NO_CONFIG),
        base_url=Refused("serve listens (--host, --port); it calls no API"),
        chatkit_url=Refused(LISTENS), header=Refused(LISTENS),
    ),
}
# fmt: on

# --- the flags ---------------------------------------------------------------------------

_HELP = {
    "mirror": "read a mirror (chatkit-tui mirror) instead of the deployment, offline and "
    "read-only; without PATH the mirror of the endpoint the flags, environment or profile "
    "name",
    "demo": "use the local ChatKit server with seeded demo data (in memory) instead of a "
    "deployment",
    "read_only": "nothing destructive: the app has no delete or cancel keys; threads delete, "
    "threads purge (but --dry-run) and sessions create / cancel refuse (exit 2)",
    "profile": "config file profile to use (default: $CHATKIT_TUI_PROFILE, then default_profile)",
    "config": "config file (default: $CHATKIT_TUI_CONFIG, then the user config directory's)",
    "base_url": "API base URL (default: $OPENAI_BASE_URL, then the profile's, then OpenAI's)",
    "chatkit_url": "a self-hosted deployment: the operator's chatkit-python endpoint (e.g. "
    "https://support.example.com/chatkit, or a profile's chatkit_url); no API key needed",
    "header": "a header sent to --chatkit-url's server, 'Name: value' (repeatable; values are "
    "secrets, never shown; a profile's header_env keeps them out of the process list)",
}

GROUP_TITLE = "global flags (before or after the command)"


def add_global_flags(parser: argparse.ArgumentParser, command: str | None = None) -> None:
    """The six flags on ``parser``. On the top parser (``command`` ``""``) they have their
    defaults; on a command's (or a group's, ``command`` None) they default to nothing, so
    a flag given before the command is kept. A flag :data:`TABLE` refuses on ``command`` is
    still accepted (to be refused with its reason) but not listed in its ``--help``."""
    top = command == ""
    row = TABLE.get(command) if command is not None else None
    group = parser.add_argument_group(GROUP_TITLE)

    def add(flag: str, *names: str, **kw: Any) -> None:
        refused = row is not None and isinstance(getattr(row, flag), Refused)
        kw["help"] = argparse.SUPPRESS if refused else _HELP[flag]
        if not top:
            kw["default"] = argparse.SUPPRESS
        group.add_argument(*names, **kw)

    add("mirror", "--mirror", nargs="?", const="", metavar="PATH")
    add("demo", "--demo", action="store_true")
    add("read_only", "--read-only", action="store_true")
    add("profile", "--profile", metavar="NAME")
    add("config", "--config", metavar="PATH")
    add("base_url", "--base-url", metavar="URL")
    add("chatkit_url", "--chatkit-url", metavar="URL")
    add("header", "--header", action="append", metavar="HEADER")


def global_flags(command: str | None) -> argparse.ArgumentParser:
    """A parent parser (``parents=[...]``) holding the flags for ``command``."""
    parent = argparse.ArgumentParser(add_help=False)
    add_global_flags(parent, command)
    return parent


# --- refusing ----------------------------------------------------------------------------


def command_of(args: argparse.Namespace) -> str:
    """``"threads list"``, ``"search"``, ``""`` for the app."""
    command = getattr(args, "command", None) or ""
    action = getattr(args, "action", None)
    return f"{command} {action}" if action else command


def given(args: argparse.Namespace, flag: str) -> bool:
    value = getattr(args, flag, None)
    return value is not None and value is not False


def refusal(args: argparse.Namespace) -> str | None:
    """Why these flags cannot run this command (the message of an exit 2), or None."""
    command = command_of(args)
    row = TABLE.get(command)
    if row is None:  # a group without its action: its usage says what is missing
        return None
    where = command or "the app"
    for flag in FLAGS:
        rule = getattr(row, flag)
        if isinstance(rule, Refused) and given(args, flag):
            return f"{OPTION[flag]} does not go with {where}: {rule.why}"
    mirror: str | None = getattr(args, "mirror", None)
    db: str | None = getattr(args, "db", None) if row.db_is_the_mirror else None
    if given(args, "demo") and mirror is not None:
        return "--demo and --mirror cannot go together: the demo is a deployment of its own"
    if given(args, "demo") and given(args, "base_url"):
        return "--demo and --base-url cannot go together: the demo server is the endpoint"
    if given(args, "demo") and given(args, "chatkit_url"):
        return "--demo and --chatkit-url cannot go together: the demo server is the endpoint"
    if given(args, "base_url") and given(args, "chatkit_url"):
        return "--base-url and --chatkit-url name two deployments: give one of them"
    if (mirror or db) and given(args, "chatkit_url"):
        named = "--mirror PATH" if mirror else "--db"
        return (
            f"{named} and --chatkit-url cannot go together: the file is the mirror (--chatkit-url"
            " chooses the endpoint whose mirror to read only for --mirror without a PATH)"
        )
    if mirror is not None and db and mirror != db:
        return "--mirror and --db cannot go together: both name the mirror; give one"
    if (mirror or db) and given(args, "base_url"):
        named = "--mirror PATH" if mirror else "--db"
        return (
            f"{named} and --base-url cannot go together: the file is the mirror (--base-url "
            "chooses the endpoint whose mirror to read only for --mirror without a PATH)"
        )
    return None


def apply(args: argparse.Namespace) -> None:
    """What a flag means on a command with a flag of its own for it: ``search --mirror
    PATH`` is ``search --db PATH`` (alone, the endpoint's mirror: search's default)."""
    row = TABLE.get(command_of(args))
    if row is not None and row.db_is_the_mirror and getattr(args, "mirror", None):
        args.db = args.mirror


# --- the words before argparse -------------------------------------------------------------

COMMANDS = ("threads", "sessions", "mirror", "search", "insights", "serve")
ACTIONS = ("list", "show", "items", "delete", "export", "purge", "create", "cancel")
COMMAND_WORDS = frozenset((*COMMANDS, *ACTIONS))
SIGNED_VALUE = ("--older-than", "--since")  # an age: "-5d" is a mistake to explain
_DASH_DIGIT = re.compile(r"-\d")


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """Two things argparse gets wrong, fixed before it parses:

    - ``--mirror threads list``: ``--mirror`` takes an optional PATH, and argparse would
      take the command for it; a command's name after it is the command (write
      ``./threads`` for a file of that name).
    - ``--older-than -5d``: argparse takes ``-5d`` for an option ("expected one
      argument"); joined as ``--older-than=-5d`` it reaches the flag's own check, which
      says an age is positive.
    """
    out: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        following = words[i + 1] if i + 1 < len(words) else None
        if word == "--mirror" and following in COMMAND_WORDS:
            out.append("--mirror=")
        elif word in SIGNED_VALUE and following is not None and _DASH_DIGIT.match(following):
            out.append(f"{word}={following}")
            i += 1
        else:
            out.append(word)
        i += 1
    return out
