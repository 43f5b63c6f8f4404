"""One interface for every kind of deployment: what the app, the script CLI, the mirror,
the purge and export may call, and the capabilities they ask before they offer anything.

The hosted API (:class:`~chatkit_tui.client.AsyncChatKit`) is one implementation; the
others live in :mod:`chatkit_tui.backends`, a folder each (a mirror file read in process,
a chatkit-python server over its own protocol). Every implementation hands back the
client's own models (:mod:`chatkit_tui.client.models`), each keeping the raw JSON it was
read from, so that archives, exports and ``--json`` write what the deployment sent.

Capabilities are declared, never learned by trying: a deployment without sessions has
``sessions = None`` and ``capabilities.sessions`` false, and the UI leaves the session
keys out instead of catching an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:
    from types import TracebackType

    from chatkit_tui.client.models import (
        AnyThread,
        ChatSession,
        ItemPage,
        Order,
        ThreadDeleted,
        ThreadItem,
        ThreadPage,
    )
    from chatkit_tui.client.pages import AsyncPager

__all__ = [
    "HOSTED",
    "Capabilities",
    "Deployment",
    "DeploymentSessions",
    "DeploymentThreads",
]


class Capabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What a deployment can do, declared by its backend."""

    kind: str
    """Shown in the top bar: ``hosted``, ``mirror``, ``chatkit-python``, ..."""
    sessions: bool = False
    """Mint and cancel ChatKit sessions."""
    user_filter: bool = False
    """``threads.list(user=...)`` narrows by end user (the server's own filter)."""
    users: bool = False
    """Threads name their end user (``thread.user``): a purge or a mark by user can work."""
    before_cursor: bool = False
    """List pages can be read backwards (``before=``)."""
    delete: bool = False
    """Threads can be deleted (``threads.delete``)."""
    read_only_copy: bool = False
    """A copy (a mirror): nothing acts on the deployment itself."""
    threads_held: str = "on the server"
    """Where its threads are, in the words that end a sentence about a delete: "then
    deleted on the server" (the hosted API, a chatkit-python server), "in the Store" (a
    Store loaded in process: no server is involved)."""
    threads_from: str = "from the server"
    """The same place, for "already gone from the server" / "from the Store"."""

    def missing(self, what: str) -> str:
        """The sentence that says a deployment of this kind cannot do ``what``."""
        return f"a {self.kind} deployment cannot {what}"


HOSTED = Capabilities(
    kind="hosted",
    sessions=True,
    user_filter=True,
    users=True,
    before_cursor=True,
    delete=True,
)


class DeploymentThreads(Protocol):
    """``deployment.threads``: a page of threads, a thread, a page of items, delete."""

    async def retrieve(self, thread_id: str) -> AnyThread: ...

    async def delete(self, thread_id: str) -> ThreadDeleted: ...

    def list(
        self,
        *,
        user: str | None = None,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ThreadPage, AnyThread]: ...

    def list_items(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: Order | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> AsyncPager[ItemPage, ThreadItem]: ...


class DeploymentSessions(Protocol):
    async def cancel(self, session_id: str) -> ChatSession: ...


class Deployment(Protocol):
    """A deployment the app and the commands read. ``base_url``, ``organization`` and
    ``project`` name the origin (a mirror file records them, and is found by them)."""

    @property
    def threads(self) -> DeploymentThreads: ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def base_url(self) -> str: ...

    @property
    def organization(self) -> str | None: ...

    @property
    def project(self) -> str | None: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Deployment: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
