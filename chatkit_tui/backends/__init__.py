"""The deployments chatkit-tui reads, each behind :mod:`chatkit_tui.client.deployment`'s
interface, each in a folder of its own that declares itself (:class:`Backend`):
``mirror/`` (a mirror file read in process) and ``chatkit_python/`` (the operator's
chatkit-python server over its own protocol). The hosted API is
:class:`chatkit_tui.client.AsyncChatKit` itself, what is left when no backend is chosen.

A new backend is a new folder whose ``__init__`` has a ``BACKEND``: :func:`backends`
finds it, :func:`connect` asks it whether the configuration chooses it, and the command
line adds the flags it declares. Textual-free; above core (a mirror is core's), below the
script CLI and the app.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from chatkit_tui.client.deployment import HOSTED, Capabilities, Deployment

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.url import MirrorTarget

__all__ = ["Backend", "Flag", "NoDeployment", "backends", "connect", "describe"]


@dataclass(frozen=True)
class Flag:
    """A command-line flag a backend adds to the app and every subcommand."""

    name: str
    help: str
    metavar: str | None = None
    repeat: bool = False


@dataclass(frozen=True)
class Backend:
    """What a backend folder declares: its capabilities, its flags, whether a configuration
    chooses it, and how to open it (``mirror`` is the ``--mirror`` file, if any)."""

    name: str
    capabilities: Capabilities
    chooses: Callable[[Config, MirrorTarget | None], bool]
    open: Callable[[Config, MirrorTarget | None, httpx.AsyncClient | None], Deployment]
    flags: tuple[Flag, ...] = field(default=())
    priority: int = 50  # the lower, the sooner asked


class NoDeployment(Exception):
    """No deployment can be opened with this configuration (worded for the user)."""


@cache
def backends() -> tuple[Backend, ...]:
    """Every backend folder's ``BACKEND``, the first to ask first."""
    found: list[Backend] = []
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            backend: Any = importlib.import_module(f"{__name__}.{module.name}").BACKEND
            found.append(backend)
    return tuple(sorted(found, key=lambda b: (b.priority, b.name)))


def connect(
    config: Config,
    *,
    mirror: MirrorTarget | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> Deployment:
    """The deployment the configuration names: the first backend that it chooses, else the
    hosted API (which needs a key: :class:`NoDeployment` without one)."""
    for backend in backends():
        if backend.chooses(config, mirror):
            return backend.open(config, mirror, http_client)
    from chatkit_tui.client import AsyncChatKit

    if not config.api_key:
        raise NoDeployment(
            "no API key: set OPENAI_API_KEY, or choose a profile with --profile / "
            "default_profile in the config file (a self-hosted deployment: --chatkit-url)"
        )
    return AsyncChatKit(
        api_key=config.api_key,
        base_url=config.base_url,
        organization=config.organization,
        project=config.project,
        http_client=http_client,
    )


def describe(deployment: Deployment) -> str:
    """The top bar's words for a live deployment: its kind and where it is."""
    kind = deployment.capabilities.kind
    where = deployment.base_url
    if deployment.capabilities is HOSTED:
        named = [p for p in (deployment.organization, deployment.project) if p]
        return where + (f" ({', '.join(named)})" if named else "")
    return f"{kind} · {where}"
