"""What every script subcommand shares: exit codes, errors on stderr, safe text, tables."""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from chatkit_tui.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit

# Exit codes (also in the --help epilog and /work/notes/cli.md)
EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_NETWORK = 5
EXIT_RATE_LIMITED = 6
EXIT_DECLINED = 7
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


EXIT_CODES_EPILOG = """\
exit codes:
  0    success
  1    API error (4xx/5xx not listed below, or a malformed response)
  2    usage or configuration error (bad flags, bad config file, no confirmation possible)
  3    not found (404)
  4    authentication or permission error (401/403, or no API key)
  5    network error or timeout
  6    rate limited (429 after retries)
  7    declined at the confirmation prompt (nothing deleted)
  130  interrupted (Ctrl-C)"""

PROG = "chatkit-tui"

# control characters, DEL, C1 and Unicode bidi overrides: shown escaped, never sent raw
# a backslash too, so that the text "\x1b" and a real escape never print alike
_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps the exit-code table's layout."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("exit codes:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class ScriptError(Exception):
    """An error already worded for the user, with the exit code it means."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def safe(text: str) -> str:
    """Text from the API made safe for a terminal: controls escaped like ``\\x1b``.

    Backslashes are doubled, so the escapes cannot be confused with text that looks
    like one.
    """

    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        if ch in _NAMED:
            return _NAMED[ch]
        code = ord(ch)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, text)


def cell_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters take two)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """Pad or cut (with an ellipsis) ``text`` to exactly ``width`` columns."""
    if cell_width(text) <= width:
        return text + " " * (width - cell_width(text))
    out: list[str] = []
    used = 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - used - 1)


def format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to ``widths``. The last cell is cut to the terminal's width when
    stdout is a terminal, and never cut when it is a pipe or a file."""
    parts = [fit(cell, width) for cell, width in zip(cells[:-1], widths, strict=False)]
    last = cells[-1]
    if sys.stdout.isatty():
        used = sum(widths[: len(parts)]) + 2 * len(parts)
        room = shutil.get_terminal_size().columns - used
        if room > 1 and cell_width(last) > room:
            last = fit(last, room)
    return "  ".join([*parts, last]).rstrip()


def timestamp(value: int | None) -> str:
    if value is None:
        return "-"
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(value)


def out(line: str = "", stream: TextIO | None = None) -> None:
    print(line, file=stream or sys.stdout)


def err(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


# --- errors -> messages and exit codes ------------------------------------------------------------


def describe_error(exc: BaseException) -> tuple[str, int]:
    """A one-line message (with the request id when known) and the exit code for ``exc``."""
    from chatkit_tui.client import errors as e

    # the server's message is untrusted text: escaped like everything else from the API
    message = safe(str(exc) or type(exc).__name__)
    request_id = getattr(exc, "request_id", None)
    if request_id and request_id not in message:
        message = f"{message} (request id {request_id})"
    if isinstance(exc, e.NotFoundError):
        return message, EXIT_NOT_FOUND
    if isinstance(exc, e.AuthenticationError):
        hint = "; check the key: set OPENAI_API_KEY or use a profile (see --help)"
        return message + hint, EXIT_AUTH
    if isinstance(exc, e.PermissionDeniedError):
        return message, EXIT_AUTH
    if isinstance(exc, e.RateLimitError):
        return message, EXIT_RATE_LIMITED
    if isinstance(exc, e.APIConnectionError):
        return message, EXIT_NETWORK
    return message, EXIT_API_ERROR


def resolve_config(args: Any) -> Config:
    try:
        return load_config(args)
    except ConfigError as exc:
        raise ScriptError(f"config: {exc}", EXIT_USAGE) from None


def make_client(config: Config) -> AsyncChatKit:
    from chatkit_tui.client import AsyncChatKit

    if not config.api_key:
        raise ScriptError(
            "no API key: set OPENAI_API_KEY, or choose a profile with --profile / "
            "default_profile in the config file",
            EXIT_AUTH,
        )
    return AsyncChatKit(
        api_key=config.api_key,
        base_url=config.base_url,
        organization=config.organization,
        project=config.project,
    )


def run_command(
    args: Any,
    command: Callable[[Any, AsyncChatKit], Awaitable[int]],
    before: Callable[[Any], int | None] | None = None,
) -> int:
    """Resolve the config, run ``before`` (e.g. a confirmation prompt: it runs outside the
    event loop so one Ctrl-C stops it; a code it returns ends the command), open a client,
    run ``command``; map every failure to an exit code."""
    try:
        config = resolve_config(args)
        if before is not None and (code := before(args)) is not None:
            return code
    except ScriptError as exc:
        err(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED

    from chatkit_tui.client.errors import ChatKitError

    async def go() -> int:
        async with make_client(config) as client:
            return await command(args, client)

    try:
        return asyncio.run(go())
    except ScriptError as exc:
        err(f"error: {exc}")
        return exc.code
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


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
