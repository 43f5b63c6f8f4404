"""The script subcommands: ``chatkit-tui threads ...``, ``sessions ...``, ``mirror``, ``search``.

Textual-free, so they start fast. Output: tables for people (API text escaped), or JSON
lines with ``--json``; errors on stderr with the request id; exit codes in
:data:`chatkit_tui.scripting.common.EXIT_CODES_EPILOG`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chatkit_tui.scripting.common import EXIT_CODES_EPILOG, EXIT_USAGE, run_command

SCRIPT_COMMANDS = ("threads", "sessions", "mirror", "search")


def common_flags() -> argparse.ArgumentParser:
    """--profile / --config / --base-url, accepted after any subcommand too."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument(
        "--profile", default=argparse.SUPPRESS, metavar="NAME", help="config profile to use"
    )
    group.add_argument(
        "--config", default=argparse.SUPPRESS, metavar="PATH", help="config file to read"
    )
    group.add_argument("--base-url", default=argparse.SUPPRESS, metavar="URL", help="API base URL")
    return common


def add_script_commands(sub: Any) -> None:
    from chatkit_tui.scripting.mirror import add_mirror_parsers
    from chatkit_tui.scripting.sessions import add_sessions_parser
    from chatkit_tui.scripting.threads import add_threads_parser

    common = common_flags()
    add_threads_parser(sub, common, EXIT_CODES_EPILOG)
    add_sessions_parser(sub, common, EXIT_CODES_EPILOG)
    add_mirror_parsers(sub, common, EXIT_CODES_EPILOG)


def run_script(args: argparse.Namespace) -> int:
    if (runner := getattr(args, "runner", None)) is not None:  # a command with no client
        return runner(args)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser: argparse.ArgumentParser = args.subparser
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_command(args, handler, getattr(args, "before", None))
