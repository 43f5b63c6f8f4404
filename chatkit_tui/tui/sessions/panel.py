"""The session panel's widgets: the list of sessions created in this run, and one session.

No I/O: the screen pushes sessions in (and the time, every second, for the countdowns).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from chatkit_tui.client.models import ChatSession
from chatkit_tui.tui.sessions.render import session_detail, session_option


class SessionList(OptionList):
    """One line per session, newest last; the highlighted one is the *selected* session."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ids: list[str] = []

    @property
    def selected_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def show_sessions(
        self,
        sessions: Sequence[ChatSession],
        now: float,
        *,
        pending: Collection[str] = (),
        select: str | None = None,
    ) -> None:
        """Show ``sessions`` (prompts replaced in place when the ids are the same)."""
        ids = [s.id for s in sessions]
        if ids == self._ids:
            for session in sessions:
                prompt = session_option(session, now, pending=session.id in pending)
                self.replace_option_prompt(session.id, prompt)
        else:
            keep = select or self.selected_id
            self._ids = ids
            self.set_options(
                Option(session_option(s, now, pending=s.id in pending), id=s.id) for s in sessions
            )
            if keep in ids:
                self.highlighted = ids.index(keep)
            elif ids:
                self.highlighted = len(ids) - 1
        if select is not None and select in ids:
            self.highlighted = ids.index(select)


class SessionDetail(VerticalScroll, can_focus=True):
    """Every field of one session, with the live countdown; the secret masked until revealed."""

    def __init__(self, *, now: Callable[[], float], id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.session: ChatSession | None = None
        self.revealed = False
        self.pending = False

    def compose(self):  # type: ignore[override]
        yield Static("", id="session-detail-body")

    def show(
        self, session: ChatSession | None, *, revealed: bool = False, pending: bool = False
    ) -> None:
        self.session = session
        self.revealed = revealed
        self.pending = pending
        self.refresh_text()

    def refresh_text(self) -> None:
        body = self.query_one("#session-detail-body", Static)
        if self.session is None:
            body.update(Text("No session selected.", style="dim"))
            return
        body.update(
            session_detail(self.session, self._now(), revealed=self.revealed, pending=self.pending)
        )
