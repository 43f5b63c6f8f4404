"""A mirror file read in process (``--mirror PATH``): a read-only copy of a deployment.

This module only declares the backend (it is imported to choose one); the reader,
:mod:`.deployment`, is imported when a mirror is opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatkit_tui.backends import Backend
from chatkit_tui.client.deployment import Capabilities

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.backends.mirror.deployment import MirrorDeployment
    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.url import MirrorTarget

__all__ = ["BACKEND", "MIRROR"]

MIRROR = Capabilities(kind="mirror", user_filter=True, users=True, read_only_copy=True)


def _chooses(config: Config, mirror: MirrorTarget | None) -> bool:
    return mirror is not None


def _open(
    config: Config, mirror: MirrorTarget | None, http: httpx.AsyncClient | None
) -> MirrorDeployment:
    from chatkit_tui.backends.mirror.deployment import MirrorDeployment

    assert mirror is not None
    return MirrorDeployment.open(mirror)


BACKEND = Backend(name="mirror", capabilities=MIRROR, chooses=_chooses, open=_open, priority=10)
