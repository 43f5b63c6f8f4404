"""What every script subcommand shares: exit codes, errors on stderr, safe text, tables."""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from chatkit_tui.config import Config, ConfigError, ignored_note, load_config
from chatkit_tui.core.errors import describe, key_hint
from chatkit_tui.core.text import cell_len, escaped, fit

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.core.local import Local
    from chatkit_tui.core.mirror.url import MirrorTarget

# Exit codes (what each means, and which command returns which: scripting/help.py)
EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_NETWORK = 5
EXIT_RATE_LIMITED = 6
EXIT_DECLINED = 7
EXIT_INCOMPLETE = 8
EXIT_DAMAGED = 9  # the mirror file is damaged (mirror --check says where; mirror --full repairs)
EXIT_BUSY = 10  # another writer holds the mirror (mirror --wait waits for it)
EXIT_DIFFERS = 11  # migrate --verify: the Store does not hold what the source converts to
EXIT_INTERRUPTED = 130


def whole_number(text: str) -> int:
    """argparse type: a whole number >= 0, with a message that names what was given."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


MAX_CONCURRENCY = 64


def concurrency(text: str) -> int:
    """argparse type of ``--concurrency``: a whole number from 1 to :data:`MAX_CONCURRENCY`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_CONCURRENCY}, got {value}")
    return value


PROG = "chatkit-tui"


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps the layout of the epilog (exit codes, then
    examples: :mod:`chatkit_tui.scripting.help`)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("exit codes"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def parser_kw(command: str) -> dict[str, Any]:
    """What every command's parser is made with (``sub.add_parser(name, **parser_kw(...))``):
    its epilog (the exit codes it can return, examples), the help formatter, and the global
    flags as the flag table has them for ``command`` (:mod:`chatkit_tui.scripting.globals`;
    a group, e.g. ``"threads"``, takes them all, for its action to check)."""
    from chatkit_tui.scripting.globals import TABLE, global_flags
    from chatkit_tui.scripting.help import epilog

    return {
        "epilog": epilog(command),
        "formatter_class": HelpFormatter,
        "parents": [global_flags(command if command in TABLE else None)],
    }


class ScriptError(Exception):
    """An error already worded for the user, with the exit code it means."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to ``widths``. The last cell is cut to the terminal's width when
    stdout is a terminal, and never cut when it is a pipe or a file."""
    parts = [fit(cell, width) for cell, width in zip(cells[:-1], widths, strict=False)]
    last = cells[-1]
    if sys.stdout.isatty():
        used = sum(widths[: len(parts)]) + 2 * len(parts)
        room = shutil.get_terminal_size().columns - used
        if room > 1 and cell_len(last) > room:
            last = fit(last, room)
    return "  ".join([*parts, last]).rstrip()


def json_line(obj: object) -> str:
    """``obj`` as one line of JSON: a record from the API as the bytes it came as, with
    the white space between them taken out (values, escapes and key order untouched), so
    that an indented response still gives one record a line."""
    import msgspec

    from chatkit_tui.client.decoding import encode

    data = encode(obj)
    try:
        return msgspec.json.format(data, indent=-1).decode("utf-8")
    except RecursionError:  # too deep to reformat: a raw line break is only ever white space
        return re.sub(rb"[\r\n]+", b" ", data).decode("utf-8")


def out(line: str = "", stream: TextIO | None = None) -> None:
    print(line, file=stream or sys.stdout)


def err(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


# --- errors -> messages and exit codes ------------------------------------------------------------


def describe_error(exc: BaseException) -> tuple[str, int]:
    """A one-line message (with the request id when known, the server's text escaped like
    everything else from the API) and the exit code for ``exc``."""
    message = escaped(describe(exc))
    if (hint := key_hint(exc)) is not None:
        message += f"; {hint}"
    return message, exit_code(exc)


def exit_code(exc: BaseException) -> int:
    from chatkit_tui.client import errors as e

    if isinstance(exc, e.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, e.AuthenticationError | e.PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(exc, e.RateLimitError):
        return EXIT_RATE_LIMITED
    if isinstance(exc, e.APIConnectionError):
        return EXIT_NETWORK
    return EXIT_API_ERROR


def mirror_exit(exc: BaseException, default: int = EXIT_USAGE) -> int:
    """The exit code of a mirror that could not be opened or read: its database refused
    the login or a permission (4), could not be reached (5), else ``default``."""
    from chatkit_tui.core.mirror import MirrorLoginRefused, MirrorUnreachable

    if isinstance(exc, MirrorLoginRefused):
        return EXIT_AUTH
    if isinstance(exc, MirrorUnreachable):
        return EXIT_NETWORK
    return default


def resolve_config(args: Any, *, key: bool = True) -> Config:
    """The configuration the flags, environment and profile give; ``key=False`` for a
    command that reads a mirror only (the deployment named, no key resolved: a key that
    cannot be sent, or a failing key command, does not stop it, as with ``--mirror``)."""
    try:
        from chatkit_tui.backends import backend_options

        config = load_config(args, options=backend_options(), key=key)
    except ConfigError as exc:
        raise ScriptError(f"config: {exc}", EXIT_USAGE) from None
    if note := ignored_note(config):
        print(f"chatkit-tui: note: {note}", file=sys.stderr)
    return config


def note_if_not_of(mirror: Any, args: Any, config: Config | None) -> None:
    """A note on stderr when the mirror read copies another deployment than the one named
    (``search``, ``insights``): ``config`` when the mirror is the default one of what the
    flags, environment and profile name (which names it by endpoint and project, not by
    organization); None for ``--db PATH``, compared then with a profile in play only."""
    from chatkit_tui.backends import backend_options, chosen_for
    from chatkit_tui.core.local import not_of

    path_given = config is None
    if config is None:
        try:
            config = load_config(args, options=backend_options(), key=False)
        except ConfigError:
            return  # the mirror is read all the same; a config error is another command's
    chosen = chosen_for(config, path_given=path_given)
    if phrase := not_of(mirror.origin, chosen, config.profile):
        err(f"note: {escaped(str(mirror.path))} is a mirror {phrase}")


def refuse_if_read_only(args: Any, config: Config, what: str) -> None:
    """ScriptError (exit 2) when ``--read-only`` was given or the profile is read-only."""
    if getattr(args, "read_only", False):
        raise ScriptError(f"refusing to {what}: --read-only", EXIT_USAGE)
    if config.read_only:
        raise ScriptError(
            f"refusing to {what}: profile {config.profile!r} is read-only "
            "(read_only = true in the config file)",
            EXIT_USAGE,
        )


def where_acted(args: Any) -> str:
    """The deployment a confirmation asks about, in its words (escaped): the demo server
    ``--demo`` starts, else the one the config names (:func:`chatkit_tui.backends.named`)."""
    if getattr(args, "demo", False):
        return "the demo server"
    from chatkit_tui.backends import named

    return escaped(named(args.config_resolved))


def confirm(question: str, *, refusing: str) -> bool:
    """Ask ``question [y/N]`` on the terminal (stderr); True for yes. Without a terminal,
    ScriptError (exit 2): nobody can answer, so nothing is done (``refusing``, e.g.
    "delete", names what; ``--yes`` is how a script says yes)."""
    if not sys.stdin.isatty():
        raise ScriptError(
            f"refusing to {refusing} without confirmation: stdin is not a terminal; "
            f"pass --yes to {refusing} from a script",
            EXIT_USAGE,
        )
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


@dataclass
class Opened:
    """Where a command reads: the demo server it started (closed after), or the mirror
    file ``--mirror`` names (read in process), or neither (the deployment the config names)."""

    demo: Local | None = None
    mirror: MirrorTarget | None = None

    def close(self) -> None:
        if self.demo is not None:
            self.demo.close()


def open_local(args: Any, config: Config) -> Opened:
    """``--demo`` or ``--mirror [PATH]``: the local deployment the command reads instead
    (started or checked now, said on stderr). Which commands take them is the flag table's
    (:mod:`chatkit_tui.scripting.globals`), checked before."""
    from chatkit_tui.core.local import LocalError, mirror_label, mirror_path, start_demo

    mirror: str | None = getattr(args, "mirror", None)
    try:
        if mirror is not None:
            from chatkit_tui.backends import chosen_for, origin

            base, project = origin(config)
            path = mirror_path(
                mirror,
                base,
                project,
                profile_mirror=config.mirror,
                password_command=config.mirror_password_command,
            )
            chosen = chosen_for(config, path_given=bool(mirror))
            err(f"reading the {mirror_label(path, config.profile, chosen)}")
            return Opened(mirror=path)
        if getattr(args, "demo", False):
            demo = start_demo()
            err(f"{demo.label}; nothing real is read or changed")
            return Opened(demo=demo)
    except LocalError as exc:
        raise ScriptError(str(exc), exc.code) from None
    return Opened()


def require(client: Deployment, capability: str, what: str) -> None:
    """ScriptError (exit 2) when the deployment cannot do ``what``: capabilities are
    declared by the backend, asked before anything is sent, never learned by trying."""
    capabilities = client.capabilities
    if not getattr(capabilities, capability):
        raise ScriptError(capabilities.missing(what), EXIT_USAGE)


def make_client(
    config: Config, http_client: httpx.AsyncClient | None = None, opened: Opened | None = None
) -> Deployment:
    """The deployment to read: the demo, the mirror, or the one the config names (the
    hosted API, or a self-hosted one: :func:`chatkit_tui.backends.connect`)."""
    from chatkit_tui.backends import CannotOpen, NoDeployment, connect
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.core.mirror import MirrorDamaged, MirrorError

    if opened is not None and opened.demo is not None:
        demo = opened.demo
        return AsyncChatKit(
            api_key=demo.api_key,
            base_url=demo.base_url,
            organization="",
            project="",
            http_client=http_client,
        )
    try:
        mirror = opened.mirror if opened is not None else None
        return connect(config, mirror=mirror, http_client=http_client)
    except NoDeployment as exc:
        raise ScriptError(str(exc), EXIT_AUTH) from None
    except CannotOpen as exc:
        raise ScriptError(str(exc), EXIT_USAGE) from None
    except MirrorDamaged as exc:
        raise ScriptError(str(exc), EXIT_DAMAGED) from None
    except (MirrorError, FileNotFoundError) as exc:
        raise ScriptError(str(exc), mirror_exit(exc)) from None


def run_command(
    args: Any,
    command: Callable[[Any, Deployment], Awaitable[int]],
    before: Callable[[Any], int | None] | None = None,
) -> int:
    """Resolve the config, run ``before`` (e.g. a confirmation prompt: it runs outside the
    event loop so one Ctrl-C stops it; a code it returns ends the command), open a client,
    run ``command``; map every failure to an exit code.

    ``before`` finds the config as ``args.config_resolved``; it may set ``args.event_hooks``
    (httpx's), which the client's connection pool is then made with."""
    try:
        config = resolve_config(args)
        args.config_resolved = config
        if before is not None and (code := before(args)) is not None:
            return code
        opened = open_local(args, config)
    except ScriptError as exc:
        err(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED

    from chatkit_tui.backends import CannotOpen
    from chatkit_tui.client.errors import ChatKitError

    async def go() -> int:
        hooks = getattr(args, "event_hooks", None)
        if not hooks:
            async with make_client(config, opened=opened) as client:
                return await command(args, client)
        import httpx

        from chatkit_tui.client.client import DEFAULT_TIMEOUT

        http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, trust_env=True, event_hooks=hooks)
        async with http, make_client(config, http, opened) as client:
            return await command(args, client)

    try:
        return asyncio.run(go())
    except ScriptError as exc:
        err(f"error: {exc}")
        return exc.code
    except CannotOpen as exc:  # e.g. --store's Store would not load (on first use)
        err(f"error: {escaped(str(exc))}")
        return EXIT_USAGE
    except ChatKitError as exc:
        message, code = describe_error(exc)
        err(f"error: {message}")
        return code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, like other Unix tools
        _silence_stdout()
        return EXIT_OK
    finally:
        opened.close()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
