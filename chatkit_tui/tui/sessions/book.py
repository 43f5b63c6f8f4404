"""The sessions created in this run.

The API has no call that lists sessions, so the app keeps what it created: one
``SessionBook`` on the app, so closing and reopening the session panel loses nothing.
Never imports Textual.
"""

from __future__ import annotations

from chatkit_tui.client.models import ChatSession


class SessionBook:
    def __init__(self) -> None:
        self._sessions: dict[str, ChatSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._sessions

    def get(self, session_id: str) -> ChatSession | None:
        return self._sessions.get(session_id)

    def put(self, session: ChatSession) -> None:
        """Add a new session, or replace a known one (same id) with the server's answer."""
        self._sessions[session.id] = session

    @property
    def sessions(self) -> list[ChatSession]:
        """Oldest first (the order they were created in)."""
        return list(self._sessions.values())
