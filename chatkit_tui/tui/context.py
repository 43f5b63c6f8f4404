"""What the screens need from the app, typed: the deployment, the mode, what is offered,
the clock, the directories, the session book. Screens read it as ``self.ctx``
(:mod:`.base`) and never import the App class, so nothing under ``tui/`` reaches back up
into ``app.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_tui.tui.keys.offered import Offer
from chatkit_tui.tui.sessions.book import SessionBook

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Capabilities, Deployment
    from chatkit_tui.client.models import ThreadPage
    from chatkit_tui.client.resources import Sessions
    from chatkit_tui.core.mirror.url import MirrorTarget

Clock = Callable[[], float]


@dataclass
class AppContext:
    client: Deployment
    """The deployment the app reads (the hosted API, a chatkit-python server, a mirror):
    only what :class:`~chatkit_tui.client.deployment.Deployment` declares is called."""
    endpoint_label: str
    read_only: bool
    """Read-only mode, or a deployment that is a copy (a mirror): nothing is changed."""
    now: Clock
    archive_dir: Path | None  # None: the user data directory's archive/
    export_dir: Path | None  # None: the user data directory's exports/
    keymap: Mapping[str, str]  # the config file's [keys] remaps
    thread_page_size: int = 100
    item_page_size: int = 50
    first_page: asyncio.Future[ThreadPage] | None = None
    """The first page, requested before the app started (see run.py): saves a round trip."""
    session_book: SessionBook = field(default_factory=SessionBook)
    """Sessions created in this run (the API cannot list them)."""
    mirror_path: MirrorTarget | None = None
    """The mirror the app browses offline (--mirror); None online."""
    project: str | None = None
    """The OpenAI project of the endpoint (a mirror's default file is named after both)."""

    @property
    def capabilities(self) -> Capabilities:
        return self.client.capabilities

    @property
    def offer(self) -> Offer:
        """Which bindings the app offers here (:mod:`chatkit_tui.tui.keys.offered`)."""
        return Offer(self.client.capabilities, read_only=self.read_only)

    @property
    def sessions(self) -> Sessions | None:
        """The deployment's sessions (create, cancel): only a deployment whose
        capabilities say so has them (the hosted API), else None."""
        from chatkit_tui.client.resources import Sessions

        if not self.client.capabilities.sessions:
            return None
        sessions: object = getattr(self.client, "sessions", None)
        return sessions if isinstance(sessions, Sessions) else None
