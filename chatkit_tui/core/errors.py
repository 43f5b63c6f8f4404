"""Failures worded for people, the same way in the app and the script CLI.

Textual-free. :func:`describe` is one line for any failure (the client's message with its
HTTP status and request id, an OS error with its type, anything else marked unexpected);
:func:`key_hint` says what to do about a rejected key. The text is not yet safe: the app
shows it with :func:`chatkit_tui.core.text.one_line`, the CLI with
:func:`chatkit_tui.core.text.escaped` (the server's message is untrusted). Neither ever
holds the API key: the client's errors carry none (``tests/unit/test_client_key_secrecy.py``).
"""

from __future__ import annotations

from chatkit_tui.client import errors as client_errors
from chatkit_tui.mirrorfile import DAMAGED_ERROR_TYPE


class WordedError(Exception):
    """A failure whose message is already worded for people (a mirror that is damaged, of
    another deployment, not a mirror): :func:`describe` gives it as it is."""


KEY_HINT = (
    "set OPENAI_API_KEY to a valid API key (or a profile's key in the config file), "
    "or try chatkit-tui --demo"
)


def describe(exc: BaseException) -> str:
    """One line (white space folded) naming the failure, with the request id when known.
    A served mirror's damaged page (``serve --db``, the app's ``--mirror``) is its
    message alone: what is damaged and how to repair it, not "500 Server error"."""
    if isinstance(exc, client_errors.APIStatusError) and exc.type == DAMAGED_ERROR_TYPE:
        return " ".join(exc.message.split())
    if isinstance(exc, WordedError):  # e.g. a mirror read in process met a damaged page
        return " ".join(str(exc).split())
    text = client_errors.describe(exc)
    request_id = getattr(exc, "request_id", None)
    if isinstance(request_id, str) and request_id and request_id not in text:
        text = f"{text} (request id {request_id})"
    return text


def key_hint(exc: BaseException) -> str | None:
    """What to do when the server rejected the key (a 401), else None."""
    if isinstance(exc, client_errors.AuthenticationError):
        return exc.auth_hint or KEY_HINT
    return None
