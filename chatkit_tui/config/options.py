"""A backend's options, as the config resolves them: a flag (``--store``) and the profile
key that gives the same value when the flag is absent (``store``).

The backends declare them (:class:`chatkit_tui.backends.Flag`); they sit above the
config, so the declarations are handed down to :func:`~chatkit_tui.config.load_config`
and :func:`~chatkit_tui.config.parse_config_text` (``chatkit_tui.backends.backend_options()``),
never imported from here. A resolved option is ``config.options[dest]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SELF_RESOLVED", "BackendOption"]


@dataclass(frozen=True)
class BackendOption:
    dest: str
    """The flag's argparse name and the key of ``config.options``: ``store``."""
    flag: str
    """``--store``."""
    profile_key: str | None = None
    """The profile key for the same value, or None."""
    names_deployment: bool = True
    check: Callable[[str], str | None] | None = None
    """Why a value cannot be used (worded, without the value if it may be secret)."""


SELF_RESOLVED = frozenset({"chatkit_url", "header"})
"""chatkit-python's flags, which the config resolves itself (``Config.chatkit_url`` and
``Config.headers``: header values come from the environment or a command and are
secrets, never in a repr), not into ``config.options``."""
