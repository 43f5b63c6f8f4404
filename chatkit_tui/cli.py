"""Command line: arguments -> the app, the local server, or a subcommand.

Heavy imports (Textual, uvicorn) happen inside the branch that needs them, so
``chatkit-tui --help`` and the script subcommands start fast. The plain app
invocation (``chatkit-tui [--demo] [--base-url URL] ...``) is parsed without
building the script subcommands at all: their parsers import the client, the
exporter and the session parameters, which the app's first frame does not need.
The global flags, and what each does on each command, are
:mod:`chatkit_tui.scripting.globals`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from chatkit_tui import __version__
from chatkit_tui.scripting.globals import (
    add_global_flags,
    apply,
    gather_repeats,
    normalize_argv,
    refusal,
)

DEFAULT_PORT = 8787


def build_parser() -> argparse.ArgumentParser:
    from chatkit_tui.scripting.common import HelpFormatter, parser_kw, whole_number
    from chatkit_tui.scripting.help import epilog

    parser = argparse.ArgumentParser(
        prog="chatkit-tui",
        description="Browse and manage OpenAI ChatKit threads and sessions from the terminal.",
        epilog=epilog(""),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chatkit-tui {__version__}")
    add_global_flags(parser, "")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the local ChatKit API server",
        description="Run the local ChatKit API server (SQLite-backed) on loopback.",
        **parser_kw("serve"),
    )
    serve.add_argument(
        "--host", default="127.0.0.1", metavar="HOST", help="address to bind (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=whole_number,
        default=DEFAULT_PORT,
        metavar="PORT",
        help=f"port (default {DEFAULT_PORT})",
    )
    serve.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="SQLite database path, or :memory:, or a mirror (served read-only; default: a "
        "file in the user data directory)",
    )
    serve.add_argument(
        "--seed",
        type=whole_number,
        default=None,
        metavar="N",
        help="seed N demo threads deterministically if the database has no threads",
    )
    serve.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help="require this bearer key (default: $CHATKIT_SERVE_API_KEY, which keeps the key "
        "out of the process list; if neither, accept any request)",
    )
    serve.add_argument(
        "--latency", default=None, metavar="MS[:JITTER]", help="add latency to every response"
    )
    serve.add_argument(
        "--error-rate", default=None, metavar="P", help="answer this fraction of requests with 500"
    )
    serve.add_argument(
        "--rate-limit",
        default=None,
        metavar="N/min",
        help="answer 429 with Retry-After past N requests a minute",
    )
    serve.add_argument(
        "--quiet", action="store_true", help="do not log a line per request (access log)"
    )
    from chatkit_tui.scripting import add_script_commands

    add_script_commands(sub)
    return parser


class _NotJustTheApp(Exception):
    """Raised by :class:`_AppParser` instead of printing an error and exiting."""


class _AppParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotJustTheApp(message)


def parse_app_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """``argv`` parsed as the plain app invocation, or None when it is anything else.

    Anything else (a subcommand, ``--help``, ``--version``, a bad flag) goes to
    :func:`build_parser`, which owns every message and exit code; this parser only
    saves building the subcommands when they are not used.
    """
    if any(arg in ("-h", "--help", "--version") for arg in argv):
        return None
    parser = _AppParser(prog="chatkit-tui", add_help=False)
    add_global_flags(parser, "")
    try:
        args, rest = parser.parse_known_args(list(argv))
    except _NotJustTheApp:
        return None
    if rest:
        return None
    args.command = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: exit code 130 and one line for a Ctrl-C at any point.

    The commands catch their own Ctrl-C; this catches one that lands earlier, while
    their modules are still being imported (a traceback otherwise).
    """
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print("chatkit-tui: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    argv = normalize_argv(argv)
    args = parse_app_args(argv) or build_parser().parse_args(argv)
    gather_repeats(argv, args)
    # each global flag acts on the command, or is refused here: never ignored
    if (refused := refusal(args)) is not None:
        print(f"chatkit-tui: error: {refused}", file=sys.stderr)
        return 2
    apply(args)
    if args.command == "serve":
        from chatkit_tui.server.run import serve_command

        return serve_command(args)
    if args.command in ("threads", "sessions", "mirror", "search", "migrate", "insights"):
        from chatkit_tui.scripting import run_script

        return run_script(args)
    from chatkit_tui.backends import backend_options
    from chatkit_tui.config import ConfigError, load_config

    try:
        args.config_resolved = load_config(args, options=backend_options())
    except ConfigError as exc:
        print(f"chatkit-tui: error: config: {exc}", file=sys.stderr)
        return 2
    from chatkit_tui.tui.run import run_app

    return run_app(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
