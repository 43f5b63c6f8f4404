"""The script subcommands: ``chatkit-tui threads ...``, ``sessions ...``, ``mirror``, ``search``,
``insights``.

Textual-free, so they start fast. Output: tables for people (API text escaped), or JSON
lines with ``--json``; errors on stderr with the request id; exit codes in
:mod:`chatkit_tui.scripting.help` (each command's ``--help`` lists those it can return).
The global flags (``--mirror``, ``--demo``, ``--read-only``, ``--profile``, ``--config``,
``--base-url`` and the backends' own: ``--chatkit-url``, ``--header``, ``--store``) go
before or after any command: :mod:`chatkit_tui.scripting.globals`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chatkit_tui.scripting.common import EXIT_USAGE, run_command

SCRIPT_COMMANDS = ("threads", "sessions", "mirror", "search", "migrate", "insights")


def add_script_commands(sub: Any) -> None:
    from chatkit_tui.scripting.insights import add_insights_parser
    from chatkit_tui.scripting.migrate import add_migrate_parser
    from chatkit_tui.scripting.mirror import add_mirror_parsers
    from chatkit_tui.scripting.sessions import add_sessions_parser
    from chatkit_tui.scripting.threads import add_threads_parser

    add_threads_parser(sub)
    add_sessions_parser(sub)
    add_mirror_parsers(sub)
    add_migrate_parser(sub)
    add_insights_parser(sub)


def run_script(args: argparse.Namespace) -> int:
    if (runner := getattr(args, "runner", None)) is not None:  # a command with no client
        return runner(args)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser: argparse.ArgumentParser = args.subparser
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_command(args, handler, getattr(args, "before", None))
