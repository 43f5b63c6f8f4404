"""The global flags: defined once, accepted before or after any command, never ignored.

``--mirror [PATH]``, ``--demo``, ``--read-only``, ``--profile``, ``--config``,
``--base-url``, and every flag a backend declares (``--chatkit-url``, ``--header``,
``--store``: :mod:`chatkit_tui.backends`) mean the same wherever they are written:
``chatkit-tui --demo threads list``, ``chatkit-tui threads --demo list`` and
``chatkit-tui threads list --demo`` are one command.
:data:`TABLE` says, for the app and every command, what each of the six does there: it
:class:`Acts` (how, in words), or it is :class:`Refused` with the reason, which
:func:`refusal` turns into the message of an exit 2 before anything runs. A backend's
flags have no column of their own: their rule on a command (:func:`rule`) is derived
from what the command needs (``Row.needs``, ``Row.kind``) and the backend's declared
capabilities. A flag that cannot act on a command is refused there, so none is silently
dropped. Two flags naming two deployments (``--demo``, ``--base-url``, ``--mirror PATH``
and each backend flag that names one) are refused together, pair by pair, by the same
rule.

Where each one acts: the endpoint (``--demo``, ``--mirror``, ``--base-url``, the
backends' flags, the profile) is opened by :func:`chatkit_tui.scripting.common.open_local`
and ``load_config``; ``--read-only`` is refused by the destructive commands themselves
(:func:`chatkit_tui.scripting.common.refuse_if_read_only`, which also reads a profile's
``read_only = true``); ``search --mirror PATH`` is ``search --db PATH`` (:func:`apply`).

It imports only :mod:`chatkit_tui.backends`' declarations (their ``__init__`` modules,
cheap by contract): the app's start-up parses its flags with it.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from chatkit_tui.backends import Backend, Flag, backends


@dataclass(frozen=True)
class Acts:
    """The flag does what it says on this command (``how``, for the reader)."""

    how: str


@dataclass(frozen=True)
class Refused:
    """The flag cannot act on this command: exit 2 with ``why``."""

    why: str


Rule = Acts | Refused

Kind = Literal["calls", "search", "serve"]
"""What a command does with a deployment: calls it, reads its mirror (``search``), or
calls none (``serve`` listens)."""


@dataclass(frozen=True)
class Row:
    """What each built-in global flag does on one command (every one named: none
    forgotten), and what the command needs of a deployment (for the backends' flags)."""

    mirror: Rule
    demo: Rule
    read_only: Rule
    profile: Rule
    config: Rule
    base_url: Rule
    kind: Kind = "calls"
    needs: tuple[str, ...] = ()
    """The capabilities it cannot run without (``sessions``, ``delete``)."""
    db_is_the_mirror: bool = False
    """The command's own ``--db PATH`` names the mirror it reads (``search``)."""
    backends: Refused | None = None
    """Every backend's flag refused here, with this reason (a command that names its
    deployments with flags of its own); None: each ruled by :func:`backend_rule`."""


_NOT_FLAGS = {"kind", "needs", "db_is_the_mirror", "backends"}
BUILTIN: tuple[str, ...] = tuple(f.name for f in fields(Row) if f.name not in _NOT_FLAGS)


def backend_flags() -> tuple[tuple[Backend, Flag], ...]:
    """Every backend's flags, with the backend that declares each."""
    return tuple((b, f) for b in backends() for f in b.flags)


FLAGS: tuple[str, ...] = (*BUILTIN, *(f.dest for _, f in backend_flags()))
OPTION = {
    **{flag: "--" + flag.replace("_", "-") for flag in BUILTIN},
    **{f.dest: f.name for _, f in backend_flags()},
}

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
NOT_SENT = Acts("allowed: the command reads the file, it sends no request")

# --- why a flag is refused ---------------------------------------------------------------

A_COPY = "a mirror is a copy: {} on the deployment itself, without --mirror"
DEMO_LASTS = (
    "the demo server lasts one command, so a mirror of it could never be brought up to "
    "date; mirror a local server: chatkit-tui serve --seed 300, then chatkit-tui "
    "--base-url http://127.0.0.1:8787/v1 mirror"
)
NO_CONFIG = "serve reads no config file (it takes --db, --api-key or $CHATKIT_SERVE_API_KEY)"
LISTENS = "serve listens (--host, --port); it calls no deployment"
CANNOT = {
    "sessions": "{backend} has no ChatKit sessions to {verb}",
    "delete": "{backend} cannot delete threads",
}
"""Why a backend's flag is refused by a command needing a capability it lacks."""
MIGRATES_HOSTED = (
    "migrate copies a hosted deployment (or its mirror: --from-mirror PATH) into the "
    "chatkit-python Store --to-store names; a self-hosted deployment is not a source"
)

# fmt: off
TABLE: dict[str, Row] = {
    # chatkit-tui with no command: the app
    "": Row(
        mirror=Acts("browses the mirror file, offline, with no delete or cancel keys"),
        demo=Acts("opens the app on the demo server (300 seeded threads, in memory)"),
        read_only=Acts("removes every destructive key binding (delete, cancel)"),
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "threads list": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "threads show": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "threads items": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "threads export": Row(
        mirror=READS_MIRROR, demo=ON_DEMO, read_only=CHANGES_NOTHING,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "threads delete": Row(
        mirror=Refused(A_COPY.format("delete")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT, needs=("delete",),
    ),
    "threads purge": Row(
        # a dry run too: a mirror may be behind its deployment, so it could only guess
        # what a real run would delete; the report would not name the deployment either
        mirror=Refused(A_COPY.format("purge (--dry-run too)")), demo=ON_DEMO,
        read_only=REFUSES_BUT_DRY_RUN, profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
        needs=("delete",),
    ),
    "sessions create": Row(
        mirror=Refused(A_COPY.format("create sessions")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT, needs=("sessions",),
    ),
    "sessions cancel": Row(
        mirror=Refused(A_COPY.format("cancel sessions")), demo=ON_DEMO, read_only=REFUSES,
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT, needs=("sessions",),
    ),
    "mirror": Row(
        mirror=Refused(
            "mirror writes a mirror from the deployment: name its file with --db PATH"
        ),
        demo=Refused(DEMO_LASTS),
        read_only=Acts("allowed: it reads the deployment and writes only the local file"),
        profile=PROFILE, config=CONFIG, base_url=ENDPOINT,
    ),
    "search": Row(
        mirror=Acts("the mirror searched: --mirror PATH is --db PATH; alone, the endpoint's"),
        demo=Refused("search reads a mirror file, never a server: search --db PATH"),
        read_only=CHANGES_NOTHING, profile=WHOSE_MIRROR, config=CONFIG, base_url=WHOSE_MIRROR,
        kind="search", db_is_the_mirror=True,
    ),
    "migrate": Row(
        mirror=Acts("the mirror read as the source (--mirror PATH is --from-mirror PATH)"),
        demo=Acts("the demo server's seeded threads are the source: nothing real is read"),
        read_only=Acts("refuses to write the Store (exit 2); --dry-run and --verify still run"),
        profile=PROFILE, config=CONFIG, base_url=Acts("the hosted API base URL read from"),
        backends=Refused(MIGRATES_HOSTED),
    ),
    "insights": Row(
        mirror=Acts("the mirror read: --mirror PATH is --db PATH; alone, the endpoint's"),
        demo=Refused("insights reads a mirror, never a server: insights --db PATH|URL"),
        read_only=Acts("writes nothing: a mirror made before insights is not given its summaries"),
        profile=WHOSE_MIRROR, config=CONFIG, base_url=WHOSE_MIRROR,
        kind="search", db_is_the_mirror=True,
    ),
    "serve": Row(
        mirror=Refused("serve a mirror with serve --db PATH (read-only: DELETE answers 403)"),
        demo=Refused("serve --db :memory: --seed 300 serves demo data"),
        read_only=Refused(
            "serve has no read-only mode but a mirror's: serve --db MIRROR (DELETE answers 403)"
        ),
        profile=Refused(NO_CONFIG), config=Refused(NO_CONFIG),
        base_url=Refused("serve listens (--host, --port); it calls no API"),
        kind="serve",
    ),
}
# fmt: on


def backend_rule(command: str, backend: Backend, flag: Flag) -> Rule:
    """What a backend's flag does on ``command``: derived from what the command needs and
    what the backend can do, never written per flag."""
    row = TABLE[command]
    if row.backends is not None:
        return row.backends
    if row.kind == "serve":
        return Refused(LISTENS)
    if row.kind == "search":
        return WHOSE_MIRROR if flag.names_deployment else NOT_SENT
    verb = command.rpartition(" ")[2]
    for need in row.needs:
        if not getattr(backend.capabilities, need):
            return Refused(CANNOT[need].format(backend=backend.named, verb=verb))
    return Acts(flag.acts or flag.help)


def rule(command: str, flag: str) -> Rule:
    """What ``flag`` (a built-in's name or a backend flag's ``dest``) does on ``command``."""
    if flag in BUILTIN:
        return getattr(TABLE[command], flag)
    for backend, declared in backend_flags():
        if declared.dest == flag:
            return backend_rule(command, backend, declared)
    raise KeyError(flag)


# --- the flags ---------------------------------------------------------------------------

_HELP = {
    "mirror": "read a mirror (chatkit-tui mirror) instead of the deployment, offline and "
    "read-only; without PATH the mirror of the endpoint the flags, environment or profile "
    "name",
    "demo": "use the local ChatKit server with seeded demo data (in memory) instead of a "
    "deployment",
    "read_only": "nothing destructive: the app has no delete or cancel keys; threads delete, "
    "threads purge (but --dry-run), migrate (but --dry-run and --verify) and sessions "
    "create / cancel refuse (exit 2)",
    "profile": "config file profile to use (default: $CHATKIT_TUI_PROFILE, then default_profile)",
    "config": "config file (default: $CHATKIT_TUI_CONFIG, then the user config directory's)",
    "base_url": "API base URL (default: $OPENAI_BASE_URL, then the profile's, then OpenAI's)",
}

GROUP_TITLE = "global flags (before or after the command)"


def add_global_flags(parser: argparse.ArgumentParser, command: str | None = None) -> None:
    """The global flags on ``parser``: the six, then each backend's. On the top parser
    (``command`` ``""``) they have their defaults; on a command's (or a group's,
    ``command`` None) they default to nothing, so a flag given before the command is
    kept. A flag refused on ``command`` is still accepted (to be refused with its reason)
    but not listed in its ``--help``."""
    top = command == ""
    known = command if command is not None and command in TABLE else None
    group = parser.add_argument_group(GROUP_TITLE)

    def add(flag: str, help: str, *names: str, **kw: Any) -> None:
        refused = known is not None and isinstance(rule(known, flag), Refused)
        kw["help"] = argparse.SUPPRESS if refused else help
        if not top:
            kw["default"] = argparse.SUPPRESS
        group.add_argument(*names, **kw)

    add("mirror", _HELP["mirror"], "--mirror", nargs="?", const="", metavar="PATH")
    add("demo", _HELP["demo"], "--demo", action="store_true")
    add("read_only", _HELP["read_only"], "--read-only", action="store_true")
    add("profile", _HELP["profile"], "--profile", metavar="NAME")
    add("config", _HELP["config"], "--config", metavar="PATH")
    add("base_url", _HELP["base_url"], "--base-url", metavar="URL")
    for _, flag in backend_flags():
        action = "append" if flag.repeat else "store"
        add(flag.dest, flag.help, flag.name, action=action, metavar=flag.metavar, dest=flag.dest)


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
        chosen = rule(command, flag)
        if isinstance(chosen, Refused) and given(args, flag):
            return f"{OPTION[flag]} does not go with {where}: {chosen.why}"
    return _two_deployments(args, row)


def _two_deployments(args: argparse.Namespace, row: Row) -> str | None:
    """Two flags that name two deployments, each pair worded once: the demo against
    every endpoint, two endpoints, a mirror file against an endpoint."""
    mirror: str | None = getattr(args, "mirror", None)
    db: str | None = getattr(args, "db", None) if row.db_is_the_mirror else None
    named = [f.dest for _, f in backend_flags() if f.names_deployment]
    endpoints = [e for e in ("base_url", *named) if given(args, e)]
    if given(args, "demo") and mirror is not None:
        return "--demo and --mirror cannot go together: the demo is a deployment of its own"
    if given(args, "demo") and endpoints:
        return (
            f"--demo and {OPTION[endpoints[0]]} cannot go together: the demo server is the endpoint"
        )
    if len(endpoints) > 1:
        one, two = (OPTION[e] for e in endpoints[:2])
        return f"{one} and {two} name two deployments: give one of them"
    # one endpoint at most from here on: with a mirror file, or two files
    endpoint = endpoints[0] if endpoints else None
    file = "--mirror PATH" if mirror else "--db" if db else None

    def with_file(option: str) -> str:
        return (
            f"{file} and {option} cannot go together: what it names (a file or a"
            f" postgresql:// database) is the mirror ({option} chooses the endpoint whose"
            " mirror to read only for --mirror without a PATH)"
        )

    if file and endpoint is not None and endpoint != "base_url":
        return with_file(OPTION[endpoint])
    if mirror is not None and db and mirror != db:
        return "--mirror and --db cannot go together: both name the mirror; give one"
    if file and endpoint == "base_url":
        return with_file(OPTION[endpoint])
    return None


def apply(args: argparse.Namespace) -> None:
    """What a flag means on a command with a flag of its own for it: ``search --mirror
    PATH`` is ``search --db PATH`` (alone, the endpoint's mirror: search's default)."""
    row = TABLE.get(command_of(args))
    if row is not None and row.db_is_the_mirror and getattr(args, "mirror", None):
        args.db = args.mirror


# --- the words before argparse -------------------------------------------------------------

COMMANDS = ("threads", "sessions", "mirror", "search", "insights", "serve", "migrate")
ACTIONS = ("list", "show", "items", "delete", "export", "purge", "create", "cancel")
COMMAND_WORDS = frozenset((*COMMANDS, *ACTIONS))
SIGNED_VALUE = ("--older-than", "--since", "--until")  # an age: "-5d" is a mistake to explain
_DASH_DIGIT = re.compile(r"-\d")


def gather_repeats(argv: Sequence[str], args: argparse.Namespace) -> None:
    """A repeatable flag (``--header``) given both before and after the command keeps
    every value: argparse keeps only the command's own (each subcommand parses into a
    namespace of its own, copied over its parent's). The values are taken again from
    ``argv`` in their order, as argparse read them: the word after the flag, or what
    follows its ``=``."""
    for _, flag in backend_flags():
        if not flag.repeat:
            continue
        values: list[str] = []
        words = list(argv)
        for i, word in enumerate(words):
            if word == "--":
                break
            if word == flag.name and i + 1 < len(words):
                values.append(words[i + 1])
            elif word.startswith(flag.name + "="):
                values.append(word.partition("=")[2])
        if len(values) > len(getattr(args, flag.dest, None) or ()):
            setattr(args, flag.dest, values)


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
