"""A mirror file read in process (``--mirror PATH``): a read-only copy of a deployment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chatkit_tui.backends import Backend
from chatkit_tui.backends.mirror.deployment import MIRROR, MirrorDeployment

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.config import Config

__all__ = ["BACKEND", "MIRROR", "MirrorDeployment"]


def _chooses(config: Config, mirror: Path | None) -> bool:
    return mirror is not None


def _open(config: Config, mirror: Path | None, http: httpx.AsyncClient | None) -> MirrorDeployment:
    assert mirror is not None
    return MirrorDeployment.open(mirror)


BACKEND = Backend(name="mirror", capabilities=MIRROR, chooses=_chooses, open=_open, priority=10)
