"""Mark by rule: every thread of the user filter, across all pages (not only the loaded
rows), or every thread older than an age or a date, or of a status; then ``D`` deletes them.

:class:`MarkByRuleScreen` asks for the age or date and the status (the current user filter
applies too: the rules combine as ``threads purge``'s do; on a deployment whose threads
name no user, there is no user rule). :class:`MarkByRuleFlow`, a base of the main screen,
pages the server in a worker with the purge's own finder
(:func:`chatkit_tui.core.purge.find_matches`: oldest first, stopping at the cutoff) and
marks what it found, loaded or not
(:meth:`~chatkit_tui.tui.threads.bulk_flow.BulkFlow.mark_threads`). ``esc`` in the list
stops a marking that is still paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from chatkit_tui.core.text import one_line, plural
from chatkit_tui.tui.base import describe_error
from chatkit_tui.tui.threads.bulk_flow import BulkFlow

if TYPE_CHECKING:  # core.purge brings the bulk runner: loaded on first use, not at start-up
    from chatkit_tui.core.purge import Found, Rules


STATUS_WORDS = ("closed", "locked", "active")  # the purge's STATUSES, as typed in the box


class MarkByRuleScreen(ModalScreen["Rules | None"]):
    """Dismisses with the rules to mark by, or None to cancel. The box takes an age or a
    date, a status word, or both (``90d closed``); empty with a user filter on, it marks
    every thread of that user.

    ``users``: the deployment's threads name their user (else the dialog speaks of no
    user: age, date and status are its rules); ``user_filter``: ``u`` can set one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="mark_rule.cancel")
    ]

    def __init__(
        self, user: str | None, now: float, *, users: bool = True, user_filter: bool = True
    ) -> None:
        super().__init__()
        self.user = user if users else None
        self.now = now
        self.users = users
        self.user_filter = users and user_filter

    def compose(self) -> ComposeResult:
        title = Text("Mark every thread, across all pages", style="bold", end="")
        if self.user is not None:
            scope = Text("of user ", end="")
            scope.append(one_line(self.user), style="bold")
            scope.append(" (the user filter; u changes it)", style="dim")
        elif self.user_filter:
            scope = Text("of every user (u sets a user filter first)", end="")
        elif self.users:
            scope = Text("of every user", end="")
        else:
            scope = Text("by age, date or status (these threads name no user)", end="")
        hint = (
            "older than: 90d, 12h, 2w, or before a date: 2026-01-31 (UTC); "
            "and/or a status: closed, locked, active"
        ) + ("; empty: all of the user's" if self.user is not None else "")
        with Vertical(id="mark-rule-dialog"):
            yield Static(title)
            yield Static(scope, id="mark-rule-scope")
            yield Input(placeholder="older than (age or date), status", id="mark-rule-input")
            yield Static(Text(hint, style="dim", end=""), id="mark-rule-hint")
            yield Static("", id="mark-rule-error")
            yield Static(
                Text("enter marks · escape cancels · D then deletes them", style="dim"),
                id="mark-rule-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#mark-rule-input", Input).focus()

    @on(Input.Submitted, "#mark-rule-input")
    def apply(self, event: Input.Submitted) -> None:
        from chatkit_tui.core.purge import RuleError

        text = event.value.strip()
        try:
            rules = self.rules(text)
        except RuleError as exc:
            message = str(exc)
            if not text:
                message = "type an age (90d), a date (2026-01-31) or a status (closed)"
                if self.user_filter:
                    message += ", or set a user filter (u)"
            self.query_one("#mark-rule-error", Static).update(
                Text(one_line(message), style="bold", end="")
            )
            return
        self.dismiss(rules)

    def rules(self, text: str) -> Rules:
        """The rules the box says (RuleError when it says none, or one that cannot be)."""
        from chatkit_tui.core.purge import RuleError, Rules, parse_cutoff

        words = text.split()
        statuses = [w.lower() for w in words if w.lower() in STATUS_WORDS]
        if len(statuses) > 1:
            raise RuleError("one status at a time: closed, locked or active")
        status = statuses[0] if statuses else None
        cutoff = " ".join(w for w in words if w.lower() not in STATUS_WORDS)
        started = int(self.now)
        if not cutoff:
            return Rules(started=started, user=self.user, status=status)
        before, age = parse_cutoff(cutoff, self.now)
        return Rules(started=started, user=self.user, before=before, age=age, status=status)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class RuleProgressed(Message):
    scanned: int
    matched: int


@dataclass
class RuleMatched(Message):
    rules: Rules
    found: Found


@dataclass
class RuleFailed(Message):
    reason: str


class MarkByRuleFlow(BulkFlow):
    """``M``: the dialog, the worker that pages the server, the marks; for a screen with a
    ``#threads`` list and a ``user`` filter (the binding lives on the subclass)."""

    user: str | None
    generation: int  # of the list: a reload starts another
    marking: tuple[int, int] | None = None
    """While a worker pages: (threads read, matched) so far; else None."""
    _marking_generation = -1

    def action_mark_by_rule(self) -> None:
        if not self.offers("main.mark_by_rule"):  # marks only feed D
            return

        def chosen(rules: Rules | None) -> None:
            if rules is not None:
                self.mark_by(rules)

        offer = self.ctx.offer
        dialog = MarkByRuleScreen(
            self.user, self.ctx.now(), users=offer.users, user_filter=offer.user_filter
        )
        self.host.push_screen(dialog, chosen)

    def mark_all_of_user(self) -> None:
        """The palette's "every thread of this user": no dialog needed."""
        if self.user is not None and self.offers("main.mark_by_rule"):
            from chatkit_tui.core.purge import Rules

            self.mark_by(Rules(started=int(self.ctx.now()), user=self.user))

    def mark_by(self, rules: Rules) -> None:
        self.marking = (0, 0)
        self._marking_generation = self.generation
        self._update_status()
        self.find_by_rule(rules)

    @work(exclusive=True, group="mark_rule", exit_on_error=False)
    async def find_by_rule(self, rules: Rules) -> None:
        from chatkit_tui.core.purge import find_matches

        def page(found: Found) -> None:
            self.post_message(RuleProgressed(found.scanned, len(found.matches)))

        try:
            found = await find_matches(self.ctx.client, rules, on_page=page)
        except Exception as exc:  # client errors: a notification, never a crash
            self.post_message(RuleFailed(describe_error(exc)))
            return
        self.post_message(RuleMatched(rules, found))

    def on_rule_progressed(self, message: RuleProgressed) -> None:
        if self.marking is not None:
            self.marking = (message.scanned, message.matched)
            self._update_status()

    def on_rule_matched(self, message: RuleMatched) -> None:
        if self.marking is None:
            return  # stopped meanwhile
        self.marking = None
        if self.generation != self._marking_generation:  # marks do not carry over a reload
            self._update_status()
            self.host.notify(
                "The list was reloaded while marking: nothing was marked.",
                title="Mark by rule",
                severity="warning",
            )
            return
        found = message.found
        threads = found.threads
        added, not_loaded = self.mark_threads(threads)
        what = one_line(message.rules.describe())
        text = f"Marked {plural(len(threads))}: {what}."
        if added != len(threads):
            text += f" ({plural(len(threads) - added)} of them already marked.)"
        if not_loaded:
            text += f" {plural(not_loaded)} are not loaded in the list."
        unreadable = len(found.skipped) + len(found.matches) - len(threads)
        if unreadable:
            text += f" {plural(unreadable)} could not be read and are not marked."
        if found.incomplete:
            text += f" Stopped early: {one_line(found.incomplete)}."
        if threads:
            text += " D deletes the marked threads; esc unmarks."
        self.host.notify(
            text,
            title="Mark by rule",
            severity="warning" if unreadable or found.incomplete or not threads else "information",
            timeout=10,
        )
        self._update_status()

    def on_rule_failed(self, message: RuleFailed) -> None:
        self.marking = None
        self._update_status()
        self.host.notify(
            f"Marked nothing: {message.reason}", title="Mark by rule", severity="error", timeout=10
        )

    def clear_marks(self) -> bool:
        """esc: stop a marking still paging (marking nothing), else unmark all."""
        if self.marking is not None:
            self.marking = None
            self.workers.cancel_group(self, "mark_rule")  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
            self._update_status()
            self.host.notify("Stopped marking: nothing was marked.", title="Mark by rule")
            return True
        return super().clear_marks()
