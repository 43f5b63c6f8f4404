"""What the server's app serves from: the local server's own :class:`~.store.Store`, or a
mirror file (:class:`~.mirror.MirrorSource`). Both give threads and items as JSON bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chatkit_tui.client.models import ChatSession
from chatkit_tui.server.keyset import Order, Page

__all__ = ["ThreadSource"]


class ThreadSource(Protocol):
    clock: Callable[[], float]

    def thread_page(
        self,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        user: str | None = None,
    ) -> Page[bytes]:
        """One page of threads, each as its JSON; CursorNotFoundError for a bad cursor."""
        ...

    def thread_json(self, thread_id: str) -> bytes | None: ...

    def delete_thread(self, thread_id: str) -> bool:
        """False when there is no such thread; may raise a RequestError (read-only)."""
        ...

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> Page[bytes] | None: ...

    def insert_session(self, session: ChatSession, created_at: int) -> None: ...

    def cancel_session(self, session_id: str) -> ChatSession | None: ...
