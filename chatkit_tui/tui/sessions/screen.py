"""The session panel (``s``): create sessions, see every field, reveal/copy the secret, cancel.

The API cannot list sessions, so the panel lists the ones created in this run, kept in the
app's :class:`~chatkit_tui.tui.sessions.book.SessionBook`. The screen is installed on the
app once and reused, so closing it neither loses the form nor stops a request under way.
Requests run in workers that post past-tense messages; failures become notifications.
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
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, OptionList, Static

from chatkit_tui.client.models import ChatSession, CreateSessionBody
from chatkit_tui.core.session_params import create_kwargs
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.base import ChatKitScreen, describe_error
from chatkit_tui.tui.sessions.cancel import ConfirmCancelSessionScreen
from chatkit_tui.tui.sessions.form import SessionForm
from chatkit_tui.tui.sessions.panel import SessionDetail, SessionList

if TYPE_CHECKING:
    from textual.app import App

    from chatkit_tui.tui.sessions.book import SessionBook

SCREEN_NAME = "sessions"


@dataclass
class SessionCreated(Message):
    session: ChatSession


@dataclass
class SessionCreateFailed(Message):
    reason: str


@dataclass
class SessionCancelled(Message):
    session: ChatSession


@dataclass
class SessionCancelFailed(Message):
    session_id: str
    reason: str


def open_session_panel(app: App[object]) -> None:
    """Show the panel (installed on first use, so its state outlives closing it)."""
    if any(isinstance(s, SessionScreen) for s in app.screen_stack):
        return
    if not app.is_screen_installed(SCREEN_NAME):  # pyright: ignore[reportUnknownMemberType]
        app.install_screen(SessionScreen(), SCREEN_NAME)  # pyright: ignore[reportUnknownMemberType]
    app.push_screen(SCREEN_NAME)


class SessionScreen(ChatKitScreen):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="sessions.close"),
        Binding("n", "new", "New", id="sessions.new"),
        Binding("ctrl+s", "create", "Create", id="sessions.create"),
        Binding("c", "cancel_session", "Cancel", id="sessions.cancel"),
        Binding("v", "reveal", "Reveal", id="sessions.reveal"),
        Binding("y", "copy_secret", "Copy secret", id="sessions.copy_secret"),
    ]

    def __init__(self) -> None:
        super().__init__(id="sessions")
        self.revealed: str | None = None  # the id of the session whose secret is shown
        self.pending: set[str] = set()  # ids with a cancel request under way
        self._ticker: Timer | None = None

    @property
    def book(self) -> SessionBook:
        return self.ctx.session_book

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        ctx = self.ctx
        yield Static(self.top_bar("chatkit-tui · Sessions"), id="sessions-topbar")
        with Vertical(id="sessions-panes"):
            with Vertical(id="sessions-side"):
                yield Static("", id="sessions-count")
                yield SessionList(id="session-list")
            with ContentSwitcher(id="sessions-switcher", initial="session-detail"):
                yield SessionDetail(now=ctx.now, id="session-detail")
                if ctx.offer.allows("sessions.create"):
                    yield SessionForm(id="session-form")
        yield Footer(compact=True)

    @property
    def session_list(self) -> SessionList:
        return self.query_one("#session-list", SessionList)

    @property
    def detail(self) -> SessionDetail:
        return self.query_one("#session-detail", SessionDetail)

    @property
    def form(self) -> SessionForm:
        return self.query_one("#session-form", SessionForm)

    @property
    def showing_form(self) -> bool:
        return self.query_one("#sessions-switcher", ContentSwitcher).current == "session-form"

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self.tick)
        self._refresh_list()
        if self.book or not self.offers("sessions.new"):
            self.show_detail(self.session_list.selected_id)
            self.session_list.focus()
        else:
            self.action_new()

    def on_screen_resume(self) -> None:
        if self._ticker is not None:
            self._ticker.resume()
        self.tick()

    def on_screen_suspend(self) -> None:
        if self._ticker is not None:
            self._ticker.pause()

    def tick(self) -> None:
        """Every second: the countdowns."""
        self._refresh_list()
        if not self.showing_form:
            self.detail.refresh_text()

    def _refresh_list(self, select: str | None = None) -> None:
        sessions = self.book.sessions
        now = self.ctx.now()
        self.session_list.show_sessions(sessions, now, pending=self.pending, select=select)
        count = Text(f"Created in this run: {len(sessions)}", style="bold", end="")
        if not self.offers("sessions.create"):
            count.append("  · read-only: no creating or cancelling", style="dim")
        elif not sessions:
            count.append("  (the API cannot list sessions)", style="dim")
        self.query_one("#sessions-count", Static).update(count)

    # --- modes -------------------------------------------------------------------------------

    def show_detail(self, session_id: str | None) -> None:
        if session_id != self.revealed:
            self.revealed = None  # moving on masks the secret again
        session = self.book.get(session_id) if session_id is not None else None
        self.detail.show(
            session, revealed=self.revealed is not None, pending=session_id in self.pending
        )
        self.query_one("#sessions-switcher", ContentSwitcher).current = "session-detail"
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#session-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_detail(event.option.id)

    @on(OptionList.OptionSelected, "#session-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.show_detail(event.option.id)
        self.detail.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):  # not offered (read-only mode)
            return False
        if action == "new":
            return not self.showing_form
        if action == "create":
            return self.showing_form
        if action in ("cancel_session", "reveal", "copy_secret"):
            return not self.showing_form and self.current is not None
        return True

    def _no_sessions(self) -> str:
        return self.ctx.capabilities.missing("create or cancel sessions")

    @property
    def current(self) -> ChatSession | None:
        session_id = self.session_list.selected_id
        return self.book.get(session_id) if session_id is not None else None

    def action_close(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        if not self.offers("sessions.new"):
            return
        self.query_one("#sessions-switcher", ContentSwitcher).current = "session-form"
        self.refresh_bindings()
        self.form.query_one("#field-user", Input).focus()

    # --- create ------------------------------------------------------------------------------

    def action_create(self) -> None:
        if self.offers("sessions.create") and self.showing_form:
            self.form.submit()

    @on(SessionForm.Submitted, "#session-form")
    def _submitted(self, message: SessionForm.Submitted) -> None:
        if not self.offers("sessions.create"):
            return
        message.form.set_busy(True)
        self.create_session(message.body)

    @work(exclusive=True, group="session-create", exit_on_error=False)
    async def create_session(self, body: CreateSessionBody) -> None:
        sessions = self.ctx.sessions
        if sessions is None:  # the panel is not offered then: this is never reached
            self.post_message(SessionCreateFailed(self._no_sessions()))
            return
        try:
            session = await sessions.create(**create_kwargs(body))
        except Exception as exc:
            self.post_message(SessionCreateFailed(describe_error(exc)))
            return
        self.book.put(session)
        self.post_message(SessionCreated(session))

    def on_session_created(self, message: SessionCreated) -> None:
        session = message.session
        form = self.form
        form.set_busy(False)
        form.show_status(Text(f"Created {one_line(session.id)}", style="bold"))
        self._refresh_list(select=session.id)
        self.show_detail(session.id)
        self.session_list.focus()
        self.host.notify(
            f"{one_line(session.id)} for {one_line(session.user)}"
            " (secret masked: v reveals, y copies)",
            title="Session created",
        )

    def on_session_create_failed(self, message: SessionCreateFailed) -> None:
        form = self.form
        form.set_busy(False)
        form.show_status(Text(f"Not created: {message.reason}"), error=True)
        self.host.notify(
            message.reason,
            title="Could not create the session",
            severity="error",
            timeout=10,
        )

    # --- secret ------------------------------------------------------------------------------

    def action_reveal(self) -> None:
        session = self.current
        if session is None:
            return
        self.revealed = None if self.revealed == session.id else session.id
        self.show_detail(session.id)

    def action_copy_secret(self) -> None:
        session = self.current
        if session is None:
            return
        self.host.copy_to_clipboard(session.client_secret)
        self.host.notify(
            f"Client secret of {one_line(session.id)} copied (OSC 52)",
            title="Copied",
        )

    # --- cancel ------------------------------------------------------------------------------

    def action_cancel_session(self) -> None:
        session = self.current
        if session is None or not self.offers("sessions.cancel") or self.showing_form:
            return
        if session.status == "cancelled":
            self.host.notify(f"{one_line(session.id)} is already cancelled.")
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.pending.add(session.id)
                self._refresh_list()
                self.show_detail(session.id)
                self.cancel_session(session.id)

        self.host.push_screen(ConfirmCancelSessionScreen(session), decided)

    @work(group="session-cancel", exit_on_error=False)
    async def cancel_session(self, session_id: str) -> None:
        sessions = self.ctx.sessions
        if sessions is None:  # the panel is not offered then: this is never reached
            self.post_message(SessionCancelFailed(session_id, self._no_sessions()))
            return
        try:
            session = await sessions.cancel(session_id)
        except Exception as exc:
            self.post_message(SessionCancelFailed(session_id, describe_error(exc)))
            return
        if session.id == session_id:
            self.book.put(session)
        self.post_message(SessionCancelled(session))

    def on_session_cancelled(self, message: SessionCancelled) -> None:
        session = message.session
        self.pending.discard(session.id)
        self._after_cancel(session.id)
        self.host.notify(
            f"{one_line(session.id)} is now {one_line(session.status)}.",
            title="Session cancelled",
        )

    def on_session_cancel_failed(self, message: SessionCancelFailed) -> None:
        self.pending.discard(message.session_id)
        self._after_cancel(message.session_id)
        self.host.notify(
            f"{one_line(message.session_id)}: {message.reason}",
            title="Could not cancel the session",
            severity="error",
            timeout=10,
        )

    def _after_cancel(self, session_id: str) -> None:
        self._refresh_list()
        if not self.showing_form and self.session_list.selected_id == session_id:
            self.show_detail(session_id)
