"""The deployments chatkit-tui reads, each behind :mod:`chatkit_tui.client.deployment`'s
interface, each in a folder of its own that declares itself (:class:`Backend`):
``mirror/`` (a mirror file read in process), ``chatkit_python/`` (the operator's
chatkit-python server over its own protocol) and ``store/`` (the operator's own
chatkit-python Store, in process). The hosted API is
:class:`chatkit_tui.client.AsyncChatKit` itself, what is left when no backend is chosen.

A new backend is a new folder, and nothing outside it changes. Its ``__init__`` (cheap
to import: the app's start-up reads every one to build its flags; import the
backend's own modules, and anything heavy, inside ``open``) has a ``BACKEND``, a
:class:`Backend` that declares:

- ``name``, ``capabilities`` (:class:`~chatkit_tui.client.deployment.Capabilities`:
  what the app offers and which commands take its flags), ``label`` (how refusals
  name it: "a self-hosted (chatkit-python) deployment");
- ``flags``: each :class:`Flag` is added to the app and to every subcommand
  (:mod:`chatkit_tui.scripting.globals`), its rule on each command derived from what
  the command needs and the capabilities: refused by the sessions commands without
  ``sessions``, by ``threads delete`` / ``purge`` without ``delete``, by ``serve``
  always; on ``search`` it names whose mirror is read. A flag that names a deployment
  (``names_deployment``) cannot go with ``--demo``, ``--base-url``, ``--mirror PATH``
  nor another backend's such flag. Its value reaches :class:`~chatkit_tui.config.Config`
  as ``config.options[flag.dest]``;
- a flag's ``profile_key``: the profile key that gives the same value when the flag
  is absent (read and checked by the config, :class:`chatkit_tui.config.BackendOption`;
  a profile naming two deployments is refused with its line);
- ``chooses(config, mirror)``: whether the configuration names this backend,
  ``open(config, mirror, http_client)``: the :class:`Deployment` (sync: anything slow
  or async happens on first use), ``where(config)``: the name of its origin (a
  default mirror's file name is made from it), and ``priority`` (the lower, the sooner
  asked).

Textual-free; above core (a mirror is core's) and config, below the script CLI and the
app.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from chatkit_tui.client.deployment import HOSTED, Capabilities, Deployment
from chatkit_tui.config.options import BackendOption
from chatkit_tui.core.errors import WordedError

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.records import Origin
    from chatkit_tui.core.mirror.url import MirrorTarget

__all__ = [
    "Backend",
    "CannotOpen",
    "Flag",
    "NoDeployment",
    "backend_options",
    "backends",
    "connect",
    "describe",
    "named",
    "origin",
]


@dataclass(frozen=True)
class Flag:
    """A command-line flag a backend adds to the app and every subcommand."""

    name: str
    """``--store``; its value is ``config.options[dest]`` (``store``)."""
    help: str
    acts: str = ""
    """What it does on a command that takes it (the flag table's words)."""
    metavar: str | None = None
    repeat: bool = False
    names_deployment: bool = True
    """It names the deployment (``--store``), not a detail of it (``--header``)."""
    profile_key: str | None = None
    """The profile key giving the same value (``store``); None: none, or read by the
    config itself (``chatkit_url``, whose headers are secrets from env or commands)."""
    check: Callable[[str], str | None] | None = None
    """Why a value is no good (a profile's or the flag's), or None."""

    @property
    def dest(self) -> str:
        return self.name.removeprefix("--").replace("-", "_")


def _nowhere(config: Config) -> str | None:
    return None


@dataclass(frozen=True)
class Backend:
    """What a backend folder declares (see the module doc)."""

    name: str
    capabilities: Capabilities
    chooses: Callable[[Config, MirrorTarget | None], bool]
    open: Callable[[Config, MirrorTarget | None, httpx.AsyncClient | None], Deployment]
    flags: tuple[Flag, ...] = field(default=())
    priority: int = 50  # the lower, the sooner asked
    label: str = ""
    """How a refusal names it; default ``a <kind> deployment``."""
    where: Callable[[Config], str | None] = _nowhere

    @property
    def named(self) -> str:
        return self.label or f"a {self.capabilities.kind} deployment"


class NoDeployment(Exception):
    """No deployment can be opened with this configuration (worded for the user)."""


class CannotOpen(WordedError):
    """The deployment named cannot be opened (a Store that does not load, say): worded for
    the user, an exit 2 before anything is read."""


@cache
def backends() -> tuple[Backend, ...]:
    """Every backend folder's ``BACKEND``, the first to ask first."""
    found: list[Backend] = []
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            backend: Any = importlib.import_module(f"{__name__}.{module.name}").BACKEND
            found.append(backend)
    return tuple(sorted(found, key=lambda b: (b.priority, b.name)))


@cache
def backend_options() -> tuple[BackendOption, ...]:
    """The flags every backend declares, as the config resolves them."""
    return tuple(
        BackendOption(
            dest=f.dest,
            flag=f.name,
            profile_key=f.profile_key,
            names_deployment=f.names_deployment,
            check=f.check,
        )
        for b in backends()
        for f in b.flags
    )


def origin(config: Config) -> tuple[str | None, str | None]:
    """The endpoint and project whose default mirror is meant (``--mirror`` without a
    PATH, ``search``, ``mirror``): the chosen backend's origin, else the hosted API's."""
    for backend in backends():
        where = backend.where(config)
        if where is not None:
            return where, None
    return config.base_url, config.project


def chosen_for(config: Config, *, path_given: bool) -> Origin | None:
    """The deployment a mirror read under ``config`` is meant to copy, as a mirror records
    its origin, to say when it copies another: for a mirror named by its path, the one the
    profile chose (None when no profile is in play: the path says which); for the default
    mirror, the one the configuration names (that mirror is named by endpoint and project,
    not by organization)."""
    if path_given and not config.profile:
        return None
    return chosen_deployment(config)


def chosen_deployment(config: Config) -> Origin:
    """The deployment the configuration names, as a mirror records its origin (to say when
    a mirror read for it copies another: the default mirror is named by the endpoint and
    project, not by the organization)."""
    from chatkit_tui.core.mirror.records import Origin

    for backend in backends():
        where = backend.where(config)
        if where is not None:
            return Origin(where, None, None, backend.capabilities.kind)
    from chatkit_tui.client.client import DEFAULT_BASE_URL

    return Origin(config.base_url or DEFAULT_BASE_URL, config.organization, config.project)


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
    from chatkit_tui.client.client import DEFAULT_BASE_URL

    if not config.api_key:
        raise NoDeployment(
            "no API key: set OPENAI_API_KEY, or choose a profile with --profile / "
            "default_profile in the config file (a self-hosted deployment: --chatkit-url, "
            "or your own Store: --store)"
        )
    # resolve() has read the environment already: "" keeps the client from reading it
    # again (an $OPENAI_ORG_ID beside a profile's own deployment is another one's)
    client = AsyncChatKit(
        api_key=config.api_key,
        base_url=config.base_url or DEFAULT_BASE_URL,
        organization=config.organization or "",
        project=config.project or "",
        http_client=http_client,
    )
    if config.profile and config.api_key_source:  # a 401 names the key that was sent
        client.auth_hint = (
            f"the server refused the key from {config.api_key_source}: check it there"
            " (the key is not shown), or try chatkit-tui --demo"
        )
    return client


def named(config: Config) -> str:
    """The words a confirmation names the deployment with before it is opened (the same
    as the top bar's), and the profile that chose it: a ``default_profile`` acts without
    being typed, so the question says where it acts."""
    where: str | None = None
    for backend in backends():
        if backend.chooses(config, None):
            where = backend.where(config)
            where = f"{backend.capabilities.kind} · {where}" if where else backend.named
            break
    if where is None:
        from chatkit_tui.client.client import DEFAULT_BASE_URL

        where = config.base_url or DEFAULT_BASE_URL
        parts = [p for p in (config.organization, config.project) if p]
        if parts:
            where += f" ({', '.join(parts)})"
    if config.profile:
        where += f", profile {config.profile!r}"
    return where


def describe(deployment: Deployment) -> str:
    """The top bar's words for a live deployment: its kind and where it is."""
    kind = deployment.capabilities.kind
    where = deployment.base_url
    if deployment.capabilities is HOSTED:
        named = [p for p in (deployment.organization, deployment.project) if p]
        return where + (f" ({', '.join(named)})" if named else "")
    return f"{kind} · {where}"
