"""Which of the app's bindings are offered: the one place that decides, from the mode
(``--read-only``, a profile's ``read_only``) and what the deployment can do (its
:class:`~chatkit_tui.client.deployment.Capabilities`).

What is not offered is absent everywhere: from the footer and its key does nothing
(each screen's ``check_action``, :meth:`chatkit_tui.tui.base.ChatKitScreen.check_action`,
asks :meth:`Offer.allows`), from the help screen (the registry's tables ask it) and from
the command palette (its provider asks it). Nothing is tried and caught: a deployment
without sessions never shows ``s``, rather than answering it with an error.

Textual-free and importing no screen: every screen may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatkit_tui.client.deployment import HOSTED, Capabilities

DELETES = frozenset({"main.delete", "confirm.delete", "main.bulk_delete", "main.mark_by_rule"})
"""Deleting threads; marking by rule too (marks only feed D)."""
SESSION_CHANGES = frozenset(
    {"sessions.new", "sessions.create", "sessions.cancel", "cancel_session.confirm"}
)
"""Creating and cancelling sessions (read-only mode keeps the panel, to read it)."""
DESTRUCTIVE = DELETES | SESSION_CHANGES
"""What read-only mode removes."""
SESSION_KEYS = ("main.sessions", "sessions.", "cancel_session.")
"""The session panel's key and every key of the panel and its dialog (id prefixes)."""
USER_FILTER_KEYS = ("main.user_filter", "user_filter.")
"""The user filter's key and its dialog's."""


@dataclass(frozen=True)
class Offer:
    """What the app offers on a deployment with ``capabilities``, in ``read_only`` mode."""

    capabilities: Capabilities = HOSTED
    read_only: bool = False

    @property
    def deletes(self) -> bool:
        """Threads can be deleted here: the deployment deletes, and this is not a copy
        nor read-only mode."""
        caps = self.capabilities
        return caps.delete and not caps.read_only_copy and not self.read_only

    @property
    def sessions(self) -> bool:
        return self.capabilities.sessions

    @property
    def user_filter(self) -> bool:
        return self.capabilities.user_filter

    @property
    def users(self) -> bool:
        """Threads name their end user: the list's user column, a mark by user."""
        return self.capabilities.users

    def allows(self, binding_id: str) -> bool:
        """Whether the binding ``binding_id`` is offered (shown, listed, acted on)."""
        if binding_id in DELETES:
            return self.deletes
        if binding_id.startswith(SESSION_KEYS) and not self.sessions:
            return False
        if binding_id in SESSION_CHANGES:
            return not self.read_only and not self.capabilities.read_only_copy
        if binding_id.startswith(USER_FILTER_KEYS) and not self.user_filter:
            return False
        return True

    def left_out(self) -> str | None:
        """What the deployment cannot do, in a sentence for the help screen (read-only
        mode says its own); None when it can do all the app offers."""
        caps = self.capabilities
        cannot: list[str] = []
        if not caps.sessions:
            cannot.append("create or cancel sessions")
        if not caps.user_filter:
            cannot.append("filter threads by user")
        if not caps.delete and not (self.read_only or caps.read_only_copy):
            cannot.append("delete threads")
        if not cannot:
            return None
        what = cannot[0] if len(cannot) == 1 else ", ".join(cannot[:-1]) + " or " + cannot[-1]
        return caps.missing(what) + ": those keys are left out"
